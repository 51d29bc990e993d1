import { ZrError } from '@zrkit/core'
import type { SpendType } from './scripts.js'

/**
 * Weight units of one input, without the transaction around it: 41 bytes outside the witness
 * (outpoint, empty scriptSig, sequence) times 4, plus the witness. P2WPKH: at most 108 (item count,
 * a 72-byte DER signature with its sighash byte, a 33-byte key); P2TR key path: 66 (item count, a
 * 64-byte BIP340 signature with the default sighash).
 *
 * @example
 * ```ts
 * import { inputWeights, vsizeOf } from '@zrkit/relayer-bitcoin'
 * vsizeOf(inputWeights.p2tr) // 58 (57.5 vB)
 * ```
 */
export const inputWeights: Readonly<Record<SpendType, number>> = Object.freeze({ p2wpkh: 41 * 4 + 108, p2tr: 41 * 4 + 66 })

/**
 * Bitcoin Core's default dust relay fee rate, in sat/vB.
 *
 * @example
 * ```ts
 * import { DEFAULT_DUST_RELAY_FEE_RATE, dustThreshold } from '@zrkit/relayer-bitcoin'
 * dustThreshold(script, DEFAULT_DUST_RELAY_FEE_RATE)
 * ```
 */
export const DEFAULT_DUST_RELAY_FEE_RATE = 3

/**
 * The largest standard transaction, in weight units.
 *
 * @example
 * ```ts
 * import { MAX_STANDARD_TX_WEIGHT, txWeight } from '@zrkit/relayer-bitcoin'
 * txWeight(inputs, outputs) <= MAX_STANDARD_TX_WEIGHT
 * ```
 */
export const MAX_STANDARD_TX_WEIGHT = 400_000

function varIntSize(n: number): number {
  return n < 0xfd ? 1 : n <= 0xffff ? 3 : n <= 0xffffffff ? 5 : 9
}

/**
 * Serialized size in bytes of an output paying to `script`: 8-byte value, script length, script.
 *
 * @example
 * ```ts
 * import { outputSize } from '@zrkit/relayer-bitcoin'
 * outputSize(p2wpkhScript) // 31
 * ```
 */
export function outputSize(script: Uint8Array): number {
  return 8 + varIntSize(script.length) + script.length
}

/**
 * The weight of a segwit transaction: version, counts, locktime, the segwit marker and flag, each
 * input (see {@link inputWeights}) and each output.
 *
 * @example
 * ```ts
 * import { inputWeights, txWeight } from '@zrkit/relayer-bitcoin'
 * txWeight([inputWeights.p2wpkh, inputWeights.p2wpkh], [recipientScript, changeScript])
 * ```
 */
export function txWeight(inputs: readonly number[], outputScripts: readonly Uint8Array[]): number {
  const base = 4 + varIntSize(inputs.length) + varIntSize(outputScripts.length) + 4 + outputScripts.reduce((n, s) => n + outputSize(s), 0)
  return base * 4 + 2 + inputs.reduce((n, w) => n + w, 0)
}

/**
 * Virtual size: weight / 4, rounded up.
 *
 * @example
 * ```ts
 * import { vsizeOf } from '@zrkit/relayer-bitcoin'
 * vsizeOf(561) // 141
 * ```
 */
export function vsizeOf(weight: number): number {
  return Math.ceil(weight / 4)
}

/**
 * The fee in satoshis for a virtual size at a fee rate (sat/vB, fractions allowed down to 0.001),
 * rounded up so the rate is never undershot.
 *
 * @example
 * ```ts
 * import { feeFor } from '@zrkit/relayer-bitcoin'
 * feeFor(141, 2.5) // 353n
 * ```
 */
export function feeFor(vsize: number, feeRate: number): bigint {
  const milli = BigInt(Math.round(feeRate * 1000))
  return (BigInt(vsize) * milli + 999n) / 1000n
}

/**
 * True for a segwit output script: OP_0..OP_16 and one push of 2..40 bytes.
 *
 * @example
 * ```ts
 * import { isWitnessProgram } from '@zrkit/relayer-bitcoin'
 * isWitnessProgram(p2trScript) // true
 * ```
 */
export function isWitnessProgram(script: Uint8Array): boolean {
  const v = script[0]
  return script.length >= 4 && script.length <= 42 && script[1] === script.length - 2 && (v === 0x00 || (v !== undefined && v >= 0x51 && v <= 0x60))
}

/**
 * The smallest value an output paying to `script` may carry and still be relayed: Bitcoin Core's
 * dust threshold, the cost of creating and later spending the output at the dust relay fee rate
 * (3 sat/vB by default): 294 sat for P2WPKH, 330 for P2TR and P2WSH, 546 for P2PKH, 540 for P2SH.
 * OP_RETURN outputs are unspendable and have no threshold (0).
 *
 * @example
 * ```ts
 * import { dustThreshold } from '@zrkit/relayer-bitcoin'
 * dustThreshold(p2wpkhScript) // 294n
 * ```
 */
export function dustThreshold(script: Uint8Array, dustRelayFeeRate: number = DEFAULT_DUST_RELAY_FEE_RATE): bigint {
  if (script[0] === 0x6a) return 0n
  const spend = isWitnessProgram(script) ? 32 + 4 + 1 + Math.floor(107 / 4) + 4 : 32 + 4 + 1 + 107 + 4
  return feeFor(outputSize(script) + spend, dustRelayFeeRate)
}

/** Checks a fee rate in sat/vB: a finite number, at least 0.001 and at most `max`. */
export function checkFeeRate(feeRate: unknown, what: string, max: number): number {
  if (typeof feeRate !== 'number' || !Number.isFinite(feeRate) || feeRate < 0.001 || feeRate > max) {
    throw new ZrError('INVALID_INPUT', 'Invalid fee rate.', { details: `${what}: expected a fee rate in sat/vB from 0.001 to ${max}, got ${String(feeRate)}` })
  }
  return feeRate
}
