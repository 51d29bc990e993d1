import { type IncomingMessage, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomBytes } from '@noble/hashes/utils.js'
import { ZrError, publicKeyToAddress } from '@zrkit/core'
import { answerMetrics, concatBytes, equalBytes, verifySecp256k1Sha256 } from '@zrkit/core/internal'
import { type WebSocket, WebSocketServer } from 'ws'
import type { Announcement, InterceptResult, RelayFrame } from './memoryRelay.js'
import { type DropReason, partyRelayMetricFamilies } from './partyRelayMetrics.js'
import { relayAuthBytes } from './relayAuth.js'
import { type RelayMessage, type RelayPresenceEntry, decodeRelayMessage, maxPresenceEntries, encodeRelayMessage } from './relayWire.js'
import { type TokenBucket, tokenBucket } from './tokenBucket.js'

/** Options of {@link serveRelay}. */
export type ServeRelayOptions = {
  /** The parties (account addresses) the relay serves, at most 1 024; any other is refused. */
  readonly parties: readonly string[]
  /** TCP port (default 0: any free port). */
  readonly port?: number | undefined
  /** Interface to listen on (default `127.0.0.1`; `0.0.0.0` for every interface). */
  readonly host?: string | undefined
  /**
   * The relay's identity that parties sign into their authentication (default: its URL,
   * `ws://host:port`). Set it to the public URL parties dial when the relay sits behind a proxy.
   */
  readonly relayId?: string | undefined
  /** The largest party frame, in bytes (default 1 MiB). Larger frames are refused; the connection stays. */
  readonly maxFrameBytes?: number | undefined
  /** Per-connection limits (token buckets that refill every second; bursts of one second's worth). */
  readonly rateLimit?: { readonly framesPerSecond?: number | undefined; readonly bytesPerSecond?: number | undefined } | undefined
  /**
   * Frames kept for a served party that is not connected (reconnecting), per party: at most
   * `maxFrames` (default 1024), `maxBytes` (default 8 MiB), each for `maxAgeMs` (default 30 000);
   * the oldest are dropped first and reported to `onEvent`.
   */
  readonly buffer?: { readonly maxFrames?: number | undefined; readonly maxBytes?: number | undefined; readonly maxAgeMs?: number | undefined } | undefined
  /** How long a new connection has to authenticate, in ms (default 10 000). */
  readonly authTimeoutMs?: number | undefined
  /**
   * Every `heartbeatMs` (default 15 000; 0: never) the relay pings each connection and cuts one that has
   * not answered the previous ping or sent anything since: a party whose network vanished without a
   * close is then seen as away (its frames are buffered) within two periods.
   */
  readonly heartbeatMs?: number | undefined
  /** Malformed messages an authenticated connection may send before it is closed (default 16). */
  readonly maxMalformed?: number | undefined
  /** What happens on the relay: for logs and metrics. Never throws into the relay. */
  readonly onEvent?: ((event: RelayServerEvent) => void) | undefined
  /**
   * Serve `GET /status` (see {@link RelayStatus}) over HTTP on the relay's port (default true). It shows
   * the served party addresses, whether each is connected and its traffic volumes, never frame contents
   * (they are sealed). `false`: the path answers 404 like any other.
   */
  readonly status?: boolean | undefined
  /**
   * Serve `GET /metrics` over HTTP on the relay's port (default true), in the Prometheus text format:
   * parties served and connected, open connections, frames and bytes per party received and delivered,
   * frames buffered and dropped (by reason), refusals by reason. The same facts as `GET /status`, never
   * frame contents. `false`: the path answers 404 like any other.
   */
  readonly metrics?: boolean | undefined
}

/**
 * What a relay knows about one of the parties it serves (see {@link RelayServer.stats}). Volumes count
 * the sealed frame bytes of `send` messages, not the relay's own message headers.
 *
 * @example
 * ```ts
 * import { type RelayPartyStats, serveRelay } from '@zrkit/mpc/node'
 * const relay = await serveRelay({ parties: [p1.address, p2.address] })
 * const away: RelayPartyStats[] = relay.stats().filter((s) => !s.connected)
 * ```
 */
export type RelayPartyStats = {
  /** The party's account address. */
  readonly party: string
  /** Whether it is connected and authenticated now. */
  readonly connected: boolean
  /** When the relay last heard from it (any message of an authenticated connection), ms since the epoch. */
  readonly lastSeenAt?: number | undefined
  /** When its current connection authenticated, ms since the epoch; absent while it is not connected. */
  readonly connectedSince?: number | undefined
  /** Frames it sent through the relay (accepted `send` messages) and their bytes. */
  readonly framesIn: number
  readonly bytesIn: number
  /** Frames delivered to it (directly or from its buffer) and their bytes. */
  readonly framesOut: number
  readonly bytesOut: number
  /** Frames waiting for it now (it is away). */
  readonly buffered: number
  /** Frames to it lost so far: buffer full or expired, or its connection too slow. */
  readonly dropped: number
}

/**
 * The body of a relay's `GET /status` (JSON): its identity and {@link RelayPartyStats} per served party,
 * sorted by address.
 *
 * @example
 * ```ts
 * import type { RelayStatus } from '@zrkit/mpc/node'
 * const status = (await (await fetch('http://127.0.0.1:7071/status')).json()) as RelayStatus
 * console.log(status.parties.filter((p) => p.connected).length)
 * ```
 */
export type RelayStatus = {
  readonly relayId: string
  readonly parties: readonly RelayPartyStats[]
}

/** An event of a {@link RelayServer}, for logs and metrics. */
export type RelayServerEvent =
  | { readonly type: 'authenticated'; readonly party: string }
  | { readonly type: 'disconnected'; readonly party: string }
  /** A connection or a message refused: the error sent to the client. */
  | { readonly type: 'refused'; readonly party?: string | undefined; readonly error: ZrError }
  /** Frames to `to` lost: the buffer was full or too old, or the connection too slow. */
  | { readonly type: 'dropped'; readonly to: string; readonly from: string; readonly reason: 'buffer-full' | 'expired' | 'slow-connection'; readonly count: number }

/** A running relay server (see {@link serveRelay}). */
export type RelayServer = {
  /** The URL parties dial, `ws://host:port`. */
  readonly url: string
  readonly port: number
  /** The identity parties sign into their authentication. */
  readonly relayId: string
  /** The parties connected and authenticated now. */
  connected(): string[]
  /** A snapshot of each served party's connection and traffic, sorted by address (what `GET /status` answers). */
  stats(): RelayPartyStats[]
  /** Closes every connection and stops listening. */
  close(): Promise<void>
  /** TEST HOOK (fault injection): cuts `party`'s connection as a network failure would. True if it was connected. */
  terminate(party: string): boolean
  /**
   * TEST HOOK (fault injection): `fn` sees every frame before it is routed and may pass it (return
   * nothing or its bytes), drop it (`null`) or replace its bytes. `null` removes the hook.
   */
  intercept(fn: ((frame: RelayFrame) => InterceptResult) | null): void
  /** TEST HOOK (fault injection): routes `frame` as if `frame.from` had sent it (e.g. a replay). */
  inject(frame: RelayFrame): void
  /**
   * TEST HOOK (fault injection): tells every connected party that `party` is here or away (for `forMs`,
   * default 0), true or not, as a lying relay would; the truth is told again at `party`'s next change.
   */
  injectPresence(party: string, here: boolean, forMs?: number): void
}

type Connection = {
  readonly socket: WebSocket
  party: string | undefined
  /** Single use: cleared at the first answer. */
  challenge: Uint8Array | undefined
  readonly frames: TokenBucket
  readonly bytes: TokenBucket
  malformed: number
  lastRateError: number
  authTimer: ReturnType<typeof setTimeout> | undefined
  /** Heard from since the last ping. */
  alive: boolean
}

type Buffered = { readonly from: string; readonly bytes: Uint8Array; readonly at: number }

/** The counters of one served party, kept across its connections. */
type Counters = {
  lastSeenAt: number | undefined
  connectedSince: number | undefined
  framesIn: number
  bytesIn: number
  framesOut: number
  bytesOut: number
  dropped: number
  /** When it last connected or disconnected (at first: when the relay started), ms since the epoch. */
  changedAt: number
  /** `dropped`, by reason. */
  droppedBy: Record<DropReason, number>
}

/** A connection whose send buffer holds more than this is too slow: frames to it are dropped. */
const slowConnectionBytes = 32 * 1024 * 1024
/** Room for a message's header (type, party id, lengths) on top of the frame limit. */
const headerAllowance = 1024

/**
 * Starts a network relay for party messages over WebSocket (Node only). It only routes: frames stay
 * sealed by {@link secureTransport}, so the relay can drop, delay or replay them but not read or forge
 * them. Parties authenticate with their ledger account: the relay sends a fresh random challenge, the
 * party answers with its address, public key and its account's signature over
 * `relayAuthDigest(challenge, relayId, party)`; the relay checks the key gives the address, the
 * signature, and that the party is in `parties`. A second connection of a party replaces the first.
 *
 * Limits: frames over `maxFrameBytes` and malformed messages are refused with a typed error frame
 * (`MALFORMED_MESSAGE`; the connection is closed after `maxMalformed` of them), each connection is
 * rate-limited (`RELAY_REFUSED`, reason `rate-limited`), frames for a party that is away are buffered
 * (bounded). The relay keeps the announcement directory (the newest epoch per party, accepted only
 * from that party's own connection) and pushes new announcements to every connected party.
 *
 * Presence: right after `welcome` each party gets the list of every served party, connected or not and
 * for how long; then every connected party hears each time another authenticates or disconnects. Parties
 * use it to stop waiting for one that is away (see `createSessionRouter`'s `awayGraceMs`).
 *
 * Status: `stats()` and, on the same port over plain HTTP, `GET /status` ({@link RelayStatus}, JSON) tell
 * who is connected, when each party was last heard from and its traffic volumes (never frame contents);
 * `GET /metrics` tells the same (and drops and refusals by reason) in the Prometheus text format; any
 * other path is 404, another method 405. `status: false` and `metrics: false` turn the endpoints off.
 *
 * @example
 * ```ts
 * import { serveRelay } from '@zrkit/mpc/node'
 * const relay = await serveRelay({ port: 7700, host: '0.0.0.0', parties: [p1.address, p2.address, p3.address] })
 * console.log(relay.url)
 * console.log(relay.stats()) // or: curl http://127.0.0.1:7700/status
 * // ... later
 * await relay.close()
 * ```
 */
export async function serveRelay(options: ServeRelayOptions): Promise<RelayServer> {
  const config = checkOptions(options)
  const served = new Set(config.parties)
  const live = new Map<string, Connection>()
  const connections = new Set<Connection>()
  const buffers = new Map<string, { frames: Buffered[]; bytes: number }>()
  const directory = new Map<string, Announcement>()
  const started = Date.now()
  const counters = new Map<string, Counters>(
    config.parties.map((p) => [p, { lastSeenAt: undefined, connectedSince: undefined, framesIn: 0, bytesIn: 0, framesOut: 0, bytesOut: 0, dropped: 0, changedAt: started, droppedBy: { 'buffer-full': 0, expired: 0, 'slow-connection': 0 } }]),
  )
  /** Messages and connections refused, by reason. */
  const refusedBy = new Map<string, number>()
  let hook: ((frame: RelayFrame) => InterceptResult) | null = null

  const emit = (event: RelayServerEvent) => {
    if (event.type === 'dropped') {
      const c = counters.get(event.to)
      if (c) {
        c.dropped += event.count
        c.droppedBy[event.reason] += event.count
      }
    }
    try {
      options.onEvent?.(event)
    } catch {
      // the listener's failure is its own
    }
  }

  // One port for both: WebSocket upgrades go to `wss`, plain HTTP requests to `answerHttp` (GET /status).
  const http = createServer((req, res) => answerHttp(req, res))
  // A bad HTTP request (garbage, a reset) ends its own connection, never the server.
  http.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n')
    else socket.destroy()
  })
  const wss = new WebSocketServer({ server: http, maxPayload: config.maxFrameBytes + headerAllowance, clientTracking: false })
  // A server error (rare: the socket failed) must not crash the process.
  wss.on('error', () => {})
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(config.port, config.host, () => {
      http.off('error', reject)
      resolve()
    })
  })
  http.on('error', () => {})
  const port = (http.address() as AddressInfo).port
  const url = `ws://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`
  const relayId = options.relayId ?? url

  const write = (c: Connection, message: RelayMessage) => {
    if (c.socket.readyState !== c.socket.OPEN) return
    c.socket.send(encodeRelayMessage(message))
    if (message.type === 'deliver' && c.party !== undefined) {
      const n = counters.get(c.party)
      if (n) {
        n.framesOut++
        n.bytesOut += message.bytes.length
      }
    }
  }

  const stats = (): RelayPartyStats[] => {
    const now = Date.now()
    return [...counters.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([party, n]) => {
        const connected = live.has(party)
        // frames past their age are dropped at the next touch; they no longer wait
        const buffered = buffers.get(party)?.frames.filter((f) => now - f.at <= config.buffer.maxAgeMs).length ?? 0
        return {
          party,
          connected,
          ...(n.lastSeenAt !== undefined ? { lastSeenAt: n.lastSeenAt } : {}),
          ...(connected && n.connectedSince !== undefined ? { connectedSince: n.connectedSince } : {}),
          framesIn: n.framesIn,
          bytesIn: n.bytesIn,
          framesOut: n.framesOut,
          bytesOut: n.bytesOut,
          buffered,
          dropped: n.dropped,
        }
      })
  }

  const answerHttp = (req: IncomingMessage, res: ServerResponse) => {
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      const bytes = new TextEncoder().encode(JSON.stringify(body))
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(bytes.length), 'cache-control': 'no-store', ...headers })
      res.end(bytes)
    }
    // the code is a zrkit error code, so a client can rebuild the ZrError
    const error = (status: number, message: string, headers?: Record<string, string>) => reply(status, { error: { code: 'INVALID_INPUT', message } }, headers)
    try {
      const path = (req.url ?? '').split('?')[0]
      if (config.metrics && path === '/metrics') {
        return void answerMetrics(req, res, () =>
          partyRelayMetricFamilies({ parties: stats(), droppedBy: new Map([...counters].map(([p, n]) => [p, n.droppedBy])), refused: refusedBy, connections: connections.size }),
        )
      }
      if (!config.status || path !== '/status') {
        const on = [config.status && 'GET /status', config.metrics && 'GET /metrics'].filter((x) => x !== false)
        const off = [!config.status && 'GET /status', !config.metrics && 'GET /metrics'].filter((x) => x !== false)
        const expected = `${on.length > 0 ? `${on.join(', ')} or ` : ''}a WebSocket upgrade${off.length > 0 ? ` (${off.join(' and ')} turned off on this relay)` : ''}`
        return error(404, `expected ${expected}, got ${req.method} ${JSON.stringify((req.url ?? '').slice(0, 200))}`)
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        return error(405, `expected GET /status, got ${req.method} /status`, { allow: 'GET, HEAD' })
      }
      const body: RelayStatus = { relayId, parties: stats() }
      reply(200, body)
    } catch {
      // answering must never take the relay down
      res.destroy()
    }
  }

  /** Presence: the full list to a connection that just authenticated, then each change to every connection. */
  const presenceOf = (party: string, now: number): RelayPresenceEntry => ({ party, here: live.has(party), forMs: Math.max(0, now - counters.get(party)!.changedAt) })
  const presenceChanged = (party: string, here: boolean) => {
    counters.get(party)!.changedAt = Date.now()
    for (const other of live.values()) if (other.party !== party) write(other, { type: 'presence', parties: [{ party, here, forMs: 0 }] })
  }

  const refuse = (c: Connection, code: 'RELAY_REFUSED' | 'MALFORMED_MESSAGE', message: string, details: string, reason: string) => {
    const error =
      code === 'RELAY_REFUSED'
        ? new ZrError('RELAY_REFUSED', message, { details, context: { reason, ...(c.party ? { party: c.party } : {}) } })
        : new ZrError(code, message, { details, ...(c.party ? { context: { from: c.party } } : {}) })
    refusedBy.set(reason, (refusedBy.get(reason) ?? 0) + 1)
    emit({ type: 'refused', party: c.party, error })
    write(c, { type: 'error', code, message, details, reason })
  }

  const deliverOrBuffer = (frame: RelayFrame) => {
    const target = live.get(frame.to)
    // A connection being cut (closing, its close event not yet seen) would lose the frame: buffer it instead.
    if (target && target.socket.readyState === target.socket.OPEN) {
      if (target.socket.bufferedAmount > slowConnectionBytes) {
        emit({ type: 'dropped', to: frame.to, from: frame.from, reason: 'slow-connection', count: 1 })
        return
      }
      write(target, { type: 'deliver', from: frame.from, bytes: frame.bytes })
      return
    }
    const now = Date.now()
    const buffer = buffers.get(frame.to) ?? { frames: [], bytes: 0 }
    buffers.set(frame.to, buffer)
    expire(frame.to, buffer, now)
    buffer.frames.push({ from: frame.from, bytes: frame.bytes, at: now })
    buffer.bytes += frame.bytes.length
    while (buffer.frames.length > config.buffer.maxFrames || buffer.bytes > config.buffer.maxBytes) {
      const dropped = buffer.frames.shift()!
      buffer.bytes -= dropped.bytes.length
      emit({ type: 'dropped', to: frame.to, from: dropped.from, reason: 'buffer-full', count: 1 })
    }
  }

  const expire = (to: string, buffer: { frames: Buffered[]; bytes: number }, now: number) => {
    while (buffer.frames.length > 0 && now - buffer.frames[0]!.at > config.buffer.maxAgeMs) {
      const dropped = buffer.frames.shift()!
      buffer.bytes -= dropped.bytes.length
      emit({ type: 'dropped', to, from: dropped.from, reason: 'expired', count: 1 })
    }
  }

  const route = (frame: RelayFrame) => {
    let bytes = frame.bytes
    if (hook) {
      let result: InterceptResult
      try {
        result = hook(frame)
      } catch {
        result = undefined
      }
      if (result === null) return
      if (result instanceof Uint8Array) bytes = result
    }
    deliverOrBuffer({ from: frame.from, to: frame.to, bytes })
  }

  const authenticate = (c: Connection, m: Extract<RelayMessage, { type: 'auth' }>) => {
    const challenge = c.challenge
    c.challenge = undefined
    const fail = (details: string) => {
      refuse(c, 'RELAY_REFUSED', 'The relay refused the authentication.', details, 'unauthorized')
      c.socket.close(1008, 'unauthorized')
    }
    if (c.party !== undefined) return refuse(c, 'RELAY_REFUSED', 'Already authenticated.', `expected one auth message per connection, got another from ${c.party}`, 'unauthorized')
    if (!challenge) return fail('expected one answer to the challenge of this connection, got a second')
    if (!equalBytes(challenge, m.challenge)) return fail('expected the challenge of this connection, got another (a stale or replayed answer)')
    if (!served.has(m.party)) return fail(`expected one of the ${served.size} parties this relay serves, got ${m.party}`)
    let derived: string
    try {
      derived = publicKeyToAddress(m.publicKey)
    } catch {
      return fail('expected a 33-byte compressed secp256k1 public key')
    }
    if (derived !== m.party) return fail(`expected the public key of ${m.party}, got the key of ${derived}`)
    if (!verifySecp256k1Sha256(m.signature, relayAuthBytes(challenge, relayId, m.party), m.publicKey)) {
      return fail(`expected ${m.party}'s signature over the challenge for relay ${relayId}, got a signature that does not verify`)
    }
    clearTimeout(c.authTimer)
    c.party = m.party
    const n = counters.get(m.party)!
    n.connectedSince = n.lastSeenAt = Date.now()
    const previous = live.get(m.party)
    live.set(m.party, c)
    if (previous && previous !== c) {
      refuse(previous, 'RELAY_REFUSED', 'A newer connection of this party took over.', 'expected one live connection per party, got a second', 'replaced')
      previous.party = undefined
      previous.socket.close(4000, 'replaced')
    }
    emit({ type: 'authenticated', party: m.party })
    write(c, { type: 'welcome', party: m.party })
    presenceChanged(m.party, true)
    const now = Date.now()
    write(c, { type: 'presence', parties: config.parties.map((p) => presenceOf(p, now)) })
    for (const announcement of directory.values()) write(c, { type: 'announce', announcement })
    const buffer = buffers.get(m.party)
    if (buffer) {
      buffers.delete(m.party)
      expire(m.party, buffer, Date.now())
      for (const f of buffer.frames) write(c, { type: 'deliver', from: f.from, bytes: f.bytes })
    }
  }

  const onMessage = (c: Connection, data: Uint8Array) => {
    // Rate limits apply before anything is decoded, to every connection.
    if (!c.frames.take(1) || !c.bytes.take(data.length)) {
      const now = Date.now()
      if (now - c.lastRateError >= 1000) {
        c.lastRateError = now
        refuse(c, 'RELAY_REFUSED', 'Rate limit exceeded: message dropped.', `expected at most ${config.framesPerSecond} messages and ${config.bytesPerSecond} bytes per second`, 'rate-limited')
      }
      return
    }
    let m: RelayMessage
    try {
      m = decodeRelayMessage(data)
    } catch (e) {
      const details = e instanceof ZrError ? (e.details ?? e.shortMessage) : 'undecodable'
      refuse(c, 'MALFORMED_MESSAGE', 'Malformed relay message.', details, 'malformed')
      if (c.party === undefined || ++c.malformed > config.maxMalformed) c.socket.close(1008, 'malformed')
      return
    }
    if (m.type === 'auth') return authenticate(c, m)
    if (c.party === undefined) {
      refuse(c, 'RELAY_REFUSED', 'Not authenticated.', `expected an auth message first, got ${m.type}`, 'not-authenticated')
      c.socket.close(1008, 'not authenticated')
      return
    }
    if (m.type === 'send') {
      if (m.bytes.length > config.maxFrameBytes) {
        return refuse(c, 'MALFORMED_MESSAGE', 'Frame too large.', `expected at most ${config.maxFrameBytes} bytes, got ${m.bytes.length}`, 'oversized')
      }
      if (!served.has(m.to)) return refuse(c, 'RELAY_REFUSED', 'No such party on this relay.', `expected one of the ${served.size} parties this relay serves, got ${m.to}`, 'unknown-party')
      const n = counters.get(c.party)!
      n.framesIn++
      n.bytesIn += m.bytes.length
      return route({ from: c.party, to: m.to, bytes: m.bytes })
    }
    if (m.type === 'announce') {
      const a = m.announcement
      if (a.party !== c.party) return refuse(c, 'RELAY_REFUSED', 'Refused an announcement for another party.', `expected an announcement of ${c.party}, got one of ${a.party}`, 'not-own-announcement')
      const current = directory.get(a.party)
      if (current && current.epoch >= a.epoch) return
      directory.set(a.party, a)
      for (const other of live.values()) write(other, { type: 'announce', announcement: a })
      return
    }
    refuse(c, 'MALFORMED_MESSAGE', 'Unexpected relay message.', `expected auth, send or announce from a party, got ${m.type}`, 'malformed')
    if (++c.malformed > config.maxMalformed) c.socket.close(1008, 'malformed')
  }

  wss.on('connection', (socket) => {
    const c: Connection = {
      socket,
      party: undefined,
      challenge: randomBytes(32),
      frames: tokenBucket(config.framesPerSecond, config.framesPerSecond),
      bytes: tokenBucket(config.bytesPerSecond, Math.max(config.bytesPerSecond, config.maxFrameBytes + headerAllowance)),
      malformed: 0,
      lastRateError: 0,
      authTimer: undefined,
      alive: true,
    }
    connections.add(c)
    c.authTimer = setTimeout(() => {
      if (c.party !== undefined) return
      refuse(c, 'RELAY_REFUSED', 'Authentication timed out.', `expected an answer within ${config.authTimeoutMs} ms`, 'unauthorized')
      socket.close(1008, 'auth timeout')
    }, config.authTimeoutMs)
    socket.on('pong', () => {
      c.alive = true
    })
    socket.on('message', (data, isBinary) => {
      c.alive = true
      if (c.party !== undefined) counters.get(c.party)!.lastSeenAt = Date.now()
      try {
        if (!isBinary) {
          refuse(c, 'MALFORMED_MESSAGE', 'Malformed relay message.', 'expected a binary message, got text', 'malformed')
          if (c.party === undefined || ++c.malformed > config.maxMalformed) socket.close(1008, 'malformed')
          return
        }
        onMessage(c, toBytes(data))
      } catch (cause) {
        // Nothing a client sends may take the relay down.
        refusedBy.set('unhandled', (refusedBy.get('unhandled') ?? 0) + 1)
        emit({ type: 'refused', party: c.party, error: new ZrError('MALFORMED_MESSAGE', 'A relay message could not be handled.', { cause }) })
      }
    })
    socket.on('error', () => {})
    socket.on('close', () => {
      clearTimeout(c.authTimer)
      connections.delete(c)
      if (c.party !== undefined && live.get(c.party) === c) {
        live.delete(c.party)
        counters.get(c.party)!.connectedSince = undefined
        emit({ type: 'disconnected', party: c.party })
        presenceChanged(c.party, false)
      }
    })
    write(c, { type: 'challenge', challenge: c.challenge!, relay: relayId, maxFrameBytes: config.maxFrameBytes })
  })

  const heartbeat =
    config.heartbeatMs > 0
      ? setInterval(() => {
          for (const c of connections) {
            if (!c.alive) {
              c.socket.terminate()
              continue
            }
            c.alive = false
            try {
              c.socket.ping()
            } catch {
              // a socket closing meanwhile: its close event cleans up
            }
          }
        }, config.heartbeatMs)
      : undefined
  // The heartbeat alone must not keep a process alive.
  ;(heartbeat as { unref?: () => void } | undefined)?.unref?.()

  let closing: Promise<void> | undefined
  return {
    url,
    port,
    relayId,
    connected: () => [...live.keys()],
    stats,
    close() {
      closing ??= new Promise<void>((resolve) => {
        clearInterval(heartbeat)
        for (const c of connections) {
          clearTimeout(c.authTimer)
          c.socket.terminate()
        }
        wss.close(() => {
          http.close(() => resolve())
          // keep-alive HTTP clients (e.g. a status poller) must not hold the close
          http.closeAllConnections()
        })
      })
      return closing
    },
    terminate(party) {
      const c = live.get(party)
      if (!c) return false
      c.socket.terminate()
      return true
    },
    intercept(fn) {
      hook = fn
    },
    inject(frame) {
      deliverOrBuffer({ from: frame.from, to: frame.to, bytes: Uint8Array.from(frame.bytes) })
    },
    injectPresence(party, here, forMs = 0) {
      for (const c of live.values()) write(c, { type: 'presence', parties: [{ party, here, forMs }] })
    },
  }
}

function toBytes(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  // a fragmented message, as ws gives it: its Buffers (Uint8Arrays) in order
  if (Array.isArray(data)) return concatBytes(...(data as Uint8Array[]))
  return new Uint8Array(0)
}

function checkOptions(options: ServeRelayOptions) {
  const bad = (what: string, expected: string, got: unknown) =>
    new ZrError('INVALID_CONFIG', `Invalid relay option: ${what}.`, { details: `${what}: expected ${expected}, got ${typeof got === 'string' ? JSON.stringify(got) : String(got)}` })
  if (typeof options !== 'object' || options === null) throw bad('options', 'an object', options)
  const { parties } = options
  if (!Array.isArray(parties) || parties.length === 0) throw bad('parties', 'a non-empty array of account addresses', parties)
  if (parties.length > maxPresenceEntries) throw bad('parties', `at most ${maxPresenceEntries} account addresses`, parties.length)
  for (const p of parties) if (typeof p !== 'string' || p.length === 0) throw bad('parties', 'account addresses (non-empty strings)', p)
  const int = (what: string, value: unknown, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) => {
    if (value === undefined) return fallback
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) throw bad(what, `an integer in ${min}..${max}`, value)
    return value
  }
  const host = options.host ?? '127.0.0.1'
  if (typeof host !== 'string' || host.length === 0) throw bad('host', 'a host name or IP address', host)
  if (options.relayId !== undefined && (typeof options.relayId !== 'string' || options.relayId.length === 0)) throw bad('relayId', 'a non-empty string', options.relayId)
  const maxFrameBytes = int('maxFrameBytes', options.maxFrameBytes, 1024 * 1024, 1, 256 * 1024 * 1024)
  if (options.status !== undefined && typeof options.status !== 'boolean') throw bad('status', 'true or false', options.status)
  if (options.metrics !== undefined && typeof options.metrics !== 'boolean') throw bad('metrics', 'true or false', options.metrics)
  return {
    parties: [...new Set(parties as readonly string[])],
    status: options.status ?? true,
    metrics: options.metrics ?? true,
    host,
    port: int('port', options.port, 0, 0, 65535),
    maxFrameBytes,
    framesPerSecond: int('rateLimit.framesPerSecond', options.rateLimit?.framesPerSecond, 2000, 1),
    bytesPerSecond: int('rateLimit.bytesPerSecond', options.rateLimit?.bytesPerSecond, 16 * 1024 * 1024, 1),
    buffer: {
      maxFrames: int('buffer.maxFrames', options.buffer?.maxFrames, 1024, 0),
      maxBytes: int('buffer.maxBytes', options.buffer?.maxBytes, 8 * 1024 * 1024, 0),
      maxAgeMs: int('buffer.maxAgeMs', options.buffer?.maxAgeMs, 30_000, 0),
    },
    authTimeoutMs: int('authTimeoutMs', options.authTimeoutMs, 10_000, 1),
    heartbeatMs: int('heartbeatMs', options.heartbeatMs, 15_000, 0),
    maxMalformed: int('maxMalformed', options.maxMalformed, 16, 0),
  }
}
