/**
 * Processes racing for the same stale lock: a process opens many stores (or relay journals) and is
 * SIGKILLed, leaving each with the lock of a dead process; then, one directory per trial, several
 * processes wait at a barrier (a file they poll for) and open it at the same instant. Exactly one may
 * get it, the others must be refused naming the winner's pid, and the directory must open cleanly
 * afterwards with the winner's write in it (two winners both append height 2: STORE_CORRUPT).
 *
 * ZRKIT_RACE_TRIALS sets the number of trials per race (default 80).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { isZrError } from '../errors/ZrError.js'
import { fileStore } from '../ledger/store/fileStore.js'
import { fileRelayJournal } from '../relayer/fileRelayJournal.js'
import { readDirectoryLock } from './directoryLock.js'

const TRIALS = Math.max(1, Number(process.env.ZRKIT_RACE_TRIALS) || 80)
const RACERS = 4
const root = fileURLToPath(new URL('../../../../', import.meta.url))
const moduleUrl = (p: string) => new URL(p, import.meta.url).href

/**
 * The racing process (plain JS; tsx loads the TypeScript modules). Commands on stdin, one a line:
 *   hold <json dirs>          open each directory (a store gets one entry), say `held`, then wait to be killed
 *   arm <k> <dir> <go file>   say `armed <k>`, spin until <go file> exists, open <dir> and write to it:
 *                             `won <k> <entries before>` or `lost <k> <code> <holder pid>`
 *   release <k>               close what trial <k> opened, say `released <k>`
 */
const CHILD = `
import { existsSync } from 'node:fs'
import { createInterface } from 'node:readline'
const { fileStore } = await import(process.env.ZRKIT_RACE_STORE)
const { fileRelayJournal } = await import(process.env.ZRKIT_RACE_JOURNAL)
const kind = process.env.ZRKIT_RACE_KIND
const say = (line) => process.stdout.write(line + '\\n')
const relayId = process.pid.toString(16).padStart(32, '0')
const nap = new Int32Array(new SharedArrayBuffer(4))
async function open(dir, options) {
  if (kind === 'store') {
    const store = fileStore(dir, options)
    try {
      const entries = await store.load()
      await store.append([{ height: entries.length + 1, time: Date.now(), body: JSON.stringify({ pid: process.pid }) }])
      return { before: entries.length, close: () => store.close() }
    } catch (e) {
      await store.close()
      throw e
    }
  }
  const journal = fileRelayJournal(dir)
  try {
    const records = await journal.list()
    if (options) return { before: records.length, close: () => journal.close?.() }
    await journal.put({ id: relayId, chain: 'eip155:31337', ledgerChainId: 'race', keyId: 1, unsignedTx: '0x00', payloads: [], summary: {}, status: 'prepared', createdAt: 1, updatedAt: 1 })
    return { before: records.length, close: () => journal.close?.() }
  } catch (e) {
    await journal.close?.()
    throw e
  }
}
const opened = new Map()
for await (const line of createInterface({ input: process.stdin })) {
  const [command, ...args] = line.split(' ')
  if (command === 'hold') {
    // Only to leave stale locks behind: no flushing (the lock never flushes), and journals stay empty.
    for (const dir of JSON.parse(args.join(' '))) opened.set(dir, await open(dir, { fsync: false }))
    say('held')
  } else if (command === 'arm') {
    const [k, dir, go] = args
    say('armed ' + k)
    // Poll every ~0.1 ms without burning the CPU the other racers need.
    const deadline = Date.now() + 10000
    while (!existsSync(go) && Date.now() < deadline) Atomics.wait(nap, 0, 0, 0.1)
    try {
      const it = await open(dir)
      opened.set(k, it)
      say('won ' + k + ' ' + it.before)
    } catch (e) {
      say('lost ' + k + ' ' + (e?.code ?? 'none') + ' ' + (e?.meta?.pid ?? 'none') + ' ' + JSON.stringify(String(e?.message ?? e).split('\\n')[0]))
    }
  } else if (command === 'release') {
    await opened.get(args[0])?.close()
    opened.delete(args[0])
    say('released ' + args[0])
  } else if (command === 'exit') {
    break
  }
}
process.exit(0)
`

type Racer = { child: ChildProcess; send(line: string): void; take(): Promise<string>; exited: Promise<number | null> }

function startRacer(kind: 'store' | 'journal'): Racer {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], {
    cwd: root,
    env: {
      ...process.env,
      ZRKIT_RACE_KIND: kind,
      ZRKIT_RACE_STORE: moduleUrl('../ledger/store/fileStore.ts'),
      ZRKIT_RACE_JOURNAL: moduleUrl('../relayer/fileRelayJournal.ts'),
    },
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  child.stdin!.on('error', () => {}) // writes after a SIGKILL
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const lines: string[] = []
  const waiting: ((line: string) => void)[] = []
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const waiter = waiting.shift()
    if (waiter) waiter(line)
    else lines.push(line)
  })
  return {
    child,
    exited,
    send: (line) => void child.stdin!.write(`${line}\n`),
    take: () =>
      lines.length > 0
        ? Promise.resolve(lines.shift()!)
        : new Promise<string>((resolve, reject) => {
            waiting.push(resolve)
            void exited.then((code) => reject(new Error(`racer ${child.pid} exited (${code}) while the test waited for a line`)))
          }),
  }
}

const bases: string[] = []
afterAll(async () => {
  for (const base of bases) await rm(base, { recursive: true, force: true })
})

/** Runs the trials; returns what happened in each, for one assertion over all of them. */
async function race(kind: 'store' | 'journal') {
  const base = await mkdtemp(join(tmpdir(), `zrkit-lock-race-${kind}-`))
  bases.push(base)
  const dirs = Array.from({ length: TRIALS }, (_, k) => join(base, `dir-${k}`))
  for (const dir of dirs) await mkdir(dir)

  // One process opens every directory and dies: each is left locked by a dead process.
  const crasher = startRacer(kind)
  const racers = Array.from({ length: RACERS }, () => startRacer(kind))
  crasher.send(`hold ${JSON.stringify(dirs)}`)
  expect(await crasher.take()).toBe('held')
  crasher.child.kill('SIGKILL')
  await crasher.exited
  const deadPid = crasher.child.pid!
  const staleLock = (await readDirectoryLock(dirs[0]!)).map((h) => (h.pid === deadPid ? 'dead process' : h.pid))
  const summary = { trials: 0, oneWinner: 0, refusedNamingWinner: 0, winners: [] as number[], refusals: [] as string[] }
  try {
    for (const [k, dir] of dirs.entries()) {
      const go = join(base, `go-${k}`)
      for (const r of racers) r.send(`arm ${k} ${dir} ${go}`)
      for (const r of racers) expect(await r.take()).toBe(`armed ${k}`)
      await writeFile(go, '') // the barrier opens: everyone opens the directory now
      const results = await Promise.all(racers.map(async (r) => ({ pid: r.child.pid!, words: (await r.take()).split(' ') })))
      const won = results.filter((r) => r.words[0] === 'won')
      summary.trials++
      summary.winners.push(won.length)
      if (won.length === 1) summary.oneWinner++
      for (const r of results) {
        if (r.words[0] !== 'lost') continue
        if (r.words[2] === 'LEDGER_UNAVAILABLE' && won.length === 1 && r.words[3] === String(won[0]!.pid)) summary.refusedNamingWinner++
        else if (summary.refusals.length < 5) summary.refusals.push(r.words.join(' '))
      }
      // Release only once everyone has tried: nobody may get it while the winner holds it.
      for (const r of won) racers.find((x) => x.child.pid === r.pid)!.send(`release ${k}`)
      for (const r of won) expect(await racers.find((x) => x.child.pid === r.pid)!.take()).toBe(`released ${k}`)
    }
  } finally {
    for (const r of racers) r.send('exit')
    await Promise.all(racers.map((r) => r.exited))
  }

  // Afterwards each directory opens cleanly, with the winner's write (and the dead process's entry).
  let intact = 0
  const damage: string[] = []
  for (const dir of dirs) {
    try {
      if (kind === 'store') {
        const store = fileStore(dir)
        const entries = await store.load().finally(() => store.close())
        if (entries.length === 2) intact++
        else damage.push(`${dir}: ${entries.length} entries`)
      } else {
        const journal = fileRelayJournal(dir)
        const records = await journal.list().finally(() => journal.close())
        if (records.length === 1) intact++
        else damage.push(`${dir}: ${records.length} records`)
      }
    } catch (e) {
      damage.push(`${dir}: ${isZrError(e) ? e.code : String(e)}`)
    }
  }
  return { staleLock, summary, intact, damage: damage.slice(0, 5) }
}

describe('stale lock race between processes', () => {
  it(`fileStore: of ${RACERS} processes opening a stale store at the same instant, exactly one gets it, and the log stays intact (${TRIALS} trials)`, async () => {
    const { staleLock, summary, intact, damage } = await race('store')
    expect({ staleLock, oneWinner: summary.oneWinner, refusedNamingWinner: summary.refusedNamingWinner, intact, refusals: summary.refusals, damage }).toEqual({
      staleLock: ['dead process'],
      oneWinner: TRIALS,
      refusedNamingWinner: TRIALS * (RACERS - 1),
      intact: TRIALS,
      refusals: [],
      damage: [],
    })
  }, 120_000)

  it(`fileRelayJournal: of ${RACERS} processes opening a stale journal at the same instant, exactly one gets it, the others are refused while it holds it (${TRIALS} trials)`, async () => {
    const { staleLock, summary, intact, damage } = await race('journal')
    expect({ staleLock, oneWinner: summary.oneWinner, refusedNamingWinner: summary.refusedNamingWinner, intact, refusals: summary.refusals, damage }).toEqual({
      staleLock: ['dead process'],
      oneWinner: TRIALS,
      refusedNamingWinner: TRIALS * (RACERS - 1),
      intact: TRIALS,
      refusals: [],
      damage: [],
    })
  }, 120_000)
})
