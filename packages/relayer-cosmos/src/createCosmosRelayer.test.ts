/**
 * The Cosmos relayer through the shared relay pipeline (prepare -> request -> approvals and the keyring
 * -> assemble -> broadcast -> confirm), with threshold ECDSA keys from a 2-of-3 federation under a 2-of-2
 * sign policy.
 *
 * THE CHAIN HERE IS A STAND-IN. No Cosmos chain binary runs on this machine, so the relayer's chain
 * interface (account number and sequence lookup, gas simulation, broadcast, inclusion) is served by an
 * in-test object (`fakeCosmosChain` of `@zrkit/testkit/cosmos`) that stores each broadcast TxRaw and runs on it the offline
 * checks a node's ante handler runs: the signature over the SignDoc rebuilt with the chain's own id and
 * the account's number (cosmjs `Secp256k1` and noble), the sequence equal to the account's, the key's
 * address equal to each message's signer, the fee against a minimum gas price and the balance. What only a
 * node can show (its CheckTx and DeliverTx, real gas, the RPC wire format of `connectCosmosChain`) is
 * exercised only against a real node: the package README shows how, on a public testnet.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { type Key, type RelayEvent, isZrError, memoryRelayJournal, toHex } from '@zrkit/core'
import { toBech32 } from '@cosmjs/encoding'
import { Registry } from '@cosmjs/proto-signing'
import { type DeliverTxResponse, type MsgSendEncodeObject, SigningStargateClient, calculateFee, coins, defaultRegistryTypes } from '@cosmjs/stargate'
import { MsgExecuteContract } from 'cosmjs-types/cosmwasm/wasm/v1/tx'
import { TxBody, TxRaw } from 'cosmjs-types/cosmos/tx/v1beta1/tx'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cosmosAdapter } from './cosmosAdapter.js'
import { type CosmosRelayer, createCosmosRelayer } from './createCosmosRelayer.js'
import { type CosmosWorld, type FakeChain, cosmosWorld, fakeCosmosChain, messageSigners, verifyTxOffline } from '@zrkit/testkit/cosmos'
import { expectZrError } from '@zrkit/testkit'

const chainId = 'provider'
const prefix = 'cosmos'
const recipient = toBech32(prefix, new Uint8Array(20).fill(9))

describe('createCosmosRelayer through the relay pipeline, against a stand-in chain', () => {
  let w: CosmosWorld
  let key: Key
  let stopBob: () => void
  let pathCount = 0
  const requestCount = async () => (await w.alice.listSignRequests({ keyId: key.id, limit: 1000 })).items.length

  /** A fresh stand-in chain and a relayer on a fresh child key (its own address), funded. */
  async function setup(options: { fund?: boolean; registry?: Registry; journal?: ReturnType<typeof memoryRelayJournal> } = {}): Promise<{ chain: FakeChain; cosmos: CosmosRelayer }> {
    const chain = fakeCosmosChain({ chainId, prefix, minGasPrice: '0.005uatom', ...(options.registry ? { registry: options.registry } : {}) })
    const cosmos = await createCosmosRelayer({
      client: w.alice,
      keyId: key.id,
      path: `pipeline-${++pathCount}`,
      prefix,
      chain,
      gasPrice: '0.005uatom',
      pollIntervalMs: 5,
      ...(options.registry ? { registry: options.registry } : {}),
      ...(options.journal ? { journal: options.journal } : {}),
    })
    if (options.fund !== false) chain.fund(cosmos.address, coins(10_000_000, 'uatom'))
    return { chain, cosmos }
  }

  beforeAll(async () => {
    w = await cosmosWorld()
    key = w.key
    stopBob = w.bobApprovesAll()
  }, 120_000)
  afterAll(async () => {
    stopBob?.()
    await w?.close()
  })

  it('sends tokens: account number and sequence from the chain, gas simulated, fee from the gas price; the chain verifies and includes it', async () => {
    const { chain, cosmos } = await setup()
    const events: RelayEvent['type'][] = []
    const accountNumber = chain.accountNumberOf(cosmos.address)!
    const result = await cosmos.sendTokens({ to: recipient, amount: coins(250_000, 'uatom'), memo: 'first', onEvent: (e) => events.push(e.type) })

    expect(chain.accepted).toHaveLength(1)
    expect(toHex(chain.accepted[0]!)).toBe(toHex(result.txBytes))
    expect(result.transactionHash).toBe(toHex(sha256(result.txBytes)).toUpperCase())
    expect(result.receipt).toMatchObject({ code: 0, transactionHash: result.transactionHash })
    expect(result.receipt!.height).toBeGreaterThan(100)
    expect(chain.balance(recipient, 'uatom')).toBe(250_000n)
    expect(chain.sequenceOf(cosmos.address)).toBe(1)
    expect(events).toEqual(expect.arrayContaining(['prepared', 'requested', 'signed', 'broadcast', 'confirmed']))

    const v = await verifyTxOffline(result.txBytes, { chainId, accountNumber, prefix })
    expect(v.valid).toBe(true)
    expect(v.address).toBe(cosmos.address)
    expect(v.sequence).toBe(0n)
    // gas: the chain simulated 70 000 for one message; x 1.4 = 98 000; fee = ceil(98 000 x 0.005) = 490uatom
    expect(chain.simulated).toHaveLength(1)
    expect(toHex(chain.simulated[0]!.publicKey)).toBe(toHex(cosmos.publicKey))
    expect(v.decoded.authInfo.fee?.gasLimit).toBe(98_000n)
    expect(v.decoded.authInfo.fee?.amount).toEqual(calculateFee(98_000, '0.005uatom').amount)
    expect(v.decoded.authInfo.fee?.amount).toEqual([{ denom: 'uatom', amount: '490' }])
    expect(chain.balance(cosmos.address, 'uatom')).toBe(10_000_000n - 250_000n - 490n)

    // a second send takes the next sequence from the chain
    const second = await cosmos.sendTokens({ to: recipient, amount: coins(1, 'uatom'), gas: 80_000 })
    expect((await verifyTxOffline(second.txBytes, { chainId, accountNumber, prefix })).sequence).toBe(1n)
    expect(chain.sequenceOf(cosmos.address)).toBe(2)
    expect(chain.simulated).toHaveLength(1) // gas was given
  }, 60_000)

  it('a transaction that lands in a block but fails throws TX_FAILED with its receipt and code (the one rule of every relayer); the journal says reverted', async () => {
    const { chain, cosmos } = await setup()
    const e = await expectZrError(cosmos.sendTokens({ to: recipient, amount: coins(50_000_000, 'uatom'), gas: 90_000 }), 'TX_FAILED')
    const receipt = e.meta.receipt as DeliverTxResponse
    expect(receipt.code).toBe(5)
    expect(receipt.rawLog).toContain('insufficient funds')
    expect(e.details).toMatch(/landed but failed: code 5 in block \d+: .*insufficient funds/)
    expect(e.meta.txid).toBe(receipt.transactionHash)
    expect(chain.balance(recipient, 'uatom')).toBe(0n)
    expect(chain.sequenceOf(cosmos.address)).toBe(1) // the fee was paid and the sequence used
    const requestId = e.meta.requestId as number
    const record = await cosmos.relayer.getRelay({ requestId })
    expect(record.status).toBe('reverted')
    expect(record.reason).toMatch(/^code 5 in block/)
    // resuming it says the same again, from the chain's receipt; it never sends it twice
    const again = await expectZrError(cosmos.resume({ requestId }), 'TX_FAILED')
    expect((again.meta.receipt as DeliverTxResponse).code).toBe(5)
    expect(chain.sequenceOf(cosmos.address)).toBe(1)
  }, 60_000)

  it('queued transactions get consecutive sequences; a rejected one gives its sequence back to the next', async () => {
    stopBob()
    try {
      const { chain, cosmos } = await setup()
      const send = (amount: number) => ({ messages: [{ typeUrl: '/cosmos.bank.v1beta1.MsgSend', value: { fromAddress: cosmos.address, toAddress: recipient, amount: coins(amount, 'uatom') } }], gas: 90_000 })
      const a = await cosmos.submit(send(1))
      const b = await cosmos.submit(send(2))
      expect([a.summary.sequence, b.summary.sequence]).toEqual(['0', '1'])
      expect(a.status).toBe('partial')
      await w.bob.rejectAction({ actionId: a.actionId! })
      await expectZrError(cosmos.resume({ requestId: a.requestId }), 'REQUEST_REJECTED')
      // sequence 0 is free again: the next transaction takes it
      const c = await cosmos.submit(send(3))
      expect(c.summary.sequence).toBe('0')
      await w.bob.approveAction({ actionId: c.actionId! })
      await w.bob.approveAction({ actionId: b.actionId! })
      const rc = await cosmos.resume({ requestId: c.requestId })
      const rb = await cosmos.resume({ requestId: b.requestId })
      expect(rc.receipt?.code).toBe(0)
      expect(rb.receipt?.code).toBe(0)
      expect(chain.sequenceOf(cosmos.address)).toBe(2)
      expect(chain.balance(recipient, 'uatom')).toBe(5n)
      expect(chain.refused).toEqual([])
    } finally {
      stopBob = w.bobApprovesAll()
    }
  }, 60_000)

  it('relays any message of a cosmjs registry: a CosmWasm MsgExecuteContract from a custom registry', async () => {
    const registry = new Registry([...defaultRegistryTypes, ['/cosmwasm.wasm.v1.MsgExecuteContract', MsgExecuteContract]])
    const { chain, cosmos } = await setup({ registry })
    const contract = toBech32(prefix, new Uint8Array(32).fill(3))
    const msg = { typeUrl: '/cosmwasm.wasm.v1.MsgExecuteContract', value: MsgExecuteContract.fromPartial({ sender: cosmos.address, contract, msg: new TextEncoder().encode('{"increment":{}}'), funds: [] }) }
    const result = await cosmos.signAndBroadcast({ messages: [msg], memo: 'wasm' })
    expect(result.receipt?.code).toBe(0)
    const v = await verifyTxOffline(result.txBytes, { chainId, accountNumber: chain.accountNumberOf(cosmos.address)!, prefix })
    expect(v.valid).toBe(true)
    expect(messageSigners(v.decoded, registry)).toEqual([cosmos.address])
    const decoded = registry.decode(v.decoded.body.messages[0]!) as MsgExecuteContract
    expect(decoded.contract).toBe(contract)
    expect(new TextDecoder().decode(decoded.msg)).toBe('{"increment":{}}')
    // the default registry does not know it: a typed error before anything is requested
    const plain = await createCosmosRelayer({ client: w.alice, keyId: key.id, prefix, chain, gasPrice: '0.005uatom' })
    const before = await requestCount()
    const e = await expectZrError(plain.signAndBroadcast({ messages: [msg] }), 'INVALID_INPUT')
    expect(e.details).toContain('/cosmwasm.wasm.v1.MsgExecuteContract')
    expect(await requestCount()).toBe(before)
  }, 60_000)

  it('SigningStargateClient with the relayer’s signer builds a TxRaw that the stand-in chain accepts', async () => {
    const { chain, cosmos } = await setup()
    const stargate = await SigningStargateClient.offline(cosmos.signer)
    const account = (await chain.getAccount(cosmos.address))!
    const send: MsgSendEncodeObject = { typeUrl: '/cosmos.bank.v1beta1.MsgSend', value: { fromAddress: cosmos.address, toAddress: recipient, amount: coins(777, 'uatom') } }
    const txRaw = await stargate.sign(cosmos.address, [send], calculateFee(100_000, '0.005uatom'), 'via cosmjs', { accountNumber: account.accountNumber, sequence: account.sequence, chainId })
    const txBytes = TxRaw.encode(txRaw).finish()
    expect(await chain.broadcastTx(txBytes)).toEqual({ code: 0 })
    chain.produceBlock()
    expect(chain.balance(recipient, 'uatom')).toBe(777n)
    // the signer's relay is in the journal as signed; recover() finds it in a block and does not send it again
    const calls = chain.broadcastCalls
    const recovered = await cosmos.recover()
    expect(recovered.finished.map((r) => r.txid)).toEqual([toHex(sha256(txBytes)).toUpperCase()])
    expect(recovered.finished[0]!.receipt?.code).toBe(0)
    expect(chain.broadcastCalls).toBe(calls)
    expect(chain.accepted).toHaveLength(1)
  }, 60_000)

  it('the stand-in chain refuses what a node would: wrong chain id, wrong account number, tampered memo, wrong sequence', async () => {
    const { chain, cosmos } = await setup()
    const accountNumber = chain.accountNumberOf(cosmos.address)!
    const send: MsgSendEncodeObject = { typeUrl: '/cosmos.bank.v1beta1.MsgSend', value: { fromAddress: cosmos.address, toAddress: recipient, amount: coins(10, 'uatom') } }
    const offline = (id: string) => createCosmosRelayer({ client: w.alice, keyId: key.id, path: cosmos.path, prefix, chainId: id, gasPrice: '0.005uatom' })

    const wrongChain = await (await offline('cosmoshub-4')).sign({ messages: [send], accountNumber, sequence: 0, gas: 90_000 })
    const wrongAccount = await (await offline(chainId)).sign({ messages: [send], accountNumber: accountNumber + 1n, sequence: 0, gas: 90_000 })
    const good = await (await offline(chainId)).sign({ messages: [send], memo: 'pay 10', accountNumber, sequence: 0, gas: 90_000 })
    const raw = TxRaw.decode(good.txBytes)
    const tampered = TxRaw.encode({ ...raw, bodyBytes: TxBody.encode({ ...TxBody.decode(raw.bodyBytes), memo: 'pay 1000' }).finish() }).finish()
    const wrongSequence = await (await offline(chainId)).sign({ messages: [send], accountNumber, sequence: 5, gas: 90_000 })

    for (const [what, tx, code] of [
      ['wrong chain id', wrongChain.txBytes, 4],
      ['wrong account number', wrongAccount.txBytes, 4],
      ['tampered memo', tampered, 4],
      ['wrong sequence', wrongSequence.txBytes, 32],
    ] as const) {
      expect((await chain.broadcastTx(tx)).code, what).toBe(code)
    }
    expect(chain.accepted).toHaveLength(0)
    expect(chain.sequenceOf(cosmos.address)).toBe(0)
    // and the untampered one goes through
    expect(await chain.broadcastTx(good.txBytes)).toEqual({ code: 0 })

    // Through the pipeline: a refusal is BROADCAST_FAILED with the node's code, and the relay stays resumable.
    const stale = await cosmos.submit({ messages: [send], gas: 90_000, sequence: 0 })
    const e = await expectZrError(cosmos.resume({ requestId: stale.requestId }), 'BROADCAST_FAILED')
    expect(e.meta.code).toBe(32)
    expect(e.details).toContain('account sequence mismatch')
    expect((await cosmos.relayer.getRelay({ requestId: stale.requestId })).status).toBe('signed')
  }, 60_000)

  it('resumes after a crash between signing and broadcasting, and broadcasts each transaction once', async () => {
    const journal = memoryRelayJournal()
    const { chain, cosmos } = await setup({ journal })
    const signed = await cosmos.sign({ messages: [{ typeUrl: '/cosmos.bank.v1beta1.MsgSend', value: { fromAddress: cosmos.address, toAddress: recipient, amount: coins(3, 'uatom') } }] })
    expect(chain.broadcastCalls).toBe(0)
    // "restart": a new relayer on the same journal and chain
    const again = await createCosmosRelayer({ client: w.alice, keyId: key.id, path: cosmos.path, prefix, chain, gasPrice: '0.005uatom', pollIntervalMs: 5, journal })
    const first = await again.recover()
    expect(first.finished.map((r) => r.requestId)).toEqual([signed.requestId])
    expect(first.finished[0]!.receipt?.code).toBe(0)
    expect(chain.broadcastCalls).toBe(1)
    // resuming a confirmed relay asks the chain, which has it: nothing is sent again
    const resumed = await again.resume({ requestId: signed.requestId })
    expect(resumed.transactionHash).toBe(signed.transactionHash)
    expect(chain.broadcastCalls).toBe(1)
    // the adapter's broadcast is idempotent: the node already has it
    await again.relayer.adapter.broadcast({ signedTx: toHex(signed.txBytes), txid: signed.transactionHash })
    expect(chain.accepted).toHaveLength(1)
    expect(chain.balance(recipient, 'uatom')).toBe(3n)
  }, 60_000)

  it('refuses bad input with typed errors, before any signature request, holding no sequence', async () => {
    const { chain, cosmos } = await setup()
    const before = await requestCount()
    const send = (p: Parameters<CosmosRelayer['sendTokens']>[0]) => expectZrError(cosmos.sendTokens(p), p.to === recipient ? 'INVALID_INPUT' : 'INVALID_ADDRESS')
    expect((await send({ to: toBech32('osmo', new Uint8Array(20).fill(9)), amount: coins(1, 'uatom') })).details).toContain('expected prefix "cosmos"')
    expect((await send({ to: 'cosmos1notbech32', amount: coins(1, 'uatom') })).details).toContain('bech32')
    expect((await send({ to: recipient, amount: coins(0, 'uatom') })).details).toContain('positive')
    expect((await send({ to: recipient, amount: [] })).details).toContain('at least one coin')
    expect((await send({ to: recipient, amount: [{ denom: 'uatom', amount: '1.5' }] })).details).toContain('amount[0].amount')
    expect((await send({ to: recipient, amount: coins(1, 'uatom'), gas: -1 })).details).toContain('gas: expected a positive integer')
    expect((await send({ to: recipient, amount: coins(1, 'uatom'), gasPrice: 'cheap' })).details).toContain('0.025uatom')
    expect((await expectZrError(cosmos.signAndBroadcast({ messages: [] }), 'INVALID_INPUT')).details).toContain('messages')
    const noPrice = await createCosmosRelayer({ client: w.alice, keyId: key.id, path: cosmos.path, prefix, chain })
    expect((await expectZrError(noPrice.sendTokens({ to: recipient, amount: coins(1, 'uatom') }), 'INVALID_INPUT')).details).toContain('gasPrice')
    expect(await requestCount()).toBe(before)
    // nothing was held: the next transaction takes sequence 0
    expect((await cosmos.submit({ messages: [{ typeUrl: '/cosmos.bank.v1beta1.MsgSend', value: { fromAddress: cosmos.address, toAddress: recipient, amount: coins(1, 'uatom') } }], gas: 90_000 })).summary.sequence).toBe('0')
    expect(chain.broadcastCalls).toBe(0)
  }, 60_000)

  it('an account the chain has never seen is PREPARE_FAILED; a chain id that disagrees with the node is CHAIN_ID_MISMATCH', async () => {
    const { cosmos } = await setup({ fund: false })
    const before = await requestCount()
    const e = await expectZrError(cosmos.sendTokens({ to: recipient, amount: coins(1, 'uatom') }), 'PREPARE_FAILED')
    expect(e.details).toContain(cosmos.address)
    expect(await requestCount()).toBe(before)
    const chain = fakeCosmosChain({ chainId, prefix })
    const m = await expectZrError(createCosmosRelayer({ client: w.alice, keyId: key.id, prefix, chain, chainId: 'cosmoshub-4' }), 'CHAIN_ID_MISMATCH')
    expect(m.details).toContain('"provider"')
    // the adapter checks the node too, before its first transaction
    const adapter = cosmosAdapter({ chainId: 'cosmoshub-4', prefix, chain, gasPrice: '0.005uatom' })
    await expectZrError(adapter.prepare({ messages: [{ typeUrl: '/cosmos.bank.v1beta1.MsgSend', value: {} }], gas: 1 }, { keyId: key.id, keyType: 'ecdsa-secp256k1', publicKey: key.publicKey }), 'CHAIN_ID_MISMATCH')
  }, 60_000)
})
