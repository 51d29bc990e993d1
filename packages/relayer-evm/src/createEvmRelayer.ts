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
  type ReplaceRelayParameters,
  type SubmitRelayReturnType,
  ZrError,
  bindRelayer,
  publicKeyToEvmAddress,
} from '@zrkit/core'
import { checkRequestKind, splitRelayOptions } from '@zrkit/core/internal'
import {
  type Abi,
  type Address,
  type Chain,
  type Client,
  type ContractFunctionName,
  type EncodeDeployDataParameters,
  type EncodeFunctionDataParameters,
  type Hex,
  type LocalAccount,
  type TransactionReceipt,
  type Transport,
  encodeDeployData,
  encodeFunctionData,
} from 'viem'
import { getChainId } from 'viem/actions'
import { type EvmAccountOptions, evmAccount } from './evmAccount.js'
import { type EvmTransactionIntent, evmAdapter } from './evmAdapter.js'
import { type EvmNonceManager, sharedEvmNonceManager } from './evmNonceManager.js'

/** Parameters of {@link createEvmRelayer}. */
export type CreateEvmRelayerParameters = {
  /** A zrkit client whose account owns the key's workspace: it requests the signatures. */
  client: ClientBase
  /** A viem client for the chain (public or wallet). Its `chain` gives the chain id (else the node is asked). */
  publicClient: Client<Transport, Chain | undefined>
  /** The ledger key (ECDSA secp256k1) that signs. */
  keyId: number
  /** Sign with the child key at this path: one key, an address per path. */
  path?: DerivationPath
  /** Where relays are kept across restarts (default: memory). Use `fileRelayJournal(dir)` from `@zrkit/core/node` to survive crashes. */
  journal?: RelayJournal
  /** Default: the process-wide {@link sharedEvmNonceManager}. */
  nonceManager?: EvmNonceManager
  /** Show approvers the transaction (`from`, `to`, `value`, `nonce`...) in the request metadata (default true). */
  disclose?: boolean
  /** Blocks to wait for when confirming (default 1); a reorganization within them is survived (the transaction is sent again). */
  confirmations?: number
  /** How long a broadcast transaction may be unable to move before the relay says so with `TX_STALLED` (default 15 000 ms; see `EvmAdapterOptions`). */
  stallAfterMs?: number
  /** Sees the progress of every relay. */
  onEvent?: (event: RelayEvent) => void
  /** Counts every relay for an operator to scrape (`createRelayMetrics()` from `@zrkit/core`). */
  metrics?: { observe(event: RelayEvent): void }
  /** How `account` waits for approvals (see {@link EvmAccountOptions}). */
  account?: EvmAccountOptions
  /**
   * How signatures are asked for, by every transaction of the relayer and of its `account`
   * (`signTransaction`): `'auto'` (default) a sign-transaction request when the ledger runs the `evm@1`
   * decoder (the ledger reads the transaction and the sign policy judges what it does: `tx.value <= 0.1 eth`),
   * else the digest alone; `'transaction'` always a sign-transaction request (`UNSUPPORTED_CHAIN` when the
   * ledger cannot decode it); `'payloads'` the digest alone, opaque to policies. The account's `sign`,
   * `signMessage` and `signTypedData` sign digests that are not transactions: always payload requests.
   */
  requestKind?: 'auto' | 'transaction' | 'payloads'
}

/** Waiting and request options that go with a transaction: core's {@link RelaySendOptions}, the same on every chain. */
export type EvmSendOptions = RelaySendOptions

/**
 * Result of a relayed transaction: the one result shape of every zrkit relayer (`relayId`, `requestId`,
 * `txid`, `signedTx`, `receipt`), with viem's name `hash` for the transaction id. The receipt is
 * viem's; a transaction that reverts throws `TX_FAILED` instead (the receipt is in its `meta`).
 */
export type EvmRelayResult = RelayResult<TransactionReceipt> & {
  /** The transaction hash (the same as `txid`). */
  readonly hash: Hex
  readonly txid: Hex
  /** The signed raw transaction. */
  readonly signedTx: Hex
}

/** Parameters of {@link EvmRelayer.sendTransaction}. */
export type EvmSendTransactionParameters = EvmTransactionIntent & EvmSendOptions
/** Parameters of {@link EvmRelayer.deployContract}: viem's `abi`, `bytecode` and `args`, and transaction fields. */
export type EvmDeployContractParameters<abi extends Abi | readonly unknown[] = Abi> = EncodeDeployDataParameters<abi> & Omit<EvmTransactionIntent, 'to' | 'data'> & EvmSendOptions
/** Parameters of {@link EvmRelayer.writeContract}: viem's `address`, `abi`, `functionName` and `args`, and transaction fields. */
export type EvmWriteContractParameters<abi extends Abi | readonly unknown[] = Abi, functionName extends ContractFunctionName<abi> = ContractFunctionName<abi>> = EncodeFunctionDataParameters<
  abi,
  functionName
> & { address: Address } & Omit<EvmTransactionIntent, 'to' | 'data'> &
  EvmSendOptions

/**
 * Parameters of {@link EvmRelayer.speedUp} and {@link EvmRelayer.cancel}: the relay's signature request,
 * the replacement's fees (those of the original's type; absent ones are raised for you), and the
 * replacement's own waiting and request options.
 */
export type EvmReplaceParameters = { requestId: number; maxFeePerGas?: bigint; maxPriorityFeePerGas?: bigint; gasPrice?: bigint } & RelayOptions & Omit<RelayRequestOptions, 'idempotencyKey'>

/** An EVM relayer bound to one key (and path): one address on one chain. */
export type EvmRelayer = {
  /** The key's EVM address (the child's at `path`). */
  readonly address: Address
  /** The signing public key (33 bytes, compressed). */
  readonly publicKey: Uint8Array
  readonly keyId: number
  readonly path?: readonly DerivationSegment[]
  readonly chainId: number
  readonly nonceManager: EvmNonceManager
  /** The chain-neutral pipeline underneath, with the EVM adapter. */
  readonly relayer: Relayer<EvmTransactionIntent, TransactionReceipt>
  /** A viem Account for `walletClient.sendTransaction`, `writeContract`, `signMessage`, `signTypedData`. */
  readonly account: LocalAccount
  /** The same account with other waiting options. */
  toAccount(options?: EvmAccountOptions): LocalAccount
  /** Prepares, requests, waits for approvals and the keyring, broadcasts and (by default) confirms. */
  sendTransaction(params: EvmSendTransactionParameters): Promise<EvmRelayResult>
  /** `sendTransaction` of a deployment; `contractAddress` is the new contract's, once confirmed. */
  deployContract<const abi extends Abi | readonly unknown[]>(params: EvmDeployContractParameters<abi>): Promise<EvmRelayResult & { readonly contractAddress?: Address }>
  /** `sendTransaction` of a contract call. */
  writeContract<const abi extends Abi | readonly unknown[], functionName extends ContractFunctionName<abi>>(params: EvmWriteContractParameters<abi, functionName>): Promise<EvmRelayResult>
  /** Prepares and submits, without waiting: for queueing several transactions behind approvals. */
  submit(params: EvmTransactionIntent & RelayRequestOptions): Promise<SubmitRelayReturnType>
  /** Finishes a relay from its signature request id (after `submit`, `APPROVAL_PENDING`, `TIMEOUT`, or a restart). */
  resume(params: { requestId: number } & RelayOptions): Promise<EvmRelayResult>
  /**
   * Sends a sent transaction that has not landed again with higher fees: the same nonce, `to`, `value`
   * and `data`, as a new signature request under the key's sign policy (approvers see `zrkit.replaces`,
   * the transaction it replaces). Fees left out are raised by an eighth over the original's (nodes ask
   * for 10%), or to what the chain asks now. Resolves with whichever of the two landed.
   */
  speedUp(params: EvmReplaceParameters): Promise<EvmRelayResult>
  /**
   * Takes the nonce of a sent transaction that has not landed with a transfer of 0 to the key's own
   * address at higher fees, so the original can never land; `TX_REPLACED` when the original lands first.
   */
  cancel(params: EvmReplaceParameters): Promise<EvmRelayResult>
  /** After a restart: finishes every fulfilled relay in the journal (see `Relayer.recover`). */
  recover(options?: Omit<RelayOptions, 'approvals'>): Promise<RecoverReturnType<TransactionReceipt, EvmRelayResult>>
}

const split = (params: object | undefined) => splitRelayOptions<EvmTransactionIntent, EvmSendOptions>(params)

/** The pipeline's replace parameters from an EVM speed-up or cancel: the fee fields go into `fees`. */
function replaceParams(p: EvmReplaceParameters, mode: 'speed-up' | 'cancel'): ReplaceRelayParameters {
  const { maxFeePerGas, maxPriorityFeePerGas, gasPrice, ...rest } = p ?? ({} as EvmReplaceParameters)
  const fees = { ...(maxFeePerGas !== undefined ? { maxFeePerGas } : {}), ...(maxPriorityFeePerGas !== undefined ? { maxPriorityFeePerGas } : {}), ...(gasPrice !== undefined ? { gasPrice } : {}) }
  return { ...rest, mode, ...(Object.keys(fees).length ? { fees } : {}) }
}

/**
 * Creates an EVM relayer for one zrkit key on one chain: it sends transactions (EIP-1559, EIP-2930,
 * legacy; transfers, contract calls, deployments) signed through zrkit signature requests, so every
 * transaction passes the key's sign policy (e.g. a second owner's approval) before it is signed. It
 * runs the shared relay pipeline with the EVM adapter: nonce, gas and fees are filled in unless given;
 * queued transactions get consecutive nonces; with a file journal it finishes after a crash what was
 * fulfilled, broadcasting each transaction once. Its `account` is a viem Account for code that already
 * speaks viem.
 *
 * @example
 * ```ts
 * import { fileRelayJournal } from '@zrkit/core/node'
 * import { createEvmRelayer } from '@zrkit/relayer-evm'
 * import { createPublicClient, http, parseEther } from 'viem'
 * import { sepolia } from 'viem/chains'
 *
 * const publicClient = createPublicClient({ chain: sepolia, transport: http(process.env.SEPOLIA_RPC_URL) })
 * const evm = await createEvmRelayer({ client: alice, publicClient, keyId: key.id, journal: fileRelayJournal('./relays') })
 * console.log(evm.address) // fund it, then:
 * const { hash, receipt } = await evm.sendTransaction({ to: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', value: parseEther('0.01'), timeoutMs: 10 * 60_000 })
 * ```
 */
export async function createEvmRelayer(params: CreateEvmRelayerParameters): Promise<EvmRelayer> {
  if (!params || typeof params !== 'object') throw new ZrError('INVALID_INPUT', 'Invalid EVM relayer parameters.', { details: `expected { client, publicClient, keyId }, got ${typeof params}` })
  const { client, publicClient } = params
  if (!publicClient || typeof publicClient.request !== 'function') throw new ZrError('INVALID_INPUT', 'Invalid EVM relayer parameters.', { details: 'publicClient: expected a viem client' })
  const nonceManager = params.nonceManager ?? sharedEvmNonceManager
  let chainId = 0
  const disclose = params.disclose ?? true
  const requestKind = checkRequestKind(params.requestKind)
  const bound = await bindRelayer({
    client,
    keyId: params.keyId,
    ...(params.path !== undefined ? { path: params.path } : {}),
    name: 'EVM',
    keyTypes: ['ecdsa-secp256k1', 'bitcoin-secp256k1'],
    keyTypeMessage: 'An EVM relayer needs an ECDSA secp256k1 key.',
    adapter: async () => {
      chainId = publicClient.chain?.id ?? (await getChainId(publicClient))
      return evmAdapter({ publicClient, chainId, nonceManager, ...(params.confirmations !== undefined ? { confirmations: params.confirmations } : {}), ...(params.stallAfterMs !== undefined ? { stallAfterMs: params.stallAfterMs } : {}) })
    },
    disclose,
    requestKind,
    ...(params.journal ? { journal: params.journal } : {}),
    ...(params.onEvent ? { onEvent: params.onEvent } : {}),
    ...(params.metrics ? { metrics: params.metrics } : {}),
    toResult: (r): EvmRelayResult => ({ ...r, txid: r.txid as Hex, hash: r.txid as Hex, signedTx: r.signedTx as Hex }),
  })
  const { keyId, publicKey, relayer } = bound
  const address = publicKeyToEvmAddress(publicKey)
  const keyPath = bound.path !== undefined ? { path: bound.path } : {}
  const context = { client, keyId, ...keyPath, address, chainId, relayer, nonceManager, disclose }
  const send = (intent: EvmTransactionIntent, options: EvmSendOptions) => bound.relay(intent, options)

  return Object.freeze({
    address,
    publicKey,
    keyId,
    ...keyPath,
    chainId,
    nonceManager,
    relayer,
    account: evmAccount(context, params.account),
    toAccount: (options?: EvmAccountOptions) => evmAccount(context, options),
    sendTransaction(p: EvmSendTransactionParameters) {
      const { intent, options } = split(p)
      return send(intent, options)
    },
    async deployContract(p: EvmDeployContractParameters) {
      const { abi, bytecode, args, ...rest } = p as EvmDeployContractParameters & { args?: readonly unknown[] }
      const { intent, options } = split(rest)
      const data = encodeDeployData({ abi, bytecode, ...(args !== undefined ? { args } : {}) } as EncodeDeployDataParameters)
      const result = await send({ ...intent, to: null, data }, options)
      return { ...result, ...(result.receipt?.contractAddress ? { contractAddress: result.receipt.contractAddress } : {}) }
    },
    writeContract(p: EvmWriteContractParameters) {
      const { abi, functionName, args, address: to, ...rest } = p as EvmWriteContractParameters & { args?: readonly unknown[] }
      const { intent, options } = split(rest)
      const data = encodeFunctionData({ abi, functionName, ...(args !== undefined ? { args } : {}) } as EncodeFunctionDataParameters)
      return send({ ...intent, to, data }, options)
    },
    submit(p: EvmTransactionIntent & RelayRequestOptions) {
      const { intent, options } = split(p)
      return bound.submit(intent, options)
    },
    resume: bound.resume,
    speedUp: (p: EvmReplaceParameters) => bound.replace(replaceParams(p, 'speed-up')),
    cancel: (p: EvmReplaceParameters) => bound.replace(replaceParams(p, 'cancel')),
    recover: bound.recover,
  }) as EvmRelayer
}
