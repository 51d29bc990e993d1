import { type InstructionReading, type InstructionView, opaqueCall } from './instructionReading.js'
import { readU32LE, readU64LE } from './littleEndian.js'

/** System program instruction tags (bincode: a u32 little-endian enum index). */
const CREATE_ACCOUNT = 0
const TRANSFER = 2
const CREATE_ACCOUNT_WITH_SEED = 3
const ADVANCE_NONCE_ACCOUNT = 4
const TRANSFER_WITH_SEED = 11

/**
 * Lamports moving from `from` to `to`, authorised by `signer` (the payer itself, or the base of a seeded
 * account): a native transfer when the key is the signer and both addresses are known (with `from` set
 * when the lamports leave another account than the key's); nothing when `to` is the key itself;
 * otherwise a call, whose value is the lamports when the key signs for them, so a value limit still
 * counts them.
 */
function nativeTransfer(ix: InstructionView, key: string, signer: string | null, from: string | null, to: string | null, lamports: bigint): InstructionReading {
  if (signer !== key || from === null) return opaqueCall(ix, signer === key ? lamports : 0n)
  if (to === null) return opaqueCall(ix, lamports)
  if (to === key) return { kind: 'none' }
  return { kind: 'transfer', transfer: from === key ? { kind: 'transfer', asset: 'native', to, amount: lamports } : { kind: 'transfer', asset: 'native', to, amount: lamports, from } }
}

/** The byte length of a bincode string (u64 length prefix) at `offset`, or -1 when it cannot fit. */
function seedLength(data: Uint8Array, offset: number): number {
  if (data.length < offset + 8) return -1
  const n = readU64LE(data, offset)
  return n <= BigInt(data.length) ? Number(n) : -1
}

/**
 * Reads a System program instruction for `key`, whose data must have exactly its documented length
 * (anything else is a call, as is every tag not listed):
 *
 * - `Transfer` (2: u32 tag, u64 lamports; accounts from, to) and `CreateAccount` (0: tag, u64 lamports,
 *   u64 space, owner; accounts funder, new account): a native transfer when the key pays, to the
 *   recipient or the new account;
 * - `CreateAccountWithSeed` (3) likewise, `TransferWithSeed` (11: from an account derived from the key,
 *   which signs as its base) as a transfer with `from` the derived account;
 * - `AdvanceNonceAccount` (4) as the first instruction, with a static nonce account and authority: the
 *   transaction's durable nonce; it moves no value, so it is neither a transfer nor a call.
 *
 * An address loaded from a lookup table in any of these places makes the instruction a call.
 *
 * @example
 * ```ts
 * import { readSystemInstruction } from './readSystemInstruction.js'
 * const data = new Uint8Array(12); data[0] = 2; data[4] = 100
 * readSystemInstruction({ index: 0, programId: '11111111111111111111111111111111', accounts: [key, bob], data }, key)
 * // { kind: 'transfer', transfer: { kind: 'transfer', asset: 'native', to: bob, amount: 100n } }
 * ```
 */
export function readSystemInstruction(ix: InstructionView, key: string): InstructionReading {
  const { data, accounts } = ix
  if (data.length < 4) return opaqueCall(ix)
  const account = (i: number) => accounts[i] ?? null
  switch (readU32LE(data, 0)) {
    case TRANSFER:
      if (data.length === 12 && accounts.length >= 2) return nativeTransfer(ix, key, account(0), account(0), account(1), readU64LE(data, 4))
      break
    case CREATE_ACCOUNT:
      if (data.length === 52 && accounts.length >= 2) return nativeTransfer(ix, key, account(0), account(0), account(1), readU64LE(data, 4))
      break
    case CREATE_ACCOUNT_WITH_SEED: {
      // tag, base (32), seed (u64 length + bytes), lamports, space, owner (32)
      const n = seedLength(data, 36)
      if (n >= 0 && data.length === 92 + n && accounts.length >= 2) return nativeTransfer(ix, key, account(0), account(0), account(1), readU64LE(data, 44 + n))
      break
    }
    case TRANSFER_WITH_SEED: {
      // tag, lamports, seed (u64 length + bytes), owner (32); accounts: derived source, base (signs), recipient
      const n = seedLength(data, 12)
      if (n >= 0 && data.length === 52 + n && accounts.length >= 3) return nativeTransfer(ix, key, account(1), account(0), account(2), readU64LE(data, 4))
      break
    }
    case ADVANCE_NONCE_ACCOUNT: {
      const nonceAccount = account(0)
      const authority = account(2)
      if (ix.index === 0 && data.length === 4 && accounts.length >= 3 && nonceAccount !== null && authority !== null) return { kind: 'nonce', nonceAccount, authority }
      break
    }
  }
  return opaqueCall(ix)
}
