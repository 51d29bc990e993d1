/**
 * 4-byte little-endian of a number in 0..2^32-1 (Bitcoin's versions, indices, sequences, locktimes).
 *
 * @example
 * ```ts
 * import { u32le } from './littleEndian.js'
 * u32le(1) // 01000000
 * ```
 */
export function u32le(n: number): Uint8Array {
  const out = new Uint8Array(4)
  new DataView(out.buffer).setUint32(0, n, true)
  return out
}

/**
 * 8-byte little-endian of an amount in 0..2^64-1.
 *
 * @example
 * ```ts
 * import { u64le } from './littleEndian.js'
 * u64le(1n) // 0100000000000000
 * ```
 */
export function u64le(v: bigint): Uint8Array {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigUint64(0, v, true)
  return out
}

/**
 * The shortest CompactSize of a length (below 2^32).
 *
 * @example
 * ```ts
 * import { compactSizeBytes } from './littleEndian.js'
 * compactSizeBytes(252) // fc
 * compactSizeBytes(253) // fdfd00
 * ```
 */
export function compactSizeBytes(n: number): Uint8Array {
  if (n < 0xfd) return Uint8Array.of(n)
  if (n <= 0xffff) return Uint8Array.of(0xfd, n & 0xff, n >>> 8)
  const out = new Uint8Array(5)
  out[0] = 0xfe
  new DataView(out.buffer).setUint32(1, n, true)
  return out
}
