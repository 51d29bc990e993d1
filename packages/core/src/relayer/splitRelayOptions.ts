/** The option names every relayer's send methods accept beside the transaction's own fields. */
export const relayOptionKeys = ['timeoutMs', 'signal', 'approvals', 'confirm', 'confirmTimeoutMs', 'stalled', 'onEvent', 'ttlMs', 'metadata', 'idempotencyKey'] as const

/**
 * Splits a relayer method's flat parameters into the transaction intent and the relay options
 * (waiting, confirmation, request ttl and metadata); fields set to `undefined` are dropped.
 *
 * @example
 * ```ts
 * import { splitRelayOptions } from '@zrkit/core/internal'
 * const { intent, options } = splitRelayOptions<{ to: string; value: bigint }, { timeoutMs?: number }>({ to, value: 1n, timeoutMs: 30_000 })
 * // intent: { to, value: 1n }, options: { timeoutMs: 30_000 }
 * ```
 */
export function splitRelayOptions<Intent = Record<string, unknown>, Options = Record<string, unknown>>(params: object | undefined): { intent: Intent; options: Options } {
  const intent: Record<string, unknown> = {}
  const options: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(params ?? {})) {
    if (v === undefined) continue
    if ((relayOptionKeys as readonly string[]).includes(k)) options[k] = v
    else intent[k] = v
  }
  return { intent: intent as Intent, options: options as Options }
}
