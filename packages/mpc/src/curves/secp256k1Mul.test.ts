/**
 * zrkit's scalar multiplication helpers for the DKLs23 layer, checked against noble: the a = 0
 * complete formulas against noble's `add`/`double`, every multiplication against noble's `multiply`
 * (random and edge scalars, a fast-check property), the endomorphism constants against their
 * defining equations.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { isZrError } from '@zrkit/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { randomScalar } from '../ecdsa/ot/baseOt.js'
import { ENDO_BETA, ENDO_LAMBDA, FixedBaseTable, _formulas, mulBase, mulSameScalar, normalizePoints, splitScalar } from './secp256k1Mul.js'

type Point = InstanceType<typeof secp256k1.Point>
const Point = secp256k1.Point
const G = Point.BASE
const ZERO = Point.ZERO
const n = Point.Fn.ORDER
const p = Point.Fp.ORDER

const randomPoint = (): Point => G.multiply(randomScalar())
/** A point in a projective form with Z != 1 (the shape the ladders produce and consume). */
const scrambled = (P: Point): Point => {
  const z = randomScalar() % p || 1n
  return new Point(Point.Fp.mul(P.X, z), Point.Fp.mul(P.Y, z), Point.Fp.mul(P.Z, z))
}
const scalarArb = fc.bigInt({ min: 1n, max: n - 1n })

/** Scalars where something changes: tiny, near n, near half and quarter splits, lambda, window boundaries. */
const EDGE_SCALARS: bigint[] = [
  1n,
  2n,
  3n,
  7n,
  8n,
  9n,
  15n,
  16n,
  17n,
  255n,
  256n,
  n - 1n,
  n - 2n,
  n - 8n,
  (n - 1n) / 2n,
  (n + 1n) / 2n,
  2n ** 127n,
  2n ** 128n - 1n,
  2n ** 128n,
  2n ** 128n + 1n,
  2n ** 255n,
  ENDO_LAMBDA,
  n - ENDO_LAMBDA,
  (ENDO_LAMBDA * ENDO_LAMBDA) % n,
  0x3086d221a7d46bcde86c90e49284eb15n,
  0xe4437ed6010e88286f547fa90abfe4c3n,
]

describe('endomorphism constants', () => {
  it('beta and lambda are cube roots of unity and psi(P) = lambda*P', () => {
    expect((ENDO_BETA * ENDO_BETA * ENDO_BETA) % p).toBe(1n)
    expect(ENDO_BETA).not.toBe(1n)
    expect((ENDO_LAMBDA * ENDO_LAMBDA * ENDO_LAMBDA) % n).toBe(1n)
    expect(ENDO_LAMBDA).not.toBe(1n)
    for (const P of [G, randomPoint()]) {
      const a = P.toAffine()
      expect(P.multiply(ENDO_LAMBDA).equals(Point.fromAffine({ x: Point.Fp.mul(a.x, ENDO_BETA), y: a.y }))).toBe(true)
    }
  })
})

describe('splitScalar (GLV)', () => {
  const check = (k: bigint) => {
    const { k1neg, k1, k2neg, k2 } = splitScalar(k)
    expect(k1 < 1n << 128n && k2 < 1n << 128n && k1 >= 0n && k2 >= 0n).toBe(true)
    const s1 = k1neg ? -k1 : k1
    const s2 = k2neg ? -k2 : k2
    expect((((s1 + s2 * ENDO_LAMBDA) % n) + n) % n).toBe(k)
  }
  it('k = k1 + k2*lambda (mod n) with halves below 2^128, on edge scalars', () => {
    for (const k of EDGE_SCALARS) check(k)
  })
  it('k = k1 + k2*lambda (mod n) with halves below 2^128 (property)', () => {
    fc.assert(fc.property(scalarArb, check), { numRuns: 2000 })
  })
})

describe('field multiplication without division', () => {
  const p = Point.Fp.ORDER
  const below8p = fc.bigInt({ min: 0n, max: 8n * p - 1n })
  it('equals (a * b) mod p for inputs in [0, 8p) (property, and the edges)', () => {
    fc.assert(fc.property(below8p, below8p, (a, b) => _formulas.mul(a, b) === (a * b) % p), { numRuns: 5000 })
    const edges = [0n, 1n, 2n, p - 1n, p, p + 1n, 2n ** 256n - 1n, 2n ** 256n, 2n * p - 1n, 3n * p - 1n, 8n * p - 1n]
    for (const a of edges) for (const b of edges) expect(_formulas.mul(a, b)).toBe((a * b) % p)
  })
})

describe('complete a = 0 formulas', () => {
  it('match noble add and double on random points, in any projective form', () => {
    for (let i = 0; i < 40; i++) {
      const P = scrambled(randomPoint())
      const Q = scrambled(randomPoint())
      expect(_formulas.add(P, Q).equals(P.add(Q))).toBe(true)
      expect(_formulas.double(P).equals(P.double())).toBe(true)
    }
  })

  it('have no exceptional cases: identity, P + P, P + (-P), identity + identity', () => {
    const P = scrambled(randomPoint())
    const zeroScrambled = new Point(0n, 5n, 0n) // another projective form of the identity
    expect(_formulas.add(P, ZERO).equals(P)).toBe(true)
    expect(_formulas.add(ZERO, P).equals(P)).toBe(true)
    expect(_formulas.add(P, zeroScrambled).equals(P)).toBe(true)
    expect(_formulas.add(P, P).equals(P.double())).toBe(true)
    expect(_formulas.add(P, P.negate()).is0()).toBe(true)
    expect(_formulas.add(ZERO, ZERO).is0()).toBe(true)
    expect(_formulas.double(ZERO).is0()).toBe(true)
    expect(_formulas.double(zeroScrambled).is0()).toBe(true)
    expect(_formulas.add(G, G.double()).equals(G.multiply(3n))).toBe(true)
  })
})

describe('mulSameScalar (many points, one secret scalar)', () => {
  it('equals noble multiply on edge scalars, for fresh and scrambled points', () => {
    const points = [G, randomPoint(), scrambled(randomPoint()), G.negate(), G.multiply(n - 1n)]
    for (const k of EDGE_SCALARS) {
      const got = mulSameScalar(points, k)
      expect(got.length).toBe(points.length)
      got.forEach((P, i) => expect(P.equals((points[i] as Point).multiply(k)), `k = ${k}, point ${i}`).toBe(true))
    }
  })

  it('equals noble multiply for random points and scalars (property)', () => {
    fc.assert(
      fc.property(scalarArb, fc.integer({ min: 1, max: 4 }), (k, count) => {
        const points = Array.from({ length: count }, () => scrambled(randomPoint()))
        return mulSameScalar(points, k).every((P, i) => P.equals((points[i] as Point).multiply(k)))
      }),
      { numRuns: 40 },
    )
  })

  it('returns normalized points (Z = 1) and maps the identity to the identity', () => {
    const [a, z] = mulSameScalar([scrambled(randomPoint()), ZERO], randomScalar())
    expect((a as Point).Z).toBe(1n)
    expect((z as Point).is0()).toBe(true)
    expect(mulSameScalar([], 5n)).toEqual([])
  })

  it('refuses scalars outside [1, n) and non-points with INVALID_INPUT', () => {
    for (const k of [0n, -1n, n, n + 1n]) {
      try {
        mulSameScalar([G], k)
        throw new Error('accepted a bad scalar')
      } catch (e) {
        expect(isZrError(e, 'INVALID_INPUT'), String(e)).toBe(true)
      }
    }
    expect(() => mulSameScalar([G], 5 as unknown as bigint)).toThrow(/expected a scalar in \[1, n\), got number/)
    expect(() => mulSameScalar([G, { X: 1n } as unknown as Point], 5n)).toThrow(/point 1: expected a secp256k1 Point/)
  })
})

describe('FixedBaseTable and mulBase (one fixed point, many secret scalars)', () => {
  const B = scrambled(randomPoint())
  const table = new FixedBaseTable(B)

  it('equal noble multiply on edge scalars', () => {
    for (const k of EDGE_SCALARS) {
      expect(table.multiply(k).equals(B.multiply(k)), `k = ${k}`).toBe(true)
      expect(mulBase(k).equals(G.multiply(k)), `k = ${k}`).toBe(true)
    }
  })

  it('equal noble multiply for random scalars (property)', () => {
    fc.assert(
      fc.property(scalarArb, (k) => table.multiply(k).equals(B.multiply(k)) && mulBase(k).equals(G.multiply(k))),
      { numRuns: 100 },
    )
  })

  it('refuse bad scalars and points', () => {
    expect(() => table.multiply(0n)).toThrow(/expected a scalar in \[1, n\), got a value <= 0/)
    expect(() => mulBase(n)).toThrow(/got a value >= n/)
    expect(() => new FixedBaseTable(null as unknown as Point)).toThrow(/expected a secp256k1 Point, got null/)
  })
})

describe('normalizePoints', () => {
  it('keeps every point, with Z = 1, the identity as the identity', () => {
    const pts = [scrambled(randomPoint()), ZERO, scrambled(G), randomPoint()]
    const out = normalizePoints(pts)
    expect(out.length).toBe(pts.length)
    out.forEach((P, i) => {
      expect(P.equals(pts[i] as Point)).toBe(true)
      if (!P.is0()) expect(P.Z).toBe(1n)
    })
    expect(normalizePoints([])).toEqual([])
  })
})
