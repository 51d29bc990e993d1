import { type InstructionReading, type InstructionView, opaqueCall } from './instructionReading.js'
import { readU64LE } from './littleEndian.js'

/** SPL Token instruction tags (the first data byte). */
const TRANSFER_CHECKED = 12
const APPROVE_CHECKED = 13

/**
 * Reads an SPL Token or Token-2022 instruction for `key`:
 *
 * - `TransferChecked` (12: u64 amount, u8 decimals; accounts source, mint, destination, authority) with
 *   the key as authority: a transfer of `amount` base units of the mint to the destination token account;
 * - `ApproveChecked` (13: the same data; accounts source, mint, delegate, owner) with the key as owner:
 *   an approval of the delegate for `amount` of the mint.
 *
 * Everything else is a call. That includes plain `Transfer` (3) and `Approve` (4): they do not name the
 * mint, and the ledger cannot read the source account to learn it, so the asset is unknown and a policy
 * on `tx.token` could not judge them. It also includes data of another length than the documented 10
 * bytes, another authority (a delegate's multisig, another signer), and any of the accounts above loaded
 * from a lookup table (its address is not in the message). The decimals byte is not reported: the token
 * program refuses the instruction unless it is the mint's.
 *
 * @example
 * ```ts
 * import { readTokenInstruction } from './readTokenInstruction.js'
 * readTokenInstruction({ index: 1, programId: TOKEN_PROGRAM, accounts: [source, mint, destination, key], data }, key)
 * // { kind: 'transfer', transfer: { kind: 'transfer', asset: mint, to: destination, amount: 1_500_000n } }
 * ```
 */
export function readTokenInstruction(ix: InstructionView, key: string): InstructionReading {
  const { data, accounts } = ix
  const tag = data[0]
  if ((tag !== TRANSFER_CHECKED && tag !== APPROVE_CHECKED) || data.length !== 10 || accounts.length < 4) return opaqueCall(ix)
  const [source, mint, to, authority] = accounts
  if (authority !== key || source == null || mint == null || to == null) return opaqueCall(ix)
  return { kind: 'transfer', transfer: { kind: tag === TRANSFER_CHECKED ? 'transfer' : 'approve', asset: mint, to, amount: readU64LE(data, 1) } }
}
