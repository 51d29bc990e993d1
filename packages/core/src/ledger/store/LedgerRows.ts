import type { LedgerEvent } from '../events.js'
import type { LogEntry } from './LedgerStore.js'

/** The ledger's tables, in the order the state hash reads them. */
export const tableNames = ['accounts', 'workspaces', 'keyrings', 'policies', 'actions', 'keyRequests', 'keys', 'signRequests', 'txs'] as const
/** The name of one of the ledger's tables. */
export type TableName = (typeof tableNames)[number]
/** A record's id: an address or hash (text), or a counter value (number). */
export type RowId = string | number
/** Tables whose ids are numbers (counters); the others are keyed by text. */
export const numericIdTables: ReadonlySet<TableName> = new Set(['policies', 'actions', 'keyRequests', 'keys', 'signRequests'])

/**
 * Fields a list query filters on by equality, passed to {@link LedgerRows.scan} so a database can use
 * its indexes. A hint only narrows: the query still checks every row it gets, so rows scanned without
 * the hint give the same answer.
 */
export type RowHint = {
  readonly workspace?: string | undefined
  readonly keyring?: string | undefined
  readonly creator?: string | undefined
  readonly status?: string | undefined
  readonly keyId?: number | undefined
}
/** The fields of {@link RowHint}: a row's own field of the same name is what a hint matches. */
export const rowHintFields = ['workspace', 'keyring', 'creator', 'status', 'keyId'] as const

/** Everything one log entry changed: written rows, counters, events, and the entry itself. */
export type StateCommit = {
  readonly height: number
  readonly time: number
  /** `[table, id, record]`, the record frozen; a later write of the same row wins. */
  readonly writes: readonly (readonly [TableName, RowId, unknown])[]
  readonly counters: readonly (readonly [string, number])[]
  /** The entry's events, numbered on from the last one. */
  readonly events: readonly LedgerEvent[]
  /** The number of events after it. */
  readonly eventCount: number
  /** The log entry that caused it. */
  readonly entry: LogEntry
}

/**
 * Where the ledger's records and events live: in memory ({@link memoryRows}) or in a database
 * (`sqliteStore`). Reads see every commit written so far, durable or not; the store that owns the rows
 * makes them durable. Records are returned frozen and must not be changed.
 * @internal
 */
export type LedgerRows = {
  get(table: TableName, id: RowId): unknown
  /**
   * The table's records in insertion order from position `from` (0-based), as `[position, record]`.
   * `hint` may narrow them (see {@link RowHint}).
   */
  scan(table: TableName, from: number, hint: RowHint): Iterable<readonly [number, unknown]>
  /** The table's records ordered by `String(id)`, for the state hash. */
  sorted(table: TableName): Iterable<readonly [RowId, unknown]>
  /** The event numbered `seq`, if there is one. */
  event(seq: number): LedgerEvent | undefined
  /** Events numbered above `after`, in order. */
  eventsAfter(after: number): Iterable<LedgerEvent>
  /** Writes one entry's changes. */
  write(commit: StateCommit): void
}
