/**
 * A ledger served over WebSocket by another process (listenLedger in test/remote/wsLedgerServer.ts),
 * reached with connectLedgerWs over real sockets on 127.0.0.1: the server is killed (SIGKILL) and started
 * again on the same port and directory, stopped (SIGSTOP) and killed with calls in flight.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { type Ledger, type LedgerEvent, type ZrError, connectLedgerWs, createZrClient, generateAccount, isZrError, signTx } from '@zrkit/core'
import { canonicalStringify } from '@zrkit/core/internal'
import { until } from '@zrkit/testkit'
import { describe, expect, it, onTestFinished } from 'vitest'
import { WebSocket } from 'ws'

const root = fileURLToPath(new URL('../..', import.meta.url))
const [alice, bob] = ['alice', 'bob'].map((s) => generateAccount(`remote:${s}`)) as [ReturnType<typeof generateAccount>, ReturnType<typeof generateAccount>]
const genesis = { chainId: 'zrkit-ws', balances: [alice, bob].map((a) => ({ address: a.address, amount: 10_000n })) }

type Server = { child: ChildProcess; port: number; exited: Promise<void> }

/** Starts a server process and resolves once it listens (it prints `listening <port>`). */
async function startServer(env: Record<string, string> = {}): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./wsLedgerServer.ts', import.meta.url))], {
    cwd: root,
    env: { ...process.env, ZRKIT_GENESIS: canonicalStringify(genesis), ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  onTestFinished(() => void (child.exitCode === null && child.signalCode === null && child.kill('SIGKILL')))
  const exited = new Promise<void>((r) => child.on('exit', () => r()))
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) => resolve(Number(line.replace('listening ', ''))))
    void exited.then(() => reject(new Error('the server exited before it listened')))
  })
  return { child, port, exited }
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'zrkit-ws-'))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Every bank.transfer event of the ledger, read on a connection of its own. */
async function transfersOn(ledger: Ledger, count: number): Promise<LedgerEvent[]> {
  const all: LedgerEvent[] = []
  const stop = ledger.subscribe({ types: ['bank.transfer'] }, (e) => all.push(e), { fromSeq: 1 })
  await until(() => all.length >= count, `${count} transfers`)
  await new Promise((r) => setTimeout(r, 100))
  stop()
  return all
}

const settledWithin = (p: Promise<unknown>, ms: number) => Promise.race([p.then((v) => v, (e: unknown) => e), new Promise((r) => setTimeout(() => r('still pending'), ms))])

/** A server process that dies right after applying the next submit, before its reply; a client of Alice on it. */
async function dyingAfterSubmit() {
  const dir = tempDir()
  const first = await startServer({ ZRKIT_DIR: dir, ZRKIT_DIE_AFTER_SUBMIT: '1' })
  const ledger = await connectLedgerWs(`ws://127.0.0.1:${first.port}`, { WebSocket, timeoutMs: 20_000, reconnect: { initialMs: 50, maxMs: 400 } })
  onTestFinished(() => ledger.close())
  const asAlice = createZrClient({ ledger, account: alice })
  const bobBefore = await asAlice.getBalance({ address: bob.address })
  return { dir, first, ledger, asAlice, bobBefore }
}

describe('connectLedgerWs against a server process', () => {
  it('resumes a subscription across a SIGKILL and a restart on the same port and directory: every event once, in order', async () => {
    const dir = tempDir()
    let server = await startServer({ ZRKIT_DIR: dir })
    const url = `ws://127.0.0.1:${server.port}`
    const ledger = await connectLedgerWs(url, { WebSocket, timeoutMs: 20_000, reconnect: { initialMs: 50, maxMs: 400 } })
    onTestFinished(() => ledger.close())
    const events: LedgerEvent[] = []
    ledger.subscribe({ types: ['bank.transfer'] }, (e) => events.push(e))
    const asAlice = createZrClient({ ledger, account: alice })
    for (let i = 0; i < 3; i++) await asAlice.send({ to: bob.address, amount: 1n })
    await until(() => events.length === 3, 'the first three transfers')

    const lastBefore = events.at(-1)!.seq
    server.child.kill('SIGKILL')
    await server.exited
    // a call made while the server is down waits for the reconnect
    const during = ledger.query('status', {})
    // the restarted server makes 4 transfers before it listens: the client is not connected then
    server = await startServer({ ZRKIT_DIR: dir, ZRKIT_PORT: String(server.port), ZRKIT_SEND_ON_START: '4' })
    expect((await during).lastEventSeq).toBeGreaterThanOrEqual(lastBefore + 4)
    for (let i = 0; i < 3; i++) await asAlice.send({ to: bob.address, amount: 1n })
    await until(() => events.length >= 10, 'ten transfers')
    await new Promise((r) => setTimeout(r, 200))

    const reference = await connectLedgerWs(url, { WebSocket })
    onTestFinished(() => reference.close())
    const all = await transfersOn(reference, 10)
    expect(all.length).toBe(10)
    expect(events.map((e) => e.seq)).toEqual(all.map((e) => e.seq)) // none missed, none twice, in order
    expect(await createZrClient({ ledger, account: bob }).getBalance()).toBe(10_000n + 10n)
  })

  it('applies a submit once when the server dies after applying it, before its reply', async () => {
    const { dir, first, ledger, asAlice, bobBefore } = await dyingAfterSubmit()

    // the raw submit: the reply is lost, and the caller is told the tx may have landed
    const { sequence } = await ledger.query('account', { address: alice.address })
    const tx = await signTx(alice, { chainId: genesis.chainId, sequence, msg: { type: 'bank.Send', to: bob.address, amount: 7n } })
    const lost = await ledger.submit(tx).catch((e: unknown) => e)
    expect(isZrError(lost, 'LEDGER_UNAVAILABLE'), String(lost)).toBe(true)
    expect((lost as ZrError).details).toContain('the tx may have landed')
    await first.exited

    // the client action resends the same signed bytes after the restart and finds the first landing
    const second = await startServer({ ZRKIT_DIR: dir, ZRKIT_PORT: String(first.port) })
    const again = await ledger.submit(tx).catch((e: unknown) => e)
    expect(isZrError(again, 'TX_REPLAYED'), String(again)).toBe(true)
    expect(await asAlice.getBalance({ address: bob.address })).toBe(bobBefore + 7n)
    const transfers = await transfersOn(ledger, 1)
    expect(transfers.filter((e) => e.data.amount === 7n).length).toBe(1)
    second.child.kill('SIGTERM')
    await second.exited
  })

  it('sendMessage through connectLedgerWs lands a message once when the reply is lost', async () => {
    const { dir, first, ledger, asAlice, bobBefore } = await dyingAfterSubmit()
    const sending = asAlice.send({ to: bob.address, amount: 9n })
    await first.exited
    await startServer({ ZRKIT_DIR: dir, ZRKIT_PORT: String(first.port) })
    const receipt = await sending
    expect(receipt.hash).toMatch(/^[0-9a-f]+$/)
    expect(await asAlice.getBalance({ address: bob.address })).toBe(bobBefore + 9n)
    expect((await transfersOn(ledger, 1)).filter((e) => e.data.amount === 9n).length).toBe(1)
  })

  it('gives up a connection to a frozen server (heartbeat), reconnects once it answers again, and its subscription misses nothing', async () => {
    const server = await startServer()
    const url = `ws://127.0.0.1:${server.port}`
    const reports: ZrError[] = []
    const watcher = await connectLedgerWs(url, { WebSocket, timeoutMs: 10_000, heartbeatMs: 200, reconnect: { initialMs: 50, maxMs: 200 }, onError: (e) => reports.push(e) })
    const sender = await connectLedgerWs(url, { WebSocket, timeoutMs: 10_000, heartbeatMs: 0 })
    onTestFinished(async () => void (await Promise.all([watcher.close(), sender.close()])))
    const seen: number[] = []
    watcher.subscribe({ types: ['bank.transfer'] }, (e) => seen.push(e.seq))
    const asAlice = createZrClient({ ledger: sender, account: alice })
    await asAlice.send({ to: bob.address, amount: 1n })
    await until(() => seen.length === 1, 'the first transfer')

    server.child.kill('SIGSTOP') // the socket stays open: only the heartbeat can tell
    await until(() => reports.some((e) => e.details?.includes('no answer to a heartbeat within 200 ms')), 'the frozen connection given up', { timeoutMs: 5000 })
    const during = watcher.query('status', {})
    server.child.kill('SIGCONT')
    expect((await during).chainId).toBe(genesis.chainId)
    for (let i = 0; i < 3; i++) await asAlice.send({ to: bob.address, amount: 1n })
    await until(() => seen.length >= 4, 'four transfers')
    await new Promise((r) => setTimeout(r, 200))
    const reference = await transfersOn(sender, 4)
    expect(seen).toEqual(reference.map((e) => e.seq))
  })

  it('times out a call the stopped server does not answer, and settles every call in flight when it dies', async () => {
    const server = await startServer()
    const url = `ws://127.0.0.1:${server.port}`
    const quick = await connectLedgerWs(url, { WebSocket, timeoutMs: 500, reconnect: { initialMs: 50, maxMs: 200 } })
    const once = await connectLedgerWs(url, { WebSocket, timeoutMs: 30_000, reconnect: false })
    onTestFinished(async () => void (await Promise.all([quick.close(), once.close()])))
    const ended: ZrError[] = []
    once.subscribe({}, () => {}, { onError: (e) => ended.push(e) })
    await quick.query('status', {})
    await once.query('status', {})

    server.child.kill('SIGSTOP') // alive, but answers nothing
    const started = Date.now()
    const timedOut = await quick.query('status', {}).catch((e: unknown) => e)
    expect(isZrError(timedOut, 'TIMEOUT'), String(timedOut)).toBe(true)
    expect(Date.now() - started).toBeLessThan(2000)

    const inFlight: Promise<unknown>[] = [once.query('status', {}), once.submit({} as never), quick.query('status', {}), quick.submit({} as never)]
    await new Promise((r) => setTimeout(r, 50))
    server.child.kill('SIGKILL')
    const outcomes = await Promise.all(inFlight.map((p) => settledWithin(p, 3000)))
    expect(outcomes.map((e) => (isZrError(e) ? e.code : e))).toEqual(['LEDGER_CLOSED', 'LEDGER_CLOSED', 'TIMEOUT', 'LEDGER_UNAVAILABLE'])
    expect(ended.map((e) => e.code)).toEqual(['LEDGER_CLOSED'])
    expect(isZrError(await once.query('status', {}).catch((e: unknown) => e), 'LEDGER_CLOSED')).toBe(true)
    await server.exited
  })
})
