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
  type RelayResult,
  type RelaySigner,
  type Relayer,
  type SubmitRelayReturnType,
  ZrError,
  createRelayer,
  getKey,
  parseDerivationPath,
} from '@zrkit/core'
import { splitRelayOptions } from '@zrkit/core/internal'
import type { BitcoinBackend } from './backends/BitcoinBackend.js'
import { type BitcoinAdapter, type BitcoinAdapterOptions, type BitcoinIntent, type BitcoinReceipt, type BitcoinTransferIntent, bitcoinAdapter } from './bitcoinAdapter.js'
import { type BitcoinSigner, type BitcoinSignerOptions, bitcoinSigner } from './bitcoinSigner.js'
import type { BitcoinNetworkParams } from './networks.js'
import { type SpendType, spendTypeOf } from './scripts.js'

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
  /** Fee, coin and confirmation settings of the adapter (see {@link BitcoinAdapterOptions}). */
  adapter?: Omit<BitcoinAdapterOptions, 'network' | 'backend'>
}

/** Waiting and request options that go with a relay. */
export type BitcoinSendOptions = RelayOptions & {
  /** Time the keyring has once the request is pending. */
  ttlMs?: number
  /** Extra metadata for the signature request (keys starting with `zrkit.` are reserved). */
  metadata?: Readonly<Record<string, string>>
}

/** Result of a relayed transfer. */
export type BitcoinRelayResult = {
  readonly requestId: number
  readonly relayId: string
  readonly txid: string
  /** The signed raw transaction (hex). */
  readonly tx: string
  /** Once confirmed (absent with `confirm: false`). */
  readonly receipt?: BitcoinReceipt
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
  submit(params: BitcoinTransferIntent & Pick<BitcoinSendOptions, 'ttlMs' | 'metadata'>): Promise<SubmitRelayReturnType>
  /** Finishes a relay from its signature request id (after `submit`, `APPROVAL_PENDING`, `TIMEOUT`, or a restart). */
  resume(params: { requestId: number } & RelayOptions): Promise<BitcoinRelayResult>
  /** After a restart: finishes every fulfilled relay in the journal (see `Relayer.recover`). */
  recover(options?: Omit<RelayOptions, 'approvals'>): Promise<RecoverReturnType<BitcoinReceipt>>
  /** The key's coins, as the backend sees them: confirmed and unconfirmed satoshis. */
  balance(): Promise<{ readonly confirmed: bigint; readonly unconfirmed: bigint; readonly coins: number }>
  /** A bitcoinjs `SignerAsync` for the same key and path (see `bitcoinSigner`). */
  signer(options?: Omit<BitcoinSignerOptions, 'client' | 'keyId' | 'path'>): Promise<BitcoinSigner>
}

const split = (params: object | undefined) => splitRelayOptions<BitcoinTransferIntent, BitcoinSendOptions>(params)

const toResult = (r: RelayResult<BitcoinReceipt>): BitcoinRelayResult => ({
  requestId: r.requestId,
  relayId: r.relayId,
  txid: r.txid,
  tx: r.signedTx,
  ...(r.receipt ? { receipt: r.receipt } : {}),
})

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
  const { client, keyId } = params
  if (!client?.ledger) throw new ZrError('INVALID_INPUT', 'Invalid Bitcoin relayer parameters.', { details: 'client: expected a zrkit client (createZrClient({ ledger, account }))' })
  if (!Number.isSafeInteger(keyId) || keyId < 1) throw new ZrError('INVALID_INPUT', 'Invalid Bitcoin relayer parameters.', { details: `keyId: expected a positive integer, got ${String(keyId)}` })
  const path = params.path === undefined ? undefined : parseDerivationPath(params.path)
  const adapter = bitcoinAdapter({ ...(params.adapter ?? {}), network: params.network, backend: params.backend })

  const key = await getKey(client, { id: keyId, ...(path !== undefined ? { path } : {}) })
  const spendType = spendTypeOf(key.keyType)
  const publicKey = key.derived?.publicKey ?? key.publicKey
  const signer: RelaySigner = { keyId, keyType: key.keyType, ...(key.derived ? { path: key.derived.path } : {}), publicKey }
  const address = adapter.addressOf(signer)
  const relayer = createRelayer({ client, adapter, disclose: params.disclose ?? true, ...(params.journal ? { journal: params.journal } : {}), ...(params.onEvent ? { onEvent: params.onEvent } : {}) })
  const keyPath = path !== undefined ? { path } : {}
  const requestOptions = (o: BitcoinSendOptions) => ({ ...(o.ttlMs !== undefined ? { ttlMs: o.ttlMs } : {}), ...(o.metadata ? { metadata: o.metadata } : {}) })

  return Object.freeze({
    address,
    spendType,
    publicKey,
    keyId,
    keyType: key.keyType,
    ...(key.derived ? { path: key.derived.path } : {}),
    adapter,
    relayer,
    async send(p: BitcoinTransferIntent & BitcoinSendOptions) {
      const { intent, options } = split(p)
      return toResult(await relayer.relay({ keyId, ...keyPath, intent, ...options }))
    },
    async createPsbt(intent: BitcoinTransferIntent) {
      const prepared = await adapter.prepare(intent, signer)
      await adapter.release(prepared, signer)
      return prepared.unsignedTx
    },
    async signPsbt(p: { psbt: string } & Omit<BitcoinSendOptions, 'confirm' | 'confirmTimeoutMs'>) {
      const { psbt, ttlMs, metadata, ...wait } = p
      const { requestId } = await relayer.submit({ keyId, ...keyPath, intent: { psbt }, ...requestOptions({ ...(ttlMs !== undefined ? { ttlMs } : {}), ...(metadata ? { metadata } : {}) }) })
      const signed = await relayer.sign({ requestId, ...wait })
      const complete = /^([0-9a-f]{2})+$/i.test(signed.signedTx)
      return { requestId, relayId: signed.relayId, txid: signed.txid, complete, ...(complete ? { tx: signed.signedTx } : { psbt: signed.signedTx }) }
    },
    submit(p: BitcoinTransferIntent & Pick<BitcoinSendOptions, 'ttlMs' | 'metadata'>) {
      const { intent, options } = split(p)
      return relayer.submit({ keyId, ...keyPath, intent, ...requestOptions(options) })
    },
    async resume(p: { requestId: number } & RelayOptions) {
      return toResult(await relayer.resume(p))
    },
    recover: (options?: Omit<RelayOptions, 'approvals'>) => relayer.recover(options),
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
    signer: (options?: Omit<BitcoinSignerOptions, 'client' | 'keyId' | 'path'>) => bitcoinSigner({ ...(options ?? {}), client, keyId, ...keyPath }),
  })
}
