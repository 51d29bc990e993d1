/**
 * A Bitcoin relayer left running (issue 21, points 1-3 on Bitcoin), on a bcoin regtest node started by
 * this file: a transaction the node lost is sent again, confirmations survive a reorganization, RBF
 * speed-up and cancel go through the key's sign policy, and a second relayer on the key (a replica with
 * its own journal and coin locks) prepares around the coins the first one's live request holds.
 *
 * What bcoin 1.0.2 (the npm release) supports, and how the suite gets the rest:
 * - No RPC drops one transaction from the mempool (Bitcoin Core has none either: it evicts when full,
 *   after the expiry time, or on a restart without its mempool file; this node keeps everything in
 *   memory, so a restart would lose the chain too). The test node (bcoinNode.cjs) adds
 *   `evictmempoolentry`, which calls bcoin's own `mempool.evictEntry`.
 * - `invalidateblock` is bcoin's own: it disconnects the block and puts its transactions back into the
 *   mempool. The reorganization test then also evicts the transaction, as a node that restarted would
 *   have lost it, so that the relayer must send it again.
 * - bcoin implements no BIP125 replacement: a transaction spending an input of a mempool transaction
 *   is refused (`bad-txns-inputs-spent`) whatever it pays. So the speed-up and cancel tests evict the
 *   original first (an underpriced transaction that the network dropped: the case a speed-up is for),
 *   and one test shows what a speed-up does on a node that refuses it while the original is still in
 *   the mempool: the original lands and the speed-up returns the original's result.
 * - bcoin has no `gettxspendingprevout`, and its `gettxout` with the mempool still shows a coin that a
 *   mempool transaction spends; the test node adds `gettxspendingprevout` in Bitcoin Core's shape.
 *
 * Paid once: every recipient is a fresh address whose coins the node counts (`scantxoutset`).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js'
import type { Key, RelayEvent } from '@zrkit/core'
import { expectZrError } from '@zrkit/testkit'
import { type BitcoinRelayer, type BitcoinRpcBackend, bitcoinNetworkParams, bitcoinRpcBackend, createBitcoinRelayer, createUtxoLocks, outpointClaim, parsePsbt } from '@zrkit/relayer-bitcoin'
import { Transaction, payments } from 'bitcoinjs-lib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Bcoin, startBcoin } from './bcoin.js'
import { type BitcoinWorld, bitcoinWorld } from './world.js'

const params = bitcoinNetworkParams('regtest', { hrp: 'rb' })
const wait = { timeoutMs: 60_000 }

let node: Bcoin
let w: BitcoinWorld
let key: Key
let stopBob: (() => void) | undefined
let rpc: BitcoinRpcBackend

beforeAll(async () => {
  ;[node, w] = await Promise.all([startBcoin(), bitcoinWorld('zrkit-bitcoin-left-running')])
  key = await w.createKey('bitcoin-secp256k1')
  stopBob = w.bobApprovesAll()
  rpc = bitcoinRpcBackend({ url: node.url, password: node.apiKey, acceptTimeoutMs: 3_000 })
}, 120_000)

afterAll(async () => {
  stopBob?.()
  await w?.close()
  await node?.stop()
})

const relayerFor = (path: string, extra: { confirmations?: number; journalLocks?: boolean } = {}) =>
  createBitcoinRelayer({
    client: w.alice,
    keyId: key.id,
    path,
    network: params,
    backend: rpc,
    adapter: { pollIntervalMs: 50, confirmTimeoutMs: 60_000, locks: createUtxoLocks(), ...(extra.confirmations ? { confirmations: extra.confirmations } : {}) },
  })

/** A fresh address nobody else pays. */
const freshAddress = () => payments.p2wpkh({ pubkey: secp256k1.getPublicKey(secp256k1.utils.randomSecretKey()), network: params.network }).address!

/** What an address holds on chain, in satoshis, and in how many coins. */
async function received(address: string): Promise<{ sats: bigint; coins: number }> {
  const scan = await node.rpc<{ unspents: { amount: number }[] }>('scantxoutset', ['start', [`addr(${address})`]])
  return { sats: scan.unspents.reduce((n, u) => n + BigInt(Math.round(u.amount * 1e8)), 0n), coins: scan.unspents.length }
}

const inMempool = async (txid: string) => (await node.rpc<string[]>('getrawmempool')).includes(txid)

/** Waits until `txid` is in the mempool, then mines a block with it; returns the block hash. */
async function mineWhenPooled(txid: string): Promise<string> {
  for (let i = 0; !(await inMempool(txid)); i++) {
    if (i > 600) throw new Error(`${txid} never reached the mempool`)
    await new Promise((r) => setTimeout(r, 50))
  }
  const [block] = await node.mine(1)
  const { tx } = await node.rpc<{ tx: string[] }>('getblock', [block, 1])
  expect(tx).toContain(txid)
  return block!
}

async function evict(txid: string) {
  expect(await inMempool(txid)).toBe(true)
  await node.rpc('evictmempoolentry', [txid])
  expect(await inMempool(txid)).toBe(false)
  expect(await rpc.txStatus(txid)).toEqual({ state: 'unknown' })
}

async function funded(path: string, ...amounts: bigint[]): Promise<BitcoinRelayer> {
  const btc = await relayerFor(path)
  for (const a of amounts) await node.fund(btc.address, a)
  return btc
}

describe('a Bitcoin relayer left running, on bcoin regtest', () => {
  it('a transaction evicted from the mempool is sent again, the same bytes, and confirmed; the recipient is paid once', async () => {
    const btc = await funded('evicted', 40_000n)
    const to = freshAddress()
    const sent = await btc.send({ outputs: [{ address: to, value: 15_000n }], feeRate: 2, confirm: false, ...wait })
    await evict(sent.txid)

    const events: RelayEvent[] = []
    const confirming = btc.resume({ requestId: sent.requestId, onEvent: (e) => events.push(e) })
    await mineWhenPooled(sent.txid)
    const done = await confirming
    expect(done.txid).toBe(sent.txid)
    expect(done.receipt).toMatchObject({ txid: sent.txid, confirmations: 1 })
    expect(events.filter((e) => e.type === 'rebroadcast')).toHaveLength(1)
    expect(events.at(-1)?.type).toBe('confirmed')
    expect(await received(to)).toEqual({ sats: 15_000n, coins: 1 })
    expect((await btc.relayer.getRelay({ requestId: sent.requestId })).status).toBe('confirmed')
  })

  it('with confirmations 2, a block invalidated under the transaction (and the transaction lost) is survived: sent again, confirmed 2 deep, paid once', async () => {
    const btc = await relayerFor('reorg', { confirmations: 2 })
    await node.fund(btc.address, 40_000n)
    const to = freshAddress()
    const sent = await btc.send({ outputs: [{ address: to, value: 11_000n }], feeRate: 2, confirm: false, ...wait })
    const first = await mineWhenPooled(sent.txid)

    const events: RelayEvent[] = []
    const confirming = btc.resume({ requestId: sent.requestId, onEvent: (e) => events.push(e) })
    await new Promise((r) => setTimeout(r, 300)) // 1 of 2 confirmations: still waiting
    await node.rpc('invalidateblock', [first])
    expect(await inMempool(sent.txid)).toBe(true) // bcoin puts the block's transactions back
    await evict(sent.txid) // ... and this node "restarted" without them
    const second = await mineWhenPooled(sent.txid)
    expect(second).not.toBe(first)
    await node.mine(1)
    const done = await confirming
    expect(done.receipt).toMatchObject({ txid: sent.txid, blockHash: second, confirmations: 2 })
    expect(events.some((e) => e.type === 'rebroadcast')).toBe(true)
    expect(await received(to)).toEqual({ sats: 11_000n, coins: 1 })
  })

  it('speed-up by RBF: the replacement spends the same inputs at a higher fee, the approver sees what it replaces, it lands, the recipient is paid once, the original ends replaced', async () => {
    const btc = await funded('speed-up', 50_000n)
    const to = freshAddress()
    const sent = await btc.send({ outputs: [{ address: to, value: 20_000n }], feeRate: 1, confirm: false, ...wait })
    await evict(sent.txid) // an underpriced transaction the network dropped (bcoin has no RBF in its mempool)

    const events: RelayEvent[] = []
    const speeding = btc.speedUp({ requestId: sent.requestId, feeRate: 5, onEvent: (e) => events.push(e), ...wait })
    const bumped = await new Promise<RelayEvent>((resolve) => {
      const t = setInterval(() => {
        const e = events.find((x) => x.type === 'signed')
        if (e) clearInterval(t), resolve(e)
      }, 20)
    })
    const newTxid = (bumped as { txid: string }).txid
    expect(newTxid).not.toBe(sent.txid)
    await mineWhenPooled(newTxid)
    const result = await speeding
    expect(result.txid).toBe(newTxid)

    const original = Transaction.fromHex(sent.tx)
    const replacement = Transaction.fromHex(result.tx)
    const ids = (t: Transaction) => t.ins.map((i) => `${Buffer.from(i.hash).reverse().toString('hex')}:${i.index}`).sort()
    expect(ids(replacement)).toEqual(ids(original)) // the same inputs
    expect(replacement.ins.every((i) => i.sequence === 0xfffffffd)).toBe(true)
    expect(replacement.outs[0]!.value).toBe(20_000n)
    const feeOf = (t: Transaction) => 50_000n - t.outs.reduce((n, o) => n + o.value, 0n)
    expect(feeOf(replacement)).toBeGreaterThanOrEqual(feeOf(original) + BigInt(replacement.virtualSize())) // BIP125 rule 4 at 1 sat/vB
    expect(Number(feeOf(replacement)) / replacement.virtualSize()).toBeGreaterThanOrEqual(5)

    const request = await w.alice.getSignRequest({ id: result.requestId })
    const originalRelay = await btc.relayer.getRelay({ requestId: sent.requestId })
    expect(request.metadata).toMatchObject({ 'zrkit.replaces': originalRelay.id, 'zrkit.replacesTx': sent.txid, 'zrkit.replaceMode': 'speed-up', 'zrkit.tx.replaces': sent.txid })
    expect(request.metadata?.['zrkit.claims']?.split(' ').sort()).toEqual(originalRelay.claims?.slice().sort())
    expect(originalRelay.status).toBe('replaced')
    await expectZrError(btc.resume({ requestId: sent.requestId }), 'TX_REPLACED')
    expect(await received(to)).toEqual({ sats: 20_000n, coins: 1 })
  })

  it('a speed-up the node refuses while the original is in its mempool (bcoin: no RBF) ends as the original: it lands once', async () => {
    const btc = await funded('refused-speed-up', 50_000n)
    const to = freshAddress()
    const sent = await btc.send({ outputs: [{ address: to, value: 9_000n }], feeRate: 1, confirm: false, ...wait })
    const speeding = btc.speedUp({ requestId: sent.requestId, ...wait })
    // the replacement is signed, refused (its inputs are spent in the mempool): the relay waits for the original
    const mined = mineWhenPooled(sent.txid)
    const result = await speeding
    await mined
    expect(result.txid).toBe(sent.txid)
    expect(result.requestId).toBe(sent.requestId)
    expect((await btc.relayer.getRelay({ requestId: sent.requestId })).status).toBe('confirmed')
    expect(await received(to)).toEqual({ sats: 9_000n, coins: 1 })
  })

  it('cancel: every input goes back to the key at a higher fee; the recipient gets nothing; the key keeps working', async () => {
    const btc = await funded('cancel', 30_000n)
    const to = freshAddress()
    const sent = await btc.send({ outputs: [{ address: to, value: 12_000n }], feeRate: 1, confirm: false, ...wait })
    await evict(sent.txid)
    const events: RelayEvent[] = []
    const cancelling = btc.cancel({ requestId: sent.requestId, onEvent: (e) => events.push(e), ...wait })
    for (let i = 0; !events.some((e) => e.type === 'broadcast'); i++) {
      if (i > 1200) throw new Error('the cancel was never broadcast')
      await new Promise((r) => setTimeout(r, 50))
    }
    const cancelTxid = (events.find((e) => e.type === 'broadcast') as { txid: string }).txid
    await mineWhenPooled(cancelTxid)
    const result = await cancelling
    const tx = Transaction.fromHex(result.tx)
    expect(tx.outs).toHaveLength(1)
    expect(payments.p2wpkh({ output: tx.outs[0]!.script, network: params.network }).address).toBe(btc.address)
    expect(30_000n - tx.outs[0]!.value).toBeGreaterThan(30_000n - 12_000n - Transaction.fromHex(sent.tx).outs[1]!.value) // a higher fee
    expect((await w.alice.getSignRequest({ id: result.requestId })).metadata?.['zrkit.replaceMode']).toBe('cancel')
    expect((await btc.relayer.getRelay({ requestId: sent.requestId })).status).toBe('replaced')
    expect(await received(to)).toEqual({ sats: 0n, coins: 0 })

    // the key keeps working: the cancelled coins come back and pay the next transfer
    const again = await btc.send({ outputs: [{ address: to, value: 12_000n }], feeRate: 1, confirm: false, ...wait })
    expect(Transaction.fromHex(again.tx).ins.map((i) => Buffer.from(i.hash).reverse().toString('hex'))).toEqual([result.txid])
    await mineWhenPooled(again.txid)
    expect(await received(to)).toEqual({ sats: 12_000n, coins: 1 })
  })

  it('a second relayer (own journal, own coin locks) prepares around the coins of the first one’s live request; both land', async () => {
    stopBob?.()
    stopBob = undefined
    try {
      const a = await relayerFor('replicas')
      const b = await relayerFor('replicas')
      await node.fund(a.address, 30_000n)
      await node.fund(a.address, 20_000n)
      const to = freshAddress()
      const first = await a.submit({ outputs: [{ address: to, value: 5_000n }], feeRate: 1 })
      expect(first.status).toBe('partial') // waiting for Bob: its claims are live
      const second = await b.submit({ outputs: [{ address: to, value: 6_000n }], feeRate: 1 })
      expect(second.status).toBe('partial')

      const claimsOf = async (requestId: number) => (await w.alice.getSignRequest({ id: requestId })).metadata?.['zrkit.claims']?.split(' ') ?? []
      const [ca, cb] = [await claimsOf(first.requestId), await claimsOf(second.requestId)]
      const recordA = await a.relayer.getRelay({ requestId: first.requestId })
      const inputsA = parsePsbt(recordA.unsignedTx, params).txInputs.map((i) => ({ txid: Buffer.from(i.hash).reverse().toString('hex'), vout: i.index }))
      expect(ca).toEqual(inputsA.map((o) => outpointClaim(params.chain, o)))
      expect(ca[0]).toMatch(/^bip122:[0-9a-f]{32}\/[0-9a-f]{64}:\d+$/)
      expect(cb).toHaveLength(1)
      expect(ca).not.toContain(cb[0])

      for (const r of [first, second]) await w.bob.approveAction({ actionId: r.actionId! })
      const [ra, rb] = await Promise.all([a.resume({ requestId: first.requestId, confirm: false, ...wait }), b.resume({ requestId: second.requestId, confirm: false, ...wait })])
      await mineWhenPooled(ra.txid)
      expect(await node.rpc<string[]>('getrawmempool')).not.toContain(rb.txid) // mined in the same block
      expect(await received(to)).toEqual({ sats: 11_000n, coins: 2 })
    } finally {
      stopBob = w.bobApprovesAll()
    }
  })
})
