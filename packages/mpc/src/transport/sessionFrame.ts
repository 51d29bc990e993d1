// The bytes of one session message: which session and round it belongs to, whether it was broadcast, and its body.
import { ZrError, describeValue } from '@zrkit/core'

/** What travels in a transport payload for a session (see {@link encodeSessionFrame} for the bytes). */
export type SessionFrame = {
  readonly session: string
  readonly round: string
  readonly body: Uint8Array
  readonly broadcast: boolean
}

const FRAME_VERSION = 0x5a
const MAX_NAME_BYTES = 0xffff
const utf8 = new TextEncoder()
// ignoreBOM keeps a leading U+FEFF in the name: dropping it would read other bytes than the sender signed
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * Encodes a session frame, binary so that a body of raw bytes (tens of kilobytes of OT messages) costs
 * its own size on the wire: `0x5a`, a flags byte (bit 0: broadcast), the session id and the round name
 * as u16-length-prefixed UTF-8, then the body. Throws `INVALID_INPUT` for a frame that is not
 * `{ session, round, body, broadcast }` with names of 1..65535 UTF-8 bytes.
 *
 * @example
 * ```ts
 * import { decodeSessionFrame, encodeSessionFrame } from '@zrkit/mpc/internal'
 * const bytes = encodeSessionFrame({ session: 'dkg/1', round: 'commit', body, broadcast: true })
 * decodeSessionFrame(bytes) // { session: 'dkg/1', round: 'commit', body, broadcast: true }
 * ```
 */
export function encodeSessionFrame(frame: SessionFrame): Uint8Array {
  if (frame === null || typeof frame !== 'object') throw badFrame(`expected { session, round, body, broadcast }, got ${describeValue(frame)}`)
  const { session, round, body, broadcast } = frame
  if (typeof session !== 'string' || typeof round !== 'string') throw badFrame(`expected a session id and a round name as strings, got ${describeValue(session)} and ${describeValue(round)}`)
  if (!(body instanceof Uint8Array)) throw badFrame(`expected the body as bytes, got ${describeValue(body)}`)
  if (typeof broadcast !== 'boolean') throw badFrame(`expected broadcast as a boolean, got ${describeValue(broadcast)}`)
  const s = utf8.encode(session)
  const r = utf8.encode(round)
  if (s.length === 0 || r.length === 0 || s.length > MAX_NAME_BYTES || r.length > MAX_NAME_BYTES) {
    throw new ZrError('INVALID_INPUT', 'Invalid session frame.', { details: `expected a session id and a round name of 1..${MAX_NAME_BYTES} UTF-8 bytes, got ${s.length} and ${r.length}` })
  }
  const out = new Uint8Array(2 + 2 + s.length + 2 + r.length + body.length)
  const view = new DataView(out.buffer)
  out[0] = FRAME_VERSION
  out[1] = broadcast ? 1 : 0
  view.setUint16(2, s.length, false)
  out.set(s, 4)
  view.setUint16(4 + s.length, r.length, false)
  out.set(r, 6 + s.length)
  out.set(body, 6 + s.length + r.length)
  return out
}

function badFrame(details: string): ZrError {
  return new ZrError('INVALID_INPUT', 'Invalid session frame.', { details })
}

/** Decodes a session frame; `undefined` when the bytes are not one. */
export function decodeSessionFrame(bytes: Uint8Array): SessionFrame | undefined {
  try {
    if (!(bytes instanceof Uint8Array) || bytes.length < 6 || bytes[0] !== FRAME_VERSION || (bytes[1] as number) > 1) return undefined
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const sLen = view.getUint16(2, false)
    if (sLen === 0 || 4 + sLen + 2 > bytes.length) return undefined
    const session = strictUtf8.decode(bytes.subarray(4, 4 + sLen))
    const rLen = view.getUint16(4 + sLen, false)
    const start = 6 + sLen + rLen
    if (rLen === 0 || start > bytes.length) return undefined
    const round = strictUtf8.decode(bytes.subarray(6 + sLen, start))
    return { session, round, body: bytes.slice(start), broadcast: bytes[1] === 1 }
  } catch {
    return undefined
  }
}
