import { type Account, type ZrError, generateAccount, isZrError } from '@zrkit/core'
import { type RelayClient, type RelayFrame, connectRelay } from '@zrkit/mpc'
import { type RelayServer, type RelayServerEvent, type ServeRelayOptions, serveRelay } from '@zrkit/mpc/node'
import { until } from '@zrkit/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import type { Announcement } from './memoryRelay.js'
import { relayAuthDigest } from './relayAuth.js'
import { type RelayMessage, decodeRelayMessage, encodeRelayMessage } from './relayWire.js'

const cleanup: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

async function server(options: ServeRelayOptions): Promise<RelayServer> {
  const s = await serveRelay(options)
  cleanup.push(() => s.close())
  return s
}

async function client(s: RelayServer, account: Account, extra: { onError?: (e: ZrError) => void; maxQueuedFrames?: number } = {}): Promise<RelayClient> {
  const c = await connectRelay({ url: s.url, account, WebSocket, backoff: { initialMs: 20, maxMs: 200 }, timeoutMs: 5_000, ...extra })
  cleanup.push(() => c.close())
  return c
}

/** A party's inbox over a relay client. */
function inbox(c: RelayClient, account: Account) {
  const frames: RelayFrame[] = []
  const endpoint = c.connect(account.address, (f) => frames.push(f))
  return { frames, endpoint }
}

/** A raw WebSocket speaking the wire format by hand, for what a well-behaved client never sends. */
async function raw(url: string) {
  const ws = new WebSocket(url)
  const received: RelayMessage[] = []
  let closeCode: number | undefined
  ws.on('message', (data) => received.push(decodeRelayMessage(new Uint8Array(data as Buffer))))
  ws.on('close', (code) => {
    closeCode = code
  })
  ws.on('error', () => {})
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  cleanup.push(() => ws.terminate())
  const next = async <T extends RelayMessage['type']>(type: T, from = 0): Promise<Extract<RelayMessage, { type: T }>> => {
    await until(() => received.slice(from).some((m) => m.type === type), `a ${type} message`, { timeoutMs: 5_000 })
    return received.slice(from).find((m) => m.type === type) as Extract<RelayMessage, { type: T }>
  }
  return {
    ws,
    received,
    next,
    closed: () => closeCode,
    send: (m: RelayMessage) => ws.send(encodeRelayMessage(m)),
    /** Answers the challenge as `account` (a valid answer unless the caller tampers with it). */
    async answer(account: Account, relayId: string) {
      const { challenge } = await next('challenge')
      const signature = await account.sign(relayAuthDigest(challenge, relayId, account.address))
      const auth: RelayMessage = { type: 'auth', party: account.address, publicKey: account.publicKey, signature, challenge }
      return auth
    },
  }
}

const fakeAnnouncement = (party: string, epoch: number): Announcement => ({
  party,
  identityKey: new Uint8Array(33).fill(2),
  encryptionKey: new Uint8Array(32).fill(epoch & 0xff),
  epoch,
  signature: new Uint8Array(64).fill(7),
})

const expectRefused = (m: RelayMessage | undefined, code: string, reason: string) => {
  expect(m?.type).toBe('error')
  const e = m as Extract<RelayMessage, { type: 'error' }>
  expect(e.code).toBe(code)
  expect(e.reason).toBe(reason)
  expect(e.details.length).toBeGreaterThan(0)
}

describe('relay authentication', () => {
  it('admits a party of the allowlist and routes its frames, stamped with its own address', async () => {
    const [a, b] = [generateAccount(), generateAccount()]
    const events: RelayServerEvent[] = []
    const s = await server({ parties: [a.address, b.address], onEvent: (e) => events.push(e) })
    expect(s.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/)
    const [ca, cb] = await Promise.all([client(s, a), client(s, b)])
    expect(ca.connected && cb.connected).toBe(true)
    expect(s.connected().sort()).toEqual([a.address, b.address].sort())
    const ia = inbox(ca, a)
    const ib = inbox(cb, b)
    ia.endpoint.send(b.address, Uint8Array.of(1, 2, 3))
    await until(() => ib.frames.length === 1, 'the frame')
    expect(ib.frames[0]).toEqual({ from: a.address, to: b.address, bytes: Uint8Array.of(1, 2, 3) })
    expect(events.filter((e) => e.type === 'authenticated').length).toBe(2)
  })

  it('refuses a party that is not in the allowlist (RELAY_REFUSED, unauthorized)', async () => {
    const [a, stranger] = [generateAccount(), generateAccount()]
    const s = await server({ parties: [a.address] })
    const err = await connectRelay({ url: s.url, account: stranger, WebSocket, timeoutMs: 5_000 }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(isZrError(err, 'RELAY_REFUSED'), String(err)).toBe(true)
    expect((err as ZrError<'RELAY_REFUSED'>).context.reason).toBe('unauthorized')
    expect((err as ZrError).details).toContain(stranger.address)
    expect(s.connected()).toEqual([])
  })

  it('refuses a bad signature, a key that is not the address, and a signature for another relay', async () => {
    const [a, b] = [generateAccount(), generateAccount()]
    const s = await server({ parties: [a.address, b.address] })
    // a signature by another account
    const r1 = await raw(s.url)
    const good = (await r1.answer(a, s.relayId)) as Extract<RelayMessage, { type: 'auth' }>
    const forged = await b.sign(relayAuthDigest(good.challenge, s.relayId, a.address))
    r1.send({ ...good, signature: forged })
    expectRefused(await r1.next('error'), 'RELAY_REFUSED', 'unauthorized')
    await until(() => r1.closed() === 1008, 'the connection closed')
    // b's key claimed for a's address
    const r2 = await raw(s.url)
    const g2 = (await r2.answer(a, s.relayId)) as Extract<RelayMessage, { type: 'auth' }>
    r2.send({ ...g2, publicKey: b.publicKey, signature: await b.sign(relayAuthDigest(g2.challenge, s.relayId, a.address)) })
    const e2 = await r2.next('error')
    expectRefused(e2, 'RELAY_REFUSED', 'unauthorized')
    expect((e2 as { details: string }).details).toContain(b.address)
    // signed for another relay (an answer phished by another relay is worthless here)
    const r3 = await raw(s.url)
    const g3 = (await r3.answer(a, 'ws://evil.example:1')) as Extract<RelayMessage, { type: 'auth' }>
    r3.send(g3)
    expectRefused(await r3.next('error'), 'RELAY_REFUSED', 'unauthorized')
    expect(s.connected()).toEqual([])
    // the relay still admits the honest party
    await client(s, a)
    expect(s.connected()).toEqual([a.address])
  })

  it('refuses a replayed answer on a new connection, and a second answer on the same connection', async () => {
    const a = generateAccount()
    const s = await server({ parties: [a.address] })
    const r1 = await raw(s.url)
    const answer = await r1.answer(a, s.relayId)
    r1.send(answer)
    await r1.next('welcome')
    // The recorded answer, replayed on a fresh connection (whose challenge differs).
    const r2 = await raw(s.url)
    await r2.next('challenge')
    r2.send(answer)
    const e = await r2.next('error')
    expectRefused(e, 'RELAY_REFUSED', 'unauthorized')
    expect((e as { details: string }).details).toMatch(/stale or replayed/)
    // The old signature with the new challenge does not verify either.
    const r3 = await raw(s.url)
    const { challenge } = await r3.next('challenge')
    r3.send({ ...(answer as Extract<RelayMessage, { type: 'auth' }>), challenge })
    expectRefused(await r3.next('error'), 'RELAY_REFUSED', 'unauthorized')
    // r1 is still the party's live connection
    expect(s.connected()).toEqual([a.address])
    expect(r1.closed()).toBeUndefined()
  })

  it('closes a connection that does not answer in time (a stale challenge)', async () => {
    const a = generateAccount()
    const s = await server({ parties: [a.address], authTimeoutMs: 100 })
    const r = await raw(s.url)
    const answer = await r.answer(a, s.relayId)
    expectRefused(await r.next('error'), 'RELAY_REFUSED', 'unauthorized')
    await until(() => r.closed() !== undefined, 'the connection closed')
    expect(() => r.send(answer)).not.toThrow()
    expect(s.connected()).toEqual([])
  })

  it('refuses frames before authentication', async () => {
    const a = generateAccount()
    const s = await server({ parties: [a.address] })
    const r = await raw(s.url)
    await r.next('challenge')
    r.send({ type: 'send', to: a.address, bytes: Uint8Array.of(1) })
    expectRefused(await r.next('error'), 'RELAY_REFUSED', 'not-authenticated')
    await until(() => r.closed() === 1008, 'the connection closed')
  })

  it('a second live connection of a party replaces the first', async () => {
    const [a, b] = [generateAccount(), generateAccount()]
    const s = await server({ parties: [a.address, b.address] })
    const r1 = await raw(s.url)
    r1.send(await r1.answer(a, s.relayId))
    await r1.next('welcome')
    const r2 = await raw(s.url)
    r2.send(await r2.answer(a, s.relayId))
    await r2.next('welcome')
    expectRefused(await r1.next('error'), 'RELAY_REFUSED', 'replaced')
    await until(() => r1.closed() === 4000, 'the first connection closed')
    // frames now reach the second connection
    const cb = await client(s, b)
    inbox(cb, b).endpoint.send(a.address, Uint8Array.of(9))
    const d = await r2.next('deliver')
    expect(d.from).toBe(b.address)
    expect(d.bytes).toEqual(Uint8Array.of(9))
    expect(s.connected().sort()).toEqual([a.address, b.address].sort())
  })
})

describe('relay limits', () => {
  it('refuses an oversized frame with a typed error and keeps the connection and everyone else served', async () => {
    const [a, b] = [generateAccount(), generateAccount()]
    const s = await server({ parties: [a.address, b.address], maxFrameBytes: 1000 })
    const cb = await client(s, b)
    const ib = inbox(cb, b)
    const r = await raw(s.url)
    r.send(await r.answer(a, s.relayId))
    await r.next('welcome')
    r.send({ type: 'send', to: b.address, bytes: new Uint8Array(1001) })
    const e = await r.next('error')
    expectRefused(e, 'MALFORMED_MESSAGE', 'oversized')
    expect((e as { details: string }).details).toBe('expected at most 1000 bytes, got 1001')
    r.send({ type: 'send', to: b.address, bytes: new Uint8Array(1000) })
    await until(() => ib.frames.length === 1, 'the frame at the limit')
    expect(ib.frames[0]!.bytes.length).toBe(1000)
    expect(r.closed()).toBeUndefined()
    // Far over the limit (beyond the WebSocket payload cap): that connection is closed (1009), no one else is touched.
    r.ws.send(new Uint8Array(64 * 1024))
    await until(() => r.closed() === 1009, 'the connection closed for a too large message')
    const ca = await client(s, a)
    inbox(ca, a).endpoint.send(b.address, Uint8Array.of(5))
    await until(() => ib.frames.length === 2, 'a frame after the oversized one')
    // The client refuses locally what the relay would refuse, and says so.
    const errors: ZrError[] = []
    const cb2 = await client(s, b, { onError: (e) => errors.push(e) })
    cb2.connect(b.address, () => {}).send(a.address, new Uint8Array(1001))
    expect(errors.length).toBe(1)
    expect(isZrError(errors[0], 'INVALID_INPUT')).toBe(true)
  })

  it('refuses malformed messages with MALFORMED_MESSAGE, closes a connection that keeps sending them, and never stops', async () => {
    const [a, b] = [generateAccount(), generateAccount()]
    const s = await server({ parties: [a.address, b.address], maxMalformed: 3 })
    const cb = await client(s, b)
    const ib = inbox(cb, b)
    const r = await raw(s.url)
    r.send(await r.answer(a, s.relayId))
    await r.next('welcome')
    const garbage = [Uint8Array.of(2, 4), Uint8Array.of(1, 99), Uint8Array.of(1, 4, 0, 5, 0x61)]
    for (const g of garbage) {
      r.received.length = 0
      r.ws.send(g)
      expectRefused(await r.next('error'), 'MALFORMED_MESSAGE', 'malformed')
    }
    // still connected after 3: frames flow
    r.send({ type: 'send', to: b.address, bytes: Uint8Array.of(1) })
    await until(() => ib.frames.length === 1, 'a frame after malformed ones')
    // text instead of binary is the 4th: closed
    r.ws.send('hello')
    await until(() => r.closed() === 1008, 'the connection closed')
    // an unauthenticated malformed message closes at once
    const r2 = await raw(s.url)
    await r2.next('challenge')
    r2.ws.send(Uint8Array.of(1, 2, 0, 0))
    const e2 = await r2.next('error')
    expectRefused(e2, 'MALFORMED_MESSAGE', 'malformed')
    expect((e2 as { details: string }).details).toMatch(/expected/)
    await until(() => r2.closed() === 1008, 'the unauthenticated connection closed')
    // others unaffected
    const ca = await client(s, a)
    inbox(ca, a).endpoint.send(b.address, Uint8Array.of(2))
    await until(() => ib.frames.length === 2, 'a frame from a well-behaved client')
  })

  it('rate-limits a flooding connection; other connections are unaffected', async () => {
    const [a, b, c] = [generateAccount(), generateAccount(), generateAccount()]
    const s = await server({ parties: [a.address, b.address, c.address], rateLimit: { framesPerSecond: 50 } })
    const errors: ZrError[] = []
    const [ca, cb, cc] = await Promise.all([client(s, a, { onError: (e) => errors.push(e) }), client(s, b), client(s, c)])
    const ia = inbox(ca, a)
    const ib = inbox(cb, b)
    const ic = inbox(cc, c)
    for (let i = 0; i < 500; i++) ia.endpoint.send(b.address, Uint8Array.of(i & 0xff))
    for (let i = 0; i < 20; i++) ic.endpoint.send(b.address, Uint8Array.of(i))
    await until(() => ib.frames.filter((f) => f.from === c.address).length === 20, "c's frames")
    await until(() => errors.some((e) => isZrError(e, 'RELAY_REFUSED')), 'the rate-limit refusal')
    const refusal = errors.find((e) => isZrError(e, 'RELAY_REFUSED')) as ZrError<'RELAY_REFUSED'>
    expect(refusal.context.reason).toBe('rate-limited')
    const fromA = ib.frames.filter((f) => f.from === a.address).length
    expect(fromA).toBeGreaterThan(0)
    expect(fromA).toBeLessThan(120)
    // the limit is per second: a little later, the same connection gets through again
    await new Promise((r) => setTimeout(r, 300))
    ia.endpoint.send(b.address, Uint8Array.of(200))
    await until(() => ib.frames.some((f) => f.from === a.address && f.bytes[0] === 200), 'a frame after the flood')
  })

  it('rejects unusable options with INVALID_CONFIG saying what was expected', async () => {
    for (const bad of [{ parties: [] }, { parties: [''] }, { parties: ['x'], maxFrameBytes: 0 }, { parties: ['x'], port: 70000 }, { parties: ['x'], rateLimit: { framesPerSecond: 1.5 } }]) {
      const err = await serveRelay(bad as ServeRelayOptions).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(isZrError(err, 'INVALID_CONFIG'), JSON.stringify(bad)).toBe(true)
      expect((err as ZrError).details).toMatch(/expected/)
    }
    const a = generateAccount()
    for (const bad of [{ url: 'http://x' }, { url: 'ws://x', account: {} }, { url: 'ws://x', account: a, backoff: { initialMs: -1 } }]) {
      expect(() => connectRelay({ WebSocket, account: a, ...bad } as never)).toThrow(/expected/)
    }
  })
})

describe('relay directory and reconnection', () => {
  it('keeps the newest announcement per party, only from the party itself, and pushes it to everyone', async () => {
    const [a, b, c] = [generateAccount(), generateAccount(), generateAccount()]
    const s = await server({ parties: [a.address, b.address, c.address] })
    const [ca, cb] = await Promise.all([client(s, a), client(s, b)])
    const seenByB: Announcement[] = []
    cb.onAnnouncement((x) => seenByB.push(x))
    ca.announce(fakeAnnouncement(a.address, 5))
    await until(() => seenByB.length === 1, 'the announcement')
    expect(seenByB[0]!.epoch).toBe(5)
    // older epochs are ignored by the relay
    const r = await raw(s.url)
    r.send(await r.answer(c, s.relayId))
    await r.next('welcome')
    const first = await r.next('announce')
    expect(first.announcement.party).toBe(a.address)
    // c announcing for a: refused
    r.send({ type: 'announce', announcement: fakeAnnouncement(a.address, 99) })
    expectRefused(await r.next('error'), 'RELAY_REFUSED', 'not-own-announcement')
    // the client refuses to announce for another party
    expect(() => ca.announce(fakeAnnouncement(b.address, 1))).toThrow(/own party/)
    ca.announce(fakeAnnouncement(a.address, 6))
    await until(() => seenByB.length === 2, 'the newer announcement')
    expect(seenByB.map((x) => x.epoch)).toEqual([5, 6])
    // a late subscriber gets the directory
    const cc = await client(s, c)
    const seenByC: Announcement[] = []
    cc.onAnnouncement((x) => seenByC.push(x))
    await until(() => seenByC.length === 1, 'the directory')
    expect(seenByC[0]).toMatchObject({ party: a.address, epoch: 6 })
  })

  it('reconnects with backoff after its socket is cut; frames to it meanwhile come from the buffer, frames from it from its queue', async () => {
    const [a, b] = [generateAccount(), generateAccount()]
    const s = await server({ parties: [a.address, b.address] })
    const [ca, cb] = await Promise.all([client(s, a), client(s, b)])
    const ia = inbox(ca, a)
    const ib = inbox(cb, b)
    cb.announce(fakeAnnouncement(b.address, 1))
    expect(s.terminate(b.address)).toBe(true)
    await until(() => !cb.connected && !s.connected().includes(b.address), 'b disconnected')
    // sent to b while it is away: the relay buffers; sent by b while away: b's client queues
    for (let i = 0; i < 3; i++) ia.endpoint.send(b.address, Uint8Array.of(i))
    ib.endpoint.send(a.address, Uint8Array.of(42))
    await until(() => cb.connected, 'b reconnected', { timeoutMs: 5_000 })
    expect(cb.sessions).toBe(2)
    await until(() => ib.frames.length === 3, 'the buffered frames')
    expect(ib.frames.map((f) => f.bytes[0])).toEqual([0, 1, 2])
    await until(() => ia.frames.length === 1, 'the queued frame')
    expect(ia.frames[0]).toMatchObject({ from: b.address, bytes: Uint8Array.of(42) })
  })

  it('buffers a frame for a party whose connection is being cut (closed, its close not yet seen) instead of losing it', async () => {
    const [a, b] = [generateAccount(), generateAccount()]
    const s = await server({ parties: [a.address, b.address] })
    const [ca, cb] = await Promise.all([client(s, a), client(s, b)])
    const ia = inbox(ca, a)
    const ib = inbox(cb, b)
    // cut b just before the frame is routed: its socket is closed, the relay has not seen the close yet
    s.intercept(() => {
      s.terminate(b.address)
    })
    ia.endpoint.send(b.address, Uint8Array.of(7))
    await until(() => cb.sessions === 2 && cb.connected, 'b reconnected', { timeoutMs: 5_000 })
    await until(() => ib.frames.length === 1, 'the frame, from the buffer')
    expect(ib.frames[0]).toMatchObject({ from: a.address, bytes: Uint8Array.of(7) })
  })

  it('bounds the buffer for an absent party by count and age, dropping the oldest and reporting it', async () => {
    const [a, b] = [generateAccount(), generateAccount()]
    const events: RelayServerEvent[] = []
    const s = await server({ parties: [a.address, b.address], buffer: { maxFrames: 2, maxAgeMs: 200 }, onEvent: (e) => events.push(e) })
    const ca = await client(s, a)
    const ia = inbox(ca, a)
    for (let i = 0; i < 5; i++) ia.endpoint.send(b.address, Uint8Array.of(i))
    await until(() => events.filter((e) => e.type === 'dropped').length === 3, 'three dropped')
    expect(events.filter((e) => e.type === 'dropped').every((e) => e.type === 'dropped' && e.reason === 'buffer-full' && e.to === b.address)).toBe(true)
    const cb = await client(s, b)
    const ib = inbox(cb, b)
    // the newest two, delivered on welcome and kept by the client until connect()
    await until(() => ib.frames.length === 2, 'the buffered frames')
    expect(ib.frames.map((f) => f.bytes[0])).toEqual([3, 4])
    // age: a frame older than maxAgeMs is dropped when the buffer is next touched
    await cb.close()
    await until(() => !s.connected().includes(b.address), 'b away')
    ia.endpoint.send(b.address, Uint8Array.of(7))
    await new Promise((r) => setTimeout(r, 300))
    ia.endpoint.send(b.address, Uint8Array.of(8))
    await until(() => events.some((e) => e.type === 'dropped' && e.reason === 'expired'), 'the expired frame reported')
    const ib2 = inbox(await client(s, b), b)
    await until(() => ib2.frames.some((f) => f.bytes[0] === 8), 'the fresh frame')
    expect(ib2.frames.map((f) => f.bytes[0])).toEqual([8])
  })

  it('cuts a connection that stops answering pings (a vanished network), and keeps one that answers', async () => {
    const [a, b] = [generateAccount(), generateAccount()]
    const events: RelayServerEvent[] = []
    const s = await server({ parties: [a.address, b.address], heartbeatMs: 50, onEvent: (e) => events.push(e) })
    const cb = await client(s, b)
    // a client whose pongs never come, as when its machine drops off the network
    const ws = new WebSocket(s.url, { autoPong: false })
    ws.on('error', () => {})
    cleanup.push(() => ws.terminate())
    const received: RelayMessage[] = []
    ws.on('message', (data) => received.push(decodeRelayMessage(new Uint8Array(data as Buffer))))
    await until(() => received.length === 1, 'the challenge')
    const { challenge } = received[0] as Extract<RelayMessage, { type: 'challenge' }>
    ws.send(encodeRelayMessage({ type: 'auth', party: a.address, publicKey: a.publicKey, signature: await a.sign(relayAuthDigest(challenge, s.relayId, a.address)), challenge }))
    await until(() => s.connected().includes(a.address), 'a connected')
    await until(() => events.some((e) => e.type === 'disconnected' && e.party === a.address), 'a cut by the heartbeat', { timeoutMs: 2_000 })
    expect(s.connected()).toEqual([b.address])
    // b's client answers pings (as browsers and ws do): still connected after several periods
    await new Promise((r) => setTimeout(r, 250))
    expect(cb.connected).toBe(true)
    expect(cb.sessions).toBe(1)
  })

  it('close() settles: no reconnection afterwards, and the relay sees the party leave', async () => {
    const a = generateAccount()
    const s = await server({ parties: [a.address] })
    const ca = await client(s, a)
    await ca.close()
    await until(() => s.connected().length === 0, 'the party gone')
    await new Promise((r) => setTimeout(r, 100))
    expect(s.connected()).toEqual([])
    expect(ca.connected).toBe(false)
  })

  it('keeps trying while the relay is down, then connects; times out with TIMEOUT when it never comes', async () => {
    const a = generateAccount()
    const s = await server({ parties: [a.address] })
    const url = s.url
    await s.close()
    const err = await connectRelay({ url, account: a, WebSocket, backoff: { initialMs: 10, maxMs: 50 }, timeoutMs: 300 }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(isZrError(err, 'TIMEOUT'), String(err)).toBe(true)
    const abort = new AbortController()
    setTimeout(() => abort.abort(), 50)
    const aborted = await connectRelay({ url, account: a, WebSocket, backoff: { initialMs: 10, maxMs: 50 }, signal: abort.signal }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(isZrError(aborted, 'ABORTED'), String(aborted)).toBe(true)
    // and the relay coming up later is found by a client that keeps trying
    const pending = connectRelay({ url: s.url, account: a, WebSocket, backoff: { initialMs: 10, maxMs: 50 }, timeoutMs: 5_000 })
    await new Promise((r) => setTimeout(r, 100))
    const again = await server({ parties: [a.address], port: s.port })
    const c = await pending
    cleanup.push(() => c.close())
    expect(c.connected).toBe(true)
    expect(again.connected()).toEqual([a.address])
  })
})
