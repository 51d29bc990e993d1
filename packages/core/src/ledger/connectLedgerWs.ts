import { ZrError, isZrError } from '../errors/ZrError.js'
import type { EventFilter, LedgerEvent } from './events.js'
import { checkSubscription } from './checkSubscription.js'
import type { Ledger, TxReceipt, Unsubscribe } from './Ledger.js'
import { type WebSocketConstructor, openWebSocketChannel } from './openWebSocketChannel.js'
import { connectLedger } from './remoteLedger.js'
import { describe } from './validate.js'

/** Options of {@link connectLedgerWs}. */
export type ConnectLedgerWsOptions = {
  /**
   * Every call settles within this many ms (default 30 000; 0 = never), the wait for a reconnect
   * included: with `TIMEOUT`, or `LEDGER_UNAVAILABLE` for a submit whose connection dropped before its
   * reply (it may have landed: `sendMessage` and the client actions resend the same bytes and find it).
   */
  timeoutMs?: number
  /**
   * Reconnects after the connection drops, waiting `initialMs` (default 100), doubling up to `maxMs`
   * (default 5000), each with some jitter. `false`: no reconnect; a drop settles every call and ends
   * every subscription with `LEDGER_CLOSED`, as {@link connectLedger} does.
   */
  reconnect?: { initialMs?: number; maxMs?: number } | false
  /**
   * Every this many ms the client asks the ledger for its status; a connection that does not answer
   * within this time again (a server frozen or gone without closing the socket) is given up and
   * reopened (default 15 000; 0 = never).
   */
  heartbeatMs?: number
  /** The WebSocket constructor (default: the global `WebSocket`; on Node 20, pass `WebSocket` from `ws`). */
  WebSocket?: WebSocketConstructor
  /** Told about frames dropped, connections lost and failed reconnects, with a ZrError saying why. */
  onError?: (error: ZrError) => void
}

type Sub = {
  readonly filter: EventFilter
  readonly listener: (event: LedgerEvent) => void
  readonly onError: ((error: ZrError) => void) | undefined
  readonly fromSeq: number | undefined
  /** The seq of the last event delivered: a resumed subscription asks from the next one. */
  lastSeq: number | undefined
  /** The subscription on the current connection, while it has one. */
  stop: Unsubscribe | undefined
  active: boolean
}

function configError(what: string, expected: string, got: unknown): ZrError {
  return new ZrError('INVALID_CONFIG', 'Invalid connectLedgerWs options.', { details: `expected ${what} to be ${expected}, got ${describe(got)}` })
}

function checkMs(v: unknown, what: string, fallback: number, min: number): number {
  if (v === undefined) return fallback
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > 2 ** 31 - 1) throw configError(what, `an integer from ${min} to ${2 ** 31 - 1}`, v)
  return v
}

/**
 * A {@link Ledger} served by {@link listenLedger} at `url` (`ws://` or `wss://`), over a connection
 * that survives the network: browser-safe (the global `WebSocket`, or the one given).
 *
 * - Every call settles within `timeoutMs`; a call made while the connection is down waits for the
 *   reconnect, up to that limit.
 * - A dropped connection is detected at once (the socket's close) and reopened with backoff.
 * - A subscription resumes on the new connection from the last event it delivered (`fromSeq`), so no
 *   event is missed or delivered twice, also when the server ended it because the subscriber was too
 *   slow (`LIMIT_EXCEEDED`). A subscription without `fromSeq` starts after the ledger's last event when
 *   it is first registered. Its `onError` hears only a refusal of the subscription or `close()`.
 * - A submit whose connection dropped before its reply rejects with `LEDGER_UNAVAILABLE`: it may have
 *   landed. `sendMessage` (every client action) then resends the same signed bytes; the ledger refuses
 *   a copy (`TX_REPLAYED`) and the client finds the first landing by hash, so it is applied once.
 *
 * It rejects when the ledger cannot be reached within `timeoutMs` (retrying with backoff meanwhile).
 *
 * @example
 * ```ts
 * import { WebSocket } from 'ws' // in a browser or on Node 22, leave it out
 * import { connectLedgerWs, createZrClient } from '@zrkit/core'
 *
 * const ledger = await connectLedgerWs('ws://127.0.0.1:7070', { WebSocket, timeoutMs: 10_000, reconnect: { initialMs: 100, maxMs: 5000 } })
 * ledger.subscribe({ types: ['bank.transfer'] }, (e) => console.log(e.seq, e.data))
 * const client = createZrClient({ ledger, account })
 * await client.send({ to, amount: 5n }) // applied once, even if the connection drops meanwhile
 * await ledger.close()
 * ```
 */
export async function connectLedgerWs(url: string, options: ConnectLedgerWsOptions = {}): Promise<Ledger> {
  if (typeof url !== 'string' || !/^wss?:\/\/[^\s]+$/.test(url)) {
    throw new ZrError('INVALID_INPUT', 'Invalid ledger URL.', { details: `expected a ws:// or wss:// URL, got ${describe(url)}` })
  }
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw configError('connectLedgerWs options', 'an object', options)
  const timeoutMs = checkMs(options.timeoutMs, 'timeoutMs', 30_000, 0)
  const r = options.reconnect
  if (r !== undefined && r !== false && (r === null || typeof r !== 'object')) throw configError('reconnect', 'an object { initialMs, maxMs } or false', r)
  const initialMs = r ? checkMs(r.initialMs, 'reconnect.initialMs', 100, 1) : 0
  const maxMs = r ? checkMs(r.maxMs, 'reconnect.maxMs', 5000, 1) : 0
  if (r && maxMs < initialMs) throw configError('reconnect.maxMs', `at least initialMs (${initialMs})`, maxMs)
  const reconnects = r !== false
  const heartbeatMs = checkMs(options.heartbeatMs, 'heartbeatMs', 15_000, 0)
  const WebSocket = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
  if (typeof WebSocket !== 'function') throw configError('WebSocket', 'a WebSocket constructor (there is no global one here: pass WebSocket from ws)', WebSocket)
  if (options.onError !== undefined && typeof options.onError !== 'function') throw configError('onError', 'a function', options.onError)

  const report = (error: ZrError) => {
    try {
      options.onError?.(error)
    } catch {
      // a failing hook must not break the connection
    }
  }
  let current: Ledger | undefined
  let closed = false
  let attempt = 0
  let retryTimer: ReturnType<typeof setTimeout> | undefined
  const waiters = new Set<{ resolve: (l: Ledger) => void; reject: (e: ZrError) => void }>()
  const subs = new Set<Sub>()
  let chainId: string | undefined
  const closedError = () => new ZrError('LEDGER_CLOSED', 'The ledger connection is closed.', { details: 'closed by the client' })
  const tell = (s: Sub, error: ZrError) => {
    try {
      s.onError?.(error)
    } catch {
      // a failing callback must not stop the others
    }
  }

  /** The current connection is gone (its socket closed, or it stopped answering): reconnect, or end. */
  function lost(ledger: Ledger, why: string): void {
    if (current !== ledger) return
    current = undefined
    report(new ZrError('LEDGER_UNAVAILABLE', 'Lost the connection to the ledger.', { details: `${url}: ${why}` }))
    void ledger.close() // its calls in flight and subscriptions end now, not when a dead socket finally closes
    if (!reconnects) return void end(new ZrError('LEDGER_CLOSED', 'The ledger connection is closed.', { details: `${url}: ${why}; reconnect is off` }))
    schedule()
  }

  /** Asks for the status every heartbeatMs while `ledger` is current; no answer in time: the connection is lost. */
  function watch(ledger: Ledger): void {
    if (heartbeatMs === 0) return
    const beat = setTimeout(() => {
      if (current !== ledger) return
      let timer: ReturnType<typeof setTimeout> | undefined
      const silent = new Promise<'silent'>((r) => (timer = setTimeout(() => r('silent'), heartbeatMs)))
      void Promise.race([ledger.query('status', {}).then(() => 'ok' as const, () => 'ok' as const), silent]).then((outcome) => {
        clearTimeout(timer)
        if (outcome === 'silent') lost(ledger, `no answer to a heartbeat within ${heartbeatMs} ms`)
        else watch(ledger)
      })
    }, heartbeatMs)
    ;(beat as { unref?: () => void }).unref?.()
  }

  /** Opens one connection; the socket's close makes it no longer current. */
  async function connectOnce(): Promise<Ledger> {
    // with timeoutMs 0 calls wait forever, but an attempt to open a socket still ends, so that another can follow
    const channel = await openWebSocketChannel(url, WebSocket!, timeoutMs > 0 ? timeoutMs : 30_000)
    let ledger: Ledger | undefined
    // registered before connectLedger's own: `current` is cleared before its calls reject
    channel.onClose!((reason) => {
      if (ledger) lost(ledger, String(reason))
    })
    ledger = await connectLedger(channel, { timeoutMs, ...(options.onError ? { onError: report } : {}) })
    if (chainId !== undefined && ledger.chainId !== chainId) {
      await ledger.close()
      throw new ZrError('LEDGER_UNAVAILABLE', 'The ledger at this URL serves another chain.', { details: `expected chain ${chainId}, got ${ledger.chainId}` })
    }
    return ledger
  }

  function schedule(): void {
    if (closed || retryTimer !== undefined) return
    const delay = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30)) * (0.5 + Math.random() / 2)
    attempt++
    retryTimer = setTimeout(() => {
      connectOnce().then(
        (ledger) => {
          retryTimer = undefined
          if (closed) return void ledger.close()
          attempt = 0
          current = ledger
          watch(ledger)
          for (const s of subs) if (!s.stop) attach(s, ledger)
          for (const w of [...waiters]) w.resolve(ledger)
          waiters.clear()
        },
        (e: unknown) => {
          retryTimer = undefined
          report(isZrError(e) ? e : new ZrError('LEDGER_UNAVAILABLE', 'Could not reconnect to the ledger.', { details: String(e) }))
          schedule()
        },
      )
    }, delay)
  }

  /** Closed for good: every waiting call and every subscription hears `error`. */
  function end(error: ZrError): void {
    closed = true
    clearTimeout(retryTimer)
    for (const w of [...waiters]) w.reject(error)
    waiters.clear()
    for (const s of [...subs]) {
      s.active = false
      tell(s, error)
    }
    subs.clear()
  }

  /** The current connection, or the next one, waited for until `deadline`. */
  function connected(deadline: number, op: string): Promise<Ledger> {
    if (closed) return Promise.reject(closedError())
    if (current) return Promise.resolve(current)
    return new Promise<Ledger>((resolve, reject) => {
      const w = {
        resolve: (l: Ledger) => {
          clearTimeout(timer)
          resolve(l)
        },
        reject: (e: ZrError) => {
          clearTimeout(timer)
          reject(e)
        },
      }
      const timer =
        deadline === Number.POSITIVE_INFINITY
          ? undefined
          : setTimeout(() => {
              waiters.delete(w)
              reject(new ZrError('TIMEOUT', 'The ledger did not answer in time.', { details: `no connection to ${url} for ${op} within ${timeoutMs} ms`, context: { op, timeoutMs } }))
            }, Math.max(0, deadline - Date.now()))
      waiters.add(w)
    })
  }

  /** Runs `fn` on a connection within the call's deadline; a query is retried on the next connection after a drop. */
  async function withLedger<T>(op: 'submit' | 'query', fn: (ledger: Ledger) => Promise<T>): Promise<T> {
    const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Number.POSITIVE_INFINITY
    for (;;) {
      const ledger = await connected(deadline, op)
      let timer: ReturnType<typeof setTimeout> | undefined
      try {
        const late = new Promise<never>((_, reject) => {
          if (deadline !== Number.POSITIVE_INFINITY) {
            timer = setTimeout(() => reject(new ZrError('TIMEOUT', 'The ledger did not answer in time.', { details: `no reply to ${op} within ${timeoutMs} ms${op === 'submit' ? '; the tx may still be applied: query it by its hash' : ''}`, context: { op, timeoutMs } })), Math.max(0, deadline - Date.now()))
          }
        })
        return await Promise.race([fn(ledger), late])
      } catch (e) {
        if (closed) throw closedError()
        if (!isZrError(e, 'LEDGER_CLOSED')) throw e
        if (op === 'submit') {
          throw new ZrError('LEDGER_UNAVAILABLE', 'The connection to the ledger dropped before the reply.', { details: `the connection to ${url} was lost with the submit in flight; the tx may have landed: resend the same signed tx (sendMessage does) or query it by its hash`, cause: e })
        }
        // the server is going away on a socket still open: give it a moment before asking again
        if (current === ledger) await new Promise((r) => setTimeout(r, Math.max(initialMs, 10)))
      } finally {
        clearTimeout(timer)
      }
    }
  }

  /** Subscribes `s` on `ledger`, from the event after the last one it delivered. */
  function attach(s: Sub, ledger: Ledger): void {
    if (s.lastSeq === undefined && s.fromSeq === undefined) {
      // "from now", pinned once, so that a resume after a drop misses nothing that happened meanwhile
      ledger.query('status', {}).then(
        (status) => {
          if (!s.active || s.stop || current !== ledger) return
          if (s.lastSeq === undefined) s.lastSeq = status.lastEventSeq
          attach(s, ledger)
        },
        () => {}, // the connection dropped: tried again on the next one
      )
      return
    }
    const fromSeq = s.lastSeq !== undefined ? s.lastSeq + 1 : s.fromSeq
    let ended = false
    const stop = ledger.subscribe(
      s.filter,
      (event) => {
        if (!s.active || ended) return
        if (s.lastSeq !== undefined && event.seq <= s.lastSeq) return // delivered already
        s.lastSeq = event.seq
        s.listener(event)
      },
      {
        ...(fromSeq !== undefined ? { fromSeq } : {}),
        onError: (error) => {
          ended = true
          if (s.stop === stop) s.stop = undefined
          if (!s.active || closed) return
          if (isZrError(error, 'LEDGER_CLOSED')) return // the connection dropped: resumed on the next one
          if ((isZrError(error, 'LIMIT_EXCEEDED') && error.context.limit !== 'maxSubscriptionsPerConnection') || isZrError(error, 'TIMEOUT')) {
            // cut off for being slow, or not acknowledged in time: resume from the last event delivered
            report(error)
            if (current === ledger) queueMicrotask(() => s.active && !s.stop && current === ledger && attach(s, ledger))
            return
          }
          s.active = false
          subs.delete(s)
          tell(s, error)
        },
      },
    )
    if (!ended) s.stop = stop
  }

  // the first connection, retried with backoff until timeoutMs
  const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Number.POSITIVE_INFINITY
  for (;;) {
    try {
      current = await connectOnce()
      chainId = current.chainId
      watch(current)
      break
    } catch (e) {
      const delay = Math.min(maxMs, initialMs * 2 ** Math.min(attempt++, 30))
      if (!reconnects || Date.now() + delay >= deadline) throw e
      await new Promise((r) => setTimeout(r, delay))
    }
  }
  attempt = 0

  return {
    chainId,
    submit: (tx) => withLedger<TxReceipt>('submit', (l) => l.submit(tx)),
    query: (kind, params) => withLedger('query', (l) => l.query(kind, params)),
    subscribe(filter, listener, subscribeOptions) {
      const checked = checkSubscription(filter, listener, subscribeOptions)
      const s: Sub = { filter: checked.filter, listener, onError: checked.onError, fromSeq: checked.fromSeq, lastSeq: undefined, stop: undefined, active: true }
      if (closed) {
        queueMicrotask(() => tell(s, closedError()))
        return () => {}
      }
      subs.add(s)
      if (current) attach(s, current)
      return () => {
        if (!s.active) return
        s.active = false
        subs.delete(s)
        s.stop?.()
      }
    },
    async close() {
      if (closed) return
      const ledger = current
      current = undefined
      end(closedError())
      await ledger?.close()
    },
  }
}
