/**
 * GF(2^256) arithmetic for zrkit's KOS15 correlation check (`otExtension.ts`): the field
 * GF(2)[x] / (x^256 + x^10 + x^5 + x^2 + 1), an element being 32 bytes with bit i (byte i >> 3,
 * bit i & 7) the coefficient of x^i.
 *
 * The check needs sums of 752 products `chi_j * q_j` where every chi_j is public (a Fiat-Shamir
 * challenge) and every q_j is secret (an OT-extension row). {@link Gf256SumOfProducts} computes such
 * a sum on 32-bit words without a carry-less multiplication per product: the nibbles of the public
 * factors select buckets into which the secret factors are XORed, and the buckets are multiplied out
 * and reduced once per sum (see the class). Secret data is only ever XORed; bucket indices and loop
 * bounds depend on the public factors or on nothing.
 */
import { ZrError } from '@zrkit/core'

/** Bytes of one GF(2^256) element. */
export const GF256_BYTES = 32

const WORDS = 8
const ROW = WORDS + 1 // v * q for a nibble v spans 256 + 3 bits: 9 words
const SPAN = 2 * WORDS // an unreduced product spans 16 words

function checkElement(b: Uint8Array, offset: number, what: string): void {
  if (!(b instanceof Uint8Array)) throw new ZrError('INVALID_INPUT', `${what}: expected a Uint8Array, got ${typeof b}`)
  if (!Number.isInteger(offset) || offset < 0 || offset + GF256_BYTES > b.length) {
    throw new ZrError('INVALID_INPUT', `${what}: expected ${GF256_BYTES} bytes at offset ${offset}, got ${b.length} bytes in total`)
  }
}

/**
 * Accumulates `sum_j pub_j * sec_j` in GF(2^256), reducing once at the end.
 *
 * Method: split every public factor into its 64 nibbles; nibble position p (bits 4p..4p+3) with
 * value v contributes v * x^(4p) * sec_j. So keep one bucket per (position, value) and XOR sec_j
 * into the bucket its nibble selects (8 word XORs per nibble, nothing else per product). At the end
 * bucket (p, v) is multiplied by v (at most 3 shifts) and by x^(4p), and all are added up. The
 * bucket index comes from the public factor only; secret words are only ever XORed.
 *
 * @example
 * ```ts
 * import { randomBytes } from '@noble/hashes/utils.js'
 * import { Gf256SumOfProducts } from './gf256.js'
 *
 * const acc = new Gf256SumOfProducts()
 * acc.add(randomBytes(32), 0, randomBytes(32), 0) // public factor first, secret factor second
 * const sum = acc.finish() // 32 bytes; the accumulator is empty again
 * ```
 */
export class Gf256SumOfProducts {
  // bucket (p, v), p < 64 nibble positions, v < 16 values: WORDS words at ((p << 4) | v) * WORDS
  readonly #buckets = new Int32Array(64 * 16 * WORDS)

  /** Adds `pub * sec`, both 32-byte elements read at the given offsets. `pub` must be public. */
  add(pub: Uint8Array, pubOffset: number, sec: Uint8Array, secOffset: number): void {
    this.addMany(pub, pubOffset, sec, secOffset, 1)
  }

  /**
   * Adds `sum_{j < count} pub_j * sec_j` where pub_j is the 32-byte element at `pubOffset + 32j` of
   * `pub` and sec_j the one at `secOffset + 32j` of `sec`. Every pub_j must be public.
   */
  addMany(pub: Uint8Array, pubOffset: number, sec: Uint8Array, secOffset: number, count: number): void {
    if (!Number.isInteger(count) || count < 1) throw new ZrError('INVALID_INPUT', `GF(2^256) sum: expected a positive count, got ${count}`)
    checkElement(pub, pubOffset, 'GF(2^256) public factor')
    checkElement(sec, secOffset, 'GF(2^256) secret factor')
    checkElement(pub, pubOffset + GF256_BYTES * (count - 1), 'GF(2^256) public factor')
    checkElement(sec, secOffset + GF256_BYTES * (count - 1), 'GF(2^256) secret factor')
    const pv = new DataView(pub.buffer, pub.byteOffset, pub.byteLength)
    const sv = new DataView(sec.buffer, sec.byteOffset, sec.byteLength)
    const B = this.#buckets
    for (let j = 0; j < count; j++) {
      const so = secOffset + GF256_BYTES * j
      const po = pubOffset + GF256_BYTES * j
      const s0 = sv.getInt32(so, true)
      const s1 = sv.getInt32(so + 4, true)
      const s2 = sv.getInt32(so + 8, true)
      const s3 = sv.getInt32(so + 12, true)
      const s4 = sv.getInt32(so + 16, true)
      const s5 = sv.getInt32(so + 20, true)
      const s6 = sv.getInt32(so + 24, true)
      const s7 = sv.getInt32(so + 28, true)
      for (let w = 0; w < WORDS; w++) {
        const a = pv.getInt32(po + 4 * w, true)
        for (let n = 0; n < 8; n++) {
          const b = ((((w << 3) | n) << 4) | ((a >>> (4 * n)) & 15)) * WORDS
          B[b] = (B[b] as number) ^ s0
          B[b + 1] = (B[b + 1] as number) ^ s1
          B[b + 2] = (B[b + 2] as number) ^ s2
          B[b + 3] = (B[b + 3] as number) ^ s3
          B[b + 4] = (B[b + 4] as number) ^ s4
          B[b + 5] = (B[b + 5] as number) ^ s5
          B[b + 6] = (B[b + 6] as number) ^ s6
          B[b + 7] = (B[b + 7] as number) ^ s7
        }
      }
    }
  }

  /** The reduced sum (32 bytes); clears the accumulator for reuse. */
  finish(): Uint8Array {
    const B = this.#buckets
    const full = new Int32Array(SPAN + 1)
    const plane = new Int32Array(4 * WORDS)
    const part = new Int32Array(ROW)
    for (let p = 0; p < 64; p++) {
      // plane[b] = XOR of the buckets whose value has bit b set: sum_v v * bucket_v = sum_b x^b plane[b]
      plane.fill(0)
      for (let v = 1; v < 16; v++) {
        const o = ((p << 4) | v) * WORDS
        for (let b = 0; b < 4; b++) {
          if (((v >> b) & 1) === 0) continue // public loop structure, the same for every input
          for (let k = 0; k < WORDS; k++) plane[b * WORDS + k] = (plane[b * WORDS + k] as number) ^ (B[o + k] as number)
        }
      }
      // part = sum_b plane[b] << b (9 words)
      for (let k = 0; k < ROW; k++) {
        let v = 0
        for (let b = 0; b < 4; b++) {
          const cur = k < WORDS ? (plane[b * WORDS + k] as number) : 0
          const prev = k > 0 ? (plane[b * WORDS + k - 1] as number) : 0
          v ^= b === 0 ? cur : (cur << b) | (prev >>> (32 - b))
        }
        part[k] = v
      }
      // full += part << (4p)
      const w = p >> 3
      const sh = 4 * (p & 7)
      for (let k = 0; k < ROW; k++) {
        const v = part[k] as number
        full[w + k] = (full[w + k] as number) ^ (sh === 0 ? v : v << sh)
        if (sh !== 0) full[w + k + 1] = (full[w + k + 1] as number) ^ (v >>> (32 - sh))
      }
    }
    B.fill(0)
    plane.fill(0)
    part.fill(0)
    const out = reduceWords(full)
    full.fill(0)
    return out
  }
}

/**
 * Reduces a 512-bit carry-less product (16 little-endian words, word 16 zero) modulo
 * x^256 + x^10 + x^5 + x^2 + 1: the high half h contributes h * (x^10 + x^5 + x^2 + 1), whose
 * top 10 bits fold once more.
 */
function reduceWords(full: Int32Array): Uint8Array {
  const lo = new Int32Array(WORDS)
  for (let k = 0; k < WORDS; k++) {
    const h = full[WORDS + k] as number
    const hp = k > 0 ? (full[WORDS + k - 1] as number) : 0
    // h * (1 + x^2 + x^5 + x^10), word k
    lo[k] = (full[k] as number) ^ h ^ (h << 2) ^ (hp >>> 30) ^ (h << 5) ^ (hp >>> 27) ^ (h << 10) ^ (hp >>> 22)
  }
  const top = full[SPAN - 1] as number
  const carry = (top >>> 30) ^ (top >>> 27) ^ (top >>> 22) // bits 256..265 of h * (1 + x^2 + x^5 + x^10)
  lo[0] = (lo[0] as number) ^ carry ^ (carry << 2) ^ (carry << 5) ^ (carry << 10)
  const out = new Uint8Array(GF256_BYTES)
  for (let k = 0; k < WORDS; k++) {
    const v = lo[k] as number
    out[4 * k] = v & 0xff
    out[4 * k + 1] = (v >>> 8) & 0xff
    out[4 * k + 2] = (v >>> 16) & 0xff
    out[4 * k + 3] = (v >>> 24) & 0xff
  }
  lo.fill(0)
  return out
}

/**
 * The product of two 32-byte GF(2^256) elements. Treats `a` as the public factor (its nibbles
 * select table rows); `b` is only XORed.
 *
 * @example
 * ```ts
 * import { randomBytes } from '@noble/hashes/utils.js'
 * import { gf256Mul } from './gf256.js'
 *
 * const one = new Uint8Array(32)
 * one[0] = 1
 * const a = randomBytes(32)
 * gf256Mul(one, a) // equals a
 * ```
 */
export function gf256Mul(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (!(a instanceof Uint8Array) || a.length !== GF256_BYTES) throw new ZrError('INVALID_INPUT', `GF(2^256) element: expected ${GF256_BYTES} bytes, got ${a instanceof Uint8Array ? a.length : typeof a}`)
  if (!(b instanceof Uint8Array) || b.length !== GF256_BYTES) throw new ZrError('INVALID_INPUT', `GF(2^256) element: expected ${GF256_BYTES} bytes, got ${b instanceof Uint8Array ? b.length : typeof b}`)
  const acc = new Gf256SumOfProducts()
  acc.add(a, 0, b, 0)
  return acc.finish()
}
