import { ZrError } from '../errors/ZrError.js'

/** The longest time a timer can wait: 2^31 - 1 ms. */
const MAX_SLEEP_MS = 2_147_483_647

/**
 * Waits `ms` milliseconds. With a `signal`, an abort ends the wait at once: the promise rejects with a
 * `ZrError` of code `ABORTED` whose `cause` is the signal's reason (also when the signal was already
 * aborted before the call). This is zrkit's one abort rule for waits: a wait that is cut short always
 * rejects, so a caller never mistakes an abort for the time having passed. Nothing is left behind: the
 * timer and the abort listener are removed either way.
 *
 * @example
 * ```ts
 * import { isZrError, sleep } from '@zrkit/core'
 *
 * const controller = new AbortController()
 * setTimeout(() => controller.abort(), 100)
 * try {
 *   await sleep(60_000, controller.signal)
 * } catch (e) {
 *   if (!isZrError(e, 'ABORTED')) throw e // after ~100 ms
 * }
 * ```
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  // Timers take at most 2^31 - 1 ms (about 24.8 days); a longer one would fire at once.
  if (typeof ms !== 'number' || !(ms >= 0 && ms <= MAX_SLEEP_MS)) {
    return Promise.reject(new ZrError('INVALID_INPUT', 'Invalid sleep time.', { details: `expected a finite number of ms from 0 to ${MAX_SLEEP_MS}, got ${String(ms)}` }))
  }
  return new Promise<void>((resolve, reject) => {
    const aborted = () => new ZrError('ABORTED', 'Stopped waiting.', { details: 'the AbortSignal fired', cause: signal?.reason })
    if (signal?.aborted) return reject(aborted())
    const onAbort = () => {
      clearTimeout(timer)
      reject(aborted())
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
