import { ed25519 } from '@noble/curves/ed25519.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { ENDO_BETA, splitScalar } from './secp256k1Mul.js'

// Variable-time arithmetic on PUBLIC points and scalars only: the group commitment of FROST signing
// (commitment points and binding factors are public), share checks, and the prime-order check of
// received ed25519 points. Branches and memory accesses depend on the scalars, so nothing secret may
// come here; the nonce commitments and signature shares stay with noble's constant-time code.
//
// Coordinates are plain bigints with a cheap partial reduction between operations (folds of the
// modulus' special form), exact modular reduction only at the end; noble's field does the one
// inversion per result. Every fold is an exact congruence, so the size bounds noted below only keep
// the numbers near 256 bits (speed); the results never depend on them. Multi-scalar products use interleaved width-5 wNAF (Strauss): one doubling
// chain shared by all points, about one table addition per six bits and point.

type EdPoint = InstanceType<typeof ed25519.Point>
type SecpPoint = InstanceType<typeof secp256k1.Point>

/** Width-5 wNAF digits of a non-negative scalar, least significant first (odd digits in -15..15). */
function wnaf5(k: bigint): Int8Array {
  const digits = new Int8Array(k.toString(2).length + 1)
  let i = 0
  while (k > 0n) {
    if (k & 1n) {
      let d = Number(k & 31n)
      if (d > 16) d -= 32
      digits[i] = d
      k -= BigInt(d)
    }
    k >>= 1n
    i++
  }
  return digits
}

function checkInputs(points: readonly unknown[], scalars: readonly bigint[]): void {
  if (points.length !== scalars.length) throw new RangeError(`expected as many scalars as points, got ${scalars.length} for ${points.length}`)
  for (const s of scalars) if (typeof s !== 'bigint' || s < 0n) throw new RangeError('expected non-negative bigint scalars')
}

// ---- edwards25519: -x² + y² = 1 + d·x²·y² over p = 2^255 - 19, extended coordinates -------------

const edP = ed25519.Point.Fp.ORDER
const edMask = (1n << 255n) - 1n
const ed2d = (2n * ed25519.Point.CURVE().d) % edP
/** x mod p up to a small multiple: for |x| < 2^530 the result is congruent and below 2^256 in size. */
function edFold(x: bigint): bigint {
  x = (x & edMask) + 19n * (x >> 255n)
  return (x & edMask) + 19n * (x >> 255n)
}
/**
 * One fold only, for the products of values below 2^257 (|x| < 2^514): the result is congruent and
 * below 2^263.3 in size, small enough that products of sums of a few such values stay below 2^530.
 * The bounds of each use are noted beside it.
 */
function edFold1(x: bigint): bigint {
  return (x & edMask) + 19n * (x >> 255n)
}

/** An ed25519 table entry prepared for addition: (Y − X, Y + X, 2Z, 2d·T). */
type EdCached = { ymx: bigint; ypx: bigint; z2: bigint; t2d: bigint }

/** Extended coordinates (X : Y : Z : T) with x = X/Z, y = Y/Z, x·y = T/Z. */
class EdAcc {
  constructor(
    public X: bigint,
    public Y: bigint,
    public Z: bigint,
    public T: bigint,
  ) {}

  /** Doubling (a = -1); T is only computed when `withT` (it is needed by additions, not by doublings). */
  double(withT: boolean): void {
    // X, Y, Z < 2^256 in size, so A, B < 2^261.3, C < 2^262.3, E < 2^264, F < 2^263, G < 2^261.3,
    // H < 2^262.3, and the four products below stay under 2^528.
    const { X, Y, Z } = this
    const A = edFold1(X * X)
    const B = edFold1(Y * Y)
    const C = edFold1(Z * Z) << 1n
    const s = X + Y
    const E = edFold1(s * s) - A - B
    const G = B - A
    const F = G - C
    const H = -A - B
    this.X = edFold(E * F)
    this.Y = edFold(G * H)
    this.Z = edFold(F * G)
    if (withT) this.T = edFold(E * H)
  }

  /** Unified addition of a cached point, negated when `neg` (complete on edwards25519). */
  add(q: EdCached, neg: boolean): void {
    // X, Y, Z, T and the cached values are below 2^257 in size, so a, b < 2^263.3, c < 2^261.3,
    // d < 2^262.3, e, h < 2^264.3, f, g < 2^263, and the four products below stay under 2^529.
    const { X, Y, Z, T } = this
    const a = edFold1((Y - X) * (neg ? q.ypx : q.ymx))
    const b = edFold1((Y + X) * (neg ? q.ymx : q.ypx))
    const c = edFold1(T * (neg ? -q.t2d : q.t2d))
    const d = edFold1(Z * q.z2)
    const e = b - a
    const f = d - c
    const g = d + c
    const h = b + a
    this.X = edFold(e * f)
    this.Y = edFold(g * h)
    this.Z = edFold(f * g)
    this.T = edFold(e * h)
  }

  cached(): EdCached {
    const { X, Y, Z, T } = this
    return { ymx: Y - X, ypx: Y + X, z2: Z << 1n, t2d: edFold(T * ed2d) }
  }

  isIdentity(): boolean {
    return this.X % edP === 0n && (this.Y - this.Z) % edP === 0n
  }
}

const edFromAffine = (x: bigint, y: bigint) => new EdAcc(x, y, 1n, edFold(x * y))

/** P, 3P, 5P, ..., 15P of an affine point, ready for addition. */
function edOddMultiples(x: bigint, y: bigint): EdCached[] {
  const P = edFromAffine(x, y)
  const twice = edFromAffine(x, y)
  twice.double(true)
  const step = twice.cached()
  const table = [P.cached()]
  for (let i = 1; i < 8; i++) {
    P.add(step, false)
    table.push(P.cached())
  }
  return table
}

/** Σ digits[i]·points[i], each scalar given as its {@link wnaf5} digits. */
function edStrauss(points: readonly { x: bigint; y: bigint }[], digits: readonly Int8Array[]): EdAcc {
  const tables = points.map((p) => edOddMultiples(p.x, p.y))
  const acc = new EdAcc(0n, 1n, 1n, 0n)
  const top = Math.max(0, ...digits.map((d) => d.length)) - 1
  for (let i = top; i >= 0; i--) {
    let any = false
    for (const d of digits) if (d[i]) any = true
    if (i < top) acc.double(any)
    if (!any) continue
    for (let j = 0; j < digits.length; j++) {
      const d = digits[j]![i]
      if (d) acc.add(tables[j]![(Math.abs(d) - 1) >> 1]!, d < 0)
    }
  }
  return acc
}

function edToPoint(acc: EdAcc): EdPoint {
  const Fp = ed25519.Point.Fp
  const iz = Fp.inv(Fp.create(acc.Z))
  return ed25519.Point.fromAffine({ x: Fp.mul(Fp.create(acc.X), iz), y: Fp.mul(Fp.create(acc.Y), iz) })
}

/**
 * Σ scalars[i]·points[i] on ed25519, variable time: for public points and scalars only. Gives the same
 * point as noble's `mulAddUnsafe`.
 *
 * @example
 * ```ts
 * import { ed25519 } from '@noble/curves/ed25519.js'
 * const R = ed25519PublicMsm([P, Q], [a, b]) // a·P + b·Q
 * R.equals(P.multiply(a).add(Q.multiply(b))) // true
 * ```
 */
export function ed25519PublicMsm(points: readonly EdPoint[], scalars: readonly bigint[]): EdPoint {
  checkInputs(points, scalars)
  return edToPoint(edStrauss(points.map((p) => p.toAffine()), scalars.map(wnaf5)))
}

/** x^(2^252 - 3) mod p (the exponent (p - 5)/8 of RFC 8032's square root), fully reduced; x >= 0. */
function edPow22523(x: bigint): bigint {
  const sq = (v: bigint, n: number) => {
    for (let i = 0; i < n; i++) v = edFold(v * v)
    return v
  }
  x = edFold(x)
  const b2 = edFold(edFold(x * x) * x) // x^(2^2 - 1)
  const b4 = edFold(sq(b2, 2) * b2) // x^(2^4 - 1)
  const b5 = edFold(sq(b4, 1) * x)
  const b10 = edFold(sq(b5, 5) * b5)
  const b20 = edFold(sq(b10, 10) * b10)
  const b40 = edFold(sq(b20, 20) * b20)
  const b80 = edFold(sq(b40, 40) * b40)
  const b160 = edFold(sq(b80, 80) * b80)
  const b240 = edFold(sq(b160, 80) * b80)
  const b250 = edFold(sq(b240, 10) * b10)
  return edFold(sq(b250, 2) * x) % edP // x^(2^252 - 4 + 1)
}

const edD = ed25519.Point.CURVE().d
/** √-1 mod p = 2^((p - 1)/4). */
const edSqrtM1 = ed25519.Point.Fp.pow(2n, (edP - 1n) / 4n)

/**
 * RFC 8032 Section 5.1.3 decoding of a PUBLIC ed25519 point: the same acceptance and the same point as noble's
 * `Point.fromBytes(bytes)` (y below p, a square root of (y² - 1)/(d·y² + 1), no x = 0 with the sign bit set),
 * with the square root's exponentiation on the partially reduced arithmetic above (about twice as fast). Throws
 * a RangeError for bytes that are not such a point; the caller checks the curve equation and the subgroup.
 *
 * @example
 * ```ts
 * import { ed25519 } from '@noble/curves/ed25519.js'
 * ed25519PointFromBytes(bytes).equals(ed25519.Point.fromBytes(bytes)) // true (or both throw)
 * ```
 */
export function ed25519PointFromBytes(bytes: Uint8Array): EdPoint {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) throw new RangeError('expected a 32-byte ed25519 point encoding')
  const last = bytes[31]!
  let y = 0n
  for (let i = 31; i >= 0; i--) y = (y << 8n) | BigInt(i === 31 ? last & 0x7f : bytes[i]!)
  if (y >= edP) throw new RangeError('bad point: y is not below p')
  const y2 = (y * y) % edP
  const u = (y2 + edP - 1n) % edP
  const v = (edD * y2 + 1n) % edP
  const v3 = (v * v * v) % edP
  const v7 = (v3 * v3 * v) % edP
  let x = (u * v3 * edPow22523(u * v7)) % edP
  const vx2 = (v * x * x) % edP
  if (vx2 === u) {
    // x is a root
  } else if (vx2 === (edP - u) % edP) x = (x * edSqrtM1) % edP
  else throw new RangeError('bad point: invalid y coordinate')
  const wantOdd = (last & 0x80) !== 0
  if (x === 0n && wantOdd) throw new RangeError('bad point: x = 0 with the sign bit set')
  if ((x & 1n) === 1n !== wantOdd) x = (edP - x) % edP
  return ed25519.Point.fromAffine({ x, y })
}

/**
 * The wNAF digits of the group order L of ed25519 ([L]P is the identity exactly for P in the
 * prime-order subgroup): a constant, recoded once rather than for every point checked. Never written to.
 */
const edOrderDigits: readonly Int8Array[] = [wnaf5(ed25519.Point.Fn.ORDER)]

/**
 * Whether a PUBLIC ed25519 point is in the prime-order subgroup (or is the identity): [L]P = 0.
 * The same answer as noble's `isTorsionFree`, computed in variable time.
 *
 * @example
 * ```ts
 * import { ed25519 } from '@noble/curves/ed25519.js'
 * const P = ed25519.Point.fromBytes(bytes)
 * ed25519IsPrimeOrder(P) === P.isTorsionFree() // true
 * ```
 */
export function ed25519IsPrimeOrder(point: EdPoint): boolean {
  return edStrauss([point.toAffine()], edOrderDigits).isIdentity()
}

// ---- secp256k1: y² = x³ + 7 over p = 2^256 - 2^32 - 977, Jacobian coordinates ------------------

const kP = secp256k1.Point.Fp.ORDER
const kMask = (1n << 256n) - 1n
const kC = (1n << 256n) - kP // 2^32 + 977
/** x mod p up to a small multiple: for |x| < 2^530 the result is congruent and below 2^257 in size. */
function kFold(x: bigint): bigint {
  x = (x & kMask) + kC * (x >> 256n)
  return (x & kMask) + kC * (x >> 256n)
}
const kIsZero = (x: bigint) => x % kP === 0n

type Affine = { x: bigint; y: bigint }

/** Jacobian coordinates (X : Y : Z), x = X/Z², y = Y/Z³; `inf` marks the identity. */
class KAcc {
  constructor(
    public X: bigint,
    public Y: bigint,
    public Z: bigint,
    public inf: boolean,
  ) {}

  /** Doubling for a = 0 (secp256k1 has no point of order 2, so y is never 0). */
  double(): void {
    if (this.inf) return
    const { X, Y, Z } = this
    const A = kFold(X * X)
    const B = kFold(Y * Y)
    const C = kFold(B * B)
    const s = X + B
    const D = (kFold(s * s) - A - C) << 1n
    const E = 3n * A
    const F = kFold(E * E)
    this.X = F - (D << 1n)
    this.Y = kFold(E * (D - this.X)) - (C << 3n)
    this.Z = kFold(Y * Z) << 1n
  }

  /** Adds an affine point, negated when `neg`; handles the identity, equal and opposite points. */
  addAffine(q: Affine, neg: boolean): void {
    const qy = neg ? -q.y : q.y
    if (this.inf) {
      this.X = q.x
      this.Y = qy
      this.Z = 1n
      this.inf = false
      return
    }
    const { X, Y, Z } = this
    const ZZ = kFold(Z * Z)
    const U2 = kFold(q.x * ZZ)
    const S2 = kFold(qy * kFold(Z * ZZ))
    const H = U2 - X
    const r = (S2 - Y) << 1n
    if (kIsZero(H)) {
      if (kIsZero(r)) this.double()
      else this.inf = true
      return
    }
    const HH = kFold(H * H)
    const I = HH << 2n
    const J = kFold(H * I)
    const V = kFold(X * I)
    this.X = kFold(r * r) - J - (V << 1n)
    this.Y = kFold(r * (V - this.X)) - (kFold(Y * J) << 1n)
    const zh = Z + H
    this.Z = kFold(zh * zh) - ZZ - HH
  }

  /** Adds another Jacobian point known to be neither the identity, nor equal or opposite to this one. */
  addDistinct(o: KAcc): void {
    const { X, Y, Z } = this
    const Z1Z1 = kFold(Z * Z)
    const Z2Z2 = kFold(o.Z * o.Z)
    const U1 = kFold(X * Z2Z2)
    const U2 = kFold(o.X * Z1Z1)
    const S1 = kFold(Y * kFold(o.Z * Z2Z2))
    const S2 = kFold(o.Y * kFold(Z * Z1Z1))
    const H = U2 - U1
    const h2 = H << 1n
    const I = kFold(h2 * h2)
    const J = kFold(H * I)
    const r = (S2 - S1) << 1n
    const V = kFold(U1 * I)
    this.X = kFold(r * r) - J - (V << 1n)
    this.Y = kFold(r * (V - this.X)) - (kFold(S1 * J) << 1n)
    const zz = Z + o.Z
    this.Z = kFold(kFold(zz * zz - Z1Z1 - Z2Z2) * H)
  }
}

/** Affine forms of many Jacobian points with one inversion (Montgomery's trick). */
function kNormalize(points: readonly KAcc[]): Affine[] {
  const Fp = secp256k1.Point.Fp
  const prefix: bigint[] = []
  let acc = 1n
  for (const p of points) {
    acc = Fp.mul(acc, Fp.create(p.Z))
    prefix.push(acc)
  }
  let inv = Fp.inv(acc)
  const out: Affine[] = new Array(points.length)
  for (let i = points.length - 1; i >= 0; i--) {
    const p = points[i]!
    const iz = i > 0 ? Fp.mul(inv, prefix[i - 1]!) : inv
    inv = Fp.mul(inv, Fp.create(p.Z))
    const iz2 = Fp.sqr(iz)
    out[i] = { x: Fp.mul(Fp.create(p.X), iz2), y: Fp.mul(Fp.create(p.Y), Fp.mul(iz2, iz)) }
  }
  return out
}

/**
 * Σ scalars[i]·points[i] on secp256k1, variable time: for public points and scalars only. Gives the
 * same point as noble's `mulAddUnsafe`.
 *
 * @example
 * ```ts
 * import { secp256k1 } from '@noble/curves/secp256k1.js'
 * const R = secp256k1PublicMsm([P, Q], [a, b]) // a·P + b·Q
 * R.equals(P.multiply(a).add(Q.multiply(b))) // true
 * ```
 */
export function secp256k1PublicMsm(points: readonly SecpPoint[], scalars: readonly bigint[]): SecpPoint {
  checkInputs(points, scalars)
  const n = secp256k1.Point.Fn.ORDER
  const used = points.map((p, i) => ({ p, k: scalars[i]! % n })).filter(({ p, k }) => k !== 0n && !p.is0())
  if (used.length === 0) return secp256k1.Point.ZERO
  // Odd multiples P, 3P, ..., 15P of each point (never equal, opposite or zero: the order is prime and huge).
  const jacobian: KAcc[] = []
  for (const { p } of used) {
    const { x, y } = p.toAffine()
    const twice = new KAcc(x, y, 1n, false)
    twice.double()
    const m = new KAcc(x, y, 1n, false)
    jacobian.push(new KAcc(x, y, 1n, false))
    for (let i = 1; i < 8; i++) {
      m.addDistinct(twice)
      jacobian.push(new KAcc(m.X, m.Y, m.Z, false))
    }
  }
  const affine = kNormalize(jacobian)
  // GLV: k·P = k1·P + k2·psi(P) with |k1|, |k2| < 2^128 and psi(x, y) = (beta·x, y), so the odd multiples of
  // psi(P) are those of P with x times beta, and the loop below doubles 128 times instead of 256.
  const Fp = secp256k1.Point.Fp
  const tables: { table: Affine[]; digits: Int8Array; neg: boolean }[] = []
  used.forEach(({ k }, j) => {
    const { k1neg, k1, k2neg, k2 } = splitScalar(k)
    const own = affine.slice(j * 8, j * 8 + 8)
    if (k1 !== 0n) tables.push({ table: own, digits: wnaf5(k1), neg: k1neg })
    if (k2 !== 0n) tables.push({ table: own.map(({ x, y }) => ({ x: Fp.mul(x, ENDO_BETA), y })), digits: wnaf5(k2), neg: k2neg })
  })
  const acc = new KAcc(0n, 1n, 0n, true)
  const top = Math.max(...tables.map((t) => t.digits.length)) - 1
  for (let i = top; i >= 0; i--) {
    acc.double()
    for (const { table, digits, neg } of tables) {
      const d = digits[i]
      if (d) acc.addAffine(table[(Math.abs(d) - 1) >> 1]!, d < 0 !== neg)
    }
  }
  if (acc.inf) return secp256k1.Point.ZERO
  const [r] = kNormalize([acc])
  return secp256k1.Point.fromAffine(r!)
}
