import { sha256 } from '@noble/hashes/sha2.js'
import { concatBytes } from '@noble/hashes/utils.js'
import { createBase58check } from '@scure/base'
import { describeValue } from '../errors/describeValue.js'
import { ZrError } from '../errors/ZrError.js'
import { hash160 } from './bitcoin.js'
import { compressSecp256k1 } from './publicKeys.js'

/**
 * A Zcash network with transparent addresses. Regtest shares testnet's prefix.
 *
 * @example
 * ```ts
 * import { type ZcashNetwork, zcashTransparentAddress } from '@zrkit/core'
 * const network: ZcashNetwork = 'testnet'
 * zcashTransparentAddress(key.publicKey, { network }) // 'tm...'
 * ```
 */
export type ZcashNetwork = 'mainnet' | 'testnet'

/**
 * Options of {@link zcashTransparentAddress}.
 *
 * @example
 * ```ts
 * import { type ZcashAddressOptions, zcashTransparentAddress } from '@zrkit/core'
 * const options: ZcashAddressOptions = { network: 'mainnet' }
 * zcashTransparentAddress(key.publicKey, options) // 't1...'
 * ```
 */
export type ZcashAddressOptions = {
  /** Defaults to `mainnet`. */
  network?: ZcashNetwork
}

/** Two-byte version prefixes of transparent P2PKH addresses: `t1...` on mainnet, `tm...` on testnet. */
const p2pkhPrefixes: Readonly<Record<ZcashNetwork, Uint8Array>> = {
  mainnet: Uint8Array.of(0x1c, 0xb8),
  testnet: Uint8Array.of(0x1d, 0x25),
}

const base58check = createBase58check(sha256)

/**
 * The Zcash transparent P2PKH address of a secp256k1 public key: base58check of the network's 2-byte
 * prefix and hash160 of the compressed key. Takes the key compressed (33 bytes) or uncompressed (65);
 * throws `INVALID_PUBLIC_KEY` for a bad key and `INVALID_INPUT` for bad options or an unknown network.
 *
 * @example
 * ```ts
 * import { zcashTransparentAddress } from '@zrkit/core'
 * zcashTransparentAddress(key.publicKey) // 't1...'
 * zcashTransparentAddress(key.publicKey, { network: 'testnet' }) // 'tm...'
 * ```
 */
export function zcashTransparentAddress(publicKey: Uint8Array, options: ZcashAddressOptions = {}): string {
  if (options === null || typeof options !== 'object') {
    throw new ZrError('INVALID_INPUT', 'Invalid Zcash address options.', { details: `expected { network? }, got ${describeValue(options)}` })
  }
  const network = options.network ?? 'mainnet'
  const prefix = typeof network === 'string' && Object.hasOwn(p2pkhPrefixes, network) ? p2pkhPrefixes[network] : undefined
  if (!prefix) {
    throw new ZrError('INVALID_INPUT', 'Unknown Zcash network.', {
      details: `expected mainnet or testnet, got ${describeValue(network)}`,
    })
  }
  return base58check.encode(concatBytes(prefix, hash160(compressSecp256k1(publicKey))))
}
