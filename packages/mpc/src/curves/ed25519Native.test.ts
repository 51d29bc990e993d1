import { ed25519 } from '@noble/curves/ed25519.js'
import { nativeCryptoAvailable, nodeCrypto } from '@zrkit/core/internal'
import { ed25519SmallOrderPoints } from '@zrkit/testkit'
import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { commit } from '../frost/signingPackage.js'
import { frostSuite } from '../frost/suites.js'
import { ed25519InPrimeOrderSubgroup, nativeConfirmsPrimeOrder, nativeEd25519Nonce } from './ed25519Native.js'

// The native (Node's OpenSSL) fast paths for ed25519 points, against noble (the independent reference): the
// prime-order check on prime-order points, on every small-order point and on each of them added to a
// prime-order point (what a malicious signer can send), and nonce commitments checked by noble's [r]B.
// These suites run on Node, so the native paths must actually run here: each "native" test asserts that.

const Ed = ed25519.Point
type EdPt = InstanceType<typeof Ed>

const torsion = ed25519SmallOrderPoints.slice(0, 7) // every small-order point but the identity

describe('nativeConfirmsPrimeOrder', () => {
  it('runs natively on this platform and confirms prime-order points (noble agrees)', () => {
    expect(nativeCryptoAvailable).toBe(true)
    expect(nativeConfirmsPrimeOrder(Ed.BASE)).toBe(true)
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: Ed.Fn.ORDER - 1n }), (k) => {
        const P = Ed.fromBytes(Ed.BASE.multiply(k).toBytes()) // decoded, as received points are
        expect(P.isTorsionFree()).toBe(true)
        expect(nativeConfirmsPrimeOrder(P)).toBe(true)
        expect(nativeConfirmsPrimeOrder(Ed.BASE.multiplyUnsafe(k))).toBe(true) // projective, Z != 1
      }),
      { numRuns: 30 },
    )
  })

  it('never confirms a point with a small-order component, nor the identity or a small-order point', () => {
    expect(nativeConfirmsPrimeOrder(Ed.ZERO)).toBe(false) // y = 1: left to the JavaScript check
    for (const T of torsion) {
      expect(T.isTorsionFree()).toBe(false)
      expect(nativeConfirmsPrimeOrder(T)).toBe(false)
    }
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: Ed.Fn.ORDER - 1n }), fc.integer({ min: 0, max: 6 }), (k, t) => {
        const P = Ed.fromBytes(Ed.BASE.multiply(k).add(torsion[t]!).toBytes())
        expect(P.isTorsionFree()).toBe(false)
        expect(nativeConfirmsPrimeOrder(P)).toBe(false)
      }),
      { numRuns: 60 },
    )
  })

  it('refuses what is not a noble ed25519 point', () => {
    expect(nativeConfirmsPrimeOrder({ X: 1n, Y: 2n, Z: 1n } as never)).toBe(false)
    expect(nativeConfirmsPrimeOrder(null as never)).toBe(false)
  })
})

describe('ed25519InPrimeOrderSubgroup', () => {
  it('gives noble’s isTorsionFree answer on arbitrary decoded points (mostly of mixed order) and their prime-order parts', () => {
    const decodes = (bytes: Uint8Array) => {
      try {
        return Ed.fromBytes(bytes)
      } catch {
        return undefined
      }
    }
    const decoded = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(decodes).filter((P): P is EdPt => P !== undefined)
    let prime = 0
    fc.assert(
      fc.property(decoded, fc.boolean(), (point, clear) => {
        const P = clear ? point.clearCofactor() : point
        const expected = P.isTorsionFree()
        if (expected) prime++
        expect(ed25519InPrimeOrderSubgroup(P)).toBe(expected)
      }),
      { numRuns: 120 },
    )
    expect(prime).toBeGreaterThan(20)
  })

  it('answers for every small-order point and the identity as noble does', () => {
    expect(ed25519InPrimeOrderSubgroup(Ed.ZERO)).toBe(Ed.ZERO.isTorsionFree())
    for (const T of torsion) expect(ed25519InPrimeOrderSubgroup(T)).toBe(false)
  })
})

describe('nativeEd25519Nonce', () => {
  it('runs natively here; each commitment is noble’s [r]B of its nonce, and nonces are fresh', () => {
    const seen = new Set<bigint>()
    for (let i = 0; i < 20; i++) {
      const nonce = nativeEd25519Nonce(Uint8Array.of(1, 2, 3, i))
      expect(nonce).toBeDefined()
      expect(nonce!.scalar > 0n && nonce!.scalar < Ed.Fn.ORDER).toBe(true)
      expect(Ed.BASE.multiply(nonce!.scalar).toBytes()).toEqual(nonce!.commitment)
      seen.add(nonce!.scalar)
    }
    // the same hedge twice still gives fresh nonces (the random seed differs)
    const a = nativeEd25519Nonce(new Uint8Array(40))!
    const b = nativeEd25519Nonce(new Uint8Array(40))!
    seen.add(a.scalar).add(b.scalar)
    expect(seen.size).toBe(22)
  })
})

describe('when the native crypto fails, JavaScript decides', () => {
  afterEach(() => vi.restoreAllMocks())
  const crypto = nodeCrypto as Required<NonNullable<typeof nodeCrypto>>

  it('an X25519 that throws or answers garbage confirms nothing, and the answers stay noble’s', () => {
    const P = Ed.BASE.multiply(987654321n)
    const mixed = P.add(torsion[2]!)
    for (const fake of [
      () => {
        throw new Error('native failure')
      },
      () => new Uint8Array(32).fill(9),
      () => new Uint8Array(31),
    ]) {
      const spy = vi.spyOn(crypto, 'diffieHellman').mockImplementation(fake as never)
      expect(nativeConfirmsPrimeOrder(P)).toBe(false)
      expect(ed25519InPrimeOrderSubgroup(P)).toBe(true)
      expect(ed25519InPrimeOrderSubgroup(mixed)).toBe(false)
      expect(spy).toHaveBeenCalled()
      spy.mockRestore()
    }
    expect(nativeConfirmsPrimeOrder(P)).toBe(true)
  })

  it('a native Ed25519 signing that throws leaves commit on noble’s nonces: still fresh, still [nonce]B', () => {
    const suite = frostSuite('eddsa-ed25519')
    const secret = Object.values(suite.sign.trustedDealer({ min: 2, max: 3 }).secretShares)[0]!
    const spy = vi.spyOn(crypto, 'sign').mockImplementation(() => {
      throw new Error('native failure')
    })
    expect(nativeEd25519Nonce(Uint8Array.of(1))).toBeUndefined()
    const a = commit(suite, secret)
    const b = commit(suite, secret)
    expect(spy).toHaveBeenCalled()
    for (const { nonces, commitments } of [a, b]) {
      expect(Ed.BASE.multiply(suite.sign.utils.Fn.fromBytes(nonces.hiding)).toBytes()).toEqual(commitments.hiding)
      expect(Ed.BASE.multiply(suite.sign.utils.Fn.fromBytes(nonces.binding)).toBytes()).toEqual(commitments.binding)
    }
    expect(a.nonces.hiding).not.toEqual(b.nonces.hiding)
  })
})
