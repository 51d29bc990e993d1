/**
 * What a relay reports about the parties it serves: `stats()` and `GET /status` on the relay's own port, over real
 * sockets on localhost (relay clients, fetch and raw TCP).
 */
import { connect } from 'node:net'
import { type Account, generateAccount, isZrError } from '@zrkit/core'
import { type RelayClient, type RelayFrame, connectRelay } from '@zrkit/mpc'
import { type RelayPartyStats, type RelayServer, type RelayStatus, type ServeRelayOptions, serveRelay } from '@zrkit/mpc/node'
import { parsePrometheusText, promSample, until } from '@zrkit/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'

const cleanup: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

async function server(options: ServeRelayOptions): Promise<RelayServer> {
  const s = await serveRelay({ heartbeatMs: 0, ...options })
  cleanup.push(() => s.close())
  return s
}

async function client(s: RelayServer, account: Account): Promise<RelayClient> {
  const c = await connectRelay({ url: s.url, account, WebSocket, backoff: { initialMs: 20, maxMs: 200 }, timeoutMs: 5_000 })
  cleanup.push(() => c.close())
  return c
}

function inbox(c: RelayClient, account: Account) {
  const frames: RelayFrame[] = []
  const endpoint = c.connect(account.address, (f) => frames.push(f))
  return { frames, endpoint }
}

const statsOf = (s: RelayServer, party: Account): RelayPartyStats => s.stats().find((p) => p.party === party.address)!
const httpUrl = (s: RelayServer, path: string) => `http://127.0.0.1:${s.port}${path}`
const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill)

/** Sends `text` over a raw TCP connection and resolves with everything the server answered before it closed. */
function rawHttp(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let answer = ''
    socket.on('data', (d) => (answer += d.toString('latin1')))
    socket.on('error', reject)
    socket.on('close', () => resolve(answer))
    socket.on('connect', () => socket.write(text))
    setTimeout(() => socket.destroy(), 3_000).unref()
  })
}

describe('relay stats', () => {
  it('counts the frames and bytes each party sent and received, and when it was seen', async () => {
    const [a, b, c] = [generateAccount(), generateAccount(), generateAccount()]
    const s = await server({ parties: [a.address, b.address, c.address] })
    const before = Date.now()
    const [ca, cb] = [await client(s, a), await client(s, b)]
    const [ia, ib] = [inbox(ca, a), inbox(cb, b)]
    const sizes = [10, 200, 3000]
    for (const [i, n] of sizes.entries()) ia.endpoint.send(b.address, bytes(n, i + 1))
    ib.endpoint.send(a.address, bytes(77, 9))
    await until(() => ib.frames.length === 3 && ia.frames.length === 1, 'the frames delivered', { timeoutMs: 5_000 })

    const sa = statsOf(s, a)
    const sb = statsOf(s, b)
    const sent = sizes.reduce((x, y) => x + y, 0)
    expect(sa).toMatchObject({ connected: true, framesIn: 3, bytesIn: sent, framesOut: 1, bytesOut: 77, buffered: 0, dropped: 0 })
    expect(sb).toMatchObject({ connected: true, framesIn: 1, bytesIn: 77, framesOut: 3, bytesOut: sent, buffered: 0, dropped: 0 })
    // bytes in are exactly what the sender sent; out exactly what was delivered
    expect(sb.bytesOut).toBe(ib.frames.reduce((x, f) => x + f.bytes.length, 0))
    for (const p of [sa, sb]) {
      expect(p.connectedSince).toBeGreaterThanOrEqual(before)
      expect(p.lastSeenAt).toBeGreaterThanOrEqual(p.connectedSince!)
      expect(p.lastSeenAt).toBeLessThanOrEqual(Date.now())
    }
    // a served party never seen: listed, all zeros, no times
    expect(statsOf(s, c)).toEqual({ party: c.address, connected: false, framesIn: 0, bytesIn: 0, framesOut: 0, bytesOut: 0, buffered: 0, dropped: 0 })
    // one entry per served party, sorted by address
    expect(s.stats().map((p) => p.party)).toEqual([a.address, b.address, c.address].sort())
  })

  it('connected flips when a client leaves and comes back; the counters survive the reconnection', async () => {
    const [a, b] = [generateAccount(), generateAccount()]
    const s = await server({ parties: [a.address, b.address] })
    const [ca, cb] = [await client(s, a), await client(s, b)]
    const ia = inbox(ca, a)
    const ib = inbox(cb, b)
    ia.endpoint.send(b.address, bytes(5, 1))
    await until(() => ib.frames.length === 1, 'the frame delivered', { timeoutMs: 5_000 })
    const seen = statsOf(s, b).lastSeenAt
    await cb.close()
    await until(() => !statsOf(s, b).connected, 'b seen as gone', { timeoutMs: 5_000 })
    const gone = statsOf(s, b)
    expect(gone.connectedSince).toBeUndefined()
    expect(gone.lastSeenAt).toBe(seen)
    expect(gone).toMatchObject({ framesOut: 1, bytesOut: 5 })
    expect(statsOf(s, a).connected).toBe(true)

    const again = await client(s, b)
    inbox(again, b)
    expect(statsOf(s, b).connected).toBe(true)
    expect(statsOf(s, b).connectedSince).toBeGreaterThanOrEqual(seen!)
    expect(statsOf(s, b).framesOut).toBe(1)
  })

  it('reports frames buffered for an away party and those dropped; delivery from the buffer counts as out', async () => {
    const [a, away] = [generateAccount(), generateAccount()]
    const s = await server({ parties: [a.address, away.address], buffer: { maxFrames: 2 } })
    const ca = await client(s, a)
    const ia = inbox(ca, a)
    for (let i = 0; i < 5; i++) ia.endpoint.send(away.address, bytes(100 + i, i))
    await until(() => statsOf(s, a).framesIn === 5, 'the frames at the relay', { timeoutMs: 5_000 })
    expect(statsOf(s, away)).toMatchObject({ connected: false, buffered: 2, dropped: 3, framesOut: 0 })

    const back = await client(s, away)
    const ib = inbox(back, away)
    await until(() => ib.frames.length === 2, 'the buffered frames delivered', { timeoutMs: 5_000 })
    expect(statsOf(s, away)).toMatchObject({ connected: true, buffered: 0, dropped: 3, framesOut: 2, bytesOut: 103 + 104 })
  })

  it('frames past their age no longer count as buffered', async () => {
    const [a, away] = [generateAccount(), generateAccount()]
    const s = await server({ parties: [a.address, away.address], buffer: { maxAgeMs: 50 } })
    const ia = inbox(await client(s, a), a)
    ia.endpoint.send(away.address, bytes(8, 1))
    await until(() => statsOf(s, a).framesIn === 1, 'the frame at the relay', { timeoutMs: 5_000 })
    await until(() => statsOf(s, away).buffered === 0, 'the frame expired', { timeoutMs: 5_000 })
  })

  it('refuses a status option that is not a boolean with INVALID_CONFIG', async () => {
    const error = await serveRelay({ parties: [generateAccount().address], status: 'yes' as never }).then(
      (s) => s.close(),
      (e: unknown) => e,
    )
    expect(isZrError(error, 'INVALID_CONFIG')).toBe(true)
    expect((error as Error).message).toMatch(/status: expected true or false, got "yes"/)
  })
})

describe('GET /status', () => {
  it('answers the same JSON as stats() on the WebSocket port; the WebSocket still works beside it', async () => {
    const [a, b] = [generateAccount(), generateAccount()]
    const s = await server({ parties: [a.address, b.address], relayId: 'wss://relay.example' })
    const empty = await fetch(httpUrl(s, '/status'))
    expect(empty.status).toBe(200)
    expect(empty.headers.get('content-type')).toBe('application/json')
    expect(await empty.json()).toEqual({ relayId: 'wss://relay.example', parties: s.stats() })

    // upgrades after HTTP requests, on the same port
    const ca = await connectRelay({ url: s.url, relayId: 'wss://relay.example', account: a, WebSocket, timeoutMs: 5_000 })
    cleanup.push(() => ca.close())
    const cb = await connectRelay({ url: s.url, relayId: 'wss://relay.example', account: b, WebSocket, timeoutMs: 5_000 })
    cleanup.push(() => cb.close())
    const ib = inbox(cb, b)
    inbox(ca, a).endpoint.send(b.address, bytes(321, 4))
    await until(() => ib.frames.length === 1, 'the frame delivered', { timeoutMs: 5_000 })

    const res = await fetch(httpUrl(s, '/status?pretty=no'))
    const body = (await res.json()) as RelayStatus
    expect(body).toEqual({ relayId: 'wss://relay.example', parties: s.stats() })
    expect(body.parties.find((p) => p.party === b.address)).toMatchObject({ connected: true, framesOut: 1, bytesOut: 321 })
    // no frame content anywhere in the answer
    expect(JSON.stringify(body)).not.toMatch(/bytes":\s*\[|"data"/)
  })

  it('any other path is 404 and another method 405, as JSON errors with a zrkit code', async () => {
    const s = await server({ parties: [generateAccount().address] })
    for (const path of ['/', '/status/', '/statusx', '/metrics/', '/metricsx']) {
      const res = await fetch(httpUrl(s, path))
      expect(res.status).toBe(404)
      expect(res.headers.get('content-type')).toBe('application/json')
      const body = (await res.json()) as { error: { code: string; message: string } }
      expect(body.error.code).toBe('INVALID_INPUT')
      expect(body.error.message).toContain(`expected GET /status, GET /metrics or a WebSocket upgrade, got GET ${JSON.stringify(path)}`)
    }
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const res = await fetch(httpUrl(s, '/status'), { method, body: method === 'DELETE' ? undefined : 'x' })
      expect(res.status).toBe(405)
      expect(res.headers.get('allow')).toBe('GET, HEAD')
      expect(await res.json()).toEqual({ error: { code: 'INVALID_INPUT', message: `expected GET /status, got ${method} /status` } })
    }
    expect((await fetch(httpUrl(s, '/status'))).status).toBe(200)
  })

  it('status: false turns the endpoint off (404) and leaves the relay working', async () => {
    const [a, b] = [generateAccount(), generateAccount()]
    const s = await server({ parties: [a.address, b.address], status: false })
    const res = await fetch(httpUrl(s, '/status'))
    expect(res.status).toBe(404)
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/^expected GET \/metrics or a WebSocket upgrade \(GET \/status turned off on this relay\), got GET "\/status"$/)
    const ib = inbox(await client(s, b), b)
    inbox(await client(s, a), a).endpoint.send(b.address, bytes(3, 3))
    await until(() => ib.frames.length === 1, 'the frame delivered', { timeoutMs: 5_000 })
    expect(statsOf(s, b).framesOut).toBe(1)
  })

  it('garbage on the port gets 400 or a closed socket, never a dead server', async () => {
    const [a, b] = [generateAccount(), generateAccount()]
    const s = await server({ parties: [a.address, b.address] })
    expect(await rawHttp(s.port, 'NOT HTTP AT ALL\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/)
    expect(await rawHttp(s.port, `GET /status HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n`)).toMatch(/^HTTP\/1\.1 400/)
    expect(await rawHttp(s.port, `\u0000\u0001\u00ff${'x'.repeat(100_000)}`)).toMatch(/^(HTTP\/1\.1 4\d\d|)/)
    // an upgrade with a bad key: refused by the WebSocket layer
    expect(await rawHttp(s.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: bad\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/)
    // a request cut in the middle
    await new Promise<void>((resolve) => {
      const socket = connect(s.port, '127.0.0.1', () => {
        socket.write('GET /sta')
        socket.destroy()
        resolve()
      })
      socket.on('error', () => {})
    })
    // still serving both
    expect((await fetch(httpUrl(s, '/status'))).status).toBe(200)
    const ib = inbox(await client(s, b), b)
    inbox(await client(s, a), a).endpoint.send(b.address, bytes(9, 9))
    await until(() => ib.frames.length === 1, 'the frame delivered', { timeoutMs: 5_000 })
  })

  it('close() ends a keep-alive status poller too', async () => {
    const s = await serveRelay({ parties: [generateAccount().address], heartbeatMs: 0 })
    const socket = connect(s.port, '127.0.0.1')
    socket.on('error', () => {})
    const answered = new Promise<void>((resolve) => socket.once('data', () => resolve()))
    socket.on('connect', () => socket.write('GET /status HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n'))
    await answered
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    await s.close()
    await closed
  })
})

describe('GET /metrics', () => {
  it('answers the same counts as stats() in the Prometheus text format, with drops and refusals by reason', async () => {
    const [a, b, away, stranger] = [generateAccount(), generateAccount(), generateAccount(), generateAccount()]
    const s = await server({ parties: [a.address, b.address, away.address], buffer: { maxFrames: 1 } })
    const ib = inbox(await client(s, b), b)
    const ia = inbox(await client(s, a), a)
    ia.endpoint.send(b.address, bytes(40, 1))
    ia.endpoint.send(b.address, bytes(60, 2))
    for (let i = 0; i < 3; i++) ia.endpoint.send(away.address, bytes(10, i)) // one buffered, two dropped: buffer full
    await until(() => ib.frames.length === 2 && statsOf(s, away).dropped === 2, 'the frames routed', { timeoutMs: 5_000 })
    const refused = await connectRelay({ url: s.url, account: stranger, WebSocket, timeoutMs: 5_000 }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(isZrError(refused, 'RELAY_REFUSED')).toBe(true)

    const res = await fetch(httpUrl(s, '/metrics'))
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    const f = parsePrometheusText(await res.text())
    expect([...f.keys()].every((name) => name.startsWith('zrkit_party_relay_'))).toBe(true)
    expect(promSample(f, 'zrkit_party_relay_parties_served')).toBe(3)
    expect(promSample(f, 'zrkit_party_relay_parties_connected')).toBe(2)
    expect(promSample(f, 'zrkit_party_relay_party_connected', { party: away.address })).toBe(0)
    expect(promSample(f, 'zrkit_party_relay_party_connected', { party: a.address })).toBe(1)
    expect(promSample(f, 'zrkit_party_relay_frames_received_total', { party: a.address })).toBe(5)
    expect(promSample(f, 'zrkit_party_relay_bytes_received_total', { party: a.address })).toBe(130)
    expect(promSample(f, 'zrkit_party_relay_frames_delivered_total', { party: b.address })).toBe(2)
    expect(promSample(f, 'zrkit_party_relay_bytes_delivered_total', { party: b.address })).toBe(100)
    expect(promSample(f, 'zrkit_party_relay_frames_buffered', { party: away.address })).toBe(1)
    expect(promSample(f, 'zrkit_party_relay_frames_dropped_total', { party: away.address, reason: 'buffer-full' })).toBe(2)
    expect(promSample(f, 'zrkit_party_relay_frames_dropped_total', { party: away.address, reason: 'expired' })).toBe(0)
    expect(promSample(f, 'zrkit_party_relay_refused_total', { reason: 'unauthorized' })).toBeGreaterThanOrEqual(1)
    // the same numbers as stats(), and never frame contents
    for (const p of s.stats()) {
      expect(promSample(f, 'zrkit_party_relay_frames_received_total', { party: p.party })).toBe(p.framesIn)
      expect(promSample(f, 'zrkit_party_relay_frames_delivered_total', { party: p.party })).toBe(p.framesOut)
    }
    // HEAD: headers only; another method: 405
    expect((await fetch(httpUrl(s, '/metrics'), { method: 'HEAD' })).status).toBe(200)
    const post = await fetch(httpUrl(s, '/metrics'), { method: 'POST', body: 'x' })
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET, HEAD')
    expect(await post.json()).toEqual({ error: { code: 'INVALID_INPUT', message: 'Method not allowed.', details: 'expected GET /metrics, got POST /metrics' } })
  })

  it('metrics: false turns it off (404) and leaves /status on; a bad option is INVALID_CONFIG', async () => {
    const s = await server({ parties: [generateAccount().address, generateAccount().address], metrics: false })
    const res = await fetch(httpUrl(s, '/metrics'))
    expect(res.status).toBe(404)
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe('expected GET /status or a WebSocket upgrade (GET /metrics turned off on this relay), got GET "/metrics"')
    expect((await fetch(httpUrl(s, '/status'))).status).toBe(200)
    const error = await serveRelay({ parties: [generateAccount().address], metrics: 1 as never }).then(
      (r) => r.close(),
      (e: unknown) => e,
    )
    expect(isZrError(error, 'INVALID_CONFIG')).toBe(true)
    expect((error as Error).message).toMatch(/metrics: expected true or false, got 1/)
  })
})
