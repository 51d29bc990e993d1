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
