import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { signatureProblem } from './schemes.js'

// ECDSA results are judged by public-key recovery alone (the key recovered with the given id must be the key);
// the reference here is the plain rule: noble's verify (low S) AND recovery with that id gives the key.
describe('signatureProblem (ecdsa-secp256k1)', () => {
  const reference = (key: Uint8Array, digest: Uint8Array, sig: Uint8Array): boolean => {
    try {
      if (sig[64]! > 1) return false
      const compact = sig.subarray(0, 64)
      if (!secp256k1.verify(compact, digest, key, { prehash: false, lowS: true })) return false
      const rec = secp256k1.Signature.fromBytes(compact, 'compact').addRecoveryBit(sig[64]!).recoverPublicKey(digest).toBytes(true)
      return rec.every((b, i) => b === key[i])
    } catch {
      return false
    }
  }
  const n = secp256k1.Point.Fn.ORDER

  it('accepts exactly what verification plus recovery accepts: valid, wrong id, high S, flipped bits, other key', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.nat({ max: 519 }), (seed, digest, bit) => {
        const sk = sha256(seed)
        const key = secp256k1.getPublicKey(sk, true)
        const sig = secp256k1.sign(digest, sk, { prehash: false, format: 'recovered' })
        // noble's recovered format is v || r || s; the ledger's is r || s || v
        const ours = Uint8Array.of(...sig.subarray(1), sig[0]!)
        const wrongId = Uint8Array.of(...ours.subarray(0, 64), ours[64]! ^ 1)
        const flipped = ours.slice()
        flipped[bit >> 3]! ^= 1 << (bit & 7)
        const s = ours.subarray(32, 64).reduce((a, b) => (a << 8n) | BigInt(b), 0n)
        const highS = ours.slice()
        let hs = n - s
        for (let i = 63; i >= 32; i--, hs >>= 8n) highS[i] = Number(hs & 0xffn)
        highS[64] = ours[64]! ^ 1
        const otherKey = secp256k1.getPublicKey(sha256(sk), true)
        expect(signatureProblem('ecdsa-secp256k1', key, digest, ours)).toBeUndefined()
        expect(signatureProblem('ecdsa-secp256k1', key, digest, wrongId)).toBe('recovery id does not recover the key')
        expect(signatureProblem('ecdsa-secp256k1', key, digest, highS)).toBe('does not verify under the key (or S is high)')
        for (const [k, sg] of [
          [key, flipped],
          [otherKey, ours],
          [key, highS],
        ] as const) {
          expect(signatureProblem('ecdsa-secp256k1', k, digest, sg) === undefined).toBe(reference(k, digest, sg))
        }
      }),
      { numRuns: 80 },
    )
  })
})
