/**
 * Bitcoin relays as sign-transaction requests, end to end on a bcoin regtest node (started by this file):
 * the ledger's genesis runs the `bitcoin@1` decoder, a 2-of-3 threshold ECDSA federation holds the key,
 * and Alice and Bob own the workspace under the sign policy
 *
 *   tx.value <= 0.001 btc && any(1, [alice, bob]) || all([alice, bob])
 *
 * The relayer hands the ledger the PSBT; the ledger computes every input's BIP143 sighash itself (the
 * relay pipeline checks they are the adapter's) and judges what the outputs pay. A small payment goes
 * through on Alice alone; a large one waits for Bob, who reads the decoded transaction and the verdict
 * of each condition. A PSBT whose "change" goes to a stranger is a transfer to the stranger, however the
 * PSBT marks it. The node is the verifier: it takes a transaction into its mempool and a block only if
 * every input's signature is valid under segwit rules, so every signature here is checked by the chain.
 *
 * bcoin writes regtest addresses with the bech32 prefix `rb`; the decoder writes them as Bitcoin Core
 * does (`bcrt`), so the decoded addresses are compared in that form.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { type Key, toHex } from '@zrkit/core'
import { expectZrError } from '@zrkit/testkit'
import { type BitcoinRpcBackend, addressToScript, bitcoinNetworkParams, bitcoinRpcBackend, createBitcoinRelayer, keyOutput, scriptToAddress } from '@zrkit/relayer-bitcoin'
import { bitcoinTransactionDecoder } from '@zrkit/relayer-bitcoin/decoder'
import { Psbt, Transaction, payments } from 'bitcoinjs-lib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Bcoin, startBcoin } from '../bitcoin/bcoin.js'
import { type BitcoinWorld, bitcoinWorld } from '../bitcoin/world.js'

const params = bitcoinNetworkParams('regtest', { hrp: 'rb' }) // bcoin's regtest bech32 prefix
const POLICY = 'tx.value <= 0.001 btc && any(1, [alice, bob]) || all([alice, bob])'
const wait = { timeoutMs: 30_000 }

let node: Bcoin
let w: BitcoinWorld
let key: Key
let scan: BitcoinRpcBackend

beforeAll(async () => {
  ;[node, w] = await Promise.all([startBcoin(), bitcoinWorld('zrkit-bitcoin-tx', { transactionDecoders: [bitcoinTransactionDecoder()], signPolicy: POLICY })])
  key = await w.createKey('bitcoin-secp256k1')
  scan = bitcoinRpcBackend({ url: node.url, password: node.apiKey, acceptTimeoutMs: 3_000 })
}, 120_000)

afterAll(async () => {
  await w?.close()
  await node?.stop()
})

/** An address as the decoder writes it: Bitcoin Core's regtest form (`bcrt1...`), not bcoin's (`rb1...`). */
const decoderForm = (address: string) => scriptToAddress(addressToScript(address, params), bitcoinNetworkParams('regtest'))!

/** The transaction is in bcoin's mempool; a block is mined; the transaction is in it. */
async function expectMined(txid: string): Promise<void> {
  for (let i = 0; !(await node.rpc<string[]>('getrawmempool')).includes(txid); i++) {
    if (i > 100) throw new Error(`transaction ${txid} never reached the mempool`)
    await new Promise((r) => setTimeout(r, 20))
  }
  const [block] = await node.mine(1)
  expect((await node.rpc<{ tx: string[] }>('getblock', [block, 1])).tx).toContain(txid)
}

/** The output of a funding transaction that pays `address`. */
async function coinOf(txid: string, address: string): Promise<{ txid: string; vout: number }> {
  const tx = Transaction.fromHex(await node.rpc<string>('getrawtransaction', [txid, false]))
  const script = toHex(addressToScript(address, params))
  return { txid, vout: tx.outs.findIndex((o) => toHex(o.script) === script) }
}

const relayerFor = () => createBitcoinRelayer({ client: w.alice, keyId: key.id, network: params, backend: scan, adapter: { pollIntervalMs: 50, confirmTimeoutMs: 30_000 } })

describe('Bitcoin sign-transaction requests on a bcoin regtest node, under a policy that reads the transaction', () => {
  it('a small payment from two coins goes through on Alice alone: one sign-transaction request, the ledger’s sighash per input, signed by 2 of 3 parties; mined', async () => {
    const btc = await relayerFor()
    await node.fund(btc.address, 60_000n)
    await node.fund(btc.address, 50_000n)
    const to = await node.minerAddress()
    const sent = await btc.send({ outputs: [{ address: to, value: 100_000n }], feeRate: 2, confirm: false, ...wait })

    const record = await btc.relayer.getRelay({ requestId: sent.requestId })
    expect(record.requestKind).toBe('transaction')
    const request = await w.alice.getSignRequest({ id: sent.requestId })
    expect(request.actionId).toBeUndefined() // no approval asked: the small-payment clause held on Alice's request
    expect(request.decidedBy).toContain('tx.value <= 0.001 btc')
    expect(new Set(request.responses.map((r) => r.party)).size).toBeGreaterThanOrEqual(2)
    // the ledger computed the payloads from the PSBT: one BIP143 sighash per input, the adapter's
    expect(request.payloads).toHaveLength(2)
    expect(request.payloads.map(toHex)).toEqual(record.payloads.map(toHex))
    expect(request.transaction!.decoded).toMatchObject({
      network: 'bitcoin:regtest',
      from: decoderForm(btc.address),
      transfers: [{ kind: 'transfer', asset: 'native', to: decoderForm(to), amount: 100_000n }],
      calls: [],
      fields: { inputs: '2', change: record.summary.change },
    })
    expect(request.transaction!.decoded.fee).toBe(BigInt(record.summary.fee!))
    // each witness signature verifies (noble) over the ledger's payload of its input
    const tx = Transaction.fromHex(sent.tx)
    tx.ins.forEach((input, i) => {
      const sig = secp256k1.Signature.fromBytes(input.witness[0]!.subarray(0, -1), 'der').toBytes('compact')
      expect(secp256k1.verify(sig, request.payloads[i]!, key.publicKey, { prehash: false })).toBe(true)
    })
    await expectMined(sent.txid)
    expect((await btc.resume({ requestId: sent.requestId })).receipt).toMatchObject({ txid: sent.txid, confirmations: 1 })
  })

  it('a large payment waits: Bob reads what it pays and why it waits, approves, and it is mined', async () => {
    const btc = await relayerFor()
    await node.fund(btc.address, 300_000n)
    const to = await node.minerAddress()
    const big = await btc.submit({ outputs: [{ address: to, value: 250_000n }], feeRate: 2 })
    expect(big).toMatchObject({ status: 'partial', requestKind: 'transaction' })

    const action = await w.bob.getAction({ id: big.actionId! })
    expect(action.subject).toMatchObject({
      kind: 'sign-request',
      signRequestId: big.requestId,
      transaction: { chain: 'bitcoin', from: decoderForm(btc.address), transfers: [{ kind: 'transfer', asset: 'native', to: decoderForm(to), amount: 250_000n }] },
    })
    expect(action.conditions).toEqual([{ condition: 'tx.value <= 0.001 btc', holds: false, why: expect.stringContaining('0.0025 btc') }])
    await w.bob.approveAction({ actionId: big.actionId! })
    const sent = await btc.resume({ requestId: big.requestId, confirm: false, ...wait })
    await expectMined(sent.txid)
    expect((await btc.resume({ requestId: big.requestId })).receipt).toMatchObject({ txid: sent.txid, confirmations: 1 })
  })

  it("the lie: 'change' to a stranger is a transfer to the stranger, so the small-payment clause fails and Bob must approve; he rejects, nothing is signed, and the honest PSBT goes through on Alice alone", async () => {
    const btc = await relayerFor()
    const coin = await coinOf(await node.fund(btc.address, 200_000n), btc.address)
    const payee = await node.minerAddress()
    const strangerAddress = payments.p2wpkh({ pubkey: secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true), network: params.network }).address!
    const own = keyOutput(key.keyType, key.publicKey)
    const psbtPaying = (change: string) => {
      const psbt = new Psbt({ network: params.network })
      psbt.addInput({ hash: coin.txid, index: coin.vout, witnessUtxo: { script: own.script, value: 200_000n } })
      psbt.addOutput({ address: payee, value: 20_000n })
      // PSBT_OUT_BIP32_DERIVATION naming the key: how a wallet marks an output as its change
      psbt.addOutput({ address: change, value: 179_000n, bip32Derivation: [{ masterFingerprint: new Uint8Array(4), pubkey: key.publicKey, path: "m/84'/1'/0'/1/0" }] })
      return psbt.toBase64()
    }
    const expectBobRejects = async (submitted: { requestId: number; actionId?: number; status: string; requestKind: string }, strangerAmount: bigint) => {
      expect(submitted).toMatchObject({ status: 'partial', requestKind: 'transaction' })
      const action = await w.bob.getAction({ id: submitted.actionId! })
      const transfers = action.subject.kind === 'sign-request' ? action.subject.transaction!.transfers : []
      expect(transfers).toContainEqual({ kind: 'transfer', asset: 'native', to: decoderForm(strangerAddress), amount: strangerAmount })
      expect(action.conditions).toEqual([{ condition: 'tx.value <= 0.001 btc', holds: false, why: expect.any(String) }])
      await w.bob.rejectAction({ actionId: submitted.actionId! })
      await expectZrError(btc.resume({ requestId: submitted.requestId, ...wait }), 'REQUEST_REJECTED')
      expect((await w.alice.getSignRequest({ id: submitted.requestId })).signatures ?? []).toEqual([])
    }

    // a PSBT from elsewhere (the relayer's PSBT intent), its "change" marked as the key's but paying the stranger
    await expectBobRejects(await btc.relayer.submit({ keyId: key.id, intent: { psbt: psbtPaying(strangerAddress) } }), 179_000n)
    // the relayer's own transfer with changeAddress: its summary says "change", the decoder says transfer
    const viaChangeAddress = await btc.submit({ outputs: [{ address: payee, value: 20_000n }], changeAddress: strangerAddress, utxos: [coin], feeRate: 2 })
    expect(viaChangeAddress.summary.change).toBeDefined()
    await expectBobRejects(viaChangeAddress, BigInt(viaChangeAddress.summary.change!))

    // the same PSBT with its change truly back to the key: 20 000 sat out, on Alice alone
    const honest = await btc.signPsbt({ psbt: psbtPaying(btc.address), ...wait })
    expect(honest.complete).toBe(true)
    expect(await btc.relayer.getRelay({ requestId: honest.requestId })).toMatchObject({ requestKind: 'transaction' })
    const request = await w.alice.getSignRequest({ id: honest.requestId })
    expect(request.actionId).toBeUndefined()
    expect(request.transaction!.decoded.transfers).toEqual([{ kind: 'transfer', asset: 'native', to: decoderForm(payee), amount: 20_000n }])
    expect(request.transaction!.decoded.fields.change).toBe('179000')
    await scan.broadcast(honest.tx!)
    await expectMined(honest.txid)
  })

  it('the bitcoinjs signer: signPsbt signs the whole PSBT through one sign-transaction request; it finalizes and is mined', async () => {
    const btc = await relayerFor()
    const coins = [await coinOf(await node.fund(btc.address, 21_000n), btc.address), await coinOf(await node.fund(btc.address, 22_000n), btc.address)]
    const psbt = Psbt.fromBase64(await btc.createPsbt({ outputs: [{ address: await node.minerAddress(), value: 40_000n }], utxos: coins, feeRate: 1 }), { network: params.network })
    const signer = await btc.signer(wait)
    const signed = await signer.signPsbt(psbt)
    expect(signed.requestKind).toBe('transaction')
    expect(signed.inputs).toEqual([0, 1])
    expect(signer.requestIds).toEqual([signed.requestId])
    const request = await w.alice.getSignRequest({ id: signed.requestId })
    expect(request.actionId).toBeUndefined()
    expect(request.payloads).toHaveLength(2)
    expect(request.transaction!.decoded.transfers).toHaveLength(1)
    psbt.finalizeAllInputs()
    const tx = psbt.extractTransaction()
    await scan.broadcast(tx.toHex())
    await expectMined(tx.getId())
  })
})
