import { ripemd160 } from '@noble/hashes/legacy.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bech32 } from '@scure/base'
import { compressSecp256k1 } from '../addresses/publicKeys.js'
import { assertHrp } from '../addresses/walletTypes.js'
import { describeValue } from '../errors/describeValue.js'
import { remember } from '../cache/remember.js'
import { toHex } from '../encoding/bytes.js'
import { ZrError } from '../errors/ZrError.js'

/** Longest address `assertAddress` decodes (bech32 allows 90 characters; zrkit's own are shorter). */
const maxAddressLength = 120

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

/** Addresses of keys seen lately, by prefix and key bytes (bounded: oldest out first). */
const addressCache = new Map<string, string>()
const addressCacheLimit = 4096

/**
 * The `zen1...` address of a secp256k1 public key: bech32 of ripemd160(sha256(compressed key)). Takes
 * the key compressed (33 bytes) or uncompressed (65 bytes); both give the same address. Throws
 * `INVALID_PUBLIC_KEY` unless the bytes are a point on secp256k1, `INVALID_INPUT` for a prefix that is not
 * a lower-case bech32 prefix (or too long for an address of 90 characters).
 *
 * @example
 * ```ts
 * import { publicKeyToAddress } from '@zrkit/core'
 * publicKeyToAddress(account.publicKey) // 'zen1...'
 * publicKeyToAddress(account.publicKey, 'cosmos') // 'cosmos1...'
 * ```
 */
export function publicKeyToAddress(publicKey: Uint8Array, prefix: string = accountPrefix): string {
  const hrp = assertHrp(prefix, 'address prefix')
  // the same key comes with every message of an account: its point is checked and hashed once
  const id = publicKey instanceof Uint8Array && (publicKey.length === 33 || publicKey.length === 65) ? `${hrp}:${toHex(publicKey)}` : undefined
  const known = id === undefined ? undefined : addressCache.get(id)
  if (known !== undefined) return known
  const compressed = compressSecp256k1(publicKey)
  try {
    const address = bech32.encode(hrp, bech32.toWords(ripemd160(sha256(compressed))))
    return id === undefined ? address : remember(addressCache, id, address, addressCacheLimit)
  } catch (cause) {
    throw new ZrError('INVALID_INPUT', 'Invalid address prefix.', { details: `expected a prefix of at most 51 characters (a bech32 string holds 90), got ${hrp.length}`, cause })
  }
}

/**
 * Checks a bech32 address with the given prefix and returns it in its canonical, lower-case form.
 * BIP173 allows an address in all upper case (`ZEN1...`, as QR codes carry it) and refuses mixed case:
 * an all-upper-case address is the same address and comes back lower-case; mixed case, a bad checksum,
 * another prefix or anything that is not a string throws `INVALID_ADDRESS` saying what arrived. A
 * `prefix` that is not a lower-case bech32 prefix throws `INVALID_INPUT`.
 *
 * @example
 * ```ts
 * import { assertAddress } from '@zrkit/core'
 * assertAddress('zen1...', 'zen', 'owner')            // 'zen1...'
 * assertAddress(bob.address.toUpperCase(), 'zen')     // bob.address (lower case)
 * assertAddress('zen1QQ...', 'zen')                   // throws ZrError INVALID_ADDRESS: mixed case
 * ```
 */
export function assertAddress(value: unknown, prefix: string, what = 'address'): string {
  const label = typeof what === 'string' ? what : 'address'
  const hrp = assertHrp(prefix, 'address prefix')
  if (typeof value !== 'string') {
    throw new ZrError('INVALID_ADDRESS', `Invalid ${label}.`, { details: `expected a bech32 "${hrp}1..." string, got ${describeValue(value)}` })
  }
  const lower = value.toLowerCase()
  if (value !== lower && value !== value.toUpperCase()) {
    throw new ZrError('INVALID_ADDRESS', `Invalid ${label}.`, {
      details: `expected a bech32 "${hrp}1..." address in one case (all lower or all upper, BIP173), got mixed case in ${describeValue(value)}`,
    })
  }
  let decoded: { prefix: string }
  try {
    decoded = bech32.decode(lower as `${string}1${string}`, maxAddressLength)
  } catch (cause) {
    throw new ZrError('INVALID_ADDRESS', `Invalid ${label}.`, { details: `expected a bech32 "${hrp}1..." address, got ${describeValue(value)}`, cause })
  }
  if (decoded.prefix !== hrp) {
    throw new ZrError('INVALID_ADDRESS', `Invalid ${label}.`, { details: `expected prefix "${hrp}", got "${decoded.prefix}" in ${describeValue(value)}` })
  }
  return lower
}
