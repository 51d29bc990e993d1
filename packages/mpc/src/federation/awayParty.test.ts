import { sha256 } from '@noble/hashes/sha2.js'
import { type Account, type Connector, type Key, type ZrError, createConnector, generateAccount, memorySecretStore } from '@zrkit/core'
import { type RelayClient, type SecureTransport, type SessionRouter, connectRelay, createFederation, createSessionRouter, federationParty, secureTransport } from '@zrkit/mpc'
import { type RelayServer, serveRelay } from '@zrkit/mpc/node'
import { type OwnerWorld, nobleVerifies, ownerWorld, sleep, until } from '@zrkit/testkit'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { coordinatorOf } from './coordinator.js'

/*
 * A dead party costs milliseconds, not an attempt timeout, once the relay has told the others it is away
 * (presence, `awayGraceMs`); a party's short network blip breaks nothing. Every party has its own relay
 * client to one real relay over localhost, as separate processes would.
 */

const attemptTimeoutMs = 10_000
const waitMs = 30_000

type Party = { account: Account; relay: RelayClient; transport: SecureTransport; router: SessionRouter; connector: Connector; errors: ZrError[]; opened: string[] }

async function startParty(w: OwnerWorld, s: RelayServer, keyring: string, account: Account, all: readonly Account[]): Promise<Party> {
  const errors: ZrError[] = []
  // A reconnection takes 300..600 ms: long enough for a blip to span a protocol wait, well within the grace.
  const relay = await connectRelay({ url: s.url, account, WebSocket, backoff: { initialMs: 600, maxMs: 1_200 }, timeoutMs: 5_000, onError: (e) => errors.push(e) })
  const transport = await secureTransport({ account, relay, peers: all.filter((a) => a !== account).map((a) => a.address), timeoutMs: 10_000 })
  const router = createSessionRouter(transport)
  // Which sessions this party opens: a signing attempt abandoned shows as a session `.../1` opened.
  const opened: string[] = []
  const watched: SessionRouter = {
    open: (id, participants) => {
      opened.push(id)
      return router.open(id, participants)
    },
    whenConnected: router.whenConnected.bind(router),
    close: () => router.close(),
  }
  const backend = federationParty({
    account,
    router: watched,
    identityKey: (p) => transport.identityKey(p),
    parties: all.map((a) => a.address),
    threshold: 2,
    shares: memorySecretStore(),
    attemptTimeoutMs,
    dkgTimeoutMs: 10_000,
  })
  // a federation signature proves the threshold signed: a party that lost a round may endorse a co-party's (connector)
  if (backend.thresholdSignatures !== true) throw new Error('federationParty must declare thresholdSignatures')
  const connector = createConnector({ ledger: w.ledger, account, keyring, backend, pollIntervalMs: 50 })
  await connector.start()
  return { account, relay, transport, router, connector, errors, opened }
}

async function stopParty(p: Party) {
  await p.connector.stop()
  p.router.close()
  await p.transport.close()
  await p.relay.close()
}

/** Requests a signature; returns how long it took to be fulfilled and its request id. Noble verifies it. */
async function sign(w: OwnerWorld, key: Key, payload: Uint8Array) {
  const started = Date.now()
  const { requestId } = await w.client.requestSignature({ keyId: key.id, payloads: [payload] })
  const done = await w.client.waitForSignRequest({ requestId, timeoutMs: waitMs })
  const tookMs = Date.now() - started
  expect(done.status).toBe('fulfilled')
  expect(nobleVerifies(key.keyType, done.publicKey, payload, done.signatures[0]!)).toBe(true)
  return { requestId, tookMs }
}

describe('a 2-of-3 federation over a network relay: FROST (eddsa-ed25519) and DKLs23 (ecdsa-secp256k1) keys', () => {
  const accounts = [generateAccount(), generateAccount(), generateAccount()]
  const sorted = accounts.map((a) => a.address).sort()
  let w: OwnerWorld
  let s: RelayServer
  let parties: Party[] = []
  let keys: Key[] = []

  beforeAll(async () => {
    w = await ownerWorld({ chainId: 'zrkit-relay-presence', funded: accounts })
    s = await serveRelay({ parties: accounts.map((a) => a.address) })
    const registrar = await createFederation({ ledger: w.ledger, parties: accounts, threshold: 2 })
    const keyring = await registrar.register(w.client, { description: 'presence 2-of-3', keyRequestFee: 1n, signRequestFee: 1n })
    parties = await Promise.all(accounts.map((a) => startParty(w, s, keyring, a, accounts)))
    for (const keyType of ['eddsa-ed25519', 'ecdsa-secp256k1'] as const) {
      const { requestId } = await w.client.requestKey({ workspace: w.workspace, keyring, keyType })
      const done = await w.client.waitForKeyRequest({ requestId, timeoutMs: waitMs })
      expect(done.request.status).toBe('fulfilled')
      keys.push(done.key)
    }
  }, 120_000)
  afterAll(async () => {
    await Promise.all(parties.map((p) => stopParty(p).catch(() => {})))
    await s?.close()
    await w?.ledger.close()
  })
  afterEach(() => s.intercept(null))

  it("a coordinator's socket cut mid-signing, back within the grace: the attempt in progress completes with it (none abandoned)", async () => {
    for (const key of keys) {
      let victim: string | undefined
      // The first frame of attempt 0 goes to its coordinator: cut the coordinator's socket before it is
      // routed (the relay buffers it and what follows until the coordinator is back).
      s.intercept((frame) => {
        if (victim === undefined) {
          victim = frame.to
          s.terminate(frame.to)
        }
      })
      const before = parties.map((p) => p.relay.sessions)
      const { requestId } = await sign(w, key, sha256(Uint8Array.of(1, key.id & 0xff)))
      expect(victim).toBeDefined()
      const party = parties.find((p) => p.account.address === victim)!
      expect(coordinatorOf(sorted, requestId, 0)).toBe(victim)
      // it was really cut (and came back)
      await until(() => party.relay.sessions > before[parties.indexOf(party)]! && party.relay.connected, 'the victim reconnected', { timeoutMs: 5_000 })
      // every party ran attempt 0 only (an ECDSA pool's background presigning after it is no attempt)
      const attempts = parties.flatMap((p) => p.opened.filter((id) => id.includes(`/sign/`) && id.includes(`/${requestId}/`) && !id.endsWith('/presign')))
      expect(attempts.length).toBeGreaterThan(0)
      expect(attempts.every((id) => id.endsWith(`/${requestId}/0`)), attempts.join(', ')).toBe(true)
      s.intercept(null)
    }
  })

  it('a relay that lies ("X is away" while X is up) only makes attempts fail over or wait: signing completes, never with an invalid signature', async () => {
    const liar = accounts[0]!.address
    s.injectPresence(liar, false, 60_000)
    await until(() => parties.slice(1).every((p) => p.relay.presence!(liar)?.here === false), 'the lie told')
    for (const key of keys) for (let i = 0; i < 3; i++) await sign(w, key, sha256(Uint8Array.of(2, i, key.id & 0xff)))
    // a lie about everyone: each party waits for the others to come back (too few are said to be connected) instead
    // of running attempts; the lie only delays the request, which neither fails nor gets a wrong signature
    for (const a of accounts) s.injectPresence(a.address, false, 60_000)
    await until(() => parties.every((p) => accounts.every((a) => a === p.account || p.relay.presence!(a.address)?.here === false)), 'the lies told')
    const payload = sha256(Uint8Array.of(3))
    const { requestId } = await w.client.requestSignature({ keyId: keys[0]!.id, payloads: [payload], ttlMs: 60_000 })
    await sleep(1_500)
    const waiting = await w.client.getSignRequest({ id: requestId })
    expect(waiting.status).toBe('pending')
    expect(waiting.responses).toEqual([])
    // the truth again: the waiting request is signed, and everyone signs as before
    for (const a of accounts) s.injectPresence(a.address, true)
    await until(() => parties.every((p) => accounts.every((a) => a === p.account || p.relay.presence!(a.address)?.here === true)), 'the truth told')
    const done = await w.client.waitForSignRequest({ requestId, timeoutMs: waitMs })
    expect(nobleVerifies(keys[0]!.keyType, done.publicKey, payload, done.signatures[0]!)).toBe(true)
    for (const key of keys) await sign(w, key, sha256(Uint8Array.of(4, key.id & 0xff)))
  })

  it(`a party gone for good: each request is fulfilled in well under the ${attemptTimeoutMs} ms attempt timeout, including those it would have coordinated`, async () => {
    const dead = parties[2]!
    await stopParty(dead)
    const alive = parties.slice(0, 2)
    await until(() => alive.every((p) => p.relay.presence!(dead.account.address)?.here === false), 'the others see it away')
    // known to be down: away for the grace (2 000 ms by default)
    await sleep(2_100)
    const deadFirst: number[] = []
    const times: number[] = []
    for (let i = 0; i < 10 && (deadFirst.length < 2 || times.length < 4); i++) {
      const key = keys[i % keys.length]!
      const { requestId, tookMs } = await sign(w, key, sha256(Uint8Array.of(5, i)))
      times.push(tookMs)
      if (coordinatorOf(sorted, requestId, 0) === dead.account.address) deadFirst.push(tookMs)
      expect(tookMs, `request ${requestId} (${key.keyType}) took ${tookMs} ms`).toBeLessThan(3_000)
    }
    expect(deadFirst.length).toBeGreaterThanOrEqual(2)
  })
})
