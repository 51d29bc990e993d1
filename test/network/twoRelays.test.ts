/**
 * Two relays for availability, with real processes: the ledger server, two relays and three parties (2 of 3),
 * each party on both relays (`zrkit party start --relay A,B`). Either relay can be SIGKILLed and the parties go on
 * signing at once through the other (each frame goes through every relay that is up; the copies are dropped);
 * a relay restarted on its port is joined again. Signatures checked with noble.
 */
import { type LocalNetwork, startLocalNetwork } from '@zrkit/cli'
import { type Ledger, type ZrClient, connectLedgerWs, createZrClient } from '@zrkit/core'
import { nobleVerifies, payloadFor } from '@zrkit/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'

let net: LocalNetwork
let ledger: Ledger
let client: ZrClient
let key: { id: number; publicKey: Uint8Array }

/** A signature request fulfilled; resolves with how long it took. */
async function sign(label: string): Promise<number> {
  const payload = payloadFor('schnorr-secp256k1', label)
  const started = Date.now()
  const [signature] = await client.sign({ keyId: key.id, payloads: [payload], timeoutMs: 60_000 })
  const ms = Date.now() - started
  expect(nobleVerifies('schnorr-secp256k1', key.publicKey, payload, signature!)).toBe(true)
  return ms
}

/** How many relays each party is connected to, as the relays' own status endpoints tell. */
async function partiesOn(url: string): Promise<string[]> {
  const res = await fetch(`${url.replace(/^ws/, 'http')}/status`)
  const body = (await res.json()) as { parties: { party: string; connected: boolean }[] }
  return body.parties.filter((p) => p.connected).map((p) => p.party).sort()
}

const all = () => net.parties.map((p) => p.address).sort()

beforeAll(async () => {
  // a 20 s attempt timeout: a signing that waited on the dead relay would take that long, and show
  net = await startLocalNetwork({ parties: 3, threshold: 2, relays: 2, attemptTimeoutMs: 20_000 })
  ledger = await connectLedgerWs(net.ledgerUrl, { WebSocket: WebSocket as never })
  client = createZrClient({ ledger, account: net.user })
  const { workspace } = await client.createWorkspace()
  key = await client.createKey({ workspace, keyring: net.keyring, keyType: 'schnorr-secp256k1' })
}, 180_000)

afterAll(async () => {
  await ledger?.close()
  await net?.stop()
})

describe('two relays: a party on both keeps signing while either is down', () => {
  it('every party is on both relays', async () => {
    expect(net.relays).toHaveLength(2)
    expect(net.relayUrls).toHaveLength(2)
    for (const url of net.relayUrls) expect(await partiesOn(url)).toEqual(all())
    await sign('both up')
  }, 60_000)

  it('the first relay SIGKILLed: signing goes on at once through the second; restarted, the parties rejoin it', async () => {
    expect(await net.relays[0]!.kill('SIGKILL')).toBe('SIGKILL')
    for (let i = 0; i < 3; i++) expect(await sign(`first down ${i}`)).toBeLessThan(5_000)
    await net.relays[0]!.restart()
    const until = Date.now() + 30_000
    while ((await partiesOn(net.relayUrls[0]!)).length < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 200))
    expect(await partiesOn(net.relayUrls[0]!)).toEqual(all())
  }, 120_000)

  it('then the second relay SIGKILLed: signing goes on through the restarted first', async () => {
    expect(await net.relays[1]!.kill('SIGKILL')).toBe('SIGKILL')
    for (let i = 0; i < 3; i++) expect(await sign(`second down ${i}`)).toBeLessThan(5_000)
    await net.relays[1]!.restart()
  }, 120_000)

  it('stop(): every process, both relays included, exits 0', async () => {
    await ledger.close()
    expect(await net.stop()).toEqual({ 'party-1': 0, 'party-2': 0, 'party-3': 0, relay: 0, 'relay-2': 0, ledger: 0 })
  }, 60_000)
})
