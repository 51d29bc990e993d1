import {
  type ClientBase,
  type DerivationPath,
  type DerivationSegment,
  type RecoverReturnType,
  type RelayEvent,
  type RelayJournal,
  type RelayOptions,
  type RelayRequestOptions,
  type RelayResult,
  type RelaySendOptions,
  type Relayer,
  type SubmitRelayReturnType,
  ZrError,
  assertAddress,
  bindRelayer,
  publicKeyToAddress,
  toBytes,
} from '@zrkit/core'
import { type RequestKind, checkRequestKind, splitRelayOptions } from '@zrkit/core/internal'
import type { EncodeObject, OfflineDirectSigner, Registry } from '@cosmjs/proto-signing'
import type { Coin, DeliverTxResponse, GasPrice, HttpEndpoint } from '@cosmjs/stargate'
import { type CosmosMessagesIntent, type CosmosTxIntent, checkCoins, checkPrefix, cosmosAdapter } from './cosmosAdapter.js'
import { type CosmosChain, connectCosmosChain } from './cosmosChain.js'
import { type CosmosSignerOptions, cosmosSigner } from './cosmosSigner.js'

/** Parameters of {@link createCosmosRelayer}. */
export type CreateCosmosRelayerParameters = {
  /** A zrkit client whose account owns the key's workspace: it requests the signatures. */
  client: ClientBase
  /** The ledger key (ECDSA secp256k1) that signs. */
  keyId: number
  /** Sign with the child key at this path: one key, an address per path. */
  path?: DerivationPath
  /** The bech32 prefix of the chain's addresses: `'cosmos'`, `'osmo'`, `'neutron'`, `'zen'`... */
  prefix: string
  /** A CometBFT RPC endpoint: account numbers, sequences, gas simulation, broadcast and inclusion go through it. */
  rpcEndpoint?: string | HttpEndpoint
  /** Or any {@link CosmosChain} (e.g. `stargateChain(client)`). */
  chain?: CosmosChain
  /** The chain id; read from the chain when there is one (and checked against it when both are given). Needed without a chain. */
  chainId?: string
  /** The default gas price, e.g. `'0.025uatom'`. */
  gasPrice?: string | GasPrice
  /** Multiplies the simulated gas (default 1.4). */
  gasAdjustment?: number
  /** Message types (default: cosmjs's default registry). */
  registry?: Registry
  /** Where relays are kept across restarts (default: memory). Use `fileRelayJournal(dir)` from `@zrkit/core/node` to survive crashes. */
  journal?: RelayJournal
  /** Show approvers the transaction (`from`, `to`, `amount`, `sequence`, `messages`...) in the request metadata (default true). */
  disclose?: boolean
  /** Default time to wait for inclusion in a block (default 120 000 ms; 0 = for ever). */
  confirmTimeoutMs?: number
  /** How often to ask the chain for the transaction while waiting (default 1 000 ms). */
  pollIntervalMs?: number
  /** Sees the progress of every relay. */
  onEvent?: (event: RelayEvent) => void
  /** Counts every relay for an operator to scrape (`createRelayMetrics()` from `@zrkit/core`). */
  metrics?: { observe(event: RelayEvent): void }
  /** How `signer` waits for approvals (see {@link CosmosSignerOptions}). */
  signer?: CosmosSignerOptions
  /**
   * How signatures are asked for, by relays and by `signer` alike. `'auto'` (default): a sign-transaction
   * request when the ledger runs the Cosmos decoder (`cosmos@1` in its genesis) and the key is
   * `ecdsa-secp256k1`: the ledger reads the SignDoc, computes the payload itself and the sign policy judges
   * what the transaction does (`tx.token == atom && tx.amount <= 1 atom`); else the payload alone.
   * `'transaction'`: always a sign-transaction request (`UNSUPPORTED_CHAIN` before anything is prepared
   * when the ledger cannot decode it). `'payloads'`: the payload alone, opaque to policies.
   */
  requestKind?: RequestKind
}

/** Waiting and request options that go with a transaction: core's {@link RelaySendOptions}, the same on every chain. */
export type CosmosSendOptions = RelaySendOptions

/**
 * Result of a relayed transaction: the one result shape of every zrkit relayer (`relayId`, `requestId`,
 * `txid`, `signedTx` as hex of the `TxRaw` bytes, `receipt`), with cosmjs's names `transactionHash` and
 * `txBytes`. The receipt is cosmjs's `DeliverTxResponse`, always with `code` 0: a transaction that lands
 * in a block but fails throws `TX_FAILED` instead (its receipt, with the code, is in the error's `meta`).
 */
export type CosmosRelayResult = RelayResult<DeliverTxResponse> & {
  /** Upper-case hex sha256 of the signed `TxRaw` bytes: the transaction's id on the chain (the same as `txid`). */
  readonly transactionHash: string
  /** The signed `TxRaw` bytes, as nodes take them. */
  readonly txBytes: Uint8Array
}

/** Parameters of {@link CosmosRelayer.sendTokens}. */
export type CosmosSendTokensParameters = Omit<CosmosMessagesIntent, 'messages'> &
  CosmosSendOptions & {
    /** The recipient, with the relayer's prefix. */
    to: string
    /** e.g. `[{ denom: 'uatom', amount: '1000' }]` (cosmjs's `coins(1000, 'uatom')`). */
    amount: readonly Coin[]
  }

/** Parameters of {@link CosmosRelayer.signAndBroadcast} and {@link CosmosRelayer.sign}. */
export type CosmosSignAndBroadcastParameters = CosmosMessagesIntent & CosmosSendOptions

/** A Cosmos relayer bound to one key (and path): one address on one chain. */
export type CosmosRelayer = {
  /** The key's account address with the relayer's prefix (the child's at `path`). */
  readonly address: string
  /** The signing public key (33 bytes, compressed), as it goes into the auth info. */
  readonly publicKey: Uint8Array
  readonly keyId: number
  readonly path?: readonly DerivationSegment[]
  readonly chainId: string
  readonly prefix: string
  readonly registry: Registry
  /** The chain it reads from and broadcasts to (absent: it only signs). */
  readonly chain?: CosmosChain
  /** The chain-neutral pipeline underneath, with the Cosmos adapter. */
  readonly relayer: Relayer<CosmosTxIntent, DeliverTxResponse>
  /** A cosmjs `OfflineDirectSigner` for `SigningStargateClient.connectWithSigner`. */
  readonly signer: OfflineDirectSigner
  /** The same signer with other waiting options. */
  toSigner(options?: CosmosSignerOptions): OfflineDirectSigner
  /** A bank send: prepares, requests, waits for approvals and the keyring, broadcasts and (by default) waits for the block. */
  sendTokens(params: CosmosSendTokensParameters): Promise<CosmosRelayResult>
  /** Any messages of the registry, the same way. */
  signAndBroadcast(params: CosmosSignAndBroadcastParameters): Promise<CosmosRelayResult>
  /** Signs without broadcasting: the `TxRaw` bytes to send yourself (works without a chain given `accountNumber`, `sequence` and `gas` or `fee`). */
  sign(params: CosmosSignAndBroadcastParameters): Promise<CosmosRelayResult>
  /** Prepares and submits, without waiting: for queueing several transactions behind approvals. */
  submit(params: CosmosMessagesIntent & RelayRequestOptions): Promise<SubmitRelayReturnType>
  /** Finishes a relay from its signature request id (after `submit`, `APPROVAL_PENDING`, `TIMEOUT`, or a restart); without a chain it stops once signed. */
  resume(params: { requestId: number } & RelayOptions): Promise<CosmosRelayResult>
  /** After a restart: finishes every fulfilled relay in the journal (see `Relayer.recover`). Needs a chain. */
  recover(options?: Omit<RelayOptions, 'approvals'>): Promise<RecoverReturnType<DeliverTxResponse, CosmosRelayResult>>
}

const split = (params: object | undefined) => splitRelayOptions<CosmosMessagesIntent, CosmosSendOptions>(params)

/**
 * Creates a Cosmos relayer for one zrkit key on one Cosmos SDK chain: bank sends and any message of a
 * cosmjs registry, signed through zrkit signature requests, so every transaction passes the key's sign
 * policy (e.g. a second owner's approval) before it is signed. It runs the shared relay pipeline with
 * the Cosmos adapter: the account number and sequence come from the chain (queued transactions get
 * consecutive sequences), the gas from a simulation and the fee from the gas price; with an RPC endpoint
 * it broadcasts and waits for the block; with a file journal it finishes after a crash what was
 * fulfilled, broadcasting each transaction once. Its `signer` is a cosmjs `OfflineDirectSigner` for code
 * that already speaks cosmjs. The address works with any bech32 prefix.
 *
 * @example
 * ```ts
 * import { fileRelayJournal } from '@zrkit/core/node'
 * import { createCosmosRelayer } from '@zrkit/relayer-cosmos'
 *
 * const cosmos = await createCosmosRelayer({
 *   client: alice, keyId: key.id, prefix: 'osmo', gasPrice: '0.025uosmo',
 *   rpcEndpoint: 'https://rpc.osmotest5.osmosis.zone', journal: fileRelayJournal('./relays'),
 * })
 * console.log(cosmos.address) // fund it from the faucet, then:
 * const { transactionHash, receipt } = await cosmos.sendTokens({ to: 'osmo1...', amount: [{ denom: 'uosmo', amount: '1000' }], memo: 'zrkit' })
 * ```
 */
export async function createCosmosRelayer(params: CreateCosmosRelayerParameters): Promise<CosmosRelayer> {
  const invalid = (details: string) => new ZrError('INVALID_INPUT', 'Invalid Cosmos relayer parameters.', { details })
  if (!params || typeof params !== 'object') throw invalid(`expected { client, keyId, prefix }, got ${typeof params}`)
  const { client } = params
  if (!client?.ledger) throw invalid('client: expected a zrkit client (createZrClient({ ledger, account }))')
  if (!Number.isSafeInteger(params.keyId) || params.keyId < 1) throw invalid(`keyId: expected a positive integer, got ${String(params.keyId)}`)
  const prefix = checkPrefix(params.prefix)
  if (params.chain !== undefined && params.rpcEndpoint !== undefined) throw invalid('expected rpcEndpoint or chain, not both')
  const requestKind = checkRequestKind(params.requestKind)

  let chain: CosmosChain | undefined
  let chainId = params.chainId
  const bound = await bindRelayer({
    client,
    keyId: params.keyId,
    ...(params.path !== undefined ? { path: params.path } : {}),
    name: 'Cosmos',
    keyTypes: ['ecdsa-secp256k1', 'bitcoin-secp256k1'],
    keyTypeMessage: 'A Cosmos relayer needs an ECDSA secp256k1 key.',
    adapter: async () => {
      chain = params.chain ?? (params.rpcEndpoint !== undefined ? await connectCosmosChain(params.rpcEndpoint, params.registry ? { registry: params.registry } : {}) : undefined)
      if (chain) {
        let actual: string
        try {
          actual = await chain.getChainId()
        } catch (cause) {
          throw new ZrError('PREPARE_FAILED', 'Could not read the chain id from the node.', { details: cause instanceof Error ? cause.message : String(cause), cause })
        }
        if (chainId !== undefined && chainId !== actual) {
          throw new ZrError('CHAIN_ID_MISMATCH', 'The node is on another chain.', { details: `expected chain id ${JSON.stringify(chainId)}, the node says ${JSON.stringify(actual)}`, context: { expected: chainId, actual } })
        }
        chainId = actual
      } else if (chainId === undefined) throw invalid('chainId: expected the chain id (e.g. "cosmoshub-4") when there is no rpcEndpoint or chain')
      return cosmosAdapter({
        chainId,
        prefix,
        ...(chain ? { chain } : {}),
        ...(params.registry ? { registry: params.registry } : {}),
        ...(params.gasPrice !== undefined ? { gasPrice: params.gasPrice } : {}),
        ...(params.gasAdjustment !== undefined ? { gasAdjustment: params.gasAdjustment } : {}),
        ...(params.confirmTimeoutMs !== undefined ? { confirmTimeoutMs: params.confirmTimeoutMs } : {}),
        ...(params.pollIntervalMs !== undefined ? { pollIntervalMs: params.pollIntervalMs } : {}),
      })
    },
    disclose: params.disclose ?? true,
    requestKind,
    ...(params.journal ? { journal: params.journal } : {}),
    ...(params.onEvent ? { onEvent: params.onEvent } : {}),
    ...(params.metrics ? { metrics: params.metrics } : {}),
    toResult: (r): CosmosRelayResult => ({ ...r, transactionHash: r.txid, txBytes: toBytes(r.signedTx, 'signed transaction') }),
  })
  const { keyId, publicKey, relayer, adapter } = bound
  const address = publicKeyToAddress(publicKey, prefix)
  const keyPath = bound.path !== undefined ? { path: bound.path } : {}
  const context = { keyId, ...keyPath, address, publicKey, relayer }
  const signer = cosmosSigner(context, params.signer)

  const noChain = () => new ZrError('INVALID_INPUT', 'No Cosmos chain to broadcast to.', { details: 'this relayer has no rpcEndpoint or chain: use sign() for the signed transaction, and broadcast it yourself' })
  const send = async (intent: CosmosMessagesIntent, options: CosmosSendOptions) => {
    if (!chain) throw noChain()
    return bound.relay(intent, options)
  }

  return Object.freeze({
    address,
    publicKey,
    keyId,
    ...keyPath,
    chainId: adapter.chainId,
    prefix,
    registry: adapter.registry,
    ...(chain ? { chain } : {}),
    relayer,
    signer,
    toSigner: (options?: CosmosSignerOptions) => cosmosSigner(context, options),
    async sendTokens(p: CosmosSendTokensParameters) {
      if (!p || typeof p !== 'object') throw invalid(`expected { to, amount }, got ${typeof p}`)
      const { to, amount, ...rest } = p
      const toAddress = assertAddress(to, prefix, 'recipient')
      const coins = checkCoins(amount, 'amount', { positive: true })
      if (coins.length === 0) throw new ZrError('INVALID_INPUT', 'Invalid Cosmos transaction.', { details: 'amount: expected at least one coin, got an empty array' })
      const { intent, options } = split(rest)
      const message: EncodeObject = { typeUrl: '/cosmos.bank.v1beta1.MsgSend', value: { fromAddress: address, toAddress, amount: coins } }
      return send({ ...intent, messages: [message] }, options)
    },
    signAndBroadcast(p: CosmosSignAndBroadcastParameters) {
      const { intent, options } = split(p ?? {})
      return send(intent, options)
    },
    sign(p: CosmosSignAndBroadcastParameters) {
      const { intent, options } = split(p ?? {})
      const { confirm: _confirm, confirmTimeoutMs: _confirmTimeoutMs, ...rest } = options
      return bound.sign(intent, rest)
    },
    submit(p: CosmosMessagesIntent & RelayRequestOptions) {
      const { intent, options } = split(p ?? {})
      return bound.submit(intent, options)
    },
    resume(p: { requestId: number } & RelayOptions) {
      return chain ? bound.resume(p) : bound.resumeToSigned(p)
    },
    recover(options?: Omit<RelayOptions, 'approvals'>) {
      if (!chain) return Promise.reject(noChain())
      return bound.recover(options)
    },
  }) as CosmosRelayer
}
