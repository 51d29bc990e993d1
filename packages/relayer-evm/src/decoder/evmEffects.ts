import { bytesToHex } from '@noble/hashes/utils.js'
import type { TransactionCall, TransactionTransfer } from '@zrkit/core'

/**
 * What a transaction does, as far as the decoder can tell: transfers it understands, calls it cannot read.
 *
 * @example
 * ```ts
 * import type { EvmEffects } from './evmEffects.js'
 * const none: EvmEffects = { transfers: [], calls: [{ to: 'create', value: 0n }] }
 * ```
 */
export type EvmEffects = { readonly transfers: readonly TransactionTransfer[]; readonly calls: readonly TransactionCall[] }

/** The selectors (hex, no 0x) of the ERC-20 functions read as transfers and approvals. */
const TRANSFER = 'a9059cbb' // transfer(address,uint256)
const TRANSFER_FROM = '23b872dd' // transferFrom(address,address,uint256)
const APPROVE = '095ea7b3' // approve(address,uint256)

/**
 * The effects of a transaction from `to` (lower-case hex, `undefined` for a contract creation), `value`
 * and `data`, by what the decoder can read:
 *
 * - no data and a recipient: a native transfer of `value` to it (also of 0);
 * - no value and data that is exactly an ERC-20 `transfer(address,uint256)`, `transferFrom(address,address,uint256)`
 *   or `approve(address,uint256)` call (4-byte selector, then 32-byte words, each address word with 12 zero
 *   bytes first): that token transfer or approval, with `asset` the token contract `to`;
 * - anything else is a call it cannot read: `{ to, selector, value }`, with `to: 'create'` and no selector for
 *   a contract creation (init code has no selector), no selector when the data is shorter than 4 bytes, and the
 *   value the call carries. A token call with value, or with a byte more or a dirty address word, is a call.
 *
 * @example
 * ```ts
 * import { evmEffects } from './evmEffects.js'
 * evmEffects({ to: '0x70997970c51812dc3a010c7d01b50e0d17dc79c8', value: 5n, data: new Uint8Array() })
 * // { transfers: [{ kind: 'transfer', asset: 'native', to: '0x70997970c51812dc3a010c7d01b50e0d17dc79c8', amount: 5n }], calls: [] }
 * evmEffects({ to: undefined, value: 0n, data: initCode })
 * // { transfers: [], calls: [{ to: 'create', value: 0n }] }
 * ```
 */
export function evmEffects(tx: { readonly to: `0x${string}` | undefined; readonly value: bigint; readonly data: Uint8Array }): EvmEffects {
  const { to, value, data } = tx
  if (to === undefined) return { transfers: [], calls: [{ to: 'create', value }] }
  if (data.length === 0) return { transfers: [{ kind: 'transfer', asset: 'native', to, amount: value }], calls: [] }
  const token = value === 0n ? erc20Effect(to, data) : undefined
  if (token) return { transfers: [token], calls: [] }
  return { transfers: [], calls: [data.length >= 4 ? { to, selector: `0x${bytesToHex(data.subarray(0, 4))}`, value } : { to, value }] }
}

/** The ERC-20 transfer or approval that `data` is exactly, or `undefined`. */
function erc20Effect(asset: string, data: Uint8Array): TransactionTransfer | undefined {
  const selector = bytesToHex(data.subarray(0, 4))
  if (selector === TRANSFER || selector === APPROVE) {
    if (data.length !== 4 + 2 * 32) return undefined
    const to = addressWord(data, 0)
    if (to === undefined) return undefined
    return { kind: selector === TRANSFER ? 'transfer' : 'approve', asset, to, amount: uintWord(data, 1) }
  }
  if (selector === TRANSFER_FROM) {
    if (data.length !== 4 + 3 * 32) return undefined
    const from = addressWord(data, 0)
    const to = addressWord(data, 1)
    if (from === undefined || to === undefined) return undefined
    return { kind: 'transfer', asset, from, to, amount: uintWord(data, 2) }
  }
  return undefined
}

/** Argument `i` as an address: 12 zero bytes, then 20 bytes; `undefined` when the high bytes are not zero. */
function addressWord(data: Uint8Array, i: number): `0x${string}` | undefined {
  const word = data.subarray(4 + 32 * i, 4 + 32 * (i + 1))
  for (let j = 0; j < 12; j++) if (word[j] !== 0) return undefined
  return `0x${bytesToHex(word.subarray(12))}`
}

function uintWord(data: Uint8Array, i: number): bigint {
  return BigInt(`0x${bytesToHex(data.subarray(4 + 32 * i, 4 + 32 * (i + 1)))}`)
}
