/**
 * listenLedger's limits per connection, over real WebSocket connections on 127.0.0.1 (port 0): oversized
 * frames, garbage and too many subscriptions from a hostile client, a subscriber that never reads, and a
 * draining close. What one client does never disturbs another.
 */
import { type Ledger, type LedgerEvent, type ZrError, ZrError as ZrErrorClass, connectLedgerWs, createEmbeddedLedger, createZrClient, generateAccount, isZrError } from '@zrkit/core'
import { listenLedger } from '@zrkit/core/node'
import { until } from '@zrkit/testkit'
import { describe, expect, it, onTestFinished } from 'vitest'
import { WebSocket } from 'ws'

const [alice, bob] = ['alice', 'bob'].map((s) => generateAccount(`ws-limits:${s}`)) as [ReturnType<typeof generateAccount>, ReturnType<typeof generateAccount>]
const genesis = { chainId: 'zrkit-ws-limits', balances: [alice, bob].map((a) => ({ address: a.address, amount: 10_000n })) }

type Frame = { id?: unknown; ok?: boolean; sub?: unknown; event?: { seq: number }; error?: { code: string; details?: string; meta?: Record<string, unknown> } }

/** A raw WebSocket client: every frame it gets, parsed, and its close code. */
async function rawClient(url: string) {
  const ws = new WebSocket(url)
  const frames: Frame[] = []
  ws.on('message', (data, isBinary) => frames.push(isBinary ? {} : (JSON.parse(String(data)) as Frame)))
  ws.on('error', () => {})
  const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)))
  await new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject))
  onTestFinished(() => ws.terminate())
  const reply = (id: unknown) => frames.find((f) => f.id === id)
  return { ws, frames, closed, reply, replied: (id: unknown) => until(() => reply(id) !== undefined, `a reply to ${String(id)}`) }
}

async function embedded(): Promise<Ledger> {
  const ledger = await createEmbeddedLedger({ genesis })
  onTestFinished(() => ledger.close())
  return ledger
}

/**
 * A ledger that emits big events on demand (`emit`), with history for `fromSeq`: a firehose that fills
 * a socket quickly. Queries answer `status` only.
 */
function firehose(chainId: string, eventBytes: number) {
  const history: LedgerEvent[] = []
  const subscribers = new Set<{ next: number; listener: (e: LedgerEvent) => void }>()
  const deliver = () => {
    for (const s of subscribers) while (subscribers.has(s) && s.next <= history.length) s.listener(history[s.next++ - 1]!)
  }
  const ledger: Ledger = {
    chainId,
    submit: () => Promise.reject(new ZrErrorClass('INVALID_INPUT', 'Read only.')),
    query: (async () => ({ chainId, height: history.length, time: 0, lastEventSeq: history.length, params: {} })) as never,
    subscribe(_filter, listener, options) {
      const s = { next: options?.fromSeq ?? history.length + 1, listener }
      subscribers.add(s)
      queueMicrotask(deliver)
      return () => void subscribers.delete(s)
    },
    close: async () => {},
  }
  const pad = 'x'.repeat(eventBytes)
  return {
    ledger,
    emit() {
      history.push({ seq: history.length + 1, height: history.length + 1, time: 0, type: 'bank.transfer', data: { pad } })
      deliver()
    },
  }
}

describe('listenLedger limits per connection', () => {
  it('answers an oversized frame with an id, reports one without, closes on one over the hard cap, and refuses subscriptions over the limit; another client keeps working', async () => {
    const reported: ZrError[] = []
    const server = await listenLedger(await embedded(), { maxFrameBytes: 4096, maxSubscriptionsPerConnection: 3, onError: (e) => reported.push(e) })
    onTestFinished(() => server.close())
    const good = await connectLedgerWs(server.url, { WebSocket, timeoutMs: 5000 })
    onTestFinished(() => good.close())
    const seen: LedgerEvent[] = []
    good.subscribe({ types: ['bank.transfer'] }, (e) => seen.push(e))

    const hostile = await rawClient(server.url)
    hostile.ws.send(`{"id":1,"op":"hello","pad":"${'x'.repeat(5000)}"}`)
    await hostile.replied(1)
    expect(hostile.reply(1)?.error?.code).toBe('MALFORMED_MESSAGE')
    expect(hostile.reply(1)?.error?.details).toMatch(/^expected a frame of at most 4096 bytes, got 50\d\d$/)
    hostile.ws.send(`{"op":"hello","pad":"${'é'.repeat(3000)}"}`) // 6000 bytes in 3000 characters, no id
    await until(() => reported.some((e) => e.shortMessage === 'Dropped a frame that is too large.'), 'the oversized frame reported')
    // garbage: not JSON, binary, an unknown operation
    hostile.ws.send('not json at all')
    hostile.ws.send(Buffer.from([0, 1, 2, 255]))
    hostile.ws.send('{"id":2,"op":"nope"}')
    for (const id of [10, 11, 12, 13]) hostile.ws.send(`{"id":${id},"op":"subscribe","filter":{}}`)
    hostile.ws.send('{"id":3,"op":"hello"}')
    await hostile.replied(3)
    await hostile.replied(13)
    expect(hostile.reply(2)?.error?.code).toBe('MALFORMED_MESSAGE')
    expect([10, 11, 12].map((id) => hostile.reply(id)?.ok)).toEqual([true, true, true])
    const refused = hostile.reply(13)!
    expect(refused.error?.code).toBe('LIMIT_EXCEEDED')
    expect(refused.error?.meta).toEqual({ limit: 'maxSubscriptionsPerConnection', max: 3, got: 4 })
    expect(refused.error?.details).toBe('expected at most 3 subscriptions per connection, got one more; unsubscribe one first')
    expect(hostile.reply(3)?.ok).toBe(true) // the connection survived all of it
    expect(reported.some((e) => e.details?.includes('expected a text frame'))).toBe(true)

    // over twice maxFrameBytes: the connection is closed with 1009 (message too big), the server lives on
    hostile.ws.send('x'.repeat(10_000))
    expect(await hostile.closed).toBe(1009)
    await createZrClient({ ledger: good, account: alice }).send({ to: bob.address, amount: 2n })
    await until(() => seen.some((e) => e.data.amount === 2n), 'the transfer on the good client')
    expect(await createZrClient({ ledger: good, account: bob }).getBalance()).toBe(10_002n)
    await until(() => server.stats().connections === 1, 'the hostile connection gone')
  })

  it('cuts off a subscriber that never reads with LIMIT_EXCEEDED, keeps its memory bounded, and keeps serving a fast subscriber every event once', async () => {
    const { ledger, emit } = firehose('zrkit-firehose', 16_000)
    const maxBufferedBytes = 64 * 1024
    const server = await listenLedger(ledger, { maxBufferedBytes, maxFrameBytes: 1 << 20 })
    onTestFinished(() => server.close())
    const fast = await connectLedgerWs(server.url, { WebSocket, timeoutMs: 10_000 })
    onTestFinished(() => fast.close())
    const got: number[] = []
    fast.subscribe({}, (e) => got.push(e.seq), { fromSeq: 1 })

    const slow = await rawClient(server.url)
    slow.ws.send('{"id":1,"op":"subscribe","filter":{}}')
    await slow.replied(1)
    slow.ws.pause() // reads nothing more: the kernel's buffers fill, then the server's

    const total = 1500 // 24 MB of events: far more than the socket buffers hold
    let peak = 0
    for (let i = 0; i < total; i++) {
      emit()
      peak = Math.max(peak, server.stats().bufferedBytes)
      if (i % 10 === 0) await new Promise((r) => setImmediate(r))
    }
    await until(() => got.length === total, 'every event on the fast subscriber', { timeoutMs: 20_000 })
    expect(got).toEqual(Array.from({ length: total }, (_, i) => i + 1)) // in order, none twice, none missed
    // bounded: one bound per connection plus the frame that crossed it, never the 24 MB sent
    expect(peak).toBeLessThan(2 * maxBufferedBytes + 2 * 16_100)

    slow.ws.resume()
    await until(() => slow.frames.some((f) => f.sub === 1 && f.error), 'the end of the slow subscription')
    const end = slow.frames.find((f) => f.sub === 1 && f.error)!
    expect(end.error?.code).toBe('LIMIT_EXCEEDED')
    expect(end.error?.meta?.limit).toBe('maxBufferedBytes')
    const delivered = slow.frames.filter((f) => f.sub === 1 && f.event).length
    expect(delivered).toBeLessThan(total)
    expect(slow.frames.indexOf(end)).toBe(slow.frames.length - 1) // nothing of it after its end
  })

  it('ends a subscription whose events pile up unsent (maxPendingEventsPerSubscriber); connectLedgerWs resumes it from its last event', async () => {
    const ledger = await embedded()
    const asAlice = createZrClient({ ledger, account: alice })
    for (let i = 0; i < 30; i++) await asAlice.send({ to: bob.address, amount: 1n })
    const server = await listenLedger(ledger, { maxPendingEventsPerSubscriber: 5 })
    onTestFinished(() => server.close())
    const cut: ZrError[] = []
    const remote = await connectLedgerWs(server.url, { WebSocket, timeoutMs: 5000, onError: (e) => cut.push(e) })
    onTestFinished(() => remote.close())
    const seqs: number[] = []
    remote.subscribe({ types: ['bank.transfer'] }, (e) => seqs.push(e.seq), { fromSeq: 1 })
    await until(() => seqs.length === 30, 'all 30 transfers')
    await new Promise((r) => setTimeout(r, 100))
    expect(seqs.length).toBe(30)
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs)
    expect(new Set(seqs).size).toBe(30)
    expect(cut.some((e) => isZrError(e, 'LIMIT_EXCEEDED') && e.context.limit === 'maxPendingEventsPerSubscriber')).toBe(true)
  })

  it('closes a connection over maxConnections with 1013 and answers plain HTTP with 426', async () => {
    const reported: ZrError[] = []
    const server = await listenLedger(await embedded(), { maxConnections: 1, onError: (e) => reported.push(e) })
    onTestFinished(() => server.close())
    const first = await connectLedgerWs(server.url, { WebSocket, timeoutMs: 5000 })
    onTestFinished(() => first.close())
    const second = new WebSocket(server.url)
    second.on('error', () => {})
    expect(await new Promise<number>((r) => second.on('close', (code) => r(code)))).toBe(1013)
    expect(reported.some((e) => isZrError(e, 'LIMIT_EXCEEDED') && e.context.limit === 'maxConnections')).toBe(true)
    expect((await first.query('status', {})).chainId).toBe(genesis.chainId)
    const plain = await fetch(server.url.replace('ws://', 'http://'))
    expect(plain.status).toBe(426)
  })

  it('drops a connection that does not answer pings, and keeps one that does', async () => {
    const reported: ZrError[] = []
    const server = await listenLedger(await embedded(), { pingIntervalMs: 100, onError: (e) => reported.push(e) })
    onTestFinished(() => server.close())
    const live = await connectLedgerWs(server.url, { WebSocket, timeoutMs: 5000, heartbeatMs: 0 })
    onTestFinished(() => live.close())
    const mute = await rawClient(server.url)
    mute.ws.pause() // reads nothing, so it answers no ping
    await until(() => server.stats().connections === 1, 'the mute connection dropped', { timeoutMs: 3000 })
    expect(reported.some((e) => isZrError(e, 'TIMEOUT') && e.details === 'no pong within 100 ms')).toBe(true)
    await new Promise((r) => setTimeout(r, 300)) // several pings later, the live one is still there
    expect(server.stats().connections).toBe(1)
    expect((await live.query('status', {})).chainId).toBe(genesis.chainId)
  })

  it('drains on close: a call in flight settles, then the sockets close and the port is free', async () => {
    const inner = await embedded()
    let release: () => void = () => {}
    const held = new Promise<void>((r) => (release = r))
    const slowLedger: Ledger = { ...inner, chainId: inner.chainId, query: (async (kind: never, params: never) => (await held, inner.query(kind, params))) as never, subscribe: inner.subscribe, submit: inner.submit, close: inner.close }
    const server = await listenLedger(slowLedger, { drainTimeoutMs: 5000 })
    const client = await connectLedgerWs(server.url, { WebSocket, timeoutMs: 5000, reconnect: false })
    onTestFinished(() => client.close())
    const inFlight = client.query('status', {})
    await new Promise((r) => setTimeout(r, 50))
    const closing = server.close()
    await new Promise((r) => setTimeout(r, 50))
    release()
    expect((await inFlight).chainId).toBe(genesis.chainId)
    await closing
    expect(server.stats().connections).toBe(0)
    const refused = await connectLedgerWs(server.url, { WebSocket, timeoutMs: 300, reconnect: false }).catch((e: unknown) => e)
    expect(isZrError(refused, 'LEDGER_UNAVAILABLE')).toBe(true)
  })

  it('refuses bad options with INVALID_CONFIG and a bad URL with INVALID_INPUT, saying what was expected and what arrived', async () => {
    const ledger = await embedded()
    const bad = await listenLedger(ledger, { maxFrameBytes: -1 }).catch((e: unknown) => e)
    expect(isZrError(bad, 'INVALID_CONFIG')).toBe(true)
    expect((bad as ZrError).details).toBe('expected maxFrameBytes to be an integer from 1 to 2147483647, got number -1')
    expect(isZrError(await listenLedger(ledger, { host: '' }).catch((e: unknown) => e), 'INVALID_CONFIG')).toBe(true)
    const url = await connectLedgerWs('http://127.0.0.1:1', { WebSocket }).catch((e: unknown) => e)
    expect(isZrError(url, 'INVALID_INPUT')).toBe(true)
    expect((url as ZrError).details).toBe('expected a ws:// or wss:// URL, got "http://127.0.0.1:1"')
    const noCtor = await connectLedgerWs('ws://127.0.0.1:1', { WebSocket: 5 as never }).catch((e: unknown) => e)
    expect(isZrError(noCtor, 'INVALID_CONFIG')).toBe(true)
    const backoff = await connectLedgerWs('ws://127.0.0.1:1', { WebSocket, reconnect: { initialMs: 500, maxMs: 10 } }).catch((e: unknown) => e)
    expect((backoff as ZrError).details).toBe('expected reconnect.maxMs to be at least initialMs (500), got number 10')
  })
})
