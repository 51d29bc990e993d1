import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import { canonicalParse, canonicalStringify } from '../encoding/canonical.js'
import { ZrError } from '../errors/ZrError.js'
import { errnoCode } from '../fs/syncDirectory.js'
import { writeFileDurably } from '../fs/writeFileDurably.js'
import { type RelayJournal, type RelayRecord, checkRelayId } from './RelayJournal.js'

const FILE_PREFIX = 'relay-'
const FILE_SUFFIX = '.json'

/**
 * A {@link RelayJournal} for Node that keeps one file per relay in `dir`: `relay-<id>.json`, the record in
 * canonical JSON (bytes as hex).
 *
 * Writes are atomic and durable: the record goes to a temporary file in `dir`, which is flushed and
 * renamed over the record's file, and then the directory is flushed. A crash leaves the old record or
 * the new one, never half of one (at most a stray `.tmp-*` file, never read and safe to delete). A
 * record file that does not parse is reported as `STORE_CORRUPT`, never skipped silently.
 *
 * One directory belongs to one relayer process at a time.
 *
 * @param dir Directory of the journal; created (with its parents, mode 0o700) on the first `put`.
 *
 * @example
 * ```ts
 * import { createRelayer } from '@zrkit/core'
 * import { fileRelayJournal } from '@zrkit/core/node'
 *
 * const relayer = createRelayer({ client, adapter, journal: fileRelayJournal('./relays') })
 * await relayer.recover() // after a restart: finish what was fulfilled
 * ```
 */
export function fileRelayJournal(dir: string): RelayJournal {
  if (typeof dir !== 'string' || dir.length === 0) {
    throw new ZrError('INVALID_INPUT', 'fileRelayJournal needs a directory.', { details: `expected a non-empty path, got ${JSON.stringify(dir)}` })
  }
  const absDir = path.resolve(dir)
  const fileOf = (id: string) => path.join(absDir, `${FILE_PREFIX}${checkRelayId(id)}${FILE_SUFFIX}`)

  const read = async (file: string): Promise<RelayRecord | undefined> => {
    let text: string
    try {
      text = await fs.readFile(file, 'utf8')
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return undefined
      throw e
    }
    try {
      const record = canonicalParse<RelayRecord>(text)
      if (!record || typeof record !== 'object' || `${FILE_PREFIX}${record.id}${FILE_SUFFIX}` !== path.basename(file)) throw new Error('the record does not name this file')
      return record
    } catch (cause) {
      throw new ZrError('STORE_CORRUPT', 'A relay journal file is unreadable.', { details: `${file}: expected a relay record in canonical JSON`, meta: { file }, cause })
    }
  }

  return Object.freeze({
    get: (id: string) => read(fileOf(id)),
    async put(record: RelayRecord) {
      const file = fileOf(record?.id)
      await writeFileDurably(absDir, file, canonicalStringify(record))
    },
    async list() {
      let names: string[]
      try {
        names = await fs.readdir(absDir)
      } catch (e) {
        if (errnoCode(e) === 'ENOENT') return []
        throw e
      }
      const out: RelayRecord[] = []
      for (const name of names.sort()) {
        if (!name.startsWith(FILE_PREFIX) || !name.endsWith(FILE_SUFFIX)) continue
        const record = await read(path.join(absDir, name))
        if (record) out.push(record)
      }
      return out
    },
  } satisfies RelayJournal)
}
