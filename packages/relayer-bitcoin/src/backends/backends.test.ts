/**
 * The backends' protocol handling against a local HTTP server that answers as Bitcoin Core and an
 * Esplora server document it: authentication, unit conversions, error mapping, idempotent broadcast.
 * (Both backends also run end to end against a bcoin regtest node in test/bitcoin.)
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type ZrError, isZrError } from '@zrkit/core'
import { Transaction } from 'bitcoinjs-lib'
import { afterEach, describe, expect, it } from 'vitest'
import { bitcoinRpcBackend } from './bitcoinRpcBackend.js'
import { esploraBackend } from './esploraBackend.js'

type Handler = (req: IncomingMessage & { body: string }, res: ServerResponse) => void
const servers: Server[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r))
})

async function serve(handler: Handler): Promise<string> {
  const server = createServer(async (req, res) => {
    let body = ''
    for await (const chunk of req) body += chunk
    handler(Object.assign(req, { body }), res)
  })
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

async function failure(p: Promise<unknown>): Promise<ZrError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  )
  if (!isZrError(e)) throw new Error(`expected a ZrError, got ${String(e)}`)
  return e
}

/** A small valid transaction: one input, one output. */
const rawTx = (() => {
  const tx = new Transaction()
  tx.version = 2
  tx.addInput(new Uint8Array(32).fill(1), 0)
  tx.addOutput(Uint8Array.of(0x00, 0x14, ...new Uint8Array(20)), 1_000n)
  return tx
})()

describe('bitcoinRpcBackend', () => {
  it('speaks JSON-RPC with basic auth (credentials from the URL) and converts BTC amounts and fee rates', async () => {
    const seen: { auth?: string; method: string; params: unknown[] }[] = []
    const url = await serve((req, res) => {
      const { method, params } = JSON.parse(req.body) as { method: string; params: unknown[] }
      seen.push({ ...(req.headers.authorization ? { auth: req.headers.authorization } : {}), method, params })
      const results: Record<string, unknown> = {
        getblockhash: '0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206',
        getblockcount: 812,
        estimatesmartfee: params[0] === 1 ? { errors: ['Insufficient data or no feerate found'], blocks: 0 } : { feerate: 0.00012345, blocks: 6 },
        scantxoutset: {
          success: true,
          txouts: 9,
          height: 812,
          bestblock: 'ab'.repeat(32),
          unspents: [
            { txid: 'aa'.repeat(32), vout: 1, scriptPubKey: '0014', desc: 'addr(x)#c', amount: 0.1234567, coinbase: false, height: 800 },
            { txid: 'bb'.repeat(32), vout: 0, scriptPubKey: '0014', desc: 'addr(x)#c', amount: 50, coinbase: true, height: 812 },
          ],
          total_amount: 50.1234567,
        },
        // both coins unspent in the mempool too (a node without gettxspendingprevout: the per-coin check)
        gettxout: { bestblock: 'ab'.repeat(32), confirmations: 1, value: 0.1 },
      }
      if (method === 'gettxspendingprevout') return json(res, 200, { result: null, error: { code: -32601, message: 'Method not found' }, id: 1 })
      json(res, 200, { result: results[method] ?? null, error: null, id: 1 })
    })
    const backend = bitcoinRpcBackend({ url: url.replace('http://', 'http://zrkit:p%40ss@') })
    expect(await backend.genesisHash()).toBe('0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206')
    expect(await backend.tipHeight()).toBe(812)
    expect(await backend.feeRate(6)).toBe(12.345)
    expect(await backend.feeRate(1)).toBeUndefined()
    expect(await backend.utxos('bcrt1qexample')).toEqual([
      { txid: 'aa'.repeat(32), vout: 1, value: 12_345_670n, confirmations: 13, coinbase: false },
      { txid: 'bb'.repeat(32), vout: 0, value: 5_000_000_000n, confirmations: 1, coinbase: true },
    ])
    expect(seen.every((s) => s.auth === `Basic ${Buffer.from('zrkit:p@ss').toString('base64')}`)).toBe(true)
    expect(seen.find((s) => s.method === 'scantxoutset')!.params).toEqual(['start', ['addr(bcrt1qexample)']])
  })

  it.each([
    ['gettxspendingprevout (Bitcoin Core 24+), one call for all coins', true],
    ['gettxout with the mempool, per coin, where the node has no gettxspendingprevout', false],
  ])('scantxoutset coins that a mempool transaction spends are not listed: %s', async (_, modern) => {
    const calls: string[] = []
    const url = await serve((req, res) => {
      const { method, params } = JSON.parse(req.body) as { method: string; params: unknown[] }
      calls.push(method)
      if (method === 'scantxoutset') {
        const unspents = ['aa', 'bb', 'cc'].map((h, i) => ({ txid: h.repeat(32), vout: i, scriptPubKey: '0014', desc: 'addr(x)#c', amount: 0.001, height: 100 }))
        return json(res, 200, { result: { success: true, height: 110, unspents }, error: null, id: 1 })
      }
      if (method === 'gettxspendingprevout') {
        if (!modern) return json(res, 200, { result: null, error: { code: -32601, message: 'Method not found' }, id: 1 })
        const outpoints = params[0] as { txid: string; vout: number }[]
        return json(res, 200, { result: outpoints.map((o) => ({ ...o, ...(o.txid === 'bb'.repeat(32) ? { spendingtxid: 'dd'.repeat(32) } : {}) })), error: null, id: 1 })
      }
      if (method === 'gettxout') {
        const [txid] = params as [string]
        return json(res, 200, { result: txid === 'bb'.repeat(32) ? null : { confirmations: 11, value: 0.001 }, error: null, id: 1 })
      }
      json(res, 200, { result: null, error: { code: -32601, message: 'Method not found' }, id: 1 })
    })
    const coins = await bitcoinRpcBackend({ url }).utxos('bcrt1qexample')
    expect(coins.map((c) => `${c.txid.slice(0, 2)}:${c.vout}`)).toEqual(['aa:0', 'cc:2'])
    expect(calls.filter((m) => m === 'gettxout')).toHaveLength(modern ? 0 : 3)
  })

  it('wallet mode lists coins through the wallet endpoint and imports addresses (descriptors, else importaddress)', async () => {
    const calls: string[] = []
    const nodeUrl = await serve((req, res) => json(res, 200, { result: null, error: { code: -32601, message: 'Method not found' }, id: 1 }))
    const walletUrl = await serve((req, res) => {
      const { method } = JSON.parse(req.body) as { method: string }
      calls.push(`${req.url} ${method}`)
      if (method === 'listunspent') return json(res, 200, { result: [{ txid: 'cc'.repeat(32), vout: 2, amount: 0.0005, confirmations: 0 }], error: null, id: 1 })
      if (method === 'importaddress') return json(res, 200, { result: null, error: null, id: 1 })
      json(res, 200, { result: null, error: { code: -32601, message: 'Method not found' }, id: 1 }) // a legacy wallet: no descriptors
    })
    const backend = bitcoinRpcBackend({ url: nodeUrl, walletUrl: `${walletUrl}/wallet/watch`, utxos: 'wallet' })
    expect(await backend.utxos('tb1qexample')).toEqual([{ txid: 'cc'.repeat(32), vout: 2, value: 50_000n, confirmations: 0 }])
    await backend.importAddress('tb1qexample')
    expect(calls).toEqual(['/wallet/watch listunspent', '/wallet/watch getdescriptorinfo', '/wallet/watch importaddress'])
  })

  it('maps failures to typed errors: bad credentials, RPC errors, refused and dropped transactions, no answer', async () => {
    const unauthorized = await serve((_req, res) => {
      res.writeHead(401)
      res.end()
    })
    const e401 = await failure(bitcoinRpcBackend({ url: unauthorized, username: 'u', password: 'wrong' }).tipHeight())
    expect(e401.code).toBe('NODE_REQUEST_FAILED')
    expect(e401.details).toContain('HTTP 401')
    expect(e401.details).not.toContain('wrong')

    let accepted = false
    const node = await serve((req, res) => {
      const { method } = JSON.parse(req.body) as { method: string }
      if (method === 'sendrawtransaction') return json(res, 500, { result: null, error: { code: -26, message: 'min relay fee not met' }, id: 1 })
      if (method === 'getmempoolentry' && accepted) return json(res, 200, { result: {}, error: null, id: 1 })
      json(res, 500, { result: null, error: { code: -5, message: 'No such mempool or blockchain transaction' }, id: 1 })
    })
    const backend = bitcoinRpcBackend({ url: node, acceptTimeoutMs: 200, pollIntervalMs: 20 })
    const refused = await failure(backend.broadcast(rawTx.toHex()))
    expect(refused.code).toBe('BROADCAST_FAILED')
    expect(refused.details).toBe(`${rawTx.getId()}: min relay fee not met (code -26)`)
    accepted = true
    await backend.broadcast(rawTx.toHex()) // already in the mempool: success without sending
    expect(await backend.txStatus(rawTx.getId())).toEqual({ state: 'mempool' })

    // a node that answers sendrawtransaction but never has the transaction
    const liar = await serve((req, res) => {
      const { method } = JSON.parse(req.body) as { method: string }
      if (method === 'sendrawtransaction') return json(res, 200, { result: rawTx.getId(), error: null, id: 1 })
      json(res, 500, { result: null, error: { code: -1, message: 'Transaction not found.' }, id: 1 })
    })
    const dropped = await failure(bitcoinRpcBackend({ url: liar, acceptTimeoutMs: 100, pollIntervalMs: 20 }).broadcast(rawTx.toHex()))
    expect(dropped.code).toBe('BROADCAST_FAILED')
    expect(dropped.details).toContain('neither in the mempool nor in a block')

    const silent = await serve(() => {}) // never answers
    const slow = await failure(bitcoinRpcBackend({ url: silent, timeoutMs: 100 }).tipHeight())
    expect(slow.code).toBe('NODE_REQUEST_FAILED')
    expect(slow.details).toContain('no answer within 100 ms')
    const closed = await failure(bitcoinRpcBackend({ url: 'http://127.0.0.1:1' }).tipHeight())
    expect(closed.code).toBe('NODE_REQUEST_FAILED')
    expect((await failure(Promise.resolve().then(() => bitcoinRpcBackend({ url: 'ftp://x' })))).code).toBe('INVALID_INPUT')
  })

  it('finds a confirmed transaction through its outputs when the node has no transaction index', async () => {
    const node = await serve((req, res) => {
      const { method, params } = JSON.parse(req.body) as { method: string; params: unknown[] }
      if (method === 'gettxout' && params[1] === 0) return json(res, 200, { result: { bestblock: 'ff'.repeat(32), confirmations: 3, value: 0.00001 }, error: null, id: 1 })
      if (method === 'getblockcount') return json(res, 200, { result: 100, error: null, id: 1 })
      if (method === 'getblockhash') return json(res, 200, { result: `${String(params[0]).padStart(2, '0')}`.repeat(32), error: null, id: 1 })
      json(res, 500, { result: null, error: { code: -5, message: 'No such mempool transaction. Use -txindex' }, id: 1 })
    })
    const backend = bitcoinRpcBackend({ url: node })
    expect(await backend.txStatus(rawTx.getId(), rawTx.toHex())).toEqual({ state: 'confirmed', confirmations: 3, blockHeight: 98, blockHash: '98'.repeat(32) })
    expect(await backend.txStatus(rawTx.getId())).toEqual({ state: 'unknown' })
  })
})

describe('esploraBackend', () => {
  it('reads tip, coins, fee estimates and status; broadcasts once', async () => {
    const posted: string[] = []
    let known = false
    const url = await serve((req, res) => {
      const path = req.url!
      if (path === '/api/blocks/tip/height') return res.end('120')
      if (path === '/api/block-height/0') return res.end('00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043')
      if (path === '/api/fee-estimates') return json(res, 200, { '1': 20.5, '3': 10, '6': 5.25, '144': 1.01 })
      if (path === '/api/address/tb1qexample/utxo') {
        return json(res, 200, [
          { txid: 'dd'.repeat(32), vout: 0, value: 1500, status: { confirmed: true, block_height: 118, block_hash: 'ee'.repeat(32) } },
          { txid: 'ee'.repeat(32), vout: 4, value: 700, status: { confirmed: false } },
        ])
      }
      if (path === `/api/tx/${rawTx.getId()}/status`) return known ? json(res, 200, { confirmed: true, block_height: 119, block_hash: '11'.repeat(32) }) : (res.writeHead(404), res.end('Transaction not found'))
      if (path === '/api/tx' && req.method === 'POST') {
        posted.push(req.body)
        known = true
        return res.end(rawTx.getId())
      }
      res.writeHead(404)
      res.end()
    })
    const backend = esploraBackend({ url: `${url}/api/` })
    expect(await backend.tipHeight()).toBe(120)
    expect(await backend.genesisHash()).toBe('00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043')
    expect(await backend.utxos('tb1qexample')).toEqual([
      { txid: 'dd'.repeat(32), vout: 0, value: 1500n, confirmations: 3 },
      { txid: 'ee'.repeat(32), vout: 4, value: 700n, confirmations: 0 },
    ])
    expect(await backend.feeRate(6)).toBe(5.25)
    expect(await backend.feeRate(2)).toBe(20.5) // no 2-block estimate: the faster one
    expect(await backend.feeRate(1000)).toBe(1.01)
    expect(await backend.txStatus(rawTx.getId())).toEqual({ state: 'unknown' })
    await backend.broadcast(rawTx.toHex())
    await backend.broadcast(rawTx.toHex())
    expect(posted).toEqual([rawTx.toHex()])
    expect(await backend.txStatus(rawTx.getId())).toEqual({ state: 'confirmed', confirmations: 2, blockHeight: 119, blockHash: '11'.repeat(32) })
  })

  it('maps refusals and garbage to typed errors', async () => {
    const url = await serve((req, res) => {
      if (req.url === '/tx') {
        res.writeHead(400)
        return res.end('sendrawtransaction RPC error: {"code":-26,"message":"dust"}')
      }
      if (req.url === '/blocks/tip/height') return res.end('<html>rate limited</html>')
      res.writeHead(404)
      res.end('Transaction not found')
    })
    const backend = esploraBackend({ url })
    const refused = await failure(backend.broadcast(rawTx.toHex()))
    expect(refused.code).toBe('BROADCAST_FAILED')
    expect(refused.details).toContain('"message":"dust"')
    expect((await failure(backend.tipHeight())).code).toBe('NODE_REQUEST_FAILED')
    expect((await failure(backend.broadcast('zz'))).code).toBe('INVALID_INPUT')
  })
})
