export {
  cosmosAdapter,
  cosmosTxHash,
  SECP256K1_PUBKEY_TYPE_URL,
  type CosmosAdapter,
  type CosmosAdapterOptions,
  type CosmosMessagesIntent,
  type CosmosSignDocIntent,
  type CosmosTxIntent,
} from './cosmosAdapter.js'
export { connectCosmosChain, stargateChain, type ConnectCosmosChainOptions, type CosmosAccount, type CosmosBroadcastResult, type CosmosChain, type CosmosSimulateParameters } from './cosmosChain.js'
export { cosmosSigner, type CosmosSignerContext, type CosmosSignerOptions } from './cosmosSigner.js'
export {
  createCosmosRelayer,
  type CosmosRelayer,
  type CosmosRelayResult,
  type CosmosSendOptions,
  type CosmosSendTokensParameters,
  type CosmosSignAndBroadcastParameters,
  type CreateCosmosRelayerParameters,
} from './createCosmosRelayer.js'
export { toCosmosSignature } from './signature.js'
export { cosmosTransactionDecoder } from './decoder/index.js'
