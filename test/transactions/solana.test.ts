/**
 * Solana sign-transaction requests end to end, on a real SVM in process (litesvm, test/solana/svm.ts): a
 * ledger whose genesis runs the Solana decoder (`solana@1`), a 2-of-3 FROST federation's ed25519 keys, and
 * Alice and Bob owning the workspace under `tx.value <= 0.01 sol && any(1, [alice, bob]) || all([alice, bob])`.
 * The relayer and its host signer ask for sign-transaction requests: the ledger reads each message, computes
 * the payload itself and judges what the transaction does. Every transaction is then run by the SVM, which
 * checks the threshold signature and moves the lamports and tokens (read back from its accounts).
 *
 * What the policy must not be fooled by: an SPL token transfer is no `tx.value` (it needs Bob, or a clause
 * about that token), and a v0 message whose recipient comes from an address lookup table is a call whose
 * recipient the message does not carry (it needs Bob, however small).
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { type Action, type Key, type ZrClient, isZrError } from '@zrkit/core'
import { type SolanaRelayer, createSolanaRelayer } from '@zrkit/relayer-solana'
import { solanaTransactionDecoder } from '@zrkit/relayer-solana/decoder'
import { expectZrError } from '@zrkit/testkit'
import * as spl from '@solana/spl-token'
import {
  AddressLookupTableAccount,
  AddressLookupTableProgram,
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
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type SvmNetwork, svmNetwork } from '../solana/svm.js'
import { type SolanaWorld, solanaWorld } from '../solana/world.js'

const SOL = BigInt(LAMPORTS_PER_SOL)
const POLICY = 'tx.value <= 0.01 sol && any(1, [alice, bob]) || all([alice, bob])'
const TOKEN_POLICY = 'tx.token == usdc && tx.amount <= 5 usdc && any(1, [alice, bob]) || all([alice, bob])'
const fast = { pollIntervalMs: 5, resendIntervalMs: 20, confirmTimeoutMs: 20_000 }

let w: SolanaWorld
/** A key of the shared workspace (the tx.value policy). */
let key: Key
/** A workspace of Alice and Bob under the token policy, with `usdc` named, and a key of it. */
let tokenWorkspace: string
let tokenKey: Key

beforeAll(async () => {
  w = await solanaWorld({ transactionDecoders: [solanaTransactionDecoder()], signPolicy: POLICY })
  key = await w.newKey(w.shared)
  const participants = { alice: w.alice.account!.address, bob: w.bob.account!.address }
  const { policyId } = await w.alice.createPolicy({ name: 'small usdc on one approval', participants, expression: TOKEN_POLICY })
  tokenWorkspace = (await w.alice.createWorkspace({ additionalOwners: [participants.bob], signPolicyId: policyId })).workspace
  tokenKey = await w.newKey(tokenWorkspace)
})
afterAll(async () => {
  await w?.close()
})
const stops: (() => void)[] = []
afterEach(() => {
  for (const s of stops.splice(0)) s()
})

/** A relayer for `k` on `net`, its address funded with 10 SOL. */
async function funded(net: SvmNetwork, k: Key): Promise<SolanaRelayer> {
  const solana = await createSolanaRelayer({ client: w.alice, network: net, keyId: k.id, adapter: fast })
  net.airdrop(solana.publicKey, 10n * SOL)
  return solana
}

const balance = async (net: SvmNetwork, address: PublicKey) => BigInt((await net.getAccountInfo(address, 'confirmed'))?.lamports ?? 0)

/** Sends a transaction signed by local keypairs only (test setup). */
async function sendLocal(net: SvmNetwork, instructions: TransactionInstruction[], payer: Signer, ...others: Signer[]) {
  const tx = new Transaction({ feePayer: payer.publicKey, ...(await net.getLatestBlockhash('confirmed')) }).add(...instructions)
  tx.sign(payer, ...others)
  await net.sendRawTransaction(tx.serialize(), { skipPreflight: false, preflightCommitment: 'confirmed' })
}

/** A mint of 6 decimals, `amount` minted to each holder's associated account, and an empty account for each recipient. */
async function usdc(net: SvmNetwork, holders: PublicKey[], amount: bigint, recipients: PublicKey[]): Promise<PublicKey> {
  const authority = Keypair.generate()
  const mint = Keypair.generate()
  net.airdrop(authority.publicKey, SOL)
  await sendLocal(
    net,
    [
      SystemProgram.createAccount({ fromPubkey: authority.publicKey, newAccountPubkey: mint.publicKey, lamports: await net.getMinimumBalanceForRentExemption(spl.MINT_SIZE), space: spl.MINT_SIZE, programId: spl.TOKEN_PROGRAM_ID }),
      spl.createInitializeMint2Instruction(mint.publicKey, 6, authority.publicKey, null),
    ],
    authority,
    mint,
  )
  for (const owner of [...holders, ...recipients]) {
    const ata = spl.getAssociatedTokenAddressSync(mint.publicKey, owner)
    const create = spl.createAssociatedTokenAccountIdempotentInstruction(authority.publicKey, ata, owner, mint.publicKey)
    await sendLocal(net, holders.includes(owner) ? [create, spl.createMintToInstruction(mint.publicKey, ata, authority.publicKey, amount)] : [create], authority)
  }
  return mint.publicKey
}

/** Token amount held by `owner`, read with @solana/spl-token from the SVM's account. */
async function tokens(net: SvmNetwork, mint: PublicKey, owner: PublicKey): Promise<bigint> {
  const address = spl.getAssociatedTokenAddressSync(mint, owner)
  const info = await net.getAccountInfo(address, 'confirmed')
  return info ? spl.unpackAccount(address, { data: Buffer.from(info.data), owner: info.owner, lamports: info.lamports, executable: info.executable }).amount : 0n
}

/** Bob reads every action of `workspace` that opens from now on (kept in `seen`) and approves it. */
function bobReadsAndApproves(bob: ZrClient, workspace: string): Action[] {
  const seen: Action[] = []
  stops.push(
    bob.watchEvents({ types: ['action.created'], workspace }, (e) => {
      void bob
        .getAction({ id: e.data.actionId as number })
        .then((action) => {
          seen.push(action)
          return bob.approveAction({ actionId: action.id })
        })
        .catch(() => {})
    }),
  )
  return seen
}

/** A relay that must wait for Bob: its APPROVAL_PENDING error, with the request and action ids. */
async function waitsForBob(p: Promise<unknown>) {
  const e = await expectZrError(p, 'APPROVAL_PENDING')
  if (!isZrError(e, 'APPROVAL_PENDING')) throw e
  return { requestId: e.context.requestId, actionId: e.context.actionId! }
}

describe('SOL transfers through the relayer', () => {
  it('a small transfer goes through on Alice alone; a large one waits, Bob reads what it does and why it waits, approves, and it lands', async () => {
    const net = svmNetwork()
    const solana = await funded(net, key)
    const to = Keypair.generate().publicKey

    const small = await solana.transfer({ to, lamports: 10_000_000n })
    expect(await solana.relayer.getRelay({ requestId: small.requestId })).toMatchObject({ requestKind: 'transaction', status: 'confirmed' })
    const request = await w.alice.getSignRequest({ id: small.requestId })
    expect(request.decidedBy).toBe('approved by the clause tx.value <= 0.01 sol && any(1, [alice, bob])')
    expect(request.transaction?.decoded).toMatchObject({ chain: 'solana', network: 'solana:localnet', format: 'legacy', from: solana.address, transfers: [{ kind: 'transfer', asset: 'native', to: to.toBase58(), amount: 10_000_000n }], calls: [], fee: 5_000n })
    expect(net.executed.has(small.signature)).toBe(true)
    expect(await balance(net, to)).toBe(10_000_000n)

    const big = await waitsForBob(solana.transfer({ to, lamports: SOL / 2n, approvals: 'fail' }))
    expect(await w.alice.getSignRequest({ id: big.requestId })).toMatchObject({ status: 'partial', transaction: { chain: 'solana', decoded: { network: 'solana:localnet' } } })
    const action = await w.bob.getAction({ id: big.actionId })
    expect(action.subject).toMatchObject({ kind: 'sign-request', signRequestId: big.requestId, transaction: { network: 'solana:localnet', transfers: [{ asset: 'native', to: to.toBase58(), amount: SOL / 2n }] } })
    expect(action.conditions).toEqual([{ condition: 'tx.value <= 0.01 sol', holds: false, why: 'moves 0.5 sol' }])
    expect(await balance(net, to)).toBe(10_000_000n) // nothing signed, nothing sent
    await w.bob.approveAction({ actionId: big.actionId })
    const landed = await solana.resume({ requestId: big.requestId })
    expect((await w.bob.getAction({ id: big.actionId })).decidedBy).toBe('approved by the clause all([alice, bob])')
    expect(net.executed.has(landed.signature)).toBe(true)
    expect(await balance(net, to)).toBe(10_000_000n + SOL / 2n)
    // the SVM checked the threshold signature; noble agrees
    const signed = VersionedTransaction.deserialize(base64.decode(landed.signedTx))
    expect(ed25519.verify(signed.signatures[0]!, signed.message.serialize(), solana.publicKey.toBytes(), { zip215: false })).toBe(true)
  })
})

describe('SPL tokens', () => {
  it('a TransferChecked is not let through by the tx.value clause: however small, it needs Bob; then it lands', async () => {
    const net = svmNetwork()
    const solana = await funded(net, key)
    const recipient = Keypair.generate().publicKey
    const mint = await usdc(net, [solana.publicKey], 10_000_000n, [recipient])

    const pending = await waitsForBob(solana.transferToken({ mint, to: recipient, amount: 1n, createRecipientAccount: false, approvals: 'fail' }))
    const action = await w.bob.getAction({ id: pending.actionId })
    const destination = spl.getAssociatedTokenAddressSync(mint, recipient).toBase58()
    expect(action.subject).toMatchObject({ transaction: { transfers: [{ kind: 'transfer', asset: mint.toBase58(), to: destination, amount: 1n }], calls: [] } })
    expect(action.conditions).toEqual([{ condition: 'tx.value <= 0.01 sol', holds: false, why: 'not a transfer of the native coin alone: it moves a token' }])
    await w.bob.approveAction({ actionId: pending.actionId })
    const landed = await solana.resume({ requestId: pending.requestId })
    expect(net.executed.has(landed.signature)).toBe(true)
    expect(await tokens(net, mint, recipient)).toBe(1n)
  })

  it('with the token named in the workspace (setWorkspaceToken) and a clause about it, a small transfer goes through on Alice alone; more waits', async () => {
    const net = svmNetwork()
    const solana = await funded(net, tokenKey)
    const recipient = Keypair.generate().publicKey
    const mint = await usdc(net, [solana.publicKey], 100_000_000n, [recipient])
    // The mint is new on each SVM: name it for this test (the workspace's admin policy is any one owner).
    await w.alice.setWorkspaceToken({ workspace: tokenWorkspace, name: 'usdc', token: { chain: 'solana', network: 'solana:localnet', asset: mint.toBase58(), decimals: 6 } })

    const small = await solana.transferToken({ mint, to: recipient, amount: 4_500_000n, createRecipientAccount: false })
    const request = await w.alice.getSignRequest({ id: small.requestId })
    expect(request.transaction?.conditions).toEqual([
      { condition: 'tx.token == usdc', holds: true, why: 'moves usdc' },
      { condition: 'tx.amount <= 5 usdc', holds: true, why: 'moves 4.5 usdc' },
    ])
    expect(request.decidedBy).toBe('approved by the clause tx.token == usdc && tx.amount <= 5 usdc && any(1, [alice, bob])')
    expect(net.executed.has(small.signature)).toBe(true)
    expect(await tokens(net, mint, recipient)).toBe(4_500_000n)

    const big = await waitsForBob(solana.transferToken({ mint, to: recipient, amount: 5_000_001n, createRecipientAccount: false, approvals: 'fail' }))
    expect((await w.bob.getAction({ id: big.actionId })).conditions?.[1]).toEqual({ condition: 'tx.amount <= 5 usdc', holds: false, why: 'moves 5.000001 usdc' })
    // Creating the recipient's account on the way is a call the decoder cannot read: no longer "one token alone".
    const withCreate = await waitsForBob(solana.transferToken({ mint, to: Keypair.generate().publicKey, amount: 1n, approvals: 'fail' }))
    expect((await w.bob.getAction({ id: withCreate.actionId })).conditions?.[0]).toEqual({ condition: 'tx.token == usdc', holds: false, why: 'not a movement of one token alone: it moves 1 call(s) the decoder cannot read' })
    expect(await tokens(net, mint, recipient)).toBe(4_500_000n)
  })
})

describe('the host signer (wallet-adapter signTransaction / signAllTransactions)', () => {
  it('a small legacy Transaction is a sign-transaction request on Alice alone; a v0 message paying a recipient from a lookup table is a call that waits for Bob; both land', async () => {
    const net = svmNetwork()
    const solana = await funded(net, key)
    const [near, far] = [Keypair.generate().publicKey, Keypair.generate().publicKey]
    // A lookup table holding `far`, made by a local authority (setup), active from the next slot.
    const authority = Keypair.generate()
    net.airdrop(authority.publicKey, SOL)
    const [create, table] = AddressLookupTableProgram.createLookupTable({ authority: authority.publicKey, payer: authority.publicKey, recentSlot: await net.getSlot('finalized') })
    await sendLocal(net, [create, AddressLookupTableProgram.extendLookupTable({ lookupTable: table, authority: authority.publicKey, payer: authority.publicKey, addresses: [far] })], authority)
    net.advance()
    const lookupTable = new AddressLookupTableAccount({ key: table, state: AddressLookupTableAccount.deserialize((await net.getAccountInfo(table, 'confirmed'))!.data) })

    const { blockhash, lastValidBlockHeight } = await net.getLatestBlockhash('confirmed')
    const legacy = new Transaction({ feePayer: solana.publicKey, blockhash, lastValidBlockHeight }).add(SystemProgram.transfer({ fromPubkey: solana.publicKey, toPubkey: near, lamports: 2_000_000 }))
    const v0 = new TransactionMessage({ payerKey: solana.publicKey, recentBlockhash: blockhash, instructions: [SystemProgram.transfer({ fromPubkey: solana.publicKey, toPubkey: far, lamports: 1_000_000 })] }).compileToV0Message([lookupTable])
    expect(v0.staticAccountKeys.some((k) => k.equals(far))).toBe(false) // the recipient is loaded from the table

    const seen = bobReadsAndApproves(w.bob, w.shared)
    const before = (await w.alice.listSignRequests({ keyId: key.id, limit: 1000 })).items.length
    const [signedLegacy, signedV0] = (await solana.signer.signAllTransactions([legacy, new VersionedTransaction(v0)])) as [Transaction, VersionedTransaction]

    const [first, second] = (await w.alice.listSignRequests({ keyId: key.id, limit: 1000 })).items.slice(before)
    expect(first!.transaction?.decoded).toMatchObject({ format: 'legacy', transfers: [{ to: near.toBase58(), amount: 2_000_000n }] })
    expect(first!.decidedBy).toBe('approved by the clause tx.value <= 0.01 sol && any(1, [alice, bob])')
    expect(second!.transaction?.decoded).toMatchObject({ format: 'v0', transfers: [], calls: [{ to: SystemProgram.programId.toBase58(), selector: '02', value: 1_000_000n }], fields: { lookupTables: '1' } })
    expect(second!.decidedBy).toBe('approved by the clause all([alice, bob])')
    // Bob was asked about the v0 message only, and read why
    expect(seen.map((a) => a.subject.kind === 'sign-request' && a.subject.signRequestId)).toEqual([second!.id])
    expect(seen[0]!.conditions).toEqual([{ condition: 'tx.value <= 0.01 sol', holds: false, why: 'not a transfer of the native coin alone: it moves 1 call(s) the decoder cannot read' }])

    // The SVM runs both: it checks the threshold signatures and resolves the table
    await net.sendRawTransaction(signedLegacy.serialize(), { skipPreflight: false, preflightCommitment: 'confirmed' })
    await net.sendRawTransaction(signedV0.serialize(), { skipPreflight: false, preflightCommitment: 'confirmed' })
    expect(net.executed.has(base58.encode(signedLegacy.signature!))).toBe(true)
    expect(net.executed.has(base58.encode(signedV0.signatures[0]!))).toBe(true)
    expect(await balance(net, near)).toBe(2_000_000n)
    expect(await balance(net, far)).toBe(1_000_000n)
  })
})
