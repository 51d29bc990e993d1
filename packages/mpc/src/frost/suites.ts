import { ed25519, ed25519_FROST } from '@noble/curves/ed25519.js'
import { schnorr, schnorr_FROST, secp256k1, secp256k1_FROST } from '@noble/curves/secp256k1.js'
import { type KeyType, ZrError, describeValue } from '@zrkit/core'
import { ed25519Verifier, nativeCryptoAvailable, schnorrVerifier, verifyEd25519 as coreVerifyEd25519 } from '@zrkit/core/internal'

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
   * a party keeps one per key and checks every final signature under that key with it. For BIP340 it is core's
   * `schnorrVerifier` (noble's answer and arithmetic; a key checked often gets its own table of multiples).
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
    verifier: (pk) => schnorrVerifier(pk.subarray(1)),
  },
}

/** Whether {@link verifyEd25519} uses the platform's native Ed25519 (Node's OpenSSL) here. */
export const nativeEd25519 = nativeCryptoAvailable

/**
 * An RFC 8032 Ed25519 signature check independent of zrkit's FROST code: core's {@link coreVerifyEd25519}
 * (noble's `zip215: false` answer, reached through Node's native Ed25519 for valid signatures where the
 * platform has it).
 *
 * @example
 * ```ts
 * import { ed25519 } from '@noble/curves/ed25519.js'
 * const sk = ed25519.utils.randomSecretKey()
 * const msg = new TextEncoder().encode('hello')
 * verifyEd25519(ed25519.sign(msg, sk), msg, ed25519.getPublicKey(sk)) // true
 * ```
 */
export const verifyEd25519: (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => boolean = coreVerifyEd25519

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
