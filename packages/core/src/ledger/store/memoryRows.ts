import type { LedgerEvent } from '../events.js'
import { type LedgerRows, type RowId, type TableName, tableNames } from './LedgerRows.js'

/**
 * The ledger's records in memory: every record and event ever written, in maps and an array. The
 * default with a log store ({@link memoryStore}, `fileStore`), which rebuilds them from the log at start.
 * @internal
 */
export function memoryRows(): LedgerRows {
  const tables = new Map<TableName, Map<RowId, unknown>>(tableNames.map((t) => [t, new Map()]))
  const events: LedgerEvent[] = []
  return {
    get: (table, id) => tables.get(table)!.get(id),
    *scan(table, from) {
      let i = 0
      for (const row of tables.get(table)!.values()) {
        if (i >= from) yield [i, row] as const
        i++
      }
    },
    sorted: (table) => [...tables.get(table)!.entries()].sort(([a], [b]) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0)),
    event: (seq) => events[seq - 1],
    *eventsAfter(after) {
      for (let i = Math.max(0, after); i < events.length; i++) yield events[i]!
    },
    write(commit) {
      for (const [table, id, row] of commit.writes) tables.get(table)!.set(id, row)
      events.push(...commit.events)
    },
  }
}
