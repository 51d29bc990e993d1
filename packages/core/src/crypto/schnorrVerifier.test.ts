import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js'
import { hexToBytes } from '@noble/hashes/utils.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { schnorrVerifier, verifySchnorr } from './schnorrVerifier.js'

// The BIP340 verifiers against the BIP's own test vectors and against noble's schnorr.verify, the reference:
// the same answer on honest, tampered and malformed input, both before a key's table exists (noble's own
// check) and after (this module's walk over noble's tables).

const noble = (sig: Uint8Array, msg: Uint8Array, key: Uint8Array) => {
  try {
    return schnorr.verify(sig, msg, key)
  } catch {
    return false
  }
}

/** bip-0340/test-vectors.csv (bitcoin/bips), cases 0-14: index, public key, message, signature, verification result. */
const vectors: [number, string, string, string, boolean][] = [
  [0, 'F9308A019258C31049344F85F89D5229B531C845836F99B08601F113BCE036F9', '0000000000000000000000000000000000000000000000000000000000000000', 'E907831F80848D1069A5371B402410364BDF1C5F8307B0084C55F1CE2DCA821525F66A4A85EA8B71E482A74F382D2CE5EBEEE8FDB2172F477DF4900D310536C0', true],
  [1, 'DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659', '243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89', '6896BD60EEAE296DB48A229FF71DFE071BDE413E6D43F917DC8DCF8C78DE33418906D11AC976ABCCB20B091292BFF4EA897EFCB639EA871CFA95F6DE339E4B0A', true],
  [2, 'DD308AFEC5777E13121FA72B9CC1B7CC0139715309B086C960E18FD969774EB8', '7E2D58D8B3BCDF1ABADEC7829054F90DDA9805AAB56C77333024B9D0A508B75C', '5831AAEED7B44BB74E5EAB94BA9D4294C49BCF2A60728D8B4C200F50DD313C1BAB745879A5AD954A72C45A91C3A51D3C7ADEA98D82F8481E0E1E03674A6F3FB7', true],
  [3, '25D1DFF95105F5253C4022F628A996AD3A0D95FBF21D468A1B33F8C160D8F517', 'FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF', '7EB0509757E246F19449885651611CB965ECC1A187DD51B64FDA1EDC9637D5EC97582B9CB13DB3933705B32BA982AF5AF25FD78881EBB32771FC5922EFC66EA3', true],
  [4, 'D69C3509BB99E412E68B0FE8544E72837DFA30746D8BE2AA65975F29D22DC7B9', '4DF3C3F68FCC83B27E9D42C90431A72499F17875C81A599B566C9889B9696703', '00000000000000000000003B78CE563F89A0ED9414F5AA28AD0D96D6795F9C6376AFB1548AF603B3EB45C9F8207DEE1060CB71C04E80F593060B07D28308D7F4', true],
  [5, 'EEFDEA4CDB677750A420FEE807EACF21EB9898AE79B9768766E4FAA04A2D4A34', '243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89', '6CFF5C3BA86C69EA4B7376F31A9BCB4F74C1976089B2D9963DA2E5543E17776969E89B4C5564D00349106B8497785DD7D1D713A8AE82B32FA79D5F7FC407D39B', false],
  [6, 'DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659', '243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89', 'FFF97BD5755EEEA420453A14355235D382F6472F8568A18B2F057A14602975563CC27944640AC607CD107AE10923D9EF7A73C643E166BE5EBEAFA34B1AC553E2', false],
  [7, 'DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659', '243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89', '1FA62E331EDBC21C394792D2AB1100A7B432B013DF3F6FF4F99FCB33E0E1515F28890B3EDB6E7189B630448B515CE4F8622A954CFE545735AAEA5134FCCDB2BD', false],
  [8, 'DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659', '243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89', '6CFF5C3BA86C69EA4B7376F31A9BCB4F74C1976089B2D9963DA2E5543E177769961764B3AA9B2FFCB6EF947B6887A226E8D7C93E00C5ED0C1834FF0D0C2E6DA6', false],
  [9, 'DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659', '243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89', '0000000000000000000000000000000000000000000000000000000000000000123DDA8328AF9C23A94C1FEECFD123BA4FB73476F0D594DCB65C6425BD186051', false],
  [10, 'DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659', '243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89', '00000000000000000000000000000000000000000000000000000000000000017615FBAF5AE28864013C099742DEADB4DBA87F11AC6754F93780D5A1837CF197', false],
  [11, 'DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659', '243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89', '4A298DACAE57395A15D0795DDBFD1DCB564DA82B0F269BC70A74F8220429BA1D69E89B4C5564D00349106B8497785DD7D1D713A8AE82B32FA79D5F7FC407D39B', false],
  [12, 'DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659', '243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89', 'FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F69E89B4C5564D00349106B8497785DD7D1D713A8AE82B32FA79D5F7FC407D39B', false],
  [13, 'DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659', '243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89', '6CFF5C3BA86C69EA4B7376F31A9BCB4F74C1976089B2D9963DA2E5543E177769FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141', false],
  [14, 'FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC30', '243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89', '6CFF5C3BA86C69EA4B7376F31A9BCB4F74C1976089B2D9963DA2E5543E17776969E89B4C5564D00349106B8497785DD7D1D713A8AE82B32FA79D5F7FC407D39B', false],
]

/** A verifier for `key` that has already made enough checks to have built its table. */
const warmVerifier = (key: Uint8Array) => {
  const check = schnorrVerifier(key)
  const junk = new Uint8Array(64).fill(1)
  for (let i = 0; i <= 8; i++) check(junk, new Uint8Array(0))
  return check
}

describe('schnorrVerifier', () => {
  it.each(vectors)('BIP340 vector %i: the same result before and after the key has a table', (_i, key, msg, sig, valid) => {
    const [k, m, s] = [hexToBytes(key), hexToBytes(msg), hexToBytes(sig)]
    expect(schnorrVerifier(k)(s, m)).toBe(valid)
    const warm = warmVerifier(k)
    expect(warm(s, m)).toBe(valid)
    expect(warm.hasTable).toBe(key !== vectors[5]![1] && key !== vectors[14]![1])
    expect(noble(s, m, k)).toBe(valid)
  })

  it('builds a key table after eight checks and answers from it from then on', () => {
    const sk = schnorr.utils.randomSecretKey()
    const check = schnorrVerifier(schnorr.getPublicKey(sk))
    const msg = new Uint8Array(32)
    const sig = schnorr.sign(msg, sk)
    for (let i = 0; i < 8; i++) {
      expect(check(sig, msg)).toBe(true)
      expect(check.hasTable).toBe(false)
    }
    expect(check(sig, msg)).toBe(true)
    expect(check.hasTable).toBe(true)
    const wrong = Uint8Array.from(msg)
    wrong[0] = 1
    expect(check(sig, wrong)).toBe(false)
    expect(check(sig, msg)).toBe(true)
    // a key that is not an x coordinate never gets one
    const bad = schnorrVerifier(hexToBytes('EEFDEA4CDB677750A420FEE807EACF21EB9898AE79B9768766E4FAA04A2D4A34'))
    for (let i = 0; i < 10; i++) expect(bad(sig, msg)).toBe(false)
    expect(bad.hasTable).toBe(false)
  })

  it('agrees with noble on honest, tampered and random signatures, any message length', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((b) => b.some((x) => x !== 0)),
        fc.uint8Array({ maxLength: 200, size: 'max' }),
        fc.nat({ max: 64 * 8 - 1 }),
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        (seed, msg, bit, random) => {
          const sk = secp256k1.Point.Fn.toBytes(secp256k1.Point.Fn.create(BigInt(`0x${Buffer.from(seed).toString('hex')}`)) || 1n)
          const key = schnorr.getPublicKey(sk)
          const sig = schnorr.sign(msg, sk)
          const tampered = Uint8Array.from(sig)
          tampered[bit >> 3]! ^= 1 << (bit & 7)
          const check = warmVerifier(key)
          expect(check.hasTable).toBe(true)
          expect(check(sig, msg)).toBe(true)
          expect(check(tampered, msg)).toBe(noble(tampered, msg, key))
          expect(check(random, msg)).toBe(noble(random, msg, key))
          expect(verifySchnorr(sig, msg, key)).toBe(true)
          expect(verifySchnorr(tampered, msg, key)).toBe(false)
        },
      ),
      { numRuns: 60, endOnFailure: true },
    )
  })

  it('checks messages of any length (BIP340 signs byte strings, not only 32-byte digests)', () => {
    const sk = schnorr.utils.randomSecretKey()
    const check = warmVerifier(schnorr.getPublicKey(sk))
    for (const length of [0, 1, 17, 31, 32, 33, 64, 100, 1000]) {
      const msg = new Uint8Array(length).map((_, i) => (i * 7 + length) & 0xff)
      const sig = schnorr.sign(msg, sk)
      expect(check(sig, msg)).toBe(true)
      if (length > 0) expect(check(sig, msg.subarray(0, length - 1))).toBe(false)
    }
  })

  it('refuses r = 0, r >= p, s = 0 and s >= n as noble does, from the table too', () => {
    const sk = schnorr.utils.randomSecretKey()
    const key = schnorr.getPublicKey(sk)
    const msg = new Uint8Array(32)
    const sig = schnorr.sign(msg, sk)
    const check = warmVerifier(key)
    const with_ = (r: bigint | undefined, s: bigint | undefined) => {
      const out = Uint8Array.from(sig)
      if (r !== undefined) out.set(hexToBytes(r.toString(16).padStart(64, '0')), 0)
      if (s !== undefined) out.set(hexToBytes(s.toString(16).padStart(64, '0')), 32)
      return out
    }
    const { Fp, Fn } = secp256k1.Point
    const s = BigInt(`0x${Buffer.from(sig.subarray(32)).toString('hex')}`)
    for (const bad of [with_(0n, undefined), with_(Fp.ORDER, undefined), with_(undefined, 0n), with_(undefined, Fn.ORDER), with_(undefined, s + Fn.ORDER < 2n ** 256n ? s + Fn.ORDER : Fn.ORDER)]) {
      expect(check(bad, msg)).toBe(false)
      expect(noble(bad, msg, key)).toBe(false)
    }
  })

  it('answers false, never throws, for malformed arguments and keys that are not x coordinates', () => {
    const sk = schnorr.utils.randomSecretKey()
    const key = schnorr.getPublicKey(sk)
    const msg = new Uint8Array(32)
    const sig = schnorr.sign(msg, sk)
    const check = warmVerifier(key)
    for (const [s, m] of [
      [sig.subarray(0, 63), msg],
      [new Uint8Array(65), msg],
      ['00'.repeat(64), msg],
      [sig, 'message'],
      [undefined, undefined],
    ] as [Uint8Array, Uint8Array][]) {
      expect(check(s, m)).toBe(false)
      expect(verifySchnorr(s, m, key)).toBe(false)
    }
    // vector 5's key is not on the curve, vector 14's exceeds the field
    for (const bad of ['EEFDEA4CDB677750A420FEE807EACF21EB9898AE79B9768766E4FAA04A2D4A34', 'FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC30']) {
      expect(warmVerifier(hexToBytes(bad))(sig, msg)).toBe(false)
    }
    for (const key_ of [key.subarray(0, 31), new Uint8Array(33), 'key', null] as Uint8Array[]) {
      expect(schnorrVerifier(key_)(sig, msg)).toBe(false)
      expect(verifySchnorr(sig, msg, key_)).toBe(false)
    }
  })

  it('keeps its answers when it checks more keys than it keeps verifiers for', () => {
    const keys = Array.from({ length: 20 }, () => schnorr.utils.randomSecretKey())
    const msg = new Uint8Array(32)
    for (let round = 0; round < 12; round++) {
      for (const sk of keys) {
        msg[0] = round
        const sig = schnorr.sign(msg, sk)
        expect(verifySchnorr(sig, msg, schnorr.getPublicKey(sk))).toBe(true)
        expect(verifySchnorr(sig, msg, schnorr.getPublicKey(keys[(keys.indexOf(sk) + 1) % keys.length]!))).toBe(false)
      }
    }
  })
})
