/**
 * GF(2^256) arithmetic for zrkit's KOS15 correlation check (`otExtension.ts`): the field
 * GF(2)[x] / (x^256 + x^10 + x^5 + x^2 + 1), an element being 32 bytes with bit i (byte i >> 3,
 * bit i & 7) the coefficient of x^i.
 *
 * The check needs sums of 752 products `chi_j * q_j` where every chi_j is public (a Fiat-Shamir
 * challenge) and every q_j is secret (an OT-extension row). {@link Gf256SumOfProducts} computes such
 * a sum with carry-less multiplication on 32-bit words, 4 bits of the public factor at a time: per
 * product it builds the 16 multiples `k * q_j` (k < 16, fixed work, no branches on q_j), then adds
 * `table[nibble of chi_j]` into one of eight unreduced accumulators (one per nibble position inside a
 * 32-bit word, so that no shifting happens per product). Secret data is only ever XORed; table
 * indices and loop bounds depend on the public factor or on nothing. The accumulators are combined
 * and reduced once per sum.
 */
import { ZrError } from '@zrkit/core'

/** Bytes of one GF(2^256) element. */
export const GF256_BYTES = 32

const WORDS = 8
const ROW = WORDS + 1 // a multiple k * q (k < 16) spans 256 + 3 bits: 9 words
const SPAN = 2 * WORDS // an unreduced product spans 16 words

const readWord = (b: Uint8Array, o: number): number =>
  ((b[o] as number) | ((b[o + 1] as number) << 8) | ((b[o + 2] as number) << 16) | ((b[o + 3] as number) << 24)) >>> 0

function checkElement(b: Uint8Array, offset: number, what: string): void {
  if (!(b instanceof Uint8Array)) throw new ZrError('INVALID_INPUT', `${what}: expected a Uint8Array, got ${typeof b}`)
  if (!Number.isInteger(offset) || offset < 0 || offset + GF256_BYTES > b.length) {
    throw new ZrError('INVALID_INPUT', `${what}: expected ${GF256_BYTES} bytes at offset ${offset}, got ${b.length} bytes in total`)
  }
}

/**
 * Accumulates `sum_j pub_j * sec_j` in GF(2^256), reducing once at the end.
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
  // acc[s * SPAN + w]: word w of the sum of the products whose public nibble sits at bits 4s..4s+3 of its word
  readonly #acc = new Int32Array(8 * SPAN)
  readonly #table = new Int32Array(16 * ROW)
  readonly #sec = new Int32Array(WORDS)

  /** Adds `pub * sec`, both 32-byte elements read at the given offsets. `pub` must be public. */
  add(pub: Uint8Array, pubOffset: number, sec: Uint8Array, secOffset: number): void {
    checkElement(pub, pubOffset, 'GF(2^256) public factor')
    checkElement(sec, secOffset, 'GF(2^256) secret factor')
    const s = this.#sec
    for (let k = 0; k < WORDS; k++) s[k] = readWord(sec, secOffset + 4 * k)
    this.#addWords(pub, pubOffset)
    s.fill(0)
  }

  #addWords(pub: Uint8Array, pubOffset: number): void {
    const T = this.#table
    const s = this.#sec
    // T[k] = k * sec for k in {1, 2, 4, 8} by shifting, the others by XOR; T[0] stays zero.
    for (let t = 0; t < ROW; t++) {
      const cur = t < WORDS ? (s[t] as number) : 0
      const prev = t > 0 ? (s[t - 1] as number) : 0
      T[ROW + t] = cur
      T[2 * ROW + t] = (cur << 1) | (prev >>> 31)
      T[4 * ROW + t] = (cur << 2) | (prev >>> 30)
      T[8 * ROW + t] = (cur << 3) | (prev >>> 29)
    }
    for (let hi = 2; hi <= 8; hi <<= 1) {
      for (let lo = 1; lo < hi; lo++) {
        const d = (hi + lo) * ROW
        const a = hi * ROW
        const b = lo * ROW
        for (let t = 0; t < ROW; t++) T[d + t] = (T[a + t] as number) ^ (T[b + t] as number)
      }
    }
    const acc = this.#acc
    for (let w = 0; w < WORDS; w++) {
      const a = readWord(pub, pubOffset + 4 * w)
      for (let n = 0; n < 8; n++) {
        const src = ((a >>> (4 * n)) & 15) * ROW
        const dst = n * SPAN + w
        for (let t = 0; t < ROW; t++) acc[dst + t] = (acc[dst + t] as number) ^ (T[src + t] as number)
      }
    }
    T.fill(0)
  }

  /** The reduced sum (32 bytes); clears the accumulator for reuse. */
  finish(): Uint8Array {
    const acc = this.#acc
    // Combine: full = sum_n acc_n << 4n (16 words; the degree is at most 510).
    const full = new Int32Array(SPAN + 1)
    for (let n = 0; n < 8; n++) {
      const sh = 4 * n
      const base = n * SPAN
      for (let w = 0; w < SPAN; w++) {
        const v = acc[base + w] as number
        full[w] = (full[w] as number) ^ (sh === 0 ? v : v << sh)
        if (sh !== 0) full[w + 1] = (full[w + 1] as number) ^ (v >>> (32 - sh))
      }
    }
    acc.fill(0)
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
