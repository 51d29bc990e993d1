import { ZrError, isZrError } from '../errors/ZrError.js'
import { sleep } from './sleep.js'

/** Options of {@link pollUntil}. */
export type PollUntilOptions = {
  /** What is awaited, for the error messages: `transaction 0xabc...` gives "Timed out waiting for transaction 0xabc...". */
  what: string
  /** Time between two checks, in ms. */
  intervalMs: number
  /**
   * Give up after this many ms with a `TIMEOUT` error. `0` means never: zrkit's one meaning of
   * `timeoutMs: 0` (the same as the ledger waits' and the relay options'). Absent: never as well;
   * callers that have a default pass it.
   */
  timeoutMs?: number
  /** Give up when aborted, with an `ABORTED` error whose `cause` is the signal's reason. */
  signal?: AbortSignal
  /** More about the timeout for its `details` (e.g. what the network last said), after "waited N ms". */
  timeoutDetails?: () => string
  /** Facts for the `TIMEOUT` and `ABORTED` errors' `context` (e.g. `{ txid }`), or a function that gives them when the error is made. */
  context?: Record<string, unknown> | (() => Record<string, unknown>)
}

/**
 * Calls `check` until it returns something other than `undefined`, and resolves with that. Between
 * checks it sleeps `intervalMs` (never past the deadline, and there is always one last check at the
 * deadline). It rejects with `TIMEOUT` once `timeoutMs` have passed (never when `timeoutMs` is 0 or
 * absent), with `ABORTED` when the signal fires (checked before every check and during every sleep), and
 * with whatever `check` throws. Every confirmation loop of zrkit's relayers is this function.
 *
 * @example
 * ```ts
 * import { pollUntil } from '@zrkit/core'
 *
 * const receipt = await pollUntil(async () => (await node.getTx(txid)) ?? undefined, {
 *   what: `transaction ${txid}`,
 *   intervalMs: 1_000,
 *   timeoutMs: 120_000, // 0: wait for ever
 *   signal,
 *   context: { txid },
 * })
 * ```
 */
export async function pollUntil<T>(check: () => T | undefined | Promise<T | undefined>, options: PollUntilOptions): Promise<T> {
  const bad = (field: string, expected: string, got: unknown) => new ZrError('INVALID_INPUT', 'Invalid pollUntil options.', { details: `${field}: expected ${expected}, got ${String(got)}` })
  if (typeof check !== 'function') throw bad('check', 'a function', typeof check)
  if (!options || typeof options !== 'object') throw bad('options', 'an object { what, intervalMs, timeoutMs?, signal? }', options)
  const { what, intervalMs, timeoutMs = 0, signal, timeoutDetails } = options
  const metaOf = () => (typeof options.context === 'function' ? options.context() : options.context)
  if (typeof intervalMs !== 'number' || !(intervalMs >= 0 && intervalMs <= 2_147_483_647)) throw bad('intervalMs', 'a finite number of ms from 0 to 2147483647', intervalMs)
  if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0) || timeoutMs === Number.POSITIVE_INFINITY) throw bad('timeoutMs', 'a finite number of ms >= 0 (0: never)', timeoutMs)
  const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Number.POSITIVE_INFINITY
  const aborted = () => new ZrError('ABORTED', `Stopped waiting for ${what}.`, { details: 'the AbortSignal fired', context: metaOf(), cause: signal?.reason })
  for (;;) {
    if (signal?.aborted) throw aborted()
    const value = await check()
    if (value !== undefined) return value
    const now = Date.now()
    if (now >= deadline) {
      const more = timeoutDetails?.()
      throw new ZrError('TIMEOUT', `Timed out waiting for ${what}.`, { details: `waited ${timeoutMs} ms${more ? ` ${more}` : ''}`, context: metaOf() })
    }
    try {
      await sleep(Math.min(intervalMs, deadline - now), signal)
    } catch (e) {
      if (isZrError(e, 'ABORTED')) throw aborted()
      throw e
    }
  }
}
