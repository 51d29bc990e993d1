import { sha256 } from '@noble/hashes/sha2.js'
import { createBase58check } from '@scure/base'
import { compressSecp256k1 } from '../addresses/publicKeys.js'
import { concatBytes } from '../encoding/bytes.js'
import { describeValue } from '../errors/describeValue.js'
import { ZrError } from '../errors/ZrError.js'
import type { KeyType } from '../ledger/types.js'
import { assertKeyType } from './assertKeyType.js'
import { chainCodeOf } from './deriveKey.js'

const base58check = createBase58check(sha256)
/** BIP32 version bytes of public extended keys. */
const versions = { mainnet: 0x0488b21e, testnet: 0x043587cf } as const

/**
 * The BIP32 extended public key (xpub / tpub) of a secp256k1 key with zrkit's chain code, at depth 0.
 * Hand it to any BIP32 wallet or library (watch-only wallets, address generators): for index paths
 * they derive the same child keys as zrkit's `deriveKey`.
 *
 * The key may be compressed (33 bytes) or uncompressed (65 bytes): both forms give the same xpub, which
 * holds the compressed key. Throws `UNSUPPORTED_KEY_TYPE` for ed25519 (or unknown) key types,
 * `INVALID_PUBLIC_KEY` for bytes that are not a point on secp256k1, and `INVALID_INPUT` for a network
 * other than `mainnet` or `testnet`.
 *
 * @example
 * ```ts
 * import { extendedPublicKey } from '@zrkit/core'
 * import { HDKey } from '@scure/bip32'
 * const xpub = extendedPublicKey(key.keyType, key.publicKey) // 'xpub661MyMwAqRbc...'
 * HDKey.fromExtendedKey(xpub).derive('m/0/1').publicKey // deriveKey(key.keyType, key.publicKey, 'm/0/1').publicKey
 * extendedPublicKey(key.keyType, new Uint8Array(33)) // throws ZrError INVALID_PUBLIC_KEY
 * ```
 */
export function extendedPublicKey(keyType: KeyType, publicKey: Uint8Array, options: { network?: 'mainnet' | 'testnet' } = {}): string {
  if (assertKeyType(keyType) === 'eddsa-ed25519') {
    throw new ZrError('UNSUPPORTED_KEY_TYPE', 'No BIP32 extended key for ed25519 keys.', { details: `expected a secp256k1 key type, got ${keyType}` })
  }
  if (options === null || typeof options !== 'object') {
    throw new ZrError('INVALID_INPUT', 'Invalid extended key options.', { details: `expected { network?: 'mainnet' | 'testnet' }, got ${describeValue(options)}` })
  }
  const network = options.network ?? 'mainnet'
  if (typeof network !== 'string' || !Object.hasOwn(versions, network)) {
    throw new ZrError('INVALID_INPUT', 'Invalid extended key network.', { details: `expected mainnet or testnet, got ${describeValue(network)}` })
  }
  const key = compressSecp256k1(publicKey)
  const version = new Uint8Array(4)
  new DataView(version.buffer).setUint32(0, versions[network], false)
  // version(4) depth(1) parent fingerprint(4) child number(4) chain code(32) key(33)
  return base58check.encode(concatBytes(version, new Uint8Array(9), chainCodeOf(key), key))
}
