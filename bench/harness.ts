/**
 * What the MPC benchmarks share: a timing loop; n parties in one process over the real secure
 * transport (each with its own account, transport and session router); and n parties each in its own
 * worker thread, sharing nothing, with each thread's own CPU time (what a party spends on its own machine).
 */
import { readFileSync } from 'node:fs'
import { Worker, parentPort } from 'node:worker_threads'
import { type Account, generateAccount } from '@zrkit/core'
import {
  type Announcement,
  type MemoryRelay,
  type Relay,
  type RelayFrame,
  type SecureTransport,
  type SessionRouter,
  createSessionRouter,
  memoryRelay,
  secureTransport,
} from '@zrkit/mpc'

/** Prints a number with 1-3 significant decimals. */
/**
 * Prints a table: the header, a rule, then the rows, each column as wide as its widest cell; the first
 * `textColumns` columns left-aligned (labels), the others right-aligned (numbers).
 */
export function printTable(header: readonly string[], rows: readonly (readonly string[])[], textColumns = 1): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)))
  const line = (cells: readonly string[]) => cells.map((c, i) => (i < textColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
  console.log(line(header))
  console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const row of rows) console.log(line(row))
}

export const fmt = (n: number): string => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n >= 1 ? n.toFixed(2) : n.toFixed(3))

/** Runs `fn` at least `min` times and until `budgetMs` is spent (at most `max` times); mean ms per run. */
export async function measure(fn: (i: number) => Promise<unknown> | unknown, budgetMs: number, min: number, max: number, warmUp = true): Promise<number> {
  if (warmUp) await fn(-1) // not counted
  let n = 0
  const start = performance.now()
  while (n < max && (n < min || performance.now() - start < budgetMs)) await fn(n++)
  return (performance.now() - start) / n
}

/** n parties in this process. */
export type Network = { relay: MemoryRelay; parties: string[]; accounts: Account[]; routers: SessionRouter[]; transports: SecureTransport[]; close(): Promise<void> }

/** Starts n parties, each with its own account, secure transport and session router, on one in-process relay. */
export async function network(n: number): Promise<Network> {
  const relay = memoryRelay()
  const accounts = Array.from({ length: n }, () => generateAccount()).sort((a, b) => (a.address < b.address ? -1 : 1))
  const parties = accounts.map((a) => a.address)
  const transports = await Promise.all(accounts.map((account) => secureTransport({ account, relay, peers: parties.filter((p) => p !== account.address), timeoutMs: 60_000 })))
  const routers = transports.map((t) => createSessionRouter(t, { timeoutMs: 60_000 }))
  return {
    relay,
    parties,
    accounts,
    routers,
    transports,
    async close() {
      routers.forEach((r) => r.close())
      await Promise.all(transports.map((t) => t.close()))
    },
  }
}

// ---- Per party: each party in its own worker thread -------------------------------------------

/** This thread's CPU time in ms (Linux `/proc/thread-self/schedstat`), or undefined where the kernel does not report it. */
export function threadCpuMs(): number | undefined {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6
  } catch {
    return undefined
  }
}

/**
 * CPU ms one run of `fn` took on this thread, or undefined where the thread's clock cannot be read. Give it a
 * long run (hundreds of ms): the kernel's per-thread CPU clock advances in steps of a few ms, so a short span
 * reads 0 or one step (a median of batches of 10 noble signatures came out 0.4 ms whatever they cost).
 */
export function spanCpuMs(fn: () => void): number | undefined {
  const c0 = threadCpuMs()
  fn()
  const c1 = threadCpuMs()
  return c0 === undefined || c1 === undefined ? undefined : c1 - c0
}

/** What a party worker holds: its own account, secure transport and session router, and every party's address. */
export type PartyContext = { readonly account: Account; readonly parties: readonly string[]; readonly router: SessionRouter; readonly transport: SecureTransport }
/** The operations a benchmark's party workers run, by name (each party keeps its own state in the closure). */
export type PartyOps = Record<string, (ctx: PartyContext, args: never) => Promise<unknown>>

type ToWorker =
  | { type: 'start'; parties: string[] }
  | { type: 'frame'; frame: RelayFrame }
  | { type: 'announce'; announcement: Announcement }
  | { type: 'op'; req: number; name: string; args: unknown }
  | { type: 'cpu'; req: number }
type FromWorker =
  | { type: 'hello'; address: string }
  | { type: 'ready' }
  | { type: 'frame'; frame: RelayFrame }
  | { type: 'announce'; announcement: Announcement }
  | { type: 'done'; req: number; error?: string; cpuMs?: number | undefined }

/**
 * The body of a party worker thread: a relay over the port to the main thread, the party's own
 * transport and router, and `ops` run on the main thread's request. Call it from the benchmark's
 * module when `workerData.role` is the role given to {@link workerNetwork}.
 */
export async function partyWorker(ops: PartyOps): Promise<void> {
  const port = parentPort!
  const account = generateAccount()
  let deliver: ((frame: RelayFrame) => void) | undefined
  const directory: Announcement[] = []
  const watchers = new Set<(a: Announcement) => void>()
  const relay: Relay = {
    connect(party, onFrame) {
      deliver = onFrame
      return {
        send: (to, bytes) => port.postMessage({ type: 'frame', frame: { from: party, to, bytes } } satisfies FromWorker),
        close: () => {
          deliver = undefined
        },
      }
    },
    announce: (announcement) => port.postMessage({ type: 'announce', announcement } satisfies FromWorker),
    onAnnouncement(fn) {
      watchers.add(fn)
      const existing = directory.slice()
      setTimeout(() => existing.forEach((a) => watchers.has(fn) && fn(a)), 0)
      return () => watchers.delete(fn)
    },
  }
  let ctx: PartyContext | undefined
  const done = (req: number, error?: unknown) => port.postMessage({ type: 'done', req, ...(error ? { error: String(error) } : {}) } satisfies FromWorker)
  port.on('message', (m: ToWorker) => {
    if (m.type === 'frame') deliver?.(m.frame)
    else if (m.type === 'announce') {
      directory.push(m.announcement)
      for (const fn of watchers) fn(m.announcement)
    } else if (m.type === 'start') {
      const parties = m.parties
      void secureTransport({ account, relay, peers: parties.filter((p) => p !== account.address), timeoutMs: 120_000 }).then((transport) => {
        ctx = { account, parties, transport, router: createSessionRouter(transport, { timeoutMs: 120_000 }) }
        port.postMessage({ type: 'ready' } satisfies FromWorker)
      })
    } else if (m.type === 'op') {
      const op = ops[m.name]
      if (!op || !ctx) done(m.req, `no operation ${m.name}`)
      else op(ctx, m.args as never).then(() => done(m.req), (e) => done(m.req, e))
    } else if (m.type === 'cpu') port.postMessage({ type: 'done', req: m.req, cpuMs: threadCpuMs() } satisfies FromWorker)
  })
  port.postMessage({ type: 'hello', address: account.address } satisfies FromWorker)
}

/** n parties in n worker threads, driven from this thread (which only relays their frames and announcements). */
export type WorkerNetwork = {
  /** Every party's address, sorted. */
  readonly parties: readonly string[]
  /** Runs operation `name` at the parties `at` (default: all) with `args`; resolves when every one of them is done. */
  run(name: string, args: unknown, at?: readonly string[]): Promise<void>
  /** The thread CPU time so far (ms) of the parties `at` (default: all), or undefined where not available. */
  cpu(at?: readonly string[]): Promise<number[] | undefined>
  close(): Promise<void>
}

/**
 * Starts n party workers, each loading `moduleUrl` (the benchmark's own module, which calls
 * {@link partyWorker} with its operations when `workerData.role === role`).
 */
export async function workerNetwork(n: number, moduleUrl: string, role: string): Promise<WorkerNetwork> {
  // Workers load the module; under tsx they need its loader, registered before the import.
  let entry = new URL(moduleUrl)
  try {
    const api = import.meta.resolve('tsx/esm/api')
    const tsconfig = process.env.TSX_TSCONFIG_PATH
    const code = `const { register } = await import(${JSON.stringify(api)}); register(${tsconfig ? JSON.stringify({ tsconfig }) : ''}); await import(${JSON.stringify(moduleUrl)})`
    entry = new URL(`data:text/javascript,${encodeURIComponent(code)}`)
  } catch {
    // not under tsx: the module is plain JavaScript already
  }
  const workers = Array.from({ length: n }, () => new Worker(entry, { workerData: { role } }))
  const byParty = new Map<string, Worker>()
  const waiting = new Map<number, { resolve: (m: Extract<FromWorker, { type: 'done' }>) => void; reject: (e: Error) => void }>()
  let req = 0
  let readyCount = 0
  let onReady: () => void = () => {}
  const addresses: string[] = []
  let onHello: () => void = () => {}
  for (const w of workers) {
    w.on('error', (e) => [...waiting.values()].forEach((p) => p.reject(e)))
    w.on('message', (m: FromWorker) => {
      if (m.type === 'hello') {
        byParty.set(m.address, w)
        addresses.push(m.address)
        if (addresses.length === n) onHello()
      } else if (m.type === 'frame') byParty.get(m.frame.to)?.postMessage({ type: 'frame', frame: m.frame } satisfies ToWorker)
      else if (m.type === 'announce') workers.forEach((x) => x.postMessage({ type: 'announce', announcement: m.announcement } satisfies ToWorker))
      else if (m.type === 'ready') {
        if (++readyCount === n) onReady()
      } else if (m.type === 'done') {
        const p = waiting.get(m.req)
        waiting.delete(m.req)
        if (m.error) p?.reject(new Error(m.error))
        else p?.resolve(m)
      }
    })
  }
  await new Promise<void>((r) => (onHello = r))
  const parties = [...addresses].sort()
  await new Promise<void>((r) => {
    onReady = r
    workers.forEach((w) => w.postMessage({ type: 'start', parties } satisfies ToWorker))
  })
  const ask = (at: readonly string[] | undefined, make: (req: number) => ToWorker) =>
    Promise.all(
      (at ?? parties).map((p) => {
        const w = byParty.get(p)!
        const r = req++
        return new Promise<Extract<FromWorker, { type: 'done' }>>((resolve, reject) => {
          waiting.set(r, { resolve, reject })
          w.postMessage(make(r))
        })
      }),
    )
  return {
    parties,
    run: async (name, args, at) => {
      await ask(at, (r) => ({ type: 'op', req: r, name, args }))
    },
    cpu: async (at) => {
      const got = (await ask(at, (r) => ({ type: 'cpu', req: r }))).map((m) => m.cpuMs)
      return got.every((x): x is number => typeof x === 'number') ? got : undefined
    },
    close: async () => {
      await Promise.all(workers.map((w) => w.terminate()))
    },
  }
}

/** CPU ms per party and operation (mean over the parties measured, and the busiest), over `runs` runs after one warm-up. */
export async function perPartyCpu(cpu: () => Promise<number[] | undefined>, op: (i: number) => Promise<void>, runs: number, warmUp = true): Promise<{ mean: number; max: number } | undefined> {
  if (warmUp) await op(-1) // not counted
  const before = await cpu()
  for (let i = 0; i < runs; i++) await op(i)
  const after = await cpu()
  if (!before || !after) return undefined
  const each = after.map((a, i) => (a - before[i]!) / runs)
  return { mean: each.reduce((s, x) => s + x, 0) / each.length, max: Math.max(...each) }
}
