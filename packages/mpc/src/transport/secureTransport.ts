import { x25519 } from '@noble/curves/ed25519.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { type Account, ZrError, publicKeyToAddress } from '@zrkit/core'
import { canonicalBytes, equalBytes, verifySecp256k1Sha256, xchachaOpen, xchachaSeal } from '@zrkit/core/internal'
import type { Announcement, PartyPresence, Relay, RelayEndpoint, RelayFrame } from './memoryRelay.js'
import type { Envelope, PartyId, Transport } from './Transport.js'

/**
 * The sender's signature on a broadcast: `signature` is the sender account's signature over
 * {@link broadcastDigest}`(from, seq, payload)`. Anyone holding the sender's public key can check it,
 * so a receiver can show the other parties exactly what the sender broadcast.
 */
export type BroadcastProof = {
  /** The sender's broadcast counter (0, 1, 2, ... per transport). */
  readonly seq: number
  readonly signature: Uint8Array
}

/** An {@link Envelope} from {@link secureTransport}; broadcasts carry the sender's signature. */
export type SecureEnvelope = Envelope & {
  /** Present on broadcasts. */
  readonly proof?: BroadcastProof
}

/** The {@link Transport} made by {@link secureTransport}, with what it adds. */
export type SecureTransport = Transport & {
  onMessage(handler: (envelope: SecureEnvelope) => void): void
  /** A signed broadcast to some of the peers only (e.g. the members of one signing session). */
  broadcastTo(to: readonly PartyId[], payload: Uint8Array): Promise<void>
  /** True when `proof` is `from`'s valid signature over this broadcast `payload`. */
  verifyBroadcast(from: PartyId, payload: Uint8Array, proof: BroadcastProof): boolean
  /** The verified 33-byte account public key of a peer (or of this party). */
  identityKey(party: PartyId): Uint8Array | undefined
  /**
   * What the relay says of a peer's connection ({@link Relay.presence}); `undefined` when it does not
   * say (a relay without presence, a party that is not a peer, a closed transport). The session router
   * reads it to stop waiting for a peer that is away.
   */
  presence(party: PartyId): PartyPresence | undefined
  /** Calls `fn(peer)` when `presence(peer)` may have changed (never over a relay without presence). Returns a function that stops the calls. */
  onPresence(fn: (party: PartyId) => void): () => void
}

/** Parameters of {@link secureTransport}. */
export type SecureTransportOptions = {
  /** This party's account: its address is the party id, its key signs announcements and broadcasts. */
  readonly account: Account
  readonly relay: Relay
  /** The other parties' ids (account addresses); the transport is ready once all have announced. */
  readonly peers: readonly PartyId[]
  /**
   * Called with every refused input: forged announcements, frames that fail decryption or
   * authentication, replays, frames from unknown senders (code `MPC_TRANSPORT`). Never throws into
   * the relay.
   */
  readonly onError?: ((error: ZrError) => void) | undefined
  /** How long to wait for the peers' announcements, in ms (default 60 000). */
  readonly timeoutMs?: number | undefined
  readonly signal?: AbortSignal | undefined
}

const announceDomain = 'zrkit/mpc/announce/v1'
const broadcastDomain = 'zrkit/mpc/broadcast/v1'
const channelDomain = 'zrkit/mpc/channel/v1'

const frameVersion = 1
const kindDirect = 1
const kindBroadcast = 2
const nonceLength = 24
const tagLength = 16
const signatureLength = 64
/** Frames kept per peer while its announcement has not been verified yet. */
const earlyFrameLimit = 256
/** Messages kept while no handler is registered. */
const inboxLimit = 1000

/**
 * The digest an account signs to announce its encryption key:
 * `sha256(canonical({ domain: 'zrkit/mpc/announce/v1', party, encryptionKey, epoch }))`.
 */
export function announcementDigest(party: PartyId, encryptionKey: Uint8Array, epoch: number): Uint8Array {
  return sha256(announcementBytes(party, encryptionKey, epoch))
}

/** The bytes whose sha256 is {@link announcementDigest}. */
function announcementBytes(party: PartyId, encryptionKey: Uint8Array, epoch: number): Uint8Array {
  return canonicalBytes({ domain: announceDomain, party, encryptionKey, epoch })
}

/**
 * The digest a sender signs for a broadcast:
 * `sha256(canonical({ domain: 'zrkit/mpc/broadcast/v1', from, seq, payload }))`.
 */
export function broadcastDigest(from: PartyId, seq: number, payload: Uint8Array): Uint8Array {
  return sha256(broadcastBytes(from, seq, payload))
}

/** The bytes whose sha256 is {@link broadcastDigest}. */
function broadcastBytes(from: PartyId, seq: number, payload: Uint8Array): Uint8Array {
  return canonicalBytes({ domain: broadcastDomain, from, seq, payload })
}

/**
 * True when `announcement` is well formed, its `identityKey` is the key of the `party` address and
 * its signature is that account's signature over the encryption key.
 */
export function verifyAnnouncement(announcement: Announcement): boolean {
  try {
    const { party, identityKey, encryptionKey, signature, epoch } = announcement
    if (typeof party !== 'string') return false
    if (!Number.isSafeInteger(epoch) || epoch < 0) return false
    if (!(identityKey instanceof Uint8Array) || identityKey.length !== 33) return false
    if (!(encryptionKey instanceof Uint8Array) || encryptionKey.length !== 32) return false
    if (!(signature instanceof Uint8Array) || signature.length !== signatureLength) return false
    if (publicKeyToAddress(identityKey) !== party) return false
    return verifySecp256k1Sha256(signature, announcementBytes(party, encryptionKey, epoch), identityKey)
  } catch {
    return false
  }
}

type Channel = {
  readonly peer: PartyId
  readonly identityKey: Uint8Array
  readonly encryptionKey: Uint8Array
  /** The announcement epoch these keys belong to. */
  readonly epoch: number
  readonly sendKey: Uint8Array
  readonly receiveKey: Uint8Array
  /** Last sequence number sent (-1: none). */
  sendSeq: number
  /** Highest authentic sequence number received (-1: none). */
  receiveSeq: number
  /** Highest broadcast counter received (-1: none). */
  receiveBroadcastSeq: number
}

/**
 * A {@link Transport} over an untrusted {@link Relay}, with end-to-end encryption and authentication.
 *
 * - Each transport makes a fresh X25519 key pair and announces it, signed by the party's account;
 *   announcements are accepted only when the address matches the key and the signature verifies.
 * - Each pair of parties derives one key per direction with HKDF-SHA256 from the X25519 shared secret,
 *   bound to both party ids and both encryption keys.
 * - Every frame is sealed with XChaCha20-Poly1305 (random 24-byte nonce) under the direction's key,
 *   with `canonical({ from, to, seq })` as associated data; `seq` counts the frames of that direction and
 *   a receiver accepts only increasing values, so replayed, reordered or redirected frames are refused.
 * - A broadcast is one sealed frame per peer, each carrying the payload, the sender's broadcast counter
 *   and the sender's account signature over them ({@link broadcastDigest}), so a receiver can later
 *   prove to others what the sender broadcast.
 *
 * Refused inputs are dropped and reported to `onError`; the message handler only sees authentic
 * messages. Resolves once every peer's announcement is verified; rejects with `TIMEOUT`
 * (`context.missing`: the peers not heard from) or `ABORTED`.
 *
 * A peer that restarts announces a newer epoch and the channel is re-keyed to it; an announcement no
 * newer than the one in use is ignored, so a replayed announcement cannot reset a channel.
 *
 * @example
 * ```ts
 * import { memoryRelay, secureTransport } from '@zrkit/mpc'
 * const relay = memoryRelay()
 * const [ta, tb] = await Promise.all([
 *   secureTransport({ account: alice, relay, peers: [bob.address] }),
 *   secureTransport({ account: bob, relay, peers: [alice.address] }),
 * ])
 * tb.onMessage(({ from, payload }) => console.log(from, payload))
 * await ta.send(bob.address, new Uint8Array([1, 2, 3]))
 * ```
 */
export async function secureTransport(options: SecureTransportOptions): Promise<SecureTransport> {
  const { account, relay, onError } = options
  const self = account.address
  const peerList = checkPeers(self, options.peers)
  const peerSet = new Set(peerList)
  const timeoutMs = options.timeoutMs ?? 60_000

  if (options.signal?.aborted) throw abortedError('Waiting for peer announcements was aborted.')

  const report = (error: ZrError) => {
    if (!onError) return
    try {
      onError(error)
    } catch {
      // the callback's own failure must not stop the transport
    }
  }
  // built only for a listener: a late frame for a closed session is routine, and an error's stack costs time
  const refuse = (shortMessage: string, details: string, context: Record<string, unknown>) => {
    if (onError) report(new ZrError('MPC_TRANSPORT', shortMessage, { details, context }))
  }

  const keyPair = x25519.keygen()
  const encryptionKey = keyPair.publicKey
  // A restarted party announces a newer epoch; peers then re-key the channel to it.
  const epoch = Date.now()
  const signature = await account.sign(announcementDigest(self, encryptionKey, epoch))

  const channels = new Map<PartyId, Channel>()
  const early = new Map<PartyId, RelayFrame[]>()
  const inbox: SecureEnvelope[] = []
  let handler: ((envelope: SecureEnvelope) => void) | undefined
  let closed = false
  let broadcastSeq = 0
  let outgoing: Promise<unknown> = Promise.resolve()
  let settleReady: ((error?: ZrError) => void) | undefined

  const deliver = (envelope: SecureEnvelope) => {
    if (!handler) {
      if (inbox.length >= inboxLimit) {
        const dropped = inbox.shift()!
        refuse('Dropped a message: no handler registered.', `inbox holds at most ${inboxLimit} messages`, { from: dropped.from })
      }
      inbox.push(envelope)
      return
    }
    try {
      handler(envelope)
    } catch (cause) {
      report(new ZrError('MPC_TRANSPORT', 'The message handler threw.', { cause, context: { from: envelope.from } }))
    }
  }

  const open = (channel: Channel, frame: RelayFrame) => {
    const { from, bytes } = frame
    if (bytes.length < 1 + 8 + nonceLength + tagLength || bytes[0] !== frameVersion) {
      return refuse('Refused a malformed frame.', `unknown version or ${bytes.length}-byte frame`, { from })
    }
    const seq = readUint64(bytes, 1)
    if (seq <= channel.receiveSeq) {
      return refuse('Refused a replayed frame.', `sequence ${seq} after ${channel.receiveSeq}`, { from, seq })
    }
    const nonce = bytes.subarray(9, 9 + nonceLength)
    const sealed = bytes.subarray(9 + nonceLength)
    const plain = xchachaOpen(channel.receiveKey, nonce, canonicalBytes({ from, to: self, seq }), sealed)
    if (!plain) return refuse('Refused a frame that failed authentication.', 'decryption failed (tampered, misaddressed or forged)', { from, seq })
    channel.receiveSeq = seq
    if (plain[0] === kindDirect && plain.length >= 1) {
      return deliver({ from, broadcast: false, payload: plain.slice(1) })
    }
    if (plain[0] === kindBroadcast && plain.length >= 1 + 8 + signatureLength) {
      const broadcastCounter = readUint64(plain, 1)
      const proof: BroadcastProof = { seq: broadcastCounter, signature: plain.slice(9, 9 + signatureLength) }
      const payload = plain.slice(9 + signatureLength)
      if (broadcastCounter <= channel.receiveBroadcastSeq) {
        return refuse('Refused a replayed broadcast.', `broadcast ${broadcastCounter} after ${channel.receiveBroadcastSeq}`, { from, seq: broadcastCounter })
      }
      if (!verifySecp256k1Sha256(proof.signature, broadcastBytes(from, proof.seq, payload), channel.identityKey)) {
        return refuse('Refused a broadcast with a bad signature.', 'the sender signature does not verify', { from, seq: broadcastCounter })
      }
      channel.receiveBroadcastSeq = broadcastCounter
      return deliver({ from, broadcast: true, payload, proof })
    }
    return refuse('Refused a malformed frame.', 'unknown message kind', { from, seq })
  }

  const onFrame = (frame: RelayFrame) => {
    if (closed) return
    if (frame.to !== self) return refuse('Refused a misaddressed frame.', `addressed to ${frame.to}`, { from: frame.from })
    if (!peerSet.has(frame.from)) return refuse('Refused a frame from an unknown sender.', `${frame.from} is not a peer`, { from: frame.from })
    if (!(frame.bytes instanceof Uint8Array)) return refuse('Refused a malformed frame.', 'expected bytes', { from: frame.from })
    const channel = channels.get(frame.from)
    if (channel) return open(channel, frame)
    // The sender's announcement has not reached us yet: keep the frame until it does.
    const waiting = early.get(frame.from) ?? []
    if (waiting.length >= earlyFrameLimit) {
      return refuse('Dropped a frame from a peer not yet verified.', `at most ${earlyFrameLimit} frames are kept`, { from: frame.from })
    }
    waiting.push(frame)
    early.set(frame.from, waiting)
  }

  const onAnnouncement = (announcement: Announcement) => {
    if (closed || !announcement || typeof announcement !== 'object') return
    const { party } = announcement
    if (party === self || !peerSet.has(party)) return
    if (!verifyAnnouncement(announcement)) {
      return refuse('Refused a forged announcement.', 'the identity key does not match the party or the signature does not verify', { party })
    }
    const current = channels.get(party)
    if (current && equalBytes(current.encryptionKey, announcement.encryptionKey)) return
    if (current && announcement.epoch <= current.epoch) {
      // An older (or equally old) signed announcement cannot replace the key in use: replays cannot reset a channel.
      return refuse('Ignored a stale announcement.', `epoch ${announcement.epoch} is not newer than ${current.epoch} in use`, { party })
    }
    let shared: Uint8Array
    try {
      shared = x25519.getSharedSecret(keyPair.secretKey, announcement.encryptionKey)
      if (shared.every((b) => b === 0)) throw new Error('all-zero shared secret')
    } catch {
      return refuse('Refused a forged announcement.', 'the encryption key is not a usable X25519 key', { party })
    }
    const [first, second] = self < party ? [self, party] : [party, self]
    const keys = self < party ? [encryptionKey, announcement.encryptionKey] : [announcement.encryptionKey, encryptionKey]
    const info = canonicalBytes({ domain: channelDomain, parties: [first, second], encryptionKeys: keys })
    const material = hkdf(sha256, shared, undefined, info, 64)
    // Bytes 0..31 protect first -> second, bytes 32..63 second -> first.
    const forward = material.slice(0, 32)
    const backward = material.slice(32, 64)
    channels.set(party, {
      peer: party,
      identityKey: Uint8Array.from(announcement.identityKey),
      encryptionKey: Uint8Array.from(announcement.encryptionKey),
      epoch: announcement.epoch,
      sendKey: self === first ? forward : backward,
      receiveKey: self === first ? backward : forward,
      sendSeq: -1,
      receiveSeq: -1,
      receiveBroadcastSeq: -1,
    })
    const waiting = early.get(party)
    if (waiting) {
      early.delete(party)
      for (const frame of waiting) onFrame(frame)
    }
    if (channels.size === peerSet.size) settleReady?.()
  }

  const seal = (to: PartyId, plain: Uint8Array) => {
    const channel = channels.get(to)!
    const seq = ++channel.sendSeq
    const nonce = randomBytes(nonceLength)
    const sealed = xchachaSeal(channel.sendKey, nonce, canonicalBytes({ from: self, to, seq }), plain)
    const frame = new Uint8Array(1 + 8 + nonceLength + sealed.length)
    frame[0] = frameVersion
    writeUint64(frame, 1, seq)
    frame.set(nonce, 9)
    frame.set(sealed, 9 + nonceLength)
    endpoint.send(to, frame)
  }

  // Sends run one after another, so frames leave in the order the calls were made.
  const serial = (fn: () => Promise<void> | void): Promise<void> => {
    const run = outgoing.then(fn)
    outgoing = run.catch(() => undefined)
    return run
  }

  const assertOpen = () => {
    if (closed) throw new ZrError('MPC_TRANSPORT', 'The transport is closed.', { context: { self } })
  }
  const assertPeer = (to: PartyId) => {
    if (!peerSet.has(to)) throw new ZrError('INVALID_INPUT', 'Unknown peer.', { details: `${to} is not a peer of ${self}`, context: { party: to } })
  }
  const assertBytes = (payload: Uint8Array) => {
    if (!(payload instanceof Uint8Array)) throw new ZrError('INVALID_INPUT', 'Invalid payload.', { details: `expected bytes, got ${typeof payload}` })
  }

  const endpoint: RelayEndpoint = relay.connect(self, onFrame)
  relay.announce({ party: self, identityKey: account.publicKey, encryptionKey, epoch, signature })
  const unwatch = relay.onAnnouncement(onAnnouncement)

  const presenceStops = new Set<() => void>()
  const shutdown = () => {
    closed = true
    unwatch()
    for (const stop of presenceStops) stop()
    presenceStops.clear()
    endpoint.close()
    early.clear()
    inbox.length = 0
    handler = undefined
  }

  if (channels.size !== peerSet.size) {
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          const missing = peerList.filter((p) => !channels.has(p))
          settle(
            new ZrError('TIMEOUT', 'Timed out waiting for peer announcements.', {
              details: `no verified announcement from ${missing.join(', ')} after ${timeoutMs} ms`,
              context: { missing },
            }),
          )
        }, timeoutMs)
        const onAbort = () => settle(abortedError('Waiting for peer announcements was aborted.'))
        const settle = (error?: ZrError) => {
          settleReady = undefined
          clearTimeout(timer)
          options.signal?.removeEventListener('abort', onAbort)
          if (error) reject(error)
          else resolve()
        }
        settleReady = settle
        options.signal?.addEventListener('abort', onAbort, { once: true })
      })
    } catch (error) {
      shutdown()
      throw error
    }
  }

  const transport: SecureTransport = {
    self,
    peers: peerList,
    async send(to, payload) {
      assertOpen()
      assertPeer(to)
      assertBytes(payload)
      const plain = new Uint8Array(1 + payload.length)
      plain[0] = kindDirect
      plain.set(payload, 1)
      return serial(() => {
        assertOpen()
        seal(to, plain)
      })
    },
    async broadcast(payload) {
      return transport.broadcastTo(peerList, payload)
    },
    async broadcastTo(to, payload) {
      assertOpen()
      for (const p of to) assertPeer(p)
      assertBytes(payload)
      const recipients = [...new Set(to)]
      const copy = Uint8Array.from(payload)
      return serial(async () => {
        assertOpen()
        const seq = broadcastSeq++
        const sig = await account.sign(broadcastDigest(self, seq, copy))
        assertOpen()
        const plain = new Uint8Array(1 + 8 + signatureLength + copy.length)
        plain[0] = kindBroadcast
        writeUint64(plain, 1, seq)
        plain.set(sig, 9)
        plain.set(copy, 9 + signatureLength)
        for (const p of recipients) seal(p, plain)
      })
    },
    onMessage(fn) {
      handler = fn
      const queued = inbox.splice(0, inbox.length)
      if (queued.length > 0) queueMicrotask(() => queued.forEach(deliver))
    },
    verifyBroadcast(from, payload, proof) {
      const key = from === self ? account.publicKey : channels.get(from)?.identityKey
      if (!key || !proof || !(proof.signature instanceof Uint8Array) || !Number.isSafeInteger(proof.seq)) return false
      return verifySecp256k1Sha256(proof.signature, broadcastBytes(from, proof.seq, payload), key)
    },
    identityKey(party) {
      if (party === self) return account.publicKey
      return channels.get(party)?.identityKey
    },
    presence(party) {
      if (closed || !peerSet.has(party)) return undefined
      return relay.presence?.(party)
    },
    onPresence(fn) {
      if (closed || !relay.onPresence) return () => {}
      const stopRelay = relay.onPresence((party) => {
        if (!closed && peerSet.has(party)) fn(party)
      })
      const stop = () => {
        presenceStops.delete(stop)
        stopRelay()
      }
      presenceStops.add(stop)
      return stop
    },
    async close() {
      if (!closed) shutdown()
    },
  }
  return transport
}

function checkPeers(self: PartyId, peers: readonly PartyId[]): PartyId[] {
  if (!Array.isArray(peers) || peers.some((p) => typeof p !== 'string' || p.length === 0)) {
    throw new ZrError('INVALID_INPUT', 'Invalid peers.', { details: 'expected an array of party ids' })
  }
  if (peers.includes(self)) throw new ZrError('INVALID_INPUT', 'Invalid peers.', { details: 'peers must not include this party' })
  return [...new Set(peers)].sort()
}

function abortedError(shortMessage: string): ZrError {
  return new ZrError('ABORTED', shortMessage)
}

function writeUint64(target: Uint8Array, offset: number, value: number): void {
  const view = new DataView(target.buffer, target.byteOffset, target.byteLength)
  view.setUint32(offset, Math.floor(value / 2 ** 32))
  view.setUint32(offset + 4, value >>> 0)
}

function readUint64(source: Uint8Array, offset: number): number {
  const view = new DataView(source.buffer, source.byteOffset, source.byteLength)
  return view.getUint32(offset) * 2 ** 32 + view.getUint32(offset + 4)
}
