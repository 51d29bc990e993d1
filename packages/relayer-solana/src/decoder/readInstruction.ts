import { type InstructionReading, type InstructionView, opaqueCall } from './instructionReading.js'
import type { SolanaMessage } from './parseSolanaMessage.js'
import { COMPUTE_BUDGET_PROGRAM, SYSTEM_PROGRAM, isTokenProgram } from './programs.js'
import { readComputeBudgetInstruction } from './readComputeBudgetInstruction.js'
import { readSystemInstruction } from './readSystemInstruction.js'
import { readTokenInstruction } from './readTokenInstruction.js'

/**
 * The view of instruction `index` of a parsed message: its program (always a static key) and its
 * accounts, `null` for each address loaded from a lookup table.
 *
 * @example
 * ```ts
 * import { instructionView } from './readInstruction.js'
 * instructionView(message, 0).accounts // ['4Nd1...', null]: the recipient comes from a lookup table
 * ```
 */
export function instructionView(message: SolanaMessage, index: number): InstructionView {
  const ix = message.instructions[index]!
  const keys = message.staticAccountKeys
  return { index, programId: keys[ix.programIdIndex]!, accounts: ix.accountIndexes.map((a) => keys[a] ?? null), data: ix.data }
}

/**
 * What an instruction does for the signing `key` (base58): the System program, Compute Budget and SPL
 * Token / Token-2022 readers; any other program's instruction is a call.
 *
 * @example
 * ```ts
 * import { instructionView, readInstruction } from './readInstruction.js'
 * readInstruction(instructionView(message, 1), key) // { kind: 'transfer', transfer: { kind: 'transfer', asset: 'native', to, amount: 10n ** 7n } }
 * ```
 */
export function readInstruction(ix: InstructionView, key: string): InstructionReading {
  if (ix.programId === SYSTEM_PROGRAM) return readSystemInstruction(ix, key)
  if (ix.programId === COMPUTE_BUDGET_PROGRAM) return readComputeBudgetInstruction(ix)
  if (isTokenProgram(ix.programId)) return readTokenInstruction(ix, key)
  return opaqueCall(ix)
}
