import { spawn, spawnSync } from 'node:child_process'
import * as fs from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { isZrError } from '../../errors/ZrError.js'
import { DIRECTORY_LOCK_NAME, readDirectoryLock } from '../../fs/directoryLock.js'
import { createEmbeddedLedger } from '../embeddedLedger.js'
import type { LedgerStore, LogEntry } from './LedgerStore.js'
import { fileStore, fileStoreWithTestHooks, LOG_FILE_NAME } from './fileStore.js'
import type { FileStoreTestHooks } from './fileStore.js'

let dir: string
let logPath: string
let lockPath: string
const opened: LedgerStore[] = []

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'zrkit-filestore-'))
  logPath = path.join(dir, LOG_FILE_NAME)
  lockPath = path.join(dir, DIRECTORY_LOCK_NAME)
})

afterEach(async () => {
  for (const store of opened.splice(0)) await store.close().catch(() => {})
  await fs.rm(dir, { recursive: true, force: true })
})

function open(hooks?: FileStoreTestHooks, target = dir): LedgerStore {
  const store = hooks ? fileStoreWithTestHooks(target, {}, hooks) : fileStore(target)
  opened.push(store)
  return store
}

function makeEntries(from: number, count: number, body: (height: number) => string = (h) => `{"tx":${h}}`): LogEntry[] {
  return Array.from({ length: count }, (_, i) => ({ height: from + i, time: 1_700_000_000_000 + from + i, body: body(from + i) }))
}

async function expectZrError(promise: Promise<unknown>, code: string): Promise<Error & { details?: string }> {
  const err = await promise.then(
    () => {
      throw new Error(`expected a ${code} error, but it resolved`)
    },
    (e: unknown) => e,
  )
  if (!isZrError(err)) throw err
  expect(err.code).toBe(code)
  return err
}

/** Byte offset where each line of the log starts. */
async function lineOffsets(): Promise<number[]> {
  const buf = await fs.readFile(logPath)
  const offsets = [0]
  for (let i = 0; i < buf.length; i++) if (buf[i] === 0x0a && i + 1 < buf.length) offsets.push(i + 1)
  return offsets
}

async function flipByte(offset: number): Promise<void> {
  const buf = await fs.readFile(logPath)
  buf[offset] = buf[offset]! ^ 0x01
  await fs.writeFile(logPath, buf)
}

describe('fileStore', () => {
  it('has kind "file" and starts empty, creating a missing directory', async () => {
    const nested = path.join(dir, 'a', 'b')
    const store = open(undefined, nested)
    expect(store.kind).toBe('file')
    expect(await store.load()).toEqual([])
    expect((await fs.stat(path.join(nested, LOG_FILE_NAME))).isFile()).toBe(true)
  })

  it('writes an append issued the moment load() resolves (no lost wake-up between queued operations)', async () => {
    const store = open()
    for (let i = 0; i < 20; i++) {
      await store.load()
      // issued in the same microtask turn as load()'s resolution, before the queue's bookkeeping settles
      await store.append(makeEntries(i + 1, 1))
    }
    expect((await store.load()).map((e) => e.height)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
  })

  it('round-trips batches, including unicode, quotes, control characters and very long bodies', async () => {
    const long = 'x'.repeat(2_000_000)
    const special = [
      '{"tx":{"memo":"Grüße, 世界 🚀"}}',
      '{"tx":{"memo":"she said \\"hi\\" and \'bye\'"}}',
      'raw "quotes" \\ backslash',
      'line\nbreak\r\nand\ttab\u0000nul\u2028sep',
      '\ud83d lone surrogate',
      '',
      long,
    ]
    const store = open()
    expect(await store.load()).toEqual([])
    const batch1 = makeEntries(1, 3)
    const batch2 = special.map((body, i) => ({ height: 4 + i, time: 42 + i, body }))
    const batch3 = makeEntries(4 + special.length, 100)
    await store.append(batch1)
    await store.append(batch2)
    await store.append([])
    await store.append(batch3)
    await store.close()

    const reopened = open()
    const loaded = await reopened.load()
    expect(loaded).toEqual([...batch1, ...batch2, ...batch3])
    expect(loaded[9]!.body.length).toBe(long.length)
    // The format keeps one record per line whatever the body holds.
    const text = await fs.readFile(logPath, 'utf8')
    expect(text.split('\n').length - 1).toBe(loaded.length)
  })

  it('works with fsync off', async () => {
    const store = fileStoreWithTestHooks(dir, { fsync: false }, {})
    opened.push(store)
    await store.load()
    await store.append(makeEntries(1, 5))
    await store.close()
    expect(await open().load()).toEqual(makeEntries(1, 5))
  })

  it('rejects non-consecutive heights with INVALID_INPUT and writes nothing', async () => {
    const store = open()
    await expectZrError(store.append(makeEntries(2, 1)), 'INVALID_INPUT') // must start at 1
    expect(await fs.readFile(logPath)).toHaveLength(0)
    await store.append(makeEntries(1, 2))
    const before = await fs.readFile(logPath)

    const gap = await expectZrError(store.append(makeEntries(4, 1)), 'INVALID_INPUT')
    expect(gap.details).toContain('expected height 3, got 4')
    await expectZrError(store.append([...makeEntries(3, 1), ...makeEntries(3, 1)]), 'INVALID_INPUT')
    await expectZrError(store.append(makeEntries(1, 1)), 'INVALID_INPUT')
    await expectZrError(store.append([{ height: 3, time: Number.NaN, body: 'x' }]), 'INVALID_INPUT')
    expect((await fs.readFile(logPath)).equals(before)).toBe(true)

    await store.append(makeEntries(3, 1))
    await store.close()
    expect(await open().load()).toEqual(makeEntries(1, 3))
  })

  it('rejects only the bad call among concurrent appends', async () => {
    const store = open()
    await store.load()
    const results = await Promise.allSettled([
      store.append(makeEntries(1, 1)),
      store.append(makeEntries(5, 1)),
      store.append(makeEntries(2, 2)),
    ])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    const bad = (results[1] as PromiseRejectedResult).reason
    expect(isZrError(bad, 'INVALID_INPUT')).toBe(true)
    await store.close()
    expect(await open().load()).toEqual(makeEntries(1, 3))
  })

  it('cuts off a last record truncated by a few bytes, repairs the file, and keeps working', async () => {
    const store = open()
    await store.load()
    await store.append(makeEntries(1, 4))
    await store.append(makeEntries(5, 1))
    await store.close()
    const offsets = await lineOffsets()
    const lastStart = offsets[4]!
    const { size } = await fs.stat(logPath)
    await fs.truncate(logPath, size - 3)

    const reopened = open()
    expect(await reopened.load()).toEqual(makeEntries(1, 4))
    expect((await fs.stat(logPath)).size).toBe(lastStart)
    const replacement = makeEntries(5, 2, (h) => `{"new":${h}}`)
    await reopened.append(replacement)
    await reopened.close()

    expect(await open().load()).toEqual([...makeEntries(1, 4), ...replacement])
  })

  it('cuts off a half-written garbage line at the end', async () => {
    const store = open()
    await store.load()
    await store.append(makeEntries(1, 3))
    await store.close()
    const { size } = await fs.stat(logPath)
    await fs.appendFile(logPath, '0123456789abcdef [4,17000')

    const reopened = open()
    expect(await reopened.load()).toEqual(makeEntries(1, 3))
    expect((await fs.stat(logPath)).size).toBe(size)
    await reopened.append(makeEntries(4, 1))
    await reopened.close()
    expect(await open().load()).toEqual(makeEntries(1, 4))
  })

  it('cuts off a lone torn record, leaving an empty log', async () => {
    await fs.writeFile(logPath, 'deadbeef')
    const store = open()
    expect(await store.load()).toEqual([])
    expect((await fs.stat(logPath)).size).toBe(0)
    await store.append(makeEntries(1, 1))
    await store.close()
    expect(await open().load()).toEqual(makeEntries(1, 1))
  })

  it('cuts off a last record with a flipped byte', async () => {
    const store = open()
    await store.load()
    await store.append(makeEntries(1, 5))
    await store.close()
    const offsets = await lineOffsets()
    await flipByte(offsets[4]! + 30)

    const reopened = open()
    expect(await reopened.load()).toEqual(makeEntries(1, 4))
    expect((await fs.stat(logPath)).size).toBe(offsets[4])
  })

  it('fails with STORE_CORRUPT on a flipped byte in a middle record, leaving the file alone', async () => {
    const store = open()
    await store.load()
    await store.append(makeEntries(1, 5))
    await store.close()
    const offsets = await lineOffsets()
    await flipByte(offsets[1]! + 25)
    const damaged = await fs.readFile(logPath)

    const err = await expectZrError(open().load(), 'STORE_CORRUPT')
    expect(err.details).toContain('line 2')
    expect(err.details).toContain(`byte offset ${offsets[1]}`)
    expect(err.details).toContain('checksum mismatch')
    expect((await fs.readFile(logPath)).equals(damaged)).toBe(true)
  })

  it('fails with STORE_CORRUPT on a damaged line break before the last record', async () => {
    const store = open()
    await store.load()
    await store.append(makeEntries(1, 3))
    await store.close()
    const offsets = await lineOffsets()
    await flipByte(offsets[1]! - 1) // the newline ending record 1: records 1 and 2 merge
    await expectZrError(open().load(), 'STORE_CORRUPT')
  })

  it('fails with STORE_CORRUPT when intact records skip a height', async () => {
    const store = open()
    await store.load()
    await store.append(makeEntries(1, 3))
    await store.close()
    const lines = (await fs.readFile(logPath, 'utf8')).split('\n')
    await fs.writeFile(logPath, `${lines[0]}\n${lines[2]}\n`) // heights 1, 3: valid checksums

    const err = await expectZrError(open().load(), 'STORE_CORRUPT')
    expect(err.details).toContain('line 2')
    expect(err.details).toContain('expected height 2, found 3')
  })

  it('keeps call order for many concurrent appends and groups them into few writes', async () => {
    let writes = 0
    const store = open({
      write: async (handle, bytes) => {
        writes++
        await handle.write(bytes)
      },
    })
    await store.load()
    const all = makeEntries(1, 300, (h) => `{"n":${h}}`)
    await Promise.all(all.map((entry) => store.append([entry])))
    expect(writes).toBeLessThan(300)
    await store.close()
    expect(await open().load()).toEqual(all)
  })

  it('completes 2000 concurrent single-entry appends (throughput sanity)', async () => {
    const store = open()
    const all = makeEntries(1, 2000)
    await Promise.all(all.map((entry) => store.append([entry])))
    await store.close()
    expect(await open().load()).toHaveLength(2000)
  })

  it('loads 100k records', async () => {
    const store = open()
    await store.load()
    const all = makeEntries(1, 100_000, (h) => `{"tx":{"from":"zr1abcdefghijklmnop","seq":${h},"amount":"1000"}}`)
    await store.append(all)
    await store.close()
    const loaded = await open().load()
    expect(loaded).toHaveLength(100_000)
    expect(loaded[99_999]).toEqual(all[99_999])
  })

  it('appends issued before close are written before close resolves', async () => {
    const store = open()
    const pending = store.append(makeEntries(1, 2))
    await store.close()
    await pending
    expect(await open().load()).toEqual(makeEntries(1, 2))
  })

  it('rejects every call after close with LEDGER_CLOSED and releases the lock', async () => {
    const store = open()
    await store.load()
    await store.append(makeEntries(1, 1))
    await store.close()
    await store.close() // idempotent
    await expectZrError(store.load(), 'LEDGER_CLOSED')
    await expectZrError(store.append(makeEntries(2, 1)), 'LEDGER_CLOSED')
    await expect(fs.stat(lockPath)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('locks the directory against a second store in the same process', async () => {
    const first = open()
    await first.load()
    expect((await readDirectoryLock(dir)).map((h) => h.pid)).toEqual([process.pid]) // the lock names this process

    const second = open()
    const err = await expectZrError(second.load(), 'LEDGER_UNAVAILABLE')
    expect(err.message).toContain(`is locked by process ${process.pid}`)
    await expectZrError(second.append(makeEntries(1, 1)), 'LEDGER_UNAVAILABLE')

    await first.close()
    expect(await second.load()).toEqual([]) // free once the first one closed
  })

  it('refuses a directory locked by another live process', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' })
    try {
      const pid = child.pid!
      await fs.writeFile(lockPath, `${pid}\n`)
      const err = await expectZrError(open().load(), 'LEDGER_UNAVAILABLE')
      expect(err.message).toContain(`is locked by process ${pid}`)
      expect((await fs.readFile(lockPath, 'utf8')).trim()).toBe(String(pid)) // left alone
    } finally {
      child.kill('SIGKILL')
    }
  })

  it('takes over a stale lock left by a dead process', async () => {
    const finished = spawnSync(process.execPath, ['-e', ''])
    const deadPid = finished.pid!
    await fs.writeFile(lockPath, `${deadPid}\n`)
    const store = open()
    await store.load()
    await store.append(makeEntries(1, 1))
    expect((await readDirectoryLock(dir)).map((h) => h.pid)).toEqual([process.pid]) // the lock names this process
    await store.close()
    await expect(fs.stat(lockPath)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('a createEmbeddedLedger refused for another genesis releases its store: a correct one in the same process opens it', async () => {
    const genesis = { chainId: 'zrkit-lock-a', time: 1_700_000_000_000 }
    const first = await createEmbeddedLedger({ store: fileStore(dir), genesis, autoTick: false })
    await first.close()

    const refused = fileStore(dir)
    const err = await createEmbeddedLedger({ store: refused, genesis: { ...genesis, chainId: 'zrkit-lock-b' }, autoTick: false }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(isZrError(err, 'INVALID_CONFIG'), String(err)).toBe(true)
    expect(await readDirectoryLock(dir)).toEqual([]) // released, not left locked by this process
    await expectZrError(refused.load(), 'LEDGER_CLOSED')

    const ledger = await createEmbeddedLedger({ store: fileStore(dir), genesis, autoTick: false })
    expect(ledger.height).toBe(1)
    await ledger.close()
  })

  it('takes over an empty lock file (crash before the pid was written)', async () => {
    await fs.writeFile(lockPath, '')
    const store = open()
    expect(await store.load()).toEqual([])
  })

  it('becomes unusable after a failed write, and reopening recovers what is on disk', async () => {
    let fail = false
    const store = open({
      write: async (handle, bytes) => {
        if (!fail) {
          await handle.write(bytes)
          return
        }
        await handle.write(bytes.subarray(0, Math.floor(bytes.length / 2)))
        throw Object.assign(new Error('EIO: simulated i/o error'), { code: 'EIO' })
      },
    })
    await store.load()
    await store.append(makeEntries(1, 3))
    fail = true
    const err = await expectZrError(store.append(makeEntries(4, 2)), 'LEDGER_UNAVAILABLE')
    expect((err as Error & { cause?: Error }).cause?.message).toContain('simulated')
    fail = false
    await expectZrError(store.append(makeEntries(4, 1)), 'LEDGER_UNAVAILABLE')
    await expectZrError(store.load(), 'LEDGER_UNAVAILABLE')
    await store.close()

    const reopened = open()
    expect(await reopened.load()).toEqual(makeEntries(1, 3))
    await reopened.append(makeEntries(4, 1))
    await reopened.close()
    expect(await open().load()).toEqual(makeEntries(1, 4))
  })
})
