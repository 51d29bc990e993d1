import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeSessionFrame, encodeSessionFrame } from './sessionFrame.js'

describe('session frames', () => {
  it('round-trip any session id, round name, body and broadcast flag', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 60 }), fc.string({ minLength: 1, maxLength: 30 }), fc.uint8Array({ maxLength: 300 }), fc.boolean(), (session, round, body, broadcast) => {
        const frame = decodeSessionFrame(encodeSessionFrame({ session, round, body, broadcast }))
        expect(frame).toEqual({ session, round, body, broadcast })
      }),
    )
  })

  it('cost the body’s own size plus the names: raw bytes are not re-encoded', () => {
    const body = new Uint8Array(50_000).fill(7)
    expect(encodeSessionFrame({ session: 'ecdsa/sign/1', round: 'ecdsa/2', body, broadcast: false }).length).toBe(50_000 + 6 + 12 + 7)
  })

  it('refuse what is not a frame: other versions, flags, truncations, empty names, bad UTF-8', () => {
    const good = encodeSessionFrame({ session: 'a', round: 'b', body: Uint8Array.of(1, 2), broadcast: true })
    expect(decodeSessionFrame(good)).toBeDefined()
    const edit = (at: number, v: number) => {
      const b = Uint8Array.from(good)
      b[at] = v
      return b
    }
    expect(decodeSessionFrame(edit(0, 0x7b))).toBeUndefined() // another version (e.g. a JSON '{')
    expect(decodeSessionFrame(edit(1, 2))).toBeUndefined() // unknown flags
    expect(decodeSessionFrame(edit(3, 0))).toBeUndefined() // empty session id
    expect(decodeSessionFrame(edit(3, 200))).toBeUndefined() // session id longer than the frame
    expect(decodeSessionFrame(edit(6, 0))).toBeUndefined() // empty round name
    expect(decodeSessionFrame(edit(4, 0xff))).toBeUndefined() // invalid UTF-8 in the session id
    expect(decodeSessionFrame(good.subarray(0, 5))).toBeUndefined()
    expect(() => encodeSessionFrame({ session: '', round: 'b', body: new Uint8Array(), broadcast: false })).toThrow(/session id and a round name/)
  })
})
