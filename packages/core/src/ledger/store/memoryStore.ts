import type { LedgerStore, LogEntry } from './LedgerStore.js'

/**
 * A {@link LedgerStore} in memory: fast, and gone with the process. For tests, demos and browsers.
 *
 * @example
 * ```ts
 * import { createEmbeddedLedger, memoryStore } from '@zrkit/core'
 * const ledger = await createEmbeddedLedger({ store: memoryStore(), genesis })
 * ```
 */
export function memoryStore(): LedgerStore & { readonly entries: readonly LogEntry[] } {
  const entries: LogEntry[] = []
  return {
    kind: 'memory',
    entries,
    async load() {
      return entries.slice()
    },
    async append(batch) {
      entries.push(...batch)
    },
    async close() {},
  }
}
