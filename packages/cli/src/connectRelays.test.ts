/**
 * A party on several relays (what `zrkit party start --relay A,B` uses): real relays on localhost, one of them down
 * at start, coming up later, going down again.
 */
import { type Account, type ZrError, generateAccount, isZrError } from '@zrkit/core'
import type { FanoutRelay, RelayClient, RelayFrame } from '@zrkit/mpc'
import { type RelayServer, serveRelay } from '@zrkit/mpc/node'
import { closedPort, until } from '@zrkit/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { connectRelays } from './connectRelays.js'

const cleanup: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

async function relay(parties: Account[], port = 0): Promise<RelayServer> {
  const s = await serveRelay({ parties: parties.map((p) => p.address), port, heartbeatMs: 0 })
  cleanup.push(() => s.close())
  return s
}

async function party(account: Account, urls: string[], errors: { url: string; error: ZrError }[] = [], timeoutMs = 5_000): Promise<{ client: RelayClient; frames: RelayFrame[]; send: (to: Account, n: number) => void }> {
  const client = await connectRelays(urls, { account, WebSocket: WebSocket as never, timeoutMs, backoff: { initialMs: 20, maxMs: 100 }, onError: (url, error) => void errors.push({ url, error }) })
  cleanup.push(() => client.close())
  const frames: RelayFrame[] = []
  const endpoint = client.connect(account.address, (f) => frames.push(f))
  return { client, frames, send: (to, n) => endpoint.send(to.address, new Uint8Array(n).fill(n & 0xff)) }
}

describe('connectRelays', () => {
  it('starts with one relay down, uses the other, picks up the late one in the background, and survives the first going down', async () => {
    const [a, b] = [generateAccount(), generateAccount()]
    const up = await relay([a, b])
    const latePort = await closedPort()
    const late = `ws://127.0.0.1:${latePort}`
    const errors: { url: string; error: ZrError }[] = []
    const started = Date.now()
    const pa = await party(a, [late, up.url], errors)
    const pb = await party(b, [up.url, late])
    // a presence watcher registered while the late relay is still down
    const seen: string[] = []
    pa.client.onPresence?.((p) => void seen.push(p))
    // started on the relay that is up, long before the attempt on the other timed out
    expect(Date.now() - started).toBeLessThan(4_000)
    expect(pa.client.connected).toBe(true)
    pa.send(b, 10)
    await until(() => pb.frames.length === 1, 'a frame through the relay that is up', { timeoutMs: 5_000 })
    expect(up.stats().find((s) => s.party === a.address)?.framesIn).toBe(1)

    // the other relay comes up on its port: both parties join it on their own
    const second = await relay([a, b], latePort)
    const clientsOf = (p: { client: RelayClient }) => (p.client as FanoutRelay).relays
    await until(() => [pa, pb].every((p) => clientsOf(p).every((r) => r.connected)), 'both parties on both relays', { timeoutMs: 10_000 })
    expect(second.connected().sort()).toEqual([a.address, b.address].sort())
    pa.send(b, 20)
    await until(() => pb.frames.length === 2, 'the second frame', { timeoutMs: 5_000 })
    // sent through both, delivered once
    expect(pb.frames.map((f) => f.bytes.length)).toEqual([10, 20])
    await until(() => second.stats().find((s) => s.party === b.address)?.framesOut === 1, 'the copy through the late relay', { timeoutMs: 5_000 })

    // the first relay goes away: frames flow through the late one
    await up.close()
    await until(() => !clientsOf(pa)[1]!.connected && !clientsOf(pb)[0]!.connected, 'both see the first relay gone', { timeoutMs: 5_000 })
    pa.send(b, 30)
    await until(() => pb.frames.length === 3, 'a frame through the late relay alone', { timeoutMs: 5_000 })
    expect(pb.frames[2]!.bytes.length).toBe(30)

    // presence comes through the late relay too (it joined after start): b here, then away once it leaves
    await until(() => pa.client.presence?.(b.address)?.here === true, "b's presence through the late relay", { timeoutMs: 5_000 })
    await pb.client.close()
    await until(() => pa.client.presence?.(b.address)?.here === false, 'b seen away through the late relay', { timeoutMs: 5_000 })
    expect(seen).toContain(b.address)
  }, 30_000)

  it('no relay reachable: TIMEOUT saying what each relay did; nothing keeps trying afterwards', async () => {
    const urls = [`ws://127.0.0.1:${await closedPort()}`, `ws://127.0.0.1:${await closedPort()}`]
    const a = generateAccount()
    const error = await connectRelays(urls, { account: a, WebSocket: WebSocket as never, timeoutMs: 400, backoff: { initialMs: 20, maxMs: 50 } }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(isZrError(error, 'TIMEOUT'), String(error)).toBe(true)
    expect((error as ZrError).details).toMatch(new RegExp(`expected at least one of 2 relays within 400 ms, got none \\(${urls[0]}: .*; ${urls[1]}: .*\\)`))
    // the relay comes up afterwards: no client of the failed start dials it
    const late = await relay([a, generateAccount()], Number(new URL(urls[0]!).port))
    await new Promise((r) => setTimeout(r, 1_500))
    expect(late.stats().every((s) => !s.connected)).toBe(true)
  }, 20_000)

  it('a relay that refuses the party is reported and not tried again; the party runs on the other', async () => {
    const [a, b, stranger] = [generateAccount(), generateAccount(), generateAccount()]
    const serves = await relay([a, b])
    const refuses = await relay([b, stranger])
    const errors: { url: string; error: ZrError }[] = []
    const pa = await party(a, [refuses.url, serves.url], errors)
    expect(pa.client.connected).toBe(true)
    await until(() => errors.some((e) => e.url === refuses.url && isZrError(e.error, 'RELAY_REFUSED')), 'the refusal reported', { timeoutMs: 5_000 })
    const count = errors.length
    await new Promise((r) => setTimeout(r, 300))
    expect(errors.filter((e) => e.url === refuses.url && isZrError(e.error, 'RELAY_REFUSED')).length).toBe(1)
    expect(errors.length).toBe(count)
  }, 20_000)

  it('every relay refusing the party: RELAY_REFUSED at once', async () => {
    const [a, b] = [generateAccount(), generateAccount()]
    const r1 = await relay([b, generateAccount()])
    const r2 = await relay([b, generateAccount()])
    const started = Date.now()
    const error = await connectRelays([r1.url, r2.url], { account: a, WebSocket: WebSocket as never, timeoutMs: 10_000 }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(isZrError(error, 'RELAY_REFUSED'), String(error)).toBe(true)
    expect(Date.now() - started).toBeLessThan(5_000)
  }, 20_000)

  it('one URL is plain connectRelay; none is INVALID_CONFIG', async () => {
    const [a, b] = [generateAccount(), generateAccount()]
    const r = await relay([a, b])
    const one = await connectRelays([r.url], { account: a, WebSocket: WebSocket as never })
    cleanup.push(() => one.close())
    expect(one.url).toBe(r.url)
    expect(r.connected()).toEqual([a.address])
    const error = await connectRelays([], { account: a, WebSocket: WebSocket as never }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(isZrError(error, 'INVALID_CONFIG')).toBe(true)
  })
})
