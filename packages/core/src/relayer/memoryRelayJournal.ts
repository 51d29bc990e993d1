import { canonicalParse, canonicalStringify } from '../encoding/canonical.js'
import { type RelayJournal, type RelayRecord, checkRelayId } from './RelayJournal.js'

/**
 * A {@link RelayJournal} in memory: for tests, and for relayers that need no restart safety. Records
 * are stored as copies, so changing an object after `put` or after `get` changes nothing stored.
 *
 * @example
 * ```ts
 * import { createRelayer, memoryRelayJournal } from '@zrkit/core'
 * const relayer = createRelayer({ client, adapter, journal: memoryRelayJournal() })
 * ```
 */
export function memoryRelayJournal(): RelayJournal {
  const records = new Map<string, string>()
  return Object.freeze({
    async get(id: string) {
      const text = records.get(checkRelayId(id))
      return text === undefined ? undefined : canonicalParse<RelayRecord>(text)
    },
    async put(record: RelayRecord) {
      records.set(checkRelayId(record?.id), canonicalStringify(record))
    },
    async list() {
      return [...records.values()].map((text) => canonicalParse<RelayRecord>(text))
    },
  } satisfies RelayJournal)
}
