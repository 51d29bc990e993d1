import { createHash } from 'node:crypto'
import { constants as fsConstants } from 'node:fs'
import * as fs from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import * as path from 'node:path'
import { ZrError } from '../../errors/ZrError.js'
import type { LedgerStore, LogEntry } from './LedgerStore.js'
import { errnoCode, syncDirectory } from '../../fs/syncDirectory.js'
import { type DirectoryLock, acquireDirectoryLock } from '../../fs/directoryLock.js'

/** Options of {@link fileStore}. */
export type FileStoreOptions = {
  /**
   * Flush every append to the disk (`fdatasync`) before it resolves. Default `true`. Turning it off
   * trades crash safety for speed: after a power loss the newest entries may be gone.
   */
  fsync?: boolean | undefined
}

/**
 * Test-only hooks of {@link fileStoreWithTestHooks}; production code never sets them.
 * @internal
 */
export type FileStoreTestHooks = {
  /** Replaces the write of one group commit's bytes to the log (e.g. to fail it, or write half). */
  write?: ((handle: FileHandle, bytes: Buffer) => Promise<void>) | undefined
}

/** Name of the log file inside the store's directory. */
export const LOG_FILE_NAME = 'ledger.log'

/*
 * On-disk format of `ledger.log`, one record per line:
 *
 *   <checksum> <payload>\n
 *
 *   payload  = JSON.stringify([height, time, body]); JSON escapes every control character (newlines
 *              included), so a record never contains a raw 0x0a byte except its terminator, whatever
 *              the body holds.
 *   checksum = the first 16 hex digits (64 bits) of sha256 over the payload's UTF-8 bytes.
 *
 * Records are only ever appended. A crash mid-append can leave only the last line incomplete or
 * damaged; load() cuts such a tail off. Anything wrong before the last line is corruption.
 */
const CHECKSUM_HEX_LENGTH = 16
const NEWLINE = 0x0a
const SPACE = 0x20

/**
 * A durable {@link LedgerStore} for Node: keeps the ledger's log in `dir/ledger.log`, one checksummed
 * record per line, and flushes every append to the disk before it resolves. Concurrent appends are
 * written in call order and batched into one write and flush (group commit).
 *
 * On open the whole log is read back and verified; an incomplete or damaged last record (a crash
 * mid-write) is cut off, damage anywhere before it fails with `STORE_CORRUPT`. One store at a time
 * may use a directory: opening takes the lock `dir/LOCK` (see `acquireDirectoryLock`), which names the
 * owner's pid; a lock left behind by a dead process is taken over (safely, even when several processes
 * restart on it at once), a live owner (another process, or another open store in this one) makes the
 * open fail with `LEDGER_UNAVAILABLE` naming its pid. `close()`, and an open that fails, release it.
 *
 * @param dir Directory of the store; created if missing.
 * @param options `fsync` (default `true`): flush appends to the disk before they resolve.
 *
 * @example
 * ```ts
 * import { createEmbeddedLedger } from '@zrkit/core'
 * import { fileStore } from '@zrkit/core/node'
 *
 * const ledger = await createEmbeddedLedger({ store: fileStore('./ledger-data'), genesis })
 * // A second process on './ledger-data' now fails with LEDGER_UNAVAILABLE ("... is locked by process <pid>").
 * await ledger.close() // releases the lock
 * ```
 */
export function fileStore(dir: string, options: FileStoreOptions = {}): LedgerStore {
  return fileStoreWithTestHooks(dir, options, {})
}

type AppendOp = {
  kind: 'append'
  entries: readonly LogEntry[]
  resolve: () => void
  reject: (err: unknown) => void
}
type LoadOp = {
  kind: 'load'
  resolve: (entries: LogEntry[]) => void
  reject: (err: unknown) => void
}
type Op = AppendOp | LoadOp

type OpenState = {
  /** Real path of the directory. */
  realDir: string
  logPath: string
  lock: DirectoryLock
  /** The log, opened for appending. */
  handle: FileHandle
  /** Height of the last record on disk (0 when empty). */
  lastHeight: number
  /** Byte length of the log's good records. */
  size: number
}

/**
 * {@link fileStore} with test-only hooks (e.g. to make a write fail). Not part of the public API.
 * @internal
 */
export function fileStoreWithTestHooks(
  dir: string,
  options: FileStoreOptions,
  hooks: FileStoreTestHooks,
): LedgerStore {
  if (typeof dir !== 'string' || dir.length === 0) {
    throw new ZrError('INVALID_CONFIG', 'fileStore needs a directory', { details: `expected a non-empty path, got ${JSON.stringify(dir)}` })
  }
  const fsync = options.fsync ?? true
  const writeBytes = hooks.write ?? writeAll
  const absDir = path.resolve(dir)

  let state: OpenState | undefined
  /** Set once a write failed: the disk and our view of it may differ, so nothing more is done. */
  let failure: { cause: unknown } | undefined
  let closing = false
  let closePromise: Promise<void> | undefined
  const queue: Op[] = []
  /** True while {@link drain} runs; it turns false in the same tick the queue is found empty. */
  let running = false
  let draining: Promise<void> = Promise.resolve()

  const closedError = () =>
    new ZrError('LEDGER_CLOSED', 'the file store is closed', { details: `store at ${absDir}`, context: { dir: absDir } })
  const failedError = () =>
    new ZrError('LEDGER_UNAVAILABLE', 'the file store is unusable after a failed write', {
      details: `a write to ${path.join(absDir, LOG_FILE_NAME)} failed; reopen the store to recover from what is on disk`,
      context: { dir: absDir },
      cause: failure?.cause,
    })

  function enqueue(op: Op): void {
    queue.push(op)
    if (!running) {
      running = true
      draining = drain()
    }
  }

  /** Runs queued operations one after the other; consecutive appends share one write and flush. */
  async function drain(): Promise<void> {
    try {
      while (queue.length > 0) {
        const head = queue[0]!
        if (head.kind === 'load') {
          queue.shift()
          try {
            head.resolve(await runLoad())
          } catch (err) {
            head.reject(err)
          }
          continue
        }
        const batch: AppendOp[] = []
        while (queue[0]?.kind === 'append') batch.push(queue.shift() as AppendOp)
        try {
          await runAppends(batch)
        } catch (err) {
          // runAppends settles its ops itself; this only guards against a bug leaving them hanging.
          for (const op of batch) op.reject(err)
        }
      }
    } finally {
      // Synchronously after the empty check: an op queued from now on starts a new drain.
      running = false
    }
  }

  /** Opens the store (directory, lock, log) on first use and returns the verified log. */
  async function openStore(): Promise<{ open: OpenState; entries: LogEntry[] }> {
    try {
      await fs.mkdir(absDir, { recursive: true })
    } catch (err) {
      throw ioError(`could not create the ledger directory ${absDir}`, err)
    }
    let realDir: string
    try {
      realDir = await fs.realpath(absDir)
    } catch (err) {
      throw ioError(`could not resolve the ledger directory ${absDir}`, err)
    }

    const logPath = path.join(realDir, LOG_FILE_NAME)
    const lock = await acquireDirectoryLock(realDir, { label: 'ledger directory' }) // dir/LOCK, the one lock of every zrkit directory
    let handle: FileHandle | undefined
    try {
      let created = false
      try {
        handle = await fs.open(logPath, fsConstants.O_WRONLY | fsConstants.O_APPEND | fsConstants.O_CREAT | fsConstants.O_EXCL)
        created = true
      } catch (err) {
        if (errnoCode(err) !== 'EEXIST') throw err
        handle = await fs.open(logPath, 'a')
      }
      if (created && fsync) await syncDirectory(realDir)

      const open: OpenState = { realDir, logPath, lock, handle, lastHeight: 0, size: 0 }
      const entries = await scan(open)
      return { open, entries }
    } catch (err) {
      await handle?.close().catch(() => {})
      await lock.release()
      if (err instanceof ZrError) throw err
      throw ioError(`could not open the ledger log in ${realDir}`, err)
    }
  }

  /**
   * Reads and verifies the whole log, cuts off a torn last record (and flushes the cut), and
   * updates `open.lastHeight` / `open.size`.
   */
  async function scan(open: OpenState): Promise<LogEntry[]> {
    let buf: Buffer
    try {
      buf = await fs.readFile(open.logPath)
    } catch (err) {
      throw ioError(`could not read the ledger log ${open.logPath}`, err)
    }
    const { entries, goodLength } = parseLog(buf, open.logPath)
    if (goodLength < buf.length) {
      try {
        await open.handle.truncate(goodLength)
        if (fsync) await open.handle.datasync()
      } catch (err) {
        throw ioError(`could not cut the torn last record off ${open.logPath}`, err)
      }
    }
    open.size = goodLength
    open.lastHeight = entries.length
    return entries
  }

  async function runLoad(): Promise<LogEntry[]> {
    if (failure) throw failedError()
    if (state === undefined) {
      const { open, entries } = await openStore()
      state = open
      return entries
    }
    return scan(state)
  }

  async function runAppends(batch: AppendOp[]): Promise<void> {
    if (failure) {
      for (const op of batch) op.reject(failedError())
      return
    }
    if (state === undefined) {
      try {
        state = (await openStore()).open
      } catch (err) {
        for (const op of batch) op.reject(err)
        return
      }
    }
    const open = state

    // Validate each call on its own against the heights accepted before it; a bad call writes nothing.
    let next = open.lastHeight + 1
    const accepted: AppendOp[] = []
    const lines: string[] = []
    for (const op of batch) {
      const problem = checkEntries(op.entries, next)
      if (problem !== undefined) {
        op.reject(
          new ZrError('INVALID_INPUT', 'log entries must continue the log with consecutive heights', {
            details: problem,
            context: { expectedHeight: next },
          }),
        )
        continue
      }
      for (const entry of op.entries) lines.push(encodeRecord(entry))
      next += op.entries.length
      accepted.push(op)
    }
    if (lines.length === 0) {
      for (const op of accepted) op.resolve()
      return
    }

    const bytes = Buffer.from(lines.join(''), 'utf8')
    try {
      await writeBytes(open.handle, bytes)
      if (fsync) await open.handle.datasync()
    } catch (err) {
      failure = { cause: err }
      // Best effort: drop whatever part of the batch reached the file. If this fails too, the next
      // load cuts the torn record off (a whole record that made it stays, as an unacknowledged entry).
      await open.handle.truncate(open.size).catch(() => {})
      for (const op of accepted) op.reject(failedError())
      return
    }
    open.size += bytes.length
    open.lastHeight = next - 1
    for (const op of accepted) op.resolve()
  }

  async function runClose(): Promise<void> {
    while (running) await draining
    const open = state
    state = undefined
    if (open === undefined) return
    await open.handle.close().catch(() => {})
    await open.lock.release()
  }

  return {
    kind: 'file',
    load() {
      if (closing) return Promise.reject(closedError())
      return new Promise<LogEntry[]>((resolve, reject) => enqueue({ kind: 'load', resolve, reject }))
    },
    append(entries) {
      if (closing) return Promise.reject(closedError())
      return new Promise<void>((resolve, reject) => enqueue({ kind: 'append', entries, resolve, reject }))
    },
    close() {
      if (closePromise === undefined) {
        closing = true
        closePromise = runClose()
      }
      return closePromise
    },
  }
}

// ---------------------------------------------------------------------------------------------
// Records

function checksumOf(payload: string | Buffer): string {
  const hash = createHash('sha256')
  if (typeof payload === 'string') hash.update(payload, 'utf8')
  else hash.update(payload)
  return hash.digest('hex').slice(0, CHECKSUM_HEX_LENGTH)
}

function encodeRecord(entry: LogEntry): string {
  const payload = JSON.stringify([entry.height, entry.time, entry.body])
  return `${checksumOf(payload)} ${payload}\n`
}

/** Returns why `entries` cannot follow height `next - 1`, or undefined when they can. */
function checkEntries(entries: readonly LogEntry[], next: number): string | undefined {
  if (!Array.isArray(entries)) return `expected an array of entries, got ${typeof entries}`
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as Partial<LogEntry> | null | undefined
    if (entry === null || typeof entry !== 'object') return `entry ${i}: expected an object`
    const expected = next + i
    if (entry.height !== expected) return `entry ${i}: expected height ${expected}, got ${String(entry.height)}`
    if (typeof entry.time !== 'number' || !Number.isFinite(entry.time)) {
      return `entry ${i} (height ${expected}): expected a finite time, got ${String(entry.time)}`
    }
    if (typeof entry.body !== 'string') return `entry ${i} (height ${expected}): expected a string body, got ${typeof entry.body}`
  }
  return undefined
}

/** Why a record is bad, or its entry. */
function decodeRecord(buf: Buffer, start: number, end: number): LogEntry | { problem: string } {
  const length = end - start
  if (length < CHECKSUM_HEX_LENGTH + 2 || buf[start + CHECKSUM_HEX_LENGTH] !== SPACE) {
    return { problem: `malformed record of ${length} bytes (expected "<checksum> <payload>")` }
  }
  const stored = buf.toString('latin1', start, start + CHECKSUM_HEX_LENGTH)
  const computed = checksumOf(buf.subarray(start + CHECKSUM_HEX_LENGTH + 1, end))
  if (stored !== computed) return { problem: `checksum mismatch: stored ${JSON.stringify(stored)}, computed ${computed}` }
  let value: unknown
  try {
    value = JSON.parse(buf.toString('utf8', start + CHECKSUM_HEX_LENGTH + 1, end))
  } catch {
    return { problem: 'payload is not JSON' }
  }
  if (
    !Array.isArray(value) ||
    value.length !== 3 ||
    !Number.isSafeInteger(value[0]) ||
    typeof value[1] !== 'number' ||
    !Number.isFinite(value[1]) ||
    typeof value[2] !== 'string'
  ) {
    return { problem: 'payload is not [height, time, body]' }
  }
  return { height: value[0] as number, time: value[1] as number, body: value[2] as string }
}

/**
 * Parses and verifies a whole log. Returns the entries and the byte length of the good prefix, which
 * is shorter than the buffer only when the last record is torn. Throws STORE_CORRUPT otherwise.
 */
function parseLog(buf: Buffer, logPath: string): { entries: LogEntry[]; goodLength: number } {
  const entries: LogEntry[] = []
  let pos = 0
  let line = 0
  while (pos < buf.length) {
    line++
    const newline = buf.indexOf(NEWLINE, pos)
    if (newline === -1) break // The last record lacks its terminator: a torn write.
    const decoded = decodeRecord(buf, pos, newline)
    if ('problem' in decoded) {
      if (newline + 1 === buf.length) break // Damage in the last record only: a torn write.
      throw corruptError(logPath, line, pos, decoded.problem)
    }
    const expected = entries.length + 1
    if (decoded.height !== expected) {
      throw corruptError(logPath, line, pos, `expected height ${expected}, found ${decoded.height}`)
    }
    entries.push(decoded)
    pos = newline + 1
  }
  return { entries, goodLength: pos }
}

function corruptError(logPath: string, line: number, offset: number, problem: string): ZrError {
  return new ZrError('STORE_CORRUPT', 'the ledger log is corrupt', {
    details: `${logPath}, line ${line} (byte offset ${offset}): ${problem}`,
    context: { path: logPath, line, offset },
  })
}

// ---------------------------------------------------------------------------------------------
// Files

async function writeAll(handle: FileHandle, bytes: Buffer): Promise<void> {
  let offset = 0
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset)
    if (bytesWritten <= 0) throw new Error('write made no progress')
    offset += bytesWritten
  }
}

function ioError(details: string, cause: unknown): ZrError {
  const reason = cause instanceof Error ? cause.message : String(cause)
  return new ZrError('LEDGER_UNAVAILABLE', 'the ledger storage is unavailable', { details: `${details}: ${reason}`, cause })
}
