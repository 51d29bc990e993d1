/**
 * Bitcoin relays as sign-transaction requests: the adapter hands the ledger the PSBT (BIP174 version 0,
 * binary) and the network in the decoder's names, and a ledger that runs `bitcoin@1` reads it, computes
 * every input's sighash itself (they must equal the adapter's) and judges the outputs under the
 * workspace's sign policy
 *
 *   tx.value <= 0.001 btc && any(1, [alice, bob]) || all([alice, bob])
 *
 * A ledger without the decoder gets the payloads alone, which that policy cannot judge (Alice alone is
 * not enough). The host signer's `signPsbt` makes the same choice through `requestTransactionOrPayloads`.
 *
 * The network here is in memory (coins handed out, broadcasts recorded): these are the quick checks of
 * which request is made, with a one-party local keyring. bitcoinjs-lib checks every signature before a
 * transaction is finalized, and each is checked again here with noble over the ledger's payload; the
 * end-to-end suite on a bcoin regtest node, with a threshold federation, is test/transactions/bitcoin.test.ts.
 */
import { randomBytes } from 'node:crypto'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import {
  type BitcoinNetwork,
  type Key,
  type KeyType,
  type RelaySigner,
  createRelayer,
  signingKey,
  toHex,
} from '@zrkit/core'
import { expectZrError, localKeyringWorld } from '@zrkit/testkit'
import { Psbt, Transaction, payments } from 'bitcoinjs-lib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BitcoinBackend, BitcoinUtxo } from './backends/BitcoinBackend.js'
import { type BitcoinAdapter, bitcoinAdapter } from './bitcoinAdapter.js'
import { bitcoinSigner } from './bitcoinSigner.js'
import { createBitcoinRelayer } from './createBitcoinRelayer.js'
import { bitcoinTransactionDecoder } from './decoder/index.js'
import { type BitcoinNetworkParams, bitcoinNetworkParams } from './networks.js'
import { addressToScript, keyAddress, keyOutput } from './scripts.js'
import { createUtxoLocks } from './utxoLocks.js'

const POLICY = 'tx.value <= 0.001 btc && any(1, [alice, bob]) || all([alice, bob])'
const regtest = bitcoinNetworkParams('regtest')
const wait = { timeoutMs: 10_000 }
const hex = (items: readonly Uint8Array[]) => items.map((p) => toHex(p))
/** A P2WPKH address of a fresh key nobody here holds. */
const stranger = (params: BitcoinNetworkParams = regtest) => payments.p2wpkh({ pubkey: secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true), network: params.network }).address!

const addressToScriptOf = (address: string) => addressToScript(address, regtest)

/** A network in memory: coins handed out by `give`, every broadcast kept (and its inputs spent), confirmed at once. */
function memoryNetwork(params: BitcoinNetworkParams = regtest) {
  const coins = new Map<string, BitcoinUtxo[]>()
  const sent = new Map<string, string>()
  const backend: BitcoinBackend = {
    kind: 'memory',
    genesisHash: async () => params.genesisHash,
    tipHeight: async () => 200,
    utxos: async (address) => [...(coins.get(address) ?? [])],
    feeRate: async () => 2,
    async broadcast(raw) {
      const tx = Transaction.fromHex(raw)
      const spent = new Set(tx.ins.map((i) => `${toHex(Uint8Array.from(i.hash).reverse())}:${i.index}`))
      for (const [address, list] of coins) coins.set(address, list.filter((c) => !spent.has(`${c.txid}:${c.vout}`)))
      sent.set(tx.getId(), raw)
    },
    txStatus: async (txid) => (sent.has(txid) ? { state: 'confirmed', confirmations: 1, blockHash: '00'.repeat(32), blockHeight: 201 } : { state: 'unknown' }),
  }
  return {
    backend,
    sent,
    give(address: string, value: bigint): BitcoinUtxo {
      const coin = { txid: toHex(randomBytes(32)), vout: 0, value, confirmations: 6 }
      coins.set(address, [...(coins.get(address) ?? []), coin])
      return coin
    },
  }
}

/** A ledger (with or without the Bitcoin decoder in its genesis), Alice and Bob under {@link POLICY}, a local keyring. */
async function ledgerWorld(decoders: boolean) {
  const w = await localKeyringWorld({ chainId: `zrkit-btc-tx-${decoders}`, signPolicy: POLICY, transactionDecoders: [bitcoinTransactionDecoder()], decode: decoders })
  return { ledger: w.ledger, alice: w.alice, bob: w.bob, createKey: (keyType: KeyType): Promise<Key> => w.key(keyType), close: () => w.close() }
}

type LedgerWorld = Awaited<ReturnType<typeof ledgerWorld>>
const adapterOn = (net: ReturnType<typeof memoryNetwork>, params: BitcoinNetworkParams = regtest): BitcoinAdapter =>
  bitcoinAdapter({ network: params, backend: net.backend, locks: createUtxoLocks(), pollIntervalMs: 5 })

let withDecoder: LedgerWorld
let plain: LedgerWorld
let ecdsaKey: Key
let plainKey: Key
beforeAll(async () => {
  ;[withDecoder, plain] = await Promise.all([ledgerWorld(true), ledgerWorld(false)])
  ;[ecdsaKey, plainKey] = await Promise.all([withDecoder.createKey('bitcoin-secp256k1'), plain.createKey('bitcoin-secp256k1')])
})
afterAll(async () => {
  await Promise.all([withDecoder?.close(), plain?.close()])
})

describe("the adapter's prepare gives the PSBT the ledger's decoder reads", () => {
  const decoder = bitcoinTransactionDecoder()
  const secret = secp256k1.utils.randomSecretKey()
  const publicKey = secp256k1.getPublicKey(secret, true)
  const signer: RelaySigner = { keyId: 1, keyType: 'bitcoin-secp256k1', publicKey }

  it.each([
    ['mainnet', 'mainnet', bitcoinNetworkParams('mainnet')],
    ['testnet4', 'testnet', bitcoinNetworkParams('testnet4')],
    ['testnet (testnet3)', 'testnet', bitcoinNetworkParams('testnet')],
    ['signet', 'signet', bitcoinNetworkParams('signet')],
    ['regtest', 'regtest', regtest],
    ["bcoin's regtest (bech32 prefix rb)", 'regtest', bitcoinNetworkParams('regtest', { hrp: 'rb' })],
  ] as const)('%s: the binary PSBT of unsignedTx, the network as the decoder names it (%s), the same payloads', async (_, network, params) => {
    const net = memoryNetwork(params)
    const from = keyAddress(signer.keyType, publicKey, params)
    net.give(from, 40_000n)
    net.give(from, 25_000n)
    const to = stranger(params)
    const prepared = await adapterOn(net, params).prepare({ outputs: [{ address: to, value: 50_000n }], feeRate: 3 }, signer)
    expect(prepared.transaction).toMatchObject({ chain: 'bitcoin', network })
    expect(toHex(prepared.transaction!.unsignedTransaction)).toBe(toHex(Psbt.fromBase64(prepared.unsignedTx).toBuffer()))
    const decoded = decoder.decode({ unsignedTransaction: prepared.transaction!.unsignedTransaction, keyType: signer.keyType, publicKey, taproot: false, network: prepared.transaction!.network })
    expect(hex(decoded.payloads)).toEqual(hex(prepared.payloads))
    expect(decoded.payloads).toHaveLength(2)
    // the decoder writes addresses in the network's standard form (bcoin's rb1... is bcrt1... to it)
    const standard = bitcoinNetworkParams(params.name)
    expect(decoded.transaction.from).toBe(keyAddress(signer.keyType, publicKey, standard))
    expect(decoded.transaction.transfers).toEqual([{ kind: 'transfer', asset: 'native', to: payments.p2wpkh({ output: payments.p2wpkh({ address: to, network: params.network }).output!, network: standard.network }).address!, amount: 50_000n }])
    expect(decoded.transaction.fee).toBe(BigInt(prepared.summary.fee!))
    expect(decoded.transaction.fields.change).toBe(prepared.summary.change)
  })

  it('a PSBT intent: the whole PSBT when every input is the key’s; none when an input is another key’s or already signed', async () => {
    const net = memoryNetwork()
    const adapter = adapterOn(net)
    const own = keyOutput(signer.keyType, publicKey)
    const psbt = new Psbt({ network: regtest.network })
    psbt.addInput({ hash: toHex(randomBytes(32)), index: 0, witnessUtxo: { script: own.script, value: 30_000n } })
    psbt.addOutput({ address: stranger(), value: 29_000n })
    const mine = await adapter.prepare({ psbt: psbt.toBase64() }, signer)
    expect(mine.transaction?.network).toBe('regtest')
    expect(hex(decoder.decode({ unsignedTransaction: mine.transaction!.unsignedTransaction, keyType: signer.keyType, publicKey, taproot: false, network: 'regtest' }).payloads)).toEqual(hex(mine.payloads))
    adapter.release(mine)

    const other = payments.p2wpkh({ pubkey: secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true) }).output!
    const mixed = psbt.clone()
    mixed.addInput({ hash: toHex(randomBytes(32)), index: 1, witnessUtxo: { script: other, value: 5_000n } })
    const shared = await adapter.prepare({ psbt: mixed.toBase64() }, signer)
    expect(shared.payloads).toHaveLength(1)
    expect(shared.transaction).toBeUndefined()
    adapter.release(shared)

    const twice = new Psbt({ network: regtest.network })
    twice.addInput({ hash: toHex(randomBytes(32)), index: 0, witnessUtxo: { script: own.script, value: 30_000n } })
    twice.addInput({ hash: toHex(randomBytes(32)), index: 0, witnessUtxo: { script: own.script, value: 20_000n } })
    twice.addOutput({ address: stranger(), value: 49_000n })
    await twice.signInputAsync(0, { publicKey, sign: async (hash: Uint8Array) => secp256k1.sign(hash, secret, { prehash: false }) })
    const half = await adapter.prepare({ psbt: twice.toBase64() }, signer)
    expect(half.payloads).toHaveLength(1) // input 1 only
    expect(half.transaction).toBeUndefined() // the decoder would sign both inputs
  })

  it('taproot: the PSBT of a Schnorr key, whose sighashes the decoder computes for the x-only output key', async () => {
    const tsecret = secp256k1.utils.randomSecretKey()
    const internal = secp256k1.getPublicKey(tsecret, true) // a Schnorr key's 33-byte form
    const tsigner: RelaySigner = { keyId: 2, keyType: 'schnorr-secp256k1', publicKey: internal }
    const net = memoryNetwork()
    const from = keyAddress(tsigner.keyType, internal, regtest)
    net.give(from, 40_000n)
    net.give(from, 30_000n)
    const prepared = await adapterOn(net).prepare({ outputs: [{ address: stranger(), value: 60_000n }], feeRate: 2 }, tsigner)
    expect(prepared.taproot).toEqual({})
    expect(prepared.transaction?.network).toBe('regtest')
    const outputKey = signingKey('schnorr-secp256k1', internal, { taproot: {} }).publicKey.subarray(1)
    const decoded = decoder.decode({ unsignedTransaction: prepared.transaction!.unsignedTransaction, keyType: 'schnorr-secp256k1', publicKey: outputKey, taproot: true, network: 'regtest' })
    expect(hex(decoded.payloads)).toEqual(hex(prepared.payloads))
    expect(decoded.transaction.from).toBe(from)
    expect(decoded.transaction.fields.inputAmounts).toBe('signed')
  })
})

describe('the relay pipeline with the Bitcoin adapter: which request it makes', () => {
  it('a ledger that runs the decoder: one sign-transaction request per transaction, the ledger’s payloads (one per input) equal the adapter’s; a small payment goes on Alice alone', async () => {
    const net = memoryNetwork()
    const from = keyAddress(ecdsaKey.keyType, ecdsaKey.publicKey, regtest)
    net.give(from, 30_000n)
    net.give(from, 30_000n)
    const relayer = createRelayer({ client: withDecoder.alice, adapter: adapterOn(net) })
    const to = stranger()
    const done = await relayer.relay({ keyId: ecdsaKey.id, intent: { outputs: [{ address: to, value: 50_000n }], feeRate: 2 }, ...wait })
    const record = await relayer.getRelay({ requestId: done.requestId })
    expect(record).toMatchObject({ requestKind: 'transaction', status: 'confirmed' })
    const request = await withDecoder.alice.getSignRequest({ id: done.requestId })
    expect(request.actionId).toBeUndefined() // nobody but the requester: the small-payment clause held
    expect(request.decidedBy).toContain('tx.value <= 0.001 btc')
    expect(hex(request.payloads)).toEqual(hex(record.payloads))
    expect(request.payloads).toHaveLength(2)
    expect(toHex(request.transaction!.unsignedTransaction)).toBe(toHex(Psbt.fromBase64(record.unsignedTx).toBuffer()))
    expect(request.transaction!.decoded).toMatchObject({ chain: 'bitcoin', network: 'bitcoin:regtest', from, transfers: [{ kind: 'transfer', asset: 'native', to, amount: 50_000n }], calls: [] })
    expect(request.transaction!.decoded.fields).toMatchObject({ inputs: '2', change: record.summary.change })
    // the network's transaction carries signatures over exactly the ledger's payloads
    const tx = Transaction.fromHex(net.sent.get(done.txid)!)
    tx.ins.forEach((input, i) => {
      const sig = secp256k1.Signature.fromBytes(input.witness[0]!.subarray(0, -1), 'der').toBytes('compact')
      expect(secp256k1.verify(sig, request.payloads[i]!, ecdsaKey.publicKey, { prehash: false })).toBe(true)
    })
  })

  it('a large payment waits for Bob, who reads what it pays and why it waits', async () => {
    const net = memoryNetwork()
    net.give(keyAddress(ecdsaKey.keyType, ecdsaKey.publicKey, regtest), 300_000n)
    const relayer = createRelayer({ client: withDecoder.alice, adapter: adapterOn(net) })
    const to = stranger()
    const big = await relayer.submit({ keyId: ecdsaKey.id, intent: { outputs: [{ address: to, value: 150_000n }], feeRate: 2 } })
    expect(big).toMatchObject({ status: 'partial', requestKind: 'transaction' })
    const action = await withDecoder.bob.getAction({ id: big.actionId! })
    expect(action.subject).toMatchObject({ kind: 'sign-request', transaction: { transfers: [{ to, amount: 150_000n }] } })
    expect(action.conditions).toEqual([{ condition: 'tx.value <= 0.001 btc', holds: false, why: expect.stringContaining('0.0015 btc') }])
    await withDecoder.bob.approveAction({ actionId: big.actionId! })
    expect((await relayer.resume({ requestId: big.requestId, ...wait })).receipt).toMatchObject({ confirmations: 1 })
  })

  it('a ledger without the decoder, or requestKind payloads: the payloads alone, which the policy cannot judge; requestKind transaction there is refused and the coins are let go', async () => {
    const net = memoryNetwork()
    const from = keyAddress(plainKey.keyType, plainKey.publicKey, regtest)
    const coin = net.give(from, 30_000n)
    const adapter = adapterOn(net)
    const opaqueRelayer = createRelayer({ client: plain.alice, adapter })
    const opaque = await opaqueRelayer.submit({ keyId: plainKey.id, intent: { outputs: [{ address: stranger(), value: 1_000n }], feeRate: 2 } })
    expect(opaque).toMatchObject({ status: 'partial', requestKind: 'payloads' }) // Alice alone is not enough for what the ledger cannot read
    expect((await plain.alice.getSignRequest({ id: opaque.requestId })).transaction).toBeUndefined()
    await plain.bob.rejectAction({ actionId: opaque.actionId! })
    await expectZrError(opaqueRelayer.resume({ requestId: opaque.requestId, ...wait }), 'REQUEST_REJECTED')
    expect(adapter.locks.isHeld(adapter.chain, coin)).toBe(false)

    const refused = await expectZrError(createRelayer({ client: plain.alice, adapter, requestKind: 'transaction' }).submit({ keyId: plainKey.id, intent: { outputs: [{ address: stranger(), value: 1_000n }], feeRate: 2 } }), 'UNSUPPORTED_CHAIN')
    expect(refused.details).toContain('got one that decodes none (its genesis lists no transactionDecoders)')
    expect(adapter.locks.isHeld(adapter.chain, coin)).toBe(false)

    const dnet = memoryNetwork()
    dnet.give(keyAddress(ecdsaKey.keyType, ecdsaKey.publicKey, regtest), 30_000n)
    const forced = await createRelayer({ client: withDecoder.alice, adapter: adapterOn(dnet), requestKind: 'payloads' }).submit({ keyId: ecdsaKey.id, intent: { outputs: [{ address: stranger(), value: 1_000n }], feeRate: 2 } })
    expect(forced).toMatchObject({ status: 'partial', requestKind: 'payloads' })
  })

  it("a PSBT whose 'change' goes to a stranger (a wallet's change marker on it names the key) counts as a transfer: the small-payment clause does not hold; the true change does", async () => {
    const net = memoryNetwork()
    const adapter = adapterOn(net)
    const relayer = createRelayer({ client: withDecoder.alice, adapter })
    const own = keyOutput(ecdsaKey.keyType, ecdsaKey.publicKey)
    const payee = stranger()
    const thief = stranger()
    const psbtWithChange = (change: { address: string } | { script: Uint8Array }) => {
      const psbt = new Psbt({ network: regtest.network })
      psbt.addInput({ hash: toHex(randomBytes(32)), index: 0, witnessUtxo: { script: own.script, value: 500_000n } })
      psbt.addOutput({ address: payee, value: 20_000n })
      // BIP174 PSBT_OUT_BIP32_DERIVATION naming the key: how a wallet marks its change output
      psbt.addOutput({ ...change, value: 479_000n, bip32Derivation: [{ masterFingerprint: new Uint8Array(4), pubkey: ecdsaKey.publicKey, path: "m/84'/1'/0'/1/0" }] } as Parameters<Psbt['addOutput']>[0])
      return psbt.toBase64()
    }
    const honest = await relayer.submit({ keyId: ecdsaKey.id, intent: { psbt: psbtWithChange({ script: own.script }) } })
    expect(honest).toMatchObject({ requestKind: 'transaction', status: 'pending' })
    expect((await withDecoder.alice.getSignRequest({ id: honest.requestId })).transaction!.decoded.transfers).toEqual([{ kind: 'transfer', asset: 'native', to: payee, amount: 20_000n }])

    const lie = await relayer.submit({ keyId: ecdsaKey.id, intent: { psbt: psbtWithChange({ address: thief }) } })
    expect(lie).toMatchObject({ status: 'partial', requestKind: 'transaction' })
    const action = await withDecoder.bob.getAction({ id: lie.actionId! })
    expect(action.subject).toMatchObject({ transaction: { transfers: [{ to: payee, amount: 20_000n }, { to: thief, amount: 479_000n }], fields: { change: '0' } } })
    expect(action.conditions).toEqual([{ condition: 'tx.value <= 0.001 btc', holds: false, why: expect.stringContaining('0.00499 btc') }])
    await withDecoder.bob.rejectAction({ actionId: lie.actionId! })
    await expectZrError(relayer.resume({ requestId: lie.requestId, ...wait }), 'REQUEST_REJECTED')
  })

  it("createBitcoinRelayer's requestKind, for its relays and its signer: 'payloads' forces payloads; 'transaction' refuses a ledger without the decoder, and a PSBT not the key's alone, holding no coin", async () => {
    const net = memoryNetwork()
    const from = keyAddress(ecdsaKey.keyType, ecdsaKey.publicKey, regtest)
    const coin = net.give(from, 40_000n)
    const locks = createUtxoLocks()
    const relayerWith = (world: LedgerWorld, key: Key, requestKind: 'transaction' | 'payloads') =>
      createBitcoinRelayer({ client: world.alice, keyId: key.id, network: regtest, backend: net.backend, adapter: { locks }, requestKind })
    const opaque = await relayerWith(withDecoder, ecdsaKey, 'payloads')
    const submitted = await opaque.submit({ outputs: [{ address: stranger(), value: 1_000n }], feeRate: 2 })
    expect(submitted).toMatchObject({ requestKind: 'payloads', status: 'partial' })
    await withDecoder.bob.rejectAction({ actionId: submitted.actionId! })
    await expectZrError(opaque.resume({ requestId: submitted.requestId, ...wait }), 'REQUEST_REJECTED')
    const signer = await opaque.signer({ approvals: 'fail' })
    await expectZrError(signer.signPsbt(Psbt.fromBase64(await opaque.createPsbt({ outputs: [{ address: stranger(), value: 1_000n }], feeRate: 2 }))), 'APPROVAL_PENDING')
    expect((await withDecoder.alice.getSignRequest({ id: signer.requestIds[0]! })).transaction).toBeUndefined()

    const plainFrom = keyAddress(plainKey.keyType, plainKey.publicKey, regtest)
    const plainCoin = net.give(plainFrom, 40_000n)
    const before = plain.ledger.stateHash()
    const strictPlain = await relayerWith(plain, plainKey, 'transaction')
    await expectZrError(strictPlain.submit({ outputs: [{ address: stranger(), value: 1_000n }], feeRate: 2 }), 'UNSUPPORTED_CHAIN', 'expected a ledger that decodes bitcoin transactions, got one that decodes none')
    expect(locks.isHeld(regtest.chain, plainCoin)).toBe(false)
    expect(plain.ledger.stateHash()).toBe(before)

    const strict = await relayerWith(withDecoder, ecdsaKey, 'transaction')
    const mixed = new Psbt({ network: regtest.network })
    mixed.addInput({ hash: coin.txid, index: coin.vout, witnessUtxo: { script: keyOutput(ecdsaKey.keyType, ecdsaKey.publicKey).script, value: coin.value } })
    mixed.addInput({ hash: toHex(randomBytes(32)), index: 0, witnessUtxo: { script: addressToScriptOf(stranger()), value: 5_000n } })
    mixed.addOutput({ address: stranger(), value: 44_000n })
    await expectZrError(strict.signPsbt({ psbt: mixed.toBase64() }), 'UNSUPPORTED_CHAIN', `expected a transaction from the ${regtest.chain} adapter, got payloads only`)
    expect(locks.isHeld(regtest.chain, coin)).toBe(false)
    const strictSend = await strict.submit({ outputs: [{ address: stranger(), value: 1_000n }], feeRate: 2 })
    expect(strictSend).toMatchObject({ requestKind: 'transaction', status: 'pending' })
  })

  it('taproot: a relay of a Schnorr key is one sign-transaction request (the ledger gives the decoder the x-only output key)', async () => {
    const key = await withDecoder.createKey('schnorr-secp256k1')
    const net = memoryNetwork()
    net.give(keyAddress(key.keyType, key.publicKey, regtest), 50_000n)
    const relayer = createRelayer({ client: withDecoder.alice, adapter: adapterOn(net) })
    const done = await relayer.relay({ keyId: key.id, intent: { outputs: [{ address: stranger(), value: 20_000n }], feeRate: 2 }, ...wait })
    expect(await relayer.getRelay({ requestId: done.requestId })).toMatchObject({ requestKind: 'transaction', status: 'confirmed' })
    net.give(keyAddress(key.keyType, key.publicKey, regtest), 50_000n)
    const signer = await bitcoinSigner({ client: withDecoder.alice, keyId: key.id, network: 'regtest' })
    const psbt = Psbt.fromBase64(await createPsbtFor(withDecoder, key, net))
    expect((await signer.signPsbt(psbt)).requestKind).toBe('transaction')
  })
})

/** An unsigned PSBT of `key` paying a stranger 10 000 sat, from the coins `net` holds (none held after). */
async function createPsbtFor(world: LedgerWorld, key: Key, net: ReturnType<typeof memoryNetwork>): Promise<string> {
  const btc = await createBitcoinRelayer({ client: world.alice, keyId: key.id, network: regtest, backend: net.backend, adapter: { locks: createUtxoLocks() } })
  return btc.createPsbt({ outputs: [{ address: stranger(), value: 10_000n }], feeRate: 2 })
}

describe("the host signer (bitcoinjs SignerAsync): signPsbt makes one request for the whole PSBT", () => {
  it('a ledger that runs the decoder: one sign-transaction request; the signatures go into the PSBT, which finalizes', async () => {
    const net = memoryNetwork()
    const from = keyAddress(ecdsaKey.keyType, ecdsaKey.publicKey, regtest)
    net.give(from, 20_000n)
    net.give(from, 20_000n)
    const btc = await createBitcoinRelayer({ client: withDecoder.alice, keyId: ecdsaKey.id, network: regtest, backend: net.backend, adapter: { locks: createUtxoLocks() } })
    const psbt = Psbt.fromBase64(await btc.createPsbt({ outputs: [{ address: stranger(), value: 30_000n }], feeRate: 2 }), { network: regtest.network })
    const signer = await btc.signer(wait) // the relayer's network comes with it
    const signed = await signer.signPsbt(psbt)
    expect(signed).toMatchObject({ requestKind: 'transaction', inputs: [0, 1] })
    expect(signer.requestIds).toEqual([signed.requestId])
    const request = await withDecoder.alice.getSignRequest({ id: signed.requestId })
    expect(request.transaction!.decoded).toMatchObject({ network: 'bitcoin:regtest', from, fields: { inputs: '2' } })
    psbt.finalizeAllInputs()
    const tx = psbt.extractTransaction()
    tx.ins.forEach((input, i) => {
      const sig = secp256k1.Signature.fromBytes(input.witness[0]!.subarray(0, -1), 'der').toBytes('compact')
      expect(secp256k1.verify(sig, request.payloads[i]!, ecdsaKey.publicKey, { prehash: false })).toBe(true)
    })
  })

  it('sign(hash) stays a payload request (signAllInputsAsync); so does signPsbt without a network, or on a ledger without the decoder', async () => {
    const net = memoryNetwork()
    const from = keyAddress(ecdsaKey.keyType, ecdsaKey.publicKey, regtest)
    net.give(from, 20_000n)
    const unsigned = await createPsbtFor(withDecoder, ecdsaKey, net)
    const perHash = await bitcoinSigner({ client: withDecoder.alice, keyId: ecdsaKey.id, network: 'regtest', approvals: 'fail' })
    // opaque to the policy, so the small-payment clause cannot hold: the request waits for Bob (bitcoinjs reports it its own way)
    await expect(Psbt.fromBase64(unsigned).signAllInputsAsync(perHash)).rejects.toThrow('No inputs were signed')
    expect((await withDecoder.alice.getSignRequest({ id: perHash.requestIds[0]! })).status).toBe('partial')
    expect((await withDecoder.alice.getSignRequest({ id: perHash.requestIds[0]! })).transaction).toBeUndefined()

    const noNetwork = await bitcoinSigner({ client: withDecoder.alice, keyId: ecdsaKey.id, approvals: 'fail' })
    await expectZrError(noNetwork.signPsbt(Psbt.fromBase64(unsigned)), 'APPROVAL_PENDING')
    expect((await withDecoder.alice.getSignRequest({ id: noNetwork.requestIds[0]! })).transaction).toBeUndefined()

    const pnet = memoryNetwork()
    pnet.give(keyAddress(plainKey.keyType, plainKey.publicKey, regtest), 20_000n)
    const onPlain = await bitcoinSigner({ client: plain.alice, keyId: plainKey.id, network: 'regtest', approvals: 'fail' })
    await expectZrError(onPlain.signPsbt(Psbt.fromBase64(await createPsbtFor(plain, plainKey, pnet))), 'APPROVAL_PENDING')
    expect((await plain.alice.getSignRequest({ id: onPlain.requestIds[0]! })).transaction).toBeUndefined()
  })

  it("requestKind: 'transaction' refuses what cannot be one (a bare sighash, no network, no decoder) before any request; 'payloads' forces payloads; anything else is INVALID_INPUT", async () => {
    const net = memoryNetwork()
    net.give(keyAddress(ecdsaKey.keyType, ecdsaKey.publicKey, regtest), 20_000n)
    const unsigned = await createPsbtFor(withDecoder, ecdsaKey, net)
    const strict = await bitcoinSigner({ client: withDecoder.alice, keyId: ecdsaKey.id, network: 'regtest', requestKind: 'transaction', approvals: 'fail' })
    const bare = await expectZrError(strict.sign(new Uint8Array(32).fill(7)), 'UNSUPPORTED_CHAIN')
    expect(bare.details).toContain("expected a transaction from the bitcoinjs signer's sign/signSchnorr (bare sighashes; signPsbt gives the ledger the whole PSBT), got payloads only")
    const strictNoNetwork = await bitcoinSigner({ client: withDecoder.alice, keyId: ecdsaKey.id, requestKind: 'transaction' })
    await expectZrError(strictNoNetwork.signPsbt(Psbt.fromBase64(unsigned)), 'UNSUPPORTED_CHAIN', 'no network: give bitcoinSigner a network')
    const strictPlain = await bitcoinSigner({ client: plain.alice, keyId: plainKey.id, network: 'regtest', requestKind: 'transaction' })
    const pnet = memoryNetwork()
    pnet.give(keyAddress(plainKey.keyType, plainKey.publicKey, regtest), 20_000n)
    await expectZrError(strictPlain.signPsbt(Psbt.fromBase64(await createPsbtFor(plain, plainKey, pnet))), 'UNSUPPORTED_CHAIN')
    expect([...strict.requestIds, ...strictNoNetwork.requestIds, ...strictPlain.requestIds]).toEqual([])

    const forced = await bitcoinSigner({ client: withDecoder.alice, keyId: ecdsaKey.id, network: 'regtest', requestKind: 'payloads', approvals: 'fail' })
    await expectZrError(forced.signPsbt(Psbt.fromBase64(unsigned)), 'APPROVAL_PENDING')
    expect((await withDecoder.alice.getSignRequest({ id: forced.requestIds[0]! })).transaction).toBeUndefined()

    await expectZrError(bitcoinSigner({ client: withDecoder.alice, keyId: ecdsaKey.id, requestKind: 'sometimes' as never }), 'INVALID_INPUT', "expected 'auto', 'transaction' or 'payloads', got")
    await expectZrError(bitcoinSigner({ client: withDecoder.alice, keyId: ecdsaKey.id, network: 'moonnet' as BitcoinNetwork }), 'INVALID_INPUT', 'expected one of mainnet, testnet4, signet, regtest, testnet')
  })
})
