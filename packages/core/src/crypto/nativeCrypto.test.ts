import crypto from 'node:crypto'
import { ed25519 } from '@noble/curves/ed25519.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256, sha512 } from '@noble/hashes/sha2.js'
import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ed25519SmallOrderPoints, offCurveEd25519, offCurveSecp256k1 } from '@zrkit/testkit'
import { ed25519Verifier, nativeCryptoAvailable, verifyEd25519, verifySecp256k1Sha256 } from './nativeCrypto.js'

// The ed25519 verifier (Node's native Ed25519 where available) against noble's ed25519.verify (zip215: false),
// the reference: the same answer on honest and tampered signatures,
// and never a signature accepted that noble refuses, including under small-order keys.

const Point = ed25519.Point
const noble = (sig: Uint8Array, msg: Uint8Array, key: Uint8Array) => {
  try {
    return ed25519.verify(sig, msg, key, { zip215: false })
  } catch {
    return false
  }
}

const torsion = ed25519SmallOrderPoints // torsion[7] is the identity

describe('verifyEd25519', () => {
  it('runs natively on this Node (so the tests below exercise the native path)', () => {
    expect(nativeCryptoAvailable).toBe(true)
  })

  it('agrees with noble on valid, tampered and misattributed signatures', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 100 }), fc.nat({ max: 511 }), fc.integer({ min: 0, max: 6 }), (seed, msg, bit, t) => {
        const sk = seed
        const pk = ed25519.getPublicKey(sk)
        const sig = ed25519.sign(msg, sk)
        const flipped = sig.slice()
        flipped[bit >> 3]! ^= 1 << (bit & 7)
        const otherMsg = Uint8Array.from([...msg, 1])
        const otherKey = ed25519.getPublicKey(sha512(seed).subarray(0, 32))
        // S + L: the same scalar, not canonical.
        const sPlusL = sig.slice()
        let s = Point.Fn.fromBytes(sig.subarray(32)) + Point.Fn.ORDER
        for (let i = 32; i < 64; i++, s >>= 8n) sPlusL[i] = Number(s & 0xffn)
        // R plus a small-order point; and a key with a small-order component.
        const mixedR = sig.slice()
        mixedR.set(Point.fromBytes(sig.subarray(0, 32)).add(torsion[t]!).toBytes(), 0)
        const mixedKey = Point.fromBytes(pk).add(torsion[t]!).toBytes()
        const cases: [Uint8Array, Uint8Array, Uint8Array][] = [
          [sig, msg, pk],
          [flipped, msg, pk],
          [sig, otherMsg, pk],
          [sig, msg, otherKey],
          [sPlusL, msg, pk],
          [mixedR, msg, pk],
          [sig, msg, mixedKey],
          [mixedR, msg, mixedKey],
        ]
        for (const [sg, m, k] of cases) expect(verifyEd25519(sg, m, k)).toBe(noble(sg, m, k))
        expect(verifyEd25519(sig, msg, pk)).toBe(true)
        // one verifier per key, as a party keeps it, reused for every case under that key
        const bound = new Map([pk, otherKey, mixedKey].map((k) => [k, ed25519Verifier(k)] as const))
        for (const [sg, m, k] of cases) expect(bound.get(k)!(sg, m)).toBe(noble(sg, m, k))
      }),
      { numRuns: 60 },
    )
  })

  it('accepts nothing noble refuses under small-order keys (where native Ed25519 alone would)', () => {
    const msg = new TextEncoder().encode('weak key')
    for (const A of torsion) {
      for (const R of torsion) {
        for (const s of [0n, 1n, 8n]) {
          const sig = new Uint8Array(64)
          sig.set(R.toBytes(), 0)
          sig.set(Point.Fn.toBytes(s), 32)
          expect(verifyEd25519(sig, msg, A.toBytes())).toBe(false)
          expect(noble(sig, msg, A.toBytes())).toBe(false)
        }
      }
    }
  })

  it('refuses malformed keys and signatures', () => {
    const sk = ed25519.utils.randomSecretKey()
    const msg = Uint8Array.of(1, 2, 3)
    const sig = ed25519.sign(msg, sk)
    const pk = ed25519.getPublicKey(sk)
    // y = 1 encoded as p + 1 (non-canonical), and bytes that are no point at all.
    const yPlusP = new Uint8Array(32)
    let v = Point.Fp.ORDER + 1n
    for (let i = 0; i < 32; i++, v >>= 8n) yPlusP[i] = Number(v & 0xffn)
    const offCurve = offCurveEd25519()
    for (const key of [yPlusP, offCurve, pk.subarray(1), new Uint8Array(33)]) {
      expect(verifyEd25519(sig, msg, key)).toBe(false)
      expect(noble(sig, msg, key)).toBe(false)
    }
    expect(verifyEd25519(sig.subarray(1), msg, pk)).toBe(false)
    expect(verifyEd25519(new Uint8Array(64), msg, pk)).toBe(false)
    // The refused key stays refused; the good key still verifies afterwards (per-key cache).
    expect(verifyEd25519(sig, msg, yPlusP)).toBe(false)
    expect(verifyEd25519(sig, msg, pk)).toBe(true)
  })
})

// secp256k1 ECDSA over sha256(message), low S: noble's secp256k1.verify(sig, sha256(message), key,
// { prehash: false, lowS: true }) is the reference, on honest, tampered, high-S, out-of-range and off-curve inputs.
describe('verifySecp256k1Sha256', () => {
  const n = secp256k1.Point.Fn.ORDER
  const p = secp256k1.Point.Fp.ORDER
  const be32 = (v: bigint) => {
    const out = new Uint8Array(32)
    for (let i = 31; i >= 0; i--, v >>= 8n) out[i] = Number(v & 0xffn)
    return out
  }
  const sOf = (sig: Uint8Array) => sig.subarray(32).reduce((a, b) => (a << 8n) | BigInt(b), 0n)
  const noble = (sig: Uint8Array, msg: Uint8Array, key: Uint8Array) => {
    try {
      // account keys are 33-byte compressed points (noble alone would also take a 65-byte one)
      return sig.length === 64 && key.length === 33 && secp256k1.verify(sig, sha256(msg), key, { prehash: false, lowS: true })
    } catch {
      return false
    }
  }
  const offCurveX = offCurveSecp256k1()

  afterEach(() => vi.restoreAllMocks())

  it('agrees with noble on valid, tampered, high-S, misattributed and out-of-range signatures', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 300 }), fc.nat({ max: 511 }), (seed, msg, bit) => {
        const sk = sha256(seed)
        const pk = secp256k1.getPublicKey(sk, true)
        const sig = secp256k1.sign(sha256(msg), sk, { prehash: false })
        const flipped = sig.slice()
        flipped[bit >> 3]! ^= 1 << (bit & 7)
        const highS = Uint8Array.of(...sig.subarray(0, 32), ...be32(n - sOf(sig)))
        const rPlusN = Uint8Array.of(...be32(BigInt(`0x${Buffer.from(sig.subarray(0, 32)).toString('hex')}`) + n < 2n ** 256n ? BigInt(`0x${Buffer.from(sig.subarray(0, 32)).toString('hex')}`) + n : 0n), ...sig.subarray(32))
        const otherKey = secp256k1.getPublicKey(sha256(sk), true)
        const flippedParity = Uint8Array.of(pk[0] === 2 ? 3 : 2, ...pk.subarray(1))
        const cases: [Uint8Array, Uint8Array, Uint8Array][] = [
          [sig, msg, pk],
          [flipped, msg, pk],
          [sig, Uint8Array.of(...msg, 0), pk],
          [sig, msg, otherKey],
          [sig, msg, flippedParity],
          [highS, msg, pk],
          [rPlusN, msg, pk],
          [sig, msg, offCurveX],
        ]
        for (const [sg, m, k] of cases) expect(verifySecp256k1Sha256(sg, m, k)).toBe(noble(sg, m, k))
        expect(verifySecp256k1Sha256(sig, msg, pk)).toBe(true)
        expect(verifySecp256k1Sha256(highS, msg, pk)).toBe(false)
      }),
      { numRuns: 60 },
    )
  })

  it('refuses malformed signatures and keys without throwing', () => {
    const sk = secp256k1.utils.randomSecretKey()
    const pk = secp256k1.getPublicKey(sk, true)
    const msg = Uint8Array.of(1, 2, 3)
    const sig = secp256k1.sign(sha256(msg), sk, { prehash: false })
    const zeroR = Uint8Array.of(...new Uint8Array(32), ...sig.subarray(32))
    const zeroS = Uint8Array.of(...sig.subarray(0, 32), ...new Uint8Array(32))
    const xIsP = Uint8Array.of(2, ...be32(p))
    const uncompressed = secp256k1.getPublicKey(sk, false)
    for (const [sg, k] of [
      [zeroR, pk],
      [zeroS, pk],
      [sig.subarray(1), pk],
      [Uint8Array.of(...sig, 0), pk],
      [sig, xIsP],
      [sig, uncompressed],
      [sig, Uint8Array.of(5, ...pk.subarray(1))],
      [sig, new Uint8Array(33)],
    ] as const) {
      expect(verifySecp256k1Sha256(sg, msg, k)).toBe(false)
      expect(noble(sg, msg, k)).toBe(false)
    }
    expect(verifySecp256k1Sha256('x' as never, msg, pk)).toBe(false)
    expect(verifySecp256k1Sha256(sig, null as never, pk)).toBe(false)
    expect(verifySecp256k1Sha256(sig, msg, pk)).toBe(true)
  })

  it('reaches valid signatures through node:crypto on this Node (the fast path is the one taken)', () => {
    expect(nativeCryptoAvailable).toBe(true)
    const spy = vi.spyOn(crypto, 'verify')
    const sk = secp256k1.utils.randomSecretKey()
    const msg = new TextEncoder().encode('native')
    const sig = secp256k1.sign(sha256(msg), sk, { prehash: false })
    expect(verifySecp256k1Sha256(sig, msg, secp256k1.getPublicKey(sk, true))).toBe(true)
    expect(spy).toHaveBeenCalledTimes(1)
    expect(spy.mock.results[0]!.value).toBe(true)
  })
})

describe('ed25519Verifier on this Node', () => {
  afterEach(() => vi.restoreAllMocks())
  it('reaches valid signatures through node:crypto', () => {
    const spy = vi.spyOn(crypto, 'verify')
    const sk = ed25519.utils.randomSecretKey()
    const msg = new TextEncoder().encode('native')
    expect(ed25519Verifier(ed25519.getPublicKey(sk))(ed25519.sign(msg, sk), msg)).toBe(true)
    expect(spy).toHaveBeenCalledTimes(1)
    expect(spy.mock.results[0]!.value).toBe(true)
  })
})
