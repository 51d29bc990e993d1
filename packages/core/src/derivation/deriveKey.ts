import { ed25519 } from '@noble/curves/ed25519.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { bytesToNumberBE, bytesToNumberLE } from '@noble/curves/utils.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256, sha512 } from '@noble/hashes/sha2.js'
import { compressSecp256k1, ed25519Point, secp256k1Point } from '../addresses/publicKeys.js'
import { concatBytes, utf8 } from '../encoding/bytes.js'
import { describeValue } from '../errors/describeValue.js'
import { ZrError } from '../errors/ZrError.js'
import type { KeyType } from '../ledger/types.js'
import { assertKeyType } from './assertKeyType.js'
import { type DerivationPath, type DerivationSegment, parseDerivationPath } from './derivationPath.js'

/**
 * Derived child keys: one key, unlimited addresses. This is a compatibility promise: the same key
 * and path give the same child key in every zrkit version.
 *
 * A path (see `parseDerivationPath`) is a list of segments, each a non-hardened index i (0 <= i < 2^31)
 * or a label L (1..128 UTF-8 bytes). Derivation uses only public data, so anyone with the public key
 * can derive a child's public key and address; a keyring signs for the child with
 * `secret + tweak`, where `tweak` is the sum of the per-segment tweaks below.
 *
 * secp256k1 keys (ECDSA, Bitcoin, BIP340 Schnorr), with K the 33-byte compressed point (a key given
 * in its 65-byte uncompressed form is the same point, so it has the same chain code and children):
 *   chain code c0 = SHA-256("zrkit/derive/v1/chain-code" || K0)
 *   index i:  I = HMAC-SHA512(c, K || ser32(i))                        (exactly BIP32 CKDpub)
 *   label L:  I = HMAC-SHA512(c, "zrkit/derive/v1/label" || K || L)
 *   t = int(I[0:32]) (big-endian; t >= n is an error), K' = K + t*G (infinity is an error), c' = I[32:64].
 *   So with the extended public key (K0, c0) (see `extendedPublicKey`), any BIP32 library derives the
 *   same children for index paths.
 *
 * ed25519 keys, with A the 32-byte encoded point:
 *   index i:  t = int_le(SHA-512("zrkit/derive/v1/ed25519" || A || 0x00 || ser32(i))) mod l
 *   label L:  t = int_le(SHA-512("zrkit/derive/v1/ed25519" || A || 0x01 || L)) mod l
 *   A' = A + t*B (the identity is an error).
 *
 * ser32 is 4-byte big-endian; strings are UTF-8; || is concatenation. As with any non-hardened
 * scheme, a child's private key together with the parent public key reveals the parent private key:
 * never hand out child private keys.
 */

/** A derived key: its public key, and the scalar to add to the parent secret to sign for it. */
export type DerivedKey = {
  /** 33-byte compressed secp256k1 point, or 32-byte ed25519 point. */
  readonly publicKey: Uint8Array
  /** Sum of the segment tweaks, mod the group order (0n for the empty path). */
  readonly tweak: bigint
  /** The path in canonical form. */
  readonly path: readonly DerivationSegment[]
}

const chainCodeTag = utf8('zrkit/derive/v1/chain-code')
const labelTag = utf8('zrkit/derive/v1/label')
const edTag = utf8('zrkit/derive/v1/ed25519')
const secpN = secp256k1.Point.CURVE().n
const edL = ed25519.Point.CURVE().n

function ser32(i: number): Uint8Array {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, i, false)
  return b
}


function noKey(segment: number, details: string): ZrError {
  return new ZrError('INVALID_DERIVATION_PATH', 'The path gives no valid key.', { details: `segment ${segment}: ${details}; choose another index or label` })
}

/**
 * The BIP32 chain code zrkit gives a secp256k1 key: SHA-256("zrkit/derive/v1/chain-code" || K), K the
 * 33-byte compressed key. Takes the key compressed (33 bytes) or uncompressed (65 bytes): both forms
 * give the same chain code. Throws `INVALID_PUBLIC_KEY` unless it is a point on secp256k1.
 *
 * @example
 * ```ts
 * import { chainCodeOf } from '@zrkit/core'
 * import { secp256k1 } from '@noble/curves/secp256k1.js'
 * const chainCode = chainCodeOf(key.publicKey) // 32 bytes; public, like the key
 * const point = secp256k1.Point.fromBytes(key.publicKey)
 * chainCodeOf(point.toBytes(false)) // the same 32 bytes from the 65-byte form
 * ```
 */
export function chainCodeOf(publicKey: Uint8Array): Uint8Array {
  return sha256(concatBytes(chainCodeTag, compressSecp256k1(publicKey)))
}

/**
 * Derives a child key by a path: its public key and the tweak a keyring adds to the secret.
 * secp256k1 keys may come compressed (33 bytes) or uncompressed (65 bytes), with the same children;
 * the child is always compressed. Throws `UNSUPPORTED_KEY_TYPE` for an unknown key type,
 * `INVALID_PUBLIC_KEY` for bytes that are not a point of the key type's curve (noble decides), and
 * `INVALID_DERIVATION_PATH` for a bad path.
 *
 * @example
 * ```ts
 * import { deriveKey } from '@zrkit/core'
 * const child = deriveKey(key.keyType, key.publicKey, 'm/0/7')
 * child.publicKey // the key that signs requests made with path 'm/0/7'
 * deriveKey('ecdsa-secp256k1', new Uint8Array(33), 'm/0') // throws ZrError INVALID_PUBLIC_KEY
 * ```
 */
export function deriveKey(keyType: KeyType, publicKey: Uint8Array, path: DerivationPath): DerivedKey {
  const type = assertKeyType(keyType)
  if (type === 'eddsa-ed25519') {
    let point = ed25519Point(publicKey)
    const segments = parseDerivationPath(path)
    let encoded = point.toBytes()
    let total = 0n
    segments.forEach((s, i) => {
      const data = typeof s === 'number' ? concatBytes(new Uint8Array([0]), ser32(s)) : concatBytes(new Uint8Array([1]), utf8(s))
      const t = bytesToNumberLE(sha512(concatBytes(edTag, encoded, data))) % edL
      point = t === 0n ? point : point.add(ed25519.Point.BASE.multiply(t))
      if (point.is0()) throw noKey(i, 'the child point is the identity')
      encoded = point.toBytes()
      total = (total + t) % edL
    })
    return { publicKey: encoded, tweak: total, path: segments }
  }
  let point = secp256k1Point(publicKey)
  const segments = parseDerivationPath(path)
  let key = point.toBytes(true)
  let chain = chainCodeOf(key)
  let total = 0n
  segments.forEach((s, i) => {
    const data = typeof s === 'number' ? concatBytes(key, ser32(s)) : concatBytes(labelTag, key, utf8(s))
    const I = hmac(sha512, chain, data)
    const t = bytesToNumberBE(I.subarray(0, 32))
    if (t >= secpN) throw noKey(i, 'the tweak is not below the group order')
    point = t === 0n ? point : point.add(secp256k1.Point.BASE.multiply(t))
    if (point.is0()) throw noKey(i, 'the child point is at infinity')
    key = point.toBytes(true)
    chain = I.slice(32)
    total = (total + t) % secpN
  })
  return { publicKey: key, tweak: total, path: segments }
}

/**
 * Adds a tweak to a secret scalar (32 bytes, big-endian for secp256k1; for ed25519 the scalar as
 * noble's `utils.getExtendedPublicKey(...).scalar`), mod the group order. For keyrings that hold whole
 * keys. Throws `UNSUPPORTED_KEY_TYPE` for an unknown key type and `INVALID_INPUT` unless both scalars
 * are bigints.
 *
 * @example
 * ```ts
 * import { deriveKey } from '@zrkit/core'
 * import { tweakSecret } from '@zrkit/core/internal'
 * const { tweak } = deriveKey('ecdsa-secp256k1', publicKey, [3])
 * const childSecret = tweakSecret('ecdsa-secp256k1', secret, tweak)
 * ```
 */
export function tweakSecret(keyType: KeyType, secret: bigint, tweak: bigint): bigint {
  const n = assertKeyType(keyType) === 'eddsa-ed25519' ? edL : secpN
  return (((checkScalar(secret, 'secret') + checkScalar(tweak, 'tweak')) % n) + n) % n
}

/**
 * Returns `v` when it is a bigint; throws `INVALID_INPUT` naming `what` otherwise.
 *
 * @example
 * ```ts
 * import { checkScalar } from './deriveKey.js'
 * checkScalar(5n, 'tweak') // 5n
 * checkScalar(5, 'tweak')  // throws ZrError INVALID_INPUT: expected a bigint scalar, got number 5
 * ```
 */
export function checkScalar(v: unknown, what: string): bigint {
  if (typeof v !== 'bigint') throw new ZrError('INVALID_INPUT', `Invalid ${what}.`, { details: `expected a bigint scalar, got ${describeValue(v)}` })
  return v
}
