import { ed25519 } from '@noble/curves/ed25519.js'
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js'
import { bytesToNumberBE, bytesToNumberLE, numberToBytesBE, numberToBytesLE } from '@noble/curves/utils.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { concatBytes, utf8 } from '../encoding/bytes.js'
import { describeValue } from '../errors/describeValue.js'
import { ZrError } from '../errors/ZrError.js'
import { schemeOf } from '../ledger/treasury/schemes.js'
import type { KeyType } from '../ledger/types.js'
import { assertKeyType } from '../derivation/assertKeyType.js'
import { applySigningKey } from '../derivation/signingKey.js'

const edL = ed25519.Point.CURVE().n
const secpN = secp256k1.Point.CURVE().n
const nonceTag = utf8('zrkit/derive/v1/ed25519-nonce')


/**
 * Encodes a noble recovered signature (v||r||s) as zrkit's r||s||v. Throws `INVALID_INPUT` unless it
 * is 65 bytes.
 *
 * @example
 * ```ts
 * import { recoveredToRsv } from '@zrkit/core'
 * import { secp256k1 } from '@noble/curves/secp256k1.js'
 * const rsv = recoveredToRsv(secp256k1.sign(digest, secretKey, { prehash: false, format: 'recovered' }))
 * ```
 */
export function recoveredToRsv(recovered: Uint8Array): Uint8Array {
  if (!(recovered instanceof Uint8Array) || recovered.length !== 65) {
    throw new ZrError('INVALID_INPUT', 'Invalid recovered signature.', { details: `expected 65 bytes v||r||s, got ${describeValue(recovered)}` })
  }
  const out = new Uint8Array(65)
  out.set(recovered.subarray(1, 65), 0)
  out[64] = recovered[0]!
  return out
}

/**
 * EdDSA over ed25519 with a raw scalar (a tweaked child key has no seed). Deterministic: the nonce key
 * comes from the seed's prefix and the tweak. The result is a standard RFC 8032 signature.
 */
function signEd25519Tweaked(seed: Uint8Array, tweak: bigint, message: Uint8Array): Uint8Array {
  const { scalar, prefix } = ed25519.utils.getExtendedPublicKey(seed)
  const a = (scalar + tweak) % edL
  if (a === 0n) throw cancels()
  const A = ed25519.Point.BASE.multiply(a).toBytes()
  const nonceKey = sha512(concatBytes(nonceTag, prefix, numberToBytesLE(tweak, 32))).subarray(0, 32)
  const r = bytesToNumberLE(sha512(concatBytes(nonceKey, message))) % edL || 1n
  const R = ed25519.Point.BASE.multiply(r).toBytes()
  const k = bytesToNumberLE(sha512(concatBytes(R, A, message))) % edL
  const S = (r + k * a) % edL
  return concatBytes(R, numberToBytesLE(S, 32))
}

/**
 * Signs one payload with a whole secret key, optionally for a tweaked key (`tweak` and `negate` from
 * `signingKey`: a derived child, a taproot output key), in zrkit's signature formats: 65-byte r||s||v (low S) for ECDSA key types, 64 bytes
 * for EdDSA (RFC 8032) and BIP340 Schnorr. For keyrings that hold whole keys; `secret` is a 32-byte
 * secp256k1 secret key or an ed25519 seed. Throws `UNSUPPORTED_KEY_TYPE` for an unknown key type,
 * `INVALID_PAYLOAD` for a payload that is not bytes (or not a 32-byte digest for ECDSA) and
 * `INVALID_INPUT` for a bad secret, tweak or `negate`.
 *
 * @example
 * ```ts
 * import { deriveKey, signWithSecret } from '@zrkit/core'
 * const { tweak, publicKey } = deriveKey('eddsa-ed25519', rootPublicKey, 'user-42')
 * const signature = signWithSecret({ keyType: 'eddsa-ed25519', secret: seed, tweak, payload: message })
 * ```
 */
export function signWithSecret(params: { keyType: KeyType; secret: Uint8Array; tweak?: bigint; negate?: boolean; payload: Uint8Array }): Uint8Array {
  if (params === null || typeof params !== 'object') throw bad('parameters', 'an object { keyType, secret, payload, tweak?, negate? }', params)
  const keyType = assertKeyType(params.keyType)
  const { secret, payload } = params
  const scheme = schemeOf(keyType)
  if (!(secret instanceof Uint8Array) || secret.length !== 32) throw bad('secret', `a 32-byte ${scheme === 'eddsa' ? 'ed25519 seed' : 'secp256k1 secret key'}`, secret)
  if (scheme !== 'eddsa' && !secp256k1.utils.isValidSecretKey(secret)) throw bad('secret', 'a secp256k1 secret key in [1, n-1]', `${secret.length} bytes out of range`)
  if (!(payload instanceof Uint8Array) || (scheme === 'ecdsa' && payload.length !== 32)) {
    throw new ZrError('INVALID_PAYLOAD', 'Invalid payload.', { details: `expected ${scheme === 'ecdsa' ? `a 32-byte digest for ${keyType}` : 'message bytes'}, got ${describeValue(payload)}` })
  }
  if (params.tweak !== undefined && typeof params.tweak !== 'bigint') throw bad('tweak', 'a bigint', params.tweak)
  if (params.negate !== undefined && typeof params.negate !== 'boolean') throw bad('negate', 'a boolean', params.negate)
  const n = scheme === 'eddsa' ? edL : secpN
  // congruent tweaks are the same key: reduce once, so any bigint works and the ed25519 nonce key sees 0..l-1
  const tweak = (((params.tweak ?? 0n) % n) + n) % n
  const negate = params.negate ?? false
  if (scheme === 'eddsa') return tweak === 0n ? ed25519.sign(payload, secret) : signEd25519Tweaked(secret, tweak, payload)
  const child = tweak === 0n && !negate ? undefined : applySigningKey(keyType, bytesToNumberBE(secret), { negate, tweak })
  if (child === 0n) throw cancels()
  const key = child === undefined ? secret : numberToBytesBE(child, 32)
  if (scheme === 'schnorr') return schnorr.sign(payload, key)
  return recoveredToRsv(secp256k1.sign(payload, key, { prehash: false, lowS: true, format: 'recovered' }))
}

function bad(what: string, expected: string, got: unknown): ZrError {
  return new ZrError('INVALID_INPUT', `Invalid ${what}.`, { details: `expected ${expected}, got ${typeof got === 'string' ? got : describeValue(got)}` })
}

function cancels(): ZrError {
  return new ZrError('INVALID_INPUT', 'Invalid tweak.', { details: 'expected a tweak that leaves a non-zero secret, got one that cancels it' })
}
