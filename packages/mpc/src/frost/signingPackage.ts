import { ed25519, ed25519_FROST } from '@noble/curves/ed25519.js'
import { schnorr, schnorr_FROST, secp256k1, secp256k1_FROST, secp256k1_hasher } from '@noble/curves/secp256k1.js'
import { bytesToNumberBE, bytesToNumberLE } from '@noble/curves/utils.js'
import { sha256, sha512 } from '@noble/hashes/sha2.js'
import { bytesToHex, concatBytes, hexToBytes, randomBytes, utf8ToBytes } from '@noble/hashes/utils.js'
import { ZrError, describeValue } from '@zrkit/core'
import { nativeSha512 } from '@zrkit/core/internal'
import { type NativeNonce, ed25519InPrimeOrderSubgroup, nativeEd25519Nonce } from '../curves/ed25519Native.js'
import { ed25519PointFromBytes, ed25519PublicMsm, secp256k1PublicMsm } from '../curves/publicMsm.js'
import type { Frost, FrostKey } from './suites.js'

// FROST round two (RFC 9591 Sections 4.4-4.6 and 5.2-5.4) computed once per signing package.
//
// Why not noble's public FROST API here: noble's `trustedDealer`/DKG are used as they are (runDkg.ts),
// but its round-two calls take raw bytes and re-derive everything per call, and there is no prepared
// form. Round one (`commit` below) is RFC 9591's nonce_generate and noble's constant-time BASE.multiply
// (for ed25519 on Node, one native Ed25519 signature per nonce instead), kept as points: noble's `commit`
// returns bytes only, and decoding its two points back cost each party about as much again as the commit
// (`npx tsx bench/curves.ts frost`, "round one"); given the randomness, the same bytes as noble's
// (signingPackage.test.ts, with the vectors' randomness). One party's round two (its share, then the aggregate checked
// by an independent verifier) measured with `npx tsx bench/curves.ts frost`, one thread, same run:
// noble `signShare` + `aggregate` take 7-11x this module's time for ed25519 and 2.5-3.5x for BIP340
// (t = 2, 3, 5). noble also has no per-signer blame after a failed aggregate without re-deriving per
// share. So round two stays here, checked byte for byte against noble and the RFC 9591 vectors
// (signingPackage.test.ts, vectors.test.ts).
//
// noble's `signShare`, `verifyShare` and `aggregate` each start from the raw bytes: they decode and
// validate every point of the key package and of the commitment list, and re-derive the binding
// factors, the group commitment, the challenge and the Lagrange coefficients. A party that signs,
// checks every share and aggregates would do all of that t + 2 times per message. Here it is done
// once: `prepareSigning` validates each received point once (on curve, not the identity, and for
// ed25519 in the prime-order subgroup), and the share operations reuse the result. What is kept
// belongs to one party: its decoded key package (`prepareKey`, reused across messages and attempts
// by passing it to `prepareSigning`) and its prepared packages. Nothing is kept per process: the
// parties of an in-process federation each decode, check and derive on their own, as they would on
// separate machines. The outputs are the same bytes noble produces, for the suites zrkit signs with:
// FROST(Ed25519, SHA-512), FROST(secp256k1, SHA-256) and its BIP340 (taproot) variant.

/** One participant's round-one nonce commitments, as the wire carries them. */
export type Commitments = { identifier: string; hiding: Uint8Array; binding: Uint8Array }
/** A participant's secret round-one nonces (consumed by {@link signShare}). */
export type Nonces = { hiding: Uint8Array; binding: Uint8Array }
/** What {@link prepareSigning} needs of a suite: the FROST suite it signs with. */
export type SigningSuite = { readonly sign: Frost }

type PublicPackage = FrostKey['public']
type SecretPackage = FrostKey['secret']

/** The curve point operations used here (noble's ed25519 and secp256k1 points provide them). */
export interface FrostPoint {
  add(other: FrostPoint): FrostPoint
  negate(): FrostPoint
  equals(other: FrostPoint): boolean
  multiplyUnsafe(scalar: bigint): FrostPoint
  multiply(scalar: bigint): FrostPoint
  is0(): boolean
  isTorsionFree(): boolean
  assertValidity(): void
  toBytes(): Uint8Array
  toAffine(): { x: bigint; y: bigint }
}
type Pt = FrostPoint
interface PtCons {
  readonly BASE: Pt
  readonly ZERO: Pt
  fromBytes(bytes: Uint8Array): Pt
}
type Field = Frost['utils']['Fn']

/** The hashes and encodings of one ciphersuite. */
type Profile = {
  /** The ciphersuite's context string (RFC 9591 Section 6). */
  readonly context: string
  readonly Point: PtCons
  readonly Fn: Field
  /** Length of SerializeElement. */
  readonly pointBytes: number
  /** For a cofactor other than 1 (ed25519: 8): whether a public point is in the prime-order subgroup. */
  readonly inPrimeOrderSubgroup?: (p: Pt) => boolean
  /** Σ scalars[i]·points[i] over public inputs. */
  msm(points: Pt[], scalars: bigint[]): Pt
  /** BIP340: the group key and the group commitment are used with even y. */
  readonly bip340: boolean
  H1(m: Uint8Array): bigint
  /** RFC 9591 H3: the nonce derivation's hash to a scalar (Section 4.1 nonce_generate). */
  H3(m: Uint8Array): bigint
  /** ed25519 on Node: a fresh nonce hedged with the serialized share, and its commitment, natively (see `commit`). */
  readonly nativeNonce?: ((share: Uint8Array) => NativeNonce | undefined) | undefined
  H4(m: Uint8Array): Uint8Array
  H5(m: Uint8Array): Uint8Array
  /** The challenge of `R` (group commitment) under `Y` (group key as used for signing). */
  challenge(R: Pt, Y: Pt, message: Uint8Array): bigint
  signature(R: Pt, z: bigint): Uint8Array
}

const tag = (context: string, name: string) => utf8ToBytes(context + name)

/**
 * FROST(Ed25519, SHA-512). `hash` is SHA-512: the platform's native one where there is one (Node's
 * `crypto.hash`; the same digests as noble's, checked by the RFC 9591 vectors), else noble's.
 */
function edProfile(hash: (data: Uint8Array) => Uint8Array = nativeSha512 ?? sha512): Profile {
  const F = ed25519_FROST as Frost
  const Fn = F.utils.Fn
  const ctx = 'FROST-ED25519-SHA512-v1'
  const [rho, nonce, msg, com] = [tag(ctx, 'rho'), tag(ctx, 'nonce'), tag(ctx, 'msg'), tag(ctx, 'com')]
  const scalar = (bytes: Uint8Array) => Fn.create(bytesToNumberLE(bytes))
  const sha512 = hash
  return {
    context: ctx,
    // noble's points, decoded with the faster RFC 8032 decoding (the same acceptance and points as noble's fromBytes)
    Point: { BASE: ed25519.Point.BASE, ZERO: ed25519.Point.ZERO, fromBytes: ed25519PointFromBytes } as unknown as PtCons,
    Fn,
    pointBytes: 32,
    // The same answer as noble's isTorsionFree: confirmed by native X25519 where there is one, else [L]P = 0 in
    // variable time on the public point.
    inPrimeOrderSubgroup: (p) => ed25519InPrimeOrderSubgroup(p as never),
    msm: (points, scalars) => ed25519PublicMsm(points as never, scalars) as unknown as Pt,
    bip340: false,
    H1: (m) => scalar(sha512(concatBytes(rho, m))),
    H3: (m) => scalar(sha512(concatBytes(nonce, m))),
    nativeNonce: (share) => {
      const hedge = concatBytes(nonce, share)
      try {
        return nativeEd25519Nonce(hedge)
      } finally {
        hedge.fill(0)
      }
    },
    H4: (m) => sha512(concatBytes(msg, m)),
    H5: (m) => sha512(concatBytes(com, m)),
    // RFC 9591 Section 6.1: H2 is undecorated SHA-512, as in RFC 8032.
    challenge: (R, Y, m) => scalar(sha512(concatBytes(R.toBytes(), Y.toBytes(), m))),
    signature: (R, z) => concatBytes(R.toBytes(), Fn.toBytes(z)),
  }
}

function secpProfile(bip340: boolean): Profile {
  const F = (bip340 ? schnorr_FROST : secp256k1_FROST) as unknown as Frost
  const Fn = F.utils.Fn
  const ctx = bip340 ? 'FROST-secp256k1-SHA256-TR-v1' : 'FROST-secp256k1-SHA256-v1'
  const [rho, chal, nonce, msg, com] = [tag(ctx, 'rho'), tag(ctx, 'chal'), tag(ctx, 'nonce'), tag(ctx, 'msg'), tag(ctx, 'com')]
  // RFC 9591 Section 6.5: H1 and H2 are hash_to_field (expand_message_xmd, SHA-256, L = 48) mod n.
  const hashToScalar = (m: Uint8Array, DST: Uint8Array) => secp256k1_hasher.hashToScalar(m, { DST })
  const xOnly = (p: Pt) => p.toBytes().subarray(1)
  return {
    context: ctx,
    Point: secp256k1.Point as unknown as PtCons,
    Fn,
    pointBytes: 33,
    msm: (points, scalars) => secp256k1PublicMsm(points as never, scalars) as unknown as Pt,
    bip340,
    H1: (m) => hashToScalar(m, rho),
    H3: (m) => hashToScalar(m, nonce),
    H4: (m) => sha256(concatBytes(msg, m)),
    H5: (m) => sha256(concatBytes(com, m)),
    challenge: bip340
      ? (R, Y, m) => Fn.create(bytesToNumberBE(schnorr.utils.taggedHash('BIP0340/challenge', xOnly(R), xOnly(Y), m)))
      : (R, Y, m) => hashToScalar(concatBytes(R.toBytes(), Y.toBytes(), m), chal),
    // BIP340 signatures carry x(R) only; the plain suite carries the compressed point.
    signature: bip340 ? (R, z) => concatBytes(xOnly(R), Fn.toBytes(z)) : (R, z) => concatBytes(R.toBytes(), Fn.toBytes(z)),
  }
}

/** The three ciphersuites (immutable constants: hash tags and functions, no state). */
const edSuiteProfile = edProfile()
const bip340Profile = secpProfile(true)
const secpSuiteProfile = secpProfile(false)
function profileOf(suite: SigningSuite): Profile {
  const F = (suite as { sign?: unknown } | null)?.sign
  if (F === ed25519_FROST) return edSuiteProfile
  if (F === schnorr_FROST) return bip340Profile
  if (F === secp256k1_FROST) return secpSuiteProfile
  throw new ZrError('UNSUPPORTED_KEY_TYPE', 'No prepared FROST signing for this suite.', { details: 'expected FROST(Ed25519, SHA-512), FROST(secp256k1, SHA-256) or its BIP340 variant' })
}

const invalid = (what: string, details: string, context: Record<string, unknown> = {}) => new ZrError('INVALID_INPUT', what, { details, context })
const isOddY = (p: Pt) => (p.toAffine().y & 1n) === 1n

/**
 * RFC 9591 Section 3.1 DeserializeElement: the canonical encoding of a point on the curve, not the
 * identity, and (ed25519) of prime order. Every party decodes and checks what it receives itself:
 * nothing is shared with other parties, even in one process.
 */
function decodePoint(profile: Profile, bytes: unknown, what: string, meta?: Record<string, unknown>): Pt {
  if (!(bytes instanceof Uint8Array) || bytes.length !== profile.pointBytes) throw invalid(`${what} is not a ${profile.pointBytes}-byte point encoding.`, `expected ${profile.pointBytes} bytes, got ${describeValue(bytes)}`, meta)
  let p: Pt
  try {
    p = profile.Point.fromBytes(bytes)
    p.assertValidity()
  } catch {
    throw invalid(`${what} is not a point of the curve.`, `expected a point on the curve, got ${bytes.length} bytes that are not one`, meta)
  }
  if (p.is0()) throw invalid(`${what} is the identity element.`, 'expected a point other than the identity, got the identity', meta)
  if (profile.inPrimeOrderSubgroup && !profile.inPrimeOrderSubgroup(p)) throw invalid(`${what} is not in the prime-order subgroup.`, 'expected a point of prime order, got one with a small-order component', meta)
  return p
}

/** RFC 9591 identifiers: the canonical hex of a non-zero scalar, as noble writes them. */
function parseIdentifier(profile: Profile, id: unknown): bigint {
  const { Fn } = profile
  if (typeof id !== 'string') throw invalid('A FROST identifier is not a string.', `expected the canonical hex of a non-zero scalar, got ${describeValue(id)}`)
  let n: bigint
  try {
    n = Fn.fromBytes(hexToBytes(id))
  } catch {
    throw invalid('A FROST identifier is not a scalar.', `expected the hex of a scalar below the group order, got ${describeValue(id)}`, { identifier: id })
  }
  if (Fn.is0(n) || bytesToHex(Fn.toBytes(n)) !== id) throw invalid('A FROST identifier is zero or not canonical.', `expected a non-zero scalar in canonical lower-case hex, got ${describeValue(id)}`, { identifier: id })
  return n
}

function checkSigners(signers: unknown): { min: number; max: number } {
  const s = signers as { min?: unknown; max?: unknown } | undefined
  const ok = !!s && Number.isSafeInteger(s.min) && Number.isSafeInteger(s.max) && (s.min as number) >= 2 && (s.min as number) <= (s.max as number)
  if (!ok) {
    const got = s && typeof s === 'object' ? `{ min: ${describeValue(s.min)}, max: ${describeValue(s.max)} }` : describeValue(signers)
    throw invalid('The key package has an invalid signer range.', `expected signers { min, max } with 2 <= min <= max, got ${got}`)
  }
  return { min: s!.min as number, max: s!.max as number }
}

/**
 * The public key package of one key, decoded once: the group key (validated; for BIP340 lifted to
 * even y, in which case every verifying share is negated too) and, on first use, each verifying share.
 */
export type PreparedKey = {
  /** The group key as signing uses it (BIP340: with even y). */
  readonly groupKey: FrostPoint
  /** SerializeElement of `groupKey`: the first part of every binding-factor input. */
  readonly groupKeyBytes: Uint8Array
  /** BIP340 only: the stored group key has odd y, so the shares sign for its negation. */
  readonly negated: boolean
  readonly signers: { readonly min: number; readonly max: number }
  /** Whether the package lists a verifying share for the participant (without decoding it). */
  hasVerifyingShare(identifier: string): boolean
  /** The verifying share of a participant (validated once, then cached), as signing uses it. */
  verifyingShare(identifier: string): FrostPoint
}

class KeyPackage implements PreparedKey {
  /** The group key as signing uses it (BIP340: with even y). */
  readonly groupKey: Pt
  /** SerializeElement of {@link groupKey}: the first part of every binding-factor input. */
  readonly groupKeyBytes: Uint8Array
  /** BIP340 only: the stored group key has odd y, so the shares sign for its negation. */
  readonly negated: boolean
  readonly signers: { min: number; max: number }
  readonly #profile: Profile
  readonly #pub: PublicPackage
  readonly #shares = new Map<string, Pt>()

  constructor(profile: Profile, pub: PublicPackage) {
    this.#profile = profile
    this.#pub = pub
    if (!pub || typeof pub !== 'object' || !Array.isArray(pub.commitments) || !pub.verifyingShares || typeof pub.verifyingShares !== 'object') {
      throw invalid('The FROST public key package is malformed.', packageProblem(pub))
    }
    this.signers = checkSigners(pub.signers)
    const Y = decodePoint(profile, pub.commitments[0], 'The group key')
    this.negated = profile.bip340 && isOddY(Y)
    this.groupKey = this.negated ? Y.negate() : Y
    this.groupKeyBytes = this.groupKey.toBytes()
  }

  /** The ciphersuite this package was decoded for. */
  static profileOf(key: KeyPackage): Profile {
    return key.#profile
  }

  /** Whether the package lists a verifying share for the participant (without decoding it). */
  hasVerifyingShare(identifier: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.#pub.verifyingShares, identifier)
  }

  /** The verifying share of a participant (validated once, then cached), as signing uses it. */
  verifyingShare(identifier: string): Pt {
    let p = this.#shares.get(identifier)
    if (!p) {
      const bytes = this.hasVerifyingShare(identifier) ? this.#pub.verifyingShares[identifier] : undefined
      if (!bytes) throw invalid('The key package has no verifying share for this identifier.', `expected a verifying share for ${identifier}, got none`, { identifier })
      p = decodePoint(this.#profile, bytes, 'A verifying share', { identifier })
      if (this.negated) p = p.negate()
      this.#shares.set(identifier, p)
    }
    return p
  }
}

/**
 * The decoded public key package of one party: decode it once with this and pass the result to
 * {@link prepareSigning} for every message and attempt (it keeps the verifying shares it decodes).
 * It is the party's own object: nothing is cached per process.
 *
 * @example
 * ```ts
 * import { commit, frostSuite, prepareKey, prepareSigning } from '@zrkit/mpc'
 * const suite = frostSuite('eddsa-ed25519')
 * const key = prepareKey(suite, myKey.public) // once per key
 * const prepared = prepareSigning(suite, key, commitmentList, message) // per message
 * ```
 */
export function prepareKey(suite: SigningSuite, pub: PublicPackage): PreparedKey {
  const profile = profileOf(suite)
  if (!pub || typeof pub !== 'object') throw invalid('The FROST public key package is malformed.', packageProblem(pub))
  return new KeyPackage(profile, pub)
}

/** A key package {@link prepareKey} decoded for `profile`, or `pub` decoded now. */
function keyFor(profile: Profile, suite: SigningSuite, pub: PublicPackage | PreparedKey): KeyPackage {
  if (pub instanceof KeyPackage) {
    const was = KeyPackage.profileOf(pub)
    if (was !== profile) throw invalid('The prepared key is of another ciphersuite.', `expected a key prepared for ${profile.context}, got one for ${was.context}`)
    return pub
  }
  return prepareKey(suite, pub as PublicPackage) as KeyPackage
}

// ---- Round one: nonces whose commitments this party computed itself ----------------------------

/** What this party knows of commitments it made itself: copies of their bytes and the points they encode. */
type Own = { profile: Profile; identifier: string; hiding: Uint8Array; binding: Uint8Array; hidingPoint: Pt; bindingPoint: Pt }

/**
 * The commitments {@link commit} returns: the wire fields (the only enumerable ones, so they encode
 * as a plain `{ identifier, hiding, binding }`), and privately the points this party computed.
 */
class OwnCommitments implements Commitments {
  readonly #own: Own
  constructor(
    readonly identifier: string,
    readonly hiding: Uint8Array,
    readonly binding: Uint8Array,
    own: Own,
  ) {
    this.#own = own
  }

  static of(c: unknown): Own | undefined {
    return c instanceof OwnCommitments ? c.#own : undefined
  }
}

/** The nonces {@link commit} returns: `{ hiding, binding }`, and privately a digest of them and their commitments. */
class OwnNonces implements Nonces {
  #known: { digest: Uint8Array; own: Own } | undefined
  constructor(
    readonly hiding: Uint8Array,
    readonly binding: Uint8Array,
    own: Own,
  ) {
    this.#known = { digest: nonceDigest({ hiding, binding }), own }
  }

  static of(n: unknown): { digest: Uint8Array; own: Own } | undefined {
    return n instanceof OwnNonces ? n.#known : undefined
  }

  static forget(n: unknown): void {
    if (n instanceof OwnNonces) n.#known = undefined
  }
}

/**
 * RFC 9591 Section 5.1 round one: fresh nonces and their commitments. Each nonce hedges fresh randomness with the
 * secret share (Section 4.1), and its commitment is computed in constant time:
 * - given `rng` (known-answer tests), or for the secp256k1 suites, or where the platform has no native Ed25519:
 *   Section 4.1 nonce_generate, H3(32 random bytes || SerializeScalar(share)), and noble's `BASE.multiply`; the
 *   same bytes as noble's `commit` for the same random bytes;
 * - for ed25519 on Node without `rng`: one native Ed25519 signature per nonce ({@link nativeEd25519Nonce}), whose
 *   nonce is SHA-512(32 fresh random bytes || H3's tag || SerializeScalar(share)) mod L, the same hedge in
 *   another order, at about half the cost of noble's multiplication.
 *
 * The points are kept, not encoded and decoded back: the returned objects privately carry them, so that
 * {@link prepareSigning} (given them as `own`) need not decode or validate its own points and
 * {@link signShare} need not recompute them from the nonces. Throws `INVALID_INPUT` for a secret package
 * that is not `{ identifier, signingShare }` of the suite, or an `rng` that is not a function.
 *
 * `rng` is for known-answer tests: never pass anything but a CSPRNG when signing for real (repeated randomness
 * reuses nonces and reveals the share). Without it, the platform's CSPRNG is used.
 *
 * @example
 * ```ts
 * import { commit, frostSuite } from '@zrkit/mpc/internal'
 * const { nonces, commitments } = commit(frostSuite('eddsa-ed25519'), key.secret) // send commitments; keep nonces
 * ```
 */
export function commit(suite: SigningSuite, secret: SecretPackage, rng?: (bytes: number) => Uint8Array): { nonces: Nonces; commitments: Commitments } {
  const profile = profileOf(suite)
  if (rng !== undefined && typeof rng !== 'function') throw invalid('Invalid random source.', `expected a function (bytes: number) => Uint8Array, got ${describeValue(rng)}`)
  const s = secret as { identifier?: unknown; signingShare?: unknown } | null
  if (!s || typeof s !== 'object' || typeof s.identifier !== 'string' || !(s.signingShare instanceof Uint8Array)) {
    throw invalid('Invalid FROST secret package.', `expected { identifier, signingShare }, got ${!s || typeof s !== 'object' ? describeValue(s) : `identifier ${describeValue(s.identifier)} and signingShare ${describeValue(s.signingShare)}`}`)
  }
  parseIdentifier(profile, s.identifier)
  if (s.signingShare.length !== profile.Fn.BYTES) throw invalid('Invalid FROST secret package.', `expected a ${profile.Fn.BYTES}-byte signing share, got ${s.signingShare.length} bytes`)
  const share = scalarOf(profile, s.signingShare, 'The signing share is malformed.')
  const { Fn, Point } = profile
  const shareBytes = Fn.toBytes(share)
  /** A nonce and its commitment point: native where it can be, else H3 and noble's constant-time BASE·nonce. */
  const nonceOf = (): { scalar: bigint; point: Pt } => {
    const native = rng === undefined ? profile.nativeNonce?.(shareBytes) : undefined
    if (native) return { scalar: native.scalar, point: Point.fromBytes(native.commitment) }
    const random = (rng ?? randomBytes)(32)
    if (!(random instanceof Uint8Array) || random.length !== 32) throw invalid('Invalid random source.', `expected 32 random bytes from rng(32), got ${describeValue(random)}`)
    const scalar = profile.H3(concatBytes(random, shareBytes))
    return { scalar, point: Point.BASE.multiply(scalar) }
  }
  let d: { scalar: bigint; point: Pt }
  let e: { scalar: bigint; point: Pt }
  try {
    d = nonceOf()
    e = nonceOf()
  } finally {
    shareBytes.fill(0)
  }
  // Points of prime order, kept as they are. They stay with this party (keyed by its own objects).
  const [hidingPoint, bindingPoint] = [d.point, e.point]
  const [hiding, binding] = [hidingPoint.toBytes(), bindingPoint.toBytes()]
  const own: Own = { profile, identifier: s.identifier, hiding: hiding.slice(), binding: binding.slice(), hidingPoint, bindingPoint }
  return { nonces: new OwnNonces(Fn.toBytes(d.scalar), Fn.toBytes(e.scalar), own), commitments: new OwnCommitments(s.identifier, hiding, binding, own) }
}

// ---- The signing package ----------------------------------------------------------------------

/** One signer of a prepared signing package. */
export type PreparedSigner = {
  readonly identifier: string
  /** The identifier as a scalar (the signer's x coordinate). */
  readonly x: bigint
  readonly hidingBytes: Uint8Array
  readonly bindingBytes: Uint8Array
  /** The validated commitment points D_i and E_i. */
  readonly hiding: Pt
  readonly binding: Pt
  /** Binding factor ρ_i (RFC 9591 Section 4.4). */
  readonly bindingFactor: bigint
  /** Lagrange coefficient λ_i at 0 over the signer set (Section 4.2). */
  readonly lambda: bigint
}

/**
 * Everything round two derives from (key package, commitment list, message), computed once per party
 * per message: validated points, binding factors, group commitment, challenge and Lagrange coefficients.
 */
export type PreparedSigning = {
  readonly key: PreparedKey
  readonly message: Uint8Array
  /** The signers' identifiers, sorted by value (the RFC's order of the commitment list). */
  readonly identifiers: readonly string[]
  readonly signers: ReadonlyMap<string, PreparedSigner>
  /** Group commitment R (Section 4.5), before any BIP340 parity adjustment. */
  readonly groupCommitment: Pt
  /** BIP340 only: R has odd y, so nonces and commitment shares are negated. */
  readonly negateNonces: boolean
  /** Challenge c (Section 4.6; BIP340's tagged challenge for that suite). */
  readonly challenge: bigint
}

/** A package made by {@link prepareSigning}: it alone carries its ciphersuite. */
class SigningPackage implements PreparedSigning {
  readonly #profile: Profile
  constructor(
    profile: Profile,
    readonly key: PreparedKey,
    readonly message: Uint8Array,
    readonly identifiers: readonly string[],
    readonly signers: ReadonlyMap<string, PreparedSigner>,
    readonly groupCommitment: Pt,
    readonly negateNonces: boolean,
    readonly challenge: bigint,
  ) {
    this.#profile = profile
    Object.freeze(this)
  }

  static profileOf(p: unknown): Profile | undefined {
    return p instanceof SigningPackage ? p.#profile : undefined
  }
}

function profileFor(prepared: PreparedSigning): Profile {
  const profile = SigningPackage.profileOf(prepared)
  if (!profile) throw invalid('Not a signing package made by prepareSigning.', `expected the package prepareSigning returned, got ${describeValue(prepared)}`)
  return profile
}

export type PrepareSigningOptions = {
  /**
   * This party's own commitments, exactly as {@link commit} returned them. An entry of the list with
   * the same identifier and bytes reuses their points (computed locally, so not re-validated).
   */
  own?: Commitments
}

/**
 * Prepares round two of FROST signing of `message` with the commitment list (one entry per signer, in
 * any order; the RFC's order is by identifier): validates each commitment point once, then derives
 * the binding factors, the group commitment, the challenge and the signers' Lagrange coefficients.
 * Throws `INVALID_INPUT` (with `meta.identifier` when a signer's commitment is at fault) for an
 * invalid list: wrong count for the key's signer range, duplicate or malformed identifiers, or a
 * commitment that is not a valid point (off the curve, the identity, or for ed25519 of small order).
 * `pub` is the public key package, or the party's {@link prepareKey} of it (decoded once, reused).
 */
export function prepareSigning(suite: SigningSuite, pub: PublicPackage | PreparedKey, commitments: readonly Commitments[], message: Uint8Array, options: PrepareSigningOptions = {}): PreparedSigning {
  const profile = profileOf(suite)
  const { Fn } = profile
  const key = keyFor(profile, suite, pub)
  if (!(message instanceof Uint8Array)) throw invalid('The message to sign is not bytes.', `expected message bytes, got ${describeValue(message)}`)
  if (!Array.isArray(commitments)) throw invalid('The commitment list is not an array.', `expected an array of { identifier, hiding, binding }, got ${describeValue(commitments)}`)
  if (commitments.length < key.signers.min || commitments.length > key.signers.max) {
    throw invalid(`The commitment list has ${commitments.length} entries; the key needs ${key.signers.min} to ${key.signers.max}.`, `expected ${key.signers.min}..${key.signers.max} commitments, got ${commitments.length}`)
  }
  if (options === null || typeof options !== 'object') throw invalid('Invalid signing options.', `expected { own? }, got ${describeValue(options)}`)
  const own = OwnCommitments.of(options.own)
  const usable = own && own.profile === profile ? own : undefined

  const entries = commitments.map((c) => {
    if (!c || typeof c !== 'object') throw invalid('A commitment list entry is malformed.', `expected { identifier, hiding, binding }, got ${describeValue(c)}`)
    const x = parseIdentifier(profile, c.identifier)
    const meta = { identifier: c.identifier }
    const isOwn =
      !!usable && c.identifier === usable.identifier && c.hiding instanceof Uint8Array && c.binding instanceof Uint8Array && sameBytes(c.hiding, usable.hiding) && sameBytes(c.binding, usable.binding)
    const hiding = isOwn ? usable!.hidingPoint : decodePoint(profile, c.hiding, 'A hiding nonce commitment', meta)
    const binding = isOwn ? usable!.bindingPoint : decodePoint(profile, c.binding, 'A binding nonce commitment', meta)
    return { identifier: c.identifier, x, hidingBytes: c.hiding.slice(), bindingBytes: c.binding.slice(), hiding, binding }
  })
  entries.sort((a, b) => (a.x < b.x ? -1 : a.x > b.x ? 1 : 0))
  for (let i = 1; i < entries.length; i++) {
    if (entries[i]!.x === entries[i - 1]!.x) throw invalid('The commitment list names a signer twice.', `expected distinct signers, got ${entries[i]!.identifier} twice`, { identifier: entries[i]!.identifier })
  }

  // Section 4.3 encode_group_commitment_list, then round two's derivation, by this party on its own.
  const msg = message.slice()
  const encodedList = concatBytes(...entries.flatMap((e) => [Fn.toBytes(e.x), e.hidingBytes, e.bindingBytes]))
  const derived = deriveRoundTwo(profile, key, entries, msg, encodedList)
  const signers = new Map<string, PreparedSigner>()
  entries.forEach((e, i) => signers.set(e.identifier, { ...e, bindingFactor: derived.rhos[i]!, lambda: derived.lambdas[i]! }))
  const { R, negateNonces, challenge } = derived

  return new SigningPackage(profile, key, msg, Object.freeze(entries.map((e) => e.identifier)), signers, R, negateNonces, challenge)
}

type RoundTwo = { readonly rhos: readonly bigint[]; readonly R: Pt; readonly negateNonces: boolean; readonly challenge: bigint; readonly lambdas: readonly bigint[] }

/**
 * Sections 4.4-4.6 and 4.2 for a validated commitment list (sorted by identifier): binding factors,
 * group commitment, challenge and every signer's Lagrange coefficient.
 */
function deriveRoundTwo(profile: Profile, key: PreparedKey, entries: readonly { x: bigint; hiding: Pt; binding: Pt }[], msg: Uint8Array, encodedList: Uint8Array): RoundTwo {
  const { Fn } = profile
  // Section 4.4 compute_binding_factors.
  const prefix = concatBytes(key.groupKeyBytes, profile.H4(msg), profile.H5(encodedList))
  const rhos = entries.map((e) => profile.H1(concatBytes(prefix, Fn.toBytes(e.x))))
  // Section 4.5: R = Σ D_i + Σ ρ_i·E_i; the hiding points are added, the binding ones go through one MSM.
  let R = profile.Point.ZERO
  for (const e of entries) R = R.add(e.hiding)
  R = R.add(profile.msm(entries.map((e) => e.binding), rhos))
  if (R.is0()) throw invalid('The group commitment is the identity element.', 'expected a group commitment other than the identity, got the identity')
  const negateNonces = profile.bip340 && isOddY(R)
  const challenge = profile.challenge(R, key.groupKey, msg)
  // Section 4.2 derive_interpolating_value, for every signer at once.
  const lambdas = entries.map((e) => {
    let num = Fn.ONE
    let den = Fn.ONE
    for (const { x } of entries) {
      if (x === e.x) continue
      num = Fn.mul(num, x)
      den = Fn.mul(den, Fn.sub(x, e.x))
    }
    return Fn.div(num, den)
  })
  return Object.freeze({ rhos: Object.freeze(rhos), R, negateNonces, challenge, lambdas: Object.freeze(lambdas) })
}

const nonceDigest = (n: Nonces) => sha256(concatBytes(n.hiding, n.binding))

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let d = 0
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!
  return d === 0
}

/**
 * RFC 9591 Section 5.2 round two: this participant's signature share. The same bytes as noble's
 * `signShare(secret, pub, nonces, commitments, message)`, including the checks that the list holds this
 * participant's commitments to exactly these nonces and that the nonces are unused; the nonces are
 * consumed (zeroed) afterwards.
 */
export function signShare(prepared: PreparedSigning, secret: SecretPackage, nonces: Nonces): Uint8Array {
  const p = prepared
  const profile = profileFor(p)
  const { Fn, Point } = profile
  const me = p.signers.get(secret?.identifier)
  if (!me) throw invalid('The commitment list has no entry for this signer.', `expected one of ${p.identifiers.join(', ')}, got ${describeValue(secret?.identifier)}`)
  if (!(secret.signingShare instanceof Uint8Array) || secret.signingShare.length !== Fn.BYTES) {
    throw invalid('The signing share is malformed.', `expected a ${Fn.BYTES}-byte scalar, got ${describeValue(secret.signingShare)}`)
  }
  if (!(nonces?.hiding instanceof Uint8Array) || !(nonces.binding instanceof Uint8Array) || nonces.hiding.length !== Fn.BYTES || nonces.binding.length !== Fn.BYTES) {
    throw invalid('The signing nonces are malformed.', `expected { hiding, binding } of ${Fn.BYTES} bytes each, got ${describeValue(nonces)}`)
  }
  const [d0, e0, share] = [nonces.hiding, nonces.binding, secret.signingShare].map((b) => scalarOf(profile, b, 'The signing nonces or share are malformed.'))
  if (Fn.is0(d0!) || Fn.is0(e0!)) throw invalid('The signing nonces were already used.', 'expected fresh nonces, got zeroed ones (consumed by an earlier signShare)')
  // The coordinator must have listed the commitments to these very nonces.
  const known = OwnNonces.of(nonces)
  const fromCommit = !!known && known.own.profile === profile && sameBytes(known.digest, nonceDigest(nonces))
  const hidingC = fromCommit ? known!.own.hiding : Point.BASE.multiply(d0!).toBytes()
  const bindingC = fromCommit ? known!.own.binding : Point.BASE.multiply(e0!).toBytes()
  if (!sameBytes(hidingC, me.hidingBytes) || !sameBytes(bindingC, me.bindingBytes)) {
    throw invalid('The commitment list does not hold this signer’s commitments.', `expected the commitments to these nonces for ${me.identifier}, got others`)
  }

  let sk = share!
  if (p.key.negated) sk = Fn.neg(sk)
  const d = p.negateNonces ? Fn.neg(d0!) : d0!
  const e = p.negateNonces ? Fn.neg(e0!) : e0!
  // z_i = d_i + e_i·ρ_i + λ_i·s_i·c
  const z = Fn.add(Fn.add(d, Fn.mul(e, me.bindingFactor)), Fn.mul(Fn.mul(me.lambda, sk), p.challenge))
  nonces.hiding.fill(0)
  nonces.binding.fill(0)
  OwnNonces.forget(nonces)
  return Fn.toBytes(z)
}

/** A scalar from its encoding (nonces, signing shares); `INVALID_INPUT` when it is not a canonical one. */
function scalarOf(profile: Profile, bytes: Uint8Array, shortMessage: string): bigint {
  try {
    return profile.Fn.fromBytes(bytes)
  } catch (cause) {
    throw new ZrError('INVALID_INPUT', shortMessage, { details: `expected canonical scalars below the group order, got ${bytes.length} bytes that are not one`, cause })
  }
}

/** Signature shares by signer from a Map or a record; `INVALID_INPUT` for anything else. */
function sharesOf(shares: unknown): { get: (id: string) => Uint8Array | undefined; count: number } {
  if (shares instanceof Map) return { get: (id) => shares.get(id), count: shares.size }
  if (shares === null || typeof shares !== 'object' || Array.isArray(shares)) {
    throw invalid('Invalid signature shares.', `expected a Map or a record of identifier -> share, got ${describeValue(shares)}`)
  }
  const record = shares as Record<string, Uint8Array>
  return { get: (id) => (Object.prototype.hasOwnProperty.call(record, id) ? record[id] : undefined), count: Object.keys(record).length }
}

/** What is wrong with a public key package, for its error's details. */
function packageProblem(pub: unknown): string {
  const expected = 'expected { signers, commitments: [...], verifyingShares: {...} }'
  if (!pub || typeof pub !== 'object') return `${expected}, got ${describeValue(pub)}`
  const p = pub as Record<string, unknown>
  if (!Array.isArray(p.commitments)) return `${expected}, got commitments ${describeValue(p.commitments)}`
  return `${expected}, got verifyingShares ${describeValue(p.verifyingShares)}`
}

/** A share's scalar, or undefined when it is not a canonical scalar encoding. */
function shareScalar(profile: Profile, share: unknown): bigint | undefined {
  if (!(share instanceof Uint8Array) || share.length !== profile.Fn.BYTES) return undefined
  try {
    return profile.Fn.fromBytes(share)
  } catch {
    return undefined
  }
}

function checkShare(p: PreparedSigning, profile: Profile, signer: PreparedSigner, z: bigint): boolean {
  const { Point, Fn } = profile
  const Y = p.key.verifyingShare(signer.identifier)
  // z_i·G == ±(D_i + ρ_i·E_i) + (c·λ_i)·Y_i, the commitment share negated when BIP340 negated the nonces.
  const sign = (q: Pt) => (p.negateNonces ? q.negate() : q)
  const right = sign(signer.hiding).add(profile.msm([sign(signer.binding), Y], [signer.bindingFactor, Fn.mul(p.challenge, signer.lambda)]))
  return Point.BASE.multiplyUnsafe(z).equals(right)
}

/**
 * RFC 9591 Section 5.4: whether `share` is the valid signature share of signer `identifier`. False for
 * a malformed or wrong share; throws `INVALID_INPUT` if `identifier` is not a signer of the package or
 * the key package has no valid verifying share for it.
 */
export function verifyShare(prepared: PreparedSigning, identifier: string, share: Uint8Array): boolean {
  const profile = profileFor(prepared)
  const signer = prepared.signers.get(identifier)
  if (!signer) throw invalid('Not a signer of this signing package.', `expected one of ${prepared.identifiers.join(', ')}, got ${describeValue(identifier)}`, { identifier })
  const z = shareScalar(profile, share)
  return z !== undefined && checkShare(prepared, profile, signer, z)
}

/**
 * RFC 9591 Section 5.3: the signature from one share per signer (the same bytes as noble's
 * `aggregate`), after checking it: z·G == R + c·Y (BIP340: with R and Y of even y). Only when that
 * fails are the shares checked one by one; the error (`MPC_ABORT`) then lists the identifiers of the
 * invalid shares in `meta.cheaters` (empty if none is individually at fault).
 */
export function aggregate(prepared: PreparedSigning, shares: ReadonlyMap<string, Uint8Array> | Readonly<Record<string, Uint8Array>>): Uint8Array {
  const p = prepared
  const profile = profileFor(p)
  const { Fn, Point } = profile
  const { get, count } = sharesOf(shares)
  if (count !== p.identifiers.length) throw invalid(`Expected ${p.identifiers.length} signature shares, got ${count}.`, `expected one share from each of ${p.identifiers.join(', ')}, got ${count}`)
  let z = Fn.ZERO
  const bad: string[] = []
  for (const id of p.identifiers) {
    const share = get(id)
    if (share === undefined) throw invalid('A signer’s share is missing.', `expected a share from ${id}, got none`, { identifier: id })
    // As noble: every signer must have a verifying share (it is only decoded if a share is checked).
    if (!p.key.hasVerifyingShare(id)) throw invalid('The key package has no verifying share for this identifier.', `expected a verifying share for ${id} in the key package, got none`, { identifier: id })
    const zi = shareScalar(profile, share)
    if (zi === undefined) bad.push(id)
    else z = Fn.add(z, zi)
  }
  if (bad.length === 0) {
    const R = p.negateNonces ? p.groupCommitment.negate() : p.groupCommitment
    if (Point.BASE.multiplyUnsafe(z).equals(R.add(p.key.groupKey.multiplyUnsafe(p.challenge)))) return profile.signature(p.groupCommitment, z)
  }
  const cheaters = p.identifiers.filter((id) => bad.includes(id) || !checkShare(p, profile, p.signers.get(id)!, shareScalar(profile, get(id))!))
  throw new ZrError('MPC_ABORT', 'The signature shares do not aggregate to a valid signature.', {
    details: cheaters.length ? `invalid shares from ${cheaters.join(', ')}` : 'every share is valid on its own; the key package is inconsistent',
    context: { cheaters },
  })
}

/** What {@link aggregateVerified} returns: the checked signature, or the signers whose shares are invalid. */
export type AggregateResult = { readonly ok: true; readonly signature: Uint8Array } | { readonly ok: false; readonly cheaters: readonly string[] }

/**
 * RFC 9591 Section 5.3 aggregation, checked first as a whole: the signature from one share per
 * signer is returned only when `verify` (the caller's independent verifier of the final signature)
 * accepts it. Only when it does not (or a share is malformed) is each share checked on its own
 * (Section 5.4), and the result names the signers whose shares are invalid (`cheaters`, in the
 * package's order; empty when every share is valid on its own and the key package is at fault).
 * A signer whose verifying share is missing or invalid in the key package counts as a cheater.
 * A rejected signature is never returned.
 *
 * With every share valid, the signature is valid; a single invalid share (or several that do not
 * cancel out) makes it invalid, so a signature `verify` accepts needs no share checks. Throws
 * `INVALID_INPUT` when `shares` does not hold exactly one entry per signer.
 *
 * @example
 * ```ts
 * import { ed25519 } from '@noble/curves/ed25519.js'
 * import { aggregateVerified, frostSuite, prepareSigning } from '@zrkit/mpc/internal'
 * const suite = frostSuite('eddsa-ed25519')
 * const prepared = prepareSigning(suite, key.public, commitmentList, message)
 * const result = aggregateVerified(prepared, sharesById, (sig) => ed25519.verify(sig, message, groupKey, { zip215: false }))
 * if (!result.ok) console.log('invalid shares from', result.cheaters)
 * ```
 */
export function aggregateVerified(
  prepared: PreparedSigning,
  shares: ReadonlyMap<string, Uint8Array> | Readonly<Record<string, Uint8Array>>,
  verify: (signature: Uint8Array) => boolean,
): AggregateResult {
  const p = prepared
  const profile = profileFor(p)
  const { Fn } = profile
  const { get, count } = sharesOf(shares)
  if (count !== p.identifiers.length) throw invalid(`Expected ${p.identifiers.length} signature shares, got ${count}.`, `expected one share from each of ${p.identifiers.join(', ')}, got ${count}`)
  const scalars = p.identifiers.map((id) => {
    const share = get(id)
    if (share === undefined) throw invalid('A signer’s share is missing.', `expected a share from ${id}, got none`, { identifier: id })
    return shareScalar(profile, share)
  })
  if (scalars.every((z) => z !== undefined)) {
    let z = Fn.ZERO
    for (const zi of scalars) z = Fn.add(z, zi!)
    const signature = profile.signature(p.groupCommitment, z)
    let ok = false
    try {
      ok = verify(signature) === true
    } catch {
      ok = false
    }
    if (ok) return { ok: true, signature }
  }
  const cheaters = p.identifiers.filter((id, i) => {
    const z = scalars[i]
    if (z === undefined) return true
    try {
      return !checkShare(p, profile, p.signers.get(id)!, z)
    } catch {
      return true // no valid verifying share for this signer
    }
  })
  return { ok: false, cheaters }
}
