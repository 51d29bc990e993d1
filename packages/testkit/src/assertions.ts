/**
 * Assertion helpers the test files of every package share. They never import a test runner: a failed check
 * throws a plain `Error`, which fails a test in any runner.
 */
import { type ZrError, type ZrErrorCode, isZrError } from '@zrkit/core'

/**
 * Resolves after `ms` milliseconds of real time.
 *
 * @example
 * ```ts
 * import { sleep } from '@zrkit/testkit'
 * await sleep(50)
 * ```
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Resolves on the next turn of the event loop (after pending I/O callbacks). */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/** Options of {@link until}. */
export type UntilOptions = {
  /** How long to wait before failing, in ms (default 10 000). */
  readonly timeoutMs?: number
  /** The pause between checks once the first quick checks failed, in ms (default 5). */
  readonly intervalMs?: number
}

/** Checks made on the next turn of the event loop before {@link until} starts pausing between checks. */
const QUICK_CHECKS = 20

/**
 * Waits until `condition` holds, checking it at once, then on the next turns of the event loop, then every
 * `intervalMs`; fails (never hangs) after `timeoutMs` with `timed out waiting for <what>`.
 *
 * @example
 * ```ts
 * import { until } from '@zrkit/testkit'
 * await until(() => inbox.length === 1, 'the message to arrive')
 * await until(async () => (await client.getKeyRequest({ id })).responses.length === 1, 'a response', { timeoutMs: 5_000 })
 * ```
 */
export async function until(condition: () => boolean | Promise<boolean>, what = 'a condition', options: UntilOptions = {}): Promise<void> {
  const end = Date.now() + (options.timeoutMs ?? 10_000)
  for (let checks = 0; !(await condition()); checks++) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await (checks < QUICK_CHECKS ? tick() : sleep(options.intervalMs ?? 5))
  }
}

/**
 * The ZrError `promise` rejects with. Fails when it resolves, and rethrows anything that is not a ZrError.
 *
 * @example
 * ```ts
 * import { rejection } from '@zrkit/testkit'
 * const error = await rejection(client.waitForSignRequest({ requestId, timeoutMs: 1_000 }))
 * expect(error.code).toBe('REQUEST_REJECTED')
 * ```
 */
export async function rejection(promise: Promise<unknown>): Promise<ZrError> {
  let error: unknown
  try {
    await promise
  } catch (e) {
    error = e
  }
  if (error === undefined) throw new Error('expected a rejection, but it resolved')
  if (!isZrError(error)) throw error
  return error
}

/**
 * The ZrError `promise` rejects with, checked to have `code` and, when given, details that match `details`
 * (a fragment they contain, or a pattern).
 *
 * @example
 * ```ts
 * import { expectZrError } from '@zrkit/testkit'
 * const error = await expectZrError(relayer.send({ to, amount: -1n }), 'INVALID_INPUT', /amount/)
 * ```
 */
export async function expectZrError(promise: Promise<unknown>, code: ZrErrorCode, details?: string | RegExp): Promise<ZrError> {
  const error = await rejection(promise)
  if (error.code !== code) throw new Error(`expected a ZrError ${code}, got ${error.code}: ${error.message}`, { cause: error })
  if (details !== undefined) {
    const text = error.details ?? ''
    const ok = typeof details === 'string' ? text.includes(details) : details.test(text)
    if (!ok) throw new Error(`expected the details of ${code} to match ${String(details)}, got ${JSON.stringify(error.details)}`, { cause: error })
  }
  return error
}

/**
 * The ZrError with `code` that `fn` throws at once; fails, naming what happened instead, when it throws
 * anything else or returns.
 *
 * @example
 * ```ts
 * import { thrownZrError } from '@zrkit/testkit'
 * const e = thrownZrError(() => decoder.decode(input), 'INVALID_TRANSACTION')
 * e.details // 'expected ..., got ...'
 * ```
 */
export function thrownZrError<C extends ZrErrorCode>(fn: () => unknown, code: C): ZrError<C> {
  try {
    fn()
  } catch (e) {
    if (isZrError(e, code)) return e
    throw new Error(`expected a ZrError ${code}, got ${isZrError(e) ? `${e.code}: ${e.message}` : String(e)}`, { cause: e })
  }
  throw new Error(`expected a ZrError ${code}, but nothing was thrown`)
}
