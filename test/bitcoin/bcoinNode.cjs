'use strict'
/*
 * A bcoin regtest full node for the Bitcoin suites and the demo, run as a child process by bcoin.ts.
 *
 * - In memory (nothing on disk; the prefix is a temporary directory the launcher removes), no P2P
 *   listening, no worker processes, HTTP and JSON-RPC on free ports (port 0) of 127.0.0.1, with an
 *   API key. Run with NODE_BACKEND=js: bcoin's pure JavaScript crypto, so no native build is needed.
 * - The wallet plugin, with a watch-only wallet "zrkit" selected for wallet RPC calls (listunspent,
 *   importaddress: the relayer's `utxos: 'wallet'` mode) and the default "primary" wallet, which the
 *   suites mine to and fund addresses from (a segwit wallet: its addresses are rb1q...).
 * - bcoin 1.0.2 has no `scantxoutset`. To test the relayer's default coin lookup against this node,
 *   this script adds that one RPC method, answering from bcoin's own address index with confirmed
 *   coins only, in Bitcoin Core's result shape (success, height, bestblock, unspents with txid, vout,
 *   scriptPubKey, desc, amount, coinbase, height; total_amount). Every other RPC is bcoin's own.
 *
 * Prints one JSON line ({ url, walletUrl, apiKey }) when ready; closes the node and exits on SIGTERM,
 * SIGINT, or when its stdin closes (so it never outlives the process that started it).
 */
const bcoin = require('bcoin')

const { prefix, apiKey } = JSON.parse(process.argv[2])

async function main() {
  const node = new bcoin.FullNode({
    network: 'regtest',
    prefix,
    memory: true,
    workers: false,
    listen: false,
    httpHost: '127.0.0.1',
    httpPort: 0,
    apiKey,
    indexTX: true,
    indexAddress: true,
    logLevel: 'none',
    walletHttpHost: '127.0.0.1',
    walletHttpPort: 0,
    walletWitness: true,
    plugins: [bcoin.wallet.plugin],
  })

  node.rpc.add('scantxoutset', async (args) => {
    const [action, objects] = args
    if (action !== 'start' || !Array.isArray(objects)) throw new Error('scantxoutset: only "start" with scan objects is supported')
    const addresses = objects.map((o) => {
      const desc = typeof o === 'string' ? o : o && o.desc
      const m = /^addr\(([^)]+)\)(#[a-z0-9]+)?$/.exec(desc || '')
      if (!m) throw new Error(`scantxoutset: only addr(...) descriptors are supported, got ${JSON.stringify(desc)}`)
      return m[1]
    })
    const coins = await node.chain.getCoinsByAddress(addresses)
    const tip = node.chain.tip
    const unspents = coins.map((c) => {
      const json = c.getJSON(node.network)
      return { txid: json.hash, vout: json.index, scriptPubKey: json.script, desc: `addr(${json.address})`, amount: c.value / 1e8, coinbase: json.coinbase, height: json.height }
    })
    const total = coins.reduce((n, c) => n + c.value, 0)
    return { success: true, txouts: coins.length, height: tip.height, bestblock: tip.rhash(), unspents, total_amount: total / 1e8 }
  })

  await node.open()
  const walletPlugin = node.require('walletdb')
  await walletPlugin.wdb.create({ id: 'zrkit', watchOnly: true })
  await walletPlugin.rpc.call({ method: 'selectwallet', params: ['zrkit'], id: 1 }, {})

  let closing = false
  const close = async () => {
    if (closing) return
    closing = true
    try {
      await node.close()
    } finally {
      process.exit(0)
    }
  }
  process.on('SIGTERM', close)
  process.on('SIGINT', close)
  process.stdin.on('end', close)
  process.stdin.on('close', close)
  process.stdin.resume()

  const url = `http://127.0.0.1:${node.http.address().port}`
  const walletUrl = `http://127.0.0.1:${walletPlugin.http.address().port}`
  process.stdout.write(`${JSON.stringify({ url, walletUrl, apiKey })}\n`)
}

main().catch((e) => {
  process.stderr.write(`${e && e.stack ? e.stack : e}\n`)
  process.exit(1)
})
