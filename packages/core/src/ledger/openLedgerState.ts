import { canonicalStringify } from '../encoding/canonical.js'
import { ZrError, isZrError } from '../errors/ZrError.js'
import { LedgerState, type TableName, openStatuses } from './state.js'
import { type EntryBody, applyEntry, applyGenesisConfig, parseEntryBody } from './stateMachine.js'
import type { LedgerDatabase, LedgerStore, LogEntry, SavedLedger } from './store/LedgerStore.js'
import type { Genesis } from './types.js'

/** Opens a log store: reads the whole log and replays it into memory (or starts it from genesis). */
export async function openLog(store: LedgerStore, available: LedgerState['available'], genesis: Genesis | undefined, now: () => number): Promise<LedgerState> {
  const state = new LedgerState()
  state.available = available
  const entries = await store.load()
  if (entries.length) {
    replay(state, entries, genesis)
    return state
  }
  await store.append([startGenesis(state, store.kind, genesis, now)])
  return state
}

/**
 * Opens a database store: resumes from what it saved, without replay. A new database where an older
 * log store's log lies imports that log once: replayed into the database and, separately, into memory;
 * the two state hashes must agree before anything is committed and the old log is moved aside.
 */
export async function openDatabase(store: LedgerDatabase, available: LedgerState['available'], genesis: Genesis | undefined, now: () => number): Promise<LedgerState> {
  const { rows, saved, legacyLog } = await store.open()
  const state = new LedgerState(rows)
  state.available = available
  if (saved) {
    resume(state, saved, genesis)
    return state
  }
  const entries = legacyLog ? await legacyLog.load() : []
  if (entries.length === 0) {
    await store.append([startGenesis(state, store.kind, genesis, now)])
    return state
  }
  replay(state, entries, genesis)
  const check = new LedgerState()
  check.available = available
  replay(check, entries, undefined)
  const [imported, replayed] = [state.hash(), check.hash()]
  if (imported !== replayed) {
    throw new ZrError('STORE_CORRUPT', 'The imported ledger does not match its log.', { details: `importing ${legacyLog!.path} (${entries.length} entries): the database's state hash is ${imported}, a replay of the log gives ${replayed}` })
  }
  await store.append(entries)
  await legacyLog!.retire()
  return state
}

/** Starts a new ledger: applies the genesis and returns its log entry (to be made durable). */
function startGenesis(state: LedgerState, kind: string, genesis: Genesis | undefined, now: () => number): LogEntry {
  if (!genesis) throw new ZrError('INVALID_CONFIG', 'A new ledger needs a genesis.', { details: `the ${kind} store is empty and no genesis was given` })
  const time = genesis.time ?? now()
  const entry: LogEntry = { height: 1, time, body: canonicalStringify({ genesis } satisfies EntryBody) }
  applyEntry(state, entry, { genesis })
  return entry
}

/** Takes up a database's saved state: the chain from its genesis entry, the counters, and the open-record index. */
export function resume(state: LedgerState, saved: SavedLedger, genesis: Genesis | undefined): void {
  checkSameGenesis(saved.genesis, genesis)
  applyGenesisConfig(state, (parseEntryBody(saved.genesis.body) as { genesis: Genesis }).genesis)
  state.height = saved.height
  state.time = saved.time
  state.eventCount = saved.eventCount
  for (const [name, n] of saved.counters) state.counters.set(name, n)
  for (const [table, statuses] of Object.entries(openStatuses) as [TableName, readonly string[]][]) {
    for (const status of statuses) {
      for (const [, row] of state.scan(table, 0, { status })) {
        const r = row as { id: number; status: string; expiresAt: number }
        if (r.status === status) state.indexOpen(table, r.id, r)
      }
    }
  }
}

/** Refuses a store that holds another chain than the genesis given (none given: any chain). */
function checkSameGenesis(first: LogEntry, genesis: Genesis | undefined): void {
  if (!genesis || canonicalStringify({ genesis }) === first.body) return
  let stored = '?'
  try {
    stored = (parseEntryBody(first.body) as { genesis: Genesis }).genesis.chainId
  } catch {
    // unreadable: named as "?"
  }
  throw new ZrError('INVALID_CONFIG', 'The store holds another chain.', { details: `expected the given genesis (chain "${genesis.chainId}"), the store holds chain "${stored}" with a different genesis` })
}

export function replay(state: LedgerState, entries: readonly LogEntry[], genesis: Genesis | undefined): void {
  let expected = 1
  for (const entry of entries) {
    if (entry.height !== expected) throw new ZrError('STORE_CORRUPT', 'Ledger log out of order.', { details: `expected height ${expected}, got ${entry.height}` })
    let body: EntryBody
    try {
      body = parseEntryBody(entry.body)
    } catch (cause) {
      throw new ZrError('STORE_CORRUPT', 'Unreadable ledger log entry.', { details: `height ${entry.height} is not valid JSON`, cause })
    }
    if ((expected === 1) !== 'genesis' in body) throw new ZrError('STORE_CORRUPT', 'Ledger log does not start with a genesis.', { details: `height ${entry.height}` })
    if (expected === 1) checkSameGenesis(entry, genesis)
    try {
      applyEntry(state, entry, body)
    } catch (cause) {
      if (!isZrError(cause)) throw cause
      // the ledger was opened without the decoders its genesis names: a setup mistake, not a corrupt log
      if (isZrError(cause, 'INVALID_CONFIG')) throw cause
      throw new ZrError('STORE_CORRUPT', 'Ledger log entry does not apply.', { details: `height ${entry.height}: ${cause.shortMessage} ${cause.details ?? ''}`, cause })
    }
    expected++
  }
}
