/**
 * ECDSA presignatures with real processes: the ledger server, the relay and two parties (2-of-2, so there is one
 * signing set) started with `zrkit party start --presignatures 1` through `startLocalNetwork({ presignatures: 1 })`.
 *
 * What a user relies on: with pools on, each signature still verifies (noble), each party keeps its pool in its own
 * encrypted share store on disk, and a signing that finds a presignature in both pools is the online round alone.
 * That last point is read from outside the processes, in the relay's own byte counters (`GET /status`): a signing
 * without a presignature runs every DKLs23 round (~90 KB to the other party) and then makes one presignature in the
 * background (as much again); a signing with one sends under a kilobyte and then makes the next one. So the second
 * signing, pool full, moves well under three quarters of the first one's bytes (counted once the parties are quiet).
 */
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { type LocalNetwork, startLocalNetwork } from '@zrkit/cli'
import { type Ledger, type ZrClient, connectLedgerWs, createZrClient } from '@zrkit/core'
import { nobleVerifies, payloadFor } from '@zrkit/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'

let net: LocalNetwork
let ledger: Ledger
let client: ZrClient
let key: { id: number; publicKey: Uint8Array }

/** The entries in a party's encrypted share store (file names are keyed hashes of the entry names). */
const storeEntries = async (party: number): Promise<number> => (await readdir(join(net.dir, `party-${party}-shares`))).filter((f) => f.startsWith('secret-')).length

/** Bytes the relay has carried for both parties, in and out. */
async function relayBytes(): Promise<number> {
  const res = await fetch(`${net.relayUrl.replace(/^ws/, 'http')}/status`)
  const body = (await res.json()) as { parties: { bytesIn: number; bytesOut: number }[] }
  return body.parties.reduce((a, p) => a + p.bytesIn + p.bytesOut, 0)
}

/** The relay's byte count once the parties have gone quiet (the background presigning after a signing has ended). */
async function quietBytes(): Promise<number> {
  let last = await relayBytes()
  for (let i = 0; i < 120; i++) {
    await new Promise((r) => setTimeout(r, 500))
    const now = await relayBytes()
    if (now === last) return now
    last = now
  }
  throw new Error('the parties kept exchanging frames for 60 s after a signing')
}

async function sign(label: string): Promise<void> {
  const payload = payloadFor('ecdsa-secp256k1', label)
  const [signature] = await client.sign({ keyId: key.id, payloads: [payload], timeoutMs: 60_000 })
  expect(nobleVerifies('ecdsa-secp256k1', key.publicKey, payload, signature!)).toBe(true)
}

beforeAll(async () => {
  net = await startLocalNetwork({ parties: 2, threshold: 2, presignatures: 1 })
  ledger = await connectLedgerWs(net.ledgerUrl, { WebSocket: WebSocket as never })
  client = createZrClient({ ledger, account: net.user })
  const { workspace } = await client.createWorkspace()
  key = await client.createKey({ workspace, keyring: net.keyring, keyType: 'ecdsa-secp256k1' })
}, 180_000)

afterAll(async () => {
  await ledger?.close()
  await net?.stop()
})

describe('ECDSA presignatures across processes (zrkit party start --presignatures)', () => {
  it('the first signing fills each pool on disk; the next one uses it and sends far fewer bytes', async () => {
    const entries0 = await Promise.all([1, 2].map(storeEntries))
    const b0 = await quietBytes()
    await sign('first')
    const b1 = await quietBytes()
    // each party stored its new pool: one more entry in its own encrypted store
    expect(await Promise.all([1, 2].map(storeEntries))).toEqual(entries0.map((n) => n + 1))
    await sign('second')
    const b2 = await quietBytes()
    await sign('third')
    const b3 = await quietBytes()
    const full = b1 - b0
    // the first: every round plus one presignature made; the others: the online round plus one presignature made
    expect(full).toBeGreaterThan(100_000)
    expect(b2 - b1).toBeLessThan(full * 0.75)
    expect(b3 - b2).toBeLessThan(full * 0.75)
  }, 180_000)
})
