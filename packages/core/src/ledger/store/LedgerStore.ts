import type { LedgerRows } from './LedgerRows.js'

/**
 * One entry of the ledger's log. The log is the ledger: replaying it from the start through the
 * state machine rebuilds the identical state.
 */
export type LogEntry = {
  /** 1-based position in the log; equals the ledger height after the entry is applied. */
  readonly height: number
  /** Ledger time of the entry (ms since the epoch), decided when it was accepted; replay uses it. */
  readonly time: number
  /**
   * The canonical JSON of the entry's content: a signed transaction (`{"tx": ...}`) or a clock tick
   * (`{"tick": true}`) that expires requests. Kept as text so the bytes on disk are exactly what was signed.
   */
  readonly body: string
}

/**
 * Where the ledger keeps its log. `append` resolves only once the entries are durable; the ledger
 * acknowledges nothing before that.
 *
 * Implement it to keep the log elsewhere (a database, object storage); zrkit ships
 * {@link memoryStore} and, for Node, `fileStore(dir)` from `@zrkit/core/node`.
 */
export type LedgerStore = {
  /** What kind of store this is, for logs and errors (e.g. `memory`, `file`). */
  readonly kind: string
  /** Reads the whole log in order. Called once, when the ledger opens. */
  load(): Promise<LogEntry[]>
  /** Appends entries (heights consecutive after the last) and resolves when they are durable. */
  append(entries: readonly LogEntry[]): Promise<void>
  /** Releases files and handles. */
  close(): Promise<void>
}

/** What a {@link LedgerDatabase} saved besides the records: enough to resume without replaying. */
export type SavedLedger = {
  /** The first log entry (the genesis). */
  readonly genesis: LogEntry
  readonly height: number
  readonly time: number
  readonly eventCount: number
  readonly counters: readonly (readonly [string, number])[]
}

/**
 * A store that holds the ledger's state itself, not only its log: records, events and the log live in
 * one database and every entry's changes are written together, so opening it resumes where it stopped
 * without replaying history. zrkit ships `sqliteStore(dir)` in `@zrkit/core/node`.
 */
export type LedgerDatabase = {
  /** What kind of store this is, for logs and errors (e.g. `sqlite`). */
  readonly kind: string
  /** Marks a store that holds the state (a {@link LedgerStore} holds only the log). */
  readonly holdsState: true
  /**
   * Opens the database: its rows, and what it saved (`undefined` when it is new). A new database in a
   * directory that holds an older log-only store offers it as `legacyLog`, to be imported once.
   */
  open(): Promise<{ readonly rows: LedgerRows; readonly saved: SavedLedger | undefined; readonly legacyLog?: LegacyLog }>
  /** Makes every change written so far durable, the entries' included; resolves once they are. */
  append(entries: readonly LogEntry[]): Promise<void>
  /** The log from height `after + 1` on, in order (the audit journal). */
  log(after: number): Iterable<LogEntry>
  /** Releases the database. */
  close(): Promise<void>
}

/** The log of an older log-only store found where a {@link LedgerDatabase} opens, imported once. */
export type LegacyLog = {
  /** Where it is, for messages. */
  readonly path: string
  load(): Promise<LogEntry[]>
  /** Moves the imported log aside (it is never imported twice). */
  retire(): Promise<void>
}
