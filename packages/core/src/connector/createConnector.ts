import type { Account } from '../account/Account.js'
import { fulfilKeyRequest } from '../client/actions/keyRequest.js'
import { fulfilSignRequest } from '../client/actions/signRequest.js'
import type { ClientBase } from '../client/sendMessage.js'
import { ZrError, isZrError } from '../errors/ZrError.js'
import type { KeyringBackend } from '../keyring/KeyringBackend.js'
import type { Ledger, Unsubscribe } from '../ledger/Ledger.js'
import type { Accusation, Key, KeyRequest, SignRequest } from '../ledger/types.js'
import { MAX_PARTY_REJECT_REASON } from '../ledger/treasury/responses.js'
import { signatureProblem } from '../ledger/treasury/schemes.js'
import { checkInt } from '../ledger/validate.js'
import { sleep } from '../async/sleep.js'
import { remember } from '../cache/remember.js'

/** Retry policy for transient failures. */
export type RetryOptions = {
  /** Attempts in all, the first included (default 5). */
  attempts?: number
  /** First backoff delay (default 200 ms); doubles each time. */
  initialDelayMs?: number
  /** Longest backoff delay (default 5 000 ms). */
  maxDelayMs?: number
}

/** Something a connector did, for logs and progress displays. */
export type ConnectorEvent =
  | { type: 'picked'; kind: 'key' | 'sign'; requestId: number }
  | { type: 'responded'; kind: 'key' | 'sign'; requestId: number; status: string; latencyMs: number }
  | { type: 'rejected'; kind: 'key' | 'sign'; requestId: number; reason: string }
  | { type: 'retry'; kind: 'key' | 'sign'; requestId: number; attempt: number; error: string }
  | { type: 'skipped'; kind: 'key' | 'sign'; requestId: number; why: string }
  | { type: 'error'; kind: 'key' | 'sign'; requestId: number; error: string }
  /** The backend caught another party cheating; posted with this party's response. */
  | { type: 'accused'; kind: 'key' | 'sign'; requestId: number; party: string; reason: string }
  /**
   * `party` had posted signatures that this party checked under the request's key, and this party posted the same
   * signatures instead of its own (see `ConnectorOptions.endorse`). `error` says why: the backend's error (it
   * could not finish), or that it was still signing (see `ConnectorOptions.endorseAfterMs`).
   */
  | { type: 'endorsed'; kind: 'sign'; requestId: number; party: string; error: string }

/** Health of a connector, for dashboards and alerts. */
export type ConnectorStatus = {
  readonly running: boolean
  /** Requests waiting for a worker. */
  readonly backlog: number
  readonly inFlight: number
  /** Responses posted, by outcome. */
  readonly responded: number
  readonly rejected: number
  /** Transient failures retried. */
  readonly retries: number
  /** Failures that left a request without this party's response. */
  readonly errors: number
  readonly lastError?: string
  /** Ledger time of the last event seen. */
  readonly lastSeenAt?: number
  /** Mean time from pick-up to posted response. */
  readonly averageLatencyMs?: number
}

/** Options of {@link createConnector}. */
export type ConnectorOptions = {
  ledger: Ledger
  /** This party's account: one of the keyring's parties. It signs every response. */
  account: Account
  /** Address of the keyring. */
  keyring: string
  backend: KeyringBackend
  /** Requests worked on at once (default 4). */
  concurrency?: number
  retry?: RetryOptions
  /** Re-scan the ledger for open requests this often, to catch anything missed (default 5 000 ms; 0 = never). */
  pollIntervalMs?: number
  /**
   * For a backend with `thresholdSignatures` (the MPC federation): when it could not finish a signature request
   * (`TIMEOUT`, `MPC_ABORT`, or `BACKEND_TRANSIENT` after the retries) and another party of the keyring already
   * posted signatures for it, check them under the request's key, payload by payload, and post the same signatures
   * instead of a rejection (default true). A threshold signature that verifies exists only if the keyring's
   * threshold made it, so this loses no safety, and a request whose last protocol message to this party was lost
   * is still fulfilled. Any other backend error (a refusal by the backend's own rule) still rejects, a backend
   * without `thresholdSignatures` never endorses (its parties may each hold the whole key), and key requests are
   * never endorsed (a public key carries no proof of origin).
   *
   * The same holds while the backend is still signing: a party still at it `endorseAfterMs` after it took the
   * request up looks on the ledger, and again every `endorseAfterMs`, for signatures another party posted; when
   * they verify, it stops its backend work and posts them. A party whose co-signer posted and went on to other work
   * would otherwise try until the request's deadline.
   */
  endorse?: boolean
  /**
   * With `endorse`, how long a signing runs before the connector first looks for a co-party's signatures to post
   * instead, and how often it looks again (default 1 000 ms). Signings that end sooner, as they all do in a normal
   * run, cost no look at all, and nobody posts more than it would have.
   */
  endorseAfterMs?: number
  onEvent?: (event: ConnectorEvent) => void
}

/** A running connector. */
export type Connector = {
  /** Checks the account is a party, then watches the ledger and answers requests. */
  start(): Promise<void>
  /** Stops watching, aborts backend work, and waits for in-flight work to settle. */
  stop(): Promise<void>
  status(): ConnectorStatus
  /** Resolves once nothing is queued or in flight. */
  idle(): Promise<void>
}

/**
 * Ledger answers that mean "nothing left for this party to do". `TX_REPLAYED`: this very response
 * (same signer, sequence and result) was already applied, e.g. a retry after a lost acknowledgement.
 */
const settledCodes = ['DUPLICATE_RESPONSE', 'REQUEST_NOT_PENDING', 'KEYRING_NOT_ACTIVE', 'TX_REPLAYED'] as const
/** Backend errors that mean "could not finish", not "will not sign": a co-party's verified signatures may stand in. */
const unfinishedCodes = ['TIMEOUT', 'MPC_ABORT', 'BACKEND_TRANSIENT'] as const
/** Ledger answers that mean the backend's result was bad: report it as a rejection. */
const badResultCodes = ['INVALID_RESULT', 'INVALID_PUBLIC_KEY'] as const
/** An error's message with its details: `shortMessage (details)`. */
const withDetails = (e: ZrError) => `${e.shortMessage}${e.details ? ` (${e.details})` : ''}`
/** The longest delay a timer holds (setTimeout's limit, about 24.8 days). */
const maxTimerMs = 2 ** 31 - 1
/** Keys a connector remembers (the most recent). */
const KEYS_KEPT = 1024

/**
 * The connector runtime: one per keyring party. It watches the ledger for pending key and signature
 * requests of its keyring, asks the backend, and posts this party's response signed with the party's
 * key. It never responds twice (the ledger's record of responses is its journal, so this holds across
 * restarts), retries transient failures with backoff, and turns a backend error into a rejection that
 * carries the reason.
 *
 * @example
 * ```ts
 * import { createConnector, localKeyring } from '@zrkit/core'
 *
 * const connector = createConnector({ ledger, account: party, keyring, backend: localKeyring(), onEvent: console.log })
 * await connector.start()
 * // ... later
 * await connector.stop()
 * ```
 */
export function createConnector(options: ConnectorOptions): Connector {
  const { ledger, account, keyring, backend } = options
  const client: ClientBase = { ledger, account }
  // a bad number here would make the connector spin (0 ms timers) or stall (NaN, negative): refused at once
  const concurrency = checkInt(options.concurrency ?? 4, 'connector option concurrency', { min: 1, max: 10_000 })
  const attempts = checkInt(options.retry?.attempts ?? 5, 'connector option retry.attempts', { min: 1, max: 1_000 })
  const initialDelay = checkInt(options.retry?.initialDelayMs ?? 200, 'connector option retry.initialDelayMs', { max: maxTimerMs })
  const maxDelay = checkInt(options.retry?.maxDelayMs ?? 5_000, 'connector option retry.maxDelayMs', { max: maxTimerMs })
  const pollInterval = checkInt(options.pollIntervalMs ?? 5_000, 'connector option pollIntervalMs', { max: maxTimerMs })
  const endorse = (options.endorse ?? true) && backend.thresholdSignatures === true
  const endorseAfter = checkInt(options.endorseAfterMs ?? 1_000, 'connector option endorseAfterMs', { min: 1, max: maxTimerMs })
  const emit = (e: ConnectorEvent) => {
    try {
      options.onEvent?.(e)
    } catch {
      // observers must not break the connector
    }
  }

  const queue: { kind: 'key' | 'sign'; id: number }[] = []
  const known = new Set<string>()
  const working = new Set<Promise<void>>()
  let running = false
  let abort = new AbortController()
  let unsubscribe: Unsubscribe | undefined
  /** The keyring's parties as of start: only they can be accused. */
  let keyringParties: readonly string[] = []
  let poller: ReturnType<typeof setInterval> | undefined
  let idleWaiters: (() => void)[] = []
  /**
   * Sign requests being worked on, each with its own abort: when the ledger settles one meanwhile (the other
   * parties' results fulfilled it, or it was rejected or expired), its backend work stops and nothing is posted.
   * A signing that runs long is watched for a co-party's verified signatures (`watch`, see `endorseAfterMs`): found,
   * they stop the backend work too, and are posted from `endorsing`.
   * Key requests are never cut short: a party still finishing a key generation must keep its share.
   */
  const signing = new Map<number, InFlightSign>()
  type Endorsement = { readonly party: string; readonly signatures: readonly Uint8Array[] }
  type InFlightSign = { readonly own: AbortController; watch?: ReturnType<typeof setTimeout>; endorsing?: Endorsement }
  const stats = { responded: 0, rejected: 0, retries: 0, errors: 0, latencyTotal: 0, latencyCount: 0, lastError: undefined as string | undefined, lastSeenAt: undefined as number | undefined }

  function enqueue(kind: 'key' | 'sign', id: number): void {
    const tag = `${kind}:${id}`
    if (!running || known.has(tag)) return
    known.add(tag)
    queue.push({ kind, id })
    pump()
  }

  function pump(): void {
    while (running && working.size < concurrency && queue.length) {
      const job = queue.shift()!
      const p: Promise<void> = handle(job.kind, job.id).finally(() => {
        working.delete(p)
        known.delete(`${job.kind}:${job.id}`)
        pump()
      })
      working.add(p)
    }
    if (!queue.length && !working.size) {
      const waiters = idleWaiters
      idleWaiters = []
      for (const w of waiters) w()
    }
  }

  /** Keys this connector has signed with, by id: a key's public key never changes, so it is read from the ledger once. */
  const keys = new Map<number, Key>()
  async function keyOf(id: number): Promise<Key> {
    const known = keys.get(id)
    if (known) return known
    const key = await ledger.query('key', { id })
    if (!key) throw new ZrError('KEY_NOT_FOUND', 'Key not found.', { details: `no key ${id}` })
    return remember(keys, id, key, KEYS_KEPT)
  }

  /** Retries `fn` on transient failures with exponential backoff. */
  async function withRetry<T>(kind: 'key' | 'sign', requestId: number, fn: () => Promise<T>, signal: AbortSignal = abort.signal): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn()
      } catch (e) {
        const transient = isZrError(e, 'BACKEND_TRANSIENT') || isZrError(e, 'LEDGER_UNAVAILABLE') || isZrError(e, 'TIMEOUT')
        if (!transient || attempt >= attempts || signal.aborted) throw e
        stats.retries++
        emit({ type: 'retry', kind, requestId, attempt, error: (e as Error).message.split('\n')[0]! })
        // stopped (or settled) while backing off: give up with the error that made it retry, not the abort
        await sleep(Math.min(maxDelay, initialDelay * 2 ** (attempt - 1)), signal).catch(() => undefined)
        if (signal.aborted) throw e
      }
    }
  }

  async function post(kind: 'key' | 'sign', requestId: number, result: Parameters<typeof fulfilKeyRequest>[1]['result'] | Parameters<typeof fulfilSignRequest>[1]['result']) {
    return withRetry(kind, requestId, () =>
      kind === 'key' ? fulfilKeyRequest(client, { requestId, result: result as never }) : fulfilSignRequest(client, { requestId, result: result as never }),
    )
  }

  async function reject(kind: 'key' | 'sign', requestId: number, reason: string, accusations?: readonly Accusation[]): Promise<void> {
    const trimmed = reason.length > MAX_PARTY_REJECT_REASON ? `${reason.slice(0, MAX_PARTY_REJECT_REASON - 3)}...` : reason
    await post(kind, requestId, { rejectReason: trimmed, ...(accusations?.length ? { accusations } : {}) })
    stats.rejected++
    emit({ type: 'rejected', kind, requestId, reason: trimmed })
    reportAccusations(kind, requestId, accusations)
  }

  function reportAccusations(kind: 'key' | 'sign', requestId: number, accusations: readonly Accusation[] | undefined): void {
    for (const a of accusations ?? []) emit({ type: 'accused', kind, requestId, party: a.party, reason: a.reason })
  }

  async function handle(kind: 'key' | 'sign', requestId: number): Promise<void> {
    const started = Date.now()
    // the connector's abort of this run (start() makes a new one after a stop)
    const stopped = abort.signal
    const own = kind === 'sign' ? new AbortController() : undefined
    const stopOwn = () => own?.abort(stopped.reason)
    const inFlight: InFlightSign | undefined = own && { own }
    if (inFlight) {
      signing.set(requestId, inFlight)
      stopped.addEventListener('abort', stopOwn, { once: true })
      if (endorse) watchForEndorsement(requestId, inFlight)
    }
    const settled = () => !!own?.signal.aborted && !stopped.aborted && !inFlight?.endorsing
    const skipSettled = () => emit({ type: 'skipped', kind, requestId, why: 'settled on the ledger while this party was working' })
    try {
      const req: KeyRequest | SignRequest | null = await ledger.query(kind === 'key' ? 'keyRequest' : 'signRequest', { id: requestId })
      if (!req || req.keyring !== keyring) return
      if (req.status !== 'pending') return
      if (req.responses.some((r) => r.party === account.address)) {
        emit({ type: 'skipped', kind, requestId, why: 'already responded' })
        return
      }
      emit({ type: 'picked', kind, requestId })
      if (kind === 'sign' && ((req as SignRequest).path?.length || (req as SignRequest).taproot) && !backend.supportsDerivation) {
        await reject(kind, requestId, `keyring backend ${backend.name ?? ''} does not support derived keys (path or taproot requests)`.replace('  ', ' '))
        return
      }
      if (!backend.keyTypes.includes(req.keyType)) {
        await reject(kind, requestId, `keyring backend ${backend.name ?? ''} does not support ${req.keyType}`.replace('  ', ' '))
        return
      }
      let result: ({ publicKey: Uint8Array } | { signatures: readonly Uint8Array[] }) & { accusations?: readonly Accusation[] }
      try {
        const signal = own?.signal ?? abort.signal
        result = await withRetry(kind, requestId, async () => {
          if (kind === 'key') {
            const r = req as KeyRequest
            const { publicKey, accusations } = await backend.createKey({ requestId, keyType: r.keyType, workspace: r.workspace, keyring, expiresAt: r.expiresAt, signal })
            return { publicKey, ...accusationsFor(accusations) }
          }
          const r = req as SignRequest
          const key = await keyOf(r.keyId)
          const { signatures, accusations } = await backend.sign({
            requestId,
            keyId: r.keyId,
            keyType: r.keyType,
            publicKey: key.publicKey,
            ...(r.path?.length ? { path: r.path } : {}),
            ...(r.taproot ? { taproot: r.taproot } : {}),
            ...(r.path?.length || r.taproot ? { signingPublicKey: r.publicKey } : {}),
            payloads: r.payloads,
            workspace: r.workspace,
            keyring,
            ...(r.metadata ? { metadata: r.metadata } : {}),
            ...(r.transaction ? { transaction: { chain: r.transaction.chain, decoded: r.transaction.decoded } } : {}),
            expiresAt: r.expiresAt,
            signal,
          })
          return { signatures: [...signatures], ...accusationsFor(accusations) }
        }, signal)
      } catch (e) {
        if (abort.signal.aborted) return
        const endorsing = inFlight?.endorsing
        if (endorsing) return await postEndorsement(requestId, endorsing, `still signing after ${Date.now() - started} ms`, undefined, started)
        if (settled()) return skipSettled()
        if (isZrError(e, 'BACKEND_ABSTAIN')) {
          emit({ type: 'skipped', kind, requestId, why: e.details ?? e.shortMessage })
          return
        }
        if (kind === 'sign' && endorse && isZrError(e) && (unfinishedCodes as readonly string[]).includes(e.code) && (await endorseCoParty(requestId, e, started))) return
        await reject(kind, requestId, `backend error: ${isZrError(e) ? withDetails(e) : (e as Error)?.message ?? String(e)}`, accusationsOf(e))
        return
      }
      if (settled()) return skipSettled()
      try {
        const receipt = await post(kind, requestId, result as never)
        responded(kind, requestId, receipt, started, result.accusations)
      } catch (e) {
        if (isZrError(e) && (badResultCodes as readonly string[]).includes(e.code)) {
          await reject(kind, requestId, `keyring produced an invalid result: ${e.shortMessage} ${e.details ?? ''}`.trim())
          return
        }
        throw e
      }
    } catch (e) {
      if (isZrError(e) && (settledCodes as readonly string[]).includes(e.code)) {
        emit({ type: 'skipped', kind, requestId, why: e.code })
        return
      }
      if (abort.signal.aborted && isZrError(e, 'LEDGER_CLOSED')) return
      stats.errors++
      stats.lastError = (e as Error)?.message?.split('\n')[0] ?? String(e)
      emit({ type: 'error', kind, requestId, error: stats.lastError })
    } finally {
      if (inFlight) {
        stopped.removeEventListener('abort', stopOwn)
        clearTimeout(inFlight.watch)
        if (signing.get(requestId) === inFlight) signing.delete(requestId)
      }
    }
  }

  /**
   * Every `endorseAfterMs` while this party signs the request: signatures another party posted for it that verify
   * stop the backend work, so that they are posted instead (`handle` does, from `endorsing`). Signatures that do not
   * verify, or a ledger that does not answer, change nothing: the backend goes on, and the next look comes.
   */
  function watchForEndorsement(requestId: number, inFlight: InFlightSign): void {
    inFlight.watch = setTimeout(() => {
      void verifiedCoParty(requestId)
        .catch(() => undefined)
        .then((verified) => {
          if (inFlight.own.signal.aborted || signing.get(requestId) !== inFlight) return
          if (!verified) return watchForEndorsement(requestId, inFlight)
          inFlight.endorsing = verified
          inFlight.own.abort(new ZrError('ABORTED', 'A co-party posted verified signatures.', { details: `sign request ${requestId}: endorsing ${verified.party}'s signatures` }))
        })
    }, endorseAfter)
    ;(inFlight.watch as { unref?: () => void }).unref?.()
  }

  /**
   * Signatures another party of the keyring posted for a pending sign request this party has not answered, each
   * checked under the request's key here (the ledger's own check, run by this party); `undefined` when none do.
   */
  async function verifiedCoParty(requestId: number): Promise<Endorsement | undefined> {
    const req: SignRequest | null = await ledger.query('signRequest', { id: requestId })
    if (!req || req.keyring !== keyring || req.status !== 'pending' || req.responses.some((r) => r.party === account.address)) return undefined
    const verified = req.responses.find(
      (r) =>
        r.party !== account.address &&
        keyringParties.includes(r.party) &&
        r.signatures?.length === req.payloads.length &&
        r.signatures.every((sig, i) => signatureProblem(req.keyType, req.publicKey, req.payloads[i]!, sig) === undefined),
    )
    return verified && { party: verified.party, signatures: verified.signatures! }
  }

  /** Posts the signatures another party already posted, when they verify (see `verifiedCoParty`); false, posting nothing, when none do. */
  async function endorseCoParty(requestId: number, error: ZrError, started: number): Promise<boolean> {
    const verified = await verifiedCoParty(requestId)
    if (!verified) return false
    await postEndorsement(requestId, verified, `${error.code}: ${withDetails(error)}`, accusationsOf(error), started)
    return true
  }

  /** Posts `endorsement` as this party's response, `why` saying why not its own, with this party's accusations. */
  async function postEndorsement(requestId: number, endorsement: Endorsement, why: string, accusations: readonly Accusation[] | undefined, started: number): Promise<void> {
    const receipt = await post('sign', requestId, { signatures: [...endorsement.signatures], ...accusationsFor(accusations) } as never)
    emit({ type: 'endorsed', kind: 'sign', requestId, party: endorsement.party, error: why })
    responded('sign', requestId, receipt, started, accusations)
  }

  /** Counts a posted response (and its latency from pick-up) and tells observers, with the accusations it carried. */
  function responded(kind: 'key' | 'sign', requestId: number, receipt: Awaited<ReturnType<typeof post>>, started: number, accusations: readonly Accusation[] | undefined): void {
    const latencyMs = Date.now() - started
    stats.responded++
    stats.latencyTotal += latencyMs
    stats.latencyCount++
    emit({ type: 'responded', kind, requestId, status: String(receipt.result.status), latencyMs })
    reportAccusations(kind, requestId, accusations)
  }

  /** The backend's accusations, minus any naming this party itself or a party twice (the ledger refuses those). */
  function accusationsFor(list: readonly Accusation[] | undefined): { accusations?: Accusation[] } {
    const seen = new Set<string>([account.address])
    const kept = (list ?? []).filter((a) => keyringParties.includes(a.party) && !seen.has(a.party) && (seen.add(a.party), true)).map((a) => ({ party: a.party, reason: a.reason.length > 256 ? `${a.reason.slice(0, 253)}...` : a.reason }))
    return kept.length ? { accusations: kept } : {}
  }

  /** Accusations carried by a backend error: `context.accusations`, or the party an `MPC_ABORT` names. */
  function accusationsOf(e: unknown): Accusation[] | undefined {
    if (!isZrError(e)) return undefined
    // a backend is a plugin: the context of its error is checked here, not trusted to match its type
    const context: Readonly<Record<string, unknown>> = e.context
    const listed = Array.isArray(context.accusations)
      ? (context.accusations as unknown[]).filter((a): a is Accusation => !!a && typeof (a as Accusation).party === 'string' && typeof (a as Accusation).reason === 'string' && (a as Accusation).reason.length > 0)
      : typeof context.party === 'string' && e.code === 'MPC_ABORT'
        ? [{ party: context.party, reason: e.shortMessage }]
        : []
    return accusationsFor(listed).accusations
  }

  async function scan(): Promise<void> {
    for (const [kind, query] of [
      ['key', 'keyRequests'],
      ['sign', 'signRequests'],
    ] as const) {
      let cursor: string | undefined
      do {
        const page = await ledger.query(query, { keyring, status: 'pending', limit: 500, ...(cursor ? { cursor } : {}) })
        for (const r of page.items) if (!r.responses.some((x) => x.party === account.address)) enqueue(kind, r.id)
        cursor = page.nextCursor
      } while (cursor && running)
    }
  }

  return {
    async start() {
      if (running) return
      const k = await ledger.query('keyring', { address: keyring })
      if (!k) throw new ZrError('KEYRING_NOT_FOUND', 'Keyring not found.', { details: `no keyring ${keyring}` })
      keyringParties = k.parties
      if (!k.parties.includes(account.address)) {
        throw new ZrError('NOT_KEYRING_PARTY', 'The connector account is not a party of the keyring.', { details: `${account.address} is not among the parties of ${keyring} (${k.parties.join(', ')})` })
      }
      running = true
      abort = new AbortController()
      const { lastEventSeq } = await ledger.query('status', {})
      unsubscribe = ledger.subscribe(
        { keyring, types: ['keyRequest.created', 'signRequest.pending', 'signRequest.fulfilled', 'signRequest.rejected'] },
        (e) => {
          stats.lastSeenAt = e.time
          if (e.type === 'signRequest.fulfilled' || e.type === 'signRequest.rejected') {
            signing.get(e.data.requestId as number)?.own.abort(new ZrError('ABORTED', 'The request was settled on the ledger.', { details: `sign request ${String(e.data.requestId)} is ${e.type.slice('signRequest.'.length)}` }))
            return
          }
          enqueue(e.type === 'keyRequest.created' ? 'key' : 'sign', e.data.requestId as number)
        },
        { fromSeq: lastEventSeq + 1 },
      )
      await scan()
      if (pollInterval > 0) {
        poller = setInterval(() => void scan().catch(() => {}), pollInterval)
        ;(poller as { unref?: () => void }).unref?.()
      }
    },

    async stop() {
      running = false
      unsubscribe?.()
      unsubscribe = undefined
      if (poller) clearInterval(poller)
      abort.abort()
      queue.length = 0
      await Promise.allSettled([...working])
      known.clear()
    },

    status() {
      return {
        running,
        backlog: queue.length,
        inFlight: working.size,
        responded: stats.responded,
        rejected: stats.rejected,
        retries: stats.retries,
        errors: stats.errors,
        ...(stats.lastError ? { lastError: stats.lastError } : {}),
        ...(stats.lastSeenAt !== undefined ? { lastSeenAt: stats.lastSeenAt } : {}),
        ...(stats.latencyCount ? { averageLatencyMs: stats.latencyTotal / stats.latencyCount } : {}),
      }
    },

    idle() {
      if (!queue.length && !working.size) return Promise.resolve()
      return new Promise((resolve) => idleWaiters.push(resolve))
    },
  }
}
