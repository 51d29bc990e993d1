/**
 * Threshold ECDSA signing for zrkit: DKLs23 (eprint 2023/765, "Threshold ECDSA in Three Rounds"),
 * Protocol 3.6 (signing phase), t-of-n, on secp256k1. Pure message-passing state machine per party:
 * no I/O, every round takes the previous round's messages and returns the next ones.
 *
 * Inputs of party i (signing set S, |S| = t >= 2, every party knows S and the Shamir x-coordinates):
 *   - its Shamir share x_i = p(idx_i) of the secret key and the group public key X = p(0)*G;
 *   - for every other j in S: two OT-extension setups (one per direction, see `DklsPairSetup`) and a
 *     32-byte seed shared with j for the zero-sharing;
 *   - a session id agreed by all of S, the 32-byte message digest and an optional additive tweak t.
 *
 * Rounds (party i; "pair (i, j)" runs two random vector OLEs of width 2, one per direction):
 *   Round 1 (Protocol 3.6 step 5-6):
 *     sample the instance key r_i and the inversion mask phi_i, R_i = r_i*G;
 *     to each j: a commitment to R_i (fresh salt per j), and Bob's first RVOLE message in the
 *     multiplication where i is Bob toward j; the RVOLE samples Bob's random input chi_{i,j}.
 *     Zero share zeta_i from the pairwise seeds (F_Zero): sum over S of zeta_i = 0.
 *   Round 2 (step 7):
 *     sk_i = lambda_i * x_i + zeta_i  (lambda_i: Lagrange coefficient at 0 for S), pk_i = sk_i*G;
 *     to each j: Alice's RVOLE reply with input (r_i, sk_i) in the multiplication where j is Bob
 *     (Alice's output c_{i,j} = (c^u, c^v)), Gamma^u = c^u*G, Gamma^v = c^v*G,
 *     psi_{i,j} = phi_i - chi_{i,j}, pk_i, and the decommitment (R_i, salt).
 *   Round 3 (steps 8-9 without the message), for each j:
 *     check the decommitment of R_j; finish the RVOLE where i is Bob (output d_{i,j} with
 *     d + c_{j,i} = chi_{i,j} * (r_j, sk_j), the RVOLE's own check inside);
 *     check chi_{i,j}*R_j == Gamma^u_{j,i} + d^u*G and chi_{i,j}*pk_j == Gamma^v_{j,i} + d^v*G.
 *     Then check sum_j pk_j == X, R = sum_j R_j, and keep the presignature
 *       u_i = r_i*(phi_i + sum_j psi_{j,i}) + sum_j (c^u_{i,j} + d^u_{i,j})
 *       v_i = sk_i*(phi_i + sum_j psi_{j,i}) + sum_j (c^v_{i,j} + d^v_{i,j})
 *     so that sum u_i = k*phi and sum v_i = x*phi, with k = sum r_j and phi = sum phi_j.
 *   Online (step 9's message part, one broadcast): with the digest e and the tweak t known, a public
 *     delta = H(presignature, R, X, t, e) re-randomizes the nonce, R' = R + delta*G, r = R'.x mod n, and
 *     each signer broadcasts u'_i = u_i + delta*phi_i and w_i = e*phi_i + r*(v_i + t*phi_i).
 *   Output (step 10): s = sum w_i / sum u'_i; verify the signature against X + t*G (abort otherwise),
 *     normalise to low S and return zrkit's 65-byte r || s || v (v = recovery id).
 *
 * Rounds 1 to 3 need no message: {@link DklsPresignSession} runs them ahead of time (a presignature),
 * {@link DklsOnlineSigner} the online round once the digest is known, and {@link DklsSignSession} both
 * back to back (a signing with no pooled presignature).
 *
 * Aborts (ZrError 'MPC_ABORT'): a failed decommitment, RVOLE check or Gamma check is attributable
 * to the counterparty j (`context.party = j`), and both OT setups with j are burned (their seeds wiped;
 * the base OTs must be rerun). The sum-of-pk check and the final signature check cannot be attributed
 * to a single party in DKLs23 (zero shares hide the individual pk_j's relation to the key shares, and
 * u_j, w_j are not verifiable on their own): they abort with `meta.suspects` = the other signers.
 *
 * Derived keys: the tweak t enters online only (v_i + t*phi_i sums to (x + t)*phi), so a presignature
 * made for the key serves every child key; the re-randomization by delta, which depends on t and the
 * message, keeps that safe (Groth and Shoup 2022: additive derivation with raw presignatures is not).
 *
 * BigInt arithmetic is not constant time; zrkit accepts that for this JavaScript implementation, as the
 * rest of the ECDSA layer does.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { ZrError } from '@zrkit/core'
import { MulAlice, type MulAliceMsg1, MulBob, type MulBobMsg1, SIGN_MUL_WIDTH } from './multiply.js'
import { ctEqual, randomScalar } from './ot/baseOt.js'
import type { OtExtensionReceiver, OtExtensionSender } from './ot/otExtension.js'
import { secp256k1PublicMsm } from '../curves/publicMsm.js'
import { mulBase, mulSameScalar, normalizePoints } from '../curves/secp256k1Mul.js'
import { CURVE_ORDER, Transcript, bytesToBigInt, parsePoint, parseScalar, pointToBytes, scalarToBytes, wideReduce } from './ot/transcript.js'

type Point = InstanceType<typeof secp256k1.Point>

const G = secp256k1.Point.BASE
const Fn = secp256k1.Point.Fn
const mod = (x: bigint): bigint => {
  const r = x % CURVE_ORDER
  return r < 0n ? r + CURVE_ORDER : r
}
/** k*P for k in [0, n); the identity for k = 0. */
const mul = (p: Point, k: bigint): Point => (k === 0n ? secp256k1.Point.ZERO : p.multiply(k))
/** k*G for a secret k in [0, n) (fixed-sequence table multiplication); the identity for k = 0. */
const mulG = (k: bigint): Point => (k === 0n ? secp256k1.Point.ZERO : mulBase(k))

/** One member of the signing set: its party id and its Shamir x-coordinate (non-zero, distinct). */
export type DklsSignerInfo = { id: string; index: bigint }

/**
 * Party i's material for one counterparty j.
 * - `bob`: OT-extension receiver toward j (base OT with i as base sender, j as base receiver): i is
 *   Bob (random input chi_{i,j}) in the multiplication computing shares of chi_{i,j} * (r_j, sk_j).
 * - `alice`: OT-extension sender toward j (base OT with j as base sender, i as base receiver): i is
 *   Alice with input (r_i, sk_i) in the multiplication where j is Bob.
 * - `zeroSeed`: at least 16 bytes known to exactly i and j (for the zero-sharing).
 */
export type DklsPairSetup = { bob: OtExtensionReceiver; alice: OtExtensionSender; zeroSeed: Uint8Array }

export type DklsSignParams = {
  /** This party's id (a member of `signers`). */
  id: string
  /** The signing set S (t parties, t >= 2), the same list (in any order) at every signer. */
  signers: readonly DklsSignerInfo[]
  /** This party's Shamir share x_i = p(index_i) of the secret key, in [1, n). */
  share: bigint
  /** The group public key X (33-byte compressed or 65-byte uncompressed SEC1). */
  publicKey: Uint8Array
  /** Pairwise setups, keyed by the counterparty id, one for every other signer. */
  pairs: ReadonlyMap<string, DklsPairSetup>
  /** Session id (at least 16 bytes), unique per signature and agreed by S. */
  sessionId: Uint8Array
  /** The 32-byte message digest to sign (no further hashing). */
  digest: Uint8Array
  /** Additive key tweak t in [0, n) (derived child key): the signature verifies under X + t*G. */
  tweak?: bigint
}

/** Round 1, i -> j: commitment to R_i and Bob's RVOLE message (i is Bob). */
export type DklsSignMsg1 = { commitment: Uint8Array; mul: MulBobMsg1 }
/** Round 2, i -> j: decommitment, pk_i, Gamma^u, Gamma^v, psi and Alice's RVOLE reply (i is Alice). */
export type DklsSignMsg2 = {
  instancePoint: Uint8Array
  salt: Uint8Array
  publicShare: Uint8Array
  gammaU: Uint8Array
  gammaV: Uint8Array
  psi: Uint8Array
  mul: MulAliceMsg1
}
/** Round 3, broadcast from i to every other signer: u_i and w_i. */
export type DklsSignBroadcast = { u: Uint8Array; w: Uint8Array }

type Phase = 'start' | 'round1' | 'round2' | 'round3' | 'done' | 'aborted'

/** Lagrange coefficient at 0 of `me` for the x-coordinates of `set`. */
export function lagrangeAtZero(me: bigint, set: readonly bigint[]): bigint {
  let num = 1n
  let den = 1n
  for (const xj of set) {
    if (xj === me) continue
    num = mod(num * xj)
    den = mod(den * (xj - me))
  }
  return mod(num * Fn.inv(den))
}

const commitment = (session: Uint8Array, from: string, to: string, R: Point, salt: Uint8Array): Uint8Array =>
  new Transcript('zrkit/dkls23/sign/commit/v1').bytes('session', session).partyId('from', from).partyId('to', to).point('R', R).bytes('salt', salt).challengeBytes('commitment', 32)

const mulSessionId = (session: Uint8Array, aliceId: string, bobId: string): Uint8Array =>
  new Transcript('zrkit/dkls23/sign/mul-sid/v1').bytes('session', session).partyId('alice', aliceId).partyId('bob', bobId).challengeBytes('sid', 32)

/** This pair's summand of the zero-sharing: +PRF for the smaller id, -PRF for the larger. */
function zeroShareTerm(seed: Uint8Array, session: Uint8Array, me: string, other: string): bigint {
  const [lo, hi] = me < other ? [me, other] : [other, me]
  const prf = wideReduce(new Transcript('zrkit/dkls23/zero-share/v1').bytes('seed', seed).bytes('session', session).partyId('low', lo).partyId('high', hi).challengeBytes('share', 64))
  return me < other ? prf : mod(-prf)
}

/**
 * One signer's share of a DKLs23 presignature: everything of a signature but the message. Made by
 * {@link DklsPresignSession} (rounds 1 to 3, no digest needed), turned into a signature share once by
 * {@link DklsOnlineSigner}. Secret: `phi`, `u` and `v` are this signer's shares of the mask, of k*phi and
 * of x*phi. Two messages signed with one presignature reveal the key, so a presignature is used at most
 * once, ever: whoever stores it records its use durably before any share made from it leaves the party.
 */
export type DklsPresignature = {
  /** 32 bytes: the presigning session (it binds the signers, their x-coordinates and the key); names it. */
  readonly id: Uint8Array
  /** This signer's id. */
  readonly self: string
  /** The signing set, sorted. */
  readonly signers: readonly string[]
  /** The group public key X (33 bytes): untweaked; a derived key's tweak is applied online. */
  readonly publicKey: Uint8Array
  /** R = k*G (33 bytes), before the online re-randomization. */
  readonly instancePoint: Uint8Array
  readonly phi: bigint
  readonly u: bigint
  readonly v: bigint
}

/** Parameters of {@link DklsPresignSession}: the signing parameters without the digest and the tweak. */
export type DklsPresignParams = Omit<DklsSignParams, 'digest' | 'tweak'>

/**
 * One signer's DKLs23 presigning state machine: Protocol 3.6 up to step 9 without the message. Flow:
 * `round1()` -> per-counterparty messages; `round2(received)` -> per-counterparty messages;
 * `round3(received)` -> this signer's {@link DklsPresignature}. Every method runs once, in order; any
 * failure aborts the whole session.
 */
export class DklsPresignSession {
  readonly id: string
  readonly #others: string[]
  readonly #signers: string[]
  readonly #pairs: ReadonlyMap<string, DklsPairSetup>
  readonly #session: Uint8Array
  readonly #pk: Point
  #phase: Phase = 'start'
  // secrets
  #r = 0n
  #phi = 0n
  #sk = 0n
  #R: Point
  #pkI: Point | undefined
  // per-counterparty state
  readonly #bobs = new Map<string, MulBob>()
  readonly #salts = new Map<string, Uint8Array>()
  readonly #commitments = new Map<string, Uint8Array>()
  readonly #c = new Map<string, bigint[]>()

  constructor(params: DklsPresignParams) {
    const { id, signers, share, publicKey, pairs, sessionId } = params
    if (!Array.isArray(signers) || signers.length < 2) throw new ZrError('INVALID_INPUT', 'signing set needs at least 2 signers')
    const ids = new Set<string>()
    const idxs = new Set<bigint>()
    for (const s of signers) {
      if (typeof s?.id !== 'string' || s.id.length === 0) throw new ZrError('INVALID_INPUT', 'signer id must be a non-empty string')
      if (typeof s.index !== 'bigint' || s.index <= 0n || s.index >= CURVE_ORDER) throw new ZrError('INVALID_INPUT', 'signer index must be in [1, n)')
      ids.add(s.id)
      idxs.add(s.index)
    }
    if (ids.size !== signers.length || idxs.size !== signers.length) throw new ZrError('INVALID_INPUT', 'signer ids and indices must be distinct')
    const me = signers.find((s) => s.id === id)
    if (!me) throw new ZrError('INVALID_INPUT', 'this party is not in the signing set')
    if (typeof share !== 'bigint' || share <= 0n || share >= CURVE_ORDER) throw new ZrError('INVALID_INPUT', 'key share must be in [1, n)')
    if (!(sessionId instanceof Uint8Array) || sessionId.length < 16) throw new ZrError('INVALID_INPUT', 'session id must be at least 16 bytes')
    const X = parseKey(publicKey)
    this.id = id
    this.#signers = signers.map((s) => s.id).sort()
    this.#others = this.#signers.filter((j) => j !== id)
    for (const j of this.#others) {
      const p = pairs?.get(j)
      if (!p) throw new ZrError('INVALID_INPUT', `missing pairwise setup for ${j}`)
      const b = p.bob.baseContext
      const a = p.alice.baseContext
      if (b.senderId !== id || b.receiverId !== j) throw new ZrError('INVALID_INPUT', `bob setup for ${j} must come from a base OT with this party as sender and ${j} as receiver`)
      if (a.senderId !== j || a.receiverId !== id) throw new ZrError('INVALID_INPUT', `alice setup for ${j} must come from a base OT with ${j} as sender and this party as receiver`)
      if (!(p.zeroSeed instanceof Uint8Array) || p.zeroSeed.length < 16) throw new ZrError('INVALID_INPUT', `zero-sharing seed for ${j} must be at least 16 bytes`)
    }
    this.#pairs = pairs
    this.#pk = X

    // Session binding: sid, the signing set with its x-coordinates, the (untweaked) key.
    const sorted = [...signers].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))
    const t = new Transcript('zrkit/dkls23/presign/v1').sessionId(sessionId).u32('signers', sorted.length)
    for (const s of sorted) t.partyId('signer', s.id).scalar('index', s.index)
    this.#session = t.point('public-key', X).challengeBytes('session', 32)

    // Step 5: instance key and inversion mask.
    this.#r = randomScalar()
    this.#phi = randomScalar()
    this.#R = normalizePoints([mulBase(this.#r)])[0] as Point

    // Zero share (F_Zero) and the additive share sk_i = lambda_i * x_i + zeta_i (step 7, computed early).
    let zeta = 0n
    for (const j of this.#others) zeta += zeroShareTerm((pairs.get(j) as DklsPairSetup).zeroSeed, this.#session, id, j)
    const lambda = lagrangeAtZero(me.index, signers.map((s) => s.index))
    this.#sk = mod(lambda * share + zeta)
  }

  #abort(shortMessage: string, party: string | undefined, cause?: unknown): never {
    if (party !== undefined) {
      const p = this.#pairs.get(party)
      p?.bob.burn()
      p?.alice.burn()
    }
    this.#wipe()
    this.#phase = 'aborted'
    throw abortError(shortMessage, party, this.#others, cause)
  }

  #wipe(): void {
    this.#r = 0n
    this.#phi = 0n
    this.#sk = 0n
    this.#c.clear()
    this.#bobs.clear()
  }

  #enter(expected: Phase, next: Phase, what: string): void {
    if (this.#phase !== expected) throw new ZrError('INVALID_INPUT', `${what} called out of order (state: ${this.#phase})`)
    this.#phase = next
  }

  #received<T>(msgs: ReadonlyMap<string, T>, what: string): Map<string, T> {
    if (!(msgs instanceof Map)) throw new ZrError('INVALID_INPUT', `${what}: expected a Map keyed by sender id`)
    const out = new Map<string, T>()
    for (const j of this.#others) {
      const m = msgs.get(j)
      if (m === undefined || m === null) this.#abort(`${what}: no message from ${j}`, undefined)
      out.set(j, m)
    }
    return out
  }

  /** Round 1: per counterparty j, the commitment to R_i and Bob's RVOLE message. */
  round1(): Map<string, DklsSignMsg1> {
    this.#enter('start', 'round1', 'round1')
    const out = new Map<string, DklsSignMsg1>()
    for (const j of this.#others) {
      const pair = this.#pairs.get(j) as DklsPairSetup
      const salt = randomBytes(32)
      const bob = new MulBob(pair.bob, mulSessionId(this.#session, j, this.id), SIGN_MUL_WIDTH)
      let m: MulBobMsg1
      try {
        m = bob.round1()
      } catch (e) {
        this.#abort(`signing aborted: multiplication setup with ${j} unusable`, j, e)
      }
      this.#bobs.set(j, bob)
      this.#salts.set(j, salt)
      out.set(j, { commitment: commitment(this.#session, this.id, j, this.#R, salt), mul: m })
    }
    return out
  }

  /** Round 2: processes every counterparty's round-1 message; returns the per-counterparty replies. */
  round2(received: ReadonlyMap<string, DklsSignMsg1>): Map<string, DklsSignMsg2> {
    this.#enter('round1', 'round2', 'round2')
    const msgs = this.#received(received, 'round 2')
    const pkI = normalizePoints([mulG(this.#sk)])[0] as Point
    this.#pkI = pkI
    const out = new Map<string, DklsSignMsg2>()
    for (const j of this.#others) {
      const m = msgs.get(j) as DklsSignMsg1
      if (!(m.commitment instanceof Uint8Array) || m.commitment.length !== 32) this.#abort(`signing aborted: malformed commitment from ${j}`, j)
      this.#commitments.set(j, Uint8Array.from(m.commitment))
      const pair = this.#pairs.get(j) as DklsPairSetup
      let cU: bigint
      let cV: bigint
      let reply: MulAliceMsg1
      try {
        const res = new MulAlice(pair.alice, mulSessionId(this.#session, this.id, j), [this.#r, this.#sk]).round1(m.mul)
        ;[cU, cV] = res.output as [bigint, bigint]
        reply = res.message
      } catch (e) {
        this.#abort(`signing aborted: multiplication with ${j} failed`, j, e)
      }
      this.#c.set(j, [cU, cV])
      const chi = (this.#bobs.get(j) as MulBob).b
      const [gammaU, gammaV] = normalizePoints([mulG(cU), mulG(cV)]) as [Point, Point]
      out.set(j, {
        instancePoint: pointToBytes(this.#R),
        salt: this.#salts.get(j) as Uint8Array,
        publicShare: pointToBytes(pkI),
        gammaU: pointToBytes(gammaU),
        gammaV: pointToBytes(gammaV),
        psi: scalarToBytes(mod(this.#phi - chi)),
        mul: reply,
      })
    }
    return out
  }

  /** Round 3: checks every counterparty's round-2 message and returns this signer's presignature. */
  round3(received: ReadonlyMap<string, DklsSignMsg2>): DklsPresignature {
    this.#enter('round2', 'round3', 'round3')
    const msgs = this.#received(received, 'round 3')
    let pkSum = this.#pkI as Point
    let R = this.#R
    let psiSum = 0n
    let sumU = 0n
    let sumV = 0n
    for (const j of this.#others) {
      const m = msgs.get(j) as DklsSignMsg2
      let Rj: Point
      let pkj: Point
      let gU: Point
      let gV: Point
      let psi: bigint
      try {
        Rj = parsePoint(m.instancePoint, 'instance point')
        pkj = parsePoint(m.publicShare, 'public share')
        gU = parsePoint(m.gammaU, 'Gamma^u')
        gV = parsePoint(m.gammaV, 'Gamma^v')
        psi = parseScalar(m.psi, 'psi')
        if (!(m.salt instanceof Uint8Array) || m.salt.length !== 32) throw new ZrError('MALFORMED_MESSAGE', `salt: expected 32 bytes, got ${m.salt instanceof Uint8Array ? `${m.salt.length} bytes` : typeof m.salt}`)
      } catch (e) {
        this.#abort(`signing aborted: malformed round-2 message from ${j}`, j, e)
      }
      // Decommitment of R_j (step 8).
      if (!ctEqual(commitment(this.#session, j, this.id, Rj, m.salt), this.#commitments.get(j) as Uint8Array)) {
        this.#abort(`signing aborted: ${j} opened its instance-key commitment wrongly`, j)
      }
      // The RVOLE where this party is Bob (its own consistency check inside).
      const bob = this.#bobs.get(j) as MulBob
      const chi = bob.b
      let d: bigint[]
      try {
        d = bob.finish(m.mul)
      } catch (e) {
        this.#abort(`signing aborted: multiplication with ${j} failed`, j, e)
      }
      const [dU, dV] = d as [bigint, bigint]
      // Consistency of j's multiplication inputs with R_j and pk_j (step 8); chi is secret.
      const [chiR, chiPk] = chi === 0n ? [secp256k1.Point.ZERO, secp256k1.Point.ZERO] : (mulSameScalar([Rj, pkj], chi) as [Point, Point])
      if (!chiR.equals(gU.add(mulG(dU)))) this.#abort(`signing aborted: ${j} failed the instance-key consistency check`, j)
      if (!chiPk.equals(gV.add(mulG(dV)))) this.#abort(`signing aborted: ${j} failed the key-share consistency check`, j)
      const [cU, cV] = this.#c.get(j) as [bigint, bigint]
      pkSum = pkSum.add(pkj)
      R = R.add(Rj)
      psiSum += psi
      sumU += cU + dU
      sumV += cV + dV
    }
    if (!pkSum.equals(this.#pk)) this.#abort('signing aborted: the public shares do not add up to the public key', undefined)
    if (R.is0()) this.#abort('signing aborted: the instance points add up to the identity', undefined)
    // Step 9 without the message: u_i and v_i; w_i is made online (see DklsOnlineSigner).
    const mask = mod(this.#phi + psiSum)
    const presignature: DklsPresignature = {
      id: Uint8Array.from(this.#session),
      self: this.id,
      signers: [...this.#signers],
      publicKey: pointToBytes(this.#pk),
      instancePoint: pointToBytes(R),
      phi: this.#phi,
      u: mod(this.#r * mask + sumU),
      v: mod(this.#sk * mask + sumV),
    }
    this.#wipe()
    return presignature
  }
}

/** What {@link DklsOnlineSigner} signs: the digest, and the additive tweak of a derived key. */
export type DklsOnlineParams = {
  /** The 32-byte message digest to sign (no further hashing). */
  digest: Uint8Array
  /** Additive key tweak t in [0, n) (derived child key): the signature verifies under X + t*G. */
  tweak?: bigint
}

/**
 * The online part of DKLs23 signing: one presignature, one digest, one broadcast round. The nonce is
 * re-randomized with a public delta = H(presignature, R, X, t, digest): R' = R + delta*G, so that a
 * presignature made before the message (and the tweak) were known is safe with additive key derivation
 * (Groth and Shoup, "On the security of ECDSA with additive key derivation and presignatures", 2022).
 * Each signer broadcasts u'_i = u_i + delta*phi_i and w_i = e*phi_i + r'*(v_i + t*phi_i); then
 * sum w / sum u' = (e + r'(x + t)) / (k + delta), an ECDSA signature with nonce k + delta under X + t*G.
 * `share()` runs once: a signer never makes two shares of one presignature.
 */
export class DklsOnlineSigner {
  readonly #presig: DklsPresignature
  readonly #others: string[]
  readonly #pk: Point
  readonly #e: bigint
  readonly #R: Point
  readonly #rx: bigint
  readonly #delta: bigint
  readonly #tweak: bigint
  #phase: 'start' | 'shared' | 'done' | 'aborted' = 'start'
  #own: { u: bigint; w: bigint } | undefined

  constructor(presignature: DklsPresignature, params: DklsOnlineParams) {
    const { digest } = params ?? ({} as DklsOnlineParams)
    const tweak = params?.tweak ?? 0n
    if (!(digest instanceof Uint8Array) || digest.length !== 32) throw new ZrError('INVALID_INPUT', 'digest must be 32 bytes')
    if (typeof tweak !== 'bigint' || tweak < 0n || tweak >= CURVE_ORDER) throw new ZrError('INVALID_INPUT', 'tweak must be in [0, n)')
    const p = presignature
    if (!p || !(p.id instanceof Uint8Array) || p.id.length !== 32 || !Array.isArray(p.signers) || !p.signers.includes(p.self)) throw new ZrError('INVALID_INPUT', 'not a DKLs23 presignature')
    for (const x of [p.phi, p.u, p.v]) if (typeof x !== 'bigint' || x < 0n || x >= CURVE_ORDER) throw new ZrError('INVALID_INPUT', 'presignature scalars must be in [0, n)')
    const X = parseKey(p.publicKey)
    const pk = X.add(mul(G, tweak))
    if (pk.is0()) throw new ZrError('INVALID_INPUT', 'tweaked public key is the identity')
    const R0 = parsePoint(p.instancePoint, 'instance point')
    this.#presig = p
    this.#others = p.signers.filter((j) => j !== p.self)
    this.#pk = pk
    this.#e = mod(bytesToBigInt(digest))
    this.#tweak = tweak
    this.#delta = wideReduce(new Transcript('zrkit/dkls23/rerandomize/v1').bytes('presignature', p.id).point('R', R0).point('public-key', X).scalar('tweak', tweak).bytes('digest', digest).challengeBytes('delta', 64))
    this.#R = R0.add(mulG(this.#delta))
    this.#rx = this.#R.is0() ? 0n : mod(this.#R.toAffine().x)
  }

  #abort(shortMessage: string, party: string | undefined, cause?: unknown): never {
    this.#phase = 'aborted'
    this.#own = undefined
    throw abortError(shortMessage, party, this.#others, cause)
  }

  /** This signer's broadcast (u'_i, w_i) to every other signer. Once only. */
  share(): DklsSignBroadcast {
    if (this.#phase !== 'start') throw new ZrError('INVALID_INPUT', `share called out of order (state: ${this.#phase}): a presignature makes one signature share, once`)
    this.#phase = 'shared'
    if (this.#R.is0()) this.#abort('signing aborted: the re-randomized instance point is the identity', undefined)
    if (this.#rx === 0n) this.#abort('signing aborted: r = 0', undefined)
    const { phi, u, v } = this.#presig
    const uPrime = mod(u + this.#delta * phi)
    const w = mod(this.#e * phi + this.#rx * mod(v + this.#tweak * phi))
    this.#own = { u: uPrime, w }
    return { u: scalarToBytes(uPrime), w: scalarToBytes(w) }
  }

  /**
   * Output (step 10): combines every other signer's broadcast with this party's own, verifies the
   * signature under X + t*G and returns r || s || v (65 bytes, low S, v in {0, 1}; 2 or 3 only if R.x >= n).
   */
  finish(broadcasts: ReadonlyMap<string, DklsSignBroadcast>): Uint8Array {
    if (this.#phase !== 'shared') throw new ZrError('INVALID_INPUT', `finish called out of order (state: ${this.#phase})`)
    this.#phase = 'done'
    if (!(broadcasts instanceof Map)) throw new ZrError('INVALID_INPUT', 'output: expected a Map keyed by sender id')
    const own = this.#own as { u: bigint; w: bigint }
    let u = own.u
    let w = own.w
    for (const j of this.#others) {
      const m = broadcasts.get(j)
      if (m === undefined || m === null) this.#abort(`output: no message from ${j}`, undefined)
      try {
        u += parseScalar(m.u, 'u')
        w += parseScalar(m.w, 'w')
      } catch (e) {
        this.#abort(`signing aborted: malformed broadcast from ${j}`, j, e)
      }
    }
    u = mod(u)
    w = mod(w)
    if (u === 0n) this.#abort('signing aborted: the u values add up to zero', undefined)
    const s = mod(w * Fn.inv(u))
    const R = this.#R
    const rx = this.#rx
    // ECDSA verification against the exact R': (e/s)*G + (r/s)*(X + tG) == R'. Everything here is
    // public (the signature, the digest, the key), so variable-time multiplication is fine.
    const sInv = s === 0n ? 0n : Fn.inv(s)
    const check = s === 0n ? secp256k1.Point.ZERO : secp256k1PublicMsm([G, this.#pk], [mod(this.#e * sInv), mod(rx * sInv)])
    if (s === 0n || !check.equals(R)) this.#abort('signing aborted: the combined signature does not verify', undefined)
    const aff = R.toAffine()
    let v = (aff.y & 1n ? 1 : 0) | (aff.x >= CURVE_ORDER ? 2 : 0)
    let sLow = s
    if (s > CURVE_ORDER >> 1n) {
      sLow = CURVE_ORDER - s
      v ^= 1
    }
    this.#own = undefined
    const out = new Uint8Array(65)
    out.set(scalarToBytes(rx), 0)
    out.set(scalarToBytes(sLow), 32)
    out[64] = v
    return out
  }
}

/**
 * One signer's whole DKLs23 signing of one digest: presigning ({@link DklsPresignSession}) and the
 * online part ({@link DklsOnlineSigner}) back to back, the one path that pooled presignatures take too.
 * Flow: `round1()` -> per-counterparty messages; `round2(received)` -> per-counterparty messages;
 * `round3(received)` -> one broadcast; `finish(broadcasts)` -> 65-byte r || s || v.
 * Every method runs once, in order; any failure aborts the whole session.
 */
export class DklsSignSession {
  readonly id: string
  readonly #presign: DklsPresignSession
  readonly #online: DklsOnlineParams
  readonly #digest: Uint8Array
  #signer: DklsOnlineSigner | undefined

  constructor(params: DklsSignParams) {
    const { digest, tweak, ...presign } = params ?? ({} as DklsSignParams)
    if (!(digest instanceof Uint8Array) || digest.length !== 32) throw new ZrError('INVALID_INPUT', 'digest must be 32 bytes')
    if (tweak !== undefined && (typeof tweak !== 'bigint' || tweak < 0n || tweak >= CURVE_ORDER)) throw new ZrError('INVALID_INPUT', 'tweak must be in [0, n)')
    this.#presign = new DklsPresignSession(presign)
    this.id = this.#presign.id
    this.#digest = Uint8Array.from(digest)
    this.#online = { digest: this.#digest, ...(tweak !== undefined ? { tweak } : {}) }
    if (tweak) {
      const pk = parseKey(presign.publicKey).add(mul(G, tweak))
      if (pk.is0()) throw new ZrError('INVALID_INPUT', 'tweaked public key is the identity')
    }
  }

  round1(): Map<string, DklsSignMsg1> {
    return this.#presign.round1()
  }

  round2(received: ReadonlyMap<string, DklsSignMsg1>): Map<string, DklsSignMsg2> {
    return this.#presign.round2(received)
  }

  /** Round 3: finishes presigning and returns this signer's online broadcast (u'_i, w_i). */
  round3(received: ReadonlyMap<string, DklsSignMsg2>): DklsSignBroadcast {
    this.#signer = new DklsOnlineSigner(this.#presign.round3(received), this.#online)
    return this.#signer.share()
  }

  /** Output: see {@link DklsOnlineSigner.finish}. */
  finish(broadcasts: ReadonlyMap<string, DklsSignBroadcast>): Uint8Array {
    if (!this.#signer) throw new ZrError('INVALID_INPUT', 'finish called out of order (state: before round3)')
    return this.#signer.finish(broadcasts)
  }

  /** The digest this session signs. */
  get digest(): Uint8Array {
    return Uint8Array.from(this.#digest)
  }
}

/** The group public key X, checked to be a secp256k1 point. */
function parseKey(publicKey: Uint8Array): Point {
  try {
    const X = secp256k1.Point.fromBytes(publicKey)
    X.assertValidity()
    return X
  } catch (cause) {
    throw new ZrError('INVALID_INPUT', 'public key is not a secp256k1 point', { cause })
  }
}

/** MPC_ABORT naming the counterparty at fault, or every other signer as suspects when no one can be named. */
function abortError(shortMessage: string, party: string | undefined, others: readonly string[], cause?: unknown): ZrError {
  const details = cause instanceof Error ? cause.message : undefined
  return new ZrError('MPC_ABORT', shortMessage, { cause, details, context: party !== undefined ? { party } : { suspects: [...others] } })
}
