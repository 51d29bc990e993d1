/**
 * KOS15 actively secure OT extension for zrkit's DKLs23 pairwise multiplication.
 *
 * Protocol: Keller-Orsini-Scholl, "Actively Secure OT Extension with Optimal Overhead" (CRYPTO 2015,
 * eprint 2015/546), correlated-OT extension "COTe" with its "check correlation" step (check over GF(2^kappa),
 * kappa = 256, reduction polynomial x^256 + x^10 + x^5 + x^2 + 1), made non-interactive with a
 * Fiat-Shamir challenge as DKLs19 (eprint 2019/523, Section 5 / "OT extension") and DKLs23 (eprint
 * 2023/765, Section on the two-party multiplication functionality) do.
 *
 * Roles are reversed relative to the base OTs (see `baseOt.ts`): the base-OT receiver becomes the
 * extension *sender* with Delta = its 256 choice bits and seeds k_i^{Delta_i}; the base-OT sender
 * becomes the extension *receiver* with both seeds k_i^0, k_i^1.
 *
 * One extension ("batch") for the receiver's choice vector x (OT_BATCH = 416 bits), per session id:
 *   R: x' = x || 336 random bits (m' = 752); t_i = PRG(k_i^0), u_i = t_i ^ PRG(k_i^1) ^ x'   (i < 256)
 *      chi_j (j < m') = FS challenge over (setup, sid, both ids, u)
 *      xT = sum x'_j chi_j, tT = sum t_j chi_j  (t_j = row j of the transposed matrix)   -> sends (u, xT, tT)
 *   S: q_i = PRG(k_i^{Delta_i}) ^ Delta_i u_i, so rows satisfy q_j = t_j ^ x'_j Delta;
 *      checks sum q_j chi_j == tT ^ xT * Delta, else burns the setup and throws MPC_ABORT.
 * The 416 first rows then give random OTs (v0_j = H(j, q_j), v1_j = H(j, q_j ^ Delta); the receiver
 * gets v_{x_j} = H(j, t_j)) or correlated OTs over Z_n: for sender inputs alpha_j (vectors of L
 * scalars), the sender keeps s_j = -H(j, q_j), sends tau_j = H(j, q_j) - H(j, q_j ^ Delta) + alpha_j and
 * the receiver computes r_j = H(j, t_j) + x_j tau_j, so r_j + s_j = x_j alpha_j (mod n).
 *
 * Batch size: DKLs19 Protocol 1 (the random vector OLE DKLs23 uses) encodes the receiver's input into
 * xi = kappa + 2s = 256 + 2*80 = 416 random bits, the 2s extra elements being what makes the encoding
 * hide the input against a sender who learns s-bit-bounded leakage through selective failure. So each
 * multiplication consumes exactly 416 OTs: OT_BATCH = 416. KOS15's check additionally needs kappa + s =
 * 336 padding OTs with random choices that mask the revealed combination xT (KOS15: m' = m + kappa + s); they are discarded after the check, so the extension runs on m' = 752 rows.
 *
 * Selective failure ("Devious Transfer", and KOS15's own leakage analysis): a cheating receiver that
 * uses an inconsistent x' in one column i passes the check exactly when Delta_i = 0, so every probe
 * leaks one bit of Delta at the price of an abort with probability 1/2. The setup therefore becomes
 * *burned* on the first failed check (or malformed message): its seeds are wiped and every further
 * call throws `MPC_ABORT`; the caller must rerun the base OTs (`rerunBaseOtContext`) with a fresh
 * session id. A base-OT output can seed only one setup, so a burned setup cannot be rebuilt from it.
 */
import { randomBytes, utf8ToBytes } from '@noble/hashes/utils.js'
import { ZrError } from '@zrkit/core'
import { type BaseOtContext, type BaseOtReceiverOutput, type BaseOtSenderOutput, KAPPA, SEED_BYTES, ctEqual, getBit } from './baseOt.js'
import { Gf256SumOfProducts, gf256Mul } from './gf256.js'
import { Sha512Hasher } from './sha512Hasher.js'
import { transposeBits } from './transpose.js'
import { CURVE_ORDER, Transcript, parseScalar, writeScalar } from './transcript.js'

export { gf256Mul }

/** Statistical security parameter (bits). */
export const STAT_SECURITY = 80
/** OTs per multiplication batch: kappa + 2s = 416 (DKLs19 encoding length). */
export const OT_BATCH = KAPPA + 2 * STAT_SECURITY
/** Padding OTs for the KOS15 check: kappa + s = 336. */
export const OT_PADDING = KAPPA + STAT_SECURITY
/** Rows extended per batch (752, a multiple of 8). */
export const OT_EXTENDED = OT_BATCH + OT_PADDING
/** Bytes of one extended column (94). */
export const COL_BYTES = OT_EXTENDED / 8
/** Largest vector length L of correlated OTs accepted per batch. */
export const MAX_OLE_WIDTH = 16

/** Receiver -> sender: the correction columns and the KOS check values. */
export type OteExtendMsg = { u: Uint8Array; xTilde: Uint8Array; tTilde: Uint8Array }
/** Sender -> receiver: the correlated-OT corrections tau (OT_BATCH * L scalars, 32 bytes each). */
export type OteCorrelationMsg = { tau: Uint8Array }

// ---------------------------------------------------------------------------------------------
// helpers

/** Bytes of one extended row (kappa bits). */
const ROW_BYTES = KAPPA / 8

const PRG_TAG = utf8ToBytes('zrkit/dkls23/kos/v1/prg')
/**
 * Expands every seed into one column of COL_BYTES bytes, written at `i * COL_BYTES` of `out`:
 * column i = first COL_BYTES bytes of SHA-512(tag || seed_i || nonce || u32(i) || u32(0)) || SHA-512(... u32(1)).
 */
function prgColumns(seeds: readonly Uint8Array[], nonce: Uint8Array, out: Uint8Array): void {
  const input = new Uint8Array(PRG_TAG.length + SEED_BYTES + nonce.length + 8)
  const seedAt = PRG_TAG.length
  const tail = new DataView(input.buffer, seedAt + SEED_BYTES + nonce.length, 8)
  input.set(PRG_TAG)
  input.set(nonce, seedAt + SEED_BYTES)
  const hasher = new Sha512Hasher()
  for (let i = 0; i < seeds.length; i++) {
    input.set(seeds[i] as Uint8Array, seedAt)
    tail.setUint32(0, i)
    for (let off = 0, ctr = 0; off < COL_BYTES; ctr++) {
      tail.setUint32(4, ctr)
      const block = hasher.hash(input)
      const take = Math.min(64, COL_BYTES - off)
      out.set(take === 64 ? block : block.subarray(0, take), i * COL_BYTES + off)
      off += take
    }
  }
  hasher.wipe()
  input.fill(0)
}

const ROW_TAG = utf8ToBytes('zrkit/dkls23/kos/v2/row')
const RANDOM_OT_PURPOSE = 0xffffffff
/**
 * Row hashes keyed by the batch transcript: SHA-512(tag || key || u32(purpose) || u32(j) || row_j). A random
 * OT takes the first 32 bytes of purpose 0xffffffff. A correlated OT of width L takes its L scalars two per
 * digest: scalars 2p and 2p + 1 are the two 32-byte halves of the digest for purpose p, each read big-endian
 * and reduced mod n (one subtraction, since 2^256 < 2n).
 *
 * Why 32 bytes per scalar suffice here: for secp256k1, 2^256 - n < 2^129, so a uniform 256-bit value
 * reduced mod n is within statistical distance 2^-127 of uniform on Z_n; over the 416 * 16 scalars of the
 * widest batch that stays below 2^-114, far under the 2^-80 the protocol's statistical parameter allows.
 * The halves of one random-oracle output are independent, so each scalar is a random-oracle output of its
 * own. Two scalars per SHA-512 call halves the hashing of a multiplication, which is a party's largest cost.
 * One preassembled input buffer per batch; the bytes hashed are exactly those fields in that order.
 */
class RowHasher {
  readonly #input: Uint8Array
  readonly #view: DataView
  readonly #rowAt: number
  readonly #sha = new Sha512Hasher()
  constructor(key: Uint8Array) {
    this.#input = new Uint8Array(ROW_TAG.length + key.length + 8 + ROW_BYTES)
    this.#input.set(ROW_TAG)
    this.#input.set(key, ROW_TAG.length)
    this.#view = new DataView(this.#input.buffer, ROW_TAG.length + key.length, 8)
    this.#rowAt = ROW_TAG.length + key.length + 8
  }
  /** Loads row j (ROW_BYTES bytes of `rows` at `offset`, optionally XORed with `mask`). */
  load(j: number, rows: Uint8Array, offset: number, mask?: Uint8Array): void {
    this.#view.setUint32(4, j)
    const inp = this.#input
    const at = this.#rowAt
    if (mask === undefined) inp.set(rows.subarray(offset, offset + ROW_BYTES), at)
    else for (let k = 0; k < ROW_BYTES; k++) inp[at + k] = (rows[offset + k] as number) ^ (mask[k] as number)
  }
  /** The hash for `purpose` of the loaded row (the hasher's buffer, valid until the next call). */
  hash(purpose: number): Uint8Array {
    this.#view.setUint32(0, purpose)
    return this.#sha.hash(this.#input)
  }
  random(): Uint8Array {
    return this.hash(RANDOM_OT_PURPOSE).slice(0, 32)
  }
  /** The first `count` correlated-OT scalars of the loaded row, written to `out[0..count)`. */
  scalars(count: number, out: bigint[]): void {
    for (let p = 0; 2 * p < count; p++) {
      this.#view.setUint32(0, p)
      const [lo, hi] = this.#sha.hashToScalarPair(this.#input)
      out[2 * p] = lo >= CURVE_ORDER ? lo - CURVE_ORDER : lo
      if (2 * p + 1 < count) out[2 * p + 1] = hi >= CURVE_ORDER ? hi - CURVE_ORDER : hi
    }
  }
  wipe(): void {
    this.#input.fill(0)
    this.#sha.wipe()
  }
}

/**
 * Test hooks (not for protocol use): the PRG and the row hash exactly as the batches use them, so
 * that tests can check them against their documented definitions.
 *
 * @example
 * ```ts
 * import { sha512 } from '@noble/hashes/sha2.js'
 * import { _kosHashes } from './otExtension.js'
 *
 * const key = new Uint8Array(32)
 * const row = new Uint8Array(32)
 * _kosHashes.rowHash(key, 3, row, 0) // SHA-512(tag || key || u32(0) || u32(3) || row)
 * ```
 */
export const _kosHashes = {
  /** Columns for `seeds` (KAPPA or fewer), COL_BYTES each, concatenated. */
  prg: (seeds: readonly Uint8Array[], nonce: Uint8Array): Uint8Array => {
    const out = new Uint8Array(seeds.length * COL_BYTES)
    prgColumns(seeds, nonce, out)
    return out
  },
  /** SHA-512(tag || key || u32(purpose) || u32(j) || row) for a 32-byte row. */
  rowHash: (key: Uint8Array, j: number, row: Uint8Array, purpose: number): Uint8Array => {
    const h = new RowHasher(key)
    h.load(j, row, 0)
    const out = h.hash(purpose).slice()
    h.wipe()
    return out
  },
  /** The first `count` correlated-OT scalars of row j (two per digest, see the row hash). */
  rowScalars: (key: Uint8Array, j: number, row: Uint8Array, count: number): bigint[] => {
    const h = new RowHasher(key)
    h.load(j, row, 0)
    const out = new Array<bigint>(count)
    h.scalars(count, out)
    h.wipe()
    return out
  },
}

type Ids = { setupId: Uint8Array; otSender: string; otReceiver: string }

function setupIdOf(ctx: BaseOtContext): Uint8Array {
  return new Transcript('zrkit/dkls23/kos-setup/v1')
    .sessionId(ctx.sessionId)
    .partyId('base-sender', ctx.senderId)
    .partyId('base-receiver', ctx.receiverId)
    .challengeBytes('setup-id', 32)
}

function batchTranscript(ids: Ids, sid: Uint8Array): Transcript {
  if (!(sid instanceof Uint8Array) || sid.length < 16) throw new ZrError('INVALID_INPUT', 'OT extension session id must be at least 16 bytes')
  return new Transcript('zrkit/dkls23/kos/v1')
    .bytes('setup', ids.setupId)
    .sessionId(sid)
    .partyId('ot-sender', ids.otSender)
    .partyId('ot-receiver', ids.otReceiver)
    .u32('batch', OT_BATCH)
    .u32('extended', OT_EXTENDED)
}

/** Absorbs u and derives the KOS check coefficients chi_j (32 bytes each, concatenated, j < OT_EXTENDED). */
function checkChallenges(t: Transcript, u: Uint8Array): Uint8Array {
  t.bytes('u', u)
  return t.challengeBytes('kos-chi', 32 * OT_EXTENDED)
}

/** sum_j chi_j * rows_j over GF(2^256), j < OT_EXTENDED (chi public, rows secret). */
function checkSum(chi: Uint8Array, rows: Uint8Array): Uint8Array {
  const acc = new Gf256SumOfProducts()
  acc.addMany(chi, 0, rows, 0, OT_EXTENDED)
  return acc.finish()
}

/** Checks that every correlation scalar is in [0, n) (the same error as `scalarToBytes`). */
function assertScalar(x: bigint): void {
  if (typeof x !== 'bigint' || x < 0n || x >= CURVE_ORDER) throw new ZrError('INVALID_INPUT', 'scalar out of range [0, n)')
}

const consumedOutputs = new WeakSet<object>()
function consume(out: object): void {
  if (consumedOutputs.has(out)) throw new ZrError('INVALID_INPUT', 'this base-OT output already seeded an OT-extension setup; rerun the base OTs')
  consumedOutputs.add(out)
}

const hexOf = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')

abstract class OteSetup {
  #burned = false
  readonly #usedSids = new Set<string>()
  protected readonly ids: Ids
  /** The base-OT context this setup was built from (its session id identifies the setup). */
  readonly baseContext: BaseOtContext
  protected constructor(ctx: BaseOtContext) {
    this.baseContext = { sessionId: Uint8Array.from(ctx.sessionId), senderId: ctx.senderId, receiverId: ctx.receiverId }
    this.ids = { setupId: setupIdOf(ctx), otSender: ctx.receiverId, otReceiver: ctx.senderId }
  }
  protected abstract get counterparty(): string
  protected abstract wipe(): void
  /** True after a failed check or `burn()`: every further use throws `MPC_ABORT`. */
  get burned(): boolean {
    return this.#burned
  }
  /** Wipes the seeds for good (call it too when a later layer detects this counterparty cheating). */
  burn(): void {
    this.wipe()
    this.#burned = true
  }
  protected assertUsable(sid: Uint8Array): void {
    if (this.#burned) {
      throw new ZrError('MPC_ABORT', 'OT setup with this counterparty is burned; rerun the base OTs', { context: { party: this.counterparty } })
    }
    const key = hexOf(sid)
    if (this.#usedSids.has(key)) throw new ZrError('INVALID_INPUT', 'OT extension session id already used with this setup')
    this.#usedSids.add(key)
  }
  protected abort(shortMessage: string, cause?: unknown): never {
    this.burn()
    throw new ZrError('MPC_ABORT', shortMessage, { cause, details: cause instanceof Error ? cause.message : undefined, context: { party: this.counterparty } })
  }
}

/**
 * A fresh context for rerunning the base OTs between the same two parties in the same roles, with a
 * new random session id (use it after a setup got burned).
 */
export function rerunBaseOtContext(previous: OteSetup | BaseOtContext): BaseOtContext {
  const ctx = previous instanceof OteSetup ? previous.baseContext : previous
  return { sessionId: randomBytes(32), senderId: ctx.senderId, receiverId: ctx.receiverId }
}

// ---------------------------------------------------------------------------------------------
// sender (base-OT receiver, holds Delta)

/** The sender's view of one verified batch; usable once, for random or for correlated OTs. */
export class OteSenderBatch {
  #q: Uint8Array | undefined
  #delta: Uint8Array
  #key: Uint8Array
  /** @internal `q`: OT_BATCH rows of ROW_BYTES bytes, concatenated. */
  constructor(q: Uint8Array, delta: Uint8Array, key: Uint8Array) {
    this.#q = q
    this.#delta = delta
    this.#key = key
  }
  #take(): { q: Uint8Array; delta: Uint8Array } {
    const q = this.#q
    if (q === undefined) throw new ZrError('INVALID_INPUT', 'OT extension batch already consumed')
    this.#q = undefined
    return { q, delta: this.#delta }
  }
  /** Random OTs: 32-byte (v0_j, v1_j) for j < OT_BATCH. */
  randomOts(): { v0: Uint8Array[]; v1: Uint8Array[] } {
    const { q, delta } = this.#take()
    const h = new RowHasher(this.#key)
    const v0: Uint8Array[] = []
    const v1: Uint8Array[] = []
    for (let j = 0; j < OT_BATCH; j++) {
      h.load(j, q, ROW_BYTES * j)
      v0.push(h.random())
      h.load(j, q, ROW_BYTES * j, delta)
      v1.push(h.random())
    }
    h.wipe()
    q.fill(0)
    return { v0, v1 }
  }
  /**
   * Correlated OTs over Z_n: `alphas[j]` (j < OT_BATCH) are vectors of the same length L. Returns this
   * party's shares s_j (with r_j + s_j = x_j * alpha_j for the receiver's r_j) and the message tau.
   */
  correlate(alphas: readonly (readonly bigint[])[]): { shares: bigint[][]; message: OteCorrelationMsg } {
    if (!Array.isArray(alphas) || alphas.length !== OT_BATCH) throw new ZrError('INVALID_INPUT', `expected ${OT_BATCH} correlation vectors`)
    const L = alphas[0]?.length ?? 0
    if (L < 1 || L > MAX_OLE_WIDTH || alphas.some((a) => a.length !== L)) throw new ZrError('INVALID_INPUT', 'correlation vectors must share one length in [1, 16]')
    for (const a of alphas) for (const x of a) assertScalar(x)
    const { q, delta } = this.#take()
    const h = new RowHasher(this.#key)
    const shares: bigint[][] = []
    const tau = new Uint8Array(OT_BATCH * L * 32)
    const tauView = new DataView(tau.buffer)
    const h0 = new Array<bigint>(L)
    const h1 = new Array<bigint>(L)
    for (let j = 0; j < OT_BATCH; j++) {
      const alpha = alphas[j] as readonly bigint[]
      h.load(j, q, ROW_BYTES * j)
      h.scalars(L, h0)
      h.load(j, q, ROW_BYTES * j, delta)
      h.scalars(L, h1)
      const s: bigint[] = []
      for (let l = 0; l < L; l++) {
        const a = h0[l] as bigint
        s.push(a === 0n ? 0n : CURVE_ORDER - a)
        // a - h1 + alpha lies in (-n, 2n): one correction either way
        let t = a - (h1[l] as bigint) + (alpha[l] as bigint)
        if (t < 0n) t += CURVE_ORDER
        else if (t >= CURVE_ORDER) t -= CURVE_ORDER
        writeScalar(tauView, (j * L + l) * 32, t)
      }
      shares.push(s)
    }
    h0.fill(0n)
    h1.fill(0n)
    h.wipe()
    q.fill(0)
    return { shares, message: { tau } }
  }
}

/** The OT-extension sender: built from a base-OT *receiver* output (Delta = its choice bits). */
export class OtExtensionSender extends OteSetup {
  #delta: Uint8Array
  #seeds: Uint8Array[]

  private constructor(out: BaseOtReceiverOutput) {
    super(out)
    this.#delta = Uint8Array.from(out.choiceBits)
    this.#seeds = out.seeds.map((s) => Uint8Array.from(s))
  }
  /** Takes a base-OT receiver output (each output can seed one setup only). */
  static fromBaseOt(out: BaseOtReceiverOutput): OtExtensionSender {
    if (!out || out.choiceBits?.length !== SEED_BYTES || out.seeds?.length !== KAPPA || out.seeds.some((s) => s.length !== SEED_BYTES)) {
      throw new ZrError('INVALID_INPUT', 'not a base-OT receiver output')
    }
    consume(out)
    return new OtExtensionSender(out)
  }
  protected get counterparty(): string {
    return this.ids.otReceiver
  }
  protected wipe(): void {
    this.#delta.fill(0)
    for (const s of this.#seeds) s.fill(0)
    this.#seeds = []
  }

  /**
   * Processes the receiver's extension message for session `sid`: recomputes q, runs the KOS check
   * and returns the verified batch. A failed check burns this setup and throws `MPC_ABORT`.
   */
  receive(sid: Uint8Array, msg: OteExtendMsg): OteSenderBatch {
    const t = batchTranscript(this.ids, sid)
    this.assertUsable(sid)
    try {
      if (!(msg?.u instanceof Uint8Array) || msg.u.length !== KAPPA * COL_BYTES) throw new ZrError('MALFORMED_MESSAGE', `u: expected ${KAPPA * COL_BYTES} bytes, got ${msg?.u instanceof Uint8Array ? `${msg.u.length} bytes` : typeof msg?.u}`)
      if (!(msg.xTilde instanceof Uint8Array) || msg.xTilde.length !== 32) throw new ZrError('MALFORMED_MESSAGE', `xTilde: expected 32 bytes, got ${msg.xTilde instanceof Uint8Array ? `${msg.xTilde.length} bytes` : typeof msg.xTilde}`)
      if (!(msg.tTilde instanceof Uint8Array) || msg.tTilde.length !== 32) throw new ZrError('MALFORMED_MESSAGE', `tTilde: expected 32 bytes, got ${msg.tTilde instanceof Uint8Array ? `${msg.tTilde.length} bytes` : typeof msg.tTilde}`)
    } catch (e) {
      this.abort('OT extension aborted: malformed message', e)
    }
    const nonce = t.clone().challengeBytes('prg-nonce', 32)
    // q columns: PRG(k_i^{Delta_i}) xor Delta_i * u_i, the XOR masked rather than branched on Delta_i.
    const cols = new Uint8Array(KAPPA * COL_BYTES)
    prgColumns(this.#seeds, nonce, cols)
    const u = msg.u
    for (let i = 0; i < KAPPA; i++) {
      const mask = -getBit(this.#delta, i) & 0xff
      for (let k = i * COL_BYTES, end = k + COL_BYTES; k < end; k++) cols[k] = (cols[k] as number) ^ ((u[k] as number) & mask)
    }
    const q = transposeBits(cols, KAPPA, OT_EXTENDED)
    cols.fill(0)
    const chi = checkChallenges(t, u)
    const qTilde = checkSum(chi, q)
    const rhs = gf256Mul(msg.xTilde, this.#delta)
    for (let k = 0; k < 32; k++) rhs[k] = (rhs[k] as number) ^ (msg.tTilde[k] as number)
    if (!ctEqual(qTilde, rhs)) {
      q.fill(0)
      this.abort('OT extension aborted: KOS consistency check failed')
    }
    t.bytes('xTilde', msg.xTilde).bytes('tTilde', msg.tTilde)
    const key = t.challengeBytes('row-hash-key', 32)
    const rows = q.slice(0, OT_BATCH * ROW_BYTES)
    q.fill(0)
    return new OteSenderBatch(rows, Uint8Array.from(this.#delta), key)
  }
}

// ---------------------------------------------------------------------------------------------
// receiver (base-OT sender, holds both seeds)

/** The receiver's state of one batch: its choice bits and rows t_j; usable once. */
export class OteReceiverBatch {
  #t: Uint8Array | undefined
  #key: Uint8Array
  /** The receiver's OT_BATCH choice bits (packed), as given to `extend`. */
  readonly choiceBits: Uint8Array
  #parseTau: (tau: Uint8Array) => bigint[]
  /**
   * @internal `t`: OT_BATCH rows of ROW_BYTES bytes, concatenated. `parseTau` validates tau (burning
   * the setup and throwing `MPC_ABORT` when it is malformed) and returns its scalars.
   */
  constructor(t: Uint8Array, key: Uint8Array, choiceBits: Uint8Array, parseTau: (tau: Uint8Array) => bigint[]) {
    this.#t = t
    this.#key = key
    this.choiceBits = choiceBits
    this.#parseTau = parseTau
  }
  #take(): Uint8Array {
    const t = this.#t
    if (t === undefined) throw new ZrError('INVALID_INPUT', 'OT extension batch already consumed')
    this.#t = undefined
    return t
  }
  /** Random OTs: v_j = v^{x_j}_j (32 bytes) for j < OT_BATCH. */
  randomOts(): Uint8Array[] {
    const t = this.#take()
    const h = new RowHasher(this.#key)
    const out: Uint8Array[] = []
    for (let j = 0; j < OT_BATCH; j++) {
      h.load(j, t, ROW_BYTES * j)
      out.push(h.random())
    }
    h.wipe()
    t.fill(0)
    return out
  }
  /** Correlated OTs over Z_n from the sender's tau: r_j with r_j + s_j = x_j * alpha_j. */
  finish(msg: OteCorrelationMsg): bigint[][] {
    const tau = msg?.tau
    const taus = this.#parseTau(tau)
    const t = this.#take()
    const L = tau.length / (OT_BATCH * 32)
    const h = new RowHasher(this.#key)
    const out: bigint[][] = []
    for (let j = 0; j < OT_BATCH; j++) {
      const x = getBit(this.choiceBits, j)
      h.load(j, t, ROW_BYTES * j)
      const r = new Array<bigint>(L)
      h.scalars(L, r)
      if (x) {
        for (let l = 0; l < L; l++) {
          const sum = (r[l] as bigint) + (taus[j * L + l] as bigint) // both below n
          r[l] = sum >= CURVE_ORDER ? sum - CURVE_ORDER : sum
        }
      }
      out.push(r)
    }
    h.wipe()
    t.fill(0)
    return out
  }
}

/**
 * The receiver's KOS computation on an extended choice vector x (OT_EXTENDED bits). `columnChoice`
 * lets adversarial tests use a different choice vector in some columns (an inconsistent receiver).
 */
function receiverCore(
  seeds0: Uint8Array[],
  seeds1: Uint8Array[],
  t: Transcript,
  x: Uint8Array,
  columnChoice?: (column: number) => Uint8Array,
): { message: OteExtendMsg; rows: Uint8Array; key: Uint8Array } {
  const nonce = t.clone().challengeBytes('prg-nonce', 32)
  const t0 = new Uint8Array(KAPPA * COL_BYTES)
  const u = new Uint8Array(KAPPA * COL_BYTES)
  prgColumns(seeds0, nonce, t0)
  prgColumns(seeds1, nonce, u)
  for (let i = 0; i < KAPPA; i++) {
    const xi = columnChoice ? columnChoice(i) : x
    for (let k = 0, o = i * COL_BYTES; k < COL_BYTES; k++, o++) u[o] = (u[o] as number) ^ (t0[o] as number) ^ (xi[k] as number)
  }
  const rows = transposeBits(t0, KAPPA, OT_EXTENDED)
  t0.fill(0)
  const chi = checkChallenges(t, u)
  // xTilde = sum_j x_j chi_j, masked rather than branched on x_j.
  const xTilde = new Uint8Array(32)
  for (let j = 0; j < OT_EXTENDED; j++) {
    const mask = -getBit(x, j) & 0xff
    for (let k = 0; k < 32; k++) xTilde[k] = (xTilde[k] as number) ^ ((chi[32 * j + k] as number) & mask)
  }
  const tTilde = checkSum(chi, rows)
  t.bytes('xTilde', xTilde).bytes('tTilde', tTilde)
  const key = t.challengeBytes('row-hash-key', 32)
  const batchRows = rows.slice(0, OT_BATCH * ROW_BYTES)
  rows.fill(0)
  return { message: { u, xTilde, tTilde }, rows: batchRows, key }
}

/**
 * Adversarial-test helper, not for protocol use: the extension message of a *cheating* receiver that
 * reports the check values for `choiceBits` (OT_EXTENDED bits) while using `columnChoice(i)` as its
 * choice vector in column i. It keeps no state and does not consume the base-OT output.
 */
export function inconsistentReceiverMessage(
  base: BaseOtSenderOutput,
  sid: Uint8Array,
  choiceBits: Uint8Array,
  columnChoice: (column: number) => Uint8Array,
): OteExtendMsg {
  if (choiceBits.length !== COL_BYTES) throw new ZrError('INVALID_INPUT', `choice bits must be ${COL_BYTES} bytes`)
  const ids: Ids = { setupId: setupIdOf(base), otSender: base.receiverId, otReceiver: base.senderId }
  return receiverCore(base.seeds0, base.seeds1, batchTranscript(ids, sid), choiceBits, columnChoice).message
}

/** The OT-extension receiver: built from a base-OT *sender* output (both seeds of every base OT). */
export class OtExtensionReceiver extends OteSetup {
  #seeds0: Uint8Array[]
  #seeds1: Uint8Array[]

  private constructor(out: BaseOtSenderOutput) {
    super(out)
    this.#seeds0 = out.seeds0.map((s) => Uint8Array.from(s))
    this.#seeds1 = out.seeds1.map((s) => Uint8Array.from(s))
  }
  /** Takes a base-OT sender output (each output can seed one setup only). */
  static fromBaseOt(out: BaseOtSenderOutput): OtExtensionReceiver {
    const ok = (l: Uint8Array[] | undefined) => l?.length === KAPPA && l.every((s) => s.length === SEED_BYTES)
    if (!out || !ok(out.seeds0) || !ok(out.seeds1)) throw new ZrError('INVALID_INPUT', 'not a base-OT sender output')
    consume(out)
    return new OtExtensionReceiver(out)
  }
  protected get counterparty(): string {
    return this.ids.otSender
  }
  protected wipe(): void {
    for (const s of [...this.#seeds0, ...this.#seeds1]) s.fill(0)
    this.#seeds0 = []
    this.#seeds1 = []
  }

  /**
   * Starts a batch for session `sid` with `choiceBits` (OT_BATCH bits packed in 52 bytes): returns the
   * message for the sender and the local batch state.
   */
  extend(sid: Uint8Array, choiceBits: Uint8Array): { message: OteExtendMsg; batch: OteReceiverBatch } {
    if (!(choiceBits instanceof Uint8Array) || choiceBits.length !== OT_BATCH / 8) throw new ZrError('INVALID_INPUT', `choice bits must be ${OT_BATCH / 8} bytes`)
    const t = batchTranscript(this.ids, sid)
    this.assertUsable(sid)
    const x = new Uint8Array(COL_BYTES)
    x.set(choiceBits)
    x.set(randomBytes(OT_PADDING / 8), OT_BATCH / 8)
    const { message, rows, key } = receiverCore(this.#seeds0, this.#seeds1, t, x)
    x.fill(0)
    const batch = new OteReceiverBatch(rows, key, Uint8Array.from(choiceBits), (tau) => {
      if (this.burned) throw new ZrError('MPC_ABORT', 'OT setup with this counterparty is burned; rerun the base OTs', { context: { party: this.counterparty } })
      const L = tau instanceof Uint8Array ? tau.length / (OT_BATCH * 32) : 0
      if (!Number.isInteger(L) || L < 1 || L > MAX_OLE_WIDTH) this.abort('OT extension aborted: malformed tau')
      const taus: bigint[] = []
      for (let k = 0; k < tau.length; k += 32) {
        try {
          taus.push(parseScalar(tau.subarray(k, k + 32), 'tau'))
        } catch (e) {
          this.abort('OT extension aborted: tau out of range', e)
        }
      }
      return taus
    })
    return { message, batch }
  }
}
