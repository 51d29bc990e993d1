import { type IncomingMessage, type Server, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type RawData, type WebSocket, WebSocketServer } from 'ws'
import { ZrError } from '../errors/ZrError.js'
import { answerMetrics } from '../metrics/answerMetrics.js'
import type { Ledger } from './Ledger.js'
import { answerHttpQuery } from './ledgerHttp.js'
import { ledgerServerMetrics } from './ledgerServerMetrics.js'
import { type LedgerServer, serveLedger } from './remoteLedger.js'
import { describe } from './validate.js'

/** Options of {@link listenLedger}. Every limit holds per connection. */
export type ListenLedgerOptions = {
  /** The TCP port (default 0: any free port; read it from the result). */
  port?: number
  /** The interface to listen on (default `127.0.0.1`; `0.0.0.0` for every interface). */
  host?: string
  /**
   * The largest request frame read, in bytes (default 1 MiB). A frame up to twice this size gets a
   * `MALFORMED_MESSAGE` reply if it names an id (else it is reported to `onError`) and the connection
   * stays; a larger one closes the connection with WebSocket close code 1009 (message too big).
   */
  maxFrameBytes?: number
  /** Subscriptions one connection may hold at once (default 64); one more is refused with `LIMIT_EXCEEDED`. */
  maxSubscriptionsPerConnection?: number
  /**
   * Frames (events and replies) sent to a connection and not yet written to its socket (default 10 000).
   * An event that would go beyond it ends its subscription with a `LIMIT_EXCEEDED` push instead.
   */
  maxPendingEventsPerSubscriber?: number
  /**
   * Bytes queued for a connection that its socket has not taken (WebSocket `bufferedAmount`, default
   * 8 MiB). Beyond it, events end their subscriptions with `LIMIT_EXCEEDED`; beyond twice it (a client
   * that sends requests and never reads the replies), the connection is dropped.
   */
  maxBufferedBytes?: number
  /** Connections served at once (default 1024); one more is closed at once with close code 1013 (try again later). */
  maxConnections?: number
  /** How long `close()` waits for calls in flight before it closes the sockets (default 5000 ms). */
  drainTimeoutMs?: number
  /**
   * Every this many ms each connection is pinged; one that has not answered the previous ping (a peer
   * gone without closing, a client that does not read) is dropped (default 30 000; 0 = never).
   */
  pingIntervalMs?: number
  /**
   * Answer plain HTTP queries on the same port (default true): `GET /status` and
   * `GET /query/<kind>?params=<json>` (see {@link answerHttpQuery}); they read what any WebSocket client can
   * query. False: every plain HTTP request gets 426 (upgrade to WebSocket), but `GET /metrics` (see `metrics`).
   */
  httpQueries?: boolean
  /**
   * Answer `GET /metrics` on the same port (default true), in the Prometheus text format: the ledger's
   * height, events and requests (created, and open by status), and the server's connections, queued
   * bytes, subscriptions, submits by result and refusals by code. Independent of `httpQueries`: the
   * counts show no ledger content. False: the path is answered as any other.
   */
  metrics?: boolean
  /** Told about every frame dropped and every connection refused or cut off, with a ZrError saying why. */
  onError?: (error: ZrError) => void
}

/** What {@link listenLedger} returns. */
export type LedgerListener = {
  /** `ws://host:port`, for {@link connectLedgerWs}. */
  readonly url: string
  readonly port: number
  /** What the server holds now: open connections and the bytes queued for them. */
  stats(): { connections: number; bufferedBytes: number }
  /**
   * Drains and stops: accepts no more connections, lets the calls in flight settle (up to
   * `drainTimeoutMs`), then closes every socket (close code 1001, going away). The ledger stays open.
   */
  close(): Promise<void>
}

type Limits = {
  port: number
  host: string
  maxFrameBytes: number
  maxSubscriptionsPerConnection: number
  maxPendingEventsPerSubscriber: number
  maxBufferedBytes: number
  maxConnections: number
  drainTimeoutMs: number
  pingIntervalMs: number
}

const defaults: Limits = {
  port: 0,
  host: '127.0.0.1',
  maxFrameBytes: 1 << 20,
  maxSubscriptionsPerConnection: 64,
  maxPendingEventsPerSubscriber: 10_000,
  maxBufferedBytes: 8 << 20,
  maxConnections: 1024,
  drainTimeoutMs: 5000,
  pingIntervalMs: 30_000,
}

function configError(what: string, expected: string, got: unknown): ZrError {
  return new ZrError('INVALID_CONFIG', 'Invalid ledger server options.', { details: `expected ${what} to be ${expected}, got ${describe(got)}` })
}

function checkOptions(options: unknown): Limits & { httpQueries: boolean; metrics: boolean; onError?: (error: ZrError) => void } {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw configError('listenLedger options', 'an object', options)
  const o = options as Record<string, unknown>
  const out: Record<string, unknown> = { ...defaults }
  for (const key of Object.keys(defaults) as (keyof Limits)[]) {
    const v = o[key]
    if (v === undefined) continue
    if (key === 'host') {
      if (typeof v !== 'string' || v.length === 0) throw configError('host', 'a non-empty string', v)
    } else {
      const [min, max] = key === 'port' ? [0, 65_535] : [key === 'drainTimeoutMs' || key === 'pingIntervalMs' ? 0 : 1, 2 ** 31 - 1]
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw configError(key, `an integer from ${min} to ${max}`, v)
    }
    out[key] = v
  }
  if (o.onError !== undefined && typeof o.onError !== 'function') throw configError('onError', 'a function', o.onError)
  if (o.httpQueries !== undefined && typeof o.httpQueries !== 'boolean') throw configError('httpQueries', 'a boolean', o.httpQueries)
  if (o.metrics !== undefined && typeof o.metrics !== 'boolean') throw configError('metrics', 'a boolean', o.metrics)
  return { ...(out as Limits), httpQueries: o.httpQueries !== false, metrics: o.metrics !== false, ...(o.onError ? { onError: o.onError as (error: ZrError) => void } : {}) }
}

/** The text of a WebSocket message, or what arrived instead (serveLedger refuses a binary frame). */
function textOf(data: RawData, isBinary: boolean): unknown {
  const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)
  return isBinary ? new Uint8Array(bytes) : bytes.toString('utf8')
}

/**
 * Serves a {@link Ledger} to clients over WebSocket (the `ws` package): each connection speaks the
 * protocol of {@link serveLedger}, so {@link connectLedgerWs} (or {@link connectLedger} over any
 * WebSocket) reaches it. Node only: import it from `@zrkit/core/node`.
 *
 * Every limit holds per connection, and nothing a client sends stops the server or disturbs another
 * client: oversized frames, garbage, too many subscriptions, or a subscriber that does not read (its
 * subscriptions end with `LIMIT_EXCEEDED` rather than the server buffering for it without bound).
 * Submits are signed by their account and checked by the ledger; queries and subscriptions are open to
 * anyone who can connect. For the internet, put it behind a TLS proxy.
 *
 * The same port answers plain HTTP: `GET /status` and `GET /query/<kind>` (`httpQueries`), and
 * `GET /metrics` for Prometheus (`metrics`: the ledger's height, events and open requests, the
 * server's connections, subscriptions, submits and refusals).
 *
 * @example
 * ```ts
 * import { createEmbeddedLedger } from '@zrkit/core'
 * import { fileStore, listenLedger } from '@zrkit/core/node'
 *
 * const ledger = await createEmbeddedLedger({ genesis, store: fileStore('./ledger-data') })
 * const server = await listenLedger(ledger, { port: 7070, host: '0.0.0.0' })
 * console.log(`ledger at ${server.url}`)
 * process.on('SIGTERM', async () => {
 *   await server.close() // drains: calls in flight settle first
 *   await ledger.close()
 * })
 * ```
 */
export async function listenLedger(ledger: Ledger, options: ListenLedgerOptions = {}): Promise<LedgerListener> {
  if (ledger === null || typeof ledger !== 'object' || typeof (ledger as Ledger).subscribe !== 'function') {
    throw new ZrError('INVALID_INPUT', 'Invalid ledger.', { details: `expected a Ledger (submit, query, subscribe), got ${describe(ledger)}` })
  }
  const limits = checkOptions(options)
  const metrics = ledgerServerMetrics(ledger)
  const report = (error: ZrError) => {
    metrics.refused(error.code)
    try {
      limits.onError?.(error)
    } catch {
      // a failing hook must not stop the server
    }
  }
  const connections = new Map<WebSocket, LedgerServer>()
  let closing: Promise<void> | undefined
  const stats = () => ({ connections: connections.size, bufferedBytes: [...connections.keys()].reduce((n, ws) => n + ws.bufferedAmount, 0) })

  const http: Server = createServer((req, res) => {
    if (limits.metrics && (req.url ?? '').split('?')[0] === '/metrics') {
      void answerMetrics(req, res, () => metrics.families(stats()))
      return
    }
    if (!limits.httpQueries) {
      res.writeHead(426, { 'content-type': 'text/plain' }).end('This is a zrkit ledger: connect with a WebSocket (connectLedgerWs).\n')
      return
    }
    void answerHttpQuery(ledger, req, res)
  })
  // the hard cap: up to twice maxFrameBytes is read and answered; beyond it ws closes with 1009
  const wss = new WebSocketServer({ server: http, maxPayload: limits.maxFrameBytes * 2 })
  wss.on('error', (e) => report(new ZrError('LEDGER_UNAVAILABLE', 'The WebSocket server failed.', { details: e.message, cause: e })))

  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    const from = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`
    // 'close' follows every error (a reset, a frame over the hard cap): the connection ends there, never the server
    ws.on('error', (e) => report(new ZrError('MALFORMED_MESSAGE', 'A client connection failed.', { details: `${from}: ${e.message}`, cause: e })))
    if (closing || connections.size >= limits.maxConnections) {
      if (!closing) report(new ZrError('LIMIT_EXCEEDED', 'Refused a connection.', { details: `expected at most ${limits.maxConnections} connections, got one more from ${from}`, context: { limit: 'maxConnections', max: limits.maxConnections, got: connections.size + 1 } }))
      ws.close(closing ? 1001 : 1013, closing ? 'server closing' : 'too many connections')
      return
    }
    let pending = 0
    const server = serveLedger(
      metrics.served,
      {
        send(message) {
          if (ws.readyState !== ws.OPEN) return
          if (ws.bufferedAmount > 2 * limits.maxBufferedBytes) {
            // it asks and never reads: drop it rather than hold its replies
            report(new ZrError('LIMIT_EXCEEDED', 'Dropped a client that does not read.', { details: `${from}: expected at most ${2 * limits.maxBufferedBytes} bytes queued, got ${ws.bufferedAmount}`, context: { limit: 'maxBufferedBytes', max: 2 * limits.maxBufferedBytes, got: ws.bufferedAmount } }))
            ws.terminate()
            return
          }
          pending++
          ws.send(message, () => void pending--)
        },
        onMessage: (fn) => ws.on('message', (data, isBinary) => fn(textOf(data, isBinary) as string)),
        onClose: (fn) => ws.on('close', () => fn()),
      },
      {
        maxFrameBytes: limits.maxFrameBytes,
        maxSubscriptions: limits.maxSubscriptionsPerConnection,
        backPressure: () =>
          ws.bufferedAmount > limits.maxBufferedBytes
            ? { limit: 'maxBufferedBytes', max: limits.maxBufferedBytes, got: ws.bufferedAmount }
            : pending >= limits.maxPendingEventsPerSubscriber
              ? { limit: 'maxPendingEventsPerSubscriber', max: limits.maxPendingEventsPerSubscriber, got: pending + 1 }
              : undefined,
        onError: (e) => report(new ZrError(e.code, e.shortMessage, { details: `${from}: ${e.details ?? ''}`, context: e.context as never, cause: e })),
      },
    )
    connections.set(ws, server)
    alive.add(ws)
    ws.on('pong', () => alive.add(ws))
    ws.on('close', () => {
      connections.delete(ws)
      alive.delete(ws)
    })
  })

  const alive = new Set<WebSocket>()
  const pinger =
    limits.pingIntervalMs > 0
      ? setInterval(() => {
          for (const ws of connections.keys()) {
            if (!alive.delete(ws)) {
              report(new ZrError('TIMEOUT', 'Dropped a client that did not answer a ping.', { details: `no pong within ${limits.pingIntervalMs} ms` }))
              ws.terminate()
              continue
            }
            ws.ping()
          }
        }, limits.pingIntervalMs)
      : undefined
  pinger?.unref()

  await new Promise<void>((resolve, reject) => {
    const failed = (e: Error) => {
      clearInterval(pinger)
      reject(new ZrError('LEDGER_UNAVAILABLE', 'The ledger server could not listen.', { details: `${limits.host}:${limits.port}: ${e.message}`, cause: e }))
    }
    http.once('error', failed)
    http.listen(limits.port, limits.host, () => {
      http.off('error', failed)
      resolve()
    })
  })
  http.on('error', (e) => report(new ZrError('LEDGER_UNAVAILABLE', 'The HTTP server failed.', { details: e.message, cause: e })))
  const port = (http.address() as AddressInfo).port
  const hostInUrl = limits.host.includes(':') ? `[${limits.host}]` : limits.host

  async function drain(): Promise<void> {
    clearInterval(pinger)
    http.close() // no new connections; the callback would wait for the open ones
    const served = [...connections]
    const settled = Promise.all(served.map(([, s]) => s.settled()))
    let timer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([settled, new Promise<void>((r) => (timer = setTimeout(r, limits.drainTimeoutMs)))])
    clearTimeout(timer)
    const gone = served.map(([ws, s]) => {
      s.close()
      return new Promise<void>((resolve) => {
        if (ws.readyState === ws.CLOSED) return resolve()
        ws.once('close', () => resolve())
        ws.close(1001, 'server closing')
        // a peer that does not answer the close handshake is cut off
        setTimeout(() => ws.terminate(), 1000).unref()
      })
    })
    await Promise.all(gone)
    await new Promise<void>((resolve) => wss.close(() => resolve()))
  }

  return {
    url: `ws://${hostInUrl}:${port}`,
    port,
    stats,
    close: () => (closing ??= drain()),
  }
}
