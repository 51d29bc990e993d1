/**
 * The ledger server's plain HTTP queries (listenLedger, same port as the WebSocket), over real sockets on
 * 127.0.0.1: `GET /status` and `GET /query/<kind>` answer what a WebSocket client's query answers, byte for
 * byte in canonical JSON; bad requests get typed errors with fitting HTTP statuses and never stop the server.
 */
import { connect } from 'node:net'
import { canonicalParse } from '@zrkit/core/internal'
import { connectLedgerWs, createEmbeddedLedger, createZrClient, generateAccount, localKeyring, createConnector } from '@zrkit/core'
import { listenLedger } from '@zrkit/core/node'
import { describe, expect, it, onTestFinished } from 'vitest'
import { WebSocket } from 'ws'

const [alice, party] = ['alice', 'party'].map((s) => generateAccount(`ledger-http:${s}`)) as [ReturnType<typeof generateAccount>, ReturnType<typeof generateAccount>]

async function served(options: { httpQueries?: boolean } = {}) {
  const ledger = await createEmbeddedLedger({ genesis: { chainId: 'zrkit-ledger-http', balances: [alice, party].map((a) => ({ address: a.address, amount: 10_000n })) } })
  const server = await listenLedger(ledger, options)
  onTestFinished(async () => {
    await server.close()
    await ledger.close()
  })
  const http = server.url.replace(/^ws/, 'http')
  const get = async (path: string, init?: RequestInit) => {
    const res = await fetch(`${http}${path}`, init)
    const text = await res.text()
    return { status: res.status, headers: res.headers, text, body: text && res.headers.get("content-type") === "application/json" ? (canonicalParse(text.trim()) as Record<string, unknown>) : undefined }
  }
  return { ledger, server, get }
}

describe('ledger server: HTTP queries', () => {
  it('GET /status and GET /query/<kind> answer what the WebSocket query answers (bytes and big integers included)', async () => {
    const { ledger, server, get } = await served()
    const client = createZrClient({ ledger, account: alice })
    const { keyring } = await client.createKeyring({ description: 'http', parties: [party.address], partyThreshold: 1, keyRequestFee: 1n, signRequestFee: 1n })
    const connector = createConnector({ ledger, account: party, keyring, backend: localKeyring() })
    await connector.start()
    onTestFinished(() => connector.stop())
    const { workspace } = await client.createWorkspace()
    const key = await client.createKey({ workspace, keyring, keyType: 'ecdsa-secp256k1' })
    await client.sign({ keyId: key.id, payloads: [new Uint8Array(32).fill(7)] })

    const ws = await connectLedgerWs(server.url, { WebSocket: WebSocket as never })
    onTestFinished(() => ws.close())
    const status = await get('/status')
    expect(status.status).toBe(200)
    expect(status.headers.get('content-type')).toBe('application/json')
    expect(status.body).toEqual({ result: await ws.query('status', {}) })

    const signRequest = await get(`/query/signRequest?params=${encodeURIComponent('{"id":1}')}`)
    expect(signRequest.status).toBe(200)
    const viaWs = await ws.query('signRequest', { id: 1 })
    expect(viaWs?.signatures?.[0]).toBeInstanceOf(Uint8Array)
    expect(signRequest.body).toEqual({ result: viaWs })
    const account = await get(`/query/account?params=${encodeURIComponent(JSON.stringify({ address: alice.address }))}`)
    expect(account.body).toEqual({ result: await ws.query('account', { address: alice.address }) })
    expect(typeof (account.body!.result as { balance: unknown }).balance).toBe('bigint')
    expect((account.body!.result as { publicKey: unknown }).publicKey).toBeInstanceOf(Uint8Array)
    // HEAD: the status line and headers only
    const head = await fetch(`${server.url.replace(/^ws/, 'http')}/status`, { method: 'HEAD' })
    expect(head.status).toBe(200)
  })

  it.each([
    ['an unknown query', '/query/nope', 404, 'UNKNOWN_QUERY', /expected one of .*status.*, got "nope"/],
    ['params that are not JSON', '/query/signRequest?params=%7Bid%3A1%7D', 400, 'INVALID_INPUT', /expected params as canonical JSON/],
    ['params too long', `/query/status?params=${'x'.repeat(9000)}`, 400, 'INVALID_INPUT', /expected params of at most 8192 characters, got 9000/],
    ['params of the wrong shape', '/query/signRequest?params=%7B%22id%22%3A%22one%22%7D', 400, 'INVALID_INPUT', /expected an integer .*, got "one"/],
    ['a plain request for /', '/', 426, 'INVALID_INPUT', /expected a WebSocket upgrade, GET \/status or GET \/query\/<kind>\?params=<json>, got a plain GET \//],
    ['an unknown path', '/somewhere', 404, 'INVALID_INPUT', /expected GET \/status or GET \/query\/<kind>/],
  ].map(([what, path, status, code, details]) => ({ what, path, status, code, details })))('$what -> $status $code, saying what was expected', async ({ path, status, code, details }) => {
    const { get } = await served()
    const r = await get(path as string)
    expect(r.status).toBe(status)
    expect(r.body).toMatchObject({ error: { code } })
    expect((r.body!.error as { details: string }).details).toMatch(details as RegExp)
    expect((await get('/status')).status).toBe(200) // still serving
  })

  it('POST (or any method but GET/HEAD) -> 405 with Allow; messages go over the WebSocket', async () => {
    const { get } = await served()
    const r = await get('/query/status', { method: 'POST', body: '{}' })
    expect(r.status).toBe(405)
    expect(r.headers.get('allow')).toBe('GET, HEAD')
    expect(r.body).toMatchObject({ error: { code: 'INVALID_INPUT', details: expect.stringMatching(/expected GET .*, got POST/) } })
  })

  it('httpQueries: false answers 426 (upgrade) to every plain request; a bad option is INVALID_CONFIG', async () => {
    const { get, server } = await served({ httpQueries: false })
    expect((await get('/status')).status).toBe(426)
    const ws = await connectLedgerWs(server.url, { WebSocket: WebSocket as never })
    expect((await ws.query('status', {})).chainId).toBe('zrkit-ledger-http')
    await ws.close()
    const ledger = await createEmbeddedLedger({ genesis: { chainId: 'x' } })
    onTestFinished(() => ledger.close())
    await expect(listenLedger(ledger, { httpQueries: 'yes' as never })).rejects.toMatchObject({ code: 'INVALID_CONFIG', details: expect.stringContaining('expected httpQueries to be a boolean') })
  })

  it('garbage over the socket (not HTTP, a cut-off request) does not stop the server; WebSocket clients keep working', async () => {
    const { get, server } = await served()
    for (const garbage of ['\x00\x01\x02 nonsense\r\n\r\n', 'GET /status HTTP/1.1\r\nHost: x\r\nContent-Length: 99\r\n', 'GET /%%% HTTP/1.1\r\nHost: x\r\n\r\n']) {
      await new Promise<void>((resolve) => {
        const socket = connect(server.port, '127.0.0.1', () => {
          socket.write(garbage)
          setTimeout(() => socket.destroy(), 50)
        })
        socket.on('error', () => {})
        socket.on('close', () => resolve())
      })
    }
    expect((await get('/status')).status).toBe(200)
    const ws = await connectLedgerWs(server.url, { WebSocket: WebSocket as never })
    expect((await ws.query('status', {})).chainId).toBe('zrkit-ledger-http')
    await ws.close()
  })
})
