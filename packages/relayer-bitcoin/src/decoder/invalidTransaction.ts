import { ZrError } from '@zrkit/core'

/**
 * The one error of the Bitcoin decoder: `INVALID_TRANSACTION` with `expected ..., got ...` details and
 * the field that was wrong (`inputs[2].witnessUtxo`, `unsignedTx.outputs[0].value`, `network`...).
 *
 * @example
 * ```ts
 * import { invalidTransaction } from './invalidTransaction.js'
 * throw invalidTransaction('a PSBT of at most 65536 bytes', '70000 bytes', 'unsignedTransaction')
 * ```
 */
export function invalidTransaction(expected: string, got: string, field?: string, cause?: unknown): ZrError<'INVALID_TRANSACTION'> {
  return new ZrError('INVALID_TRANSACTION', 'Invalid bitcoin transaction.', {
    details: `${field === undefined ? '' : `${field}: `}expected ${expected}, got ${got}`,
    context: field === undefined ? { chain: 'bitcoin' } : { chain: 'bitcoin', field },
    ...(cause === undefined ? {} : { cause }),
  })
}
