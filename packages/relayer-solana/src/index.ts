export type { SolanaTransactionIntent } from './buildTransaction.js'
export {
  createSolanaRelayer,
  type CreateSolanaRelayerParameters,
  type SolanaRelayResult,
  type SolanaRelayer,
  type SolanaSendOptions,
  type SolanaSpeedUpParameters,
  type SolanaTransactionOptions,
  type SolanaTransferParameters,
  type SolanaTransferTokenParameters,
} from './createSolanaRelayer.js'
export { solanaTransactionDecoder } from './decoder/index.js'
export { connectionNetwork, type SolanaAccount, type SolanaCommitment, type SolanaNetwork, type SolanaNetworkSendOptions, type SolanaSignatureStatus } from './network.js'
export { solanaAdapter, type SolanaAdapterOptions, type SolanaReceipt } from './solanaAdapter.js'
export { solanaChainId, solanaChains } from './solanaChains.js'
export { solanaSigner, type SolanaSigner, type SolanaSignerContext, type SolanaSignerOptions } from './solanaSigner.js'
export {
  ASSOCIATED_TOKEN_PROGRAM_ID,
  TOKEN_2022_PROGRAM_ID,
  TOKEN_PROGRAM_ID,
  associatedTokenAddress,
  createAssociatedTokenAccountIdempotentInstruction,
  decodeMint,
  decodeTokenAccount,
  transferCheckedInstruction,
  type SplMint,
  type SplTokenAccount,
} from './splToken.js'
