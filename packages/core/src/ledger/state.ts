import { sha256 } from '@noble/hashes/sha2.js'
import { toHex } from '../encoding/bytes.js'
import { canonicalBytes } from '../encoding/canonical.js'
import type { LedgerEvent, LedgerEventType } from './events.js'
import type { MessageResult } from './stateMachine.js'
import { type LedgerRows, type RowHint, type RowId, type TableName, tableNames } from './store/LedgerRows.js'
import { memoryRows } from './store/memoryRows.js'
import type { TransactionDecoder } from '../transaction/TransactionDecoder.js'
import type { AccountRecord, Action, Key, KeyRequest, Keyring, LedgerParams, Policy, SignRequest, Workspace } from './types.js'

/**
 * An applied tx, kept so a replayed tx is refused and a sender who lost the reply can look up what the
 * ledger answered: with the events of its log entry, `{ hash, height, time, result }` is its receipt.
 */
export type TxRecord = {
  readonly hash: string
  readonly height: number
  readonly signer: string
  readonly sequence: number
  /** Ledger time of its log entry. */
  readonly time: number
  /** What the message returned (the receipt's `result`). */
  readonly result: MessageResult
  /** The events of its log entry (the receipt's `events`): `count` events, numbered from `first`. */
  readonly events: { readonly first: number; readonly count: number }
}

type TableTypes = {
  accounts: AccountRecord
  workspaces: Workspace
  keyrings: Keyring
  policies: Policy
  actions: Action
  keyRequests: KeyRequest
  keys: Key
  signRequests: SignRequest
  txs: TxRecord
}
export type { TableName }
type Id = RowId

/** Tables whose records have a status; open ones are indexed for expiry and for connectors. */
export const openStatuses: Partial<Record<TableName, readonly string[]>> = {
  actions: ['pending'],
  keyRequests: ['pending'],
  signRequests: ['partial', 'pending'],
}

/** What the open-record index keeps of a record: enough to find the next deadline without reading it. */
type OpenRecord = { readonly status: string; readonly expiresAt: number }

/** Freezes a record and everything in it (bytes aside), so ledger state is never changed in place. */
export function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !(v instanceof Uint8Array) && !Object.isFrozen(v)) {
    for (const x of Object.values(v)) deepFreeze(x)
    Object.freeze(v)
  }
  return v
}

/**
 * The ledger state. In memory: the chain's identity and params, counters, height, time, the number of
 * events and the index of open records (hot state, small). The records and events themselves are in
 * {@link LedgerRows}: in memory, or in a database that holds them on disk. Only {@link StateTx.commit}
 * changes it.
 */
export class LedgerState {
  readonly open: { [K in TableName]?: Map<Id, OpenRecord> }
  readonly counters = new Map<string, number>()
  eventCount = 0
  height = 0
  time = 0
  chainId = ''
  params!: LedgerParams
  /** The decoders the ledger was opened with, by chain; genesis picks the ones that run. */
  available: ReadonlyMap<string, TransactionDecoder> = new Map()
  /** The decoders that run: those genesis lists, at the versions it names. */
  decoders: ReadonlyMap<string, TransactionDecoder> = new Map()

  constructor(readonly rows: LedgerRows = memoryRows()) {
    this.open = Object.fromEntries(Object.keys(openStatuses).map((t) => [t, new Map()])) as LedgerState['open']
  }

  get<K extends TableName>(table: K, id: Id): TableTypes[K] | undefined {
    return this.rows.get(table, id) as TableTypes[K] | undefined
  }

  /** The table's records in insertion order from position `from`, as `[position, record]` (see {@link LedgerRows.scan}). */
  scan<K extends TableName>(table: K, from: number, hint: RowHint = {}): Iterable<readonly [number, TableTypes[K]]> {
    return this.rows.scan(table, from, hint) as Iterable<readonly [number, TableTypes[K]]>
  }

  /** Indexes a record written with this status and deadline (open ones in, closed ones out). */
  indexOpen(table: TableName, id: Id, record: { status?: unknown; expiresAt?: unknown }): void {
    const statuses = openStatuses[table]
    if (!statuses) return
    if (statuses.includes(record.status as string)) this.open[table]!.set(id, { status: record.status as string, expiresAt: record.expiresAt as number })
    else this.open[table]!.delete(id)
  }

  /**
   * sha256 over the canonical form of the chain id, params, height, time, counters, event count and
   * every record of every table in id order: equal hashes, equal states, whichever rows hold them. It
   * reads every record (O(state)): a check, not something to run on every message.
   */
  hash(): string {
    const h = sha256.create()
    h.update(
      canonicalBytes({
        chainId: this.chainId,
        height: this.height,
        time: this.time,
        params: this.params,
        counters: [...this.counters.entries()].sort(([a], [b]) => (a < b ? -1 : 1)),
        eventCount: this.eventCount,
      }),
    )
    for (const t of tableNames) for (const [id, row] of this.rows.sorted(t)) h.update(canonicalBytes([t, id, row]))
    return toHex(h.digest())
  }
}

/**
 * A unit of change on top of {@link LedgerState}: reads see its own writes, and nothing reaches the
 * state until {@link StateTx.commit}. A message that throws is simply dropped, so bad input changes nothing.
 */
export class StateTx {
  private readonly writes = new Map<TableName, Map<Id, unknown>>()
  private readonly counterWrites = new Map<string, number>()
  private readonly pendingEvents: { type: LedgerEventType; data: LedgerEvent['data'] }[] = []

  constructor(
    readonly state: LedgerState,
    readonly height: number,
    readonly time: number,
    private readonly parent?: StateTx,
  ) {}

  get params(): LedgerParams {
    return this.state.params
  }
  get chainId(): string {
    return this.state.chainId
  }
  /** The transaction decoders this ledger runs, by chain. */
  get decoders(): ReadonlyMap<string, TransactionDecoder> {
    return this.state.decoders
  }

  get<K extends TableName>(table: K, id: Id): TableTypes[K] | undefined {
    const w = this.writes.get(table)
    if (w?.has(id)) return w.get(id) as TableTypes[K]
    return this.parent ? this.parent.get(table, id) : this.state.get(table, id)
  }

  put<K extends TableName>(table: K, id: Id, value: TableTypes[K]): void {
    let w = this.writes.get(table)
    if (!w) this.writes.set(table, (w = new Map()))
    w.set(id, deepFreeze(value))
  }

  private counter(name: string): number {
    return this.counterWrites.get(name) ?? (this.parent ? this.parent.counter(name) : (this.state.counters.get(name) ?? 0))
  }

  /** Next id of a counter (1, 2, 3, ...). */
  nextId(counter: string): number {
    const n = this.counter(counter) + 1
    this.counterWrites.set(counter, n)
    return n
  }

  /**
   * Ids of open (pending or partial) records of a table, including this tx's writes, in ascending order.
   * With `dueBy`, only those whose deadline is at or before it: read from the open-record index, so
   * finding what expires costs no record reads however many requests are open.
   */
  openIds(table: TableName, dueBy?: number): Id[] {
    const due = (expiresAt: unknown) => dueBy === undefined || (expiresAt as number) <= dueBy
    const ids = new Set<Id>()
    if (this.parent) for (const id of this.parent.openIds(table, dueBy)) ids.add(id)
    else for (const [id, r] of this.state.open[table] ?? []) if (due(r.expiresAt)) ids.add(id)
    const w = this.writes.get(table)
    const statuses = openStatuses[table]
    if (w && statuses) {
      for (const [id, v] of w) {
        const r = v as { status: string; expiresAt?: unknown }
        if (statuses.includes(r.status) && due(r.expiresAt)) ids.add(id)
        else ids.delete(id)
      }
    }
    return [...ids].sort((a, b) => Number(a) - Number(b))
  }

  emit(type: LedgerEventType, data: LedgerEvent['data']): void {
    this.pendingEvents.push({ type, data: Object.freeze({ ...data }) })
  }

  /** Number of events emitted on this tx so far (not counting a fork's until it is absorbed). */
  get emittedCount(): number {
    return this.pendingEvents.length
  }

  /** A nested unit of change: its writes reach this one only through {@link StateTx.absorb}. */
  fork(): StateTx {
    return new StateTx(this.state, this.height, this.time, this)
  }

  /** Takes over the writes, counters and events of a fork of this tx. */
  absorb(child: StateTx): void {
    for (const [table, w] of child.writes) for (const [id, v] of w) this.put(table, id, v as never)
    for (const [k, n] of child.counterWrites) this.counterWrites.set(k, n)
    this.pendingEvents.push(...child.pendingEvents)
  }

  /**
   * Applies the writes and events of the log entry `body` to the state (the rows first: if they cannot
   * be written, nothing in memory changes); returns the events with their sequence numbers.
   */
  commit(body: string): LedgerEvent[] {
    if (this.parent) throw new Error('commit a fork through absorb()')
    const s = this.state
    const events = this.pendingEvents.map((e, i) =>
      Object.freeze({ seq: s.eventCount + i + 1, height: this.height, time: this.time, type: e.type, data: e.data }),
    )
    const writes: [TableName, Id, unknown][] = []
    for (const [table, w] of this.writes) for (const [id, v] of w) writes.push([table, id, v])
    s.rows.write({ height: this.height, time: this.time, writes, counters: [...this.counterWrites], events, eventCount: s.eventCount + events.length, entry: { height: this.height, time: this.time, body } })
    for (const [table, id, v] of writes) s.indexOpen(table, id, v as { status?: unknown; expiresAt?: unknown })
    for (const [k, n] of this.counterWrites) s.counters.set(k, n)
    s.eventCount += events.length
    s.height = this.height
    s.time = this.time
    return events
  }
}
