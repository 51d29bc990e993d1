import { describeValue } from '../errors/describeValue.js'
import { ZrError } from '../errors/ZrError.js'

/**
 * The parameters object of an action, or `INVALID_INPUT` naming the action when what arrived is not an
 * object (`undefined`, `null`, a number...). The fields are checked where they are used (most by the
 * ledger, as message fields), each failure saying what was expected and what arrived.
 *
 * @example
 * ```ts
 * import { requireParams } from './requireParams.js'
 * const { to, amount } = requireParams(params, 'send')
 * ```
 */
export function requireParams<T>(params: T, action: string): NonNullable<T> {
  if (params === null || typeof params !== 'object') {
    throw new ZrError('INVALID_INPUT', `Invalid parameters of ${action}.`, { details: `expected an object of parameters, got ${describeValue(params)}` })
  }
  return params as NonNullable<T>
}

/**
 * A request or action id an action waits for or acts on: a non-negative safe integer, or `INVALID_INPUT`.
 *
 * @example
 * ```ts
 * import { requireId } from './requireParams.js'
 * const requestId = requireId(params.requestId, 'requestId')
 * ```
 */
export function requireId(id: unknown, what: string): number {
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) {
    throw new ZrError('INVALID_INPUT', `Invalid ${what}.`, { details: `expected a non-negative integer, got ${describeValue(id)}` })
  }
  return id
}
