import fc from 'fast-check'
import { isZrError } from '@zrkit/core'
import type { Client } from 'viem'
import { describe, expect, it } from 'vitest'
import { createEvmNonceManager } from './evmNonceManager.js'

/**
 * The nonce manager's rules, against a chain whose used-nonce count the test sets: consecutive nonces
 * for queued requests, released nonces taken next, nothing reused, nothing skipped, and viem's
 * consume/reset protocol. The end-to-end behaviour on a real node is in test/evm.
 */

const address = '0x000000000000000000000000000000000000bEEF' as const
const key = { address, chainId: 31337 }
const client = {} as Client

function chain() {
  const c = { count: 0 }
  return { c, manager: createEvmNonceManager({ onChain: async () => c.count, consumeTimeoutMs: 200 }) }
}

describe('createEvmNonceManager', () => {
  it('hands out consecutive nonces to queued requests, never the same one twice, even concurrently', async () => {
    const { manager } = chain()
    const got = await Promise.all(Array.from({ length: 20 }, () => manager.reserve({ ...key, client })))
    expect([...got].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i))
    expect(manager.held(key)).toEqual(got.sort((a, b) => a - b))
  })

  it('a released nonce is the next one taken, so none is skipped; one the chain passed is forgotten', async () => {
    const { c, manager } = chain()
    const [a, b, d] = [await manager.reserve({ ...key, client }), await manager.reserve({ ...key, client }), await manager.reserve({ ...key, client })]
    expect([a, b, d]).toEqual([0, 1, 2])
    manager.release({ ...key, nonce: 0 }) // a rejected: nothing was signed with 0
    expect(await manager.get({ ...key, client })).toBe(0)
    expect(await manager.reserve({ ...key, client })).toBe(0)
    expect(await manager.reserve({ ...key, client })).toBe(3)
    c.count = 2 // 0 and 1 mined
    expect(await manager.reserve({ ...key, client })).toBe(4)
    expect(manager.held(key)).toEqual([2, 3, 4])
    // Transactions sent from elsewhere move the chain on past what is held.
    c.count = 9
    expect(await manager.reserve({ ...key, client })).toBe(9)
    expect(manager.held(key)).toEqual([9])
  })

  it('keeps keys apart by address (any case) and chain', async () => {
    const { manager } = chain()
    expect(await manager.reserve({ ...key, client })).toBe(0)
    expect(await manager.reserve({ address: address.toLowerCase() as `0x${string}`, chainId: 31337, client })).toBe(1)
    expect(await manager.reserve({ address, chainId: 1, client })).toBe(0)
    expect(await manager.reserve({ address: '0x000000000000000000000000000000000000dEaD', chainId: 31337, client })).toBe(0)
  })

  it('hold takes a nonce chosen by hand or restored from a journal', async () => {
    const { manager } = chain()
    manager.hold({ ...key, nonce: 1 })
    manager.hold({ ...key, nonce: 3 })
    expect(await manager.reserve({ ...key, client })).toBe(0)
    expect(await manager.reserve({ ...key, client })).toBe(2)
    expect(await manager.reserve({ ...key, client })).toBe(4)
    for (const nonce of [-1, 1.5, Number.NaN]) {
      let error: unknown
      try {
        manager.hold({ ...key, nonce })
      } catch (e) {
        error = e
      }
      expect(isZrError(error, 'INVALID_INPUT')).toBe(true)
    }
  })

  it("viem's protocol: consume waits until the previous consume is bound (hold) or failed (reset); reset gives back only that nonce", async () => {
    const { manager } = chain()
    const first = await manager.consume({ ...key, client })
    expect(first).toBe(0)
    let secondDone = false
    const second = manager.consume({ ...key, client }).then((n) => ((secondDone = true), n))
    await new Promise((r) => setTimeout(r, 20))
    expect(secondDone).toBe(false)
    manager.hold({ ...key, nonce: first }) // its signature request was made: bound
    expect(await second).toBe(1)
    // The second one fails before its signature (e.g. gas estimation): viem resets.
    const queued = await manager.reserve({ ...key, client }) // a relayer transaction in between
    expect(queued).toBe(2)
    manager.reset(key)
    expect(manager.held(key)).toEqual([0, 2])
    expect(await manager.consume({ ...key, client })).toBe(1)
    manager.reset(key)
    // reset without a consume in flight changes nothing
    manager.reset(key)
    expect(manager.held(key)).toEqual([0, 2])
  })

  it('a consume stuck behind one that is never bound nor reset times out with TIMEOUT, holding nothing new', async () => {
    const { manager } = chain()
    await manager.consume({ ...key, client })
    const error = await manager.consume({ ...key, client }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(isZrError(error, 'TIMEOUT')).toBe(true)
    expect(manager.held(key)).toEqual([0])
  })

  it('property: any interleaving of reserve, release and the chain moving on never hands out a held nonce and never leaves a gap', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.constant('reserve' as const), fc.constant('mine' as const), fc.nat({ max: 30 })), { maxLength: 60 }), async (ops) => {
        const { c, manager } = chain()
        const live = new Set<number>() // handed out and not released or mined
        for (const op of ops) {
          if (op === 'reserve') {
            const n = await manager.reserve({ ...key, client })
            expect(live.has(n)).toBe(false)
            expect(n).toBeGreaterThanOrEqual(c.count)
            // no gap: every nonce between the chain's count and n is in use
            for (let k = c.count; k < n; k++) expect(live.has(k)).toBe(true)
            live.add(n)
          } else if (op === 'mine') {
            // the lowest live nonce is mined if it is the next on chain
            if (live.has(c.count)) {
              live.delete(c.count)
              c.count++
            }
          } else if (live.has(op)) {
            live.delete(op)
            manager.release({ ...key, nonce: op })
          }
        }
      }),
      { numRuns: 200 },
    )
  })
})
