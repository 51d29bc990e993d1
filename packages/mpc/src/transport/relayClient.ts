import { type Account, ZrError, type ZrErrorCode, errorCodes } from '@zrkit/core'
import type { Announcement, PartyPresence, Relay, RelayFrame } from './memoryRelay.js'
import { relayAuthDigest } from './relayAuth.js'
import { type RelayMessage, decodeRelayMessage, encodeRelayMessage } from './relayWire.js'

/**
 * The part of the WebSocket API the relay client uses: the browser's `WebSocket` and the `ws`
 * package's both fit.
 */
export type RelayWebSocket = {
  binaryType: string
  readonly readyState: number
  send(data: Uint8Array): void
  close(code?: number, reason?: string): void
  // Event types differ between the browser and `ws`; the client reads only `data`.
  // biome-ignore lint/suspicious/noExplicitAny: either implementation's event
  onopen: ((event: any) => void) | null
  // biome-ignore lint/suspicious/noExplicitAny: either implementation's event
  onmessage: ((event: any) => void) | null
  // biome-ignore lint/suspicious/noExplicitAny: either implementation's event
  onclose: ((event: any) => void) | null
  // biome-ignore lint/suspicious/noExplicitAny: either implementation's event
  onerror: ((event: any) => void) | null
}

/** A WebSocket constructor: `globalThis.WebSocket` in browsers, `WebSocket` from `ws` on Node. */
export type RelayWebSocketConstructor = new (url: string) => RelayWebSocket

/** Options of {@link connectRelay}. */
export type ConnectRelayOptions = {
  /** The relay's URL, `ws://host:port` or `wss://...`. */
  readonly url: string
  /** The party's ledger account: its address is the party id, its key answers the relay's challenge. */
  readonly account: Account
  /** The relay's identity signed into the authentication (default: `url`; see `serveRelay`'s `relayId`). */
  readonly relayId?: string | undefined
  /** The WebSocket constructor (default: the global `WebSocket`; on Node 20 pass `WebSocket` from `ws`). */
  readonly WebSocket?: RelayWebSocketConstructor | undefined
  /** Reconnection delays: `initialMs` (default 100) doubling up to `maxMs` (default 5 000), each with jitter. */
  readonly backoff?: { readonly initialMs?: number | undefined; readonly maxMs?: number | undefined } | undefined
  /**
   * Frames kept while disconnected (default 1024; the oldest is dropped and reported beyond), and
   * frames received before `connect()` is called (delivered to it then).
   */
  readonly maxQueuedFrames?: number | undefined
  /** How long the first connection may take, in ms (default 30 000); later ones retry until `close()`. */
  readonly timeoutMs?: number | undefined
  /** Called with what goes wrong: refusals from the relay, dropped frames, malformed messages. Never throws into the client. */
  readonly onError?: ((error: ZrError) => void) | undefined
  /** Aborts connecting (the returned promise rejects with `ABORTED`); after that, use `close()`. */
  readonly signal?: AbortSignal | undefined
}

/** A {@link Relay} over the network (see {@link connectRelay}). */
export type RelayClient = Relay & {
  readonly url: string
  /** True while authenticated to the relay. */
  readonly connected: boolean
  /** How many times the client has authenticated (1 after the first connection, +1 per reconnection). */
  readonly sessions: number
  /** Leaves the relay and stops reconnecting. */
  close(): Promise<void>
}

const OPEN = 1

/**
 * Connects a party to a network relay (`serveRelay` from `@zrkit/mpc/node`) and returns a {@link Relay}
 * for {@link secureTransport} or `createFederation`. Resolves once authenticated: the relay's fresh
 * challenge is answered with the account's signature over `relayAuthDigest(challenge, relayId, address)`.
 * Works in browsers (the global `WebSocket`) and on Node (pass `WebSocket` from `ws`).
 *
 * After a drop it reconnects with exponential backoff and jitter, authenticates again, sends the frames
 * queued meanwhile (bounded by `maxQueuedFrames`) and announces again. `connect` returns its endpoint at
 * once; frames flow whenever the client is authenticated. `presence(party)` tells what the relay said of
 * the other parties' connections (it sends the full list after each authentication, then every change);
 * while this client is not connected it knows nothing (`undefined`), so its own blip never makes the
 * others look away. Rejects with `RELAY_REFUSED` when the relay
 * refuses the party, `TIMEOUT` when no connection succeeds within `timeoutMs`, `ABORTED` on `signal`.
 *
 * @example
 * ```ts
 * import { connectRelay, secureTransport } from '@zrkit/mpc'
 * import { WebSocket } from 'ws'
 * const relay = await connectRelay({ url: 'ws://relay.example:7700', account, WebSocket })
 * const transport = await secureTransport({ account, relay, peers: [p2.address, p3.address] })
 * ```
 */
export function connectRelay(options: ConnectRelayOptions): Promise<RelayClient> {
  const config = checkOptions(options)
  const { account } = options
  const self = account.address

  let socket: RelayWebSocket | undefined
  let authenticated = false
  let closed = false
  let fatal: ZrError | undefined
  let attempt = 0
  let sessions = 0
  let maxFrameBytes = Number.MAX_SAFE_INTEGER
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined
  let handler: ((frame: RelayFrame) => void) | undefined
  let own: Announcement | undefined
  const queue: { to: string; bytes: Uint8Array }[] = []
  const early: RelayFrame[] = []
  const directory = new Map<string, Announcement>()
  const watchers = new Set<(a: Announcement) => void>()
  // What the relay said of each party's connection; known only while this client is connected to it.
  const presence = new Map<string, PartyPresence>()
  const presenceWatchers = new Set<(party: string) => void>()
  const presenceChanged = (party: string) => {
    for (const fn of [...presenceWatchers]) {
      try {
        fn(party)
      } catch {
        // the watcher's failure is its own
      }
    }
  }
  /** Cut off from the relay: it can tell nothing of the others until the next full list. */
  const forgetPresence = () => {
    const known = [...presence.keys()]
    presence.clear()
    for (const party of known) presenceChanged(party)
  }
  let settleFirst: ((error?: ZrError) => void) | undefined
  let closedSignal: (() => void) | undefined

  const report = (error: ZrError) => {
    try {
      options.onError?.(error)
    } catch {
      // the callback's own failure must not stop the client
    }
  }

  /** Writes to the open socket; false when there is none (closing, closed, or not yet open). */
  const write = (message: RelayMessage): boolean => {
    if (!socket || socket.readyState !== OPEN) return false
    socket.send(encodeRelayMessage(message))
    return true
  }

  const handle = (ws: RelayWebSocket, m: RelayMessage) => {
    switch (m.type) {
      case 'challenge': {
        maxFrameBytes = m.maxFrameBytes
        const challenge = m.challenge
        void account.sign(relayAuthDigest(challenge, config.relayId, self)).then(
          (signature) => {
            if (ws === socket) write({ type: 'auth', party: self, publicKey: account.publicKey, signature, challenge })
          },
          (cause) => report(new ZrError('RELAY_REFUSED', 'The account could not sign the relay challenge.', { cause, context: { reason: 'unauthorized', party: self } })),
        )
        return
      }
      case 'welcome': {
        if (m.party !== self) return report(new ZrError('MALFORMED_MESSAGE', 'The relay welcomed another party.', { details: `expected ${self}, got ${m.party}` }))
        authenticated = true
        attempt = 0
        sessions++
        for (const f of queue.splice(0, queue.length)) write({ type: 'send', to: f.to, bytes: f.bytes })
        if (own) write({ type: 'announce', announcement: own })
        settleFirst?.()
        return
      }
      case 'deliver': {
        const h = handler
        if (!h) {
          // Frames that arrive before connect() (e.g. the relay's buffer, sent on welcome) wait for it.
          early.push({ from: m.from, to: self, bytes: m.bytes })
          if (early.length > config.maxQueuedFrames) early.shift()
          return
        }
        try {
          h({ from: m.from, to: self, bytes: m.bytes })
        } catch {
          // the receiver's failure is its own
        }
        return
      }
      case 'announce': {
        const a = m.announcement
        const current = directory.get(a.party)
        if (current && current.epoch >= a.epoch) return
        directory.set(a.party, a)
        for (const fn of watchers) {
          try {
            fn(a)
          } catch {
            // the watcher's failure is its own
          }
        }
        return
      }
      case 'presence': {
        if (!authenticated) return report(new ZrError('MALFORMED_MESSAGE', 'Unexpected relay message.', { details: 'expected presence after welcome, got it before' }))
        const now = Date.now()
        for (const { party, here, forMs } of m.parties) {
          if (party === self) continue
          // A duration, turned into a time on this clock; a relay that claims more than all time gets the epoch.
          presence.set(party, { here, since: Math.max(0, now - forMs) })
          presenceChanged(party)
        }
        return
      }
      case 'error': {
        const error =
          m.code === 'RELAY_REFUSED'
            ? new ZrError('RELAY_REFUSED', m.message || 'The relay refused.', { details: m.details, context: { reason: m.reason, party: self } })
            : (errorCodes as readonly string[]).includes(m.code)
              ? new ZrError(m.code as ZrErrorCode, m.message || 'The relay refused.', { details: m.details })
              : new ZrError('MALFORMED_MESSAGE', 'The relay sent an unknown error code.', { details: `expected a zrkit error code, got ${JSON.stringify(m.code)} (${m.details})` })
        // Refused credentials or a newer connection of this party: retrying cannot help.
        if (m.code === 'RELAY_REFUSED' && (m.reason === 'unauthorized' || m.reason === 'replaced')) {
          fatal = error
          settleFirst?.(error)
        }
        report(error)
        return
      }
      default:
        report(new ZrError('MALFORMED_MESSAGE', 'Unexpected relay message.', { details: `expected challenge, welcome, deliver, announce, presence or error, got ${m.type}` }))
    }
  }

  const open = () => {
    if (closed || fatal) return
    let ws: RelayWebSocket
    try {
      ws = new config.WebSocket(options.url)
    } catch (cause) {
      report(new ZrError('MPC_TRANSPORT', 'Could not open the relay connection.', { cause, details: options.url }))
      return scheduleReconnect()
    }
    socket = ws
    ws.binaryType = 'arraybuffer'
    ws.onmessage = (event: { data: unknown }) => {
      if (ws !== socket) return
      const data = event.data
      const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : undefined
      if (!bytes) return report(new ZrError('MALFORMED_MESSAGE', 'Malformed relay message.', { details: `expected a binary message, got ${typeof data}` }))
      let m: RelayMessage
      try {
        m = decodeRelayMessage(bytes)
      } catch (e) {
        return report(e instanceof ZrError ? e : new ZrError('MALFORMED_MESSAGE', 'Malformed relay message.', { cause: e }))
      }
      handle(ws, m)
    }
    ws.onerror = () => {}
    ws.onclose = () => {
      if (ws !== socket) return
      socket = undefined
      authenticated = false
      forgetPresence()
      if (closed) return closedSignal?.()
      scheduleReconnect()
    }
  }

  const scheduleReconnect = () => {
    if (closed || fatal) return
    const ceiling = Math.min(config.maxMs, config.initialMs * 2 ** Math.min(attempt, 30))
    attempt++
    // Full jitter on the upper half: parties dropped together do not come back in lockstep.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2)
    reconnectTimer = setTimeout(open, delay)
  }

  const client: RelayClient = {
    url: options.url,
    get connected() {
      return authenticated
    },
    get sessions() {
      return sessions
    },
    connect(party, onFrame) {
      if (party !== self) {
        throw new ZrError('INVALID_INPUT', 'This relay client serves one party.', { details: `expected ${self} (the client's account), got ${String(party)}` })
      }
      handler = onFrame
      let live = true
      if (early.length > 0) {
        const waiting = early.splice(0, early.length)
        setTimeout(() => {
          for (const frame of waiting) {
            if (handler !== onFrame) return
            try {
              onFrame(frame)
            } catch {
              // the receiver's failure is its own
            }
          }
        }, 0)
      }
      return {
        send(to, bytes) {
          if (!live || handler !== onFrame || closed) return
          if (!(bytes instanceof Uint8Array) || typeof to !== 'string') {
            return report(new ZrError('INVALID_INPUT', 'Invalid relay frame.', { details: `expected a party id and bytes, got ${typeof to} and ${typeof bytes}` }))
          }
          if (bytes.length > maxFrameBytes) {
            return report(new ZrError('INVALID_INPUT', 'Frame too large for the relay: dropped.', { details: `expected at most ${maxFrameBytes} bytes, got ${bytes.length}` }))
          }
          // A socket the relay has just cut may not have said so yet (closing, its close event still to come):
          // a frame written then would be lost, so it waits in the queue for the next session like any other.
          if (authenticated && write({ type: 'send', to, bytes })) return
          queue.push({ to, bytes: Uint8Array.from(bytes) })
          if (queue.length > config.maxQueuedFrames) {
            const dropped = queue.shift()!
            report(new ZrError('MPC_TRANSPORT', 'Dropped a frame queued while disconnected.', { details: `at most ${config.maxQueuedFrames} frames are queued; dropped one to ${dropped.to}`, context: { self } }))
          }
        },
        close() {
          live = false
          if (handler === onFrame) handler = undefined
        },
      }
    },
    announce(announcement) {
      if (announcement?.party !== self) {
        throw new ZrError('INVALID_INPUT', 'A relay client announces its own party only.', { details: `expected an announcement of ${self}, got one of ${String(announcement?.party)}` })
      }
      if (own && own.epoch > announcement.epoch) return
      own = announcement
      if (authenticated) write({ type: 'announce', announcement })
    },
    onAnnouncement(fn) {
      const existing = [...directory.values()]
      const own = (a: Announcement) => fn(a)
      watchers.add(own)
      setTimeout(() => {
        for (const a of existing) {
          if (!watchers.has(own)) return
          try {
            fn(a)
          } catch {
            // the watcher's failure is its own
          }
        }
      }, 0)
      return () => {
        watchers.delete(own)
      }
    },
    presence(party) {
      return authenticated && !closed ? presence.get(party) : undefined
    },
    onPresence(fn) {
      const own = (party: string) => fn(party)
      presenceWatchers.add(own)
      return () => {
        presenceWatchers.delete(own)
      }
    },
    close() {
      if (closed) return Promise.resolve()
      closed = true
      clearTimeout(reconnectTimer)
      settleFirst?.(new ZrError('ABORTED', 'The relay client was closed before it connected.'))
      const ws = socket
      if (!ws) return Promise.resolve()
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          socket = undefined
          resolve()
        }, 1_000)
        closedSignal = () => {
          clearTimeout(timer)
          resolve()
        }
        try {
          ws.close(1000, 'closed')
        } catch {
          clearTimeout(timer)
          socket = undefined
          resolve()
        }
      })
    },
  }

  return new Promise<RelayClient>((resolve, reject) => {
    if (options.signal?.aborted) return reject(new ZrError('ABORTED', 'Connecting to the relay was aborted.'))
    const timer = setTimeout(() => settleFirst?.(new ZrError('TIMEOUT', 'Could not connect to the relay in time.', { details: `no authenticated connection to ${options.url} within ${config.timeoutMs} ms` })), config.timeoutMs)
    const onAbort = () => settleFirst?.(new ZrError('ABORTED', 'Connecting to the relay was aborted.'))
    options.signal?.addEventListener('abort', onAbort, { once: true })
    settleFirst = (error) => {
      settleFirst = undefined
      clearTimeout(timer)
      options.signal?.removeEventListener('abort', onAbort)
      if (!error) return resolve(client)
      void client.close()
      reject(error)
    }
    open()
  })
}

function checkOptions(options: ConnectRelayOptions) {
  const bad = (what: string, expected: string, got: unknown) =>
    new ZrError('INVALID_CONFIG', `Invalid relay client option: ${what}.`, { details: `${what}: expected ${expected}, got ${typeof got === 'string' ? JSON.stringify(got) : typeof got}` })
  if (typeof options !== 'object' || options === null) throw bad('options', 'an object', options)
  if (typeof options.url !== 'string' || !/^wss?:\/\/./.test(options.url)) throw bad('url', 'a ws:// or wss:// URL', options.url)
  const a = options.account
  if (!a || typeof a.address !== 'string' || !(a.publicKey instanceof Uint8Array) || typeof a.sign !== 'function') throw bad('account', 'an Account (address, publicKey, sign)', a)
  const WebSocket = options.WebSocket ?? (globalThis as { WebSocket?: RelayWebSocketConstructor }).WebSocket
  if (typeof WebSocket !== 'function') throw bad('WebSocket', 'a WebSocket constructor (none is global here: pass `WebSocket` from `ws`)', WebSocket)
  if (options.relayId !== undefined && (typeof options.relayId !== 'string' || options.relayId.length === 0)) throw bad('relayId', 'a non-empty string', options.relayId)
  const int = (what: string, value: unknown, fallback: number, min: number) => {
    if (value === undefined) return fallback
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) throw bad(what, `an integer >= ${min}`, value)
    return value
  }
  const initialMs = int('backoff.initialMs', options.backoff?.initialMs, 100, 1)
  return {
    relayId: options.relayId ?? options.url,
    WebSocket,
    initialMs,
    maxMs: Math.max(initialMs, int('backoff.maxMs', options.backoff?.maxMs, 5_000, 1)),
    maxQueuedFrames: int('maxQueuedFrames', options.maxQueuedFrames, 1024, 0),
    timeoutMs: int('timeoutMs', options.timeoutMs, 30_000, 1),
  }
}
