/**
 * Little-endian integers in instruction data (System program: bincode; SPL Token and Compute Budget:
 * borsh-like). The caller checks the length first.
 *
 * @example
 * ```ts
 * import { readU32LE, readU64LE } from './littleEndian.js'
 * readU32LE(new Uint8Array([2, 0, 0, 0]), 0)               // 2
 * readU64LE(new Uint8Array([0, 1, 0, 0, 0, 0, 0, 0, 0]), 1) // 1n
 * ```
 */
export function readU32LE(data: Uint8Array, offset: number): number {
  return new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(offset, true)
}

/** An unsigned 64-bit little-endian integer, as a bigint. */
export function readU64LE(data: Uint8Array, offset: number): bigint {
  return new DataView(data.buffer, data.byteOffset, data.byteLength).getBigUint64(offset, true)
}
