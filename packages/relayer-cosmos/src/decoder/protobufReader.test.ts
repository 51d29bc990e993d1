import { BinaryWriter } from 'cosmjs-types/binary'
import { isZrError } from '@zrkit/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type ProtoSchema, readProtoFields, readVarint } from './protobufReader.js'

const schema: ProtoSchema = {
  message: 'Test',
  fields: {
    1: { name: 'number', type: 'varint' },
    2: { name: 'text', type: 'string' },
    3: { name: 'items', type: 'message', repeated: true },
    4: { name: 'blob', type: 'bytes' },
    5: { name: 'sub', type: 'message' },
  },
}

function refusal(fn: () => unknown): { details: string; field?: string } {
  try {
    fn()
  } catch (e) {
    expect(isZrError(e, 'INVALID_TRANSACTION')).toBe(true)
    const err = e as { details: string; context: { field?: string } }
    expect(err.details).toMatch(/^expected .+, got .+$/s)
    return { details: err.details, ...(err.context.field ? { field: err.context.field } : {}) }
  }
  throw new Error('expected a refusal')
}
const read = (bytes: number[] | Uint8Array) => readProtoFields(Uint8Array.from(bytes), schema, 'test')

describe('readVarint', () => {
  it('reads every uint64 as cosmjs-types writes it', () => {
    fc.assert(
      fc.property(fc.bigInt(0n, (1n << 64n) - 1n), (v) => {
        const bytes = BinaryWriter.create().uint64(v).finish()
        expect(readVarint(bytes, 0, 'v')).toEqual({ value: v, next: bytes.length })
      }),
      { numRuns: 300 },
    )
  })

  it('refuses values past 2^64, more than 10 bytes, non-shortest forms and truncation', () => {
    expect(refusal(() => readVarint(Uint8Array.from([...new Array(9).fill(0xff), 0x02]), 0, 'v')).details).toMatch(/below 2\^64, got a 10th byte 0x02/)
    expect(refusal(() => readVarint(Uint8Array.from([...new Array(10).fill(0x80), 0x00]), 0, 'v')).details).toMatch(/below 2\^64/)
    expect(refusal(() => readVarint(Uint8Array.from([0x80, 0x00]), 0, 'v')).details).toMatch(/shortest form, got 2 bytes ending in 0x00/)
    expect(refusal(() => readVarint(Uint8Array.from([0xac, 0x82, 0x00]), 0, 'v')).details).toMatch(/shortest form/)
    expect(refusal(() => readVarint(Uint8Array.from([0xac]), 0, 'v')).details).toMatch(/complete varint, got the end of the bytes after 1/)
    expect(readVarint(Uint8Array.from([0x00]), 0, 'v')).toEqual({ value: 0n, next: 1 })
  })
})

describe('readProtoFields', () => {
  it('reads known fields, defaults for absent ones, repeated fields in one run, empty messages', () => {
    const f = read([0x08, 0x96, 0x01, 0x12, 0x02, 0x68, 0x69, 0x1a, 0x00, 0x1a, 0x01, 0x07, 0x2a, 0x00])
    expect(f.varint(1)).toBe(150n)
    expect(f.string(2)).toBe('hi')
    expect(f.repeated(3)).toEqual([new Uint8Array(0), Uint8Array.from([7])])
    expect(f.bytes(4)).toBeUndefined()
    expect(f.bytes(5)).toEqual(new Uint8Array(0))
    const empty = read([])
    expect([empty.varint(1), empty.string(2), empty.repeated(3), empty.bytes(5)]).toEqual([0n, '', [], undefined])
  })

  it('refuses unknown fields, wrong wire types, groups and field 0', () => {
    expect(refusal(() => read([0x30, 0x01]))).toEqual({ details: 'expected only the fields of Test (number 1, text 2, items 3, blob 4, sub 5), got unknown field 6 (varint)', field: 'test' })
    expect(refusal(() => read([0x0a, 0x00])).details).toMatch(/wire type 0 \(varint\) for Test.number, got wire type 2/)
    expect(refusal(() => read([0x0b, 0x0c])).details).toMatch(/wire type 0 \(varint\) for Test.number, got wire type 3 \(start group\)/)
    expect(refusal(() => read([0x11, 1, 2, 3, 4, 5, 6, 7, 8])).details).toMatch(/got wire type 1/)
    expect(refusal(() => read([0x00])).details).toMatch(/field number in 1..2\^29-1 in Test, got field 0/)
    expect(refusal(() => read([0x07])).details).toMatch(/got field 0/)
  })

  it('refuses fields out of order, a non-repeated field twice, a repeated one in two runs', () => {
    expect(refusal(() => read([0x12, 0x01, 0x61, 0x08, 0x01]))).toEqual({ details: 'expected the fields of Test in increasing order (canonical encoding), got field 1 after field 2', field: 'test.number' })
    expect(refusal(() => read([0x08, 0x01, 0x08, 0x02])).details).toBe('expected Test.number at most once, got it again')
    expect(refusal(() => read([0x1a, 0x00, 0x22, 0x01, 0x00, 0x1a, 0x00])).details).toMatch(/increasing order/)
  })

  it('refuses defaults encoded explicitly, except empty messages', () => {
    expect(refusal(() => read([0x08, 0x00])).details).toBe('expected Test.number left out when 0 (canonical encoding), got an explicit 0')
    expect(refusal(() => read([0x12, 0x00])).details).toMatch(/Test.text left out when empty/)
    expect(refusal(() => read([0x22, 0x00])).details).toMatch(/Test.blob left out when empty/)
  })

  it('refuses lengths past the end and truncated fields', () => {
    expect(refusal(() => read([0x12, 0x05, 0x61]))).toEqual({ details: 'expected a length within the 1 bytes left, got a length of 5', field: 'test.text' })
    expect(refusal(() => read([0x12, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])).details).toMatch(/got a length of/)
    expect(refusal(() => read([0x08])).field).toBe('test.number')
    expect(refusal(() => read([0x08, 0x01, 0x80])).field).toBe('test (field tag)')
  })

  it('reads strings as strict UTF-8 and keeps a byte-order mark', () => {
    expect(refusal(() => read([0x12, 0x01, 0xff]).string(2))).toEqual({ details: 'expected a UTF-8 string, got 1 bytes that are not UTF-8', field: 'test.text' })
    expect(refusal(() => read([0x12, 0x03, 0xed, 0xa0, 0x80]).string(2)).details).toMatch(/UTF-8/) // a lone surrogate
    expect(read([0x12, 0x04, 0xef, 0xbb, 0xbf, 0x61]).string(2)).toBe('\uFEFFa')
  })
})
