import { ed25519 } from '@noble/curves/ed25519.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { describeValue } from '../errors/describeValue.js'
import { ZrError } from '../errors/ZrError.js'

/** A secp256k1 point as noble gives it. */
export type Secp256k1Point = InstanceType<typeof secp256k1.Point>
/** An ed25519 point as noble gives it. */
export type Ed25519Point = InstanceType<typeof ed25519.Point>

/**
 * The point of a secp256k1 public key in either SEC1 form: 33 bytes compressed (`02`/`03` and x) or
 * 65 bytes uncompressed (`04`, x and y). Both forms of a key are the same key: every zrkit helper that
 * takes a secp256k1 key works on the point, so it gives the same chain code, xpub, children and
 * addresses for either. noble decides what is a point (x and y below p, on the curve, not infinity);
 * anything else throws `INVALID_PUBLIC_KEY` saying what was expected and what arrived.
 *
 * @example
 * ```ts
 * import { secp256k1Point } from './publicKeys.js'
 * secp256k1Point(key.publicKey).toBytes(true) // the 33-byte compressed form, whichever form came in
 * ```
 */
export function secp256k1Point(publicKey: unknown, what = 'secp256k1 public key'): Secp256k1Point {
  if (!(publicKey instanceof Uint8Array) || (publicKey.length !== 33 && publicKey.length !== 65)) {
    throw new ZrError('INVALID_PUBLIC_KEY', `Invalid ${what}.`, {
      details: `expected a 33-byte compressed or 65-byte uncompressed secp256k1 point, got ${describeValue(publicKey)}`,
    })
  }
  try {
    const point = secp256k1.Point.fromBytes(publicKey)
    point.assertValidity()
    return point
  } catch (cause) {
    throw new ZrError('INVALID_PUBLIC_KEY', `Invalid ${what}.`, {
      details: `expected a point on secp256k1, got ${publicKey.length} bytes that are not one (prefix 0x${publicKey[0]!.toString(16).padStart(2, '0')})`,
      cause,
    })
  }
}

/**
 * The 33-byte compressed form of a secp256k1 public key given in either SEC1 form (see
 * {@link secp256k1Point}); throws `INVALID_PUBLIC_KEY` unless it is a point on the curve.
 *
 * @example
 * ```ts
 * import { compressSecp256k1 } from './publicKeys.js'
 * compressSecp256k1(uncompressed65) // 33 bytes, 02/03 prefix
 * ```
 */
export function compressSecp256k1(publicKey: unknown, what?: string): Uint8Array {
  return secp256k1Point(publicKey, what).toBytes(true)
}

/**
 * The point of a 32-byte ed25519 public key (RFC 8032 encoding, checked strictly by noble); throws
 * `INVALID_PUBLIC_KEY` for anything else.
 *
 * @example
 * ```ts
 * import { ed25519Point } from './publicKeys.js'
 * ed25519Point(key.publicKey).toBytes() // the same 32 bytes
 * ```
 */
export function ed25519Point(publicKey: unknown, what = 'ed25519 public key'): Ed25519Point {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) {
    throw new ZrError('INVALID_PUBLIC_KEY', `Invalid ${what}.`, { details: `expected a 32-byte ed25519 point, got ${describeValue(publicKey)}` })
  }
  try {
    return ed25519.Point.fromBytes(publicKey)
  } catch (cause) {
    throw new ZrError('INVALID_PUBLIC_KEY', `Invalid ${what}.`, { details: 'expected a point on ed25519, got 32 bytes that are not one', cause })
  }
}
