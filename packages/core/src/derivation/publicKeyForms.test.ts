import { ed25519 } from '@noble/curves/ed25519.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { HDKey } from '@scure/bip32'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { offCurveSecp256k1 } from '@zrkit/testkit'
import {
  type KeyType,
  chainCodeOf,
  deriveAddress,
  deriveKey,
  extendedPublicKey,
  isZrError,
  p2trAddress,
  publicKeyToAddress,
  publicKeyToEvmAddress,
  signingKey,
  toHex,
  xOnly,
} from '@zrkit/core'

/**
 * Public keys at the boundary of the derivation and address helpers. noble is the oracle of what a
 * point is: bytes noble does not decode are refused with INVALID_PUBLIC_KEY (never noble's own error,
 * a TypeError, or a result computed from bytes that are not a key), and the two SEC1 forms of one
 * secp256k1 key (33 bytes compressed, 65 bytes uncompressed) give the same chain code, xpub, children
 * and addresses everywhere.
 */

const P = secp256k1.Point.CURVE().p
const be32 = (n: bigint) => Uint8Array.from(n.toString(16).padStart(64, '0').match(/../g)!.map((h) => parseInt(h, 16)))
const cat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]))
const G = secp256k1.Point.BASE
const secpKeyTypes = ['ecdsa-secp256k1', 'bitcoin-secp256k1', 'schnorr-secp256k1'] as const satisfies readonly KeyType[]

/** True when noble decodes the bytes as a secp256k1 point. */
function nobleAccepts(bytes: Uint8Array): boolean {
  try {
    secp256k1.Point.fromBytes(bytes).assertValidity()
    return true
  } catch {
    return false
  }
}

/** An x below p with no point on the curve (x^3 + 7 not a square). */
const offCurveX = (): Uint8Array => offCurveSecp256k1().subarray(1)

/** Byte strings that are not secp256k1 public keys, each with what it is. */
const notKeys: readonly (readonly [string, Uint8Array])[] = [
  ['x not on the curve', cat(Uint8Array.of(2), offCurveX())],
  ['33 zero bytes', new Uint8Array(33)],
  ['prefix 00 on a valid x', cat(Uint8Array.of(0), G.toBytes(true).subarray(1))],
  ['prefix 04 on 33 bytes', cat(Uint8Array.of(4), G.toBytes(true).subarray(1))],
  ['prefix 05', cat(Uint8Array.of(5), G.toBytes(true).subarray(1))],
  ['x = p', cat(Uint8Array.of(2), be32(P))],
  ['x = p + 1', cat(Uint8Array.of(2), be32(P + 1n))],
  ['x = 2^256 - 1', cat(Uint8Array.of(3), new Uint8Array(32).fill(0xff))],
  ['65 bytes, y wrong', cat(G.toBytes(false).subarray(0, 64), Uint8Array.of(G.toBytes(false)[64]! ^ 1))],
  ['65 zero bytes', new Uint8Array(65)],
  ['hybrid prefix 06', cat(Uint8Array.of(6), G.toBytes(false).subarray(1))],
  ['31 bytes', G.toBytes(true).subarray(0, 31)],
  ['32 bytes', G.toBytes(true).subarray(1)],
  ['34 bytes', cat(G.toBytes(true), Uint8Array.of(0))],
  ['64 bytes', G.toBytes(false).subarray(1)],
]

/** Runs `fn` and returns the ZrError code it threw, or fails on anything else. */
function codeOf(fn: () => unknown): string {
  try {
    fn()
  } catch (e) {
    if (!isZrError(e)) throw new Error(`expected a ZrError, got ${String(e)}`, { cause: e })
    expect(typeof e.details === 'string' && e.details.length > 0).toBe(true)
    return e.code
  }
  throw new Error('expected a throw, but it returned')
}

describe('bytes that are not a secp256k1 point are refused with INVALID_PUBLIC_KEY', () => {
  it.each(notKeys)('%s', (_what, bytes) => {
    expect(nobleAccepts(bytes)).toBe(false)
    for (const keyType of secpKeyTypes) {
      expect(codeOf(() => extendedPublicKey(keyType, bytes))).toBe('INVALID_PUBLIC_KEY')
      expect(codeOf(() => deriveKey(keyType, bytes, 'm/0/1'))).toBe('INVALID_PUBLIC_KEY')
      expect(codeOf(() => deriveKey(keyType, bytes, []))).toBe('INVALID_PUBLIC_KEY')
      expect(codeOf(() => signingKey(keyType, bytes, { path: [3] }))).toBe('INVALID_PUBLIC_KEY')
      expect(codeOf(() => signingKey(keyType, bytes))).toBe('INVALID_PUBLIC_KEY')
    }
    expect(codeOf(() => signingKey('schnorr-secp256k1', bytes, { taproot: {} }))).toBe('INVALID_PUBLIC_KEY')
    expect(codeOf(() => chainCodeOf(bytes))).toBe('INVALID_PUBLIC_KEY')
    expect(codeOf(() => xOnly(bytes))).toBe('INVALID_PUBLIC_KEY')
    expect(codeOf(() => publicKeyToAddress(bytes))).toBe('INVALID_PUBLIC_KEY')
  })

  it('agrees with noble on random 33- and 65-byte strings (prefixes 02, 03, 04 and others)', () => {
    const prefix = fc.constantFrom(0, 1, 2, 3, 4, 5, 6, 7, 0xff)
    fc.assert(
      fc.property(prefix, fc.boolean(), fc.uint8Array({ minLength: 64, maxLength: 64 }), (first, long, rest) => {
        const bytes = cat(Uint8Array.of(first), long ? rest : rest.subarray(0, 32))
        const valid = nobleAccepts(bytes)
        const outcomes = [() => extendedPublicKey('ecdsa-secp256k1', bytes), () => chainCodeOf(bytes), () => deriveKey('ecdsa-secp256k1', bytes, [0]), () => xOnly(bytes)]
        for (const run of outcomes) {
          if (valid) run()
          else expect(codeOf(run)).toBe('INVALID_PUBLIC_KEY')
        }
      }),
      { numRuns: 300 },
    )
  })

  it('ed25519 keys: wrong lengths and encodings noble refuses are INVALID_PUBLIC_KEY', () => {
    const notEd = [new Uint8Array(31), new Uint8Array(33), new Uint8Array(32).fill(0xff), G.toBytes(true)]
    for (const bytes of notEd) {
      expect(codeOf(() => deriveKey('eddsa-ed25519', bytes, 'label'))).toBe('INVALID_PUBLIC_KEY')
      expect(codeOf(() => signingKey('eddsa-ed25519', bytes))).toBe('INVALID_PUBLIC_KEY')
      expect(codeOf(() => signingKey('eddsa-ed25519', bytes, { path: [1] }))).toBe('INVALID_PUBLIC_KEY')
    }
  })

  it('values that are not bytes: typed errors saying what arrived, never a TypeError', () => {
    for (const v of [undefined, null, 7, Number.NaN, '02' + '11'.repeat(32), [2, 3], {}, 1n]) {
      for (const run of [
        () => deriveKey('ecdsa-secp256k1', v as Uint8Array, [0]),
        () => deriveKey('eddsa-ed25519', v as Uint8Array, [0]),
        () => signingKey('schnorr-secp256k1', v as Uint8Array, { taproot: {} }),
        () => extendedPublicKey('ecdsa-secp256k1', v as Uint8Array),
        () => chainCodeOf(v as Uint8Array),
        () => xOnly(v as Uint8Array),
        () => publicKeyToAddress(v as Uint8Array),
        () => publicKeyToEvmAddress(v as Uint8Array),
      ]) {
        expect(codeOf(run)).toBe('INVALID_PUBLIC_KEY')
      }
      expect(codeOf(() => deriveAddress({ keyType: 'ecdsa-secp256k1', publicKey: v as Uint8Array }, { type: 'evm' }))).toBe('INVALID_PUBLIC_KEY')
    }
    // the message names what was expected and what arrived
    try {
      deriveKey('ecdsa-secp256k1', null as unknown as Uint8Array, [0])
    } catch (e) {
      expect((e as { details: string }).details).toBe('expected a 33-byte compressed or 65-byte uncompressed secp256k1 point, got null')
    }
    try {
      xOnly(new Uint8Array(31))
    } catch (e) {
      expect((e as { details: string }).details).toContain('got 31 bytes')
    }
  })

  it('bad key types, paths and options are typed too', () => {
    const key = G.toBytes(true)
    expect(codeOf(() => deriveKey('rsa' as KeyType, key, [0]))).toBe('UNSUPPORTED_KEY_TYPE')
    expect(codeOf(() => deriveKey(undefined as unknown as KeyType, key, [0]))).toBe('UNSUPPORTED_KEY_TYPE')
    expect(codeOf(() => extendedPublicKey('ecdsa-secp256k1', key, { network: 'regtest' as 'mainnet' }))).toBe('INVALID_INPUT')
    expect(codeOf(() => extendedPublicKey('ecdsa-secp256k1', key, null as never))).toBe('INVALID_INPUT')
    expect(codeOf(() => signingKey('schnorr-secp256k1', key, { taproot: 1 as never }))).toBe('INVALID_INPUT')
    expect(codeOf(() => signingKey('schnorr-secp256k1', key, null as never))).toBe('INVALID_INPUT')
    for (const path of [null, undefined, 5, {}, [null], [Number.NaN]]) expect(codeOf(() => deriveKey('ecdsa-secp256k1', key, path as never))).toBe('INVALID_DERIVATION_PATH')
  })
})

describe('one key, two SEC1 forms: the same chain code, xpub, children and addresses', () => {
  const secret = fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((b) => secp256k1.utils.isValidSecretKey(b))
  const path = fc.array(fc.oneof(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.string({ minLength: 1, maxLength: 8 })), { maxLength: 4 })

  it('chainCodeOf, extendedPublicKey, deriveKey, signingKey and xOnly agree on both forms', () => {
    fc.assert(
      fc.property(secret, path, fc.constantFrom(...secpKeyTypes), (sk, p, keyType) => {
        const short = secp256k1.getPublicKey(sk, true)
        const long = secp256k1.getPublicKey(sk, false)
        expect(toHex(chainCodeOf(long))).toBe(toHex(chainCodeOf(short)))
        expect(extendedPublicKey(keyType, long)).toBe(extendedPublicKey(keyType, short))
        expect(extendedPublicKey(keyType, long, { network: 'testnet' })).toBe(extendedPublicKey(keyType, short, { network: 'testnet' }))
        const [a, b] = [deriveKey(keyType, long, p), deriveKey(keyType, short, p)]
        expect(toHex(a.publicKey)).toBe(toHex(b.publicKey))
        expect(a.tweak).toBe(b.tweak)
        expect(toHex(signingKey(keyType, long).publicKey)).toBe(toHex(short))
        expect(toHex(xOnly(long))).toBe(toHex(xOnly(short)))
        expect(toHex(xOnly(short))).toBe(toHex(short.subarray(1)))
        if (keyType === 'schnorr-secp256k1') {
          const [t1, t2] = [signingKey(keyType, long, { path: p, taproot: {} }), signingKey(keyType, short, { path: p, taproot: {} })]
          expect(toHex(t1.publicKey)).toBe(toHex(t2.publicKey))
          expect([t1.negate, t1.tweak]).toEqual([t2.negate, t2.tweak])
          expect(p2trAddress(long)).toBe(p2trAddress(short))
        } else {
          expect(publicKeyToAddress(long)).toBe(publicKeyToAddress(short))
          expect(deriveAddress({ keyType, publicKey: long }, { type: 'bitcoin' })).toBe(deriveAddress({ keyType, publicKey: short }, { type: 'bitcoin' }))
        }
      }),
      { numRuns: 60 },
    )
  })

  it('the xpub of the 65-byte form holds the compressed key, and a BIP32 library derives deriveKey\'s children from it', () => {
    const sk = new Uint8Array(32).fill(7)
    const long = secp256k1.getPublicKey(sk, false)
    const hd = HDKey.fromExtendedKey(extendedPublicKey('ecdsa-secp256k1', long))
    expect(toHex(hd.publicKey!)).toBe(toHex(secp256k1.getPublicKey(sk, true)))
    expect(toHex(hd.chainCode!)).toBe(toHex(chainCodeOf(long)))
    expect(toHex(hd.derive('m/0/9').publicKey!)).toBe(toHex(deriveKey('ecdsa-secp256k1', long, 'm/0/9').publicKey))
  })

  it('a taproot signing key from the uncompressed form negates as the compressed form does', () => {
    // an internal key with odd y: BIP340 lifts it to even y, so the secret must be negated
    let sk = 1n
    while (secp256k1.Point.BASE.multiply(sk).toBytes(true)[0] !== 0x03) sk++
    const point = secp256k1.Point.BASE.multiply(sk)
    const fromLong = signingKey('schnorr-secp256k1', point.toBytes(false), { taproot: {} })
    expect(fromLong.negate).toBe(true)
    expect(toHex(fromLong.publicKey)).toBe(toHex(signingKey('schnorr-secp256k1', point.toBytes(true), { taproot: {} }).publicKey))
  })
})

describe('ed25519 derivation is unchanged', () => {
  it('derives from a valid key as before', () => {
    const pk = ed25519.getPublicKey(new Uint8Array(32).fill(3))
    expect(deriveKey('eddsa-ed25519', pk, []).publicKey).toEqual(pk)
    expect(deriveKey('eddsa-ed25519', pk, [1]).publicKey).toHaveLength(32)
  })
})
