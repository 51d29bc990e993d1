import { type DecodeTransactionInput, type DecodeTransactionResult, type TransactionCall, type TransactionDecoder, type TransactionTransfer, isZrError, taprootOutputKey, toHex } from '@zrkit/core'
import { equalBytes } from '@zrkit/core/internal'
import { addressFormatOf } from './decoderNetworks.js'
import { invalidTransaction } from './invalidTransaction.js'
import { keySpend } from './keySpend.js'
import { normalizeBitcoinAddress } from './normalizeBitcoinAddress.js'
import { outputAddress } from './outputAddress.js'
import { parsePsbtV0 } from './parsePsbt.js'
import { MAX_MONEY } from './parseTransaction.js'
import { readPsbtInput } from './readPsbtInput.js'
import { segwitV0Sighash } from './segwitV0Sighash.js'
import { taprootSighash } from './taprootSighash.js'

/**
 * The ledger's decoder for Bitcoin (`'bitcoin@1'`): reads a version 0 PSBT (BIP174, binary) that a key
 * spends all of, computes itself the sighash of every input (one payload per input, in input order), and
 * says what the transaction does. It loads no Bitcoin library.
 *
 * What it takes:
 * - `network`: `'mainnet' | 'testnet' | 'signet' | 'regtest'` (testnet3 and testnet4 are `'testnet'`), the
 *   request's; a PSBT does not say its network. Reported as `bitcoin:<network>`.
 * - `keyType` `bitcoin-secp256k1` or `ecdsa-secp256k1` with `taproot: false` and the 33-byte compressed
 *   key: every input must spend the key's P2WPKH output; each payload is the input's BIP143 sighash with
 *   SIGHASH_ALL (the only type accepted; a PSBT_IN_SIGHASH_TYPE of anything else is refused).
 * - `keyType` `schnorr-secp256k1` with `taproot: true` and the 32-byte x-only taproot OUTPUT key: every
 *   input must spend P2TR of that key (key path, no script tree); each payload is the input's BIP341
 *   sighash with SIGHASH_DEFAULT (0), or SIGHASH_ALL (1) when the input's PSBT_IN_SIGHASH_TYPE says so
 *   (then the signature in the witness needs the 0x01 byte after it). Others are refused.
 * - Every input must carry PSBT_IN_WITNESS_UTXO (amount and script). A PSBT_IN_NON_WITNESS_UTXO may come
 *   too: its txid must be the outpoint's and its output the witness UTXO. An input of another key, or of
 *   an unknown amount, is refused: a PSBT with inputs of several owners is not for one key to decode.
 *
 * What it says: `from` is the key's address; each output paying the key's own script is change, left
 * out of `transfers` (its sum is `fields.change`); every other output is a `transfer` of `native` to its
 * address (P2PKH, P2SH, P2WPKH, P2WSH, P2TR in the network's form) or, for any other script (OP_RETURN,
 * bare scripts, future witness versions), a call `{ to: 'script:<hex>', value }`. `fee` is the inputs'
 * amounts less the outputs' (a negative fee is refused). `fields`: `version`, `locktime`, `inputs`,
 * `outputs`, `rbf` (`'true'` when an input's sequence is below 0xfffffffe), `change`, and `inputAmounts`:
 * - `'signed'`: every signature commits to every input's amount (P2TR; or a single P2WPKH input), so the
 *   fee is exact for any transaction the signatures make valid;
 * - `'proven'`: P2WPKH inputs whose previous transactions came and match;
 * - `'claimed'`: P2WPKH inputs with only witness UTXOs: a lowered amount makes that input's signature
 *   invalid (BIP143 commits to it), but one request can lie about input A's amount and another about
 *   input B's, each signing the other input truly: the fee of the transaction the two make together is
 *   then more than either showed. Policies that cap the fee should want `'signed'` or `'proven'`.
 *
 * Anything malformed (truncated, trailing bytes, a CompactSize not in its shortest form, a key twice in a
 * map, a version 2 field, more than 64 KiB or 256 inputs) throws `INVALID_TRANSACTION` with
 * `expected ..., got ...` details and `context.field`. `normalizeAddress` gives segwit addresses in lower
 * case and base58check addresses as they are (checked), else `INVALID_INPUT`.
 *
 * @example
 * ```ts
 * import { createEmbeddedLedger } from '@zrkit/core'
 * import { bitcoinTransactionDecoder } from '@zrkit/relayer-bitcoin/decoder'
 *
 * const decoder = bitcoinTransactionDecoder()
 * const { payloads, transaction } = decoder.decode({ unsignedTransaction: psbtBytes, keyType: 'bitcoin-secp256k1', publicKey: key.publicKey, taproot: false, network: 'signet' })
 * transaction.transfers // [{ kind: 'transfer', asset: 'native', to: 'tb1q...', amount: 10_000n }]
 *
 * const ledger = await createEmbeddedLedger({
 *   genesis: { chainId: 'zrkit-dev', transactionDecoders: ['bitcoin@1'] },
 *   transactionDecoders: [decoder],
 * })
 * ```
 */
export function bitcoinTransactionDecoder(): TransactionDecoder {
  return Object.freeze({
    chain: 'bitcoin',
    version: 1,
    nativeUnits: Object.freeze({ btc: 8, sat: 0 }),
    decode(input: DecodeTransactionInput): DecodeTransactionResult {
      try {
        return decodePsbt(input)
      } catch (e) {
        if (isZrError(e, 'INVALID_TRANSACTION')) throw e
        throw invalidTransaction('a transaction the decoder can read', 'one it failed on', undefined, e)
      }
    },
    normalizeAddress: normalizeBitcoinAddress,
  })
}

function decodePsbt(input: DecodeTransactionInput): DecodeTransactionResult {
  if (input === null || typeof input !== 'object') throw invalidTransaction('{ unsignedTransaction, keyType, publicKey, taproot, network }', input === null ? 'null' : typeof input)
  const format = addressFormatOf(input.network)
  const own = keySpend(input, format)
  const bytes = input.unsignedTransaction
  if (!(bytes instanceof Uint8Array)) throw invalidTransaction('the PSBT as bytes', typeof bytes, 'unsignedTransaction')
  const { tx, inputs: inputMaps } = parsePsbtV0(bytes)

  // A PSBT_IN_TAP_INTERNAL_KEY must give the key's output key: the first is checked (one point
  // multiplication); any other must be the same bytes.
  let internalKey: Uint8Array | undefined
  const internalKeyOk = (key: Uint8Array): boolean => {
    if (internalKey) return equalBytes(key, internalKey)
    let ok = false
    try {
      ok = equalBytes(taprootOutputKey(key).outputKey, own.program)
    } catch {
      ok = false
    }
    if (ok) internalKey = key
    return ok
  }
  const facts = tx.inputs.map((txInput, i) => readPsbtInput(inputMaps[i]!, txInput, i, own, internalKeyOk))

  let totalIn = 0n
  facts.forEach((f, i) => {
    totalIn += f.prevout.value
    if (totalIn > MAX_MONEY) throw invalidTransaction(`inputs worth at most ${MAX_MONEY} sat in all`, `${totalIn} sat by input ${i}`, `inputs[${i}].witnessUtxo`)
  })

  let payloads: Uint8Array[]
  if (own.type === 'p2wpkh') {
    const sighash = segwitV0Sighash(tx)
    payloads = facts.map((f, i) => sighash(i, own.program, f.prevout.value))
  } else {
    const sighash = taprootSighash(tx, facts.map((f) => f.prevout))
    payloads = facts.map((f, i) => sighash(i, f.hashType))
  }

  const transfers: TransactionTransfer[] = []
  const calls: TransactionCall[] = []
  let totalOut = 0n
  let change = 0n
  for (const output of tx.outputs) {
    totalOut += output.value
    if (equalBytes(output.script, own.script)) {
      change += output.value
      continue
    }
    const to = outputAddress(output.script, format)
    if (to === undefined) calls.push({ to: `script:${toHex(output.script)}`, value: output.value })
    else transfers.push({ kind: 'transfer', asset: 'native', to, amount: output.value })
  }
  const fee = totalIn - totalOut
  if (fee < 0n) throw invalidTransaction(`outputs worth at most the inputs' ${totalIn} sat`, `outputs worth ${totalOut} sat (a negative fee)`, 'global.unsignedTx')

  const inputAmounts = own.type === 'p2tr' || facts.length === 1 ? 'signed' : facts.every((f) => f.proven) ? 'proven' : 'claimed'
  return {
    payloads,
    transaction: {
      chain: 'bitcoin',
      decoder: 'bitcoin@1',
      network: `bitcoin:${format.name}`,
      format: 'psbt',
      from: own.address,
      transfers,
      calls,
      fee,
      feeAsset: 'native',
      fields: {
        version: String(tx.version),
        locktime: String(tx.locktime),
        inputs: String(tx.inputs.length),
        outputs: String(tx.outputs.length),
        rbf: String(tx.inputs.some((i) => i.sequence < 0xfffffffe)),
        change: String(change),
        inputAmounts,
      },
    },
  }
}
