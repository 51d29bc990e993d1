import { ed25519 } from '@noble/curves/ed25519.js'
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js'
import { describe, expect, it } from 'vitest'
import { frostSuite, nativeEd25519 } from './suites.js'

// The Ed25519 check itself (native where available, noble's answer always) is tested against noble in
// @zrkit/core (crypto/nativeCrypto.test.ts); here, that the suites use it.

describe('FrostSuite.verifier', () => {
  it('Ed25519: the suite checks final signatures natively on this Node, with noble’s answer', () => {
    expect(nativeEd25519).toBe(true)
    const suite = frostSuite('eddsa-ed25519')
    const sk = ed25519.utils.randomSecretKey()
    const key = ed25519.getPublicKey(sk)
    const verify = suite.verifier(key)
    for (let i = 0; i < 20; i++) {
      const msg = Uint8Array.of(i, 7)
      const sig = ed25519.sign(msg, sk)
      const bad = sig.slice()
      bad[(i * 3) % 64]! ^= 1
      expect(verify(sig, msg)).toBe(true)
      expect(suite.verify(sig, msg, key)).toBe(true)
      expect(verify(bad, msg)).toBe(false)
      expect(suite.verify(bad, msg, key)).toBe(false)
    }
  })

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
