/**
 * A short, safe description of any value for the "got ..." half of error details ("expected 32-byte
 * digest, got 31 bytes"): never throws, whatever it is given (symbols, cyclic objects, objects without a
 * prototype, huge strings). zrkit's own checks use it; so can keyring backends and relayers.
 *
 * @example
 * ```ts
 * import { ZrError, describeValue } from '@zrkit/core'
 * describeValue(new Uint8Array(31)) // '31 bytes'
 * describeValue(null)               // 'null'
 * describeValue(5)                  // 'number 5'
 * throw new ZrError('INVALID_INPUT', 'Invalid digest.', { details: `expected 32 bytes, got ${describeValue(digest)}` })
 * ```
 */
export function describeValue(v: unknown): string {
  if (v === null) return 'null'
  if (v === undefined) return 'undefined'
  if (v instanceof Uint8Array) return `${v.length} bytes`
  if (Array.isArray(v)) return `an array of ${v.length}`
  switch (typeof v) {
    case 'string':
      return `"${v.length > 48 ? `${v.slice(0, 48)}...` : v}"`
    case 'bigint':
      return `${v}n`
    case 'number':
    case 'boolean':
      return `${typeof v} ${String(v)}`
    case 'symbol':
      return 'a symbol'
    case 'function':
      return 'a function'
    default:
      return v instanceof Map ? 'a Map' : 'an object'
  }
}
