import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import * as fs from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { isZrError } from '../errors/ZrError.js'
import {
  type DirectoryLock,
  type DirectoryLockHolder,
  acquireDirectoryLock,
  acquireDirectoryLockWithTestHooks,
  readDirectoryLock,
} from './directoryLock.js'

const root = fileURLToPath(new URL('../../../../', import.meta.url))
const linux = process.platform === 'linux'

let dir: string
let lockPath: string
const held: DirectoryLock[] = []
const children: ChildProcess[] = []

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'zrkit-dirlock-'))
  lockPath = path.join(dir, 'LOCK')
})

afterEach(async () => {
  for (const lock of held.splice(0)) await lock.release()
  for (const child of children.splice(0)) child.kill('SIGKILL')
  await fs.rm(dir, { recursive: true, force: true })
})

async function acquire(options?: Parameters<typeof acquireDirectoryLock>[1]): Promise<DirectoryLock> {
  const lock = await acquireDirectoryLock(dir, options)
  held.push(lock)
  return lock
}

async function refusal(promise: Promise<unknown>): Promise<Error & { code: string; meta: Record<string, unknown> }> {
  const err = await promise.then(
    () => {
      throw new Error('expected the lock to be refused, but it was taken')
    },
    (e: unknown) => e,
  )
  expect(isZrError(err, 'LEDGER_UNAVAILABLE'), String(err)).toBe(true)
  return err as Error & { code: string; meta: Record<string, unknown> }
}

/** This process as a holder file records it (boot id and start time on Linux). */
async function me(): Promise<DirectoryLockHolder> {
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'zrkit-dirlock-me-'))
  try {
    const lock = await acquireDirectoryLock(scratch)
    await lock.release()
    return lock.holder
  } finally {
    await fs.rm(scratch, { recursive: true, force: true })
  }
}

/** Puts a holder file into the lock by hand, as a process that held it would have left it. */
async function leaveHolder(holder: Record<string, unknown> | string): Promise<string> {
  await fs.mkdir(lockPath, { recursive: true })
  const file = path.join(lockPath, `holder-${randomBytes(16).toString('hex')}`)
  await fs.writeFile(file, typeof holder === 'string' ? holder : JSON.stringify(holder))
  return file
}

function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid! // exited and reaped
}

/** Another process holding the lock of `target` (through this module) until killed. */
async function holderProcess(target: string): Promise<{ child: ChildProcess; exited: Promise<unknown> }> {
  const script = `
    const { acquireDirectoryLock } = await import(process.env.ZRKIT_LOCK_MODULE)
    await acquireDirectoryLock(process.env.ZRKIT_LOCK_DIR)
    process.stdout.write('held\\n')
    setInterval(() => {}, 60000)
  `
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    env: { ...process.env, ZRKIT_LOCK_MODULE: new URL('./directoryLock.ts', import.meta.url).href, ZRKIT_LOCK_DIR: target },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  children.push(child)
  const exited = new Promise((resolve) => child.on('exit', resolve))
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => line === 'held' && resolve())
    void exited.then(() => reject(new Error('the holder process exited before it held the lock')))
  })
  return { child, exited }
}

describe('acquireDirectoryLock', () => {
  it('takes a free lock naming this process, and release removes it (idempotent, nothing left behind)', async () => {
    const lock = await acquire({ label: 'test directory' })
    expect(lock.path).toBe(lockPath)
    expect(lock.holder).toMatchObject({ pid: process.pid, host: os.hostname() })
    if (linux) expect(lock.holder).toMatchObject({ boot: expect.any(String), start: expect.stringMatching(/^\d+$/) })
    expect(await readDirectoryLock(dir)).toEqual([lock.holder])
    await lock.release()
    await lock.release()
    expect(await readDirectoryLock(dir)).toEqual([])
    expect(await fs.readdir(dir)).toEqual([]) // no lock, no staging directory
  })

  it('refuses a second holder in this process, naming it; once released, the lock can be taken again', async () => {
    const first = await acquire({ label: 'test directory' })
    const err = await refusal(acquireDirectoryLock(dir, { label: 'test directory' }))
    expect(err.message).toContain(`test directory ${dir} is locked by process ${process.pid} (this process)`)
    expect(err.meta).toMatchObject({ pid: process.pid, host: os.hostname(), lock: lockPath })
    expect(await fs.readdir(dir)).toEqual(['LOCK']) // the refused attempt left nothing
    await first.release()
    await acquire()
  })

  it('with shareWithinProcess, holders in this process share the lock, held until the last one releases it', async () => {
    const a = await acquire({ shareWithinProcess: true })
    const b = await acquire({ shareWithinProcess: true })
    expect((await readDirectoryLock(dir)).map((h) => h.pid)).toEqual([process.pid, process.pid])
    await a.release()
    expect((await readDirectoryLock(dir)).map((h) => h.pid)).toEqual([process.pid])
    await refusal(acquireDirectoryLock(dir)) // still held: an exclusive taker is refused
    await b.release()
    await expect(fs.stat(lockPath)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('keeps a live holder of another process (refusing with its pid), and takes the lock over once that process is dead', async () => {
    const holder = await holderProcess(dir)
    const pid = holder.child.pid!
    for (const share of [false, true]) {
      const err = await refusal(acquireDirectoryLock(dir, { label: 'test directory', shareWithinProcess: share }))
      expect(err.message).toContain(`is locked by process ${pid}`)
      expect(err.meta.pid).toBe(pid)
    }
    expect((await readDirectoryLock(dir)).map((h) => h.pid)).toEqual([pid]) // left alone

    holder.child.kill('SIGKILL')
    await holder.exited
    const lock = await acquire()
    expect((await readDirectoryLock(dir)).map((h) => h.pid)).toEqual([process.pid])
    expect(lock.holder.pid).toBe(process.pid)
  })

  it('of many takers at once on a stale lock, exactly one gets it (in one process: the others are refused)', async () => {
    await leaveHolder({ pid: deadPid(), host: os.hostname() })
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => acquireDirectoryLock(dir)))
    const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
    held.push(...won)
    expect(won).toHaveLength(1)
    for (const r of results) if (r.status === 'rejected') expect(isZrError(r.reason, 'LEDGER_UNAVAILABLE'), String(r.reason)).toBe(true)
    expect((await fs.readdir(dir)).sort()).toEqual(['LOCK'])
    expect(await readDirectoryLock(dir)).toEqual([won[0]!.holder])
  })

  it('a taker that found the same dead holder but moves only after another one took the lock removes nothing of the new holder', async () => {
    await leaveHolder({ pid: deadPid(), host: os.hostname() })
    // Both takers look and find the dead holder; then A goes all the way, and only then B moves on.
    let arrived = 0
    let bothLooked!: () => void
    const looked = new Promise<void>((resolve) => (bothLooked = resolve))
    const arrive = () => {
      if (++arrived === 2) bothLooked()
      return looked
    }
    let aFinished!: () => void
    const aDone = new Promise<void>((resolve) => (aFinished = resolve))
    const a = acquireDirectoryLockWithTestHooks(dir, {}, { beforeTakeover: arrive }).finally(aFinished)
    const b = acquireDirectoryLockWithTestHooks(dir, {}, { beforeTakeover: () => arrive().then(() => aDone) })
    const [ra, rb] = await Promise.allSettled([a, b])
    if (ra.status === 'fulfilled') held.push(ra.value)
    if (rb.status === 'fulfilled') held.push(rb.value)
    expect(ra.status).toBe('fulfilled')
    expect(rb.status).toBe('rejected')
    expect(isZrError((rb as PromiseRejectedResult).reason, 'LEDGER_UNAVAILABLE')).toBe(true)
    expect(await readDirectoryLock(dir)).toEqual([(ra as PromiseFulfilledResult<DirectoryLock>).value.holder])
  })

  it('a joiner that finds the lock taken by another process meanwhile steps out again, refused naming that process', async () => {
    const first = await acquireDirectoryLock(dir, { shareWithinProcess: true })
    let other: Awaited<ReturnType<typeof holderProcess>> | undefined
    const joining = acquireDirectoryLockWithTestHooks(dir, { shareWithinProcess: true }, {
      // Between finding only this process's holder and joining it: it releases, another process takes the lock.
      beforeJoin: async () => {
        if (other) return
        await first.release()
        other = await holderProcess(dir)
      },
    })
    const err = await refusal(joining.then((lock) => (held.push(lock), lock)))
    expect(err.meta.pid).toBe(other!.child.pid)
    expect((await readDirectoryLock(dir)).map((h) => h.pid)).toEqual([other!.child.pid])
  })

  it('takes over what a holder that died between steps leaves: an empty lock, dead and torn holder files, its staging directory', async () => {
    const self = await me()
    await fs.mkdir(lockPath) // died after removing its holder file, before removing the lock
    await (await acquireDirectoryLock(dir)).release()

    await leaveHolder({ pid: deadPid(), host: os.hostname() })
    await leaveHolder('{"pid":') // torn: never written by a live holder, who writes it whole before it is visible
    const stagingPid = deadPid()
    const id = randomBytes(16).toString('hex')
    const staging = path.join(dir, `LOCK.${stagingPid}.${id}.tmp`) // died while staging its attempt
    await fs.mkdir(staging)
    await fs.writeFile(path.join(staging, `holder-${id}`), JSON.stringify({ ...self, pid: stagingPid }))
    const lock = await acquire()
    expect(await readDirectoryLock(dir)).toEqual([lock.holder])
    expect(await fs.readdir(dir)).toEqual(['LOCK']) // the dead process's staging directory is swept
  })

  it.runIf(linux)('Linux: a holder whose pid was reused (other start time) or from before a reboot is dead; the true holder is kept', async () => {
    const self = await me()
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' })
    children.push(sleeper)
    const pid = sleeper.pid!
    await new Promise((resolve) => sleeper.once('spawn', resolve))
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8')
    const start = stat.slice(stat.lastIndexOf(')') + 1).trim().split(/\s+/)[19]!

    const cases: [string, Record<string, unknown>][] = [
      ['our pid, an earlier start (a restarted container)', { ...self, start: String(Number(self.start) - 1) }],
      ['a live pid that started at another time', { pid, host: self.host, boot: self.boot, start: String(Number(start) + 1) }],
      ['a live pid, but an earlier boot', { pid, host: self.host, boot: '00000000-0000-0000-0000-000000000000', start }],
    ]
    for (const [what, holder] of cases) {
      const file = await leaveHolder(holder)
      const lock = await acquireDirectoryLock(dir).catch((e: unknown) => {
        throw new Error(`${what}: ${String(e)}`)
      })
      await expect(fs.stat(file), what).rejects.toMatchObject({ code: 'ENOENT' })
      await lock.release()
    }

    await leaveHolder({ pid, host: self.host, boot: self.boot, start }) // the sleeper itself
    expect((await refusal(acquireDirectoryLock(dir))).meta.pid).toBe(pid)
  })

  it('never judges a holder on another host: it is kept, and the error names the host', async () => {
    await leaveHolder({ pid: deadPid(), host: 'other-host.example' })
    const err = await refusal(acquireDirectoryLock(dir, { label: 'test directory' }))
    expect(err.message).toContain('is locked by process')
    expect(err.message).toContain('on host other-host.example')
    expect(err.meta.host).toBe('other-host.example')
  })

  it('reads the lock file of older versions: a live pid is kept, a dead pid, an empty or a garbled file is taken over', async () => {
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' })
    children.push(sleeper)
    await new Promise((resolve) => sleeper.once('spawn', resolve))
    await fs.writeFile(lockPath, `${sleeper.pid}\n`)
    expect((await refusal(acquireDirectoryLock(dir))).meta.pid).toBe(sleeper.pid)
    expect(await fs.readFile(lockPath, 'utf8')).toBe(`${sleeper.pid}\n`) // left alone

    for (const content of [`${deadPid()}\n`, '', 'garbage']) {
      await fs.rm(lockPath, { recursive: true, force: true })
      await fs.writeFile(lockPath, content)
      const lock = await acquireDirectoryLock(dir)
      expect(await readDirectoryLock(dir)).toEqual([lock.holder])
      await lock.release()
    }
  })

  it('reports files it never writes inside the lock instead of deleting them', async () => {
    await fs.mkdir(lockPath)
    await fs.writeFile(path.join(lockPath, 'notes.txt'), 'mine')
    const err = await refusal(acquireDirectoryLock(dir))
    expect(err.message).toContain('holds unexpected files')
    expect(await fs.readFile(path.join(lockPath, 'notes.txt'), 'utf8')).toBe('mine')
  })

  it('checks its inputs', async () => {
    for (const name of ['', '../LOCK', 'a/b', '..']) {
      const err = await acquireDirectoryLock(dir, { name }).catch((e: unknown) => e)
      expect(isZrError(err, 'INVALID_INPUT'), `name ${JSON.stringify(name)}`).toBe(true)
    }
    expect(isZrError(await acquireDirectoryLock('').catch((e: unknown) => e), 'INVALID_INPUT')).toBe(true)
    const missing = path.join(dir, 'missing')
    expect(isZrError(await acquireDirectoryLock(missing).catch((e: unknown) => e), 'LEDGER_UNAVAILABLE')).toBe(true)
  })
})
