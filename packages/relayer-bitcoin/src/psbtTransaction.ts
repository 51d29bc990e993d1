import type { BitcoinNetwork } from '@zrkit/core'
import type { Psbt } from 'bitcoinjs-lib'
import type { BitcoinDecoderNetwork } from './decoder/decoderNetworks.js'
import type { PsbtSigningPlan } from './psbtSigning.js'

/** What a sign-transaction request carries for a PSBT: the `transaction` of a prepared relay. */
export type PsbtTransaction = {
  readonly chain: 'bitcoin'
  /** The PSBT in binary (BIP174, version 0), exactly as the ledger's `bitcoin@1` decoder reads it. */
  readonly unsignedTransaction: Uint8Array
  /** The decoder's name for the network: testnet3 and testnet4 are both `testnet`. */
  readonly network: BitcoinDecoderNetwork
}

/**
 * The transaction of a sign-transaction request for a PSBT the key signs, or `undefined` when the
 * ledger's `bitcoin@1` decoder would not read the PSBT as this key's alone: when an input spends
 * another key's output, is already signed, or has no PSBT_IN_WITNESS_UTXO. The decoder computes one
 * payload per input, so the request is only offered when `plan` (what the relayer signs) covers every
 * input: then the ledger's payloads are the plan's, in the same order.
 *
 * The network is the relayer's, in the decoder's names: `mainnet`, `testnet` (for `testnet` and
 * `testnet4`), `signet`, `regtest`. A custom bech32 prefix (bcoin's `rb`) is still `regtest`: the
 * decoder writes the addresses it reports with the network's standard prefix (`bcrt1...`).
 *
 * @example
 * ```ts
 * import { psbtTransaction } from './psbtTransaction.js'
 * const transaction = psbtTransaction(psbt, psbtSigningPlan(psbt, own), 'testnet4') // { chain: 'bitcoin', unsignedTransaction, network: 'testnet' }
 * ```
 */
export function psbtTransaction(psbt: Psbt, plan: PsbtSigningPlan, network: BitcoinNetwork): PsbtTransaction | undefined {
  const inputs = psbt.data.inputs
  if (plan.inputs.length !== inputs.length || !plan.inputs.every((n, i) => n === i)) return undefined
  if (!inputs.every((input) => input.witnessUtxo !== undefined)) return undefined
  return { chain: 'bitcoin', unsignedTransaction: Uint8Array.from(psbt.toBuffer()), network: decoderNetworkOf(network) }
}

/** The decoder's name of a relayer network. */
function decoderNetworkOf(network: BitcoinNetwork): BitcoinDecoderNetwork {
  return network === 'testnet4' ? 'testnet' : network
}
