import type { TransactionDecoder } from '@zrkit/core'
import { bitcoinTransactionDecoder } from '@zrkit/relayer-bitcoin/decoder'
import { cosmosTransactionDecoder } from '@zrkit/relayer-cosmos/decoder'
import { evmTransactionDecoder } from '@zrkit/relayer-evm/decoder'
import { solanaTransactionDecoder } from '@zrkit/relayer-solana/decoder'

/**
 * The transaction decoders this CLI's ledger server is opened with: one per chain relayer (`evm@1`,
 * `bitcoin@1`, `solana@1`, `cosmos@1`). The genesis picks which of them run. Their entries load no chain
 * library.
 *
 * @example
 * ```ts
 * const ledger = await createEmbeddedLedger({ genesis, store, transactionDecoders: transactionDecoders() })
 * ```
 */
export function transactionDecoders(): TransactionDecoder[] {
  return [evmTransactionDecoder(), bitcoinTransactionDecoder(), solanaTransactionDecoder(), cosmosTransactionDecoder()]
}

/**
 * The `chain@version` of each decoder {@link transactionDecoders} gives, for a genesis that runs them all.
 *
 * @example
 * ```ts
 * transactionDecoderIds() // ['evm@1', 'bitcoin@1', 'solana@1', 'cosmos@1']
 * ```
 */
export function transactionDecoderIds(): string[] {
  return transactionDecoders().map((d) => `${d.chain}@${d.version}`)
}
