import { canonicalParse, canonicalStringify } from '../encoding/canonical.js'
import { ZrError, isZrError, zrErrorFromJSON } from '../errors/ZrError.js'
import type { ZrErrorCode } from '../errors/codes.js'
import type { EventFilter, LedgerEvent } from './events.js'
import type { Ledger, TxReceipt, Unsubscribe } from './Ledger.js'

/**
 * A duplex of text messages between two processes, threads or machines: a socket, a worker's port,
 * a child's stdio. `send` delivers one message whole; `onMessage` receives them in order.
 */
export type LedgerChannel = {
  send(message: string): void
  onMessage(listener: (message: string) => void): void
  /** Called by the client side on `close()`. */
  close?(): void
}

type Request =
  | { id: number; op: 'hello' }
  | { id: number; op: 'submit'; tx: unknown }
  | { id: number; op: 'query'; kind: string; params: unknown }
  | { id: number; op: 'subscribe'; filter: EventFilter; fromSeq?: number }
  | { id: number; op: 'unsubscribe'; sub: number }
type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: { code: ZrErrorCode; shortMessage: string; details?: string; meta?: Record<string, unknown> } }
type Push = { sub: number; event: LedgerEvent }
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never

/**
 * Serves a {@link Ledger} over a {@link LedgerChannel}, so clients and connectors elsewhere can use it
 * through {@link connectLedger}. Values cross as canonical JSON, so bytes and bigints arrive intact and
 * errors arrive as `ZrError`s with their codes.
 *
 * @example
 * ```ts
 * import { createEmbeddedLedger, serveLedger } from '@zrkit/core'
 * const ledger = await createEmbeddedLedger({ genesis })
 * serveLedger(ledger, { send: (m) => port.postMessage(m), onMessage: (fn) => port.on('message', fn) })
 * ```
 */
export function serveLedger(ledger: Ledger, channel: LedgerChannel): { close(): void } {
  const subs = new Map<number, Unsubscribe>()
  const reply = (r: Reply | Push) => channel.send(canonicalStringify(r))
  channel.onMessage(async (text) => {
    let req: Request
    try {
      req = canonicalParse<Request>(text)
    } catch {
      return // not ours
    }
    try {
      let value: unknown
      switch (req.op) {
        case 'hello':
          value = { chainId: ledger.chainId }
          break
        case 'submit':
          value = await ledger.submit(req.tx as never)
          break
        case 'query':
          value = await ledger.query(req.kind as never, req.params as never)
          break
        case 'subscribe': {
          const sub = req.id
          subs.set(sub, ledger.subscribe(req.filter, (event) => reply({ sub, event }), req.fromSeq !== undefined ? { fromSeq: req.fromSeq } : {}))
          value = sub
          break
        }
        case 'unsubscribe':
          subs.get(req.sub)?.()
          subs.delete(req.sub)
          value = true
          break
        default:
          throw new ZrError('INVALID_INPUT', 'Unknown ledger operation.', { details: `expected hello, submit, query, subscribe or unsubscribe, got ${JSON.stringify((req as { op: unknown }).op)}` })
      }
      reply({ id: req.id, ok: true, value: value ?? null })
    } catch (e) {
      const err = isZrError(e) ? e : new ZrError('LEDGER_UNAVAILABLE', 'The ledger failed.', { details: String((e as Error)?.message ?? e) })
      reply({ id: req.id, ok: false, error: err.toJSON() })
    }
  })
  return {
    close() {
      for (const u of subs.values()) u()
      subs.clear()
    },
  }
}

/**
 * A {@link Ledger} that talks to a ledger served with {@link serveLedger} on the other end of a channel.
 * Clients and connectors use it exactly as they use the embedded ledger.
 *
 * @example
 * ```ts
 * import { connectLedger, createZrClient } from '@zrkit/core'
 * const ledger = await connectLedger({ send: (m) => port.postMessage(m), onMessage: (fn) => port.on('message', fn) })
 * const client = createZrClient({ ledger, account })
 * ```
 */
export async function connectLedger(channel: LedgerChannel): Promise<Ledger> {
  let nextId = 1
  let closed = false
  const calls = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>()
  const listeners = new Map<number, (e: LedgerEvent) => void>()
  channel.onMessage((text) => {
    let msg: Reply | Push
    try {
      msg = canonicalParse<Reply | Push>(text)
    } catch {
      return
    }
    if ('sub' in msg) {
      listeners.get(msg.sub)?.(msg.event)
      return
    }
    const call = calls.get(msg.id)
    if (!call) return
    calls.delete(msg.id)
    if (msg.ok) call.resolve(msg.value)
    else call.reject(zrErrorFromJSON(msg.error))
  })
  function call<T>(req: WithoutId<Request>): Promise<T> {
    if (closed) return Promise.reject(new ZrError('LEDGER_CLOSED', 'The ledger connection is closed.'))
    const id = nextId++
    return new Promise<T>((resolve, reject) => {
      calls.set(id, { resolve: resolve as (v: unknown) => void, reject })
      channel.send(canonicalStringify({ ...req, id }))
    })
  }
  const { chainId } = await call<{ chainId: string }>({ op: 'hello' })
  return {
    chainId,
    submit: (tx) => call<TxReceipt>({ op: 'submit', tx }),
    query: (kind, params) => call({ op: 'query', kind, params }),
    subscribe(filter, listener, options = {}) {
      const id = nextId++
      listeners.set(id, listener)
      let stopped = false
      calls.set(id, { resolve: () => {}, reject: () => {} }) // the server's acknowledgement
      if (!closed) channel.send(canonicalStringify({ id, op: 'subscribe', filter, ...(options.fromSeq !== undefined ? { fromSeq: options.fromSeq } : {}) }))
      return () => {
        if (stopped) return
        stopped = true
        listeners.delete(id)
        if (!closed) void call({ op: 'unsubscribe', sub: id }).catch(() => {})
      }
    },
    async close() {
      closed = true
      for (const c of calls.values()) c.reject(new ZrError('LEDGER_CLOSED', 'The ledger connection is closed.'))
      calls.clear()
      listeners.clear()
      channel.close?.()
    },
  }
}
