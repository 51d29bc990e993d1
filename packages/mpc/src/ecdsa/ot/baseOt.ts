/**
 * Base oblivious transfers for zrkit's DKLs23 pairwise multiplication: kappa = 256 random 1-out-of-2
 * OTs on secp256k1, run once per pair of parties at key generation and then extended per signature
 * (see `otExtension.ts`).
 *
 * Protocol: "Verified Simplest OT" (VSOT), Doerner-Kondi-Lee-shelat, "Secure Two-party Threshold ECDSA
 * from ECDSA Assumptions" (IEEE S&P 2018, eprint 2018/499), setup section, protocol "Verified Simplest
 * OT" with its verification phase, which DKLs19 and DKLs23 reuse for their base OTs. It is the Chou-Orlandi
 * "simplest OT" made maliciously secure by (a) the sender's Fiat-Shamir Schnorr proof of knowledge of
 * the discrete log b of B = b*G, and (b) a challenge-response phase in which the receiver proves it
 * obtained a pad and the sender then opens hashes of both pads.
 *
 * Why VSOT rather than endemic OT (Zhou et al. / Masny-Rindal): VSOT needs only scalar multiplication
 * and a hash, no programmable hash-to-curve, its security argument (plain CDH in the random oracle
 * model plus the Schnorr proof) is the one DKLs23's own analysis assumes for its setup, and a batch of
 * 256 OTs shares one sender key B and one proof. The price is an extra two flows for verification and
 * a known property of the verification phase: a cheating sender can guess a choice bit at the cost of
 * being caught with probability 1/2 per guess. zrkit neutralises that the DKLs way: any failed check
 * burns the whole setup with that counterparty (never retried with the same secrets), so a guess costs
 * an abort that the application must surface.
 *
 * Flows (all messages are plain objects; no I/O here):
 *   1. S -> R  `round1()`:           B, Schnorr proof (R, z) bound to sid and both party ids
 *   2. R -> S  `receiver.round1()`:  A_i = a_i*G + w_i*B  (i < 256)
 *   3. S -> R  `sender.round2()`:    xi_i = H(H(rho0_i)) xor H(H(rho1_i))
 *   4. R -> S  `receiver.round2()`:  r_i  = H(H(rho_w_i)) xor w_i*xi_i
 *   5. S -> R  `sender.round3()`:    S checks r_i == H(H(rho0_i)), then opens H(rho0_i), H(rho1_i)
 *      R      `receiver.round3()`:   R checks H(rho_w_i) against the opening and xi_i against both.
 * Outputs: the sender gets 256 pairs of 32-byte seeds (rho0_i, rho1_i); the receiver gets its choice
 * bits w and rho_w_i. Pads are rho_j_i = H(transcript(sid, ids, B), i, A_i, DH point).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { randomBytes, utf8ToBytes } from '@noble/hashes/utils.js'
import { ZrError } from '@zrkit/core'
import { FixedBaseTable, mulBase, mulSameScalar, normalizePoints } from '../../curves/secp256k1Mul.js'
import { CURVE_ORDER, Transcript, parsePoint, parseScalar, pointToBytes, scalarToBytes, wideReduce } from './transcript.js'

type Point = InstanceType<typeof secp256k1.Point>
const G = secp256k1.Point.BASE

/** Computational security parameter: number of base OTs and bit length of the OT-extension correlation. */
export const KAPPA = 256
/** Bytes of one seed and of a packed kappa-bit string. */
export const SEED_BYTES = 32

/** Identifies one base-OT run between two parties. */
export type BaseOtContext = {
  /** Unique per run (fresh for every rerun after a burn). */
  sessionId: Uint8Array
  /** Party id of the base-OT sender (later the OT-extension receiver). */
  senderId: string
  /** Party id of the base-OT receiver (later the OT-extension sender, with Delta = its choice bits). */
  receiverId: string
}

export type VsotSenderMsg1 = { B: Uint8Array; proofR: Uint8Array; proofZ: Uint8Array }
export type VsotReceiverMsg1 = { A: Uint8Array[] }
export type VsotSenderMsg2 = { xi: Uint8Array[] }
export type VsotReceiverMsg2 = { responses: Uint8Array[] }
export type VsotSenderMsg3 = { open0: Uint8Array[]; open1: Uint8Array[] }

/** The sender's result: `seeds0[i]`, `seeds1[i]` for i < 256. */
export type BaseOtSenderOutput = BaseOtContext & { seeds0: Uint8Array[]; seeds1: Uint8Array[] }
/** The receiver's result: packed choice bits (bit i = byte i>>3, bit i&7) and `seeds[i]` = seed for bit i. */
export type BaseOtReceiverOutput = BaseOtContext & { choiceBits: Uint8Array; seeds: Uint8Array[] }

/** Bit i of a packed little-endian bit string. */
export const getBit = (bits: Uint8Array, i: number): number => ((bits[i >> 3] ?? 0) >> (i & 7)) & 1

/** A uniform non-zero scalar. */
export function randomScalar(): bigint {
  for (;;) {
    const s = wideReduce(randomBytes(64))
    if (s !== 0n) return s
  }
}

const tagged = (tag: string, data: Uint8Array): Uint8Array => {
  const t = utf8ToBytes(tag)
  const h = sha256.create()
  const len = new Uint8Array(4)
  new DataView(len.buffer).setUint32(0, t.length, false)
  return h.update(len).update(t).update(data).digest()
}
const H = (x: Uint8Array) => tagged('zrkit/vsot/v1/H', x)

const xor = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.length)
  for (let i = 0; i < a.length; i++) out[i] = (a[i] as number) ^ (b[i] as number)
  return out
}

/** Constant-time equality of two byte strings of equal length. */
export function ctEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let d = 0
  for (let i = 0; i < a.length; i++) d |= (a[i] as number) ^ (b[i] as number)
  return d === 0
}

function checkContext(ctx: BaseOtContext): BaseOtContext {
  if (!(ctx.sessionId instanceof Uint8Array) || ctx.sessionId.length < 16) throw new ZrError('INVALID_INPUT', 'base OT session id must be at least 16 bytes')
  if (!ctx.senderId || !ctx.receiverId || ctx.senderId === ctx.receiverId) throw new ZrError('INVALID_INPUT', 'base OT needs two distinct party ids')
  return { sessionId: Uint8Array.from(ctx.sessionId), senderId: ctx.senderId, receiverId: ctx.receiverId }
}

const baseTranscript = (ctx: BaseOtContext) =>
  new Transcript('zrkit/dkls23/vsot/v1').sessionId(ctx.sessionId).partyId('sender', ctx.senderId).partyId('receiver', ctx.receiverId).u32('kappa', KAPPA)

const proofChallenge = (ctx: BaseOtContext, B: Point, R: Point) => baseTranscript(ctx).point('B', B).point('R', R).challengeScalar('dlog-proof')

const padTranscript = (ctx: BaseOtContext, B: Point) => baseTranscript(ctx).point('B', B)
const pad = (base: Transcript, i: number, A: Point, P: Point) => base.clone().u32('index', i).point('A', A).point('dh', P).challengeBytes('pad', SEED_BYTES)

function byteList(v: unknown, count: number, size: number, what: string): Uint8Array[] {
  if (!Array.isArray(v) || v.length !== count) throw new ZrError('INVALID_INPUT', `${what}: expected ${count} entries`)
  for (const x of v) if (!(x instanceof Uint8Array) || x.length !== size) throw new ZrError('INVALID_INPUT', `${what}: expected ${size}-byte entries`)
  return v as Uint8Array[]
}

type Phase = 'start' | 'r1' | 'r2' | 'done' | 'burned'

abstract class VsotParty {
  protected phase: Phase = 'start'
  protected readonly ctx: BaseOtContext
  constructor(ctx: BaseOtContext) {
    this.ctx = checkContext(ctx)
  }
  /** True once a check failed or the party was burned: it refuses every further step. */
  get burned(): boolean {
    return this.phase === 'burned'
  }
  protected expect(phase: Phase, step: string): void {
    if (this.phase === 'burned') throw new ZrError('MPC_ABORT', 'base OT state is burned; rerun the base OTs with a fresh session id', { context: { party: this.counterparty } })
    if (this.phase !== phase) throw new ZrError('INVALID_INPUT', `base OT: ${step} called out of order`)
  }
  protected abstract get counterparty(): string
  protected abstract wipe(): void
  /** Discards all secrets; every later call throws. */
  burn(): void {
    this.wipe()
    this.phase = 'burned'
  }
  protected guard<T>(fn: () => T): T {
    try {
      return fn()
    } catch (e) {
      this.burn()
      if (e instanceof ZrError && e.code === 'MPC_ABORT') throw e
      throw new ZrError('MPC_ABORT', 'base OT aborted: invalid message from counterparty', { cause: e, details: e instanceof Error ? e.message : undefined, context: { party: this.counterparty } })
    }
  }
}

/** The VSOT sender (holds both seeds of every OT; becomes the OT-extension receiver). */
export class BaseOtSender extends VsotParty {
  #b: bigint = randomScalar()
  #B: Point = G.multiply(this.#b)
  #rho0: Uint8Array[] = []
  #rho1: Uint8Array[] = []

  protected get counterparty(): string {
    return this.ctx.receiverId
  }
  protected wipe(): void {
    this.#b = 0n
    for (const r of [...this.#rho0, ...this.#rho1]) r.fill(0)
    this.#rho0 = []
    this.#rho1 = []
  }

  /** Flow 1: B = b*G and a Schnorr proof of knowledge of b bound to the session. */
  round1(): VsotSenderMsg1 {
    this.expect('start', 'round1')
    const k = randomScalar()
    const R = G.multiply(k)
    const c = proofChallenge(this.ctx, this.#B, R)
    const z = (k + c * this.#b) % CURVE_ORDER
    this.phase = 'r1'
    return { B: pointToBytes(this.#B), proofR: pointToBytes(R), proofZ: scalarToBytes(z) }
  }

  /** Flow 3: derives both pads of every OT and sends the verification challenges xi. */
  round2(msg: VsotReceiverMsg1): VsotSenderMsg2 {
    this.expect('r1', 'round2')
    return this.guard(() => {
      const list = byteList(msg?.A, KAPPA, 33, 'VSOT A')
      const As = list.map((bytes, i) => {
        const A = parsePoint(bytes, `VSOT A[${i}]`)
        if (A.equals(this.#B)) throw new ZrError('INVALID_INPUT', `VSOT A[${i}] equals B`)
        return A
      })
      // b*A_i for all i and b*B, one scalar split and one fixed operation sequence per point.
      const products = mulSameScalar([...As, this.#B], this.#b)
      const bB = products[KAPPA] as Point
      const P0s = products.slice(0, KAPPA)
      const P1s = normalizePoints(P0s.map((P0) => P0.subtract(bB)))
      const base = padTranscript(this.ctx, this.#B)
      const xi: Uint8Array[] = []
      for (let i = 0; i < KAPPA; i++) {
        const A = As[i] as Point
        const r0 = pad(base, i, A, P0s[i] as Point)
        const r1 = pad(base, i, A, P1s[i] as Point)
        this.#rho0.push(r0)
        this.#rho1.push(r1)
        xi.push(xor(H(H(r0)), H(H(r1))))
      }
      this.phase = 'r2'
      return { xi }
    })
  }

  /**
   * Flow 5: checks every response against H(H(rho0_i)); on success opens H(rho0_i), H(rho1_i) and
   * returns the seeds. A wrong response burns this sender and throws `MPC_ABORT`.
   */
  round3(msg: VsotReceiverMsg2): { message: VsotSenderMsg3; output: BaseOtSenderOutput } {
    this.expect('r2', 'round3')
    return this.guard(() => {
      const responses = byteList(msg?.responses, KAPPA, 32, 'VSOT responses')
      let ok = true
      for (let i = 0; i < KAPPA; i++) ok = ctEqual(responses[i] as Uint8Array, H(H(this.#rho0[i] as Uint8Array))) && ok
      if (!ok) throw new ZrError('MPC_ABORT', 'base OT verification failed: wrong receiver response', { context: { party: this.ctx.receiverId } })
      const message = { open0: this.#rho0.map(H), open1: this.#rho1.map(H) }
      const output: BaseOtSenderOutput = { ...this.ctx, seeds0: this.#rho0.map((r) => Uint8Array.from(r)), seeds1: this.#rho1.map((r) => Uint8Array.from(r)) }
      this.wipe()
      this.phase = 'done'
      return { message, output }
    })
  }
}

/** The VSOT receiver (learns one seed per OT; becomes the OT-extension sender with Delta = its choice bits). */
export class BaseOtReceiver extends VsotParty {
  #choice: Uint8Array
  #rho: Uint8Array[] = []
  #xi: Uint8Array[] = []

  /** `choiceBits`: 32 packed bytes; random when omitted (the usual case: they become Delta). */
  constructor(ctx: BaseOtContext, choiceBits?: Uint8Array) {
    super(ctx)
    if (choiceBits !== undefined && (!(choiceBits instanceof Uint8Array) || choiceBits.length !== SEED_BYTES)) throw new ZrError('INVALID_INPUT', 'choice bits must be 32 bytes')
    this.#choice = choiceBits ? Uint8Array.from(choiceBits) : randomBytes(SEED_BYTES)
  }

  protected get counterparty(): string {
    return this.ctx.senderId
  }
  protected wipe(): void {
    this.#choice.fill(0)
    for (const r of this.#rho) r.fill(0)
    this.#rho = []
  }

  /** Flow 2: verifies the sender's proof and sends A_i = a_i*G + w_i*B. */
  round1(msg: VsotSenderMsg1): VsotReceiverMsg1 {
    this.expect('start', 'round1')
    return this.guard(() => {
      const B = parsePoint(msg?.B, 'VSOT B')
      const R = parsePoint(msg?.proofR, 'VSOT proof R')
      const z = parseScalar(msg?.proofZ, 'VSOT proof z')
      const c = proofChallenge(this.ctx, B, R)
      // z, c, R and B are all public: the proof check may use variable-time multiplication.
      if (!G.multiplyUnsafe(z).equals(R.add(B.multiplyUnsafe(c)))) {
        throw new ZrError('MPC_ABORT', 'base OT aborted: invalid proof of knowledge of the sender key', { context: { party: this.ctx.senderId } })
      }
      const base = padTranscript(this.ctx, B)
      // B is multiplied by 256 secret scalars: one fixed-base table for it, the one of G for G. (noble's
      // precompute(8) builds a table for blinded, 384-bit scalars: slower here, see bench/curves.ts.)
      const tableB = new FixedBaseTable(B)
      const points: Point[] = []
      for (let i = 0; i < KAPPA; i++) {
        const a = randomScalar()
        // A_i = a_i*G + w_i*B: B or the identity is selected, then always added.
        points.push(mulBase(a).add(getBit(this.#choice, i) === 1 ? B : secp256k1.Point.ZERO), tableB.multiply(a))
      }
      const affine = normalizePoints(points)
      const A: Uint8Array[] = []
      for (let i = 0; i < KAPPA; i++) {
        const Ai = affine[2 * i] as Point
        if (Ai.is0()) throw new ZrError('INVALID_INPUT', 'degenerate A_i (negligible probability)')
        this.#rho.push(pad(base, i, Ai, affine[2 * i + 1] as Point))
        A.push(pointToBytes(Ai))
      }
      this.phase = 'r1'
      return { A }
    })
  }

  /** Flow 4: answers the challenges: r_i = H(H(rho_w_i)) xor w_i*xi_i. */
  round2(msg: VsotSenderMsg2): VsotReceiverMsg2 {
    this.expect('r1', 'round2')
    return this.guard(() => {
      this.#xi = byteList(msg?.xi, KAPPA, 32, 'VSOT xi').map((x) => Uint8Array.from(x))
      const responses = this.#rho.map((r, i) => {
        const hh = H(H(r))
        return getBit(this.#choice, i) ? xor(hh, this.#xi[i] as Uint8Array) : hh
      })
      this.phase = 'r2'
      return { responses }
    })
  }

  /** Checks the sender's openings; returns the choice bits and seeds, or burns and throws `MPC_ABORT`. */
  round3(msg: VsotSenderMsg3): BaseOtReceiverOutput {
    this.expect('r2', 'round3')
    return this.guard(() => {
      const open0 = byteList(msg?.open0, KAPPA, 32, 'VSOT open0')
      const open1 = byteList(msg?.open1, KAPPA, 32, 'VSOT open1')
      let ok = true
      for (let i = 0; i < KAPPA; i++) {
        const mine = getBit(this.#choice, i) ? (open1[i] as Uint8Array) : (open0[i] as Uint8Array)
        ok = ctEqual(mine, H(this.#rho[i] as Uint8Array)) && ok
        ok = ctEqual(this.#xi[i] as Uint8Array, xor(H(open0[i] as Uint8Array), H(open1[i] as Uint8Array))) && ok
      }
      if (!ok) throw new ZrError('MPC_ABORT', 'base OT verification failed: sender opening inconsistent', { context: { party: this.ctx.senderId } })
      const output: BaseOtReceiverOutput = { ...this.ctx, choiceBits: Uint8Array.from(this.#choice), seeds: this.#rho.map((r) => Uint8Array.from(r)) }
      this.wipe()
      this.phase = 'done'
      return output
    })
  }
}
