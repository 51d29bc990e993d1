import { sha256 } from '@noble/hashes/sha2.js'
import { createBase58check } from '@scure/base'
import { concatBytes } from '../encoding/bytes.js'
import { ZrError } from '../errors/ZrError.js'
import type { KeyType } from '../ledger/types.js'
import { chainCodeOf } from './deriveKey.js'

const base58check = createBase58check(sha256)
/** BIP32 version bytes of public extended keys. */
const versions = { mainnet: 0x0488b21e, testnet: 0x043587cf } as const

/**
 * The BIP32 extended public key (xpub / tpub) of a secp256k1 key with zrkit's chain code, at depth 0.
 * Hand it to any BIP32 wallet or library (watch-only wallets, address generators): for index paths
 * they derive the same child keys as zrkit's `deriveKey`.
 *
 * @example
 * ```ts
 * import { extendedPublicKey } from '@zrkit/core'
 * const xpub = extendedPublicKey(key.keyType, key.publicKey) // 'xpub661MyMwAqRbc...'
 * ```
 */
export function extendedPublicKey(keyType: KeyType, publicKey: Uint8Array, options: { network?: 'mainnet' | 'testnet' } = {}): string {
  if (keyType === 'eddsa-ed25519') {
    throw new ZrError('UNSUPPORTED_KEY_TYPE', 'No BIP32 extended key for ed25519 keys.', { details: `expected a secp256k1 key type, got ${keyType}` })
  }
  if (publicKey.length !== 33) throw new ZrError('INVALID_PUBLIC_KEY', 'Invalid secp256k1 public key.', { details: `expected 33 bytes, got ${publicKey.length}` })
  const version = new Uint8Array(4)
  new DataView(version.buffer).setUint32(0, versions[options.network ?? 'mainnet'], false)
  // version(4) depth(1) parent fingerprint(4) child number(4) chain code(32) key(33)
  return base58check.encode(concatBytes(version, new Uint8Array(9), chainCodeOf(publicKey), publicKey))
}
