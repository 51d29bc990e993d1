import type { RelayOptions } from './createRelayer.js'

/**
 * What goes into the signature request of a relay, beside its payloads: the same on every chain.
 *
 * @example
 * ```ts
 * import type { RelayRequestOptions } from '@zrkit/core'
 * const options: RelayRequestOptions = { ttlMs: 10 * 60_000, metadata: { invoice: '2026-117' } }
 * await evm.submit({ to, value: 1n, ...options })
 * ```
 */
export type RelayRequestOptions = {
  /** Time the keyring has once the request is pending. */
  ttlMs?: number
  /** Extra metadata for the signature request (keys starting with `zrkit.` are reserved). */
  metadata?: Readonly<Record<string, string>>
  /**
   * Makes the send safe to retry: a second send with the same key (on this journal, after a restart too)
   * returns the relay the first one made, and never prepares, requests or pays for a second
   * transaction. The same key asked for another transaction is `IDEMPOTENCY_CONFLICT`. 1-128 printable
   * ASCII characters, e.g. an order id.
   */
  idempotencyKey?: string
}

/**
 * The options every relayer's send methods take beside the transaction's own fields: how the relay
 * waits ({@link RelayOptions}: `timeoutMs`, `signal`, `approvals`, `confirm`, `confirmTimeoutMs`,
 * `onEvent`) and what goes into its request ({@link RelayRequestOptions}: `ttlMs`, `metadata`).
 * `timeoutMs: 0` and `confirmTimeoutMs: 0` mean wait for ever, on every chain.
 *
 * @example
 * ```ts
 * import type { RelaySendOptions } from '@zrkit/core'
 * const options: RelaySendOptions = { timeoutMs: 10 * 60_000, confirmTimeoutMs: 0, metadata: { invoice: '2026-117' } }
 * const { txid, receipt } = await solana.transfer({ to, lamports: 1_000_000n, ...options })
 * ```
 */
export type RelaySendOptions = RelayOptions & RelayRequestOptions
