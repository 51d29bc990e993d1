/**
 * @zrkit/relayer-bitcoin end to end on a bcoin regtest node (started by this file, one node for all
 * its tests): threshold ECDSA keys of a 2-of-3 federation, under a 2-of-2 sign policy, receive coins
 * and spend them through the relay pipeline; the node is the verifier (it takes the transaction into
 * its mempool and a mined block only if every input's signature is valid under segwit rules).
 *
 * Because bcoin answers `sendrawtransaction` with a txid even for a transaction it drops, every
 * spend is looked for in the mempool, a block is mined, and the spend is looked for in that block.
 *
 * The Esplora client is tested against a small HTTP server in this file that answers the Esplora
 * REST API from the bcoin node's data (no public explorer is reachable from the test machines); the
 * JSON-RPC backend talks to bcoin itself.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { type Server, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { type Key, type ZrErrorCode, deriveAddress, isZrError, toHex } from '@zrkit/core'
import { fileRelayJournal } from '@zrkit/core/node'
import {
  type BitcoinBackend,
  type BitcoinRpcBackend,
  bitcoinAdapter,
  bitcoinNetworkParams,
  bitcoinRpcBackend,
  createBitcoinRelayer,
  createUtxoLocks,
  esploraBackend,
  parsePsbt,
} from '@zrkit/relayer-bitcoin'
import { Psbt, Transaction, payments } from 'bitcoinjs-lib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Bcoin, startBcoin } from './bcoin.js'
import { type BitcoinWorld, bitcoinWorld } from './world.js'

const params = bitcoinNetworkParams('regtest', { hrp: 'rb' }) // bcoin's regtest bech32 prefix
const wait = { timeoutMs: 60_000 }

let node: Bcoin
let w: BitcoinWorld
let key: Key
let stopBob: () => void
let scan: BitcoinRpcBackend
let walletRpc: BitcoinRpcBackend

beforeAll(async () => {
  ;[node, w] = await Promise.all([startBcoin(), bitcoinWorld()])
  key = await w.createKey('bitcoin-secp256k1')
  stopBob = w.bobApprovesAll()
  scan = bitcoinRpcBackend({ url: node.url, password: node.apiKey, acceptTimeoutMs: 3_000 })
  walletRpc = bitcoinRpcBackend({ url: node.url, walletUrl: node.walletUrl, password: node.apiKey, utxos: 'wallet', acceptTimeoutMs: 3_000 })
}, 120_000)

afterAll(async () => {
  stopBob?.()
  await w?.close()
  await node?.stop()
})

async function rejects(p: Promise<unknown>, code: ZrErrorCode) {
  const err = await p.then(
    () => new Error(`expected ${code}, but it resolved`),
    (e: unknown) => e,
  )
  if (!isZrError(err)) throw err
  expect(err.code, err.message).toBe(code)
  return err
}

/** The transaction is in bcoin's mempool; a block is mined; the transaction is in it. Returns the block's height. */
async function expectMined(txid: string): Promise<number> {
  expect(await node.rpc<string[]>('getrawmempool')).toContain(txid)
  const [block] = await node.mine(1)
  const { tx, height } = await node.rpc<{ tx: string[]; height: number }>('getblock', [block, 1])
  expect(tx).toContain(txid)
  return height
}

const relayerFor = (backend: BitcoinBackend = scan, extra: { path?: string } = {}) =>
  createBitcoinRelayer({ client: w.alice, keyId: key.id, network: params, backend, adapter: { pollIntervalMs: 50, confirmTimeoutMs: 30_000 }, ...extra })

describe('Bitcoin relayer on a bcoin regtest node', () => {
  it('a threshold ECDSA key receives coins and spends them with two inputs and change, in one signature request; mined', async () => {
    const btc = await relayerFor()
    expect(btc.address).toMatch(/^rb1q[02-9ac-hj-np-z]{38}$/)
    expect(btc.address).toBe(deriveAddress(key, { type: 'bitcoin', hrp: 'rb' }))
    expect(btc.address).toBe(payments.p2wpkh({ pubkey: key.publicKey, network: params.network }).address)

    await node.fund(btc.address, 60_000n)
    await node.fund(btc.address, 50_000n)
    const to = await node.minerAddress()
    const sent = await btc.send({ outputs: [{ address: to, value: 100_000n }], feeRate: 2, confirm: false, ...wait })

    // One signature request for the whole transaction: one payload per input, signed by at least 2 of 3 parties.
    const request = await w.alice.getSignRequest({ id: sent.requestId })
    expect(request.status).toBe('fulfilled')
    expect(request.payloads).toHaveLength(2)
    expect(new Set(request.responses.map((r) => r.party)).size).toBeGreaterThanOrEqual(2)
    expect(request.metadata).toMatchObject({ 'zrkit.chain': params.chain, 'zrkit.tx.from': btc.address, 'zrkit.tx.inputs': '2', 'zrkit.tx.txid': sent.txid, 'zrkit.tx.out0': `${to} 100000` })

    const tx = Transaction.fromHex(sent.tx)
    expect(tx.getId()).toBe(sent.txid)
    expect(tx.ins).toHaveLength(2)
    expect(tx.ins.every((i) => i.sequence === 0xfffffffd)).toBe(true) // BIP125 replaceable
    expect(tx.outs).toHaveLength(2)
    expect(tx.outs[0]!.value).toBe(100_000n)
    expect(toHex(tx.outs[1]!.script)).toBe(toHex(payments.p2wpkh({ pubkey: key.publicKey }).output!))
    const fee = 110_000n - tx.outs[0]!.value - tx.outs[1]!.value
    expect(Number(fee) / tx.virtualSize()).toBeGreaterThanOrEqual(2)
    expect(Number(fee) / tx.virtualSize()).toBeLessThan(2.1)
    // each input's witness: a DER signature with SIGHASH_ALL and the key, which verifies (noble) over the BIP143 sighash the request signed
    tx.ins.forEach((input, i) => {
      expect(toHex(input.witness[1]!)).toBe(toHex(key.publicKey))
      expect(input.witness[0]!.at(-1)).toBe(Transaction.SIGHASH_ALL)
      const sig = secp256k1.Signature.fromBytes(input.witness[0]!.subarray(0, -1), 'der').toBytes('compact')
      expect(secp256k1.verify(sig, request.payloads[i]!, key.publicKey, { prehash: false })).toBe(true)
    })

    const height = await expectMined(sent.txid)
    const confirmed = await btc.resume({ requestId: sent.requestId })
    expect(confirmed.receipt).toMatchObject({ txid: sent.txid, blockHeight: height, confirmations: 1 })
    expect(await btc.balance()).toEqual({ confirmed: tx.outs[1]!.value, unconfirmed: 0n, coins: 1 })
  })

  it('spends from a derived child key, finding coins through the node wallet (listunspent), with an 80-byte OP_RETURN output', async () => {
    const btc = await relayerFor(walletRpc, { path: 'user-7' })
    const child = await w.alice.getKey({ id: key.id, path: 'user-7' })
    expect(btc.address).toBe(payments.p2wpkh({ pubkey: child.derived!.publicKey, network: params.network }).address)
    expect(btc.address).not.toBe(deriveAddress(key, { type: 'bitcoin', hrp: 'rb' }))
    await walletRpc.importAddress(btc.address)
    const funding = await node.fund(btc.address, 40_000n)
    // bcoin's wallet follows the chain asynchronously: wait until it counts the funding block
    for (let i = 0; !(await walletRpc.utxos(btc.address)).some((u) => u.txid === funding && u.confirmations >= 1); i++) {
      if (i > 200) throw new Error('the node wallet never saw the funding transaction')
      await new Promise((r) => setTimeout(r, 25))
    }
    const to = await node.minerAddress()
    const memo = new TextEncoder().encode('zrkit '.repeat(14).slice(0, 80))
    const sent = await btc.send({ outputs: [{ address: to, value: 30_000n }, { data: memo }], feeRate: 1.5, confirm: false, ...wait })
    const tx = Transaction.fromHex(sent.tx)
    expect(tx.ins.map((i) => toHex(Uint8Array.from(i.hash).reverse()))).toEqual([funding])
    expect(tx.outs[1]!.value).toBe(0n)
    expect(toHex(tx.outs[1]!.script)).toBe(`6a4c50${toHex(memo)}`) // OP_RETURN OP_PUSHDATA1 80 <memo>
    expect(toHex(tx.ins[0]!.witness[1]!)).toBe(toHex(child.derived!.publicKey))
    await expectMined(sent.txid)
  })

  it('PSBT in and out: signs only its own input of a PSBT from another wallet, which adds its signature, finalizes and broadcasts', async () => {
    const btc = await relayerFor()
    const ownFunding = await node.fund(btc.address, 25_000n)
    // another wallet's key (a plain local key: not a zrkit key)
    const other = secp256k1.utils.randomSecretKey()
    const otherPub = secp256k1.getPublicKey(other, true)
    const otherOut = payments.p2wpkh({ pubkey: otherPub, network: params.network })
    const otherFunding = await node.fund(otherOut.address!, 35_000n)
    const fundingTx = async (txid: string) => Transaction.fromHex(await node.rpc<string>('getrawtransaction', [txid, false]))
    const voutOf = (tx: Transaction, script: Uint8Array) => tx.outs.findIndex((o) => toHex(o.script) === toHex(script))
    const ownTx = await fundingTx(ownFunding)
    const otherTx = await fundingTx(otherFunding)
    const ownScript = payments.p2wpkh({ pubkey: key.publicKey }).output!
    const psbt = new Psbt({ network: params.network })
    psbt.addInput({ hash: ownFunding, index: voutOf(ownTx, ownScript), witnessUtxo: { script: ownScript, value: 25_000n } })
    psbt.addInput({ hash: otherFunding, index: voutOf(otherTx, otherOut.output!), witnessUtxo: { script: otherOut.output!, value: 35_000n } })
    psbt.addOutput({ address: await node.minerAddress(), value: 59_000n })

    const signed = await btc.signPsbt({ psbt: psbt.toBase64(), ...wait })
    expect(signed.complete).toBe(false)
    const back = parsePsbt(signed.psbt!, params)
    expect(back.data.inputs[0]!.partialSig).toHaveLength(1)
    expect(back.data.inputs[1]!.partialSig).toBeUndefined()
    expect((await w.alice.getSignRequest({ id: signed.requestId })).payloads).toHaveLength(1)

    // the other wallet signs its input with bitcoinjs and finalizes
    await back.signInputAsync(1, { publicKey: otherPub, sign: async (hash: Uint8Array) => secp256k1.sign(hash, other, { prehash: false }) })
    back.finalizeAllInputs()
    const final = back.extractTransaction()
    expect(final.getId()).toBe(signed.txid)
    await node.rpc('sendrawtransaction', [final.toHex()])
    for (let i = 0; !(await node.rpc<string[]>('getrawmempool')).includes(final.getId()); i++) {
      if (i > 100) throw new Error('the PSBT transaction never reached the mempool')
      await new Promise((r) => setTimeout(r, 20))
    }
    await expectMined(final.getId())
  })

  it('a bitcoinjs SignerAsync backed by signature requests signs every input of a PSBT in one request', async () => {
    const btc = await relayerFor()
    await node.fund(btc.address, 21_000n)
    await node.fund(btc.address, 22_000n)
    const unsigned = await btc.createPsbt({ outputs: [{ address: await node.minerAddress(), value: 40_000n }], feeRate: 1 })
    const psbt = Psbt.fromBase64(unsigned, { network: params.network })
    expect(psbt.inputCount).toBeGreaterThanOrEqual(2)
    const signer = await btc.signer({ ...wait })
    expect(toHex(signer.publicKey)).toBe(toHex(key.publicKey))
    await psbt.signAllInputsAsync(signer)
    expect(signer.requestIds).toHaveLength(1)
    expect((await w.alice.getSignRequest({ id: signer.requestIds[0]! })).payloads).toHaveLength(psbt.inputCount)
    psbt.finalizeAllInputs()
    const tx = psbt.extractTransaction()
    await scan.broadcast(tx.toHex())
    await expectMined(tx.getId())
  })

  it('a transaction the node drops is BROADCAST_FAILED although bcoin answers with a txid; the genuine one goes through, twice is fine', async () => {
    const btc = await relayerFor()
    await node.fund(btc.address, 30_000n)
    const { requestId } = await btc.submit({ outputs: [{ address: await node.minerAddress(), value: 20_000n }], feeRate: 1 })
    const signed = await btc.relayer.sign({ requestId, ...wait })
    const tampered = Transaction.fromHex(signed.signedTx)
    const sig = Uint8Array.from(tampered.ins[0]!.witness[0]!)
    sig[10] = sig[10]! ^ 0x01
    tampered.ins[0]!.witness[0] = sig
    expect(tampered.getId()).toBe(signed.txid) // a witness change keeps the txid
    const bcoinSays = await node.rpc<string>('sendrawtransaction', [tampered.toHex()])
    expect(bcoinSays).toBe(signed.txid) // the quirk: a txid for a transaction it will not keep
    await rejects(scan.broadcast(tampered.toHex()), 'BROADCAST_FAILED')
    expect(await node.rpc<string[]>('getrawmempool')).not.toContain(signed.txid)

    await scan.broadcast(signed.signedTx)
    await scan.broadcast(signed.signedTx) // idempotent
    const result = await btc.resume({ requestId, confirm: false })
    expect(result.txid).toBe(signed.txid)
    await expectMined(signed.txid)
  })

  it('after a crash, a relayer on the same file journal holds the unfinished relay’s coins again and finishes it, broadcasting once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'zrkit-btc-journal-'))
    try {
      const first = await createBitcoinRelayer({ client: w.alice, keyId: key.id, network: params, backend: scan, journal: fileRelayJournal(dir), adapter: { locks: createUtxoLocks() } })
      await node.fund(first.address, 33_000n)
      const { requestId, relayId } = await first.submit({ outputs: [{ address: await node.minerAddress(), value: 12_000n }], feeRate: 1 })
      await w.alice.waitForSignRequest({ requestId, ...wait }) // Bob approves, the federation signs; then the process "dies"
      const record = await first.relayer.getRelay({ relayId })
      const inputs = parsePsbt(record.unsignedTx, params).txInputs.map((i) => ({ txid: toHex(Uint8Array.from(i.hash).reverse()), vout: i.index }))

      const locks = createUtxoLocks()
      const sends: string[] = []
      const counting: BitcoinBackend = { ...scan, broadcast: (raw) => (sends.push(raw), scan.broadcast(raw)) }
      const second = await createBitcoinRelayer({ client: w.alice, keyId: key.id, network: params, backend: counting, journal: fileRelayJournal(dir), adapter: { locks } })
      const recovered = await second.recover({ confirm: false })
      expect(recovered.failed).toEqual([])
      expect(recovered.finished.map((r) => r.requestId)).toEqual([requestId])
      expect(inputs.every((o) => locks.isHeld(params.chain, o))).toBe(true)
      const txid = recovered.finished[0]!.txid
      await expectMined(txid)
      const again = await second.recover({ confirm: false }) // broadcast, not yet confirmed: reported again, not sent again
      expect(again.finished.map((r) => r.txid)).toEqual([txid])
      expect(sends).toHaveLength(1)
      expect((await second.relayer.getRelay({ requestId })).status).toBe('broadcast')
      expect((await second.resume({ requestId })).receipt).toMatchObject({ txid, confirmations: 1 })
      expect((await second.relayer.getRelay({ requestId })).status).toBe('confirmed')
      expect(sends).toHaveLength(1)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('relays prepared at the same time never take the same coin; both are mined', async () => {
    const btc = await relayerFor(scan, { path: 'concurrent' })
    await node.fund(btc.address, 20_000n)
    await node.fund(btc.address, 20_000n)
    const to = await node.minerAddress()
    const [a, b] = await Promise.all([0, 1].map(() => btc.send({ outputs: [{ address: to, value: 15_000n }], feeRate: 1, confirm: false, ...wait })))
    const inputsOf = (hex: string) => Transaction.fromHex(hex).ins.map((i) => `${toHex(Uint8Array.from(i.hash).reverse())}:${i.index}`)
    expect(inputsOf(a!.tx)).toHaveLength(1)
    expect(inputsOf(b!.tx)).toHaveLength(1)
    expect(inputsOf(a!.tx)[0]).not.toBe(inputsOf(b!.tx)[0])
    expect(await node.rpc<string[]>('getrawmempool')).toEqual(expect.arrayContaining([a!.txid, b!.txid]))
    const [block] = await node.mine(1)
    expect((await node.rpc<{ tx: string[] }>('getblock', [block, 1])).tx).toEqual(expect.arrayContaining([a!.txid, b!.txid]))
    // a third has nothing left to spend
    await rejects(btc.send({ outputs: [{ address: to, value: 15_000n }], feeRate: 1 }), 'INSUFFICIENT_FUNDS')
  })

  it('a coin that a mempool transaction spends is not listed by scantxoutset, so another relayer on the key does not pick it', async () => {
    const btc = await relayerFor(scan, { path: 'mempool-spent' })
    await node.fund(btc.address, 20_000n)
    await node.fund(btc.address, 20_000n)
    const to = await node.minerAddress()
    const inputsOf = (hex: string) => Transaction.fromHex(hex).ins.map((i) => `${toHex(Uint8Array.from(i.hash).reverse())}:${i.index}`)
    const a = await btc.send({ outputs: [{ address: to, value: 15_000n }], feeRate: 1, confirm: false, ...wait })
    const [spent] = inputsOf(a.tx)
    // the chain's coin set still has it (bcoin's gettxout without the mempool), the listing does not
    const [txid, vout] = spent!.split(':') as [string, string]
    expect(await node.rpc('gettxout', [txid, Number(vout), false])).not.toBeNull()
    const listed = (await scan.utxos(btc.address)).map((c) => `${c.txid}:${c.vout}`)
    expect(listed).toHaveLength(1)
    expect(listed).not.toContain(spent)
    // a second relayer on the same key (as a replica would) spends the other coin; both are mined
    const replica = await relayerFor(scan, { path: 'mempool-spent' })
    const b = await replica.send({ outputs: [{ address: to, value: 15_000n }], feeRate: 1, confirm: false, ...wait })
    expect(inputsOf(b.tx)).toEqual(listed)
    const [block] = await node.mine(1)
    expect((await node.rpc<{ tx: string[] }>('getblock', [block, 1])).tx).toEqual(expect.arrayContaining([a.txid, b.txid]))
  })

  it('typed errors that change nothing: insufficient funds, an address of another network, dust, a key of the wrong type, a backend on another chain', async () => {
    const btc = await relayerFor()
    const to = await node.minerAddress()
    const before = w.ledger.stateHash()
    const { confirmed } = await btc.balance()
    const poor = await rejects(btc.send({ outputs: [{ address: to, value: confirmed + 1_000n }], feeRate: 1 }), 'INSUFFICIENT_FUNDS')
    expect(poor.details).toContain(btc.address)
    expect(poor.meta.available).toBe(confirmed)

    const testnetAddress = deriveAddress(key, { type: 'bitcoin', network: 'testnet4' })
    const wrongNet = await rejects(btc.send({ outputs: [{ address: testnetAddress, value: 1_000n }], feeRate: 1 }), 'INVALID_ADDRESS')
    expect(wrongNet.details).toContain('testnet4')
    const coreRegtest = deriveAddress(key, { type: 'bitcoin', network: 'regtest' }) // bcrt1q...: Bitcoin Core's regtest prefix, not bcoin's
    await rejects(btc.send({ outputs: [{ address: coreRegtest, value: 1_000n }], feeRate: 1 }), 'INVALID_ADDRESS')
    const dust = await rejects(btc.send({ outputs: [{ address: to, value: 293n }], feeRate: 1 }), 'INVALID_INPUT')
    expect(dust.details).toContain('294')
    expect(w.ledger.stateHash()).toBe(before) // no signature request was made

    const edKey = await w.createKey('eddsa-ed25519')
    const afterKey = w.ledger.stateHash()
    await rejects(createBitcoinRelayer({ client: w.alice, keyId: edKey.id, network: params, backend: scan }), 'UNSUPPORTED_KEY_TYPE')
    await rejects(btc.relayer.submit({ keyId: edKey.id, intent: { outputs: [{ address: to, value: 1_000n }] } }), 'UNSUPPORTED_KEY_TYPE')
    expect(w.ledger.stateHash()).toBe(afterKey)

    const signetAdapter = bitcoinAdapter({ network: 'signet', backend: scan })
    const signer = { keyId: key.id, keyType: key.keyType, publicKey: key.publicKey }
    await rejects(signetAdapter.prepare({ outputs: [{ address: deriveAddress(key, { type: 'bitcoin', network: 'signet' }), value: 1_000n }], feeRate: 1 }, signer), 'CHAIN_ID_MISMATCH')
  })

  describe('Esplora client, against an Esplora-shaped server over the bcoin node', () => {
    let server: Server
    let url: string
    beforeAll(async () => {
      server = await esploraOverBcoin(node)
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    })
    afterAll(async () => {
      await new Promise((r) => server?.close(r))
    })

    it('reads the chain, finds the coins, relays a spend and tracks its confirmation', async () => {
      const esplora = esploraBackend({ url })
      expect(await esplora.genesisHash()).toBe(params.genesisHash)
      expect(await esplora.tipHeight()).toBe(await node.rpc<number>('getblockcount'))
      const btc = await relayerFor(esplora, { path: 'esplora' })
      const funding = await node.fund(btc.address, 45_000n)
      const coins = await esplora.utxos(btc.address)
      expect(coins).toEqual([{ txid: funding, vout: expect.any(Number), value: 45_000n, confirmations: 1 }])
      expect(await esplora.feeRate(6)).toBeUndefined() // bcoin has no estimate on regtest: the adapter falls back to 1 sat/vB

      const sending = btc.send({ outputs: [{ address: await node.minerAddress(), value: 10_000n }], ...wait })
      // mine once the transaction shows up, so `confirm` sees it confirmed through the Esplora status endpoint
      let txid: string | undefined
      for (let i = 0; !txid; i++) {
        if (i > 2_000) throw new Error('the relay never broadcast')
        const pool = await node.rpc<string[]>('getrawmempool')
        txid = pool[0]
        if (!txid) await new Promise((r) => setTimeout(r, 25))
      }
      const height = await expectMined(txid)
      const sent = await sending
      expect(sent.txid).toBe(txid)
      expect(sent.receipt).toMatchObject({ blockHeight: height, confirmations: 1 })
      expect(await esplora.txStatus(txid)).toMatchObject({ state: 'confirmed', blockHeight: height })
      expect(Transaction.fromHex(sent.tx).outs.at(-1)!.value).toBe(45_000n - 10_000n - 141n) // 1 input, 2 outputs: 141 vB at 1 sat/vB
      await esplora.broadcast(sent.tx) // already in a block: success
    })
  })
})

/**
 * An HTTP server with the Esplora REST endpoints the client uses, answered from the bcoin node: blocks
 * and transactions by JSON-RPC, an address's coins (confirmed and mempool, without those spent in the
 * mempool) by bcoin's REST API, broadcast through `sendrawtransaction`.
 */
async function esploraOverBcoin(node: Bcoin): Promise<Server> {
  const server = createServer(async (req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' })
      res.end(typeof body === 'string' ? body : JSON.stringify(body))
    }
    try {
      const path = new URL(req.url!, 'http://x').pathname
      let m: RegExpExecArray | null
      if (req.method === 'GET' && path === '/blocks/tip/height') return send(200, String(await node.rpc<number>('getblockcount')))
      if (req.method === 'GET' && (m = /^\/block-height\/(\d+)$/.exec(path))) return send(200, await node.rpc<string>('getblockhash', [Number(m[1])]))
      if (req.method === 'GET' && path === '/fee-estimates') {
        const out: Record<string, number> = {}
        for (const target of [1, 3, 6, 144]) {
          const est = await node.rpc<{ fee: number }>('estimatesmartfee', [target]).catch(() => undefined) // bcoin refuses long targets
          if (est && est.fee > 0) out[target] = (est.fee * 1e8) / 1000
        }
        return send(200, out)
      }
      if (req.method === 'GET' && (m = /^\/address\/([^/]+)\/utxo$/.exec(path))) {
        const coins = await node.rest<{ hash: string; index: number; value: number; height: number }[]>(`/coin/address/${m[1]}`)
        return send(
          200,
          await Promise.all(
            coins.map(async (c) => ({
              txid: c.hash,
              vout: c.index,
              value: c.value,
              status: c.height >= 0 ? { confirmed: true, block_height: c.height, block_hash: await node.rpc<string>('getblockhash', [c.height]) } : { confirmed: false },
            })),
          ),
        )
      }
      if (req.method === 'GET' && (m = /^\/tx\/([0-9a-f]{64})\/status$/.exec(path))) {
        const tx = await node.rpc<{ blockhash?: string | null; height?: number }>('getrawtransaction', [m[1], true]).catch(() => undefined)
        if (!tx) return send(404, 'Transaction not found')
        if (!tx.blockhash) return send(200, { confirmed: false })
        const header = await node.rpc<{ height: number; time: number }>('getblockheader', [tx.blockhash, true])
        return send(200, { confirmed: true, block_height: header.height, block_hash: tx.blockhash, block_time: header.time })
      }
      if (req.method === 'POST' && path === '/tx') {
        let body = ''
        for await (const chunk of req) body += chunk
        return send(200, await node.rpc<string>('sendrawtransaction', [body.trim()]))
      }
      send(404, 'not found')
    } catch (e) {
      send(400, (e as Error).message)
    }
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return server
}
