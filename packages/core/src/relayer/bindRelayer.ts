import { getKey } from '../client/actions/keyRequest.js'
import type { ClientBase } from '../client/sendMessage.js'
import { type DerivationPath, type DerivationSegment, parseDerivationPath } from '../derivation/derivationPath.js'
import { ZrError } from '../errors/ZrError.js'
import type { KeyType } from '../ledger/types.js'
import type { RelayAdapter, RelaySigner } from './RelayAdapter.js'
import type { RelayJournal } from './RelayJournal.js'
import { type RecoverReturnType, type RelayEvent, type RelayOptions, type RelayResult, type Relayer, type ReplaceRelayParameters, type SubmitRelayReturnType, createRelayer } from './createRelayer.js'
import type { RelayRequestOptions, RelaySendOptions } from './RelaySendOptions.js'

/** The key a bound relayer signs with, as {@link bindRelayer} read it from the ledger. */
export type BoundKey = {
  readonly keyId: number
  readonly keyType: KeyType
  /** The derivation path, when the relayer signs with a child key. */
  readonly path?: readonly DerivationSegment[]
  /** The signing public key: the key's own, or its child's at `path`. */
  readonly publicKey: Uint8Array
  /** The same, as a relay adapter takes it. */
  readonly signer: RelaySigner
}

// biome-ignore lint/suspicious/noExplicitAny: any adapter
type AnyAdapter = RelayAdapter<any, any>
/** The intent type of a relay adapter. */
type IntentOf<A> = A extends RelayAdapter<infer Intent, unknown> ? Intent : never
/** The receipt type of a relay adapter. */
type ReceiptOf<A> = A extends RelayAdapter<never, infer Receipt> ? Receipt : never

/** Parameters of {@link bindRelayer}. */
export type BindRelayerParameters<Adapter extends AnyAdapter, Result extends RelayResult<ReceiptOf<Adapter>>> = {
  /** A zrkit client whose account owns the key's workspace: it requests the signatures. */
  client: ClientBase
  /** The ledger key that signs. */
  keyId: number
  /** Sign with the child key at this path. */
  path?: DerivationPath
  /** The network's name in messages: `'EVM'` gives "Invalid EVM relayer parameters." */
  name: string
  /** Key types the relayer signs with; checked before the adapter is made. */
  keyTypes: readonly KeyType[]
  /** The short message of the `UNSUPPORTED_KEY_TYPE` error (default "The <name> relayer cannot sign with this key."). */
  keyTypeMessage?: string
  /** The adapter, or a function that makes it once the key is known (e.g. to read the chain id after the key check). */
  adapter: Adapter | ((key: BoundKey) => Adapter | Promise<Adapter>)
  /** Where relays are kept across restarts (default: memory). */
  journal?: RelayJournal
  /** Show approvers the adapter's summary in the request metadata (default true). */
  disclose?: boolean
  /** Sees the progress of every relay. */
  onEvent?: (event: RelayEvent) => void
  /** Counts every relay for an operator to scrape (`createRelayMetrics()` from `@zrkit/core`). */
  metrics?: { observe(event: RelayEvent): void }
  /** How signatures are asked for (see `CreateRelayerParameters.requestKind`; default `'auto'`). */
  requestKind?: 'auto' | 'transaction' | 'payloads'
  /** Adds the chain's own names to the one result shape (viem's `hash`, Bitcoin's `tx`, Solana's `signature`). */
  toResult?: (result: RelayResult<ReceiptOf<Adapter>>) => Result
}

/** A relay pipeline bound to one key (and path): what every `create*Relayer` builds its methods on. */
export type BoundRelayer<Adapter extends AnyAdapter, Result extends RelayResult<ReceiptOf<Adapter>> = RelayResult<ReceiptOf<Adapter>>, Intent = IntentOf<Adapter>, Receipt = ReceiptOf<Adapter>> = BoundKey & {
  readonly adapter: Adapter
  /** The chain-neutral pipeline underneath. */
  readonly relayer: Relayer<Intent, Receipt>
  /** Prepares, requests, waits for approvals and the keyring, broadcasts and (unless `confirm: false`) confirms. */
  relay(intent: Intent, options?: RelaySendOptions): Promise<Result>
  /** Prepares and submits, without waiting. */
  submit(intent: Intent, options?: RelayRequestOptions): Promise<SubmitRelayReturnType>
  /** Prepares, submits and waits until the transaction is signed; never broadcasts. */
  sign(intent: Intent, options?: Omit<RelaySendOptions, 'confirm' | 'confirmTimeoutMs'>): Promise<Result>
  /** Finishes a relay from its signature request id (after `submit`, `APPROVAL_PENDING`, `TIMEOUT`, or a restart). */
  resume(params: { requestId: number } & RelayOptions): Promise<Result>
  /** Replaces a relay's transaction that has not landed: a speed-up or a cancel (see `Relayer.replace`). */
  replace(params: ReplaceRelayParameters): Promise<Result>
  /** Like `resume`, but stops once the transaction is signed (for relayers that cannot broadcast). */
  resumeToSigned(params: { requestId: number } & Omit<RelayOptions, 'confirm' | 'confirmTimeoutMs'>): Promise<Result>
  /** After a restart: finishes every fulfilled relay in the journal (see `Relayer.recover`). */
  recover(options?: Omit<RelayOptions, 'approvals'>): Promise<RecoverReturnType<Receipt, Result>>
  /** The one result shape with the chain's own names. */
  toResult(result: RelayResult<Receipt>): Result
}

/**
 * Binds a key to a relay adapter: the part every chain relayer (`createEvmRelayer`,
 * `createBitcoinRelayer`, `createSolanaRelayer`, `createCosmosRelayer`) shares, written once. It checks
 * the client, key id and path, reads the key (`getKey`, with the path) and checks its type, makes the
 * adapter, runs {@link createRelayer} on it, and gives `relay`/`submit`/`sign`/`resume`/`recover` for
 * that key, each returning the one result shape of every chain: `relayId`, `requestId`, `txid`,
 * `signedTx` (the adapter's text form of the signed bytes) and `receipt` once confirmed, plus the
 * chain's own names from `toResult`. A chain package keeps only its adapter, its host-library signer
 * and its own methods.
 *
 * @example
 * ```ts
 * import { bindRelayer } from '@zrkit/core'
 * import { evmAdapter } from '@zrkit/relayer-evm'
 *
 * const bound = await bindRelayer({
 *   client: alice,
 *   keyId: key.id,
 *   name: 'EVM',
 *   keyTypes: ['ecdsa-secp256k1'],
 *   adapter: evmAdapter({ publicClient }),
 *   toResult: (r) => ({ ...r, hash: r.txid }),
 * })
 * const { hash, receipt } = await bound.relay({ to: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', value: 1n }, { timeoutMs: 60_000 })
 * ```
 */
export async function bindRelayer<Adapter extends AnyAdapter, Result extends RelayResult<ReceiptOf<Adapter>> = RelayResult<ReceiptOf<Adapter>>>(
  params: BindRelayerParameters<Adapter, Result>,
): Promise<BoundRelayer<Adapter, Result>> {
  type Intent = IntentOf<Adapter>
  type Receipt = ReceiptOf<Adapter>
  const name = typeof params?.name === 'string' ? params.name : 'chain'
  const invalid = (details: string) => new ZrError('INVALID_INPUT', `Invalid ${name} relayer parameters.`, { details })
  if (!params || typeof params !== 'object') throw invalid(`expected { client, keyId, ... }, got ${params === null ? 'null' : typeof params}`)
  const { client, keyId } = params
  if (!client?.ledger) throw invalid('client: expected a zrkit client (createZrClient({ ledger, account }))')
  if (!Number.isSafeInteger(keyId) || keyId < 1) throw invalid(`keyId: expected a positive integer, got ${String(keyId)}`)
  if (!Array.isArray(params.keyTypes) || params.keyTypes.length === 0) throw invalid(`keyTypes: expected a non-empty array of key types, got ${String(params.keyTypes)}`)
  const path = params.path === undefined ? undefined : parseDerivationPath(params.path)

  const key = await getKey(client, { id: keyId, ...(path !== undefined ? { path } : {}) })
  if (!params.keyTypes.includes(key.keyType)) {
    throw new ZrError('UNSUPPORTED_KEY_TYPE', params.keyTypeMessage ?? `The ${name} relayer cannot sign with this key.`, {
      details: `expected a key of type ${listOf(params.keyTypes)}, got key ${keyId} of type ${key.keyType}`,
      context: { keyId, keyType: key.keyType },
    })
  }
  const publicKey = key.derived?.publicKey ?? key.publicKey
  const keyPath = key.derived ? { path: key.derived.path } : {}
  const signer: RelaySigner = { keyId, keyType: key.keyType, ...keyPath, publicKey }
  const bound: BoundKey = { keyId, keyType: key.keyType, ...keyPath, publicKey, signer }
  const adapter = typeof params.adapter === 'function' ? await params.adapter(bound) : params.adapter
  const relayer: Relayer<Intent, Receipt> = createRelayer<Intent, Receipt>({ client, adapter, disclose: params.disclose ?? true, ...(params.journal ? { journal: params.journal } : {}), ...(params.onEvent ? { onEvent: params.onEvent } : {}), ...(params.metrics ? { metrics: params.metrics } : {}), ...(params.requestKind !== undefined ? { requestKind: params.requestKind } : {}) })
  const toResult = (r: RelayResult<Receipt>): Result => {
    const base = { relayId: r.relayId, requestId: r.requestId, txid: r.txid, signedTx: r.signedTx, ...(r.receipt !== undefined ? { receipt: r.receipt } : {}) }
    return (params.toResult ? params.toResult(base) : base) as Result
  }
  const request = (options: RelayRequestOptions | undefined) => ({
    keyId,
    ...(path !== undefined ? { path } : {}),
    ...(options?.ttlMs !== undefined ? { ttlMs: options.ttlMs } : {}),
    ...(options?.metadata !== undefined ? { metadata: options.metadata } : {}),
    ...(options?.idempotencyKey !== undefined ? { idempotencyKey: options.idempotencyKey } : {}),
  })

  return Object.freeze({
    ...bound,
    adapter,
    relayer,
    toResult,
    async relay(intent: Intent, options: RelaySendOptions = {}) {
      const { ttlMs, metadata, idempotencyKey, ...wait } = options
      return toResult(await relayer.relay({ ...request({ ttlMs, metadata, idempotencyKey }), intent, ...wait }))
    },
    submit: (intent: Intent, options?: RelayRequestOptions) => relayer.submit({ ...request(options), intent }),
    async sign(intent: Intent, options: Omit<RelaySendOptions, 'confirm' | 'confirmTimeoutMs'> = {}) {
      const { ttlMs, metadata, idempotencyKey, ...wait } = options
      const { requestId } = await relayer.submit({ ...request({ ttlMs, metadata, idempotencyKey }), intent })
      return toResult(await relayer.sign({ requestId, ...wait }))
    },
    resume: async (p: { requestId: number } & RelayOptions) => toResult(await relayer.resume(p)),
    replace: async (p: ReplaceRelayParameters) => toResult(await relayer.replace(p)),
    resumeToSigned: async (p: { requestId: number } & RelayOptions) => toResult(await relayer.sign(p)),
    async recover(options?: Omit<RelayOptions, 'approvals'>) {
      const r = await relayer.recover(options)
      return { ...r, finished: r.finished.map(toResult), reverted: r.reverted.map(toResult) }
    },
  })
}

/** `a`, `a or b`, `a, b or c`. */
function listOf(items: readonly string[]): string {
  return items.length < 2 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`
}
