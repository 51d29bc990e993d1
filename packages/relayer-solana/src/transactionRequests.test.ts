import { ed25519 } from '@noble/curves/ed25519.js'
import { type Key, type ZrClient, isZrError, } from '@zrkit/core'
import { expectZrError, localKeyringWorld } from '@zrkit/testkit'
import { base58, base64 } from '@scure/base'
import { Keypair, PublicKey, SystemProgram, Transaction, TransactionMessage, VersionedTransaction } from '@solana/web3.js'
import { afterEach, describe, expect, it } from 'vitest'
import { createSolanaRelayer } from './createSolanaRelayer.js'
import { solanaTransactionDecoder } from './decoder/solanaTransactionDecoder.js'
import { ledgerTransaction, solanaNetworkName } from './ledgerTransaction.js'
import type { SolanaNetwork } from './network.js'
import { solanaAdapter } from './solanaAdapter.js'
import { solanaChainId, solanaChains } from './solanaChains.js'

/*
 * Which request the Solana relayer and its host signer make: a sign-transaction request when the ledger
 * runs the Solana decoder (the ledger reads the message and computes the payload itself), else the payloads
 * alone. The keyring is core's local one and the network a stand-in written here (it checks every signature
 * with noble and says "finalized" for what it accepted): the real SVM runs in test/transactions/solana.test.ts.
 */

const DEVNET_GENESIS = 'EtWTRABZaYq6iMfeYKouRu166VU2xqa1wcaWoxPkrZBG'
const fast = { pollIntervalMs: 5, resendIntervalMs: 20, confirmTimeoutMs: 5_000 }

/** A stand-in cluster with the devnet genesis hash: one blockhash, and a transaction lands when every signature verifies. */
function standInNetwork(): SolanaNetwork & { readonly blockhash: string } {
  const blockhash = base58.encode(crypto.getRandomValues(new Uint8Array(32)))
  const landed = new Set<string>()
  return {
    name: 'stand-in',
    blockhash,
    getGenesisHash: async () => DEVNET_GENESIS,
    getLatestBlockhash: async () => ({ blockhash, lastValidBlockHeight: 1_000 }),
    isBlockhashValid: async (b) => b === blockhash,
    getSlot: async () => 1,
    getAccountInfo: async () => null,
    getMinimumBalanceForRentExemption: async () => 890_880,
    async sendRawTransaction(wire) {
      const tx = VersionedTransaction.deserialize(wire)
      const message = tx.message.serialize()
      tx.message.staticAccountKeys.slice(0, tx.message.header.numRequiredSignatures).forEach((signer, i) => {
        if (!ed25519.verify(tx.signatures[i]!, message, signer.toBytes(), { zip215: false })) throw new Error(`signature of ${signer.toBase58()} does not verify`)
      })
      landed.add(base58.encode(tx.signatures[0]!))
    },
    getSignatureStatus: async (signature) => (landed.has(signature) ? { slot: 1, confirmationStatus: 'finalized' as const, err: null } : null),
  }
}

/** The APPROVAL_PENDING error a signer throws with `approvals: 'fail'` (details matching `details`). */
async function pending(p: Promise<unknown>, details?: RegExp) {
  const e = await expectZrError(p, 'APPROVAL_PENDING', details)
  if (!isZrError(e, 'APPROVAL_PENDING')) throw e
  return e
}

const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {})
})

/** A ledger (running the Solana decoder or not), Alice and Bob under `tx.value <= 0.01 sol && any(1, [alice, bob]) || all([alice, bob])` (without the decoder `all([alice, bob])`), an ed25519 key of a local keyring. */
async function world(decoder: boolean): Promise<{ alice: ZrClient; bob: ZrClient; key: Key; requests: () => Promise<number> }> {
  const w = await localKeyringWorld({
    chainId: 'zrkit-solana-requests',
    signPolicy: 'tx.value <= 0.01 sol && any(1, [alice, bob]) || all([alice, bob])',
    transactionDecoders: [solanaTransactionDecoder()],
    decode: decoder,
  })
  cleanup.push(() => w.close())
  const key = await w.key('eddsa-ed25519')
  return { alice: w.alice, bob: w.bob, key, requests: async () => (await w.alice.listSignRequests({ keyId: key.id, limit: 1000 })).items.length }
}

describe('the adapter gives the ledger the message it signs', () => {
  it('the message bytes, which are the payload, and the cluster as the decoder names it', async () => {
    const network = standInNetwork()
    const key = Keypair.generate().publicKey
    const adapter = solanaAdapter({ network, chain: solanaChains.devnet })
    const to = Keypair.generate().publicKey
    const prepared = await adapter.prepare({ instructions: [SystemProgram.transfer({ fromPubkey: key, toPubkey: to, lamports: 5_000_000 })] }, { keyId: 1, keyType: 'eddsa-ed25519', publicKey: key.toBytes() })
    expect(prepared.transaction).toEqual({ chain: 'solana', unsignedTransaction: prepared.payloads[0], network: 'devnet' })
    // what the ledger's decoder reads from it
    const { payloads, transaction } = solanaTransactionDecoder().decode({ ...prepared.transaction!, keyType: 'eddsa-ed25519', publicKey: key.toBytes(), taproot: false })
    expect(payloads).toEqual(prepared.payloads)
    expect(transaction).toMatchObject({ network: 'solana:devnet', format: 'legacy', from: key.toBase58(), transfers: [{ kind: 'transfer', asset: 'native', to: to.toBase58(), amount: 5_000_000n }], calls: [] })
  })

  it('nothing for the decoder when the key signs a message another account pays for: the decoder reads only what the key pays', async () => {
    const network = standInNetwork()
    const key = Keypair.generate().publicKey
    const payer = Keypair.generate()
    const adapter = solanaAdapter({ network, chain: solanaChains.devnet })
    const prepared = await adapter.prepare(
      { instructions: [SystemProgram.transfer({ fromPubkey: key, toPubkey: payer.publicKey, lamports: 1 })], feePayer: payer.publicKey, signers: [payer] },
      { keyId: 1, keyType: 'eddsa-ed25519', publicKey: key.toBytes() },
    )
    expect(prepared.transaction).toBeUndefined()
    const offer = ledgerTransaction(prepared.payloads[0]!, key.toBytes(), solanaChains.devnet)
    expect('refusal' in offer && offer.refusal).toMatchObject({ code: 'INVALID_TRANSACTION', details: expect.stringContaining('(the key is signer 1; it signs only as fee payer)') })
  })

  it('names the public clusters by their genesis hashes, any other cluster localnet', () => {
    expect(solanaNetworkName(solanaChains.mainnet)).toBe('mainnet-beta')
    expect(solanaNetworkName(solanaChains.devnet)).toBe('devnet')
    expect(solanaNetworkName(solanaChainId(DEVNET_GENESIS))).toBe('devnet')
    expect(solanaNetworkName(solanaChains.testnet)).toBe('testnet')
    expect(solanaNetworkName(solanaChainId(base58.encode(new Uint8Array(32).fill(9))))).toBe('localnet')
  })
})

describe('relays', () => {
  it('on a ledger that runs the decoder: sign-transaction requests; a small transfer goes on alice alone, a large one waits for bob with the reason', async () => {
    const w = await world(true)
    const network = standInNetwork()
    const solana = await createSolanaRelayer({ client: w.alice, network, keyId: w.key.id, adapter: fast })
    const to = Keypair.generate().publicKey
    const small = await solana.transfer({ to, lamports: 10_000_000, timeoutMs: 10_000 })
    expect(await solana.relayer.getRelay({ requestId: small.requestId })).toMatchObject({ requestKind: 'transaction', status: 'confirmed' })
    const request = await w.alice.getSignRequest({ id: small.requestId })
    const signed = VersionedTransaction.deserialize(base64.decode(small.signedTx))
    // the ledger's payload is the message the relayer assembled with, and the chain's stand-in accepted its signature
    expect(request.payloads).toEqual([Uint8Array.from(signed.message.serialize())])
    expect(request.transaction?.decoded).toMatchObject({ chain: 'solana', network: 'solana:devnet', transfers: [{ asset: 'native', to: to.toBase58(), amount: 10_000_000n }] })
    expect(request.decidedBy).toBe('approved by the clause tx.value <= 0.01 sol && any(1, [alice, bob])')

    const big = await solana.submit({ instructions: [SystemProgram.transfer({ fromPubkey: solana.publicKey, toPubkey: to, lamports: 10_000_001 })] })
    expect(big).toMatchObject({ status: 'partial', requestKind: 'transaction' })
    const action = await w.bob.getAction({ id: big.actionId! })
    expect(action.conditions).toEqual([{ condition: 'tx.value <= 0.01 sol', holds: false, why: 'moves 0.010000001 sol' }])
  })

  it('on a ledger without the decoder, and for a message the key does not pay for: the payloads alone, which the policy cannot judge', async () => {
    const plain = await world(false)
    const network = standInNetwork()
    const a = await (await createSolanaRelayer({ client: plain.alice, network, keyId: plain.key.id, adapter: fast })).submit({ instructions: [SystemProgram.transfer({ fromPubkey: new PublicKey(plain.key.publicKey), toPubkey: Keypair.generate().publicKey, lamports: 1 })] })
    expect(a).toMatchObject({ status: 'partial', requestKind: 'payloads' })
    expect((await plain.alice.getSignRequest({ id: a.requestId })).transaction).toBeUndefined()

    const w = await world(true)
    const payer = Keypair.generate()
    const solana = await createSolanaRelayer({ client: w.alice, network, keyId: w.key.id, adapter: fast })
    const b = await solana.submit({ instructions: [SystemProgram.transfer({ fromPubkey: solana.publicKey, toPubkey: payer.publicKey, lamports: 1 })], feePayer: payer.publicKey, signers: [payer] })
    expect(b).toMatchObject({ status: 'partial', requestKind: 'payloads' })
  })
})

describe("createSolanaRelayer's requestKind, for relays and its signer", () => {
  const pay = (from: PublicKey, lamports = 1) => [SystemProgram.transfer({ fromPubkey: from, toPubkey: Keypair.generate().publicKey, lamports })]

  it("'payloads': the payload alone even on a ledger that runs the decoder; the signer follows unless told otherwise", async () => {
    const w = await world(true)
    const network = standInNetwork()
    const solana = await createSolanaRelayer({ client: w.alice, network, keyId: w.key.id, adapter: fast, requestKind: 'payloads' })
    expect(await solana.submit({ instructions: pay(solana.publicKey) })).toMatchObject({ status: 'partial', requestKind: 'payloads' })
    const tx = new Transaction({ feePayer: solana.publicKey, blockhash: network.blockhash, lastValidBlockHeight: 1_000 }).add(...pay(solana.publicKey))
    await pending(solana.toSigner({ approvals: 'fail' }).signTransaction(tx))
    const signed = await solana.toSigner({ requestKind: 'auto' }).signTransaction(tx) // small: alice alone
    expect(ed25519.verify(signed.signature!, signed.serializeMessage(), solana.publicKey.toBytes())).toBe(true)
    expect((await w.alice.listSignRequests({ keyId: w.key.id, limit: 10 })).items.map((r) => r.transaction !== undefined)).toEqual([false, false, true])
  })

  it("'transaction': refused before anything is requested on a ledger without the decoder, and for a message the key does not pay for", async () => {
    const plain = await world(false)
    const network = standInNetwork()
    const p = await createSolanaRelayer({ client: plain.alice, network, keyId: plain.key.id, adapter: fast, requestKind: 'transaction' })
    await expectZrError(p.transfer({ to: Keypair.generate().publicKey, lamports: 1 }), 'UNSUPPORTED_CHAIN', "requestKind 'transaction': expected a ledger that decodes solana transactions, got one that decodes none")
    expect(await plain.requests()).toBe(0)

    const w = await world(true)
    const solana = await createSolanaRelayer({ client: w.alice, network, keyId: w.key.id, adapter: fast, requestKind: 'transaction' })
    const payer = Keypair.generate()
    await expectZrError(solana.submit({ instructions: pay(solana.publicKey), feePayer: payer.publicKey, signers: [payer] }), 'UNSUPPORTED_CHAIN', `requestKind 'transaction': expected a transaction from the ${solana.chain} adapter, got payloads only`)
    expect(await w.requests()).toBe(0)
    expect(await solana.submit({ instructions: pay(solana.publicKey) })).toMatchObject({ requestKind: 'transaction' })
    await expect(createSolanaRelayer({ client: w.alice, network, keyId: w.key.id, requestKind: 'always' as never })).rejects.toThrow(/expected 'auto', 'transaction' or 'payloads'/)
  })
})

describe('the host signer (signTransaction, signAllTransactions)', () => {
  const transfer = (from: PublicKey, lamports: number, blockhash: string, feePayer = from) =>
    new Transaction({ feePayer, blockhash, lastValidBlockHeight: 1_000 }).add(SystemProgram.transfer({ fromPubkey: from, toPubkey: Keypair.generate().publicKey, lamports }))

  it('makes a sign-transaction request per transaction on a ledger that runs the decoder; the signatures verify', async () => {
    const w = await world(true)
    const network = standInNetwork()
    const solana = await createSolanaRelayer({ client: w.alice, network, keyId: w.key.id, adapter: fast })
    const before = await w.requests()
    const signed = await solana.signer.signTransaction(transfer(solana.publicKey, 1_000_000, network.blockhash))
    expect(ed25519.verify(signed.signature!, signed.serializeMessage(), solana.publicKey.toBytes())).toBe(true)
    const [one] = (await w.alice.listSignRequests({ keyId: w.key.id, limit: 1000 })).items.slice(before)
    expect(one!.transaction?.decoded.transfers).toEqual([expect.objectContaining({ amount: 1_000_000n })])
    expect(one!.metadata?.['zrkit.solana.sign']).toBe('transaction')

    const message = new TransactionMessage({ payerKey: solana.publicKey, recentBlockhash: network.blockhash, instructions: [SystemProgram.transfer({ fromPubkey: solana.publicKey, toPubkey: Keypair.generate().publicKey, lamports: 2_000 })] }).compileToV0Message()
    const all = (await solana.signer.signAllTransactions([transfer(solana.publicKey, 3_000, network.blockhash), new VersionedTransaction(message)])) as [Transaction, VersionedTransaction]
    expect(ed25519.verify(all[1].signatures[0]!, message.serialize(), solana.publicKey.toBytes())).toBe(true)
    const batch = (await w.alice.listSignRequests({ keyId: w.key.id, limit: 1000 })).items.slice(before + 1)
    expect(batch.map((r) => [r.transaction?.decoded.format, r.metadata?.['zrkit.solana.batch']])).toEqual([
      ['legacy', '1 of 2'],
      ['v0', '2 of 2'],
    ])
    await Promise.all(all.map((t) => network.sendRawTransaction(t.serialize(), { skipPreflight: false, preflightCommitment: 'confirmed' })))
  })

  it("a large one waits for bob: approvals 'fail' names the request; the others of the batch went ahead on their own", async () => {
    const w = await world(true)
    const network = standInNetwork()
    const solana = await createSolanaRelayer({ client: w.alice, network, keyId: w.key.id, adapter: fast })
    const signer = solana.toSigner({ approvals: 'fail' })
    const e = await pending(signer.signAllTransactions([transfer(solana.publicKey, 1_000, network.blockhash), transfer(solana.publicKey, 20_000_000, network.blockhash)]), /^request \d+ \(action \d+\) needs more approvals/)
    const request = await w.alice.getSignRequest({ id: e.context.requestId })
    expect(request.transaction?.decoded.transfers[0]?.amount).toBe(20_000_000n)
    const small = await w.alice.getSignRequest({ id: e.context.requestId - 1 })
    expect(small).toMatchObject({ keyId: w.key.id, decidedBy: 'approved by the clause tx.value <= 0.01 sol && any(1, [alice, bob])' })
    expect(small.transaction?.decoded.transfers[0]?.amount).toBe(1_000n)
    expect((await w.bob.getAction({ id: e.context.actionId! })).conditions?.[0]).toMatchObject({ holds: false, why: 'moves 0.02 sol' })
  })

  it('the payloads alone: on a ledger without the decoder, with requestKind payloads, and for what the key does not pay', async () => {
    const plain = await world(false)
    const network = standInNetwork()
    const p = await createSolanaRelayer({ client: plain.alice, network, keyId: plain.key.id, adapter: fast })
    const stopped = await pending(p.toSigner({ approvals: 'fail' }).signAllTransactions([transfer(p.publicKey, 1, network.blockhash), transfer(p.publicKey, 2, network.blockhash)]))
    const [opaque] = (await plain.alice.listSignRequests({ keyId: plain.key.id, limit: 10 })).items
    expect(opaque).toMatchObject({ id: stopped.context.requestId })
    expect(opaque!.payloads).toHaveLength(2) // one request for the batch
    expect(opaque!.transaction).toBeUndefined()

    const w = await world(true)
    const solana = await createSolanaRelayer({ client: w.alice, network, keyId: w.key.id, adapter: fast })
    const before = await w.requests()
    await expectZrError(solana.toSigner({ approvals: 'fail', requestKind: 'payloads' }).signTransaction(transfer(solana.publicKey, 1, network.blockhash)), 'APPROVAL_PENDING')
    expect((await w.alice.listSignRequests({ keyId: w.key.id, limit: 1000 })).items.slice(before).map((r) => r.transaction)).toEqual([undefined])

    // a batch of one the key pays and one another account pays: a sign-transaction request, and the payloads of the other
    const payer = Keypair.generate().publicKey
    await expectZrError(solana.toSigner({ approvals: 'fail' }).signAllTransactions([transfer(solana.publicKey, 1, network.blockhash), transfer(solana.publicKey, 2, network.blockhash, payer)]), 'APPROVAL_PENDING')
    const mixed = (await w.alice.listSignRequests({ keyId: w.key.id, limit: 1000 })).items.slice(before + 1)
    expect(mixed.map((r) => [r.status === 'partial' ? 'waits' : 'approved', r.transaction === undefined ? 'payloads' : 'transaction'])).toEqual([
      ['approved', 'transaction'],
      ['waits', 'payloads'],
    ])
  })

  it("requestKind 'transaction' refuses, before any request, a transaction the decoder cannot read; other values are refused", async () => {
    const w = await world(true)
    const network = standInNetwork()
    const solana = await createSolanaRelayer({ client: w.alice, network, keyId: w.key.id, adapter: fast })
    const before = await w.requests()
    const signer = solana.toSigner({ requestKind: 'transaction' })
    const e = await expectZrError(signer.signAllTransactions([transfer(solana.publicKey, 1, network.blockhash), transfer(solana.publicKey, 2, network.blockhash, Keypair.generate().publicKey)]), 'INVALID_TRANSACTION', /^transactions\[1\]: requestKind 'transaction' needs a transaction the ledger's Solana decoder reads/)
    expect(e.details).toContain("feePayer: expected the key ")
    expect(e.details).toContain("use requestKind 'auto' or 'payloads'")
    expect(await w.requests()).toBe(before)
    expect(() => solana.toSigner({ requestKind: 'sometimes' as never })).toThrow(/expected 'auto', 'transaction' or 'payloads', got "sometimes"/)
    // on a ledger without the decoder, the ledger refuses it
    const plain = await world(false)
    const p = await createSolanaRelayer({ client: plain.alice, network, keyId: plain.key.id, adapter: fast })
    await expectZrError(p.toSigner({ requestKind: 'transaction' }).signTransaction(transfer(p.publicKey, 1, network.blockhash)), 'UNSUPPORTED_CHAIN')
  })
})
