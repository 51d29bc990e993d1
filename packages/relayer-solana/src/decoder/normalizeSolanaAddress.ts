import { ZrError, describeValue } from '@zrkit/core'
import { base58 } from '@scure/base'

/**
 * The canonical form of a Solana address: a base58 string of 32 bytes, returned as it is (base58 has one
 * spelling per byte string of a given length). Anything else throws `INVALID_INPUT`.
 *
 * @example
 * ```ts
 * import { normalizeSolanaAddress } from './normalizeSolanaAddress.js'
 * normalizeSolanaAddress('11111111111111111111111111111111') // '11111111111111111111111111111111'
 * normalizeSolanaAddress('0x70997970c51812dc3a010c7d01b50e0d17dc79c8') // throws INVALID_INPUT
 * ```
 */
export function normalizeSolanaAddress(address: string): string {
  // 32 bytes take 32 to 44 base58 characters; the length check bounds the decoding work.
  if (typeof address === 'string' && address.length >= 32 && address.length <= 44) {
    let bytes: Uint8Array | undefined
    try {
      bytes = base58.decode(address)
    } catch {
      bytes = undefined
    }
    if (bytes?.length === 32 && base58.encode(bytes) === address) return address
  }
  throw new ZrError('INVALID_INPUT', 'Invalid Solana address.', { details: `expected a base58 address of 32 bytes, got ${describeValue(address)}` })
}
