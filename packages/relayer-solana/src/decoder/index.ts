/**
 * `@zrkit/relayer-solana/decoder`: the ledger's Solana transaction decoder, without `@solana/web3.js`
 * (a ledger server loads it alone).
 *
 * @example
 * ```ts
 * import { solanaTransactionDecoder } from '@zrkit/relayer-solana/decoder'
 * const decoder = solanaTransactionDecoder() // chain 'solana', version 1
 * ```
 * @packageDocumentation
 */
export { solanaTransactionDecoder } from './solanaTransactionDecoder.js'
export type { SolanaNetworkName } from './decodeSolanaTransaction.js'
