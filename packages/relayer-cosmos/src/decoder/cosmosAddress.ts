import { ripemd160 } from '@noble/hashes/legacy.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bech32 } from '@scure/base'
import { ZrError, describeValue } from '@zrkit/core'

/** Longest address read, in characters (BIP173 says 90; Cosmos SDK chains allow longer, none uses them). */
const MAX_ADDRESS_LENGTH = 120
/** The Cosmos SDK's bounds on an address's bytes (`VerifyAddressFormat`). */
const MAX_ADDRESS_BYTES = 255

/**
 * A bech32 account address read by {@link parseCosmosAddress}.
 *
 * @example
 * ```ts
 * import type { CosmosAddress } from './cosmosAddress.js'
 * const a: CosmosAddress = { address: 'cosmos1...', prefix: 'cosmos', bytes: new Uint8Array(20) }
 * ```
 */
export type CosmosAddress = {
  /** Lower case: the form the decoder reports and `normalizeAddress` returns. */
  readonly address: string
  readonly prefix: string
  readonly bytes: Uint8Array
}

/**
 * Reads a bech32 (not bech32m) address with any prefix: one case (all lower or all upper), a valid
 * checksum, at most 120 characters, 1..255 bytes with zero padding bits. Returns `undefined` for
 * anything else, so that each caller throws its own error.
 *
 * @example
 * ```ts
 * import { parseCosmosAddress } from './cosmosAddress.js'
 * parseCosmosAddress('COSMOS1...')?.address // 'cosmos1...'
 * parseCosmosAddress('cosmos1nope')         // undefined
 * ```
 */
export function parseCosmosAddress(value: unknown): CosmosAddress | undefined {
  if (typeof value !== 'string' || value.length > MAX_ADDRESS_LENGTH) return undefined
  try {
    const { prefix, words } = bech32.decode(value as `${string}1${string}`, MAX_ADDRESS_LENGTH)
    const bytes = bech32.fromWords(words)
    if (bytes.length < 1 || bytes.length > MAX_ADDRESS_BYTES) return undefined
    return { address: value.toLowerCase(), prefix, bytes }
  } catch {
    return undefined
  }
}

/**
 * The account bytes of a secp256k1 key on Cosmos SDK chains: ripemd160(sha256(33-byte compressed key)).
 *
 * @example
 * ```ts
 * import { bech32 } from '@scure/base'
 * import { accountBytesOf } from './cosmosAddress.js'
 * bech32.encode('cosmos', bech32.toWords(accountBytesOf(compressedKey))) // 'cosmos1...'
 * ```
 */
export function accountBytesOf(compressedKey: Uint8Array): Uint8Array {
  return ripemd160(sha256(compressedKey))
}

/**
 * The bech32 address of account bytes under a prefix (no length limit: the prefix came from an address).
 *
 * @example
 * ```ts
 * import { accountBytesOf, encodeCosmosAddress } from './cosmosAddress.js'
 * encodeCosmosAddress('osmo', accountBytesOf(compressedKey)) // 'osmo1...'
 * ```
 */
export function encodeCosmosAddress(prefix: string, bytes: Uint8Array): string {
  return bech32.encode(prefix, bech32.toWords(bytes), false)
}

/**
 * The canonical form of a Cosmos address, for policy comparisons: a valid bech32 address with any
 * prefix, in lower case. Throws `INVALID_INPUT` for anything else.
 *
 * @example
 * ```ts
 * import { normalizeCosmosAddress } from './cosmosAddress.js'
 * normalizeCosmosAddress('COSMOS1...') // 'cosmos1...'
 * normalizeCosmosAddress('0x1234')     // throws ZrError INVALID_INPUT
 * ```
 */
export function normalizeCosmosAddress(address: string): string {
  const parsed = parseCosmosAddress(address)
  if (!parsed) {
    throw new ZrError('INVALID_INPUT', 'Invalid Cosmos address.', {
      details: `expected a bech32 address (prefix, "1", data and checksum in one case; at most ${MAX_ADDRESS_LENGTH} characters, 1..${MAX_ADDRESS_BYTES} bytes), got ${describeValue(address)}`,
    })
  }
  return parsed.address
}
