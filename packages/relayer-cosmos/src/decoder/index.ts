/**
 * `@zrkit/relayer-cosmos/decoder`: the ledger's transaction decoder for Cosmos SDK chains. It loads no
 * cosmjs, so a ledger server can run it without the chain library.
 *
 * @example
 * ```ts
 * import { cosmosTransactionDecoder } from '@zrkit/relayer-cosmos/decoder'
 * const decoder = cosmosTransactionDecoder() // chain 'cosmos', version 1
 * ```
 * @packageDocumentation
 */
export { cosmosTransactionDecoder } from './cosmosTransactionDecoder.js'
