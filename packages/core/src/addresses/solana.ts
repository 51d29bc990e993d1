import { base58 } from '@scure/base'
import { ed25519Point } from './publicKeys.js'

/**
 * The Solana address of an ed25519 public key: base58 of its 32 bytes. Throws `INVALID_PUBLIC_KEY`
 * unless the key is 32 bytes encoding a point on ed25519 (so program-derived addresses, which are off
 * the curve, are refused: they have no key to sign with).
 *
 * @example
 * ```ts
 * import { solanaAddress } from '@zrkit/core'
 * solanaAddress(key.publicKey) // base58, 32..44 characters
 * ```
 */
export function solanaAddress(publicKey: Uint8Array): string {
  return base58.encode(ed25519Point(publicKey).toBytes())
}
