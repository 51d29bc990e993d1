import {
  type BitcoinNetwork,
  type ClientBase,
  type DerivationPath,
  type DerivationSegment,
  type KeyType,
  type RecoverReturnType,
  type RelayEvent,
  type RelayJournal,
  type RelayOptions,
  type RelayRequestOptions,
  type RelayResult,
  type RelaySendOptions,
  type Relayer,
  type ReplaceRelayParameters,
  type SubmitRelayReturnType,
  ZrError,
  bindRelayer,
} from '@zrkit/core'
import { checkRequestKind, splitRelayOptions } from '@zrkit/core/internal'
import type { BitcoinBackend } from './backends/BitcoinBackend.js'
import { type BitcoinAdapter, type BitcoinAdapterOptions, type BitcoinIntent, type BitcoinReceipt, type BitcoinTransferIntent, bitcoinAdapter } from './bitcoinAdapter.js'
import { type BitcoinSigner, type BitcoinSignerOptions, bitcoinSigner } from './bitcoinSigner.js'
import type { BitcoinNetworkParams } from './networks.js'
import { type SpendType, bitcoinKeyTypes, spendTypeOf } from './scripts.js'

/** Parameters of {@link createBitcoinRelayer}. */
export type CreateBitcoinRelayerParameters = {
  /** A zrkit client whose account owns the key's workspace: it requests the signatures. */
  client: ClientBase
  /** The ledger key: `bitcoin-secp256k1` or `ecdsa-secp256k1` (P2WPKH), or `schnorr-secp256k1` (P2TR key path). */
  keyId: number
  /** Spend from the child key at this path: one key, an address per path. */
  path?: DerivationPath
  /** `mainnet`, `testnet4`, `signet`, `regtest`, or parameters from `bitcoinNetworkParams` (e.g. bcoin's `rb` prefix). */
  network: BitcoinNetwork | BitcoinNetworkParams
  /** Coins, fees, broadcast and confirmations: `bitcoinRpcBackend(...)` or `esploraBackend(...)`. */
  backend: BitcoinBackend
  /** Where relays are kept across restarts (default: memory). Use `fileRelayJournal(dir)` from `@zrkit/core/node` to survive crashes. */
  journal?: RelayJournal
  /** Show approvers the transaction (`from`, outputs, fee, txid...) in the request metadata (default true). */
  disclose?: boolean
  /** Sees the progress of every relay. */
  onEvent?: (event: RelayEvent) => void
  /** Counts every relay for an operator to scrape (`createRelayMetrics()` from `@zrkit/core`). */
  metrics?: { observe(event: RelayEvent): void }
  /** Fee, coin and confirmation settings of the adapter (see {@link BitcoinAdapterOptions}). */
  adapter?: Omit<BitcoinAdapterOptions, 'network' | 'backend'>
  /**
   * How signatures are asked for, by relays (`send`, `submit`, `signPsbt`) and by `signer().signPsbt`
   * alike. `'auto'` (default): a sign-transaction request when the ledger runs the `bitcoin@1` decoder
   * and every input of the PSBT is the key's: the ledger reads the PSBT, computes the sighashes itself
   * and the sign policy judges what the outputs pay (`tx.value <= 0.001 btc`); else the payloads alone.
   * `'transaction'`: always a sign-transaction request (`UNSUPPORTED_CHAIN` before any request is made,
   * the coins let go, when the ledger cannot decode it or the PSBT is not the key's alone). `'payloads'`:
   * the payloads alone, opaque to policies.
   */
  requestKind?: 'auto' | 'transaction' | 'payloads'
}

/** Waiting and request options that go with a relay: core's {@link RelaySendOptions}, the same on every chain. */
export type BitcoinSendOptions = RelaySendOptions

/**
 * Result of a relayed transfer: the one result shape of every zrkit relayer (`relayId`, `requestId`,
 * `txid`, `signedTx`, `receipt`), with `tx` for the signed raw transaction as bitcoinjs users know it.
 */
export type BitcoinRelayResult = RelayResult<BitcoinReceipt> & {
  /** The signed raw transaction (hex): the same as `signedTx`. */
  readonly tx: string
}

/** Result of {@link BitcoinRelayer.signPsbt}. */
export type BitcoinSignPsbtResult = {
  readonly requestId: number
  readonly relayId: string
  readonly txid: string
  /** True when every input is now signed: `tx` is then the final transaction, ready to broadcast. */
  readonly complete: boolean
  /** The final raw transaction (hex), when complete. */
  readonly tx?: string
  /** The PSBT with the key's signatures (base64), when other inputs still need signing. */
  readonly psbt?: string
}

/**
 * Parameters of {@link BitcoinRelayer.speedUp} and {@link BitcoinRelayer.cancel}: the relay's signature
 * request, the replacement's fee rate (sat/vB; absent: the highest of the backend's estimate, 1.25 x the
 * original's and the original's plus the incremental relay fee), and the replacement's own waiting and
 * request options.
 */
export type BitcoinReplaceParameters = { requestId: number; feeRate?: number } & RelayOptions & Omit<RelayRequestOptions, 'idempotencyKey'>

/** A Bitcoin relayer bound to one key (and path): one address on one network. */
export type BitcoinRelayer = {
  /** The key's address: P2WPKH (`bc1q...`) or P2TR (`bc1p...`). */
  readonly address: string
  readonly spendType: SpendType
  /** The spending key (33 bytes, compressed): for P2TR the internal key. */
  readonly publicKey: Uint8Array
  readonly keyId: number
  readonly keyType: KeyType
  readonly path?: readonly DerivationSegment[]
  readonly adapter: BitcoinAdapter
  /** The chain-neutral pipeline underneath. */
  readonly relayer: Relayer<BitcoinIntent, BitcoinReceipt>
  /** Pays outputs from the key's coins: prepares, requests one signature per input in one request, waits, broadcasts and (by default) confirms. */
  send(params: BitcoinTransferIntent & BitcoinSendOptions): Promise<BitcoinRelayResult>
  /** The unsigned PSBT `send` would sign (base64), for review or another wallet; its coins are not held. */
  createPsbt(intent: BitcoinTransferIntent): Promise<string>
  /** Signs the key's inputs of a PSBT made elsewhere, through one signature request; never broadcasts. */
  signPsbt(params: { psbt: string } & Omit<BitcoinSendOptions, 'confirm' | 'confirmTimeoutMs'>): Promise<BitcoinSignPsbtResult>
  /** Prepares and submits, without waiting: for transfers behind approvals. */
  submit(params: BitcoinTransferIntent & RelayRequestOptions): Promise<SubmitRelayReturnType>
  /** Finishes a relay from its signature request id (after `submit`, `APPROVAL_PENDING`, `TIMEOUT`, or a restart). */
  resume(params: { requestId: number } & RelayOptions): Promise<BitcoinRelayResult>
  /** After a restart: finishes every fulfilled relay in the journal (see `Relayer.recover`). */
  recover(options?: Omit<RelayOptions, 'approvals'>): Promise<RecoverReturnType<BitcoinReceipt, BitcoinRelayResult>>
  /**
   * Replaces a sent transfer that has not landed by RBF (BIP125): the same inputs and outputs, a higher
   * fee taken from the change, as a new signature request under the key's sign policy (approvers see
   * `zrkit.replaces`). Resolves with whichever of the two landed; the original relay ends `replaced`.
   */
  speedUp(params: BitcoinReplaceParameters): Promise<BitcoinRelayResult>
  /**
   * Replaces a sent transfer that has not landed with one that sends every input back to the key's own
   * address at a higher fee, so the recipients get nothing; `TX_REPLACED` when the original lands first.
   */
  cancel(params: BitcoinReplaceParameters): Promise<BitcoinRelayResult>
  /** The key's coins, as the backend sees them: confirmed and unconfirmed satoshis. */
  balance(): Promise<{ readonly confirmed: bigint; readonly unconfirmed: bigint; readonly coins: number }>
  /** A bitcoinjs `SignerAsync` for the same key, path and network (see `bitcoinSigner`; its `signPsbt` makes one sign-transaction request per PSBT). */
  signer(options?: Omit<BitcoinSignerOptions, 'client' | 'keyId' | 'path'>): Promise<BitcoinSigner>
}

const split = (params: object | undefined) => splitRelayOptions<BitcoinTransferIntent, BitcoinSendOptions>(params)

/** The pipeline's replace parameters from a Bitcoin speed-up or cancel: the fee rate goes into `fees`. */
function replaceParams(p: BitcoinReplaceParameters, mode: 'speed-up' | 'cancel'): ReplaceRelayParameters {
  if (!p || typeof p !== 'object') throw new ZrError('INVALID_INPUT', 'Cannot replace this relay.', { details: `expected { requestId, feeRate? }, got ${typeof p}` })
  const { feeRate, ...rest } = p
  return { ...rest, mode, ...(feeRate !== undefined ? { fees: { feeRate } } : {}) }
}

/**
 * Creates a Bitcoin relayer for one zrkit key on one network: it pays from the key's P2WPKH address
 * (ECDSA keys) or P2TR address (Schnorr keys, taproot key path), each transaction through one zrkit
 * signature request with one payload per input, so every spend passes the key's sign policy (e.g. a
 * second owner's approval) before it is signed. It runs the shared relay pipeline with
 * {@link bitcoinAdapter}: fee rate from the backend, coin selection with change, RBF; with a file
 * journal it finishes after a crash what was fulfilled, broadcasting each transaction once. It also
 * signs PSBTs made elsewhere, and gives a bitcoinjs `SignerAsync` for code that already speaks bitcoinjs.
 *
 * @example
 * ```ts
 * import { fileRelayJournal } from '@zrkit/core/node'
 * import { createBitcoinRelayer, esploraBackend } from '@zrkit/relayer-bitcoin'
 *
 * const btc = await createBitcoinRelayer({
 *   client: alice,
 *   keyId: key.id,
 *   network: 'signet',
 *   backend: esploraBackend({ url: 'https://mempool.space/signet/api' }),
 *   journal: fileRelayJournal('./relays'),
 * })
 * console.log(btc.address) // fund it from a faucet, then:
 * const { txid, receipt } = await btc.send({ outputs: [{ address: 'tb1q...', value: 5_000n }], timeoutMs: 10 * 60_000 })
 * ```
 */
export async function createBitcoinRelayer(params: CreateBitcoinRelayerParameters): Promise<BitcoinRelayer> {
  if (!params || typeof params !== 'object') throw new ZrError('INVALID_INPUT', 'Invalid Bitcoin relayer parameters.', { details: `expected { client, keyId, network, backend }, got ${typeof params}` })
  const { client } = params
  const requestKind = checkRequestKind(params.requestKind)
  const adapter = bitcoinAdapter({ ...(params.adapter ?? {}), network: params.network, backend: params.backend })
  const bound = await bindRelayer({
    client,
    keyId: params.keyId,
    ...(params.path !== undefined ? { path: params.path } : {}),
    name: 'Bitcoin',
    keyTypes: bitcoinKeyTypes,
    keyTypeMessage: 'The Bitcoin relayer cannot spend with this key.',
    adapter,
    disclose: params.disclose ?? true,
    ...(params.journal ? { journal: params.journal } : {}),
    ...(params.onEvent ? { onEvent: params.onEvent } : {}),
    ...(params.metrics ? { metrics: params.metrics } : {}),
    requestKind,
    toResult: (r): BitcoinRelayResult => ({ ...r, tx: r.signedTx }),
  })
  const { keyId, keyType, publicKey, signer, relayer } = bound
  const spendType = spendTypeOf(keyType)
  const address = adapter.addressOf(signer)
  const keyPath = bound.path !== undefined ? { path: bound.path } : {}

  return Object.freeze({
    address,
    spendType,
    publicKey,
    keyId,
    keyType,
    ...keyPath,
    adapter,
    relayer,
    async send(p: BitcoinTransferIntent & BitcoinSendOptions) {
      const { intent, options } = split(p)
      return bound.relay(intent, options)
    },
    async createPsbt(intent: BitcoinTransferIntent) {
      const prepared = await adapter.prepare(intent, signer)
      await adapter.release(prepared, signer)
      return prepared.unsignedTx
    },
    async signPsbt(p: { psbt: string } & Omit<BitcoinSendOptions, 'confirm' | 'confirmTimeoutMs'>) {
      const { psbt, ...options } = p
      const signed = await bound.sign({ psbt }, options)
      const complete = /^([0-9a-f]{2})+$/i.test(signed.signedTx)
      return { requestId: signed.requestId, relayId: signed.relayId, txid: signed.txid, complete, ...(complete ? { tx: signed.signedTx } : { psbt: signed.signedTx }) }
    },
    submit(p: BitcoinTransferIntent & RelayRequestOptions) {
      const { intent, options } = split(p)
      return bound.submit(intent, options)
    },
    resume: bound.resume,
    recover: bound.recover,
    speedUp: (p: BitcoinReplaceParameters) => bound.replace(replaceParams(p, 'speed-up')),
    cancel: (p: BitcoinReplaceParameters) => bound.replace(replaceParams(p, 'cancel')),
    async balance() {
      const coins = await adapter.backend.utxos(address)
      let confirmed = 0n
      let unconfirmed = 0n
      for (const c of coins) {
        if (c.confirmations > 0) confirmed += c.value
        else unconfirmed += c.value
      }
      return { confirmed, unconfirmed, coins: coins.length }
    },
    signer: (options?: Omit<BitcoinSignerOptions, 'client' | 'keyId' | 'path'>) => bitcoinSigner({ network: adapter.params, requestKind, ...(options ?? {}), client, keyId, ...keyPath }),
  })
}
