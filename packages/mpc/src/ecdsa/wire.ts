/**
 * Compact binary encoding of zrkit's threshold-ECDSA protocol messages. The OT messages are tens of
 * kilobytes of raw bytes; the canonical JSON used elsewhere would double them (hex), so these
 * messages travel as a small tagged tree of byte strings instead.
 *
 * Format (all lengths u32 big-endian):
 *   value  = 0x01 len bytes                          a byte string
 *          | 0x02 count value*                       a list
 *          | 0x03 count (nameLen name value)*        a record, names in ascending order
 * Decoding refuses trailing bytes, unknown tags, unsorted or duplicate names and anything deeper than
 * 8 levels, and checks the result against a schema, so a malformed message is blamed on its sender.
 */
import { ZrError } from '@zrkit/core'
import { misbehaved } from '../frost/messages.js'

/** A message: byte strings, lists and records of them. */
export type WireValue = Uint8Array | readonly WireValue[] | { readonly [name: string]: WireValue }

/**
 * The expected shape: `'bytes'` (optionally `{ bytes: n }` for an exact length), `[item]` for a list
 * of any length, `{ list: item, length }` for an exact length, or a record of named shapes.
 */
export type WireSchema = 'bytes' | { bytes: number } | { list: WireSchema; length?: number } | { record: Record<string, WireSchema> }

const MAX_DEPTH = 8
const enc = new TextEncoder()
// ignoreBOM keeps a leading U+FEFF in a name, so that each message has one encoding
const dec = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** Encodes a message (see the format above). */
export function encodeWire(value: WireValue): Uint8Array {
  const parts: Uint8Array[] = []
  let size = 0
  const push = (b: Uint8Array) => {
    parts.push(b)
    size += b.length
  }
  const head = (tag: number, n: number) => {
    const b = new Uint8Array(5)
    b[0] = tag
    new DataView(b.buffer).setUint32(1, n, false)
    push(b)
  }
  const walk = (v: WireValue, depth: number) => {
    if (depth > MAX_DEPTH) throw new ZrError('INVALID_INPUT', 'message nested too deeply', { details: `expected at most ${MAX_DEPTH} levels` })
    if (v instanceof Uint8Array) {
      head(1, v.length)
      push(v)
    } else if (Array.isArray(v)) {
      head(2, v.length)
      for (const item of v as readonly WireValue[]) walk(item, depth + 1)
    } else if (v && typeof v === 'object') {
      const names = Object.keys(v).sort()
      head(3, names.length)
      for (const name of names) {
        const n = enc.encode(name)
        const len = new Uint8Array(4)
        new DataView(len.buffer).setUint32(0, n.length, false)
        push(len)
        push(n)
        walk((v as Record<string, WireValue>)[name] as WireValue, depth + 1)
      }
    } else {
      throw new ZrError('INVALID_INPUT', 'cannot encode this message value', { details: `expected bytes, a list or a record, got ${typeof v}` })
    }
  }
  walk(value, 0)
  const out = new Uint8Array(size)
  let off = 0
  for (const p of parts) {
    out.set(p, off)
    off += p.length
  }
  return out
}

function parse(bytes: Uint8Array): WireValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let off = 0
  const u32 = () => {
    if (off + 4 > bytes.length) throw new Error('truncated')
    const n = view.getUint32(off, false)
    off += 4
    return n
  }
  const walk = (depth: number): WireValue => {
    if (depth > MAX_DEPTH) throw new Error('too deep')
    if (off >= bytes.length) throw new Error('truncated')
    const tag = bytes[off++]
    const n = u32()
    if (tag === 1) {
      if (off + n > bytes.length) throw new Error('truncated')
      const b = bytes.slice(off, off + n)
      off += n
      return b
    }
    if (tag === 2) {
      if (n > bytes.length - off) throw new Error('list too long')
      const list: WireValue[] = []
      for (let i = 0; i < n; i++) list.push(walk(depth + 1))
      return list
    }
    if (tag === 3) {
      if (n > bytes.length - off) throw new Error('record too long')
      const rec: Record<string, WireValue> = Object.create(null)
      let last = ''
      for (let i = 0; i < n; i++) {
        const len = u32()
        if (off + len > bytes.length) throw new Error('truncated')
        const name = dec.decode(bytes.subarray(off, off + len))
        off += len
        if (i > 0 && name <= last) throw new Error('names not sorted')
        last = name
        rec[name] = walk(depth + 1)
      }
      return rec
    }
    throw new Error(`unknown tag ${tag}`)
  }
  const v = walk(0)
  if (off !== bytes.length) throw new Error('trailing bytes')
  return v
}

function matches(v: WireValue, s: WireSchema): boolean {
  if (s === 'bytes') return v instanceof Uint8Array
  if ('bytes' in s) return v instanceof Uint8Array && v.length === s.bytes
  if ('list' in s) return Array.isArray(v) && (s.length === undefined || v.length === s.length) && (v as WireValue[]).every((x) => matches(x, s.list))
  if (!v || typeof v !== 'object' || v instanceof Uint8Array || Array.isArray(v)) return false
  const names = Object.keys(v)
  const want = Object.keys(s.record)
  return names.length === want.length && want.every((k) => k in v && matches((v as Record<string, WireValue>)[k] as WireValue, s.record[k] as WireSchema))
}

/**
 * Decodes a message from `from` and checks it against `schema`; anything else is an `MPC_ABORT`
 * naming `from` (`context.party`).
 *
 * @example
 * ```ts
 * const bytes = encodeWire({ nonce: randomBytes(32) })
 * const { nonce } = decodeWire<{ nonce: Uint8Array }>(bytes, 'zen1...', 'ready message', { record: { nonce: { bytes: 32 } } })
 * ```
 */
export function decodeWire<T>(bytes: Uint8Array, from: string, what: string, schema: WireSchema): T {
  let v: WireValue
  try {
    v = parse(bytes)
  } catch {
    throw misbehaved(from, `sent a malformed ${what}`)
  }
  if (!matches(v, schema)) throw misbehaved(from, `sent a malformed ${what}`)
  return v as T
}
