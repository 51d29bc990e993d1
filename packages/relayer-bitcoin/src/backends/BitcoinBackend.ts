/** An unspent output of an address, as a backend reports it. */
export type BitcoinUtxo = {
  readonly txid: string
  readonly vout: number
  /** Satoshis. */
  readonly value: bigint
  /** 0 while in the mempool. */
  readonly confirmations: number
  /** True for a coinbase output (spendable after 100 confirmations), when the backend says so. */
  readonly coinbase?: boolean
}

/** Where a transaction stands. */
export type BitcoinTxStatus =
  | { readonly state: 'unknown' }
  /** In the mempool; `feeRate` (sat/vB) when the backend reads it from the mempool entry. */
  | { readonly state: 'mempool'; readonly feeRate?: number }
  | { readonly state: 'confirmed'; readonly confirmations: number; readonly blockHash: string; readonly blockHeight: number }

/**
 * Who spends an output, as a backend sees it: nobody yet (`unspent`), a transaction in the mempool or
 * in a block (`spent`; `txid` when the backend can name it, `confirmed` when the spend is in a block),
 * or `unknown` (the output's own transaction is not known to the backend).
 */
export type BitcoinOutspend =
  | { readonly state: 'unspent' }
  | { readonly state: 'spent'; readonly txid?: string; readonly confirmed: boolean }
  | { readonly state: 'unknown' }

/**
 * What the Bitcoin relayer needs from the network, behind one interface so a Bitcoin Core node
 * ({@link bitcoinRpcBackend}) and an Esplora explorer ({@link esploraBackend}) are interchangeable.
 * Failures are `ZrError`s with code `NODE_REQUEST_FAILED` (the node did not answer, or refused the
 * request) or `BROADCAST_FAILED` (the network refused the transaction; its `details` carry the node's
 * reason, e.g. `txn-mempool-conflict` when another transaction spends its inputs).
 *
 * `outspend` and `mempoolMinFeeRate` are optional: a relay left running uses them to tell a transaction
 * that another one replaced from one the node merely lost, and to say why a transaction does not move.
 * A backend that cannot answer one leaves it out (or throws `UNSUPPORTED_CHAIN`), and the relayer does
 * without it.
 *
 * @example
 * ```ts
 * import { type BitcoinBackend, esploraBackend } from '@zrkit/relayer-bitcoin'
 *
 * const backend: BitcoinBackend = esploraBackend({ url: 'https://mempool.space/testnet4/api' })
 * const coins = await backend.utxos('tb1q...')
 * ```
 */
export type BitcoinBackend = {
  /** `bitcoind-rpc`, `esplora`, or a custom backend's name. */
  readonly kind: string
  /** The hash of block 0, to check the backend is on the expected network. */
  genesisHash(): Promise<string>
  /** Height of the best block. */
  tipHeight(): Promise<number>
  /** The unspent outputs of an address (mempool ones with 0 confirmations, when the backend sees them). */
  utxos(address: string): Promise<BitcoinUtxo[]>
  /** A fee rate in sat/vB for confirmation within `targetBlocks`, or `undefined` when the backend has no estimate. */
  feeRate(targetBlocks: number): Promise<number | undefined>
  /** Sends a raw transaction (hex). Resolves once the backend took it; throws `BROADCAST_FAILED` when it refused it. */
  broadcast(rawTx: string): Promise<void>
  /** Where a transaction stands. `rawTx` helps backends that look a confirmed transaction up by its outputs. */
  txStatus(txid: string, rawTx?: string): Promise<BitcoinTxStatus>
  /** Who spends an output: in the mempool or in a block (see {@link BitcoinOutspend}). */
  outspend?(outpoint: { readonly txid: string; readonly vout: number }): Promise<BitcoinOutspend>
  /** The lowest fee rate (sat/vB) the node's mempool takes now, or `undefined` when the backend cannot say. */
  mempoolMinFeeRate?(): Promise<number | undefined>
}
