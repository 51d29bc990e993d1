import { mulAddUnsafe } from '@noble/curves/abstract/curve.js'
import { ed25519 } from '@noble/curves/ed25519.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import fc from 'fast-check'
import { ed25519SmallOrderPoints } from '@zrkit/testkit'
import { describe, expect, it } from 'vitest'
import { ed25519IsPrimeOrder, ed25519PointFromBytes, ed25519PublicMsm, secp256k1PublicMsm } from './publicMsm.js'

// The variable-time multi-scalar products and the ed25519 subgroup check against noble (the
// independent reference): random inputs, and the inputs that break incomplete formulas (equal and
// opposite points, the identity, zero scalars), which a malicious signer can choose.

const Ed = ed25519.Point
const Secp = secp256k1.Point
type EdPt = InstanceType<typeof Ed>
type SecpPt = InstanceType<typeof Secp>

const curves = [
  { name: 'ed25519', Point: Ed, msm: ed25519PublicMsm as (p: readonly unknown[], s: readonly bigint[]) => EdPt | SecpPt },
  { name: 'secp256k1', Point: Secp, msm: secp256k1PublicMsm as (p: readonly unknown[], s: readonly bigint[]) => EdPt | SecpPt },
] as const

/** noble's Σ scalars[i]·points[i] (Strauss; reduces nothing, checks scalars below the order). */
const reference = (Point: typeof Ed | typeof Secp, points: (EdPt | SecpPt)[], scalars: bigint[]) => mulAddUnsafe(Point as never, points as never, scalars) as EdPt | SecpPt

describe('public multi-scalar multiplication', () => {
  for (const { name, Point, msm } of curves) {
    const n = Point.Fn.ORDER
    const scalar = fc.oneof(fc.bigInt({ min: 0n, max: n - 1n }), fc.constantFrom(0n, 1n, 2n, 15n, 16n, 17n, 31n, 32n, 33n, n - 1n, n - 2n, (n - 1n) / 2n))
    const point = fc.bigInt({ min: 1n, max: n - 1n }).map((k) => Point.BASE.multiplyUnsafe(k) as EdPt | SecpPt)

    it(`${name}: equals noble on random points and scalars (1 to 6 terms)`, () => {
      fc.assert(
        fc.property(fc.array(fc.tuple(point, scalar), { minLength: 1, maxLength: 6 }), (terms) => {
          const points = terms.map(([p]) => p)
          const scalars = terms.map(([, s]) => s)
          expect(msm(points, scalars).equals(reference(Point, points, scalars) as never)).toBe(true)
        }),
        { numRuns: 40 },
      )
    })

    it(`${name}: equal, opposite and related points, the identity and zero scalars`, () => {
      fc.assert(
        fc.property(point, scalar, scalar, fc.integer({ min: -20, max: 20 }), (P, a, b, m) => {
          const Q = m >= 0 ? P.multiplyUnsafe(BigInt(m)) : P.negate().multiplyUnsafe(BigInt(-m))
          const cases: [(EdPt | SecpPt)[], bigint[]][] = [
            [[P, P], [a, a]], // the accumulator meets the same table point: doubling inside an addition
            [[P, P.negate()], [a, a]], // sums to the identity
            [[P, Q], [a, b]],
            [[P, Q, P.negate()], [a, b, a]],
            [[Point.ZERO as EdPt | SecpPt, P], [a, b]],
            [[P], [0n]],
          ]
          for (const [points, scalars] of cases) {
            expect(msm(points, scalars).equals(reference(Point, points, scalars) as never)).toBe(true)
          }
        }),
        { numRuns: 40 },
      )
      // The partial sums meet exactly: a·P and then the same a·P from a second copy.
      const P = Point.BASE.multiplyUnsafe(777n)
      for (const a of [1n, 3n, 15n, 17n, 33n, 1n << 200n]) {
        expect(msm([P, P], [a, a]).equals(P.multiplyUnsafe(2n * a) as never)).toBe(true)
        expect(msm([P, P.negate()], [a, a]).is0()).toBe(true)
      }
      expect(msm([], []).is0()).toBe(true)
    })

    it(`${name}: refuses mismatched or negative scalars`, () => {
      expect(() => msm([Point.BASE], [])).toThrow(/as many scalars/)
      expect(() => msm([Point.BASE], [-1n])).toThrow(/non-negative/)
    })
  }
})

describe('ed25519IsPrimeOrder', () => {
  const torsion = ed25519SmallOrderPoints // torsion[7] is the identity

  it('agrees with noble on the base point, the identity and every small-order point', () => {
    expect(ed25519IsPrimeOrder(Ed.BASE)).toBe(true)
    expect(ed25519IsPrimeOrder(Ed.ZERO)).toBe(Ed.ZERO.isTorsionFree()) // true; decodePoint refuses the identity separately
    for (const T of torsion.slice(0, 7)) {
      expect(T.isTorsionFree()).toBe(false)
      expect(ed25519IsPrimeOrder(T)).toBe(false)
    }
  })

  it('agrees with noble on prime-order points plus each torsion point', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: Ed.Fn.ORDER - 1n }), fc.integer({ min: 0, max: 7 }), (k, t) => {
        const P = Ed.BASE.multiplyUnsafe(k).add(torsion[t]!)
        expect(ed25519IsPrimeOrder(P)).toBe(P.isTorsionFree())
        expect(ed25519IsPrimeOrder(P)).toBe(t === 7)
      }),
      { numRuns: 40 },
    )
  })

  it('keeps its answers over many interleaved checks (the order is recoded once, never altered)', () => {
    // The recoded group order is shared by every call: a check that altered it would change later answers.
    const clean = Ed.BASE.multiplyUnsafe(123456789n)
    for (let round = 0; round < 3; round++) {
      for (const T of torsion.slice(0, 7)) {
        expect(ed25519IsPrimeOrder(clean.add(T))).toBe(false)
        expect(ed25519IsPrimeOrder(T)).toBe(false)
        expect(ed25519IsPrimeOrder(clean)).toBe(true)
      }
    }
  })

  it('agrees with noble on arbitrary decoded points (mostly of mixed order)', () => {
    let decoded = 0
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        let P: EdPt
        try {
          P = Ed.fromBytes(bytes)
        } catch {
          return
        }
        decoded++
        expect(ed25519IsPrimeOrder(P)).toBe(P.isTorsionFree())
        expect(ed25519IsPrimeOrder(P.clearCofactor())).toBe(true)
      }),
      { numRuns: 100 },
    )
    expect(decoded).toBeGreaterThan(20)
  })
})

describe('ed25519PointFromBytes', () => {
  const p = Ed.Fp.ORDER
  const le = (n: bigint, signBit = false) => {
    const out = new Uint8Array(32)
    for (let i = 0; i < 32; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn)
    if (signBit) out[31]! |= 0x80
    return out
  }
  /** Both decoders on the same bytes: the same point, or both refuse. */
  const same = (bytes: Uint8Array) => {
    let theirs: EdPt | undefined
    try {
      theirs = Ed.fromBytes(bytes)
    } catch {
      theirs = undefined
    }
    if (theirs === undefined) {
      expect(() => ed25519PointFromBytes(bytes)).toThrow(RangeError)
      return false
    }
    const mine = ed25519PointFromBytes(bytes)
    expect(mine.equals(theirs)).toBe(true)
    expect(mine.toAffine()).toEqual(theirs.toAffine())
    expect(mine.toBytes()).toEqual(bytes)
    if (!mine.is0()) mine.assertValidity() // noble's assertValidity refuses the identity, which decodes
    return true
  }

  it('decodes every valid encoding as noble does (multiples of the base point, both signs of x)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: Ed.Fn.ORDER - 1n }), (k) => {
        const P = Ed.BASE.multiply(k)
        expect(same(P.toBytes())).toBe(true)
        expect(same(P.negate().toBytes())).toBe(true)
      }),
      { numRuns: 60 },
    )
  })

  it('accepts and refuses arbitrary bytes exactly as noble does', () => {
    let accepted = 0
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        if (same(bytes)) accepted++
      }),
      { numRuns: 300 },
    )
    expect(accepted).toBeGreaterThan(60) // about half of all y have a point
    expect(accepted).toBeLessThan(240)
  })

  it('agrees with noble on the edge encodings: y = 0, ±1, p - 1, non-canonical y >= p, x = 0 with the sign bit, small-order points', () => {
    for (const y of [0n, 1n, p - 1n, p - 2n, 2n, p, p + 1n, p + 18n, (1n << 255n) - 1n]) {
      same(le(y))
      same(le(y, true))
    }
    // x = 0 happens at y = ±1: with the sign bit set both must refuse
    expect(() => ed25519PointFromBytes(le(1n, true))).toThrow(RangeError)
    expect(() => ed25519PointFromBytes(le(p - 1n, true))).toThrow(RangeError)
    // the small-order points decode (the subgroup check is the caller's)
    for (const T of ed25519SmallOrderPoints) expect(same(T.toBytes())).toBe(true)
  })

  it('refuses what is not 32 bytes', () => {
    for (const bad of [new Uint8Array(31), new Uint8Array(33), 'ab' as unknown as Uint8Array, null as unknown as Uint8Array]) {
      expect(() => ed25519PointFromBytes(bad)).toThrow(RangeError)
    }
  })
})
