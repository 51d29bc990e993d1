import type { TransactionCall, TransactionTransfer } from '@zrkit/core'

/**
 * One instruction as the program readers see it: its program, its accounts (base58, or `null` for an
 * address loaded from a lookup table, which the message does not carry), its data and its position.
 *
 * @example
 * ```ts
 * import type { InstructionView } from './instructionReading.js'
 * const ix: InstructionView = { index: 0, programId: '11111111111111111111111111111111', accounts: [key, null], data }
 * ```
 */
export type InstructionView = {
  readonly index: number
  readonly programId: string
  readonly accounts: readonly (string | null)[]
  readonly data: Uint8Array
}

/**
 * What one instruction does, as far as the decoder can tell:
 * - `transfer`: value leaving the key (a `TransactionTransfer`);
 * - `call`: an effect the decoder cannot tell (policies deny these by default);
 * - `none`: nothing leaves the key (a transfer from the key to itself);
 * - `nonce`: the first instruction advances a durable nonce (moves no value);
 * - `computeUnitLimit`, `computeUnitPrice`: the priority fee's parts.
 *
 * @example
 * ```ts
 * import type { InstructionReading } from './instructionReading.js'
 * const reading: InstructionReading = { kind: 'computeUnitPrice', microLamports: 10_000n }
 * ```
 */
export type InstructionReading =
  | { readonly kind: 'transfer'; readonly transfer: TransactionTransfer }
  | { readonly kind: 'call'; readonly call: TransactionCall }
  | { readonly kind: 'none' }
  | { readonly kind: 'nonce'; readonly nonceAccount: string; readonly authority: string }
  | { readonly kind: 'computeUnitLimit'; readonly units: number }
  | { readonly kind: 'computeUnitPrice'; readonly microLamports: bigint }

/**
 * The opaque reading of an instruction: a call to its program, the first data byte as the selector
 * (two hex digits; none for empty data), and `value` the lamports it is known to move from an account
 * the key signs for (0 when unknown or none).
 *
 * @example
 * ```ts
 * import { opaqueCall } from './instructionReading.js'
 * opaqueCall({ index: 0, programId: 'ComputeBudget111111111111111111111111111111', accounts: [], data: new Uint8Array([1, 0, 0, 1, 0]) })
 * // { kind: 'call', call: { to: 'ComputeBudget111111111111111111111111111111', selector: '01', value: 0n } }
 * ```
 */
export function opaqueCall(ix: InstructionView, value = 0n): InstructionReading {
  const first = ix.data[0]
  const call: TransactionCall = first === undefined ? { to: ix.programId, value } : { to: ix.programId, selector: first.toString(16).padStart(2, '0'), value }
  return { kind: 'call', call }
}
