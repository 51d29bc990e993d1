import { bytesToHex } from '@noble/hashes/utils.js'
import { hexPreview, invalidTransaction } from './invalidTransaction.js'
import { decodeRlp, type RlpItem } from './rlp.js'

/**
 * The largest unsigned transaction the decoder reads: 64 KiB (a block's worth of calldata is far more, but a
 * transaction a policy can judge and an approver can read is far less).
 *
 * @example
 * ```ts
 * import { MAX_TRANSACTION_BYTES } from './parseEvmTransaction.js'
 * if (bytes.length > MAX_TRANSACTION_BYTES) console.log('refused before it is read')
 * ```
 */
export const MAX_TRANSACTION_BYTES = 64 * 1024

/**
 * The transaction formats the decoder reads, by their viem names.
 *
 * @example
 * ```ts
 * import type { EvmTransactionFormat } from './parseEvmTransaction.js'
 * const format: EvmTransactionFormat = 'eip1559'
 * ```
 */
export type EvmTransactionFormat = 'legacy' | 'eip2930' | 'eip1559'

/**
 * One entry of an EIP-2930 access list, in lower-case hex.
 *
 * @example
 * ```ts
 * import type { EvmAccessListEntry } from './parseEvmTransaction.js'
 * const entry: EvmAccessListEntry = { address: '0x70997970c51812dc3a010c7d01b50e0d17dc79c8', storageKeys: [`0x${'00'.repeat(32)}`] }
 * ```
 */
export type EvmAccessListEntry = { readonly address: `0x${string}`; readonly storageKeys: readonly `0x${string}`[] }

/**
 * An unsigned EVM transaction as {@link parseEvmTransaction} read it. Addresses are lower-case hex; `to` is
 * `undefined` for a contract creation. Legacy and EIP-2930 transactions have `gasPrice`; EIP-1559 ones
 * `maxFeePerGas` and `maxPriorityFeePerGas`.
 *
 * @example
 * ```ts
 * import type { EvmUnsignedTransaction } from './parseEvmTransaction.js'
 * const feeCap = (tx: EvmUnsignedTransaction) => (tx.format === 'eip1559' ? tx.maxFeePerGas : tx.gasPrice)
 * ```
 */
export type EvmUnsignedTransaction = {
  readonly chainId: bigint
  readonly nonce: bigint
  readonly gas: bigint
  readonly to: `0x${string}` | undefined
  readonly value: bigint
  readonly data: Uint8Array
  /** Empty for a legacy transaction. */
  readonly accessList: readonly EvmAccessListEntry[]
} & (
  | { readonly format: 'legacy' | 'eip2930'; readonly gasPrice: bigint }
  | { readonly format: 'eip1559'; readonly maxFeePerGas: bigint; readonly maxPriorityFeePerGas: bigint }
)

/** 2^64 - 1: the largest chain id (EIP-2294) and the nonce no account reaches (EIP-2681). */
const MAX_UINT64 = 2n ** 64n - 1n

/** Types the decoder knows but does not read, with what they are. */
const unsupportedTypes: Readonly<Record<number, string>> = { 3: 'EIP-4844 blob transaction', 4: 'EIP-7702 set-code transaction' }

const SUPPORTED = 'a legacy EIP-155 transaction (an RLP list), type 0x01 (EIP-2930) or type 0x02 (EIP-1559)'

/**
 * Reads an unsigned EVM transaction exactly as it is signed (and as viem's `serializeTransaction` writes
 * it without a signature):
 *
 * - legacy with its EIP-155 chain id: `rlp([nonce, gasPrice, gas, to, value, data, chainId, 0, 0])`;
 * - EIP-2930: `0x01 || rlp([chainId, nonce, gasPrice, gas, to, value, data, accessList])`;
 * - EIP-1559: `0x02 || rlp([chainId, nonce, maxPriorityFeePerGas, maxFeePerGas, gas, to, value, data, accessList])`.
 *
 * Strict: canonical RLP only ({@link decodeRlp}), integers of at most 32 bytes without leading zeros, `to`
 * 20 bytes or empty (contract creation), a well-formed access list, a chain id in 1..2^64-1 (EIP-2294),
 * a nonce below 2^64-1 (EIP-2681), a priority fee no higher than the fee cap, at most 64 KiB. Refuses
 * pre-EIP-155 legacy transactions (no chain id: valid on every chain), signed transactions, and types 0x03
 * (EIP-4844) and 0x04 (EIP-7702). Every refusal is an `INVALID_TRANSACTION` ZrError.
 *
 * @example
 * ```ts
 * import { parseEvmTransaction } from './parseEvmTransaction.js'
 * import { hexToBytes, parseEther, serializeTransaction } from 'viem'
 *
 * const bytes = hexToBytes(serializeTransaction({ chainId: 1, nonce: 7, gas: 21_000n, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 10n ** 9n, to: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', value: parseEther('0.1') }))
 * const tx = parseEvmTransaction(bytes)
 * tx.format // 'eip1559'
 * tx.to     // '0x70997970c51812dc3a010c7d01b50e0d17dc79c8'
 * ```
 */
export function parseEvmTransaction(bytes: Uint8Array): EvmUnsignedTransaction {
  if (bytes.length === 0) throw invalidTransaction(SUPPORTED, '0 bytes', 'type')
  if (bytes.length > MAX_TRANSACTION_BYTES) throw invalidTransaction(`at most ${MAX_TRANSACTION_BYTES} bytes`, `${bytes.length} bytes`, 'unsignedTransaction')
  const first = bytes[0] as number
  if (first >= 0xc0) return parseLegacy(fields(decodeRlp(bytes, 0, 4)))
  if (first === 0x01 || first === 0x02) {
    const items = decodeRlp(bytes, 1, 4)
    if (items instanceof Uint8Array) throw invalidTransaction('an RLP list after the type byte', `an RLP string of ${items.length} bytes`, 'rlp')
    return first === 0x01 ? parseEip2930(items) : parseEip1559(items)
  }
  const type = `0x${first.toString(16).padStart(2, '0')}`
  if (first >= 0x80) throw invalidTransaction(SUPPORTED, `an RLP string (first byte ${type})`, 'type')
  throw invalidTransaction(SUPPORTED, `type ${type} (${unsupportedTypes[first] ?? 'unknown type'})`, 'type')
}

function fields(item: RlpItem): readonly RlpItem[] {
  if (item instanceof Uint8Array) throw invalidTransaction('an RLP list', `an RLP string of ${item.length} bytes`, 'rlp')
  return item
}

function parseLegacy(items: readonly RlpItem[]): EvmUnsignedTransaction {
  if (items.length === 6) throw invalidTransaction('9 fields (a legacy transaction with its EIP-155 chain id)', '6 fields (a pre-EIP-155 legacy transaction: it has no chain id and is valid on every chain)', 'chainId')
  count(items, 9, 'a legacy EIP-155 transaction')
  const chainId = readChainId(items[6])
  for (const [i, name] of [[7, 'r'], [8, 's']] as const) {
    const v = uint(items[i], name)
    if (v !== 0n) throw invalidTransaction(`${name} = 0 in an unsigned EIP-155 transaction`, `${v}`, name)
  }
  return {
    format: 'legacy',
    chainId,
    nonce: readNonce(items[0]),
    gasPrice: uint(items[1], 'gasPrice'),
    gas: uint(items[2], 'gas'),
    to: readTo(items[3]),
    value: uint(items[4], 'value'),
    data: byteString(items[5], 'data'),
    accessList: [],
  }
}

function parseEip2930(items: readonly RlpItem[]): EvmUnsignedTransaction {
  count(items, 8, 'an EIP-2930 transaction')
  return {
    format: 'eip2930',
    chainId: readChainId(items[0]),
    nonce: readNonce(items[1]),
    gasPrice: uint(items[2], 'gasPrice'),
    gas: uint(items[3], 'gas'),
    to: readTo(items[4]),
    value: uint(items[5], 'value'),
    data: byteString(items[6], 'data'),
    accessList: readAccessList(items[7]),
  }
}

function parseEip1559(items: readonly RlpItem[]): EvmUnsignedTransaction {
  count(items, 9, 'an EIP-1559 transaction')
  const maxPriorityFeePerGas = uint(items[2], 'maxPriorityFeePerGas')
  const maxFeePerGas = uint(items[3], 'maxFeePerGas')
  if (maxPriorityFeePerGas > maxFeePerGas) {
    throw invalidTransaction(`maxPriorityFeePerGas at most maxFeePerGas (${maxFeePerGas})`, `${maxPriorityFeePerGas}`, 'maxPriorityFeePerGas')
  }
  return {
    format: 'eip1559',
    chainId: readChainId(items[0]),
    nonce: readNonce(items[1]),
    maxPriorityFeePerGas,
    maxFeePerGas,
    gas: uint(items[4], 'gas'),
    to: readTo(items[5]),
    value: uint(items[6], 'value'),
    data: byteString(items[7], 'data'),
    accessList: readAccessList(items[8]),
  }
}

function count(items: readonly RlpItem[], n: number, what: string): void {
  if (items.length === n) return
  // A signed transaction has the three signature fields more.
  const signed = items.length === n + 3 ? ' (a signed transaction; send it unsigned)' : ''
  throw invalidTransaction(`${n} fields in ${what}`, `${items.length} fields${signed}`, 'rlp')
}

function byteString(item: RlpItem | undefined, field: string): Uint8Array {
  if (item instanceof Uint8Array) return item
  throw invalidTransaction(`${field} as an RLP string`, `a list of ${item?.length ?? 0} items`, field)
}

/** A canonical big-endian unsigned integer of at most 32 bytes (zero is the empty string). */
function uint(item: RlpItem | undefined, field: string): bigint {
  const b = byteString(item, field)
  if (b.length > 32) throw invalidTransaction(`${field} of at most 32 bytes`, `${b.length} bytes`, field)
  if (b[0] === 0) throw invalidTransaction(`${field} without leading zero bytes (canonical RLP integer)`, hexPreview(b), field)
  return b.length === 0 ? 0n : BigInt(`0x${bytesToHex(b)}`)
}

function readChainId(item: RlpItem | undefined): bigint {
  const chainId = uint(item, 'chainId')
  if (chainId < 1n || chainId > MAX_UINT64) throw invalidTransaction('a chain id in 1..2^64-1 (EIP-155, EIP-2294)', `${chainId}`, 'chainId')
  return chainId
}

function readNonce(item: RlpItem | undefined): bigint {
  const nonce = uint(item, 'nonce')
  if (nonce >= MAX_UINT64) throw invalidTransaction('a nonce below 2^64-1 (EIP-2681)', `${nonce}`, 'nonce')
  return nonce
}

/** 20 bytes, or the empty string of a contract creation (`undefined`). */
function readTo(item: RlpItem | undefined): `0x${string}` | undefined {
  const b = byteString(item, 'to')
  if (b.length === 0) return undefined
  return address(b, 'to of 20 bytes (or empty for a contract creation)', 'to')
}

function address(b: Uint8Array, expected: string, field: string): `0x${string}` {
  if (b.length !== 20) throw invalidTransaction(expected, `${b.length} bytes`, field)
  return `0x${bytesToHex(b)}`
}

function readAccessList(item: RlpItem | undefined): readonly EvmAccessListEntry[] {
  if (item === undefined || item instanceof Uint8Array) throw invalidTransaction('accessList as an RLP list', `an RLP string of ${item?.length ?? 0} bytes`, 'accessList')
  return item.map((entry, i) => {
    if (entry instanceof Uint8Array || entry.length !== 2) {
      throw invalidTransaction(`access list entry ${i} as a list [address, storageKeys]`, entry instanceof Uint8Array ? `an RLP string of ${entry.length} bytes` : `a list of ${entry.length} items`, 'accessList')
    }
    const [addr, keys] = entry as readonly [RlpItem, RlpItem]
    if (!(addr instanceof Uint8Array)) throw invalidTransaction(`the address of access list entry ${i} as an RLP string`, `a list of ${addr.length} items`, 'accessList')
    const entryAddress = address(addr, `the address of access list entry ${i} as 20 bytes`, 'accessList')
    if (keys instanceof Uint8Array) throw invalidTransaction(`the storage keys of access list entry ${i} as an RLP list`, `an RLP string of ${keys.length} bytes`, 'accessList')
    const storageKeys = keys.map((key, j) => {
      if (!(key instanceof Uint8Array) || key.length !== 32) {
        throw invalidTransaction(`storage key ${j} of access list entry ${i} as 32 bytes`, key instanceof Uint8Array ? `${key.length} bytes` : `a list of ${key.length} items`, 'accessList')
      }
      return `0x${bytesToHex(key)}` as const
    })
    return { address: entryAddress, storageKeys }
  })
}
