/**
 * Threshold ECDSA (DKLs23) in the federation, end to end on the embedded ledger: ECDSA and Bitcoin
 * keys through the seeds' lifecycle, signatures checked by noble and viem's ecrecover, derived keys,
 * parties down, shares and pair setups encrypted at rest across a restart, and a party that cheats.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import {
  type Account,
  type Connector,
  type Key,
  type SecretStore,
  createConnector,
  deriveAddress,
  encryptedSecretStore,
  generateAccount,
  isZrError,
  toHex,
} from '@zrkit/core'
import { fileSecretStore } from '@zrkit/core/node'
import { type Federation, type SessionRouter, createFederation, createSessionRouter, federationParty, memoryRelay, secureTransport } from '@zrkit/mpc'
import { type Hex, recoverAddress } from 'viem'
import { type OwnerWorld, itInFullRun, ownerWorld } from '@zrkit/testkit'
import { delegatingSession } from '@zrkit/testkit/mpc'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeShare, ecdsaNames } from '../ecdsa/ecdsaKey.js'

const chainId = 'zrkit-ecdsa-federation'
const timing = { attemptTimeoutMs: 2_000, dkgTimeoutMs: 20_000, pollIntervalMs: 100 }
const waitMs = 60_000

type World = OwnerWorld
const world = (parties: readonly Account[]): Promise<World> => ownerWorld({ chainId, funded: parties })

const digestOf = (...bytes: number[]) => sha256(Uint8Array.from(bytes))

/** noble (low S), key recovery with the recovery id, and viem's ecrecover against the key's EVM address. */
async function expectValid(signature: Uint8Array, digest: Uint8Array, publicKey: Uint8Array): Promise<void> {
  expect(signature).toHaveLength(65)
  const compact = signature.subarray(0, 64)
  expect(secp256k1.verify(compact, digest, publicKey, { prehash: false, lowS: true })).toBe(true)
  const recovered = await recoverAddress({ hash: `0x${toHex(digest)}` as Hex, signature: `0x${toHex(compact)}${signature[64] ? '1c' : '1b'}` as Hex })
  expect(recovered.toLowerCase()).toBe(deriveAddress({ keyType: 'ecdsa-secp256k1', publicKey }, { type: 'evm' }).toLowerCase())
}

async function makeKey(w: World, keyring: string, keyType: 'ecdsa-secp256k1' | 'bitcoin-secp256k1'): Promise<Key> {
  const { requestId } = await w.client.requestKey({ workspace: w.workspace, keyring, keyType })
  const { request, key } = await w.client.waitForKeyRequest({ requestId, timeoutMs: waitMs })
  expect(request.status).toBe('fulfilled')
  expect(key.keyType).toBe(keyType)
  expect(key.publicKey).toHaveLength(33)
  return key
}

async function signAndCheck(w: World, key: Key, payloads: Uint8Array[], extra: { path?: string } = {}) {
  const { requestId } = await w.client.requestSignature({ keyId: key.id, payloads, ...extra })
  const done = await w.client.waitForSignRequest({ requestId, timeoutMs: waitMs })
  expect(done.status).toBe('fulfilled')
  expect(done.signatures).toHaveLength(payloads.length)
  for (const [i, p] of payloads.entries()) await expectValid(done.signatures[i]!, p, done.publicKey)
  return done
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await filesUnder(full)))
    else out.push(full)
  }
  return out
}

describe('a 2-of-3 federation with threshold ECDSA keys, shares encrypted on disk', () => {
  const parties = [generateAccount(), generateAccount(), generateAccount()]
  const dirs: string[] = []
  const stores = (_: Account, i: number): SecretStore => encryptedSecretStore(fileSecretStore(dirs[i]!), { passphrase: `party ${i} passphrase` })
  let w: World
  let fed: Federation | undefined
  let keyring: string
  const keys: Key[] = []

  beforeAll(async () => {
    for (let i = 0; i < parties.length; i++) dirs.push(await mkdtemp(join(tmpdir(), `zrkit-ecdsa-fed-${i}-`)))
    w = await world(parties)
    fed = await createFederation({ ledger: w.ledger, parties, threshold: 2, shares: stores, ...timing })
    keyring = await fed.register(w.client, { description: 'DKLs23 2-of-3', keyRequestFee: 100n, signRequestFee: 10n })
    await fed.start(keyring)
  }, 120_000)
  afterAll(async () => {
    await fed?.stop()
    await w?.ledger.close()
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
  })

  it('creates ECDSA and Bitcoin keys through the ledger and signs with them; ecrecover gives the key’s address', async () => {
    for (const keyType of ['ecdsa-secp256k1', 'bitcoin-secp256k1'] as const) {
      const key = await makeKey(w, keyring, keyType)
      keys.push(key)
      const done = await signAndCheck(w, key, [digestOf(1), digestOf(2)])
      expect(done.responses.length).toBeGreaterThanOrEqual(2)
    }
    expect(toHex(keys[0]!.publicKey)).not.toBe(toHex(keys[1]!.publicKey))
  }, 120_000)

  it('signs for a derived child key (path), under the child key the request names', async () => {
    const done = await signAndCheck(w, keys[0]!, [digestOf(3)], { path: 'm/44/60/0/0/1' })
    expect(toHex(done.publicKey)).not.toBe(toHex(keys[0]!.publicKey))
  }, 60_000)

  itInFullRun('signs with one party down; with two down the request is rejected, saying why, without hanging', async () => {
    await fed!.stopParty(0)
    try {
      const done = await signAndCheck(w, keys[0]!, [digestOf(4)])
      expect(done.responses.map((r) => r.party)).not.toContain(parties[0]!.address)
      await fed!.stopParty(1)
      // one up of 2-of-3: its rejection alone cannot end the request; the time-to-live does, with its reason
      const { requestId } = await w.client.requestSignature({ keyId: keys[0]!.id, payloads: [digestOf(5)], ttlMs: 15_000 })
      const started = Date.now()
      const err = await w.client.waitForSignRequest({ requestId, timeoutMs: waitMs }).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(Date.now() - started).toBeLessThan(waitMs)
      expect(isZrError(err, 'REQUEST_REJECTED'), String(err)).toBe(true)
      const request = await w.client.getSignRequest({ id: requestId })
      expect(request.status).toBe('rejected')
      expect(request.responses.map((r) => r.rejectReason ?? '').join(' ')).toContain('No signing attempt succeeded')
    } finally {
      await fed!.startParty(0)
      await fed!.startParty(1)
    }
  }, 120_000)

  it('generates a key with one party down: the two that are up hold it and sign (also for a path); back up, the third abstains', async () => {
    // the party first in address order: the holders' Shamir x-coordinates (positions among all parties) are then 2 and 3
    const d = parties.indexOf([...parties].sort((a, b) => (a.address < b.address ? -1 : 1))[0]!)
    await fed!.stopParty(d)
    let key: Key
    try {
      key = await makeKey(w, keyring, 'ecdsa-secp256k1')
      const request = await w.client.getKeyRequest({ id: key.requestId })
      expect(request.responses.map((r) => r.party)).not.toContain(parties[d]!.address)
      await signAndCheck(w, key, [digestOf(30)])
      await signAndCheck(w, key, [digestOf(31)], { path: 'm/44/60/0/0/2' })
    } finally {
      await fed!.startParty(d)
    }
    for (let i = 0; i < 3; i++) {
      const done = await signAndCheck(w, key, [digestOf(32, i)])
      expect(done.responses.map((r) => r.party)).not.toContain(parties[d]!.address)
    }
  }, 120_000)

  it('a new federation object on the same directories signs with the stored shares and pair setups', async () => {
    await fed!.stop()
    fed = await createFederation({ ledger: w.ledger, parties, threshold: 2, shares: stores, ...timing })
    await fed.start(keyring)
    for (const key of keys) await signAndCheck(w, key, [digestOf(6)])
  }, 120_000)

  it('writes no plaintext share or OT seed to disk', async () => {
    let checked = 0
    const files = (await Promise.all(dirs.map(filesUnder))).flat()
    const contents = await Promise.all(files.map((f) => readFile(f)))
    const onDisk = (needle: Uint8Array) =>
      contents.filter((c) => c.includes(Buffer.from(needle)) || c.includes(Buffer.from(toHex(needle))) || c.includes(Buffer.from(Buffer.from(needle).toString('base64')))).length
    for (const [i, party] of fed!.parties.entries()) {
      for (const key of keys) {
        const stored = await party.shares.get(ecdsaNames.share(key.keyType, key.publicKey))
        const share = decodeShare(stored!)
        expect(share.self).toBe(parties[i]!.address)
        expect(onDisk(share.share)).toBe(0)
        const pair = await party.shares.get(ecdsaNames.pair(key.publicKey, parties[(i + 1) % 3]!.address))
        expect(pair!.length).toBeGreaterThan(3 * 256 * 32)
        expect(onDisk(pair!.subarray(0, 64))).toBe(0)
        checked++
      }
    }
    expect(checked).toBe(6)
    // the scan finds what is there: a plain file store's copy is found
    const control = await mkdtemp(join(tmpdir(), 'zrkit-ecdsa-control-'))
    try {
      const needle = decodeShare((await fed!.parties[0]!.shares.get(ecdsaNames.share(keys[0]!.keyType, keys[0]!.publicKey)))!).share
      await fileSecretStore(control).set('x', needle)
      const plain = await Promise.all((await filesUnder(control)).map((f) => readFile(f)))
      expect(plain.some((c) => c.includes(Buffer.from(needle)))).toBe(true)
    } finally {
      await rm(control, { recursive: true, force: true })
    }
  })
})

/** A router that flips one byte of every round-2 DKLs23 message it sends (Alice's multiplication reply). */
function corruptingRouter(router: SessionRouter): SessionRouter {
  return {
    open(id, participants) {
      const s = router.open(id, participants)
      return delegatingSession(s, {
        send: (to, round, body) => {
          if (round !== 'ecdsa/v2/2') return s.send(to, round, body)
          const bad = Uint8Array.from(body)
          bad[bad.length - 10]! ^= 1
          return s.send(to, round, bad)
        },
      })
    },
    close: () => router.close(),
  }
}

describe('a party that corrupts its threshold-ECDSA messages', () => {
  const parties = [generateAccount(), generateAccount(), generateAccount()]
  const cheater = 1
  let w: World
  let connectors: Connector[] = []
  let keyring: string
  let cleanup: () => Promise<void> = async () => {}

  beforeAll(async () => {
    w = await world(parties)
    const relay = memoryRelay()
    const addresses = parties.map((p) => p.address)
    ;({ keyring } = await w.client.createKeyring({ description: 'DKLs23 with a cheater', parties: addresses, partyThreshold: 2, keyRequestFee: 1n, signRequestFee: 1n }))
    const transports = await Promise.all(parties.map((account) => secureTransport({ account, relay, peers: addresses.filter((a) => a !== account.address), timeoutMs: timing.dkgTimeoutMs })))
    const routers = transports.map((t) => createSessionRouter(t))
    connectors = parties.map((account, i) =>
      createConnector({
        ledger: w.ledger,
        account,
        keyring,
        pollIntervalMs: timing.pollIntervalMs,
        backend: federationParty({
          account,
          router: i === cheater ? corruptingRouter(routers[i]!) : routers[i]!,
          identityKey: (party) => transports[i]!.identityKey(party),
          parties: addresses,
          threshold: 2,
          attemptTimeoutMs: timing.attemptTimeoutMs,
          dkgTimeoutMs: timing.dkgTimeoutMs,
        }),
      }),
    )
    await Promise.all(connectors.map((c) => c.start()))
    cleanup = async () => {
      await Promise.all(connectors.map((c) => c.stop()))
      routers.forEach((r) => r.close())
      await Promise.all(transports.map((t) => t.close()))
    }
  }, 120_000)
  afterAll(async () => {
    await cleanup()
    await w?.ledger.close()
  })

  it('every request is fulfilled by the honest pair with a valid signature; the cheater is accused, never an honest party', async () => {
    const key = await makeKey(w, keyring, 'ecdsa-secp256k1')
    for (let i = 0; i < 4; i++) {
      const digest = digestOf(40 + i)
      const { requestId } = await w.client.requestSignature({ keyId: key.id, payloads: [digest] })
      const done = await w.client.waitForSignRequest({ requestId, timeoutMs: waitMs })
      expect(done.status).toBe('fulfilled')
      await expectValid(done.signatures[0]!, digest, key.publicKey)
      for (const r of done.responses) for (const a of r.accusations ?? []) expect(a.party).toBe(parties[cheater]!.address)
    }
  }, 240_000)
})
