import { secp256k1 } from '@noble/curves/secp256k1.js'
import { isZrError, publicKeyToEvmAddress, recoveredToRsv } from '@zrkit/core'
import { bytesToHex, keccak256, recoverAddress, serializeSignature, toHex } from 'viem'
import { describe, expect, it } from 'vitest'
import { toEvmSignature } from './signature.js'

describe('toEvmSignature', () => {
  it('maps r||s||recovery id to viem r, s, yParity and v, and viem recovers the signer from it', async () => {
    const parities = new Set<number>()
    for (let i = 0; i < 24; i++) {
      const secret = secp256k1.utils.randomSecretKey()
      const digest = keccak256(toHex(`message ${i}`), 'bytes')
      const rsv = recoveredToRsv(secp256k1.sign(digest, secret, { prehash: false, format: 'recovered' }))
      const sig = toEvmSignature(rsv)
      expect(sig.r).toBe(bytesToHex(rsv.subarray(0, 32)))
      expect(sig.s).toBe(bytesToHex(rsv.subarray(32, 64)))
      expect(sig.yParity).toBe(rsv[64])
      expect(sig.v).toBe(27n + BigInt(rsv[64]!))
      parities.add(sig.yParity)
      const address = publicKeyToEvmAddress(secp256k1.getPublicKey(secret, true))
      expect(await recoverAddress({ hash: bytesToHex(digest), signature: serializeSignature(sig) })).toBe(address)
    }
    // both recovery ids occurred (the chance that 24 signatures share one is 2^-23)
    expect(parities.size).toBe(2)
  })

  it('refuses what is not a 65-byte signature with recovery id 0 or 1', () => {
    const high = new Uint8Array(65)
    high[64] = 27
    for (const [bad, why] of [
      [new Uint8Array(64), 'expected 65 bytes r||s||v, got 64 bytes'],
      [high, 'expected recovery id 0 or 1 in the last byte, got 27'],
      ['0x00' as unknown as Uint8Array, 'expected 65 bytes r||s||v, got string'],
    ] as const) {
      let error: unknown
      try {
        toEvmSignature(bad)
      } catch (e) {
        error = e
      }
      expect(isZrError(error, 'INVALID_RESULT')).toBe(true)
      expect((error as { details: string }).details).toBe(why)
    }
  })
})
