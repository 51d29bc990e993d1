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
  | { readonly state: 'mempool' }
  | { readonly state: 'confirmed'; readonly confirmations: number; readonly blockHash: string; readonly blockHeight: number }

/**
 * What the Bitcoin relayer needs from the network, behind one interface so a Bitcoin Core node
 * ({@link bitcoinRpcBackend}) and an Esplora explorer ({@link esploraBackend}) are interchangeable.
 * Failures are `ZrError`s with code `NODE_REQUEST_FAILED` (the node did not answer, or refused the
 * request) or `BROADCAST_FAILED` (the network refused the transaction).
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
}
