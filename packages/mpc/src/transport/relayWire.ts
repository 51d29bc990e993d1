import { ZrError } from '@zrkit/core'
import { concatBytes } from '@zrkit/core/internal'
import type { Announcement } from './memoryRelay.js'

/*
 * The network relay's wire format: one WebSocket binary message per relay message.
 *
 * Why binary and not JSON: almost every message carries a party frame (opaque sealed bytes, a few hundred
 * bytes to a few hundred KB in a DKG round); base64 in JSON would add a third to every frame and a parse
 * of a string the size of the frame. The layout is small and fixed, so a byte codec is as easy to check
 * as a JSON schema: every field has a length prefix, every length is bounded, and trailing bytes are
 * refused.
 *
 * Layout: `version (u8 = 1) | type (u8) | fields`. A string is `u16 length | UTF-8`, bytes are
 * `u32 length | bytes`, a number is a u64 (big endian, a safe integer).
 */

/** The wire version this codec writes and reads. */
export const relayWireVersion = 1

/** The longest party id (or other string) on the wire, in UTF-8 bytes. */
const maxStringBytes = 512

/** The messages of the relay protocol, by direction. */
export type RelayMessage =
  /** server → client, first: a fresh 32-byte challenge, the relay's identity and its frame limit. */
  | { readonly type: 'challenge'; readonly challenge: Uint8Array; readonly relay: string; readonly maxFrameBytes: number }
  /** client → server: the answer (see `relayAuthDigest`). */
  | { readonly type: 'auth'; readonly party: string; readonly publicKey: Uint8Array; readonly signature: Uint8Array; readonly challenge: Uint8Array }
  /** server → client: authenticated as `party`. */
  | { readonly type: 'welcome'; readonly party: string }
  /** client → server: opaque bytes for `to`. */
  | { readonly type: 'send'; readonly to: string; readonly bytes: Uint8Array }
  /** server → client: opaque bytes from the authenticated party `from`. */
  | { readonly type: 'deliver'; readonly from: string; readonly bytes: Uint8Array }
  /** both ways: an announcement (client: its own; server: the directory's entries). */
  | { readonly type: 'announce'; readonly announcement: Announcement }
  /** server → client: a refusal, as a zrkit error code, message and details. */
  | { readonly type: 'error'; readonly code: string; readonly message: string; readonly details: string; readonly reason: string }
  /**
   * server → client: who of the served parties is connected. After `welcome`, every served party;
   * then one entry each time a party authenticates or disconnects.
   */
  | { readonly type: 'presence'; readonly parties: readonly RelayPresenceEntry[] }

/**
 * One party's presence on the relay: `here` while it is connected and authenticated, and for how long
 * it has been in that state, in ms (a duration, not a time, so that the parties' clocks need not agree
 * with the relay's).
 *
 * @example
 * ```ts
 * import { type RelayPresenceEntry, encodeRelayMessage } from './relayWire.js'
 * const away: RelayPresenceEntry = { party: 'zen1...', here: false, forMs: 2_500 }
 * const bytes = encodeRelayMessage({ type: 'presence', parties: [away] })
 * ```
 */
export type RelayPresenceEntry = { readonly party: string; readonly here: boolean; readonly forMs: number }

/**
 * The most entries one presence message carries, and so the most parties one relay serves.
 *
 * @example
 * ```ts
 * import { maxPresenceEntries } from './relayWire.js'
 * if (parties.length > maxPresenceEntries) throw new Error('too many parties for one relay')
 * ```
 */
export const maxPresenceEntries = 1024

const typeNumbers = { challenge: 1, auth: 2, welcome: 3, send: 4, deliver: 5, announce: 6, error: 7, presence: 8 } as const
const lastType = 8
const typeNames = Object.fromEntries(Object.entries(typeNumbers).map(([k, v]) => [v, k])) as Record<number, RelayMessage['type']>

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

/**
 * Encodes a relay message. Throws `INVALID_INPUT` for a field out of range (a string over 512 bytes,
 * a number that is not a safe non-negative integer).
 *
 * @example
 * ```ts
 * import { encodeRelayMessage } from './relayWire.js'
 * const bytes = encodeRelayMessage({ type: 'send', to: 'zen1...', bytes: new Uint8Array([1, 2]) })
 * ```
 */
export function encodeRelayMessage(message: RelayMessage): Uint8Array {
  const parts: Uint8Array[] = [Uint8Array.of(relayWireVersion, typeNumbers[message.type])]
  const str = (value: string) => {
    const bytes = encoder.encode(value)
    if (bytes.length > maxStringBytes) throw new ZrError('INVALID_INPUT', 'A relay message string is too long.', { details: `expected at most ${maxStringBytes} bytes, got ${bytes.length}` })
    parts.push(Uint8Array.of(bytes.length >> 8, bytes.length & 0xff), bytes)
  }
  const bin = (value: Uint8Array) => {
    const n = value.length
    parts.push(Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff), value)
  }
  const num = (value: number) => {
    if (!Number.isSafeInteger(value) || value < 0) throw new ZrError('INVALID_INPUT', 'A relay message number is out of range.', { details: `expected a safe non-negative integer, got ${value}` })
    const out = new Uint8Array(8)
    new DataView(out.buffer).setBigUint64(0, BigInt(value))
    parts.push(out)
  }
  switch (message.type) {
    case 'challenge':
      bin(message.challenge), str(message.relay), num(message.maxFrameBytes)
      break
    case 'auth':
      str(message.party), bin(message.publicKey), bin(message.signature), bin(message.challenge)
      break
    case 'welcome':
      str(message.party)
      break
    case 'send':
      str(message.to), bin(message.bytes)
      break
    case 'deliver':
      str(message.from), bin(message.bytes)
      break
    case 'announce': {
      const a = message.announcement
      str(a.party), bin(a.identityKey), bin(a.encryptionKey), num(a.epoch), bin(a.signature)
      break
    }
    case 'error':
      str(message.code), str(message.message), str(message.details), str(message.reason)
      break
    case 'presence': {
      const n = message.parties.length
      if (n > maxPresenceEntries) throw new ZrError('INVALID_INPUT', 'Too many presence entries.', { details: `expected at most ${maxPresenceEntries}, got ${n}` })
      parts.push(Uint8Array.of(n >> 8, n & 0xff))
      for (const entry of message.parties) str(entry.party), parts.push(Uint8Array.of(entry.here ? 1 : 0)), num(entry.forMs)
      break
    }
  }
  return concatBytes(...parts)
}

/**
 * Decodes one relay message, checking its version, type, every length and that nothing trails.
 * Throws `MALFORMED_MESSAGE` (what was expected, what arrived) for anything else; fixed-size fields
 * (keys, signatures, challenges) are checked to their sizes.
 *
 * @example
 * ```ts
 * import { decodeRelayMessage, encodeRelayMessage } from './relayWire.js'
 * decodeRelayMessage(encodeRelayMessage({ type: 'welcome', party: 'zen1...' })) // { type: 'welcome', party: 'zen1...' }
 * ```
 */
export function decodeRelayMessage(bytes: Uint8Array): RelayMessage {
  const malformed = (details: string) => new ZrError('MALFORMED_MESSAGE', 'Malformed relay message.', { details })
  if (!(bytes instanceof Uint8Array)) throw malformed(`expected bytes, got ${typeof bytes}`)
  if (bytes.length < 2) throw malformed(`expected at least 2 bytes (version, type), got ${bytes.length}`)
  if (bytes[0] !== relayWireVersion) throw malformed(`expected wire version ${relayWireVersion}, got ${bytes[0]}`)
  const type = typeNames[bytes[1]!]
  if (!type) throw malformed(`expected a message type 1..${lastType}, got ${bytes[1]}`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let at = 2
  const need = (n: number, what: string) => {
    if (at + n > bytes.length) throw malformed(`${type}.${what}: expected ${n} more bytes, got ${bytes.length - at}`)
  }
  const str = (what: string) => {
    need(2, what)
    const n = view.getUint16(at)
    at += 2
    if (n > maxStringBytes) throw malformed(`${type}.${what}: expected at most ${maxStringBytes} bytes, got ${n}`)
    need(n, what)
    let value: string
    try {
      value = decoder.decode(bytes.subarray(at, at + n))
    } catch {
      throw malformed(`${type}.${what}: expected UTF-8 text`)
    }
    at += n
    return value
  }
  const bin = (what: string, exact?: number) => {
    need(4, what)
    const n = view.getUint32(at)
    at += 4
    if (exact !== undefined && n !== exact) throw malformed(`${type}.${what}: expected ${exact} bytes, got ${n}`)
    need(n, what)
    const value = bytes.slice(at, at + n)
    at += n
    return value
  }
  const num = (what: string) => {
    need(8, what)
    const value = view.getBigUint64(at)
    at += 8
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw malformed(`${type}.${what}: expected a safe integer, got ${value}`)
    return Number(value)
  }
  let message: RelayMessage
  switch (type) {
    case 'challenge':
      message = { type, challenge: bin('challenge', 32), relay: str('relay'), maxFrameBytes: num('maxFrameBytes') }
      break
    case 'auth':
      message = { type, party: str('party'), publicKey: bin('publicKey', 33), signature: bin('signature', 64), challenge: bin('challenge', 32) }
      break
    case 'welcome':
      message = { type, party: str('party') }
      break
    case 'send':
      message = { type, to: str('to'), bytes: bin('bytes') }
      break
    case 'deliver':
      message = { type, from: str('from'), bytes: bin('bytes') }
      break
    case 'announce':
      message = {
        type,
        announcement: { party: str('party'), identityKey: bin('identityKey', 33), encryptionKey: bin('encryptionKey', 32), epoch: num('epoch'), signature: bin('signature', 64) },
      }
      break
    case 'error':
      message = { type, code: str('code'), message: str('message'), details: str('details'), reason: str('reason') }
      break
    case 'presence': {
      need(2, 'count')
      const n = view.getUint16(at)
      at += 2
      if (n > maxPresenceEntries) throw malformed(`presence.count: expected at most ${maxPresenceEntries} entries, got ${n}`)
      const parties: RelayPresenceEntry[] = []
      const seen = new Set<string>()
      for (let i = 0; i < n; i++) {
        const party = str(`parties[${i}].party`)
        if (party.length === 0) throw malformed(`presence.parties[${i}].party: expected a party id, got an empty string`)
        if (seen.has(party)) throw malformed(`presence.parties[${i}].party: expected each party once, got ${party} twice`)
        seen.add(party)
        need(1, `parties[${i}].here`)
        const flag = bytes[at++]!
        if (flag > 1) throw malformed(`presence.parties[${i}].here: expected 0 or 1, got ${flag}`)
        parties.push({ party, here: flag === 1, forMs: num(`parties[${i}].forMs`) })
      }
      message = { type, parties }
      break
    }
  }
  if (at !== bytes.length) throw malformed(`${type}: expected ${at} bytes, got ${bytes.length} (trailing bytes)`)
  return message
}
