import { ed25519 } from '@noble/curves/ed25519.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { getEventListeners } from 'node:events'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type Account,
  type Connector,
  type ConnectorEvent,
  type ConnectorOptions,
  type KeyType,
  type KeyringBackend,
  type Ledger,
  type SignRequest,
  type SignedTx,
  type ZrClient,
  ZrError,
  abstain,
  createConnector,
  createEmbeddedLedger,
  createZrClient,
  generateAccount,
  isZrError,
  keyTypes,
  keyringAddress,
  localKeyring,
  recoveredToRsv,
  toHex,
  transientError,
} from '@zrkit/core'
import { nobleVerifies, payloadFor, rejection, sleep, thrownZrError, until } from '@zrkit/testkit'

// ---------------------------------------------------------------------------------------------------
// helpers

const utf8 = (s: string) => new TextEncoder().encode(s)
const WAIT = { timeoutMs: 15_000 }

/** Party responses a ledger accepted or refused, as seen through {@link spyLedger}. */
type Post = { signer: string; kind: 'key' | 'sign'; requestId: number; result: Record<string, unknown>; ok: boolean; error?: string }

/** The ledger, with every party response (FulfilKeyRequest / FulfilSignRequest) recorded. */
function spyLedger(ledger: Ledger): { ledger: Ledger; posts: Post[] } {
  const posts: Post[] = []
  const spy: Ledger = {
    chainId: ledger.chainId,
    query: (kind, params) => ledger.query(kind, params),
    subscribe: (filter, listener, options) => ledger.subscribe(filter, listener, options),
    close: () => ledger.close(),
    async submit(tx: SignedTx) {
      const msg = tx.msg as { type: string; requestId?: number; result?: Record<string, unknown> }
      const kind = msg.type === 'treasury.FulfilKeyRequest' ? 'key' : msg.type === 'treasury.FulfilSignRequest' ? 'sign' : undefined
      try {
        const receipt = await ledger.submit(tx)
        if (kind) posts.push({ signer: tx.signer, kind, requestId: msg.requestId!, result: msg.result!, ok: true })
        return receipt
      } catch (e) {
        if (kind) posts.push({ signer: tx.signer, kind, requestId: msg.requestId!, result: msg.result!, ok: false, error: isZrError(e) ? e.code : String(e) })
        throw e
      }
    },
  }
  return { ledger: spy, posts }
}

/**
 * A test keyring shared by several parties: the key is derived from (keyring, request id), so every
 * party returns the same public key, and ECDSA signing is RFC 6979 (no extra entropy), so every party
 * returns the same signatures.
 */
function deterministicBackend(extra: Partial<KeyringBackend> = {}): KeyringBackend & { createCalls: number; signCalls: number } {
  const secrets = new Map<string, Uint8Array>()
  const backend = {
    name: 'deterministic',
    keyTypes: ['ecdsa-secp256k1', 'bitcoin-secp256k1', 'eddsa-ed25519'] as KeyType[],
    createCalls: 0,
    signCalls: 0,
    async createKey({ requestId, keyType, keyring }: { requestId: number; keyType: KeyType; keyring: string }) {
      backend.createCalls++
      let secret = sha256(utf8(`zrkit-test:${keyring}:${requestId}`))
      while (keyType !== 'eddsa-ed25519' && !secp256k1.utils.isValidSecretKey(secret)) secret = sha256(secret)
      const publicKey = keyType === 'eddsa-ed25519' ? ed25519.getPublicKey(secret) : secp256k1.getPublicKey(secret, true)
      secrets.set(toHex(publicKey), secret)
      return { publicKey }
    },
    async sign({ keyType, publicKey, payloads }: { keyType: KeyType; publicKey: Uint8Array; payloads: readonly Uint8Array[] }) {
      backend.signCalls++
      const secret = secrets.get(toHex(publicKey))
      if (!secret) throw new Error('key not held')
      return {
        signatures: payloads.map((p) =>
          keyType === 'eddsa-ed25519' ? ed25519.sign(p, secret) : recoveredToRsv(secp256k1.sign(p, secret, { prehash: false, lowS: true, format: 'recovered', extraEntropy: false })),
        ),
      }
    },
    ...extra,
  }
  return backend
}

type World = {
  ledger: Ledger
  posts: Post[]
  alice: ZrClient
  operator: ZrClient
  parties: Account[]
  /** Seeds of the parties' accounts: `generateAccount(seed)` gives a fresh Account object for the same key, as a restarted process would have. */
  partySeeds: string[]
  keyring: string
  workspace: string
  connect(party: Account, backend: KeyringBackend, options?: Partial<ConnectorOptions>): Connector & { events: ConnectorEvent[] }
}

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {})
})

/** A ledger with a funded requester (alice), her workspace and a keyring of `n` parties. */
async function world(n = 1, threshold = 1): Promise<World> {
  const aliceAccount = generateAccount()
  const operatorAccount = generateAccount()
  const base = await createEmbeddedLedger({
    genesis: { chainId: 'zrkit-connector-test', balances: [{ address: aliceAccount.address, amount: 100_000_000n }], params: { minTtlMs: 50 } },
  })
  cleanups.push(() => base.close())
  const { ledger, posts } = spyLedger(base)
  const alice = createZrClient({ ledger, account: aliceAccount })
  const operator = createZrClient({ ledger, account: operatorAccount })
  const run = Math.random().toString(36).slice(2)
  const partySeeds = Array.from({ length: n }, (_, i) => `zrkit-connector-test:${run}:party${i}`)
  const parties = partySeeds.map((seed) => generateAccount(seed))
  const { keyring } = await operator.createKeyring({ description: 'test keyring', parties: parties.map((p) => p.address), partyThreshold: threshold, keyRequestFee: 100n, signRequestFee: 10n })
  const { workspace } = await alice.createWorkspace()
  const connect: World['connect'] = (party, backend, options = {}) => {
    const events: ConnectorEvent[] = []
    const c = createConnector({
      ledger,
      account: party,
      keyring,
      backend,
      pollIntervalMs: 0,
      retry: { initialDelayMs: 1, maxDelayMs: 5 },
      ...options,
      onEvent: (e) => {
        events.push(e)
        options.onEvent?.(e)
      },
    })
    cleanups.push(() => c.stop())
    return Object.assign(c, { events })
  }
  return { ledger, posts, alice, operator, parties, partySeeds, keyring, workspace, connect }
}

function reasonOf(e: unknown): string {
  if (!isZrError(e, 'REQUEST_REJECTED')) throw e
  return String(e.meta.reason)
}

// ---------------------------------------------------------------------------------------------------

describe('createConnector: 1-of-1 with localKeyring', () => {
  it('fulfils key requests of all four key types and signature requests; status counts them', async () => {
    const w = await world()
    const c = w.connect(w.parties[0]!, localKeyring())
    await c.start()
    expect(c.status().running).toBe(true)

    for (const keyType of keyTypes) {
      const { requestId } = await w.alice.requestKey({ workspace: w.workspace, keyring: w.keyring, keyType })
      const { key, request } = await w.alice.waitForKeyRequest({ requestId, ...WAIT })
      expect(request.status).toBe('fulfilled')
      expect(key.keyType).toBe(keyType)
      expect(key.publicKey).toHaveLength(keyType === 'eddsa-ed25519' ? 32 : 33)
      expect(request.responses.map((r) => r.party)).toEqual([w.parties[0]!.address])

      const payloads = [payloadFor(keyType, `${keyType}-1`), payloadFor(keyType, `${keyType}-2`)]
      const { requestId: signId } = await w.alice.requestSignature({ keyId: key.id, payloads })
      const signed = await w.alice.waitForSignRequest({ requestId: signId, ...WAIT })
      expect(signed.status).toBe('fulfilled')
      expect(signed.signatures).toHaveLength(2)
      signed.signatures.forEach((sig, i) => expect(nobleVerifies(keyType, key.publicKey, payloads[i]!, sig)).toBe(true))
    }

    await c.idle()
    const s = c.status()
    expect(s.responded).toBe(8)
    expect(s.rejected).toBe(0)
    expect(s.errors).toBe(0)
    expect(s.retries).toBe(0)
    expect(s.backlog).toBe(0)
    expect(s.inFlight).toBe(0)
    expect(s.averageLatencyMs).toBeGreaterThanOrEqual(0)
    expect(s.lastSeenAt).toBeGreaterThan(0)
    expect(c.events.filter((e) => e.type === 'picked')).toHaveLength(8)
    expect(c.events.filter((e) => e.type === 'responded').map((e) => (e as { status: string }).status)).toEqual(Array(8).fill('fulfilled'))
    // one post per request, all accepted
    expect(w.posts).toHaveLength(8)
    expect(w.posts.every((p) => p.ok)).toBe(true)

    await c.stop()
    expect(c.status().running).toBe(false)
  })

  it('the requester pays the key fee once the connector fulfils the request', async () => {
    const w = await world()
    const c = w.connect(w.parties[0]!, localKeyring())
    await c.start()
    const before = (await w.ledger.query('account', { address: w.alice.account!.address })).balance
    const key = await w.alice.createKey({ workspace: w.workspace, keyring: w.keyring, keyType: 'ecdsa-secp256k1', ...WAIT })
    expect(key.keyring).toBe(w.keyring)
    const after = (await w.ledger.query('account', { address: w.alice.account!.address })).balance
    expect(before - after).toBe(100n)
  })
})

describe('createConnector: what the backend is handed', () => {
  it("each key and signature request's expiry, as the ledger holds it (a backend that waits for co-parties answers before it)", async () => {
    const w = await world()
    const seen: { kind: string; expiresAt: number | undefined }[] = []
    const inner = localKeyring()
    const c = w.connect(w.parties[0]!, {
      ...inner,
      createKey: (r) => (seen.push({ kind: 'key', expiresAt: r.expiresAt }), inner.createKey(r)),
      sign: (r) => (seen.push({ kind: 'sign', expiresAt: r.expiresAt }), inner.sign(r)),
    })
    await c.start()
    const { requestId: keyRequestId } = await w.alice.requestKey({ workspace: w.workspace, keyring: w.keyring, keyType: 'ecdsa-secp256k1', ttlMs: 123_000 })
    const { key } = await w.alice.waitForKeyRequest({ requestId: keyRequestId, ...WAIT })
    const { requestId } = await w.alice.requestSignature({ keyId: key.id, payloads: [sha256(utf8('expiry'))], ttlMs: 45_000 })
    await w.alice.waitForSignRequest({ requestId, ...WAIT })
    expect(seen).toEqual([
      { kind: 'key', expiresAt: (await w.ledger.query('keyRequest', { id: keyRequestId }))!.expiresAt },
      { kind: 'sign', expiresAt: (await w.ledger.query('signRequest', { id: requestId }))!.expiresAt },
    ])
    const keyRequest = (await w.ledger.query('keyRequest', { id: keyRequestId }))!
    expect(keyRequest.expiresAt - keyRequest.createdAt).toBe(123_000)
  })
})

describe('createConnector: 2-of-3 keyring with a shared deterministic backend', () => {
  it('is fulfilled when 2 of 3 connectors run', async () => {
    const w = await world(3, 2)
    const backend = deterministicBackend()
    const c0 = w.connect(w.parties[0]!, backend)
    const c1 = w.connect(w.parties[1]!, backend)
    await c0.start()
    await c1.start()

    for (const keyType of ['ecdsa-secp256k1', 'eddsa-ed25519'] as const) {
      const { requestId } = await w.alice.requestKey({ workspace: w.workspace, keyring: w.keyring, keyType })
      const { key, request } = await w.alice.waitForKeyRequest({ requestId, ...WAIT })
      expect(request.responses.map((r) => r.party).sort()).toEqual([w.parties[0]!.address, w.parties[1]!.address].sort())
      expect(request.responses.every((r) => r.rejectReason === undefined)).toBe(true)

      const payloads = [payloadFor(keyType, 'x'), payloadFor(keyType, 'y'), payloadFor(keyType, 'z')]
      const { requestId: signId } = await w.alice.requestSignature({ keyId: key.id, payloads })
      const signed = await w.alice.waitForSignRequest({ requestId: signId, ...WAIT })
      expect(signed.responses.map((r) => r.party).sort()).toEqual([w.parties[0]!.address, w.parties[1]!.address].sort())
      signed.signatures.forEach((sig, i) => expect(nobleVerifies(keyType, key.publicKey, payloads[i]!, sig)).toBe(true))
    }
    await c0.idle()
    await c1.idle()
    expect(c0.status().responded).toBe(4)
    expect(c1.status().responded).toBe(4)
    // the third party never posted anything
    expect(w.posts.filter((p) => p.signer === w.parties[2]!.address)).toEqual([])
  })

  it('a party still working when the other two settle a sign request is stopped: its signal aborts, it posts nothing; key requests are never cut short', async () => {
    const w = await world(3, 2)
    const backend = deterministicBackend()
    const slowSignals: AbortSignal[] = []
    const keyDone: number[] = []
    // the third party holds the same keys but is slow: its key generation takes 300 ms, its signing waits for its signal
    const slow = deterministicBackend({
      async createKey(input) {
        await sleep(300)
        keyDone.push(input.requestId)
        return backend.createKey(input)
      },
      async sign(input) {
        slowSignals.push(input.signal!)
        await new Promise<void>((resolve) => input.signal!.addEventListener('abort', () => resolve(), { once: true }))
        throw new ZrError('ABORTED', 'Stopped.')
      },
    })
    const cs = [w.connect(w.parties[0]!, backend), w.connect(w.parties[1]!, backend), w.connect(w.parties[2]!, slow)]
    for (const c of cs) await c.start()
    const { requestId } = await w.alice.requestKey({ workspace: w.workspace, keyring: w.keyring, keyType: 'eddsa-ed25519' })
    const { key } = await w.alice.waitForKeyRequest({ requestId, ...WAIT })
    const payload = payloadFor('eddsa-ed25519', 'settled')
    const { requestId: signId } = await w.alice.requestSignature({ keyId: key.id, payloads: [payload] })
    const signed = await w.alice.waitForSignRequest({ requestId: signId, ...WAIT })
    expect(signed.responses.map((r) => r.party).sort()).toEqual([w.parties[0]!.address, w.parties[1]!.address].sort())
    await until(() => cs[2]!.events.some((e) => e.type === 'skipped' && e.kind === 'sign' && e.requestId === signId), 'the slow party to stop', { timeoutMs: 5_000 })
    await cs[2]!.idle()
    expect(slowSignals).toHaveLength(1)
    expect(slowSignals[0]!.aborted).toBe(true)
    expect(cs[2]!.events.find((e) => e.type === 'skipped' && e.requestId === signId)).toMatchObject({ why: 'settled on the ledger while this party was working' })
    // the slow party posted its key result (its key generation ran to the end), and no signature result
    expect(keyDone).toEqual([requestId])
    expect(w.posts.filter((p) => p.signer === w.parties[2]!.address).map((p) => p.kind)).toEqual(['key'])
    expect(cs[2]!.status().errors).toBe(0)
    expect(cs[2]!.status().rejected).toBe(0)
  })

  it('waitForSignRequest asks the ledger again only when the request can have settled, not on each party response', async () => {
    const w = await world(3, 2)
    const backend = deterministicBackend()
    // the second party answers 300 ms after the first, so the first response is an event of its own
    const late = deterministicBackend({
      createKey: (input) => backend.createKey(input),
      async sign(input) {
        await sleep(300)
        return backend.sign(input)
      },
    })
    const cs = [w.connect(w.parties[0]!, backend), w.connect(w.parties[1]!, late)]
    for (const c of cs) await c.start()
    const { requestId } = await w.alice.requestKey({ workspace: w.workspace, keyring: w.keyring, keyType: 'eddsa-ed25519' })
    const { key } = await w.alice.waitForKeyRequest({ requestId, ...WAIT })
    let queries = 0
    const counted: Ledger = {
      chainId: w.ledger.chainId,
      submit: (tx) => w.ledger.submit(tx),
      query: (kind, params) => {
        if (kind === 'signRequest') queries++
        return w.ledger.query(kind, params)
      },
      subscribe: (filter, listener, options) => w.ledger.subscribe(filter, listener, options),
      close: () => w.ledger.close(),
    }
    const alice = createZrClient({ ledger: counted, account: w.alice.account! })
    const { requestId: signId } = await alice.requestSignature({ keyId: key.id, payloads: [payloadFor('eddsa-ed25519', 'wait')] })
    const seen: string[] = []
    const done = await alice.waitForSignRequest({ requestId: signId, ...WAIT, onEvent: (e) => void seen.push(e.type) })
    expect(done.status).toBe('fulfilled')
    expect(seen).toContain('signRequest.response')
    expect(seen[seen.length - 1]).toBe('signRequest.fulfilled')
    // once when the wait starts, once on the fulfilment: the first party's response alone settles nothing
    expect(queries).toBe(2)
  })

  it('waitForSignRequest and waitForKeyRequest without onEvent are sent only the events that settle the request', async () => {
    const w = await world(3, 2)
    const backend = deterministicBackend()
    for (const p of w.parties.slice(0, 2)) await w.connect(p, backend).start()
    const delivered: string[] = []
    const counted: Ledger = { ...w.ledger, subscribe: (filter, listener, options) => w.ledger.subscribe(filter, (e) => (delivered.push(e.type), listener(e)), options) }
    const alice = createZrClient({ ledger: counted, account: w.alice.account! })
    const { requestId } = await alice.requestKey({ workspace: w.workspace, keyring: w.keyring, keyType: 'eddsa-ed25519' })
    const { key } = await alice.waitForKeyRequest({ requestId, ...WAIT })
    const { requestId: signId } = await alice.requestSignature({ keyId: key.id, payloads: [payloadFor('eddsa-ed25519', 'quiet wait')] })
    const done = await alice.waitForSignRequest({ requestId: signId, ...WAIT })
    expect(done.status).toBe('fulfilled')
    // two responses each were posted: none of them was sent to the waits, only what settled the requests (a wait
    // that began after its request settled is sent nothing, and finds it settled by asking)
    expect((await w.ledger.query('signRequest', { id: signId }))!.responses.length).toBe(2)
    expect(delivered.every((t) => t === 'keyRequest.fulfilled' || t === 'signRequest.fulfilled')).toBe(true)
  })

  it('with only 1 of 3 running, a request stays pending and then expires', async () => {
    const w = await world(3, 2)
    const backend = deterministicBackend()
    const c0 = w.connect(w.parties[0]!, backend)
    const c1 = w.connect(w.parties[1]!, backend)
    await c0.start()
    await c1.start()
    const key = await w.alice.createKey({ workspace: w.workspace, keyring: w.keyring, keyType: 'ecdsa-secp256k1', ...WAIT })
    await c1.stop()

    // a key request: one response, pending, then expired
    const { requestId } = await w.alice.requestKey({ workspace: w.workspace, keyring: w.keyring, keyType: 'ecdsa-secp256k1', ttlMs: 1_000 })
    await until(async () => (await w.alice.getKeyRequest({ id: requestId })).responses.length === 1, 'party 0 response', { timeoutMs: 5_000 })
    const pending = await w.alice.getKeyRequest({ id: requestId })
    expect(pending.status).toBe('pending')
    expect(pending.responses[0]!.party).toBe(w.parties[0]!.address)
    const keyErr = await rejection(w.alice.waitForKeyRequest({ requestId, ...WAIT }))
    expect(reasonOf(keyErr)).toContain('expired')
    const expired = await w.alice.getKeyRequest({ id: requestId })
    expect(expired.status).toBe('rejected')
    expect(expired.keyId).toBeUndefined()

    // a signature request: same
    const digest = sha256(utf8('only one party'))
    const { requestId: signId } = await w.alice.requestSignature({ keyId: key.id, payloads: [digest], ttlMs: 1_000 })
    await until(async () => (await w.alice.getSignRequest({ id: signId })).responses.length === 1, 'party 0 sign response', { timeoutMs: 5_000 })
    expect((await w.alice.getSignRequest({ id: signId })).status).toBe('pending')
    const signErr = await rejection(w.alice.waitForSignRequest({ requestId: signId, ...WAIT }))
    expect(reasonOf(signErr)).toContain('expired')

    await c0.idle()
    expect(c0.status().errors).toBe(0)
  })
})

describe('createConnector: never responds twice', () => {
  it('a restarted connector skips a request it already answered; the other party completes it', async () => {
    const w = await world(3, 2)
    const backend = deterministicBackend()
    const party0 = w.parties[0]!
    const first = w.connect(party0, backend)
    await first.start()

    const { requestId } = await w.alice.requestKey({ workspace: w.workspace, keyring: w.keyring, keyType: 'ecdsa-secp256k1' })
    await until(async () => (await w.alice.getKeyRequest({ id: requestId })).responses.length === 1, 'first response', { timeoutMs: 5_000 })
    await first.idle()
    await first.stop()
    expect(first.status().responded).toBe(1)

    // "restart": a new connector, with a new Account object for the same key as a new process would have
    const second = w.connect(generateAccount(w.partySeeds[0]!), backend, { pollIntervalMs: 5 })
    await second.start()
    await second.idle()
    await sleep(60) // several poll rounds
    await second.idle()
    expect(second.status().responded).toBe(0)
    expect(second.events.filter((e) => e.type === 'picked' || e.type === 'responded' || e.type === 'rejected')).toEqual([])
    expect(w.posts.filter((p) => p.signer === party0.address && p.requestId === requestId)).toHaveLength(1)
    expect(backend.createCalls).toBe(1)
    expect((await w.alice.getKeyRequest({ id: requestId })).status).toBe('pending')

    // the second party completes it; party0 appears exactly once
    const c1 = w.connect(w.parties[1]!, backend)
    await c1.start()
    const { request } = await w.alice.waitForKeyRequest({ requestId, ...WAIT })
    expect(request.responses.filter((r) => r.party === party0.address)).toHaveLength(1)
    expect(request.responses.filter((r) => r.party === w.parties[1]!.address)).toHaveLength(1)
    expect(request.responses).toHaveLength(2)
    await second.idle()
    await c1.idle()
    expect(w.posts.filter((p) => p.signer === party0.address)).toHaveLength(1)
    expect(second.status().errors).toBe(0)
  })

  it('answers a request that arrived while it was stopped (start() scans pending requests)', async () => {
    const w = await world()
    const backend = localKeyring()
    const c = w.connect(w.parties[0]!, backend)
    await c.start()
    const key = await w.alice.createKey({ workspace: w.workspace, keyring: w.keyring, keyType: 'eddsa-ed25519', ...WAIT })
    await c.idle()
    await c.stop()

    const { requestId: keyReq } = await w.alice.requestKey({ workspace: w.workspace, keyring: w.keyring, keyType: 'schnorr-secp256k1' })
    const { requestId: signReq } = await w.alice.requestSignature({ keyId: key.id, payloads: [utf8('while stopped')] })
    await sleep(30)
    expect((await w.alice.getKeyRequest({ id: keyReq })).responses).toHaveLength(0)
    expect((await w.alice.getSignRequest({ id: signReq })).responses).toHaveLength(0)

    // a new connector (same backend = same secret store) after the "restart"
    const again = w.connect(w.parties[0]!, backend)
    await again.start()
    const { key: k2 } = await w.alice.waitForKeyRequest({ requestId: keyReq, ...WAIT })
    expect(k2.keyType).toBe('schnorr-secp256k1')
    const signed = await w.alice.waitForSignRequest({ requestId: signReq, ...WAIT })
    expect(nobleVerifies('eddsa-ed25519', key.publicKey, utf8('while stopped'), signed.signatures[0]!)).toBe(true)
    await again.idle()
    expect(again.status().responded).toBe(2)
  })

  it('two connectors for the same party at once post one response; the other skips', async () => {
    const w = await world(2, 2)
    const backend = deterministicBackend()
    const party = w.parties[0]!
    // both for the same party, with separate Account objects as separate processes would have
    const a = w.connect(party, backend)
    const twin = w.connect(generateAccount(w.partySeeds[0]!), backend)
    await a.start()
    await twin.start()
    const ids: number[] = []
    for (let i = 0; i < 5; i++) ids.push((await w.alice.requestKey({ workspace: w.workspace, keyring: w.keyring, keyType: 'ecdsa-secp256k1' })).requestId)
    await until(async () => {
      for (const id of ids) if ((await w.alice.getKeyRequest({ id })).responses.length < 1) return false
      return true
    }, 'responses', { timeoutMs: 5_000 })
    await a.idle()
    await twin.idle()
    for (const id of ids) {
      const r = await w.alice.getKeyRequest({ id })
      expect(r.responses.map((x) => x.party)).toEqual([party.address])
      expect(r.status).toBe('pending')
    }
    // exactly one accepted post per request; every handled-but-not-posted case is a skip
    for (const id of ids) expect(w.posts.filter((p) => p.requestId === id && p.ok)).toHaveLength(1)
    expect(a.status().responded + twin.status().responded).toBe(5)
    // every time a connector picked a request up, it either posted the one response or skipped
    for (const id of ids) {
      const both = [...a.events, ...twin.events].filter((e) => e.requestId === id)
      expect(both.filter((e) => e.type === 'responded')).toHaveLength(1)
      expect(both.filter((e) => e.type === 'error' || e.type === 'rejected')).toEqual([])
      for (const c of [a, twin]) {
        const mine = c.events.filter((e) => e.requestId === id)
        // 'already responded' is decided before the pick; the ledger's refusals come after it
        const afterPick = mine.filter((e) => e.type === 'responded' || (e.type === 'skipped' && e.why !== 'already responded'))
        expect(mine.filter((e) => e.type === 'picked').length).toBe(afterPick.length)
      }
    }
    expect([...a.events, ...twin.events].some((e) => e.type === 'skipped')).toBe(true)
    expect(a.status().errors + twin.status().errors).toBe(0)
    // the second party completes them all
    const c1 = w.connect(w.parties[1]!, backend)
    await c1.start()
    for (const id of ids) {
      const { request } = await w.alice.waitForKeyRequest({ requestId: id, ...WAIT })
      expect(request.responses.map((x) => x.party).sort()).toEqual([party.address, w.parties[1]!.address].sort())
    }
  })
})

describe('createConnector: many requests', () => {
  it('answers 50 concurrent key requests and 50 signature requests exactly once, at most 4 at a time', async () => {
    const w = await world()
    const inner = localKeyring()
    let inFlight = 0
    let maxInFlight = 0
    const track = async <T>(fn: () => Promise<T>): Promise<T> => {
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      try {
        await sleep(5)
        return await fn()
      } finally {
        inFlight--
      }
    }
    const backend: KeyringBackend = {
      keyTypes: inner.keyTypes,
      createKey: (r) => track(() => inner.createKey(r)),
      sign: (r) => track(() => inner.sign(r)),
    }
    const c = w.connect(w.parties[0]!, backend, { concurrency: 4 })
    await c.start()

    const types = Array.from({ length: 50 }, (_, i) => keyTypes[i % 4]!)
    const requests = await Promise.all(types.map((keyType) => w.alice.requestKey({ workspace: w.workspace, keyring: w.keyring, keyType })))
    const results = await Promise.all(requests.map(({ requestId }) => w.alice.waitForKeyRequest({ requestId, ...WAIT })))
    for (const { request, key } of results) {
      expect(request.status).toBe('fulfilled')
      expect(request.responses.filter((r) => r.party === w.parties[0]!.address)).toHaveLength(1)
      expect(request.responses).toHaveLength(1)
      expect(key.keyType).toBe(request.keyType)
    }
    const publicKeys = new Set(results.map((r) => toHex(r.key.publicKey)))
    expect(publicKeys.size).toBe(50)

    const signs = await Promise.all(
      results.map(async ({ key }, i) => {
        const payload = payloadFor(key.keyType, `many ${i}`)
        const { requestId } = await w.alice.requestSignature({ keyId: key.id, payloads: [payload] })
        return { requestId, key, payload }
      }),
    )
    const signed = await Promise.all(signs.map(({ requestId }) => w.alice.waitForSignRequest({ requestId, ...WAIT })))
    signed.forEach((r, i) => {
      expect(r.responses.filter((x) => x.party === w.parties[0]!.address)).toHaveLength(1)
      expect(nobleVerifies(signs[i]!.key.keyType, signs[i]!.key.publicKey, signs[i]!.payload, r.signatures[0]!)).toBe(true)
    })

    await c.idle()
    expect(c.status().responded).toBe(100)
    expect(c.status().errors).toBe(0)
    expect(w.posts).toHaveLength(100)
    expect(new Set(w.posts.map((p) => `${p.kind}:${p.requestId}`)).size).toBe(100)
    expect(maxInFlight).toBeLessThanOrEqual(4)
    expect(maxInFlight).toBe(4)
  })

  it('answers 30 concurrent requests on a 2-of-3 keyring with each party at most once', async () => {
    const w = await world(3, 2)
    const backend = deterministicBackend()
    const cs = w.parties.map((p) => w.connect(p, backend, { concurrency: 4 }))
    for (const c of cs) await c.start()
    const requests = await Promise.all(Array.from({ length: 30 }, () => w.alice.requestKey({ workspace: w.workspace, keyring: w.keyring, keyType: 'ecdsa-secp256k1' })))
    const results = await Promise.all(requests.map(({ requestId }) => w.alice.waitForKeyRequest({ requestId, ...WAIT })))
    for (const c of cs) await c.idle()
    for (const { request } of results) {
      const parties = request.responses.map((r) => r.party)
      expect(new Set(parties).size).toBe(parties.length)
      expect(parties).toHaveLength(2)
    }
    for (const c of cs) expect(c.status().errors).toBe(0)
    expect(w.posts.filter((p) => p.ok)).toHaveLength(60)
  })
})

describe('createConnector: retries', () => {
  it('retries transient backend errors with backoff, then succeeds', async () => {
    const w = await world()
    const inner = localKeyring()
    let calls = 0
    const backend: KeyringBackend = {
      keyTypes: inner.keyTypes,
      async createKey(r) {
        calls++
        if (calls <= 2) throw transientError(`peer not reachable (${calls})`)
        return inner.createKey(r)
      },
      sign: (r) => inner.sign(r),
    }
    const c = w.connect(w.parties[0]!, backend, { retry: { attempts: 5, initialDelayMs: 2, maxDelayMs: 10 } })
    await c.start()
    const { requestId } = await w.alice.requestKey({ workspace: w.workspace, keyring: w.keyring, keyType: 'ecdsa-secp256k1' })
    const { request } = await w.alice.waitForKeyRequest({ requestId, ...WAIT })
    expect(request.status).toBe('fulfilled')
    await c.idle()
    expect(calls).toBe(3)
    expect(c.status().retries).toBe(2)
    expect(c.status().responded).toBe(1)
    expect(c.status().rejected).toBe(0)
    const retries = c.events.filter((e) => e.type === 'retry') as Extract<ConnectorEvent, { type: 'retry' }>[]
    expect(retries.map((e) => e.attempt)).toEqual([1, 2])
    expect(retries.every((e) => e.requestId === requestId && e.kind === 'key')).toBe(true)
    expect(retries[0]!.error).toContain('peer not reachable (1)')
  })

  it('rejects with "backend error" when transient errors outlast retry.attempts', async () => {
    const w = await world()
    const inner = localKeyring()
    let calls = 0
    const backend: KeyringBackend = {
      keyTypes: inner.keyTypes,
      async createKey() {
        calls++
        throw transientError('peers still offline')
      },
      sign: (r) => inner.sign(r),
    }
    const c = w.connect(w.parties[0]!, backend, { retry: { attempts: 3, initialDelayMs: 1, maxDelayMs: 2 } })
    await c.start()
    const { requestId } = await w.alice.requestKey({ workspace: w.workspace, keyring: w.keyring, keyType: 'eddsa-ed25519' })
    const reason = reasonOf(await rejection(w.alice.waitForKeyRequest({ requestId, ...WAIT })))
    expect(reason).toContain('backend error')
    expect(reason).toContain('peers still offline')
    await c.idle()
    expect(calls).toBe(3)
    expect(c.status().retries).toBe(2)
    expect(c.status().rejected).toBe(1)
    expect(c.status().responded).toBe(0)
    const r = await w.alice.getKeyRequest({ id: requestId })
    expect(r.responses).toHaveLength(1)
    expect(r.responses[0]!.rejectReason).toContain('backend error')
  })
})

describe('createConnector: retries of posts', () => {
  it('a response whose acknowledgement was lost is retried by the client and recognised as already applied (no error)', async () => {
    const w = await world()
    let dropped = 0
    // the ledger applies the first response, then the acknowledgement is "lost"
    const lossy: Ledger = {
      ...w.ledger,
      async submit(tx) {
        const receipt = await w.ledger.submit(tx)
        if (tx.msg.type === 'treasury.FulfilKeyRequest' && dropped === 0) {
          dropped++
          throw new ZrError('LEDGER_UNAVAILABLE', 'The ledger did not answer.', { details: 'connection reset' })
        }
        return receipt
      },
    }
    const c = w.connect(w.parties[0]!, localKeyring(), { ledger: lossy })
    await c.start()
    const { requestId } = await w.alice.requestKey({ workspace: w.workspace, keyring: w.keyring, keyType: 'ecdsa-secp256k1' })
    const { request } = await w.alice.waitForKeyRequest({ requestId, ...WAIT })
    expect(request.responses).toHaveLength(1)
    await c.idle()
    expect(dropped).toBe(1)
    // the client retried below the connector: it sent the same transaction again, and answered the
    // replay refusal with the receipt of the first landing, so the connector saw its post succeed
    expect(c.events.filter((e) => e.type === 'retry')).toHaveLength(0)
    expect(c.status().errors).toBe(0)
    expect(c.status().lastError).toBeUndefined()
    expect(c.events.filter((e) => e.type === 'error')).toEqual([])
    expect(c.events.some((e) => e.type === 'responded' && e.requestId === requestId)).toBe(true)
    // the first post landed; the retry was the same transaction and was refused as a replay
    expect(w.posts.map((p) => [p.ok, p.error])).toEqual([
      [true, undefined],
      [false, 'TX_REPLAYED'],
    ])
  })

  it('backoff waits do not pile up listeners on the abort signal', async () => {
    const w = await world()
    let calls = 0
    let seen: AbortSignal | undefined
    const backend: KeyringBackend = {
      keyTypes: ['ecdsa-secp256k1'],
      async createKey({ signal }) {
        seen = signal
        calls++
        if (calls < 20) throw transientError('not yet')
        return { publicKey: secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true) }
      },
      async sign() {
        return { signatures: [] }
      },
    }
    const c = w.connect(w.parties[0]!, backend, { retry: { attempts: 25, initialDelayMs: 1, maxDelayMs: 1 } })
    await c.start()
    const { requestId } = await w.alice.requestKey({ workspace: w.workspace, keyring: w.keyring, keyType: 'ecdsa-secp256k1' })
    await w.alice.waitForKeyRequest({ requestId, ...WAIT })
    await c.idle()
    expect(c.status().retries).toBe(19)
    expect(getEventListeners(seen!, 'abort').length).toBeLessThanOrEqual(1)
  })
})

describe('createConnector: backend errors become rejections with the reason', () => {
  it('a key backend throwing "hsm offline" rejects the key request with that reason', async () => {
    const w = await world()
    const backend: KeyringBackend = {
      keyTypes: ['ecdsa-secp256k1'],
      async createKey() {
        throw new Error('hsm offline')
      },
      async sign() {
        throw new Error('unreachable')
      },
    }
    const c = w.connect(w.parties[0]!, backend)
    await c.start()
    const { requestId } = await w.alice.requestKey({ workspace: w.workspace, keyring: w.keyring, keyType: 'ecdsa-secp256k1' })
    const reason = reasonOf(await rejection(w.alice.waitForKeyRequest({ requestId, ...WAIT })))
    expect(reason).toContain('hsm offline')
    const r = await w.alice.getKeyRequest({ id: requestId })
    expect(r.status).toBe('rejected')
    expect(r.rejectReason).toContain('hsm offline')
    await c.idle()
    expect(c.status().rejected).toBe(1)
    expect(c.status().retries).toBe(0) // a plain error is not retried
    expect(c.events.some((e) => e.type === 'rejected' && e.reason.includes('hsm offline'))).toBe(true)
  })

  it('a sign backend throwing "hsm offline" rejects the signature request with that reason', async () => {
    const w = await world()
    const inner = localKeyring()
    const backend: KeyringBackend = {
      keyTypes: inner.keyTypes,
      createKey: (r) => inner.createKey(r),
      async sign() {
        throw new Error('hsm offline')
      },
    }
    const c = w.connect(w.parties[0]!, backend)
    await c.start()
    const key = await w.alice.createKey({ workspace: w.workspace, keyring: w.keyring, keyType: 'ecdsa-secp256k1', ...WAIT })
    const { requestId } = await w.alice.requestSignature({ keyId: key.id, payloads: [sha256(utf8('pay'))] })
    const reason = reasonOf(await rejection(w.alice.waitForSignRequest({ requestId, ...WAIT })))
    expect(reason).toContain('hsm offline')
    const r = await w.alice.getSignRequest({ id: requestId })
    expect(r.signatures).toBeUndefined()
  })

  it('an unsupported key type is rejected with a reason naming the key type', async () => {
    const w = await world()
    let calls = 0
    const inner = localKeyring({ keyTypes: ['eddsa-ed25519'] })
    const backend: KeyringBackend = {
      name: 'ed-only',
      keyTypes: ['eddsa-ed25519'],
      createKey: (r) => (calls++, inner.createKey(r)),
      sign: (r) => inner.sign(r),
    }
    const c = w.connect(w.parties[0]!, backend)
    await c.start()
    const { requestId } = await w.alice.requestKey({ workspace: w.workspace, keyring: w.keyring, keyType: 'ecdsa-secp256k1' })
    const reason = reasonOf(await rejection(w.alice.waitForKeyRequest({ requestId, ...WAIT })))
    expect(reason).toContain('ecdsa-secp256k1')
    expect(reason).toContain('ed-only')
    expect(calls).toBe(0)
    // the supported type still works
    const key = await w.alice.createKey({ workspace: w.workspace, keyring: w.keyring, keyType: 'eddsa-ed25519', ...WAIT })
    expect(key.publicKey).toHaveLength(32)
    expect(calls).toBe(1)
  })
})

describe('createConnector: invalid backend results', () => {
  it('a 31-byte public key is refused by the ledger and the request is rejected as an invalid result', async () => {
    const w = await world()
    const backend: KeyringBackend = {
      keyTypes: ['ecdsa-secp256k1'],
      async createKey() {
        return { publicKey: new Uint8Array(31).fill(2) }
      },
      async sign() {
        return { signatures: [] }
      },
    }
    const c = w.connect(w.parties[0]!, backend)
    await c.start()
    const { requestId } = await w.alice.requestKey({ workspace: w.workspace, keyring: w.keyring, keyType: 'ecdsa-secp256k1' })
    const reason = reasonOf(await rejection(w.alice.waitForKeyRequest({ requestId, ...WAIT })))
    expect(reason).toContain('keyring produced an invalid result')
    expect(reason).toContain('31 bytes')
    const r = await w.alice.getKeyRequest({ id: requestId })
    expect(r.publicKey).toBeUndefined()
    expect(r.keyId).toBeUndefined()
    expect((await w.ledger.query('keys', { workspace: w.workspace })).items).toHaveLength(0)
    expect(w.posts.filter((p) => !p.ok).map((p) => p.error)).toEqual(['INVALID_PUBLIC_KEY'])
    await c.idle()
    expect(c.status().rejected).toBe(1)
    expect(c.status().responded).toBe(0)
  })

  it('a signature that does not verify is refused by the ledger, never stored, and the request is rejected', async () => {
    const w = await world()
    const inner = localKeyring()
    const backend: KeyringBackend = {
      keyTypes: inner.keyTypes,
      createKey: (r) => inner.createKey(r),
      async sign(r) {
        // signs another payload: well formed, but does not verify
        return inner.sign({ ...r, payloads: r.payloads.map((p) => sha256(p)) })
      },
    }
    const c = w.connect(w.parties[0]!, backend)
    await c.start()
    for (const keyType of ['ecdsa-secp256k1', 'eddsa-ed25519', 'schnorr-secp256k1'] as const) {
      const key = await w.alice.createKey({ workspace: w.workspace, keyring: w.keyring, keyType, ...WAIT })
      const { requestId } = await w.alice.requestSignature({ keyId: key.id, payloads: [payloadFor(keyType, 'bad')] })
      const reason = reasonOf(await rejection(w.alice.waitForSignRequest({ requestId, ...WAIT })))
      expect(reason).toContain('keyring produced an invalid result')
      const r = await w.alice.getSignRequest({ id: requestId })
      expect(r.signatures).toBeUndefined()
      expect(r.responses).toHaveLength(1)
      expect(r.responses[0]!.rejectReason).toContain('invalid result')
    }
    expect(w.posts.filter((p) => !p.ok).map((p) => p.error)).toEqual(['INVALID_RESULT', 'INVALID_RESULT', 'INVALID_RESULT'])
    // no signature was ever stored by the ledger
    const all = await w.ledger.query('signRequests', { workspace: w.workspace })
    expect(all.items.every((x) => x.signatures === undefined)).toBe(true)
  })

  it('a wrong number of signatures is refused as an invalid result', async () => {
    const w = await world()
    const inner = localKeyring()
    const backend: KeyringBackend = {
      keyTypes: inner.keyTypes,
      createKey: (r) => inner.createKey(r),
      async sign(r) {
        const { signatures } = await inner.sign(r)
        return { signatures: [...signatures, ...signatures] }
      },
    }
    const c = w.connect(w.parties[0]!, backend)
    await c.start()
    const key = await w.alice.createKey({ workspace: w.workspace, keyring: w.keyring, keyType: 'ecdsa-secp256k1', ...WAIT })
    const { requestId } = await w.alice.requestSignature({ keyId: key.id, payloads: [sha256(utf8('one'))] })
    const reason = reasonOf(await rejection(w.alice.waitForSignRequest({ requestId, ...WAIT })))
    expect(reason).toContain('keyring produced an invalid result')
    expect((await w.alice.getSignRequest({ id: requestId })).signatures).toBeUndefined()
  })
})

describe('createConnector: start() checks', () => {
  it('refuses an account that is not a party with NOT_KEYRING_PARTY', async () => {
    const w = await world()
    const c = w.connect(generateAccount(), localKeyring())
    const err = await rejection(c.start())
    expect(isZrError(err, 'NOT_KEYRING_PARTY')).toBe(true)
    expect(c.status().running).toBe(false)
  })

  it('refuses numeric options that are not whole numbers of the right range with INVALID_INPUT, saying what arrived', async () => {
    const w = await world()
    const base = { ledger: w.ledger, account: w.parties[0]!, keyring: w.keyring, backend: localKeyring() }
    const cases: [Partial<ConnectorOptions>, string][] = [
      [{ endorseAfterMs: 0 }, 'endorseAfterMs'],
      [{ endorseAfterMs: Number.NaN }, 'endorseAfterMs'],
      [{ concurrency: 0 }, 'concurrency'],
      [{ concurrency: 1.5 }, 'concurrency'],
      [{ pollIntervalMs: -1 }, 'pollIntervalMs'],
      [{ retry: { attempts: 0 } }, 'retry.attempts'],
      [{ retry: { maxDelayMs: 2 ** 31 } }, 'retry.maxDelayMs'],
      [{ endorseAfterMs: '1000' as never }, 'endorseAfterMs'],
    ]
    for (const [bad, name] of cases) {
      const e = thrownZrError(() => createConnector({ ...base, ...bad }), 'INVALID_INPUT')
      expect(e.shortMessage).toBe(`Invalid connector option ${name}.`)
      expect(e.details).toMatch(/^expected an integer in \d+\.\.\d+, got /)
    }
    // the defaults and the edges of the ranges are taken
    for (const ok of [{}, { endorseAfterMs: 1, concurrency: 1, pollIntervalMs: 0, retry: { attempts: 1, initialDelayMs: 0, maxDelayMs: 0 } }]) expect(() => createConnector({ ...base, ...ok })).not.toThrow()
  })

  it('refuses an unknown keyring with KEYRING_NOT_FOUND', async () => {
    const w = await world()
    const c = createConnector({ ledger: w.ledger, account: w.parties[0]!, keyring: keyringAddress(999), backend: localKeyring(), pollIntervalMs: 0 })
    cleanups.push(() => c.stop())
    const err = await rejection(c.start())
    expect(isZrError(err, 'KEYRING_NOT_FOUND')).toBe(true)
    expect(c.status().running).toBe(false)
  })
})

describe('createConnector: stop()', () => {
  it('aborts in-flight backend work, resolves, and posts nothing afterwards', async () => {
    const w = await world()
    let started!: () => void
    const reached = new Promise<void>((r) => (started = r))
    let sawAbort = false
    const backend: KeyringBackend = {
      keyTypes: ['ecdsa-secp256k1'],
      createKey({ signal }) {
        started()
        return new Promise((_, reject) => {
          signal.addEventListener('abort', () => {
            sawAbort = true
            reject(new Error('aborted by the connector'))
          })
          // give up on its own much later, so a connector that never aborts fails the test instead of hanging it
          setTimeout(() => reject(new Error('never aborted')), 8_000).unref()
        })
      },
      async sign() {
        return { signatures: [] }
      },
    }
    const c = w.connect(w.parties[0]!, backend)
    await c.start()
    const { requestId } = await w.alice.requestKey({ workspace: w.workspace, keyring: w.keyring, keyType: 'ecdsa-secp256k1' })
    await reached
    expect(c.status().inFlight).toBe(1)
    const stopped = await Promise.race([c.stop().then(() => 'stopped'), sleep(5_000).then(() => 'hung')])
    expect(stopped).toBe('stopped')
    expect(sawAbort).toBe(true)
    expect(c.status().running).toBe(false)
    expect(c.status().inFlight).toBe(0)
    await sleep(50)
    expect(w.posts).toEqual([])
    const r = await w.alice.getKeyRequest({ id: requestId })
    expect(r.status).toBe('pending')
    expect(r.responses).toHaveLength(0)
    expect(c.status().rejected).toBe(0)
    expect(c.status().errors).toBe(0)
  })

  it('stops a retry backoff promptly', async () => {
    const w = await world()
    let calls = 0
    const backend: KeyringBackend = {
      keyTypes: ['ecdsa-secp256k1'],
      async createKey() {
        calls++
        throw transientError('not yet')
      },
      async sign() {
        return { signatures: [] }
      },
    }
    const c = w.connect(w.parties[0]!, backend, { retry: { attempts: 10, initialDelayMs: 10_000, maxDelayMs: 10_000 } })
    await c.start()
    const { requestId } = await w.alice.requestKey({ workspace: w.workspace, keyring: w.keyring, keyType: 'ecdsa-secp256k1' })
    await until(() => calls === 1, 'first attempt', { timeoutMs: 5_000 })
    const t0 = Date.now()
    await c.stop()
    expect(Date.now() - t0).toBeLessThan(2_000)
    await sleep(20)
    expect(calls).toBe(1)
    expect(w.posts).toEqual([])
    expect((await w.alice.getKeyRequest({ id: requestId })).responses).toHaveLength(0)
  })

  it('does not pick up new requests once stopped', async () => {
    const w = await world()
    const c = w.connect(w.parties[0]!, localKeyring(), { pollIntervalMs: 5 })
    await c.start()
    await c.stop()
    const { requestId } = await w.alice.requestKey({ workspace: w.workspace, keyring: w.keyring, keyType: 'ecdsa-secp256k1' })
    await sleep(50)
    expect((await w.alice.getKeyRequest({ id: requestId })).responses).toHaveLength(0)
    expect(c.events).toEqual([])
  })
})

describe('createConnector: scope', () => {
  it('does not answer requests of other keyrings', async () => {
    const w = await world()
    const party = w.parties[0]!
    // a second keyring with the same party, served by nobody
    const { keyring: other } = await w.operator.createKeyring({ description: 'other', parties: [party.address], partyThreshold: 1, keyRequestFee: 1n, signRequestFee: 1n })
    const c = w.connect(party, localKeyring(), { pollIntervalMs: 5 })
    await c.start()
    const { requestId: otherReq } = await w.alice.requestKey({ workspace: w.workspace, keyring: other, keyType: 'ecdsa-secp256k1' })
    const key = await w.alice.createKey({ workspace: w.workspace, keyring: w.keyring, keyType: 'ecdsa-secp256k1', ...WAIT })
    expect(key.keyring).toBe(w.keyring)
    await sleep(50) // several poll rounds
    await c.idle()
    const r = await w.alice.getKeyRequest({ id: otherReq })
    expect(r.status).toBe('pending')
    expect(r.responses).toHaveLength(0)
    expect(c.events.filter((e) => e.kind === 'key' && e.requestId === otherReq)).toEqual([])
    expect(w.posts.filter((p) => p.requestId === otherReq && p.kind === 'key')).toEqual([])
    expect(c.status().responded).toBe(1)
  })
})

describe('createConnector: a backend that abstains', () => {
  it('posts nothing for the request (never a rejection), so another party can fulfil it', async () => {
    const w = await world(2, 1)
    const shared = deterministicBackend()
    const keyed = w.connect(w.parties[0]!, shared)
    await keyed.start()
    const { requestId: keyRequest } = await w.alice.requestKey({ workspace: w.workspace, keyring: w.keyring, keyType: 'ecdsa-secp256k1' })
    const { key } = await w.alice.waitForKeyRequest({ requestId: keyRequest, ...WAIT })
    await keyed.stop()

    // Party 1 holds nothing for this key and says so; party 0 is stopped: the request stays open.
    const abstaining = w.connect(w.parties[1]!, { ...deterministicBackend(), name: 'empty', async sign() { throw abstain('no share of this key') } })
    await abstaining.start()
    const digest = sha256(utf8('abstain'))
    const { requestId } = await w.alice.requestSignature({ keyId: key.id, payloads: [digest] })
    await until(() => abstaining.events.some((e) => e.type === 'skipped' && e.requestId === requestId))
    await abstaining.idle()
    expect(abstaining.events.find((e) => e.type === 'skipped' && e.requestId === requestId)).toMatchObject({ why: 'no share of this key' })
    expect(w.posts.filter((p) => p.kind === 'sign' && p.requestId === requestId)).toEqual([])
    expect((await w.ledger.query('signRequest', { id: requestId }))!.status).toBe('pending')

    // The party that holds the key comes back and fulfils it.
    const back = w.connect(w.parties[0]!, shared)
    await back.start()
    const done = await w.alice.waitForSignRequest({ requestId, ...WAIT })
    expect(done.responses.map((r) => r.party)).toEqual([w.parties[0]!.address])
  })
})

describe('createConnector: endorsing a co-party\'s verified signatures', () => {
  /** A 2-of-3 keyring with a key, party 0 signing as usual, party 2 down; `failing` is party 1's sign backend. */
  // The deterministic backend stands in for a threshold one (`thresholdSignatures`): the tests are about the connector.
  async function twoOfThree(failing: (posted: Promise<void>, shared: KeyringBackend) => KeyringBackend['sign'], options: Partial<ConnectorOptions> = {}, thresholdSignatures = true, onQuery?: (kind: string) => void) {
    const w = await world(3, 2)
    const shared = deterministicBackend()
    const c0 = w.connect(w.parties[0]!, shared)
    let signing = false
    // party 1's queries while its signing runs
    const watched: Ledger = { ...w.ledger, query: (kind, params) => (signing && onQuery?.(kind), w.ledger.query(kind, params)) }
    const sign: KeyringBackend['sign'] = async (r) => {
      signing = true
      try {
        return await failing(until(() => w.posts.some((p) => p.kind === 'sign' && p.requestId === r.requestId && p.ok)), shared)(r)
      } finally {
        signing = false
      }
    }
    const c1 = w.connect(w.parties[1]!, { ...shared, thresholdSignatures, sign }, { ledger: watched, ...options })
    await c0.start()
    await c1.start()
    const key = await w.alice.createKey({ workspace: w.workspace, keyring: w.keyring, keyType: 'ecdsa-secp256k1', ...WAIT })
    return { w, c0, c1, key }
  }

  it('a party whose signing timed out after party 0 posted checks those signatures and posts them: the request is fulfilled', async () => {
    const { w, c1, key } = await twoOfThree((posted) => async () => {
      await posted
      throw new ZrError('TIMEOUT', 'Timed out waiting for round 3.', { details: 'no message from party 0 after 3000 ms' })
    })
    const payloads = [sha256(utf8('endorse 1')), sha256(utf8('endorse 2'))]
    const { requestId } = await w.alice.requestSignature({ keyId: key.id, payloads })
    const done = await w.alice.waitForSignRequest({ requestId, ...WAIT })
    expect(done.status).toBe('fulfilled')
    expect(done.responses.map((r) => r.party).sort()).toEqual([w.parties[0]!.address, w.parties[1]!.address].sort())
    expect(done.responses[0]!.signatures).toEqual(done.responses[1]!.signatures)
    for (const [i, sig] of done.signatures!.entries()) expect(nobleVerifies('ecdsa-secp256k1', key.publicKey, payloads[i]!, sig)).toBe(true)
    await c1.idle()
    expect(c1.events).toContainEqual({ type: 'endorsed', kind: 'sign', requestId, party: w.parties[0]!.address, error: 'TIMEOUT: Timed out waiting for round 3. (no message from party 0 after 3000 ms)' })
    expect(c1.events.some((e) => e.type === 'rejected')).toBe(false)
    expect(c1.status().responded).toBe(2) // its key request response and this one
  })

  it('a party still signing endorseAfterMs after it took the request up finds the signatures party 0 posted, checks them, stops its backend work and posts them', async () => {
    let aborted: unknown
    let looks = 0
    const { w, c1, key } = await twoOfThree(
      () => (r) =>
        // a signing that would run until the request's deadline: only its signal ends it
        new Promise((_, reject) => r.signal!.addEventListener('abort', () => reject((aborted = r.signal!.reason)), { once: true })),
      { endorseAfterMs: 300 },
      true,
      (kind) => void (kind === 'signRequest' && looks++),
    )
    const payloads = [sha256(utf8('endorse in flight'))]
    const { requestId } = await w.alice.requestSignature({ keyId: key.id, payloads })
    await until(() => w.posts.some((p) => p.kind === 'sign' && p.requestId === requestId && p.ok))
    const posted = Date.now()
    const done = await w.alice.waitForSignRequest({ requestId, ...WAIT })
    expect(Date.now() - posted).toBeGreaterThanOrEqual(250)
    expect(done.status).toBe('fulfilled')
    expect(done.responses.map((r) => r.party).sort()).toEqual([w.parties[0]!.address, w.parties[1]!.address].sort())
    expect(done.responses[0]!.signatures).toEqual(done.responses[1]!.signatures)
    expect(nobleVerifies('ecdsa-secp256k1', key.publicKey, payloads[0]!, done.signatures![0]!)).toBe(true)
    await c1.idle()
    expect(isZrError(aborted, 'ABORTED')).toBe(true)
    const endorsed = c1.events.find((e) => e.type === 'endorsed')
    expect(endorsed).toMatchObject({ type: 'endorsed', kind: 'sign', requestId, party: w.parties[0]!.address })
    expect((endorsed as { error: string }).error).toMatch(/^still signing after \d+ ms$/)
    // one look at the ledger (at 300 ms), not a look per co-party response or per event
    expect(looks).toBe(1)
  })

  it('a party that takes a request up after party 0 posted looks endorseAfterMs later, and endorses', async () => {
    const w = await world(3, 2)
    const shared = deterministicBackend()
    const c0 = w.connect(w.parties[0]!, shared)
    await c0.start()
    const keygen = w.connect(w.parties[1]!, shared)
    await keygen.start()
    const key = await w.alice.createKey({ workspace: w.workspace, keyring: w.keyring, keyType: 'ecdsa-secp256k1', ...WAIT })
    await keygen.stop()
    const { requestId } = await w.alice.requestSignature({ keyId: key.id, payloads: [sha256(utf8('endorse late'))] })
    await until(() => w.posts.some((p) => p.kind === 'sign' && p.requestId === requestId && p.ok))
    // party 1 starts now, its signing never ends on its own
    const c1 = w.connect(w.parties[1]!, { ...shared, thresholdSignatures: true, sign: (r) => new Promise((_, reject) => r.signal!.addEventListener('abort', () => reject(r.signal!.reason), { once: true })) }, { endorseAfterMs: 200 })
    const started = Date.now()
    await c1.start()
    const done = await w.alice.waitForSignRequest({ requestId, ...WAIT })
    expect(done.status).toBe('fulfilled')
    expect(Date.now() - started).toBeGreaterThanOrEqual(150)
    await c1.idle()
    expect(c1.events.some((e) => e.type === 'endorsed' && e.requestId === requestId)).toBe(true)
  })

  it('a signer that finishes within endorseAfterMs of party 0 posts its own result: nobody endorses in a normal run', async () => {
    const { w, c1, key } = await twoOfThree(
      (posted, shared) => async (r) => {
        await posted
        await new Promise((resolve) => setTimeout(resolve, 300))
        return shared.sign(r)
      },
      { endorseAfterMs: 2_000 },
    )
    const { requestId } = await w.alice.requestSignature({ keyId: key.id, payloads: [sha256(utf8('endorse not needed'))] })
    const done = await w.alice.waitForSignRequest({ requestId, ...WAIT })
    expect(done.status).toBe('fulfilled')
    await c1.idle()
    expect(c1.events.some((e) => e.type === 'endorsed')).toBe(false)
    expect(c1.events.some((e) => e.type === 'responded' && e.requestId === requestId)).toBe(true)
  })

  it('keeps its accusations when it endorses (an MPC abort naming a cheater)', async () => {
    const { w, c1, key } = await twoOfThree((posted) => async () => {
      await posted
      throw new ZrError('MPC_ABORT', 'A party cheated.', { details: 'bad share', context: { party: w.parties[2]!.address } })
    })
    const { requestId } = await w.alice.requestSignature({ keyId: key.id, payloads: [sha256(utf8('endorse accuse'))] })
    const done = await w.alice.waitForSignRequest({ requestId, ...WAIT })
    expect(done.responses.find((r) => r.party === w.parties[1]!.address)!.accusations).toEqual([{ party: w.parties[2]!.address, reason: 'A party cheated.' }])
    await c1.idle()
    expect(c1.events.some((e) => e.type === 'endorsed')).toBe(true)
  })

  it('a refusal by the backend\'s own rule is still a rejection, never an endorsement', async () => {
    const { w, c1, key } = await twoOfThree((posted) => async () => {
      await posted
      throw new Error('this party\'s rule refuses the payload')
    })
    const { requestId } = await w.alice.requestSignature({ keyId: key.id, payloads: [sha256(utf8('endorse refused'))] })
    await until(() => c1.events.some((e) => e.type === 'rejected' && e.requestId === requestId))
    expect(c1.events.some((e) => e.type === 'endorsed')).toBe(false)
    expect((await w.ledger.query('signRequest', { id: requestId }))!.status).toBe('pending')
  })

  it('with endorse: false, an unfinished signing rejects as before', async () => {
    const { w, c1, key } = await twoOfThree(
      (posted) => async () => {
        await posted
        throw new ZrError('TIMEOUT', 'Timed out.', { details: 'after 3000 ms' })
      },
      { endorse: false },
    )
    const { requestId } = await w.alice.requestSignature({ keyId: key.id, payloads: [sha256(utf8('endorse off'))] })
    await until(() => c1.events.some((e) => e.type === 'rejected' && e.requestId === requestId))
    expect(c1.events.some((e) => e.type === 'endorsed')).toBe(false)
  })

  it('a backend without thresholdSignatures (each party may hold the whole key) never endorses', async () => {
    const { w, c1, key } = await twoOfThree(
      (posted) => async () => {
        await posted
        throw new ZrError('TIMEOUT', 'Timed out.', { details: 'after 3000 ms' })
      },
      {},
      false,
    )
    const { requestId } = await w.alice.requestSignature({ keyId: key.id, payloads: [sha256(utf8('endorse replicated'))] })
    await until(() => c1.events.some((e) => e.type === 'rejected' && e.requestId === requestId))
    expect(c1.events.some((e) => e.type === 'endorsed')).toBe(false)
  })

  it('never endorses signatures that do not verify under the request\'s key, whatever the ledger shows', async () => {
    const w = await world(3, 2)
    const shared = deterministicBackend()
    const keygen = [w.connect(w.parties[0]!, shared), w.connect(w.parties[1]!, shared)]
    for (const c of keygen) await c.start()
    const key = await w.alice.createKey({ workspace: w.workspace, keyring: w.keyring, keyType: 'ecdsa-secp256k1', ...WAIT })
    for (const c of keygen) await c.stop()
    // a hostile ledger server shows party 0 having posted a signature of another payload
    const bogus = recoveredToRsv(secp256k1.sign(sha256(utf8('something else')), sha256(utf8('not the key')), { prehash: false, format: 'recovered' }))
    const lying: Ledger = {
      ...w.ledger,
      async query(kind, params) {
        const answer = await w.ledger.query(kind, params)
        if (kind !== 'signRequest' || !answer) return answer
        const req = answer as SignRequest
        return { ...req, responses: [...req.responses, { party: w.parties[0]!.address, signature: new Uint8Array(64), at: 0, signatures: [bogus] }] } as never
      },
    }
    // its signing runs 600 ms: past endorseAfterMs, the bogus signatures are checked while it runs, and not taken
    let aborted = false
    const sign: KeyringBackend['sign'] = async (r) => {
      await new Promise((resolve) => setTimeout(resolve, 600))
      aborted = r.signal!.aborted
      throw new ZrError('TIMEOUT', 'Timed out.', { details: 'after 3000 ms' })
    }
    const c1 = w.connect(w.parties[1]!, { ...shared, thresholdSignatures: true, sign }, { ledger: lying, endorseAfterMs: 100 })
    await c1.start()
    const { requestId } = await w.alice.requestSignature({ keyId: key.id, payloads: [sha256(utf8('endorse lie'))] })
    await until(() => c1.events.some((e) => e.type === 'rejected' && e.requestId === requestId))
    expect(c1.events.some((e) => e.type === 'endorsed')).toBe(false)
    expect(w.posts.filter((p) => p.requestId === requestId && p.kind === 'sign').map((p) => p.result.signatures)).toEqual([undefined])
    expect(aborted).toBe(false)
  })
})

describe('createConnector: accusations', () => {
  it("posts a backend's accusations with its result (signed), emits `accused`, and drops ones the ledger would refuse", async () => {
    const w = await world(3, 2)
    const [p0, p1, p2] = w.parties as [Account, Account, Account]
    const ledgerAccused: string[] = []
    const off = w.ledger.subscribe({ types: ['party.accused'] }, (e) => void ledgerAccused.push(`${String(e.data.by)} -> ${String(e.data.party)}: ${String(e.data.reason)}`))
    cleanups.push(async () => off())
    const shared = deterministicBackend()
    const reason = 'sent an invalid signature share for message 0'
    // an accusing backend: the party itself, a stranger and a duplicate are left out
    const accusing = (self: Account): KeyringBackend => ({
      ...shared,
      createKey: async (r) => ({ ...(await shared.createKey(r)), accusations: [{ party: p2.address, reason }, { party: self.address, reason }, { party: 'zen1stranger', reason }, { party: p2.address, reason: 'again' }] }),
    })
    const c0 = w.connect(p0, accusing(p0))
    const c1 = w.connect(p1, accusing(p1))
    await c0.start()
    await c1.start()
    const key = await w.alice.createKey({ workspace: w.workspace, keyring: w.keyring, keyType: 'ecdsa-secp256k1', ...WAIT })
    const request = await w.alice.getKeyRequest({ id: key.requestId })
    expect(request.responses.map((r) => r.accusations)).toEqual([[{ party: p2.address, reason }], [{ party: p2.address, reason }]])
    await until(() => ledgerAccused.length === 2)
    expect(ledgerAccused.sort()).toEqual([p0, p1].map((p) => `${p.address} -> ${p2.address}: ${reason}`).sort())
    for (const c of [c0, c1]) expect(c.events.filter((e) => e.type === 'accused')).toEqual([{ type: 'accused', kind: 'key', requestId: key.requestId, party: p2.address, reason }])
  })

  it('a backend error that names a cheater (MPC_ABORT, meta.party) rejects with an accusation of that party', async () => {
    const w = await world(2, 2)
    const [p0, p1] = w.parties as [Account, Account]
    const backend: KeyringBackend = {
      keyTypes: ['ecdsa-secp256k1'],
      async createKey() {
        throw new ZrError('MPC_ABORT', `Party ${p1.address} sent a share that does not match its commitments.`, { context: { party: p1.address } })
      },
      async sign() {
        throw new Error('unreachable')
      },
    }
    const c = w.connect(p0, backend)
    await c.start()
    const { requestId } = await w.alice.requestKey({ workspace: w.workspace, keyring: w.keyring, keyType: 'ecdsa-secp256k1' })
    const reason = reasonOf(await rejection(w.alice.waitForKeyRequest({ requestId, ...WAIT })))
    // the accusation comes first in the request's reason, and the response carries it
    expect(reason.startsWith(`the keyring can no longer reach its threshold of 2 matching results: party ${p1.address} accused of cheating by ${p0.address}`)).toBe(true)
    const r = await w.alice.getKeyRequest({ id: requestId })
    expect(r.responses[0]!.accusations).toEqual([{ party: p1.address, reason: `Party ${p1.address} sent a share that does not match its commitments.` }])
    // the connector emits `accused` once its post returns, which may be after the rejection reached Alice
    await until(() => c.events.some((e) => e.type === 'accused' && e.party === p1.address), 'the accused event')
  })
})

describe('connector: keys read once', () => {
  it('reads a key from the ledger once for all the signature requests it answers with it', async () => {
    const [owner, party] = [generateAccount('key-cache:owner'), generateAccount('key-cache:party')]
    const ledger = await createEmbeddedLedger({ genesis: { chainId: 'zrkit-key-cache', balances: [owner, party].map((a) => ({ address: a.address, amount: 10_000n })) } })
    const keyQueries: unknown[] = []
    const counting: Ledger = {
      chainId: ledger.chainId,
      query: (kind, params) => {
        if (kind === 'key') keyQueries.push(params)
        return ledger.query(kind, params)
      },
      subscribe: (filter, listener, options) => ledger.subscribe(filter, listener, options),
      submit: (tx) => ledger.submit(tx),
      close: () => ledger.close(),
    }
    const client = createZrClient({ ledger, account: owner })
    const { keyring } = await client.createKeyring({ description: 'cache', parties: [party.address], partyThreshold: 1, keyRequestFee: 1n, signRequestFee: 1n })
    const connector = createConnector({ ledger: counting, account: party, keyring, backend: localKeyring() })
    await connector.start()
    try {
      const { workspace } = await client.createWorkspace()
      const key = await client.createKey({ workspace, keyring, keyType: 'ecdsa-secp256k1' })
      for (let i = 0; i < 3; i++) {
        const payload = payloadFor('ecdsa-secp256k1', `cached ${i}`)
        const [signature] = await client.sign({ keyId: key.id, payloads: [payload], ...WAIT })
        expect(nobleVerifies('ecdsa-secp256k1', key.publicKey, payload, signature!)).toBe(true)
      }
      expect(keyQueries).toEqual([{ id: key.id }])
    } finally {
      await connector.stop()
      await ledger.close()
    }
  })
})
