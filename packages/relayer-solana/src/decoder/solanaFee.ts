/**
 * Lamports per signature: the fixed base fee of every Solana cluster.
 *
 * @example
 * ```ts
 * import { DEFAULT_UNITS_PER_INSTRUCTION, LAMPORTS_PER_SIGNATURE, MAX_COMPUTE_UNIT_LIMIT } from './solanaFee.js'
 * LAMPORTS_PER_SIGNATURE * 2n // the base fee of a message with two signers
 * Math.min(DEFAULT_UNITS_PER_INSTRUCTION * 3, MAX_COMPUTE_UNIT_LIMIT) // 600 000 units for three instructions
 * ```
 */
export const LAMPORTS_PER_SIGNATURE = 5000n
/** The compute units a transaction gets per instruction (other than Compute Budget ones) without a limit. */
export const DEFAULT_UNITS_PER_INSTRUCTION = 200_000
/** The most compute units a transaction can have; a higher limit is lowered to this by the runtime. */
export const MAX_COMPUTE_UNIT_LIMIT = 1_400_000

/**
 * What the fee of a Solana transaction depends on.
 *
 * @example
 * ```ts
 * import type { SolanaFeeParameters } from './solanaFee.js'
 * const params: SolanaFeeParameters = { signatures: 1, computeUnitLimit: 300_000, computeUnitPrice: 10_000n, otherInstructions: 2 }
 * ```
 */
export type SolanaFeeParameters = {
  /** The message's required signatures plus those its signature precompile instructions verify. */
  readonly signatures: number
  /** The `SetComputeUnitLimit` value, if the message sets one. */
  readonly computeUnitLimit: number | undefined
  /** The `SetComputeUnitPrice` value in micro-lamports per unit, if the message sets one. */
  readonly computeUnitPrice: bigint | undefined
  /** Instructions of programs other than Compute Budget. */
  readonly otherInstructions: number
}

/**
 * The most a Solana transaction can pay in fees, in lamports:
 *
 * `5000 * signatures + ceil(units * price / 1_000_000)`
 *
 * where `signatures` counts the message's required signatures and the signatures its ed25519, secp256k1
 * and secp256r1 precompile instructions verify (charged alike), `price` is the `SetComputeUnitPrice`
 * value (micro-lamports per unit, 0 when unset), and `units` the `SetComputeUnitLimit` value or, when
 * unset, 200 000 per instruction that is not a Compute Budget one, either way at most 1 400 000 (what the
 * runtime allows). The runtime charges the priority fee on the requested limit, not on the units used,
 * so this is what the fee payer is charged; a default limit can only overstate it (the runtime gives
 * built-in programs fewer units).
 *
 * @example
 * ```ts
 * import { solanaFee } from './solanaFee.js'
 * solanaFee({ signatures: 1, computeUnitLimit: 300_000, computeUnitPrice: 10_000n, otherInstructions: 1 }) // 5000n + 3000n
 * solanaFee({ signatures: 2, computeUnitLimit: undefined, computeUnitPrice: undefined, otherInstructions: 3 }) // 10_000n
 * ```
 */
export function solanaFee(params: SolanaFeeParameters): bigint {
  const requested = params.computeUnitLimit ?? DEFAULT_UNITS_PER_INSTRUCTION * params.otherInstructions
  const units = BigInt(Math.min(requested, MAX_COMPUTE_UNIT_LIMIT))
  const price = params.computeUnitPrice ?? 0n
  const priority = (units * price + 999_999n) / 1_000_000n
  return LAMPORTS_PER_SIGNATURE * BigInt(params.signatures) + priority
}
