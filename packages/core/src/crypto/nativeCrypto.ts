import { ed25519 } from '@noble/curves/ed25519.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { remember } from '../cache/remember.js'
import { concatBytes, toHex } from '../encoding/bytes.js'
import { describeValue } from '../errors/describeValue.js'
import { ZrError } from '../errors/ZrError.js'

/**
 * Signature checks that run on the platform's native crypto where it has one (Node's OpenSSL, found at run time
 * through `process.getBuiltinModule`, so bundles for browsers never import it) and on noble elsewhere.
 *
 * One rule makes them safe for a deterministic ledger: **noble's answer is the answer**. The native check is only
 * a faster way to reach a "valid" that noble would also reach (a signature that satisfies the native equation
 * satisfies noble's); when the native check says "invalid", or cannot run, noble decides. So a ledger replayed in
 * a browser and one served by Node agree on every input, honest or hostile, and an honest signature costs a
 * native verification (about 4x faster for secp256k1 ECDSA and 20x for Ed25519 on this project's machines).
 */

/** The parts of `node:crypto` used here. */
export type NodeCrypto = {
  createPublicKey(options: { key: Uint8Array; format: 'der'; type: 'spki' } | { key: NativeJwk; format: 'jwk' }): unknown
  createPrivateKey?(options: { key: Uint8Array; format: 'der'; type: 'pkcs8' } | { key: NativeJwk; format: 'jwk' }): unknown
  verify(algorithm: string | null, data: Uint8Array, key: unknown, signature: Uint8Array): boolean
  /** Ed25519 signing (`algorithm` null): RFC 8032, deterministic. */
  sign?(algorithm: null, data: Uint8Array, key: unknown): Uint8Array
  /** X25519 (RFC 7748) of a private and a public key object. */
  diffieHellman?(options: { privateKey: unknown; publicKey: unknown }): Uint8Array
  /** One-shot digest (Node 20.12 and later). */
  hash?(algorithm: string, data: Uint8Array, outputEncoding: 'buffer'): Uint8Array
  /** A streaming digest whose state can be copied. */
  createHash?(algorithm: 'sha512'): Sha512Stream
  /** AEAD ciphers (ChaCha20-Poly1305, RFC 8439), see `xchacha20poly1305.ts`. */
  createCipheriv?(algorithm: 'chacha20-poly1305', key: Uint8Array, nonce: Uint8Array, options: { authTagLength: 16 }): NativeAead & { getAuthTag(): Uint8Array }
  createDecipheriv?(algorithm: 'chacha20-poly1305', key: Uint8Array, nonce: Uint8Array, options: { authTagLength: 16 }): NativeAead & { setAuthTag(tag: Uint8Array): void }
}

/** An RFC 8037 key (OKP: Ed25519, X25519) as `createPublicKey`/`createPrivateKey` take it: base64url fields. */
export type NativeJwk = { kty: 'OKP'; crv: 'Ed25519' | 'X25519'; x: string; d?: string }

/** What the native ChaCha20-Poly1305 cipher and decipher objects share. */
export type NativeAead = { setAAD(aad: Uint8Array, options: { plaintextLength: number }): void; update(data: Uint8Array): Uint8Array; final(): Uint8Array }

/**
 * `node:crypto` where the platform has it (Node), else undefined (browsers: noble does the work). zrkit's other
 * native fast paths (ed25519 points in `@zrkit/mpc`) take it from here and follow the same rule as the checks below.
 */
export const nodeCrypto: NodeCrypto | undefined = (() => {
  try {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
    const c = proc?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined
    return typeof c?.verify === 'function' && typeof c.createPublicKey === 'function' ? c : undefined
  } catch {
    return undefined
  }
})()

/** Whether the checks here run natively (Node's OpenSSL) on this platform. */
export const nativeCryptoAvailable: boolean = nodeCrypto !== undefined

/**
 * The platform's one-shot SHA-512 (Node's `crypto.hash`, about twice as fast as JavaScript on short inputs), or
 * undefined where there is none (then hash with noble). Its digests are SHA-512's: callers that hash many short
 * inputs (the OT extension) take it when present.
 *
 * @example
 * ```ts
 * import { sha512 } from '@noble/hashes/sha2.js'
 * import { nativeSha512 } from '@zrkit/core/internal'
 * const digest = (nativeSha512 ?? sha512)(new Uint8Array([1, 2, 3]))
 * ```
 */
export const nativeSha512: ((data: Uint8Array) => Uint8Array) | undefined = (() => {
  const hash = nodeCrypto?.hash
  if (typeof hash !== 'function') return undefined
  return (data: Uint8Array) => {
    if (!(data instanceof Uint8Array)) throw new ZrError('INVALID_INPUT', 'Cannot hash this value.', { details: `expected bytes, got ${describeValue(data)}` })
    return hash.call(nodeCrypto, 'sha512', data, 'buffer')
  }
})()

/** A streaming SHA-512 whose state can be copied (see {@link nativeSha512Stream}). */
export type Sha512Stream = { update(data: Uint8Array): Sha512Stream; copy(): Sha512Stream; digest(): Uint8Array }

/**
 * A streaming SHA-512 on the platform (Node's `crypto.createHash('sha512')`), whose state can be copied
 * (`copy()`) to read a digest and go on absorbing; undefined where there is none (then use noble's
 * `sha512.create()`, which does the same with `clone()`). Its digests are SHA-512's: transcripts that absorb
 * large messages (the OT extension's matrices) take it when present, about 3x faster than JavaScript there.
 *
 * @example
 * ```ts
 * import { nativeSha512Stream } from '@zrkit/core/internal'
 * const h = nativeSha512Stream?.()
 * h?.update(new Uint8Array([1, 2, 3]))
 * const digest = h?.copy().digest() // equals sha512(Uint8Array.of(1, 2, 3)); h can absorb more
 * ```
 */
export const nativeSha512Stream: (() => Sha512Stream) | undefined = (() => {
  const createHash = nodeCrypto?.createHash
  if (typeof createHash !== 'function') return undefined
  try {
    createHash.call(nodeCrypto, 'sha512').copy().digest()
  } catch {
    return undefined
  }
  return () => createHash.call(nodeCrypto, 'sha512')
})()

/** DER SubjectPublicKeyInfo prefix of a raw 32-byte Ed25519 key (RFC 8410). */
const ed25519Spki = Uint8Array.of(0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00)
/** DER SubjectPublicKeyInfo prefix of a 33-byte compressed secp256k1 key (id-ecPublicKey, secp256k1; RFC 5480). */
const secp256k1Spki = Uint8Array.of(
  0x30, 0x36, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a, 0x03, 0x22, 0x00,
)

/** Native keys already made, by curve and key bytes (a bounded cache: making one costs about half a verification). */
const keyCache = new Map<string, unknown>()
const keyCacheLimit = 4096
/** Ed25519 verifiers of keys seen lately ({@link verifyEd25519}), each key vetted once. */
const verifierCache = new Map<string, (signature: Uint8Array, message: Uint8Array) => boolean>()

/** A native public key, `null` where the platform has none or refuses the bytes (then noble decides). */
function nativeKey(prefix: Uint8Array, publicKey: Uint8Array): unknown {
  if (!nodeCrypto) return null
  const id = toHex(prefix.subarray(prefix.length - 3)) + toHex(publicKey)
  const hit = keyCache.get(id)
  if (hit !== undefined) return hit
  let key: unknown = null
  try {
    key = nodeCrypto.createPublicKey({ key: concatBytes(prefix, publicKey), format: 'der', type: 'spki' })
  } catch {
    key = null
  }
  return remember(keyCache, id, key, keyCacheLimit)
}

function nativeVerify(algorithm: string | null, key: unknown, message: Uint8Array, signature: Uint8Array): boolean {
  if (!nodeCrypto || key === null) return false
  try {
    return nodeCrypto.verify(algorithm, message, algorithm === null ? key : { key, dsaEncoding: 'ieee-p1363' }, signature) === true
  } catch {
    return false
  }
}

/** Half the secp256k1 group order: a low-S signature has 1 <= s <= this. */
const halfOrder = secp256k1.Point.Fn.ORDER >> 1n

function isLowS(signature: Uint8Array): boolean {
  let s = 0n
  for (let i = 32; i < 64; i++) s = (s << 8n) | BigInt(signature[i]!)
  return s >= 1n && s <= halfOrder
}

/**
 * True when `signature` (64 bytes r||s, low S) is a valid secp256k1 ECDSA signature by `publicKey` (33 bytes,
 * compressed) over `sha256(message)`: noble's `secp256k1.verify(signature, sha256(message), publicKey,
 * { prehash: false, lowS: true })`, reached natively for valid signatures where the platform allows. Never throws.
 *
 * @example
 * ```ts
 * import { secp256k1 } from '@noble/curves/secp256k1.js'
 * import { sha256 } from '@noble/hashes/sha2.js'
 * import { verifySecp256k1Sha256 } from '@zrkit/core/internal'
 * const sk = secp256k1.utils.randomSecretKey()
 * const message = new TextEncoder().encode('hello')
 * const signature = secp256k1.sign(sha256(message), sk, { prehash: false })
 * verifySecp256k1Sha256(signature, message, secp256k1.getPublicKey(sk, true)) // true
 * ```
 */
export function verifySecp256k1Sha256(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (!(signature instanceof Uint8Array) || !(message instanceof Uint8Array) || !(publicKey instanceof Uint8Array)) return false
  if (signature.length !== 64 || publicKey.length !== 33 || !isLowS(signature)) return false
  if (nativeVerify('sha256', nativeKey(secp256k1Spki, publicKey), message, signature)) return true
  try {
    return secp256k1.verify(signature, sha256(message), publicKey, { prehash: false, lowS: true })
  } catch {
    return false
  }
}

/**
 * An RFC 8032 Ed25519 check bound to one key: noble's `ed25519.verify(signature, message, publicKey,
 * { zip215: false })`, reached natively for valid signatures where the platform allows (Node's OpenSSL checks the
 * cofactorless equation with canonical S and R compared byte for byte, which implies noble's cofactored one).
 * The key is vetted and made native once; keep one verifier per key. Never throws.
 *
 * @example
 * ```ts
 * import { ed25519 } from '@noble/curves/ed25519.js'
 * import { ed25519Verifier } from '@zrkit/core/internal'
 * const sk = ed25519.utils.randomSecretKey()
 * const check = ed25519Verifier(ed25519.getPublicKey(sk))
 * const msg = new TextEncoder().encode('hello')
 * check(ed25519.sign(msg, sk), msg) // true
 * ```
 */
export function ed25519Verifier(publicKey: Uint8Array): (signature: Uint8Array, message: Uint8Array) => boolean {
  const key = publicKey instanceof Uint8Array ? Uint8Array.from(publicKey) : new Uint8Array(0)
  let native: unknown = null
  if (key.length === 32) {
    try {
      // small-order keys: OpenSSL accepts some signatures under them that noble refuses; noble alone decides those
      if (!ed25519.Point.fromBytes(key, false).isSmallOrder()) native = nativeKey(ed25519Spki, key)
    } catch {
      native = null
    }
  }
  return (signature, message) => {
    if (!(signature instanceof Uint8Array) || !(message instanceof Uint8Array) || signature.length !== 64 || key.length !== 32) return false
    if (nativeVerify(null, native, message, signature)) return true
    try {
      return ed25519.verify(signature, message, key, { zip215: false })
    } catch {
      return false
    }
  }
}

/**
 * {@link ed25519Verifier} for one signature: true when `signature` is a valid RFC 8032 Ed25519 signature of
 * `message` by `publicKey` (noble's `zip215: false` answer). Never throws.
 *
 * @example
 * ```ts
 * import { ed25519 } from '@noble/curves/ed25519.js'
 * import { verifyEd25519 } from '@zrkit/core/internal'
 * const sk = ed25519.utils.randomSecretKey()
 * const msg = new TextEncoder().encode('hello')
 * verifyEd25519(ed25519.sign(msg, sk), msg, ed25519.getPublicKey(sk)) // true
 * ```
 */
export function verifyEd25519(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (!(publicKey instanceof Uint8Array)) return false
  // one verifier per key seen lately: the key is vetted (decoded, small-order check) once
  const id = toHex(publicKey)
  const check = verifierCache.get(id) ?? remember(verifierCache, id, ed25519Verifier(publicKey), keyCacheLimit)
  return check(signature, message)
}
