import { ed25519 } from '@noble/curves/ed25519.js'
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js'
import { bytesToNumberBE, bytesToNumberLE, numberToBytesBE, numberToBytesLE } from '@noble/curves/utils.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { concatBytes, utf8 } from '../encoding/bytes.js'
import { schemeOf } from '../ledger/treasury/schemes.js'
import type { KeyType } from '../ledger/types.js'
import { applySigningKey } from '../derivation/signingKey.js'

const edL = ed25519.Point.CURVE().n
const nonceTag = utf8('zrkit/derive/v1/ed25519-nonce')


/**
 * Encodes a noble recovered signature (v||r||s) as zrkit's r||s||v.
 *
 * @example
 * ```ts
 * import { recoveredToRsv } from '@zrkit/core'
 * import { secp256k1 } from '@noble/curves/secp256k1.js'
 * const rsv = recoveredToRsv(secp256k1.sign(digest, secretKey, { prehash: false, format: 'recovered' }))
 * ```
 */
export function recoveredToRsv(recovered: Uint8Array): Uint8Array {
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
 * secp256k1 secret key or an ed25519 seed.
 *
 * @example
 * ```ts
 * import { deriveKey, signWithSecret } from '@zrkit/core'
 * const { tweak, publicKey } = deriveKey('eddsa-ed25519', rootPublicKey, 'user-42')
 * const signature = signWithSecret({ keyType: 'eddsa-ed25519', secret: seed, tweak, payload: message })
 * ```
 */
export function signWithSecret(params: { keyType: KeyType; secret: Uint8Array; tweak?: bigint; negate?: boolean; payload: Uint8Array }): Uint8Array {
  const { keyType, secret, payload } = params
  const tweak = params.tweak ?? 0n
  const negate = params.negate ?? false
  const scheme = schemeOf(keyType)
  if (scheme === 'eddsa') return tweak === 0n ? ed25519.sign(payload, secret) : signEd25519Tweaked(secret, tweak, payload)
  const key = tweak === 0n && !negate ? secret : numberToBytesBE(applySigningKey(keyType, bytesToNumberBE(secret), { negate, tweak }), 32)
  if (scheme === 'schnorr') return schnorr.sign(payload, key)
  return recoveredToRsv(secp256k1.sign(payload, key, { prehash: false, lowS: true, format: 'recovered' }))
}
