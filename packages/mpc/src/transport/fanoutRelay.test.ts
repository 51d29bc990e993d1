import { type Account, type ZrError, generateAccount, isZrError } from '@zrkit/core'
import { type FanoutRelay, type RelayClient, connectRelay, fanoutRelay, secureTransport } from '@zrkit/mpc'
import { type RelayServer, serveRelay } from '@zrkit/mpc/node'
import { until } from '@zrkit/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'

const cleanup: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

const connect = (s: RelayServer, account: Account): Promise<RelayClient> =>
  connectRelay({ url: s.url, account, WebSocket, backoff: { initialMs: 20, maxMs: 100 }, timeoutMs: 5_000 })

describe('fanoutRelay: one Relay over several network relays', () => {
  it('delivers each frame once while both relays are up, and keeps delivering when one goes down', async () => {
    const [a, b] = [generateAccount(), generateAccount()]
    const parties = [a.address, b.address]
    const [s1, s2] = await Promise.all([serveRelay({ parties }), serveRelay({ parties })])
    cleanup.push(() => s1.close(), () => s2.close())
    const ra: FanoutRelay = fanoutRelay(await Promise.all([connect(s1, a), connect(s2, a)]))
    const rb: FanoutRelay = fanoutRelay(await Promise.all([connect(s1, b), connect(s2, b)]))
    cleanup.push(() => ra.close(), () => rb.close())
    const errors: ZrError[] = []
    const [ta, tb] = await Promise.all([
      secureTransport({ account: a, relay: ra, peers: [b.address] }),
      secureTransport({ account: b, relay: rb, peers: [a.address], onError: (e) => errors.push(e) }),
    ])
    cleanup.push(() => ta.close(), () => tb.close())
    const got: number[] = []
    tb.onMessage((m) => got.push(m.payload[0]!))
    for (let i = 0; i < 5; i++) await ta.send(b.address, Uint8Array.of(i))
    await until(() => got.length === 5, 'five messages')
    // both relays carried every frame; the copies were dropped before the transport saw them
    await new Promise((r) => setTimeout(r, 100))
    expect(got).toEqual([0, 1, 2, 3, 4])
    expect(errors).toEqual([])
    // relay 1 goes down for good: the frames go through relay 2
    await s1.close()
    await until(() => !ra.relays[0]!.connected && !rb.relays[0]!.connected, 'relay 1 seen down')
    expect(ra.connected && rb.connected).toBe(true)
    for (let i = 5; i < 8; i++) await ta.send(b.address, Uint8Array.of(i))
    await until(() => got.length === 8, 'three more messages through relay 2')
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    expect(errors).toEqual([])
  })

  it('refuses an empty or foreign list with INVALID_INPUT', () => {
    for (const bad of [[], {}, [{}]]) {
      let err: unknown
      try {
        fanoutRelay(bad as never)
      } catch (e) {
        err = e
      }
      expect(isZrError(err, 'INVALID_INPUT')).toBe(true)
      expect((err as ZrError).details).toMatch(/expected a non-empty array/)
    }
  })
})
