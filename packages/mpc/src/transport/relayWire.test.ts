import { type ZrError, isZrError } from '@zrkit/core'
import { fuzzRuns } from '@zrkit/testkit'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type RelayMessage, decodeRelayMessage, encodeRelayMessage, relayWireVersion } from './relayWire.js'

const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill)

const samples: RelayMessage[] = [
  { type: 'challenge', challenge: bytes(32), relay: 'ws://127.0.0.1:7700', maxFrameBytes: 1 << 20 },
  { type: 'auth', party: 'zen1party', publicKey: bytes(33, 2), signature: bytes(64, 3), challenge: bytes(32, 4) },
  { type: 'welcome', party: 'zen1party' },
  { type: 'send', to: 'zen1other', bytes: bytes(100, 5) },
  { type: 'send', to: 'zen1other', bytes: new Uint8Array(0) },
  { type: 'deliver', from: 'zen1other', bytes: bytes(3, 6) },
  { type: 'announce', announcement: { party: 'zen1party', identityKey: bytes(33, 2), encryptionKey: bytes(32, 7), epoch: Date.now(), signature: bytes(64, 8) } },
  { type: 'error', code: 'RELAY_REFUSED', message: 'Rate limit exceeded.', details: 'expected at most 1 message per second', reason: 'rate-limited' },
  { type: 'presence', parties: [{ party: 'zen1party', here: true, forMs: 1234 }, { party: 'zen1other', here: false, forMs: 0 }] },
  { type: 'presence', parties: [] },
]

const malformed = (input: Uint8Array): ZrError => {
  try {
    decodeRelayMessage(input)
  } catch (e) {
    expect(isZrError(e, 'MALFORMED_MESSAGE'), String(e)).toBe(true)
    return e as ZrError
  }
  throw new Error('expected MALFORMED_MESSAGE')
}

describe('relay wire codec', () => {
  it.each(samples.map((m) => [m.type, m] as const))('round-trips %s', (_, message) => {
    const encoded = encodeRelayMessage(message)
    expect(encoded[0]).toBe(relayWireVersion)
    expect(decodeRelayMessage(encoded)).toEqual(message)
  })

  it('refuses every truncation and any trailing byte, saying what was expected', () => {
    for (const message of samples) {
      const encoded = encodeRelayMessage(message)
      for (let n = 0; n < encoded.length; n++) expect(malformed(encoded.subarray(0, n)).details).toMatch(/expected/)
      const longer = new Uint8Array(encoded.length + 1)
      longer.set(encoded)
      expect(malformed(longer).details).toMatch(/trailing/)
    }
  })

  it('refuses an unknown version or type, wrong fixed sizes, bad UTF-8, oversized strings and unsafe numbers', () => {
    const welcome = encodeRelayMessage({ type: 'welcome', party: 'p' })
    expect(malformed(Uint8Array.of(2, ...welcome.subarray(1))).details).toBe('expected wire version 1, got 2')
    expect(malformed(Uint8Array.of(1, 0, 0, 0)).details).toBe('expected a message type 1..8, got 0')
    expect(malformed(Uint8Array.of(1, 9)).details).toBe('expected a message type 1..8, got 9')
    // a 31-byte challenge
    const challenge = encodeRelayMessage({ type: 'challenge', challenge: bytes(31), relay: 'r', maxFrameBytes: 1 })
    expect(malformed(challenge).details).toBe('challenge.challenge: expected 32 bytes, got 31')
    // a 32-byte public key in an auth
    const auth = encodeRelayMessage({ type: 'auth', party: 'p', publicKey: bytes(32), signature: bytes(64), challenge: bytes(32) })
    expect(malformed(auth).details).toBe('auth.publicKey: expected 33 bytes, got 32')
    // invalid UTF-8 in a party id
    expect(malformed(Uint8Array.of(1, 3, 0, 2, 0xc3, 0x28)).details).toBe('welcome.party: expected UTF-8 text')
    // a declared string length over the bound
    expect(malformed(Uint8Array.of(1, 3, 0xff, 0xff)).details).toBe('welcome.party: expected at most 512 bytes, got 65535')
    // a byte field that claims more than is there
    expect(malformed(Uint8Array.of(1, 4, 0, 1, 0x61, 0xff, 0xff, 0xff, 0xff)).details).toMatch(/^send\.bytes: expected 4294967295 more bytes, got 0$/)
    // an epoch beyond 2^53
    const announce = encodeRelayMessage(samples[6]!)
    const at = announce.length - 4 - 64 - 8
    announce.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], at)
    expect(malformed(announce).details).toMatch(/^announce\.epoch: expected a safe integer/)
    expect(malformed('nope' as never).details).toBe('expected bytes, got string')
  })

  it('refuses a presence message with a bad flag, a repeated or empty party or too many entries', () => {
    const one = encodeRelayMessage({ type: 'presence', parties: [{ party: 'p', here: true, forMs: 5 }] })
    // version, type, count (2), party (2 + 1), here at offset 7
    const flag = Uint8Array.from(one)
    flag[7] = 2
    expect(malformed(flag).details).toBe('presence.parties[0].here: expected 0 or 1, got 2')
    const twice = encodeRelayMessage({
      type: 'presence',
      parties: [
        { party: 'p', here: true, forMs: 0 },
        { party: 'p', here: false, forMs: 0 },
      ],
    })
    expect(malformed(twice).details).toBe('presence.parties[1].party: expected each party once, got p twice')
    const empty = encodeRelayMessage({ type: 'presence', parties: [{ party: '', here: true, forMs: 0 }] })
    expect(malformed(empty).details).toBe('presence.parties[0].party: expected a party id, got an empty string')
    expect(malformed(Uint8Array.of(1, 8, 0x04, 0x01)).details).toBe('presence.count: expected at most 1024 entries, got 1025')
    const unsafe = Uint8Array.from(one)
    unsafe.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 8)
    expect(malformed(unsafe).details).toMatch(/^presence\.parties\[0\]\.forMs: expected a safe integer/)
    const tooMany = Array.from({ length: 1025 }, (_, i) => ({ party: `p${i}`, here: true, forMs: 0 }))
    expect(() => encodeRelayMessage({ type: 'presence', parties: tooMany })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
  })

  it('fuzz: any presence message round-trips; any byte of one changed decodes to a message or MALFORMED_MESSAGE, nothing else', () => {
    const entry = fc.record({ party: fc.string({ minLength: 1, maxLength: 40 }), here: fc.boolean(), forMs: fc.nat() })
    const presence = fc.uniqueArray(entry, { selector: (e) => e.party, maxLength: 8 }).map((parties) => ({ type: 'presence' as const, parties }))
    fc.assert(
      fc.property(presence, fc.nat(), fc.integer({ min: 0, max: 255 }), (message, at, value) => {
        const encoded = encodeRelayMessage(message)
        expect(decodeRelayMessage(encoded)).toEqual(message)
        const changed = Uint8Array.from(encoded)
        changed[at % changed.length] = value
        try {
          decodeRelayMessage(changed)
        } catch (e) {
          expect(isZrError(e, 'MALFORMED_MESSAGE'), String(e)).toBe(true)
        }
      }),
      { numRuns: fuzzRuns() },
    )
  })

  it('refuses to encode what it could not decode (INVALID_INPUT)', () => {
    expect(() => encodeRelayMessage({ type: 'welcome', party: 'x'.repeat(513) })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    expect(() => encodeRelayMessage({ type: 'challenge', challenge: bytes(32), relay: 'r', maxFrameBytes: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
  })
})
