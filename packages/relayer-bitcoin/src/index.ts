export { type BitcoinBackend, type BitcoinOutspend, type BitcoinTxStatus, type BitcoinUtxo } from './backends/BitcoinBackend.js'
export { bitcoinRpcBackend, type BitcoinRpcBackend, type BitcoinRpcBackendOptions } from './backends/bitcoinRpcBackend.js'
export { esploraBackend, type EsploraBackendOptions } from './backends/esploraBackend.js'
export type { FetchFn } from './backends/http.js'
export {
  bitcoinAdapter,
  type BitcoinAdapter,
  type BitcoinAdapterOptions,
  type BitcoinIntent,
  type BitcoinOutput,
  type BitcoinPsbtIntent,
  type BitcoinReceipt,
  type BitcoinTransferIntent,
} from './bitcoinAdapter.js'
export { bitcoinSigner, type BitcoinSigner, type BitcoinSignerOptions } from './bitcoinSigner.js'
export { selectCoins, type CoinSelection, type SelectCoinsParameters, type SelectableCoin } from './coinSelection.js'
export {
  createBitcoinRelayer,
  type BitcoinRelayResult,
  type BitcoinRelayer,
  type BitcoinReplaceParameters,
  type BitcoinSendOptions,
  type BitcoinSignPsbtResult,
  type CreateBitcoinRelayerParameters,
} from './createBitcoinRelayer.js'
export { bitcoinTransactionDecoder, bitcoinDecoderNetworks, type BitcoinDecoderNetwork } from './decoder/index.js'
export { ensureEccLib, nobleEccLib } from './eccLib.js'
export { DEFAULT_DUST_RELAY_FEE_RATE, MAX_STANDARD_TX_WEIGHT, dustThreshold, feeFor, inputWeights, isWitnessProgram, outputSize, txWeight, vsizeOf } from './fees.js'
export { bitcoinNetworkNames, bitcoinNetworkParams, type BitcoinNetworkOptions, type BitcoinNetworkParams } from './networks.js'
export { addPsbtSignatures, parsePsbt, prevoutOf, prevoutsOf, psbtSigningPlan, unsignedTxOf, validateSignature, type Prevout, type PsbtSigningPlan } from './psbtSigning.js'
export { addressToScript, bitcoinKeyTypes, keyAddress, keyOutput, scriptToAddress, spendTypeOf, type KeyOutput, type SpendType } from './scripts.js'
export { outpointClaim } from './outpointClaim.js'
export { createUtxoLocks, sharedUtxoLocks, type Outpoint, type UtxoLocks } from './utxoLocks.js'
