import { describeValue } from '../errors/describeValue.js'
import { ZrError } from '../errors/ZrError.js'

/**
 * Puts `value` under `key` in `map` and, when the map then holds more than `limit` entries, drops the oldest
 * (a `Map` keeps insertion order): the one rule of zrkit's bounded caches (addresses, native keys, loaded shares).
 * Returns `value`. A `map` that is not a Map, or a `limit` that is not an integer >= 1, is `INVALID_INPUT`.
 *
 * @example
 * ```ts
 * import { remember } from '@zrkit/core/internal'
 * const seen = new Map<string, number>()
 * const n = seen.get('a') ?? remember(seen, 'a', 1, 1024)
 * ```
 */
export function remember<K, V>(map: Map<K, V>, key: K, value: V, limit: number): V {
  if (!(map instanceof Map)) throw new ZrError('INVALID_INPUT', 'Cannot remember in this value.', { details: `expected a Map, got ${describeValue(map)}` })
  if (!Number.isSafeInteger(limit) || limit < 1) throw new ZrError('INVALID_INPUT', 'Invalid cache limit.', { details: `expected an integer >= 1, got ${describeValue(limit)}` })
  map.set(key, value)
  if (map.size > limit) map.delete(map.keys().next().value as K)
  return value
}
