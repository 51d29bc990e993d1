import { ZrError } from '@zrkit/core'

/**
 * The one error of the Cosmos decoder: `INVALID_TRANSACTION`, with details that say what was expected
 * and what arrived, and `context.field` naming where in the sign doc (`body.messages[0].amount[1].amount`).
 *
 * @example
 * ```ts
 * import { invalidTransaction } from './invalidTransaction.js'
 * throw invalidTransaction('authInfo.fee.amount', 'at most one fee coin', '2 coins')
 * // ZrError INVALID_TRANSACTION: "expected at most one fee coin, got 2 coins", context { chain: 'cosmos', field: 'authInfo.fee.amount' }
 * ```
 */
export function invalidTransaction(field: string | undefined, expected: string, got: string, cause?: unknown): ZrError<'INVALID_TRANSACTION'> {
  return new ZrError('INVALID_TRANSACTION', 'Invalid Cosmos transaction.', {
    details: `expected ${expected}, got ${got}`,
    context: { chain: 'cosmos', ...(field !== undefined ? { field } : {}) },
    ...(cause !== undefined ? { cause } : {}),
  })
}

/**
 * A short description of a string that arrived, for the "got ..." half of a message: quoted, clipped.
 *
 * @example
 * ```ts
 * import { quote } from './invalidTransaction.js'
 * quote('uatom') // '"uatom"'
 * ```
 */
export function quote(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}...` : value)
}
