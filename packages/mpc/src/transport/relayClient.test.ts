/**
 * The relay client's delivery across a cut connection, against a real relay server on localhost.
 *
 * When the relay cuts a party's connection, the party's socket says "closing" a moment before its close event
 * arrives. A frame sent in that moment must not vanish: it waits in the queue and goes out in the next session.
 * The moment is made exact here by a `ws` WebSocket whose `readyState` the test holds at CLOSING (2) while the
 * socket itself is still open; the relay then really cuts the connection and the client reconnects on its own.
 */
import { generateAccount } from '@zrkit/core'
import { connectRelay } from '@zrkit/mpc'
import { serveRelay } from '@zrkit/mpc/node'
import { until } from '@zrkit/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import type { RelayFrame } from './memoryRelay.js'

const cleanup: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

/** A `ws` WebSocket that reports CLOSING while `closing` is set, as a socket the relay has just cut does. */
class CutSocket extends WebSocket {
  static closing = false
}
const openState = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'readyState')!.get!
Object.defineProperty(CutSocket.prototype, 'readyState', {
  get(this: WebSocket) {
    return CutSocket.closing ? WebSocket.CLOSING : openState.call(this)
  },
})

describe('relay client delivery', () => {
  it('a frame sent while the socket is closing but not yet closed is queued and delivered after the reconnect', async () => {
    const [a, b] = [generateAccount(), generateAccount()]
    const server = await serveRelay({ parties: [a.address, b.address] })
    cleanup.push(() => server.close())
    const options = { url: server.url, backoff: { initialMs: 20, maxMs: 100 }, timeoutMs: 5_000 }
    const ra = await connectRelay({ ...options, account: a, WebSocket: CutSocket as never })
    cleanup.push(() => ra.close())
    const rb = await connectRelay({ ...options, account: b, WebSocket })
    cleanup.push(() => rb.close())
    const got: RelayFrame[] = []
    const fromA = ra.connect(a.address, () => {})
    rb.connect(b.address, (frame) => got.push(frame))

    fromA.send(b.address, Uint8Array.of(1))
    await until(() => got.length === 1, 'the first frame')
    const sessions = ra.sessions

    CutSocket.closing = true
    try {
      fromA.send(b.address, Uint8Array.of(2)) // the socket says closing: this one must wait
    } finally {
      CutSocket.closing = false
    }
    server.terminate(a.address) // the cut itself: a reconnects and sends what waited
    await until(() => ra.sessions > sessions && ra.connected, 'a reconnected', { timeoutMs: 5_000 })
    await until(() => got.length === 2, 'the frame sent while closing', { timeoutMs: 5_000 })
    expect(got.map((f) => [f.from, Array.from(f.bytes)])).toEqual([
      [a.address, [1]],
      [a.address, [2]],
    ])
  })
})
