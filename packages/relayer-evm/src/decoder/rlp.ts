import { hexPreview, invalidTransaction } from './invalidTransaction.js'

/**
 * An RLP item: a byte string, or a list of items.
 *
 * @example
 * ```ts
 * import type { RlpItem } from './rlp.js'
 * const item: RlpItem = [new Uint8Array([1]), [new Uint8Array()]] // rlp: 0xc3 0x01 0xc1 0x80
 * ```
 */
export type RlpItem = Uint8Array | readonly RlpItem[]

/**
 * Decodes the one RLP item that fills `bytes` from `start` to the end, accepting only the canonical
 * encoding (the one every encoder writes, so one item has exactly one encoding):
 *
 * - a single byte below `0x80` is its own encoding, never wrapped as `0x81 b`;
 * - a length is in the short form (`0x80 + n`, `0xc0 + n`) when it is at most 55, and in the long form only
 *   above, with no leading zero byte;
 * - every length stays inside the input and inside the enclosing list, and nothing follows the item.
 *
 * Lists nest at most `maxDepth` deep (a transaction needs 4), so the work and the recursion are bounded
 * by the input's length. Byte strings are views into `bytes`. Anything else throws `INVALID_TRANSACTION`
 * saying what was expected at which byte (offsets count from the start of `bytes`).
 *
 * @example
 * ```ts
 * import { decodeRlp } from './rlp.js'
 * decodeRlp(new Uint8Array([0xc4, 0x01, 0x82, 0x02, 0x03]), 0, 4) // [Uint8Array [1], Uint8Array [2, 3]]
 * decodeRlp(new Uint8Array([0x81, 0x05]), 0, 4)                   // throws: 0x05 must be encoded as itself
 * ```
 */
export function decodeRlp(bytes: Uint8Array, start: number, maxDepth: number): RlpItem {
  const [item, next] = readItem(bytes, start, bytes.length, 0, maxDepth)
  if (next !== bytes.length) throw invalidTransaction(`nothing after the RLP item that ends at byte ${next}`, `${bytes.length - next} more bytes`, 'rlp')
  return item
}

/** Reads the item at `pos`, which must end by `end` (the input's or the enclosing list's); returns it and the offset after it. */
function readItem(bytes: Uint8Array, pos: number, end: number, depth: number, maxDepth: number): [RlpItem, number] {
  if (pos >= end) throw invalidTransaction(`an RLP item at byte ${pos}`, end === bytes.length ? 'the end of the input' : `the end of the enclosing list`, 'rlp')
  const prefix = bytes[pos] as number
  if (prefix < 0x80) return [bytes.subarray(pos, pos + 1), pos + 1]
  const isList = prefix >= 0xc0
  const base = isList ? 0xc0 : 0x80
  const what = isList ? 'list' : 'string'
  let length: number
  let payload: number
  if (prefix - base <= 55) {
    length = prefix - base
    payload = pos + 1
    if (payload + length > end) throw overrun(what, pos, length, end - payload, end === bytes.length)
  } else {
    const lengthBytes = prefix - base - 55
    payload = pos + 1 + lengthBytes
    if (payload > end) throw invalidTransaction(`${lengthBytes} length bytes of the RLP ${what} at byte ${pos}`, `${Math.max(0, end - pos - 1)} bytes before the end`, 'rlp')
    if (bytes[pos + 1] === 0) throw invalidTransaction(`the length of the RLP ${what} at byte ${pos} without leading zero bytes (canonical RLP)`, hexPreview(bytes.subarray(pos + 1, payload)), 'rlp')
    length = 0
    for (let i = pos + 1; i < payload; i++) {
      length = length * 256 + (bytes[i] as number)
      // Stop as soon as it cannot fit: the number stays small, whatever the 8 length bytes say.
      if (length > end - payload) throw overrun(what, pos, i + 1 < payload ? Number.POSITIVE_INFINITY : length, end - payload, end === bytes.length)
    }
    if (length <= 55) throw invalidTransaction(`the short form 0x${(base + length).toString(16)} for the ${length}-byte RLP ${what} at byte ${pos} (canonical RLP)`, `the long form ${hexPreview(bytes.subarray(pos, payload))}`, 'rlp')
  }
  const next = payload + length
  if (!isList) {
    if (length === 1 && (bytes[payload] as number) < 0x80) {
      throw invalidTransaction(`the byte 0x${(bytes[payload] as number).toString(16).padStart(2, '0')} at byte ${pos} as itself (canonical RLP)`, `it wrapped as ${hexPreview(bytes.subarray(pos, next))}`, 'rlp')
    }
    return [bytes.subarray(payload, next), next]
  }
  if (depth + 1 > maxDepth) throw invalidTransaction(`RLP lists nested at most ${maxDepth} deep`, `a list nested ${depth + 1} deep at byte ${pos}`, 'rlp')
  const items: RlpItem[] = []
  for (let p = payload; p < next; ) {
    const [item, after] = readItem(bytes, p, next, depth + 1, maxDepth)
    items.push(item)
    p = after
  }
  return [items, next]
}

function overrun(what: string, pos: number, length: number, available: number, inInput: boolean) {
  const size = Number.isFinite(length) ? `${length} bytes` : 'more bytes than the input holds'
  return invalidTransaction(`the RLP ${what} at byte ${pos} to fit in the ${available} bytes left in ${inInput ? 'the input' : 'its list'}`, `a length of ${size}`, 'rlp')
}
