import { toHex } from '@zrkit/core'
import { type ByteReader, byteReader } from './byteReader.js'
import { invalidTransaction } from './invalidTransaction.js'
import { type BitcoinTx, parseTransaction } from './parseTransaction.js'

/** The most bytes a PSBT may have: a bound on the decoder's work for any input. */
const MAX_PSBT_BYTES = 65_536

/** The most inputs a PSBT may have: one payload each, and a signature request carries at most 256. */
const MAX_PSBT_INPUTS = 256

/**
 * One key-value pair of a PSBT map: the key's type, the rest of the key, the value.
 *
 * @example
 * ```ts
 * import type { PsbtEntry } from './parsePsbt.js'
 * const sighashAll: PsbtEntry = { type: 0x03, keyData: new Uint8Array(0), value: Uint8Array.of(1, 0, 0, 0) }
 * ```
 */
export type PsbtEntry = { readonly type: number; readonly keyData: Uint8Array; readonly value: Uint8Array }

/**
 * A PSBT map (global, per input or per output): its entries in the order they came, no key twice.
 *
 * @example
 * ```ts
 * import type { PsbtMap } from './parsePsbt.js'
 * const empty: PsbtMap = []
 * ```
 */
export type PsbtMap = readonly PsbtEntry[]

/**
 * A version 0 PSBT as {@link parsePsbtV0} reads it.
 *
 * @example
 * ```ts
 * import { type PsbtV0, parsePsbtV0 } from './parsePsbt.js'
 * const psbt: PsbtV0 = parsePsbtV0(bytes)
 * ```
 */
export type PsbtV0 = {
  /** PSBT_GLOBAL_UNSIGNED_TX, parsed. */
  readonly tx: BitcoinTx
  readonly global: PsbtMap
  /** One map per input of {@link PsbtV0.tx}, in order. */
  readonly inputs: readonly PsbtMap[]
  /** One map per output of {@link PsbtV0.tx}, in order. */
  readonly outputs: readonly PsbtMap[]
}

/**
 * The BIP174 key types the decoder reads or refuses (others are kept, unread).
 *
 * @example
 * ```ts
 * import { psbtKeyTypes } from './parsePsbt.js'
 * psbtKeyTypes.input.WITNESS_UTXO // 0x01
 * ```
 */
export const psbtKeyTypes = {
  global: { UNSIGNED_TX: 0x00, VERSION: 0xfb },
  input: {
    NON_WITNESS_UTXO: 0x00,
    WITNESS_UTXO: 0x01,
    SIGHASH_TYPE: 0x03,
    REDEEM_SCRIPT: 0x04,
    WITNESS_SCRIPT: 0x05,
    FINAL_SCRIPTSIG: 0x07,
    FINAL_SCRIPTWITNESS: 0x08,
    TAP_LEAF_SCRIPT: 0x15,
    TAP_INTERNAL_KEY: 0x17,
    TAP_MERKLE_ROOT: 0x18,
  },
} as const

/** Fields BIP370 (PSBT version 2) defines, which a version 0 PSBT must not have. */
const version2Only: Readonly<Record<'global' | 'input' | 'output', Readonly<Record<number, string>>>> = {
  global: { 0x02: 'PSBT_GLOBAL_TX_VERSION', 0x03: 'PSBT_GLOBAL_FALLBACK_LOCKTIME', 0x04: 'PSBT_GLOBAL_INPUT_COUNT', 0x05: 'PSBT_GLOBAL_OUTPUT_COUNT', 0x06: 'PSBT_GLOBAL_TX_MODIFIABLE' },
  input: { 0x0e: 'PSBT_IN_PREVIOUS_TXID', 0x0f: 'PSBT_IN_OUTPUT_INDEX', 0x10: 'PSBT_IN_SEQUENCE', 0x11: 'PSBT_IN_REQUIRED_TIME_LOCKTIME', 0x12: 'PSBT_IN_REQUIRED_HEIGHT_LOCKTIME' },
  output: { 0x03: 'PSBT_OUT_AMOUNT', 0x04: 'PSBT_OUT_SCRIPT' },
}

const MAGIC = Uint8Array.of(0x70, 0x73, 0x62, 0x74, 0xff)

/**
 * Reads a version 0 PSBT (BIP174) from its binary form, strictly: the magic `psbt` 0xff, a global map
 * with PSBT_GLOBAL_UNSIGNED_TX (the transaction without witnesses, every scriptSig empty, 1..256
 * inputs, no outpoint twice), PSBT_GLOBAL_VERSION 0 if present, then exactly one map per input and one
 * per output, and nothing after. Keys and values are CompactSize-prefixed in their shortest form and
 * must fit in the bytes; no map has a key twice; the version 2 fields (BIP370) are refused. Other keys,
 * known or not, are kept for the caller and not interpreted here. Throws `INVALID_TRANSACTION`.
 *
 * @example
 * ```ts
 * import { parsePsbtV0 } from './parsePsbt.js'
 * const { tx, inputs } = parsePsbtV0(psbtBytes)
 * inputs.length === tx.inputs.length // true
 * ```
 */
export function parsePsbtV0(bytes: Uint8Array): PsbtV0 {
  const field = 'unsignedTransaction'
  if (bytes.length > MAX_PSBT_BYTES) throw invalidTransaction(`a PSBT of at most ${MAX_PSBT_BYTES} bytes`, `${bytes.length} bytes`, field)
  if (bytes.length < MAGIC.length || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw invalidTransaction('a binary PSBT starting with the magic 70736274ff ("psbt" 0xff)', bytes.length === 0 ? 'no bytes' : `0x${toHex(bytes.subarray(0, 5))}`, field)
  }
  const r = byteReader(bytes, field)
  r.bytes(MAGIC.length, 'the magic')
  const global = readMap(r, 'global', 'the global map')
  const unsigned = singleEntry(global, psbtKeyTypes.global.UNSIGNED_TX, 'PSBT_GLOBAL_UNSIGNED_TX', 'global')
  if (!unsigned) throw invalidTransaction('PSBT_GLOBAL_UNSIGNED_TX in the global map', 'none', 'global')
  const version = singleEntry(global, psbtKeyTypes.global.VERSION, 'PSBT_GLOBAL_VERSION', 'global')
  if (version) {
    const v = version.value.length === 4 ? new DataView(version.value.buffer, version.value.byteOffset, 4).getUint32(0, true) : undefined
    if (v !== 0) throw invalidTransaction('PSBT_GLOBAL_VERSION 0 (a 4-byte value)', v === undefined ? `a ${version.value.length}-byte value` : `version ${v}`, 'global.version')
  }
  const tx = parseTransaction(unsigned.value, { field: 'global.unsignedTx', witness: false })
  if (tx.inputs.length > MAX_PSBT_INPUTS) throw invalidTransaction(`at most ${MAX_PSBT_INPUTS} inputs (one payload each)`, `${tx.inputs.length}`, 'global.unsignedTx')
  const outpoints = new Set<string>()
  tx.inputs.forEach((input, i) => {
    if (input.scriptSig.length !== 0) throw invalidTransaction('an empty scriptSig in the unsigned transaction', `${input.scriptSig.length} bytes`, `global.unsignedTx.inputs[${i}]`)
    const outpoint = `${toHex(input.txid)}:${input.vout}`
    if (outpoints.has(outpoint)) throw invalidTransaction('each outpoint spent once', `input ${i} spending the outpoint of an earlier input again`, `global.unsignedTx.inputs[${i}]`)
    outpoints.add(outpoint)
  })
  const inputs = tx.inputs.map((_, i) => readMap(r, 'input', `inputs[${i}]`))
  const outputs = tx.outputs.map((_, o) => readMap(r, 'output', `outputs[${o}]`))
  r.end(`the PSBT after its ${tx.inputs.length} input map(s) and ${tx.outputs.length} output map(s)`)
  return { tx, global, inputs, outputs }
}

/**
 * The one entry of `type` in a map whose key is the type alone (BIP174's single-instance keys), or
 * `undefined`. Throws `INVALID_TRANSACTION` when that type comes with key data.
 *
 * @example
 * ```ts
 * import { psbtKeyTypes, singleEntry } from './parsePsbt.js'
 * singleEntry(inputs[0], psbtKeyTypes.input.WITNESS_UTXO, 'PSBT_IN_WITNESS_UTXO', 'inputs[0]')?.value
 * ```
 */
export function singleEntry(map: PsbtMap, type: number, name: string, field: string): PsbtEntry | undefined {
  const entry = map.find((e) => e.type === type)
  if (entry && entry.keyData.length !== 0) throw invalidTransaction(`${name} with a key of its type alone`, `${entry.keyData.length} more key byte(s)`, field)
  return entry
}

function readMap(r: ByteReader, kind: 'global' | 'input' | 'output', where: string): PsbtEntry[] {
  const entries: PsbtEntry[] = []
  const keys = new Set<string>()
  for (;;) {
    const keyLength = r.compactSize(`the key length in ${where}`)
    if (keyLength === 0) return entries
    const key = r.bytes(keyLength, `a key in ${where}`)
    const k = byteReader(key, where)
    const type = k.compactSize('the key type', 0xffffffff)
    const value = r.varBytes(`a value in ${where}`)
    const hex = toHex(key)
    if (keys.has(hex)) throw invalidTransaction('each key once in a map', `key 0x${hex} twice`, where)
    keys.add(hex)
    const v2 = version2Only[kind][type]
    if (v2 !== undefined) throw invalidTransaction('a version 0 PSBT (BIP174)', `${v2}, a version 2 field (BIP370)`, where)
    entries.push({ type, keyData: key.subarray(k.offset()), value })
  }
}
