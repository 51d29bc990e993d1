import { type Account, type ZrError, generateAccount, isZrError } from '@zrkit/core'
import { type RelayClient, connectRelay, createSessionRouter, fanoutRelay, memoryRelay, secureTransport } from '@zrkit/mpc'
import { type RelayServer, serveRelay } from '@zrkit/mpc/node'
import { rejection, sleep, until } from '@zrkit/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import type { AddressInfo } from 'node:net'
import { decodeRelayMessage, encodeRelayMessage } from './relayWire.js'

const cleanup: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

const connect = (s: { url: string }, account: Account, more: { initialMs?: number; onError?: (e: ZrError) => void } = {}): Promise<RelayClient> =>
  connectRelay({
    url: s.url,
    account,
    WebSocket,
    backoff: { initialMs: more.initialMs ?? 20, maxMs: Math.max(100, more.initialMs ?? 0) },
    timeoutMs: 5_000,
    ...(more.onError ? { onError: more.onError } : {}),
  }).then((r) => {
    cleanup.push(() => r.close())
    return r
  })

async function relayFor(accounts: readonly Account[]): Promise<RelayServer> {
  const s = await serveRelay({ parties: accounts.map((a) => a.address) })
  cleanup.push(() => s.close())
  return s
}

describe('presence over the network relay', () => {
  it('tells each party who is connected (the full list after welcome, then every change), with how long', async () => {
    const [a, b, c] = [generateAccount(), generateAccount(), generateAccount()]
    const s = await relayFor([a, b, c])
    await sleep(30)
    const ra = await connect(s, a)
    // b and c have never come: away since the relay started
    await until(() => ra.presence?.(b.address) !== undefined, 'the full list')
    expect(ra.presence!(b.address)).toMatchObject({ here: false })
    expect(Date.now() - ra.presence!(b.address)!.since).toBeGreaterThanOrEqual(25)
    expect(ra.presence!(c.address)).toMatchObject({ here: false })
    // its own entry is not kept; a party the relay does not serve is unknown
    expect(ra.presence!(a.address)).toBeUndefined()
    expect(ra.presence!('zen1nobody')).toBeUndefined()

    const changes: string[] = []
    ra.onPresence!((party) => changes.push(party))
    const joined = Date.now()
    const rb = await connect(s, b)
    await until(() => ra.presence!(b.address)?.here === true, 'b seen here')
    expect(ra.presence!(b.address)!.since).toBeGreaterThanOrEqual(joined - 5)
    expect(changes).toContain(b.address)
    // b got the full list at once: a here (since it connected), c away
    await until(() => rb.presence!(a.address) !== undefined, "b's full list")
    expect(rb.presence!(a.address)).toMatchObject({ here: true })
    expect(rb.presence!(a.address)!.since).toBeLessThanOrEqual(joined + 200) // a came before b (plus the transit time of the list)
    expect(rb.presence!(c.address)).toMatchObject({ here: false })

    // b leaves for good: a sees it away
    const left = Date.now()
    await rb.close()
    await until(() => ra.presence!(b.address)?.here === false, 'b seen away')
    expect(ra.presence!(b.address)!.since).toBeGreaterThanOrEqual(left - 5)

    // c's socket is cut: away, then here again when it reconnects on its own
    const rc = await connect(s, c)
    await until(() => ra.presence!(c.address)?.here === true, 'c seen here')
    const seen: boolean[] = []
    ra.onPresence!((party) => party === c.address && seen.push(ra.presence!(c.address)!.here))
    expect(s.terminate(c.address)).toBe(true)
    await until(() => rc.connected && rc.sessions === 2 && ra.presence!(c.address)?.here === true, 'c back')
    expect(seen).toEqual([false, true])
  })

  it("knows nothing while its own connection is down (its blip never makes the others look away), and learns again on reconnecting", async () => {
    const [a, b] = [generateAccount(), generateAccount()]
    const s = await relayFor([a, b])
    const ra = await connect(s, a, { initialMs: 400 })
    await connect(s, b)
    await until(() => ra.presence!(b.address)?.here === true, 'b seen here')
    const changes: string[] = []
    ra.onPresence!((p) => changes.push(p))
    s.terminate(a.address)
    await until(() => !ra.connected, 'a cut off')
    expect(ra.presence!(b.address)).toBeUndefined()
    expect(changes).toEqual([b.address])
    await until(() => ra.connected && ra.presence!(b.address)?.here === true, 'a back, b here', { timeoutMs: 5_000 })
  })

  it('fanoutRelay: here if any relay says so, away only when every relay that knows says away (since the last), unknown when none knows', async () => {
    const [a, b] = [generateAccount(), generateAccount()]
    const [s1, s2] = [await relayFor([a, b]), await relayFor([a, b])]
    const ra = fanoutRelay([await connect(s1, a), await connect(s2, a)])
    const b1 = await connect(s1, b)
    const b2 = await connect(s2, b)
    await until(() => ra.relays.every((r) => r.presence!(b.address)?.here === true), 'b here on both')
    expect(ra.presence!(b.address)).toMatchObject({ here: true })
    expect(ra.presence!('zen1nobody')).toBeUndefined()
    const changes: string[] = []
    const stop = ra.onPresence!((p) => changes.push(p))
    await b1.close()
    await until(() => ra.relays[0]!.presence!(b.address)?.here === false, 'b away on relay 1')
    expect(ra.presence!(b.address)).toMatchObject({ here: true })
    await sleep(40)
    const last = Date.now()
    await b2.close()
    await until(() => ra.presence!(b.address)?.here === false, 'b away on both')
    expect(ra.presence!(b.address)!.since).toBeGreaterThanOrEqual(last - 5)
    expect(changes.filter((p) => p === b.address).length).toBe(2)
    // a relay that went down knows nothing: the other one's word stands
    await s1.close()
    await until(() => !ra.relays[0]!.connected, 'relay 1 down')
    expect(ra.relays[0]!.presence!(b.address)).toBeUndefined()
    expect(ra.presence!(b.address)).toMatchObject({ here: false })
    stop()
  })

  it('a relay serves at most as many parties as one presence message lists (INVALID_CONFIG beyond)', async () => {
    const parties = Array.from({ length: 1025 }, (_, i) => `zen1party${i}`)
    const e = await rejection(serveRelay({ parties }))
    expect(isZrError(e, 'INVALID_CONFIG')).toBe(true)
    expect(e.details).toBe('parties: expected at most 1024 account addresses, got 1025')
  })

  it('memoryRelay: here from connect to close, a replaced endpoint does not count, unknown before', () => {
    const relay = memoryRelay()
    expect(relay.presence('p1')).toBeUndefined()
    const changes: string[] = []
    const stop = relay.onPresence((p) => changes.push(p))
    const first = relay.connect('p1', () => {})
    expect(relay.presence('p1')).toMatchObject({ here: true })
    const second = relay.connect('p1', () => {})
    first.close()
    expect(relay.presence('p1')).toMatchObject({ here: true })
    second.close()
    second.close()
    expect(relay.presence('p1')).toMatchObject({ here: false })
    expect(changes).toEqual(['p1', 'p1', 'p1'])
    stop()
    relay.connect('p1', () => {})
    expect(changes.length).toBe(3)
  })
})

/** A relay that answers the handshake, then sends whatever `after` gives, as raw bytes. */
async function hostileRelay(after: (send: (bytes: Uint8Array) => void) => void) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()))
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`
  cleanup.push(() => new Promise<void>((resolve) => {
    for (const c of wss.clients) c.terminate()
    wss.close(() => resolve())
  }))
  wss.on('connection', (socket) => {
    socket.send(encodeRelayMessage({ type: 'challenge', challenge: new Uint8Array(32).fill(7), relay: url, maxFrameBytes: 1 << 20 }))
    socket.on('message', (data) => {
      const m = decodeRelayMessage(new Uint8Array(data as Buffer))
      if (m.type !== 'auth') return
      // presence before welcome is out of order too
      socket.send(encodeRelayMessage({ type: 'presence', parties: [] }))
      socket.send(encodeRelayMessage({ type: 'welcome', party: m.party }))
      after((bytes) => socket.send(bytes))
    })
  })
  return { url }
}

describe('presence from a hostile relay', () => {
  it('refuses malformed presence messages with MALFORMED_MESSAGE (onError) and stays connected', async () => {
    const a = generateAccount()
    const errors: ZrError[] = []
    const good = encodeRelayMessage({ type: 'presence', parties: [{ party: 'zen1b', here: true, forMs: 5 }] })
    const badFlag = Uint8Array.from(good)
    // version, type, count (2), party length (2), party: the flag follows
    badFlag[6 + 'zen1b'.length] = 9
    const twice = encodeRelayMessage({
      type: 'presence',
      parties: [
        { party: 'zen1b', here: true, forMs: 0 },
        { party: 'zen1b', here: false, forMs: 0 },
      ],
    })
    const truncated = good.subarray(0, good.length - 1)
    const s = await hostileRelay((send) => {
      for (const bytes of [badFlag, twice, truncated]) send(bytes)
      // then a well-formed lie: zen1b away for a long time
      send(encodeRelayMessage({ type: 'presence', parties: [{ party: 'zen1b', here: false, forMs: 10 ** 15 }] }))
    })
    const r = await connect(s, a, { onError: (e) => errors.push(e) })
    await until(() => r.presence!('zen1b') !== undefined, 'the lie')
    expect(errors.length).toBe(4)
    expect(errors.every((e) => isZrError(e, 'MALFORMED_MESSAGE'))).toBe(true)
    expect(errors[0]!.details).toBe('expected presence after welcome, got it before')
    expect(errors[1]!.details).toBe('presence.parties[0].here: expected 0 or 1, got 9')
    expect(errors[2]!.details).toBe('presence.parties[1].party: expected each party once, got zen1b twice')
    expect(errors[3]!.details).toMatch(/^presence\.parties\[0\]\.forMs: expected 8 more bytes, got 7$/)
    // none of the bad ones changed anything; the lie is taken (a relay can lie: see the README), clamped to the epoch
    expect(r.presence!('zen1b')).toEqual({ here: false, since: 0 })
    expect(r.connected).toBe(true)
  })
})

describe('the session router and presence', () => {
  async function trio(grace: number, bBackoffMs = 20) {
    const [a, b, c] = [generateAccount(), generateAccount(), generateAccount()]
    const all = [a, b, c]
    const s = await relayFor(all)
    const relays = [await connect(s, a), await connect(s, b, { initialMs: bBackoffMs }), await connect(s, c)]
    const transports = await Promise.all(
      all.map((acc, i) => secureTransport({ account: acc, relay: relays[i]!, peers: all.filter((x) => x !== acc).map((x) => x.address), timeoutMs: 5_000 })),
    )
    for (const t of transports) cleanup.push(() => t.close())
    const routers = transports.map((t) => createSessionRouter(t, { awayGraceMs: grace, timeoutMs: 10_000 }))
    for (const r of routers) cleanup.push(() => r.close())
    const ids = all.map((x) => x.address)
    return { s, a, b, c, relays, routers, ids }
  }

  it('a wait for a party away longer than the grace ends at once with the TIMEOUT a timeout gives; one that starts within the grace ends when it runs out', async () => {
    const { b, relays, routers, ids } = await trio(400)
    await until(() => relays[0]!.presence!(b.address)?.here === true, 'b here')
    const session = routers[0]!.open('s1', ids)
    // a broadcast round all three took part in, to confirm later
    const [sb, sc] = [routers[1]!.open('s1', ids), routers[2]!.open('s1', ids)]
    await Promise.all([session.broadcast('r3', Uint8Array.of(0)), sb.broadcast('r3', Uint8Array.of(1)), sc.broadcast('r3', Uint8Array.of(2))])
    const r3 = new Map([...(await session.collect('r3')), [ids[0]!, Uint8Array.of(0)]])
    const waiting = session.collect('r1', { from: [b.address] })
    const wentAt = Date.now()
    await relays[1]!.close()
    const e = await rejection(waiting)
    const took = Date.now() - wentAt
    expect(isZrError(e, 'TIMEOUT')).toBe(true)
    expect(e.context).toEqual({ missing: [b.address], session: 's1', round: 'r1' })
    expect(e.details).toMatch(/has been away from the relay for over 400 ms/)
    expect(took).toBeGreaterThanOrEqual(350)
    expect(took).toBeLessThan(3_000)
    // b has been away for longer than the grace now: a new wait (its missing list names everyone missing) ends at once
    const started = Date.now()
    const e2 = await rejection(session.collect('r2'))
    expect(Date.now() - started).toBeLessThan(200)
    expect(isZrError(e2, 'TIMEOUT')).toBe(true)
    expect((e2.context as { missing: string[] }).missing.sort()).toEqual(ids.filter((p) => p !== ids[0]).sort())
    // echo confirmation steps end the same way (c is up but does not confirm; b is away)
    const started3 = Date.now()
    const e3 = await rejection(session.confirmBroadcasts('r3', r3))
    expect(Date.now() - started3).toBeLessThan(500)
    expect(isZrError(e3, 'TIMEOUT'), String(e3)).toBe(true)
    expect((e3.context as { missing: string[] }).missing).toContain(b.address)
    // grace 0: never early
    const patient = session.collect('r4', { from: [b.address], awayGraceMs: 0, timeoutMs: 300 })
    const started4 = Date.now()
    const e4 = await rejection(patient)
    expect(Date.now() - started4).toBeGreaterThanOrEqual(280)
    expect(e4.details).toMatch(/after 300 ms/)
  })

  it('a party that blips and comes back within the grace is waited for', async () => {
    const { s, b, relays, routers, ids } = await trio(1_500, 400)
    await until(() => relays[0]!.presence!(b.address)?.here === true, 'b here')
    const sa = routers[0]!.open('s2', ids)
    const sb = routers[1]!.open('s2', ids)
    const waiting = sa.collect('r1', { from: [b.address] })
    // b's socket cut: it reconnects after 200..400 ms, within the grace
    s.terminate(b.address)
    await until(() => relays[0]!.presence!(b.address)?.here === false && !relays[1]!.connected, 'b seen away, and b sees itself cut off')
    await sb.send(ids[0]!, 'r1', Uint8Array.of(1))
    expect((await waiting).get(b.address)).toEqual(Uint8Array.of(1))
    await until(() => relays[0]!.presence!(b.address)?.here === true, 'b back', { timeoutMs: 5_000 })

  })

  it('a party back after the grace is waited for again normally', async () => {
    const { s, b, relays, routers, ids } = await trio(100, 400)
    await until(() => relays[0]!.presence!(b.address)?.here === true, 'b here')
    s.terminate(b.address)
    await until(() => relays[0]!.presence!(b.address)?.here === false, 'b seen away')
    const sa = routers[0]!.open('s4', ids)
    const sb = routers[1]!.open('s4', ids)
    await sleep(150)
    expect(isZrError(await rejection(sa.collect('r1', { from: [b.address] })), 'TIMEOUT')).toBe(true)
    await until(() => relays[0]!.presence!(b.address)?.here === true, 'b back', { timeoutMs: 5_000 })
    const again = sa.collect('r2', { from: [b.address] })
    await sleep(250)
    await sb.send(ids[0]!, 'r2', Uint8Array.of(2))
    expect((await again).get(b.address)).toEqual(Uint8Array.of(2))
  })

  it('refuses a bad awayGraceMs with a typed error', async () => {
    const relay = memoryRelay()
    const [a, b] = [generateAccount(), generateAccount()]
    const [ta] = await Promise.all([
      secureTransport({ account: a, relay, peers: [b.address] }),
      secureTransport({ account: b, relay, peers: [a.address] }),
    ])
    for (const bad of [-1, Number.NaN, '5']) {
      let err: unknown
      try {
        createSessionRouter(ta!, { awayGraceMs: bad as never })
      } catch (e) {
        err = e
      }
      expect(isZrError(err, 'INVALID_CONFIG')).toBe(true)
      expect((err as ZrError).details).toMatch(/^awayGraceMs: expected a number of ms >= 0 \(0: never\), got/)
    }
    const router = createSessionRouter(ta!)
    const session = router.open('s', [a.address, b.address])
    const e = await rejection(session.collect('r', { awayGraceMs: -5 }))
    expect(isZrError(e, 'INVALID_INPUT')).toBe(true)
    expect(e.details).toBe('awayGraceMs: expected a number of ms >= 0 (0: never), got -5')
    router.close()
  })

  it('whenConnected: waits until enough parties are on the relay (this party and unknown ones count), false at the deadline, on abort or on close', async () => {
    const { s, b, c, relays, routers, ids } = await trio(2_000, 300)
    const ra = routers[0]!
    await until(() => relays[0]!.presence!(b.address)?.here === true && relays[0]!.presence!(c.address)?.here === true, 'all here')
    // all three here: at once
    expect(await ra.whenConnected(ids, 3)).toBe(true)
    // b cut off (it comes back after its backoff of 300-600 ms): three of three is not there yet
    s.terminate(b.address)
    await until(() => relays[0]!.presence!(b.address)?.here === false, 'b seen away')
    // two of them are: a itself and c; the same party listed twice counts once
    expect(await ra.whenConnected(ids, 2)).toBe(true)
    expect(await ra.whenConnected([ids[0]!, ids[0]!, b.address], 2, { until: Date.now() + 50 })).toBe(false)
    const started = Date.now()
    expect(await ra.whenConnected(ids, 3, { until: Date.now() + 100 })).toBe(false)
    expect(Date.now() - started).toBeGreaterThanOrEqual(90)
    // a deadline already past answers at once
    expect(await ra.whenConnected(ids, 3, { until: Date.now() - 1 })).toBe(false)
    // with time left, it resolves when b is back
    expect(relays[0]!.presence!(b.address)?.here).toBe(false)
    expect(await ra.whenConnected(ids, 3, { until: Date.now() + 5_000 })).toBe(true)
    expect(relays[0]!.presence!(b.address)?.here).toBe(true)
    // a party the relay says nothing of (not one it serves) counts as connected: the router cannot tell
    s.terminate(b.address)
    await until(() => relays[0]!.presence!(b.address)?.here === false && relays[2]!.presence!(b.address)?.here === false, 'b seen away again')
    expect(await ra.whenConnected([ids[0]!, b.address, 'zen1unknown'], 2, { until: Date.now() + 50 })).toBe(true)
    // abort and close end the wait with false
    const stop = new AbortController()
    const aborted = ra.whenConnected(ids, 3, { signal: stop.signal })
    stop.abort()
    expect(await aborted).toBe(false)
    const closing = routers[2]!.whenConnected(ids, 3)
    routers[2]!.close()
    expect(await closing).toBe(false)
    // bad arguments: a typed error saying what was expected
    for (const [parties, count, until] of [['x', 2, undefined], [ids, '2', undefined], [ids, 2, 'soon']] as const) {
      const e = await rejection(ra.whenConnected(parties as never, count as never, { until: until as never }))
      expect(isZrError(e, 'INVALID_INPUT')).toBe(true)
      expect(e.details).toMatch(/^expected a list of party ids, a count and an optional time in ms, got /)
    }
  })

  it('whenConnected: a party cut off from the relay counts only itself until it is back', async () => {
    // b reconnects 500-1000 ms after a cut (its backoff)
    const { s, a, b, c, relays, routers, ids } = await trio(2_000, 1_000)
    await until(() => relays[1]!.presence!(a.address)?.here === true && relays[1]!.presence!(c.address)?.here === true, 'b sees a and c')
    const rb = routers[1]!
    expect(await rb.whenConnected(ids, 3)).toBe(true)
    s.terminate(b.address)
    await until(() => !relays[1]!.connected, 'b cut off')
    // b knows nothing of a and c now; that is not taken for "connected"
    expect(relays[1]!.presence!(a.address)).toBeUndefined()
    expect(await rb.whenConnected(ids, 1)).toBe(true)
    expect(await rb.whenConnected(ids, 2, { until: Date.now() + 100 })).toBe(false)
    // back on the relay, it learns who is there, and the wait ends
    expect(await rb.whenConnected(ids, 3, { until: Date.now() + 10_000 })).toBe(true)
    expect(relays[1]!.connected).toBe(true)
  })

  it('whenConnected over a relay that tells no presence does not wait', async () => {
    const [a, b] = [generateAccount(), generateAccount()]
    // a relay that routes frames but tells nothing of who is connected
    const { presence: _presence, onPresence: _onPresence, ...blind } = memoryRelay()
    const [ta] = await Promise.all([
      secureTransport({ account: a, relay: blind, peers: [b.address] }),
      secureTransport({ account: b, relay: blind, peers: [a.address] }),
    ])
    const router = createSessionRouter(ta!)
    cleanup.push(() => router.close())
    expect(await router.whenConnected([a.address, b.address], 2, { until: Date.now() + 10_000 })).toBe(true)
  })
})
