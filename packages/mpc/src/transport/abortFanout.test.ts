import { getEventListeners } from 'node:events'
import { type ZrError, generateAccount, isZrError } from '@zrkit/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { abortFanout } from './abortFanout.js'
import { memoryRelay } from './memoryRelay.js'
import { type SessionRouter, createSessionRouter } from './SessionRouter.js'
import { secureTransport } from './secureTransport.js'

const CONCURRENT = 60
const abortListeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length
const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 20))

/** Collects the process warnings emitted while a test runs. */
let warnings: Error[] = []
const onWarning = (warning: Error) => warnings.push(warning)
beforeEach(() => {
  warnings = []
  process.on('warning', onWarning)
})
afterEach(() => {
  process.off('warning', onWarning)
})
const listenerWarnings = () => warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map(String)

let run = 0
async function pair(): Promise<{ a: SessionRouter; b: SessionRouter; ids: string[]; close: () => Promise<void> }> {
  run++
  const relay = memoryRelay()
  const [alice, bob] = [generateAccount(`fanout:${run}:a`), generateAccount(`fanout:${run}:b`)]
  const [ta, tb] = await Promise.all([
    secureTransport({ account: alice, relay, peers: [bob.address] }),
    secureTransport({ account: bob, relay, peers: [alice.address] }),
  ])
  const a = createSessionRouter(ta)
  const b = createSessionRouter(tb)
  return {
    a,
    b,
    ids: [alice.address, bob.address],
    async close() {
      a.close()
      b.close()
      await Promise.all([ta.close(), tb.close()])
    },
  }
}

describe('Session waits on one shared AbortSignal', () => {
  it(`${CONCURRENT} concurrent sessions collecting and confirming broadcasts add one listener per router to the signal, removed at the end, and no MaxListenersExceededWarning`, async () => {
    const net = await pair()
    const stop = new AbortController()
    const signal = stop.signal
    const sessions = Array.from({ length: CONCURRENT }, (_, i) => [net.a.open(`s${i}`, net.ids), net.b.open(`s${i}`, net.ids)] as const)
    // Every session of both parties waits at once, each with the same signal.
    const collected = sessions.flatMap(([sa, sb]) => [sa.collect('r', { signal }), sb.collect('r', { signal })])
    await settle()
    expect(abortListeners(signal)).toBe(2) // one per router

    await Promise.all(sessions.flatMap(([sa, sb], i) => [sa.broadcast('r', Uint8Array.of(i, 1)), sb.broadcast('r', Uint8Array.of(i, 2))]))
    const got = await Promise.all(collected)
    expect(got[0]!.get(net.ids[1]!)).toEqual(Uint8Array.of(0, 2))
    expect(got[1]!.get(net.ids[0]!)).toEqual(Uint8Array.of(0, 1))
    // The echo round of confirmBroadcasts waits on the signal too.
    await Promise.all(
      sessions.flatMap(([sa, sb], i) => [
        sa.confirmBroadcasts('r', new Map([[net.ids[0]!, Uint8Array.of(i, 1)], [net.ids[1]!, Uint8Array.of(i, 2)]]), { signal }),
        sb.confirmBroadcasts('r', new Map([[net.ids[0]!, Uint8Array.of(i, 1)], [net.ids[1]!, Uint8Array.of(i, 2)]]), { signal }),
      ]),
    )
    expect(abortListeners(signal)).toBe(0)
    await settle()
    expect(listenerWarnings()).toEqual([])
    await net.close()
  })

  it(`several waits in one session at once (one per party, as a coordinator gathers) share the listener too`, async () => {
    const net = await pair()
    const signal = new AbortController().signal
    const sessions = Array.from({ length: CONCURRENT }, (_, i) => net.a.open(`p${i}`, net.ids))
    const waits = sessions.flatMap((s) => ['x', 'y', 'z'].map((round) => s.collect(round, { signal, from: [net.ids[1]!], timeoutMs: 50 }).catch((e: ZrError) => e)))
    await settle()
    expect(abortListeners(signal)).toBe(1)
    // They time out: every wait ends, and the listener with them.
    const results = await Promise.all(waits)
    expect(results.every((e) => isZrError(e, 'TIMEOUT'))).toBe(true)
    expect(abortListeners(signal)).toBe(0)
    await settle()
    expect(listenerWarnings()).toEqual([])
    await net.close()
  })

  it('aborting the shared signal stops every wait with ABORTED and leaves no listener', async () => {
    const net = await pair()
    const stop = new AbortController()
    const sessions = Array.from({ length: CONCURRENT }, (_, i) => net.a.open(`q${i}`, net.ids))
    const waits = sessions.map((s) => s.collect('r', { signal: stop.signal }).catch((e: ZrError) => e))
    await settle()
    expect(abortListeners(stop.signal)).toBe(1)
    stop.abort()
    const results = await Promise.all(waits)
    expect(results.every((e) => isZrError(e, 'ABORTED'))).toBe(true)
    expect(abortListeners(stop.signal)).toBe(0)
    // A wait given a signal that has already fired rejects at once and adds nothing.
    const late = await net.a.open('late', net.ids).collect('r', { signal: stop.signal }).catch((e: ZrError) => e)
    expect(isZrError(late, 'ABORTED')).toBe(true)
    expect(abortListeners(stop.signal)).toBe(0)
    await settle()
    expect(listenerWarnings()).toEqual([])
    await net.close()
  })
})

describe('abortFanout', () => {
  it('calls each pending watcher once on abort, never a cancelled one, with one listener on the signal', () => {
    const fanout = abortFanout()
    const stop = new AbortController()
    const calls: string[] = []
    const cancels = ['a', 'b', 'c'].map((name) => fanout.watch(stop.signal, () => calls.push(name)))
    const twice = () => calls.push('d')
    fanout.watch(stop.signal, twice)
    const cancelSecond = fanout.watch(stop.signal, twice)
    expect(abortListeners(stop.signal)).toBe(1)
    cancels[1]!()
    cancelSecond()
    stop.abort()
    stop.abort()
    expect(calls).toEqual(['a', 'c', 'd'])
    expect(abortListeners(stop.signal)).toBe(0)
    // after the abort, a watch is called at once
    fanout.watch(stop.signal, () => calls.push('e'))
    expect(calls).toEqual(['a', 'c', 'd', 'e'])
  })

  it('removes the listener when the last watcher cancels, and adds a fresh one for the next', () => {
    const fanout = abortFanout()
    const stop = new AbortController()
    const cancel = Array.from({ length: 20 }, () => fanout.watch(stop.signal, () => {}))
    expect(abortListeners(stop.signal)).toBe(1)
    cancel.forEach((c) => c())
    cancel.forEach((c) => c()) // cancelling twice is harmless
    expect(abortListeners(stop.signal)).toBe(0)
    let called = 0
    fanout.watch(stop.signal, () => called++)
    expect(abortListeners(stop.signal)).toBe(1)
    stop.abort()
    expect(called).toBe(1)
  })
})
