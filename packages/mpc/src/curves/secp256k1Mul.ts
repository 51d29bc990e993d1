/**
 * Hand-written secp256k1 multiplication for zrkit's DKLs23 layer, kept for the shapes where a
 * one-party benchmark (`npx tsx bench/curves.ts`) shows noble's public API slower:
 *
 * - {@link mulSameScalar}: many different points times ONE secret scalar (the VSOT sender computes
 *   b*A_i for 256 points A_i; a signer checks chi*R_j and chi*pk_j): 3.5x to 11x faster than noble's
 *   `multiply` + `normalizeZ` in the runs measured;
 * - {@link mulBase}: G times a secret scalar, through a {@link FixedBaseTable} of G: 1.5x to 3.9x
 *   faster than noble's (blinded) `Point.BASE.multiply`;
 * - {@link FixedBaseTable} for another fixed point (the VSOT sender key B, times 256 scalars): from
 *   even to 2.3x faster than noble's `precompute(8)` (whose table covers blinded 384-bit scalars), and
 *   with noble's table the timing-bound DKG tamper tests missed their 4 s rounds under load.
 *
 * {@link normalizePoints} is noble's public `normalizeZ` (one shared inversion) with zrkit's checks.
 *
 * Both multiplications use the GLV endomorphism of secp256k1: psi(x, y) = (beta*x, y) = lambda*(x, y),
 * and k = k1 + k2*lambda (mod n) with |k1|, |k2| < 2^128 ({@link splitScalar}: Babai rounding with the
 * public reduced basis below, GLV 2001), so k*P = k1*P + k2*psi(P) needs 128 doublings instead of 256.
 * No `_`-prefixed (internal) noble export is used; the tests check everything against noble.
 *
 * Point arithmetic: projective (X : Y : Z) coordinates, as in noble's `Point`, with the complete
 * formulas of Renes, Costello and Batina ("Complete addition formulas for prime order elliptic
 * curves", eprint 2015/1060) specialised to a = 0: Algorithm 7 (addition, 12M + 2 mul by 3b) and
 * Algorithm 9 (doubling, 6M + 2S + 1 mul by 3b). noble's `add`/`double` use the same paper's formulas
 * for a general a (Algorithms 1 and 3); the a = 0 ones do less work and, being complete as well, have
 * no exceptional cases (identity, P + P, P + (-P)), so the operation sequence never depends on the
 * values. The tests check both formulas against noble's `add`/`double` and every result against
 * noble's `multiply`.
 *
 * Side channels: the sequence of point operations is fixed (it depends on nothing but the sizes):
 * signed fixed-window digits with a fixed window count, one table addition per window and half
 * (adding the identity for a zero digit; the complete formulas cost the same for it), a
 * data-oblivious table scan that touches every entry before one entry is kept, and the sign applied
 * by selecting between the entry and its negation, which is the pattern of noble's own constant-time
 * `multiply`. Like all BigInt code in zrkit, the field arithmetic underneath is not guaranteed
 * constant-time by the JavaScript engine. noble's `multiply` additionally blinds the scalar with a
 * random multiple of n; that does not combine with the endomorphism split (it needs k < n), so these
 * helpers rely on the fixed operation sequence alone, as noble's unblinded constant-time path does.
 * Secret scalars never go through `multiplyUnsafe`.
 */
import { normalizeZ } from '@noble/curves/abstract/curve.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { ZrError } from '@zrkit/core'

type Point = InstanceType<typeof secp256k1.Point>
const Point = secp256k1.Point
const Fp = Point.Fp
const N = Point.Fn.ORDER

/** beta: a cube root of unity mod p; psi(x, y) = (beta*x, y) is the endomorphism of secp256k1. */
export const ENDO_BETA = 0x7ae96a2b657c07106e64479eac3434e99cf0497512f58995c1396c28719501een
/** lambda: the cube root of unity mod n with psi(P) = lambda*P for every point P. */
export const ENDO_LAMBDA = 0x5363ad4cc05c30e0a5261c028812645a122e22ea20816678df02967c1b23bd72n
/** Reduced basis of the lattice {(a, b) : a + b*lambda = 0 mod n} used to split scalars. */
const ENDO_BASIS: [[bigint, bigint], [bigint, bigint]] = [
  [0x3086d221a7d46bcde86c90e49284eb15n, -0xe4437ed6010e88286f547fa90abfe4c3n],
  [0x114ca50f7a8e2f3f657c1108d9d44cfd8n, 0x3086d221a7d46bcde86c90e49284eb15n],
]
/** Bits of |k1|, |k2| after the split. */
const HALF_BITS = 128

const P_FIELD = Fp.ORDER
const B3 = 21n // 3 * b for y^2 = x^3 + 7

/** A projective point (X : Y : Z) on secp256k1 as plain field elements; (0 : 1 : 0) is the identity. */
type Proj = readonly [bigint, bigint, bigint]
const IDENTITY: Proj = [0n, 1n, 0n]

const MASK_256 = (1n << 256n) - 1n
/** 2^256 mod p = 2^32 + 977: p = 2^256 - 2^32 - 977 is a pseudo-Mersenne prime. */
const FOLD = 0x1000003d1n
/**
 * a*b mod p for 0 <= a, b < 8p, without BigInt division: the product is folded twice at bit 256 (hi * 2^256 =
 * hi * (2^32 + 977) mod p), leaving x < 2^256 + 2^75 < 2p, then one conditional subtraction. About a fifth faster
 * than `%` in V8; the tests check every multiplication built on it against noble.
 */
const fmul = (a: bigint, b: bigint): bigint => {
  let x = a * b
  x = (x & MASK_256) + (x >> 256n) * FOLD
  x = (x & MASK_256) + (x >> 256n) * FOLD
  return x >= P_FIELD ? x - P_FIELD : x
}
const fadd = (a: bigint, b: bigint): bigint => {
  const s = a + b
  return s >= P_FIELD ? s - P_FIELD : s
}
const fsub = (a: bigint, b: bigint): bigint => {
  const d = a - b
  return d < 0n ? d + P_FIELD : d
}

/**
 * Complete addition for a = 0 (Renes-Costello-Batina, Algorithm 7). Sums and differences that
 * only feed multiplications are left unreduced (non-negative, below 3p; every product is reduced).
 */
function projAdd(p: Proj, q: Proj): Proj {
  const [X1, Y1, Z1] = p
  const [X2, Y2, Z2] = q
  let t0 = fmul(X1, X2)
  let t1 = fmul(Y1, Y2)
  let t2 = fmul(Z1, Z2)
  let t3 = fmul(X1 + Y1, X2 + Y2)
  let t4 = fadd(t0, t1)
  t3 = fsub(t3, t4)
  t4 = fmul(Y1 + Z1, Y2 + Z2)
  let X3 = fadd(t1, t2)
  t4 = fsub(t4, X3)
  X3 = fmul(X1 + Z1, X2 + Z2)
  let Y3 = X3 - fadd(t0, t2) + P_FIELD
  t0 = 3n * t0
  t2 = fmul(B3, t2)
  let Z3 = t1 + t2
  t1 = t1 - t2 + P_FIELD
  Y3 = fmul(B3, Y3)
  X3 = fmul(t4, Y3)
  t2 = fmul(t3, t1)
  X3 = fsub(t2, X3)
  Y3 = fmul(Y3, t0)
  t1 = fmul(t1, Z3)
  Y3 = fadd(t1, Y3)
  t0 = fmul(t0, t3)
  Z3 = fmul(Z3, t4)
  Z3 = fadd(Z3, t0)
  return [X3, Y3, Z3]
}

/**
 * Complete doubling for a = 0 (Renes-Costello-Batina, Algorithm 9). Values that only feed a
 * multiplication are left unreduced (8*Y^2 below 8p, Y^2 + 3b*Z^2 below 2p).
 */
function projDouble(p: Proj): Proj {
  const [X, Y, Z] = p
  let t0 = fmul(Y, Y)
  let Z3 = t0 << 3n
  let t1 = fmul(Y, Z)
  let t2 = fmul(Z, Z)
  t2 = fmul(B3, t2)
  let X3 = fmul(t2, Z3)
  let Y3 = t0 + t2
  Z3 = fmul(t1, Z3)
  t1 = fadd(t2, t2)
  t2 = fadd(t1, t2)
  t0 = fsub(t0, t2)
  Y3 = fmul(t0, Y3)
  Y3 = fadd(X3, Y3)
  t1 = fmul(X, Y)
  X3 = fmul(t0, t1)
  X3 = fadd(X3, X3)
  return [X3, Y3, Z3]
}

/** -P: (X : -Y : Z). */
const projNeg = (p: Proj): Proj => [p[0], p[1] === 0n ? 0n : P_FIELD - p[1], p[2]]
/** psi(P) = lambda*P: (beta*X : Y : Z). */
const projPsi = (p: Proj): Proj => [fmul(p[0], ENDO_BETA), p[1], p[2]]
const toProj = (p: Point): Proj => [p.X, p.Y, p.Z]
const fromProj = (p: Proj): Point => new Point(p[0], p[1], p[2])

/**
 * Test hooks (not for protocol use): the a = 0 complete formulas on noble points, so that the tests
 * can compare them with noble's own `add` and `double`.
 *
 * @example
 * ```ts
 * import { secp256k1 } from '@noble/curves/secp256k1.js'
 * import { _formulas } from './secp256k1Mul.js'
 *
 * const G = secp256k1.Point.BASE
 * _formulas.add(G, G).equals(G.double()) // true
 * ```
 */
export const _formulas = {
  /** The field multiplication the formulas use, for inputs in [0, 8p). */
  mul: (a: bigint, b: bigint): bigint => fmul(a, b),
  add: (p: Point, q: Point): Point => fromProj(projAdd(toProj(p), toProj(q))),
  double: (p: Point): Point => fromProj(projDouble(toProj(p))),
}

function checkScalar(k: bigint, what: string): void {
  if (typeof k !== 'bigint' || k <= 0n || k >= N) throw new ZrError('INVALID_INPUT', `${what}: expected a scalar in [1, n), got ${typeof k === 'bigint' ? (k <= 0n ? 'a value <= 0' : 'a value >= n') : typeof k}`)
}

function checkPoint(p: unknown, what: string): asserts p is Point {
  if (!(p instanceof Point)) throw new ZrError('INVALID_INPUT', `${what}: expected a secp256k1 Point, got ${p === null ? 'null' : typeof p}`)
}

/**
 * Signed base-2^w digits of 0 <= k < 2^bits: `count` digits d_i in [-2^(w-1), 2^(w-1)) with
 * k = sum d_i 2^(w i); the last digit absorbs the final carry. No branches on the digit values.
 */
function signedDigits(k: bigint, w: number, count: number): Int32Array {
  const out = new Int32Array(count)
  const mask = BigInt((1 << w) - 1)
  const half = 1 << (w - 1)
  let carry = 0
  for (let i = 0; i < count; i++) {
    const d = Number((k >> BigInt(w * i)) & mask) + carry
    carry = (d + half) >> w
    out[i] = d - (carry << w)
  }
  return out
}

/** a / b rounded to the nearest integer (b > 0; halves round up), for any sign of a. */
function divNearest(a: bigint, b: bigint): bigint {
  const q = 2n * a + b
  const d = 2n * b
  return q >= 0n ? q / d : -((-q + d - 1n) / d)
}

/**
 * The GLV split of k in [1, n): k = (k1neg ? -k1 : k1) + (k2neg ? -k2 : k2)*lambda (mod n) with
 * 0 <= k1, k2 < 2^128. With the reduced basis (a1, b1), (a2, b2) of the lattice of pairs (x, y) with
 * x + y*lambda = 0 (mod n): c1 = round(b2*k/n), c2 = round(-b1*k/n), and (k1, k2) = (k, 0) - c1*(a1, b1)
 * - c2*(a2, b2). Exported for the tests, which check it against its defining equation.
 *
 * @example
 * ```ts
 * import { splitScalar, ENDO_LAMBDA } from './secp256k1Mul.js'
 * const { k1, k1neg, k2, k2neg } = splitScalar(123456789n) // k1 + k2*lambda = 123456789 (mod n), signs applied
 * ```
 */
export function splitScalar(k: bigint): { k1neg: boolean; k1: bigint; k2neg: boolean; k2: bigint } {
  const [[a1, b1], [a2, b2]] = ENDO_BASIS
  const c1 = divNearest(b2 * k, N)
  const c2 = divNearest(-b1 * k, N)
  let k1 = k - c1 * a1 - c2 * a2
  let k2 = -c1 * b1 - c2 * b2
  const k1neg = k1 < 0n
  const k2neg = k2 < 0n
  if (k1neg) k1 = -k1
  if (k2neg) k2 = -k2
  if (k1 >= 1n << BigInt(HALF_BITS) || k2 >= 1n << BigInt(HALF_BITS)) throw new ZrError('INVALID_INPUT', `splitScalar: expected a scalar in [1, n), got one whose split exceeds ${HALF_BITS} bits`)
  return { k1neg, k1, k2neg, k2 }
}

/** Splits k in [1, n) into k1 + k2*lambda with digit strings for both halves and their signs. */
function split(k: bigint, w: number, count: number): { d1: Int32Array; d2: Int32Array; neg1: number; neg2: number } {
  const { k1neg, k1, k2neg, k2 } = splitScalar(k)
  return { d1: signedDigits(k1, w, count), d2: signedDigits(k2, w, count), neg1: k1neg ? 1 : 0, neg2: k2neg ? 1 : 0 }
}

/**
 * Entry |d| of `table` (entry 0 is the identity), negated when the sign of d differs from `flip`.
 * Scans every entry and computes both signs before keeping one (noble's constant-time pattern).
 */
function select(table: readonly Proj[], d: number, flip: number): Proj {
  const idx = Math.abs(d)
  let sel = table[0] as Proj
  for (let i = 1; i < table.length; i++) sel = i === idx ? (table[i] as Proj) : sel
  const neg = projNeg(sel)
  return ((d >>> 31) ^ flip) === 1 ? neg : sel
}

const LADDER_W = 4
const LADDER_WINDOWS = HALF_BITS / LADDER_W + 1

/**
 * k*P for every P in `points`, for one secret scalar k in [1, n). The scalar is split once; per point
 * the cost is a table of 8 multiples, 128 doublings and 66 additions, always the same sequence. The
 * results are normalized together (one field inversion), see {@link normalizePoints}.
 *
 * @example
 * ```ts
 * import { secp256k1 } from '@noble/curves/secp256k1.js'
 * import { mulSameScalar } from './secp256k1Mul.js'
 *
 * const G = secp256k1.Point.BASE
 * const b = 0x1234567890abcdefn
 * const [bG, b2G] = mulSameScalar([G, G.double()], b) // same as G.multiply(b), G.double().multiply(b)
 * ```
 */
export function mulSameScalar(points: readonly Point[], k: bigint): Point[] {
  if (!Array.isArray(points)) throw new ZrError('INVALID_INPUT', `mulSameScalar: expected an array of points, got ${typeof points}`)
  points.forEach((p, i) => checkPoint(p, `mulSameScalar point ${i}`))
  checkScalar(k, 'mulSameScalar')
  const { d1, d2, neg1, neg2 } = split(k, LADDER_W, LADDER_WINDOWS)
  const out = points.map((point) => {
    // T[i] = i*P (i <= 8) and U[i] = psi(T[i]) = i*lambda*P
    const P = toProj(point)
    const P2 = projDouble(P)
    const P3 = projAdd(P2, P)
    const P4 = projDouble(P2)
    const P6 = projDouble(P3)
    const T: Proj[] = [IDENTITY, P, P2, P3, P4, projAdd(P4, P), P6, projAdd(P6, P), projDouble(P4)]
    const U = T.map(projPsi)
    let acc = IDENTITY
    for (let w = LADDER_WINDOWS - 1; w >= 0; w--) {
      // No doublings in the top window (acc is still the identity): depends on the index only.
      if (w !== LADDER_WINDOWS - 1) for (let i = 0; i < LADDER_W; i++) acc = projDouble(acc)
      acc = projAdd(projAdd(acc, select(T, d1[w] as number, neg1)), select(U, d2[w] as number, neg2))
    }
    return fromProj(acc)
  })
  d1.fill(0)
  d2.fill(0)
  return normalizePoints(out)
}

const COMB_W = 8
const COMB_WINDOWS = HALF_BITS / COMB_W + 1
const COMB_HALF = 1 << (COMB_W - 1)

/**
 * A precomputed table for multiplying one fixed point P by many secret scalars: for every 8-bit
 * window w < 17 the multiples j*2^(8w)*P, j <= 128 (about 2200 points, built with as many
 * additions). A multiplication is then 34 table additions (17 per half of the split scalar), with
 * no doublings.
 *
 * @example
 * ```ts
 * import { secp256k1 } from '@noble/curves/secp256k1.js'
 * import { FixedBaseTable } from './secp256k1Mul.js'
 *
 * const B = secp256k1.Point.BASE.multiply(12345n)
 * const table = new FixedBaseTable(B)
 * const P = table.multiply(678n) // same as B.multiply(678n)
 * ```
 */
export class FixedBaseTable {
  readonly #windows: Proj[][]
  /** The fixed point. */
  readonly point: Point

  constructor(point: Point) {
    checkPoint(point, 'FixedBaseTable')
    this.point = point
    this.#windows = []
    let base = toProj(point)
    for (let w = 0; w < COMB_WINDOWS; w++) {
      const row: Proj[] = [IDENTITY, base]
      for (let j = 2; j <= COMB_HALF; j++) row.push(projAdd(row[j - 1] as Proj, base))
      this.#windows.push(row)
      base = projDouble(row[COMB_HALF] as Proj) // 2^8 * base
    }
  }

  /** k*P for a secret scalar k in [1, n) (fixed operation sequence). */
  multiply(k: bigint): Point {
    checkScalar(k, 'FixedBaseTable.multiply')
    const { d1, d2, neg1, neg2 } = split(k, COMB_W, COMB_WINDOWS)
    let acc = IDENTITY
    for (let w = 0; w < COMB_WINDOWS; w++) {
      const row = this.#windows[w] as Proj[]
      acc = projAdd(projAdd(acc, select(row, d1[w] as number, neg1)), projPsi(select(row, d2[w] as number, neg2)))
    }
    d1.fill(0)
    d2.fill(0)
    return fromProj(acc)
  }
}

// The table of G: public constant data (multiples of the generator, the same for every party and
// process), built on first use as noble builds its own table of G. It holds nothing of any party.
let baseTable: FixedBaseTable | undefined
/**
 * k*G for a secret scalar k in [1, n), through a {@link FixedBaseTable} for G built on first use.
 *
 * @example
 * ```ts
 * import { mulBase } from './secp256k1Mul.js'
 *
 * const P = mulBase(5n) // same as secp256k1.Point.BASE.multiply(5n)
 * ```
 */
export function mulBase(k: bigint): Point {
  baseTable ??= new FixedBaseTable(Point.BASE)
  return baseTable.multiply(k)
}

/**
 * The same points with Z = 1 (one shared field inversion for all, via noble's `normalizeZ`), so
 * that `toAffine`, `toBytes` and `equals` on them need no inversion each. The identity stays the
 * identity.
 *
 * @example
 * ```ts
 * import { secp256k1 } from '@noble/curves/secp256k1.js'
 * import { normalizePoints } from './secp256k1Mul.js'
 *
 * const G = secp256k1.Point.BASE
 * const encoded = normalizePoints([G.double(), G.double().add(G)]).map((p) => p.toBytes(true))
 * ```
 */
export function normalizePoints(points: readonly Point[]): Point[] {
  if (!Array.isArray(points)) throw new ZrError('INVALID_INPUT', `normalizePoints: expected an array of points, got ${typeof points}`)
  points.forEach((p, i) => checkPoint(p, `normalizePoints point ${i}`))
  return points.length === 0 ? [] : normalizeZ(Point, points as Point[])
}
