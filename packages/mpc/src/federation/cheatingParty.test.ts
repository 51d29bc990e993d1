/**
 * A 2-of-3 federation with one cheating party, judged by what a user sees on the ledger: every request
 * is fulfilled by the two honest parties (whatever valid result the cheater posts first), the cheater is
 * reported (`party.accused` ledger events, the honest responses' accusations, connector `accused`
 * events), and no honest party is ever accused or named as the cause of a rejection. Signatures are
 * checked by noble. The parties talk over the in-process relay; the cheater's router alters what it sends.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import {
  type Account,
  type ConnectorEvent,
  type EmbeddedLedger,
  type Key,
  type KeyType,
  type LedgerEvent,
  type ZrClient,
  createConnector,
  toHex,
} from '@zrkit/core'
import { federationParty } from '@zrkit/mpc'
import { afterEach, describe, expect, it } from 'vitest'
import { encodeWire, decodeWire } from '../ecdsa/wire.js'
import { itInFullRun, nobleVerifies, ownerWorld } from '@zrkit/testkit'
import { type Tamper, flipped, rewrite, tamperedRouter, testNetwork } from '@zrkit/testkit/mpc'

// Generous rounds: a DKLs23 pair setup that misses its window is rerun inside a signing attempt, and the
// suites may share the machine with others.
const timing = { attemptTimeoutMs: 3_000, dkgTimeoutMs: 5_000, pollIntervalMs: 100 }
const waitMs = 30_000
const text = (s: string) => new TextEncoder().encode(s)

type Cheating = {
  client: ZrClient
  ledger: EmbeddedLedger
  parties: Account[]
  cheater: Account
  honest: Account[]
  keyring: string
  workspace: string
  /** `party.accused` events on the ledger. */
  accused: LedgerEvent[]
  /** `accused` events of each party's connector, by party address. */
  connectorAccused: Map<string, ConnectorEvent[]>
  stop(): Promise<void>
}

let running: Cheating | undefined
afterEach(async () => {
  await running?.stop()
  running = undefined
})

/** A 2-of-3 federation whose party 1 sends what `tamper` makes of its messages. */
async function federationWithCheater(tamper: (parties: Account[]) => Tamper): Promise<Cheating> {
  // the parties: accounts, transports and routers over one in-process relay (sorted by address)
  const net = await testNetwork(3, { routerTimeoutMs: timing.dkgTimeoutMs })
  const parties = net.parties.map((p) => p.account)
  const { ledger, client, workspace } = await ownerWorld({ chainId: 'zrkit-cheat', funded: parties })
  const addresses = [...net.ids]
  const { keyring } = await client.createKeyring({ description: '2-of-3 with a cheater', parties: addresses, partyThreshold: 2, keyRequestFee: 1n, signRequestFee: 1n })
  const cheater = parties[1]!
  const accused: LedgerEvent[] = []
  const unsubscribe = ledger.subscribe({ types: ['party.accused'] }, (e) => void accused.push(e))
  const connectorAccused = new Map(addresses.map((a) => [a, [] as ConnectorEvent[]]))
  const connectors = parties.map((account, i) =>
    createConnector({
      ledger,
      account,
      keyring,
      pollIntervalMs: timing.pollIntervalMs,
      onEvent: (e) => e.type === 'accused' && connectorAccused.get(account.address)!.push(e),
      backend: federationParty({
        account,
        router: account === cheater ? tamperedRouter(net.parties[i]!, tamper(parties)) : net.parties[i]!.router,
        identityKey: (party) => net.parties[i]!.transport.identityKey(party),
        parties: addresses,
        threshold: 2,
        attemptTimeoutMs: timing.attemptTimeoutMs,
        dkgTimeoutMs: timing.dkgTimeoutMs,
      }),
    }),
  )
  await Promise.all(connectors.map((c) => c.start()))
  running = {
    client,
    ledger,
    parties,
    cheater,
    honest: parties.filter((p) => p !== cheater),
    keyring,
    workspace,
    accused,
    connectorAccused,
    async stop() {
      unsubscribe()
      await Promise.all(connectors.map((c) => c.stop()))
      await net.close()
      await ledger.close()
    },
  }
  return running
}

async function keyOf(c: Cheating, keyType: KeyType): Promise<Key> {
  const { requestId } = await c.client.requestKey({ workspace: c.workspace, keyring: c.keyring, keyType })
  const { request, key } = await c.client.waitForKeyRequest({ requestId, timeoutMs: waitMs })
  expect(request.status).toBe('fulfilled')
  expect(request.rejectReason).toBeUndefined()
  return key
}

/** Signs `count` payloads, one request each (consecutive ids, so each party coordinates some first attempt); all must be fulfilled. */
async function signAll(c: Cheating, key: Key, count: number, label: string): Promise<void> {
  for (let i = 0; i < count; i++) {
    const payload = sha256(text(`${label} ${i}`))
    const { requestId } = await c.client.requestSignature({ keyId: key.id, payloads: [payload] })
    const done = await c.client.waitForSignRequest({ requestId, timeoutMs: waitMs }).catch(async (e: unknown) => {
      throw new Error(`request ${requestId}: ${String(e)}: ${(await c.client.getSignRequest({ id: requestId })).rejectReason}`)
    })
    expect(done.status).toBe('fulfilled')
    expect(done.rejectReason).toBeUndefined()
    expect(nobleVerifies(key.keyType, key.publicKey, payload, done.signatures[0]!)).toBe(true)
  }
}

/** The cheater, and only the cheater, is accused: on the ledger and in the honest connectors' events. */
function expectOnlyCheaterAccused(c: Cheating, { atLeastOnce = true } = {}): void {
  const named = new Set(c.accused.map((e) => e.data.party))
  for (const h of c.honest) expect(named.has(h.address), `honest ${h.address} accused`).toBe(false)
  for (const e of c.accused) expect(c.honest.map((h) => h.address)).toContain(e.data.by)
  if (atLeastOnce) {
    expect(named.has(c.cheater.address)).toBe(true)
    expect(c.honest.some((h) => c.connectorAccused.get(h.address)!.some((e) => e.type === 'accused' && e.party === c.cheater.address))).toBe(true)
  }
}

/** Flips a bit in each FROST signature share the cheater sends (its own aggregate stays valid). */
const badFrostShares: Tamper = {
  send: (m) => (m.round === 'sign/shares' ? rewrite(m.body, (v) => void (v.shares = (v.shares as Uint8Array[]).map((s) => flipped(s, 16)))) : undefined),
}

describe('a cheating party in a 2-of-3 federation, seen through the ledger', () => {
  it('FROST (ed25519 and BIP340): wrong signature shares: every request is fulfilled by the honest pair, the cheater is reported', async () => {
    const c = await federationWithCheater(() => badFrostShares)
    for (const keyType of ['eddsa-ed25519', 'schnorr-secp256k1'] as const) await signAll(c, await keyOf(c, keyType), 3, keyType)
    expectOnlyCheaterAccused(c)
    // the honest responses carry the accusation, signed with their results
    const requests = (await c.ledger.query('signRequests', { keyring: c.keyring })).items
    const accusing = requests.flatMap((r) => r.responses).filter((r) => r.accusations?.length)
    expect(accusing.length).toBeGreaterThan(0)
    for (const r of accusing) expect(r.accusations!.map((a) => a.party)).toEqual([c.cheater.address])
  }, 120_000)

  itInFullRun('FROST: signature-share messages replayed from an earlier request: every request is fulfilled, the cheater is reported', async () => {
    let recorded: Uint8Array | undefined
    const c = await federationWithCheater(() => ({
      send: (m) => {
        if (m.round !== 'sign/shares') return undefined
        if (!recorded) return void (recorded = m.body)
        return recorded
      },
    }))
    const key = await keyOf(c, 'schnorr-secp256k1')
    await signAll(c, key, 4, 'replay')
    expect(recorded).toBeDefined()
    expectOnlyCheaterAccused(c)
  }, 120_000)

  it('key generation, a wrong DKG share to every other party: settled in public, the key is fulfilled, all three sign, the cheater is reported', async () => {
    const c = await federationWithCheater(() => ({
      send: (m) => (m.round === 'dkg/2' ? rewrite(m.body, (v) => void (v.signingShare = flipped(v.signingShare as Uint8Array, 5))) : undefined),
    }))
    for (const keyType of ['eddsa-ed25519', 'schnorr-secp256k1', 'ecdsa-secp256k1'] as const) {
      const key = await keyOf(c, keyType)
      const request = await c.client.getKeyRequest({ id: key.requestId })
      // the honest parties' key responses accuse the cheater
      for (const h of c.honest) {
        const mine = request.responses.find((r) => r.party === h.address)
        if (mine) expect(mine.accusations?.map((a) => a.party)).toEqual([c.cheater.address])
      }
      await signAll(c, key, 2, `dkg ${keyType}`)
    }
    expectOnlyCheaterAccused(c)
  }, 180_000)

  itInFullRun('key generation, a bad DKG share and no valid answer to the complaint: the honest pair makes the key without the cheater and signs', async () => {
    const c = await federationWithCheater((parties) => ({
      send: (m) => (m.round === 'dkg/2' && m.to === parties[0]!.address ? text('not a share') : undefined),
      broadcast: (m) => (m.round === 'dkg/4' ? text('no answer') : undefined),
    }))
    for (const keyType of ['eddsa-ed25519', 'ecdsa-secp256k1'] as const) {
      const key = await keyOf(c, keyType)
      const request = await c.client.getKeyRequest({ id: key.requestId })
      // the honest pair posted the key; the cheater, left out, holds no share of it (whatever it posted)
      const withKey = request.responses.filter((r) => r.publicKey && toHex(r.publicKey) === toHex(key.publicKey)).map((r) => r.party)
      expect(withKey.sort()).toEqual(c.honest.map((h) => h.address).sort())
      await signAll(c, key, 2, `excluded ${keyType}`)
    }
    expectOnlyCheaterAccused(c)
  }, 180_000)

  it('threshold ECDSA (DKLs23), a wrong OT correction in every signing: attributable, every request is fulfilled, the cheater is reported', async () => {
    const b = 'bytes' as const
    const msg2 = { list: { record: { instancePoint: b, salt: b, publicShare: b, gammaU: b, gammaV: b, psi: b, mul: { record: { tau: b, r: b, u: b } } } } } as const
    const c = await federationWithCheater(() => ({
      send: (m) => {
        if (m.round !== 'ecdsa/v2/2') return undefined
        const value = decodeWire<{ mul: { tau: Uint8Array } }[]>(m.body, 'test', 'round-2 message', msg2)
        for (const x of value) x.mul.tau = flipped(x.mul.tau, 40)
        return encodeWire(value as never)
      },
    }))
    await signAll(c, await keyOf(c, 'ecdsa-secp256k1'), 3, 'ecdsa tau')
    expectOnlyCheaterAccused(c)
  }, 180_000)

  itInFullRun('threshold ECDSA, a wrong w (DKLs23 cannot attribute it): no honest party is accused or named in a rejection', async () => {
    const b = 'bytes' as const
    const msg3 = { list: { record: { u: b, w: b } } } as const
    const c = await federationWithCheater(() => ({
      send: (m) => {
        if (m.round !== 'ecdsa/v2/3') return undefined
        const value = decodeWire<{ w: Uint8Array }[]>(m.body, 'test', 'round-3 message', msg3)
        for (const x of value) x.w = flipped(x.w, 20)
        return encodeWire(value as never)
      },
    }))
    const key = await keyOf(c, 'ecdsa-secp256k1')
    for (let i = 0; i < 3; i++) {
      const payload = sha256(text(`ecdsa w ${i}`))
      const { requestId } = await c.client.requestSignature({ keyId: key.id, payloads: [payload], ttlMs: 20_000 })
      await c.client.waitForSignRequest({ requestId, timeoutMs: waitMs }).catch(() => {})
      const request = await c.client.getSignRequest({ id: requestId })
      expect(['fulfilled', 'rejected']).toContain(request.status)
      if (request.status === 'fulfilled') expect(nobleVerifies(key.keyType, key.publicKey, payload, request.signatures![0]!)).toBe(true)
      for (const h of c.honest) expect(request.rejectReason ?? '').not.toContain(`party ${h.address} accused`)
    }
    expectOnlyCheaterAccused(c, { atLeastOnce: false })
  }, 180_000)
})
