/**
 * Decimal amounts to base units and back, exactly (no floats): `0.1` eth with 18 decimals is
 * 100000000000000000n wei.
 */

import { describeValue } from '../errors/describeValue.js'
import { ZrError } from '../errors/ZrError.js'

const DECIMAL = /^([0-9]+)(?:\.([0-9]+))?$/

/**
 * `amount` (plain decimal digits, e.g. `"0.1"`) in base units of a unit with `decimals` decimals, or
 * undefined when it is not such a number or has more decimals than the unit allows.
 *
 * @example
 * ```ts
 * import { toBaseUnits } from '@zrkit/core'
 * toBaseUnits('0.1', 18) // 100000000000000000n
 * toBaseUnits('1.5', 0) // undefined: a unit without decimals
 * ```
 */
export function toBaseUnits(amount: string, decimals: number): bigint | undefined {
  if (typeof amount !== 'string' || !Number.isInteger(decimals) || decimals < 0 || decimals > 77) return undefined
  const m = DECIMAL.exec(amount)
  if (!m) return undefined
  const fraction = (m[2] ?? '').replace(/0+$/, '')
  if (fraction.length > decimals) return undefined
  return BigInt(m[1]!) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0')
}

/**
 * Base units as a decimal text in a unit with `decimals` decimals, without trailing zeros.
 *
 * @example
 * ```ts
 * import { formatBaseUnits } from '@zrkit/core'
 * formatBaseUnits(100000000000000000n, 18) // '0.1'
 * formatBaseUnits(2500n, 3) // '2.5'
 * ```
 */
export function formatBaseUnits(value: bigint, decimals: number): string {
  if (typeof value !== 'bigint') throw new ZrError('INVALID_INPUT', 'Invalid amount.', { details: `expected a bigint in base units, got ${describeValue(value)}` })
  if (typeof decimals !== 'number' || !Number.isInteger(decimals) || decimals < 0 || decimals > 77) throw new ZrError('INVALID_INPUT', 'Invalid decimals.', { details: `expected an integer in 0..77, got ${describeValue(decimals)}` })
  const negative = value < 0n
  const digits = (negative ? -value : value).toString().padStart(decimals + 1, '0')
  const whole = digits.slice(0, digits.length - decimals)
  const fraction = digits.slice(digits.length - decimals).replace(/0+$/, '')
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`
}
