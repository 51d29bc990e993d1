import { ed25519 } from '@noble/curves/ed25519.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { compressSecp256k1 } from '../../addresses/publicKeys.js'
import { assertKeyType } from '../../derivation/assertKeyType.js'
import { verifyEd25519 } from '../../crypto/nativeCrypto.js'
import { verifySchnorr } from '../../crypto/schnorrVerifier.js'
import { ZrError } from '../../errors/ZrError.js'
import type { KeyType } from '../types.js'

/**
 * What each key type means for the ledger: the shape of its public key, the payloads it signs and the
 * signatures it returns. The ledger checks every keyring result with these before storing it.
 *
 * - `ecdsa-secp256k1`, `bitcoin-secp256k1`: 33-byte compressed key; payloads are 32-byte digests;
 *   signatures are 65 bytes r||s||v, low S, v the recovery id (0 or 1).
 * - `eddsa-ed25519`: 32-byte key; payloads are whole messages of 0..maxMessageBytes bytes (the empty
 *   message too); signatures 64 bytes (RFC 8032, strict).
 * - `schnorr-secp256k1`: 33-byte compressed key (BIP340 uses its x coordinate); payloads are messages of
 *   0..maxMessageBytes bytes (BIP340 signs any length); signatures 64 bytes (BIP340).
 */
export type Scheme = 'ecdsa' | 'eddsa' | 'schnorr'

export function schemeOf(keyType: KeyType): Scheme {
  return keyType === 'eddsa-ed25519' ? 'eddsa' : keyType === 'schnorr-secp256k1' ? 'schnorr' : 'ecdsa'
}

/**
 * Throws `INVALID_PUBLIC_KEY` unless `publicKey` is a valid key of the type, `UNSUPPORTED_KEY_TYPE` for
 * an unknown key type.
 *
 * @example
 * ```ts
 * import { checkPublicKey } from '@zrkit/core/internal'
 * checkPublicKey('eddsa-ed25519', publicKey) // throws INVALID_PUBLIC_KEY unless a valid 32-byte point
 * ```
 */
export function checkPublicKey(keyType: KeyType, publicKey: unknown): Uint8Array {
  assertKeyType(keyType)
  const expected = keyType === 'eddsa-ed25519' ? 32 : 33
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== expected) {
    throw new ZrError('INVALID_PUBLIC_KEY', `Invalid ${keyType} public key.`, {
      details: `expected ${expected} bytes, got ${publicKey instanceof Uint8Array ? `${publicKey.length} bytes` : typeof publicKey}`,
    })
  }
  try {
    if (keyType === 'eddsa-ed25519') {
      const p = ed25519.Point.fromBytes(publicKey)
      if (p.isSmallOrder()) throw new Error('small-order point')
    } else secp256k1.Point.fromBytes(publicKey).assertValidity()
  } catch (cause) {
    throw new ZrError('INVALID_PUBLIC_KEY', `Invalid ${keyType} public key.`, { details: `expected a point on the curve, got ${publicKey.length} bytes that are not one`, cause })
  }
  return publicKey
}

/**
 * Throws `INVALID_PAYLOAD` unless each payload fits the key type.
 *
 * @example
 * ```ts
 * import { checkPayloads } from '@zrkit/core/internal'
 * checkPayloads('ecdsa-secp256k1', [digest], { maxPayloads: 256, maxMessageBytes: 65_536 }) // throws INVALID_PAYLOAD unless 32 bytes
 * ```
 */
export function checkPayloads(keyType: KeyType, payloads: unknown, limits: { maxPayloads: number; maxMessageBytes: number }): Uint8Array[] {
  assertKeyType(keyType)
  if (limits === null || typeof limits !== 'object' || !Number.isSafeInteger(limits.maxPayloads) || !Number.isSafeInteger(limits.maxMessageBytes)) {
    throw new ZrError('INVALID_INPUT', 'Invalid payload limits.', { details: `expected { maxPayloads, maxMessageBytes } as integers, got ${limits === null ? 'null' : typeof limits}` })
  }
  if (!Array.isArray(payloads) || payloads.length < 1 || payloads.length > limits.maxPayloads) {
    throw new ZrError('INVALID_PAYLOAD', 'Invalid payloads.', { details: `expected 1..${limits.maxPayloads} payloads, got ${Array.isArray(payloads) ? payloads.length : typeof payloads}` })
  }
  const digest = schemeOf(keyType) === 'ecdsa'
  payloads.forEach((p, i) => {
    if (!(p instanceof Uint8Array)) throw new ZrError('INVALID_PAYLOAD', 'Invalid payload.', { details: `payload ${i}: expected bytes, got ${typeof p}` })
    if (digest && p.length !== 32) {
      throw new ZrError('INVALID_PAYLOAD', 'Invalid payload.', { details: `payload ${i}: expected 32-byte digest for ${keyType}, got ${p.length} bytes` })
    }
    // Ed25519 (RFC 8032) and BIP340 sign messages of any length, the empty message included.
    if (!digest && p.length > limits.maxMessageBytes) {
      throw new ZrError('INVALID_PAYLOAD', 'Invalid payload.', { details: `payload ${i}: expected a message of 0..${limits.maxMessageBytes} bytes for ${keyType}, got ${p.length} bytes` })
    }
  })
  return payloads as Uint8Array[]
}

/**
 * The BIP340 x-only form (32 bytes) of a secp256k1 public key given compressed (33 bytes) or
 * uncompressed (65 bytes); both forms give the same x. Throws `INVALID_PUBLIC_KEY` unless the bytes are
 * a point on secp256k1 (noble decides), so it never returns a slice of something that is not a key.
 *
 * @example
 * ```ts
 * import { xOnly } from '@zrkit/core'
 * import { schnorr } from '@noble/curves/secp256k1.js'
 * schnorr.verify(signature, message, xOnly(key.publicKey))
 * xOnly(new Uint8Array(31)) // throws ZrError INVALID_PUBLIC_KEY: expected a 33-byte compressed or 65-byte uncompressed secp256k1 point, got 31 bytes
 * ```
 */
export function xOnly(publicKey: Uint8Array): Uint8Array {
  return compressSecp256k1(publicKey).slice(1)
}

/**
 * Why `signature` is not a valid signature of `payload` by `publicKey`, or undefined when it is.
 *
 * @example
 * ```ts
 * import { signatureProblem } from '@zrkit/core/internal'
 * signatureProblem(key.keyType, key.publicKey, payload, signature) // undefined when valid, else why not
 * ```
 */
export function signatureProblem(keyType: KeyType, publicKey: Uint8Array, payload: Uint8Array, signature: unknown): string | undefined {
  if (!(signature instanceof Uint8Array)) return `expected bytes, got ${typeof signature}`
  const scheme = schemeOf(keyType)
  const len = scheme === 'ecdsa' ? 65 : 64
  if (signature.length !== len) return `expected ${len} bytes, got ${signature.length} bytes`
  try {
    if (scheme === 'eddsa') return verifyEd25519(signature, payload, publicKey) ? undefined : 'does not verify under the key'
    if (scheme === 'schnorr') return verifySchnorr(signature, payload, xOnly(publicKey)) ? undefined : 'does not verify under the key'
    const v = signature[64]!
    if (v > 1) return `expected recovery id 0 or 1, got ${v}`
    const refused = 'does not verify under the key (or S is high)'
    let sig: InstanceType<typeof secp256k1.Signature>
    try {
      sig = secp256k1.Signature.fromBytes(signature.subarray(0, 64), 'compact')
    } catch {
      return refused
    }
    if (sig.hasHighS()) return refused
    // Recovery alone decides: the key it recovers with this id equals the signer's exactly when the signature is
    // valid under that key and the id names the y parity of its R (Q = r^-1 (sR - eG) <=> R = s^-1 (eG + rQ)).
    let recovered: Uint8Array
    try {
      recovered = sig.addRecoveryBit(v).recoverPublicKey(payload).toBytes(true)
    } catch {
      return refused
    }
    if (recovered.every((b, i) => b === publicKey[i])) return undefined
    return secp256k1.verify(signature.subarray(0, 64), payload, publicKey, { prehash: false, lowS: true }) ? 'recovery id does not recover the key' : refused
  } catch (e) {
    return `malformed (${(e as Error).message})`
  }
}
