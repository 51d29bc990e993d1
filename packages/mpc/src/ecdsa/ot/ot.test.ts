/**
 * zrkit's OT layer for DKLs23: transcript binding, VSOT base OTs, KOS15 extension with its
 * consistency check, and the burn-on-failure rule.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { randomBytes, utf8ToBytes } from '@noble/hashes/utils.js'
import { isZrError } from '@zrkit/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type BaseOtContext,
  type BaseOtReceiverOutput,
  type BaseOtSenderOutput,
  BaseOtReceiver,
  BaseOtSender,
  KAPPA,
  getBit,
  randomScalar,
} from './baseOt.js'
import {
  COL_BYTES,
  OT_BATCH,
  OT_EXTENDED,
  OtExtensionReceiver,
  OtExtensionSender,
  _kosHashes,
  gf256Mul,
  inconsistentReceiverMessage,
  rerunBaseOtContext,
} from './otExtension.js'
import { Gf256SumOfProducts } from './gf256.js'
import { Sha512Hasher } from './sha512Hasher.js'
import { nativeSha512, nativeSha512Stream } from '@zrkit/core/internal'
import { CURVE_ORDER, Transcript, bytesToBigInt, parsePoint, parseScalar, scalarToBytes, wideReduce, writeScalar } from './transcript.js'
import { transposeBits } from './transpose.js'

const G = secp256k1.Point.BASE
const flip = (b: Uint8Array, i: number, mask: number) => {
  b[i] = (b[i] as number) ^ mask
}
const eq = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i])
const ctx = (senderId = 'alice', receiverId = 'bob'): BaseOtContext => ({ sessionId: randomBytes(32), senderId, receiverId })

function runBaseOt(c: BaseOtContext, choice?: Uint8Array): { s: BaseOtSenderOutput; r: BaseOtReceiverOutput } {
  const sender = new BaseOtSender(c)
  const receiver = new BaseOtReceiver(c, choice)
  const m1 = sender.round1()
  const m2 = receiver.round1(m1)
  const m3 = sender.round2(m2)
  const m4 = receiver.round2(m3)
  const { message: m5, output: s } = sender.round3(m4)
  const r = receiver.round3(m5)
  return { s, r }
}

function expectAbort(fn: () => unknown, party?: string): void {
  try {
    fn()
  } catch (e) {
    expect(isZrError(e, 'MPC_ABORT'), String(e)).toBe(true)
    if (party !== undefined) expect((e as { meta: Record<string, unknown> }).meta.party).toBe(party)
    return
  }
  throw new Error('expected MPC_ABORT')
}

describe('transcript', () => {
  const base = () => new Transcript('test/v1').sessionId(Uint8Array.of(1, 2, 3)).partyId('sender', 'p1').partyId('receiver', 'p2')
  const P = G.multiply(7n)

  it('is deterministic and sensitive to every value, label, order and boundary', () => {
    const ref = base().point('B', P).scalar('z', 5n).bytes('m', Uint8Array.of(1, 2)).challengeScalar('c')
    expect(base().point('B', P).scalar('z', 5n).bytes('m', Uint8Array.of(1, 2)).challengeScalar('c')).toBe(ref)
    const variants: bigint[] = [
      base().point('B', G.multiply(8n)).scalar('z', 5n).bytes('m', Uint8Array.of(1, 2)).challengeScalar('c'),
      base().point('B', P).scalar('z', 6n).bytes('m', Uint8Array.of(1, 2)).challengeScalar('c'),
      base().point('B', P).scalar('z', 5n).bytes('m', Uint8Array.of(1, 3)).challengeScalar('c'),
      base().point('C', P).scalar('z', 5n).bytes('m', Uint8Array.of(1, 2)).challengeScalar('c'),
      base().point('B', P).scalar('y', 5n).bytes('m', Uint8Array.of(1, 2)).challengeScalar('c'),
      base().point('B', P).scalar('z', 5n).bytes('m', Uint8Array.of(1, 2)).challengeScalar('d'),
      base().scalar('z', 5n).point('B', P).bytes('m', Uint8Array.of(1, 2)).challengeScalar('c'),
      new Transcript('test/v2').sessionId(Uint8Array.of(1, 2, 3)).partyId('sender', 'p1').partyId('receiver', 'p2').point('B', P).scalar('z', 5n).bytes('m', Uint8Array.of(1, 2)).challengeScalar('c'),
      new Transcript('test/v1').sessionId(Uint8Array.of(1, 2, 4)).partyId('sender', 'p1').partyId('receiver', 'p2').point('B', P).scalar('z', 5n).bytes('m', Uint8Array.of(1, 2)).challengeScalar('c'),
      new Transcript('test/v1').sessionId(Uint8Array.of(1, 2, 3)).partyId('sender', 'p2').partyId('receiver', 'p1').point('B', P).scalar('z', 5n).bytes('m', Uint8Array.of(1, 2)).challengeScalar('c'),
    ]
    for (const v of variants) expect(v).not.toBe(ref)
    expect(new Set(variants).size).toBe(variants.length)
  })

  it('separates boundaries and kinds', () => {
    const ch = (t: Transcript) => t.challengeBytes('c', 32)
    const te = new TextEncoder()
    const abc = ch(new Transcript('d').bytes('x', te.encode('ab')).bytes('x', te.encode('c')))
    expect(eq(abc, ch(new Transcript('d').bytes('x', te.encode('a')).bytes('x', te.encode('bc'))))).toBe(false)
    expect(eq(abc, ch(new Transcript('d').bytes('x', te.encode('abc'))))).toBe(false)
    // label/value boundary: label "xa" + "b" vs label "x" + "ab"
    expect(eq(ch(new Transcript('d').bytes('xa', te.encode('b'))), ch(new Transcript('d').bytes('x', te.encode('ab'))))).toBe(false)
    // same bytes under a different kind
    expect(eq(ch(new Transcript('d').text('x', 'ab')), ch(new Transcript('d').bytes('x', te.encode('ab'))))).toBe(false)
    // domain vs first record
    expect(eq(ch(new Transcript('dx').bytes('', new Uint8Array())), ch(new Transcript('d').bytes('x', new Uint8Array())))).toBe(false)
  })

  it('derives in-range scalars, successive challenges differ, clones are independent', () => {
    const t = base()
    const c = t.clone()
    const a = t.challengeScalar('c')
    const b = t.challengeScalar('c')
    expect(a).not.toBe(b)
    expect(c.challengeScalar('c')).toBe(a)
    for (const s of base().challengeScalars('many', 50)) expect(s > 0n && s < CURVE_ORDER).toBe(true)
    // challengeScalars(label, k) is challengeBytes(label, 64k), each 64-byte block reduced mod n
    const bytes = base().challengeBytes('five', 320)
    expect(base().challengeScalars('five', 5)).toEqual(Array.from({ length: 5 }, (_, i) => bytesToNumberBE(bytes.subarray(64 * i, 64 * i + 64)) % CURVE_ORDER))
    expect(() => base().challengeScalars('none', 0)).toThrow(/scalar count/)
    expect(base().challengeBytes('long', 1000).length).toBe(1000)
  })

  it('refuses out-of-range scalars, off-curve and identity points', () => {
    expect(() => scalarToBytes(CURVE_ORDER)).toThrow()
    expect(() => parseScalar(scalarToBytes(CURVE_ORDER - 1n).map((x) => 0xff))).toThrow()
    expect(parseScalar(scalarToBytes(CURVE_ORDER - 1n))).toBe(CURVE_ORDER - 1n)
    expect(() => parsePoint(new Uint8Array(33))).toThrow()
    expect(() => parsePoint(Uint8Array.of(0))).toThrow()
    const offCurve = new Uint8Array(33)
    offCurve[0] = 2
    offCurve[32] = 5 // x = 5: x^3 + 7 = 132 is not a square mod p
    expect(() => parsePoint(offCurve)).toThrow()
    expect(() => new Transcript('d').point('P', secp256k1.Point.ZERO)).toThrow()
    expect(parsePoint(G.toBytes(true)).equals(G)).toBe(true)
  })
})

// ---- reference oracles: the plain bit-by-bit definitions --------------------------------------

const bitOf = (b: Uint8Array, i: number) => ((b[i >> 3] as number) >> (i & 7)) & 1

/** Bit-by-bit transpose: row r bit c = column c bit r. */
function naiveTranspose(cols: Uint8Array, kappa: number, rows: number): Uint8Array {
  const colBytes = rows / 8
  const out = new Uint8Array(rows * (kappa / 8))
  for (let c = 0; c < kappa; c++) {
    for (let r = 0; r < rows; r++) {
      if (bitOf(cols.subarray(c * colBytes, (c + 1) * colBytes), r)) out[r * (kappa / 8) + (c >> 3)] = (out[r * (kappa / 8) + (c >> 3)] as number) | (1 << (c & 7))
    }
  }
  return out
}

/** Schoolbook GF(2^256) product: shift-and-add over every bit, then reduce bit by bit from the top. */
function naiveGfMul(a: Uint8Array, b: Uint8Array): Uint8Array {
  const prod = new Uint8Array(64)
  for (let i = 0; i < 256; i++) {
    if (!bitOf(a, i)) continue
    for (let j = 0; j < 256; j++) if (bitOf(b, j)) prod[(i + j) >> 3] = (prod[(i + j) >> 3] as number) ^ (1 << ((i + j) & 7))
  }
  for (let k = 511; k >= 256; k--) {
    if (!bitOf(prod, k)) continue
    for (const d of [256, 10, 5, 2, 0]) {
      const p = k - 256 + d
      prod[p >> 3] = (prod[p >> 3] as number) ^ (1 << (p & 7))
    }
  }
  return prod.slice(0, 32)
}
const xor32 = (a: Uint8Array, b: Uint8Array) => a.map((x, i) => x ^ (b[i] as number))

describe('GF(2^256)', () => {
  it('is a commutative ring with 1, reducing x^256 to x^10 + x^5 + x^2 + 1', () => {
    const one = new Uint8Array(32)
    one[0] = 1
    const a = randomBytes(32)
    const b = randomBytes(32)
    const c = randomBytes(32)
    expect(eq(gf256Mul(a, one), a)).toBe(true)
    expect(eq(gf256Mul(a, b), gf256Mul(b, a))).toBe(true)
    const bc = b.map((x, i) => x ^ (c[i] as number))
    const lhs = gf256Mul(a, bc)
    const rhs = gf256Mul(a, b).map((x, i) => x ^ (gf256Mul(a, c)[i] as number))
    expect(eq(lhs, rhs)).toBe(true)
    expect(eq(gf256Mul(gf256Mul(a, b), c), gf256Mul(a, gf256Mul(b, c)))).toBe(true)
    const x255 = new Uint8Array(32)
    x255[31] = 0x80
    const x1 = new Uint8Array(32)
    x1[0] = 2
    const expected = new Uint8Array(32)
    expected[0] = 0b00100101 // x^5 + x^2 + 1
    expected[1] = 0b00000100 // x^10
    expect(eq(gf256Mul(x255, x1), expected)).toBe(true)
  })

  it('gf256Mul equals the bit-by-bit schoolbook product (edge values and a property)', () => {
    const ones = new Uint8Array(32).fill(0xff)
    const zero = new Uint8Array(32)
    const top = new Uint8Array(32)
    top[31] = 0x80
    for (const [a, b] of [
      [ones, ones],
      [ones, top],
      [top, top],
      [zero, ones],
      [ones, zero],
    ] as const) {
      expect(eq(gf256Mul(a, b), naiveGfMul(a, b))).toBe(true)
    }
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (a, b) => eq(gf256Mul(a, b), naiveGfMul(a, b))),
      { numRuns: 200 },
    )
  })

  it('a sum of products reduced once equals the sum of the schoolbook products, and the accumulator resets', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 3 }), (count, pad) => {
        // offsets not multiples of 32 (and odd) exercise the addressing
        const pub = randomBytes(pad + 32 * count)
        const sec = randomBytes(2 * pad + 1 + 32 * count)
        let expected: Uint8Array = new Uint8Array(32)
        for (let j = 0; j < count; j++) expected = xor32(expected, naiveGfMul(pub.subarray(pad + 32 * j, pad + 32 * j + 32), sec.subarray(2 * pad + 1 + 32 * j, 2 * pad + 33 + 32 * j)))
        const acc = new Gf256SumOfProducts()
        acc.addMany(pub, pad, sec, 2 * pad + 1, count)
        const first = acc.finish()
        // the same sum again, one product at a time, on the reused accumulator
        for (let j = 0; j < count; j++) acc.add(pub, pad + 32 * j, sec, 2 * pad + 1 + 32 * j)
        return eq(first, expected) && eq(acc.finish(), expected)
      }),
      { numRuns: 60 },
    )
  })

  it('refuses elements that do not fit', () => {
    const acc = new Gf256SumOfProducts()
    expect(() => acc.add(new Uint8Array(31), 0, new Uint8Array(32), 0)).toThrow(/expected 32 bytes/)
    expect(() => acc.addMany(new Uint8Array(64), 0, new Uint8Array(64), 1, 2)).toThrow(/expected 32 bytes/)
    expect(() => acc.addMany(new Uint8Array(64), 0, new Uint8Array(64), 0, 0)).toThrow(/positive count/)
    expect(() => gf256Mul(new Uint8Array(33), new Uint8Array(32))).toThrow(/expected 32 bytes, got 33/)
  })
})

describe('bit-matrix transpose', () => {
  it('equals the bit-by-bit transpose at the OT-extension size and at other sizes (property)', () => {
    const cols = randomBytes(KAPPA * COL_BYTES)
    expect(eq(transposeBits(cols, KAPPA, OT_EXTENDED), naiveTranspose(cols, KAPPA, OT_EXTENDED))).toBe(true)
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 20 }), (k32, rows8) => {
        const kappa = 32 * k32
        const rows = 8 * rows8
        const c = randomBytes(kappa * (rows / 8))
        return eq(transposeBits(c, kappa, rows), naiveTranspose(c, kappa, rows))
      }),
      { numRuns: 40 },
    )
  })

  it('refuses sizes it does not handle', () => {
    expect(() => transposeBits(new Uint8Array(94 * 255), 255, 752)).toThrow(/multiple of 32/)
    expect(() => transposeBits(new Uint8Array(256 * 94), 256, 750)).toThrow(/multiple of 8/)
    expect(() => transposeBits(new Uint8Array(256 * 94 - 1), 256, 752)).toThrow(/expected 24064 column bytes, got 24063/)
  })
})

describe('hashing and scalar encoding helpers', () => {
  it.each([
    ['native where the platform has it', {}],
    ['noble', { native: false }],
  ] as const)('Sha512Hasher (%s) gives noble sha512 (as bytes and as two 256-bit integers) for any input length, reused and after wipe', (_, options) => {
    const h = new Sha512Hasher(options)
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), (m) => eq(h.hash(m), sha512(m))),
      { numRuns: 200 },
    )
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), (m) => {
        const [lo, hi] = h.hashToScalarPair(m)
        const d = sha512(m)
        return lo === bytesToNumberBE(d.subarray(0, 32)) && hi === bytesToNumberBE(d.subarray(32))
      }),
      { numRuns: 100 },
    )
    const m = randomBytes(95)
    const first = h.hash(m).slice()
    h.wipe()
    expect(eq(h.hash(m), first)).toBe(true)
    expect(eq(first, sha512(m))).toBe(true)
  })

  it('a transcript gives the same challenges natively and with noble: any sequence of records (small and over 256 bytes), clones that go on apart, challenges read in the middle', () => {
    expect(nativeSha512Stream).toBeTypeOf('function') // so the first transcript below is the native one
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 0, maxLength: 700 }), { maxLength: 6 }), fc.nat({ max: 100 }), (records, len) => {
        const run = (native: boolean) => {
          const t = new Transcript('zrkit/test/v1', { native }).sessionId(Uint8Array.of(1, 2, 3))
          const out: Uint8Array[] = []
          records.forEach((r, i) => {
            t.bytes(`r${i}`, r)
            if (i % 2) out.push(t.challengeBytes(`c${i}`, len + 1))
          })
          const c = t.clone()
          out.push(t.challengeBytes('end', 64), c.bytes('apart', Uint8Array.of(9)).challengeBytes('end', 64), t.challengeBytes('after', 33))
          return out
        }
        const [a, b] = [run(true), run(false)]
        return a.length === b.length && a.every((x, i) => eq(x, b[i]!))
      }),
      { numRuns: 100 },
    )
  })

  it('Sha512Hasher hashes natively on this Node', () => {
    expect(nativeSha512).toBeTypeOf('function')
    const m = randomBytes(64)
    expect(eq(nativeSha512!(m), sha512(m))).toBe(true)
  })

  it('bytesToBigInt, wideReduce and writeScalar agree with noble for every length and edge value', () => {
    for (let len = 0; len <= 72; len++) {
      const b = randomBytes(len)
      expect(bytesToBigInt(b)).toBe(bytesToNumberBE(b))
      expect(bytesToBigInt(new Uint8Array(len).fill(0xff))).toBe(bytesToNumberBE(new Uint8Array(len).fill(0xff)))
    }
    const wide = randomBytes(64)
    expect(wideReduce(wide)).toBe(bytesToNumberBE(wide) % CURVE_ORDER)
    expect(wideReduce(new Uint8Array(64).fill(0xff))).toBe((2n ** 512n - 1n) % CURVE_ORDER)
    // an unaligned subarray view
    const backing = randomBytes(100)
    expect(bytesToBigInt(backing.subarray(3, 67))).toBe(bytesToNumberBE(backing.subarray(3, 67)))
    for (const s of [0n, 1n, 255n, 2n ** 64n - 1n, 2n ** 64n, 2n ** 192n + 5n, CURVE_ORDER - 1n, randomScalar()]) {
      expect(eq(scalarToBytes(s), numberToBytesBE(s, 32))).toBe(true)
      const out = new Uint8Array(70).fill(7)
      writeScalar(out.subarray(2), 5, s)
      expect(eq(out.subarray(7, 39), numberToBytesBE(s, 32))).toBe(true)
      expect(out[6]).toBe(7)
      expect(out[39]).toBe(7)
      const view = new DataView(out.buffer)
      writeScalar(view, 38, s)
      expect(eq(out.subarray(38, 70), numberToBytesBE(s, 32))).toBe(true)
    }
    expect(() => writeScalar(new Uint8Array(32), 1, 1n)).toThrow(/does not fit/)
    expect(() => writeScalar(new Uint8Array(32), 0, CURVE_ORDER)).toThrow(/out of range/)
    expect(() => scalarToBytes(-1n)).toThrow(/out of range/)
  })

  it('transcripts hash exactly the documented records and XOF blocks (checked against noble sha512 directly)', () => {
    const u32 = (n: number) => {
      const b = new Uint8Array(4)
      new DataView(b.buffer).setUint32(0, n)
      return b
    }
    const record = (kind: string, label: string, data: Uint8Array) => {
      const k = utf8ToBytes(kind)
      const l = utf8ToBytes(label)
      return [u32(k.length), k, u32(l.length), l, u32(data.length), data]
    }
    const concat = (parts: Uint8Array[]) => {
      const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
      let o = 0
      for (const p of parts) {
        out.set(p, o)
        o += p.length
      }
      return out
    }
    const big = randomBytes(3000) // longer than the inline limit and than one SHA-512 block
    const small = randomBytes(17)
    // labels: non-ASCII with a 3-byte character, and non-ASCII with 2-byte characters only
    const t = new Transcript('zrkit/test/v1').bytes('big', big).text('ünïcode label ✓', 'välue').u32('grüße', 7).bytes('small', small)
    const before = t.clone()
    const got = t.challengeBytes('out', 150)
    const stream = concat([
      ...record('domain', 'zrkit-transcript-v1', utf8ToBytes('zrkit/test/v1')),
      ...record('bytes', 'big', big),
      ...record('text', 'ünïcode label ✓', utf8ToBytes('välue')),
      ...record('u32', 'grüße', u32(7)),
      ...record('bytes', 'small', small),
      ...record('challenge', 'out', u32(150)),
    ])
    const seed = sha512(stream)
    const xof = concat([0, 1, 2].map((ctr) => sha512(concat([utf8ToBytes('zrkit-transcript-xof'), seed, u32(ctr)]))))
    expect(eq(got, xof.subarray(0, 150))).toBe(true)
    // the challenge is absorbed: the next one continues the same stream
    const next = t.challengeBytes('again', 32)
    const stream2 = concat([stream, ...record('challenge-output', 'out', got), ...record('challenge', 'again', u32(32))])
    const seed2 = sha512(stream2)
    expect(eq(next, sha512(concat([utf8ToBytes('zrkit-transcript-xof'), seed2, u32(0)])).subarray(0, 32))).toBe(true)
    // a clone taken before is unaffected
    expect(eq(before.challengeBytes('out', 150), got)).toBe(true)
  })
})

describe('KOS15 PRG and row hashes', () => {
  const u32 = (n: number) => {
    const b = new Uint8Array(4)
    new DataView(b.buffer).setUint32(0, n)
    return b
  }
  const cat = (...parts: Uint8Array[]) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
    let o = 0
    for (const p of parts) {
      out.set(p, o)
      o += p.length
    }
    return out
  }

  it('PRG column i is SHA-512(tag || seed_i || nonce || u32(i) || u32(0)) || SHA-512(... u32(1)), cut to COL_BYTES', () => {
    const seeds = Array.from({ length: 5 }, () => randomBytes(32))
    const nonce = randomBytes(32)
    const got = _kosHashes.prg(seeds, nonce)
    const tag = utf8ToBytes('zrkit/dkls23/kos/v1/prg')
    seeds.forEach((seed, i) => {
      const col = cat(sha512(cat(tag, seed, nonce, u32(i), u32(0))), sha512(cat(tag, seed, nonce, u32(i), u32(1)))).subarray(0, COL_BYTES)
      expect(eq(got.subarray(i * COL_BYTES, (i + 1) * COL_BYTES), col)).toBe(true)
    })
  })

  it('the row hash is SHA-512(tag || key || u32(purpose) || u32(j) || row), so it separates rows and purposes', () => {
    const key = randomBytes(32)
    const row = randomBytes(32)
    const tag = utf8ToBytes('zrkit/dkls23/kos/v2/row')
    for (const [j, purpose] of [
      [0, 0],
      [415, 3],
      [7, 0xffffffff],
    ] as const) {
      expect(eq(_kosHashes.rowHash(key, j, row, purpose), sha512(cat(tag, key, u32(purpose), u32(j), row)))).toBe(true)
    }
    expect(eq(_kosHashes.rowHash(key, 1, row, 0), _kosHashes.rowHash(key, 2, row, 0))).toBe(false)
    expect(eq(_kosHashes.rowHash(key, 1, row, 0), _kosHashes.rowHash(key, 1, row, 1))).toBe(false)
  })

  it('correlated-OT scalars 2p and 2p + 1 of a row are the two 32-byte halves of its purpose-p hash, each mod n', () => {
    const key = randomBytes(32)
    const row = randomBytes(32)
    const tag = utf8ToBytes('zrkit/dkls23/kos/v2/row')
    for (const count of [1, 2, 3, 4, 16]) {
      const got = _kosHashes.rowScalars(key, 9, row, count)
      expect(got.length).toBe(count)
      for (let l = 0; l < count; l++) {
        const d = sha512(cat(tag, key, u32(l >> 1), u32(9), row))
        const half = bytesToNumberBE(d.subarray(32 * (l & 1), 32 * (l & 1) + 32))
        expect(got[l]).toBe(half % CURVE_ORDER)
      }
    }
    // all distinct: no scalar is reused across purposes or halves
    expect(new Set(_kosHashes.rowScalars(key, 9, row, 16)).size).toBe(16)
  })
})

describe('VSOT base OT', () => {
  it('delivers the chosen seed and not the other one (several runs), with a timing print', () => {
    for (let run = 0; run < 3; run++) {
      const t0 = performance.now()
      const { s, r } = runBaseOt(ctx())
      if (run === 0) console.log(`[timing] VSOT base OT, ${KAPPA} OTs, both parties: ${(performance.now() - t0).toFixed(0)} ms`)
      expect(s.seeds0.length).toBe(KAPPA)
      expect(r.seeds.length).toBe(KAPPA)
      let ones = 0
      for (let i = 0; i < KAPPA; i++) {
        const bit = getBit(r.choiceBits, i)
        ones += bit
        const mine = bit ? s.seeds1[i] : s.seeds0[i]
        const other = bit ? s.seeds0[i] : s.seeds1[i]
        expect(eq(r.seeds[i] as Uint8Array, mine as Uint8Array)).toBe(true)
        expect(eq(r.seeds[i] as Uint8Array, other as Uint8Array)).toBe(false)
      }
      expect(ones > 64 && ones < 192).toBe(true)
    }
  })

  it('honours explicit choice bits', () => {
    const choice = new Uint8Array(32).fill(0b10100101)
    const { r } = runBaseOt(ctx(), choice)
    expect(eq(r.choiceBits, choice)).toBe(true)
  })

  it('refuses a bad proof of knowledge, and a proof from another session or party pair', () => {
    const c = ctx()
    const m1 = new BaseOtSender(c).round1()
    const badZ = { ...m1, proofZ: scalarToBytes((parseScalar(m1.proofZ) + 1n) % CURVE_ORDER) }
    const rx = new BaseOtReceiver(c)
    expectAbort(() => rx.round1(badZ), 'alice')
    expect(rx.burned).toBe(true)
    expectAbort(() => rx.round1(m1), 'alice') // burned: even the honest message is refused
    // a proof for a foreign key: R from this run, B from another
    const other = new BaseOtSender(c).round1()
    expectAbort(() => new BaseOtReceiver(c).round1({ ...m1, B: other.B }))
    // same message, different session id or swapped ids
    expectAbort(() => new BaseOtReceiver({ ...c, sessionId: randomBytes(32) }).round1(m1))
    expectAbort(() => new BaseOtReceiver({ ...c, receiverId: 'carol' }).round1(m1))
    // the honest message passes
    expect(new BaseOtReceiver(c).round1(m1).A.length).toBe(KAPPA)
  })

  it('refuses off-curve and identity points from either side', () => {
    const c = ctx()
    const m1 = new BaseOtSender(c).round1()
    const offCurve = new Uint8Array(33)
    offCurve[0] = 2
    offCurve[32] = 5
    expectAbort(() => new BaseOtReceiver(c).round1({ ...m1, B: offCurve }))
    expectAbort(() => new BaseOtReceiver(c).round1({ ...m1, B: new Uint8Array(33) }))
    expectAbort(() => new BaseOtReceiver(c).round1({ ...m1, B: Uint8Array.of(0) }))
    expectAbort(() => new BaseOtReceiver(c).round1({ ...m1, proofR: offCurve }))
    expectAbort(() => new BaseOtReceiver(c).round1({ ...m1, proofZ: scalarToBytes(0n).fill(0xff) }))

    const sender = new BaseOtSender(c)
    const m = sender.round1()
    const A = new BaseOtReceiver(c).round1(m).A
    const tampered = [...A]
    tampered[17] = offCurve
    expectAbort(() => sender.round2({ A: tampered }), 'bob')
    expect(sender.burned).toBe(true)
    const s2 = new BaseOtSender(c)
    const m2 = s2.round1()
    const A2 = [...new BaseOtReceiver(c).round1(m2).A]
    A2[3] = m2.B // A_i = B would make the 1-pad an identity-point hash
    expectAbort(() => s2.round2({ A: A2 }))
    const s3 = new BaseOtSender(c)
    s3.round1()
    expectAbort(() => s3.round2({ A: A.slice(1) })) // wrong count
  })

  it('aborts on a wrong challenge response or an inconsistent opening', () => {
    const c = ctx()
    const sender = new BaseOtSender(c)
    const receiver = new BaseOtReceiver(c)
    const m4 = receiver.round2(sender.round2(receiver.round1(sender.round1())))
    const bad = m4.responses.map((x) => Uint8Array.from(x))
    flip(bad[100] as Uint8Array, 0, 1)
    expectAbort(() => sender.round3({ responses: bad }), 'bob')
    expectAbort(() => sender.round3(m4))

    const s2 = new BaseOtSender(c)
    const r2 = new BaseOtReceiver(c)
    const { message } = s2.round3(r2.round2(s2.round2(r2.round1(s2.round1()))))
    const open1 = message.open1.map((x) => Uint8Array.from(x))
    flip(open1[5] as Uint8Array, 7, 1)
    expectAbort(() => r2.round3({ ...message, open1 }), 'alice')
    expect(r2.burned).toBe(true)

    // a sender that lies in xi_0 to learn choice bit w_0: if w_0 = 0 the sender accepts but the
    // receiver catches the lie at the opening; if w_0 = 1 the sender sees a wrong response and aborts.
    // Either way the run aborts (that abort pattern is the one-bit leak the burn rule contains).
    for (const w0 of [0, 1]) {
      const choice = randomBytes(32)
      choice[0] = ((choice[0] as number) & 0xfe) | w0
      const s3 = new BaseOtSender(c)
      const r3 = new BaseOtReceiver(c, choice)
      const m3 = s3.round2(r3.round1(s3.round1()))
      const xi = m3.xi.map((x) => Uint8Array.from(x))
      flip(xi[0] as Uint8Array, 0, 1)
      const resp = r3.round2({ xi })
      if (w0 === 0) {
        const { message: open } = s3.round3(resp)
        expectAbort(() => r3.round3(open), 'alice')
      } else {
        expectAbort(() => s3.round3(resp), 'bob')
      }
    }
  })

  it('enforces the step order', () => {
    const c = ctx()
    const sender = new BaseOtSender(c)
    expect(() => sender.round2({ A: [] })).toThrow(/out of order/)
    sender.round1()
    expect(() => sender.round1()).toThrow(/out of order/)
  })
})

/** Fresh output objects over the same seeds, so that one base-OT run can seed several test setups. */
const copyS = (s: BaseOtSenderOutput): BaseOtSenderOutput => ({ ...s, seeds0: s.seeds0.map((x) => x.slice()), seeds1: s.seeds1.map((x) => x.slice()) })
const copyR = (r: BaseOtReceiverOutput): BaseOtReceiverOutput => ({ ...r, choiceBits: r.choiceBits.slice(), seeds: r.seeds.map((x) => x.slice()) })

describe('KOS15 OT extension', () => {
  let shared: { s: BaseOtSenderOutput; r: BaseOtReceiverOutput } | undefined
  const baseRun = () => {
    shared ??= runBaseOt(ctx('alice', 'bob'))
    return { s: copyS(shared.s), r: copyR(shared.r) }
  }
  const setups = () => {
    const { s, r } = baseRun()
    // alice was the base-OT sender -> OT-extension receiver; bob holds Delta -> OT-extension sender
    return { s, r, otReceiver: OtExtensionReceiver.fromBaseOt(s), otSender: OtExtensionSender.fromBaseOt(r) }
  }

  it('random OTs: the receiver gets v_{x_j} for a full batch, and not v_{1-x_j}; timing print', () => {
    const { otReceiver, otSender } = setups()
    for (let round = 0; round < 2; round++) {
      const sid = randomBytes(32)
      const choice = randomBytes(OT_BATCH / 8)
      const t0 = performance.now()
      const { message, batch } = otReceiver.extend(sid, choice)
      const t1 = performance.now()
      const sb = otSender.receive(sid, message)
      const t2 = performance.now()
      if (round === 0) console.log(`[timing] KOS extension of ${OT_EXTENDED} rows (${OT_BATCH} OTs): receiver ${(t1 - t0).toFixed(0)} ms, sender incl. check ${(t2 - t1).toFixed(0)} ms`)
      const { v0, v1 } = sb.randomOts()
      const v = batch.randomOts()
      expect(v.length).toBe(OT_BATCH)
      for (let j = 0; j < OT_BATCH; j++) {
        const x = getBit(choice, j)
        expect(eq(v[j] as Uint8Array, (x ? v1[j] : v0[j]) as Uint8Array)).toBe(true)
        expect(eq(v[j] as Uint8Array, (x ? v0[j] : v1[j]) as Uint8Array)).toBe(false)
      }
      expect(() => sb.randomOts()).toThrow(/consumed/)
      expect(() => batch.randomOts()).toThrow(/consumed/)
    }
  })

  it('correlated OTs over Z_n: r_j + s_j = x_j * alpha_j for vectors of length 2', () => {
    const { otReceiver, otSender } = setups()
    const sid = randomBytes(32)
    const choice = randomBytes(OT_BATCH / 8)
    const { message, batch } = otReceiver.extend(sid, choice)
    const alphas = Array.from({ length: OT_BATCH }, () => [randomScalar(), randomScalar()])
    const t0 = performance.now()
    const { shares, message: tauMsg } = otSender.receive(sid, message).correlate(alphas)
    const r = batch.finish(tauMsg)
    console.log(`[timing] correlated OT (L = 2) both sides: ${(performance.now() - t0).toFixed(0)} ms`)
    for (let j = 0; j < OT_BATCH; j++) {
      const x = BigInt(getBit(choice, j))
      for (let l = 0; l < 2; l++) {
        for (const v of [(r[j] as bigint[])[l] as bigint, (shares[j] as bigint[])[l] as bigint]) expect(v >= 0n && v < CURVE_ORDER).toBe(true)
        const sum = ((r[j] as bigint[])[l] as bigint) + ((shares[j] as bigint[])[l] as bigint)
        expect(sum % CURVE_ORDER).toBe((x * ((alphas[j] as bigint[])[l] as bigint)) % CURVE_ORDER)
      }
    }
  })

  it('a receiver with an inconsistent choice bit in one column is caught exactly when Delta_i = 1', () => {
    let caught = 0
    for (let trial = 0; trial < 6; trial++) {
      const { s, r } = baseRun()
      const otSender = OtExtensionSender.fromBaseOt(r)
      const delta = r.choiceBits
      // trials alternate between a column where Delta_i = 1 (must be caught) and one where Delta_i = 0
      const wantOne = trial % 2 === 0
      let column = 0
      while (getBit(delta, column) !== (wantOne ? 1 : 0)) column++
      const x = randomBytes(COL_BYTES)
      const row = 37 + trial
      const flipped = Uint8Array.from(x)
      flipped[row >> 3] = (flipped[row >> 3] as number) ^ (1 << (row & 7))
      const sid = randomBytes(32)
      const msg = inconsistentReceiverMessage(s, sid, x, (i) => (i === column ? flipped : x))
      if (wantOne) {
        expectAbort(() => otSender.receive(sid, msg), 'alice')
        caught++
        expect(otSender.burned).toBe(true)
        // burned: refuses any further batch, even an honest one
        const honest = OtExtensionReceiver.fromBaseOt(copyS(s))
        const sid2 = randomBytes(32)
        const { message } = honest.extend(sid2, randomBytes(OT_BATCH / 8))
        expectAbort(() => otSender.receive(sid2, message), 'alice')
        // and cannot be rebuilt from the same base-OT output
        expect(() => OtExtensionSender.fromBaseOt(r)).toThrow(/already seeded/)
      } else {
        // the selective-failure leak KOS15 tolerates: passes, revealing Delta_i = 0, hence the burn rule
        expect(() => otSender.receive(sid, msg)).not.toThrow()
      }
    }
    expect(caught).toBe(3)
  })

  it('catches a tampered correction column or check value with probability ~1', () => {
    for (let trial = 0; trial < 4; trial++) {
      const { otReceiver, otSender } = setups()
      const sid = randomBytes(32)
      const { message } = otReceiver.extend(sid, randomBytes(OT_BATCH / 8))
      const u = Uint8Array.from(message.u)
      const tTilde = Uint8Array.from(message.tTilde)
      const xTilde = Uint8Array.from(message.xTilde)
      if (trial === 0) u[1234] = (u[1234] as number) ^ 0x10
      if (trial === 1) tTilde[3] = (tTilde[3] as number) ^ 1
      if (trial === 2) xTilde[31] = (xTilde[31] as number) ^ 0x80
      if (trial === 3) {
        expectAbort(() => otSender.receive(sid, { ...message, u: u.slice(1) }), 'alice')
        continue
      }
      expectAbort(() => otSender.receive(sid, { u, xTilde, tTilde }), 'alice')
      expect(otSender.burned).toBe(true)
    }
  })

  it('binds the session id and the setup: a message from another session fails', () => {
    const { otReceiver, otSender } = setups()
    const { message } = otReceiver.extend(randomBytes(32), randomBytes(OT_BATCH / 8))
    expectAbort(() => otSender.receive(randomBytes(32), message), 'alice')
    expect(otSender.burned).toBe(true)

    // a message from a different base-OT setup (same parties, fresh base-OT run) fails too
    const a = setups()
    const b = { otSender: OtExtensionSender.fromBaseOt(runBaseOt(ctx('alice', 'bob')).r) }
    const sid = randomBytes(32)
    const { message: m } = a.otReceiver.extend(sid, randomBytes(OT_BATCH / 8))
    expectAbort(() => b.otSender.receive(sid, m))
  })

  it('refuses session-id reuse, a burned receiver, bad tau; rerun gives a fresh working setup', () => {
    const { otReceiver, otSender, s } = setups()
    const sid = randomBytes(32)
    const { message, batch } = otReceiver.extend(sid, randomBytes(OT_BATCH / 8))
    expect(() => otReceiver.extend(sid, randomBytes(OT_BATCH / 8))).toThrow(/already used/)
    const sb = otSender.receive(sid, message)
    expect(() => otSender.receive(sid, message)).toThrow(/already used/)
    const alphas = Array.from({ length: OT_BATCH }, () => [randomScalar()])
    const { message: tauMsg } = sb.correlate(alphas)
    const tau = Uint8Array.from(tauMsg.tau)
    tau.fill(0xff, 0, 32) // >= n
    expectAbort(() => batch.finish({ tau }), 'bob')
    expect(otReceiver.burned).toBe(true)
    expectAbort(() => otReceiver.extend(randomBytes(32), randomBytes(OT_BATCH / 8)), 'bob')
    expect(() => OtExtensionReceiver.fromBaseOt(s)).toThrow(/already seeded/)

    // rerun: same parties and roles, fresh session id
    const next = rerunBaseOtContext(otReceiver)
    expect(next.senderId).toBe('alice')
    expect(next.receiverId).toBe('bob')
    expect(eq(next.sessionId, otReceiver.baseContext.sessionId)).toBe(false)
    const fresh = runBaseOt(next)
    const rx = OtExtensionReceiver.fromBaseOt(fresh.s)
    const sx = OtExtensionSender.fromBaseOt(fresh.r)
    const sid2 = randomBytes(32)
    const choice = randomBytes(OT_BATCH / 8)
    const ext = rx.extend(sid2, choice)
    const { v0, v1 } = sx.receive(sid2, ext.message).randomOts()
    const v = ext.batch.randomOts()
    for (let j = 0; j < OT_BATCH; j++) expect(eq(v[j] as Uint8Array, (getBit(choice, j) ? v1[j] : v0[j]) as Uint8Array)).toBe(true)
  })
})
