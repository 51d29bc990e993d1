/**
 * `@zrkit/relayer-evm/decoder`: the ledger's reader of unsigned EVM transactions. It loads no chain
 * library (no viem), so a ledger server can run it alone.
 *
 * @example
 * ```ts
 * import { evmTransactionDecoder } from '@zrkit/relayer-evm/decoder'
 * const decoder = evmTransactionDecoder() // { chain: 'evm', version: 1, decode, normalizeAddress, ... }
 * ```
 * @packageDocumentation
 */
export { evmTransactionDecoder } from './evmTransactionDecoder.js'
