import { bytesToHex } from '@noble/hashes/utils.js'
import { ZrError } from '@zrkit/core'

/**
 * The one error of the EVM decoder: `INVALID_TRANSACTION` with `expected ..., got ...` details and the
 * field at fault (`nonce`, `to`, `rlp`, `keyType`...) in `context.field`.
 *
 * @example
 * ```ts
 * import { invalidTransaction } from './invalidTransaction.js'
 * throw invalidTransaction('value of at most 32 bytes', '33 bytes', 'value')
 * // ZrError INVALID_TRANSACTION 'Invalid evm transaction.', details 'expected value of at most 32 bytes, got 33 bytes'
 * ```
 */
export function invalidTransaction(expected: string, got: string, field?: string): ZrError<'INVALID_TRANSACTION'> {
  return new ZrError('INVALID_TRANSACTION', 'Invalid evm transaction.', {
    details: `expected ${expected}, got ${got}`,
    context: field === undefined ? { chain: 'evm' } : { chain: 'evm', field },
  })
}

/**
 * Bytes as `0x` hex for error details, cut after `max` bytes (`0x0001...` and the length) so that a
 * message stays short whatever arrived.
 *
 * @example
 * ```ts
 * import { hexPreview } from './invalidTransaction.js'
 * hexPreview(new Uint8Array([0, 1]))   // '0x0001'
 * hexPreview(new Uint8Array(100), 4)   // '0x00000000... (100 bytes)'
 * ```
 */
export function hexPreview(bytes: Uint8Array, max = 16): string {
  return bytes.length <= max ? `0x${bytesToHex(bytes)}` : `0x${bytesToHex(bytes.subarray(0, max))}... (${bytes.length} bytes)`
}
