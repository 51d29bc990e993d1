import { sha256 } from '@noble/hashes/sha2.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { getKey } from '../client/actions/keyRequest.js'
import { getSignRequest, listSignRequests, waitForSignRequest } from '../client/actions/signRequest.js'
import { revokeAction } from '../client/actions/policy.js'
import { checkRequestKind, ledgerDecoders, requestTransactionOrPayloads, resolveRequestKind } from './requestTransactionOrPayloads.js'
import { type ClientBase, requireAccount } from '../client/sendMessage.js'
import { type DerivationPath, parseDerivationPath } from '../derivation/derivationPath.js'
import { equalBytes, toHex, utf8 } from '../encoding/bytes.js'
import { canonicalStringify } from '../encoding/canonical.js'
import type { ZrErrorCode } from '../errors/codes.js'
import { ZrError, isZrError } from '../errors/ZrError.js'
import type { LedgerEvent } from '../ledger/events.js'
import type { SignRequest, SignRequestStatus } from '../ledger/types.js'
import type { AssembledTx, PreparedTx, RelayAdapter, RelaySigner, ReplaceRequest } from './RelayAdapter.js'
import { type RelayJournal, type RelayRecord, type RelayStatus, finalRelayStatuses } from './RelayJournal.js'
import { memoryRelayJournal } from './memoryRelayJournal.js'

/**
 * The metadata key that binds a signature request to its relay record (its value is the relay id).
 *
 * @example
 * ```ts
 * import { RELAY_ID_METADATA_KEY } from '@zrkit/core'
 * const relayId = (await client.getSignRequest({ id: requestId })).metadata?.[RELAY_ID_METADATA_KEY]
 * ```
 */
export const RELAY_ID_METADATA_KEY = 'zrkit.relay'
const CHAIN_METADATA_KEY = 'zrkit.chain'
const SUMMARY_METADATA_PREFIX = 'zrkit.tx.'
/** The claims of a relay's transaction (its nonce, its inputs), space-separated: what other relayers on the key prepare around. */
const CLAIMS_METADATA_KEY = 'zrkit.claims'
/** On a replacement (speed-up or cancel): the relay id, the transaction id, and the mode of what it replaces. */
const REPLACES_METADATA_KEY = 'zrkit.replaces'
const REPLACES_TX_METADATA_KEY = 'zrkit.replacesTx'
const REPLACE_MODE_METADATA_KEY = 'zrkit.replaceMode'
/** Statuses of a signature request whose transaction may still be signed: its claims are live. */
const LIVE_REQUEST_STATUSES = ['partial', 'pending'] as const

/**
 * Progress of a relay, step by step, as {@link RelayEvent} carries it (without the fields every event
 * has). `ledger` carries the ledger's own events (votes, approval, fulfilment).
 */
export type RelayEventBody =
  | { readonly type: 'prepared'; readonly relayId: string; readonly summary: Readonly<Record<string, string>> }
  | {
      readonly type: 'requested'
      readonly relayId: string
      readonly requestId: number
      readonly status: SignRequestStatus
      readonly actionId?: number
      /** `'transaction'`: the ledger decoded the transaction and the policy judged it; `'payloads'`: opaque to policies. */
      readonly requestKind: 'transaction' | 'payloads'
    }
  | { readonly type: 'ledger'; readonly relayId: string; readonly requestId: number; readonly event: LedgerEvent }
  | { readonly type: 'signed'; readonly relayId: string; readonly requestId: number; readonly txid: string }
  | { readonly type: 'broadcast'; readonly relayId: string; readonly requestId: number; readonly txid: string }
  /** The node lost the transaction (evicted from its pool, or its block was reorganized away) and it was sent again: the same signed bytes. */
  | { readonly type: 'rebroadcast'; readonly relayId: string; readonly requestId: number; readonly txid: string; readonly reason: string }
  /** The transaction is not moving and the relay says what it waits for (`TX_STALLED`'s `waitingFor`); the relay goes on or stops as its options say. */
  | { readonly type: 'stalled'; readonly relayId: string; readonly requestId: number; readonly txid: string; readonly waitingFor: string; readonly details: string }
  | { readonly type: 'confirmed'; readonly relayId: string; readonly requestId: number; readonly txid: string }
  | { readonly type: 'expired'; readonly relayId: string; readonly requestId: number; readonly txid: string; readonly reason: string }
  /** Another transaction used its nonce (or spent its inputs): it can never land. */
  | { readonly type: 'replaced'; readonly relayId: string; readonly requestId: number; readonly txid: string; readonly reason: string }
  | { readonly type: 'reverted'; readonly relayId: string; readonly requestId: number; readonly txid: string; readonly reason: string }
  /** A replacement of this relay's transaction was asked for (same nonce or inputs, higher fee, or a cancel): `replacement` is the new relay. */
  | { readonly type: 'bumped'; readonly relayId: string; readonly requestId: number; readonly txid: string; readonly replacement: string; readonly mode: 'speed-up' | 'cancel' }
  | { readonly type: 'rejected'; readonly relayId: string; readonly requestId?: number; readonly reason: string }
  /** Prepared, but its signature request never reached the ledger (refused, or lost before a restart): dropped, its reservations released. */
  | { readonly type: 'abandoned'; readonly relayId: string; readonly reason: string }
  | { readonly type: 'resumed'; readonly relayId: string; readonly requestId: number; readonly from: RelayStatus }
  /** A call on the relay (`submit`, `relay`, `resume`, `sign`, `recover`) failed with this error code; the relay stays as the journal says. */
  | { readonly type: 'failed'; readonly relayId?: string; readonly requestId?: number; readonly code: ZrErrorCode | 'UNKNOWN'; readonly message: string }

/**
 * Progress of a relay, step by step: a {@link RelayEventBody} with the relayer's network (`chain`), the
 * key (`keyId`, absent only for a failure before the key was known) and when it happened (`at`, wall-clock ms).
 *
 * @example
 * ```ts
 * const relayer = createRelayer({ client, adapter, onEvent: (e) => console.log(e.at, e.chain, e.keyId, e.type, e.relayId) })
 * ```
 */
export type RelayEvent = RelayEventBody & { readonly chain: string; readonly keyId?: number; readonly at: number }

/** Parameters of {@link createRelayer}. */
export type CreateRelayerParameters<Intent, Receipt> = {
  /** Requests signatures as this client's account, which must own the key's workspace. */
  client: ClientBase
  adapter: RelayAdapter<Intent, Receipt>
  /** Where relays are remembered across restarts (default: {@link memoryRelayJournal}, lost on exit). */
  journal?: RelayJournal
  /**
   * Show approvers the adapter's summary (`from`, `to`, `value`...) in the request's metadata as
   * `zrkit.tx.*` (default true). With false, the ledger sees only the payloads and the relay id.
   */
  disclose?: boolean
  /** Sees every relay's progress. */
  onEvent?: (event: RelayEvent) => void
  /** Counts every relay's progress for an operator to scrape (see `createRelayMetrics`); it sees what `onEvent` sees. */
  metrics?: { observe(event: RelayEvent): void }
  /**
   * How signatures are asked for. `'auto'` (default): a sign-transaction request when the adapter gives
   * the transaction and the ledger runs the decoder for its chain (the ledger computes the payloads and
   * the sign policy judges what the transaction does), else the payloads alone. `'transaction'`: always a
   * sign-transaction request (`UNSUPPORTED_CHAIN` when the ledger cannot decode it). `'payloads'`: the
   * payloads alone, opaque to policies (a policy with transaction conditions denies them).
   */
  requestKind?: 'auto' | 'transaction' | 'payloads'
}

/** How a relay waits. */
export type RelayOptions = {
  /** Give up waiting for approvals and the keyring after this many ms with `TIMEOUT` (default 60 000; 0 = never). The relay stays resumable. */
  timeoutMs?: number
  /** Give up waiting when aborted, with `ABORTED`. The relay stays resumable. */
  signal?: AbortSignal
  /** While the request still needs approvals: `'wait'` (default) for them, or `'fail'` at once with `APPROVAL_PENDING`. */
  approvals?: 'wait' | 'fail'
  /** Wait for the network to confirm the broadcast transaction (default true). */
  confirm?: boolean
  /** Give up waiting for confirmation after this many ms with `TIMEOUT` (default: the adapter's; 0 = never). The relay stays resumable. */
  confirmTimeoutMs?: number
  /**
   * A broadcast transaction that cannot move now (an earlier nonce missing, a fee cap below the base
   * fee, dropped by the node and refused again): `'fail'` (default) throws `TX_STALLED` at once, saying
   * what it waits for (`context.waitingFor`), and the relay stays resumable; `'wait'` emits a `stalled`
   * event and goes on waiting (until `confirmTimeoutMs`).
   */
  stalled?: 'fail' | 'wait'
  /** Sees this relay's progress. */
  onEvent?: (event: RelayEvent) => void
}

/** Parameters of {@link Relayer.submit}: what to sign with and what to do. */
export type SubmitRelayParameters<Intent> = {
  keyId: number
  /** Sign with the child key at this path (see `parseDerivationPath`). */
  path?: DerivationPath
  /** The chain-specific description of the transaction, for the adapter's `prepare`. */
  intent: Intent
  /** Time the keyring has once the request is pending. */
  ttlMs?: number
  /** Extra metadata for the signature request; keys starting with `zrkit.` are reserved. */
  metadata?: Readonly<Record<string, string>>
  /**
   * A retry of a submit with this key returns the relay the first one made (see `RelayRequestOptions`):
   * the relay id is derived from the key, so the journal finds it after a restart too.
   */
  idempotencyKey?: string
}

/** Parameters of {@link Relayer.replace}: which relay, how, and the replacement's own request options and waiting. */
export type ReplaceRelayParameters = ReplaceRequest &
  RelayOptions & {
    /** The signature request of the relay whose transaction is replaced. */
    requestId: number
    /** Time the keyring has once the replacement's request is pending. */
    ttlMs?: number
    /** Extra metadata for the replacement's request; keys starting with `zrkit.` are reserved. */
    metadata?: Readonly<Record<string, string>>
  }

/** Result of {@link Relayer.submit}. */
export type SubmitRelayReturnType = {
  readonly relayId: string
  readonly requestId: number
  /** `partial` while approvals are missing, `pending` at the keyring, `rejected` when the policy refused at once. */
  readonly status: SignRequestStatus
  readonly actionId?: number
  readonly summary: Readonly<Record<string, string>>
  /** `'transaction'`: the ledger decoded the transaction and the sign policy judged it; `'payloads'`: opaque to policies. */
  readonly requestKind: 'transaction' | 'payloads'
}

/** A signed transaction of a relay. */
export type SignedRelay = { readonly relayId: string; readonly requestId: number } & AssembledTx

/**
 * Result of a finished relay, one shape on every chain: `relayId`, `requestId`, `txid` (the transaction's
 * id on its network), `signedTx` (the signed transaction in the adapter's text form: hex of the raw bytes,
 * base64 for Solana) and, when confirmation was awaited, the network's `receipt`. Chain relayers add
 * their own names beside these (viem's `hash`, Bitcoin's `tx`, Solana's `signature`).
 */
export type RelayResult<Receipt> = SignedRelay & { readonly receipt?: Receipt }

/** What {@link Relayer.recover} did with each unfinished record (`Result`: a chain relayer's own result shape). */
export type RecoverReturnType<Receipt, Result extends RelayResult<Receipt> = RelayResult<Receipt>> = {
  /** Fulfilled before the restart (or since) and now broadcast and confirmed. */
  readonly finished: readonly Result[]
  /** Still waiting for approvals or the keyring; `resume` them to wait. */
  readonly waiting: readonly number[]
  /** Rejected or expired on the ledger: nothing was signed, their reservations were released. */
  readonly rejected: readonly number[]
  /** Prepared, but their signature request never reached the ledger: dropped and released. */
  readonly abandoned: readonly string[]
  /** Signed, but the network dropped the transaction and it can never land (`TX_EXPIRED`): recorded as `expired`. */
  readonly expired: readonly number[]
  /** Signed, but another transaction used its nonce or inputs (`TX_REPLACED`): recorded as `replaced`. */
  readonly replaced: readonly number[]
  /** Landed but failed on chain (`TX_FAILED`): recorded as `reverted`, with the receipt that says why. */
  readonly reverted: readonly Result[]
  /** Could not be finished now (e.g. the network refused the broadcast); still in the journal. */
  readonly failed: readonly { readonly relayId: string; readonly requestId?: number; readonly error: unknown }[]
}

/**
 * The chain-neutral relay pipeline. Every method is safe to call again after a crash: the journal
 * and the ledger decide what is left to do.
 */
export type Relayer<Intent, Receipt> = {
  readonly adapter: RelayAdapter<Intent, Receipt>
  readonly journal: RelayJournal
  /** Prepares the transaction, records it, and submits the signature request; does not wait. */
  submit(params: SubmitRelayParameters<Intent>): Promise<SubmitRelayReturnType>
  /** `submit`, then waits through approvals and the keyring, assembles, broadcasts and confirms. */
  relay(params: SubmitRelayParameters<Intent> & RelayOptions): Promise<RelayResult<Receipt>>
  /**
   * Replaces the transaction of a relay that was signed but has not landed (see {@link ReplaceRelayParameters}):
   * prepares the replacement with the adapter (the same nonce or inputs, so only one of the two can land),
   * asks for its signatures as a new relay under the same sign policy, with `zrkit.replaces`,
   * `zrkit.replacesTx` and `zrkit.replaceMode` in the request's metadata so approvers see what it replaces,
   * then waits, broadcasts and confirms it. Once it lands the original relay ends as `replaced`. A speed-up
   * whose original lands first resolves with the original's result (its `relayId` says which); a cancel
   * that comes too late throws `TX_REPLACED`.
   */
  replace(params: ReplaceRelayParameters): Promise<RelayResult<Receipt>>
  /** Finishes the relay of a signature request from wherever it stopped. Never builds a second transaction. */
  resume(params: { requestId: number } & RelayOptions): Promise<RelayResult<Receipt>>
  /** Like `resume`, but stops once the transaction is signed and recorded (for callers that broadcast themselves). */
  sign(params: { requestId: number } & Omit<RelayOptions, 'confirm' | 'confirmTimeoutMs'>): Promise<SignedRelay>
  /** After a restart: finishes every fulfilled relay in the journal; reports the rest. */
  recover(options?: Omit<RelayOptions, 'approvals'>): Promise<RecoverReturnType<Receipt>>
  /** The journal's record of a relay, by its signature request id or its relay id. */
  getRelay(params: { requestId: number } | { relayId: string }): Promise<RelayRecord>
}

const LEDGER_TRANSIENT: readonly ZrErrorCode[] = ['LEDGER_UNAVAILABLE', 'LEDGER_CLOSED', 'TIMEOUT', 'ABORTED']

/**
 * Creates the relay pipeline every zrkit relayer shares: prepare the unsigned transaction and its
 * payloads -> record it -> request the signatures (key, optional derivation path) -> wait through
 * approvals and the keyring, with progress events -> assemble -> broadcast -> confirm. The network is
 * an adapter ({@link RelayAdapter}); the pipeline knows nothing about it.
 *
 * Resumable from the signature request id: the unsigned transaction is written to the journal before
 * its request is submitted, and the request carries the relay id in its metadata, so after a crash
 * `resume({ requestId })` or `recover()` finishes what was fulfilled with exactly the transaction that
 * was signed (its payloads are checked against the request's), never builds a second transaction for
 * the same request, and broadcasts idempotently (a transaction the network already has is a success).
 * A request that is rejected or expires releases what `prepare` reserved (e.g. an EVM nonce).
 *
 * How a relay ends on the network is the same on every chain: a transaction that lands but fails (the
 * adapter's `failure` names why) throws `TX_FAILED` with the receipt in `context.receipt`, and the relay
 * is recorded as `reverted`; one that can never land (`TX_EXPIRED` from the adapter) is recorded as
 * `expired`. Both are final: `resume` reports them again at once and `recover` lists them.
 *
 * @example
 * ```ts
 * import { createRelayer } from '@zrkit/core'
 * import { fileRelayJournal } from '@zrkit/core/node'
 * import { evmAdapter } from '@zrkit/relayer-evm'
 *
 * const relayer = createRelayer({ client: alice, adapter: evmAdapter({ publicClient }), journal: fileRelayJournal('./relays') })
 * const { requestId, actionId } = await relayer.submit({ keyId: key.id, intent: { to, value: 1n } })
 * await bob.approveAction({ actionId: actionId! })
 * const { txid, receipt } = await relayer.resume({ requestId, onEvent: (e) => console.log(e.type) })
 * ```
 */
export function createRelayer<Intent, Receipt>(parameters: CreateRelayerParameters<Intent, Receipt>): Relayer<Intent, Receipt> {
  const { client, adapter } = parameters
  const journal = parameters.journal ?? memoryRelayJournal()
  const disclose = parameters.disclose ?? true
  const requestKind = checkRequestKind(parameters.requestKind)
  const ledgerDecodes = ledgerDecoders(client)
  const ledgerChainId = client.ledger.chainId
  if (!adapter || typeof adapter.chain !== 'string' || typeof adapter.prepare !== 'function') {
    throw new ZrError('INVALID_INPUT', 'Invalid relay adapter.', { details: `expected an object with chain, keyTypes, prepare, payloads, assemble, broadcast and confirm, got ${typeof adapter}` })
  }

  const emit = (body: RelayEventBody, keyId: number | undefined, local?: (event: RelayEvent) => void) => {
    const event = { ...body, chain: adapter.chain, ...(keyId !== undefined ? { keyId } : {}), at: Date.now() } as RelayEvent
    for (const listener of [parameters.metrics ? (e: RelayEvent) => parameters.metrics!.observe(e) : undefined, parameters.onEvent, local]) {
      try {
        listener?.(event)
      } catch {
        // a listener's failure is not the relay's
      }
    }
  }

  // One step at a time per relay: two callers resuming the same relay take turns, and the second one
  // finds the first one's progress in the journal.
  const locks = new Map<string, Promise<unknown>>()
  const withLock = <T>(relayId: string, fn: () => Promise<T>): Promise<T> => {
    const previous = locks.get(relayId) ?? Promise.resolve()
    const run = previous.then(fn, fn)
    const tail = run.catch(() => undefined)
    locks.set(relayId, tail)
    void tail.then(() => {
      if (locks.get(relayId) === tail) locks.delete(relayId)
    })
    return run
  }

  const isOurs = (r: RelayRecord) => r.chain === adapter.chain && r.ledgerChainId === ledgerChainId
  let restored: Promise<void> | undefined
  const restore = () =>
    (restored ??= (async () => {
      const open = (await journal.list()).filter((r) => isOurs(r) && !finalRelayStatuses.includes(r.status))
      await adapter.restore?.(open)
    })())

  const update = async (record: RelayRecord, change: Partial<RelayRecord>): Promise<RelayRecord> => {
    const next = { ...record, ...change, updatedAt: Date.now() } as RelayRecord
    await journal.put(next)
    return next
  }

  const signerOf = (request: SignRequest): RelaySigner => ({
    keyId: request.keyId,
    keyType: request.keyType,
    ...(request.path !== undefined ? { path: request.path } : {}),
    publicKey: request.publicKey,
    ...(request.taproot !== undefined ? { taproot: request.taproot } : {}),
  })

  const release = async (record: RelayRecord, signer: RelaySigner | undefined) => {
    if (!adapter.release) return
    const s = signer ?? (await signerFromKey(record.keyId, record.path))
    await adapter.release({ unsignedTx: record.unsignedTx, summary: record.summary }, s)
  }

  const signerFromKey = async (keyId: number, path: DerivationPath | undefined): Promise<RelaySigner> => {
    const key = await getKey(client, { id: keyId, ...(path !== undefined ? { path } : {}) })
    if (!adapter.keyTypes.includes(key.keyType)) {
      throw new ZrError('UNSUPPORTED_KEY_TYPE', `The ${adapter.chain} relayer cannot sign with this key.`, {
        details: `expected a key of type ${adapter.keyTypes.join(' or ')}, got key ${keyId} of type ${key.keyType}`,
        context: { keyId, keyType: key.keyType },
      })
    }
    return { keyId, keyType: key.keyType, ...(key.derived ? { path: key.derived.path } : {}), publicKey: key.derived?.publicKey ?? key.publicKey }
  }

  const rejectRecord = async (record: RelayRecord, reason: string, signer: RelaySigner | undefined, local?: (e: RelayEvent) => void) => {
    const rejected = await update(record, { status: 'rejected', reason })
    await release(rejected, signer)
    emit({ type: 'rejected', relayId: record.id, ...(record.requestId !== undefined ? { requestId: record.requestId } : {}), reason }, record.keyId, local)
    return rejected
  }

  /** Checks that a request and a record belong together and that the record's transaction is what was signed. */
  const checkBinding = async (record: RelayRecord, request: SignRequest, signer: RelaySigner) => {
    const problems: string[] = []
    if (request.metadata?.[RELAY_ID_METADATA_KEY] !== record.id) problems.push(`the request names relay ${request.metadata?.[RELAY_ID_METADATA_KEY] ?? '(none)'}, not ${record.id}`)
    if (request.keyId !== record.keyId) problems.push(`the request signs with key ${request.keyId}, the record with key ${record.keyId}`)
    if (record.ledgerChainId !== ledgerChainId) problems.push(`the record is for ledger ${record.ledgerChainId}, this is ${ledgerChainId}`)
    if (record.chain !== adapter.chain) problems.push(`the record is for ${record.chain}, this relayer for ${adapter.chain}`)
    if (!sameTaproot(request.taproot, record.taproot)) problems.push(`the request ${request.taproot ? 'signs' : 'does not sign'} for the taproot output key, the record ${record.taproot ? 'does' : 'does not'}${request.taproot && record.taproot ? ' (other merkle roots)' : ''}`)
    if (!samePayloads(request.payloads, record.payloads)) problems.push('the request signs other payloads than the recorded transaction')
    else if (!samePayloads(await adapter.payloads(record.unsignedTx, signer), request.payloads)) problems.push("the recorded transaction's payloads are not the ones the request signs")
    if (problems.length) {
      throw new ZrError('RELAY_MISMATCH', 'The journal record does not match the signature request.', {
        details: problems.join('; '),
        context: { relayId: record.id, requestId: request.id },
      })
    }
  }

  /**
   * The claims of live signature requests on the key (waiting for approvals or for the keyring) made by
   * other relays than `except`, each with the lowest request id that holds it.
   */
  const liveClaims = async (keyId: number, except?: string): Promise<Map<string, number>> => {
    const taken = new Map<string, number>()
    for (const status of LIVE_REQUEST_STATUSES) {
      let cursor: string | undefined
      do {
        const page = await listSignRequests(client, { keyId, status, limit: 1000, ...(cursor !== undefined ? { cursor } : {}) })
        for (const r of page.items) {
          const claims = r.metadata?.[CLAIMS_METADATA_KEY]
          if (claims === undefined || r.metadata?.[RELAY_ID_METADATA_KEY] === except) continue
          for (const c of claims.split(' ')) if (c && !(taken.get(c)! <= r.id)) taken.set(c, r.id)
        }
        cursor = page.nextCursor
      } while (cursor !== undefined)
    }
    return taken
  }

  /** Which relay or signature request holds a claim (a missing nonce a stalled transaction waits for), in words. */
  const whoHolds = async (claim: string, keyId: number): Promise<{ text: string; heldBy?: number } | undefined> => {
    const mine = (await journal.list()).filter((r) => r.claims?.includes(claim) && isOurs(r)).sort((a, b) => b.createdAt - a.createdAt)[0]
    if (mine) {
      const waiting = mine.status === 'requested' ? ' (waiting for approvals or the keyring)' : mine.status === 'signed' ? ' (signed, not yet broadcast: resume it)' : ''
      return { text: `${claim} belongs to relay ${mine.id}${mine.requestId !== undefined ? ` (signature request ${mine.requestId})` : ''}, ${mine.status}${waiting}`, ...(mine.requestId !== undefined ? { heldBy: mine.requestId } : {}) }
    }
    const other = (await liveClaims(keyId)).get(claim)
    if (other !== undefined) return { text: `${claim} belongs to signature request ${other} of another relayer, still waiting for approvals or the keyring`, heldBy: other }
    return { text: `no relay of this journal and no live signature request on the key holds ${claim}: a transaction made outside zrkit, or one that was never sent, must fill it` }
  }

  /** Relays being submitted under an idempotency key, by relay id: a second submit waits for the first. */
  const submitting = new Map<string, Promise<unknown>>()

  const submit = async (params: SubmitRelayParameters<Intent>, local?: (e: RelayEvent) => void): Promise<SubmitRelayReturnType> => {
    if (!params || typeof params !== 'object') throw new ZrError('INVALID_INPUT', 'Invalid relay.', { details: `expected { keyId, intent }, got ${typeof params}` })
    if (params.idempotencyKey === undefined) return submitNew(params, undefined, local)
    const key = checkIdempotencyKey(params.idempotencyKey)
    const { idempotencyKey: _, ...asked } = params
    const requestHash = toHex(sha256(utf8(canonicalStringify({ ...asked, ledgerChainId, chain: adapter.chain }))))
    const relayId = toHex(sha256(utf8(canonicalStringify(['zrkit.relay.idempotencyKey', ledgerChainId, adapter.chain, key]))).subarray(0, 16))
    const before = submitting.get(relayId)
    const mine = (async () => {
      await before?.catch(() => {})
      const existing = await journal.get(relayId)
      if (!existing || (existing.status === 'abandoned' && existing.requestId === undefined)) return submitNew(params, { relayId, key, requestHash }, local)
      return sameRelay(existing, key, requestHash)
    })()
    submitting.set(relayId, mine)
    try {
      return await mine
    } finally {
      if (submitting.get(relayId) === mine) submitting.delete(relayId)
    }
  }

  /** The relay an idempotency key already names, as a submit of it returns it; another request under the key is refused. */
  const sameRelay = async (existing: RelayRecord, key: string, requestHash: string): Promise<SubmitRelayReturnType> => {
    const conflict = (why: string) => new ZrError('IDEMPOTENCY_CONFLICT', 'This idempotency key names another relay.', { details: `idempotency key ${JSON.stringify(key)} ${why}`, context: { idempotencyKey: key, relayId: existing.id } })
    if (existing.idempotency?.key !== key || existing.idempotency.requestHash !== requestHash) {
      throw conflict(`was used for relay ${existing.id} with another transaction, key or options; a retry must ask for exactly the same`)
    }
    if (existing.requestId === undefined) throw conflict(`names relay ${existing.id}, whose attempt was interrupted before its request was recorded (status ${existing.status}): run recover() to settle it`)
    const request = await getSignRequest(client, { id: existing.requestId })
    return {
      relayId: existing.id,
      requestId: existing.requestId,
      status: request.status,
      ...(existing.actionId !== undefined ? { actionId: existing.actionId } : {}),
      summary: existing.summary,
      requestKind: existing.requestKind ?? 'payloads',
    }
  }

  const submitNew = async (params: SubmitRelayParameters<Intent>, idempotent: { relayId: string; key: string; requestHash: string } | undefined, local?: (e: RelayEvent) => void): Promise<SubmitRelayReturnType> => {
    requireAccount(client)
    const path = params.path === undefined ? undefined : parseDerivationPath(params.path)
    const userMetadata = checkUserMetadata(params.metadata)
    const signer = await signerFromKey(params.keyId, path)
    await restore()
    // Another relayer on this key (a replica) may have a live request on the same nonce or inputs:
    // the adapter prepares around every claim the ledger shows, so nobody approves a transaction that cannot land.
    const taken = adapter.makesClaims ? await liveClaims(params.keyId) : new Map<string, number>()
    const prepared = checkPrepared(await adapter.prepare(params.intent, signer, { taken: new Set(taken.keys()) }), adapter.chain)
    const clash = prepared.claims?.find((c) => taken.has(c))
    if (clash !== undefined) {
      if (adapter.release) await adapter.release({ unsignedTx: prepared.unsignedTx, summary: prepared.summary }, signer)
      throw conflictError(clash, taken.get(clash)!, undefined, `the ${adapter.chain} adapter prepared a transaction on ${clash}, which signature request ${taken.get(clash)} of another relayer holds (the adapter does not prepare around claims)`)
    }
    return submitPrepared(prepared, signer, { keyId: params.keyId, path, userMetadata, ...(params.ttlMs !== undefined ? { ttlMs: params.ttlMs } : {}), ...(idempotent ? { idempotent } : {}) }, local)
  }

  /** Records a prepared transaction and asks the ledger for its signatures: the one path of a new relay and of a replacement. */
  const submitPrepared = async (
    prepared: PreparedTx,
    signer: RelaySigner,
    params: {
      keyId: number
      path: DerivationPath | undefined
      userMetadata: Record<string, string>
      ttlMs?: number
      idempotent?: { relayId: string; key: string; requestHash: string }
      replaces?: NonNullable<RelayRecord['replaces']>
    },
    local?: (e: RelayEvent) => void,
  ): Promise<SubmitRelayReturnType> => {
    const { path, userMetadata, idempotent } = params
    // which request to make, settled before anything is recorded: a refusal releases what prepare reserved
    let kind: 'transaction' | 'payloads'
    try {
      kind = await resolveRequestKind(requestKind, prepared.transaction, ledgerDecodes, `the ${adapter.chain} adapter`)
    } catch (e) {
      if (adapter.release) await adapter.release({ unsignedTx: prepared.unsignedTx, summary: prepared.summary }, signer)
      throw e
    }
    const now = Date.now()
    let record: RelayRecord = {
      id: idempotent?.relayId ?? toHex(randomBytes(16)),
      ...(idempotent ? { idempotency: { key: idempotent.key, requestHash: idempotent.requestHash } } : {}),
      ...(params.replaces ? { replaces: params.replaces } : {}),
      chain: adapter.chain,
      ledgerChainId,
      keyId: params.keyId,
      ...(signer.path !== undefined ? { path: signer.path } : {}),
      unsignedTx: prepared.unsignedTx,
      payloads: prepared.payloads,
      summary: prepared.summary,
      ...(prepared.claims !== undefined ? { claims: prepared.claims } : {}),
      ...(prepared.taproot !== undefined ? { taproot: prepared.taproot } : {}),
      status: 'prepared',
      createdAt: now,
      updatedAt: now,
    }
    try {
      await journal.put(record)
    } catch (e) {
      await release(record, signer)
      throw e
    }
    emit({ type: 'prepared', relayId: record.id, summary: record.summary }, record.keyId, local)

    const metadata: Record<string, string> = { ...userMetadata, [RELAY_ID_METADATA_KEY]: record.id, ...claimsMetadata(prepared.claims), ...replacesMetadata(params.replaces) }
    if (disclose) {
      metadata[CHAIN_METADATA_KEY] = adapter.chain
      for (const [k, v] of Object.entries(prepared.summary)) metadata[`${SUMMARY_METADATA_PREFIX}${k}`] = v
    }
    let submitted: Awaited<ReturnType<typeof requestTransactionOrPayloads>>
    try {
      submitted = await requestTransactionOrPayloads(client, {
        keyId: params.keyId,
        ...(path !== undefined ? { path } : {}),
        ...(prepared.taproot !== undefined ? { taproot: prepared.taproot } : {}),
        payloads: prepared.payloads,
        ...(prepared.transaction !== undefined ? { transaction: prepared.transaction } : {}),
        kind,
        decodes: ledgerDecodes,
        ...(params.ttlMs !== undefined ? { ttlMs: params.ttlMs } : {}),
        metadata,
        who: `the ${adapter.chain} adapter`,
      })
    } catch (e) {
      // A refusal changed nothing on the ledger: no request exists, so nothing will ever be signed.
      // A lost connection may hide a request that was made: keep the record for recover() to look for it.
      if (isZrError(e) && !LEDGER_TRANSIENT.includes(e.code)) {
        const reason = `the ledger refused the signature request: ${e.code}`
        await update(record, { status: 'abandoned', reason })
        await release(record, signer)
        emit({ type: 'abandoned', relayId: record.id, reason }, record.keyId, local)
      }
      throw e
    }
    const ledgerSeq = submitted.receipt.events.find((e) => e.type === 'signRequest.created')?.seq
    record = await update(record, {
      status: 'requested',
      requestKind: submitted.requestKind,
      requestId: submitted.requestId,
      ...(submitted.actionId !== undefined ? { actionId: submitted.actionId } : {}),
      ...(ledgerSeq !== undefined ? { ledgerSeq } : {}),
    })
    emit({ type: 'requested', relayId: record.id, requestId: submitted.requestId, status: submitted.status, requestKind: submitted.requestKind, ...(submitted.actionId !== undefined ? { actionId: submitted.actionId } : {}) }, record.keyId, local)
    // Two relayers that prepared at the same moment may both have asked for one nonce: the ledger's order
    // decides. The earlier request keeps it; the later one, still waiting for approvals, is withdrawn
    // before anyone approves a transaction that could not land.
    if (record.claims !== undefined && submitted.status === 'partial' && submitted.actionId !== undefined) {
      const now = await liveClaims(params.keyId, record.id)
      const lost = record.claims.find((c) => (now.get(c) ?? Number.POSITIVE_INFINITY) < submitted.requestId)
      if (lost !== undefined) {
        const revoked = await revokeAction(client, { actionId: submitted.actionId }).then(() => true, () => false)
        if (revoked) {
          await rejectRecord(record, `withdrawn: signature request ${now.get(lost)} of another relayer on this key claimed ${lost} first`, signer, local)
          throw conflictError(lost, now.get(lost)!, { relayId: record.id, requestId: submitted.requestId }, `signature request ${now.get(lost)} of another relayer on this key asked for ${lost} just before this one (${submitted.requestId}); this request was withdrawn before anyone approved it, and nothing was signed. Send again: the next transaction prepares around it`)
        }
      }
    }
    if (submitted.status === 'rejected') {
      const request = await getSignRequest(client, { id: submitted.requestId })
      await rejectRecord(record, request.rejectReason ?? 'rejected by the sign policy', signer, local)
    }
    return {
      relayId: record.id,
      requestId: submitted.requestId,
      status: submitted.status,
      ...(submitted.actionId !== undefined ? { actionId: submitted.actionId } : {}),
      summary: record.summary,
      requestKind: submitted.requestKind,
    }
  }

  /** Moves a record on until `upTo`; returns the signed transaction and, when confirmed, the receipt. */
  const advance = (relayId: string, requestId: number, upTo: 'signed' | 'confirmed' | 'broadcast', options: RelayOptions): Promise<RelayResult<Receipt>> =>
    withLock(relayId, async () => {
      const local = options.onEvent
      let record = await journal.get(relayId)
      if (!record) throw notInJournal(requestId, relayId)
      let request = await getSignRequest(client, { id: requestId })
      if (record.status === 'prepared') {
        // Submitted before a crash, but the journal never heard back: the request names this relay.
        record = await update(record, { status: 'requested', requestId, ...(request.actionId !== undefined ? { actionId: request.actionId } : {}) })
      }
      if (record.requestId !== requestId) {
        throw new ZrError('RELAY_MISMATCH', 'The journal record does not match the signature request.', {
          details: `relay ${relayId} belongs to signature request ${record.requestId}, not ${requestId}`,
          context: { relayId, requestId },
        })
      }
      const signer = signerOf(request)
      if (record.status !== 'rejected' && record.status !== 'abandoned') await checkBinding(record, request, signer)
      if (record.status !== 'requested') emit({ type: 'resumed', relayId, requestId, from: record.status }, record.keyId, local)

      if (record.status === 'rejected' || record.status === 'abandoned') throw rejectedError(record)
      if (record.status === 'expired' || record.status === 'replaced') throw expiredError(record)
      if (record.status === 'requested') {
        if (options.approvals === 'fail' && request.status === 'partial') {
          throw new ZrError('APPROVAL_PENDING', `Signature request ${requestId} is waiting for approvals.`, {
            details: `action ${request.actionId} needs more approvals under the sign policy; resume({ requestId: ${requestId} }) finishes the relay once it is approved`,
            context: { requestId, relayId, actionId: request.actionId },
          })
        }
        // Progress from the request's creation on, so a resumed relay also reports what happened while it was away.
        const keyId = record.keyId
        const stop = client.ledger.subscribe({ requestId }, (event) => emit({ type: 'ledger', relayId, requestId, event }, keyId, local), record.ledgerSeq !== undefined ? { fromSeq: record.ledgerSeq } : undefined)
        try {
          request = await waitForSignRequest(client, {
            requestId,
            ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
            ...(options.signal !== undefined ? { signal: options.signal } : {}),
          })
        } catch (e) {
          if (isZrError(e, 'REQUEST_REJECTED')) {
            const rejected = await rejectRecord(record, String(e.context.reason ?? e.details ?? 'rejected'), signer, local)
            throw rejectedError(rejected, e)
          }
          if (isZrError(e, 'TIMEOUT') || isZrError(e, 'ABORTED')) {
            throw new ZrError(e.code, e.shortMessage, { details: `${e.details ?? ''}; the relay is not lost: resume({ requestId: ${requestId} }) continues it`, context: { ...e.context, requestId, relayId }, cause: e })
          }
          throw e
        } finally {
          stop()
        }
        const assembled = await adapter.assemble(record.unsignedTx, request.signatures!, signer)
        record = await update(record, { status: 'signed', signedTx: assembled.signedTx, txid: assembled.txid })
        emit({ type: 'signed', relayId, requestId, txid: assembled.txid }, record.keyId, local)
      }
      const tx: AssembledTx = { signedTx: record.signedTx!, txid: record.txid! }
      const result = { relayId, requestId, ...tx }
      if (upTo === 'signed') return result
      // A transaction the network dropped for good (TX_EXPIRED) ends the relay: record it, so that neither
      // recover() nor a later resume() waits for it again.
      // Another transaction on its nonce or inputs (TX_REPLACED) ends it too.
      const current = record
      const expire = async (e: unknown): Promise<never> => {
        if (isZrError(e, 'TX_EXPIRED') || isZrError(e, 'TX_REPLACED')) {
          const status = e.code === 'TX_EXPIRED' ? 'expired' : 'replaced'
          const reason = e.details ?? e.shortMessage
          const ended = await update(current, { status, reason })
          await release(ended, signer).catch(() => undefined)
          emit({ type: status, relayId, requestId, txid: tx.txid, reason }, current.keyId, local)
          throw new ZrError(e.code, e.shortMessage, { details: e.details, context: { ...e.context, relayId, requestId, txid: tx.txid }, cause: e })
        }
        if (isZrError(e, 'TX_STALLED') || isZrError(e, 'TIMEOUT')) {
          const missing = (e.context as { missingClaim?: unknown }).missingClaim
          const holder = typeof missing === 'string' ? await whoHolds(missing, current.keyId).catch(() => undefined) : undefined
          throw new ZrError(e.code, e.shortMessage, {
            details: `${e.details ?? ''}${holder ? `; ${holder.text}` : ''}; the relay is not lost: resume({ requestId: ${requestId} }) continues it`,
            context: { ...e.context, relayId, requestId, txid: tx.txid, ...(holder ? { heldBy: holder.heldBy } : {}) },
            cause: e,
          })
        }
        throw e
      }
      if (record.status === 'signed') {
        await adapter.broadcast(tx).catch(expire)
        record = await update(record, { status: 'broadcast' })
        emit({ type: 'broadcast', relayId, requestId, txid: tx.txid }, record.keyId, local)
      }
      if (upTo === 'broadcast' && record.status !== 'reverted') return result
      const receipt = await adapter
        .confirm(tx, {
          ...(options.confirmTimeoutMs !== undefined ? { timeoutMs: options.confirmTimeoutMs } : {}),
          ...(options.signal !== undefined ? { signal: options.signal } : {}),
          ...(options.stalled !== undefined ? { stalled: options.stalled } : {}),
          onProgress: (p) => {
            if (p.type === 'rebroadcast') emit({ type: 'rebroadcast', relayId, requestId, txid: tx.txid, reason: p.reason }, current.keyId, local)
            else emit({ type: 'stalled', relayId, requestId, txid: tx.txid, waitingFor: p.waitingFor, details: p.details }, current.keyId, local)
          },
        })
        .catch(expire)
      // One rule on every chain: a transaction that landed but failed is an error (TX_FAILED), as a
      // send-and-confirm is in @solana/web3.js; the receipt that says why is in the error's meta.
      const failure = record.status === 'reverted' ? (record.reason ?? 'failed') : adapter.failure?.(receipt)
      if (failure !== undefined) {
        if (record.status !== 'reverted') {
          record = await update(record, { status: 'reverted', reason: failure })
          emit({ type: 'reverted', relayId, requestId, txid: tx.txid, reason: failure }, record.keyId, local)
        }
        throw revertedError({ ...result, receipt }, failure)
      }
      if (record.status !== 'confirmed') {
        record = await update(record, { status: 'confirmed' })
        emit({ type: 'confirmed', relayId, requestId, txid: tx.txid }, record.keyId, local)
      }
      return { ...result, receipt }
    })

  /** The relay id a signature request names, or RELAY_NOT_FOUND. */
  const relayIdOf = async (requestId: number): Promise<string> => {
    const request = await getSignRequest(client, { id: requestId })
    const relayId = request.metadata?.[RELAY_ID_METADATA_KEY]
    if (relayId === undefined) {
      throw new ZrError('RELAY_NOT_FOUND', 'This signature request was not made by a relayer.', {
        details: `signature request ${requestId} has no ${RELAY_ID_METADATA_KEY} metadata`,
        context: { requestId },
      })
    }
    return relayId
  }

  const resume = async (params: { requestId: number } & RelayOptions, upTo: 'signed' | 'confirmed' | 'broadcast') => {
    const requestId = params?.requestId
    if (!Number.isSafeInteger(requestId) || requestId < 1) throw new ZrError('INVALID_INPUT', 'Invalid signature request id.', { details: `expected a positive integer, got ${String(requestId)}` })
    const relayId = await relayIdOf(requestId)
    if (!(await journal.get(relayId))) throw notInJournal(requestId, relayId)
    await restore()
    return advance(relayId, requestId, upTo, params)
  }

  /** Looks on the ledger for the request a `prepared` record may have made before a crash. */
  const findOrphan = async (record: RelayRecord): Promise<SignRequest | undefined> => {
    const creator = requireAccount(client).address
    let cursor: string | undefined
    do {
      const page = await listSignRequests(client, { keyId: record.keyId, creator, limit: 1000, ...(cursor !== undefined ? { cursor } : {}) })
      const found = page.items.find((r) => r.metadata?.[RELAY_ID_METADATA_KEY] === record.id)
      if (found) return found
      cursor = page.nextCursor
    } while (cursor !== undefined)
    return undefined
  }

  const recover = async (options: Omit<RelayOptions, 'approvals'> = {}): Promise<RecoverReturnType<Receipt>> => {
    await restore()
    const finished: RelayResult<Receipt>[] = []
    const waiting: number[] = []
    const rejected: number[] = []
    const abandoned: string[] = []
    const expired: number[] = []
    const replaced: number[] = []
    const reverted: RelayResult<Receipt>[] = []
    const failed: { relayId: string; requestId?: number; error: unknown }[] = []
    const open = (await journal.list()).filter((r) => isOurs(r) && !finalRelayStatuses.includes(r.status)).sort((a, b) => a.createdAt - b.createdAt)
    for (let record of open) {
      try {
        if (record.status === 'prepared') {
          const orphan = await findOrphan(record)
          if (!orphan) {
            record = await update(record, { status: 'abandoned', reason: 'its signature request never reached the ledger before a restart' })
            await release(record, undefined)
            emit({ type: 'abandoned', relayId: record.id, reason: record.reason! }, record.keyId, options.onEvent)
            abandoned.push(record.id)
            continue
          }
          record = await withLock(record.id, () => update(record, { status: 'requested', requestId: orphan.id, ...(orphan.actionId !== undefined ? { actionId: orphan.actionId } : {}) }))
        }
        const requestId = record.requestId!
        if (record.status === 'requested') {
          const request = await getSignRequest(client, { id: requestId })
          if (request.status === 'partial' || request.status === 'pending') {
            // Still waiting for approvals or the keyring: say so, so a fresh process's metrics count it.
            emit({ type: 'resumed', relayId: record.id, requestId, from: record.status }, record.keyId, options.onEvent)
            waiting.push(requestId)
            continue
          }
          if (request.status === 'rejected') {
            await withLock(record.id, () => rejectRecord(record, request.rejectReason ?? 'rejected', signerOf(request), options.onEvent))
            rejected.push(requestId)
            continue
          }
        }
        finished.push(await advance(record.id, requestId, options.confirm === false ? 'broadcast' : 'confirmed', options))
      } catch (error) {
        const now = await journal.get(record.id).catch(() => undefined)
        if (now?.status === 'expired' && isZrError(error, 'TX_EXPIRED')) expired.push(now.requestId!)
        else if (now?.status === 'replaced' && isZrError(error, 'TX_REPLACED')) replaced.push(now.requestId!)
        else if (now?.status === 'reverted' && isZrError(error, 'TX_FAILED')) reverted.push(error.context.result as RelayResult<Receipt>)
        else failed.push({ relayId: record.id, ...(record.requestId !== undefined ? { requestId: record.requestId } : {}), error })
      }
    }
    return { finished, waiting, rejected, abandoned, expired, replaced, reverted, failed }
  }

  const getRelay = async (params: { requestId: number } | { relayId: string }): Promise<RelayRecord> => {
    const relayId = 'relayId' in params ? params.relayId : await relayIdOf(params.requestId)
    const record = await journal.get(relayId)
    if (!record) throw notInJournal('requestId' in params ? params.requestId : undefined, relayId)
    return record
  }

  const replace = async (params: ReplaceRelayParameters): Promise<RelayResult<Receipt>> => {
    const bad = (details: string, context: Record<string, unknown> = {}) => new ZrError('INVALID_INPUT', 'Cannot replace this relay.', { details, context })
    if (!params || typeof params !== 'object') throw bad(`expected { requestId, mode }, got ${typeof params}`)
    const { requestId, mode, fees, ttlMs, metadata, ...options } = params
    if (!Number.isSafeInteger(requestId) || requestId < 1) throw bad(`requestId: expected a positive integer, got ${String(requestId)}`)
    if (mode !== 'speed-up' && mode !== 'cancel') throw bad(`mode: expected 'speed-up' or 'cancel', got ${JSON.stringify(mode)}`)
    if (fees !== undefined && (!fees || typeof fees !== 'object' || Array.isArray(fees) || !Object.values(fees).every((v) => typeof v === 'bigint' || (typeof v === 'number' && Number.isFinite(v))))) {
      throw bad('fees: expected an object of the chain\'s fee fields (bigint or number values)')
    }
    if (!adapter.replace) throw bad(`the ${adapter.chain} adapter cannot replace transactions`)
    const userMetadata = checkUserMetadata(metadata)
    const originalId = await relayIdOf(requestId)
    const original = await journal.get(originalId)
    if (!original) throw notInJournal(requestId, originalId)
    if (!['signed', 'broadcast', 'expired'].includes(original.status) || original.txid === undefined) {
      throw bad(`relay ${original.id} is ${original.status}: only a transaction that was signed and has not landed (signed, broadcast or expired) can be replaced`, { relayId: original.id, requestId, status: original.status })
    }
    await restore()
    const request = await getSignRequest(client, { id: requestId })
    const signer = signerOf(request)
    await checkBinding(original, request, signer)
    const prepared = checkPrepared(await adapter.replace(original, { mode, ...(fees !== undefined ? { fees } : {}) }, signer), adapter.chain)
    const replaces = { relayId: original.id, txid: original.txid, mode }
    const submitted = await submitPrepared(prepared, signer, { keyId: original.keyId, path: original.path, userMetadata, ...(ttlMs !== undefined ? { ttlMs } : {}), replaces }, options.onEvent)
    emit({ type: 'bumped', relayId: original.id, requestId, txid: original.txid, replacement: submitted.relayId, mode }, original.keyId, options.onEvent)
    if (submitted.status === 'rejected') throw rejectedError(await journal.get(submitted.relayId).then((r) => r!))
    try {
      const result = await advance(submitted.relayId, submitted.requestId, options.confirm === false ? 'broadcast' : 'confirmed', options)
      if (options.confirm !== false) {
        // The replacement landed: the original never can now.
        await withLock(original.id, async () => {
          const now = await journal.get(original.id)
          if (!now || finalRelayStatuses.includes(now.status)) return
          const reason = `replaced by relay ${submitted.relayId} (transaction ${result.txid}, ${mode})`
          await update(now, { status: 'replaced', reason })
          emit({ type: 'replaced', relayId: original.id, requestId, txid: original.txid!, reason }, original.keyId, options.onEvent)
        })
      }
      return result
    } catch (e) {
      // The original took the nonce first: for a speed-up that is the transaction the caller wanted.
      if (isZrError(e, 'TX_REPLACED') && mode === 'speed-up') return advance(original.id, requestId, 'confirmed', options)
      throw e
    }
  }

  /** Reports a failed call as a `failed` event (for logs and metrics), then rethrows it. */
  const reported = async <T>(call: Promise<T>, known: { keyId?: unknown; requestId?: unknown }, local?: (event: RelayEvent) => void): Promise<T> => {
    try {
      return await call
    } catch (e) {
      const context = (isZrError(e) ? e.context : {}) as { relayId?: unknown; requestId?: unknown }
      const relayId = typeof context.relayId === 'string' ? context.relayId : undefined
      const requestId = typeof context.requestId === 'number' ? context.requestId : typeof known.requestId === 'number' ? known.requestId : undefined
      const keyId = typeof known.keyId === 'number' ? known.keyId : relayId !== undefined ? (await journal.get(relayId).catch(() => undefined))?.keyId : undefined
      emit({ type: 'failed', ...(relayId !== undefined ? { relayId } : {}), ...(requestId !== undefined ? { requestId } : {}), code: isZrError(e) ? e.code : 'UNKNOWN', message: e instanceof Error ? e.message : String(e) }, keyId, local)
      throw e
    }
  }

  return Object.freeze({
    adapter,
    journal,
    submit: (params: SubmitRelayParameters<Intent>) => reported(submit(params), { keyId: params?.keyId }),
    relay(params: SubmitRelayParameters<Intent> & RelayOptions) {
      const run = async () => {
        const { keyId, path, intent, ttlMs, metadata, idempotencyKey, ...options } = params
        const { relayId, requestId } = await submit({ keyId, intent, ...(path !== undefined ? { path } : {}), ...(ttlMs !== undefined ? { ttlMs } : {}), ...(metadata !== undefined ? { metadata } : {}), ...(idempotencyKey !== undefined ? { idempotencyKey } : {}) }, options.onEvent)
        return advance(relayId, requestId, options.confirm === false ? 'broadcast' : 'confirmed', options)
      }
      return reported(run(), { keyId: params?.keyId }, params?.onEvent)
    },
    replace: (params: ReplaceRelayParameters) => reported(replace(params), { requestId: params?.requestId }, params?.onEvent),
    resume: (params: { requestId: number } & RelayOptions) => reported(resume(params, params?.confirm === false ? 'broadcast' : 'confirmed'), { requestId: params?.requestId }, params?.onEvent),
    sign: (params: { requestId: number } & RelayOptions) => reported(resume(params, 'signed'), { requestId: params?.requestId }, params?.onEvent),
    recover,
    getRelay,
  })
}

function sameTaproot(a: { readonly merkleRoot?: Uint8Array } | undefined, b: { readonly merkleRoot?: Uint8Array } | undefined): boolean {
  if (!a || !b) return !a && !b
  return a.merkleRoot === undefined ? b.merkleRoot === undefined : b.merkleRoot !== undefined && equalBytes(a.merkleRoot, b.merkleRoot)
}

function samePayloads(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  return a.length === b.length && a.every((p, i) => b[i] instanceof Uint8Array && equalBytes(p, b[i]!))
}

function notInJournal(requestId: number | undefined, relayId: string): ZrError {
  return new ZrError('RELAY_NOT_FOUND', 'This relay is not in the journal.', {
    details: `relay ${relayId}${requestId !== undefined ? ` (signature request ${requestId})` : ''} is not in this relayer's journal: it was made by another relayer, or with another journal`,
    context: { relayId, ...(requestId !== undefined ? { requestId } : {}) },
  })
}

function rejectedError(record: RelayRecord, cause?: unknown): ZrError {
  const what = record.requestId !== undefined ? `Signature request ${record.requestId}` : `Relay ${record.id}`
  return new ZrError('REQUEST_REJECTED', `${what} was rejected; nothing was broadcast.`, {
    details: record.reason,
    context: { relayId: record.id, ...(record.requestId !== undefined ? { requestId: record.requestId } : {}), reason: record.reason, status: record.status },
    cause,
  })
}

function expiredError(record: RelayRecord): ZrError {
  const replaced = record.status === 'replaced'
  return new ZrError(replaced ? 'TX_REPLACED' : 'TX_EXPIRED', `The transaction of signature request ${record.requestId} ${replaced ? 'was replaced' : 'expired'} before it landed.`, {
    details: `${record.reason ?? `transaction ${record.txid} can never land now`} (relay ${record.id} is recorded as ${record.status}; relay the transaction again to send a new one)`,
    context: { relayId: record.id, requestId: record.requestId, txid: record.txid, status: record.status },
  })
}

function revertedError<Receipt>(result: RelayResult<Receipt>, reason: string): ZrError {
  return new ZrError('TX_FAILED', 'The transaction failed on chain.', {
    details: `transaction ${result.txid} landed but failed: ${reason}; it paid its fee, and its other effects were undone`,
    context: { relayId: result.relayId, requestId: result.requestId, txid: result.txid, reason, receipt: result.receipt, result },
  })
}

function checkUserMetadata(metadata: unknown): Record<string, string> {
  if (metadata === undefined) return {}
  if (!metadata || typeof metadata !== 'object' || Array.isArray(metadata)) {
    throw new ZrError('INVALID_INPUT', 'Invalid relay metadata.', { details: `expected a string -> string object, got ${Array.isArray(metadata) ? 'an array' : typeof metadata}` })
  }
  for (const [k, v] of Object.entries(metadata)) {
    if (k.startsWith('zrkit.')) throw new ZrError('INVALID_INPUT', 'Invalid relay metadata.', { details: `keys starting with "zrkit." are reserved for the relayer, got "${k}"` })
    if (typeof v !== 'string') throw new ZrError('INVALID_INPUT', 'Invalid relay metadata.', { details: `metadata.${k}: expected a string, got ${typeof v}` })
  }
  return metadata as Record<string, string>
}

function checkPrepared(prepared: PreparedTx, chain: string): PreparedTx {
  const bad = (details: string) => new ZrError('INVALID_RESULT', `The ${chain} adapter prepared an invalid transaction.`, { details })
  if (!prepared || typeof prepared.unsignedTx !== 'string' || prepared.unsignedTx.length === 0) throw bad('expected a non-empty unsignedTx string')
  if (!Array.isArray(prepared.payloads) || prepared.payloads.length === 0 || !prepared.payloads.every((p) => p instanceof Uint8Array)) throw bad('expected payloads: a non-empty array of bytes')
  const summary = prepared.summary ?? {}
  const entries = Object.entries(summary)
  if (entries.length > 24) throw bad(`expected at most 24 summary entries, got ${entries.length}`)
  for (const [k, v] of entries) {
    if (!/^[A-Za-z0-9_.-]{1,48}$/.test(k)) throw bad(`summary key ${JSON.stringify(k)}: expected 1..48 characters of [A-Za-z0-9_.-]`)
    if (typeof v !== 'string' || v.length > 1024) throw bad(`summary.${k}: expected a string of at most 1024 characters`)
  }
  const taproot = prepared.taproot
  if (taproot !== undefined && (!taproot || typeof taproot !== 'object' || Object.keys(taproot).some((k) => k !== 'merkleRoot') || (taproot.merkleRoot !== undefined && !(taproot.merkleRoot instanceof Uint8Array && taproot.merkleRoot.length === 32)))) {
    throw bad('expected taproot: {} or { merkleRoot: 32 bytes }')
  }
  const tx: unknown = prepared.transaction
  if (tx !== undefined) {
    const t = tx as Record<string, unknown> | null
    if (!t || typeof t !== 'object' || typeof t.chain !== 'string' || !(t.unsignedTransaction instanceof Uint8Array) || (t.network !== undefined && typeof t.network !== 'string')) {
      throw bad('expected transaction: { chain, unsignedTransaction: bytes, network? }')
    }
  }
  const claims: unknown = prepared.claims
  if (claims !== undefined && (!Array.isArray(claims) || claims.length > 32 || !claims.every((c) => typeof c === 'string' && /^[\x21-\x7e]{1,160}$/.test(c)))) {
    throw bad('expected claims: at most 32 strings of 1..160 printable characters without spaces')
  }
  return {
    unsignedTx: prepared.unsignedTx,
    payloads: prepared.payloads,
    summary,
    ...(taproot !== undefined ? { taproot } : {}),
    ...(tx !== undefined ? { transaction: prepared.transaction! } : {}),
    ...(claims !== undefined && (claims as string[]).length > 0 ? { claims: claims as string[] } : {}),
  }
}

/** The `zrkit.claims` metadata entry: the claims that fit in one value (1 KiB), space-separated. */
function claimsMetadata(claims: readonly string[] | undefined): Record<string, string> {
  if (!claims?.length) return {}
  let value = ''
  for (const c of claims) if (value.length + c.length + 1 <= 1024) value = value ? `${value} ${c}` : c
  return { [CLAIMS_METADATA_KEY]: value }
}

function conflictError(claim: string, heldBy: number, ids: { relayId?: string; requestId?: number } | undefined, details: string): ZrError {
  return new ZrError('RELAY_CONFLICT', 'Another relayer on this key holds what this transaction needs.', { details, context: { claim, heldBy, ...ids } })
}

/** What approvers see of a replacement: the relay and transaction it takes the place of, and why. */
function replacesMetadata(replaces: RelayRecord['replaces']): Record<string, string> {
  if (!replaces) return {}
  return { [REPLACES_METADATA_KEY]: replaces.relayId, [REPLACES_TX_METADATA_KEY]: replaces.txid, [REPLACE_MODE_METADATA_KEY]: replaces.mode }
}

/** An idempotency key: 1-128 printable ASCII characters. */
function checkIdempotencyKey(key: unknown): string {
  if (typeof key !== 'string' || !/^[\x20-\x7e]{1,128}$/.test(key)) {
    throw new ZrError('INVALID_INPUT', 'Invalid idempotency key.', { details: `expected 1-128 printable ASCII characters, got ${typeof key === 'string' ? JSON.stringify(key.slice(0, 80)) : typeof key}` })
  }
  return key
}
