/**
 * @zrkit/relayer-solana end to end on a real SVM in process (litesvm, started by this suite for every
 * test): keys from a 2-of-3 FROST federation through the ledger's lifecycle, every transaction signed
 * through signature requests, and judged by the runtime itself (signature verification, balances, token
 * accounts read with @solana/spl-token) and by noble's ed25519 verifier.
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { type Key, type RelayEvent, type ZrErrorCode, isZrError, memoryRelayJournal } from '@zrkit/core'
import { type SolanaRelayer, type SolanaSigner, createSolanaRelayer, solanaAdapter } from '@zrkit/relayer-solana'
import * as spl from '@solana/spl-token'
import {
  AddressLookupTableAccount,
  Keypair,
  LAMPORTS_PER_SOL,
  PublicKey,
  type Signer,
  SystemProgram,
  Transaction,
  type TransactionInstruction,
  TransactionMessage,
  VersionedTransaction,
} from '@solana/web3.js'
import { base58, base64 } from '@scure/base'
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest'
import { type SvmNetwork, SvmSendError, svmNetwork } from './svm.js'
import { type SolanaWorld, solanaWorld } from './world.js'
import { expectZrError as expectCode } from '@zrkit/testkit'

/** litesvm's fee: 5 000 lamports per signature (its default lamports_per_signature). */
const FEE_PER_SIGNATURE = 5_000n
const SOL = BigInt(LAMPORTS_PER_SOL)
const fast = { pollIntervalMs: 5, resendIntervalMs: 20, confirmTimeoutMs: 20_000 }

let w: SolanaWorld
beforeAll(async () => {
  w = await solanaWorld()
})
afterAll(async () => {
  await w?.close()
})
const stops: (() => void)[] = []
afterEach(() => {
  for (const s of stops.splice(0)) s()
})

async function relayerFor(net: SvmNetwork, key: Key, options: Partial<Parameters<typeof createSolanaRelayer>[0]> = {}): Promise<SolanaRelayer> {
  return createSolanaRelayer({ client: w.alice, network: net, keyId: key.id, adapter: fast, ...options })
}

/** A new key of the federation with its own relayer, its address funded. */
async function funded(net: SvmNetwork, lamports = 10n * SOL, workspace?: string): Promise<{ key: Key; solana: SolanaRelayer }> {
  const key = await w.newKey(workspace)
  const solana = await relayerFor(net, key)
  net.airdrop(solana.publicKey, lamports)
  return { key, solana }
}

const balance = async (net: SvmNetwork, address: PublicKey) => BigInt((await net.getAccountInfo(address, 'confirmed'))?.lamports ?? 0)

/** Sends a transaction signed by local keypairs only (test setup). */
async function sendLocal(net: SvmNetwork, instructions: TransactionInstruction[], payer: Signer, ...others: Signer[]) {
  const tx = new Transaction({ feePayer: payer.publicKey, ...(await net.getLatestBlockhash('confirmed')) }).add(...instructions)
  tx.sign(payer, ...others)
  await net.sendRawTransaction(tx.serialize(), { skipPreflight: false, preflightCommitment: 'confirmed' })
}

/** Every signature of a signed wire transaction checks out with noble (RFC 8032, strict). */
function expectAllSignaturesValid(signedTx: string): VersionedTransaction {
  const tx = VersionedTransaction.deserialize(base64.decode(signedTx))
  const message = tx.message.serialize()
  const signers = tx.message.staticAccountKeys.slice(0, tx.message.header.numRequiredSignatures)
  expect(tx.signatures.length).toBe(signers.length)
  signers.forEach((signer, i) => expect(ed25519.verify(tx.signatures[i]!, message, signer.toBytes(), { zip215: false }), `signature of ${signer.toBase58()}`).toBe(true))
  return tx
}

/** A mint with `decimals`, its authority a local keypair, and `amount` minted to `owner`'s associated account. */
async function mintTo(net: SvmNetwork, owner: PublicKey, amount: bigint, decimals = 6): Promise<PublicKey> {
  const authority = Keypair.generate()
  const mint = Keypair.generate()
  net.airdrop(authority.publicKey, SOL)
  const space = spl.MINT_SIZE
  await sendLocal(
    net,
    [
      SystemProgram.createAccount({ fromPubkey: authority.publicKey, newAccountPubkey: mint.publicKey, lamports: await net.getMinimumBalanceForRentExemption(space), space, programId: spl.TOKEN_PROGRAM_ID }),
      spl.createInitializeMint2Instruction(mint.publicKey, decimals, authority.publicKey, null),
    ],
    authority,
    mint,
  )
  const ata = spl.getAssociatedTokenAddressSync(mint.publicKey, owner)
  await sendLocal(net, [spl.createAssociatedTokenAccountIdempotentInstruction(authority.publicKey, ata, owner, mint.publicKey), spl.createMintToInstruction(mint.publicKey, ata, authority.publicKey, amount)], authority)
  return mint.publicKey
}

/** Token amount held by `owner` for `mint`, read by @solana/spl-token. */
async function tokens(net: SvmNetwork, mint: PublicKey, owner: PublicKey): Promise<bigint> {
  const address = spl.getAssociatedTokenAddressSync(mint, owner, true)
  const info = await net.getAccountInfo(address, 'confirmed')
  if (!info) return 0n
  return spl.unpackAccount(address, { data: Buffer.from(info.data), owner: info.owner, lamports: info.lamports, executable: info.executable }).amount
}

describe('SOL transfers', () => {
  it('the threshold key pays and signs; the runtime and noble accept its signature; balances move exactly', async () => {
    const net = svmNetwork()
    const { key, solana } = await funded(net)
    expect(solana.publicKey.toBytes()).toEqual(key.publicKey)
    expect(solana.address).toBe((await w.alice.getKey({ id: key.id, wallets: [{ type: 'solana' }] })).addresses![0]!.address)
    const to = Keypair.generate().publicKey
    const events: RelayEvent['type'][] = []
    const before = await balance(net, solana.publicKey)

    const result = await solana.transfer({ to, lamports: 1_234_567n, onEvent: (e) => events.push(e.type) })

    expect(await balance(net, to)).toBe(1_234_567n)
    expect(await balance(net, solana.publicKey)).toBe(before - 1_234_567n - FEE_PER_SIGNATURE)
    expect(result.receipt).toMatchObject({ signature: result.signature, confirmationStatus: 'finalized', err: null })
    expect(net.executed.has(result.signature)).toBe(true)
    const tx = expectAllSignaturesValid(result.signedTx)
    expect(tx.message.version).toBe('legacy')
    expect(base58.encode(tx.signatures[0]!)).toBe(result.signature)
    expect(tx.message.staticAccountKeys[0]!.equals(solana.publicKey)).toBe(true)
    expect(events).toEqual(expect.arrayContaining(['prepared', 'requested', 'signed', 'broadcast', 'confirmed']))
    // Signed by the federation through the ledger: at least 2 of the 3 parties answered.
    const request = await w.alice.getSignRequest({ id: result.requestId })
    expect(request.status).toBe('fulfilled')
    expect(request.responses.length).toBeGreaterThanOrEqual(2)
    expect(request.payloads[0]).toEqual(new Uint8Array(tx.message.serialize()))
    expect(request.metadata?.['zrkit.tx.ix.0']).toBe(`system.transfer 1234567 lamports from ${solana.address} to ${to.toBase58()}`)
  })

  it('signs with a derived child key (path): another address, still the one ledger key', async () => {
    const net = svmNetwork()
    const key = await w.newKey()
    const child = await relayerFor(net, key, { path: 'user-7' })
    expect(child.publicKey.equals(new PublicKey(key.publicKey))).toBe(false)
    net.airdrop(child.publicKey, SOL)
    const to = Keypair.generate().publicKey
    const { signedTx } = await child.transfer({ to, lamports: 5_000_000 })
    expect(await balance(net, to)).toBe(5_000_000n)
    expect(expectAllSignaturesValid(signedTx).message.staticAccountKeys[0]!.equals(child.publicKey)).toBe(true)
  })

  it('under a 2-of-2 sign policy: waits for Bob, or says APPROVAL_PENDING and resumes once he approves', async () => {
    const net = svmNetwork()
    const { solana } = await funded(net, 10n * SOL, w.shared)
    const to = Keypair.generate().publicKey
    const pending = await expectCode(solana.transfer({ to, lamports: 1_000_000, approvals: 'fail' }), 'APPROVAL_PENDING')
    const requestId = pending.meta.requestId as number
    expect(await balance(net, to)).toBe(0n)
    await w.bob.approveAction({ actionId: pending.meta.actionId as number })
    const resumed = await solana.resume({ requestId })
    expect(resumed.requestId).toBe(requestId)
    expect(await balance(net, to)).toBe(1_000_000n)

    stops.push(w.bobApprovesAll())
    await solana.transfer({ to, lamports: 2_000_000 })
    expect(await balance(net, to)).toBe(3_000_000n)
  })
})

describe('SPL tokens', () => {
  it('transferToken creates the recipient account and moves the tokens; @solana/spl-token reads the balances', async () => {
    const net = svmNetwork()
    const { solana } = await funded(net)
    const mint = await mintTo(net, solana.publicKey, 5_000_000n, 6)
    const recipient = Keypair.generate().publicKey
    expect(await tokens(net, mint, recipient)).toBe(0n)

    const result = await solana.transferToken({ mint, to: recipient, amount: 1_250_000n })

    expect(await tokens(net, mint, solana.publicKey)).toBe(3_750_000n)
    expect(await tokens(net, mint, recipient)).toBe(1_250_000n)
    expect(await solana.getTokenBalance({ mint, owner: recipient })).toBe(1_250_000n)
    const tx = expectAllSignaturesValid(result.signedTx)
    expect(tx.signatures.length).toBe(1)
    // Once the account exists, creating it again is a no-op: a second transfer goes through the same way.
    await solana.transferToken({ mint, to: recipient, amount: 250_000n, decimals: 6 })
    expect(await tokens(net, mint, recipient)).toBe(1_500_000n)
    const request = await w.alice.getSignRequest({ id: result.requestId })
    expect(request.metadata?.['zrkit.tx.ix.1']).toMatch(/^token\.transferChecked 1250000 base units \(decimals 6\) of mint /)
  })

  it('refuses wrong decimals, a token account as recipient, and more tokens than held (nothing is signed)', async () => {
    const net = svmNetwork()
    const { solana } = await funded(net)
    const mint = await mintTo(net, solana.publicKey, 1_000n, 2)
    const recipient = Keypair.generate().publicKey
    const requestsBefore = (await w.alice.listSignRequests({ limit: 1000 })).items.length
    await expectCode(solana.transferToken({ mint, to: recipient, amount: 10n, decimals: 6 }), 'INVALID_INPUT', /has 2 decimals/)
    const tokenAccount = spl.getAssociatedTokenAddressSync(mint, solana.publicKey)
    await expectCode(solana.transferToken({ mint, to: tokenAccount, amount: 10n }), 'INVALID_ADDRESS', /token account/)
    await expectCode(solana.transferToken({ mint, to: recipient, amount: 0n }), 'INVALID_INPUT', /1\.\.2\^64-1/)
    expect((await w.alice.listSignRequests({ limit: 1000 })).items.length).toBe(requestsBefore)
    // More than it holds: signed, then refused by the token program at the node's preflight.
    const failed = await expectCode(solana.transferToken({ mint, to: recipient, amount: 1_001n }), 'BROADCAST_FAILED', /insufficient funds/)
    expect(failed.meta.logs).toEqual(expect.arrayContaining([expect.stringMatching(/insufficient funds/)]))
    expect(await tokens(net, mint, solana.publicKey)).toBe(1_000n)
  })
})

describe('versioned transactions and lookup tables', () => {
  it('creates a lookup table owned by the key, then pays five accounts from it in one v0 transaction', async () => {
    const net = svmNetwork()
    const { solana } = await funded(net)
    const recipients = Array.from({ length: 5 }, () => Keypair.generate().publicKey)
    const { lookupTable } = await solana.createLookupTable({ addresses: recipients })
    net.advance() // addresses added in a slot are usable from the next one
    const table = new AddressLookupTableAccount({ key: lookupTable, state: AddressLookupTableAccount.deserialize((await net.getAccountInfo(lookupTable, 'confirmed'))!.data) })
    expect(table.state.addresses.map((a) => a.toBase58())).toEqual(recipients.map((r) => r.toBase58()))
    expect(table.state.authority?.equals(solana.publicKey)).toBe(true)

    const instructions = recipients.map((to, i) => SystemProgram.transfer({ fromPubkey: solana.publicKey, toPubkey: to, lamports: 1_000_000 * (i + 1) }))
    const result = await solana.sendTransaction({ instructions, addressLookupTables: [lookupTable] })

    const tx = expectAllSignaturesValid(result.signedTx)
    expect(tx.message.version).toBe(0)
    expect(tx.message.addressTableLookups.length).toBe(1)
    expect(tx.message.addressTableLookups[0]!.accountKey.equals(lookupTable)).toBe(true)
    // The recipients come from the table, not from the message's own account list.
    for (const r of recipients) expect(tx.message.staticAccountKeys.some((k) => k.equals(r))).toBe(false)
    for (const [i, r] of recipients.entries()) expect(await balance(net, r)).toBe(BigInt(1_000_000 * (i + 1)))
    // The same instructions as a legacy transaction are larger: that is what the table saves.
    const legacy = new TransactionMessage({ payerKey: solana.publicKey, recentBlockhash: tx.message.recentBlockhash, instructions }).compileToLegacyMessage()
    expect(legacy.serialize().length).toBeGreaterThan(tx.message.serialize().length + 100)
  })

  it('sends version 0 without tables when asked, and refuses tables in a legacy transaction', async () => {
    const net = svmNetwork()
    const { solana } = await funded(net)
    const to = Keypair.generate().publicKey
    const result = await solana.transfer({ to, lamports: 3_000_000, version: 0 })
    expect(expectAllSignaturesValid(result.signedTx).message.version).toBe(0)
    expect(await balance(net, to)).toBe(3_000_000n)
    const { lookupTable } = await solana.createLookupTable({ addresses: [to] })
    await expectCode(solana.transfer({ to, lamports: 1, version: 'legacy', addressLookupTables: [lookupTable] }), 'INVALID_INPUT', /legacy transaction cannot use lookup tables/)
    await expectCode(solana.transfer({ to, lamports: 1, addressLookupTables: [to] }), 'INVALID_INPUT', /does not exist|not an address lookup table/)
  })
})

describe('several signers', () => {
  it('the federation key pays the fee; a local Keypair moves its own lamports in the same transaction', async () => {
    const net = svmNetwork()
    const { solana } = await funded(net)
    const local = Keypair.generate()
    net.airdrop(local.publicKey, SOL)
    const to = Keypair.generate().publicKey
    const [keyBefore, localBefore] = [await balance(net, solana.publicKey), await balance(net, local.publicKey)]

    const result = await solana.sendTransaction({
      instructions: [SystemProgram.transfer({ fromPubkey: local.publicKey, toPubkey: to, lamports: 40_000_000 }), SystemProgram.transfer({ fromPubkey: solana.publicKey, toPubkey: to, lamports: 2_000_000 })],
      signers: [local],
    })

    const tx = expectAllSignaturesValid(result.signedTx)
    expect(tx.signatures.length).toBe(2)
    expect(tx.message.staticAccountKeys[0]!.equals(solana.publicKey)).toBe(true)
    expect(tx.message.staticAccountKeys[1]!.equals(local.publicKey)).toBe(true)
    expect(await balance(net, to)).toBe(42_000_000n)
    expect(await balance(net, local.publicKey)).toBe(localBefore - 40_000_000n)
    expect(await balance(net, solana.publicKey)).toBe(keyBefore - 2_000_000n - 2n * FEE_PER_SIGNATURE)
    // The ledger signed the message with the local signature already in place: the payload is the whole message.
    expect((await w.alice.getSignRequest({ id: result.requestId })).metadata?.['zrkit.tx.signers']).toBe(`${solana.address},${local.publicKey.toBase58()}`)
  })

  it('a local Keypair pays the fee; the key signs only for its own transfer', async () => {
    const net = svmNetwork()
    const { solana } = await funded(net)
    const payer = Keypair.generate()
    net.airdrop(payer.publicKey, SOL)
    const to = Keypair.generate().publicKey
    const [keyBefore, payerBefore] = [await balance(net, solana.publicKey), await balance(net, payer.publicKey)]
    const result = await solana.transfer({ to, lamports: 7_000_000, feePayer: payer.publicKey, signers: [payer] })
    const tx = expectAllSignaturesValid(result.signedTx)
    expect(tx.message.staticAccountKeys[0]!.equals(payer.publicKey)).toBe(true)
    expect(result.signature).toBe(base58.encode(tx.signatures[0]!))
    expect(await balance(net, solana.publicKey)).toBe(keyBefore - 7_000_000n)
    expect(await balance(net, payer.publicKey)).toBe(payerBefore - 2n * FEE_PER_SIGNATURE)
  })

  it('refuses a missing signer, a stranger, a wrong secret key, the key itself as a local signer, and a transaction the key does not sign', async () => {
    const net = svmNetwork()
    const { solana } = await funded(net)
    const other = Keypair.generate()
    const to = Keypair.generate().publicKey
    const theirs = SystemProgram.transfer({ fromPubkey: other.publicKey, toPubkey: to, lamports: 1 })
    const requestsBefore = (await w.alice.listSignRequests({ limit: 1000 })).items.length
    await expectCode(solana.sendTransaction({ instructions: [theirs] }), 'INVALID_INPUT', /must sign this transaction too/)
    await expectCode(solana.transfer({ to, lamports: 1, signers: [Keypair.generate()] }), 'INVALID_INPUT', /does not sign this transaction/)
    await expectCode(solana.sendTransaction({ instructions: [theirs], signers: [{ publicKey: other.publicKey, secretKey: Keypair.generate().secretKey }] }), 'INVALID_INPUT', /secretKey is not the key/)
    await expectCode(solana.sendTransaction({ instructions: [theirs], feePayer: other.publicKey, signers: [other] }), 'INVALID_INPUT', /does not sign this transaction: make it the fee payer/)
    await expectCode(solana.transfer({ to: 'not-an-address', lamports: 1 }), 'INVALID_ADDRESS')
    await expectCode(solana.transfer({ to, lamports: 0 }), 'INVALID_INPUT', /positive integer of lamports/)
    await expectCode(solana.sendTransaction({ instructions: [] }), 'INVALID_INPUT', /non-empty array/)
    await expectCode(solana.sendTransaction({ instructions: [theirs], signers: [other], bogus: 1 } as never), 'INVALID_INPUT', /unknown field bogus/)
    expect((await w.alice.listSignRequests({ limit: 1000 })).items.length).toBe(requestsBefore)
    expect(await solana.relayer.journal.list()).toEqual([])
  })
})

describe('durable nonce', () => {
  it('creates a nonce account (two signers); a nonce transaction outlives blockhashes while Bob takes his time', async () => {
    const net = svmNetwork()
    const { solana } = await funded(net, 10n * SOL, w.shared)
    stops.push(w.bobApprovesAll())
    const nonceAccount = Keypair.generate()
    const created = await solana.createNonceAccount({ nonceAccount })
    expect(expectAllSignaturesValid(created.signedTx).signatures.length).toBe(2)
    stops.splice(0).forEach((s) => s())

    const to = Keypair.generate().publicKey
    const pending = await expectCode(solana.transfer({ to, lamports: 9_000_000, nonce: { account: nonceAccount.publicKey }, approvals: 'fail' }), 'APPROVAL_PENDING')
    const record = await solana.relayer.getRelay({ requestId: pending.meta.requestId as number })
    expect(record.summary).toMatchObject({ lifetime: 'nonce', nonceAccount: nonceAccount.publicKey.toBase58() })
    // While it waits, a second relay on the same nonce is refused: only one of them could ever land.
    await expectCode(solana.transfer({ to, lamports: 1_000, nonce: { account: nonceAccount.publicKey }, approvals: 'fail' }), 'INVALID_INPUT', /already signs with nonce/)
    // Time passes: every blockhash of the time of the request expires.
    const blockhashThen = (await net.getLatestBlockhash('confirmed')).blockhash
    net.advance(200)
    expect(await net.isBlockhashValid(blockhashThen, 'confirmed')).toBe(false)
    await w.bob.approveAction({ actionId: pending.meta.actionId as number })
    const result = await solana.resume({ requestId: pending.meta.requestId as number })

    expect(await balance(net, to)).toBe(9_000_000n)
    const tx = expectAllSignaturesValid(result.signedTx)
    expect(tx.message.recentBlockhash).toBe(record.summary.nonce)
    // The nonce moved on: the next transaction gets the new value.
    stops.push(w.bobApprovesAll())
    await solana.transfer({ to, lamports: 1_000_000, nonce: { account: nonceAccount.publicKey } })
    expect(await balance(net, to)).toBe(10_000_000n)
  })

  it('a recent-blockhash transaction approved too late expires: TX_EXPIRED, nothing lands', async () => {
    const net = svmNetwork()
    const { solana } = await funded(net, 10n * SOL, w.shared)
    const to = Keypair.generate().publicKey
    const pending = await expectCode(solana.transfer({ to, lamports: 9_000_000, approvals: 'fail' }), 'APPROVAL_PENDING')
    net.advance(1)
    await w.bob.approveAction({ actionId: pending.meta.actionId as number })
    await expectCode(solana.resume({ requestId: pending.meta.requestId as number }), 'TX_EXPIRED', /can never land now/)
    expect(await balance(net, to)).toBe(0n)
    expect((await solana.relayer.getRelay({ requestId: pending.meta.requestId as number })).status).toBe('expired')
  })
})

describe('the runtime judges the signatures', () => {
  it('refuses a tampered signature and a tampered message; the untouched transaction then lands', async () => {
    const net = svmNetwork()
    const { solana } = await funded(net)
    const to = Keypair.generate().publicKey
    // Signed through the ledger, not broadcast.
    const { requestId } = await solana.submit({ instructions: [SystemProgram.transfer({ fromPubkey: solana.publicKey, toPubkey: to, lamports: 8_000_000 })] })
    const signed = await solana.relayer.sign({ requestId })
    const wire = base64.decode(signed.signedTx)
    const send = (bytes: Uint8Array) => net.sendRawTransaction(bytes, { skipPreflight: false, preflightCommitment: 'confirmed' })

    const badSignature = Uint8Array.from(wire)
    badSignature[1 + 10] = badSignature[1 + 10]! ^ 0x01 // a bit of the key's signature (after the 1-byte signature count)
    const refused = await send(badSignature).then(() => undefined, (e: unknown) => e)
    expect(refused).toBeInstanceOf(SvmSendError)
    expect((refused as SvmSendError).err).toBe('SignatureFailure')

    const badMessage = Uint8Array.from(wire)
    const lamportsAt = badMessage.length - 8 // the transfer's u64 lamports end the message
    badMessage[lamportsAt] = badMessage[lamportsAt]! ^ 0x01
    expect(VersionedTransaction.deserialize(badMessage).message.compiledInstructions[0]!.data).not.toEqual(VersionedTransaction.deserialize(wire).message.compiledInstructions[0]!.data)
    const refused2 = await send(badMessage).then(() => undefined, (e: unknown) => e)
    expect((refused2 as SvmSendError).err).toBe('SignatureFailure')
    expect(await balance(net, to)).toBe(0n)

    await send(wire)
    expect(await balance(net, to)).toBe(8_000_000n)
  })

  it('assembly refuses a signature that does not verify (the pipeline never broadcasts it)', async () => {
    const net = svmNetwork()
    const { key, solana } = await funded(net)
    const adapter = solana.relayer.adapter
    const signer = { keyId: key.id, keyType: key.keyType, publicKey: key.publicKey }
    const prepared = await adapter.prepare({ instructions: [SystemProgram.transfer({ fromPubkey: solana.publicKey, toPubkey: Keypair.generate().publicKey, lamports: 1 })] }, signer)
    const stranger = Keypair.generate()
    const forged = ed25519.sign(prepared.payloads[0]!, stranger.secretKey.slice(0, 32))
    expect(() => adapter.assemble(prepared.unsignedTx, [forged], signer)).toThrow(expect.objectContaining({ code: 'INVALID_RESULT' }))
    expect(() => adapter.assemble(prepared.unsignedTx, [forged.slice(0, 63)], signer)).toThrow(expect.objectContaining({ code: 'INVALID_RESULT' }))
  })
})

describe('sending and confirming', () => {
  it('re-sends a transaction the network lost until it lands', async () => {
    const net = svmNetwork()
    const { solana } = await funded(net)
    const to = Keypair.generate().publicKey
    net.dropSends(3)
    const sendsBefore = net.sendCount
    const result = await solana.transfer({ to, lamports: 4_000_000 })
    expect(net.sendCount - sendsBefore).toBeGreaterThanOrEqual(4)
    expect(net.executed.has(result.signature)).toBe(true)
    expect(await balance(net, to)).toBe(4_000_000n)
  })

  it('stops re-sending once the blockhash expires: TX_EXPIRED; a new relay then lands', async () => {
    const base = svmNetwork()
    let polls = 0
    // The network loses every send, and the chain moves on after a few status polls.
    const net: SvmNetwork = Object.assign(Object.create(base) as SvmNetwork, {
      sendRawTransaction: async () => {},
      getSignatureStatus: async (signature: string, o: { searchHistory: boolean }) => {
        if (++polls === 5) base.advance()
        return base.getSignatureStatus(signature, o)
      },
    })
    const { solana } = await funded(net)
    const to = Keypair.generate().publicKey
    const error = await expectCode(solana.transfer({ to, lamports: 4_000_000 }), 'TX_EXPIRED', /did not land before its blockhash/)
    expect(await balance(base, to)).toBe(0n)
    const record = await solana.relayer.getRelay({ relayId: (await solana.relayer.journal.list())[0]!.id })
    // The relay ends there: the journal records it as expired (a final status), and resume says so again.
    expect(record.status).toBe('expired')
    expect(record.reason).toMatch(/did not land before its blockhash/)
    expect(error.meta.txid).toBe(record.txid)
    await expectCode(solana.resume({ requestId: record.requestId! }), 'TX_EXPIRED', /recorded as expired/)
    const recovered = await solana.recover()
    expect(recovered.failed).toEqual([])
    expect(recovered.finished).toEqual([])

    const healthy = await relayerFor(base, (await w.alice.getKey({ id: solana.keyId })) as Key)
    await healthy.transfer({ to, lamports: 4_000_000 })
    expect(await balance(base, to)).toBe(4_000_000n)
  })

  it('a transaction that lands but fails throws TX_FAILED with its receipt (the one rule of every relayer); the journal says reverted', async () => {
    const base = svmNetwork()
    const landed = new Map<string, number>()
    // A cluster that takes the transaction into a block where its instruction fails (skipPreflight): it
    // reports the signature with its error, as getSignatureStatuses does for a failed transaction.
    const net: SvmNetwork = Object.assign(Object.create(base) as SvmNetwork, {
      sendRawTransaction: async (wire: Uint8Array) => {
        landed.set(base58.encode(VersionedTransaction.deserialize(wire).signatures[0]!), 7)
      },
      getSignatureStatus: async (signature: string, o: { searchHistory: boolean }) => {
        const slot = landed.get(signature)
        return slot === undefined ? base.getSignatureStatus(signature, o) : { slot, confirmationStatus: 'finalized', err: { InstructionError: [0, { Custom: 1 }] } }
      },
    })
    const { solana } = await funded(net)
    const to = Keypair.generate().publicKey
    const e = await expectCode(solana.transfer({ to, lamports: 4_000_000 }), 'TX_FAILED', /landed but failed: in slot 7: \{"InstructionError":\[0,\{"Custom":1\}\]\}/)
    const receipt = e.meta.receipt as { signature: string; slot: number; err: unknown }
    expect(receipt).toEqual({ signature: e.meta.txid, slot: 7, confirmationStatus: 'finalized', err: { InstructionError: [0, { Custom: 1 }] } })
    const requestId = e.meta.requestId as number
    expect((await solana.relayer.getRelay({ requestId })).status).toBe('reverted')
    await expectCode(solana.resume({ requestId }), 'TX_FAILED')
    expect(await balance(base, to)).toBe(0n)
  })

  it('broadcasts once: a repeated broadcast and a recover() by a restarted relayer do not send it again', async () => {
    const net = svmNetwork()
    const { key } = await funded(net)
    const journal = memoryRelayJournal()
    const first = await relayerFor(net, key, { journal })
    const to = Keypair.generate().publicKey
    const { requestId } = await first.submit({ instructions: [SystemProgram.transfer({ fromPubkey: first.publicKey, toPubkey: to, lamports: 6_000_000 })] })
    await w.alice.waitForSignRequest({ requestId, timeoutMs: 30_000 })
    // A crash before the relayer broadcast: a new relayer with the same journal finishes it.
    const restarted = await relayerFor(net, key, { journal })
    const { finished, failed } = await restarted.recover()
    expect(failed).toEqual([])
    expect(finished.map((f) => f.requestId)).toEqual([requestId])
    expect(await balance(net, to)).toBe(6_000_000n)
    const sends = net.sendCount
    await restarted.relayer.adapter.broadcast({ signedTx: finished[0]!.signedTx, txid: finished[0]!.txid })
    const again = await restarted.resume({ requestId })
    expect(again.signature).toBe(finished[0]!.txid)
    expect(net.sendCount).toBe(sends)
    expect(await balance(net, to)).toBe(6_000_000n)
  })

  it('refuses a network of another cluster, and keys that are not ed25519', async () => {
    const net = svmNetwork()
    const other = svmNetwork()
    const key = await w.newKey()
    const solana = await relayerFor(net, key, { chain: `solana:${(await other.getGenesisHash()).slice(0, 32)}` })
    net.airdrop(solana.publicKey, SOL)
    await expectCode(solana.transfer({ to: Keypair.generate().publicKey, lamports: 1 }), 'CHAIN_ID_MISMATCH')
    expect(() => solanaAdapter({ network: net, chain: 'eip155:1' })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    const schnorr = await w.alice.createKey({ workspace: w.solo, keyring: w.keyring, keyType: 'schnorr-secp256k1', timeoutMs: 30_000 })
    await expectCode(createSolanaRelayer({ client: w.alice, network: net, keyId: schnorr.id }), 'UNSUPPORTED_KEY_TYPE')
  })
})

describe('the wallet-adapter signer', () => {
  const sendSigned = (net: SvmNetwork, tx: Transaction | VersionedTransaction) => net.sendRawTransaction(tx.serialize(), { skipPreflight: false, preflightCommitment: 'confirmed' })

  it('signs a legacy Transaction and a VersionedTransaction; web3.js and the runtime accept them', async () => {
    const net = svmNetwork()
    const { solana } = await funded(net)
    const wallet: SolanaSigner = solana.signer
    const to = Keypair.generate().publicKey

    const legacy = new Transaction().add(SystemProgram.transfer({ fromPubkey: wallet.publicKey, toPubkey: to, lamports: 1_000_000 }))
    const signedLegacy = await wallet.signTransaction(legacy)
    expect(signedLegacy).toBeInstanceOf(Transaction)
    expect(signedLegacy).not.toBe(legacy)
    expect(legacy.signatures).toEqual([]) // the argument is left as it was
    expect(signedLegacy.verifySignatures()).toBe(true)
    await sendSigned(net, signedLegacy)

    const message = new TransactionMessage({ payerKey: wallet.publicKey, recentBlockhash: (await net.getLatestBlockhash('confirmed')).blockhash, instructions: [SystemProgram.transfer({ fromPubkey: wallet.publicKey, toPubkey: to, lamports: 2_000_000 })] }).compileToV0Message()
    const signedV0 = await wallet.signTransaction(new VersionedTransaction(message))
    expect(signedV0).toBeInstanceOf(VersionedTransaction)
    expectAllSignaturesValid(base64.encode(signedV0.serialize()))
    await sendSigned(net, signedV0)
    expect(await balance(net, to)).toBe(3_000_000n)
  })

  it('signAllTransactions: one signature request, one approval, every transaction lands', async () => {
    const net = svmNetwork()
    const { solana } = await funded(net, 10n * SOL, w.shared)
    stops.push(w.bobApprovesAll())
    const wallet = solana.toSigner({ timeoutMs: 30_000 })
    const recipients = [Keypair.generate().publicKey, Keypair.generate().publicKey, Keypair.generate().publicKey]
    const { blockhash } = await net.getLatestBlockhash('confirmed')
    const txs = recipients.map((to, i) => {
      const tx = new Transaction({ feePayer: wallet.publicKey, blockhash, lastValidBlockHeight: 0 }).add(SystemProgram.transfer({ fromPubkey: wallet.publicKey, toPubkey: to, lamports: 1_000_000 * (i + 1) }))
      return tx
    })
    const before = (await w.alice.listSignRequests({ limit: 1000 })).items.length
    const signed = await wallet.signAllTransactions(txs)
    const requests = (await w.alice.listSignRequests({ limit: 1000 })).items
    expect(requests.length).toBe(before + 1)
    const request = requests.reduce((a, b) => (a.id > b.id ? a : b))
    expect(request.payloads.length).toBe(3)
    expect(request.metadata?.['zrkit.solana.sign']).toBe('transactions')
    for (const tx of signed) await sendSigned(net, tx)
    for (const [i, to] of recipients.entries()) expect(await balance(net, to)).toBe(BigInt(1_000_000 * (i + 1)))
    // One transaction the key does not sign spoils the batch before anything is requested, and is named.
    const stranger = Keypair.generate()
    const notMine = new Transaction({ feePayer: stranger.publicKey, blockhash, lastValidBlockHeight: 0 }).add(SystemProgram.transfer({ fromPubkey: stranger.publicKey, toPubkey: recipients[0]!, lamports: 1 }))
    await expectCode(wallet.signAllTransactions([txs[0]!, notMine]), 'INVALID_INPUT', /^transactions\[1\]: the key \S+ does not sign this transaction/)
    expect((await w.alice.listSignRequests({ limit: 1000 })).items.length).toBe(before + 1)
  })

  it('signs a partly signed transaction in its slot (the other signer signs after), and messages that are not transactions', async () => {
    const net = svmNetwork()
    const { key, solana } = await funded(net)
    const wallet = solana.signer
    const cosigner = Keypair.generate()
    net.airdrop(cosigner.publicKey, SOL)
    const to = Keypair.generate().publicKey
    const tx = new Transaction({ feePayer: cosigner.publicKey, ...(await net.getLatestBlockhash('confirmed')) }).add(SystemProgram.transfer({ fromPubkey: wallet.publicKey, toPubkey: to, lamports: 3_000_000 }))
    const signed = await wallet.signTransaction(tx)
    expect(signed.signatures.find((s) => s.publicKey.equals(cosigner.publicKey))?.signature).toBeNull()
    signed.partialSign(cosigner)
    expect(signed.verifySignatures()).toBe(true)
    await sendSigned(net, signed)
    expect(await balance(net, to)).toBe(3_000_000n)

    const text = new TextEncoder().encode('zrkit: sign in to example.com')
    const signature = await wallet.signMessage(text)
    expect(ed25519.verify(signature, text, key.publicKey, { zip215: false })).toBe(true)
    // Bytes that are a transaction message would authorize that transaction: refused.
    await expectCode(wallet.signMessage(new Uint8Array(signed.serializeMessage())), 'INVALID_INPUT', /transaction message/)
    // A signature that does not check out is refused before anything is requested.
    const forged = new Transaction({ feePayer: cosigner.publicKey, ...(await net.getLatestBlockhash('confirmed')) }).add(SystemProgram.transfer({ fromPubkey: wallet.publicKey, toPubkey: to, lamports: 1 }))
    forged.addSignature(cosigner.publicKey, Buffer.from(new Uint8Array(64).fill(7)))
    await expectCode(wallet.signTransaction(forged), 'INVALID_INPUT', /does not verify/)
  })

  it("with approvals: 'fail' says APPROVAL_PENDING and names the request", async () => {
    const net = svmNetwork()
    const { solana } = await funded(net, SOL, w.shared)
    const wallet = solana.toSigner({ approvals: 'fail' })
    const tx = new Transaction({ feePayer: wallet.publicKey, ...(await net.getLatestBlockhash('confirmed')) }).add(SystemProgram.transfer({ fromPubkey: wallet.publicKey, toPubkey: Keypair.generate().publicKey, lamports: 1 }))
    const pending = await expectCode(wallet.signTransaction(tx), 'APPROVAL_PENDING')
    expect((await w.alice.getSignRequest({ id: pending.meta.requestId as number })).status).toBe('partial')
  })
})
