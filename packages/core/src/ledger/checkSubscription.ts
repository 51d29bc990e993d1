import type { ZrError } from '../errors/ZrError.js'
import { type EventFilter, checkEventFilter } from './events.js'
import type { Ledger } from './Ledger.js'
import { checkInt, invalid } from './validate.js'

/** What `subscribe` was given, checked: a frozen filter, `fromSeq` (an integer >= 1) and `onError`. */
export type CheckedSubscription = { readonly filter: EventFilter; readonly fromSeq?: number; readonly onError?: (error: ZrError) => void }

/**
 * Checks the arguments of {@link Ledger | Ledger.subscribe} before a subscription exists, so a ledger refuses a bad
 * one with `INVALID_INPUT` at once instead of failing while it delivers events to every subscriber.
 * Internal to `@zrkit/core`: the embedded ledger, `connectLedger` and `serveLedger` share it.
 *
 * @example
 * ```ts
 * import { checkSubscription } from './checkSubscription.js'
 * checkSubscription({ types: ['keyRequest.fulfilled'] }, () => {}, { fromSeq: 1 }) // { filter, fromSeq: 1 }
 * checkSubscription(null, () => {}) // throws ZrError INVALID_INPUT: 'expected an object with any of types, ..., got null'
 * ```
 */
export function checkSubscription(filter: unknown, listener: unknown, options: unknown): CheckedSubscription {
  const checked = checkEventFilter(filter)
  if (typeof listener !== 'function') throw invalid('listener', 'a function', listener)
  if (options === undefined || options === null) return { filter: checked }
  if (typeof options !== 'object' || Array.isArray(options)) throw invalid('subscribe options', 'an object with fromSeq and onError', options)
  const { fromSeq, onError } = options as Record<string, unknown>
  if (fromSeq !== undefined) checkInt(fromSeq, 'fromSeq', { min: 1 })
  if (onError !== undefined && typeof onError !== 'function') throw invalid('onError', 'a function', onError)
  return {
    filter: checked,
    ...(fromSeq !== undefined ? { fromSeq: fromSeq as number } : {}),
    ...(onError !== undefined ? { onError: onError as (error: ZrError) => void } : {}),
  }
}
