import { ZrError } from '../errors/ZrError.js'
import type { LedgerChannel } from './remoteLedger.js'

/**
 * What {@link connectLedgerWs} needs of a WebSocket: the browser's `WebSocket`, Node 22's global one, or
 * the `ws` package's `WebSocket` all fit.
 */
export type WebSocketLike = {
  readonly readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  addEventListener(type: 'open', listener: (event: unknown) => void): void
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void
  addEventListener(type: 'error', listener: (event: unknown) => void): void
}

/** A WebSocket constructor: `new WebSocket(url)`. */
export type WebSocketConstructor = new (url: string) => WebSocketLike

/**
 * Opens a WebSocket to `url` and resolves with it as a {@link LedgerChannel} once it is open; rejects
 * with `LEDGER_UNAVAILABLE` when it cannot be opened within `timeoutMs` (0 = no limit). `onClose`
 * reports the close code and reason. Internal to `@zrkit/core`: {@link connectLedgerWs} uses it.
 *
 * @example
 * ```ts
 * import { WebSocket } from 'ws'
 * import { openWebSocketChannel } from './openWebSocketChannel.js'
 * const channel = await openWebSocketChannel('ws://127.0.0.1:7070', WebSocket, 5000)
 * ```
 */
export function openWebSocketChannel(url: string, WebSocket: WebSocketConstructor, timeoutMs: number): Promise<LedgerChannel & { close(): void }> {
  return new Promise((resolve, reject) => {
    let ws: WebSocketLike
    try {
      ws = new WebSocket(url)
    } catch (e) {
      reject(new ZrError('LEDGER_UNAVAILABLE', 'Could not connect to the ledger.', { details: `${url}: ${String((e as Error)?.message ?? e)}`, cause: e }))
      return
    }
    let open = false
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            reject(new ZrError('LEDGER_UNAVAILABLE', 'Could not connect to the ledger.', { details: `${url}: not open within ${timeoutMs} ms` }))
            ws.close()
          }, timeoutMs)
        : undefined
    ws.addEventListener('error', () => {}) // 'close' follows with the code
    ws.addEventListener('close', (event) => {
      clearTimeout(timer)
      if (!open) reject(new ZrError('LEDGER_UNAVAILABLE', 'Could not connect to the ledger.', { details: `${url}: closed before it opened (code ${event.code})` }))
    })
    ws.addEventListener('open', () => {
      open = true
      clearTimeout(timer)
      resolve({
        send: (m) => ws.send(m),
        onMessage: (fn) => ws.addEventListener('message', (event) => fn(event.data as string)),
        onClose: (fn) => ws.addEventListener('close', (event) => fn(`code ${event.code}${event.reason ? ` (${event.reason})` : ''}`)),
        close: () => ws.close(1000, 'closed by the client'),
      })
    })
  })
}
