import { type DecodeTransactionInput, type DecodeTransactionResult, type TransactionCall, type TransactionTransfer, describeValue } from '@zrkit/core'
import { base58 } from '@scure/base'
import { invalidTransaction } from './invalidTransaction.js'
import { PACKET_DATA_SIZE, parseSolanaMessage } from './parseSolanaMessage.js'
import { COMPUTE_BUDGET_PROGRAM, isSignaturePrecompile } from './programs.js'
import { instructionView, readInstruction } from './readInstruction.js'
import { solanaFee } from './solanaFee.js'

/**
 * The clusters a request may name as its `network`; the decoder reports `solana:<name>`. A Solana message
 * does not carry its cluster, so this is the requester's claim.
 *
 * @example
 * ```ts
 * import type { SolanaNetworkName } from '@zrkit/relayer-solana/decoder'
 * const network: SolanaNetworkName = 'devnet' // reported as 'solana:devnet'
 * ```
 */
export type SolanaNetworkName = 'mainnet-beta' | 'devnet' | 'testnet' | 'localnet'

const isNetworkName = (v: unknown): v is SolanaNetworkName => v === 'mainnet-beta' || v === 'devnet' || v === 'testnet' || v === 'localnet'

/**
 * Decodes a Solana message for an ed25519 key: the `decode` of {@link solanaTransactionDecoder}.
 *
 * - Input: the message bytes, legacy or version 0, exactly what the signers sign (not the wire
 *   transaction with its signature slots), read strictly by `parseSolanaMessage`.
 * - Signer: `keyType` must be `'eddsa-ed25519'` and the key (base58 of `publicKey`) the fee payer,
 *   account 0, which is always a writable signer; a message whose fee payer is another account is
 *   refused, even when the key signs it elsewhere.
 * - Payloads: one, the message bytes themselves (ed25519 signs the message, not a digest).
 * - Network: a Solana message does not carry its cluster (its blockhash names a recent block, not a
 *   chain), so `network` is the requester's claim: `'mainnet-beta'`, `'devnet'`, `'testnet'` or
 *   `'localnet'`, reported as `solana:<network>`, and `solana:unknown` when absent.
 * - Effects: see the program readers. Native transfers (System `Transfer`, `CreateAccount`, and their
 *   seeded forms) and SPL `TransferChecked` / `ApproveChecked` by the key are transfers; a durable nonce
 *   advance as the first instruction, a transfer from the key to itself and the two Compute Budget
 *   instructions are neither transfers nor calls (they move no value); everything else is a call,
 *   including any of those instructions with an account loaded from a lookup table.
 * - Fee: `solanaFee` (signatures and priority fee); a message with two `SetComputeUnitLimit` or two
 *   `SetComputeUnitPrice` instructions is refused, as the runtime refuses it.
 * - Fields: `recentBlockhash`, or `nonce`, `nonceAccount` and `nonceAuthority` for a durable nonce;
 *   `numRequiredSignatures`, `instructions`, `lookupTables`, and `computeUnitLimit` /
 *   `computeUnitPrice` when the message sets them.
 *
 * @example
 * ```ts
 * import { decodeSolanaTransaction } from './decodeSolanaTransaction.js'
 * const { payloads, transaction } = decodeSolanaTransaction({ unsignedTransaction: message.serialize(), keyType: 'eddsa-ed25519', publicKey, taproot: false, network: 'devnet' })
 * transaction.transfers // [{ kind: 'transfer', asset: 'native', to: '9xQe...', amount: 10_000_000n }]
 * payloads[0]           // the message bytes, to sign with ed25519
 * ```
 */
export function decodeSolanaTransaction(input: DecodeTransactionInput): DecodeTransactionResult {
  if (input === null || typeof input !== 'object') throw invalidTransaction('input', 'an object { unsignedTransaction, keyType, publicKey, taproot, network? }', describeValue(input))
  const { unsignedTransaction, keyType, publicKey, taproot, network } = input
  if (keyType !== 'eddsa-ed25519') throw invalidTransaction('keyType', `'eddsa-ed25519' (Solana accounts sign with ed25519)`, describeValue(keyType))
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) throw invalidTransaction('publicKey', 'a 32-byte ed25519 public key', describeValue(publicKey))
  if (taproot !== false && taproot !== undefined) throw invalidTransaction('taproot', 'false (taproot is for Bitcoin keys)', describeValue(taproot))
  if (network !== undefined && !isNetworkName(network)) throw invalidTransaction('network', `one of 'mainnet-beta', 'devnet', 'testnet', 'localnet', or none`, describeValue(network))
  if (!(unsignedTransaction instanceof Uint8Array)) throw invalidTransaction('unsignedTransaction', 'the bytes of a Solana message', describeValue(unsignedTransaction))
  if (unsignedTransaction.length > PACKET_DATA_SIZE) throw invalidTransaction('unsignedTransaction', `a message of at most ${PACKET_DATA_SIZE} bytes`, `${unsignedTransaction.length} bytes`)

  // One copy, parsed and returned as the payload: what is read is what is signed.
  const bytes = Uint8Array.from(unsignedTransaction)
  const message = parseSolanaMessage(bytes)
  const key = base58.encode(publicKey)
  const { numRequiredSignatures } = message.header
  const feePayer = message.staticAccountKeys[0]!
  if (feePayer !== key) {
    const signer = message.staticAccountKeys.slice(0, numRequiredSignatures).indexOf(key)
    const got = signer > 0 ? `${feePayer} (the key is signer ${signer}; it signs only as fee payer)` : `${feePayer} (the key does not sign this message)`
    throw invalidTransaction('feePayer', `the key ${key} as fee payer (account 0)`, got)
  }

  const transfers: TransactionTransfer[] = []
  const calls: TransactionCall[] = []
  let computeUnitLimit: number | undefined
  let computeUnitPrice: bigint | undefined
  let nonce: { nonceAccount: string; authority: string } | undefined
  let signatures = numRequiredSignatures
  let otherInstructions = 0
  message.instructions.forEach((_, i) => {
    const ix = instructionView(message, i)
    if (ix.programId !== COMPUTE_BUDGET_PROGRAM) otherInstructions += 1
    if (isSignaturePrecompile(ix.programId)) signatures += ix.data[0] ?? 0
    const reading = readInstruction(ix, key)
    switch (reading.kind) {
      case 'transfer':
        transfers.push(reading.transfer)
        break
      case 'call':
        calls.push(reading.call)
        break
      case 'nonce':
        nonce = { nonceAccount: reading.nonceAccount, authority: reading.authority }
        break
      case 'computeUnitLimit':
        if (computeUnitLimit !== undefined) throw invalidTransaction('instructions', 'at most one SetComputeUnitLimit instruction', `another at instruction ${i}`)
        computeUnitLimit = reading.units
        break
      case 'computeUnitPrice':
        if (computeUnitPrice !== undefined) throw invalidTransaction('instructions', 'at most one SetComputeUnitPrice instruction', `another at instruction ${i}`)
        computeUnitPrice = reading.microLamports
        break
      case 'none':
        break
    }
  })

  const fields: Record<string, string> = nonce
    ? { nonce: message.recentBlockhash, nonceAccount: nonce.nonceAccount, nonceAuthority: nonce.authority }
    : { recentBlockhash: message.recentBlockhash }
  fields.numRequiredSignatures = String(numRequiredSignatures)
  fields.instructions = String(message.instructions.length)
  fields.lookupTables = String(message.addressTableLookups.length)
  if (computeUnitLimit !== undefined) fields.computeUnitLimit = String(computeUnitLimit)
  if (computeUnitPrice !== undefined) fields.computeUnitPrice = String(computeUnitPrice)

  return {
    payloads: [bytes],
    transaction: {
      chain: 'solana',
      decoder: 'solana@1',
      network: network === undefined ? 'solana:unknown' : `solana:${network}`,
      format: message.version === 0 ? 'v0' : 'legacy',
      from: key,
      transfers,
      calls,
      fee: solanaFee({ signatures, computeUnitLimit, computeUnitPrice, otherInstructions }),
      feeAsset: 'native',
      fields,
    },
  }
}
