/**
 * TEST HELPER: an in-process network of MPC parties for protocol tests, and a way to make one of
 * them cheat. Not part of the public API.
 */
import { type Account, type ZrError, generateAccount } from '@zrkit/core'
import { canonicalParse, canonicalStringify } from '@zrkit/core/internal'
import { type MemoryRelay, type PartyId, type SecureTransport, type Session, type SessionRouter, createSessionRouter, memoryRelay, secureTransport } from '@zrkit/mpc'
import { encodeSessionFrame } from '@zrkit/mpc/internal'

/** One party of a {@link TestNetwork}. */
export type TestParty = {
  /** Position among the parties sorted by id (so its FROST identifier is `index + 1`). */
  readonly index: number
  readonly account: Account
  readonly id: PartyId
  readonly transport: SecureTransport
  readonly router: SessionRouter
  /** Everything the party's transport and router refused (`onError`). */
  readonly errors: ZrError[]
}

/** Parties connected through one {@link memoryRelay}, each with a secure transport and a session router. */
export type TestNetwork = {
  readonly relay: MemoryRelay
  /** Sorted by id. */
  readonly parties: readonly TestParty[]
  /** The party ids, sorted. */
  readonly ids: readonly PartyId[]
  party(id: PartyId): TestParty
  /** Closes every router and transport (waiting session calls reject with `ABORTED`). */
  close(): Promise<void>
}

/** Options of {@link testNetwork}. */
export type TestNetworkOptions = {
  /** Makes the accounts reproducible: party i gets `generateAccount(`${seed}:${i}`)`. Default: a fresh seed per network. */
  readonly seed?: string
  /** The routers' default wait, in ms (default 10 000). */
  readonly routerTimeoutMs?: number
}

let created = 0

/** Builds `n` parties: accounts, one relay, a secure transport and a session router per party. */
export async function testNetwork(n: number, options: TestNetworkOptions = {}): Promise<TestNetwork> {
  const seed = options.seed ?? `zrkit-test-network:${++created}`
  const relay = memoryRelay()
  const accounts = Array.from({ length: n }, (_, i) => generateAccount(`${seed}:${i}`)).sort((a, b) => (a.address < b.address ? -1 : 1))
  const ids = accounts.map((a) => a.address)
  const errors = accounts.map(() => [] as ZrError[])
  const transports = await Promise.all(
    accounts.map((account, i) =>
      secureTransport({ account, relay, peers: ids.filter((id) => id !== account.address), onError: (e) => errors[i]!.push(e), timeoutMs: 10_000 }),
    ),
  )
  const parties: TestParty[] = accounts.map((account, i) => ({
    index: i,
    account,
    id: account.address,
    transport: transports[i]!,
    router: createSessionRouter(transports[i]!, { onError: (e) => errors[i]!.push(e), timeoutMs: options.routerTimeoutMs ?? 10_000 }),
    errors: errors[i]!,
  }))
  const byId = new Map(parties.map((p) => [p.id, p]))
  return {
    relay,
    parties,
    ids,
    party(id) {
      const p = byId.get(id)
      if (!p) throw new Error(`no party ${id}`)
      return p
    },
    async close() {
      for (const p of parties) p.router.close()
      await Promise.all(parties.map((p) => p.transport.close()))
    },
  }
}

/** A message a cheating party is about to send. */
export type Outgoing = {
  readonly session: string
  readonly round: string
  readonly body: Uint8Array
}

/** How a cheating party alters what it sends; a hook returning `undefined` leaves the message alone. */
export type Tamper = {
  /** Replaces the body of a direct message. */
  send?: (message: Outgoing & { readonly to: PartyId }) => Uint8Array | undefined
  /**
   * Replaces the body of a broadcast: with bytes for every receiver, or with a function giving each
   * receiver its own body (an equivocating broadcast: each copy is still a signed broadcast frame).
   */
  broadcast?: (message: Outgoing & { readonly to: readonly PartyId[] }) => Uint8Array | ((to: PartyId) => Uint8Array) | undefined
}

/**
 * A session that does what `session` does, except for the methods in `changes`: test routers that alter one
 * round (drop, corrupt or withhold it) change that method and keep the rest.
 *
 * @example
 * ```ts
 * const deaf: SessionRouter = {
 *   open: (id, participants) => delegatingSession(router.open(id, participants), { collect: () => Promise.reject(new Error('lost')) }),
 *   close: () => router.close(),
 * }
 * ```
 */
export function delegatingSession(session: Session, changes: Partial<Pick<Session, 'send' | 'broadcast' | 'collect' | 'confirmBroadcasts'>> = {}): Session {
  return {
    id: session.id,
    self: session.self,
    participants: session.participants,
    send: (to, round, body) => session.send(to, round, body),
    broadcast: (round, body) => session.broadcast(round, body),
    collect: (round, options) => session.collect(round, options),
    confirmBroadcasts: (round, received, options) => session.confirmBroadcasts(round, received, options),
    close: () => session.close(),
    ...changes,
  }
}

/**
 * The router of a cheating `party`: sessions it opens behave normally except that outgoing bodies
 * go through `tamper` first. The router's own rounds (echoes, blame reports) are left honest.
 * Closing it closes the party's real router.
 */
export function tamperedRouter(party: TestParty, tamper: Tamper): SessionRouter {
  const { router, transport } = party
  return {
    open(sessionId, participants) {
      const session = router.open(sessionId, participants)
      const others = session.participants.filter((p) => p !== session.self)
      // What the cheater broadcast in place of its real message, per round: it stands by it when
      // confirming broadcasts, as a party whose own message is bad would.
      const replaced = new Map<string, Uint8Array>()
      return delegatingSession(session, {
        send(to, round, body) {
          const altered = tamper.send?.({ session: sessionId, round, to, body })
          return session.send(to, round, altered ?? body)
        },
        async broadcast(round, body) {
          const altered = tamper.broadcast?.({ session: sessionId, round, to: others, body })
          if (altered === undefined) return session.broadcast(round, body)
          if (altered instanceof Uint8Array) {
            replaced.set(round, altered)
            return session.broadcast(round, altered)
          }
          for (const p of others) {
            await transport.broadcastTo([p], encodeSessionFrame({ session: sessionId, round, body: altered(p), broadcast: true }))
          }
        },
        confirmBroadcasts(round, received, options) {
          const own = replaced.get(round)
          return session.confirmBroadcasts(round, own ? new Map(received).set(session.self, own) : received, options)
        },
      })
    },
    ...(router.whenConnected ? { whenConnected: router.whenConnected.bind(router) } : {}),
    close: () => router.close(),
  }
}

/** Decodes a protocol body (canonical JSON), lets `edit` change it, and encodes it again. */
export function rewrite(body: Uint8Array, edit: (value: Record<string, unknown>) => void): Uint8Array {
  const value = canonicalParse<Record<string, unknown>>(new TextDecoder().decode(body))
  edit(value)
  return new TextEncoder().encode(canonicalStringify(value))
}

/** A copy of `bytes` with bit 0 of byte `at` flipped. */
export function flipped(bytes: Uint8Array, at = 0): Uint8Array {
  const copy = Uint8Array.from(bytes)
  copy[at]! ^= 1
  return copy
}
