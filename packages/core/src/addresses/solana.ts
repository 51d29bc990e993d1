import { ed25519 } from '@noble/curves/ed25519.js'
import { base58 } from '@scure/base'
import { ZrError } from '../errors/ZrError.js'

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
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) {
    throw new ZrError('INVALID_PUBLIC_KEY', 'Invalid ed25519 public key.', {
      details: `expected 32 bytes, got ${publicKey instanceof Uint8Array ? `${publicKey.length} bytes` : typeof publicKey}`,
    })
  }
  try {
    ed25519.Point.fromBytes(publicKey)
  } catch (cause) {
    throw new ZrError('INVALID_PUBLIC_KEY', 'Invalid ed25519 public key.', {
      details: 'expected a point on ed25519, got 32 bytes that are not one',
      cause,
    })
  }
  return base58.encode(publicKey)
}
