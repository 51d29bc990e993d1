import { sha256 } from '@noble/hashes/sha2.js'
import { ZrError, toHex } from '@zrkit/core'
import type { Announcement, RelayEndpoint, RelayFrame } from './memoryRelay.js'
import type { RelayClient } from './relayClient.js'

/** Frames remembered to drop the copies that arrive through the other relays. */
const seenLimit = 4096

/** The {@link RelayClient}s a {@link fanoutRelay} spreads over, with `close()` for all of them. */
export type FanoutRelay = RelayClient & {
  /** The relay clients, in the order given. */
  readonly relays: readonly RelayClient[]
}

/**
 * One {@link Relay} over several network relays, for availability: a party connects to each relay
 * (`connectRelay`) and gives the clients here. Every frame goes out through every relay that is up
 * now (through all of them, queued, when none is); a frame that arrives through several is delivered
 * once (the copies are byte-identical, since the sealed frame carries a random nonce). Announcements
 * go to every relay and come from all. With one relay down, frames flow through the others; when it
 * comes back its client reconnects on its own.
 *
 * Every party of the federation should use the same set of relays (a frame only reaches a party through
 * a relay both are connected to). A relay that replays an old frame gains nothing: beyond the copies
 * dropped here, the secure transport refuses replays.
 *
 * Presence: a party is here when any relay reports it here, away only when every relay that reports it
 * says it is away (since the latest of them saw it go), unknown when none reports it.
 *
 * @example
 * ```ts
 * import { connectRelay, fanoutRelay, secureTransport } from '@zrkit/mpc'
 * import { WebSocket } from 'ws'
 * const relay = fanoutRelay(await Promise.all(['ws://relay-a:7700', 'ws://relay-b:7700'].map((url) => connectRelay({ url, account, WebSocket }))))
 * const transport = await secureTransport({ account, relay, peers })
 * ```
 */
export function fanoutRelay(relays: readonly RelayClient[]): FanoutRelay {
  if (!Array.isArray(relays) || relays.length === 0 || relays.some((r) => typeof r?.connect !== 'function' || typeof r?.close !== 'function')) {
    throw new ZrError('INVALID_INPUT', 'Invalid relays for fanoutRelay.', { details: `expected a non-empty array of relay clients (connectRelay), got ${Array.isArray(relays) ? `${relays.length} items` : typeof relays}` })
  }
  const list = [...relays]
  return {
    relays: list,
    url: list.map((r) => r.url).join(' '),
    get connected() {
      return list.some((r) => r.connected)
    },
    get sessions() {
      return list.reduce((n, r) => n + r.sessions, 0)
    },
    connect(party, onFrame) {
      const seen = new Set<string>()
      const receive = (frame: RelayFrame) => {
        const id = `${frame.from}:${toHex(sha256(frame.bytes))}`
        if (seen.has(id)) return
        seen.add(id)
        if (seen.size > seenLimit) seen.delete(seen.values().next().value!)
        onFrame(frame)
      }
      const endpoints: RelayEndpoint[] = list.map((r) => r.connect(party, receive))
      return {
        send(to, bytes) {
          const up = list.map((r, i) => (r.connected ? endpoints[i]! : undefined)).filter((e) => e !== undefined)
          for (const e of up.length > 0 ? up : endpoints) e.send(to, bytes)
        },
        close() {
          for (const e of endpoints) e.close()
        },
      }
    },
    announce(announcement: Announcement) {
      for (const r of list) r.announce(announcement)
    },
    onAnnouncement(fn) {
      const stops = list.map((r) => r.onAnnouncement(fn))
      return () => {
        for (const stop of stops) stop()
      }
    },
    presence(party) {
      const known = list.map((r) => r.presence?.(party)).filter((p) => p !== undefined)
      if (known.length === 0) return undefined
      const here = known.filter((p) => p.here)
      // Here through any relay: frames reach it. Away only when away on every relay that knows it, since the last went.
      if (here.length > 0) return { here: true, since: Math.min(...here.map((p) => p.since)) }
      return { here: false, since: Math.max(...known.map((p) => p.since)) }
    },
    onPresence(fn) {
      const stops = list.map((r) => r.onPresence?.(fn))
      return () => {
        for (const stop of stops) stop?.()
      }
    },
    async close() {
      await Promise.all(list.map((r) => r.close()))
    },
  }
}
