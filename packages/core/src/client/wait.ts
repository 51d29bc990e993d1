import { ZrError } from '../errors/ZrError.js'
import type { EventFilter, LedgerEvent } from '../ledger/events.js'
import type { ClientBase } from './sendMessage.js'

/** Options every `waitFor...` takes. */
export type WaitOptions = {
  /** Give up after this many ms with a `TIMEOUT` error (default 60 000; 0 = never). */
  timeoutMs?: number
  /** Give up when aborted, with an `ABORTED` error. */
  signal?: AbortSignal
  /** Called with every event about the thing waited for, e.g. to print progress. */
  onEvent?: (event: LedgerEvent) => void
}

/**
 * Waits until `check` returns a value, re-checking on each event that matches `filter`. The core of
 * every `waitFor...` action: the ledger is asked first, so nothing that already happened is missed.
 *
 * @example
 * ```ts
 * import { getBalance, waitUntil } from '@zrkit/core'
 * await waitUntil(client, 'funds', { types: ['bank.transfer'] }, async () => ((await getBalance(client)) >= 100n ? true : undefined))
 * ```
 */
export function waitUntil<T>(client: ClientBase, what: string, filter: EventFilter, check: () => Promise<T | undefined>, options: WaitOptions = {}): Promise<T> {
  const { timeoutMs = 60_000, signal, onEvent } = options
  return new Promise<T>((resolve, reject) => {
    let done = false
    let running = false
    let again = false
    // declared before `finish` can run: a signal that is already aborted finishes before they are set
    let timer: ReturnType<typeof setTimeout> | undefined
    let unsubscribe: (() => void) | undefined
    const finish = (fn: () => void) => {
      if (done) return
      done = true
      unsubscribe?.()
      if (timer) clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      fn()
    }
    const poll = async () => {
      if (running) {
        again = true
        return
      }
      running = true
      try {
        do {
          again = false
          const v = await check()
          if (v !== undefined) return finish(() => resolve(v))
        } while (again && !done)
      } catch (e) {
        finish(() => reject(e))
      } finally {
        running = false
      }
    }
    const onAbort = () => finish(() => reject(new ZrError('ABORTED', `Stopped waiting for ${what}.`, { details: 'the AbortSignal fired', cause: signal?.reason })))
    if (signal?.aborted) return onAbort()
    signal?.addEventListener('abort', onAbort)
    timer = timeoutMs > 0 ? setTimeout(() => finish(() => reject(new ZrError('TIMEOUT', `Timed out waiting for ${what}.`, { details: `waited ${timeoutMs} ms` }))), timeoutMs) : undefined
    unsubscribe = client.ledger.subscribe(filter, (e) => {
      onEvent?.(e)
      void poll()
    })
    void poll()
  })
}

/**
 * Calls `listener` for every ledger event matching `filter` until the returned function is called.
 *
 * @example
 * ```ts
 * import { watchEvents } from '@zrkit/core'
 * const stop = watchEvents(client, { types: ['signRequest.fulfilled'] }, (e) => console.log(e.data.requestId))
 * ```
 */
export function watchEvents(client: ClientBase, filter: EventFilter, listener: (event: LedgerEvent) => void, options?: { fromSeq?: number }): () => void {
  return client.ledger.subscribe(filter, listener, options)
}
