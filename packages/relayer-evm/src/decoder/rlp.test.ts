// The strict RLP reader against viem's toRlp as the oracle of the canonical encoding: whatever viem
// writes reads back as the same item, and whatever the reader accepts is exactly what viem writes for
// the item it read (one item, one encoding). Then each non-canonical form, refused with its reason.
import { isZrError } from '@zrkit/core'
import fc from 'fast-check'
import { bytesToHex, hexToBytes, toRlp } from 'viem'
import { describe, expect, it } from 'vitest'
import { decodeRlp, type RlpItem } from './rlp.js'

type Item = Uint8Array | Item[]
const { item } = fc.letrec<{ item: Item }>((tie) => ({
  item: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    fc.oneof(fc.uint8Array({ maxLength: 3 }), fc.uint8Array({ maxLength: 70 }), fc.uint8Array({ minLength: 250, maxLength: 300 })),
    fc.array(tie('item'), { maxLength: 5 }),
  ),
}))
const depthOf = (i: Item): number => (i instanceof Uint8Array ? 0 : 1 + Math.max(0, ...i.map(depthOf)))
const encode = (i: Item): Uint8Array => toRlp(i as Parameters<typeof toRlp>[0], 'bytes')
/** An RlpItem with its byte strings copied out of the views the reader returns, for `toEqual`. */
const plain = (i: RlpItem): Item => (i instanceof Uint8Array ? new Uint8Array(i) : i.map(plain))

function refusal(bytes: number[] | Uint8Array, maxDepth = 4) {
  try {
    decodeRlp(Uint8Array.from(bytes), 0, maxDepth)
  } catch (e) {
    if (!isZrError(e, 'INVALID_TRANSACTION')) throw e
    expect(e.context).toEqual({ chain: 'evm', field: 'rlp' })
    return e.details
  }
  throw new Error('expected a refusal')
}

describe('decodeRlp', () => {
  it('reads back whatever viem encodes', () => {
    fc.assert(
      fc.property(item, (i) => {
        fc.pre(depthOf(i) <= 4)
        expect(plain(decodeRlp(encode(i), 0, 4))).toEqual(i)
      }),
      { numRuns: 300 },
    )
  })

  it('accepts only the canonical encoding: what it reads, viem re-encodes to the very same bytes', () => {
    // Valid encodings with a byte changed, inserted or removed: most are refused; any that is read is canonical.
    const mutated = fc.tuple(item, fc.nat(), fc.nat({ max: 255 }), fc.constantFrom('set', 'insert', 'delete')).map(([i, at, byte, how]) => {
      const b = [...encode(i)]
      const p = at % b.length
      if (how === 'set') b[p] = byte
      else if (how === 'insert') b.splice(p, 0, byte)
      else b.splice(p, 1)
      return Uint8Array.from(b)
    })
    fc.assert(
      fc.property(fc.oneof(mutated, fc.uint8Array({ maxLength: 64 })), (bytes) => {
        let read: RlpItem
        try {
          read = decodeRlp(bytes, 0, 8)
        } catch (e) {
          if (isZrError(e, 'INVALID_TRANSACTION')) return
          throw e
        }
        expect(bytesToHex(encode(plain(read)))).toBe(bytesToHex(bytes))
      }),
      { numRuns: 500 },
    )
  })

  it('reads from an offset, and the offsets in its messages count from the start of the input', () => {
    expect(plain(decodeRlp(Uint8Array.from([0x02, 0xc2, 0x01, 0x80]), 1, 4))).toEqual([Uint8Array.of(1), new Uint8Array()])
    expect(refusal([0x81, 0x05])).toBe('expected the byte 0x05 at byte 0 as itself (canonical RLP), got it wrapped as 0x8105')
    expect(() => decodeRlp(Uint8Array.from([0x02, 0xc2, 0x81, 0x05]), 1, 4)).toThrow('expected the byte 0x05 at byte 2 as itself')
  })

  const long = (n: number) => [0xb8, n, ...new Array<number>(n).fill(0xaa)]
  it.each([
    ['a single byte below 0x80 wrapped', [0x81, 0x7f], 'expected the byte 0x7f at byte 0 as itself (canonical RLP), got it wrapped as 0x817f'],
    ['the long form for a 55-byte string', long(55), /^expected the short form 0xb7 for the 55-byte RLP string at byte 0 \(canonical RLP\), got the long form 0xb837$/],
    ['the long form for a short list', [0xf8, 0x01, 0x80], 'expected the short form 0xc1 for the 1-byte RLP list at byte 0 (canonical RLP), got the long form 0xf801'],
    ['a length with a leading zero', [0xb9, 0x00, 0x38, ...new Array<number>(56).fill(1)], 'expected the length of the RLP string at byte 0 without leading zero bytes (canonical RLP), got 0x0038'],
    ['a string longer than the input', [0x83, 1, 2], 'expected the RLP string at byte 0 to fit in the 2 bytes left in the input, got a length of 3 bytes'],
    ['a long-form length longer than the input', [0xb9, 0x01], 'expected 2 length bytes of the RLP string at byte 0, got 1 bytes before the end'],
    ['a length of 2^64 - 1', [0xbf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 'expected the RLP string at byte 0 to fit in the 0 bytes left in the input, got a length of more bytes than the input holds'],
    ['an item that overruns its list', [0xc2, 0x83, 1, 2, 3], 'expected the RLP string at byte 1 to fit in the 1 bytes left in its list, got a length of 3 bytes'],
    ['trailing bytes', [0x80, 0x80], 'expected nothing after the RLP item that ends at byte 1, got 1 more bytes'],
    ['nothing at all', [], 'expected an RLP item at byte 0, got the end of the input'],
    ['lists nested deeper than allowed', [0xc2, 0xc1, 0xc0], 'expected RLP lists nested at most 2 deep, got a list nested 3 deep at byte 2'],
  ] as const)('refuses %s', (_, bytes, details) => {
    const got = refusal(bytes as readonly number[] as number[], 2)
    if (typeof details === 'string') expect(got).toBe(details)
    else expect(got).toMatch(details)
  })

  it('refuses lists nested 20 000 deep at once, without exhausting the stack', () => {
    // [[[...[]...]]]: each level a list holding the one below; headers from the inside out, then laid out once.
    const headers: number[][] = []
    let n = 0
    for (let i = 0; i < 20_000; i++) {
      const header = n <= 55 ? [0xc0 + n] : n < 256 ? [0xf8, n] : n < 65536 ? [0xf9, n >> 8, n & 0xff] : [0xfa, n >> 16, (n >> 8) & 0xff, n & 0xff]
      headers.push(header)
      n += header.length
    }
    const bytes = Uint8Array.from(headers.reverse().flat())
    expect(bytes.length).toBeGreaterThan(50_000)
    expect(refusal(bytes)).toBe('expected RLP lists nested at most 4 deep, got a list nested 5 deep at byte ' + `${headers.slice(0, 4).flat().length}`)
  })

  it('returns views of the input for byte strings (no copies on the hot path)', () => {
    const bytes = hexToBytes(toRlp(['0x0102', '0x03']))
    const [a] = decodeRlp(bytes, 0, 1) as Uint8Array[]
    expect(a!.buffer).toBe(bytes.buffer)
  })
})
