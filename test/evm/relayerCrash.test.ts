/**
 * A relayer killed after fulfilment and restarted broadcasts exactly once. The relayer runs in a child
 * process (test/evm/relayerProcess.ts) with a file journal, reaching this process's ledger over its
 * stdio and anvil through a proxy here that counts every `eth_sendRawTransaction`. It is SIGKILLed at
 * three points: as soon as the ledger reports the request fulfilled (wherever the relayer then is), just
 * before the broadcast leaves it, and just after the node took the transaction but before the journal
 * heard of it. A second process on the same journal runs recover(). Each time: one signature request,
 * one broadcast, one transaction on chain, the value paid once.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { type Server, createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { publicKeyToEvmAddress, serveLedger } from '@zrkit/core'
import { canonicalParse } from '@zrkit/core/internal'
import { fileRelayJournal } from '@zrkit/core/node'
import { type Address, parseEther } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Anvil, startAnvil } from './anvil.js'
import { type EvmWorld, evmWorld } from './world.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const script = fileURLToPath(new URL('./relayerProcess.ts', import.meta.url))
const RECIPIENT: Address = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'

let anvil: Anvil
let proxy: { url: string; sends: number; server: Server }
const dirs: string[] = []

beforeAll(async () => {
  anvil = await startAnvil()
  // A JSON-RPC proxy in front of anvil that counts broadcasts.
  const p = { url: '', sends: 0, server: undefined as unknown as Server }
  p.server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const calls = [JSON.parse(body)].flat() as { method: string }[]
      p.sends += calls.filter((c) => c.method === 'eth_sendRawTransaction').length
      const answer = await fetch(anvil.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text())
    })
  })
  await new Promise<void>((r) => p.server.listen(0, '127.0.0.1', r))
  const address = p.server.address()
  p.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  proxy = p
})
afterAll(async () => {
  await new Promise<void>((r) => proxy?.server.close(() => r()))
  await anvil?.stop()
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

type Child = { child: ChildProcess; lines: string[]; next(prefix: string): Promise<string>; exited: Promise<number | null> }

/** Starts the relayer process, serving it this process's ledger over its stdio. */
function startRelayer(w: EvmWorld, env: Record<string, string>): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: root, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit', 'pipe'] })
  child.stdin!.on('error', () => {}) // writes after a SIGKILL
  const stdout = createInterface({ input: child.stdout! })
  const served = serveLedger(w.ledger, { send: (m) => child.stdin!.writable && child.stdin!.write(`${m}\n`), onMessage: (fn) => stdout.on('line', fn) })
  const exited = new Promise<number | null>((r) =>
    child.on('exit', (code) => {
      served.close()
      r(code)
    }),
  )
  const lines: string[] = []
  const waiters: { prefix: string; resolve: (line: string) => void }[] = []
  createInterface({ input: child.stdio[3] as Readable }).on('line', (line) => {
    lines.push(line)
    for (const w of waiters.splice(0)) {
      if (line.startsWith(w.prefix)) w.resolve(line)
      else waiters.push(w)
    }
  })
  return {
    child,
    lines,
    exited,
    next: (prefix) =>
      new Promise<string>((resolve, reject) => {
        const seen = lines.find((l) => l.startsWith(prefix))
        if (seen) return resolve(seen)
        waiters.push({ prefix, resolve })
        void exited.then((code) => reject(new Error(`relayer process exited (${code}) before reporting "${prefix}"; it reported: ${lines.join(' | ')}`)))
      }),
  }
}

describe('EVM relayer crash', () => {
  it('killed with SIGKILL after fulfilment (three points) and restarted, it broadcasts exactly once', async () => {
    const seed = `evm-crash-${Date.now()}-${Math.random()}`
    const w = await evmWorld(anvil, { seed })
    const stopApproving = w.bobApprovesAll()
    const address = publicKeyToEvmAddress(w.key.publicKey)
    await w.fund(address, parseEther('10'))
    const journal = await mkdtemp(join(tmpdir(), 'zrkit-evm-crash-'))
    dirs.push(journal)
    const env = { ZRKIT_SEED: seed, ZRKIT_KEY_ID: String(w.key.id), ZRKIT_RPC: proxy.url, ZRKIT_JOURNAL: journal, ZRKIT_TO: RECIPIENT }

    const scenarios = [
      { hang: '', killOn: 'fulfilled' }, // wherever the relayer is when the ledger fulfils
      { hang: 'before-broadcast', killOn: 'rpc-send' }, // signed and journaled, not yet sent
      { hang: 'after-broadcast', killOn: 'rpc-sent' }, // the node has it, the journal does not know
    ]
    for (const [i, { hang, killOn }] of scenarios.entries()) {
      const value = BigInt(1000 + i)
      const sendsBefore = proxy.sends
      const recipientBefore = await w.publicClient.getBalance({ address: RECIPIENT })

      const first = startRelayer(w, { ...env, ZRKIT_MODE: 'send', ZRKIT_VALUE: String(value), ZRKIT_HANG: hang })
      const requestId = Number((await first.next('requested ')).split(' ')[1])
      await first.next(killOn)
      first.child.kill('SIGKILL')
      expect(await first.exited).toBe(null) // killed, not exited
      expect(first.lines.some((l) => l.startsWith('done'))).toBe(false)
      expect((await w.alice.getSignRequest({ id: requestId })).status).toBe('fulfilled')

      const second = startRelayer(w, { ...env, ZRKIT_MODE: 'recover' })
      const report = canonicalParse<{ finished: { requestId: number; txid: string; status: string }[]; waiting: number[]; failed: string[] }>((await second.next('recovered ')).slice('recovered '.length))
      expect(await second.exited).toBe(0)

      expect(report.failed).toEqual([])
      expect(report.waiting).toEqual([])
      expect(report.finished.map((f) => [f.requestId, f.status])).toEqual([[requestId, 'success']])
      // Exactly one broadcast over both runs, one transaction on chain, the value paid once.
      expect(proxy.sends - sendsBefore, `scenario ${i} (${killOn})`).toBe(1)
      expect(await w.publicClient.getTransactionCount({ address })).toBe(i + 1)
      expect(await w.publicClient.getBalance({ address: RECIPIENT })).toBe(recipientBefore + value)
      const tx = await w.publicClient.getTransaction({ hash: report.finished[0]!.txid as `0x${string}` })
      expect([tx.value, tx.nonce, tx.from]).toEqual([value, i, address.toLowerCase()])
      // One signature request per transaction: the restart built nothing new.
      expect((await w.alice.listSignRequests({ keyId: w.key.id })).items.length).toBe(i + 1)
      const inspected = fileRelayJournal(journal)
      const records = await inspected.list()
      await inspected.close() // gives the journal's lock back for the next relayer process
      expect(records.map((r) => r.status)).toEqual(records.map(() => 'confirmed'))
      expect(records.find((r) => r.requestId === requestId)!.txid).toBe(report.finished[0]!.txid)
    }
    stopApproving()
    await w.close()
  }, 240_000) // six relayer processes start one after another: generous for a loaded machine
})
