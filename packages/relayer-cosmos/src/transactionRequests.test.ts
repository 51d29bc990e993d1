/**
 * Cosmos relays as sign-transaction requests: the adapter hands the ledger the SIGN_MODE_DIRECT SignDoc
 * bytes, and a ledger that runs the Cosmos decoder (`cosmos@1`) reads them, computes the payload itself
 * and judges the transaction under the workspace's sign policy
 *
 *   tx.token == atom && tx.amount <= 1 atom && any(1, [alice, bob]) || all([alice, bob])
 *
 * (`atom` is a workspace token: the denom `uatom` with 6 decimals, since the decoder knows no native coin).
 * A ledger without the decoder gets the payload alone, which such a policy cannot judge.
 *
 * THE COSMOS CHAIN HERE IS SIMULATED, because no Cosmos node runs on this machine (zenrockd cannot be
 * built here: its Go module is not served). As in createCosmosRelayer.test.ts, the chain is the stand-in
 * `fakeCosmosChain` of `@zrkit/testkit/cosmos`: it serves account numbers and sequences and, on every
 * broadcast, runs the checks a node's ante handler runs (the signature over the SignDoc rebuilt with its
 * own chain id and the account's number, verified by cosmjs's `Secp256k1` and noble; sequence; signer
 * address; fee), then puts the transaction in a block. Every signed transaction is also verified here with
 * `verifyTxOffline` (cosmjs and noble, independently of the relayer's code). The ledger, the policy, the
 * decoder and the keyrings are the real ones: a 2-of-3 threshold ECDSA federation (DKLs23) for the end-to-end
 * flow, a local keyring for the quick checks of which request is made.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { ripemd160, sha256 } from '@cosmjs/crypto'
import { toBech32 } from '@cosmjs/encoding'
import { type EncodeObject, makeAuthInfoBytes, makeSignDoc, encodePubkey } from '@cosmjs/proto-signing'
import { encodeSecp256k1Pubkey } from '@cosmjs/amino'
import { type MsgSendEncodeObject, SigningStargateClient, calculateFee, coins } from '@cosmjs/stargate'
import { MsgSend } from 'cosmjs-types/cosmos/bank/v1beta1/tx'
import { MsgExec } from 'cosmjs-types/cosmos/authz/v1beta1/tx'
import { TxRaw } from 'cosmjs-types/cosmos/tx/v1beta1/tx'
import {
  type Key,
  type KeyType,
  type RelayEvent,
  type RelaySigner,
  type ZrClient,
  createRelayer,
  isZrError,
  toBytes,
  toHex,
} from '@zrkit/core'
import { expectZrError, localKeyringWorld } from '@zrkit/testkit'
import { type FakeChain, fakeCosmosChain, verifyTxOffline } from '@zrkit/testkit/cosmos'
import { type FederationWorld, federationWorld } from '@zrkit/testkit/mpc'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type CosmosTxIntent, cosmosAdapter } from './cosmosAdapter.js'
import { type CosmosRelayer, type CreateCosmosRelayerParameters, createCosmosRelayer } from './createCosmosRelayer.js'
import { cosmosTransactionDecoder } from './decoder/index.js'

const chainId = 'zrkit-cosmos-tx'
const prefix = 'cosmos'
const network = `cosmos:${chainId}`
const POLICY = 'tx.token == atom && tx.amount <= 1 atom && any(1, [alice, bob]) || all([alice, bob])'
const ATOM = { chain: 'cosmos', asset: 'uatom', decimals: 6 }
const MSG_EXEC = '/cosmos.authz.v1beta1.MsgExec'
const fee = calculateFee(90_000, '0.025uatom') // 2250uatom
const recipientOf = (n: number) => toBech32(prefix, new Uint8Array(20).fill(n))

function send(from: string, to: string, uatom: number): MsgSendEncodeObject {
  return { typeUrl: '/cosmos.bank.v1beta1.MsgSend', value: { fromAddress: from, toAddress: to, amount: coins(uatom, 'uatom') } }
}

/** An authz `MsgExec` whose one inner message is a bank send out of `from`: the decoder sees only the MsgExec. */
function hiddenSend(from: string, to: string, uatom: number): EncodeObject {
  const inner = { typeUrl: '/cosmos.bank.v1beta1.MsgSend', value: MsgSend.encode(MsgSend.fromPartial({ fromAddress: from, toAddress: to, amount: coins(uatom, 'uatom') })).finish() }
  return { typeUrl: MSG_EXEC, value: MsgExec.fromPartial({ grantee: from, msgs: [inner] }) }
}

const hex = (items: readonly Uint8Array[]) => items.map((p) => toHex(p))

describe("the adapter's prepare gives the SignDoc bytes the ledger's decoder reads", () => {
  const secret = secp256k1.utils.randomSecretKey()
  const publicKey = secp256k1.getPublicKey(secret, true)
  const from = toBech32(prefix, ripemd160(sha256(publicKey)))
  const signer: RelaySigner = { keyId: 1, keyType: 'ecdsa-secp256k1', publicKey }
  const decoder = cosmosTransactionDecoder()

  it('messages or a ready sign doc: chain cosmos, network cosmos:<chain id>, the sign bytes of unsignedTx; the decoder gives the same payload', async () => {
    const adapter = cosmosAdapter({ chainId, prefix })
    const prepared = await adapter.prepare({ messages: [send(from, recipientOf(1), 1500)], memo: 'rent', accountNumber: 9n, sequence: 4, fee }, signer)
    expect(prepared.transaction).toBeDefined()
    const { chain, unsignedTransaction, network: named } = prepared.transaction!
    expect({ chain, network: named }).toEqual({ chain: 'cosmos', network })
    expect(toHex(unsignedTransaction)).toBe(prepared.unsignedTx)
    // the decoder, given what the ledger is given, computes the adapter's payload: sha256 of the sign bytes (cosmjs's sha256)
    const decoded = decoder.decode({ unsignedTransaction, keyType: 'ecdsa-secp256k1', publicKey, taproot: false, network })
    expect(hex(decoded.payloads)).toEqual(hex(prepared.payloads))
    expect(hex(decoded.payloads)).toEqual([toHex(sha256(unsignedTransaction))])
    expect(decoded.transaction).toMatchObject({ network, format: 'sign-doc', from, transfers: [{ kind: 'transfer', asset: 'uatom', to: recipientOf(1), amount: 1500n }], calls: [], fee: 2250n, feeAsset: 'uatom' })
    expect(decoded.transaction.fields).toMatchObject({ chainId, accountNumber: '9', sequence: '4', gasLimit: '90000', memo: 'rent' })

    // a sign doc built by cosmjs (what SigningStargateClient hands the signer) is passed on as it is
    const authInfoBytes = makeAuthInfoBytes([{ pubkey: encodePubkey(encodeSecp256k1Pubkey(publicKey)), sequence: 5 }], fee.amount, 90_000, undefined, undefined)
    const bodyBytes = adapter.registry.encodeTxBody({ messages: [send(from, recipientOf(2), 7)], memo: '' })
    const fromCosmjs = await adapter.prepare({ signDoc: makeSignDoc(bodyBytes, authInfoBytes, chainId, 9n) }, signer)
    const again = decoder.decode({ unsignedTransaction: fromCosmjs.transaction!.unsignedTransaction, keyType: 'ecdsa-secp256k1', publicKey, taproot: false })
    expect(hex(again.payloads)).toEqual(hex(fromCosmjs.payloads))
    expect(again.transaction.transfers).toEqual([{ kind: 'transfer', asset: 'uatom', to: recipientOf(2), amount: 7n }])
  })

  it('a key the decoder does not read (bitcoin-secp256k1) gets the payload alone', async () => {
    const prepared = await cosmosAdapter({ chainId, prefix }).prepare({ messages: [send(from, recipientOf(1), 1)], accountNumber: 1n, sequence: 0, fee }, { ...signer, keyType: 'bitcoin-secp256k1' })
    expect(prepared.transaction).toBeUndefined()
    expect(prepared.payloads).toHaveLength(1)
  })
})

/** An embedded ledger (with or without the Cosmos decoder), Alice and Bob under {@link POLICY}, a one-party local keyring. */
async function quickWorld(decoders: boolean) {
  const w = await localKeyringWorld({ chainId: `zrkit-cosmos-kind-${decoders}`, signPolicy: POLICY, ...(decoders ? { transactionDecoders: [cosmosTransactionDecoder()] } : {}) })
  if (decoders) await setAtom(w.alice, w.bob, w.workspace)
  return {
    alice: w.alice,
    bob: w.bob,
    /** A relayer without a chain (it signs offline) on Alice's key of `keyType`. */
    relayer: async (options: Partial<CreateCosmosRelayerParameters> = {}, keyType: KeyType = 'ecdsa-secp256k1') =>
      createCosmosRelayer({ client: w.alice, keyId: (await w.key(keyType)).id, prefix, chainId, gasPrice: '0.025uatom', ...options }),
    close: () => w.close(),
  }
}

/** Names the token `atom` (uatom, 6 decimals) for the workspace's policies; Bob approves when the admin policy asks him. */
async function setAtom(alice: ZrClient, bob: ZrClient, workspace: string) {
  const change = await alice.setWorkspaceToken({ workspace, name: 'atom', token: ATOM })
  if (change.status === 'pending') await bob.approveAction({ actionId: change.actionId! })
  expect((await alice.getWorkspace({ address: workspace })).tokens).toEqual({ atom: ATOM })
}

describe('which request a Cosmos relay makes (a local keyring: quick)', () => {
  const worlds: { close(): Promise<void> }[] = []
  afterEach(async () => {
    for (const w of worlds.splice(0)) await w.close()
  })
  const world = async (decoders: boolean) => {
    const w = await quickWorld(decoders)
    worlds.push(w)
    return w
  }

  it('on a ledger that runs the decoder: a sign-transaction request; the payload the ledger computes is the adapter\'s; a small atom send goes on Alice alone', async () => {
    const w = await world(true)
    const cosmos = await w.relayer()
    const signed = await cosmos.sign({ messages: [send(cosmos.address, recipientOf(3), 250_000)], accountNumber: 3n, sequence: 0, gas: 90_000, timeoutMs: 10_000 })
    const record = await cosmos.relayer.getRelay({ requestId: signed.requestId })
    expect(record.requestKind).toBe('transaction')
    const request = await w.alice.getSignRequest({ id: signed.requestId })
    expect(request.actionId).toBeUndefined() // no approval needed: the small-atom clause held at once
    expect(request.transaction!.chain).toBe('cosmos')
    expect(toHex(request.transaction!.unsignedTransaction)).toBe(record.unsignedTx)
    expect(hex(request.payloads)).toEqual(hex(record.payloads))
    expect(request.transaction!.decoded.transfers).toEqual([{ kind: 'transfer', asset: 'uatom', to: recipientOf(3), amount: 250_000n }])
    expect(request.transaction!.conditions).toEqual([
      { condition: 'tx.token == atom', holds: true, why: 'moves atom' },
      { condition: 'tx.amount <= 1 atom', holds: true, why: 'moves 0.25 atom' },
    ])
    const v = await verifyTxOffline(signed.txBytes, { chainId, accountNumber: 3n, prefix })
    expect(v.problems).toEqual([])
    expect(v.address).toBe(cosmos.address)
  })

  it('on a ledger without the decoder, or with requestKind payloads: the payload alone, which the policy cannot judge (it waits for both)', async () => {
    const plain = await world(false)
    const opaque = await plain.relayer()
    const a = await opaque.submit({ messages: [send(opaque.address, recipientOf(3), 1)], accountNumber: 3n, sequence: 0, gas: 90_000 })
    expect(a).toMatchObject({ requestKind: 'payloads', status: 'partial' })
    expect((await plain.alice.getSignRequest({ id: a.requestId })).transaction).toBeUndefined()
    const action = await plain.bob.getAction({ id: a.actionId! })
    expect(action.conditions?.map((c) => [c.holds, c.why])).toEqual([
      [false, 'the request carries no transaction, only raw payloads'],
      [false, 'the request carries no transaction, only raw payloads'],
    ])

    const w = await world(true)
    const payloads = await w.relayer({ requestKind: 'payloads' })
    const b = await payloads.submit({ messages: [send(payloads.address, recipientOf(3), 1)], accountNumber: 3n, sequence: 0, gas: 90_000 })
    expect(b).toMatchObject({ requestKind: 'payloads', status: 'partial' })
    // a key the decoder does not read: payloads, even on this ledger
    const btcKey = await w.relayer({}, 'bitcoin-secp256k1')
    const c = await btcKey.submit({ messages: [send(btcKey.address, recipientOf(3), 1)], accountNumber: 3n, sequence: 0, gas: 90_000 })
    expect(c.requestKind).toBe('payloads')
  })

  it("requestKind 'transaction' where the ledger cannot decode it is refused before anything is prepared or requested; a bad requestKind is INVALID_INPUT", async () => {
    const plain = await world(false)
    const cosmos = await plain.relayer({ requestKind: 'transaction' })
    const before = (await plain.alice.listSignRequests({ limit: 1000 })).items.length
    const e = await expectZrError(cosmos.submit({ messages: [send(cosmos.address, recipientOf(3), 1)], accountNumber: 3n, sequence: 0, gas: 90_000 }), 'UNSUPPORTED_CHAIN', "requestKind 'transaction': expected a ledger that decodes cosmos transactions")
    expect(e.context).toEqual({ chain: 'cosmos', available: [] })
    expect((await plain.alice.listSignRequests({ limit: 1000 })).items).toHaveLength(before)
    expect(await cosmos.relayer.journal.list()).toEqual([])
    // the same through the cosmjs signer
    const stargate = await SigningStargateClient.offline(cosmos.signer)
    await expectZrError(stargate.sign(cosmos.address, [send(cosmos.address, recipientOf(3), 1)], fee, '', { accountNumber: 3n, sequence: 0, chainId }), 'UNSUPPORTED_CHAIN')
    expect(await cosmos.relayer.journal.list()).toEqual([])

    const w = await world(true)
    const btcKey = await w.relayer({ requestKind: 'transaction' }, 'bitcoin-secp256k1')
    // the decoder reads ecdsa-secp256k1 accounts only: the adapter gives no transaction for this key
    await expectZrError(btcKey.submit({ messages: [send(btcKey.address, recipientOf(3), 1)], accountNumber: 3n, sequence: 0, gas: 90_000 }), 'UNSUPPORTED_CHAIN', 'got payloads only')
    expect(await btcKey.relayer.journal.list()).toEqual([])
    await expectZrError(w.relayer({ requestKind: 'always' as never }), 'INVALID_INPUT', "expected 'auto', 'transaction' or 'payloads', got")
  })

  it('the cosmjs signer (signDirect) goes through the same pipeline: a sign-transaction request on a ledger with the decoder, the payload alone without', async () => {
    for (const decoders of [true, false]) {
      const w = await world(decoders)
      const events: RelayEvent[] = []
      const cosmos = await w.relayer({ onEvent: (e) => events.push(e), signer: { approvals: 'fail' } })
      const stargate = await SigningStargateClient.offline(cosmos.signer)
      const signing = stargate.sign(cosmos.address, [send(cosmos.address, recipientOf(4), 900_000)], fee, 'via cosmjs', { accountNumber: 12n, sequence: 2, chainId })
      if (!decoders) {
        // opaque to the policy: it waits for Bob
        const e = await expectZrError(signing, 'APPROVAL_PENDING')
        if (!isZrError(e, 'APPROVAL_PENDING')) throw e
        expect((await w.alice.getSignRequest({ id: e.context.requestId })).transaction).toBeUndefined()
        expect(events.find((x) => x.type === 'requested')).toMatchObject({ requestKind: 'payloads', status: 'partial' })
        continue
      }
      const txRaw = await signing
      expect(events.find((x) => x.type === 'requested')).toMatchObject({ requestKind: 'transaction', status: 'pending' })
      const v = await verifyTxOffline(TxRaw.encode(txRaw).finish(), { chainId, accountNumber: 12n, prefix })
      expect(v.problems).toEqual([])
      expect(v.decoded.body.memo).toBe('via cosmjs')
    }
  })
})

describe('end to end: a 2-of-3 federation, the atom policy, the simulated Cosmos chain', () => {
  let w: FederationWorld
  let key: Key
  let paths = 0

  /** A fresh simulated chain and a relayer on a fresh child key of the federation's key (its own address), funded. */
  async function setup(options: Partial<CreateCosmosRelayerParameters> = {}): Promise<{ chain: FakeChain; cosmos: CosmosRelayer; accountNumber: bigint }> {
    const chain = fakeCosmosChain({ chainId, prefix, minGasPrice: '0.005uatom' })
    const cosmos = await createCosmosRelayer({ client: w.alice, keyId: key.id, path: `tx-${++paths}`, prefix, chain, gasPrice: '0.005uatom', pollIntervalMs: 5, ...options })
    chain.fund(cosmos.address, coins(10_000_000, 'uatom'))
    return { chain, cosmos, accountNumber: chain.accountNumberOf(cosmos.address)! }
  }

  beforeAll(async () => {
    w = await federationWorld({
      chainId: 'zrkit-cosmos-transactions',
      description: 'Cosmos transactions DKLs23 2-of-3',
      attemptTimeoutMs: 5_000,
      dkgTimeoutMs: 30_000,
      pollIntervalMs: 50,
      transactionDecoders: [cosmosTransactionDecoder()],
      signPolicy: POLICY,
    })
    await setAtom(w.alice, w.bob, w.workspace)
    key = await w.createKey('ecdsa-secp256k1')
  }, 120_000)
  afterAll(async () => {
    await w?.close()
  })

  it('a small atom send goes through on Alice alone and lands; a large one waits, Bob reads what it does and why, approves, and it lands', async () => {
    const { chain, cosmos, accountNumber } = await setup()
    const to = recipientOf(5)
    const small = await cosmos.sendTokens({ to, amount: coins(400_000, 'uatom'), memo: 'small', timeoutMs: 20_000 })
    const smallRecord = await cosmos.relayer.getRelay({ requestId: small.requestId })
    expect(smallRecord).toMatchObject({ requestKind: 'transaction', status: 'confirmed' })
    const smallRequest = await w.alice.getSignRequest({ id: small.requestId })
    expect(smallRequest.actionId).toBeUndefined() // Bob was never asked
    expect(hex(smallRequest.payloads)).toEqual(hex(smallRecord.payloads)) // the ledger's payload is the adapter's
    expect(smallRequest.transaction!.decoded).toMatchObject({ network, from: cosmos.address, transfers: [{ kind: 'transfer', asset: 'uatom', to, amount: 400_000n }], fee: 490n, feeAsset: 'uatom' })
    expect(small.receipt).toMatchObject({ code: 0, transactionHash: small.transactionHash })
    const vs = await verifyTxOffline(small.txBytes, { chainId, accountNumber, prefix })
    expect(vs.problems).toEqual([])
    expect(chain.balance(to, 'uatom')).toBe(400_000n)

    const large = await cosmos.submit({ messages: [send(cosmos.address, to, 2_500_000)], memo: 'large' })
    expect(large).toMatchObject({ requestKind: 'transaction', status: 'partial' })
    const action = await w.bob.getAction({ id: large.actionId! })
    expect(action.subject).toMatchObject({ kind: 'sign-request', signRequestId: large.requestId, transaction: { chain: 'cosmos', network, from: cosmos.address, transfers: [{ kind: 'transfer', asset: 'uatom', to, amount: 2_500_000n }], calls: [] } })
    expect(action.subject.kind === 'sign-request' && action.subject.transaction?.fields).toMatchObject({ memo: 'large', sequence: '1' })
    expect(action.conditions).toEqual([
      { condition: 'tx.token == atom', holds: true, why: 'moves atom' },
      { condition: 'tx.amount <= 1 atom', holds: false, why: 'moves 2.5 atom' },
    ])
    const done = cosmos.resume({ requestId: large.requestId, timeoutMs: 20_000 })
    await w.bob.approveAction({ actionId: large.actionId! })
    const landed = await done
    expect(landed.receipt?.code).toBe(0)
    expect((await w.alice.getSignRequest({ id: large.requestId })).decidedBy).toContain('all([alice, bob])')
    const vl = await verifyTxOffline(landed.txBytes, { chainId, accountNumber, prefix })
    expect(vl.problems).toEqual([])
    expect(vl.sequence).toBe(1n)
    expect(chain.balance(to, 'uatom')).toBe(2_900_000n)
  }, 30_000)

  it('a MsgSend hidden in an authz MsgExec is a call the decoder cannot read: even 1 uatom needs Bob', async () => {
    const { cosmos, accountNumber } = await setup()
    const hidden = await cosmos.submit({ messages: [hiddenSend(cosmos.address, recipientOf(6), 1)], gas: 120_000 })
    expect(hidden).toMatchObject({ requestKind: 'transaction', status: 'partial' })
    const action = await w.bob.getAction({ id: hidden.actionId! })
    expect(action.subject).toMatchObject({ kind: 'sign-request', transaction: { transfers: [], calls: [{ to: MSG_EXEC, value: 0n }] } })
    expect(action.conditions).toEqual([
      { condition: 'tx.token == atom', holds: false, why: 'not a movement of one token alone: it moves 1 call(s) the decoder cannot read' },
      { condition: 'tx.amount <= 1 atom', holds: false, why: 'not a movement of one token alone: it moves 1 call(s) the decoder cannot read' },
    ])
    await w.bob.approveAction({ actionId: hidden.actionId! })
    // Signed, and verified offline by cosmjs and noble; not broadcast: the stand-in chain runs bank sends only and
    // finds each message's signer by its usual field, which a MsgExec (its grantee) does not have.
    const signed = await cosmos.relayer.sign({ requestId: hidden.requestId, timeoutMs: 20_000 })
    const v = await verifyTxOffline(toBytes(signed.signedTx, 'signed transaction'), { chainId, accountNumber, prefix })
    expect(v.problems).toEqual([])
    expect(v.decoded.body.messages.map((m) => m.typeUrl)).toEqual([MSG_EXEC])
  }, 30_000)

  it('the cosmjs signer: a small send is a sign-transaction request that goes on Alice alone and the chain accepts; a large one waits for Bob, then lands', async () => {
    const events: RelayEvent[] = []
    const { chain, cosmos, accountNumber } = await setup({ onEvent: (e) => events.push(e) })
    const to = recipientOf(7)
    const stargate = await SigningStargateClient.offline(cosmos.signer)
    const txRaw = await stargate.sign(cosmos.address, [send(cosmos.address, to, 1_000_000)], calculateFee(100_000, '0.005uatom'), 'via cosmjs', { accountNumber, sequence: chain.sequenceOf(cosmos.address)!, chainId })
    expect(events.find((e) => e.type === 'requested')).toMatchObject({ requestKind: 'transaction', status: 'pending' })
    const txBytes = TxRaw.encode(txRaw).finish()
    expect((await verifyTxOffline(txBytes, { chainId, accountNumber, prefix })).problems).toEqual([])
    expect(await chain.broadcastTx(txBytes)).toEqual({ code: 0 })
    chain.produceBlock()
    expect(chain.balance(to, 'uatom')).toBe(1_000_000n)

    const waiting = await SigningStargateClient.offline(cosmos.toSigner({ approvals: 'fail' }))
    const e = await expectZrError(waiting.sign(cosmos.address, [send(cosmos.address, to, 1_000_001)], calculateFee(100_000, '0.005uatom'), '', { accountNumber, sequence: chain.sequenceOf(cosmos.address)!, chainId }), 'APPROVAL_PENDING')
    if (!isZrError(e, 'APPROVAL_PENDING')) throw e
    const requestId = e.context.requestId
    const request = await w.alice.getSignRequest({ id: requestId })
    expect(request.transaction!.conditions.map((c) => c.why)).toEqual(['moves atom', 'moves 1.000001 atom'])
    await w.bob.approveAction({ actionId: request.actionId! })
    const landed = await cosmos.resume({ requestId, timeoutMs: 20_000 })
    expect(landed.receipt?.code).toBe(0)
    expect((await verifyTxOffline(landed.txBytes, { chainId, accountNumber, prefix })).problems).toEqual([])
    expect(chain.balance(to, 'uatom')).toBe(2_000_001n)
  }, 30_000)

  it('an adapter that shows the ledger a small send but has the key sign a large one is caught (RELAY_MISMATCH); nothing is assembled', async () => {
    const { cosmos } = await setup()
    const honest = cosmos.relayer.adapter
    const lying = createRelayer({
      client: w.alice,
      adapter: {
        ...honest,
        async prepare(intent: CosmosTxIntent, signer: RelaySigner) {
          const large = await honest.prepare(intent, signer)
          const small = await honest.prepare({ messages: [send(cosmos.address, recipientOf(8), 1)], gas: 90_000, sequence: 0 }, signer)
          return { ...large, transaction: small.transaction! }
        },
      },
    })
    const e = await expectZrError(lying.submit({ keyId: key.id, path: cosmos.path!, intent: { messages: [send(cosmos.address, recipientOf(8), 9_000_000)], gas: 90_000, sequence: 0 } }), 'RELAY_MISMATCH', "the ledger's cosmos decoder gives 1 payload(s) that differ from the 1 of the cosmos:zrkit-cosmos-tx adapter")
    const [record] = await lying.journal.list()
    expect(record).toMatchObject({ status: 'abandoned', reason: 'the ledger refused the signature request: RELAY_MISMATCH' })
    expect(record!.signedTx).toBeUndefined()
    // the ledger made the request (of the small send it was shown); the relayer refuses to go on with it
    expect(isZrError(e, 'RELAY_MISMATCH') && e.context.requestId).toBeGreaterThan(0)
  }, 30_000)
})
