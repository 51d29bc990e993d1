/**
 * The serving commands as an operator runs them: each `zrkit ... serve` a real child process (the bin from its
 * sources), reached over real sockets, stopped with SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { connectLedgerWs, createEmbeddedLedger, createZrClient, generateAccount, isZrError } from '@zrkit/core'
import { fileStore } from '@zrkit/core/node'
import { connectRelay } from '@zrkit/mpc'
import { parsePrometheusText, promSample } from '@zrkit/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'

const root = fileURLToPath(new URL('../../..', import.meta.url))
const bin = join(root, 'packages/cli/src/bin.ts')

type Running = { child: ChildProcess; url: string; logs: Record<string, unknown>[]; exited: Promise<number | null> }
const running: Running[] = []
afterEach(() => {
  for (const r of running.splice(0)) r.child.kill('SIGKILL')
})

/** Starts `zrkit args...` and resolves with the URL it prints on standard output. */
async function start(args: string[]): Promise<Running> {
  const child = spawn(process.execPath, ['--import', 'tsx', bin, ...args, '--log-format', 'json'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
  const logs: Record<string, unknown>[] = []
  createInterface({ input: child.stderr! }).on('line', (l) => logs.push(JSON.parse(l)))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve)
    exited.then((code) => reject(new Error(`exited with ${code}: ${JSON.stringify(logs)}`)))
  })
  const r = { child, url, logs, exited }
  running.push(r)
  return r
}

describe('zrkit relay serve', () => {
  it('serves the listed parties, refuses any other, logs JSON lines, and stops on SIGTERM with exit code 0', async () => {
    const [a, b, c, stranger] = [generateAccount(), generateAccount(), generateAccount(), generateAccount()]
    const relay = await start(['relay', 'serve', '--parties', [a, b, c].map((p) => p.address).join(','), '--port', '0'])
    expect(relay.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/)
    const client = await connectRelay({ url: relay.url, account: a, WebSocket: WebSocket as never })
    expect(client.connected).toBe(true)
    const refused = await connectRelay({ url: relay.url, account: stranger, WebSocket: WebSocket as never, timeoutMs: 10_000 }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(isZrError(refused, 'RELAY_REFUSED')).toBe(true)
    await client.close()
    relay.child.kill('SIGTERM')
    expect(await relay.exited).toBe(0)
    const messages = relay.logs.map((l) => l.msg)
    expect(messages).toContain('relay listening')
    expect(messages).toContain('authenticated')
    expect(messages).toContain('refused')
    expect(messages).toContain('relay stopped')
    for (const l of relay.logs) expect(typeof l.time === 'string' && typeof l.level === 'string').toBe(true)
  }, 60_000)

  it('a wrong party list is refused before anything listens (exit code 1, the log says what was expected)', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', bin, 'relay', 'serve', '--parties', 'zen1only', '--log-format', 'json'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    let err = ''
    child.stderr!.on('data', (d) => (err += d))
    const code = await new Promise((resolve) => child.on('exit', resolve))
    expect(code).toBe(1)
    expect(err).toMatch(/expected at least 2 comma-separated zen1\.\.\. addresses in --parties, got 1/)
  }, 60_000)
})

describe('zrkit ledger serve', () => {
  it('refuses a genesis whose transaction decoders it does not have, saying which', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'zrkit-serve-'))
    try {
      await writeFile(join(dir, 'genesis.json'), JSON.stringify({ chainId: 'zrkit-serve-dec', transactionDecoders: ['evm@2'] }))
      const child = spawn(process.execPath, ['--import', 'tsx', bin, 'ledger', 'serve', '--store', join(dir, 's'), '--genesis', join(dir, 'genesis.json'), '--port', '0', '--log-format', 'json'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
      let err = ''
      child.stderr!.on('data', (d) => (err += d))
      expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(1)
      expect(err).toContain('genesis runs evm@2; the ledger was opened with evm@1')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }, 60_000)

  it('answers HTTP queries on its port (GET /status), none with --no-http-queries; SIGTERM exits 0', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'zrkit-serve-'))
    try {
      await writeFile(join(dir, 'genesis.json'), JSON.stringify({ chainId: 'zrkit-serve-http', balances: [], transactionDecoders: ['evm@1', 'solana@1'] }))
      const ledger = await start(['ledger', 'serve', '--store', join(dir, 'a'), '--genesis', join(dir, 'genesis.json'), '--port', '0'])
      const res = await fetch(`${ledger.url.replace(/^ws/, 'http')}/status`)
      expect(res.status).toBe(200)
      // the genesis picks the transaction decoders the server runs, from the four it is built with
      expect(JSON.parse(await res.text())).toMatchObject({ result: { chainId: 'zrkit-serve-http', transactionDecoders: ['evm@1', 'solana@1'] } })
      ledger.child.kill('SIGTERM')
      expect(await ledger.exited).toBe(0)
      const quiet = await start(['ledger', 'serve', '--store', join(dir, 'b'), '--genesis', join(dir, 'genesis.json'), '--port', '0', '--no-http-queries'])
      expect((await fetch(`${quiet.url.replace(/^ws/, 'http')}/status`)).status).toBe(426)
      quiet.child.kill('SIGTERM')
      expect(await quiet.exited).toBe(0)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }, 60_000)

  it('keeps its state in SQLite: a restart resumes it, a second server on the store is refused, `ledger verify` checks it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'zrkit-serve-'))
    try {
      const alice = generateAccount()
      await writeFile(join(dir, 'genesis.json'), JSON.stringify({ chainId: 'zrkit-serve-sqlite', balances: [{ address: alice.address, amount: '1000' }] }))
      const store = join(dir, 'store')
      const first = await start(['ledger', 'serve', '--store', store, '--genesis', join(dir, 'genesis.json'), '--port', '0'])
      const ledger = await connectLedgerWs(first.url, { WebSocket })
      const client = createZrClient({ ledger, account: alice })
      const bob = generateAccount().address
      await client.send({ to: bob, amount: 7n })
      const height = (await ledger.query('status', {})).height
      ledger.close()

      // one server per store: a second is refused, saying the store is in use
      const second = spawn(process.execPath, ['--import', 'tsx', bin, 'ledger', 'serve', '--store', store, '--port', '0', '--log-format', 'json'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
      let err = ''
      second.stderr!.on('data', (d) => (err += d))
      expect(await new Promise((resolve) => second.on('exit', resolve))).toBe(1)
      expect(err).toContain('is open in another ledger')

      first.child.kill('SIGTERM')
      expect(await first.exited).toBe(0)
      const verify = await run(['ledger', 'verify', '--store', store])
      expect(verify.code).toBe(0)
      expect(JSON.parse(verify.out)).toMatchObject({ ok: true, height })

      // restarted without a genesis: the same ledger, resumed from the database
      const again = await start(['ledger', 'serve', '--store', store, '--port', '0'])
      const reopened = await connectLedgerWs(again.url, { WebSocket })
      expect((await reopened.query('status', {})).height).toBe(height)
      expect((await reopened.query('account', { address: bob })).balance).toBe(7n)
      reopened.close()
      again.child.kill('SIGTERM')
      expect(await again.exited).toBe(0)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }, 90_000)

  it('imports a store directory written by the log-only file store once, and `ledger verify` fails on a damaged database', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'zrkit-serve-'))
    try {
      const alice = generateAccount()
      const genesis = { chainId: 'zrkit-serve-import', balances: [{ address: alice.address, amount: 1000n }] }
      const old = await createEmbeddedLedger({ store: fileStore(dir), genesis })
      await createZrClient({ ledger: old, account: alice }).send({ to: generateAccount().address, amount: 5n })
      const [height, hash] = [old.height, old.stateHash()]
      await old.close()

      const served = await start(['ledger', 'serve', '--store', dir, '--port', '0'])
      const ledger = await connectLedgerWs(served.url, { WebSocket })
      expect((await ledger.query('status', {})).height).toBe(height)
      ledger.close()
      served.child.kill('SIGTERM')
      expect(await served.exited).toBe(0)
      expect(JSON.parse((await run(['ledger', 'verify', '--store', dir])).out)).toMatchObject({ ok: true, height, databaseHash: hash })

      const db = new Database(join(dir, 'ledger.sqlite'))
      db.prepare(`UPDATE records SET json = replace(json, '"sequence":1', '"sequence":9') WHERE tbl = 'accounts' AND id = ?`).run(alice.address)
      db.close()
      const damaged = await run(['ledger', 'verify', '--store', dir])
      expect(damaged.code).toBe(1)
      expect(JSON.parse(damaged.out)).toMatchObject({ ok: false, problem: 'the records in the database differ from a replay of its log' })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }, 90_000)
})

describe('GET /metrics on every zrkit server', () => {
  /** Scrapes `GET /metrics` as Prometheus does and reads the whole text with a strict parser. */
  const scrape = async (url: string) => {
    const res = await fetch(`${url.replace(/^ws/, 'http')}/metrics`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    return parsePrometheusText(await res.text())
  }

  it('zrkit ledger serve and zrkit relay serve answer it on their port, in well-formed Prometheus text; --no-metrics turns it off', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'zrkit-serve-'))
    try {
      const [alice, p1, p2] = [generateAccount(), generateAccount(), generateAccount()]
      await writeFile(join(dir, 'genesis.json'), JSON.stringify({ chainId: 'zrkit-serve-metrics', balances: [{ address: alice.address, amount: '1000' }] }))
      const [ledgerServer, relayServer] = await Promise.all([
        start(['ledger', 'serve', '--store', join(dir, 'a'), '--genesis', join(dir, 'genesis.json'), '--port', '0']),
        start(['relay', 'serve', '--parties', `${p1.address},${p2.address}`, '--port', '0']),
      ])
      // some traffic for each: a transfer on the ledger, a party on the relay
      const ledger = await connectLedgerWs(ledgerServer.url, { WebSocket })
      await createZrClient({ ledger, account: alice }).send({ to: p1.address, amount: 7n })
      const party = await connectRelay({ url: relayServer.url, account: p1, WebSocket: WebSocket as never })

      const l = await scrape(ledgerServer.url)
      expect([...l.keys()].sort()).toEqual([
        'zrkit_ledger_events_total', 'zrkit_ledger_height', 'zrkit_ledger_info', 'zrkit_ledger_requests_created_total', 'zrkit_ledger_requests_open',
        'zrkit_ledger_server_buffered_bytes', 'zrkit_ledger_server_connections', 'zrkit_ledger_server_refused_total', 'zrkit_ledger_server_submits_total',
        'zrkit_ledger_server_subscriptions',
      ])
      expect(promSample(l, 'zrkit_ledger_info', { chain_id: 'zrkit-serve-metrics' })).toBe(1)
      expect(promSample(l, 'zrkit_ledger_height')).toBe((await ledger.query('status', {})).height)
      expect(promSample(l, 'zrkit_ledger_server_connections')).toBe(1)
      expect(promSample(l, 'zrkit_ledger_server_submits_total', { result: 'accepted' })).toBe(1)
      expect(promSample(l, 'zrkit_ledger_requests_open', { kind: 'sign', status: 'pending' })).toBe(0)

      const r = await scrape(relayServer.url)
      expect([...r.keys()].every((name) => name.startsWith('zrkit_party_relay_'))).toBe(true)
      expect(promSample(r, 'zrkit_party_relay_parties_served')).toBe(2)
      expect(promSample(r, 'zrkit_party_relay_parties_connected')).toBe(1)
      expect(promSample(r, 'zrkit_party_relay_party_connected', { party: p1.address })).toBe(1)
      expect(promSample(r, 'zrkit_party_relay_frames_dropped_total', { party: p2.address, reason: 'buffer-full' })).toBe(0)

      await party.close()
      ledger.close()
      for (const server of [ledgerServer, relayServer]) {
        server.child.kill('SIGTERM')
        expect(await server.exited).toBe(0)
      }
      expect(ledgerServer.logs.find((line) => line.msg === 'ledger listening')).toMatchObject({ metrics: true })
      expect(relayServer.logs.find((line) => line.msg === 'relay listening')).toMatchObject({ metrics: true })

      const [quietLedger, quietRelay] = await Promise.all([
        start(['ledger', 'serve', '--store', join(dir, 'b'), '--genesis', join(dir, 'genesis.json'), '--port', '0', '--no-metrics']),
        start(['relay', 'serve', '--parties', `${p1.address},${p2.address}`, '--port', '0', '--no-metrics']),
      ])
      for (const server of [quietLedger, quietRelay]) {
        expect((await fetch(`${server.url.replace(/^ws/, 'http')}/metrics`)).status).toBe(404)
        expect((await fetch(`${server.url.replace(/^ws/, 'http')}/status`)).status).toBe(200)
        server.child.kill('SIGTERM')
        expect(await server.exited).toBe(0)
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }, 90_000)
})

/** Runs `zrkit args...` to its end: exit code and standard output. */
async function run(args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', bin, ...args, '--log-format', 'json'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout!.on('data', (d) => (out += d))
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  return { code, out }
}
