/**
 * The child processes of the ledger-store benchmark (bench/ledgerStore.ts), one job each, so that what a
 * job measures (memory, the time to open a ledger) holds nothing of the benchmark's own process:
 *
 *   node --expose-gc --import tsx bench/ledgerStoreChild.ts '<job as JSON>'
 *
 * - `presign`: signs the txs of history requests [from, from + count) into a file, one request per line.
 * - `build`: builds a history on a new store from such files, with many txs in flight; reports the time,
 *   and the process's memory after a forced GC before the ledger opens and after the history is built.
 *   Requests that close by expiry (`history: 'expire'`) get there on a ledger clock that moves one TTL ahead
 *   for every `inFlight` requests, so only a few are ever open (see the ledger's expiry scan in the report of
 *   bench/ledgerStore.ts). A memory-store build can also write its log into file stores on the way
 *   (`fileLogs`): the file store's log of the same history, as its own `append` writes it, without
 *   building that history a second time.
 * - `reopen`: opens an existing store (sqlite or file) and reports the time and the process's memory.
 * - `verify`: replays a SQLite store's log with `verifyLedgerDatabase`.
 *
 * The last line of stdout is the job's result as JSON.
 */
import { createReadStream, createWriteStream } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { type LogEntry, type SignedTx, createEmbeddedLedger, memoryStore, verifyLedgerDatabase } from '@zrkit/core'
import { canonicalParse, canonicalStringify } from '@zrkit/core/internal'
import { fileStore, sqliteStore } from '@zrkit/core/node'
import { type HistoryMode, type HistoryStart, type StoreKind, historyTtlMs, openStore, signWorld } from './ledgerStoreFixture.js'

export type ChildJob =
  | { mode: 'presign'; out: string; from: number; count: number; history: HistoryMode }
  | {
      mode: 'build'
      kind: StoreKind
      dir: string
      files: string[]
      count: number
      inFlight: number
      start: HistoryStart
      history: HistoryMode
      /** Memory store only: once `at` requests are in, write its log so far into a new file store in `dir`. */
      fileLogs?: { at: number; dir: string }[]
    }
  | { mode: 'reopen'; kind: StoreKind; dir: string }
  | { mode: 'verify'; dir: string }

/** Memory of this process, in bytes. */
export type Memory = { rss: number; heapUsed: number }
export type PresignResult = { start: HistoryStart; ms: number }
export type BuildResult = { ms: number; height: number; idle: Memory; built: Memory }
export type ReopenResult = { ms: number; height: number; idle: Memory; rssOpened: number; opened: Memory; diskBytes: number }
export type VerifyResult = { ms: number; ok: boolean; height: number; problem?: string }

/** Memory after a forced GC (run with --expose-gc), as a long-running server holds it. */
async function settledMemory(): Promise<Memory> {
  const gc = (globalThis as { gc?: () => void }).gc
  for (let i = 0; i < 3; i++) {
    gc?.()
    await new Promise((r) => setImmediate(r))
  }
  const { rss, heapUsed } = process.memoryUsage()
  return { rss, heapUsed }
}

/** Bytes of the files in `dir` (the store's database or log). */
async function diskBytes(dir: string): Promise<number> {
  let total = 0
  for (const name of await readdir(dir).catch(() => [] as string[])) total += (await stat(join(dir, name))).size
  return total
}

async function presign(job: Extract<ChildJob, { mode: 'presign' }>): Promise<PresignResult> {
  const world = await signWorld(memoryStore())
  await world.ledger.close()
  const t = performance.now()
  const out = createWriteStream(job.out)
  for (let i = job.from; i < job.from + job.count; i++) {
    if (!out.write(`${canonicalStringify(world.requestTxs(i, job.history))}\n`)) await new Promise<void>((r) => out.once('drain', () => r()))
  }
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())))
  return { start: world.start, ms: performance.now() - t }
}

async function build(job: Extract<ChildJob, { mode: 'build' }>): Promise<BuildResult> {
  const idle = await settledMemory()
  const inFlight = new Set<Promise<void>>()
  let failure: unknown
  let ahead = 0 // ms the ledger clock runs ahead of the wall clock (expire: one TTL more every `inFlight` requests)
  const expire = job.history === 'expire'
  const store = openStore(job.kind, job.dir)
  const world = await signWorld(store, expire ? { now: () => Date.now() + ahead, autoTick: false } : {})
  const { ledger, start } = world
  const fileLogs = [...(job.fileLogs ?? [])].sort((a, b) => a.at - b.at)
  const log = 'entries' in store ? (store.entries as readonly LogEntry[]) : undefined
  if (fileLogs.length && !log) throw new Error('only a memory-store build writes file logs')
  /** Waits for every request in flight and closes what is still open (expire: the clock moves past the last window). */
  const settle = async () => {
    await Promise.all(inFlight)
    if (failure !== undefined) throw failure
    if (expire) {
      ahead += historyTtlMs
      await ledger.tick()
    }
  }
  if (JSON.stringify(start) !== JSON.stringify(job.start)) throw new Error(`the ledger's set-up differs from the presigned history's: ${JSON.stringify(start)} vs ${JSON.stringify(job.start)}`)
  let i = 0
  let exportMs = 0
  const t = performance.now()
  for (const file of job.files) {
    if (i >= job.count) break
    for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
      if (i >= job.count || failure !== undefined) break
      if (fileLogs[0]?.at === i) {
        await settle()
        const e = performance.now()
        await writeFileLog(fileLogs.shift()!.dir, log!)
        exportMs += performance.now() - e
      }
      const [create, fulfil] = canonicalParse(line) as [SignedTx, SignedTx | undefined]
      if (expire && i > 0 && i % job.inFlight === 0) ahead += historyTtlMs // the requests of the window before this one are due
      const expected = start.firstRequestId + i++
      // The create txs go in in order here; each fulfilment goes in once its request is stored (receipts
      // come back in log order, so the party's txs go in in sequence order too).
      const p: Promise<void> = ledger
        .submit(create)
        .then((r) => {
          if (r.result.requestId !== expected) throw new Error(`expected sign request ${expected}, the ledger made ${String(r.result.requestId)}`)
          return fulfil && ledger.submit(fulfil)
        })
        .then((r) => {
          if (r && r.result.status !== 'fulfilled') throw new Error(`sign request ${expected} ended ${String(r.result.status)}`)
        })
        .catch((e: unknown) => {
          failure ??= e
        })
        .finally(() => inFlight.delete(p))
      inFlight.add(p)
      if (inFlight.size >= job.inFlight) await Promise.race(inFlight)
    }
  }
  if (i < job.count) throw new Error(`the presigned files hold ${i} requests, ${job.count} asked`)
  await settle()
  const ms = performance.now() - t - exportMs
  const open = await ledger.query('signRequests', { status: 'pending', limit: 1 })
  if (open.items.length) throw new Error(`history request ${open.items[0]!.id} is still pending`)
  const built = await settledMemory()
  const height = ledger.height
  for (const { dir } of fileLogs) await writeFileLog(dir, log!)
  await ledger.close()
  return { ms, height, idle, built }
}

/** Writes a log into a new file store, through the store's own append (checksummed records, one flush). */
async function writeFileLog(dir: string, entries: readonly LogEntry[]): Promise<void> {
  const store = fileStore(dir)
  try {
    if ((await store.load()).length) throw new Error(`${dir} already holds a log`)
    await store.append(entries)
  } finally {
    await store.close()
  }
}

async function reopen(job: Extract<ChildJob, { mode: 'reopen' }>): Promise<ReopenResult> {
  const idle = await settledMemory()
  const t = performance.now()
  const ledger = await createEmbeddedLedger({ store: openStore(job.kind, job.dir) })
  const ms = performance.now() - t
  const rssOpened = process.memoryUsage().rss
  const opened = await settledMemory()
  const height = ledger.height
  await ledger.close()
  return { ms, height, idle, rssOpened, opened, diskBytes: await diskBytes(job.dir) }
}

async function verify(job: Extract<ChildJob, { mode: 'verify' }>): Promise<VerifyResult> {
  const t = performance.now()
  const report = await verifyLedgerDatabase(sqliteStore(job.dir))
  return { ms: performance.now() - t, ok: report.ok, height: report.height, ...(report.problem ? { problem: report.problem } : {}) }
}

const job = JSON.parse(process.argv[2] ?? '{}') as ChildJob
const result = job.mode === 'presign' ? await presign(job) : job.mode === 'build' ? await build(job) : job.mode === 'reopen' ? await reopen(job) : await verify(job)
process.stdout.write(`\n${JSON.stringify(result)}\n`)
