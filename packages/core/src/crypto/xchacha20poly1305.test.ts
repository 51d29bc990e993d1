import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { randomBytes } from '@noble/hashes/utils.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isZrError } from '../errors/ZrError.js'
import { nodeCrypto } from './nativeCrypto.js'
import { xchachaOpen, xchachaSeal } from './xchacha20poly1305.js'

// The native-backed XChaCha20-Poly1305 against noble's xchacha20poly1305, the reference: the same bytes out for
// every key, nonce, associated data and length, each opening the other's, and nothing that was altered opens.

const bytes = (maxLength: number) => fc.uint8Array({ maxLength, size: 'max' })
const exact = (length: number) => fc.uint8Array({ minLength: length, maxLength: length })

describe('xchachaSeal / xchachaOpen', () => {
  it("runs on Node's native ChaCha20-Poly1305 here (so the tests below hold the native path to noble)", () => {
    expect(typeof nodeCrypto?.createCipheriv).toBe('function')
  })

  it("seals to noble's bytes and opens noble's output, for any lengths", () => {
    fc.assert(
      fc.property(exact(32), exact(24), bytes(80), bytes(3000), (key, nonce, aad, plain) => {
        const sealed = xchachaSeal(key, nonce, aad, plain)
        expect(sealed).toEqual(xchacha20poly1305(key, nonce, aad).encrypt(plain))
        expect(xchachaOpen(key, nonce, aad, sealed)).toEqual(plain)
        expect(xchacha20poly1305(key, nonce, aad).decrypt(sealed)).toEqual(plain)
      }),
      { numRuns: 200 },
    )
    // frames of tens of kilobytes (the OT messages), and the empty message
    for (const size of [0, 1, 63, 64, 65, 45_000, 100_003]) {
      const [key, nonce, aad, plain] = [randomBytes(32), randomBytes(24), randomBytes(40), new Uint8Array(size).map((_, i) => (i * 31 + size) & 0xff)]
      expect(xchachaSeal(key, nonce, aad, plain)).toEqual(xchacha20poly1305(key, nonce, aad).encrypt(plain))
    }
  })

  it('opens nothing that was altered: any bit of the ciphertext or tag, the associated data, the nonce or the key', () => {
    fc.assert(
      fc.property(exact(32), exact(24), bytes(40), bytes(500), fc.nat(), (key, nonce, aad, plain, pick) => {
        const sealed = xchachaSeal(key, nonce, aad, plain)
        const flip = (b: Uint8Array, bit: number) => {
          const c = Uint8Array.from(b)
          c[(bit >> 3) % c.length]! ^= 1 << (bit & 7)
          return c
        }
        expect(xchachaOpen(key, nonce, aad, flip(sealed, pick))).toBeUndefined()
        expect(xchachaOpen(flip(key, pick), nonce, aad, sealed)).toBeUndefined()
        expect(xchachaOpen(key, flip(nonce, pick), aad, sealed)).toBeUndefined()
        if (aad.length) expect(xchachaOpen(key, nonce, flip(aad, pick), sealed)).toBeUndefined()
        expect(xchachaOpen(key, nonce, aad, sealed.subarray(0, sealed.length - 1))).toBeUndefined()
        expect(xchachaOpen(key, nonce, aad, sealed.subarray(0, Math.min(15, sealed.length)))).toBeUndefined()
      }),
      { numRuns: 100 },
    )
  })

  it('refuses arguments of the wrong kind with INVALID_INPUT saying what was expected', () => {
    const [key, nonce, aad, plain] = [randomBytes(32), randomBytes(24), randomBytes(4), randomBytes(10)]
    const cases: [unknown, unknown, unknown, unknown, RegExp][] = [
      [randomBytes(31), nonce, aad, plain, /key.*expected 32 bytes/s],
      [key, randomBytes(12), aad, plain, /nonce.*expected 24 bytes/s],
      [key, nonce, 'aad', plain, /associated data.*expected bytes/s],
      [key, nonce, aad, null, /message.*expected bytes/s],
    ]
    for (const [k, n, a, p, why] of cases) {
      for (const fn of [xchachaSeal, xchachaOpen]) {
        let caught: unknown
        try {
          fn(k as Uint8Array, n as Uint8Array, a as Uint8Array, p as Uint8Array)
        } catch (e) {
          caught = e
        }
        expect(isZrError(caught, 'INVALID_INPUT'), String(caught)).toBe(true)
        expect(`${(caught as Error).message}`).toMatch(why)
      }
    }
  })
})
