/**
 * The Ledger interface is all that clients and connectors use: here the ledger runs in another
 * process, reached over its stdio through serveLedger/connectLedger, and the whole lifecycle works
 * unchanged, with bytes, bigints, events and typed errors crossing intact. The same server takes
 * clients on a Unix socket too: a hostile one sending garbage does not take it down, and a client
 * whose server process dies gets a typed error for every call in flight.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { type Ledger, type LedgerChannel, type LedgerEvent, type ZrError, connectLedger, createConnector, createZrClient, generateAccount, isZrError, localKeyring } from '@zrkit/core'
import { canonicalStringify } from '@zrkit/core/internal'
import fc from 'fast-check'
import { afterAll, describe, expect, it, onTestFinished } from 'vitest'
import { fuzzRuns, until } from '@zrkit/testkit'

const root = fileURLToPath(new URL('../..', import.meta.url))
const [alice, bob, party, poor] = ['alice', 'bob', 'party', 'poor'].map((s) => generateAccount(`remote:${s}`)) as [ReturnType<typeof generateAccount>, ReturnType<typeof generateAccount>, ReturnType<typeof generateAccount>, ReturnType<typeof generateAccount>]
const genesis = { chainId: 'zrkit-remote', balances: [alice, bob, party].map((a) => ({ address: a.address, amount: 10_000n })) }

const newSocketPath = () => join(tmpdir(), `zrkit-ledger-${process.pid}-${randomBytes(4).toString('hex')}.sock`)
const socketPath = newSocketPath()

/** Starts a ledger server process (stdio, and the Unix socket when given). */
function startServer(env: Record<string, string>): ChildProcess {
  const server = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./ledgerServer.ts', import.meta.url))], {
    cwd: root,
    env: { ...process.env, ZRKIT_GENESIS: canonicalStringify(genesis), ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  // writes after the process is gone; a read reset by its death (stdio pipes are socket pairs): 'close' follows
  server.stdin!.on('error', () => {})
  server.stdout!.on('error', () => {})
  return server
}

/** A channel over a child's stdio, with its end reported when the child's stdout closes. */
function stdioChannel(server: ChildProcess): LedgerChannel {
  const out = createInterface({ input: server.stdout! })
  out.on('error', () => {}) // readline re-emits its input's errors; the stream's 'close' follows
  return {
    send: (m) => void (server.stdin!.writable && server.stdin!.write(`${m}\n`)),
    onMessage: (fn) => out.on('line', fn),
    onClose: (fn) => server.stdout!.on('close', () => fn()),
    close: () => server.stdin!.end(),
  }
}

/** Resolves once a server listens on `path` (it listens before it serves its stdio). */
async function listening(path: string): Promise<void> {
  const deadline = Date.now() + 30_000
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const probe = createConnection(path)
      probe.once('connect', () => resolve(true)).once('error', () => resolve(false))
      probe.once('connect', () => probe.end())
    })
    if (ok) return
    if (Date.now() > deadline) throw new Error(`nothing listens on ${path}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** A channel over a connection to a server's Unix socket. */
function socketChannel(path = socketPath): LedgerChannel {
  const socket = createConnection(path)
  socket.on('error', () => {})
  const lines = createInterface({ input: socket })
  lines.on('error', () => {})
  return {
    send: (m) => void (socket.writable && socket.write(`${m}\n`)),
    onMessage: (fn) => lines.on('line', fn),
    onClose: (fn) => socket.on('close', () => fn()),
    close: () => socket.end(),
  }
}

const child = startServer({ ZRKIT_SOCKET: socketPath })
const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)))
const lines = createInterface({ input: child.stdout! })
let ledger: Ledger

afterAll(async () => {
  if (ledger) await ledger.close()
  else child.stdin!.end() // the first test did not run (a filtered run): stop the server all the same
  expect(await exited).toBe(0)
})

describe('a ledger in another process', () => {
  it('runs both lifecycles for a client and a connector that only see the Ledger interface', async () => {
    ledger = await connectLedger({
      send: (m) => child.stdin!.write(`${m}\n`),
      onMessage: (fn) => lines.on('line', fn),
      close: () => child.stdin!.end(),
    })
    expect(ledger.chainId).toBe('zrkit-remote')
    const asAlice = createZrClient({ ledger, account: alice })
    const asBob = createZrClient({ ledger, account: bob })

    const { keyring } = await asAlice.createKeyring({ description: 'remote', parties: [party.address], partyThreshold: 1, keyRequestFee: 100n, signRequestFee: 10n })
    const connector = createConnector({ ledger, account: party, keyring, backend: localKeyring(), pollIntervalMs: 0 })
    await connector.start()
    const { policyId } = await asAlice.createPolicy({ name: 'both', participants: { alice: alice.address, bob: bob.address }, expression: 'all([alice, bob])' })
    const { workspace } = await asAlice.createWorkspace({ additionalOwners: [bob.address], signPolicyId: policyId })

    const key = await asAlice.createKey({ workspace, keyring, keyType: 'ecdsa-secp256k1' })
    expect(key.publicKey).toBeInstanceOf(Uint8Array)
    expect(key.publicKey.length).toBe(33)

    const digest = sha256(new TextEncoder().encode('across a process boundary'))
    const seen: string[] = []
    const { requestId, status, actionId } = await asAlice.requestSignature({ keyId: key.id, payloads: [digest] })
    expect(status).toBe('partial')
    const waiting = asAlice.waitForSignRequest({ requestId, timeoutMs: 20_000, onEvent: (e) => seen.push(e.type) })
    await asBob.approveAction({ actionId: actionId! })
    const done = await waiting
    expect(done.status).toBe('fulfilled')
    expect(seen).toEqual(expect.arrayContaining(['action.approved', 'signRequest.pending', 'signRequest.fulfilled']))
    expect(secp256k1.verify(done.signatures[0]!.subarray(0, 64), digest, key.publicKey, { prehash: false })).toBe(true)

    // bigints and typed errors cross too
    expect(await asAlice.getBalance()).toBe(10_000n - 110n)
    expect(await asAlice.getBalance({ address: keyring })).toBe(110n)
    const err = await createZrClient({ ledger, account: poor })
      .requestKey({ workspace, keyring, keyType: 'eddsa-ed25519' })
      .catch((e: unknown) => e)
    expect(isZrError(err, 'NOT_WORKSPACE_OWNER')).toBe(true)
    await connector.stop()
  })
})

/** Every reply line a raw socket receives, parsed loosely (ids as JSON numbers). */
function rawClient() {
  const socket = createConnection(socketPath)
  const errors: unknown[] = []
  socket.on('error', (e) => errors.push(e))
  const replies: { id?: unknown; ok?: boolean; error?: { code: string } }[] = []
  createInterface({ input: socket })
    .on('line', (line) => replies.push(JSON.parse(line)))
    .on('error', () => {})
  return { socket, replies, errors, connected: new Promise<void>((r) => socket.once('connect', () => r())) }
}

describe('a hostile client on the real socket', () => {
  it('does not kill the server: it gets typed error replies, and another client keeps working', async () => {
    await listening(socketPath)
    // a well-behaved client first, subscribed while the garbage arrives
    const good = await connectLedger(socketChannel())
    const events: LedgerEvent[] = []
    good.subscribe({ types: ['bank.transfer'] }, (e) => events.push(e))
    await good.query('status', {})

    const hostile = rawClient()
    await hostile.connected
    const lines = [
      'null',
      '5',
      'not json at all',
      '{"id":1,"op":"subscribe","filter":null}',
      '{"id":2,"op":"subscribe","filter":{"types":5}}',
      '{"id":3,"op":"submit","tx":{"publicKey":{"$bytes":"abc"}}}',
      '{"id":4,"op":"submit","tx":{"msg":{"amount":{"$bigint":"1.5"}}}}',
      '{"id":5,"op":"query","kind":"toString","params":{}}',
      '{"id":6,"op":"query","kind":"hasOwnProperty","params":{}}',
      '{"id":7,"op":{"$bigint":"1"}}',
      `{"id":8,"op":"submit","tx":${'['.repeat(50_000)}${']'.repeat(50_000)}}`,
      `{"id":9,"op":"query","kind":"status","params":{},"pad":"${'x'.repeat(1 << 20)}"}`,
      '{"id":1e400,"op":"hello"}',
      '{"id":10,"op":"hello"}',
    ]
    hostile.socket.write(randomBytes(4096)) // bytes that are not even UTF-8 text, then a line end
    hostile.socket.write('\n\u0000\uFFFF\n')
    // random lines (none with an id, so the replies counted below are the listed requests' own)
    const random = fc.sample(fc.oneof(fc.string({ unit: 'binary' }), fc.json(), fc.constantFrom('{"id":null}', '[]', '{"op":"hello"}')), fuzzRuns())
    for (const line of random.filter((l) => !l.includes('"id":') || l === '{"id":null}')) hostile.socket.write(`${line}\n`)
    for (const line of lines) hostile.socket.write(`${line}\n`)
    await until(() => [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].every((id) => hostile.replies.some((r) => r.id === id)), 'a reply to every request with an id')
    const byId = (id: number) => hostile.replies.filter((r) => r.id === id)
    for (const id of [1, 2]) expect(byId(id).map((r) => [r.ok, r.error?.code])).toEqual([[false, 'INVALID_INPUT']]) // a well-formed request, bad filter
    for (const id of [3, 4, 7]) expect(byId(id).map((r) => [r.ok, r.error?.code])).toEqual([[false, 'MALFORMED_MESSAGE']]) // a frame that is no request
    for (const id of [5, 6]) expect(byId(id).map((r) => r.error?.code)).toEqual(['UNKNOWN_QUERY'])
    expect(byId(8).map((r) => r.error?.code)).toEqual(['MALFORMED_MESSAGE'])
    expect(byId(9).map((r) => r.ok)).toEqual([true])
    // the hostile client stops reading, asks for more, and vanishes with replies unread: the server's
    // side of the connection is reset (ECONNRESET), which must end that connection only
    hostile.socket.pause()
    for (let i = 0; i < 200; i++) hostile.socket.write(`{"id":${100 + i},"op":"query","kind":"status","params":{}}\n`)
    await new Promise((r) => setTimeout(r, 300))
    hostile.socket.destroy()
    await new Promise((r) => setTimeout(r, 300))

    // the server is alive: the subscribed client, a new client and the stdio client all work
    expect(child.exitCode).toBeNull()
    const fresh = await connectLedger(socketChannel())
    const asAlice = createZrClient({ ledger: fresh, account: alice })
    const before = await asAlice.getBalance({ address: bob.address })
    await asAlice.send({ to: bob.address, amount: 3n })
    expect(await createZrClient({ ledger: good, account: bob }).getBalance()).toBe(before + 3n)
    await until(() => events.some((e) => e.data.to === bob.address && e.data.amount === 3n), 'the transfer event on the subscribed client')
    expect((await ledger.query('status', {})).chainId).toBe('zrkit-remote')
    await fresh.close()
    await good.close()
  })
})

describe('a client whose server process dies', () => {
  it('times out a call the stopped server does not answer, and settles calls in flight with LEDGER_CLOSED when it is killed', async () => {
    const path = newSocketPath()
    const server = startServer({ ZRKIT_SOCKET: path })
    const gone = new Promise<void>((r) => server.on('exit', () => r()))
    onTestFinished(() => void (server.exitCode === null && server.signalCode === null && server.kill('SIGKILL')))
    // over stdio with the default timeout (30 s), and over the socket with 500 ms
    const remote = await connectLedger(stdioChannel(server))
    await listening(path)
    const quick = await connectLedger(socketChannel(path), { timeoutMs: 500 })
    const ended: ZrError[] = []
    remote.subscribe({}, () => {}, { onError: (e) => ended.push(e) })
    quick.subscribe({}, () => {}, { onError: (e) => ended.push(e) })
    await remote.query('status', {})
    await quick.query('status', {})

    server.kill('SIGSTOP') // alive, but answers nothing
    const timedOut = await quick.query('status', {}).catch((e: unknown) => e)
    expect(isZrError(timedOut, 'TIMEOUT')).toBe(true)
    expect((timedOut as ZrError).details).toMatch(/^no reply to query \(call \d+\) within 500 ms$/)

    // calls in flight when the process dies: neither has timed out, both settle at once
    const inFlight = [remote.submit({} as never).catch((e: unknown) => e), quick.query('status', {}).catch((e: unknown) => e)]
    await new Promise((r) => setTimeout(r, 50))
    server.kill('SIGKILL')
    const pending = new Promise((r) => setTimeout(() => r('still pending'), 5_000))
    for (const call of inFlight) {
      const settled = await Promise.race([call, pending])
      expect(isZrError(settled, 'LEDGER_CLOSED')).toBe(true)
      expect((settled as ZrError).details).toContain('the channel closed')
    }
    expect(ended.map((e) => e.code)).toEqual(['LEDGER_CLOSED', 'LEDGER_CLOSED'])
    expect(isZrError(await remote.query('status', {}).catch((e: unknown) => e), 'LEDGER_CLOSED')).toBe(true)
    await gone
  })
})
