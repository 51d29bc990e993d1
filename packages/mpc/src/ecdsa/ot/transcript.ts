/**
 * Fiat-Shamir transcripts for zrkit's threshold ECDSA (DKLs23) building blocks.
 *
 * Every absorbed item is a record `u32(len(kind)) || kind || u32(len(label)) || label || u32(len(data)) || data`
 * fed into one running SHA-512 state. Because every field is length-prefixed, the encoding of a whole
 * sequence of records is injective: changing any value, label, kind, the order of records or where one
 * record ends and the next begins ("ab"+"c" vs "a"+"bc") yields a different byte stream and so, up to a
 * SHA-512 collision, a different challenge. This closes the ambiguous-encoding hole exploited by TSSHOCK.
 *
 * The first record is always the domain (protocol name and version); callers then bind the session id,
 * both party ids and every public value before deriving a challenge. Every challenge is itself absorbed,
 * so two challenges from one transcript are never equal by construction.
 *
 * Challenges to scalars use wide reduction (64 uniform bytes mod n), so the bias is below 2^-256.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { bytesToNumberBE } from '@noble/curves/utils.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { utf8ToBytes } from '@noble/hashes/utils.js'
import { ZrError } from '@zrkit/core'
import { type Sha512Stream, nativeSha512Stream } from '@zrkit/core/internal'
import { Sha512Hasher } from './sha512Hasher.js'

type Point = InstanceType<typeof secp256k1.Point>

/** The secp256k1 group order n. */
export const CURVE_ORDER: bigint = secp256k1.Point.Fn.ORDER

const XOF_TAG = utf8ToBytes('zrkit-transcript-xof')

/** UTF-8 bytes of a string; ASCII (every kind and label zrkit uses) without a TextEncoder call. */
function utf8(s: string): Uint8Array {
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0x80) return utf8ToBytes(s)
    out[i] = c
  }
  return out
}

/** Big-endian u32 at `o` (n already range-checked). */
function putU32(b: Uint8Array, o: number, n: number): void {
  b[o] = n >>> 24
  b[o + 1] = (n >>> 16) & 0xff
  b[o + 2] = (n >>> 8) & 0xff
  b[o + 3] = n & 0xff
}

/** Scratch state for deriving challenge seeds without allocating a hash object per challenge. */
const SEED_STATE = sha512.create()

const u32be = (n: number): Uint8Array => {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new ZrError('INVALID_INPUT', 'transcript length out of range')
  const out = new Uint8Array(4)
  new DataView(out.buffer).setUint32(0, n, false)
  return out
}

const MASK64 = (1n << 64n) - 1n

/**
 * Writes the big-endian 32-byte encoding of a scalar in [0, n) into `out` (bytes, or a DataView over
 * them to save creating one per call) at `offset`. Throws on out-of-range values or if the 32 bytes
 * do not fit.
 *
 * @example
 * ```ts
 * import { writeScalar } from './transcript.js'
 *
 * const out = new Uint8Array(64)
 * writeScalar(out, 32, 5n) // out[63] === 5
 * ```
 */
export function writeScalar(out: Uint8Array | DataView, offset: number, s: bigint): void {
  if (typeof s !== 'bigint' || s < 0n || s >= CURVE_ORDER) throw new ZrError('INVALID_INPUT', 'scalar out of range [0, n)')
  const isView = out instanceof DataView
  if (!(isView || out instanceof Uint8Array) || !Number.isInteger(offset) || offset < 0 || offset + 32 > out.byteLength) throw new ZrError('INVALID_INPUT', 'scalar does not fit at that offset')
  const v = isView ? out : new DataView(out.buffer, out.byteOffset, out.byteLength)
  v.setBigUint64(offset, s >> 192n)
  v.setBigUint64(offset + 8, (s >> 128n) & MASK64)
  v.setBigUint64(offset + 16, (s >> 64n) & MASK64)
  v.setBigUint64(offset + 24, s & MASK64)
}

/** Big-endian 32-byte encoding of a scalar in [0, n). Throws on out-of-range values. */
export function scalarToBytes(s: bigint): Uint8Array {
  const out = new Uint8Array(32)
  writeScalar(out, 0, s)
  return out
}

/**
 * Big-endian bytes to bigint (no range check).
 *
 * @example
 * ```ts
 * import { bytesToBigInt } from './transcript.js'
 *
 * bytesToBigInt(Uint8Array.of(1, 0)) // 256n
 * ```
 */
export function bytesToBigInt(b: Uint8Array): bigint {
  if (!(b instanceof Uint8Array)) throw new ZrError('INVALID_INPUT', `expected bytes, got ${typeof b}`)
  if (b.length === 0 || b.length % 8 !== 0) return bytesToNumberBE(b)
  const v = new DataView(b.buffer, b.byteOffset, b.length)
  if (b.length === 32) return (((v.getBigUint64(0) << 64n) | v.getBigUint64(8)) << 128n) | (v.getBigUint64(16) << 64n) | v.getBigUint64(24)
  if (b.length === 64) {
    // Pairwise, so that the intermediate values stay short (this is the hot path of wide reduction).
    const w0 = (v.getBigUint64(0) << 64n) | v.getBigUint64(8)
    const w1 = (v.getBigUint64(16) << 64n) | v.getBigUint64(24)
    const w2 = (v.getBigUint64(32) << 64n) | v.getBigUint64(40)
    const w3 = (v.getBigUint64(48) << 64n) | v.getBigUint64(56)
    return (((w0 << 128n) | w1) << 256n) | ((w2 << 128n) | w3)
  }
  let x = v.getBigUint64(0)
  for (let o = 8; o < b.length; o += 8) x = (x << 64n) | v.getBigUint64(o)
  return x
}

/** Reduces 64 (or more) uniform bytes modulo n; bias at most 2^-256 for 64 bytes. */
export function wideReduce(b: Uint8Array): bigint {
  if (b.length < 64) throw new ZrError('INVALID_INPUT', 'wide reduction needs at least 64 bytes')
  return bytesToBigInt(b) % CURVE_ORDER
}

/** Decodes a received 32-byte scalar, refusing anything outside [0, n). */
export function parseScalar(b: Uint8Array, what = 'scalar'): bigint {
  if (!(b instanceof Uint8Array) || b.length !== 32) throw new ZrError('MALFORMED_MESSAGE', `${what}: expected 32 bytes, got ${b instanceof Uint8Array ? `${b.length} bytes` : typeof b}`)
  const v = bytesToBigInt(b)
  if (v >= CURVE_ORDER) throw new ZrError('MALFORMED_MESSAGE', `${what}: expected a scalar below the group order, got one at or above it`)
  return v
}

/** Decodes a received compressed point, refusing malformed, off-curve and identity encodings. */
export function parsePoint(b: Uint8Array, what = 'point'): Point {
  if (!(b instanceof Uint8Array) || b.length !== 33) throw new ZrError('MALFORMED_MESSAGE', `${what}: expected a 33-byte compressed point, got ${b instanceof Uint8Array ? `${b.length} bytes` : typeof b}`)
  let p: Point
  try {
    p = secp256k1.Point.fromBytes(b)
    p.assertValidity()
  } catch (cause) {
    throw new ZrError('MALFORMED_MESSAGE', `${what}: expected a point on secp256k1, got bytes that are not one`, { cause })
  }
  if (p.is0()) throw new ZrError('MALFORMED_MESSAGE', `${what}: expected a point other than the identity, got the identity`)
  return p
}

/** Compressed encoding of a non-identity point. */
export function pointToBytes(p: Point): Uint8Array {
  if (p.is0()) throw new ZrError('INVALID_INPUT', 'cannot encode the identity point')
  return p.toBytes(true)
}

/**
 * A labelled, length-prefixed Fiat-Shamir transcript.
 *
 * @example
 * ```ts
 * const t = new Transcript('zrkit/vsot/v1').sessionId(sid).partyId('sender', 'p1').partyId('receiver', 'p2')
 * t.point('B', B)
 * const c = t.challengeScalar('schnorr-challenge')
 * ```
 */
export class Transcript {
  #h: HashState

  constructor(domain: string, options: { native?: boolean } = {}) {
    this.#h = options.native === false || !nativeSha512Stream ? nobleState(sha512.create()) : nativeState(nativeSha512Stream())
    this.#record('domain', 'zrkit-transcript-v1', utf8ToBytes(domain))
  }

  #record(kind: string, label: string, data: Uint8Array): void {
    if (data.length > 0xffffffff) throw new ZrError('INVALID_INPUT', 'transcript length out of range')
    const k = utf8(kind)
    const l = utf8(label)
    // The same bytes as absorbing each field in turn; small records go in as one update.
    const head = 12 + k.length + l.length
    const inline = data.length <= 256
    const rec = new Uint8Array(head + (inline ? data.length : 0))
    putU32(rec, 0, k.length)
    rec.set(k, 4)
    putU32(rec, 4 + k.length, l.length)
    rec.set(l, 8 + k.length)
    putU32(rec, 8 + k.length + l.length, data.length)
    if (inline) rec.set(data, head)
    this.#h.update(rec)
    if (!inline) this.#h.update(data)
  }

  /** Absorbs raw bytes under a label. */
  bytes(label: string, data: Uint8Array): this {
    if (!(data instanceof Uint8Array)) throw new ZrError('INVALID_INPUT', 'transcript bytes must be a Uint8Array')
    this.#record('bytes', label, data)
    return this
  }

  /** Absorbs a UTF-8 string under a label. */
  text(label: string, s: string): this {
    this.#record('text', label, utf8ToBytes(s))
    return this
  }

  /** Absorbs a non-negative 32-bit integer (indices, counts) under a label. */
  u32(label: string, n: number): this {
    this.#record('u32', label, u32be(n))
    return this
  }

  /** Binds the session id. */
  sessionId(sid: Uint8Array): this {
    if (!(sid instanceof Uint8Array) || sid.length === 0) throw new ZrError('INVALID_INPUT', 'session id must be non-empty bytes')
    this.#record('session-id', 'sid', sid)
    return this
  }

  /** Binds a party id under its role label (e.g. `sender`, `receiver`). */
  partyId(role: string, id: string): this {
    if (typeof id !== 'string' || id.length === 0) throw new ZrError('INVALID_INPUT', 'party id must be a non-empty string')
    this.#record('party-id', role, utf8ToBytes(id))
    return this
  }

  /** Absorbs a point (compressed); the identity is refused. */
  point(label: string, p: Point): this {
    this.#record('point', label, pointToBytes(p))
    return this
  }

  /** Absorbs a list of points with its count. */
  points(label: string, ps: readonly Point[]): this {
    this.#record('points', label, u32be(ps.length))
    for (const p of ps) this.#record('point', label, pointToBytes(p))
    return this
  }

  /** Absorbs a scalar (32 bytes big-endian); values outside [0, n) are refused. */
  scalar(label: string, s: bigint): this {
    this.#record('scalar', label, scalarToBytes(s))
    return this
  }

  /** An independent copy; absorbing into it leaves this transcript unchanged. */
  clone(): Transcript {
    const c = new Transcript('')
    c.#h = this.#h.clone()
    return c
  }

  /** Derives `length` challenge bytes under a label, then absorbs them. */
  challengeBytes(label: string, length: number): Uint8Array {
    const n = u32be(length)
    this.#record('challenge', label, n)
    // XOF: block_ctr = SHA-512("zrkit-transcript-xof" || seed || u32(ctr)), one preassembled input per block.
    const input = new Uint8Array(XOF_TAG.length + 64 + 4)
    input.set(XOF_TAG)
    this.#h.digestCopyInto(input.subarray(XOF_TAG.length, XOF_TAG.length + 64))
    const ctrView = new DataView(input.buffer, XOF_TAG.length + 64, 4)
    const out = new Uint8Array(length)
    const hasher = new Sha512Hasher()
    for (let off = 0, ctr = 0; off < length; ctr++) {
      ctrView.setUint32(0, ctr)
      const block = hasher.hash(input)
      const take = Math.min(block.length, length - off)
      out.set(take === block.length ? block : block.subarray(0, take), off)
      off += take
    }
    hasher.wipe()
    input.fill(0)
    this.#record('challenge-output', label, out)
    return out
  }

  /** Derives a uniform non-zero secp256k1 scalar (wide reduction, zero rejected). */
  challengeScalar(label: string): bigint {
    for (;;) {
      const s = wideReduce(this.challengeBytes(label, 64))
      if (s !== 0n) return s
    }
  }

  /**
   * Derives `count` independent uniform non-zero scalars from one challenge: `challengeBytes(label, 64 * count)`,
   * each 64-byte block wide-reduced. A zero (probability 2^-256 per scalar) derives the whole list again under
   * `label#retry`.
   */
  challengeScalars(label: string, count: number): bigint[] {
    if (!Number.isSafeInteger(count) || count < 1 || count > 0xffffff) throw new ZrError('INVALID_INPUT', `scalar count: expected an integer from 1 to ${0xffffff}, got ${String(count)}`)
    for (let at = label; ; at = `${at}#retry`) {
      const bytes = this.challengeBytes(at, 64 * count)
      const out: bigint[] = []
      for (let i = 0; i < count; i++) out.push(wideReduce(bytes.subarray(64 * i, 64 * i + 64)))
      bytes.fill(0)
      if (!out.includes(0n)) return out
    }
  }
}

/** A SHA-512 state that absorbs, copies, and digests a copy of itself (the transcript goes on absorbing). */
type HashState = { update(data: Uint8Array): void; clone(): HashState; digestCopyInto(out: Uint8Array): void }

/** noble's SHA-512 (everywhere). */
function nobleState(h: ReturnType<typeof sha512.create>): HashState {
  return {
    update: (data) => void h.update(data),
    clone: () => nobleState(h.clone()),
    digestCopyInto(out) {
      h._cloneInto(SEED_STATE)
      SEED_STATE.digestInto(out)
      SEED_STATE.destroy()
    },
  }
}

/** The platform's SHA-512 (Node's OpenSSL): the same digests, about 3x faster on the OT extension's large messages. */
function nativeState(h: Sha512Stream): HashState {
  return {
    update: (data) => void h.update(data),
    clone: () => nativeState(h.copy()),
    digestCopyInto: (out) => out.set(h.copy().digest()),
  }
}
