import { type Account, ZrError, isZrError, sleep } from '@zrkit/core'
import { type Announcement, type RelayClient, type RelayEndpoint, type RelayFrame, type RelayWebSocketConstructor, connectRelay, fanoutRelay } from '@zrkit/mpc'

/** Options of {@link connectRelays}. */
export type ConnectRelaysOptions = {
  /** The party's account (see `connectRelay`). */
  readonly account: Account
  /** The WebSocket constructor (`WebSocket` from `ws` on Node 20). */
  readonly WebSocket: RelayWebSocketConstructor
  /** How long to wait for the first relay, in ms (default 30 000); the others keep being tried after that. */
  readonly timeoutMs?: number
  /** Reconnection delays of each relay client (see `connectRelay`). */
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number }
  /** What goes wrong on a relay: refusals, dropped frames, a relay still unreachable. Never throws into the clients. */
  readonly onError?: (url: string, error: ZrError) => void
  /** Called once per relay when it is first reached (at start or later, in the background). */
  readonly onConnected?: (url: string) => void
}

/**
 * Connects a party to one or more relays and returns one {@link RelayClient} over them: one URL is plain
 * `connectRelay` (it must be reachable); several are combined with `fanoutRelay`, and the promise resolves as
 * soon as ONE of them is reached. The others are tried again in the background until they answer (each
 * attempt as long as `timeoutMs`, with `connectRelay`'s backoff inside) and join the fanout then; a relay
 * that refuses the party (`RELAY_REFUSED`: not in its party list, or another process of the same party took
 * over) is reported to `onError` and not tried again. Rejects with `TIMEOUT` when no relay is reached within
 * `timeoutMs` (saying what each one did), or `RELAY_REFUSED` when every relay refused.
 *
 * @example
 * ```ts
 * import { WebSocket } from 'ws'
 * const relay = await connectRelays(['ws://relay-a:7071', 'ws://relay-b:7071'], { account, WebSocket })
 * const transport = await secureTransport({ account, relay, peers })
 * ```
 */
export async function connectRelays(urls: readonly string[], options: ConnectRelaysOptions): Promise<RelayClient> {
  if (!Array.isArray(urls) || urls.length === 0) {
    throw new ZrError('INVALID_CONFIG', 'No relay.', { details: `expected one or more relay URLs, got ${Array.isArray(urls) ? 'none' : typeof urls}` })
  }
  const timeoutMs = options.timeoutMs ?? 30_000
  const attempt = (url: string, signal?: AbortSignal) =>
    connectRelay({
      url,
      account: options.account,
      WebSocket: options.WebSocket,
      timeoutMs,
      ...(options.backoff ? { backoff: options.backoff } : {}),
      ...(signal ? { signal } : {}),
      onError: (e) => report(url, e),
    })
  const report = (url: string, error: ZrError) => {
    try {
      options.onError?.(url, error)
    } catch {
      // the callback's failure is its own
    }
  }
  const connected = (url: string) => {
    try {
      options.onConnected?.(url)
    } catch {
      // the callback's failure is its own
    }
  }
  if (urls.length === 1) {
    const client = await attempt(urls[0]!)
    connected(urls[0]!)
    return client
  }

  const relays = urls.map((url) => backgroundRelay(url, attempt, report, connected))
  const all = fanoutRelay(relays.map((r) => r.client))
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => {
        const what = relays.map((r) => `${r.client.url}: ${r.lastError()?.details ?? r.lastError()?.shortMessage ?? 'not reached'}`).join('; ')
        reject(new ZrError('TIMEOUT', 'Could not reach any relay in time.', { details: `expected at least one of ${urls.length} relays within ${timeoutMs} ms, got none (${what})` }))
      }, timeoutMs)
      let refused = 0
      for (const r of relays) {
        r.outcome.then(
          () => resolve(),
          (e: ZrError) => {
            if (++refused === relays.length) reject(new ZrError('RELAY_REFUSED', 'Every relay refused this party.', { details: relays.map((x) => `${x.client.url}: ${x.lastError()?.details ?? ''}`).join('; '), context: { reason: 'unauthorized', party: options.account.address }, cause: e }))
          },
        )
      }
    })
  } catch (e) {
    await all.close()
    throw e
  } finally {
    clearTimeout(timer)
  }
  return all
}

/**
 * A relay client that exists before its relay answers: frames sent meanwhile are dropped (the fanout sends
 * them through the relays that are up), the party's announcement and its watchers are handed to the real
 * client once connected.
 */
function backgroundRelay(
  url: string,
  attempt: (url: string, signal: AbortSignal) => Promise<RelayClient>,
  report: (url: string, error: ZrError) => void,
  connected: (url: string) => void,
): { client: RelayClient; outcome: Promise<void>; lastError: () => ZrError | undefined } {
  const stop = new AbortController()
  let inner: RelayClient | undefined
  let last: ZrError | undefined
  let own: Announcement | undefined
  const endpoints = new Set<{ party: string; onFrame: (frame: RelayFrame) => void; endpoint?: RelayEndpoint }>()
  const watchers = new Set<{ fn: (a: Announcement) => void; stop?: () => void }>()
  const presenceWatchers = new Set<{ fn: (party: string) => void; stop?: () => void }>()

  const attach = (client: RelayClient) => {
    inner = client
    for (const e of endpoints) e.endpoint = client.connect(e.party, e.onFrame)
    for (const w of watchers) w.stop = client.onAnnouncement(w.fn)
    for (const w of presenceWatchers) w.stop = client.onPresence?.(w.fn)
    if (own) client.announce(own)
  }

  const outcome = (async () => {
    let failures = 0
    while (!stop.signal.aborted) {
      try {
        const client = await attempt(url, stop.signal)
        if (stop.signal.aborted) {
          await client.close()
          break
        }
        attach(client)
        connected(url)
        return
      } catch (e) {
        if (stop.signal.aborted) break
        last = isZrError(e) ? e : new ZrError('MPC_TRANSPORT', 'Could not reach the relay.', { details: String(e), cause: e })
        // refused (not in its party list, or replaced): connectRelay reported it to onError already
        if (isZrError(e, 'RELAY_REFUSED')) throw last
        failures++
        report(url, new ZrError('MPC_TRANSPORT', 'A relay is still unreachable; trying again in the background.', { details: `${url}: ${last.details ?? last.shortMessage} (attempt ${failures})`, cause: last }))
        // connectRelay backs off inside an attempt; a short pause between attempts is enough
        await sleep(1_000, stop.signal).catch(() => {})
      }
    }
    throw new ZrError('ABORTED', 'The relay client was closed before it connected.', { details: url })
  })()
  // the fanout does not wait for it: an unhandled rejection must not end the process
  outcome.catch(() => {})

  const client: RelayClient = {
    url,
    get connected() {
      return inner?.connected ?? false
    },
    get sessions() {
      return inner?.sessions ?? 0
    },
    connect(party, onFrame) {
      if (inner) return inner.connect(party, onFrame)
      const entry: { party: string; onFrame: (frame: RelayFrame) => void; endpoint?: RelayEndpoint } = { party, onFrame }
      endpoints.add(entry)
      return {
        send(to, bytes) {
          entry.endpoint?.send(to, bytes)
        },
        close() {
          endpoints.delete(entry)
          entry.endpoint?.close()
        },
      }
    },
    announce(announcement) {
      if (!own || announcement.epoch >= own.epoch) own = announcement
      inner?.announce(announcement)
    },
    onAnnouncement(fn) {
      if (inner) return inner.onAnnouncement(fn)
      const w: { fn: (a: Announcement) => void; stop?: () => void } = { fn }
      watchers.add(w)
      return () => {
        watchers.delete(w)
        w.stop?.()
      }
    },
    presence(party) {
      return inner?.presence?.(party)
    },
    onPresence(fn) {
      if (inner?.onPresence) return inner.onPresence(fn)
      const w: { fn: (party: string) => void; stop?: () => void } = { fn }
      presenceWatchers.add(w)
      return () => {
        presenceWatchers.delete(w)
        w.stop?.()
      }
    },
    async close() {
      stop.abort()
      await inner?.close()
    },
  }
  return { client, outcome, lastError: () => last }
}
