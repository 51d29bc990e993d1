import { ed25519 } from '@noble/curves/ed25519.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256, sha512 } from '@noble/hashes/sha2.js'
import { HDKey } from '@scure/bip32'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type DerivationPath,
  type DerivationSegment,
  type KeyType,
  chainCodeOf,
  deriveKey,
  extendedPublicKey,
  formatDerivationPath,
  isZrError,
  parseDerivationPath,
  signWithSecret,
  toHex,
} from '@zrkit/core'
import { tweakSecret } from '@zrkit/core/internal'
import { nobleVerifies } from '@zrkit/testkit'

// ---------------------------------------------------------------------------------------------------
// helpers

const utf8 = (s: string) => new TextEncoder().encode(s)
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const secpKeyTypes = ['ecdsa-secp256k1', 'bitcoin-secp256k1', 'schnorr-secp256k1'] as const satisfies readonly KeyType[]

/** Group orders, for the tweak law and the low-S check. */
const N = secp256k1.Point.CURVE().n
const L = ed25519.Point.CURVE().n
const HARDENED = 2 ** 31

/** The error `fn` throws (fails the test if it returns). */
function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (e) {
    return e
  }
  throw new Error('expected a throw, but it returned')
}

/** Checks `fn` throws a ZrError of `code` whose details contain every fragment. */
function expectZrError(fn: () => unknown, code: string, ...fragments: string[]): void {
  const e = thrown(fn)
  expect(isZrError(e), `expected a ZrError, got ${String(e)}`).toBe(true)
  if (!isZrError(e)) return
  expect(e.code).toBe(code)
  expect(typeof e.details).toBe('string')
  for (const f of fragments) expect(e.details).toContain(f)
}

// ---------------------------------------------------------------------------------------------------
// An independent implementation of zrkit's derivation, written from the spec in deriveKey's doc
// comment alone (not from its code): plain byte helpers, HMAC/SHA from @noble/hashes, points from
// @noble/curves.

function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}
const beInt = (b: Uint8Array): bigint => BigInt(`0x${hex(b) || '0'}`)
const leInt = (b: Uint8Array): bigint => beInt(Uint8Array.from(b).reverse())
const ser32 = (i: number) => Uint8Array.of(i >>> 24, (i >>> 16) & 0xff, (i >>> 8) & 0xff, i & 0xff)

/** secp256k1: HMAC-SHA512 chain over K || ser32(i) (BIP32 CKDpub) or "label tag" || K || L. */
function specSecp(K0: Uint8Array, segments: readonly DerivationSegment[]): { publicKey: Uint8Array; tweak: bigint } {
  let P = secp256k1.Point.fromBytes(K0)
  let K = P.toBytes(true)
  let c = sha256(cat(utf8('zrkit/derive/v1/chain-code'), K))
  let total = 0n
  for (const s of segments) {
    const data = typeof s === 'number' ? cat(K, ser32(s)) : cat(utf8('zrkit/derive/v1/label'), K, utf8(s))
    const I = hmac(sha512, c, data)
    const t = beInt(I.slice(0, 32))
    if (t >= N) throw new Error('tweak out of range')
    P = P.add(secp256k1.Point.BASE.multiply(t))
    K = P.toBytes(true)
    c = I.slice(32, 64)
    total = (total + t) % N
  }
  return { publicKey: K, tweak: total }
}

/** ed25519: t = int_le(SHA-512(tag || A || 0x00 || ser32(i))) or (tag || A || 0x01 || L), mod l. */
function specEd(A0: Uint8Array, segments: readonly DerivationSegment[]): { publicKey: Uint8Array; tweak: bigint } {
  let P = ed25519.Point.fromBytes(A0)
  let A = A0
  let total = 0n
  for (const s of segments) {
    const data = typeof s === 'number' ? cat(Uint8Array.of(0x00), ser32(s)) : cat(Uint8Array.of(0x01), utf8(s))
    const t = leInt(sha512(cat(utf8('zrkit/derive/v1/ed25519'), A, data))) % L
    P = P.add(ed25519.Point.BASE.multiply(t))
    A = P.toBytes()
    total = (total + t) % L
  }
  return { publicKey: A, tweak: total }
}

// ---------------------------------------------------------------------------------------------------
// arbitraries

const secpSecret = fc.bigInt({ min: 1n, max: N - 1n }).map((x) => Uint8Array.from(Buffer.from(x.toString(16).padStart(64, '0'), 'hex')))
const edSeed = fc.uint8Array({ minLength: 32, maxLength: 32 })
const index = fc.integer({ min: 0, max: HARDENED - 1 })
const label = fc
  .oneof(fc.string({ minLength: 1, maxLength: 24 }), fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme' }), fc.constantFrom('m', 'm/0', '0', 'ethereum,1', 'é'.repeat(64)))
  .filter((s) => {
    const n = utf8(s).length
    return n >= 1 && n <= 128
  })
const indexPath = fc.array(index, { minLength: 1, maxLength: 5 })
const mixedPath = fc.array(fc.oneof(index, label), { minLength: 0, maxLength: 6 })

// ---------------------------------------------------------------------------------------------------

describe('parseDerivationPath', () => {
  it('parses "m", "m/..." index paths, labels and arrays', () => {
    expect(parseDerivationPath('m')).toEqual([])
    expect(parseDerivationPath('m/0/5')).toEqual([0, 5])
    expect(parseDerivationPath('m/44/60/0/0/7')).toEqual([44, 60, 0, 0, 7])
    expect(parseDerivationPath(`m/${HARDENED - 1}`)).toEqual([HARDENED - 1])
    expect(parseDerivationPath('ethereum,1')).toEqual(['ethereum,1'])
    expect(parseDerivationPath('user-42')).toEqual(['user-42'])
    // a string that is not "m" or "m/<indices>" is one label, slashes and all
    expect(parseDerivationPath('0')).toEqual(['0'])
    expect(parseDerivationPath('a/b')).toEqual(['a/b'])
    expect(parseDerivationPath([])).toEqual([])
    expect(parseDerivationPath([7, 'savings', 3])).toEqual([7, 'savings', 3])
    // array elements are taken literally: 'm/0' in an array is a label, not a path
    expect(parseDerivationPath(['m/0', 0])).toEqual(['m/0', 0])
  })

  it('accepts the limits: index 2^31-1, 128-byte labels, depth 16', () => {
    expect(parseDerivationPath([HARDENED - 1])).toEqual([HARDENED - 1])
    expect(parseDerivationPath(['x'.repeat(128)])).toEqual(['x'.repeat(128)])
    expect(parseDerivationPath(['é'.repeat(64)])).toEqual(['é'.repeat(64)]) // 128 bytes
    expect(parseDerivationPath(Array.from({ length: 16 }, (_, i) => i))).toHaveLength(16)
    expect(parseDerivationPath(`m/${Array.from({ length: 16 }, () => '1').join('/')}`)).toHaveLength(16)
  })

  it('returns a fresh array (the input is not kept)', () => {
    const input: DerivationSegment[] = [1, 'a']
    const out = parseDerivationPath(input)
    expect(out).not.toBe(input)
    out.push(9)
    expect(input).toEqual([1, 'a'])
  })

  it('refuses hardened segments', () => {
    expectZrError(() => parseDerivationPath("m/0'"), 'INVALID_DERIVATION_PATH', 'hardened')
    expectZrError(() => parseDerivationPath('m/0h'), 'INVALID_DERIVATION_PATH', 'hardened')
    expectZrError(() => parseDerivationPath('m/44/0H/1'), 'INVALID_DERIVATION_PATH', 'hardened', 'segment 1')
    expectZrError(() => parseDerivationPath([HARDENED]), 'INVALID_DERIVATION_PATH', String(HARDENED))
    expectZrError(() => parseDerivationPath(`m/${HARDENED}`), 'INVALID_DERIVATION_PATH', String(HARDENED))
    expectZrError(() => parseDerivationPath([0, 2 ** 32]), 'INVALID_DERIVATION_PATH', 'segment 1')
  })

  it('refuses negative, non-integer and non-finite indices', () => {
    expectZrError(() => parseDerivationPath([-1]), 'INVALID_DERIVATION_PATH', '-1')
    expectZrError(() => parseDerivationPath([1.5]), 'INVALID_DERIVATION_PATH', '1.5')
    expectZrError(() => parseDerivationPath([Number.NaN]), 'INVALID_DERIVATION_PATH', 'NaN')
    expectZrError(() => parseDerivationPath([Number.POSITIVE_INFINITY]), 'INVALID_DERIVATION_PATH', 'segment 0')
    expectZrError(() => parseDerivationPath('m/-1'), 'INVALID_DERIVATION_PATH', '"-1"')
    expectZrError(() => parseDerivationPath('m/1.5'), 'INVALID_DERIVATION_PATH', '"1.5"')
    expectZrError(() => parseDerivationPath('m/0x10'), 'INVALID_DERIVATION_PATH', '"0x10"')
    expectZrError(() => parseDerivationPath('m/'), 'INVALID_DERIVATION_PATH', 'segment 0')
    expectZrError(() => parseDerivationPath('m/1//2'), 'INVALID_DERIVATION_PATH', 'segment 1')
  })

  it('refuses empty labels and labels over 128 UTF-8 bytes (multi-byte characters counted in bytes)', () => {
    expectZrError(() => parseDerivationPath(''), 'INVALID_DERIVATION_PATH', 'label', 'got 0')
    expectZrError(() => parseDerivationPath([1, '']), 'INVALID_DERIVATION_PATH', 'segment 1', 'got 0')
    expectZrError(() => parseDerivationPath(['x'.repeat(129)]), 'INVALID_DERIVATION_PATH', '128', 'got 129')
    // 65 characters, 130 bytes
    expectZrError(() => parseDerivationPath(['é'.repeat(65)]), 'INVALID_DERIVATION_PATH', 'got 130')
    // 33 emoji: 66 UTF-16 units, 132 bytes
    expectZrError(() => parseDerivationPath('😀'.repeat(33)), 'INVALID_DERIVATION_PATH', 'got 132')
  })

  it('refuses paths deeper than 16', () => {
    expectZrError(() => parseDerivationPath(Array.from({ length: 17 }, (_, i) => i)), 'INVALID_DERIVATION_PATH', '16', 'got 17')
    expectZrError(() => parseDerivationPath(`m/${Array.from({ length: 17 }, () => '0').join('/')}`), 'INVALID_DERIVATION_PATH', 'got 17')
    expectZrError(() => parseDerivationPath(Array.from({ length: 17 }, () => 'a')), 'INVALID_DERIVATION_PATH', 'got 17')
  })

  it('refuses values that are not a string or an array, and segments that are not numbers or strings', () => {
    for (const bad of [42, null, undefined, {}, true, 1n]) {
      expectZrError(() => parseDerivationPath(bad as unknown as DerivationPath), 'INVALID_DERIVATION_PATH', 'expected a string or an array')
    }
    for (const seg of [null, true, {}, [0], 1n]) {
      expectZrError(() => parseDerivationPath([0, seg] as unknown as DerivationPath), 'INVALID_DERIVATION_PATH', 'segment 1', 'a number or a string')
    }
  })

  it('deriveKey refuses invalid paths with the same errors', () => {
    const pk = secp256k1.getPublicKey(new Uint8Array(32).fill(1), true)
    expectZrError(() => deriveKey('ecdsa-secp256k1', pk, "m/0'"), 'INVALID_DERIVATION_PATH', 'hardened')
    expectZrError(() => deriveKey('eddsa-ed25519', ed25519.getPublicKey(new Uint8Array(32)), ['']), 'INVALID_DERIVATION_PATH', 'label')
  })

  it('formatDerivationPath: index paths as m/..., others as JSON', () => {
    expect(formatDerivationPath([])).toBe('m')
    expect(formatDerivationPath([0, 5])).toBe('m/0/5')
    expect(formatDerivationPath([44, 60, 0, 0, 7])).toBe('m/44/60/0/0/7')
    expect(formatDerivationPath(['ethereum,1'])).toBe('["ethereum,1"]')
    expect(formatDerivationPath([7, 'savings', 3])).toBe('[7,"savings",3]')
    // index paths round-trip through the text form
    fc.assert(fc.property(fc.array(index, { maxLength: 16 }), (p) => {
        expect(parseDerivationPath(formatDerivationPath(p))).toEqual(p)
      }),
    )
  })
})

describe('BIP32 compatibility (secp256k1 index paths)', () => {
  it('deriveKey agrees with @scure/bip32 from the xpub and from (key, chainCodeOf(key))', () => {
    fc.assert(
      fc.property(secpSecret, indexPath, fc.constantFrom(...secpKeyTypes), (secret, path, keyType) => {
        const pk = secp256k1.getPublicKey(secret, true)
        const text = formatDerivationPath(path)
        const ours = deriveKey(keyType, pk, path)
        const xpub = extendedPublicKey(keyType, pk)
        expect(xpub.startsWith('xpub')).toBe(true)
        const fromXpub = HDKey.fromExtendedKey(xpub)
        expect(hex(fromXpub.publicKey!)).toBe(hex(pk))
        expect(hex(fromXpub.chainCode!)).toBe(hex(chainCodeOf(pk)))
        expect(hex(ours.publicKey)).toBe(hex(fromXpub.derive(text).publicKey!))
        const direct = new HDKey({ publicKey: pk, chainCode: chainCodeOf(pk) })
        expect(hex(ours.publicKey)).toBe(hex(direct.derive(text).publicKey!))
        // the string form and the array form agree
        expect(hex(deriveKey(keyType, pk, text).publicKey)).toBe(hex(ours.publicKey))
        expect(ours.path).toEqual(path)
      }),
      { numRuns: 100 },
    )
  })

  it('the xpub is a depth-0 BIP32 key that @scure/bip32 re-encodes identically; tpub on testnet', () => {
    fc.assert(
      fc.property(secpSecret, indexPath, (secret, path) => {
        const pk = secp256k1.getPublicKey(secret, true)
        const xpub = extendedPublicKey('ecdsa-secp256k1', pk)
        const hd = HDKey.fromExtendedKey(xpub)
        expect(hd.depth).toBe(0)
        expect(hd.index).toBe(0)
        expect(hd.parentFingerprint).toBe(0)
        expect(hd.publicExtendedKey).toBe(xpub)
        const tpub = extendedPublicKey('bitcoin-secp256k1', pk, { network: 'testnet' })
        expect(tpub.startsWith('tpub')).toBe(true)
        const testnet = HDKey.fromExtendedKey(tpub, { private: 0x04358394, public: 0x043587cf })
        expect(hex(testnet.derive(formatDerivationPath(path)).publicKey!)).toBe(hex(deriveKey('bitcoin-secp256k1', pk, path).publicKey))
      }),
      { numRuns: 30 },
    )
  })

  it('chainCodeOf is SHA-256("zrkit/derive/v1/chain-code" || key)', () => {
    const pk = secp256k1.getPublicKey(new Uint8Array(32).fill(7), true)
    expect(hex(chainCodeOf(pk))).toBe(hex(sha256(cat(utf8('zrkit/derive/v1/chain-code'), pk))))
  })

  it('extendedPublicKey refuses ed25519 keys and bytes that are not a secp256k1 point; the 65-byte form of a key gives its xpub', () => {
    const edPk = ed25519.getPublicKey(new Uint8Array(32).fill(2))
    expectZrError(() => extendedPublicKey('eddsa-ed25519', edPk), 'UNSUPPORTED_KEY_TYPE', 'eddsa-ed25519')
    // one canonical form: the uncompressed key is the same point, so it has the same xpub (holding the compressed key)
    const uncompressed = secp256k1.getPublicKey(new Uint8Array(32).fill(1), false)
    const compressed = secp256k1.getPublicKey(new Uint8Array(32).fill(1), true)
    expect(extendedPublicKey('ecdsa-secp256k1', uncompressed)).toBe(extendedPublicKey('ecdsa-secp256k1', compressed))
    expectZrError(() => extendedPublicKey('ecdsa-secp256k1', uncompressed.subarray(0, 64)), 'INVALID_PUBLIC_KEY', '64')
  })
})

describe('deriveKey against an independent implementation of the spec', () => {
  it('secp256k1: same child key and tweak for random keys and mixed paths; child = parent + tweak*G', () => {
    fc.assert(
      fc.property(secpSecret, mixedPath, fc.constantFrom(...secpKeyTypes), (secret, path, keyType) => {
        const pk = secp256k1.getPublicKey(secret, true)
        const ours = deriveKey(keyType, pk, path)
        const spec = specSecp(pk, path)
        expect(hex(ours.publicKey)).toBe(hex(spec.publicKey))
        expect(ours.tweak).toBe(spec.tweak)
        expect(ours.path).toEqual(path)
        expect(ours.publicKey).toHaveLength(33)
        // tweak law, with deriveKey's own tweak
        const expected = ours.tweak === 0n ? secp256k1.Point.fromBytes(pk) : secp256k1.Point.fromBytes(pk).add(secp256k1.Point.BASE.multiply(ours.tweak))
        expect(hex(ours.publicKey)).toBe(hex(expected.toBytes(true)))
        // and the child secret really is secret + tweak
        const childSecret = tweakSecret(keyType, beInt(secret), ours.tweak)
        if (childSecret !== 0n) expect(hex(secp256k1.Point.BASE.multiply(childSecret).toBytes(true))).toBe(hex(ours.publicKey))
      }),
      { numRuns: 100 },
    )
  })

  it('ed25519: same child key and tweak for random keys and mixed paths; child = parent + tweak*B', () => {
    fc.assert(
      fc.property(edSeed, mixedPath, (seed, path) => {
        const pk = ed25519.getPublicKey(seed)
        const ours = deriveKey('eddsa-ed25519', pk, path)
        const spec = specEd(pk, path)
        expect(hex(ours.publicKey)).toBe(hex(spec.publicKey))
        expect(ours.tweak).toBe(spec.tweak)
        expect(ours.path).toEqual(path)
        expect(ours.publicKey).toHaveLength(32)
        const expected = ours.tweak === 0n ? ed25519.Point.fromBytes(pk) : ed25519.Point.fromBytes(pk).add(ed25519.Point.BASE.multiply(ours.tweak))
        expect(hex(ours.publicKey)).toBe(hex(expected.toBytes()))
        const { scalar } = ed25519.utils.getExtendedPublicKey(seed)
        const childScalar = tweakSecret('eddsa-ed25519', scalar, ours.tweak)
        if (childScalar !== 0n) expect(hex(ed25519.Point.BASE.multiply(childScalar).toBytes())).toBe(hex(ours.publicKey))
      }),
      { numRuns: 100 },
    )
  })

  it('ed25519 derivation composes (deriving a then b equals a ++ b); secp256k1 carries the chain code, so it does not', () => {
    fc.assert(
      fc.property(secpSecret, edSeed, mixedPath, mixedPath, (secret, seed, a, b) => {
        fc.pre(a.length + b.length <= 16)
        const edPk = ed25519.getPublicKey(seed)
        expect(hex(deriveKey('eddsa-ed25519', deriveKey('eddsa-ed25519', edPk, a).publicKey, b).publicKey)).toBe(hex(deriveKey('eddsa-ed25519', edPk, [...a, ...b]).publicKey))
        // secp256k1: the child's chain code is I[32:64], not chainCodeOf(child), so re-rooting at the child differs
        fc.pre(a.length > 0 && b.length > 0)
        const pk = secp256k1.getPublicKey(secret, true)
        expect(hex(deriveKey('ecdsa-secp256k1', deriveKey('ecdsa-secp256k1', pk, a).publicKey, b).publicKey)).not.toBe(hex(deriveKey('ecdsa-secp256k1', pk, [...a, ...b]).publicKey))
      }),
      { numRuns: 30 },
    )
  })

  it('the empty path is the key itself with tweak 0; an uncompressed secp256k1 key derives like its compressed form', () => {
    const pk = secp256k1.getPublicKey(new Uint8Array(32).fill(9), true)
    const uncompressed = secp256k1.getPublicKey(new Uint8Array(32).fill(9), false)
    expect(deriveKey('ecdsa-secp256k1', pk, 'm')).toEqual({ publicKey: pk, tweak: 0n, path: [] })
    expect(hex(deriveKey('ecdsa-secp256k1', uncompressed, []).publicKey)).toBe(hex(pk))
    expect(hex(deriveKey('ecdsa-secp256k1', uncompressed, 'm/3/4').publicKey)).toBe(hex(deriveKey('ecdsa-secp256k1', pk, 'm/3/4').publicKey))
    const edPk = ed25519.getPublicKey(new Uint8Array(32).fill(9))
    expect(deriveKey('eddsa-ed25519', edPk, [])).toEqual({ publicKey: edPk, tweak: 0n, path: [] })
  })

  it('indices, labels and their text forms are distinct segments', () => {
    const pk = secp256k1.getPublicKey(new Uint8Array(32).fill(5), true)
    const edPk = ed25519.getPublicKey(new Uint8Array(32).fill(5))
    for (const [keyType, key] of [
      ['ecdsa-secp256k1', pk],
      ['eddsa-ed25519', edPk],
    ] as const) {
      const keys = [[0], ['0'], ['m/0'], [1], [0, 0], ['a'], ['b'], ['a', 'b'], ['ab']].map((p) => toHex(deriveKey(keyType, key, p).publicKey))
      expect(new Set(keys).size).toBe(keys.length)
      // 'm/0' as a string is the index path [0]
      expect(toHex(deriveKey(keyType, key, 'm/0').publicKey)).toBe(keys[0])
    }
  })
})

describe('known-answer vectors', () => {
  // These vectors are the compatibility promise of deriveKey's doc comment: the same key and path give
  // the same child key in every zrkit version. They were computed with the independent implementation
  // above (and cross-checked against @scure/bip32 for index paths). They must never change; a change
  // here means every derived address users already hold has moved.
  const secpRoot = secp256k1.getPublicKey(new Uint8Array(32).fill(0x01), true)
  const edRoot = ed25519.getPublicKey(new Uint8Array(32).fill(0x02))
  const vectors: { path: DerivationPath; secp: string; ed: string }[] = [
    { path: [], secp: '031b84c5567b126440995d3ed5aaba0565d71e1834604819ff9c17f5e9d5dd078f', ed: '8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394' },
    { path: [0], secp: '031edc1faaeb425146df9eb47ce9fbdd8c55fa41b6e6521a34c12b5fdfda1e4de9', ed: 'b5d242f9a11f8efa769510ad6a50e344e14a3bc0797d591c90ba3f1555be6f54' },
    { path: 'm/44/60/0/0/7', secp: '03684da537bf08d89a0b8e0328d1831317e1e6ba2669ec91884b422984f6cd99af', ed: '8951d04e5dc021e24c377a70672a233582ff14a2572bdbd56805d960a81f706c' },
    { path: 'ethereum,1', secp: '03e5a194111df7dd4b051f6e6d2b3cb8f6cbbfee2f9437d20388cdae2d6f5707a2', ed: '096936b2e6ddb138f6d2069f520088bd049ff09c253a59fcd16daf7e5f712032' },
    { path: [7, 'savings', 3], secp: '0395a2461cf7a19b6a7c689c31dd5b412e4b86d4afd81698ba83fb4e4e8205d8f8', ed: 'a833e734740e613b2c343a2b14cef4089729a5fc994a690a0dec777b9182cd74' },
  ]

  it.each(vectors.map((v) => [JSON.stringify(v.path), v] as const))('path %s', (_, v) => {
    for (const keyType of secpKeyTypes) expect(hex(deriveKey(keyType, secpRoot, v.path).publicKey)).toBe(v.secp)
    expect(hex(deriveKey('eddsa-ed25519', edRoot, v.path).publicKey)).toBe(v.ed)
    // the independent implementation agrees with the pinned values too
    expect(hex(specSecp(secpRoot, parseDerivationPath(v.path)).publicKey)).toBe(v.secp)
    expect(hex(specEd(edRoot, parseDerivationPath(v.path)).publicKey)).toBe(v.ed)
  })

  it('the xpub of the secp256k1 root is pinned too', () => {
    expect(hex(secpRoot)).toBe('031b84c5567b126440995d3ed5aaba0565d71e1834604819ff9c17f5e9d5dd078f')
    expect(hex(edRoot)).toBe('8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394')
    const xpub = 'xpub661MyMwAqRbcEanxC4L17qMjbYukvaN9VLctUjQpjvWnSbLfDhFyGcXbY7Sqoba4bgVtZZP8hj4QPDWYczScFX6Z9eDHNAFVTTUoaEDF8Tq'
    expect(extendedPublicKey('ecdsa-secp256k1', secpRoot)).toBe(xpub)
    expect(hex(HDKey.fromExtendedKey(xpub).derive('m/44/60/0/0/7').publicKey!)).toBe('03684da537bf08d89a0b8e0328d1831317e1e6ba2669ec91884b422984f6cd99af')
  })
})

describe('signWithSecret with derivation tweaks', () => {

  const cases = [
    { keyType: 'ecdsa-secp256k1', secret: secpSecret, payload: fc.uint8Array({ minLength: 32, maxLength: 32 }) },
    { keyType: 'bitcoin-secp256k1', secret: secpSecret, payload: fc.uint8Array({ minLength: 32, maxLength: 32 }) },
    { keyType: 'schnorr-secp256k1', secret: secpSecret, payload: fc.uint8Array({ minLength: 0, maxLength: 200 }) },
    { keyType: 'eddsa-ed25519', secret: edSeed, payload: fc.uint8Array({ minLength: 0, maxLength: 200 }) },
  ] as const

  it.each(cases.map((c) => [c.keyType, c] as const))('%s: signatures verify under the derived key and not under the root key', (keyType, c) => {
    fc.assert(
      fc.property(c.secret, mixedPath, c.payload, (secret, path, payload) => {
        fc.pre(path.length > 0)
        const root = keyType === 'eddsa-ed25519' ? ed25519.getPublicKey(secret) : secp256k1.getPublicKey(secret, true)
        const child = deriveKey(keyType, root, path)
        fc.pre(child.tweak !== 0n)
        const sig = signWithSecret({ keyType, secret, tweak: child.tweak, payload })
        expect(sig).toHaveLength(keyType === 'ecdsa-secp256k1' || keyType === 'bitcoin-secp256k1' ? 65 : 64)
        expect(nobleVerifies(keyType, child.publicKey, payload, sig)).toBe(true)
        expect(nobleVerifies(keyType, root, payload, sig)).toBe(false)
        // without the tweak it is the root key's signature, not the child's
        const rootSig = signWithSecret({ keyType, secret, payload })
        expect(nobleVerifies(keyType, root, payload, rootSig)).toBe(true)
        expect(nobleVerifies(keyType, child.publicKey, payload, rootSig)).toBe(false)
      }),
      { numRuns: 40 },
    )
  })

  it('ECDSA: low-S and both recovery ids turn up, each recovering the derived key', () => {
    const secret = new Uint8Array(32).fill(0x11)
    const root = secp256k1.getPublicKey(secret, true)
    const child = deriveKey('ecdsa-secp256k1', root, [3, 'evm'])
    const vs = new Set<number>()
    for (let i = 0; i < 64; i++) {
      const digest = sha256(utf8(`digest ${i}`))
      const sig = signWithSecret({ keyType: 'ecdsa-secp256k1', secret, tweak: child.tweak, payload: digest })
      expect(beInt(sig.slice(32, 64)) <= N / 2n).toBe(true)
      vs.add(sig[64]!)
      expect(nobleVerifies('ecdsa-secp256k1', child.publicKey, digest, sig)).toBe(true)
    }
    expect([...vs].sort()).toEqual([0, 1])
  })

  it('ed25519: tweaked signing is deterministic and depends on message and tweak', () => {
    fc.assert(
      fc.property(edSeed, fc.array(fc.oneof(index, label), { minLength: 1, maxLength: 4 }), fc.uint8Array({ maxLength: 100 }), (seed, path, message) => {
        const root = ed25519.getPublicKey(seed)
        const child = deriveKey('eddsa-ed25519', root, path)
        const a = signWithSecret({ keyType: 'eddsa-ed25519', secret: seed, tweak: child.tweak, payload: message })
        const b = signWithSecret({ keyType: 'eddsa-ed25519', secret: seed, tweak: child.tweak, payload: message })
        expect(hex(a)).toBe(hex(b))
        const other = signWithSecret({ keyType: 'eddsa-ed25519', secret: seed, tweak: child.tweak, payload: cat(message, Uint8Array.of(0)) })
        expect(hex(other)).not.toBe(hex(a))
        const sibling = deriveKey('eddsa-ed25519', root, [...path.slice(0, 3), 'sibling'])
        const c = signWithSecret({ keyType: 'eddsa-ed25519', secret: seed, tweak: sibling.tweak, payload: message })
        expect(hex(c.slice(0, 32))).not.toBe(hex(a.slice(0, 32))) // a different nonce per child key
        expect(nobleVerifies('eddsa-ed25519', sibling.publicKey, message, c)).toBe(true)
      }),
      { numRuns: 30 },
    )
  })

  it('a tweak of 0 signs with the key itself', () => {
    const seed = new Uint8Array(32).fill(0x02)
    const message = utf8('hello')
    expect(hex(signWithSecret({ keyType: 'eddsa-ed25519', secret: seed, tweak: 0n, payload: message }))).toBe(hex(ed25519.sign(message, seed)))
    const secret = new Uint8Array(32).fill(0x01)
    const digest = sha256(message)
    const sig = signWithSecret({ keyType: 'ecdsa-secp256k1', secret, tweak: 0n, payload: digest })
    expect(nobleVerifies('ecdsa-secp256k1', secp256k1.getPublicKey(secret, true), digest, sig)).toBe(true)
  })
})
