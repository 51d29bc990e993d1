/**
 * Waits over a real WebSocket to a ledger server (listenLedger on 127.0.0.1), counting the queries the server
 * answers: `sign` and `createKey` watch the request from its own receipt's events (`fromSeq`), so they need no
 * status query and no first look at the request; a `fromSeq` wait on a request settled before it began is
 * answered by the replayed event, and a bad `fromSeq` is refused with INVALID_INPUT.
 */
import { type Ledger, connectLedgerWs, createConnector, createEmbeddedLedger, createZrClient, generateAccount, isZrError, localKeyring } from '@zrkit/core'
import { listenLedger } from '@zrkit/core/node'
import { describe, expect, it, onTestFinished } from 'vitest'
import { WebSocket } from 'ws'

const [alice, party] = ['alice', 'party'].map((s) => generateAccount(`waits-from-receipt:${s}`)) as [ReturnType<typeof generateAccount>, ReturnType<typeof generateAccount>]

async function world() {
  const ledger = await createEmbeddedLedger({ genesis: { chainId: 'zrkit-waits-from-receipt', balances: [alice, party].map((a) => ({ address: a.address, amount: 10_000n })) } })
  // the server's ledger counts the queries it answers, by kind
  const asked = new Map<string, number>()
  const counted: Ledger = { ...ledger, query: (kind, params) => (asked.set(kind, (asked.get(kind) ?? 0) + 1), ledger.query(kind, params)) }
  const server = await listenLedger(counted, {})
  const remote = await connectLedgerWs(server.url, { WebSocket: WebSocket as never })
  onTestFinished(async () => {
    await remote.close()
    await server.close()
    await ledger.close()
  })
  const local = createZrClient({ ledger, account: alice })
  const { keyring } = await local.createKeyring({ description: 'waits', parties: [party.address], partyThreshold: 1, keyRequestFee: 1n, signRequestFee: 1n })
  const connector = createConnector({ ledger, account: party, keyring, backend: localKeyring() })
  await connector.start()
  onTestFinished(() => connector.stop())
  const { workspace } = await local.createWorkspace()
  return { ledger, asked, client: createZrClient({ ledger: remote, account: alice }), workspace, keyring }
}

describe('waits from a receipt over a remote ledger', () => {
  it('sign and createKey ask no status and look at the request once, when it is settled; a wait from now asks both', async () => {
    const { asked, client, workspace, keyring } = await world()
    const key = await client.createKey({ workspace, keyring, keyType: 'eddsa-ed25519', timeoutMs: 20_000 })
    expect(asked.get('status') ?? 0).toBe(0)
    expect(asked.get('keyRequest')).toBe(1)

    asked.clear()
    const [signature] = await client.sign({ keyId: key.id, payloads: [new TextEncoder().encode('from the receipt')], timeoutMs: 20_000 })
    expect(signature).toHaveLength(64)
    expect(asked.get('status') ?? 0).toBe(0)
    expect(asked.get('signRequest')).toBe(1)

    // the same request and wait without fromSeq: "now" is pinned with a status query, and the request is looked at first
    asked.clear()
    const { requestId } = await client.requestSignature({ keyId: key.id, payloads: [new TextEncoder().encode('from now')] })
    const done = await client.waitForSignRequest({ requestId, timeoutMs: 20_000 })
    expect(done.status).toBe('fulfilled')
    expect(asked.get('status')).toBe(1)
    expect(asked.get('signRequest')).toBeGreaterThanOrEqual(1)
  }, 60_000)

  it('a fromSeq wait on a request settled before it began is answered by the replayed event', async () => {
    const { ledger, client, workspace, keyring } = await world()
    const key = await client.createKey({ workspace, keyring, keyType: 'ecdsa-secp256k1', timeoutMs: 20_000 })
    const { requestId, receipt } = await client.requestSignature({ keyId: key.id, payloads: [new Uint8Array(32).fill(7)] })
    for (let i = 0; i < 200 && (await ledger.query('signRequest', { id: requestId }))?.status !== 'fulfilled'; i++) await new Promise((r) => setTimeout(r, 10))
    const seen: string[] = []
    const done = await client.waitForSignRequest({ requestId, fromSeq: receipt.events[0]!.seq, onEvent: (e) => seen.push(e.type), timeoutMs: 20_000 })
    expect(done.status).toBe('fulfilled')
    // the request's events from its creation on, replayed from the ledger's log
    expect(seen.indexOf('signRequest.created')).toBeGreaterThanOrEqual(0)
    expect(seen.indexOf('signRequest.fulfilled')).toBeGreaterThan(seen.indexOf('signRequest.created'))
  }, 60_000)

  it('refuses a fromSeq that is not an event sequence number', async () => {
    const { client } = await world()
    for (const fromSeq of [0, -1, 1.5, Number.NaN, '3', null]) {
      const e = await client.waitForSignRequest({ requestId: 1, fromSeq: fromSeq as never, timeoutMs: 1_000 }).catch((x: unknown) => x)
      expect(isZrError(e, 'INVALID_INPUT')).toBe(true)
      expect((e as { details?: string }).details).toMatch(/expected an event sequence number/)
    }
  }, 30_000)
})
