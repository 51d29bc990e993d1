import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import type BetterSqlite3 from 'better-sqlite3'
import { canonicalParse, canonicalStringify } from '../../encoding/canonical.js'
import { ZrError } from '../../errors/ZrError.js'
import { errnoCode } from '../../fs/syncDirectory.js'
import type { LedgerEvent } from '../events.js'
import { deepFreeze } from '../state.js'
import { LOG_FILE_NAME, fileStore } from './fileStore.js'
import { type LedgerRows, type RowId, type StateCommit, numericIdTables, rowHintFields } from './LedgerRows.js'
import type { LedgerDatabase, LegacyLog, LogEntry, SavedLedger } from './LedgerStore.js'

/** Options of {@link sqliteStore}. */
export type SqliteStoreOptions = {
  /**
   * `full` (default): a message is acknowledged once the database's write-ahead log file is flushed to
   * the disk. `normal` skips that flush: a power loss (not a process crash) may lose the newest messages.
   */
  synchronous?: 'full' | 'normal' | undefined
  /** How many recently used records to keep parsed in memory (default 4096). Memory use grows with it. */
  cacheRecords?: number | undefined
}

/** Name of the database file inside the store's directory. */
export const DATABASE_FILE_NAME = 'ledger.sqlite'
/** Version of the database layout; a database of another version is refused, not guessed at. */
const SCHEMA_VERSION = '1'
/** Entries gathered at most before their changes are written into the open transaction. */
const MAX_PENDING_ENTRIES = 512
/** How many of the newest events are kept in memory for live subscribers. */
const RECENT_EVENTS = 1024
/** Rows read per statement when scanning: scans never hold the connection between chunks. */
const CHUNK = 256

const schema = `
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS log (height INTEGER PRIMARY KEY, time INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS records (
  tbl TEXT NOT NULL, id TEXT NOT NULL, ord INTEGER NOT NULL,
  workspace TEXT, keyring TEXT, creator TEXT, status TEXT, key_id INTEGER,
  json TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS records_id ON records (tbl, id);
CREATE UNIQUE INDEX IF NOT EXISTS records_ord ON records (tbl, ord);
CREATE INDEX IF NOT EXISTS records_workspace ON records (tbl, workspace, ord) WHERE workspace IS NOT NULL;
CREATE INDEX IF NOT EXISTS records_keyring ON records (tbl, keyring, ord) WHERE keyring IS NOT NULL;
CREATE INDEX IF NOT EXISTS records_creator ON records (tbl, creator, ord) WHERE creator IS NOT NULL;
CREATE INDEX IF NOT EXISTS records_status ON records (tbl, status, ord) WHERE status IS NOT NULL;
CREATE INDEX IF NOT EXISTS records_key ON records (tbl, key_id, ord) WHERE key_id IS NOT NULL;
`
/** The column of each {@link RowHint} field. */
const hintColumns: Record<(typeof rowHintFields)[number], string> = { workspace: 'workspace', keyring: 'keyring', creator: 'creator', status: 'status', keyId: 'key_id' }

/**
 * A durable ledger store for Node that holds the ledger's state in SQLite (`dir/ledger.sqlite`, through
 * the optional peer dependency `better-sqlite3`): records with indexes for the list queries, events, and
 * the log as the audit journal, all written in one database transaction per group of messages. A message
 * is acknowledged only once that transaction is committed to the write-ahead log and the log file is
 * flushed to the disk (`fdatasync`, run off the event loop so the next group gathers meanwhile), so a
 * crash at any moment loses nothing acknowledged and applies nothing twice.
 *
 * Memory holds only hot state (counters, open requests, a bounded cache of records); queries read the
 * database. Opening resumes where the ledger stopped, without replaying its history. One process at a
 * time: the database stays locked (`locking_mode = EXCLUSIVE`) while it is open, and a second open, in
 * this process or another, fails with `LEDGER_UNAVAILABLE`. The operating system releases the lock of a
 * process that dies. A directory that holds a `fileStore` log is imported once, checked against a replay
 * of the log, and the log is renamed `ledger.log.imported`.
 *
 * @param dir Directory of the store; created if missing.
 * @param options `synchronous` (default `full`), `cacheRecords` (default 4096).
 *
 * @example
 * ```ts
 * import { createEmbeddedLedger } from '@zrkit/core'
 * import { sqliteStore } from '@zrkit/core/node' // needs `npm install better-sqlite3`
 *
 * const ledger = await createEmbeddedLedger({ store: sqliteStore('./ledger-data'), genesis })
 * // restarts resume from the database; `zrkit ledger verify --store ./ledger-data` replays its log to check it
 * await ledger.close()
 * ```
 */
export function sqliteStore(dir: string, options: SqliteStoreOptions = {}): LedgerDatabase {
  return sqliteStoreWithTestHooks(dir, options, {})
}

/**
 * Test-only hooks of {@link sqliteStoreWithTestHooks}; production code never sets them.
 * @internal
 */
export type SqliteStoreTestHooks = {
  /** Called with the connection once it is open (e.g. to cap its size and make writes fail as on a full disk). */
  opened?: ((db: BetterSqlite3.Database) => void) | undefined
}

/** {@link sqliteStore} with test hooks. @internal */
export function sqliteStoreWithTestHooks(dir: string, options: SqliteStoreOptions, hooks: SqliteStoreTestHooks): LedgerDatabase {
  if (typeof dir !== 'string' || dir.length === 0) throw new ZrError('INVALID_CONFIG', 'Invalid store directory.', { details: `expected a directory path, got ${dir === '' ? 'an empty string' : typeof dir}` })
  if (options === null || typeof options !== 'object') throw new ZrError('INVALID_CONFIG', 'Invalid sqlite store options.', { details: `expected an object { synchronous?, cacheRecords? }, got ${options === null ? 'null' : typeof options}` })
  const synchronous = options.synchronous ?? 'full'
  if (synchronous !== 'full' && synchronous !== 'normal') throw new ZrError('INVALID_CONFIG', 'Invalid sqlite store option synchronous.', { details: `expected "full" or "normal", got ${JSON.stringify(synchronous)}` })
  const cacheRecords = options.cacheRecords ?? 4096
  if (!Number.isSafeInteger(cacheRecords) || cacheRecords < 0) throw new ZrError('INVALID_CONFIG', 'Invalid sqlite store option cacheRecords.', { details: `expected a non-negative integer, got ${String(cacheRecords)}` })
  const file = path.join(dir, DATABASE_FILE_NAME)
  let db: BetterSqlite3.Database | undefined
  /** The write-ahead log file, flushed to the disk before an append resolves (`synchronous: 'full'`). */
  let wal: fs.FileHandle | undefined
  let broken: unknown

  const where = () => `the ledger database ${file}`
  /** Stops the store after a database error: rolls back what was not committed; every later call gets the same typed error. */
  function fail(err: unknown): never {
    broken ??=
      err instanceof ZrError
        ? err
        : new ZrError('LEDGER_UNAVAILABLE', 'The ledger database failed.', { details: `${where()}: ${[(err as { code?: string }).code, String((err as Error)?.message ?? err)].filter(Boolean).join(' ')}`, cause: err })
    try {
      if (db?.inTransaction) db.exec('ROLLBACK')
    } catch {
      // the connection is already unusable; the error that broke it is what is reported
    }
    throw broken
  }

  return {
    kind: 'sqlite',
    holdsState: true,

    async open() {
      if (db) throw new ZrError('LEDGER_UNAVAILABLE', 'The store is already open.', { details: `${where()} is open in this store; a store opens once` })
      const Database = await loadBetterSqlite3()
      await fs.mkdir(dir, { recursive: true }).catch((e: unknown) => {
        throw new ZrError('LEDGER_UNAVAILABLE', 'Cannot create the store directory.', { details: `${dir}: ${errnoCode(e) ?? String(e)}`, cause: e })
      })
      const opened = openDatabase(Database, file)
      db = opened
      try {
        if (synchronous === 'full') wal = await fs.open(`${file}-wal`, 'r')
        hooks.opened?.(opened)
        const saved = readSaved(opened, file)
        const guarded =
          <A extends unknown[]>(fn: (db: BetterSqlite3.Database, ...a: A) => void) =>
          (...a: A) => {
            if (broken !== undefined) throw broken
            try {
              fn(opened, ...a)
            } catch (e) {
              fail(e)
            }
          }
        const rows = databaseRows(opened, cacheRecords, guarded(write), guarded(flushPending))
        const legacy = saved ? undefined : await legacyLog(dir)
        return { rows, saved, ...(legacy ? { legacyLog: legacy } : {}) }
      } catch (e) {
        db = undefined
        opened.close()
        await wal?.close()
        wal = undefined
        throw e
      }
    },

    async append() {
      if (broken !== undefined) throw broken
      if (!db) throw new ZrError('LEDGER_CLOSED', 'The store is closed.', { details: `${where()} is not open` })
      try {
        // Commit writes the transaction's pages to the write-ahead log (no flush: synchronous = NORMAL);
        // the flush below, off the event loop, makes them durable. Messages applied meanwhile gather in
        // the next transaction: one flush of the disk for all of them (group commit).
        flushPending(db)
        if (db.inTransaction) db.exec('COMMIT')
        await wal?.datasync()
      } catch (e) {
        fail(e)
      }
    },

    *log(after) {
      if (!db) throw new ZrError('LEDGER_CLOSED', 'The store is closed.', { details: `${where()} is not open` })
      if (broken !== undefined) throw broken
      flushPending(db)
      const stmt = db.prepare<[number], LogEntry>(`SELECT height, time, body FROM log WHERE height > ? ORDER BY height LIMIT ${CHUNK}`)
      for (let at = after; ; ) {
        const chunk = stmt.all(at)
        yield* chunk
        if (chunk.length < CHUNK) return
        at = chunk.at(-1)!.height
      }
    },

    async close() {
      const [d, w] = [db, wal]
      db = undefined
      wal = undefined
      // an open transaction holds only unacknowledged changes: closing rolls it back
      d?.close()
      await w?.close()
    },
  }
}

/** Loads the optional peer dependency, or says how to install it. */
async function loadBetterSqlite3(): Promise<typeof BetterSqlite3> {
  try {
    const mod = (await import('better-sqlite3')) as unknown as { default?: typeof BetterSqlite3 }
    return (mod.default ?? mod) as typeof BetterSqlite3
  } catch (e) {
    throw new ZrError('INVALID_CONFIG', 'sqliteStore needs the better-sqlite3 package.', { details: `expected better-sqlite3 12 to be installed (npm install better-sqlite3); loading it failed: ${String((e as Error)?.message ?? e)}`, cause: e })
  }
}

/** Opens the file, takes its lock for good and sets up the tables; a held lock is `LEDGER_UNAVAILABLE`. */
function openDatabase(Database: typeof BetterSqlite3, file: string): BetterSqlite3.Database {
  let db: BetterSqlite3.Database
  try {
    db = new Database(file, { timeout: 0 })
  } catch (e) {
    throw new ZrError('LEDGER_UNAVAILABLE', 'Cannot open the ledger database.', { details: `${file}: ${String((e as Error)?.message ?? e)}`, cause: e })
  }
  try {
    // EXCLUSIVE before WAL: the lock taken by the first write is held until close, and no shared-memory index is used
    db.pragma('locking_mode = EXCLUSIVE')
    db.pragma('journal_mode = WAL')
    // commits write the log without flushing it; the store flushes the log file itself, off the event
    // loop, before it acknowledges (checkpoints still flush the log before and the database after)
    db.pragma('synchronous = NORMAL')
    db.exec('BEGIN IMMEDIATE')
    db.exec(schema)
    const version = (db.prepare(`SELECT v FROM meta WHERE k = 'schema'`).get() as { v: string } | undefined)?.v
    if (version === undefined) db.prepare(`INSERT INTO meta (k, v) VALUES ('schema', ?)`).run(SCHEMA_VERSION)
    else if (version !== SCHEMA_VERSION) throw new ZrError('INVALID_CONFIG', 'The ledger database has another layout.', { details: `expected layout version ${SCHEMA_VERSION}, ${file} has version ${version}` })
    db.exec('COMMIT')
    return db
  } catch (e) {
    db.close()
    if (e instanceof ZrError) throw e
    const code = (e as { code?: string }).code
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
      throw new ZrError('LEDGER_UNAVAILABLE', 'The ledger database is in use.', { details: `${file} is open in another ledger (this process or another); one ledger at a time`, cause: e })
    }
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') throw new ZrError('STORE_CORRUPT', 'The ledger database is damaged.', { details: `${file}: ${String((e as Error).message)}`, cause: e })
    throw new ZrError('LEDGER_UNAVAILABLE', 'Cannot open the ledger database.', { details: `${file}: ${String((e as Error)?.message ?? e)}`, cause: e })
  }
}

/** What the database saved, or undefined when it holds no ledger yet. */
function readSaved(db: BetterSqlite3.Database, file: string): SavedLedger | undefined {
  const genesis = db.prepare<[], LogEntry>('SELECT height, time, body FROM log WHERE height = 1').get()
  const head = db.prepare<[], { v: string }>(`SELECT v FROM meta WHERE k = 'head'`).get()
  if (!genesis && !head) return undefined
  const last = db.prepare<[], { height: number | null }>('SELECT MAX(height) AS height FROM log').get()?.height
  let parsed: { height: number; time: number; eventCount: number } | undefined
  try {
    parsed = head ? JSON.parse(head.v) : undefined
  } catch {
    parsed = undefined
  }
  if (!genesis || !parsed || parsed.height !== last) {
    throw new ZrError('STORE_CORRUPT', 'The ledger database is inconsistent.', { details: `${file}: the log ends at height ${last ?? 'none'}, the state is at ${parsed?.height ?? 'unknown'}${genesis ? '' : ', and there is no genesis entry'}` })
  }
  const counters = db.prepare<[], { name: string; n: number }>('SELECT name, n FROM counters').all().map((r) => [r.name, r.n] as const)
  return { genesis, height: parsed.height, time: parsed.time, eventCount: parsed.eventCount, counters }
}

/**
 * Takes one entry's changes into the group being gathered. Nothing reaches the database until
 * {@link flushPending}: a record written by several entries of a group (an account, a request moving
 * through its states) is encoded and written once, in its last state.
 */
function write(db: BetterSqlite3.Database, c: StateCommit): void {
  const p = statements(db).pending
  for (const [table, id, record] of c.writes) {
    const key = `${table}\u0000${id}`
    // a key already in the group keeps its place: new records take positions in the order first written
    p.records.set(key, [table, id, record])
  }
  for (const [name, n] of c.counters) p.counters.set(name, n)
  p.events.push(...c.events)
  p.log.push(c.entry)
  p.head = { height: c.height, time: c.time, eventCount: c.eventCount }
  // a long replay (an import) writes its changes as it goes, so the group never holds a whole history
  if (p.log.length >= MAX_PENDING_ENTRIES) flushPending(db)
}

/** Writes the gathered changes into the open transaction (starting one when none is open). */
function flushPending(db: BetterSqlite3.Database): void {
  const s = statements(db)
  const p = s.pending
  if (!p.log.length) return
  if (!db.inTransaction) db.exec('BEGIN IMMEDIATE')
  for (const [table, id, record] of p.records.values()) {
    const r = record as Record<string, unknown>
    const text = (k: string) => (typeof r[k] === 'string' ? (r[k] as string) : null)
    // a new record takes the next position in its table; an updated one keeps its own (the upsert returns it)
    let next = s.nextOrd.get(table)
    if (next === undefined) s.nextOrd.set(table, (next = s.maxOrd.get(table)!.n))
    const { ord } = s.upsert.get(table, String(id), next, text('workspace'), text('keyring'), text('creator'), text('status'), typeof r.keyId === 'number' ? r.keyId : null, canonicalStringify(record))!
    if (ord === next) s.nextOrd.set(table, next + 1)
  }
  for (const [name, n] of p.counters) s.counter.run(name, n)
  for (const e of p.events) s.event.run(e.seq, canonicalStringify(e))
  for (const entry of p.log) s.log.run(entry.height, entry.time, entry.body)
  s.setHead.run(JSON.stringify(p.head))
  p.records.clear()
  p.counters.clear()
  p.events.length = 0
  p.log.length = 0
}

const prepared = new WeakMap<BetterSqlite3.Database, ReturnType<typeof prepare>>()
function statements(db: BetterSqlite3.Database) {
  let s = prepared.get(db)
  if (!s) prepared.set(db, (s = prepare(db)))
  return s
}
function prepare(db: BetterSqlite3.Database) {
  return {
    // a record's workspace, keyring, creator and key never change once it exists; its status and content do
    upsert: db.prepare<unknown[], { ord: number }>(
      `INSERT INTO records (tbl, id, ord, workspace, keyring, creator, status, key_id, json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (tbl, id) DO UPDATE SET status = excluded.status, json = excluded.json
       RETURNING ord`,
    ),
    maxOrd: db.prepare<[string], { n: number }>('SELECT COALESCE(MAX(ord), -1) + 1 AS n FROM records WHERE tbl = ?'),
    /** The position the next new record of each table takes (read once per table, then counted here). */
    nextOrd: new Map<string, number>(),
    /** The changes of the group being gathered, not yet in the database (see `write`). */
    pending: {
      records: new Map<string, readonly [string, RowId, unknown]>(),
      counters: new Map<string, number>(),
      events: [] as LedgerEvent[],
      log: [] as LogEntry[],
      head: undefined as { height: number; time: number; eventCount: number } | undefined,
    },
    counter: db.prepare('INSERT INTO counters (name, n) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET n = excluded.n'),
    event: db.prepare('INSERT INTO events (seq, json) VALUES (?, ?)'),
    log: db.prepare('INSERT INTO log (height, time, body) VALUES (?, ?, ?)'),
    setHead: db.prepare(`INSERT INTO meta (k, v) VALUES ('head', ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v`),
    get: db.prepare<[string, string], { json: string }>('SELECT json FROM records WHERE tbl = ? AND id = ?'),
    sorted: db.prepare<[string, string], { id: string; json: string }>(`SELECT id, json FROM records WHERE tbl = ? AND id > ? ORDER BY id LIMIT ${CHUNK}`),
    eventAt: db.prepare<[number], { json: string }>('SELECT json FROM events WHERE seq = ?'),
    eventsAfter: db.prepare<[number], { seq: number; json: string }>(`SELECT seq, json FROM events WHERE seq > ? ORDER BY seq LIMIT ${CHUNK}`),
  }
}

/** The rows of an open database: reads from the database through a bounded cache; writes go to `write`. */
function databaseRows(db: BetterSqlite3.Database, cacheRecords: number, write: (c: StateCommit) => void, flush: () => void): LedgerRows {
  const s = statements(db)
  const cache = new Map<string, unknown>()
  const remember = (key: string, record: unknown) => {
    if (cacheRecords === 0) return
    cache.delete(key)
    cache.set(key, record)
    if (cache.size > cacheRecords) cache.delete(cache.keys().next().value!)
  }
  const parse = (json: string): unknown => deepFreeze(canonicalParse(json))
  // the newest events, as written: every live subscriber reads each new event, so they come from memory
  const recent = new Map<number, LedgerEvent>()
  const scans = new Map<string, BetterSqlite3.Statement<unknown[], { ord: number; json: string }>>()
  return {
    get(table, id) {
      const key = `${table}\u0000${id}`
      const gathered = s.pending.records.get(key)
      if (gathered) return gathered[2]
      if (cache.has(key)) {
        const hit = cache.get(key)
        remember(key, hit)
        return hit
      }
      const row = s.get.get(table, String(id))
      if (!row) return undefined
      const record = parse(row.json)
      remember(key, record)
      return record
    },
    *scan(table, from, hint) {
      flush() // the group's records take their positions first
      const fields = rowHintFields.filter((f) => hint[f] !== undefined)
      const sql = `SELECT ord, json FROM records WHERE tbl = ? AND ord >= ?${fields.map((f) => ` AND ${hintColumns[f]} = ?`).join('')} ORDER BY ord LIMIT ${CHUNK}`
      let stmt = scans.get(sql)
      if (!stmt) scans.set(sql, (stmt = db.prepare(sql)))
      const values = fields.map((f) => hint[f] as string | number)
      for (let at = from; ; ) {
        const chunk = stmt.all(table, at, ...values)
        for (const r of chunk) yield [r.ord, parse(r.json)] as const
        if (chunk.length < CHUNK) return
        at = chunk.at(-1)!.ord + 1
      }
    },
    *sorted(table) {
      flush()
      const numeric = numericIdTables.has(table)
      for (let after = ''; ; ) {
        const chunk = s.sorted.all(table, after)
        for (const r of chunk) yield [numeric ? Number(r.id) : r.id, parse(r.json)] as readonly [RowId, unknown]
        if (chunk.length < CHUNK) return
        after = chunk.at(-1)!.id
      }
    },
    event(seq) {
      const hit = recent.get(seq)
      if (hit) return hit
      flush()
      const row = s.eventAt.get(seq)
      return row ? (parse(row.json) as LedgerEvent) : undefined
    },
    *eventsAfter(after) {
      flush()
      for (let at = after; ; ) {
        const chunk = s.eventsAfter.all(at)
        for (const r of chunk) yield parse(r.json) as LedgerEvent
        if (chunk.length < CHUNK) return
        at = chunk.at(-1)!.seq
      }
    },
    write(c) {
      write(c)
      for (const [table, id, record] of c.writes) remember(`${table}\u0000${id}`, record)
      for (const e of c.events) {
        recent.set(e.seq, e)
        if (recent.size > RECENT_EVENTS) recent.delete(recent.keys().next().value!)
      }
    },
  }
}

/** The log of a `fileStore` in the same directory, if there is one: the store to import it from. */
async function legacyLog(dir: string): Promise<LegacyLog | undefined> {
  const logPath = path.join(dir, LOG_FILE_NAME)
  try {
    await fs.access(logPath)
  } catch {
    return undefined
  }
  return {
    path: logPath,
    async load() {
      const store = fileStore(dir)
      try {
        return await store.load()
      } finally {
        await store.close()
      }
    },
    async retire() {
      await fs.rename(logPath, `${logPath}.imported`)
    },
  }
}
