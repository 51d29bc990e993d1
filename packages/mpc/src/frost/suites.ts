import { ed25519, ed25519_FROST } from '@noble/curves/ed25519.js'
import { schnorr, schnorr_FROST, secp256k1, secp256k1_FROST } from '@noble/curves/secp256k1.js'
import { concatBytes } from '@noble/hashes/utils.js'
import { type KeyType, ZrError, describeValue } from '@zrkit/core'

/** noble's FROST API (RFC 9591), as used here. */
export type Frost = typeof ed25519_FROST

/** A FROST key package of one party: the shared public package and the party's share. */
export type FrostKey = {
  readonly public: { signers: { min: number; max: number }; commitments: Uint8Array[]; verifyingShares: Record<string, Uint8Array> }
  readonly secret: { identifier: string; signingShare: Uint8Array }
}

/**
 * The FROST ciphersuites behind each key type:
 * - `eddsa-ed25519`: FROST(Ed25519, SHA-512) for key generation and signing; RFC 8032 signatures.
 * - `schnorr-secp256k1`: key generation with the plain FROST(secp256k1, SHA-256) DKG (so the stored key
 *   is the untweaked internal key, as for every zrkit Schnorr key), signing with the BIP340 suite;
 *   taproot and derivation tweaks are applied to the shares at signing time.
 */
export type FrostSuite = {
  readonly keyType: KeyType
  readonly dkg: Frost
  readonly sign: Frost
  readonly Point: typeof ed25519.Point | typeof secp256k1.Point
  /** The group key as the ledger stores it: 32-byte ed25519, or 33-byte compressed secp256k1. */
  groupKey(key: FrostKey): Uint8Array
  /**
   * An independent check of a final signature (noble's `schnorr.verify`; for ed25519
   * {@link verifyEd25519}), computed afresh by each party that calls it.
   */
  verify(signature: Uint8Array, message: Uint8Array, groupKey: Uint8Array): boolean
  /**
   * The same check bound to one group key, which is vetted (and, for ed25519, turned into a native key) once:
   * a party keeps one per key and checks every final signature under that key with it.
   */
  verifier(groupKey: Uint8Array): (signature: Uint8Array, message: Uint8Array) => boolean
}

const suites: Partial<Record<KeyType, FrostSuite>> = {
  'eddsa-ed25519': {
    keyType: 'eddsa-ed25519',
    dkg: ed25519_FROST,
    sign: ed25519_FROST,
    Point: ed25519.Point,
    groupKey: (k) => k.public.commitments[0]!,
    verify: (sig, msg, pk) => verifyEd25519(sig, msg, pk),
    verifier: (pk) => ed25519Verifier(pk),
  },
  'schnorr-secp256k1': {
    keyType: 'schnorr-secp256k1',
    dkg: secp256k1_FROST as unknown as Frost,
    sign: schnorr_FROST as unknown as Frost,
    Point: secp256k1.Point,
    groupKey: (k) => k.public.commitments[0]!,
    verify: (sig, msg, pk) => schnorr.verify(sig, msg, pk.subarray(1)),
    verifier: (pk) => {
      const xOnly = Uint8Array.from(pk.subarray(1))
      return (sig, msg) => schnorr.verify(sig, msg, xOnly)
    },
  },
}

/** The parts of `node:crypto` used here. */
type NodeCrypto = {
  createPublicKey(options: { key: Uint8Array; format: 'der'; type: 'spki' }): unknown
  verify(algorithm: null, data: Uint8Array, key: unknown, signature: Uint8Array): boolean
}

/**
 * The platform's native crypto where it has one (Node's OpenSSL, found at run time through
 * `process.getBuiltinModule`, so bundles for browsers never import it); undefined elsewhere.
 */
const nodeCrypto: NodeCrypto | undefined = (() => {
  try {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
    const c = proc?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined
    return typeof c?.verify === 'function' && typeof c.createPublicKey === 'function' ? c : undefined
  } catch {
    return undefined
  }
})()

/** DER SubjectPublicKeyInfo prefix of a raw 32-byte Ed25519 key (RFC 8410). */
const ed25519Spki = Uint8Array.of(0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00)
/**
 * A native key for RFC 8032 verification: `null` for a key noble refuses (not a canonical point, or of small
 * order: OpenSSL accepts some signatures under small-order keys that noble refuses), undefined where the
 * platform has no native Ed25519 (then noble decides).
 */
function nativeEd25519Key(publicKey: Uint8Array): unknown {
  if (!nodeCrypto || !(publicKey instanceof Uint8Array)) return undefined
  if (publicKey.length !== 32) return null
  try {
    if (ed25519.Point.fromBytes(publicKey, false).isSmallOrder()) return null
  } catch {
    return null
  }
  try {
    return nodeCrypto.createPublicKey({ key: concatBytes(ed25519Spki, publicKey), format: 'der', type: 'spki' })
  } catch {
    return undefined
  }
}

/** Native verification under a key from {@link nativeEd25519Key}, or undefined when it cannot decide. */
function nativeVerifyWith(key: unknown, signature: Uint8Array, message: Uint8Array): boolean | undefined {
  if (key === undefined || !nodeCrypto || !(signature instanceof Uint8Array) || !(message instanceof Uint8Array)) return undefined
  if (key === null || signature.length !== 64) return false
  try {
    return nodeCrypto.verify(null, message, key, signature) === true
  } catch {
    return undefined
  }
}

/** {@link verifyEd25519} bound to one key, vetted and made native once (see {@link FrostSuite.verifier}). */
function ed25519Verifier(publicKey: Uint8Array): (signature: Uint8Array, message: Uint8Array) => boolean {
  const key = Uint8Array.from(publicKey)
  const native = nativeEd25519Key(key)
  return (signature, message) => {
    const answer = nativeVerifyWith(native, signature, message)
    if (answer !== undefined) return answer
    try {
      return ed25519.verify(signature, message, key, { zip215: false })
    } catch {
      return false
    }
  }
}

/** Whether {@link verifyEd25519} uses the platform's native Ed25519 (Node's OpenSSL) here. */
export const nativeEd25519 = nodeCrypto !== undefined

/**
 * An RFC 8032 Ed25519 signature check independent of zrkit's FROST code: Node's native Ed25519
 * (OpenSSL: canonical S, R compared byte for byte, no cofactor), about ten times faster than
 * JavaScript, where the platform has it, for keys noble accepts (canonical, not of small order);
 * noble's `ed25519.verify` with `zip215: false` elsewhere. A signature the native check accepts
 * satisfies the cofactorless equation, so noble accepts it too; the reverse can only fail for
 * points with a small-order component, which FROST signing never produces (its group key and
 * commitments are checked to be of prime order).
 *
 * @example
 * ```ts
 * import { ed25519 } from '@noble/curves/ed25519.js'
 * const sk = ed25519.utils.randomSecretKey()
 * const msg = new TextEncoder().encode('hello')
 * verifyEd25519(ed25519.sign(msg, sk), msg, ed25519.getPublicKey(sk)) // true
 * ```
 */
export function verifyEd25519(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (!(publicKey instanceof Uint8Array)) return false
  return ed25519Verifier(publicKey)(signature, message)
}

/**
 * The FROST suite for a key type; `UNSUPPORTED_KEY_TYPE` for ECDSA key types (threshold ECDSA is separate)
 * and anything that is not a key type.
 *
 * @example
 * ```ts
 * import { frostSuite } from '@zrkit/mpc/internal'
 * const suite = frostSuite('schnorr-secp256k1') // DKG with FROST(secp256k1), signing with its BIP340 variant
 * ```
 */
export function frostSuite(keyType: KeyType): FrostSuite {
  const s = typeof keyType === 'string' && Object.hasOwn(suites, keyType) ? suites[keyType] : undefined
  if (!s) throw new ZrError('UNSUPPORTED_KEY_TYPE', 'No FROST suite for this key type.', { details: `expected eddsa-ed25519 or schnorr-secp256k1, got ${describeValue(keyType)}` })
  return s
}

/** Key types the FROST federation serves. */
export const frostKeyTypes: readonly KeyType[] = ['eddsa-ed25519', 'schnorr-secp256k1']
