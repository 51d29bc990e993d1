/**
 * `zrkit status --relay` as an operator runs it: a ledger server and a relay in this process on real sockets, the
 * `zrkit` bin (from its sources) as a child process that reads both.
 */
import { execFile, spawn } from 'node:child_process'
import { type Server, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createInterface } from 'node:readline'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { type Account, createEmbeddedLedger, createZrClient, generateAccount, isZrError } from '@zrkit/core'
import { listenLedger } from '@zrkit/core/node'
import { type RelayClient, connectRelay } from '@zrkit/mpc'
import { type RelayServer, serveRelay } from '@zrkit/mpc/node'
import { closedPort } from '@zrkit/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { fetchRelayStatus, relayStatusUrl } from './fetchRelayStatus.js'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../../..', import.meta.url))
const bin = ['--import', 'tsx', join(root, 'packages/cli/src/bin.ts')]

/** Runs `zrkit args...` to its end: its exit code, standard output and the JSON log lines of standard error. */
async function zrkit(args: string[]): Promise<{ code: number; stdout: string; stderr: string; logs: Record<string, unknown>[] }> {
  const done = await run(process.execPath, [...bin, ...args, '--log-format', 'json'], { cwd: root, timeout: 60_000 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }),
  )
  const logs = done.stderr
    .split('\n')
    .filter(Boolean)
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
  return { code: done.code, stdout: done.stdout, stderr: done.stderr, logs }
}

const failure = (logs: Record<string, unknown>[]) => logs.find((l) => l.level === 'error') as { msg: string; details?: string; error: { code: string } } | undefined

const stops: (() => Promise<unknown> | unknown)[] = []
let ledgerUrl: string
let keyring: string
let relay: RelayServer
let parties: Account[]
const clients: RelayClient[] = []

beforeAll(async () => {
  const operator = generateAccount()
  parties = [generateAccount(), generateAccount(), generateAccount()]
  const ledger = await createEmbeddedLedger({ genesis: { chainId: 'zrkit-status-test', balances: [{ address: operator.address, amount: 1_000_000n }] } })
  stops.push(() => ledger.close())
  const server = await listenLedger(ledger, { port: 0 })
  stops.push(() => server.close())
  ledgerUrl = server.url
  ;({ keyring } = await createZrClient({ ledger, account: operator }).createKeyring({
    description: 'status test',
    parties: parties.map((p) => p.address),
    partyThreshold: 2,
    keyRequestFee: 0n,
    signRequestFee: 0n,
  }))
  relay = await serveRelay({ parties: parties.map((p) => p.address), heartbeatMs: 0 })
  stops.push(() => relay.close())
  // parties 0 and 2 are on the relay; party 1 is not
  for (const p of [parties[0]!, parties[2]!]) clients.push(await connectRelay({ url: relay.url, account: p, WebSocket: WebSocket as never, timeoutMs: 5_000 }))
  stops.push(() => Promise.all(clients.map((c) => c.close())))
}, 60_000)

afterAll(async () => {
  for (const stop of stops.splice(0).reverse()) await stop()
})

/** A local HTTP server answering every request with `answer` (or never, with `null`); resolves with its port. */
async function fakeRelay(answer: { status: number; body: string } | null): Promise<number> {
  const server: Server = createServer((_req, res) => {
    if (answer) res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  stops.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  )
  return (server.address() as AddressInfo).port
}

describe('zrkit status --relay', () => {
  it('reports who the relay sees and which of the keyring parties are on it now', async () => {
    const { code, stdout, logs } = await zrkit(['status', '--ledger', ledgerUrl, '--keyring', keyring, '--relay', relay.url])
    expect(code, JSON.stringify(logs)).toBe(0)
    const report = JSON.parse(stdout)
    expect(report.relay.url).toBe(relay.url)
    expect(report.relay.relayId).toBe(relay.relayId)
    expect(report.relay.parties.map((p: { party: string }) => p.party)).toEqual(parties.map((p) => p.address).sort())
    const on = (a: Account) => report.relay.parties.find((p: { party: string }) => p.party === a.address)
    expect(on(parties[0]!)).toMatchObject({ connected: true, framesIn: 0, bytesIn: 0, framesOut: 0, bytesOut: 0, buffered: 0, dropped: 0 })
    expect(on(parties[0]!).connectedSince).toEqual(expect.any(Number))
    expect(on(parties[1]!)).toEqual({ party: parties[1]!.address, connected: false, framesIn: 0, bytesIn: 0, framesOut: 0, bytesOut: 0, buffered: 0, dropped: 0 })
    // the keyring's order, only those connected now
    expect(report.keyring).toMatchObject({ address: keyring, threshold: 2, partiesOnRelay: [parties[0]!.address, parties[2]!.address] })
    expect(report.height).toEqual(expect.any(Number))
  }, 60_000)

  it('without --keyring: the relay report alone beside the ledger; without --relay: no relay report', async () => {
    const withRelay = await zrkit(['status', '--ledger', ledgerUrl, '--relay', relay.url])
    expect(withRelay.code).toBe(0)
    const a = JSON.parse(withRelay.stdout)
    expect(a.keyring).toBeUndefined()
    expect(a.relay.parties).toHaveLength(3)
    const without = await zrkit(['status', '--ledger', ledgerUrl, '--keyring', keyring])
    expect(without.code).toBe(0)
    const b = JSON.parse(without.stdout)
    expect(b.relay).toBeUndefined()
    expect(b.keyring.partiesOnRelay).toBeUndefined()
  }, 60_000)

  it('an unreachable relay fails with MPC_TRANSPORT (exit code 1), saying what was expected and what arrived', async () => {
    const port = await closedPort()
    const { code, stdout, logs } = await zrkit(['status', '--ledger', ledgerUrl, '--relay', `ws://127.0.0.1:${port}`])
    expect(code).toBe(1)
    expect(stdout).toBe('')
    const e = failure(logs)
    expect(e?.msg).toBe('status failed')
    expect(e?.error.code).toBe('MPC_TRANSPORT')
    expect(e?.details).toBe(`expected a 200 JSON answer from http://127.0.0.1:${port}/status, got ECONNREFUSED`)
  }, 60_000)

  it('a relay that does not answer in time, one with its status off, and one that answers garbage: typed errors, exit code 1', async () => {
    const silent = await fakeRelay(null)
    const slow = await zrkit(['status', '--ledger', ledgerUrl, '--relay', `ws://127.0.0.1:${silent}`, '--relay-timeout-ms', '300'])
    expect(slow.code).toBe(1)
    expect(failure(slow.logs)).toMatchObject({ error: { code: 'MPC_TRANSPORT' }, details: `expected a 200 JSON answer from http://127.0.0.1:${silent}/status, got no answer within 300 ms` })

    const off = await serveRelay({ parties: [parties[0]!.address], status: false })
    stops.push(() => off.close())
    const refused = await zrkit(['status', '--ledger', ledgerUrl, '--relay', off.url])
    expect(refused.code).toBe(1)
    expect(failure(refused.logs)?.error.code).toBe('MPC_TRANSPORT')
    expect(failure(refused.logs)?.details).toMatch(/got HTTP 404: expected GET \/metrics or a WebSocket upgrade \(GET \/status turned off on this relay\)/)

    const garbage = await fakeRelay({ status: 200, body: '{"relayId":"x","parties":[{"party":"zen1a","connected":"yes"}]}' })
    const bad = await zrkit(['status', '--ledger', ledgerUrl, '--relay', `ws://127.0.0.1:${garbage}`])
    expect(bad.code).toBe(1)
    expect(failure(bad.logs)).toMatchObject({ error: { code: 'MALFORMED_MESSAGE' }, details: `http://127.0.0.1:${garbage}/status: expected parties[0].connected: true or false, got "yes"` })
  }, 60_000)

  it('a --relay that is not a URL is a usage error (exit code 2)', async () => {
    const { code, stderr } = await zrkit(['status', '--ledger', ledgerUrl, '--relay', 'not a url'])
    expect(code).toBe(2)
    expect(stderr).toMatch(/--relay: expected a URL such as ws:\/\/127\.0\.0\.1:7070, got "not a url"/)
  }, 60_000)
})

describe('zrkit relay serve and its status endpoint', () => {
  it.each([
    [[], 200],
    [['--no-status'], 404],
  ] as const)('relay serve %j: GET /status answers %d; SIGTERM still stops it with exit code 0', async (extra, expected) => {
    const child = spawn(process.execPath, [...bin, 'relay', 'serve', '--parties', parties.map((p) => p.address).join(','), '--port', '0', ...extra, '--log-format', 'json'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    stops.push(() => child.kill('SIGKILL'))
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', resolve)
      exited.then((code) => reject(new Error(`exited with ${code}`)))
    })
    const res = await fetch(relayStatusUrl(url))
    expect(res.status).toBe(expected)
    if (expected === 200) expect(((await res.json()) as { parties: unknown[] }).parties).toHaveLength(3)
    else await res.body?.cancel()
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
  }, 60_000)
})

describe('fetchRelayStatus', () => {
  it('maps ws:// to http:// and wss:// to https://, on the relay port, path /status', () => {
    expect(relayStatusUrl('ws://127.0.0.1:7071')).toBe('http://127.0.0.1:7071/status')
    expect(relayStatusUrl('wss://relay.example.com')).toBe('https://relay.example.com/status')
    expect(relayStatusUrl('wss://relay.example.com:8443/party?x=1')).toBe('https://relay.example.com:8443/status')
    expect(relayStatusUrl('ws://[::1]:7071')).toBe('http://[::1]:7071/status')
    let error: unknown
    try {
      relayStatusUrl('ftp://relay.example.com')
    } catch (e) {
      error = e
    }
    expect(isZrError(error, 'INVALID_CONFIG')).toBe(true)
  })

  it('reads the relay in process too, and refuses answers that are not its status JSON with MALFORMED_MESSAGE', async () => {
    const status = await fetchRelayStatus(relay.url, { timeoutMs: 5_000 })
    expect(status).toEqual({ url: relay.url, relayId: relay.relayId, parties: relay.stats() })
    for (const [body, says] of [
      ['not json', /expected JSON, got "not json"/],
      ['[]', /expected an object \{ relayId, parties \}, got an array/],
      ['{"relayId":"","parties":[]}', /expected relayId: a non-empty string, got ""/],
      ['{"relayId":"r","parties":{}}', /expected parties: an array, got object/],
      ['{"relayId":"r","parties":[{"party":"zen1a","connected":true,"framesIn":-1}]}', /expected parties\[0\]\.framesIn: a count \(integer >= 0\), got -1/],
    ] as const) {
      const port = await fakeRelay({ status: 200, body })
      const e = await fetchRelayStatus(`ws://127.0.0.1:${port}`, { timeoutMs: 5_000 }).then(
        () => undefined,
        (x: unknown) => x,
      )
      expect(isZrError(e, 'MALFORMED_MESSAGE'), String(e)).toBe(true)
      expect((e as { details: string }).details).toMatch(says)
    }
    const huge = await fakeRelay({ status: 200, body: `{"relayId":"${'x'.repeat(5 * 1024 * 1024)}","parties":[]}` })
    const tooLarge = await fetchRelayStatus(`ws://127.0.0.1:${huge}`, { timeoutMs: 5_000 }).then(
      () => undefined,
      (x: unknown) => x,
    )
    expect(isZrError(tooLarge, 'MALFORMED_MESSAGE')).toBe(true)
    expect((tooLarge as { details: string }).details).toMatch(/expected at most 4194304 bytes/)
  }, 30_000)
})
