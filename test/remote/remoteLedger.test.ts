/**
 * The Ledger interface is all that clients and connectors use: here the ledger runs in another
 * process, reached over its stdio through serveLedger/connectLedger, and the whole lifecycle works
 * unchanged, with bytes, bigints, events and typed errors crossing intact.
 */
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { type Ledger, canonicalStringify, connectLedger, createConnector, createZrClient, generateAccount, isZrError, localKeyring } from '@zrkit/core'
import { afterAll, describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))
const [alice, bob, party, poor] = ['alice', 'bob', 'party', 'poor'].map((s) => generateAccount(`remote:${s}`)) as [ReturnType<typeof generateAccount>, ReturnType<typeof generateAccount>, ReturnType<typeof generateAccount>, ReturnType<typeof generateAccount>]
const genesis = { chainId: 'zrkit-remote', balances: [alice, bob, party].map((a) => ({ address: a.address, amount: 10_000n })) }

const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./ledgerServer.ts', import.meta.url))], {
  cwd: root,
  env: { ...process.env, ZRKIT_GENESIS: canonicalStringify(genesis) },
  stdio: ['pipe', 'pipe', 'inherit'],
})
const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)))
const lines = createInterface({ input: child.stdout! })
let ledger: Ledger

afterAll(async () => {
  await ledger?.close()
  expect(await exited).toBe(0)
})

describe('a ledger in another process', () => {
  it('runs both lifecycles for a client and a connector that only see the Ledger interface', async () => {
    ledger = await connectLedger({
      send: (m) => child.stdin!.write(`${m}\n`),
      onMessage: (fn) => lines.on('line', fn),
      close: () => child.stdin!.end(),
    })
    expect(ledger.chainId).toBe('zrkit-remote')
    const asAlice = createZrClient({ ledger, account: alice })
    const asBob = createZrClient({ ledger, account: bob })

    const { keyring } = await asAlice.createKeyring({ description: 'remote', parties: [party.address], partyThreshold: 1, keyRequestFee: 100n, signRequestFee: 10n })
    const connector = createConnector({ ledger, account: party, keyring, backend: localKeyring(), pollIntervalMs: 0 })
    await connector.start()
    const { policyId } = await asAlice.createPolicy({ name: 'both', participants: { alice: alice.address, bob: bob.address }, expression: 'all([alice, bob])' })
    const { workspace } = await asAlice.createWorkspace({ additionalOwners: [bob.address], signPolicyId: policyId })

    const key = await asAlice.createKey({ workspace, keyring, keyType: 'ecdsa-secp256k1' })
    expect(key.publicKey).toBeInstanceOf(Uint8Array)
    expect(key.publicKey.length).toBe(33)

    const digest = sha256(new TextEncoder().encode('across a process boundary'))
    const seen: string[] = []
    const { requestId, status, actionId } = await asAlice.requestSignature({ keyId: key.id, payloads: [digest] })
    expect(status).toBe('partial')
    const waiting = asAlice.waitForSignRequest({ requestId, timeoutMs: 20_000, onEvent: (e) => seen.push(e.type) })
    await asBob.approveAction({ actionId: actionId! })
    const done = await waiting
    expect(done.status).toBe('fulfilled')
    expect(seen).toEqual(expect.arrayContaining(['action.approved', 'signRequest.pending', 'signRequest.fulfilled']))
    expect(secp256k1.verify(done.signatures[0]!.subarray(0, 64), digest, key.publicKey, { prehash: false })).toBe(true)

    // bigints and typed errors cross too
    expect(await asAlice.getBalance()).toBe(10_000n - 110n)
    expect(await asAlice.getBalance({ address: keyring })).toBe(110n)
    const err = await createZrClient({ ledger, account: poor })
      .requestKey({ workspace, keyring, keyType: 'eddsa-ed25519' })
      .catch((e: unknown) => e)
    expect(isZrError(err, 'NOT_WORKSPACE_OWNER')).toBe(true)
    await connector.stop()
  })
})
