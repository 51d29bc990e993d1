import { toHex } from '@zrkit/core'
import { equalBytes } from '@zrkit/core/internal'
import { byteReader } from './byteReader.js'
import { invalidTransaction } from './invalidTransaction.js'
import type { KeySpend } from './keySpend.js'
import { type PsbtMap, psbtKeyTypes, singleEntry } from './parsePsbt.js'
import { type BitcoinTxInput, type BitcoinTxOutput, MAX_MONEY, parseTransaction } from './parseTransaction.js'

const K = psbtKeyTypes.input
const hex = (b: Uint8Array) => (b.length > 80 ? `${toHex(b.subarray(0, 80))}... (${b.length} bytes)` : toHex(b))

/**
 * What the decoder learnt from one input's PSBT map.
 *
 * @example
 * ```ts
 * import type { PsbtInputFacts } from './readPsbtInput.js'
 * const facts: PsbtInputFacts = { prevout: { value: 10_000n, script: ownScript }, hashType: 1, proven: false }
 * ```
 */
export type PsbtInputFacts = {
  /** The output the input spends, from PSBT_IN_WITNESS_UTXO. */
  readonly prevout: BitcoinTxOutput
  /** The sighash type to sign with: 1 (SIGHASH_ALL) for P2WPKH; 0 (SIGHASH_DEFAULT) or 1 for P2TR. */
  readonly hashType: 0 | 1
  /** True when PSBT_IN_NON_WITNESS_UTXO came too and proved the amount (its txid is the outpoint's). */
  readonly proven: boolean
}

/**
 * Reads and checks input `index`'s PSBT map for a key's spend. The input must carry PSBT_IN_WITNESS_UTXO
 * (amount and script: the sighashes commit to them) spending the key's own output (`own.script`), must
 * not be finalized, and must ask for no other sighash type than the key signs: SIGHASH_ALL (1) for
 * P2WPKH, SIGHASH_DEFAULT (0) or SIGHASH_ALL (1) for P2TR (NONE, SINGLE and ANYONECANPAY are refused:
 * they let others change the transaction after signing). A PSBT_IN_NON_WITNESS_UTXO, when present, must
 * be the transaction the outpoint names (its txid checked) with the same output at that index. Scripts
 * that would say the output is something else (redeem or witness script; a taproot script tree or leaf;
 * an internal key whose BIP86 output key is not the input's) are refused. Other keys are not read.
 * `internalKeyOk(key)` says whether a 32-byte PSBT_IN_TAP_INTERNAL_KEY gives the key's output key.
 *
 * @example
 * ```ts
 * import { readPsbtInput } from './readPsbtInput.js'
 * const { prevout, hashType } = readPsbtInput(psbt.inputs[0]!, psbt.tx.inputs[0]!, 0, own, isOurInternalKey)
 * ```
 */
export function readPsbtInput(map: PsbtMap, txInput: BitcoinTxInput, index: number, own: KeySpend, internalKeyOk: (key: Uint8Array) => boolean): PsbtInputFacts {
  const field = `inputs[${index}]`
  const ownKind = own.type === 'p2wpkh' ? 'P2WPKH' : 'P2TR'
  for (const [type, name] of [
    [K.FINAL_SCRIPTSIG, 'PSBT_IN_FINAL_SCRIPTSIG'],
    [K.FINAL_SCRIPTWITNESS, 'PSBT_IN_FINAL_SCRIPTWITNESS'],
  ] as const) {
    if (map.some((e) => e.type === type)) throw invalidTransaction('an input not finalized yet', name, field)
  }
  const utxo = singleEntry(map, K.WITNESS_UTXO, 'PSBT_IN_WITNESS_UTXO', field)
  if (!utxo) {
    const nonWitness = map.some((e) => e.type === K.NON_WITNESS_UTXO)
    throw invalidTransaction(
      'PSBT_IN_WITNESS_UTXO (the amount and script of the output the input spends: witness_utxo is required)',
      nonWitness ? 'only PSBT_IN_NON_WITNESS_UTXO' : 'none',
      `${field}.witnessUtxo`,
    )
  }
  const prevout = readWitnessUtxo(utxo.value, `${field}.witnessUtxo`)
  if (!equalBytes(prevout.script, own.script)) {
    throw invalidTransaction(`an input spending the key's ${ownKind} output ${toHex(own.script)}`, `script ${hex(prevout.script)} (not this key's)`, `${field}.witnessUtxo`)
  }

  let proven = false
  const nonWitness = singleEntry(map, K.NON_WITNESS_UTXO, 'PSBT_IN_NON_WITNESS_UTXO', field)
  if (nonWitness) {
    const prevTx = parseTransaction(nonWitness.value, { field: `${field}.nonWitnessUtxo`, witness: true })
    if (!equalBytes(prevTx.txid, txInput.txid)) {
      throw invalidTransaction(`the transaction ${txid(txInput.txid)} the input spends`, `transaction ${txid(prevTx.txid)}`, `${field}.nonWitnessUtxo`)
    }
    const out = prevTx.outputs[txInput.vout]
    if (!out) throw invalidTransaction(`a transaction with an output ${txInput.vout}`, `${prevTx.outputs.length} output(s)`, `${field}.nonWitnessUtxo`)
    if (out.value !== prevout.value || !equalBytes(out.script, prevout.script)) {
      throw invalidTransaction(
        `PSBT_IN_WITNESS_UTXO equal to output ${txInput.vout} of the previous transaction (${out.value} sat to ${hex(out.script)})`,
        `${prevout.value} sat to ${hex(prevout.script)}`,
        `${field}.witnessUtxo`,
      )
    }
    proven = true
  }

  let hashType: 0 | 1 = own.type === 'p2wpkh' ? 1 : 0
  const sighash = singleEntry(map, K.SIGHASH_TYPE, 'PSBT_IN_SIGHASH_TYPE', field)
  if (sighash) {
    const allowed = own.type === 'p2wpkh' ? 'SIGHASH_ALL (1)' : 'SIGHASH_DEFAULT (0) or SIGHASH_ALL (1)'
    if (sighash.value.length !== 4) throw invalidTransaction(`a 4-byte sighash type, ${allowed}`, `${sighash.value.length} bytes`, `${field}.sighashType`)
    const t = new DataView(sighash.value.buffer, sighash.value.byteOffset, 4).getUint32(0, true)
    if (t !== 1 && (t !== 0 || own.type === 'p2wpkh')) throw invalidTransaction(`sighash type ${allowed} for a ${ownKind} input`, `${t} (0x${t.toString(16)})`, `${field}.sighashType`)
    hashType = t === 0 ? 0 : 1
  }

  for (const [type, name] of [
    [K.REDEEM_SCRIPT, 'PSBT_IN_REDEEM_SCRIPT'],
    [K.WITNESS_SCRIPT, 'PSBT_IN_WITNESS_SCRIPT'],
  ] as const) {
    if (map.some((e) => e.type === type)) throw invalidTransaction(`no ${name}: the input spends the key's native ${ownKind} output`, name, field)
  }
  if (own.type === 'p2tr') {
    for (const [type, name] of [
      [K.TAP_MERKLE_ROOT, 'PSBT_IN_TAP_MERKLE_ROOT'],
      [K.TAP_LEAF_SCRIPT, 'PSBT_IN_TAP_LEAF_SCRIPT'],
    ] as const) {
      if (map.some((e) => e.type === type)) throw invalidTransaction('a key-path spend of an output with no script tree (BIP86)', name, field)
    }
    const internal = singleEntry(map, K.TAP_INTERNAL_KEY, 'PSBT_IN_TAP_INTERNAL_KEY', field)
    if (internal && (internal.value.length !== 32 || !internalKeyOk(internal.value))) {
      throw invalidTransaction(
        "a 32-byte internal key whose BIP86 output key is the key's",
        internal.value.length !== 32 ? `${internal.value.length} bytes` : `internal key ${toHex(internal.value)}, which gives another output key`,
        `${field}.tapInternalKey`,
      )
    }
  }
  return { prevout, hashType, proven }
}

/** PSBT_IN_WITNESS_UTXO's value: an 8-byte amount and a CompactSize-prefixed script, nothing more. */
function readWitnessUtxo(value: Uint8Array, field: string): BitcoinTxOutput {
  const r = byteReader(value, field)
  const amount = r.u64('the amount')
  if (amount > MAX_MONEY) throw invalidTransaction(`an amount of at most ${MAX_MONEY} sat`, `${amount} sat`, field)
  const script = r.varBytes('the script')
  r.end('the witness UTXO')
  return { value: amount, script }
}

/** A txid as explorers show it (byte-reversed). */
const txid = (internal: Uint8Array) => toHex(internal.slice().reverse())
