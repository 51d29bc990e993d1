/**
 * The ledger server's `GET /metrics` (listenLedger, same port as the WebSocket), over real sockets on
 * 127.0.0.1: the ledger's height, events and requests (created, open by status) and the server's
 * connections, subscriptions, submits and refusals, in Prometheus text a strict reader accepts whole.
 */
import { connectLedgerWs, createConnector, createEmbeddedLedger, createZrClient, generateAccount, isZrError, localKeyring } from '@zrkit/core'
import { listenLedger } from '@zrkit/core/node'
import { parsePrometheusText, promSample, until } from '@zrkit/testkit'
import { describe, expect, it, onTestFinished } from 'vitest'
import { WebSocket } from 'ws'

const [alice, bob, party, poor] = ['alice', 'bob', 'party', 'poor'].map((s) => generateAccount(`ledger-metrics:${s}`)) as [ReturnType<typeof generateAccount>, ReturnType<typeof generateAccount>, ReturnType<typeof generateAccount>, ReturnType<typeof generateAccount>]

async function served(options: { httpQueries?: boolean; metrics?: boolean } = {}) {
  const ledger = await createEmbeddedLedger({ genesis: { chainId: 'zrkit-ledger-metrics', balances: [alice, bob, party].map((a) => ({ address: a.address, amount: 10_000n })) } })
  const server = await listenLedger(ledger, options)
  onTestFinished(async () => {
    await server.close()
    await ledger.close()
  })
  const http = server.url.replace(/^ws/, 'http')
  const scrape = async () => {
    const res = await fetch(`${http}/metrics`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    return parsePrometheusText(await res.text())
  }
  return { ledger, server, http, scrape }
}

describe('ledger server: GET /metrics', () => {
  it("reports the ledger's height, events and requests, and the server's connections, subscriptions, submits and refusals", async () => {
    const { ledger, server, scrape } = await served()
    const remote = await connectLedgerWs(server.url, { WebSocket: WebSocket as never })
    onTestFinished(() => remote.close())
    const client = createZrClient({ ledger: remote, account: alice })
    const { keyring } = await client.createKeyring({ description: 'metrics', parties: [party.address], partyThreshold: 1, keyRequestFee: 1n, signRequestFee: 1n })
    const connector = createConnector({ ledger, account: party, keyring, backend: localKeyring() })
    await connector.start()
    onTestFinished(() => connector.stop())
    const { policyId } = await client.createPolicy({ name: 'both', participants: { alice: alice.address, bob: bob.address }, expression: 'all([alice, bob])' })
    const { workspace } = await client.createWorkspace({ additionalOwners: [bob.address], signPolicyId: policyId })
    const key = await client.createKey({ workspace, keyring, keyType: 'ecdsa-secp256k1' })
    const waiting = await client.requestSignature({ keyId: key.id, payloads: [new Uint8Array(32).fill(1)] }) // needs Bob
    await client.requestSignature({ keyId: key.id, payloads: [new Uint8Array(32).fill(2)] })
    // a submit the ledger refuses: an account with nothing to pay with
    const refused = await createZrClient({ ledger: remote, account: poor }).send({ to: alice.address, amount: 5n }).then(() => undefined, (e: unknown) => e)
    expect(isZrError(refused)).toBe(true)
    const stops = [remote.subscribe({ types: ['bank.transfer'] }, () => {}), remote.subscribe({ types: ['signRequest.fulfilled'] }, () => {})]
    stops[0]!()
    // a frame the server drops (no request id), from a raw socket
    const raw = new WebSocket(server.url)
    await new Promise((resolve) => raw.once('open', resolve))
    raw.send('not json')
    onTestFinished(() => raw.close())

    await until(async () => promSample(await scrape(), 'zrkit_ledger_server_subscriptions') === 1, 'the unsubscribe seen by the server', { timeoutMs: 5_000 })
    const f = await scrape()
    const status = await ledger.query('status', {})
    const stats = ledger.stats()
    expect(promSample(f, 'zrkit_ledger_info', { chain_id: 'zrkit-ledger-metrics' })).toBe(1)
    expect(promSample(f, 'zrkit_ledger_height')).toBe(status.height)
    expect(promSample(f, 'zrkit_ledger_events_total')).toBe(status.lastEventSeq)
    expect(stats.created).toEqual({ signRequests: 2, keyRequests: 1, actions: 2 })
    expect(promSample(f, 'zrkit_ledger_requests_created_total', { kind: 'sign' })).toBe(2)
    expect(promSample(f, 'zrkit_ledger_requests_created_total', { kind: 'key' })).toBe(1)
    // the first request waits for Bob; the second too (both need him): two partial, two pending actions
    const open = (kind: string, s: string) => promSample(f, 'zrkit_ledger_requests_open', { kind, status: s })
    expect([open('sign', 'partial'), open('sign', 'pending'), open('key', 'pending'), open('action', 'pending')]).toEqual([2, 0, 0, 2])
    expect(promSample(f, 'zrkit_ledger_server_connections')).toBe(2)
    expect(promSample(f, 'zrkit_ledger_server_subscriptions')).toBe(1)
    const submitted = f.get('zrkit_ledger_server_submits_total')!.samples.map((s) => [s.labels.result, s.value])
    expect(submitted).toContainEqual(['accepted', 6]) // keyring, policy, workspace, key request, two sign requests
    expect(submitted.find(([result]) => result === (refused as { code: string }).code)?.[1]).toBe(1)
    expect(promSample(f, 'zrkit_ledger_server_refused_total', { code: 'MALFORMED_MESSAGE' })).toBe(1)

    // Bob approves one: it is fulfilled, and the open counts follow
    await createZrClient({ ledger, account: bob }).approveAction({ actionId: waiting.actionId! })
    await client.waitForSignRequest({ requestId: waiting.requestId, timeoutMs: 10_000 })
    const after = await scrape()
    expect(promSample(after, 'zrkit_ledger_requests_open', { kind: 'sign', status: 'partial' })).toBe(1)
    expect(promSample(after, 'zrkit_ledger_requests_open', { kind: 'action', status: 'pending' })).toBe(1)
    expect(promSample(after, 'zrkit_ledger_height')).toBe(ledger.height)

    // connections gone: their subscriptions end with them
    raw.close()
    await remote.close()
    await until(async () => promSample(await scrape(), 'zrkit_ledger_server_connections') === 0, 'the connections closed', { timeoutMs: 5_000 })
    expect(promSample(await scrape(), 'zrkit_ledger_server_subscriptions')).toBe(0)
  })

  it('is independent of httpQueries, off with metrics: false; other methods get 405 and a closed ledger 503', async () => {
    const quiet = await served({ httpQueries: false })
    expect((await fetch(`${quiet.http}/status`)).status).toBe(426)
    expect(promSample(await quiet.scrape(), 'zrkit_ledger_height')).toBe(quiet.ledger.height)

    const off = await served({ metrics: false })
    const notServed = await fetch(`${off.http}/metrics`)
    expect(notServed.status).toBe(404)
    expect((await fetch(`${off.http}/status`)).status).toBe(200)

    const post = await fetch(`${quiet.http}/metrics`, { method: 'POST', body: 'x' })
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET, HEAD')
    expect(await post.json()).toEqual({ error: { code: 'INVALID_INPUT', message: 'Method not allowed.', details: 'expected GET /metrics, got POST /metrics' } })
    expect((await fetch(`${quiet.http}/metrics?x=1`, { method: 'HEAD' })).status).toBe(200)

    await quiet.ledger.close()
    const closed = await fetch(`${quiet.http}/metrics`)
    expect(closed.status).toBe(503)
    expect(await closed.json()).toMatchObject({ error: { code: 'LEDGER_CLOSED' } })

    const ledger = await createEmbeddedLedger({ genesis: { chainId: 'x' } })
    onTestFinished(() => ledger.close())
    await expect(listenLedger(ledger, { metrics: 'yes' as never })).rejects.toMatchObject({ code: 'INVALID_CONFIG', details: expect.stringContaining('expected metrics to be a boolean') })
  })
})
