import { secp256k1 } from '@noble/curves/secp256k1.js'
import { ripemd160 } from '@noble/hashes/legacy.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bech32 } from '@scure/base'
import { ZrError } from '../errors/ZrError.js'

/**
 * The bech32 prefix of zrkit account addresses.
 *
 * @example
 * ```ts
 * import { accountPrefix, publicKeyToAddress } from '@zrkit/core'
 * publicKeyToAddress(publicKey, accountPrefix) // 'zen1...'
 * ```
 */
export const accountPrefix = 'zen'

/**
 * The `zen1...` address of a secp256k1 public key: bech32 of ripemd160(sha256(compressed key)).
 *
 * @example
 * ```ts
 * import { publicKeyToAddress } from '@zrkit/core'
 * publicKeyToAddress(account.publicKey) // 'zen1...'
 * ```
 */
export function publicKeyToAddress(publicKey: Uint8Array, prefix: string = accountPrefix): string {
  let compressed: Uint8Array
  try {
    compressed = secp256k1.Point.fromBytes(publicKey).toBytes(true)
  } catch (cause) {
    throw new ZrError('INVALID_PUBLIC_KEY', 'Invalid secp256k1 public key.', {
      details: `expected a 33-byte compressed or 65-byte uncompressed point, got ${publicKey.length} bytes`,
      cause,
    })
  }
  return bech32.encode(prefix, bech32.toWords(ripemd160(sha256(compressed))))
}

/**
 * Checks a bech32 address with the given prefix and returns it; throws `INVALID_ADDRESS` otherwise.
 *
 * @example
 * ```ts
 * import { assertAddress } from '@zrkit/core'
 * assertAddress('zen1...', 'zen', 'owner')
 * ```
 */
export function assertAddress(value: unknown, prefix: string, what = 'address'): string {
  if (typeof value !== 'string') {
    throw new ZrError('INVALID_ADDRESS', `Invalid ${what}.`, { details: `expected a bech32 "${prefix}1..." string, got ${typeof value}` })
  }
  let decoded: { prefix: string }
  try {
    decoded = bech32.decode(value as `${string}1${string}`, 120)
  } catch (cause) {
    throw new ZrError('INVALID_ADDRESS', `Invalid ${what}.`, { details: `expected a bech32 "${prefix}1..." address, got "${value}"`, cause })
  }
  if (decoded.prefix !== prefix) {
    throw new ZrError('INVALID_ADDRESS', `Invalid ${what}.`, { details: `expected prefix "${prefix}", got "${decoded.prefix}" in "${value}"` })
  }
  return value
}
