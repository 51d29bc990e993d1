/**
 * Two-party random vector OLE for zrkit's DKLs23 threshold ECDSA.
 *
 * Functionality: DKLs23 (eprint 2023/765) Functionality 3.5, F^L_RVOLE. Bob holds a scalar b, Alice a
 * vector a of L scalars; Alice learns c_A, Bob learns c_B (vectors of L scalars) with
 *   c_A[i] + c_B[i] = a[i] * b  (mod n)  for every i < L.
 * Signing (DKLs23 Protocol 3.6) uses L = 2. Bob's b is either chosen by the caller or, as in the
 * functionality itself, sampled by the protocol (b = <g, beta> for uniform beta).
 *
 * Realisation: DKLs19 (eprint 2019/523) Protocol 1 ("two-party multiplication"), as DKLs23 recommends,
 * on top of zrkit's KOS15 correlated OTs (`ot/otExtension.ts`), made non-interactive with a Fiat-Shamir
 * challenge (DKLs19 Section 5.1), so that one multiplication is two messages:
 *
 *   Parameters: xi = kappa + 2s = 416 (OT_BATCH), gadget vector g in Z_n^xi with g[k] = 2^k for
 *   k < 256 and g[256..415] public pseudo-random scalars derived from the OT setup's id.
 *
 *   Encoding (Bob, DKLs18/DKLs19 encoding): gamma <- {0,1}^{2s}; beta = bits(b - <g_R, gamma>) || gamma,
 *   so that <g, beta> = b while beta is uniform given b up to the statistical distance that the 2s
 *   random pseudo-random gadget entries buy. A selective-failure attack by Alice (see below) reveals
 *   individual bits of beta, never b itself (up to 2^-s).
 *
 *   1. Bob -> Alice: KOS15 extension message for choice bits beta (one batch of 416 OTs).
 *   2. Alice: samples the mask vector a_hat <- Z_n^L and runs the correlated OTs with the same
 *      correlation vector alpha_j = (a || a_hat) (width 2L) on every row j; she keeps shares z_A,j and
 *      Bob will obtain z_B,j with z_A,j + z_B,j = beta_j * (a || a_hat).
 *      Challenge: chi, chi_hat in Z_n^L = H(transcript: sid, ids, L, Bob's OT message, tau).
 *      Check values: u[i] = chi[i] a[i] + chi_hat[i] a_hat[i]   (i < L)
 *                    r[j] = sum_i (chi[i] z_A,j[i] + chi_hat[i] z_A,j[L+i])   (j < 416)
 *      Output: c_A[i] = sum_j g[j] z_A,j[i].  Alice -> Bob: tau (OT corrections), r, u.
 *   3. Bob: obtains z_B,j from tau, recomputes the challenge and checks for every j
 *        r[j] + sum_i (chi[i] z_B,j[i] + chi_hat[i] z_B,j[L+i]) == beta_j * sum_i u[i];
 *      output: c_B[i] = sum_j g[j] z_B,j[i].
 *   As in DKLs19 Protocol 1, r has one entry per OT row (the L coordinates are folded together by the
 *   random chi, chi_hat): 416 scalars instead of 416 * L, 13 KB less per multiplication.
 *
 * Why the check works: an Alice who used a different correlation vector (a', a_hat') on row j shifts
 * z_B,j by beta_j * (a' - a, a_hat' - a_hat). If beta_j = 1 the equation on row j holds only if
 * sum_i chi[i](a'[i] - a[i]) + chi_hat[i](a_hat'[i] - a_hat[i]) equals the shift she put into the
 * check values, the same on every row; since chi and chi_hat are derived after tau is fixed, rows
 * with different deviations pass together with probability 1/n. (A deviation that is the same on every
 * row is just another input a'.) If beta_j = 0 the cheat has no effect on Bob at all;
 * so whether Bob aborts reveals beta_j (selective failure) - which is exactly what the redundant
 * encoding above makes harmless. u is uniform (masked by a_hat with chi_hat != 0), and Bob can compute
 * every r[j] himself, so the check reveals nothing about a.
 *
 * Any failed check or malformed message burns the OT-extension setup with that counterparty (its
 * seeds are wiped; further use throws `MPC_ABORT`), because repeated probes would let a cheating
 * Alice collect bits of beta across runs. The caller must rerun the base OTs.
 *
 * Width limit: the correlated-OT layer accepts correlation vectors of at most MAX_OLE_WIDTH = 16
 * scalars, and DKLs19 Protocol 1 doubles the width (a || a_hat), so L ranges over 1..8 here.
 *
 * BigInt arithmetic is not constant time; zrkit accepts that for this JavaScript implementation, as the
 * rest of the ECDSA layer does.
 */
import { randomBytes } from '@noble/hashes/utils.js'
import { ZrError } from '@zrkit/core'
import { KAPPA, getBit, randomScalar } from './ot/baseOt.js'
import {
  MAX_OLE_WIDTH,
  OT_BATCH,
  STAT_SECURITY,
  type OtExtensionReceiver,
  type OtExtensionSender,
  type OteExtendMsg,
  type OteReceiverBatch,
} from './ot/otExtension.js'
import { CURVE_ORDER, Transcript, parseScalar, writeScalar } from './ot/transcript.js'

/** Largest vector length L: the correlated OTs carry (a || a_hat), at most MAX_OLE_WIDTH scalars. */
export const MAX_MUL_WIDTH = MAX_OLE_WIDTH / 2
/** Vector length used by DKLs23 signing. */
export const SIGN_MUL_WIDTH = 2

/** Bob -> Alice: the OT-extension message carrying Bob's encoded input. */
export type MulBobMsg1 = { ote: OteExtendMsg }
/** Alice -> Bob: OT corrections tau (416 * 2L scalars), check values r (416 scalars) and u (L scalars). */
export type MulAliceMsg1 = { tau: Uint8Array; r: Uint8Array; u: Uint8Array }

const mod = (x: bigint): bigint => {
  const r = x % CURVE_ORDER
  return r < 0n ? r + CURVE_ORDER : r
}

function assertWidth(L: number): void {
  if (!Number.isInteger(L) || L < 1 || L > MAX_MUL_WIDTH) throw new ZrError('INVALID_INPUT', `multiplication width L must be an integer in [1, ${MAX_MUL_WIDTH}]`)
}

/** The multiplication transcript: session id, both party ids, the OT setup and L. */
function mulTranscript(sid: Uint8Array, aliceId: string, bobId: string, setupSid: Uint8Array, L: number): Transcript {
  if (!(sid instanceof Uint8Array) || sid.length < 16) throw new ZrError('INVALID_INPUT', 'multiplication session id must be at least 16 bytes')
  return new Transcript('zrkit/dkls23/rvole/v2')
    .sessionId(sid)
    .partyId('alice', aliceId)
    .partyId('bob', bobId)
    .bytes('ot-setup', setupSid)
    .u32('width', L)
    .u32('xi', OT_BATCH)
}

/**
 * The gadget vector g (OT_BATCH entries): g[k] = 2^k for k < kappa, then 2s pseudo-random public scalars
 * (DKLs19 Protocol 1 / DKLs18 encoding). They are public parameters of the pair, so they are derived from the
 * OT setup's id alone (the same for every multiplication of that setup, in either party) and kept beside the
 * setup object: each party derives its own, nothing is shared between parties.
 */
const gadgets = new WeakMap<OtExtensionReceiver | OtExtensionSender, bigint[]>()
function gadgetVector(ote: OtExtensionReceiver | OtExtensionSender): bigint[] {
  let g = gadgets.get(ote)
  if (g === undefined) {
    g = Array.from({ length: KAPPA }, (_, k) => 1n << BigInt(k))
    g.push(...new Transcript('zrkit/dkls23/gadget/v2').bytes('ot-setup', ote.baseContext.sessionId).challengeScalars('gadget', 2 * STAT_SECURITY))
    gadgets.set(ote, g)
  }
  return g
}

const SHIFTS: readonly bigint[] = Array.from({ length: KAPPA }, (_, k) => BigInt(k))

/** sum_j g[j] * z[j][i] (unreduced), using shifts for the power-of-two part g[j] = 2^j (j < kappa). */
function gadgetSum(g: readonly bigint[], z: readonly (readonly bigint[])[], i: number): bigint {
  let acc = 0n
  for (let j = 0; j < KAPPA; j++) acc += ((z[j] as readonly bigint[])[i] as bigint) << (SHIFTS[j] as bigint)
  for (let j = KAPPA; j < OT_BATCH; j++) acc += (g[j] as bigint) * ((z[j] as readonly bigint[])[i] as bigint)
  return acc
}

/** The OT-extension session id for this multiplication (binds everything in the transcript). */
const oteSessionId = (t: Transcript): Uint8Array => t.clone().challengeBytes('ote-sid', 32)

/** chi, chi_hat (L scalars each) over the transcript and both OT messages. */
function checkChallenges(t: Transcript, ote: OteExtendMsg, tau: Uint8Array, L: number): { chi: bigint[]; chiHat: bigint[] } {
  const c = t.clone().bytes('ote-u', ote.u).bytes('ote-x', ote.xTilde).bytes('ote-t', ote.tTilde).bytes('tau', tau)
  const chi = c.challengeScalars('chi', L)
  const chiHat = c.challengeScalars('chi-hat', L)
  return { chi, chiHat }
}

/**
 * Encodes b into OT_BATCH choice bits beta with <g, beta> = b (mod n): 2s random bits gamma for the
 * pseudo-random part, and the 256-bit binary expansion of b - <g_R, gamma> mod n for the powers of two.
 */
function encode(b: bigint, g: readonly bigint[]): Uint8Array {
  const beta = new Uint8Array(OT_BATCH / 8)
  const gamma = randomBytes((OT_BATCH - KAPPA) / 8)
  beta.set(gamma, KAPPA / 8)
  let acc = 0n
  for (let k = KAPPA; k < OT_BATCH; k++) if (getBit(beta, k)) acc += g[k] as bigint
  let low = mod(b - acc)
  for (let k = 0; k < KAPPA; k++, low >>= 1n) if (low & 1n) beta[k >> 3] = (beta[k >> 3] as number) | (1 << (k & 7))
  gamma.fill(0)
  return beta
}

/** <g, beta> mod n. */
function decode(beta: Uint8Array, g: readonly bigint[]): bigint {
  let acc = 0n
  for (let k = 0; k < OT_BATCH; k++) if (getBit(beta, k)) acc += g[k] as bigint
  return mod(acc)
}

function parseScalars(bytes: unknown, count: number, what: string): bigint[] {
  if (!(bytes instanceof Uint8Array) || bytes.length !== count * 32) throw new ZrError('MALFORMED_MESSAGE', `${what}: expected ${count} scalars (${count * 32} bytes), got ${bytes instanceof Uint8Array ? `${bytes.length} bytes` : typeof bytes}`)
  const out: bigint[] = []
  for (let k = 0; k < count; k++) out.push(parseScalar(bytes.subarray(32 * k, 32 * k + 32), what))
  return out
}

/**
 * Bob: the OT-extension receiver, holding the scalar b. Flow: `round1()` -> Alice, then
 * `finish(aliceMsg)` -> c_B. Each instance runs one multiplication.
 */
export class MulBob {
  readonly #ote: OtExtensionReceiver
  readonly #t: Transcript
  readonly #g: bigint[]
  readonly #L: number
  readonly #aliceId: string
  #b: bigint
  #beta: Uint8Array
  #msg: OteExtendMsg | undefined
  #batch: OteReceiverBatch | undefined
  #done = false

  /**
   * @param ote Bob's OT-extension receiver with Alice (built from a base OT where Bob was the base sender).
   * @param sessionId Unique per multiplication (at least 16 bytes); Alice must use the same one.
   * @param L Vector length (1..8; 2 for signing).
   * @param b Bob's input in [0, n); omitted: sampled by the protocol (random vector OLE), see `b`.
   */
  constructor(ote: OtExtensionReceiver, sessionId: Uint8Array, L: number, b?: bigint) {
    assertWidth(L)
    if (b !== undefined && (typeof b !== 'bigint' || b < 0n || b >= CURVE_ORDER)) throw new ZrError('INVALID_INPUT', 'b must be a scalar in [0, n)')
    const ctx = ote.baseContext
    this.#ote = ote
    this.#L = L
    // Bob was the base-OT sender, Alice the base-OT receiver.
    this.#aliceId = ctx.receiverId
    this.#t = mulTranscript(sessionId, ctx.receiverId, ctx.senderId, ctx.sessionId, L)
    this.#g = gadgetVector(ote)
    if (b === undefined) {
      this.#beta = randomBytes(OT_BATCH / 8)
      this.#b = decode(this.#beta, this.#g)
    } else {
      this.#beta = encode(b, this.#g)
      this.#b = b
    }
  }

  /** Bob's input b (chosen or sampled). */
  get b(): bigint {
    return this.#b
  }

  /** A copy of Bob's secret encoding beta (OT_BATCH bits). Local secret: never send it; for audits and tests. */
  encodedInput(): Uint8Array {
    return Uint8Array.from(this.#beta)
  }

  /** Message 1: the OT-extension message for choice bits beta. */
  round1(): MulBobMsg1 {
    if (this.#msg !== undefined || this.#done) throw new ZrError('INVALID_INPUT', 'MulBob.round1 already called')
    const { message, batch } = this.#ote.extend(oteSessionId(this.#t), this.#beta)
    this.#msg = message
    this.#batch = batch
    return { ote: message }
  }

  #abort(shortMessage: string, cause?: unknown): never {
    this.#ote.burn()
    this.#wipe()
    throw new ZrError('MPC_ABORT', shortMessage, { cause, details: cause instanceof Error ? cause.message : undefined, context: { party: this.#aliceId } })
  }

  #wipe(): void {
    this.#beta.fill(0)
    this.#b = 0n
    this.#done = true
  }

  /**
   * Processes Alice's message: verifies the DKLs19 consistency check and returns c_B (L scalars).
   * A malformed message or a failed check burns the OT setup and throws `MPC_ABORT` (context.party = Alice).
   */
  finish(msg: MulAliceMsg1): bigint[] {
    const ote = this.#msg
    const batch = this.#batch
    if (ote === undefined || batch === undefined || this.#done) throw new ZrError('INVALID_INPUT', 'MulBob.finish needs round1 first and runs once')
    if (this.#ote.burned) throw new ZrError('MPC_ABORT', 'OT setup with this counterparty is burned; rerun the base OTs', { context: { party: this.#aliceId } })
    const L = this.#L
    let r: bigint[]
    let u: bigint[]
    let tau: Uint8Array
    try {
      if (!(msg?.tau instanceof Uint8Array) || msg.tau.length !== OT_BATCH * 2 * L * 32) throw new ZrError('MALFORMED_MESSAGE', `tau: expected ${OT_BATCH * 2 * L * 32} bytes, got ${msg?.tau instanceof Uint8Array ? `${msg.tau.length} bytes` : typeof msg?.tau}`)
      tau = msg.tau
      r = parseScalars(msg.r, OT_BATCH, 'r')
      u = parseScalars(msg.u, L, 'u')
    } catch (e) {
      this.#abort('multiplication aborted: malformed message from Alice', e)
    }
    let z: bigint[][]
    try {
      z = batch.finish({ tau })
    } catch (e) {
      this.#abort('multiplication aborted: OT corrections refused', e)
    }
    const { chi, chiHat } = checkChallenges(this.#t, ote, tau, L)
    let uSum = 0n
    for (let i = 0; i < L; i++) uSum += u[i] as bigint
    uSum = mod(uSum)
    let bad = 0
    for (let j = 0; j < OT_BATCH; j++) {
      const zj = z[j] as bigint[]
      let lhs = r[j] as bigint
      for (let i = 0; i < L; i++) lhs += (chi[i] as bigint) * (zj[i] as bigint) + (chiHat[i] as bigint) * (zj[L + i] as bigint)
      bad |= mod(lhs) === (getBit(this.#beta, j) ? uSum : 0n) ? 0 : 1
    }
    if (bad !== 0) this.#abort('multiplication aborted: Alice failed the consistency check')
    const c = Array.from({ length: L }, (_, i) => mod(gadgetSum(this.#g, z, i)))
    this.#wipe()
    return c
  }
}

/**
 * Alice: the OT-extension sender, holding the vector a (L scalars). Flow: `round1(bobMsg)` -> message
 * for Bob and c_A. Each instance runs one multiplication.
 */
export class MulAlice {
  readonly #ote: OtExtensionSender
  readonly #t: Transcript
  readonly #g: bigint[]
  #a: bigint[]
  #done = false

  /**
   * @param ote Alice's OT-extension sender with Bob (built from a base OT where Alice was the base receiver).
   * @param sessionId The same session id Bob uses.
   * @param a Alice's input vector (1..8 scalars in [0, n); 2 for signing).
   */
  constructor(ote: OtExtensionSender, sessionId: Uint8Array, a: readonly bigint[]) {
    if (!Array.isArray(a)) throw new ZrError('INVALID_INPUT', 'a must be an array of scalars')
    assertWidth(a.length)
    for (const x of a) if (typeof x !== 'bigint' || x < 0n || x >= CURVE_ORDER) throw new ZrError('INVALID_INPUT', 'a: scalars must be in [0, n)')
    const ctx = ote.baseContext
    this.#ote = ote
    this.#a = [...a]
    this.#t = mulTranscript(sessionId, ctx.receiverId, ctx.senderId, ctx.sessionId, a.length)
    this.#g = gadgetVector(ote)
  }

  /**
   * Processes Bob's message (KOS15 check inside the OT layer; a failure burns the setup and throws
   * `MPC_ABORT`) and returns Alice's message and her output c_A (L scalars).
   */
  round1(msg: MulBobMsg1): { message: MulAliceMsg1; output: bigint[] } {
    if (this.#done) throw new ZrError('INVALID_INPUT', 'MulAlice.round1 already called')
    this.#done = true
    const a = this.#a
    this.#a = []
    return aliceCore(this.#ote, this.#t, this.#g, a, msg)
  }
}

/**
 * Alice's computation. `rowAlpha` lets adversarial tests use a different correlation vector on some
 * rows (an inconsistent Alice); the honest flow passes none.
 */
function aliceCore(
  oteSender: OtExtensionSender,
  t: Transcript,
  g: readonly bigint[],
  a: readonly bigint[],
  msg: MulBobMsg1,
  rowAlpha?: (row: number, alpha: readonly bigint[]) => bigint[],
): { message: MulAliceMsg1; output: bigint[] } {
  const L = a.length
  const ote = msg?.ote
  const batch = oteSender.receive(oteSessionId(t), ote)
  const aHat = Array.from({ length: L }, () => randomScalar())
  const alpha = [...a, ...aHat]
  const alphas = Array.from({ length: OT_BATCH }, (_, j) => (rowAlpha ? rowAlpha(j, alpha) : alpha))
  const { shares, message } = batch.correlate(alphas)
  const { chi, chiHat } = checkChallenges(t, ote, message.tau, L)
  const u = new Uint8Array(L * 32)
  for (let i = 0; i < L; i++) writeScalar(u, 32 * i, mod((chi[i] as bigint) * (a[i] as bigint) + (chiHat[i] as bigint) * (aHat[i] as bigint)))
  const r = new Uint8Array(OT_BATCH * 32)
  const rView = new DataView(r.buffer)
  for (let j = 0; j < OT_BATCH; j++) {
    const zj = shares[j] as bigint[]
    let rj = 0n
    for (let i = 0; i < L; i++) rj += (chi[i] as bigint) * (zj[i] as bigint) + (chiHat[i] as bigint) * (zj[L + i] as bigint)
    writeScalar(rView, 32 * j, mod(rj))
  }
  const c = Array.from({ length: L }, (_, i) => mod(gadgetSum(g, shares, i)))
  aHat.fill(0n)
  alpha.fill(0n)
  return { message: { tau: message.tau, r, u }, output: c }
}

/**
 * Adversarial-test helper, not for protocol use: Alice's round 1 for a *cheating* Alice who inputs
 * `a` with its coordinate `coordinate` shifted by `delta` on OT row `row` only, and otherwise follows
 * the protocol (challenge, r and u computed from her actual shares and the honest a). Bob's check
 * catches her exactly when his choice bit beta_row is 1.
 */
export function inconsistentAliceRound1(
  ote: OtExtensionSender,
  sessionId: Uint8Array,
  a: readonly bigint[],
  msg: MulBobMsg1,
  cheat: { row: number; coordinate: number; delta: bigint },
): { message: MulAliceMsg1; output: bigint[] } {
  assertWidth(a.length)
  const ctx = ote.baseContext
  const t = mulTranscript(sessionId, ctx.receiverId, ctx.senderId, ctx.sessionId, a.length)
  return aliceCore(ote, t, gadgetVector(ote), a, msg, (row, alpha) => {
    const out = [...alpha]
    if (row === cheat.row) out[cheat.coordinate] = mod((out[cheat.coordinate] as bigint) + cheat.delta)
    return out
  })
}
