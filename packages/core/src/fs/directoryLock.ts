/**
 * One lock per directory, for one process at a time (Node only): used by `fileStore` and
 * `fileRelayJournal`. How it works, and why at most one process holds it:
 *
 * The lock of `dir` is the directory `dir/LOCK`. It holds one file per holder, `holder-<id>`, where
 * <id> is 128 random bits drawn for each acquisition (so a name is never used twice), and the file
 * says who holds it: pid, host name and, on Linux, the boot id and the process's start time.
 * "Process P holds the lock" means: a holder file of P is in `dir/LOCK`. Holder files are written
 * whole before they get there, and never change there.
 *
 * The lock changes only in these steps, each one a single atomic file system operation:
 *
 *   take      rename(`dir/LOCK.<pid>.<id>.tmp`, `dir/LOCK`): a staged directory holding exactly our
 *             holder file becomes the lock. POSIX rename replaces a target directory only when it is
 *             empty, and fails (ENOTEMPTY / EEXIST) when it is not, so it succeeds only while nobody
 *             holds the lock; of several processes renaming at once, exactly one wins.
 *   join      rename(our holder file, `dir/LOCK/holder-<id>`), only with `shareWithinProcess`, only
 *             when every holder found was this very process, and kept only if a look at the lock
 *             afterwards finds no holder of any other process (otherwise we move our file back out).
 *   release   unlink(`dir/LOCK/holder-<our id>`), then rmdir(`dir/LOCK`), which removes it only if
 *             empty (a lock without holders is free, so removing an empty one changes nothing).
 *   takeover  unlink(`dir/LOCK/holder-<their id>`) after reading that file and finding its process
 *             dead. The name is unique, so this removes that dead holder and nothing else: if it is
 *             already gone (another process took it over first), unlink fails with ENOENT and we
 *             look again. A live holder's file is never unlinked by anyone but its owner.
 *
 * At most one live holder: a take happens only into an empty lock; a joiner keeps its file only if,
 * after it was in place, the lock held no other process's file (a holder of another process is in
 * the lock for as long as it holds it, so that look cannot miss it; and while our file is there
 * nobody else can take the lock). Takeover removes only files whose process is dead. So two live
 * processes never both hold the lock, however their steps interleave; in particular several
 * processes finding the same stale lock at the same instant all unlink the same dead file (one
 * succeeds, the others get ENOENT) and then race the `take` rename, which exactly one wins.
 *
 * A process that dies between steps leaves one of: a staging directory (harmless; swept later by a
 * process that takes the lock, once its pid is dead), a lock holding its dead holder file (taken
 * over), or an empty lock directory (free). None of these blocks anyone for good.
 *
 * Dead or alive: a holder on another host is never judged (we cannot see its processes): it is kept,
 * and the error names the host. Otherwise it is dead when its boot id differs from ours (the machine
 * rebooted), when no process has its pid (`kill(pid, 0)` fails with ESRCH), or when its pid now
 * belongs to a process that started at another time (pid reuse; Linux, from `/proc/<pid>/stat`). A
 * holder with our pid and our start time is this process. Without /proc (macOS, Windows) a lock whose
 * pid was reused by an unrelated live process is kept: the error names the pid, and the lock can be
 * removed by hand. The judgement errs only towards keeping a lock, never towards displacing a holder,
 * provided processes that share a directory from different PID namespaces (containers) also have
 * different host names, as containers do by default.
 *
 * Nothing here needs fsync: after a power loss every holder is dead, and a holder file that was
 * torn reads as no holder at all (taken over like a dead one).
 *
 * Older zrkit versions used a plain file `dir/LOCK` holding a pid. Such a file is taken over when its
 * pid is dead (unlink never removes a directory, so this cannot remove a lock of this kind), and an
 * older version refuses to open a directory with a lock of this kind, since it cannot read it. The
 * argument above covers processes of this version: an older one racing on the same stale lock file
 * can still be displaced, as it could before.
 *
 * @module
 */

import { randomBytes } from 'node:crypto'
import * as fs from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { ZrError } from '../errors/ZrError.js'
import { errnoCode } from './syncDirectory.js'

/** Default name of the lock inside the locked directory. */
export const DIRECTORY_LOCK_NAME = 'LOCK'

const HOLDER_PREFIX = 'holder-'
const STAGING_SUFFIX = '.tmp'
/** Rounds of look-and-retry before giving up; each round follows a change made by another process. */
const MAX_ROUNDS = 64
/** Errors of rename(staging, lock) meaning that something is in the way. */
const OCCUPIED = new Set(['EEXIST', 'ENOTEMPTY', 'ENOTDIR', 'EISDIR', 'EPERM', 'EACCES'])

/** Who holds a {@link acquireDirectoryLock} lock, as its holder file records it. */
export type DirectoryLockHolder = {
  readonly pid: number
  /** `os.hostname()` of the holder. */
  readonly host: string
  /** Linux: the boot the holder ran in (`/proc/sys/kernel/random/boot_id`). */
  readonly boot?: string | undefined
  /** Linux: the holder's start time in clock ticks after boot (`/proc/<pid>/stat`, field 22). */
  readonly start?: string | undefined
}

/** Options of {@link acquireDirectoryLock}. */
export type DirectoryLockOptions = {
  /** Name of the lock inside the directory (default {@link DIRECTORY_LOCK_NAME}, `LOCK`). */
  name?: string | undefined
  /** What the directory is, for error messages, e.g. `ledger directory` (default `directory`). */
  label?: string | undefined
  /**
   * Let other holders in this same process share the lock (default `false`: a second acquisition in
   * this process is refused like one from another process). The lock stays held until every sharer
   * has released it.
   */
  shareWithinProcess?: boolean | undefined
}

/**
 * Test-only hooks of {@link acquireDirectoryLockWithTestHooks}, to stop a taker between two steps;
 * production code never sets them.
 * @internal
 */
export type DirectoryLockTestHooks = {
  /** After finding only dead holders, before removing them. */
  beforeTakeover?: (() => Promise<void>) | undefined
  /** After finding only holders of this process, before joining them. */
  beforeJoin?: (() => Promise<void>) | undefined
}

/** A held {@link acquireDirectoryLock} lock. */
export type DirectoryLock = {
  /** Path of the lock directory. */
  readonly path: string
  /** This process, as its holder file records it. */
  readonly holder: DirectoryLockHolder
  /** Gives the lock up (idempotent; never throws: a holder file left behind is taken over once this process is gone). */
  release(): Promise<void>
}

/**
 * Locks a directory for this process, so that one process at a time uses it; Node only. Takes a
 * free lock, takes over a lock whose holder process is dead (or whose pid was reused by another
 * process, where the system lets us tell), and refuses a live holder with `LEDGER_UNAVAILABLE`
 * naming its pid (`e.context.pid`, `e.context.host`). Safe when several processes race for the same lock,
 * stale or free: at most one of them gets it (the argument is at the top of this module). The lock
 * is `dir/LOCK`, a directory holding the holder's pid; `dir` must exist.
 *
 * @param dir The directory to lock.
 * @param options `name` of the lock, `label` for messages, `shareWithinProcess`.
 *
 * @example
 * ```ts
 * import { acquireDirectoryLock } from './directoryLock.js'
 * import { isZrError } from '../errors/ZrError.js'
 *
 * try {
 *   const lock = await acquireDirectoryLock('./ledger-data', { label: 'ledger directory' })
 *   // ... use the directory ...
 *   await lock.release()
 * } catch (e) {
 *   if (isZrError(e, 'LEDGER_UNAVAILABLE')) console.log(`in use by process ${e.context.pid}`)
 *   else throw e
 * }
 * ```
 */
export async function acquireDirectoryLock(dir: string, options: DirectoryLockOptions = {}): Promise<DirectoryLock> {
  return acquireDirectoryLockWithTestHooks(dir, options, {})
}

/**
 * {@link acquireDirectoryLock} with test-only hooks. Not part of the public API.
 * @internal
 */
export async function acquireDirectoryLockWithTestHooks(dir: string, options: DirectoryLockOptions, hooks: DirectoryLockTestHooks): Promise<DirectoryLock> {
  const name = options.name ?? DIRECTORY_LOCK_NAME
  const label = options.label ?? 'directory'
  if (typeof dir !== 'string' || dir.length === 0) {
    throw new ZrError('INVALID_INPUT', 'A directory lock needs a directory.', { details: `expected a non-empty path, got ${JSON.stringify(dir)}` })
  }
  if (typeof name !== 'string' || !/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(name) || name === '..') {
    throw new ZrError('INVALID_INPUT', 'Invalid lock name.', { details: `expected a plain file name (letters, digits, '.', '_', '-'), got ${JSON.stringify(name)}` })
  }
  const lockPath = path.join(dir, name)
  const unavailable = (what: string, cause: unknown) =>
    new ZrError('LEDGER_UNAVAILABLE', `could not take the lock of ${label} ${dir}`, {
      details: `${what}: ${cause instanceof Error ? cause.message : String(cause)}`,
      context: { dir, lock: lockPath },
      cause,
    })

  const self = await thisProcess()
  const id = randomBytes(16).toString('hex')
  const holderFile = `${HOLDER_PREFIX}${id}`
  const staging = path.join(dir, `${name}.${self.pid}.${id}${STAGING_SUFFIX}`)
  try {
    await fs.mkdir(staging)
    await fs.writeFile(path.join(staging, holderFile), JSON.stringify(self), { flag: 'wx' })
  } catch (err) {
    await fs.rm(staging, { recursive: true, force: true }).catch(() => {})
    throw unavailable(`could not stage the lock in ${staging}`, err)
  }

  let done = false
  try {
    const how = await take({ dir, name, label, lockPath, staging, holderFile, self, share: options.shareWithinProcess === true, hooks })
    done = true
    if (how === 'joined') await fs.rmdir(staging).catch(() => {})
    else await sweepStaging(dir, name, self)
    return heldLock(lockPath, holderFile, self)
  } catch (err) {
    if (err instanceof ZrError) throw err
    throw unavailable(`could not take ${lockPath}`, err)
  } finally {
    if (!done) {
      // Our holder file may be in the lock if a join failed half way (no such name otherwise).
      await fs.unlink(path.join(lockPath, holderFile)).catch(() => {})
      await fs.rm(staging, { recursive: true, force: true }).catch(() => {})
    }
  }
}

/**
 * The holders of a directory's lock (several only when shared within one process): `[]` when it is
 * free; a holder file that cannot be read counts as no holder. For diagnostics and tests.
 *
 * @example
 * ```ts
 * import { readDirectoryLock } from './directoryLock.js'
 * const holders = await readDirectoryLock('./ledger-data') // [{ pid: 4242, host: 'db-1', ... }]
 * ```
 */
export async function readDirectoryLock(dir: string, name: string = DIRECTORY_LOCK_NAME): Promise<DirectoryLockHolder[]> {
  const seen = await look(path.join(dir, name))
  if (seen.kind === 'holders') return seen.holders.flatMap((h) => (h.holder ? [h.holder] : []))
  if (seen.kind === 'legacy' && seen.pid !== undefined) return [{ pid: seen.pid, host: os.hostname() }]
  return []
}

// ---------------------------------------------------------------------------------------------

type TakeContext = {
  dir: string
  name: string
  label: string
  lockPath: string
  staging: string
  holderFile: string
  self: DirectoryLockHolder
  share: boolean
  hooks: DirectoryLockTestHooks
}

/** Runs the steps described at the top of this module until the lock is ours or refused. */
async function take(c: TakeContext): Promise<'took' | 'joined'> {
  let permissionMisses = 0
  let emptyLegacySeen = false
  for (let round = 0; round < MAX_ROUNDS; round++) {
    // Another process changed the lock under us in the last round: let it finish its step.
    if (round > 2) await pause(1 + Math.random() * Math.min(50, 2 * round))

    // take: succeeds only when the lock is absent or empty.
    let blocked: unknown
    try {
      await fs.rename(c.staging, c.lockPath)
      return 'took'
    } catch (err) {
      if (!OCCUPIED.has(errnoCode(err) ?? '')) throw err
      blocked = err
    }

    const seen = await look(c.lockPath)
    if (seen.kind === 'gone' || seen.kind === 'changed') {
      // EPERM / EACCES with nothing in the way: a real permission problem, not a race.
      if (seen.kind === 'gone' && ['EPERM', 'EACCES'].includes(errnoCode(blocked) ?? '') && ++permissionMisses > 2) throw blocked
      continue
    }

    if (seen.kind === 'legacy') {
      // A lock file of an older zrkit: a pid, or empty while that version is writing it.
      if (seen.pid === undefined && !emptyLegacySeen) {
        emptyLegacySeen = true
        await pause(50)
        continue
      }
      if (seen.pid !== undefined && seen.pid !== c.self.pid && processExists(seen.pid)) {
        throw lockedError(c, { pid: seen.pid, host: c.self.host })
      }
      await unlinkIgnoringGone(c.lockPath) // unlink never removes a directory, so never a lock of this kind
      continue
    }

    if (seen.strangers.length > 0) {
      throw new ZrError('LEDGER_UNAVAILABLE', `the lock of ${c.label} ${c.dir} holds unexpected files`, {
        details: `${c.lockPath} holds ${seen.strangers.map((s) => JSON.stringify(s)).join(', ')}, which zrkit never puts there; remove ${c.lockPath} by hand once no process uses ${c.dir}`,
        context: { dir: c.dir, lock: c.lockPath },
      })
    }
    if (seen.holders.length === 0) {
      // Free but present. POSIX rename replaces an empty directory; Windows does not, so remove it.
      await fs.rmdir(c.lockPath).catch(() => {})
      continue
    }

    const verdicts = await Promise.all(seen.holders.map((h) => judge(h.holder, c.self)))
    const live = seen.holders.find((_, i) => verdicts[i] === 'alive')
    if (live) throw lockedError(c, live.holder!)
    if (verdicts.includes('dead')) await c.hooks.beforeTakeover?.()
    for (const [i, h] of seen.holders.entries()) {
      if (verdicts[i] !== 'dead') continue
      // By its unique name: if another process took it over first, this fails with ENOENT and removes nothing.
      await fs.unlink(path.join(c.lockPath, h.file)).catch((err: unknown) => {
        if (errnoCode(err) !== 'ENOENT') throw err
      })
    }
    const ours = seen.holders.find((_, i) => verdicts[i] === 'self')
    if (!ours) continue // every holder was dead and is gone: the lock is free, take it
    if (!c.share) throw lockedError(c, ours.holder!)

    // join: put our holder file in, then make sure no other process holds the lock.
    await c.hooks.beforeJoin?.()
    const inLock = path.join(c.lockPath, c.holderFile)
    const staged = path.join(c.staging, c.holderFile)
    try {
      await fs.rename(staged, inLock)
    } catch (err) {
      if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') continue // the lock went away meanwhile
      throw err
    }
    const after = await look(c.lockPath)
    if (after.kind === 'holders' && after.strangers.length === 0 && after.holders.some((h) => h.file === c.holderFile)) {
      const others = after.holders.filter((h) => h.file !== c.holderFile)
      const otherVerdicts = await Promise.all(others.map((h) => judge(h.holder, c.self)))
      if (otherVerdicts.every((v) => v === 'self')) return 'joined'
    }
    await fs.rename(inLock, staged) // not ours to share: step out again and look once more
  }
  throw new ZrError('LEDGER_UNAVAILABLE', `could not take the lock of ${c.label} ${c.dir}`, {
    details: `${c.lockPath} kept changing hands over ${MAX_ROUNDS} attempts: other processes are opening and closing ${c.dir}`,
    context: { dir: c.dir, lock: c.lockPath },
  })
}

function heldLock(lockPath: string, holderFile: string, holder: DirectoryLockHolder): DirectoryLock {
  let released: Promise<void> | undefined
  return Object.freeze({
    path: lockPath,
    holder,
    release() {
      released ??= (async () => {
        try {
          await fs.unlink(path.join(lockPath, holderFile))
        } catch {
          return // gone already, or cannot be removed: then it is taken over once this process is gone
        }
        // Only when empty: another holder of this process, or the next holder, keeps it.
        await fs.rmdir(lockPath).catch(() => {})
      })()
      return released
    },
  })
}

type Look =
  | { kind: 'gone' }
  /** Changed while we looked (a holder file vanished, a file became a directory): look again. */
  | { kind: 'changed' }
  | { kind: 'legacy'; pid: number | undefined }
  | { kind: 'holders'; holders: { file: string; holder: DirectoryLockHolder | undefined }[]; strangers: string[] }

async function look(lockPath: string): Promise<Look> {
  let names: string[]
  try {
    names = await fs.readdir(lockPath)
  } catch (err) {
    const code = errnoCode(err)
    if (code === 'ENOENT') return { kind: 'gone' }
    if (code !== 'ENOTDIR') throw err
    let text: string
    try {
      text = await fs.readFile(lockPath, 'utf8')
    } catch (err2) {
      const code2 = errnoCode(err2)
      if (code2 === 'ENOENT') return { kind: 'gone' }
      if (code2 === 'EISDIR') return { kind: 'changed' }
      throw err2
    }
    const trimmed = text.trim()
    const pid = /^\d{1,15}$/.test(trimmed) ? Number(trimmed) : undefined
    return { kind: 'legacy', pid: pid !== undefined && pid > 0 ? pid : undefined }
  }
  const holders: { file: string; holder: DirectoryLockHolder | undefined }[] = []
  const strangers: string[] = []
  for (const file of names.sort()) {
    if (!file.startsWith(HOLDER_PREFIX)) {
      strangers.push(file)
      continue
    }
    let text: string
    try {
      text = await fs.readFile(path.join(lockPath, file), 'utf8')
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return { kind: 'changed' }
      throw err
    }
    holders.push({ file, holder: parseHolder(text) })
  }
  return { kind: 'holders', holders, strangers }
}

function parseHolder(text: string): DirectoryLockHolder | undefined {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (value === null || typeof value !== 'object') return undefined
  const { pid, host, boot, start } = value as Record<string, unknown>
  if (!Number.isSafeInteger(pid) || (pid as number) <= 0 || typeof host !== 'string') return undefined
  if ((boot !== undefined && typeof boot !== 'string') || (start !== undefined && typeof start !== 'string')) return undefined
  return { pid: pid as number, host, ...(boot !== undefined ? { boot } : {}), ...(start !== undefined ? { start } : {}) }
}

/** 'self': this process; 'alive': another live process (or one we cannot see); 'dead': gone. */
async function judge(holder: DirectoryLockHolder | undefined, self: DirectoryLockHolder): Promise<'self' | 'alive' | 'dead'> {
  if (holder === undefined) return 'dead' // a torn holder file: written whole by a live holder, so never one of those
  if (holder.host !== self.host) return 'alive'
  if (holder.boot !== undefined && self.boot !== undefined && holder.boot !== self.boot) return 'dead'
  if (holder.pid === self.pid) {
    return holder.start !== undefined && self.start !== undefined && holder.start !== self.start ? 'dead' : 'self'
  }
  if (!processExists(holder.pid)) return 'dead'
  if (holder.start !== undefined) {
    const start = await startTimeOf(String(holder.pid))
    if (start !== undefined && start !== holder.start) return 'dead'
  }
  return 'alive'
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return errnoCode(err) === 'EPERM' // exists, owned by another user
  }
}

async function thisProcess(): Promise<DirectoryLockHolder> {
  const [boot, start] = await Promise.all([bootId(), startTimeOf('self')])
  return { pid: process.pid, host: os.hostname(), ...(boot !== undefined ? { boot } : {}), ...(start !== undefined ? { start } : {}) }
}

async function bootId(): Promise<string | undefined> {
  if (process.platform !== 'linux') return undefined
  try {
    const id = (await fs.readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim()
    return id.length > 0 ? id : undefined
  } catch {
    return undefined
  }
}

/** Linux: field 22 of `/proc/<pid>/stat`, the start time in clock ticks after boot. */
async function startTimeOf(pid: string): Promise<string | undefined> {
  if (process.platform !== 'linux') return undefined
  let text: string
  try {
    text = await fs.readFile(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  // Field 2, the command name, is in parentheses and may hold spaces and ')': fields 3.. follow the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 1).trim().split(/\s+/)
  const start = fields[22 - 3]
  return start !== undefined && /^\d+$/.test(start) ? start : undefined
}

/** Removes staging directories left by processes that died while taking this lock. Best effort. */
async function sweepStaging(dir: string, name: string, self: DirectoryLockHolder): Promise<void> {
  let names: string[]
  try {
    names = await fs.readdir(dir)
  } catch {
    return
  }
  const prefix = `${name}.`
  for (const entry of names) {
    if (!entry.startsWith(prefix) || !entry.endsWith(STAGING_SUFFIX)) continue
    const match = /^(\d+)\.([0-9a-f]{32})$/.exec(entry.slice(prefix.length, -STAGING_SUFFIX.length))
    if (!match) continue
    const pid = Number(match[1])
    if (pid === self.pid || processExists(pid)) continue
    const staged = path.join(dir, entry)
    const holder = await fs
      .readFile(path.join(staged, `${HOLDER_PREFIX}${match[2]}`), 'utf8')
      .then(parseHolder, () => undefined)
    // Another host's pid says nothing here: leave its staging alone. An empty one (its owner died
    // before writing into it, or after joining) goes either way: rmdir removes only empty ones.
    if (holder === undefined || holder.host !== self.host) await fs.rmdir(staged).catch(() => {})
    else await fs.rm(staged, { recursive: true, force: true }).catch(() => {})
  }
}

async function unlinkIgnoringGone(file: string): Promise<void> {
  try {
    await fs.unlink(file)
  } catch (err) {
    const code = errnoCode(err)
    // ENOENT: someone else removed it first. EISDIR / EPERM: it is a directory now (a lock of this kind).
    if (code !== 'ENOENT' && code !== 'EISDIR' && code !== 'EPERM') throw err
  }
}

function lockedError(c: TakeContext, holder: DirectoryLockHolder): ZrError {
  const elsewhere = holder.host !== c.self.host
  const here = !elsewhere && holder.pid === c.self.pid
  const who = `process ${holder.pid}${elsewhere ? ` on host ${holder.host}` : ''}${here ? ' (this process)' : ''}`
  return new ZrError('LEDGER_UNAVAILABLE', `${c.label} ${c.dir} is locked by ${who}`, {
    details: here
      ? `one user at a time may use it, and another one in this process holds ${c.lockPath}; close that one first`
      : `one process at a time may use it, and ${who} holds ${c.lockPath}; stop it first (if that process is gone for good, remove the lock by hand)`,
    context: { dir: c.dir, lock: c.lockPath, pid: holder.pid, host: holder.host },
  })
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
