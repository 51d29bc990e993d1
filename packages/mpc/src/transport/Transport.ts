/**
 * How MPC parties talk. A party is named by its ledger account address (`zen1...`), the same account
 * that signs its responses on the ledger.
 *
 * A transport delivers opaque bytes between parties: `send` to one party (confidential and
 * authenticated: only the receiver can read it, and it knows who sent it), `broadcast` to all (each
 * receiver knows who sent it). Ordering between different senders is not guaranteed; messages from
 * one sender to one receiver arrive in order. Sessions, rounds, replay protection and the check that
 * every party saw the same broadcast live above the transport, in `SessionRouter`.
 */
export type PartyId = string

/** A message as delivered: who sent it, and whether it was a broadcast. */
export type Envelope = {
  readonly from: PartyId
  readonly broadcast: boolean
  readonly payload: Uint8Array
}

/** One party's connection to the others. */
export type Transport = {
  /** This party's id. */
  readonly self: PartyId
  /** The other parties reachable through this transport. */
  readonly peers: readonly PartyId[]
  send(to: PartyId, payload: Uint8Array): Promise<void>
  broadcast(payload: Uint8Array): Promise<void>
  /** Registers the handler for incoming messages (one handler per transport). */
  onMessage(handler: (envelope: Envelope) => void): void
  close(): Promise<void>
}
