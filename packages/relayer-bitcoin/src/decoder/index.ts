/**
 * `@zrkit/relayer-bitcoin/decoder`: the ledger's decoder of Bitcoin PSBTs. It loads no Bitcoin library
 * (only `@zrkit/core`, `@noble/*` and `@scure/base`), so a ledger server can run it without bitcoinjs-lib.
 *
 * @example
 * ```ts
 * import { bitcoinTransactionDecoder } from '@zrkit/relayer-bitcoin/decoder'
 * const decoder = bitcoinTransactionDecoder() // chain 'bitcoin', version 1
 * ```
 * @packageDocumentation
 */
export { bitcoinTransactionDecoder } from './bitcoinTransactionDecoder.js'
export { bitcoinDecoderNetworks, type BitcoinDecoderNetwork } from './decoderNetworks.js'
