/**
 * Durability under crashes: the ledger runs in a child process on a file store, then on a SQLite
 * store; the test streams
 * signed txs into it and SIGKILLs it at random points, restarts it and resends what was not
 * acknowledged. At the end nothing acknowledged is lost, nothing is applied twice, and replaying the
 * log up to any acknowledged height (and up to each restart) rebuilds exactly the state the process
 * reported there.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { createEmbeddedLedger, keyringAddress, memoryStore, txHash } from '@zrkit/core'
import { canonicalStringify } from '@zrkit/core/internal'
import { fileStore, sqliteStore } from '@zrkit/core/node'
import { afterAll, describe, expect, it } from 'vitest'
import { alice, bob, genesis, txStream } from './stream.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const script = fileURLToPath(new URL('./ledgerProcess.ts', import.meta.url))
const dirs: string[] = []
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

type Run = { child: ChildProcess; ready: Promise<{ height: number; hash: string }>; exited: Promise<number | null> }

type StoreKind = 'file' | 'sqlite'
const openStore = (kind: StoreKind, dir: string) => (kind === 'sqlite' ? sqliteStore(dir) : fileStore(dir))

/** The log as the store keeps it (a SQLite store keeps it beside the state, as its audit journal). */
async function readLog(kind: StoreKind, dir: string) {
  if (kind === 'file') {
    const store = fileStore(dir)
    const e = await store.load()
    await store.close()
    return e
  }
  const store = sqliteStore(dir)
  await store.open()
  const e = [...store.log(0)]
  await store.close()
  return e
}

function startLedger(kind: StoreKind, dir: string, onLine: (words: string[]) => void): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', script, dir, kind], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] })
  let ready!: (v: { height: number; hash: string }) => void
  const readyP = new Promise<{ height: number; hash: string }>((r) => (ready = r))
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const words = line.split(' ')
    if (words[0] === 'ready') ready({ height: Number(words[1]), hash: words[2]! })
    else onLine(words)
  })
  child.stdin!.on('error', () => {}) // writes after a SIGKILL
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
  return { child, ready: readyP, exited }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe.each(['file', 'sqlite'] as const)('durability of a %s store', (kind) => {
  it('survives SIGKILL at random points: nothing acknowledged lost, nothing applied twice, identical state on replay', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'zrkit-durability-'))
    dirs.push(dir)
    const stream = await txStream(300)
    const hashes = stream.map((s) => txHash(s.tx))
    const lines = stream.map((s) => canonicalStringify(s.tx))

    const ackedHeight = new Map<string, number>() // acknowledged: must survive
    const replayed = new Set<string>() // applied before a crash without an acknowledgement
    const snapshots = new Map<number, string>() // height -> state hash the process reported there
    const errors: string[] = []
    const killsMidStream: number[] = []

    const kills = 6
    for (let round = 0; round <= kills; round++) {
      const run = startLedger(kind, dir, (w) => {
        if (w[0] === 'ack') {
          ackedHeight.set(w[1]!, Number(w[2]))
          if (w[3]) snapshots.set(Number(w[2]), w[3])
        } else if (w[0] === 'err') {
          if (w[2] === 'TX_REPLAYED') replayed.add(w[1]!)
          else errors.push(`${w[1]} ${w[2]}`)
        }
      })
      const ready = await run.ready
      // A restart holds exactly the state reported at that height before the crash (when one was).
      if (snapshots.has(ready.height)) expect(ready.hash).toBe(snapshots.get(ready.height))
      snapshots.set(ready.height, ready.hash)
      // Resend, in order, everything not known to be applied.
      const todo = lines.filter((_, i) => !ackedHeight.has(hashes[i]!) && !replayed.has(hashes[i]!))
      // Like a client, keep at most `window` txs unanswered: a kill then always finds some txs durable
      // but unacknowledged, some in flight, and the rest not yet sent.
      let alive = true
      const window = 16
      const answered = () => ackedHeight.size + replayed.size + errors.length
      const answeredBefore = answered()
      const feeding = (async () => {
        for (let i = 0; i < todo.length && alive; ) {
          if (i - (answered() - answeredBefore) < window) run.child.stdin!.write(`${todo[i++]}\n`)
          else await sleep(1)
        }
      })()
      if (round < kills) {
        // Kill after a random number of new acknowledgements (not after a fixed time, which a slow
        // machine may spend starting up), plus a random few ms so it can land mid-write.
        const target = Math.min(hashes.length - 1, ackedHeight.size + replayed.size + 5 + Math.floor(Math.random() * 60))
        const deadline = Date.now() + 20_000
        while (ackedHeight.size + replayed.size < target && Date.now() < deadline) await sleep(1)
        await sleep(Math.floor(Math.random() * 6))
        alive = false
        const before = ackedHeight.size
        run.child.kill('SIGKILL')
        await run.exited
        await feeding
        if (before > 0 && before < hashes.length) killsMidStream.push(before)
      } else {
        await feeding
        while (ackedHeight.size + replayed.size < hashes.length && errors.length === 0) await sleep(20)
        run.child.stdin!.end()
        expect(await run.exited).toBe(0)
      }
    }

    expect(errors).toEqual([])
    // The kills really landed while txs were streaming in.
    expect(killsMidStream.length).toBe(kills)

    // Reopen in this process: every tx is applied exactly once, at the height acknowledged.
    const entries = await readLog(kind, dir)
    const ledger = await createEmbeddedLedger({ store: openStore(kind, dir), genesis, autoTick: false })
    for (const [i, hash] of hashes.entries()) {
      const rec = await ledger.query('tx', { hash })
      expect(rec, `tx ${i} is applied`).not.toBeNull()
      if (ackedHeight.has(hash)) expect(rec!.height).toBe(ackedHeight.get(hash))
    }
    const inLog = entries.flatMap((e) => (e.body.startsWith('{"tx"') ? [e.body] : []))
    expect(inLog.length).toBe(hashes.length) // no tx twice, none missing
    expect(new Set(inLog).size).toBe(hashes.length)

    // The state reflects each tx once: key requests, fees and sequences add up.
    const keyRequests = stream.filter((s) => s.kind === 'keyRequest').length
    const sends = stream.filter((s) => s.kind === 'send').length
    expect((await ledger.query('keyRequests', { limit: 1000 })).items.length).toBe(keyRequests)
    expect((await ledger.query('account', { address: alice.address })).sequence).toBe(1 + keyRequests)
    expect((await ledger.query('account', { address: bob.address })).sequence).toBe(sends)
    expect((await ledger.query('account', { address: alice.address })).balance).toBe(1_000_000_000n - 3n * BigInt(keyRequests) + 7n * BigInt(sends))
    expect((await ledger.query('account', { address: keyringAddress(1) })).balance).toBe(0n) // fees still in escrow
    const finalHash = ledger.stateHash()
    await ledger.close()

    // Replaying the log up to an acknowledged height rebuilds exactly the state reported there.
    const heights = [...snapshots.keys()].sort((a, b) => a - b)
    expect(heights.length).toBeGreaterThanOrEqual(kills)
    const sample = [...new Set([heights[0]!, ...heights.filter((_, i) => i % Math.ceil(heights.length / 12) === 0), heights.at(-1)!])]
    for (const h of sample) {
      const mem = memoryStore()
      await mem.append(entries.slice(0, h))
      const replica = await createEmbeddedLedger({ store: mem, genesis, autoTick: false })
      expect(replica.stateHash(), `state at height ${h}`).toBe(snapshots.get(h))
      await replica.close()
    }
    // The state reopened at the end is the state the last process reported, when it reported the last height.
    if (snapshots.has(entries.length)) expect(finalHash).toBe(snapshots.get(entries.length))
  })
})
