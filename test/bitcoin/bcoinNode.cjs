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
 * - bcoin 1.0.2 has no `gettxspendingprevout` (Bitcoin Core 24+) either, and its `gettxout` with the
 *   mempool still shows a chain coin that a mempool transaction spends. This script adds
 *   `gettxspendingprevout` in Core's result shape, answering from bcoin's mempool, so the relayer's RPC
 *   backend can tell a replaced transaction from a lost one on this node as on Core.
 * - Neither bcoin nor Bitcoin Core has an RPC that drops one transaction from the mempool (Core evicts
 *   when the mempool is full, after `-mempoolexpiry`, or loses it all on a restart without
 *   `persistmempool`). The suites need that on demand, so this script adds `evictmempoolentry txid`,
 *   which calls bcoin's own `mempool.evictEntry`: the same path its size limit and expiry take.
 * - bcoin 1.0.2 implements no BIP125 replacement: a transaction that spends an input of a mempool
 *   transaction is refused (`bad-txns-inputs-spent`), whatever it pays, and its `sendrawtransaction`
 *   still answers with the txid.
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

  node.rpc.add('gettxspendingprevout', async (args) => {
    const [outpoints] = args
    if (!Array.isArray(outpoints)) throw new Error('gettxspendingprevout: expected an array of { txid, vout }')
    return outpoints.map((o) => {
      const spender = node.mempool.getSpent(bcoin.util.revHex(String(o.txid)), o.vout)
      return spender ? { txid: o.txid, vout: o.vout, spendingtxid: spender.txid() } : { txid: o.txid, vout: o.vout }
    })
  })

  node.rpc.add('evictmempoolentry', async (args) => {
    const [txid] = args
    const entry = node.mempool.getEntry(bcoin.util.revHex(String(txid)))
    if (!entry) throw new Error(`evictmempoolentry: ${txid} is not in the mempool`)
    node.mempool.evictEntry(entry)
    return true
  })

  // bcoin 1.0.2's invalidateblock resets the chain and wipes the mempool, but leaves the mempool's tip
  // on the invalidated block (no block can be mined after it: "Mempool/chain tip mismatch"). This
  // replaces it with the same reset, followed by what a node does in a reorganization: the mempool
  // follows the new tip, and the transactions of the disconnected blocks go back into it.
  delete node.rpc.calls.invalidateblock
  node.rpc.add('invalidateblock', async (args) => {
    const hash = bcoin.util.revHex(String(args[0]))
    const target = await node.chain.getEntry(hash)
    if (!target) throw new Error('Block not found.')
    const disconnected = []
    for (let e = node.chain.tip; e && e.height >= target.height; e = await node.chain.getPrevious(e)) disconnected.unshift(e)
    const txs = []
    for (const e of disconnected) txs.push(...(await node.chain.getBlock(e.hash)).txs.slice(1))
    await node.chain.invalidate(hash)
    node.mempool.tip = node.chain.tip.hash
    for (const tx of txs) await node.mempool.addTX(tx).catch(() => undefined)
    return null
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
