import { canonicalParse, canonicalStringify } from '../encoding/canonical.js'
import { errorCodes, type ZrErrorCode } from '../errors/codes.js'
import { ZrError, isZrError, zrErrorFromJSON } from '../errors/ZrError.js'
import { checkSubscription } from './checkSubscription.js'
import type { LedgerEvent } from './events.js'
import type { Ledger, TxReceipt, Unsubscribe } from './Ledger.js'
import type { QueryKind } from './queries.js'
import type { SignedTx } from './tx.js'
import { checkInt, describe, invalid } from './validate.js'

/**
 * A duplex of text messages between two processes, threads or machines: a socket, a worker's port,
 * a child's stdio. `send` delivers one message whole; `onMessage` receives them in order.
 *
 * Give `onClose` whenever the transport can tell that the other side went away (a socket's `close`,
 * a readline's `close`, a worker's `exit`): {@link connectLedger} then settles every call in flight at
 * once with `LEDGER_CLOSED` and ends its subscriptions, and {@link serveLedger} drops the subscriptions
 * of that client. Without it, calls still settle, by their timeout.
 *
 * @example
 * ```ts
 * import { createConnection } from 'node:net'
 * import { createInterface } from 'node:readline'
 * import { type LedgerChannel, connectLedger } from '@zrkit/core'
 *
 * const socket = createConnection(7070, '127.0.0.1')
 * socket.on('error', () => {}) // a reset: 'close' follows, and onClose settles every call
 * const lines = createInterface({ input: socket })
 * lines.on('error', () => {}) // readline re-emits its input's errors
 * const channel: LedgerChannel = {
 *   send: (m) => socket.write(`${m}\n`),
 *   onMessage: (fn) => lines.on('line', fn),
 *   onClose: (fn) => socket.on('close', () => fn()),
 *   close: () => socket.end(),
 * }
 * const ledger = await connectLedger(channel)
 * ```
 */
export type LedgerChannel = {
  send(message: string): void
  onMessage(listener: (message: string) => void): void
  /** Registers `listener` for the end of the channel (the other side went away); called at most once. */
  onClose?(listener: (reason?: unknown) => void): void
  /** Called by the client side on `close()`. */
  close?(): void
}

/*
 * The wire, one canonical JSON value per message:
 *   request  { id, op: 'hello' | 'submit' | 'query' | 'subscribe' | 'unsubscribe', ...fields }
 *   reply    { id, ok: true, value } | { id, ok: false, error: { code, shortMessage, details?, meta } }
 *            (an error's `meta` on the wire is its typed `context`, under the name older peers read)
 *   push     { sub, event } (an event of subscription `sub`) | { sub, error } (the subscription ended)
 * A request's id is a finite number or a string of at most 256 characters; connectLedger uses 1, 2, 3...
 */
type CallId = number | string
type WireError = { code: ZrErrorCode; shortMessage: string; details?: string; meta?: Record<string, unknown> }
type Reply = { id: CallId; ok: true; value: unknown } | { id: CallId; ok: false; error: WireError }
type Push = { sub: CallId; event: LedgerEvent } | { sub: CallId; error: WireError }
type Request =
  | { op: 'hello' }
  | { op: 'submit'; tx: unknown }
  | { op: 'query'; kind: unknown; params: unknown }
  | { op: 'subscribe'; filter: unknown; fromSeq?: number }
  | { op: 'unsubscribe'; sub: CallId }

const ops = ['hello', 'submit', 'query', 'subscribe', 'unsubscribe'] as const
const idRule = 'a finite number or a string of at most 256 characters'

function isCallId(v: unknown): v is CallId {
  return (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.length <= 256)
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array)
}

/** The message of anything thrown, without ever throwing itself. */
function messageOf(e: unknown): string {
  try {
    return String((e as Error)?.message ?? e)
  } catch {
    return 'an error that cannot be shown'
  }
}

function preview(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}...` : text)
}

/** The id of a frame that is JSON but not canonical JSON (bad `$bytes`, too deep), so it can still be answered. */
function idOfText(text: string): CallId | undefined {
  try {
    const raw: unknown = JSON.parse(text)
    return isRecord(raw) && isCallId(raw.id) ? raw.id : undefined
  } catch {
    return undefined
  }
}

/**
 * Reads one frame, for both ends of the channel: its value, or why it is unreadable (not text, not
 * canonical JSON) together with the call id it still names, if any, so the caller can answer that call.
 */
function readFrame(text: unknown): { value: unknown; text: string } | { problem: string; id?: CallId } {
  if (typeof text !== 'string') return { problem: `expected a text frame, got ${describe(text)}` }
  try {
    return { value: canonicalParse(text), text }
  } catch (e) {
    const id = idOfText(text)
    return { problem: `${(e as ZrError).details}; the frame was ${preview(text)}`, ...(id !== undefined ? { id } : {}) }
  }
}

function toWire(e: ZrError, withMeta = true): WireError {
  return { code: e.code, shortMessage: e.shortMessage, ...(e.details ? { details: e.details } : {}), ...(withMeta ? { meta: e.context } : {}) }
}

/** A ZrError from an error on the wire; anything that is not one becomes a typed `LEDGER_UNAVAILABLE`. */
function fromWire(e: unknown): ZrError {
  if (!isRecord(e) || typeof e.code !== 'string' || !(errorCodes as readonly string[]).includes(e.code)) {
    return new ZrError('LEDGER_UNAVAILABLE', 'The ledger sent a malformed error.', { details: `expected an error with a zrkit error code, got ${isRecord(e) ? `code ${describe(e.code)}` : describe(e)}` })
  }
  return zrErrorFromJSON({
    code: e.code as ZrErrorCode,
    // an error always says something: an empty or blank message from the wire gets the general one
    shortMessage: typeof e.shortMessage === 'string' && e.shortMessage.trim().length > 0 ? e.shortMessage : 'The ledger refused the call.',
    ...(typeof e.details === 'string' ? { details: e.details } : {}),
    ...(isRecord(e.meta) ? { context: e.meta } : {}),
  })
}

/** Options of {@link serveLedger}. */
export type ServeLedgerOptions = {
  /**
   * Told, with a ZrError saying why, about every frame that is dropped (not JSON, not a request, no
   * usable id) and every answer that could not be sent. Default: nothing is reported. A request with a
   * usable id never ends here: it always gets a reply, an error reply when it is malformed.
   */
  onError?: (error: ZrError) => void
  /**
   * The largest frame, in UTF-8 bytes, that is read (default: no limit). A larger frame is not parsed:
   * if it names an id it gets a `MALFORMED_MESSAGE` reply saying so, else it is reported to `onError`.
   */
  maxFrameBytes?: number
  /** How many subscriptions this channel may hold at once (default: no limit); one more is refused with `LIMIT_EXCEEDED`. */
  maxSubscriptions?: number
  /**
   * Asked before each event is pushed: when the channel cannot keep up, it returns the limit that was
   * reached, and that subscription ends with a `{ sub, error }` push of `LIMIT_EXCEEDED` (with this
   * context) instead of the event, so the server never buffers without bound. The client may subscribe
   * again from its last event's seq + 1. Default: never.
   */
  backPressure?: () => { limit: string; max: number; got: number } | undefined
}

/** What {@link serveLedger} returns. */
export type LedgerServer = {
  /** Stops serving this channel: its subscriptions end, and later requests get a `LEDGER_CLOSED` reply. */
  close(): void
  /** Resolves once no request of this channel is being handled (at once when none is). */
  settled(): Promise<void>
}

/** The UTF-8 length of `text`, without encoding it when it is clearly short enough or too long. */
function utf8Length(text: string, max: number): number {
  // a UTF-16 unit takes 1 to 3 UTF-8 bytes: either bound decides without encoding
  if (text.length * 3 <= max || text.length > max) return text.length
  return new TextEncoder().encode(text).length
}

/**
 * Serves a {@link Ledger} over a {@link LedgerChannel}, so clients and connectors elsewhere can use it
 * through {@link connectLedger}. Values cross as canonical JSON, so bytes and bigints arrive intact and
 * errors arrive as `ZrError`s with their codes.
 *
 * Whatever arrives, it never throws and never stops serving: a malformed request with a usable id (a
 * finite number or a string of at most 256 characters) gets exactly one error reply
 * (`MALFORMED_MESSAGE` for a frame that is not a request: bad encoding, shape or operation;
 * `INVALID_INPUT` for a request with a bad argument, such as a filter, as the ledger itself would
 * answer); a frame without one is dropped and reported to `onError` (`MALFORMED_MESSAGE`). A
 * subscription filter is checked before it is subscribed, so one bad subscriber cannot stop delivery to
 * the others.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:net'
 * import { createInterface } from 'node:readline'
 * import { createEmbeddedLedger, serveLedger } from '@zrkit/core'
 *
 * const ledger = await createEmbeddedLedger({ genesis })
 * createServer((socket) => {
 *   // a client that resets must not take the server down: readline re-emits its input's errors
 *   socket.on('error', () => {})
 *   const lines = createInterface({ input: socket })
 *   lines.on('error', () => {})
 *   serveLedger(
 *     ledger,
 *     { send: (m) => socket.write(`${m}\n`), onMessage: (fn) => lines.on('line', fn), onClose: (fn) => socket.on('close', () => fn()) },
 *     { onError: (e) => console.warn(`dropped a frame: ${e.details}`) },
 *   )
 * }).listen(7070, '127.0.0.1')
 * ```
 */
export function serveLedger(ledger: Ledger, channel: LedgerChannel, options: ServeLedgerOptions = {}): LedgerServer {
  checkChannel(channel)
  if (!isRecord(options)) throw invalid('serveLedger options', 'an object', options)
  if (options.onError !== undefined && typeof options.onError !== 'function') throw invalid('onError', 'a function', options.onError)
  const maxFrameBytes = options.maxFrameBytes === undefined ? undefined : checkInt(options.maxFrameBytes, 'maxFrameBytes', { min: 1 })
  const maxSubscriptions = options.maxSubscriptions === undefined ? undefined : checkInt(options.maxSubscriptions, 'maxSubscriptions', { min: 0 })
  if (options.backPressure !== undefined && typeof options.backPressure !== 'function') throw invalid('backPressure', 'a function', options.backPressure)
  const subs = new Map<CallId, Unsubscribe>()
  let stopped = false
  let inFlight = 0
  let whenSettled: (() => void)[] = []

  const report = (error: ZrError) => {
    try {
      options.onError?.(error)
    } catch {
      // a failing hook must not stop the server
    }
  }

  const send = (frame: Reply | Push): void => {
    let text: string
    try {
      text = canonicalStringify(frame)
    } catch (e) {
      const problem = isZrError(e) ? e : new ZrError('INVALID_INPUT', 'Cannot encode value.', { details: messageOf(e) })
      if ('id' in frame && frame.ok) {
        // an answer with no canonical form: the caller still gets one, as an error
        send({ id: frame.id, ok: false, error: toWire(new ZrError('LEDGER_UNAVAILABLE', 'The ledger answered with a value that cannot be sent.', { details: `${problem.shortMessage} ${problem.details ?? ''}`.trim() })) })
      } else if ('id' in frame && frame.error.meta) {
        send({ ...frame, error: { ...frame.error, meta: {} } }) // the error without its meta
      } else {
        report(new ZrError('LEDGER_UNAVAILABLE', 'Could not encode a frame for the client.', { details: `${problem.shortMessage} ${problem.details ?? ''}`.trim(), cause: e }))
      }
      return
    }
    try {
      channel.send(text)
    } catch (e) {
      report(new ZrError('LEDGER_UNAVAILABLE', 'Could not send a frame to the client.', { details: messageOf(e), cause: e }))
    }
  }

  const stop = () => {
    if (stopped) return
    stopped = true
    for (const unsubscribe of subs.values()) {
      try {
        unsubscribe()
      } catch {
        // keep ending the others
      }
    }
    subs.clear()
  }

  async function run(req: Record<string, unknown>, id: CallId): Promise<unknown> {
    switch (req.op) {
      case 'hello':
        return { chainId: ledger.chainId }
      case 'submit':
        return await ledger.submit(req.tx as SignedTx)
      case 'query':
        if (typeof req.kind !== 'string') throw invalid('query name', 'a string', req.kind)
        return await ledger.query(req.kind as QueryKind, req.params as never)
      case 'subscribe': {
        if (subs.has(id)) throw invalid('subscription id', 'an id that is not subscribed already', id)
        // checked here too, whatever the served ledger checks: a bad filter must fail now, not during delivery
        const { filter, fromSeq } = checkSubscription(req.filter, () => {}, req.fromSeq === undefined ? undefined : { fromSeq: req.fromSeq })
        if (maxSubscriptions !== undefined && subs.size >= maxSubscriptions) {
          throw new ZrError('LIMIT_EXCEEDED', 'Too many subscriptions on this connection.', {
            details: `expected at most ${maxSubscriptions} subscriptions per connection, got one more; unsubscribe one first`,
            context: { limit: 'maxSubscriptionsPerConnection', max: maxSubscriptions, got: subs.size + 1 },
          })
        }
        let cut = false
        const push = (event: LedgerEvent) => {
          if (cut) return
          const over = options.backPressure?.()
          if (!over) return send({ sub: id, event })
          // the client cannot keep up: end this subscription instead of buffering its events without bound
          cut = true
          const stop = subs.get(id)
          subs.delete(id)
          if (stop) queueMicrotask(stop)
          send({ sub: id, error: toWire(new ZrError('LIMIT_EXCEEDED', 'The subscriber is too slow: its subscription ended.', { details: `expected at most ${over.max} for ${over.limit}, got ${over.got}; subscribe again from seq ${event.seq}`, context: over })) })
        }
        const unsubscribe = ledger.subscribe(filter, push, {
          ...(fromSeq !== undefined ? { fromSeq } : {}),
          onError: (error) => {
            if (subs.delete(id)) send({ sub: id, error: toWire(error) })
          },
        })
        if (cut) unsubscribe() // cut off during delivery inside subscribe
        else subs.set(id, unsubscribe)
        return id
      }
      case 'unsubscribe': {
        if (!isCallId(req.sub)) throw invalid('sub', `a subscription id (${idRule})`, req.sub)
        const unsubscribe = subs.get(req.sub)
        subs.delete(req.sub)
        unsubscribe?.()
        return true
      }
      default:
        throw new ZrError('MALFORMED_MESSAGE', 'Unknown ledger operation.', { details: `expected ${ops.join(', ')}, got ${describe(req.op)}` })
    }
  }

  async function handle(text: unknown): Promise<void> {
    if (maxFrameBytes !== undefined && typeof text === 'string' && utf8Length(text, maxFrameBytes) > maxFrameBytes) {
      const id = idOfText(text)
      const problem = `expected a frame of at most ${maxFrameBytes} bytes, got ${new TextEncoder().encode(text).length}`
      if (id !== undefined) send({ id, ok: false, error: toWire(new ZrError('MALFORMED_MESSAGE', 'The frame is too large.', { details: problem })) })
      else report(new ZrError('MALFORMED_MESSAGE', 'Dropped a frame that is too large.', { details: problem }))
      return
    }
    const frame = readFrame(text)
    if ('problem' in frame) {
      if (frame.id !== undefined) send({ id: frame.id, ok: false, error: toWire(new ZrError('MALFORMED_MESSAGE', 'Malformed request.', { details: frame.problem })) })
      else report(new ZrError('MALFORMED_MESSAGE', 'Dropped a frame.', { details: frame.problem }))
      return
    }
    const req = frame.value
    if (!isRecord(req) || !isCallId(req.id)) {
      const details = isRecord(req) ? `expected a request with an id (${idRule}), got id ${describe(req.id)}` : `expected a request object { id, op }, got ${describe(req)}`
      report(new ZrError('MALFORMED_MESSAGE', 'Dropped a frame.', { details: `${details}; the frame was ${preview(frame.text)}` }))
      return
    }
    const id = req.id
    if (stopped) {
      send({ id, ok: false, error: toWire(new ZrError('LEDGER_CLOSED', 'The ledger server is closed.', { details: 'serveLedger was closed for this channel' })) })
      return
    }
    let value: unknown
    try {
      value = await run(req, id)
    } catch (e) {
      const error = isZrError(e) ? e : new ZrError('LEDGER_UNAVAILABLE', 'The ledger failed.', { details: messageOf(e) })
      send({ id, ok: false, error: toWire(error) })
      return
    }
    send({ id, ok: true, value: value ?? null })
  }

  channel.onMessage((text) => {
    inFlight++
    // handle() catches everything it meets; the catch is for what nobody foresaw: a server never dies from input
    void handle(text)
      .catch((e) => report(new ZrError('LEDGER_UNAVAILABLE', 'A frame could not be handled.', { details: messageOf(e), cause: e })))
      .finally(() => {
        if (--inFlight > 0) return
        const waiting = whenSettled
        whenSettled = []
        for (const resolve of waiting) resolve()
      })
  })
  channel.onClose?.(stop)
  return {
    close: stop,
    settled: () => (inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => whenSettled.push(resolve))),
  }
}

/** Options of {@link connectLedger}. */
export type ConnectLedgerOptions = {
  /**
   * A call (`submit`, `query`, a subscription's acknowledgement) without an answer after this many ms
   * fails with `TIMEOUT` (default 30 000; 0 = never). A timed-out `submit` may still have been applied:
   * query the tx by its hash.
   */
  timeoutMs?: number
  /**
   * Told, with a ZrError saying why, about every frame from the server that is dropped: not JSON, not a
   * reply or an event, for no call in flight. Default: nothing is reported.
   */
  onError?: (error: ZrError) => void
}

/**
 * A {@link Ledger} that talks to a ledger served with {@link serveLedger} on the other end of a channel.
 * Clients and connectors use it exactly as they use the embedded ledger.
 *
 * Every call settles: with the answer, with the ledger's typed error, with `TIMEOUT` after `timeoutMs`,
 * with `LEDGER_UNAVAILABLE` for a malformed reply, or with `LEDGER_CLOSED` once the channel reports its
 * end (`onClose`) or `close()` is called; then each subscription's `onError` is told `LEDGER_CLOSED` too.
 * Garbage from the server never throws out of the channel's callback. If the first exchange fails, the
 * promise rejects and the channel is closed.
 *
 * @example
 * ```ts
 * import { connectLedger, createZrClient, isZrError } from '@zrkit/core'
 *
 * const ledger = await connectLedger(
 *   { send: (m) => port.postMessage(m), onMessage: (fn) => port.on('message', fn), onClose: (fn) => port.on('close', fn), close: () => port.close() },
 *   { timeoutMs: 10_000 },
 * )
 * const client = createZrClient({ ledger, account })
 * try {
 *   await client.send({ to, amount: 5n })
 * } catch (e) {
 *   if (isZrError(e, 'LEDGER_CLOSED') || isZrError(e, 'TIMEOUT')) console.log('ledger unreachable:', e.details)
 * }
 * await ledger.close()
 * ```
 */
export async function connectLedger(channel: LedgerChannel, options: ConnectLedgerOptions = {}): Promise<Ledger> {
  checkChannel(channel)
  if (!isRecord(options)) throw invalid('connectLedger options', 'an object', options)
  const timeoutMs = options.timeoutMs === undefined ? 30_000 : checkInt(options.timeoutMs, 'timeoutMs', { max: 2 ** 31 - 1 })
  if (options.onError !== undefined && typeof options.onError !== 'function') throw invalid('onError', 'a function', options.onError)

  type Call = { resolve: (v: unknown) => void; reject: (e: ZrError) => void; timer: ReturnType<typeof setTimeout> | undefined }
  type Subscription = { listener: (e: LedgerEvent) => void; onError: ((e: ZrError) => void) | undefined }
  let nextId = 1
  let ended: string | undefined // why the connection is closed, once it is
  const calls = new Map<CallId, Call>()
  const subs = new Map<CallId, Subscription>()

  const report = (error: ZrError) => {
    try {
      options.onError?.(error)
    } catch {
      // a failing hook must not break the channel
    }
  }
  const closedError = () => new ZrError('LEDGER_CLOSED', 'The ledger connection is closed.', { details: ended })
  const tell = (s: Subscription, error: ZrError) => {
    try {
      s.onError?.(error)
    } catch {
      // a failing callback must not stop the others
    }
  }

  /** Ends the connection: every call in flight rejects, every subscription hears why. */
  function shutdown(why: string): void {
    if (ended !== undefined) return
    ended = why
    const inFlight = [...calls.values()]
    calls.clear()
    for (const c of inFlight) {
      clearTimeout(c.timer)
      c.reject(closedError())
    }
    const open = [...subs.values()]
    subs.clear()
    for (const s of open) tell(s, closedError())
  }

  function settle(id: CallId, outcome: { value: unknown } | { error: ZrError }): void {
    const c = calls.get(id)
    if (!c) return
    calls.delete(id)
    clearTimeout(c.timer)
    if ('error' in outcome) c.reject(outcome.error)
    else c.resolve(outcome.value)
  }

  function receive(text: unknown): void {
    if (ended !== undefined) return
    const frame = readFrame(text)
    if ('problem' in frame) {
      if (frame.id !== undefined && calls.has(frame.id)) settle(frame.id, { error: new ZrError('LEDGER_UNAVAILABLE', 'The ledger sent a malformed reply.', { details: frame.problem }) })
      else report(new ZrError('LEDGER_UNAVAILABLE', 'Dropped a frame from the ledger.', { details: frame.problem }))
      return
    }
    const msg = frame.value
    if (!isRecord(msg)) {
      report(new ZrError('LEDGER_UNAVAILABLE', 'Dropped a frame from the ledger.', { details: `expected a reply { id, ok } or an event { sub, event }, got ${describe(msg)}` }))
      return
    }
    if ('sub' in msg) {
      const s = isCallId(msg.sub) ? subs.get(msg.sub) : undefined
      if (!s) return // an event or an end for a subscription already stopped here
      if ('error' in msg) {
        subs.delete(msg.sub as CallId)
        tell(s, fromWire(msg.error))
        return
      }
      const event = msg.event as LedgerEvent
      if (!isRecord(event) || typeof event.seq !== 'number' || typeof event.type !== 'string') {
        report(new ZrError('LEDGER_UNAVAILABLE', 'Dropped an event from the ledger.', { details: `expected an event { seq, type, data }, got ${describe(event)}` }))
        return
      }
      try {
        s.listener(event)
      } catch {
        // a failing listener must not stop the channel or other subscribers
      }
      return
    }
    const id = msg.id
    if (!isCallId(id) || !calls.has(id)) {
      report(new ZrError('LEDGER_UNAVAILABLE', 'Dropped a reply from the ledger.', { details: `expected a reply for a call in flight, got id ${describe(id)}` }))
      return
    }
    if (msg.ok === true) settle(id, { value: msg.value })
    else if (msg.ok === false) settle(id, { error: fromWire(msg.error) })
    else settle(id, { error: new ZrError('LEDGER_UNAVAILABLE', 'The ledger sent a malformed reply.', { details: `expected ok to be true or false, got ${describe(msg.ok)}` }) })
  }

  function call<T>(req: Request, id: CallId = nextId++): Promise<T> {
    if (ended !== undefined) return Promise.reject(closedError())
    let text: string
    try {
      text = canonicalStringify({ ...req, id })
    } catch (e) {
      return Promise.reject(isZrError(e) ? e : new ZrError('INVALID_INPUT', 'Cannot encode the call.', { details: messageOf(e) }))
    }
    return new Promise<T>((resolve, reject) => {
      const c: Call = { resolve: resolve as (v: unknown) => void, reject, timer: undefined }
      calls.set(id, c)
      if (timeoutMs > 0) {
        c.timer = setTimeout(() => {
          const hint = req.op === 'submit' ? '; the tx may still be applied: query it by its hash' : ''
          settle(id, { error: new ZrError('TIMEOUT', 'The ledger did not answer in time.', { details: `no reply to ${req.op} (call ${id}) within ${timeoutMs} ms${hint}`, context: { op: req.op, id, timeoutMs } }) })
        }, timeoutMs)
      }
      try {
        channel.send(text)
      } catch (e) {
        settle(id, { error: new ZrError('LEDGER_UNAVAILABLE', 'Could not send to the ledger.', { details: messageOf(e), cause: e }) })
      }
    })
  }

  channel.onMessage((text) => {
    try {
      receive(text)
    } catch (e) {
      // receive() catches what it meets; nothing from the server may throw out of the channel's callback
      report(new ZrError('LEDGER_UNAVAILABLE', 'A frame from the ledger could not be handled.', { details: messageOf(e), cause: e }))
    }
  })
  channel.onClose?.((reason) => shutdown(reason === undefined ? 'the channel closed' : `the channel closed: ${messageOf(reason)}`))

  const closeChannel = () => {
    try {
      channel.close?.()
    } catch {
      // already closed
    }
  }
  let chainId: string
  try {
    const hello = await call<unknown>({ op: 'hello' })
    if (!isRecord(hello) || typeof hello.chainId !== 'string') {
      throw new ZrError('LEDGER_UNAVAILABLE', 'The other side is not a zrkit ledger.', { details: `expected { chainId } in answer to hello, got ${describe(hello)}` })
    }
    chainId = hello.chainId
  } catch (e) {
    shutdown('the first exchange with the ledger failed')
    closeChannel()
    throw e
  }

  return {
    chainId,
    submit: (tx) => call<TxReceipt>({ op: 'submit', tx }),
    query: (kind, params) => call({ op: 'query', kind, params }),
    subscribe(filter, listener, options) {
      // the same checks as the embedded ledger, here: a bad filter throws now, before anything is sent
      const { filter: checked, fromSeq, onError } = checkSubscription(filter, listener, options)
      const s: Subscription = { listener, onError }
      if (ended !== undefined) {
        const error = closedError()
        queueMicrotask(() => tell(s, error))
        return () => {}
      }
      const id = nextId++
      subs.set(id, s)
      call({ op: 'subscribe', filter: checked, ...(fromSeq !== undefined ? { fromSeq } : {}) }, id).catch((e: ZrError) => {
        if (subs.get(id) !== s) return // stopped meanwhile, or already told by shutdown()
        subs.delete(id)
        tell(s, e)
        // the server may still subscribe it after a timeout: make sure it does not stay subscribed
        if (isZrError(e, 'TIMEOUT')) void call({ op: 'unsubscribe', sub: id }).catch(() => {})
      })
      return () => {
        if (subs.get(id) !== s) return
        subs.delete(id)
        void call({ op: 'unsubscribe', sub: id }).catch(() => {})
      }
    },
    async close() {
      shutdown('closed by the client')
      closeChannel()
    },
  }
}

function checkChannel(channel: unknown): void {
  if (!isRecord(channel) || typeof channel.send !== 'function' || typeof channel.onMessage !== 'function') {
    throw invalid('channel', 'an object with send and onMessage functions', channel)
  }
  for (const k of ['onClose', 'close'] as const) {
    if (channel[k] !== undefined && typeof channel[k] !== 'function') throw invalid(`channel ${k}`, 'a function', channel[k])
  }
}
