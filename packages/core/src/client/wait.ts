import { describeValue } from '../errors/describeValue.js'
import { ZrError } from '../errors/ZrError.js'
import type { SubscribeOptions, TxReceipt } from '../ledger/Ledger.js'
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
  /**
   * The ledger event sequence number to watch from (an integer >= 1), e.g. `receipt.events[0].seq` of the
   * message that created what is waited for: every event since is replayed to the wait, so it need not ask
   * the ledger first, and a remote ledger's client need not ask where "now" is. Over a network that is two
   * messages and a round trip fewer per wait. `sign` and `createKey` pass it for the request they make.
   * Without it the wait asks the ledger at once and watches from now. A wait still asks the ledger every
   * second, so a `fromSeq` later than the events that settle the thing only delays the answer.
   */
  fromSeq?: number
}

/**
 * Waits until `check` returns a value, re-checking on each event that matches `filter` (only on those for
 * which `recheckOn` returns true, when given: the others go to `onEvent` alone). The core of
 * every `waitFor...` action: the ledger is asked first, so nothing that already happened is missed (with
 * `fromSeq`, the events since are replayed instead).
 * Rejects with `INVALID_INPUT` for bad options (see {@link checkWaitOptions}), `TIMEOUT` after
 * `timeoutMs`, `ABORTED` when `signal` fires, and at once with the ledger's error when its event
 * stream ends (`LEDGER_CLOSED`: the ledger closed, or the connection to a remote ledger was lost).
 *
 * @example
 * ```ts
 * import { getBalance, waitUntil } from '@zrkit/core'
 * await waitUntil(client, 'funds', { types: ['bank.transfer'] }, async () => ((await getBalance(client)) >= 100n ? true : undefined))
 * ```
 */
export function waitUntil<T>(
  client: ClientBase,
  what: string,
  filter: EventFilter,
  check: () => Promise<T | undefined>,
  options: WaitOptions = {},
  recheckOn?: (event: LedgerEvent) => boolean,
): Promise<T> {
  try {
    checkWaitOptions(options)
    if (recheckOn !== undefined && typeof recheckOn !== 'function') throw new ZrError('INVALID_INPUT', 'Invalid recheckOn.', { details: `expected a function (event) => boolean or nothing, got ${describeValue(recheckOn)}` })
  } catch (e) {
    return Promise.reject(e)
  }
  const { timeoutMs = 60_000, signal, onEvent, fromSeq } = options
  return new Promise<T>((resolve, reject) => {
    let done = false
    let running = false
    let again = false
    // declared before `finish` can run: a signal that is already aborted finishes before they are set
    let timer: ReturnType<typeof setTimeout> | undefined
    let recheck: ReturnType<typeof setInterval> | undefined
    let unsubscribe: (() => void) | undefined
    const finish = (fn: () => void) => {
      if (done) return
      done = true
      unsubscribe?.()
      if (timer) clearTimeout(timer)
      if (recheck) clearInterval(recheck)
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
    unsubscribe = client.ledger.subscribe(
      filter,
      (e) => {
        onEvent?.(e)
        if (!recheckOn || recheckOn(e)) void poll()
      },
      // no more events will come: say so now rather than at the timeout
      { onError: (e) => finish(() => reject(e)), ...(fromSeq !== undefined ? { fromSeq } : {}) },
    )
    // Events drive the wait; a slow re-check as well, so a wait never outlives what it waits for when an
    // event does not reach it (seen: an EVM relay wait that timed out on a request fulfilled seconds before).
    recheck = setInterval(() => void poll(), recheckMs)
    // from a known sequence number the events since are replayed: nothing to ask the ledger first
    if (fromSeq === undefined) void poll()
  })
}

/**
 * `{ fromSeq }` for a wait on what a message created: the sequence number of the first event of its receipt
 * (nothing when the receipt has no events).
 *
 * @example
 * ```ts
 * const { requestId, receipt } = await requestSignature(client, { keyId, payloads })
 * await waitForSignRequest(client, { requestId, ...fromReceipt(receipt) })
 * ```
 */
export function fromReceipt(receipt: TxReceipt): { fromSeq?: number } {
  const seq = receipt?.events?.[0]?.seq
  return typeof seq === 'number' ? { fromSeq: seq } : {}
}

/** How often a wait asks the ledger again even without an event (ms). */
const recheckMs = 1_000

/**
 * Calls `listener` for every ledger event matching `filter` until the returned function is called.
 *
 * @example
 * ```ts
 * import { watchEvents } from '@zrkit/core'
 * const stop = watchEvents(client, { types: ['signRequest.fulfilled'] }, (e) => console.log(e.data.requestId), {
 *   onError: (e) => console.error('event stream ended', e.code), // e.g. the connection to a remote ledger was lost
 * })
 * ```
 */
export function watchEvents(client: ClientBase, filter: EventFilter, listener: (event: LedgerEvent) => void, options?: SubscribeOptions): () => void {
  return client.ledger.subscribe(filter, listener, options)
}

/** Longest wait a timer can hold (setTimeout's limit, about 24.8 days); longer would fire at once. */
const maxTimeoutMs = 2 ** 31 - 1

/**
 * Checks the {@link WaitOptions} every `waitFor...` takes: `timeoutMs` a number 0..2^31-1 (0: never),
 * `signal` an AbortSignal, `onEvent` a function, `fromSeq` an integer >= 1; `INVALID_INPUT` saying what arrived
 * otherwise.
 *
 * @example
 * ```ts
 * import { checkWaitOptions } from './wait.js'
 * checkWaitOptions({ timeoutMs: 10_000 }) // passes
 * checkWaitOptions({ timeoutMs: -1 })     // throws ZrError INVALID_INPUT
 * ```
 */
export function checkWaitOptions(options: unknown): void {
  const bad = (what: string, expected: string, got: unknown) => new ZrError('INVALID_INPUT', `Invalid ${what}.`, { details: `expected ${expected}, got ${describeValue(got)}` })
  if (options === null || typeof options !== 'object') throw bad('wait options', 'an object { timeoutMs?, signal?, onEvent?, fromSeq? }', options)
  const { timeoutMs, signal, onEvent } = options as Record<string, unknown>
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs >= 0 && timeoutMs <= maxTimeoutMs))) {
    throw bad('timeoutMs', `a number of ms in 0..${maxTimeoutMs} (0: never)`, timeoutMs)
  }
  const s = signal as { aborted?: unknown; addEventListener?: unknown; removeEventListener?: unknown } | null | undefined
  if (signal !== undefined && (s === null || typeof s !== 'object' || typeof s.aborted !== 'boolean' || typeof s.addEventListener !== 'function' || typeof s.removeEventListener !== 'function')) {
    throw bad('signal', 'an AbortSignal', signal)
  }
  if (onEvent !== undefined && typeof onEvent !== 'function') throw bad('onEvent', 'a function', onEvent)
  const { fromSeq } = options as Record<string, unknown>
  if (fromSeq !== undefined && !(Number.isSafeInteger(fromSeq) && (fromSeq as number) >= 1)) throw bad('fromSeq', 'an event sequence number (an integer >= 1)', fromSeq)
}
