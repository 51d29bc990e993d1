import { ZrError } from '@zrkit/core'
import type { PartyId } from './Transport.js'

/**
 * One frame on the relay: opaque bytes from one party to another. The relay stamps `from` with the
 * party of the connection that sent it; it never looks inside `bytes`.
 */
export type RelayFrame = {
  readonly from: PartyId
  readonly to: PartyId
  readonly bytes: Uint8Array
}

/**
 * What a party publishes so others can open an encrypted channel to it: its account (`party`, the
 * `zen1...` address, and `identityKey`, the account's 33-byte public key), a fresh 32-byte X25519
 * `encryptionKey`, and the account's `signature` over them. The relay stores and hands these out
 * as-is; {@link secureTransport} verifies them.
 */
export type Announcement = {
  readonly party: PartyId
  readonly identityKey: Uint8Array
  readonly encryptionKey: Uint8Array
  /** Increases with each new transport of the party (its start time in ms): a newer one replaces the older. */
  readonly epoch: number
  readonly signature: Uint8Array
}

/**
 * What a relay knows of a party's connection: `here` while it is connected, and `since` when it came
 * or went (ms since the epoch, on this machine's clock). See {@link Relay.presence}.
 *
 * @example
 * ```ts
 * import type { PartyPresence } from '@zrkit/mpc'
 * const awayFor = (p: PartyPresence | undefined) => (p && !p.here ? Date.now() - p.since : 0)
 * ```
 */
export type PartyPresence = {
  readonly here: boolean
  readonly since: number
}

/** A party's connection to a relay. */
export type RelayEndpoint = {
  /** Queues `bytes` for `to`. Never throws for an unreachable party: the frame is just lost. */
  send(to: PartyId, bytes: Uint8Array): void
  /** Leaves the relay; no more frames are delivered to this endpoint. */
  close(): void
}

/**
 * What {@link secureTransport} needs from the network: a way to exchange opaque frames and a
 * directory of announcements. The relay is untrusted: it may drop, reorder between pairs, replay or
 * alter frames and announcements, and the secure transport must notice. {@link memoryRelay} is the
 * in-process implementation; a network relay (e.g. over WebSocket) implements the same type.
 */
export type Relay = {
  /**
   * Connects `party`; `onFrame` receives frames addressed to it. A second connection for the same
   * party replaces the first.
   */
  connect(party: PartyId, onFrame: (frame: RelayFrame) => void): RelayEndpoint
  /** Adds an announcement to the directory. */
  announce(announcement: Announcement): void
  /**
   * Calls `fn` with every announcement in the directory, then with each new one, asynchronously and
   * in order. Returns a function that stops the calls.
   */
  onAnnouncement(fn: (announcement: Announcement) => void): () => void
  /**
   * Optional: whether `party` is connected to the relay now, and since when; `undefined` when the relay
   * does not know (e.g. this party is itself cut off from it). The session router ends a wait for a
   * party that has been away too long (`awayGraceMs`) instead of waiting out its timeout.
   */
  presence?(party: PartyId): PartyPresence | undefined
  /**
   * Optional, with {@link Relay.presence}: calls `fn(party)` whenever what `presence(party)` answers
   * may have changed. Returns a function that stops the calls.
   */
  onPresence?(fn: (party: PartyId) => void): () => void
}

/**
 * What a {@link MemoryRelay.intercept} hook returns for a frame: the frame's bytes to pass it on
 * unchanged (or `undefined`), other bytes to replace it, or `null` to drop it.
 */
export type InterceptResult = Uint8Array | null | undefined | void

/** The in-process relay, with hooks for fault-injection tests. */
export type MemoryRelay = Relay & Required<Pick<Relay, 'presence' | 'onPresence'>> & {
  /**
   * TEST HOOK (fault injection): `fn` sees every frame sent through the relay, before delivery, and
   * may pass it (return nothing or its bytes), drop it (return `null`) or replace its bytes (return
   * other bytes). `null` removes the hook. Frames given to {@link MemoryRelay.inject} skip the hook.
   */
  intercept(fn: ((frame: RelayFrame) => InterceptResult) | null): void
  /**
   * TEST HOOK (fault injection): delivers `frame` as if `frame.from` had sent it, e.g. to replay a
   * frame recorded with {@link MemoryRelay.intercept}. Disconnected parties still lose it.
   */
  inject(frame: RelayFrame): void
  /** TEST HOOK (fault injection): frames to and from `party` are dropped until {@link MemoryRelay.reconnect}. */
  disconnect(party: PartyId): void
  /** TEST HOOK (fault injection): undoes {@link MemoryRelay.disconnect}. */
  reconnect(party: PartyId): void
  /** The announcements in the directory, oldest first. */
  announcements(): readonly Announcement[]
}

/**
 * An in-process relay of opaque frames between parties, for tests, demos and parties in one process.
 * It stands for the network: it does no cryptography and trusts nothing, so a network relay can take
 * its place. Delivery is asynchronous, in order for each (from, to) pair. Presence: a party is here
 * from `connect` until its endpoint's `close` (then away); a party never connected is unknown.
 *
 * @example
 * ```ts
 * import { memoryRelay, secureTransport } from '@zrkit/mpc'
 * const relay = memoryRelay()
 * const [ta, tb] = await Promise.all([
 *   secureTransport({ account: alice, relay, peers: [bob.address] }),
 *   secureTransport({ account: bob, relay, peers: [alice.address] }),
 * ])
 * ```
 */
export function memoryRelay(): MemoryRelay {
  const endpoints = new Map<PartyId, (frame: RelayFrame) => void>()
  const offline = new Set<PartyId>()
  const directory: Announcement[] = []
  const watchers = new Set<(announcement: Announcement) => void>()
  const presence = new Map<PartyId, PartyPresence>()
  const presenceWatchers = new Set<(party: PartyId) => void>()
  const setPresence = (party: PartyId, here: boolean) => {
    presence.set(party, { here, since: Date.now() })
    for (const fn of [...presenceWatchers]) quietly(fn, party)
  }
  let hook: ((frame: RelayFrame) => InterceptResult) | null = null

  // One FIFO for all frames keeps every (from, to) pair in order.
  const queue: RelayFrame[] = []
  let scheduled = false

  const schedule = () => {
    if (scheduled) return
    scheduled = true
    // A macrotask, like a network would deliver; setImmediate where it exists, since Node clamps
    // setTimeout(0) to 1 ms, which would add a millisecond of idle time to every protocol round.
    later(drain)
  }

  const drain = () => {
    scheduled = false
    const batch = queue.splice(0, queue.length)
    for (const frame of batch) {
      if (offline.has(frame.from) || offline.has(frame.to)) continue
      const deliver = endpoints.get(frame.to)
      if (!deliver) continue
      quietly(deliver, frame)
    }
  }

  const enqueue = (frame: RelayFrame) => {
    if (offline.has(frame.from) || offline.has(frame.to)) return
    queue.push({ from: frame.from, to: frame.to, bytes: Uint8Array.from(frame.bytes) })
    schedule()
  }

  return {
    connect(party, onFrame) {
      if (typeof party !== 'string' || party.length === 0) {
        throw new ZrError('INVALID_INPUT', 'Invalid party id.', { details: 'expected a non-empty string' })
      }
      endpoints.set(party, onFrame)
      setPresence(party, true)
      let open = true
      return {
        send(to, bytes) {
          if (!open || endpoints.get(party) !== onFrame) return
          let frame: RelayFrame = { from: party, to, bytes }
          if (hook) {
            const result = hook(frame)
            if (result === null) return
            if (result instanceof Uint8Array) frame = { from: party, to, bytes: result }
          }
          enqueue(frame)
        },
        close() {
          if (!open) return
          open = false
          if (endpoints.get(party) !== onFrame) return
          endpoints.delete(party)
          setPresence(party, false)
        },
      }
    },
    announce(announcement) {
      directory.push(announcement)
      for (const fn of watchers) setTimeout(() => watchers.has(fn) && quietly(fn, announcement), 0)
    },
    onAnnouncement(fn) {
      // Snapshot now so the replay and the live calls neither miss nor repeat an entry.
      const existing = directory.slice()
      const own = (a: Announcement) => fn(a)
      watchers.add(own)
      setTimeout(() => {
        for (const a of existing) if (watchers.has(own)) quietly(fn, a)
      }, 0)
      return () => {
        watchers.delete(own)
      }
    },
    presence(party) {
      return presence.get(party)
    },
    onPresence(fn) {
      const own = (party: PartyId) => fn(party)
      presenceWatchers.add(own)
      return () => {
        presenceWatchers.delete(own)
      }
    },
    intercept(fn) {
      hook = fn
    },
    inject(frame) {
      enqueue(frame)
    },
    disconnect(party) {
      offline.add(party)
    },
    reconnect(party) {
      offline.delete(party)
    },
    announcements() {
      return directory.slice()
    },
  }
}

const later: (fn: () => void) => void = typeof setImmediate === 'function' ? (fn) => void setImmediate(fn) : (fn) => void setTimeout(fn, 0)

/** Calls `fn`; a receiver's failure is the receiver's business, the relay carries on. */
function quietly<T>(fn: (value: T) => void, value: T): void {
  try {
    fn(value)
  } catch {
    // ignored on purpose
  }
}
