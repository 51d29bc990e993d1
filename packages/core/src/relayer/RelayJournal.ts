import type { DerivationSegment } from '../derivation/derivationPath.js'
import { ZrError } from '../errors/ZrError.js'

/**
 * Where a relay stands. `prepared` -> `requested` -> `signed` -> `broadcast` -> `confirmed`, or
 * `rejected` (the signature request was rejected or expired: nothing was signed) or `abandoned` (the
 * transaction was prepared but its signature request never reached the ledger before a restart), or,
 * once signed, `expired` (the network dropped it and it can never land: e.g. a Solana blockhash that
 * expired, or an EVM transaction the node no longer has and refuses to take again; `TX_EXPIRED`) or
 * `replaced` (another transaction of the account used its nonce or spent its inputs; `TX_REPLACED`) or
 * `reverted` (it landed and paid its fee, but its execution failed: an EVM revert, a Solana instruction
 * error, a Cosmos code other than 0; `TX_FAILED`). The list is append-only.
 */
export type RelayStatus = 'prepared' | 'requested' | 'signed' | 'broadcast' | 'confirmed' | 'rejected' | 'abandoned' | 'expired' | 'reverted' | 'replaced'

/**
 * Statuses after which a relay has nothing left to do.
 *
 * @example
 * ```ts
 * import { finalRelayStatuses } from '@zrkit/core'
 * const open = (await journal.list()).filter((r) => !finalRelayStatuses.includes(r.status))
 * ```
 */
export const finalRelayStatuses: readonly RelayStatus[] = Object.freeze(['confirmed', 'rejected', 'abandoned', 'expired', 'reverted', 'replaced'] as const)

/**
 * One relay, as the journal keeps it. Written before the signature request is submitted and after every
 * step, so a relayer that restarts knows exactly which transaction belongs to which request.
 */
export type RelayRecord = {
  /** Random id (32 hex digits); also in the signature request's metadata as `zrkit.relay`. */
  readonly id: string
  /** The adapter's network, e.g. `eip155:1`. */
  readonly chain: string
  /** The ledger the request lives on. */
  readonly ledgerChainId: string
  readonly keyId: number
  readonly path?: readonly DerivationSegment[]
  /** The unsigned transaction, in the adapter's text form. Never changes once written. */
  readonly unsignedTx: string
  /** What the key signs for it. */
  readonly payloads: readonly Uint8Array[]
  /** Set when the request signs for the key's taproot output key. */
  readonly taproot?: { readonly merkleRoot?: Uint8Array }
  /** The adapter's short facts about the transaction (`from`, `nonce`...). */
  readonly summary: Readonly<Record<string, string>>
  /** Set on a replacement (a speed-up or a cancel, see `Relayer.replace`): the relay whose transaction it takes the place of. */
  readonly replaces?: { readonly relayId: string; readonly txid: string; readonly mode: 'speed-up' | 'cancel' }
  /** What the transaction uses up (its nonce, its inputs), as the adapter named it; also in the request's metadata. */
  readonly claims?: readonly string[]
  readonly status: RelayStatus
  /**
   * How the signatures were asked for: `'transaction'`, a sign-transaction request the ledger decoded and
   * the policy judged; `'payloads'`, the payloads alone, opaque to policies. Set once submitted.
   */
  readonly requestKind?: 'transaction' | 'payloads'
  /** The signature request, once submitted. */
  readonly requestId?: number
  /** The approval action, when the sign policy needed more than the requester. */
  readonly actionId?: number
  /** Sequence number of the ledger event that created the request: progress events replay from there. */
  readonly ledgerSeq?: number
  /** Set from `signed` on. */
  readonly signedTx?: string
  /** Set from `signed` on. */
  readonly txid?: string
  /**
   * Set when the relay was submitted with an idempotency key: the key, and a hash of what was asked
   * (key, path, intent, ttl, metadata), so the same key asked for something else is refused.
   */
  readonly idempotency?: { readonly key: string; readonly requestHash: string }
  /** Why it was rejected, abandoned, expired or reverted. */
  readonly reason?: string
  /** Wall-clock ms. */
  readonly createdAt: number
  readonly updatedAt: number
}

/**
 * Durable storage for relay records: the relayer's memory across restarts. `put` resolves only once the
 * record would survive a crash. One journal belongs to one relayer process at a time (`fileRelayJournal`
 * enforces it with a lock on its directory).
 *
 * Why a journal next to the ledger, and not the transaction in the request's metadata: the ledger holds
 * the signature request (with its payloads and, once fulfilled, its signatures) but it is public and its
 * metadata is small (32 entries of 1 KiB), while an unsigned transaction can be large (contract
 * deployments reach tens of KiB) and may be private (the seeds' private transactions, where no detail is
 * disclosed to the ledger). So the unsigned transaction stays with its relayer, bound to the request by a
 * random relay id in the metadata and by its payloads, which must equal the request's; and the journal
 * also records what the ledger cannot know: whether the signed transaction was broadcast.
 *
 * @example
 * ```ts
 * import { createRelayer, memoryRelayJournal } from '@zrkit/core'
 * import { fileRelayJournal } from '@zrkit/core/node'
 *
 * const journal = process.env.RELAY_DIR ? fileRelayJournal(process.env.RELAY_DIR) : memoryRelayJournal()
 * const relayer = createRelayer({ client, adapter, journal })
 * ```
 */
export type RelayJournal = {
  get(id: string): Promise<RelayRecord | undefined>
  /** Writes the record (replacing the one with its id); durable once resolved. */
  put(record: RelayRecord): Promise<void>
  /** Every record, in no particular order. */
  list(): Promise<RelayRecord[]>
}

/** Relay ids are 32 lower-case hex digits: safe as file names everywhere. */
export function checkRelayId(id: unknown): string {
  if (typeof id !== 'string' || !/^[0-9a-f]{32}$/.test(id)) {
    throw new ZrError('INVALID_INPUT', 'Invalid relay id.', { details: `expected 32 lower-case hex digits, got ${typeof id === 'string' ? JSON.stringify(id.slice(0, 80)) : typeof id}` })
  }
  return id
}
