/**
 * `waitFor...` and `watchEvents` when the ledger's event stream ends: a wait rejects at once with the
 * ledger's error instead of running into its timeout. The remote case runs over a real TCP socket
 * between `serveLedger` and `connectLedger` in this process.
 */
import { once } from 'node:events'
import { createServer, connect as connectTcp, type Server, type Socket } from 'node:net'
import { createInterface } from 'node:readline'
import { afterEach, describe, expect, it } from 'vitest'
import { type LedgerChannel, type LedgerEvent, type ZrError, connectLedger, createEmbeddedLedger, createZrClient, generateAccount, isZrError, serveLedger, waitUntil, watchEvents } from '@zrkit/core'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** A line-per-message channel over a socket (the shape the README shows for serveLedger). */
function socketChannel(socket: Socket): LedgerChannel {
  const lines = createInterface({ input: socket })
  // a reset socket errors both the socket and readline's input: handle both
  socket.on('error', () => {})
  lines.on('error', () => {})
  return {
    send: (m) => void socket.write(`${m}\n`),
    onMessage: (fn) => void lines.on('line', fn),
    onClose: (fn) => void socket.once('close', () => fn()),
    close: () => socket.destroy(),
  }
}

async function world() {
  const alice = generateAccount()
  const ledger = await createEmbeddedLedger({ genesis: { chainId: 'zrkit-wait', balances: [{ address: alice.address, amount: 1_000n }] } })
  cleanups.push(() => ledger.close())
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    serveLedger(ledger, socketChannel(socket))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  cleanups.push(() => new Promise((r) => server.close(r)))
  const port = (server.address() as { port: number }).port
  const socket = connectTcp(port, '127.0.0.1')
  await once(socket, 'connect')
  const remote = await connectLedger(socketChannel(socket))
  cleanups.push(() => remote.close())
  /** Drops every connection from the server side, as a restarting server would. */
  const dropConnections = () => sockets.forEach((s) => s.destroy())
  return { alice, ledger, remote, dropConnections }
}

describe('waiting on a ledger whose event stream ends', () => {
  it('a wait on a remote ledger rejects with LEDGER_CLOSED as soon as the connection is lost, long before its timeout', async () => {
    const { alice, remote, dropConnections } = await world()
    const client = createZrClient({ ledger: remote, account: alice })
    const started = Date.now()
    const waiting = waitUntil(client, 'something that never happens', { types: ['bank.transfer'] }, async () => undefined, { timeoutMs: 30_000 })
    // the subscription is set up; now the server goes away
    await new Promise((r) => setTimeout(r, 200))
    dropConnections()
    const err = await waiting.then(
      () => undefined,
      (e: unknown) => e as ZrError,
    )
    expect(isZrError(err, 'LEDGER_CLOSED'), String(err)).toBe(true)
    expect(Date.now() - started).toBeLessThan(5_000)
  })

  it('a wait on an embedded ledger rejects with LEDGER_CLOSED when the ledger closes', async () => {
    const { alice, ledger } = await world()
    const client = createZrClient({ ledger, account: alice })
    const started = Date.now()
    const waiting = waitUntil(client, 'something that never happens', { types: ['bank.transfer'] }, async () => undefined, { timeoutMs: 30_000 }).then(
      () => undefined,
      (e: unknown) => e as ZrError,
    )
    await new Promise((r) => setTimeout(r, 50))
    await ledger.close()
    const err = await waiting
    expect(isZrError(err, 'LEDGER_CLOSED'), String(err)).toBe(true)
    expect(Date.now() - started).toBeLessThan(5_000)
  })

  it('watchEvents passes onError through: the listener hears the end of a remote stream', async () => {
    const { alice, remote, dropConnections } = await world()
    const client = createZrClient({ ledger: remote, account: alice })
    const seen: LedgerEvent[] = []
    let ended: ZrError | undefined
    watchEvents(client, { types: ['bank.transfer'] }, (e) => void seen.push(e), { onError: (e) => (ended = e) })
    await client.send({ to: generateAccount().address, amount: 5n })
    for (let i = 0; i < 100 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 10))
    expect(seen.map((e) => e.type)).toEqual(['bank.transfer'])
    dropConnections()
    for (let i = 0; i < 200 && !ended; i++) await new Promise((r) => setTimeout(r, 10))
    expect(ended && isZrError(ended, 'LEDGER_CLOSED'), String(ended)).toBe(true)
  })
})

describe('watching from the start of history', () => {
  it('fromSeq 1 with a type filter delivers from the first event on, embedded and remote; fromSeq 0 is a typed INVALID_INPUT, thrown where it is asked, nothing uncaught', async () => {
    const { alice, ledger, remote } = await world()
    await createZrClient({ ledger, account: alice }).send({ to: generateAccount().address, amount: 5n })
    const uncaught: unknown[] = []
    const onUncaught = (e: unknown) => uncaught.push(e)
    process.on('uncaughtException', onUncaught)
    process.on('unhandledRejection', onUncaught)
    try {
      for (const l of [ledger, remote]) {
        const client = createZrClient({ ledger: l, account: alice })
        for (const fromSeq of [0, -1, 1.5, '1']) {
          let err: unknown
          try {
            watchEvents(client, { types: ['genesis', 'bank.transfer'] }, () => {}, { fromSeq: fromSeq as number })
          } catch (e) {
            err = e
          }
          expect(isZrError(err, 'INVALID_INPUT'), `fromSeq ${String(fromSeq)}: ${String(err)}`).toBe(true)
          expect((err as ZrError).shortMessage).toBe('Invalid fromSeq.')
        }
        const seen: string[] = []
        const stop = watchEvents(client, { types: ['genesis', 'bank.transfer'] }, (e) => void seen.push(`${e.seq}:${e.type}`), { fromSeq: 1 })
        for (let i = 0; i < 100 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 10))
        stop()
        expect(seen[0]).toBe('1:genesis')
        expect(seen.some((x) => x.endsWith(':bank.transfer'))).toBe(true)
      }
      await new Promise((r) => setTimeout(r, 50))
      expect(uncaught).toEqual([])
    } finally {
      process.off('uncaughtException', onUncaught)
      process.off('unhandledRejection', onUncaught)
    }
  })
})
