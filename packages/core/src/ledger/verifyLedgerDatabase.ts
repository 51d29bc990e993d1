import { ZrError, isZrError } from '../errors/ZrError.js'
import { checkTransactionDecoders } from '../transaction/checkTransactionDecoders.js'
import type { TransactionDecoder } from '../transaction/TransactionDecoder.js'
import { replay, resume } from './openLedgerState.js'
import { LedgerState } from './state.js'
import type { LedgerDatabase } from './store/LedgerStore.js'

/** What {@link verifyLedgerDatabase} found. */
export type LedgerVerification = {
  /** True when the database's state is exactly what its log gives when replayed from genesis. */
  readonly ok: boolean
  /** Height of the database (its last log entry). */
  readonly height: number
  /** State hash of the records in the database. */
  readonly databaseHash: string
  /** State hash of a replay of the database's log in memory ('' when the log does not replay). */
  readonly replayedHash: string
  /** Why it is not ok (absent when ok). */
  readonly problem?: string
}

/**
 * Proves a ledger database matches its log: replays the log it keeps (its audit journal) from genesis
 * in memory and compares that state's hash with the hash of the records in the database. Reads all of
 * both (O(history)): a check to run offline or on a copy, not at every start. The database must not be
 * open in a ledger (its lock refuses a second user with `LEDGER_UNAVAILABLE`).
 *
 * @param store The database, e.g. `sqliteStore(dir)` from `@zrkit/core/node`; closed when done.
 * @param options `transactionDecoders`: the decoders the ledger runs (its genesis names them).
 *
 * @example
 * ```ts
 * import { verifyLedgerDatabase } from '@zrkit/core'
 * import { sqliteStore } from '@zrkit/core/node'
 *
 * const report = await verifyLedgerDatabase(sqliteStore('./ledger-data'))
 * if (!report.ok) console.error(`height ${report.height}: ${report.problem}`)
 * ```
 */
export async function verifyLedgerDatabase(store: LedgerDatabase, options: { readonly transactionDecoders?: readonly TransactionDecoder[] } = {}): Promise<LedgerVerification> {
  if (store === null || typeof store !== 'object' || !('holdsState' in store)) {
    throw new ZrError('INVALID_CONFIG', 'Not a ledger database.', { details: `expected a store that holds the ledger's state (e.g. sqliteStore(dir)), got ${store === null ? 'null' : typeof store === 'object' ? `a ${(store as { kind?: string }).kind ?? 'unknown'} store` : typeof store}` })
  }
  const available = checkTransactionDecoders(options?.transactionDecoders)
  try {
    const { rows, saved } = await store.open()
    if (!saved) throw new ZrError('INVALID_CONFIG', 'The database holds no ledger.', { details: `the ${store.kind} store is empty` })
    const state = new LedgerState(rows)
    state.available = available
    resume(state, saved, undefined)
    const databaseHash = state.hash()
    const replayed = new LedgerState()
    replayed.available = available
    try {
      replay(replayed, [...store.log(0)], undefined)
    } catch (e) {
      if (!isZrError(e) || !isZrError(e, 'STORE_CORRUPT')) throw e
      return { ok: false, height: saved.height, databaseHash, replayedHash: '', problem: `the log does not replay: ${e.shortMessage} ${e.details ?? ''}`.trim() }
    }
    const replayedHash = replayed.hash()
    if (replayed.height !== saved.height) return { ok: false, height: saved.height, databaseHash, replayedHash, problem: `the log ends at height ${replayed.height}, the database is at ${saved.height}` }
    if (replayedHash !== databaseHash) return { ok: false, height: saved.height, databaseHash, replayedHash, problem: 'the records in the database differ from a replay of its log' }
    return { ok: true, height: saved.height, databaseHash, replayedHash }
  } finally {
    await store.close()
  }
}
