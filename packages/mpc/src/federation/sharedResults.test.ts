import { schnorr } from '@noble/curves/secp256k1.js'
import { generateAccount } from '@zrkit/core'
import { describe, expect, it } from 'vitest'
import { frostSuite } from '../frost/suites.js'
import { packageDigest, signedBy } from './coordinator.js'
import { resultKey, sharedResult, sharedResultCount } from './sharedResults.js'

const bytes = (...xs: number[]) => Uint8Array.from(xs)

describe('sharedResult', () => {
  it('computes a result once per key and hands the kept value to later callers', () => {
    let runs = 0
    const compute = () => ++runs
    expect(sharedResult('test/once', 'a', compute)).toBe(1)
    expect(sharedResult('test/once', 'a', compute)).toBe(1)
    expect(sharedResult('test/once', 'b', compute)).toBe(2)
    expect(runs).toBe(2)
  })

  it('keeps only what `keep` accepts: a refused result is computed afresh each time', () => {
    let runs = 0
    const check = () => (runs++, false)
    for (let i = 0; i < 3; i++) expect(sharedResult('test/refused', 'x', check, (ok) => ok)).toBe(false)
    expect(runs).toBe(3)
    expect(sharedResultCount('test/refused')).toBe(0)
  })

  it('holds at most `limit` results, the least recently used going first', () => {
    const runs: string[] = []
    const get = (k: string) => sharedResult('test/limit', k, () => (runs.push(k), k), () => true, 2)
    get('a')
    get('b')
    get('a') // a is now the most recent
    get('c') // evicts b
    expect(sharedResultCount('test/limit')).toBe(2)
    get('a')
    get('b') // computed again
    expect(runs).toEqual(['a', 'b', 'c', 'b'])
  })

  it('a failing computation is not kept', () => {
    let runs = 0
    const boom = () => {
      runs++
      throw new Error('no')
    }
    expect(() => sharedResult('test/throws', 'k', boom)).toThrow('no')
    expect(() => sharedResult('test/throws', 'k', boom)).toThrow('no')
    expect(runs).toBe(2)
  })

  it('resultKey separates its parts', () => {
    expect(resultKey(bytes(1, 2), bytes(3))).not.toBe(resultKey(bytes(1), bytes(2, 3)))
    expect(resultKey(bytes(1, 2), bytes(3))).toBe(resultKey(bytes(1, 2), bytes(3)))
    expect(resultKey(bytes(), bytes(1))).not.toBe(resultKey(bytes(1), bytes()))
  })
})

describe('checks shared by the parties of one process', () => {
  it('a kept acceptance answers only for the same signature, message and key', () => {
    const suite = frostSuite('schnorr-secp256k1')
    const secret = schnorr.utils.randomSecretKey()
    const groupKey = Uint8Array.of(2, ...schnorr.getPublicKey(secret)) // even y, as BIP340 lifts it
    const message = new Uint8Array(32).fill(7)
    const signature = schnorr.sign(message, secret)
    expect(suite.verify(signature, message, groupKey)).toBe(true)
    expect(suite.verify(signature, message, groupKey)).toBe(true) // from the kept result
    const tampered = signature.slice()
    tampered[63]! ^= 1
    expect(suite.verify(tampered, message, groupKey)).toBe(false)
    expect(suite.verify(signature, new Uint8Array(32).fill(8), groupKey)).toBe(false)
    const other = Uint8Array.of(2, ...schnorr.getPublicKey(schnorr.utils.randomSecretKey()))
    expect(suite.verify(signature, message, other)).toBe(false)
  })

  it('a package signature accepted for one party, session and package is refused for any other', async () => {
    const [alice, bob] = [generateAccount(), generateAccount()]
    const keys = new Map([
      [alice.address, alice.publicKey],
      [bob.address, bob.publicKey],
    ])
    const identityKey = (p: string) => keys.get(p)
    const hash = new Uint8Array(32).fill(1)
    const signature = await alice.sign(packageDigest('test/domain', 's/1', hash))
    expect(signedBy(identityKey, 'test/domain', 's/1', alice.address, hash, signature)).toBe(true)
    expect(signedBy(identityKey, 'test/domain', 's/1', alice.address, hash, signature)).toBe(true)
    expect(signedBy(identityKey, 'test/domain', 's/1', bob.address, hash, signature)).toBe(false)
    expect(signedBy(identityKey, 'test/domain', 's/2', alice.address, hash, signature)).toBe(false)
    expect(signedBy(identityKey, 'test/domain', 's/1', alice.address, new Uint8Array(32).fill(2), signature)).toBe(false)
    expect(signedBy(identityKey, 'test/domain', 's/1', 'nobody', hash, signature)).toBe(false)
  })
})
