import { concatBytes } from '@zrkit/core/internal'
import { sha256 } from '@noble/hashes/sha2.js'
import { byteReader } from './byteReader.js'
import { invalidTransaction } from './invalidTransaction.js'

/**
 * 21 million bitcoin in satoshis: consensus caps every output, and their sum, at this.
 *
 * @example
 * ```ts
 * import { MAX_MONEY } from './parseTransaction.js'
 * MAX_MONEY === 21_000_000n * 100_000_000n // true
 * ```
 */
export const MAX_MONEY = 2_100_000_000_000_000n

/**
 * An input of a transaction: the outpoint it spends, its scriptSig and sequence.
 *
 * @example
 * ```ts
 * import type { BitcoinTxInput } from './parseTransaction.js'
 * const input: BitcoinTxInput = { txid: new Uint8Array(32), vout: 0, scriptSig: new Uint8Array(0), sequence: 0xfffffffd }
 * ```
 */
export type BitcoinTxInput = {
  /** The spent transaction's id in serialized (internal) byte order: reversed from how explorers show it. */
  readonly txid: Uint8Array
  readonly vout: number
  readonly scriptSig: Uint8Array
  readonly sequence: number
}

/**
 * An output of a transaction: satoshis and the scriptPubKey.
 *
 * @example
 * ```ts
 * import type { BitcoinTxOutput } from './parseTransaction.js'
 * const output: BitcoinTxOutput = { value: 10_000n, script: Uint8Array.of(0x6a) } // OP_RETURN
 * ```
 */
export type BitcoinTxOutput = { readonly value: bigint; readonly script: Uint8Array }

/**
 * A transaction as {@link parseTransaction} reads it.
 *
 * @example
 * ```ts
 * import { type BitcoinTx, parseTransaction } from './parseTransaction.js'
 * const tx: BitcoinTx = parseTransaction(bytes, { field: 'tx', witness: true })
 * ```
 */
export type BitcoinTx = {
  /** The version as an unsigned 32-bit integer (Bitcoin Core reads it so since 28.0). */
  readonly version: number
  readonly locktime: number
  readonly inputs: readonly BitcoinTxInput[]
  readonly outputs: readonly BitcoinTxOutput[]
  /** The txid in internal byte order: double SHA-256 of the serialization without witnesses. */
  readonly txid: Uint8Array
  /** True when the bytes were the BIP144 form, with witnesses. */
  readonly witness: boolean
}

/**
 * Reads one whole transaction from `bytes` (no byte before or after). With `witness: false` it must be
 * the serialization without witnesses (as BIP174 puts the unsigned transaction in a PSBT); with
 * `witness: true` the BIP144 form (marker 0x00, flag 0x01, witnesses after the outputs) is read too,
 * as a previous transaction may come. Every CompactSize must be in its shortest form; at least one
 * input and one output; each output and the outputs' sum at most {@link MAX_MONEY}. Throws
 * `INVALID_TRANSACTION` naming `field` otherwise.
 *
 * @example
 * ```ts
 * import { parseTransaction } from './parseTransaction.js'
 * const tx = parseTransaction(unsignedTxBytes, { field: 'unsignedTx', witness: false })
 * tx.outputs[0]!.value // 50_000n
 * ```
 */
export function parseTransaction(bytes: Uint8Array, options: { field: string; witness: boolean }): BitcoinTx {
  const { field } = options
  const r = byteReader(bytes, field)
  const version = r.u32('the version')
  const countsAt = r.offset()
  let inputCount = r.compactSize('the input count', Math.floor(r.remaining() / 41))
  let witness = false
  if (inputCount === 0) {
    if (!options.witness) throw invalidTransaction('the serialization without witnesses and at least one input', 'an input count of 0 (a segwit marker, or no inputs)', field)
    const flag = r.u8('the segwit flag')
    if (flag !== 0x01) throw invalidTransaction('segwit flag 0x01 after the marker', `0x${flag.toString(16).padStart(2, '0')}`, field)
    witness = true
    inputCount = r.compactSize('the input count', Math.floor(r.remaining() / 41))
    if (inputCount === 0) throw invalidTransaction('at least one input', 'none', field)
  }
  const inputs: BitcoinTxInput[] = []
  for (let i = 0; i < inputCount; i++) {
    const txid = r.bytes(32, `input ${i}'s previous txid`)
    const vout = r.u32(`input ${i}'s previous output index`)
    const scriptSig = r.varBytes(`input ${i}'s scriptSig`)
    const sequence = r.u32(`input ${i}'s sequence`)
    inputs.push({ txid, vout, scriptSig, sequence })
  }
  const outputCount = r.compactSize('the output count', Math.floor(r.remaining() / 9))
  if (outputCount === 0) throw invalidTransaction('at least one output', 'none', field)
  const outputs: BitcoinTxOutput[] = []
  let total = 0n
  for (let o = 0; o < outputCount; o++) {
    const value = r.u64(`output ${o}'s value`)
    if (value > MAX_MONEY) throw invalidTransaction(`output ${o}'s value of at most ${MAX_MONEY} sat`, `${value} sat`, field)
    total += value
    if (total > MAX_MONEY) throw invalidTransaction(`outputs worth at most ${MAX_MONEY} sat in all`, `${total} sat by output ${o}`, field)
    outputs.push({ value, script: r.varBytes(`output ${o}'s script`) })
  }
  const bodyEnd = r.offset()
  if (witness) {
    for (let i = 0; i < inputCount; i++) {
      const items = r.compactSize(`input ${i}'s witness item count`, r.remaining())
      for (let k = 0; k < items; k++) r.varBytes(`input ${i}'s witness item ${k}`)
    }
  }
  const locktimeAt = r.offset()
  const locktime = r.u32('the locktime')
  r.end('the transaction')
  const legacy = witness
    ? concatBytes(bytes.subarray(0, 4), bytes.subarray(countsAt + 2, bodyEnd), bytes.subarray(locktimeAt, locktimeAt + 4))
    : bytes
  return { version, locktime, inputs, outputs, txid: sha256(sha256(legacy)), witness }
}
