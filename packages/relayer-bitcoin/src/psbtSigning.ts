import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js'
import { ZrError, toHex } from '@zrkit/core'
import { concatBytes } from '@zrkit/core/internal'
import { Psbt, Transaction, script as bscript } from 'bitcoinjs-lib'
import { ensureEccLib } from './eccLib.js'
import type { BitcoinNetworkParams } from './networks.js'
import { type KeyOutput, sameScript } from './scripts.js'

/** An output a PSBT input spends. */
export type Prevout = { readonly script: Uint8Array; readonly value: bigint }

/** Which inputs of a PSBT a key signs, and the sighash of each: the payloads of one signature request. */
export type PsbtSigningPlan = {
  /** Indices of the inputs the key signs, in order. */
  readonly inputs: readonly number[]
  /** One sighash per input in `inputs`: BIP143 (P2WPKH, SIGHASH_ALL) or BIP341 (P2TR key path, SIGHASH_DEFAULT). */
  readonly payloads: readonly Uint8Array[]
}

const invalidPsbt = (details: string, cause?: unknown) => new ZrError('INVALID_INPUT', 'Invalid PSBT.', { details, ...(cause !== undefined ? { cause } : {}) })

/**
 * Parses a PSBT given as base64 or hex (BIP174). Throws `INVALID_INPUT` when it does not parse.
 *
 * @example
 * ```ts
 * import { bitcoinNetworkParams, parsePsbt } from '@zrkit/relayer-bitcoin'
 * const psbt = parsePsbt(base64FromAnotherWallet, bitcoinNetworkParams('signet'))
 * ```
 */
export function parsePsbt(text: string, params: BitcoinNetworkParams): Psbt {
  ensureEccLib()
  if (typeof text !== 'string' || text.length === 0) throw invalidPsbt(`expected a PSBT in base64 or hex, got ${typeof text === 'string' ? 'an empty string' : typeof text}`)
  try {
    return /^70736274ff/i.test(text) ? Psbt.fromHex(text, { network: params.network }) : Psbt.fromBase64(text, { network: params.network })
  } catch (cause) {
    throw invalidPsbt(`expected a PSBT in base64 or hex: ${(cause as Error).message}`, cause)
  }
}

/**
 * The output input `i` of a PSBT spends, from its `witnessUtxo` or `nonWitnessUtxo`, when the PSBT has it.
 *
 * @example
 * ```ts
 * import { prevoutOf } from '@zrkit/relayer-bitcoin'
 * prevoutOf(psbt, 0) // { script, value } or undefined
 * ```
 */
export function prevoutOf(psbt: Psbt, i: number): Prevout | undefined {
  const input = psbt.data.inputs[i]
  if (!input) return undefined
  if (input.witnessUtxo) return { script: Uint8Array.from(input.witnessUtxo.script), value: input.witnessUtxo.value }
  if (input.nonWitnessUtxo) {
    const out = Transaction.fromBuffer(input.nonWitnessUtxo).outs[psbt.txInputs[i]!.index]
    if (out) return { script: Uint8Array.from(out.script), value: out.value }
  }
  return undefined
}

/**
 * The outputs every input of a PSBT spends. Throws `INVALID_INPUT` when one is not in the PSBT.
 *
 * @example
 * ```ts
 * import { prevoutsOf } from '@zrkit/relayer-bitcoin'
 * const fee = prevoutsOf(psbt).reduce((n, p) => n + p.value, 0n) - psbt.txOutputs.reduce((n, o) => n + o.value, 0n)
 * ```
 */
export function prevoutsOf(psbt: Psbt): Prevout[] {
  return psbt.data.inputs.map((_, i) => {
    const prev = prevoutOf(psbt, i)
    if (!prev) throw invalidPsbt(`input ${i} has no witnessUtxo or nonWitnessUtxo: the output it spends must be known to compute sighashes`)
    return prev
  })
}

/**
 * The unsigned transaction of a PSBT (its txid is the final one when every input is segwit).
 *
 * @example
 * ```ts
 * import { unsignedTxOf } from '@zrkit/relayer-bitcoin'
 * unsignedTxOf(psbt).getId()
 * ```
 */
export function unsignedTxOf(psbt: Psbt): Transaction {
  const tx = new Transaction()
  tx.version = psbt.version
  tx.locktime = psbt.locktime
  for (const input of psbt.txInputs) tx.addInput(Uint8Array.from(input.hash), input.index, input.sequence)
  for (const output of psbt.txOutputs) tx.addOutput(Uint8Array.from(output.script), output.value)
  return tx
}

const isSigned = (psbt: Psbt, i: number) => {
  const input = psbt.data.inputs[i]!
  return Boolean(input.finalScriptWitness || input.finalScriptSig || input.tapKeySig || input.partialSig?.length)
}

/**
 * The inputs of a PSBT that spend `own` (a key's P2WPKH or P2TR output) and are not signed yet, and
 * their sighashes, computed by bitcoinjs-lib: BIP143 with SIGHASH_ALL for P2WPKH, BIP341 with
 * SIGHASH_DEFAULT for a P2TR key path (which commits to every input's spent output, so all of them
 * must be known). Throws `INVALID_INPUT` when no input is the key's to sign, or when an input of the
 * key asks for another sighash type.
 *
 * @example
 * ```ts
 * import { keyOutput, psbtSigningPlan } from '@zrkit/relayer-bitcoin'
 * const { inputs, payloads } = psbtSigningPlan(psbt, keyOutput(key.keyType, key.publicKey))
 * ```
 */
export function psbtSigningPlan(psbt: Psbt, own: KeyOutput): PsbtSigningPlan {
  const tx = unsignedTxOf(psbt)
  const inputs: number[] = []
  const payloads: Uint8Array[] = []
  let prevouts: Prevout[] | undefined
  psbt.data.inputs.forEach((input, i) => {
    const prev = prevoutOf(psbt, i)
    if (!prev || !sameScript(prev.script, own.script) || isSigned(psbt, i)) return
    if (own.type === 'p2wpkh') {
      if (input.sighashType !== undefined && input.sighashType !== Transaction.SIGHASH_ALL) throw invalidPsbt(`input ${i} asks for sighash type ${input.sighashType}; the relayer signs SIGHASH_ALL only`)
      const keyHash = own.script.subarray(2)
      const scriptCode = concatBytes(Uint8Array.of(0x76, 0xa9, 0x14), keyHash, Uint8Array.of(0x88, 0xac))
      payloads.push(tx.hashForWitnessV0(i, scriptCode, prev.value, Transaction.SIGHASH_ALL))
    } else {
      if (input.sighashType !== undefined && input.sighashType !== Transaction.SIGHASH_DEFAULT) throw invalidPsbt(`input ${i} asks for sighash type ${input.sighashType}; the relayer signs SIGHASH_DEFAULT only`)
      if (input.tapMerkleRoot || input.tapLeafScript?.length) throw invalidPsbt(`input ${i} spends a taproot output with a script tree; the relayer signs BIP86 key-path outputs only`)
      prevouts ??= prevoutsOf(psbt)
      payloads.push(tx.hashForWitnessV1(i, prevouts.map((p) => p.script), prevouts.map((p) => p.value), Transaction.SIGHASH_DEFAULT))
    }
    inputs.push(i)
  })
  if (inputs.length === 0) throw invalidPsbt(`no unsigned input spends the key's ${own.type === 'p2wpkh' ? 'P2WPKH' : 'P2TR'} output (script ${toHex(own.script)})`)
  return { inputs, payloads }
}

/**
 * Puts a key's signatures (one per planned input: 65-byte r||s||v ECDSA or 64-byte BIP340, as
 * signature requests return them) into a PSBT, as `partialSig` (P2WPKH) or `tapKeySig` (P2TR), and has
 * bitcoinjs-lib check each against the input's sighash and the key. Throws `INVALID_RESULT` when one
 * does not verify.
 *
 * @example
 * ```ts
 * import { addPsbtSignatures, psbtSigningPlan } from '@zrkit/relayer-bitcoin'
 * addPsbtSignatures(psbt, own, psbtSigningPlan(psbt, own), request.signatures, key.publicKey)
 * ```
 */
export function addPsbtSignatures(psbt: Psbt, own: KeyOutput, plan: PsbtSigningPlan, signatures: readonly Uint8Array[], ecdsaPublicKey?: Uint8Array): void {
  if (signatures.length !== plan.inputs.length) {
    throw new ZrError('INVALID_RESULT', 'Wrong number of signatures.', { details: `expected ${plan.inputs.length} signature(s), one per input the key signs, got ${signatures.length}` })
  }
  plan.inputs.forEach((i, n) => {
    const sig = signatures[n]!
    if (own.type === 'p2wpkh') {
      if (sig.length !== 65 && sig.length !== 64) throw new ZrError('INVALID_RESULT', 'Invalid ECDSA signature.', { details: `input ${i}: expected a 65-byte r||s||v signature, got ${sig.length} bytes` })
      const pubkey = ecdsaPublicKey ?? own.internalKey!
      psbt.updateInput(i, { partialSig: [{ pubkey, signature: bscript.signature.encode(sig.subarray(0, 64), Transaction.SIGHASH_ALL) }] })
    } else {
      if (sig.length !== 64) throw new ZrError('INVALID_RESULT', 'Invalid Schnorr signature.', { details: `input ${i}: expected a 64-byte BIP340 signature, got ${sig.length} bytes` })
      psbt.updateInput(i, { tapKeySig: sig })
    }
    let valid = false
    try {
      valid = psbt.validateSignaturesOfInput(i, validateSignature)
    } catch (cause) {
      throw new ZrError('INVALID_RESULT', 'A signature does not verify.', { details: `input ${i}: ${(cause as Error).message}`, cause })
    }
    if (!valid) throw new ZrError('INVALID_RESULT', 'A signature does not verify.', { details: `input ${i}: the signature does not verify under the key for the input's sighash`, context: { input: i } })
  })
}

/**
 * bitcoinjs-lib's signature check, on noble: ECDSA (33-byte key, low S) or BIP340 (32-byte x-only key).
 *
 * @example
 * ```ts
 * import { validateSignature } from '@zrkit/relayer-bitcoin'
 * psbt.validateSignaturesOfInput(0, validateSignature)
 * ```
 */
export function validateSignature(pubkey: Uint8Array, msghash: Uint8Array, signature: Uint8Array): boolean {
  if (pubkey.length === 32) return schnorr.verify(signature, msghash, pubkey)
  return secp256k1.verify(signature, msghash, pubkey, { prehash: false, lowS: true })
}
