import { ZrError } from '@zrkit/core'

/**
 * The one refusal of the Solana decoder: `INVALID_TRANSACTION`, saying what was expected and what arrived,
 * with the decoder's chain and the field at fault in `context`.
 *
 * @example
 * ```ts
 * import { invalidTransaction } from './invalidTransaction.js'
 * throw invalidTransaction('header', 'at least one signer', '0 signers')
 * // ZrError INVALID_TRANSACTION, details "expected at least one signer, got 0 signers", context { chain: 'solana', field: 'header' }
 * ```
 */
export function invalidTransaction(field: string, expected: string, got: string): ZrError<'INVALID_TRANSACTION'> {
  return new ZrError('INVALID_TRANSACTION', 'Invalid solana transaction.', { details: `expected ${expected}, got ${got}`, context: { chain: 'solana', field } })
}
