import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import { canonicalParse, canonicalStringify } from '../encoding/canonical.js'
import { ZrError } from '../errors/ZrError.js'
import { type DirectoryLock, acquireDirectoryLock } from '../fs/directoryLock.js'
import { errnoCode } from '../fs/syncDirectory.js'
import { writeFileDurably } from '../fs/writeFileDurably.js'
import { type RelayJournal, type RelayRecord, checkRelayId } from './RelayJournal.js'

const FILE_PREFIX = 'relay-'
const FILE_SUFFIX = '.json'

/** A {@link fileRelayJournal}: a {@link RelayJournal} that holds its directory's lock until closed. */
export type FileRelayJournal = RelayJournal & {
  /** Waits for the calls under way, then releases the directory's lock; later calls fail with `LEDGER_CLOSED`. Idempotent. */
  close(): Promise<void>
}

/**
 * A {@link RelayJournal} for Node that keeps one file per relay in `dir`: `relay-<id>.json`, the record in
 * canonical JSON (bytes as hex).
 *
 * Writes are atomic and durable: the record goes to a temporary file in `dir`, which is flushed and
 * renamed over the record's file, and then the directory is flushed. A crash leaves the old record or
 * the new one, never half of one (at most a stray `.tmp-*` file, never read and safe to delete). A
 * record file that does not parse is reported as `STORE_CORRUPT`, never skipped silently.
 *
 * One directory belongs to one relayer process at a time: the first call (`get`, `put` or `list`) takes
 * the lock `dir/LOCK` (see `acquireDirectoryLock`) and holds it until `close()` or the end of the
 * process. A second process is refused with `LEDGER_UNAVAILABLE` naming the holder's pid
 * (`e.context.pid`); a lock left by a dead process is taken over, safely even when several processes
 * restart on it at once. Journals on the same directory within one process share the lock.
 *
 * @param dir Directory of the journal; created (with its parents, mode 0o700) on the first call.
 *
 * @example
 * ```ts
 * import { createRelayer } from '@zrkit/core'
 * import { fileRelayJournal } from '@zrkit/core/node'
 *
 * const journal = fileRelayJournal('./relays')
 * const relayer = createRelayer({ client, adapter, journal })
 * await relayer.recover() // after a restart: finish what was fulfilled (a second process here: LEDGER_UNAVAILABLE)
 * await journal.close() // when done: releases './relays' for the next process
 * ```
 */
export function fileRelayJournal(dir: string): FileRelayJournal {
  if (typeof dir !== 'string' || dir.length === 0) {
    throw new ZrError('INVALID_INPUT', 'fileRelayJournal needs a directory.', { details: `expected a non-empty path, got ${JSON.stringify(dir)}` })
  }
  const absDir = path.resolve(dir)
  const fileOf = (id: string) => path.join(absDir, `${FILE_PREFIX}${checkRelayId(id)}${FILE_SUFFIX}`)

  let lock: Promise<DirectoryLock> | undefined
  let closed = false
  const running = new Set<Promise<unknown>>()
  /** Runs `fn` holding the directory's lock, taken on the first call (and again after a refused take). */
  const locked = <T>(fn: () => Promise<T>): Promise<T> => {
    if (closed) return Promise.reject(new ZrError('LEDGER_CLOSED', 'The relay journal is closed.', { details: `journal at ${absDir}`, context: { dir: absDir } }))
    if (lock === undefined) {
      const taking = (async () => {
        await fs.mkdir(absDir, { recursive: true, mode: 0o700 })
        return acquireDirectoryLock(absDir, { label: 'relay journal directory', shareWithinProcess: true })
      })()
      lock = taking
      taking.catch(() => {
        if (lock === taking) lock = undefined
      })
    }
    const run = lock.then(fn)
    running.add(run)
    const done = () => running.delete(run)
    run.then(done, done)
    return run
  }

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
      throw new ZrError('STORE_CORRUPT', 'A relay journal file is unreadable.', { details: `${file}: expected a relay record in canonical JSON`, context: { file }, cause })
    }
  }

  return Object.freeze({
    async get(id: string) {
      const file = fileOf(id)
      return locked(() => read(file))
    },
    async put(record: RelayRecord) {
      const file = fileOf(record?.id)
      await locked(() => writeFileDurably(absDir, file, canonicalStringify(record)))
    },
    list: () => locked(async () => {
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
    }),
    async close() {
      if (closed) return
      closed = true
      while (running.size > 0) await Promise.allSettled([...running])
      const held = await lock?.catch(() => undefined)
      lock = undefined
      await held?.release()
    },
  } satisfies FileRelayJournal)
}
