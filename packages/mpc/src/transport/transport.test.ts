import { x25519 } from '@noble/curves/ed25519.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { type Account, type ZrError, generateAccount, isZrError } from '@zrkit/core'
import { canonicalBytes, equalBytes } from '@zrkit/core/internal'
import { describe, expect, it } from 'vitest'
import { type MemoryRelay, type RelayFrame, memoryRelay } from './memoryRelay.js'
import { type Session, createSessionRouter } from './SessionRouter.js'
import { encodeSessionFrame } from './sessionFrame.js'
import { type SecureEnvelope, type SecureTransport, announcementDigest, secureTransport } from './secureTransport.js'
import type { PartyId } from './Transport.js'
import { rejection, sleep, until } from '@zrkit/testkit'

/** True when `needle` occurs in `haystack` as a contiguous run of bytes. */
function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer
    return true
  }
  return false
}

type Net = {
  relay: MemoryRelay
  accounts: Account[]
  ids: PartyId[]
  transports: SecureTransport[]
  errors: ZrError[][]
}

let run = 0
async function network(n: number, relay: MemoryRelay = memoryRelay()): Promise<Net> {
  run++
  const accounts = Array.from({ length: n }, (_, i) => generateAccount(`transport-test:${run}:${i}`))
  const ids = accounts.map((a) => a.address)
  const errors = accounts.map(() => [] as ZrError[])
  const transports = await Promise.all(
    accounts.map((account, i) =>
      secureTransport({ account, relay, peers: ids.filter((id) => id !== account.address), onError: (e) => errors[i]!.push(e), timeoutMs: 5000 }),
    ),
  )
  return { relay, accounts, ids, transports, errors }
}

function inbox(transport: SecureTransport): SecureEnvelope[] {
  const list: SecureEnvelope[] = []
  transport.onMessage((envelope) => list.push(envelope))
  return list
}

function record(relay: MemoryRelay): RelayFrame[] {
  const frames: RelayFrame[] = []
  relay.intercept((frame) => {
    frames.push(frame)
  })
  return frames
}

describe('memoryRelay', () => {
  it('delivers asynchronously and in order per pair, and its test hooks drop, replace and disconnect', async () => {
    const relay = memoryRelay()
    const got: string[] = []
    const a = relay.connect('a', () => {})
    relay.connect('b', (f) => got.push(`${f.from}:${f.bytes[0]}`))
    a.send('b', new Uint8Array([1]))
    a.send('b', new Uint8Array([2]))
    expect(got).toEqual([])
    await sleep(5)
    expect(got).toEqual(['a:1', 'a:2'])

    relay.intercept((f) => (f.bytes[0] === 3 ? null : f.bytes[0] === 4 ? new Uint8Array([40]) : undefined))
    a.send('b', new Uint8Array([3]))
    a.send('b', new Uint8Array([4]))
    a.send('b', new Uint8Array([5]))
    await sleep(5)
    expect(got.slice(2)).toEqual(['a:40', 'a:5'])

    relay.intercept(null)
    relay.disconnect('b')
    a.send('b', new Uint8Array([6]))
    await sleep(5)
    relay.reconnect('b')
    a.send('b', new Uint8Array([7]))
    await sleep(5)
    expect(got.slice(4)).toEqual(['a:7'])
  })
})

describe('secureTransport', () => {
  it('delivers direct messages to the receiver only; no frame carries the payload', async () => {
    const { relay, ids, transports, errors } = await network(3)
    const [ta, tb, tc] = transports as [SecureTransport, SecureTransport, SecureTransport]
    const boxes = transports.map(inbox)
    const frames = record(relay)
    const payload = randomBytes(48)
    await ta.send(ids[1]!, payload)
    await until(() => boxes[1]!.length === 1)
    expect(boxes[1]![0]).toEqual({ from: ids[0], broadcast: false, payload })
    await tb.send(ids[2]!, payload)
    await until(() => boxes[2]!.length === 1)
    expect(frames).toHaveLength(2)
    for (const f of frames) expect(contains(f.bytes, payload)).toBe(false)

    // The frame for B, shown to C, does not open.
    relay.inject({ from: ids[0]!, to: ids[2]!, bytes: frames[0]!.bytes })
    await until(() => errors[2]!.length === 1)
    expect(errors[2]![0]!.code).toBe('MPC_TRANSPORT')
    expect(boxes[2]).toHaveLength(1)
    expect(boxes[0]).toHaveLength(0)
    expect(errors[0]).toEqual([])
    expect(errors[1]).toEqual([])
    void tc
  })

  it('delivers broadcasts to every peer with a signature anyone can check', async () => {
    const { relay, ids, transports, errors } = await network(4)
    const boxes = transports.map(inbox)
    const frames = record(relay)
    const payload = randomBytes(40)
    await transports[0]!.broadcast(payload)
    await until(() => boxes.slice(1).every((b) => b.length === 1))
    expect(frames.map((f) => f.to).sort()).toEqual(ids.slice(1).sort())
    for (const f of frames) expect(contains(f.bytes, payload)).toBe(false)
    for (const [i, box] of boxes.entries()) {
      if (i === 0) continue
      const envelope = box[0]!
      expect(envelope.from).toBe(ids[0])
      expect(envelope.broadcast).toBe(true)
      expect(envelope.payload).toEqual(payload)
      // Any party can check what the sender signed, and a changed payload fails.
      expect(transports[(i % 3) + 1]!.verifyBroadcast(ids[0]!, payload, envelope.proof!)).toBe(true)
      expect(transports[(i % 3) + 1]!.verifyBroadcast(ids[0]!, randomBytes(40), envelope.proof!)).toBe(false)
      expect(transports[(i % 3) + 1]!.verifyBroadcast(ids[1]!, payload, envelope.proof!)).toBe(false)
    }
    expect(boxes[0]).toHaveLength(0)
    expect(errors.flat()).toEqual([])
  })

  it('drops tampered ciphertext and reports it', async () => {
    const { relay, ids, transports, errors } = await network(3)
    const boxes = transports.map(inbox)
    let tamper = true
    relay.intercept((f) => {
      if (!tamper) return
      tamper = false
      const bytes = Uint8Array.from(f.bytes)
      bytes[bytes.length - 5]! ^= 0x01
      return bytes
    })
    await transports[0]!.send(ids[1]!, new Uint8Array([1, 2, 3]))
    await until(() => errors[1]!.length === 1)
    expect(errors[1]![0]!.code).toBe('MPC_TRANSPORT')
    expect(errors[1]![0]!.meta.from).toBe(ids[0])
    expect(boxes[1]).toHaveLength(0)
    // The channel still works afterwards.
    await transports[0]!.send(ids[1]!, new Uint8Array([4]))
    await until(() => boxes[1]!.length === 1)
    expect(boxes[1]![0]!.payload).toEqual(new Uint8Array([4]))
  })

  it('refuses forged announcements and still uses the genuine key', async () => {
    const relay = memoryRelay()
    const alice = generateAccount('forge:alice')
    const bob = generateAccount('forge:bob')
    const mallory = generateAccount('forge:mallory')
    const fake = x25519.keygen().publicKey
    // Mallory's key under Bob's name, and Bob's key with Mallory's signature: both before Bob announces.
    relay.announce({ party: bob.address, identityKey: mallory.publicKey, encryptionKey: fake, epoch: 1, signature: await mallory.sign(announcementDigest(bob.address, fake, 1)) })
    relay.announce({ party: bob.address, identityKey: bob.publicKey, encryptionKey: fake, epoch: 1, signature: await mallory.sign(announcementDigest(bob.address, fake, 1)) })
    const aliceErrors: ZrError[] = []
    const pendingAlice = secureTransport({ account: alice, relay, peers: [bob.address], onError: (e) => aliceErrors.push(e) })
    await sleep(20)
    expect(aliceErrors.map((e) => [e.code, e.meta.party])).toEqual([
      ['MPC_TRANSPORT', bob.address],
      ['MPC_TRANSPORT', bob.address],
    ])
    const [ta, tb] = await Promise.all([pendingAlice, secureTransport({ account: bob, relay, peers: [alice.address] })])
    const box = inbox(tb)
    await ta.send(bob.address, new Uint8Array([9]))
    await until(() => box.length === 1)
    expect(box[0]!.payload).toEqual(new Uint8Array([9]))
    expect(ta.identityKey(bob.address)).toEqual(bob.publicKey)

    // With only a forged announcement from Carol's name, the wait names her.
    const carol = generateAccount('forge:carol')
    relay.announce({ party: carol.address, identityKey: mallory.publicKey, encryptionKey: fake, epoch: 1, signature: await mallory.sign(announcementDigest(carol.address, fake, 1)) })
    const error = await rejection(secureTransport({ account: alice, relay, peers: [bob.address, carol.address], timeoutMs: 100 }))
    expect(error.code).toBe('TIMEOUT')
    expect(error.meta.missing).toEqual([carol.address])
  })

  it('re-keys to a restarted peer (newer epoch) and ignores a replayed older announcement', async () => {
    const relay = memoryRelay()
    const alice = generateAccount('epoch:alice')
    const bob = generateAccount('epoch:bob')
    const aliceErrors: ZrError[] = []
    const [ta, tb1] = await Promise.all([
      secureTransport({ account: alice, relay, peers: [bob.address], onError: (e) => aliceErrors.push(e) }),
      secureTransport({ account: bob, relay, peers: [alice.address] }),
    ])
    const first = inbox(tb1)
    await ta.send(bob.address, new Uint8Array([1]))
    await until(() => first.length === 1)
    const oldKey = Uint8Array.from(relay.announcements().find((a) => a.party === bob.address)!.encryptionKey)
    // Bob restarts: a new transport, a newer epoch. Alice's channel follows it; sequence numbers start over.
    await tb1.close()
    await sleep(2)
    const tb2 = await secureTransport({ account: bob, relay, peers: [alice.address] })
    const second = inbox(tb2)
    await until(() => !equalBytes(oldKey, relay.announcements().filter((a) => a.party === bob.address).at(-1)!.encryptionKey))
    await sleep(10)
    await ta.send(bob.address, new Uint8Array([2]))
    await until(() => second.length === 1)
    expect(second[0]!.payload).toEqual(new Uint8Array([2]))
    // A replay of Bob's first (older) announcement is refused and changes nothing.
    const stale = { party: bob.address, identityKey: bob.publicKey, encryptionKey: oldKey, epoch: 1, signature: await bob.sign(announcementDigest(bob.address, oldKey, 1)) }
    relay.announce(stale)
    await sleep(10)
    expect(aliceErrors.some((e) => e.shortMessage.includes('stale announcement'))).toBe(true)
    await ta.send(bob.address, new Uint8Array([3]))
    await until(() => second.length === 2)
    expect(second[1]!.payload).toEqual(new Uint8Array([3]))
    await Promise.all([ta.close(), tb2.close()])
  })

  it('refuses a broadcast whose sender signature does not verify', async () => {
    const relay = memoryRelay()
    const alice = generateAccount('badsig:alice')
    const honest = generateAccount('badsig:bob')
    let calls = 0
    // Bob's account signs its announcement properly, then signs the wrong digest for broadcasts.
    const bob: Account = { address: honest.address, publicKey: honest.publicKey, sign: (d) => honest.sign(calls++ === 0 ? d : sha256(d)) }
    const aliceErrors: ZrError[] = []
    const [ta, tb] = await Promise.all([
      secureTransport({ account: alice, relay, peers: [bob.address], onError: (e) => aliceErrors.push(e) }),
      secureTransport({ account: bob, relay, peers: [alice.address] }),
    ])
    const box = inbox(ta)
    await tb.broadcast(new Uint8Array([1]))
    await tb.send(alice.address, new Uint8Array([2]))
    await until(() => box.length === 1)
    expect(box[0]!.payload).toEqual(new Uint8Array([2]))
    expect(aliceErrors.map((e) => [e.code, e.shortMessage])).toEqual([['MPC_TRANSPORT', 'Refused a broadcast with a bad signature.']])
  })

  it('refuses a replayed frame', async () => {
    const { relay, ids, transports, errors } = await network(3)
    const boxes = transports.map(inbox)
    const frames = record(relay)
    await transports[0]!.send(ids[1]!, new Uint8Array([1]))
    await transports[0]!.send(ids[1]!, new Uint8Array([2]))
    await until(() => boxes[1]!.length === 2)
    relay.inject(frames[1]!)
    relay.inject(frames[0]!)
    await until(() => errors[1]!.length === 2)
    expect(errors[1]!.map((e) => [e.code, e.shortMessage])).toEqual([
      ['MPC_TRANSPORT', 'Refused a replayed frame.'],
      ['MPC_TRANSPORT', 'Refused a replayed frame.'],
    ])
    expect(boxes[1]!.map((e) => e.payload[0])).toEqual([1, 2])
  })

  it('refuses frames from a party that is not a peer', async () => {
    const { relay, ids, transports, errors } = await network(3)
    const boxes = transports.map(inbox)
    const outsider = generateAccount('outsider')
    relay.connect(outsider.address, () => {}).send(ids[0]!, randomBytes(80))
    await until(() => errors[0]!.length === 1)
    expect(errors[0]![0]!.code).toBe('MPC_TRANSPORT')
    expect(errors[0]![0]!.meta.from).toBe(outsider.address)
    expect(boxes[0]).toHaveLength(0)
  })

  it('waits for announcements: TIMEOUT names the missing peers, an AbortSignal stops the wait', async () => {
    const relay = memoryRelay()
    const [a, b, c] = [generateAccount('wait:a'), generateAccount('wait:b'), generateAccount('wait:c')]
    const pendingB = secureTransport({ account: b, relay, peers: [a.address], timeoutMs: 5000 })
    const error = await rejection(secureTransport({ account: a, relay, peers: [b.address, c.address], timeoutMs: 100 }))
    expect(error.code).toBe('TIMEOUT')
    expect(error.meta.missing).toEqual([c.address])
    await pendingB

    const controller = new AbortController()
    const waiting = secureTransport({ account: a, relay, peers: [c.address], signal: controller.signal })
    setTimeout(() => controller.abort(), 20)
    expect((await rejection(waiting)).code).toBe('ABORTED')
  })

  it('drops frames while a party is disconnected and resumes after reconnect', async () => {
    const { relay, ids, transports, errors } = await network(3)
    const boxes = transports.map(inbox)
    relay.disconnect(ids[1]!)
    await transports[0]!.send(ids[1]!, new Uint8Array([1]))
    await transports[1]!.send(ids[0]!, new Uint8Array([2]))
    await transports[2]!.broadcast(new Uint8Array([3]))
    await until(() => boxes[0]!.length === 1)
    await sleep(10)
    expect(boxes[1]).toHaveLength(0)
    expect(boxes[0]!.map((e) => e.payload[0])).toEqual([3])
    relay.reconnect(ids[1]!)
    await transports[0]!.send(ids[1]!, new Uint8Array([4]))
    await transports[1]!.send(ids[0]!, new Uint8Array([5]))
    await until(() => boxes[1]!.length === 1 && boxes[0]!.length === 2)
    expect(boxes[1]![0]!.payload).toEqual(new Uint8Array([4]))
    expect(boxes[0]![1]!.payload).toEqual(new Uint8Array([5]))
    expect(errors.flat()).toEqual([])
  })
})

type Federation = Net & {
  routers: ReturnType<typeof createSessionRouter>[]
  routerErrors: ZrError[][]
  open(sessionId: string, members?: number[]): Session[]
}

async function federation(n: number, options: { bufferLimit?: number; bufferTtlMs?: number } = {}): Promise<Federation> {
  const net = await network(n)
  const routerErrors = net.transports.map(() => [] as ZrError[])
  const routers = net.transports.map((t, i) => createSessionRouter(t, { ...options, onError: (e) => routerErrors[i]!.push(e), timeoutMs: 2000 }))
  const open = (sessionId: string, members = net.ids.map((_, i) => i)) =>
    members.map((i) => routers[i]!.open(sessionId, members.map((m) => net.ids[m]!)))
  return { ...net, routers, routerErrors, open }
}

const bytes = (text: string) => new TextEncoder().encode(text)

describe('SessionRouter', () => {
  it('routes direct and broadcast round messages, and confirms consistent broadcasts', async () => {
    const { ids, open, routerErrors } = await federation(3)
    const sessions = open('keygen-1')
    expect(sessions[0]!.participants).toEqual([...ids].sort())
    await Promise.all(sessions.map((s, i) => s.broadcast('commit', bytes(`commit ${i}`))))
    await sessions[0]!.send(ids[1]!, 'share', bytes('share 0->1'))
    await sessions[2]!.send(ids[1]!, 'share', bytes('share 2->1'))
    const commits = await Promise.all(sessions.map((s) => s.collect('commit')))
    expect(commits[1]!.get(ids[0]!)).toEqual(bytes('commit 0'))
    expect(commits[0]!.get(ids[2]!)).toEqual(bytes('commit 2'))
    expect([...commits[0]!.keys()]).toEqual([ids[1], ids[2]])
    const shares = await sessions[1]!.collect('share')
    expect(shares).toEqual(
      new Map([
        [ids[0]!, bytes('share 0->1')],
        [ids[2]!, bytes('share 2->1')],
      ]),
    )
    await Promise.all(sessions.map((s, i) => s.confirmBroadcasts('commit', new Map([...commits[i]!, [ids[i]!, bytes(`commit ${i}`)]]))))
    expect(routerErrors.flat()).toEqual([])
  })

  it('sends a broadcast of a smaller session to its participants only', async () => {
    const { relay, ids, open, routerErrors } = await federation(4)
    const frames = record(relay)
    const sessions = open('sign-1', [0, 1, 2])
    await sessions[0]!.broadcast('nonce', bytes('n0'))
    await until(() => frames.length === 2)
    await sleep(10)
    expect(frames.map((f) => f.to).sort()).toEqual([ids[1], ids[2]].sort())
    expect((await sessions[2]!.collect('nonce', { from: [ids[0]!] })).get(ids[0]!)).toEqual(bytes('n0'))
    expect(routerErrors.flat()).toEqual([])
  })

  it('refuses a message from a party that is not a participant', async () => {
    const { ids, routers, routerErrors } = await federation(3)
    const sb = routers[1]!.open('s', [ids[0]!, ids[1]!])
    const sc = routers[2]!.open('s', [ids[0]!, ids[1]!, ids[2]!])
    await sc.send(ids[1]!, 'r1', bytes('from c'))
    await until(() => routerErrors[1]!.length === 1)
    expect(routerErrors[1]![0]!.code).toBe('MPC_TRANSPORT')
    expect(routerErrors[1]![0]!.meta.from).toBe(ids[2])
    await expect(sb.collect('r1', { from: [ids[2]!] })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    expect((await rejection(sb.collect('r1', { timeoutMs: 50 }))).meta.missing).toEqual([ids[0]])
  })

  it('keeps messages for a session not opened yet and delivers them when it opens', async () => {
    const { ids, routers, routerErrors } = await federation(3)
    const sa = routers[0]!.open('late', [ids[0]!, ids[1]!])
    await sa.send(ids[1]!, 'r1', bytes('early'))
    await sa.broadcast('r2', bytes('early broadcast'))
    await sleep(30)
    const sb = routers[1]!.open('late', [ids[0]!, ids[1]!])
    expect((await sb.collect('r1')).get(ids[0]!)).toEqual(bytes('early'))
    expect((await sb.collect('r2')).get(ids[0]!)).toEqual(bytes('early broadcast'))
    expect(routerErrors.flat()).toEqual([])
  })

  it('bounds the buffer of unopened sessions by count and age', async () => {
    const { ids, routers, routerErrors } = await federation(2, { bufferLimit: 2, bufferTtlMs: 60 })
    const sa = routers[0]!.open('x', ids)
    for (const r of ['r1', 'r2', 'r3']) await sa.send(ids[1]!, r, bytes(r))
    await until(() => routerErrors[1]!.length === 1)
    expect(routerErrors[1]![0]!.meta.round).toBe('r1')
    await sleep(100)
    const sb = routers[1]!.open('x', ids)
    expect(routerErrors[1]!.map((e) => e.meta.round)).toEqual(['r1', 'r2', 'r3'])
    expect((await rejection(sb.collect('r2', { timeoutMs: 30 }))).code).toBe('TIMEOUT')
  })

  it('refuses messages for a closed session; another session does not see them', async () => {
    const { ids, routers, routerErrors, open } = await federation(2)
    const [sa, sb] = open('run-1')
    sb!.close()
    await sa!.send(ids[1]!, 'r1', bytes('old run'))
    await until(() => routerErrors[1]!.length === 1)
    expect(routerErrors[1]![0]!.code).toBe('MPC_TRANSPORT')
    expect(routerErrors[1]![0]!.meta.session).toBe('run-1')
    expect(() => routers[1]!.open('run-1', ids)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    // The refused message of run-1 is not delivered to the next run.
    const sb2 = routers[1]!.open('run-2', ids)
    const error = await rejection(sb2.collect('r1', { timeoutMs: 60 }))
    expect(error.code).toBe('TIMEOUT')
    expect(error.meta.missing).toEqual([ids[0]])
  })

  it('fails the session naming a sender that sends two different messages for one round; ignores an identical copy', async () => {
    const { ids, transports, open } = await federation(2)
    const [, sb] = open('eq')
    const frame = (body: string) => encodeSessionFrame({ session: 'eq', round: 'r1', body: bytes(body), broadcast: false })
    await transports[0]!.send(ids[1]!, frame('one'))
    await transports[0]!.send(ids[1]!, frame('one'))
    expect((await sb!.collect('r1')).get(ids[0]!)).toEqual(bytes('one'))
    await transports[0]!.send(ids[1]!, frame('two'))
    const error = await rejection((async () => {
      await sleep(20)
      return sb!.collect('r1')
    })())
    expect(error.code).toBe('MPC_ABORT')
    expect(error.meta.party).toBe(ids[0])
  })

  it('confirmBroadcasts names a sender that broadcast different messages to different parties', async () => {
    for (const maliciousConfirms of [true, false]) {
      const { relay, ids, transports, open } = await federation(3)
      const sessions = open('split')
      // A signs and broadcasts two bodies; the network (colluding with A) shows B one and C the other.
      let phase = 1
      relay.intercept((f) => {
        if (f.from !== ids[0]) return
        if (phase === 1 && f.to === ids[2]) return null
        if (phase === 2 && f.to === ids[1]) return null
      })
      const frame = (body: string) => encodeSessionFrame({ session: 'split', round: 'commit', body: bytes(body), broadcast: true })
      await transports[0]!.broadcast(frame('commit A v1'))
      phase = 2
      await transports[0]!.broadcast(frame('commit A v2'))
      phase = 0
      await sessions[1]!.broadcast('commit', bytes('commit B'))
      await sessions[2]!.broadcast('commit', bytes('commit C'))

      const confirm = async (i: number, own: Uint8Array) => {
        const got = await sessions[i]!.collect('commit')
        return rejection(sessions[i]!.confirmBroadcasts('commit', new Map([...got, [ids[i]!, own]]), { timeoutMs: 300 }))
      }
      const results = await Promise.all([
        ...(maliciousConfirms ? [confirm(0, bytes('commit A v1'))] : []),
        confirm(1, bytes('commit B')),
        confirm(2, bytes('commit C')),
      ])
      for (const error of results) {
        expect(error.code).toBe('MPC_ABORT')
        expect(error.meta.party).toBe(ids[0])
      }
      // The session stays failed.
      await expect(sessions[1]!.collect('commit')).rejects.toMatchObject({ code: 'MPC_ABORT' })
    }
  })

  it('confirmBroadcasts names a participant that accuses a sender without its signature', async () => {
    const { ids, transports, open } = await federation(3)
    const sessions = open('liar')
    const bodies = ['A', 'B', 'C'].map((x) => bytes(`commit ${x}`))
    await Promise.all(sessions.map((s, i) => s.broadcast('commit', bodies[i]!)))
    await Promise.all(sessions.map((s) => s.collect('commit')))
    // C claims A sent it something else, with a made-up signature.
    const fakeBody = bytes('commit A (forged)')
    const claimed = [...ids].sort().map((p) => [p, sha256(p === ids[0] ? fakeBody : bodies[ids.indexOf(p)]!)] as const)
    const raw = (round: string, body: Uint8Array) => transports[2]!.broadcast(encodeSessionFrame({ session: 'liar', round, body, broadcast: true }))
    await raw('$echo:commit', sha256(canonicalBytes(claimed.map(([p, h]) => [p, h]))))
    const claims = claimed.map(([party, hash]) => ({ party, hash, proof: party === ids[0] ? { body: fakeBody, seq: 0, signature: randomBytes(64) } : undefined }))
    await raw('$blame:commit', canonicalBytes({ claims }))
    const results = await Promise.all(
      [0, 1].map(async (i) => {
        const got = await sessions[i]!.collect('commit')
        return rejection(sessions[i]!.confirmBroadcasts('commit', new Map([...got, [ids[i]!, bodies[i]!]]), { timeoutMs: 300 }))
      }),
    )
    for (const error of results) {
      expect(error.code).toBe('MPC_ABORT')
      expect(error.meta.party).toBe(ids[2])
    }
  })

  it('confirmBroadcasts times out naming a participant whose echo is missing', async () => {
    const { ids, open } = await federation(3)
    const sessions = open('quiet')
    await Promise.all(sessions.map((s, i) => s.broadcast('commit', bytes(`c${i}`))))
    const results = await Promise.all(
      [0, 1].map(async (i) => {
        const got = await sessions[i]!.collect('commit')
        return rejection(sessions[i]!.confirmBroadcasts('commit', new Map([...got, [ids[i]!, bytes(`c${i}`)]]), { timeoutMs: 100 }))
      }),
    )
    for (const error of results) {
      expect(error.code).toBe('TIMEOUT')
      expect(error.meta.missing).toEqual([ids[2]])
    }
  })

  it('collect times out naming the missing party', async () => {
    const { ids, open } = await federation(3)
    const sessions = open('slow')
    await sessions[1]!.broadcast('r1', bytes('b'))
    const error = await rejection(sessions[0]!.collect('r1', { timeoutMs: 80 }))
    expect(error.code).toBe('TIMEOUT')
    expect(error.meta.missing).toEqual([ids[2]])
    expect(error.meta.session).toBe('slow')
  })

  it('an AbortSignal stops collect with ABORTED; closing the session stops it too', async () => {
    const { open } = await federation(2)
    const [sa] = open('abort')
    const controller = new AbortController()
    const waiting = sa!.collect('r1', { signal: controller.signal })
    setTimeout(() => controller.abort(), 20)
    expect((await rejection(waiting)).code).toBe('ABORTED')
    expect((await rejection(sa!.collect('r1', { signal: AbortSignal.abort() }))).code).toBe('ABORTED')
    const pending = sa!.collect('r1')
    sa!.close()
    expect((await rejection(pending)).code).toBe('ABORTED')
  })

  it('messages resume after a disconnected party reconnects', async () => {
    const { relay, ids, open } = await federation(2)
    const [sa, sb] = open('flaky')
    relay.disconnect(ids[1]!)
    await sa!.send(ids[1]!, 'r1', bytes('lost'))
    const lost = await rejection(sb!.collect('r1', { timeoutMs: 50 }))
    expect(lost.meta.missing).toEqual([ids[0]])
    relay.reconnect(ids[1]!)
    await sa!.send(ids[1]!, 'r2', bytes('kept'))
    expect((await sb!.collect('r2')).get(ids[0]!)).toEqual(bytes('kept'))
  })
})
