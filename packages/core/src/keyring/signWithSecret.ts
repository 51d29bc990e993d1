import { ed25519 } from '@noble/curves/ed25519.js'
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { concatBytes, utf8 } from '../encoding/bytes.js'
import { schemeOf } from '../ledger/treasury/schemes.js'
import type { KeyType } from '../ledger/types.js'
import { applySigningKey } from '../derivation/signingKey.js'

const edL = ed25519.Point.CURVE().n
const nonceTag = utf8('zrkit/derive/v1/ed25519-nonce')

function bigToBE32(n: bigint): Uint8Array {
  const out = new Uint8Array(32)
  for (let i = 31; i >= 0; i--, n >>= 8n) out[i] = Number(n & 0xffn)
  return out
}
function bigToLE32(n: bigint): Uint8Array {
  const out = new Uint8Array(32)
  for (let i = 0; i < 32; i++, n >>= 8n) out[i] = Number(n & 0xffn)
  return out
}
function leToBig(b: Uint8Array): bigint {
  let n = 0n
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]!)
  return n
}
function beToBig(b: Uint8Array): bigint {
  let n = 0n
  for (const x of b) n = (n << 8n) | BigInt(x)
  return n
}

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
  const nonceKey = sha512(concatBytes(nonceTag, prefix, bigToLE32(tweak))).subarray(0, 32)
  const r = leToBig(sha512(concatBytes(nonceKey, message))) % edL || 1n
  const R = ed25519.Point.BASE.multiply(r).toBytes()
  const k = leToBig(sha512(concatBytes(R, A, message))) % edL
  const S = (r + k * a) % edL
  return concatBytes(R, bigToLE32(S))
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
  const key = tweak === 0n && !negate ? secret : bigToBE32(applySigningKey(keyType, beToBig(secret), { negate, tweak }))
  if (scheme === 'schnorr') return schnorr.sign(payload, key)
  return recoveredToRsv(secp256k1.sign(payload, key, { prehash: false, lowS: true, format: 'recovered' }))
}
