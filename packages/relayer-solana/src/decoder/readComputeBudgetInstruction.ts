import { type InstructionReading, type InstructionView, opaqueCall } from './instructionReading.js'
import { invalidTransaction } from './invalidTransaction.js'
import { readU32LE, readU64LE } from './littleEndian.js'

const SET_COMPUTE_UNIT_LIMIT = 2
const SET_COMPUTE_UNIT_PRICE = 3

/**
 * Reads a Compute Budget instruction: `SetComputeUnitLimit` (2, u32 units) and `SetComputeUnitPrice`
 * (3, u64 micro-lamports per unit) are the priority fee's parts and have no other effect. Their data must
 * be exactly 5 and 9 bytes: the runtime reads the value from a longer one too (it ignores what follows),
 * so anything but the exact length is refused rather than read as an unknown call that would hide a fee.
 * Other Compute Budget instructions (heap frame, loaded data size) are calls.
 *
 * @example
 * ```ts
 * import { readComputeBudgetInstruction } from './readComputeBudgetInstruction.js'
 * readComputeBudgetInstruction({ index: 0, programId: COMPUTE_BUDGET_PROGRAM, accounts: [], data: new Uint8Array([3, 16, 39, 0, 0, 0, 0, 0, 0]) })
 * // { kind: 'computeUnitPrice', microLamports: 10_000n }
 * ```
 */
export function readComputeBudgetInstruction(ix: InstructionView): InstructionReading {
  const { data } = ix
  if (data[0] === SET_COMPUTE_UNIT_LIMIT) {
    if (data.length !== 5) throw invalidTransaction('instructions', `instruction ${ix.index} (SetComputeUnitLimit) to have 5 bytes of data`, `${data.length} bytes`)
    return { kind: 'computeUnitLimit', units: readU32LE(data, 1) }
  }
  if (data[0] === SET_COMPUTE_UNIT_PRICE) {
    if (data.length !== 9) throw invalidTransaction('instructions', `instruction ${ix.index} (SetComputeUnitPrice) to have 9 bytes of data`, `${data.length} bytes`)
    return { kind: 'computeUnitPrice', microLamports: readU64LE(data, 1) }
  }
  return opaqueCall(ix)
}
