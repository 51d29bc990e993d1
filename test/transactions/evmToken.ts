/**
 * A minimal ERC-20 token for the EVM suites, assembled by hand (no compiler): `transfer(address,uint256)`
 * and `balanceOf(address)`, balances in the storage slot named by the holder's address, no events. Its
 * constructor takes `(holder, supply)` and gives the whole supply to `holder`. Enough for a chain to move
 * tokens as the ledger's decoder reads them: `transfer` with the exact ABI layout.
 */
import { type Hex, bytesToHex, concat } from 'viem'

export const tokenAbi = [
  { type: 'constructor', inputs: [{ name: 'holder', type: 'address' }, { name: 'supply', type: 'uint256' }], stateMutability: 'nonpayable' },
  { type: 'function', name: 'transfer', inputs: [{ name: 'to', type: 'address' }, { name: 'amount', type: 'uint256' }], outputs: [{ name: '', type: 'bool' }], stateMutability: 'nonpayable' },
  { type: 'function', name: 'balanceOf', inputs: [{ name: 'holder', type: 'address' }], outputs: [{ name: '', type: 'uint256' }], stateMutability: 'view' },
] as const

/** Opcodes used below. */
const op = {
  ADD: 0x01, SUB: 0x03, LT: 0x10, EQ: 0x14, SHR: 0x1c, CALLER: 0x33, CALLDATALOAD: 0x35, CODESIZE: 0x38,
  CODECOPY: 0x39, POP: 0x50, MLOAD: 0x51, MSTORE: 0x52, SLOAD: 0x54, SSTORE: 0x55, JUMPI: 0x57, JUMPDEST: 0x5b,
  PUSH1: 0x60, PUSH4: 0x63, DUP1: 0x80, DUP2: 0x81, DUP3: 0x82, SWAP1: 0x90, RETURN: 0xf3, REVERT: 0xfd,
} as const

type Item = number | { push: number; size?: number } | { label: string } | { jumpIf: string }

/** Assembles opcodes, pushes (big-endian, `size` bytes) and labels (JUMPDEST); `jumpIf` is `PUSH1 <label> JUMPI` (labels below 256). */
function assemble(items: readonly Item[]): Uint8Array {
  const size = (i: Item) => (typeof i === 'number' ? 1 : 'push' in i ? 1 + (i.size ?? 1) : 'label' in i ? 1 : 3)
  const labels = new Map<string, number>()
  let at = 0
  for (const i of items) {
    if (typeof i === 'object' && 'label' in i) labels.set(i.label, at)
    at += size(i)
  }
  const out: number[] = []
  for (const i of items) {
    if (typeof i === 'number') out.push(i)
    else if ('label' in i) out.push(op.JUMPDEST)
    else if ('push' in i) {
      const n = i.size ?? 1
      out.push(op.PUSH1 + n - 1, ...Array.from({ length: n }, (_, k) => Math.floor(i.push / 256 ** (n - 1 - k)) % 256))
    } else {
      const target = labels.get(i.jumpIf)
      if (target === undefined || target > 255) throw new Error(`label ${i.jumpIf}: expected a label below 256, got ${target}`)
      out.push(op.PUSH1, target, op.JUMPI)
    }
  }
  return Uint8Array.from(out)
}

const runtime = assemble([
  // selector = calldataload(0) >> 224
  { push: 0 }, op.CALLDATALOAD, { push: 0xe0 }, op.SHR,
  op.DUP1, { push: 0xa9059cbb, size: 4 }, op.EQ, { jumpIf: 'transfer' },
  op.DUP1, { push: 0x70a08231, size: 4 }, op.EQ, { jumpIf: 'balanceOf' },
  { label: 'fail' }, { push: 0 }, op.DUP1, op.REVERT,
  // balanceOf(holder): return sload(holder)
  { label: 'balanceOf' }, { push: 4 }, op.CALLDATALOAD, op.SLOAD, { push: 0 }, op.MSTORE, { push: 32 }, { push: 0 }, op.RETURN,
  // transfer(to, amount): revert unless balance[caller] >= amount; move it; return true
  { label: 'transfer' }, { push: 0x24 }, op.CALLDATALOAD, //           amount
  op.CALLER, op.SLOAD, //                                               amount, balance
  op.DUP2, op.DUP2, op.LT, { jumpIf: 'fail' }, //           balance < amount: fail
  op.DUP2, op.SWAP1, op.SUB, op.CALLER, op.SSTORE, //                   balance[caller] -= amount
  { push: 4 }, op.CALLDATALOAD, op.DUP1, op.SLOAD, op.DUP3, op.ADD, //  amount, to, balance[to] + amount
  op.SWAP1, op.SSTORE, op.POP, //                                       balance[to] += amount
  { push: 1 }, { push: 0 }, op.MSTORE, { push: 32 }, { push: 0 }, op.RETURN,
])

// Constructor: (holder, supply) are the last 64 bytes of the code; sstore(holder, supply); return the runtime.
const constructorCode = (runtimeAt: number) =>
  assemble([
    { push: 64 }, op.DUP1, op.CODESIZE, op.SUB, { push: 0 }, op.CODECOPY, // memory[0..64] = (holder, supply)
    { push: 32 }, op.MLOAD, { push: 0 }, op.MLOAD, op.SSTORE, //           sstore(holder, supply)
    { push: runtime.length }, op.DUP1, { push: runtimeAt }, { push: 0 }, op.CODECOPY, { push: 0 }, op.RETURN,
  ])

const constructorLength = constructorCode(0).length

/** The token's deployment bytecode (constructor, then runtime); viem appends the ABI-encoded arguments. */
export const tokenBytecode: Hex = concat([bytesToHex(constructorCode(constructorLength)), bytesToHex(runtime)])
/** The code the chain keeps for a deployed token. */
export const tokenRuntime: Hex = bytesToHex(runtime)
