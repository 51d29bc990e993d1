import { sha256 } from '@noble/hashes/sha2.js'
import { toHex } from '../encoding/bytes.js'
import { canonicalBytes } from '../encoding/canonical.js'
import type { LedgerEvent, LedgerEventType } from './events.js'
import type { MessageResult } from './stateMachine.js'
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
/** The ledger's tables. */
export type TableName = keyof TableTypes
type Id = string | number

const tableNames: readonly TableName[] = ['accounts', 'workspaces', 'keyrings', 'policies', 'actions', 'keyRequests', 'keys', 'signRequests', 'txs']
/** Tables whose records have a status; open ones are indexed for expiry and for connectors. */
const openStatuses: Partial<Record<TableName, readonly string[]>> = {
  actions: ['pending'],
  keyRequests: ['pending'],
  signRequests: ['partial', 'pending'],
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !(v instanceof Uint8Array) && !Object.isFrozen(v)) {
    for (const x of Object.values(v)) deepFreeze(x)
    Object.freeze(v)
  }
  return v
}

/**
 * The ledger state: tables of frozen records, counters, the open-record index and the event log.
 * Only {@link StateTx.commit} changes it.
 */
export class LedgerState {
  readonly tables: { [K in TableName]: Map<Id, TableTypes[K]> }
  readonly open: { [K in TableName]?: Set<Id> }
  readonly counters = new Map<string, number>()
  readonly events: LedgerEvent[] = []
  height = 0
  time = 0
  chainId = ''
  params!: LedgerParams
  /** The decoders the ledger was opened with, by chain; genesis picks the ones that run. */
  available: ReadonlyMap<string, TransactionDecoder> = new Map()
  /** The decoders that run: those genesis lists, at the versions it names. */
  decoders: ReadonlyMap<string, TransactionDecoder> = new Map()

  constructor() {
    this.tables = Object.fromEntries(tableNames.map((t) => [t, new Map()])) as LedgerState['tables']
    this.open = Object.fromEntries(Object.keys(openStatuses).map((t) => [t, new Set()])) as LedgerState['open']
  }

  get<K extends TableName>(table: K, id: Id): TableTypes[K] | undefined {
    return this.tables[table].get(id) as TableTypes[K] | undefined
  }

  /** sha256 over the canonical form of every table, the counters and the height: equal hashes, equal states. */
  hash(): string {
    const view = {
      chainId: this.chainId,
      height: this.height,
      time: this.time,
      params: this.params,
      counters: [...this.counters.entries()].sort(([a], [b]) => (a < b ? -1 : 1)),
      eventCount: this.events.length,
      tables: Object.fromEntries(tableNames.map((t) => [t, [...this.tables[t].entries()].sort(([a], [b]) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0))])),
    }
    return toHex(sha256(canonicalBytes(view)))
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

  /** Ids of open (pending or partial) records of a table, including this tx's writes, in ascending order. */
  openIds(table: TableName): Id[] {
    const ids = new Set(this.parent ? this.parent.openIds(table) : (this.state.open[table] ?? []))
    const w = this.writes.get(table)
    const statuses = openStatuses[table]
    if (w && statuses) {
      for (const [id, v] of w) {
        if (statuses.includes((v as { status: string }).status)) ids.add(id)
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

  /** Applies the writes and events to the state; returns the events with their sequence numbers. */
  commit(): LedgerEvent[] {
    if (this.parent) throw new Error('commit a fork through absorb()')
    const s = this.state
    for (const [table, w] of this.writes) {
      const statuses = openStatuses[table]
      for (const [id, v] of w) {
        ;(s.tables[table] as Map<Id, unknown>).set(id, v)
        if (statuses) {
          if (statuses.includes((v as { status: string }).status)) s.open[table]!.add(id)
          else s.open[table]!.delete(id)
        }
      }
    }
    for (const [k, n] of this.counterWrites) s.counters.set(k, n)
    const events = this.pendingEvents.map((e, i) =>
      Object.freeze({ seq: s.events.length + i + 1, height: this.height, time: this.time, type: e.type, data: e.data }),
    )
    s.events.push(...events)
    s.height = this.height
    s.time = this.time
    return events
  }
}
