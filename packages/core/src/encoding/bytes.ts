import { hex } from '@scure/base'
import { describeValue } from '../errors/describeValue.js'
import { ZrError } from '../errors/ZrError.js'

function notBytes(what: string, got: unknown): ZrError {
  return new ZrError('INVALID_INPUT', `Invalid ${what}.`, { details: `expected bytes (a Uint8Array), got ${describeValue(got)}` })
}

/**
 * Lower-case hex of bytes, no prefix. Throws `INVALID_INPUT` for anything but a Uint8Array.
 *
 * @example
 * ```ts
 * import { toHex } from '@zrkit/core'
 * toHex(new Uint8Array([1, 255])) // '01ff'
 * ```
 */
export function toHex(bytes: Uint8Array): string {
  if (!(bytes instanceof Uint8Array)) throw notBytes('bytes', bytes)
  // a table of the 256 byte pairs: about ten times faster than a general-purpose encoder, and hex is on every
  // hot path (canonical JSON of records and messages, hashes)
  let out = ''
  for (let i = 0; i < bytes.length; i++) out += hexPairs[bytes[i]!]
  return out
}
const hexPairs = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

/**
 * Bytes from hex (with or without `0x`), or the same bytes when given a Uint8Array.
 * Throws `INVALID_INPUT` naming `what` for anything else.
 *
 * @example
 * ```ts
 * import { toBytes } from '@zrkit/core'
 * toBytes('0x01ff') // Uint8Array [1, 255]
 * ```
 */
export function toBytes(value: Uint8Array | string, what = 'value'): Uint8Array {
  if (value instanceof Uint8Array) return value
  if (typeof what !== 'string') what = 'value'
  if (typeof value !== 'string') {
    throw new ZrError('INVALID_INPUT', `Invalid ${what}.`, { details: `expected bytes or a hex string, got ${value === null ? 'null' : typeof value}` })
  }
  const s = value.startsWith('0x') || value.startsWith('0X') ? value.slice(2) : value
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) {
    throw new ZrError('INVALID_INPUT', `Invalid ${what}.`, { details: `expected an even-length hex string, got "${value.length > 40 ? `${value.slice(0, 40)}...` : value}"` })
  }
  return hex.decode(s.toLowerCase())
}

/**
 * Constant-shape equality of two byte arrays. Throws `INVALID_INPUT` unless both are Uint8Arrays.
 *
 * @example
 * ```ts
 * import { equalBytes } from '@zrkit/core/internal'
 * equalBytes(a, b) // true when same length and content
 * ```
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (!(a instanceof Uint8Array)) throw notBytes('first byte array', a)
  if (!(b instanceof Uint8Array)) throw notBytes('second byte array', b)
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

/**
 * Concatenates byte arrays. Throws `INVALID_INPUT` naming the first part that is not a Uint8Array.
 *
 * @example
 * ```ts
 * import { concatBytes } from '@zrkit/core/internal'
 * concatBytes(new Uint8Array([1]), new Uint8Array([2])) // Uint8Array [1, 2]
 * ```
 */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  parts.forEach((p, i) => {
    if (!(p instanceof Uint8Array)) throw notBytes(`part ${i}`, p)
  })
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** UTF-8 bytes of a string. */
export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s)
}
