import { canonicalStringify } from '../encoding/canonical.js'
import { ZrError } from '../errors/ZrError.js'
import type { EventFilter, LedgerEvent } from './events.js'
import { matchesCheckedFilter } from './events.js'
import { checkSubscription } from './checkSubscription.js'
import type { Ledger, SubscribeOptions, TxReceipt } from './Ledger.js'
import { runQuery } from './queries.js'
import { openDatabase, openLog } from './openLedgerState.js'
import { type LedgerState, StateTx } from './state.js'
import { type EntryBody, applySignedTx, expireDue, nextDeadline, parseEntryBody } from './stateMachine.js'
import type { LedgerDatabase, LedgerStore, LogEntry } from './store/LedgerStore.js'
import { memoryStore } from './store/memoryStore.js'
import type { SignedTx } from './tx.js'
import type { Genesis } from './types.js'
import type { TransactionDecoder } from '../transaction/TransactionDecoder.js'
import { checkTransactionDecoders } from '../transaction/checkTransactionDecoders.js'

/** Options of {@link createEmbeddedLedger}. */
export type EmbeddedLedgerOptions = {
  /** The chain to start. Required for a new store; when the store already holds a chain, it must match. */
  genesis?: Genesis
  /**
   * Where the ledger lives (default: {@link memoryStore}). To survive restarts: `sqliteStore(dir)` from
   * `@zrkit/core/node` (state in a database: bounded memory, restart without replay), or `fileStore(dir)`
   * (a log replayed into memory at every start).
   */
  store?: LedgerStore | LedgerDatabase
  /** The ledger clock (ms). Entries take `max(now(), previous entry time)`. Default `Date.now`. */
  now?: () => number
  /** Expire requests on a timer as their deadlines pass (default true). Without it, call `tick()`. */
  autoTick?: boolean
  /**
   * Transaction decoders for sign-transaction requests, e.g. `evmTransactionDecoder()` from
   * `@zrkit/relayer-evm/decoder`. The genesis names which run (`transactionDecoders: ['evm@1']`); each
   * it names must be given here at that version.
   */
  transactionDecoders?: readonly TransactionDecoder[]
}

/** The embedded ledger: a {@link Ledger} plus what only an in-process ledger can offer. */
export type EmbeddedLedger = Ledger & {
  /** The current height (number of log entries). */
  readonly height: number
  /** sha256 over the whole state; two ledgers with equal hashes hold identical state. */
  stateHash(): string
  /** Expires what is due now; returns the events it caused (none: nothing was due, nothing logged). */
  tick(): Promise<readonly LedgerEvent[]>
  /**
   * Counts from the ledger's in-memory state, cheap enough for every metrics scrape (no record is read):
   * the height (log entries: messages and expiry ticks), the events so far, the requests created so far
   * by kind, and the open ones by status (sign requests `partial`: approvals missing, or `pending`: at the
   * keyring; key requests and approval actions `pending`).
   */
  stats(): {
    readonly height: number
    readonly events: number
    readonly created: { readonly signRequests: number; readonly keyRequests: number; readonly actions: number }
    readonly open: {
      readonly signRequests: { readonly partial: number; readonly pending: number }
      readonly keyRequests: { readonly pending: number }
      readonly actions: { readonly pending: number }
    }
  }
}

type Subscriber = { filter: EventFilter; listener: (e: LedgerEvent) => void; onError: SubscribeOptions['onError']; next: number; active: boolean }

/**
 * Opens the embedded ledger: a deterministic state machine over signed messages, replayed from its
 * log on start. In memory by default; on disk with `fileStore(dir)`, where every acknowledged message
 * survives a crash. When it fails (the store holds another chain, a corrupt log), it closes the store,
 * releasing a file store's lock: open a new store to try again.
 *
 * @example
 * ```ts
 * import { createEmbeddedLedger, generateAccount } from '@zrkit/core'
 * import { fileStore } from '@zrkit/core/node'
 *
 * const alice = generateAccount()
 * const ledger = await createEmbeddedLedger({
 *   genesis: { chainId: 'zrkit-dev', balances: [{ address: alice.address, amount: 1_000_000n }] },
 *   store: fileStore('./ledger-data'),
 * })
 * ```
 */
export async function createEmbeddedLedger(options: EmbeddedLedgerOptions = {}): Promise<EmbeddedLedger> {
  if (options === null || typeof options !== 'object') throw new ZrError('INVALID_CONFIG', 'Invalid ledger options.', { details: `expected an object { genesis?, store?, ... }, got ${options === null ? 'null' : typeof options}` })
  const store = options.store ?? memoryStore()
  const now = options.now ?? Date.now
  let state: LedgerState
  try {
    const available = checkTransactionDecoders(options.transactionDecoders)
    state = 'holdsState' in store ? await openDatabase(store, available, options.genesis, now) : await openLog(store, available, options.genesis, now)
  } catch (err) {
    // Refused (another chain, a corrupt log...): the store is closed, so its lock is released.
    await store.close().catch(() => {})
    throw err
  }

  let closed = false
  let failure: unknown
  let durableSeq = state.eventCount
  const subscribers = new Set<Subscriber>()
  const queue: { entry: LogEntry; events: LedgerEvent[]; resolve: () => void; reject: (e: unknown) => void }[] = []
  let flushing: Promise<void> | undefined
  let flushRunning = false
  let timer: ReturnType<typeof setTimeout> | undefined

  function guard(): void {
    if (closed) throw new ZrError('LEDGER_CLOSED', 'The ledger is closed.')
    if (failure !== undefined) throw new ZrError('LEDGER_UNAVAILABLE', 'The ledger stopped after a storage failure.', { details: String((failure as Error)?.message ?? failure), cause: failure })
  }

  function deliver(): void {
    for (const s of subscribers) {
      while (s.active && s.next <= durableSeq) {
        const e = state.rows.event(s.next)!
        s.next++
        try {
          if (matchesCheckedFilter(e, s.filter)) s.listener(e)
        } catch {
          // a failing listener must not stop the ledger or other subscribers
        }
      }
    }
  }

  function startFlush(): void {
    if (flushRunning) return
    flushRunning = true
    flushing = flushQueue()
  }

  /**
   * Writes queued entries until the queue is empty. The running flag is cleared in the same
   * synchronous step that finds the queue empty (the `finally` of this very function, not of a
   * caller awaiting it one microtask later): an entry queued from then on starts a new flush, and no
   * entry can be queued while a flush that has already finished still counts as running.
   */
  async function flushQueue(): Promise<void> {
    try {
      while (queue.length) {
        const batch = queue.splice(0, queue.length)
        try {
          await store.append(batch.map((b) => b.entry))
        } catch (e) {
          failure = e
          for (const b of batch) b.reject(new ZrError('LEDGER_UNAVAILABLE', 'The ledger could not store the message.', { details: String((e as Error)?.message ?? e), cause: e }))
          for (const b of queue.splice(0)) b.reject(new ZrError('LEDGER_UNAVAILABLE', 'The ledger stopped after a storage failure.', { cause: e }))
          return
        }
        for (const b of batch) {
          const last = b.events.at(-1)?.seq
          if (last !== undefined && last > durableSeq) durableSeq = last
        }
        for (const b of batch) b.resolve()
        deliver()
      }
    } finally {
      flushRunning = false
    }
  }

  /** Applies a body on a fresh StateTx and queues its log entry; resolves when durable. */
  function commitEntry(body: EntryBody, apply: (tx: StateTx) => void): { events: LedgerEvent[]; entry: LogEntry; durable: Promise<void> } {
    const time = Math.max(state.time, now())
    const height = state.height + 1
    const tx = new StateTx(state, height, time)
    expireDue(tx)
    apply(tx)
    const entry: LogEntry = { height, time, body: canonicalStringify(body) }
    let events: LedgerEvent[]
    try {
      events = tx.commit(entry.body)
    } catch (e) {
      // the rows could not be written (a database error): nothing in memory changed; stop, as after a failed append
      failure = e
      for (const b of queue.splice(0)) b.reject(new ZrError('LEDGER_UNAVAILABLE', 'The ledger stopped after a storage failure.', { cause: e }))
      throw new ZrError('LEDGER_UNAVAILABLE', 'The ledger could not store the message.', { details: String((e as Error)?.message ?? e), cause: e })
    }
    const durable = new Promise<void>((resolve, reject) => queue.push({ entry, events, resolve, reject }))
    startFlush()
    durable.then(schedule, () => {})
    return { events, entry, durable }
  }

  function schedule(): void {
    if (options.autoTick === false || closed || failure !== undefined) return
    const deadline = nextDeadline(state)
    if (timer) clearTimeout(timer)
    timer = undefined
    if (deadline === undefined) return
    timer = setTimeout(() => {
      timer = undefined
      ledger.tick().catch(() => {})
    }, Math.max(0, Math.min(deadline - now() + 1, 2 ** 31 - 1)))
    ;(timer as { unref?: () => void }).unref?.()
  }

  const ledger: EmbeddedLedger = {
    chainId: state.chainId,
    get height() {
      return state.height
    },
    stateHash: () => state.hash(),
    stats() {
      const open = (table: 'signRequests' | 'keyRequests' | 'actions', status: string) => {
        let n = 0
        for (const r of state.open[table]?.values() ?? []) if (r.status === status) n++
        return n
      }
      const created = (counter: string) => state.counters.get(counter) ?? 0
      return {
        height: state.height,
        events: state.eventCount,
        created: { signRequests: created('signRequest'), keyRequests: created('keyRequest'), actions: created('action') },
        open: {
          signRequests: { partial: open('signRequests', 'partial'), pending: open('signRequests', 'pending') },
          keyRequests: { pending: open('keyRequests', 'pending') },
          actions: { pending: open('actions', 'pending') },
        },
      }
    },

    async submit(signed: SignedTx): Promise<TxReceipt> {
      guard()
      let applied!: ReturnType<typeof applySignedTx>
      // Apply a private copy, exactly as the log holds it: bytes the caller keeps (keys, payloads) must not alias ledger state.
      const own = (parseEntryBody(canonicalStringify({ tx: signed })) as { tx: SignedTx }).tx
      const { events, entry, durable } = commitEntry({ tx: own }, (tx) => {
        applied = applySignedTx(tx, own)
      })
      await durable
      return { hash: applied.hash, height: entry.height, time: entry.time, result: applied.result, events }
    },

    async tick() {
      guard()
      const due = nextDeadline(state)
      if (due === undefined || due > Math.max(state.time, now())) return []
      const { events, durable } = commitEntry({ tick: true }, () => {})
      await durable
      return events
    },

    async query(kind, params) {
      guard()
      // A copy: bytes a caller changes in a result must not change the ledger.
      return structuredClone(runQuery(state, kind, params))
    },

    subscribe(filter, listener, options) {
      // Checked now, so a bad filter is refused here and never fails later, during delivery to everyone.
      const sub = checkSubscription(filter, listener, options)
      const s: Subscriber = { filter: sub.filter, listener, onError: sub.onError, next: sub.fromSeq ?? durableSeq + 1, active: true }
      subscribers.add(s)
      if (s.next <= durableSeq) queueMicrotask(deliver)
      return () => {
        s.active = false
        subscribers.delete(s)
      }
    },

    async close() {
      if (closed) return
      closed = true
      if (timer) clearTimeout(timer)
      await flushing
      const ended = [...subscribers]
      subscribers.clear()
      for (const s of ended) {
        s.active = false
        try {
          s.onError?.(new ZrError('LEDGER_CLOSED', 'The ledger is closed.', { details: 'the subscription ended because the ledger was closed' }))
        } catch {
          // a failing callback must not stop the close
        }
      }
      await store.close()
    },
  }
  schedule()
  return ledger
}
