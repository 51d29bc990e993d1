import { sha256 } from '@noble/hashes/sha2.js'
import { type Account, type Connector, type Key, type ZrError, createConnector, generateAccount, isZrError, memorySecretStore } from '@zrkit/core'
import { type RelayClient, type RelayFrame, type SecureTransport, connectRelay, createFederation, createSessionRouter, federationParty, secureTransport } from '@zrkit/mpc'
import { type RelayServer, serveRelay } from '@zrkit/mpc/node'
import { type OwnerWorld, nobleVerifies, ownerWorld, until } from '@zrkit/testkit'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'

const timing = { attemptTimeoutMs: 1_500, dkgTimeoutMs: 4_000 }
const waitMs = 20_000
const connect = (s: RelayServer, account: Account, onError?: (e: ZrError) => void) =>
  connectRelay({ url: s.url, account, WebSocket, backoff: { initialMs: 20, maxMs: 200 }, timeoutMs: 5_000, ...(onError ? { onError } : {}) })

type Party = { account: Account; relay: RelayClient; transport: SecureTransport; connector: Connector; errors: ZrError[] }

/** One party as its own process would run it: its own relay client, transport, router, backend and connector. */
async function startParty(w: OwnerWorld, s: RelayServer, keyring: string, account: Account, all: readonly Account[]): Promise<Party> {
  const errors: ZrError[] = []
  const relay = await connect(s, account, (e) => errors.push(e))
  const transport = await secureTransport({ account, relay, peers: all.filter((a) => a !== account).map((a) => a.address), timeoutMs: 10_000, onError: (e) => errors.push(e) })
  const router = createSessionRouter(transport)
  const backend = federationParty({ account, router, identityKey: (p) => transport.identityKey(p), parties: all.map((a) => a.address), threshold: 2, shares: memorySecretStore(), ...timing })
  const connector = createConnector({ ledger: w.ledger, account, keyring, backend, pollIntervalMs: 50 })
  await connector.start()
  return { account, relay, transport, connector, errors }
}

async function stopParty(p: Party) {
  await p.connector.stop()
  await p.transport.close()
  await p.relay.close()
}

async function signAndCheck(w: OwnerWorld, key: Key, payload: Uint8Array) {
  const { requestId } = await w.client.requestSignature({ keyId: key.id, payloads: [payload] })
  const done = await w.client.waitForSignRequest({ requestId, timeoutMs: waitMs })
  expect(done.status).toBe('fulfilled')
  expect(nobleVerifies(key.keyType, done.publicKey, payload, done.signatures[0]!)).toBe(true)
  return done
}

describe('a 2-of-3 FROST federation, each party with its own client to one network relay', () => {
  const accounts = [generateAccount(), generateAccount(), generateAccount()]
  let w: OwnerWorld
  let s: RelayServer
  let parties: Party[] = []
  let keyring: string
  let key: Key

  beforeAll(async () => {
    w = await ownerWorld({ chainId: 'zrkit-relay-network', funded: accounts })
    s = await serveRelay({ parties: accounts.map((a) => a.address) })
    // createFederation only registers the keyring here; each party runs on its own below.
    const registrar = await createFederation({ ledger: w.ledger, parties: accounts, threshold: 2 })
    keyring = await registrar.register(w.client, { description: 'FROST 2-of-3 over the network relay', keyRequestFee: 1n, signRequestFee: 1n })
    parties = await Promise.all(accounts.map((a) => startParty(w, s, keyring, a, accounts)))
    const { requestId } = await w.client.requestKey({ workspace: w.workspace, keyring, keyType: 'eddsa-ed25519' })
    const done = await w.client.waitForKeyRequest({ requestId, timeoutMs: waitMs })
    expect(done.request.status).toBe('fulfilled')
    key = done.key
  })
  afterAll(async () => {
    await Promise.all(parties.map(stopParty))
    await s?.close()
    await w?.ledger.close()
  })
  afterEach(() => s.intercept(null))

  it('generates a key and fulfils a signature request; noble verifies it', async () => {
    expect(s.connected().sort()).toEqual(accounts.map((a) => a.address).sort())
    await signAndCheck(w, key, sha256(Uint8Array.of(1)))
    expect(parties.every((p) => p.errors.length === 0)).toBe(true)
  })

  it('generates a threshold ECDSA key (DKLs23) and a BIP340 key over the relay and signs with them', async () => {
    for (const keyType of ['ecdsa-secp256k1', 'schnorr-secp256k1'] as const) {
      const { requestId } = await w.client.requestKey({ workspace: w.workspace, keyring, keyType })
      const done = await w.client.waitForKeyRequest({ requestId, timeoutMs: waitMs })
      expect(done.request.status).toBe('fulfilled')
      await signAndCheck(w, done.key, sha256(Uint8Array.of(4)))
    }
  })

  it("a party's socket cut mid-way: it reconnects with backoff and the signing completes", async () => {
    const victim = parties[0]!
    const before = victim.relay.sessions
    let cut = false
    // Cut the victim's socket as soon as the first frame of the signing goes through the relay.
    s.intercept(() => {
      if (!cut) {
        cut = true
        setImmediate(() => s.terminate(victim.account.address))
      }
    })
    const payload = sha256(Uint8Array.of(2))
    await signAndCheck(w, key, payload)
    expect(cut).toBe(true)
    await until(() => victim.relay.sessions > before && victim.relay.connected, 'the victim reconnected', { timeoutMs: 5_000 })
    // and it still signs afterwards
    await signAndCheck(w, key, sha256(Uint8Array.of(3)))
  })

  it('the relay down for longer than all the attempts of a signing: a request that arrives meanwhile is signed once it is back', async () => {
    const port = Number(new URL(s.url).port)
    await s.close()
    let back = false
    try {
      const payload = sha256(Uint8Array.of(5))
      const { requestId } = await w.client.requestSignature({ keyId: key.id, payloads: [payload], ttlMs: 30_000 })
      // three attempts of 1.5 s each would be over by now: the parties, cut off from the relay, wait for it instead
      await new Promise((r) => setTimeout(r, 6_000))
      const meanwhile = await w.client.getSignRequest({ id: requestId })
      expect(meanwhile.status).toBe('pending')
      expect(meanwhile.responses).toEqual([])
      s = await serveRelay({ parties: accounts.map((a) => a.address), port })
      back = true
      const done = await w.client.waitForSignRequest({ requestId, timeoutMs: waitMs })
      expect(done.status).toBe('fulfilled')
      expect(nobleVerifies(key.keyType, done.publicKey, payload, done.signatures[0]!)).toBe(true)
    } finally {
      if (!back) s = await serveRelay({ parties: accounts.map((a) => a.address), port })
    }
  })

  it('a hostile relay that alters, replays, reorders and drops frames never yields an invalid signature; the transports report what they refused', async () => {
    const seen = new Set<string>()
    let n = 0
    const held: RelayFrame[] = []
    s.intercept((frame) => {
      n++
      if (n % 11 === 0) {
        // alter one byte in the sealed part
        const bytes = Uint8Array.from(frame.bytes)
        bytes[bytes.length - 1]! ^= 1
        return bytes
      }
      if (n % 13 === 0) {
        // replay it right after
        setImmediate(() => s.inject(frame))
      }
      if (n % 17 === 0) {
        // reorder: hold it and deliver it after the next one
        held.push(frame)
        setTimeout(() => s.inject(held.shift()!), 30)
        return null
      }
      if (n % 19 === 0) return null
      seen.add(frame.from)
    })
    const errorsBefore = parties.map((p) => p.errors.length)
    const outcomes: string[] = []
    for (let i = 0; i < 3; i++) {
      const payload = sha256(Uint8Array.of(10 + i))
      const { requestId } = await w.client.requestSignature({ keyId: key.id, payloads: [payload] })
      let done: Awaited<ReturnType<typeof w.client.waitForSignRequest>>
      try {
        done = await w.client.waitForSignRequest({ requestId, timeoutMs: waitMs })
      } catch (e) {
        // refused or expired: then with no signature at all
        expect(isZrError(e, 'REQUEST_REJECTED'), String(e)).toBe(true)
        outcomes.push('rejected')
        const r = await w.client.getSignRequest({ id: requestId })
        expect(r.signatures ?? []).toEqual([])
        continue
      }
      outcomes.push(done.status)
      for (const sig of done.signatures) expect(nobleVerifies(key.keyType, done.publicKey, payload, sig)).toBe(true)
    }
    expect(n).toBeGreaterThan(20)
    const refused = parties.flatMap((p, i) => p.errors.slice(errorsBefore[i]))
    expect(refused.some((e) => isZrError(e, 'MPC_TRANSPORT') && /authentication/.test(e.shortMessage))).toBe(true)
    expect(refused.some((e) => isZrError(e, 'MPC_TRANSPORT') && /replayed/.test(e.shortMessage))).toBe(true)
    s.intercept(null)
    // the federation recovers once the relay behaves
    await signAndCheck(w, key, sha256(Uint8Array.of(20)))
    expect(outcomes.length).toBe(3)
  })
})

describe('secure transport over a hostile network relay', () => {
  const cleanup: (() => Promise<unknown>)[] = []
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn()
  })

  async function pair() {
    const [a, b] = [generateAccount(), generateAccount()]
    const s = await serveRelay({ parties: [a.address, b.address] })
    cleanup.push(() => s.close())
    const errors: ZrError[] = []
    const [ra, rb] = await Promise.all([connect(s, a), connect(s, b)])
    cleanup.push(() => ra.close(), () => rb.close())
    const [ta, tb] = await Promise.all([
      secureTransport({ account: a, relay: ra, peers: [b.address] }),
      secureTransport({ account: b, relay: rb, peers: [a.address], onError: (e) => errors.push(e) }),
    ])
    cleanup.push(() => ta.close(), () => tb.close())
    const got: Uint8Array[] = []
    tb.onMessage((m) => got.push(m.payload))
    return { a, b, s, ta, tb, errors, got }
  }

  it('cannot read: the plaintext never crosses the relay', async () => {
    const { b, s, ta, got } = await pair()
    const secret = new TextEncoder().encode('the share of a secret key, never in the clear')
    const frames: Uint8Array[] = []
    s.intercept((f) => void frames.push(f.bytes))
    await ta.send(b.address, secret)
    await until(() => got.length === 1, 'the message')
    expect(got[0]).toEqual(secret)
    const hex = (x: Uint8Array) => Buffer.from(x).toString('hex')
    expect(frames.length).toBe(1)
    expect(hex(frames[0]!)).not.toContain(hex(secret.subarray(0, 12)))
  })

  it('cannot forge or alter: altered and made-up frames are refused by the transport (onError), nothing reaches the handler', async () => {
    const { a, b, s, ta, errors, got } = await pair()
    s.intercept((f) => {
      const bytes = Uint8Array.from(f.bytes)
      bytes[bytes.length - 3]! ^= 0x80
      return bytes
    })
    await ta.send(b.address, Uint8Array.of(1, 2, 3))
    await until(() => errors.length === 1, 'the refusal')
    expect(isZrError(errors[0], 'MPC_TRANSPORT')).toBe(true)
    expect(errors[0]!.shortMessage).toMatch(/failed authentication/)
    s.intercept(null)
    // a frame the relay makes up, claiming to be from a
    s.inject({ from: a.address, to: b.address, bytes: Uint8Array.from({ length: 80 }, (_, i) => (i === 0 ? 1 : i)) })
    await until(() => errors.length === 2, 'the second refusal')
    expect(got).toEqual([])
    // honest frames still pass
    await ta.send(b.address, Uint8Array.of(4))
    await until(() => got.length === 1, 'the honest message')
    expect(got[0]).toEqual(Uint8Array.of(4))
  })

  it('can replay, reorder and drop, and the transport notices replays and reordering', async () => {
    const { b, s, ta, errors, got } = await pair()
    const recorded: RelayFrame[] = []
    s.intercept((f) => {
      recorded.push(f)
      return null
    })
    await ta.send(b.address, Uint8Array.of(1))
    await ta.send(b.address, Uint8Array.of(2))
    await until(() => recorded.length === 2, 'two frames held')
    s.intercept(null)
    // reorder: the second first, then the first (now stale), then the second again (a replay)
    s.inject(recorded[1]!)
    await until(() => got.length === 1, 'the second message')
    s.inject(recorded[0]!)
    s.inject(recorded[1]!)
    await until(() => errors.length === 2, 'two refusals')
    expect(errors.every((e) => isZrError(e, 'MPC_TRANSPORT') && /replayed/.test(e.shortMessage))).toBe(true)
    expect(got).toEqual([Uint8Array.of(2)])
  })
})
