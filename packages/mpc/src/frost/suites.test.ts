import { ed25519 } from '@noble/curves/ed25519.js'
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js'
import { sha512 } from '@noble/hashes/sha2.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { frostSuite, nativeEd25519, verifyEd25519 } from './suites.js'

// The ed25519 verifier of the FROST suite (Node's native Ed25519 where available) against noble's
// ed25519.verify (zip215: false), the reference: the same answer on honest and tampered signatures,
// and never a signature accepted that noble refuses, including under small-order keys.

const Point = ed25519.Point
type Pt = InstanceType<typeof Point>
const noble = (sig: Uint8Array, msg: Uint8Array, key: Uint8Array) => {
  try {
    return ed25519.verify(sig, msg, key, { zip215: false })
  } catch {
    return false
  }
}

/** A point of order 8, from the torsion part of a decoded point. */
const T8 = (() => {
  for (let i = 0; ; i++) {
    let P: Pt
    try {
      P = Point.fromBytes(sha512(Uint8Array.of(i)).subarray(0, 32))
    } catch {
      continue
    }
    const T = P.subtract(P.clearCofactor().multiplyUnsafe(Point.Fn.inv(8n)))
    if (!T.double().double().is0()) return T
  }
})()
const torsion = Array.from({ length: 8 }, (_, k) => T8.multiplyUnsafe(BigInt(k + 1))) // torsion[7] is the identity

describe('verifyEd25519', () => {
  it('runs natively on this Node (so the tests below exercise the native path)', () => {
    expect(nativeEd25519).toBe(true)
    expect(frostSuite('eddsa-ed25519').verify).toBeTypeOf('function')
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
        const bound = new Map([pk, otherKey, mixedKey].map((k) => [k, frostSuite('eddsa-ed25519').verifier(k)] as const))
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
    const offCurve = (() => {
      for (let i = 0; ; i++) {
        const b = sha512(Uint8Array.of(0xee, i)).subarray(0, 32)
        b[31]! &= 0x7f
        try {
          Point.fromBytes(b)
        } catch {
          return b
        }
      }
    })()
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

describe('FrostSuite.verifier', () => {
  it('BIP340: a verifier bound to a key gives noble schnorr.verify’s answer for every signature it is asked about', () => {
    const suite = frostSuite('schnorr-secp256k1')
    const sk = schnorr.utils.randomSecretKey()
    const key = secp256k1.getPublicKey(sk, true)
    const verify = suite.verifier(key)
    for (let i = 0; i < 20; i++) {
      const msg = Uint8Array.of(i, 1, 2)
      const sig = schnorr.sign(msg, sk)
      const bad = sig.slice()
      bad[i % 64]! ^= 1
      expect(verify(sig, msg)).toBe(true)
      expect(verify(bad, msg)).toBe(schnorr.verify(bad, msg, key.subarray(1)))
      expect(verify(sig, Uint8Array.of(i, 1, 3))).toBe(false)
    }
  })
})
