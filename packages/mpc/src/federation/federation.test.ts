/**
 * The FROST federation end to end on the embedded ledger: every party behind its own connector and
 * secure transport, keys and signatures through the ledger's lifecycle, parties going down and coming
 * back, shares encrypted at rest, and a party that cheats.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ed25519 } from '@noble/curves/ed25519.js'
import { schnorr } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import {
  type Account,
  type Connector,
  type Key,
  type KeyType,
  type Ledger,
  type SecretStore,
  type SignRequest,
  ZrError,
  createConnector,
  createZrClient,
  deriveKey,
  encryptedSecretStore,
  generateAccount,
  isZrError,
  memorySecretStore,
  toHex,
} from '@zrkit/core'
import { canonicalParse, partyResponseDigest, verifyAccountSignature } from '@zrkit/core/internal'
import { fileSecretStore } from '@zrkit/core/node'
import { type Federation, type Relay, type SessionRouter, createFederation, createSessionRouter, frostParty, memoryRelay, secureTransport } from '@zrkit/mpc'
import { type OwnerWorld, fullRun, itInFullRun, nobleVerifies, ownerWorld, sleep } from '@zrkit/testkit'
import { delegatingSession } from '@zrkit/testkit/mpc'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeMessage, encodeMessage, isRecord } from '../frost/messages.js'

const chainId = 'zrkit-federation'
const timing = { attemptTimeoutMs: 1_000, dkgTimeoutMs: 3_000, pollIntervalMs: 100 }
/** Upper bound on any single wait for the ledger, so a broken run fails instead of hanging. */
const waitMs = 20_000

type World = OwnerWorld & { approver: Account }

/** The owner's world (testkit) plus an approver for the policy tests. */
async function world(parties: readonly Account[]): Promise<World> {
  const approver = generateAccount()
  return { ...(await ownerWorld({ chainId, funded: [approver, ...parties] })), approver }
}

const digestOf = (...bytes: number[]) => sha256(Uint8Array.from(bytes))


/** Every stored party response is signed by that party over the chain, the request id and the result. */
function expectSignedResponses(kind: 'key' | 'sign', requestId: number, result: unknown, responses: SignRequest['responses'], parties: readonly Account[]) {
  const byAddress = new Map(parties.map((p) => [p.address, p]))
  expect(new Set(responses.map((r) => r.party)).size).toBe(responses.length)
  for (const r of responses) {
    const party = byAddress.get(r.party)
    expect(party, `response from ${r.party} is not from a party`).toBeDefined()
    // what the party signed: the result, with the accusations it posted (if any)
    const signed = { ...(result as object), ...(r.accusations ? { accusations: r.accusations } : {}) }
    expect(verifyAccountSignature(r.signature, partyResponseDigest({ chainId, kind, requestId, result: signed }), party!.publicKey)).toBe(true)
    // the same signature does not cover another result
    expect(verifyAccountSignature(r.signature, partyResponseDigest({ chainId, kind, requestId: requestId + 1000, result: signed }), party!.publicKey)).toBe(false)
  }
}

/** A key through the ledger's lifecycle; checks the parties' signed responses. */
async function makeKey(w: World, keyring: string, keyType: KeyType, parties: readonly Account[], threshold: number): Promise<Key> {
  const { requestId } = await w.client.requestKey({ workspace: w.workspace, keyring, keyType })
  const { request, key } = await w.client.waitForKeyRequest({ requestId, timeoutMs: waitMs })
  expect(request.status).toBe('fulfilled')
  expect(key.keyType).toBe(keyType)
  expect(key.publicKey.length).toBe(keyType === 'eddsa-ed25519' ? 32 : 33)
  expect(request.responses.length).toBeGreaterThanOrEqual(threshold)
  expectSignedResponses('key', requestId, { publicKey: key.publicKey }, request.responses, parties)
  return key
}

/** Signs through the ledger and checks every signature, the stored responses and the request's public key. */
async function signAndCheck(w: World, key: Key, payloads: Uint8Array[], parties: readonly Account[], extra: { path?: string; taproot?: {} } = {}) {
  const { requestId } = await w.client.requestSignature({ keyId: key.id, payloads, ...extra })
  const done = await w.client.waitForSignRequest({ requestId, timeoutMs: waitMs })
  expect(done.status).toBe('fulfilled')
  expect(done.signatures.length).toBe(payloads.length)
  payloads.forEach((p, i) => expect(nobleVerifies(key.keyType, done.publicKey, p, done.signatures[i]!)).toBe(true))
  expectSignedResponses('sign', requestId, { signatures: done.signatures }, done.responses, parties)
  return done
}

/** Waits for a request that must not succeed; bounded, so it can never hang the suite. */
async function expectSignRejected(w: World, requestId: number, timeoutMs: number) {
  const started = Date.now()
  const err = await w.client.waitForSignRequest({ requestId, timeoutMs }).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(Date.now() - started).toBeLessThan(timeoutMs + 1_000)
  expect(isZrError(err, 'REQUEST_REJECTED'), String(err)).toBe(true)
  const request = await w.client.getSignRequest({ id: requestId })
  expect(request.status).toMatch(/rejected|expired/)
  expect(request.signatures ?? []).toEqual([])
  return request
}

describe('a 2-of-3 FROST federation', () => {
  const parties = [generateAccount(), generateAccount(), generateAccount()]
  let w: World
  let federation: Federation
  let keyring: string
  const keys: Partial<Record<KeyType, Key>> = {}

  beforeAll(async () => {
    w = await world(parties)
    federation = await createFederation({ ledger: w.ledger, parties, threshold: 2, ...timing })
    keyring = await federation.register(w.client, { description: 'FROST 2-of-3', keyRequestFee: 100n, signRequestFee: 10n })
    await federation.start(keyring)
  })
  afterAll(async () => {
    await federation?.stop()
    await w?.ledger.close()
  })

  it('creates ed25519 and BIP340 keys through the ledger; every response is signed by its party', async () => {
    const keyringView = await w.client.getKeyring({ address: keyring })
    expect([...keyringView.parties].sort()).toEqual(parties.map((p) => p.address).sort())
    expect(keyringView.partyThreshold).toBe(2)
    for (const keyType of ['eddsa-ed25519', 'schnorr-secp256k1'] as const) keys[keyType] = await makeKey(w, keyring, keyType, parties, 2)
    expect(toHex(keys['eddsa-ed25519']!.publicKey)).not.toBe(toHex(keys['schnorr-secp256k1']!.publicKey.subarray(1)))
  })

  it('fulfils signature requests; noble verifies every signature (ed25519 strict, BIP340 x-only)', async () => {
    for (const keyType of ['eddsa-ed25519', 'schnorr-secp256k1'] as const) {
      const key = keys[keyType]!
      const done = await signAndCheck(w, key, [digestOf(1), digestOf(2), new TextEncoder().encode('a message of any length')], parties)
      expect(done.publicKey).toEqual(key.publicKey)
      // signatures are for these messages only
      expect(nobleVerifies(keyType, done.publicKey, digestOf(9), done.signatures[0]!)).toBe(false)
    }
  })

  it('signs for a derived child key (path) and for a taproot output key, under the request public key', async () => {
    const ed = keys['eddsa-ed25519']!
    const byPath = await signAndCheck(w, ed, [digestOf(3)], parties, { path: 'user-42' })
    expect(byPath.publicKey).toEqual(deriveKey(ed.keyType, ed.publicKey, 'user-42').publicKey)
    expect(nobleVerifies(ed.keyType, ed.publicKey, digestOf(3), byPath.signatures[0]!)).toBe(false)

    const sc = keys['schnorr-secp256k1']!
    const child = await signAndCheck(w, sc, [digestOf(4)], parties, { path: 'm/0/7' })
    expect(child.publicKey).toEqual(deriveKey(sc.keyType, sc.publicKey, 'm/0/7').publicKey)
    const taproot = await signAndCheck(w, sc, [digestOf(5)], parties, { taproot: {} })
    expect(taproot.publicKey).not.toEqual(sc.publicKey)
    expect(schnorr.verify(taproot.signatures[0]!, digestOf(5), sc.publicKey.subarray(1))).toBe(false)
    const both = await signAndCheck(w, sc, [digestOf(6)], parties, { path: 'vault', taproot: {} })
    expect(both.publicKey).not.toEqual(taproot.publicKey)
  })

  it('runs the 2-of-2 sign policy approval flow unchanged', async () => {
    const { policyId } = await w.client.createPolicy({
      name: 'both',
      participants: { owner: w.owner.address, approver: w.approver.address },
      expression: 'all([owner, approver])',
    })
    const { workspace } = await w.client.createWorkspace({ additionalOwners: [w.approver.address], signPolicyId: policyId })
    const key = await w.client.createKey({ workspace, keyring, keyType: 'eddsa-ed25519', timeoutMs: waitMs })
    const payload = digestOf(7)
    const { requestId, status, actionId } = await w.client.requestSignature({ keyId: key.id, payloads: [payload] })
    expect(status).toBe('partial')
    expect(actionId).toBeDefined()
    // nobody signs before the approval
    await new Promise((r) => setTimeout(r, 300))
    expect((await w.client.getSignRequest({ id: requestId })).responses).toEqual([])
    await createZrClient({ ledger: w.ledger, account: w.approver }).approveAction({ actionId: actionId! })
    const done = await w.client.waitForSignRequest({ requestId, timeoutMs: waitMs })
    expect(ed25519.verify(done.signatures[0]!, payload, key.publicKey, { zip215: false })).toBe(true)
  })

  it('a party stopped and started again signs with its stored share', async () => {
    // Every channel between the parties has carried frames before the restart (nobody was restarted yet).
    await signAndCheck(w, keys['schnorr-secp256k1']!, [digestOf(12, 0)], parties)
    // Restart party 1, then take party 0 down: with t = 2, the restarted party must be one of the signers.
    await federation.stopParty(1)
    await federation.startParty(1)
    await federation.stopParty(0)
    try {
      for (const keyType of ['eddsa-ed25519', 'schnorr-secp256k1'] as const) {
        const done = await signAndCheck(w, keys[keyType]!, [digestOf(12)], parties)
        expect(done.responses.map((r) => r.party).sort()).toEqual([parties[1]!.address, parties[2]!.address].sort())
      }
    } finally {
      await federation.startParty(0)
    }
    // the two restarted parties sign together
    await federation.stopParty(2)
    try {
      const done = await signAndCheck(w, keys['eddsa-ed25519']!, [digestOf(13)], parties)
      expect(done.responses.map((r) => r.party).sort()).toEqual([parties[0]!.address, parties[1]!.address].sort())
    } finally {
      await federation.startParty(2)
    }
  })

  it('signs with one party down', async () => {
    await federation.stopParty(0)
    try {
      expect(federation.parties.map((p) => p.running)).toEqual([false, true, true])
      for (const keyType of ['eddsa-ed25519', 'schnorr-secp256k1'] as const) {
        // several requests, so the dead party is the first coordinator of some of them
        for (let i = 0; i < 3; i++) {
          const done = await signAndCheck(w, keys[keyType]!, [digestOf(10, i)], parties)
          expect(done.responses.map((r) => r.party)).not.toContain(parties[0]!.address)
        }
      }
    } finally {
      await federation.startParty(0)
    }
  })

  it('a request that arrives with two parties away is signed when one comes back: the party that is up waits for it instead of giving up', async () => {
    await federation.stopParty(1)
    await federation.stopParty(2)
    let restarted = false
    try {
      const { requestId } = await w.client.requestSignature({ keyId: keys['eddsa-ed25519']!.id, payloads: [digestOf(12)], ttlMs: 15_000 })
      // longer than the relay's grace for away parties (2 s): the waits of an attempt for them would end at once now
      await sleep(2_500)
      expect((await w.client.getSignRequest({ id: requestId })).responses).toEqual([])
      await federation.startParty(1)
      restarted = true
      const done = await w.client.waitForSignRequest({ requestId, timeoutMs: waitMs })
      expect(done.status).toBe('fulfilled')
      expect(nobleVerifies('eddsa-ed25519', done.publicKey, digestOf(12), done.signatures[0]!)).toBe(true)
      expect(done.responses.map((r) => r.party).sort()).toEqual([parties[0]!.address, parties[1]!.address].sort())
    } finally {
      if (!restarted) await federation.startParty(1)
      await federation.startParty(2)
    }
  })

  it('a key request that arrives with two parties away is fulfilled when one comes back: the party that is up waits for it', async () => {
    await federation.stopParty(1)
    await federation.stopParty(2)
    let restarted = false
    try {
      const { requestId } = await w.client.requestKey({ workspace: w.workspace, keyring, keyType: 'eddsa-ed25519', ttlMs: 15_000 })
      // longer than the relay's grace for away parties (2 s) and than the join window: without the wait, the party
      // that is up would have ended every attempt with too few parties by now
      await sleep(3_500)
      expect((await w.client.getKeyRequest({ id: requestId })).responses).toEqual([])
      await federation.startParty(1)
      restarted = true
      const { request, key } = await w.client.waitForKeyRequest({ requestId, timeoutMs: waitMs })
      expect(request.status).toBe('fulfilled')
      expect(request.responses.map((r) => r.party).sort()).toEqual([parties[0]!.address, parties[1]!.address].sort())
      // the two hold the shares: they sign with the new key
      await federation.startParty(2)
      const done = await signAndCheck(w, key, [digestOf(14)], parties)
      expect(done.responses.map((r) => r.party)).not.toContain(parties[2]!.address)
    } finally {
      if (!restarted) await federation.startParty(1)
      await federation.startParty(2)
    }
  })

  itInFullRun('with two parties down (more than n - t), a signature request ends at its time-to-live, saying why', async () => {
    await federation.stopParty(0)
    await federation.stopParty(1)
    try {
      // One party's rejection cannot end a 2-of-3 request (it could be a cheater's veto): the request ends at its
      // time-to-live, and the reason carries what the party that is up posted.
      const { requestId } = await w.client.requestSignature({ keyId: keys['eddsa-ed25519']!.id, payloads: [digestOf(11)], ttlMs: 6_000 })
      const request = await expectSignRejected(w, requestId, 10_000)
      expect(request.rejectReason).toMatch(/^expired/)
      expect(request.rejectReason).toContain(`party ${parties[2]!.address} rejected`)
      expect(request.rejectReason).toMatch(/No signing attempt succeeded/)
      expect(request.rejectReason).toMatch(/attempt 0/)
      expect(request.rejectReason).toContain(`no answer in any attempt from ${[parties[0]!.address, parties[1]!.address].sort().join(', ')}`)
    } finally {
      await federation.startParty(0)
      await federation.startParty(1)
    }
  })

  it('generates keys with one party down: the two that are up hold the shares and sign; the third abstains from those keys', async () => {
    // the party first in address order: the others' identifiers (positions among all parties) are then not 1 and 2
    const d = parties.indexOf([...parties].sort((a, b) => (a.address < b.address ? -1 : 1))[0]!)
    const up = parties.filter((_, i) => i !== d).map((p) => p.address)
    await federation.stopParty(d)
    const fresh: Key[] = []
    try {
      for (const keyType of ['eddsa-ed25519', 'schnorr-secp256k1'] as const) {
        const key = await makeKey(w, keyring, keyType, parties, 2)
        const request = await w.client.getKeyRequest({ id: key.requestId })
        expect(request.responses.map((r) => r.party).sort()).toEqual([...up].sort())
        fresh.push(key)
        await signAndCheck(w, key, [digestOf(20)], parties)
        await signAndCheck(w, key, [digestOf(20, 1)], parties, keyType === 'schnorr-secp256k1' ? { path: 'm/1', taproot: {} } : { path: 'm/1' })
      }
    } finally {
      await federation.startParty(d)
    }
    // back up, the party holds no share of these keys: it abstains, the holders sign (it is the first coordinator of some requests)
    for (const key of fresh) {
      for (let i = 0; i < 3; i++) {
        const done = await signAndCheck(w, key, [digestOf(21, i)], parties)
        expect(done.responses.map((r) => r.party)).not.toContain(parties[d]!.address)
      }
    }
    // and the keys made with every party are unaffected
    await signAndCheck(w, keys['eddsa-ed25519']!, [digestOf(22)], parties)
  })

  itInFullRun('with two parties down, key generation ends at its time-to-live, saying who did not answer', async () => {
    await federation.stopParty(1)
    await federation.stopParty(2)
    try {
      const started = Date.now()
      const { requestId } = await w.client.requestKey({ workspace: w.workspace, keyring, keyType: 'eddsa-ed25519', ttlMs: 9_000 })
      const err = await w.client.waitForKeyRequest({ requestId, timeoutMs: 15_000 }).catch((e: unknown) => e)
      expect(Date.now() - started).toBeLessThan(16_000)
      expect(isZrError(err, 'REQUEST_REJECTED'), String(err)).toBe(true)
      const request = await w.client.getKeyRequest({ id: requestId })
      expect(request.status).toBe('rejected')
      expect(request.keyId).toBeUndefined()
      expect(request.rejectReason).toMatch(/Key generation needs at least 2 parties/)
      expect(request.rejectReason).toContain(parties[1]!.address)
      expect(request.rejectReason).toContain(parties[2]!.address)
    } finally {
      await federation.startParty(1)
      await federation.startParty(2)
    }
  })
})

/** Every file under `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await filesUnder(path)))
    else out.push(path)
  }
  return out
}

/** Where `needle` occurs in any file under `dirs`, as raw bytes or as hex (either case). */
async function findOnDisk(dirs: readonly string[], needle: Uint8Array): Promise<string[]> {
  const hex = toHex(needle)
  const patterns = [Buffer.from(needle), Buffer.from(hex), Buffer.from(hex.toUpperCase())]
  const hits: string[] = []
  for (const dir of dirs) {
    for (const file of await filesUnder(dir)) {
      const content = await readFile(file)
      if (patterns.some((p) => content.includes(p)) || file.includes(hex)) hits.push(file)
    }
  }
  return hits
}

describe('a federation with encrypted file share stores', () => {
  const parties = [generateAccount(), generateAccount(), generateAccount()]
  const passphrases = parties.map((_, i) => `passphrase of party ${i}: ${toHex(digestOf(i))}`)
  const dirs: string[] = []
  const stores = (account: Account, i: number): SecretStore => encryptedSecretStore(fileSecretStore(dirs[i]!), { passphrase: passphrases[i]! })
  let w: World
  let first: Federation | undefined
  let second: Federation | undefined
  let keyring: string
  const keys: Key[] = []

  beforeAll(async () => {
    for (let i = 0; i < parties.length; i++) dirs.push(await mkdtemp(join(tmpdir(), `zrkit-federation-${i}-`)))
    w = await world(parties)
  })
  afterAll(async () => {
    await first?.stop()
    await second?.stop()
    await w?.ledger.close()
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
  })

  it('keeps shares in per-party encrypted stores and signs with them', async () => {
    first = await createFederation({ ledger: w.ledger, parties, threshold: 2, shares: stores, ...timing })
    keyring = await first.register(w.client, { description: 'FROST 2-of-3 at rest', keyRequestFee: 100n, signRequestFee: 10n })
    await first.start(keyring)
    for (const keyType of ['eddsa-ed25519', 'schnorr-secp256k1'] as const) {
      const key = await makeKey(w, keyring, keyType, parties, 2)
      keys.push(key)
      await signAndCheck(w, key, [digestOf(20)], parties)
    }
    for (const dir of dirs) expect((await filesUnder(dir)).length).toBeGreaterThan(0)
  })

  it('a new federation object with the same accounts, directories and passphrases signs with the stored shares', async () => {
    await first!.stop()
    first = undefined
    second = await createFederation({ ledger: w.ledger, parties, threshold: 2, shares: stores, ...timing })
    await second.start(keyring)
    for (const key of keys) {
      await signAndCheck(w, key, [digestOf(21), digestOf(22)], parties)
      if (key.keyType === 'schnorr-secp256k1') await signAndCheck(w, key, [digestOf(23)], parties, { path: 'm/1', taproot: {} })
      else await signAndCheck(w, key, [digestOf(23)], parties, { path: 'user-7' })
    }
    // a party started again by the new federation still signs when it is needed
    await second.stopParty(2)
    try {
      const done = await signAndCheck(w, keys[0]!, [digestOf(24)], parties)
      expect(done.responses.map((r) => r.party).sort()).toEqual([parties[0]!.address, parties[1]!.address].sort())
    } finally {
      await second.startParty(2)
    }
  })

  it('writes no plaintext share to disk (neither bytes nor hex)', async () => {
    let checked = 0
    for (const [i, party] of second!.parties.entries()) {
      for (const key of keys) {
        const stored = await party.shares.get(`frost/${key.keyType}/${toHex(key.publicKey)}`)
        expect(stored, `party ${i} holds a share of key ${key.id}`).toBeDefined()
        const pkg = canonicalParse<{ secret: { signingShare: Uint8Array }; public: { commitments: Uint8Array[] } }>(new TextDecoder().decode(stored!))
        expect(pkg.public.commitments[0]).toEqual(key.publicKey)
        const share = pkg.secret.signingShare
        expect(share.length).toBe(32)
        expect(await findOnDisk(dirs, share)).toEqual([])
        expect(await findOnDisk(dirs, stored!)).toEqual([])
        checked++
      }
    }
    expect(checked).toBe(parties.length * keys.length)
    // the scan does find what is there: the same share written by a plain file store is found
    const control = await mkdtemp(join(tmpdir(), 'zrkit-federation-control-'))
    try {
      const plain = fileSecretStore(control)
      const share = canonicalParse<{ secret: { signingShare: Uint8Array } }>(
        new TextDecoder().decode((await second!.parties[0]!.shares.get(`frost/${keys[0]!.keyType}/${toHex(keys[0]!.publicKey)}`))!),
      ).secret.signingShare
      await plain.set('share', share)
      expect((await findOnDisk([control], share)).length).toBe(1)
      await plain.set('share', new TextEncoder().encode(toHex(share)))
      expect((await findOnDisk([control], share)).length).toBe(1)
    } finally {
      await rm(control, { recursive: true, force: true })
    }
  })

  it('a wrong passphrase opens no share', async () => {
    const wrong = encryptedSecretStore(fileSecretStore(dirs[0]!), { passphrase: 'not the passphrase' })
    const err = await wrong.get(`frost/${keys[0]!.keyType}/${toHex(keys[0]!.publicKey)}`).catch((e: unknown) => e)
    expect(isZrError(err, 'WRONG_SECRET')).toBe(true)
  })
})

/** A session router whose signature shares are corrupted on the way out (one byte of each share flipped). */
function corruptingRouter(router: SessionRouter): SessionRouter {
  const corrupt = (body: Uint8Array) => {
    const msg = decodeMessage(body, 'self', 'signature share message', (v): v is { packageHash: Uint8Array; packageSignature: Uint8Array; shares: Uint8Array[] } => isRecord(v) && Array.isArray(v.shares))
    return encodeMessage({
      packageHash: msg.packageHash,
      packageSignature: msg.packageSignature,
      shares: msg.shares.map((s) => {
        const bad = Uint8Array.from(s)
        bad[16]! ^= 0x01
        return bad
      }),
    })
  }
  return {
    open(id, participants) {
      const s = router.open(id, participants)
      return delegatingSession(s, { send: (to, round, body) => s.send(to, round, round === 'sign/shares' ? corrupt(body) : body) })
    },
    close: () => router.close(),
  }
}

/** Records the id of every session a router opens. */
function recordingRouter(router: SessionRouter, opened: string[]): SessionRouter {
  return {
    open(id, participants) {
      opened.push(id)
      return router.open(id, participants)
    },
    close: () => router.close(),
  }
}

/**
 * A 2-of-3 federation built by hand (what createFederation does), the parties in `up` running (default all), each
 * party's session router and ledger as `router` and `ledger` make them.
 */
async function federationByHand(
  w: World,
  parties: readonly Account[],
  options: { description: string; up?: readonly number[]; router?: (i: number, router: SessionRouter) => SessionRouter; ledger?: (i: number) => Ledger },
) {
  const relay = memoryRelay()
  const addresses = parties.map((p) => p.address)
  const { keyring } = await w.client.createKeyring({ description: options.description, parties: addresses, partyThreshold: 2, keyRequestFee: 1n, signRequestFee: 1n })
  const transports = await Promise.all(
    parties.map((account) => secureTransport({ account, relay, peers: addresses.filter((a) => a !== account.address), timeoutMs: timing.dkgTimeoutMs })),
  )
  const opened = parties.map(() => [] as string[])
  const routers = transports.map((t) => createSessionRouter(t))
  // a party not up has announced itself (its transport started) and is gone
  const up = options.up ?? parties.map((_, i) => i)
  for (const [i, t] of transports.entries()) if (!up.includes(i)) await t.close()
  const connectors: Connector[] = up.map((i) =>
    createConnector({
      ledger: options.ledger?.(i) ?? w.ledger,
      account: parties[i]!,
      keyring,
      pollIntervalMs: timing.pollIntervalMs,
      backend: frostParty({
        account: parties[i]!,
        router: recordingRouter(options.router?.(i, routers[i]!) ?? routers[i]!, opened[i]!),
        identityKey: (party) => transports[i]!.identityKey(party),
        parties: addresses,
        threshold: 2,
        attemptTimeoutMs: timing.attemptTimeoutMs,
        dkgTimeoutMs: timing.dkgTimeoutMs,
      }),
    }),
  )
  await Promise.all(connectors.map((c) => c.start()))
  return {
    keyring,
    opened,
    async stop() {
      await Promise.all(connectors.map((c) => c.stop()))
      routers.forEach((r) => r.close())
      await Promise.all(transports.map((t) => t.close()))
    },
  }
}

/** A 2-of-3 federation where party `cheater` corrupts its signature shares; with `silent`, it takes part in every protocol run but posts nothing. */
function cheatingFederation(w: World, parties: readonly Account[], cheater: number, silent: boolean) {
  const mute: Ledger = {
    chainId: w.ledger.chainId,
    query: w.ledger.query.bind(w.ledger),
    subscribe: w.ledger.subscribe.bind(w.ledger),
    close: async () => {},
    submit: async () => {
      throw new ZrError('REQUEST_NOT_PENDING', 'This party keeps quiet.')
    },
  }
  return federationByHand(w, parties, {
    description: 'FROST with a cheater',
    router: (i, router) => (i === cheater ? corruptingRouter(router) : router),
    ledger: (i) => (i === cheater && silent ? mute : w.ledger),
  })
}

describe('a signer that lost its co-signer\'s last message', () => {
  it('endorses the signature the co-signer posted, within about a second, instead of trying until the deadline', async () => {
    const parties = [generateAccount(), generateAccount(), generateAccount()]
    const w = await world(parties)
    // party 2 is down; party 1 never takes in a signature share (as if each one sent to it were lost)
    const deaf = (router: SessionRouter): SessionRouter => ({
      open(id, participants) {
        const s = router.open(id, participants)
        return delegatingSession(s, {
          collect: (round, o) =>
            round === 'sign/shares' ? s.collect(round, o).then(() => Promise.reject(new ZrError('TIMEOUT', 'Timed out waiting for round sign/shares.', { context: { missing: [...(o?.from ?? [])] } }))) : s.collect(round, o),
        })
      },
      whenConnected: router.whenConnected?.bind(router),
      close: () => router.close(),
    })
    const fed = await federationByHand(w, parties, { description: 'FROST, a deaf signer', up: [0, 1], router: (i, router) => (i === 1 ? deaf(router) : router) })
    try {
      const key = await makeKey(w, fed.keyring, 'eddsa-ed25519', parties, 2)
      const payload = digestOf(40)
      // a minute to live: party 1 alone would try that long
      const { requestId } = await w.client.requestSignature({ keyId: key.id, payloads: [payload], ttlMs: 60_000 })
      const done = await w.client.waitForSignRequest({ requestId, timeoutMs: 15_000 })
      expect(done.status).toBe('fulfilled')
      expect(nobleVerifies('eddsa-ed25519', done.publicKey, payload, done.signatures[0]!)).toBe(true)
      // both posted the same signature: party 0 its own, party 1 party 0's
      expect(done.responses.map((r) => r.party).sort()).toEqual([parties[0]!.address, parties[1]!.address].sort())
      expect(done.responses[0]!.signatures).toEqual(done.responses[1]!.signatures)
      // party 1 had gone past its first attempt: it was still trying when it endorsed
      expect(fed.opened[1]!.filter((id) => id.startsWith(`frost/sign/${fed.keyring}/${requestId}/`)).length).toBeGreaterThan(1)
    } finally {
      await fed.stop()
      await w.ledger.close()
    }
  }, 40_000)
})

describe('a party that corrupts its signature shares', () => {
  const parties = [generateAccount(), generateAccount(), generateAccount()]
  const sorted = parties.map((p) => p.address).sort()
  const cheater = 1
  let w: World
  let stop: (() => Promise<void>) | undefined

  beforeAll(async () => {
    w = await world(parties)
  })
  afterAll(async () => {
    await stop?.()
    await w?.ledger.close()
  })

  it('silent cheater: the honest parties drop it, sign without it and are fulfilled; every stored signature verifies', async () => {
    const fed = await cheatingFederation(w, parties, cheater, true)
    stop = fed.stop
    for (const keyType of ['eddsa-ed25519', 'schnorr-secp256k1'] as const) {
      const key = await makeKey(w, fed.keyring, keyType, parties, 2)
      let cheaterCoordinated = 0
      // consecutive request ids: each party is the first coordinator of some of them
      for (let i = 0; i < 3; i++) {
        const done = await signAndCheck(w, key, [digestOf(30, i)], parties)
        const honest = parties.filter((_, j) => j !== cheater).map((p) => p.address)
        expect(done.responses.map((r) => r.party).sort()).toEqual(honest.sort())
        if (sorted[done.id % sorted.length] === parties[cheater]!.address) {
          cheaterCoordinated++
          // the cheater signed in the first attempt it coordinated; the honest parties dropped that attempt
          for (const j of [0, 2]) expect(fed.opened[j]!.filter((s) => s.startsWith(`frost/sign/${fed.keyring}/${done.id}/`)).length).toBeGreaterThan(1)
        }
      }
      expect(cheaterCoordinated).toBe(1)
    }
    await fed.stop()
    stop = undefined
  })

  it('posting cheater: each request is fulfilled by the honest pair (whatever valid signature the cheater posts), never with an invalid signature', async () => {
    const fed = await cheatingFederation(w, parties, cheater, false)
    stop = fed.stop
    const outcomes: string[] = []
    for (const keyType of ['eddsa-ed25519', 'schnorr-secp256k1'] as const) {
      const key = await makeKey(w, fed.keyring, keyType, parties, 2)
      for (let i = 0; i < 3; i++) {
        const payload = digestOf(31, i)
        const { requestId } = await w.client.requestSignature({ keyId: key.id, payloads: [payload] })
        await w.client.waitForSignRequest({ requestId, timeoutMs: 10_000 }).catch((e: unknown) => {
          if (!isZrError(e, 'REQUEST_REJECTED')) throw e
        })
        const request = await w.client.getSignRequest({ id: requestId })
        expect(request.status, request.rejectReason).toBe('fulfilled')
        outcomes.push(request.status)
        expect(request.signatures!.length).toBe(1)
        for (const sig of request.signatures ?? []) expect(nobleVerifies(keyType, request.publicKey, payload, sig)).toBe(true)
      }
    }
    expect(outcomes.length).toBe(6)
    await fed.stop()
    stop = undefined
  })
})

// Slow by design (it waits out attempt timeouts with two and three parties down): the full run only.
if (fullRun()) describe('a 3-of-5 FROST federation', () => {
  const parties = Array.from({ length: 5 }, () => generateAccount())
  let w: World
  let federation: Federation
  let keyring: string

  beforeAll(async () => {
    w = await world(parties)
    federation = await createFederation({ ledger: w.ledger, parties, threshold: 3, ...timing })
    keyring = await federation.register(w.client, { description: 'FROST 3-of-5', keyRequestFee: 100n, signRequestFee: 10n })
    await federation.start(keyring)
  })
  afterAll(async () => {
    await federation?.stop()
    await w?.ledger.close()
  })

  it('creates keys with all five and signs with two parties down, makes a key with two down; three down is rejected', async () => {
    const keys: Key[] = []
    for (const keyType of ['eddsa-ed25519', 'schnorr-secp256k1'] as const) keys.push(await makeKey(w, keyring, keyType, parties, 3))
    for (const key of keys) await signAndCheck(w, key, [digestOf(40)], parties)
    await federation.stopParty(1)
    await federation.stopParty(3)
    try {
      for (const key of keys) {
        for (let i = 0; i < 2; i++) {
          const done = await signAndCheck(w, key, [digestOf(41, i)], parties, key.keyType === 'schnorr-secp256k1' && i === 1 ? { taproot: {} } : {})
          expect(done.responses.length).toBe(3)
          expect(done.responses.map((r) => r.party)).not.toContain(parties[1]!.address)
          expect(done.responses.map((r) => r.party)).not.toContain(parties[3]!.address)
        }
      }
      // a key made while two are down: the three that are up hold it and sign
      const held = await makeKey(w, keyring, 'schnorr-secp256k1', parties, 3)
      expect((await w.client.getKeyRequest({ id: held.requestId })).responses).toHaveLength(3)
      await signAndCheck(w, held, [digestOf(44)], parties, { taproot: {} })
      await federation.stopParty(4)
      // two up of 3-of-5: their rejections cannot end the request (up to two could be cheaters); its time-to-live does
      const { requestId } = await w.client.requestSignature({ keyId: keys[0]!.id, payloads: [digestOf(42)], ttlMs: 9_000 })
      const request = await expectSignRejected(w, requestId, 15_000)
      expect(request.rejectReason).toMatch(/^expired/)
      expect(request.rejectReason).toMatch(/No signing attempt succeeded/)
    } finally {
      await federation.startParty(1)
      await federation.startParty(3)
      await federation.startParty(4)
    }
    await signAndCheck(w, keys[1]!, [digestOf(43)], parties)
  })
})

describe('a party without a share of the key', () => {
  it('abstains instead of rejecting: the two parties that hold shares sign', async () => {
    const parties = [generateAccount(), generateAccount(), generateAccount()]
    const w = await world(parties)
    // Party 2's share store can be emptied, as if the party had been re-installed without its shares.
    const forgetful = new Map<string, Uint8Array>()
    const store = { async get(n: string) { return forgetful.get(n) }, async set(n: string, v: Uint8Array) { forgetful.set(n, v) } }
    const federation = await createFederation({ ledger: w.ledger, parties, threshold: 2, ...timing, shares: (_, i) => (i === 2 ? store : memorySecretStore()) })
    try {
      const keyring = await federation.register(w.client, { description: 'FROST 2-of-3', keyRequestFee: 1n, signRequestFee: 1n })
      await federation.start(keyring)
      const key = await makeKey(w, keyring, 'eddsa-ed25519', parties, 2)
      expect(forgetful.size).toBeGreaterThan(0)
      forgetful.clear()
      for (let i = 0; i < 3; i++) {
        // party 2 is the first coordinator of some of these; the others then move on to the next attempt
        const done = await signAndCheck(w, key, [digestOf(77, i)], parties)
        expect(done.responses.map((r) => r.party)).not.toContain(parties[2]!.address)
        expect(done.rejectReason).toBeUndefined()
      }
    } finally {
      await federation.stop()
      await w.ledger.close()
    }
  })
})

describe('a federation over a relay that is not a MemoryRelay', () => {
  it('creates a key and signs over any Relay (only connect, announce, onAnnouncement); parties stop and restart without fault-injection hooks', async () => {
    // A thin Relay of its own: it forwards to a memory relay but exposes none of its hooks, as a network relay would.
    const inner = memoryRelay()
    let delivered = 0
    const relay: Relay = Object.freeze({
      connect: (party: string, onFrame: Parameters<Relay['connect']>[1]) =>
        inner.connect(party, (frame) => {
          delivered++
          onFrame(frame)
        }),
      announce: (announcement: Parameters<Relay['announce']>[0]) => inner.announce(announcement),
      onAnnouncement: (fn: Parameters<Relay['onAnnouncement']>[0]) => inner.onAnnouncement(fn),
    })
    expect('disconnect' in relay || 'intercept' in relay).toBe(false)
    const parties = [generateAccount(), generateAccount(), generateAccount()]
    const w = await world(parties)
    const federation = await createFederation({ ledger: w.ledger, parties, threshold: 2, ...timing, relay })
    expect(federation.relay).toBe(relay)
    try {
      const keyring = await federation.register(w.client, { description: 'FROST 2-of-3 over a custom relay', keyRequestFee: 1n, signRequestFee: 1n })
      await federation.start(keyring)
      const key = await makeKey(w, keyring, 'eddsa-ed25519', parties, 2)
      await signAndCheck(w, key, [digestOf(88)], parties)
      expect(delivered).toBeGreaterThan(0)
      // Restart party 1, then take party 2 down: the restarted party must be one of the two signers.
      await federation.stopParty(1)
      await federation.startParty(1)
      await federation.stopParty(2)
      const done = await signAndCheck(w, key, [digestOf(89)], parties)
      expect(done.responses.map((r) => r.party).sort()).toEqual([parties[0]!.address, parties[1]!.address].sort())
    } finally {
      await federation.stop()
      await w.ledger.close()
    }
  })
})


describe('a FROST party loads each key once', () => {
  it('reads and decrypts a key from its share store once, not per request; paths and taproot keys sign from it', async () => {
    const parties = [generateAccount(), generateAccount(), generateAccount()]
    const w = await world(parties)
    const reads = new Map<string, number>()
    const counting = (): SecretStore => {
      const inner = memorySecretStore()
      return {
        async get(name) {
          reads.set(name, (reads.get(name) ?? 0) + 1)
          return inner.get(name)
        },
        set: (name, value) => inner.set(name, value),
      }
    }
    const federation = await createFederation({ ledger: w.ledger, parties, threshold: 2, ...timing, shares: () => counting() })
    try {
      const keyring = await federation.register(w.client, { description: 'loads once', keyRequestFee: 1n, signRequestFee: 1n })
      await federation.start(keyring)
      const key = await makeKey(w, keyring, 'schnorr-secp256k1', parties, 2)
      const shareName = `frost/schnorr-secp256k1/${toHex(key.publicKey)}`
      for (let i = 0; i < 4; i++) await signAndCheck(w, key, [digestOf(40, i)], parties)
      await signAndCheck(w, key, [digestOf(41)], parties, { path: 'm/1' })
      await signAndCheck(w, key, [digestOf(42)], parties, { taproot: {} })
      // three stores, one per party: each read the share once (six signature requests)
      expect(reads.get(shareName)).toBe(3)
    } finally {
      await federation.stop()
      await w.ledger.close()
    }
  })
})
