/**
 * Ledger-store benchmark: the in-memory store against the durable ones, `sqliteStore` (state in SQLite,
 * restart without replay) and `fileStore` (a log replayed into memory at start), as ratios against the
 * memory store measured in the same run.
 *
 * 1. Throughput and p95 latency, in this process, stores interleaved round by round (memory, sqlite, file,
 *    memory, ...; the median of the rounds is reported, since the machine is noisy): sign requests end to end
 *    (client -> ledger -> connector -> localKeyring -> fulfilled), and the ledger alone (presigned `bank.Send`
 *    txs, so no signing is timed).
 * 2. Restart: histories of 10k and `ZRKIT_BENCH_HISTORY` (default 100k) sign requests, each created and
 *    fulfilled, are built on a SQLite and a file store; each is then opened by a fresh child process, which
 *    reports the time `createEmbeddedLedger` took and its memory.
 * 3. Memory: each process that built the large history (memory, SQLite, file store), after a forced GC.
 *
 *   npx tsx bench/ledgerStore.ts       (also part of `npx -y pnpm@10 bench`)
 *
 * Environment: ZRKIT_BENCH_HISTORY (requests in the large history, default 100000), ZRKIT_BENCH_ROUNDS
 * (interleaved rounds, default 3). Nothing is asserted.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { type LedgerDatabase, type LedgerStore, type SignedTx, createConnector, createEmbeddedLedger, createZrClient, generateAccount, localKeyring } from '@zrkit/core'
import { sqliteStore } from '@zrkit/core/node'
import { fmt } from './harness.js'
import type { BuildResult, ChildJob, PresignResult, ReopenResult, VerifyResult } from './ledgerStoreChild.js'
import { type HistoryMode, type StoreKind, fastAccount, genesisFor, historyTtlMs, median, openStore, quantile, storeKinds } from './ledgerStoreFixture.js'

const history = Number(process.env.ZRKIT_BENCH_HISTORY ?? 100_000)
/** How the history's requests close (see {@link HistoryMode}). */
const historyMode: HistoryMode = process.env.ZRKIT_BENCH_HISTORY_MODE === 'fulfil' ? 'fulfil' : 'expire'
const rounds = Math.max(1, Number(process.env.ZRKIT_BENCH_ROUNDS ?? 3))
/** Sign requests per end-to-end run, and how many the client keeps in flight. */
const e2e = { total: 400, inFlight: 16 }
/** Presigned sends per ledger-only run, at these numbers in flight. */
const ledgerOnly = [
  { total: 3000, inFlight: 64 },
  { total: 200, inFlight: 1 },
]
/** The history builders keep this many requests in flight (group commit gathers them). */
const buildInFlight = 64
/** The smaller history (restart at 10k). */
const smallHistory = Math.min(10_000, history)
/** The budget the issue gives the section. */
const budgetSeconds = 6 * 60

const repoRoot = fileURLToPath(new URL('..', import.meta.url))
const childScript = fileURLToPath(new URL('./ledgerStoreChild.ts', import.meta.url))
const mb = (bytes: number) => fmt(bytes / 2 ** 20)
const seconds = (ms: number) => fmt(ms / 1000)

/** A fresh store of `kind` in a new directory under `root`; ledger-only runs also try SQLite with synchronous NORMAL. */
type RunStore = StoreKind | 'sqlite-normal'
async function freshStore(root: string, kind: RunStore): Promise<LedgerStore | LedgerDatabase> {
  const dir = await mkdtemp(join(root, `${kind}-`))
  return kind === 'sqlite-normal' ? sqliteStore(dir, { synchronous: 'normal' }) : openStore(kind, dir)
}

type Run = { perSecond: number; p95: number }

/** Raw one-party noble ECDSA signs per second: the baseline of the end-to-end rows. */
function nobleSignsPerSecond(ms: number): number {
  const sk = secp256k1.utils.randomSecretKey()
  const digest = sha256(new Uint8Array([1, 2, 3]))
  const start = performance.now()
  let n = 0
  while (performance.now() - start < ms) {
    digest[0] = n & 0xff
    secp256k1.sign(digest, sk, { prehash: false })
    n++
  }
  return n / ((performance.now() - start) / 1000)
}

/**
 * Sign requests end to end: request -> connector -> localKeyring -> fulfilled, `inFlight` at a time;
 * requests per second and the p95 of each request's latency (from `client.sign` to its signatures).
 */
async function endToEnd(store: LedgerStore | LedgerDatabase, total: number, inFlight: number): Promise<Run> {
  const owner = generateAccount()
  const party = generateAccount()
  const ledger = await createEmbeddedLedger({ store, genesis: { chainId: 'bench', balances: [owner, party].map((a) => ({ address: a.address, amount: 10n ** 12n })) } })
  try {
    const client = createZrClient({ ledger, account: owner })
    const { keyring } = await client.createKeyring({ description: 'bench', parties: [party.address], partyThreshold: 1, keyRequestFee: 1n, signRequestFee: 1n })
    const connector = createConnector({ ledger, account: party, keyring, backend: localKeyring(), concurrency: inFlight, pollIntervalMs: 0 })
    await connector.start()
    try {
      const { workspace } = await client.createWorkspace()
      const key = await client.createKey({ workspace, keyring, keyType: 'ecdsa-secp256k1' })
      const latencies: number[] = []
      let next = 0
      const start = performance.now()
      const worker = async () => {
        while (next < total) {
          const i = next++
          const digest = sha256(new Uint8Array([i & 0xff, (i >> 8) & 0xff, 7]))
          const t = performance.now()
          await client.sign({ keyId: key.id, payloads: [digest] })
          latencies.push(performance.now() - t)
        }
      }
      await Promise.all(Array.from({ length: inFlight }, worker))
      return { perSecond: total / ((performance.now() - start) / 1000), p95: quantile(latencies, 0.95) }
    } finally {
      await connector.stop()
    }
  } finally {
    await ledger.close()
  }
}

/** The ledger alone: presigned sends submitted `inFlight` at a time; txs per second and the p95 of each submit (until durable). */
async function ledgerAlone(store: LedgerStore | LedgerDatabase, txs: readonly SignedTx[], total: number, inFlight: number, chainId: string, funded: ReturnType<typeof fastAccount>): Promise<Run> {
  const ledger = await createEmbeddedLedger({ store, genesis: genesisFor(chainId, [funded]) })
  try {
    const latencies: number[] = []
    let next = 0
    const start = performance.now()
    const worker = async () => {
      while (next < total) {
        const tx = txs[next++]!
        const t = performance.now()
        await ledger.submit(tx)
        latencies.push(performance.now() - t)
      }
    }
    await Promise.all(Array.from({ length: inFlight }, worker))
    return { perSecond: total / ((performance.now() - start) / 1000), p95: quantile(latencies, 0.95) }
  } finally {
    await ledger.close()
  }
}

/** Runs one job of bench/ledgerStoreChild.ts in a fresh Node process; its result (the last line it prints). */
function child<T>(job: ChildJob): Promise<T> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', childScript, JSON.stringify(job)], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()))
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()))
    proc.on('error', reject)
    proc.on('close', (code) => {
      const last = out.trim().split('\n').at(-1) ?? ''
      if (code !== 0) return reject(new Error(`ledger-store child (${job.mode}) exited with ${code}: ${err.trim().split('\n').slice(-8).join('\n')}`))
      try {
        resolve(JSON.parse(last) as T)
      } catch {
        reject(new Error(`ledger-store child (${job.mode}) printed no result: ${out.slice(-500)} ${err.slice(-500)}`))
      }
    })
  })
}

type Table = { kind: RunStore; label: string; runs: Run[] }

/** Prints a table of interleaved runs: median req/s and p95 per store, and each against memory's. */
function printRuns(title: string, unit: string, tables: Table[], extra?: (t: Table, perSecond: number) => string): void {
  const base = tables.find((t) => t.kind === 'memory')!
  const baseRate = median(base.runs.map((r) => r.perSecond))
  const baseP95 = median(base.runs.map((r) => r.p95))
  console.log(`\n${title}`)
  console.log(`${'store'.padEnd(30)} ${`${unit}/s`.padStart(12)} ${'p95 ms'.padStart(8)} ${'memory/store'.padStart(13)} ${'p95/memory'.padStart(11)}   rounds (${unit}/s)${extra ? '   ' : ''}`)
  for (const t of tables) {
    const rate = median(t.runs.map((r) => r.perSecond))
    const p95 = median(t.runs.map((r) => r.p95))
    console.log(
      `${t.label.padEnd(30)} ${fmt(rate).padStart(12)} ${fmt(p95).padStart(8)} ${`${fmt(baseRate / rate)}x`.padStart(13)} ${`${fmt(p95 / baseP95)}x`.padStart(11)}   ${t.runs.map((r) => fmt(r.perSecond)).join(', ')}${extra ? `   ${extra(t, rate)}` : ''}`,
    )
  }
  const sqlite = tables.find((t) => t.kind === 'sqlite')
  if (sqlite) {
    const ratio = median(sqlite.runs.map((r) => r.perSecond)) / baseRate
    // each round's memory run and SQLite run ran back to back: their ratio is less moved by the machine's drift
    const paired = median(sqlite.runs.map((r, i) => base.runs[i]!.perSecond / r.perSecond))
    console.log(`sqlite/memory throughput = ${fmt(ratio)} (memory/sqlite = ${fmt(1 / ratio)}x; median of the rounds' own memory/sqlite ratios ${fmt(paired)}x; goal <= 1.2x: ${paired <= 1.2 ? 'met' : 'not met'})`)
  }
}

const storeLabel: Record<RunStore, string> = { memory: 'memory', sqlite: 'sqlite (synchronous full)', file: 'file log (fsync)', 'sqlite-normal': 'sqlite (synchronous normal)' }

export async function runLedgerStoreBench(): Promise<void> {
  const started = performance.now()
  const root = await mkdtemp(join(tmpdir(), 'zrkit-bench-stores-'))
  try {
    // ---- 1. Throughput and latency, interleaved rounds -------------------------------------------------
    const baseline = nobleSignsPerSecond(1000)
    await endToEnd(await freshStore(root, 'memory'), 100, e2e.inFlight) // warm-up, not counted
    const e2eTables: Table[] = storeKinds.map((kind) => ({ kind, label: storeLabel[kind], runs: [] }))
    for (let r = 0; r < rounds; r++) for (const t of e2eTables) t.runs.push(await endToEnd(await freshStore(root, t.kind), e2e.total, e2e.inFlight))
    console.log(`\nLedger stores (same process; ${rounds} rounds, stores interleaved in each; median of the rounds). Baseline: one-party noble secp256k1.sign ${fmt(baseline)} signs/s`)
    printRuns(`End to end: ${e2e.total} sign requests, ${e2e.inFlight} in flight, connector + localKeyring`, 'requests', e2eTables, (_t, rate) => `noble/e2e = ${fmt(baseline / rate)}x`)
    console.log('Each request: signed tx in, policy check, fee escrow, event, connector pick-up, keyring sign, party-signed')
    console.log('response tx, signature verification, fee payout; 3 ECDSA verifies + 3 signs per request, all in this process.')
    console.log('p95: of each request, from client.sign to its signatures (queueing behind the others in flight included).')

    const sender = fastAccount('sender')
    const to = fastAccount('recipient').address
    const chainId = 'bench-ledger'
    const most = Math.max(...ledgerOnly.map((l) => l.total))
    const sends = Array.from({ length: most }, (_, i) => sender.tx(chainId, i, { type: 'bank.Send', to, amount: 1n }))
    const aloneKinds: RunStore[] = [...storeKinds, 'sqlite-normal']
    await ledgerAlone(await freshStore(root, 'memory'), sends, 500, 64, chainId, sender) // warm-up, not counted
    for (const { total, inFlight } of ledgerOnly) {
      const tables: Table[] = aloneKinds.map((kind) => ({ kind, label: storeLabel[kind], runs: [] }))
      for (let r = 0; r < rounds; r++) for (const t of tables) t.runs.push(await ledgerAlone(await freshStore(root, t.kind), sends, total, inFlight, chainId, sender))
      printRuns(`Ledger alone: ${total} presigned bank.Send txs, ${inFlight} in flight`, 'txs', tables)
    }
    console.log('Ledger alone: the txs are signed before the clock starts; each submit is timed until the ledger acknowledges it')
    console.log('(durable for the disk stores: one flush per group of txs in flight). Each tx costs one native ECDSA verify.')
    console.log('sqlite (synchronous normal): no flush of the write-ahead log per commit, to show what the flush costs.')

    // ---- 2. and 3. Histories: restart time and memory ------------------------------------------------
    const historyStarted = performance.now()
    const parts = Math.max(1, Math.min(2, availableParallelism()))
    const per = Math.ceil(history / parts)
    const files = Array.from({ length: parts }, (_, p) => join(root, `history-${p}.jsonl`))
    const presigned = await Promise.all(files.map((out, p) => child<PresignResult>({ mode: 'presign', out, from: p * per, count: Math.min(per, history - p * per), history: historyMode })))
    const start = presigned[0]!.start
    console.log(`\nHistories of sign requests (Ed25519 key, one-party keyring, fee 1), ${buildInFlight} requests in flight. Each request:`)
    if (historyMode === 'fulfil') console.log("the owner's NewSignRequest and the party's FulfilSignRequest (2 txs; 3 secp256k1 + 1 Ed25519 checks).")
    else {
      console.log(`the owner's NewSignRequest with the ledger's minimum TTL (${historyTtlMs} ms), closed by expiry (1 tx, 1 secp256k1 check;`)
      console.log(`the builder's ledger clock moves one TTL ahead every ${buildInFlight} requests, so few are ever open;`)
      console.log('ZRKIT_BENCH_HISTORY_MODE=fulfil closes them by fulfilment instead, about 3x slower to build).')
    }
    console.log(`${history} requests signed ahead in ${parts} processes (${seconds(performance.now() - historyStarted)} s, not counted). Building:`)

    const built = new Map<string, BuildResult>()
    const reopened = new Map<string, ReopenResult>()
    const dirOf = (kind: StoreKind, count: number) => join(root, `${kind}-${count}`)
    const build = async (kind: StoreKind, count: number, fileLogs?: { at: number; dir: string }[]) => {
      const t = performance.now()
      const result = await child<BuildResult>({ mode: 'build', kind, dir: dirOf(kind, count), files, count, inFlight: buildInFlight, start, history: historyMode, ...(fileLogs ? { fileLogs } : {}) })
      built.set(`${kind}:${count}`, result)
      console.log(`  ${kind} ${count}: ${seconds(result.ms)} s, ${fmt(count / (result.ms / 1000))} requests/s (process ${seconds(performance.now() - t)} s)`)
    }
    /** Opens the store in fresh processes: SQLite opens in milliseconds, so the median of 3; the file store replays, so one. */
    const reopen = async (kind: 'sqlite' | 'file', count: number) => {
      const opens: ReopenResult[] = []
      for (let i = 0; i < (kind === 'sqlite' ? 3 : 1); i++) opens.push(await child<ReopenResult>({ mode: 'reopen', kind, dir: dirOf(kind, count) }))
      opens.sort((a, b) => a.ms - b.ms)
      reopened.set(`${kind}:${count}`, opens[Math.floor(opens.length / 2)]!)
    }
    const sizes = [...new Set([smallHistory, history])]
    // SQLite builds each history itself. The memory build writes its log into file stores on the way (at each
    // size): the log a file-store ledger would hold, without building the same history twice more.
    await build('sqlite', smallHistory)
    await reopen('sqlite', smallHistory)
    const verified = await child<VerifyResult>({ mode: 'verify', dir: dirOf('sqlite', smallHistory) })
    if (smallHistory !== history) await rm(dirOf('sqlite', smallHistory), { recursive: true, force: true })
    await build('memory', history, sizes.map((at) => ({ at, dir: dirOf('file', at) })))
    for (const count of sizes) await reopen('file', count)
    if (smallHistory !== history) {
      await build('sqlite', history)
      await reopen('sqlite', history)
    }

    console.log(`\nRestart: createEmbeddedLedger on the store, in a fresh process (the OS file cache is warm)`)
    console.log(`${'store'.padEnd(26)} ${'requests'.padStart(8)} ${'height'.padStart(7)} ${'disk MB'.padStart(8)} ${'open ms'.padStart(9)} ${'RSS at open MB'.padStart(15)} ${'(- idle)'.padStart(9)} ${'RSS, heap after GC MB'.padStart(22)}`)
    for (const kind of ['sqlite', 'file'] as const) {
      for (const count of sizes) {
        const o = reopened.get(`${kind}:${count}`)!
        console.log(
          `${storeLabel[kind].padEnd(26)} ${String(count).padStart(8)} ${String(o.height).padStart(7)} ${mb(o.diskBytes).padStart(8)} ${fmt(o.ms).padStart(9)} ${mb(o.rssOpened).padStart(15)} ${mb(o.rssOpened - o.idle.rss).padStart(9)} ${`${mb(o.opened.rss)}, ${mb(o.opened.heapUsed)}`.padStart(22)}`,
        )
      }
    }
    const openMs = (kind: StoreKind, count: number) => reopened.get(`${kind}:${count}`)!.ms
    if (sizes.length > 1) {
      console.log(`open time ${history} / ${smallHistory} requests (history ${fmt(history / smallHistory)}x): sqlite ${fmt(openMs('sqlite', history) / openMs('sqlite', smallHistory))}x, file ${fmt(openMs('file', history) / openMs('file', smallHistory))}x`)
    }
    console.log(`file/sqlite open time at ${history} requests: ${fmt(openMs('file', history) / openMs('sqlite', history))}x`)
    console.log('SQLite resumes from its saved state (its head, counters and open requests; loading better-sqlite3 included);')
    console.log('the file store reads its whole log and replays every entry, checking every signature again. The file')
    console.log("stores hold the memory build's log. RSS at open: right after createEmbeddedLedger resolves (- idle: less the")
    console.log("process's RSS before it opened the store, after its imports); after GC: what the restarted server holds.")
    console.log('Disk: the database (its records, indexes, events and log) or the log file.')
    console.log(`verifyLedgerDatabase on the ${smallHistory}-request SQLite store (replays its log, O(history)): ${verified.ok ? 'ok' : `NOT ok: ${verified.problem}`}, ${seconds(verified.ms)} s`)

    console.log(`\nMemory of the process that built ${history} requests, after a forced GC (--expose-gc)`)
    console.log(`${'store'.padEnd(26)} ${'RSS MB'.padStart(8)} ${'heap MB'.padStart(8)} ${'RSS - idle MB'.padStart(14)} ${'heap - idle MB'.padStart(15)} ${'RSS/memory'.padStart(11)} ${'heap/memory'.padStart(12)}`)
    const mem = built.get(`memory:${history}`)!
    for (const kind of ['memory', 'sqlite'] as const) {
      const b = built.get(`${kind}:${history}`)!
      console.log(
        `${storeLabel[kind].padEnd(26)} ${mb(b.built.rss).padStart(8)} ${mb(b.built.heapUsed).padStart(8)} ${mb(b.built.rss - b.idle.rss).padStart(14)} ${mb(b.built.heapUsed - b.idle.heapUsed).padStart(15)} ${`${fmt(b.built.rss / mem.built.rss)}x`.padStart(11)} ${`${fmt(b.built.heapUsed / mem.built.heapUsed)}x`.padStart(12)}`,
      )
    }
    console.log(`idle: the same process after its imports, before its ledger opened (memory: RSS ${mb(mem.idle.rss)} MB, heap ${mb(mem.idle.heapUsed)} MB).`)
    console.log('memory keeps every record, event and log entry in the heap; sqlite keeps counters, open requests and up to')
    console.log("4096 parsed records (SQLite's page cache is in RSS, outside the heap). A file-store server holds what memory")
    console.log('holds, less the log: see its restarted process above.')

    const total = (performance.now() - started) / 1000
    console.log(`(${total.toFixed(1)} s; histories ${((performance.now() - historyStarted) / 1000).toFixed(1)} s)`)
    if (total > budgetSeconds) {
      console.log(`NOTE: this section took longer than its ${budgetSeconds / 60}-minute budget at ZRKIT_BENCH_HISTORY=${history}; the history part`)
      console.log('is bounded by signature verification (3 secp256k1 + 1 Ed25519 per request, on build and again on a file-store replay).')
    }
  } finally {
    await rm(root, { recursive: true, force: true })
  }
}

// Run directly: `npx tsx bench/ledgerStore.ts`.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runLedgerStoreBench()
