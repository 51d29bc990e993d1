/**
 * Bit-matrix transposition for zrkit's KOS15 OT extension (`otExtension.ts`): the kappa = 256
 * PRG columns of `OT_EXTENDED` bits become `OT_EXTENDED` rows of 256 bits.
 *
 * Bit order everywhere: bit i of a byte string is bit `i & 7` of byte `i >> 3`. Column c is
 * `columnBytes` bytes at offset `c * columnBytes`; row r is 32 bytes at offset `r * 32` of the output,
 * with bit c of row r equal to bit r of column c.
 *
 * The work is done on 32 x 32 bit blocks of 32-bit words with the classic five-step swap of
 * off-diagonal sub-blocks (16, 8, 4, 2, 1 bits), so every bit costs a handful of word operations
 * instead of one branch; the operation sequence depends only on the sizes, never on the bits.
 */
import { ZrError } from '@zrkit/core'

const MASKS = [0x0000ffff, 0x00ff00ff, 0x0f0f0f0f, 0x33333333, 0x55555555] as const

/** Transposes the 32 x 32 bit block m in place (m[i] bit j <-> m[j] bit i). */
function transpose32(m: Int32Array): void {
  for (let step = 0, j = 16; j > 0; step++, j >>= 1) {
    const mask = MASKS[step] as number
    for (let k = 0; k < 32; k = (k + j + 1) & ~j) {
      const a = m[k] as number
      const b = m[k + j] as number
      const t = ((a >>> j) ^ b) & mask
      m[k + j] = b ^ t
      m[k] = a ^ (t << j)
    }
  }
}

/**
 * Transposes `columns` (kappa columns of `rows` bits each, `columnBytes` bytes per column) into
 * `rows` rows of kappa bits (kappa / 8 bytes per row).
 *
 * @example
 * ```ts
 * import { randomBytes } from '@noble/hashes/utils.js'
 * import { transposeBits } from './transpose.js'
 *
 * // 256 columns of 752 bits (94 bytes each) -> 752 rows of 32 bytes
 * const rows = transposeBits(randomBytes(256 * 94), 256, 752)
 * ```
 */
export function transposeBits(columns: Uint8Array, kappa: number, rows: number): Uint8Array {
  if (!Number.isInteger(kappa) || kappa <= 0 || kappa % 32 !== 0) throw new ZrError('INVALID_INPUT', `transpose: column count must be a positive multiple of 32, got ${kappa}`)
  if (!Number.isInteger(rows) || rows <= 0 || rows % 8 !== 0) throw new ZrError('INVALID_INPUT', `transpose: row count must be a positive multiple of 8, got ${rows}`)
  const columnBytes = rows / 8
  if (!(columns instanceof Uint8Array) || columns.length !== kappa * columnBytes) {
    throw new ZrError('INVALID_INPUT', `transpose: expected ${kappa * columnBytes} column bytes, got ${columns instanceof Uint8Array ? columns.length : typeof columns}`)
  }
  const rowBytes = kappa / 8
  const out = new Uint8Array(rows * rowBytes)
  const block = new Int32Array(32)
  const rowBlocks = Math.ceil(rows / 32)
  for (let cb = 0; cb < kappa / 32; cb++) {
    for (let rb = 0; rb < rowBlocks; rb++) {
      // block[m] = bits 32rb..32rb+31 of column 32cb+m
      for (let m = 0; m < 32; m++) {
        const base = (32 * cb + m) * columnBytes + 4 * rb
        let v = 0
        for (let k = 0; k < 4; k++) if (4 * rb + k < columnBytes) v |= (columns[base + k] as number) << (8 * k)
        block[m] = v
      }
      transpose32(block)
      // block[r] = bits 32cb..32cb+31 of row 32rb+r
      for (let r = 0; r < 32; r++) {
        const row = 32 * rb + r
        if (row >= rows) break
        const v = block[r] as number
        const o = row * rowBytes + 4 * cb
        out[o] = v & 0xff
        out[o + 1] = (v >>> 8) & 0xff
        out[o + 2] = (v >>> 16) & 0xff
        out[o + 3] = (v >>> 24) & 0xff
      }
    }
  }
  block.fill(0)
  return out
}
