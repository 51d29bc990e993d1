/**
 * The relayer over a real web3.js `Connection`, as far as that goes without a Solana cluster: no validator
 * runs here (only npm packages do), so the Connection's HTTP requests go to a JSON-RPC shim (./rpcShim.ts)
 * in front of the same in-process SVM. web3.js builds the real requests and parses and validates the
 * answers, and the transactions run on a real SVM, but the answers are written by the shim from the
 * documented JSON-RPC API: these tests show that the relayer drives `Connection` correctly (methods,
 * parameters, preflight and re-send settings, commitment levels, errors), not how a real node behaves.
 * Against devnet, the package README shows the same calls.
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { type Key, type ZrErrorCode, isZrError } from '@zrkit/core'
import { connectionNetwork, createSolanaRelayer, solanaChainId, type SolanaRelayer } from '@zrkit/relayer-solana'
import * as spl from '@solana/spl-token'
import { Connection, Keypair, LAMPORTS_PER_SOL, SystemProgram, Transaction, VersionedTransaction } from '@solana/web3.js'
import { base64 } from '@scure/base'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RpcShim, rpcShim } from './rpcShim.js'
import { type SvmNetwork, svmNetwork } from './svm.js'
import { type SolanaWorld, solanaWorld } from './world.js'
import { expectZrError as expectCode } from '@zrkit/testkit'

const SOL = BigInt(LAMPORTS_PER_SOL)
const fast = { pollIntervalMs: 5, resendIntervalMs: 20, confirmTimeoutMs: 20_000 }

let w: SolanaWorld
let key: Key
beforeAll(async () => {
  w = await solanaWorld()
  key = await w.newKey()
})
afterAll(async () => {
  await w?.close()
})

type Setup = { net: SvmNetwork; shim: RpcShim; connection: Connection; solana: SolanaRelayer }

async function setup(options: Partial<Parameters<typeof createSolanaRelayer>[0]> = {}): Promise<Setup> {
  const net = svmNetwork()
  const shim = rpcShim(net)
  const connection = new Connection('http://127.0.0.1:8899', { commitment: 'confirmed', fetch: shim.fetch, disableRetryOnRateLimit: true })
  const solana = await createSolanaRelayer({ client: w.alice, network: connection, keyId: key.id, adapter: fast, ...options })
  net.airdrop(solana.publicKey, 10n * SOL)
  return { net, shim, connection, solana }
}

describe('over a web3.js Connection', () => {
  it('names the cluster from getGenesisHash, sends with preflight, and confirms by polling getSignatureStatuses', async () => {
    const { net, shim, connection, solana } = await setup()
    expect(solana.chain).toBe(solanaChainId(await connection.getGenesisHash()))
    const to = Keypair.generate().publicKey
    const result = await solana.transfer({ to, lamports: 2_500_000 })
    expect(await connection.getBalance(to)).toBe(2_500_000)
    expect(result.receipt?.err).toBeNull()
    const tx = VersionedTransaction.deserialize(base64.decode(result.signedTx))
    expect(ed25519.verify(tx.signatures[0]!, tx.message.serialize(), key.publicKey, { zip215: false })).toBe(true)
    expect(shim.methods).toEqual(expect.arrayContaining(['getGenesisHash', 'getLatestBlockhash', 'sendTransaction', 'getSignatureStatuses']))
    expect(shim.sendConfigs[0]).toMatchObject({ encoding: 'base64', preflightCommitment: 'confirmed' })
    expect(shim.sendConfigs[0]!.skipPreflight).toBeUndefined()
    expect(net.executed.has(result.signature)).toBe(true)
  })

  it('waits for the chosen commitment: finalized takes more polls than confirmed', async () => {
    const confirmed = await setup()
    confirmed.shim.climbCommitments(2)
    const r1 = await confirmed.solana.transfer({ to: Keypair.generate().publicKey, lamports: 1_000_000 })
    expect(r1.receipt?.confirmationStatus).toBe('confirmed')
    const polls1 = confirmed.shim.methods.filter((m) => m === 'getSignatureStatuses').length

    const finalized = await setup({ commitment: 'finalized' })
    finalized.shim.climbCommitments(2)
    const r2 = await finalized.solana.transfer({ to: Keypair.generate().publicKey, lamports: 1_000_000 })
    expect(r2.receipt?.confirmationStatus).toBe('finalized')
    const polls2 = finalized.shim.methods.filter((m) => m === 'getSignatureStatuses').length
    expect(polls2).toBeGreaterThan(polls1)
    expect(finalized.shim.sendConfigs[0]).toMatchObject({ preflightCommitment: 'finalized' })
  })

  it('re-sends without preflight and with no node retries while the network has not seen it', async () => {
    const { net, shim, connection, solana } = await setup()
    net.dropSends(2)
    const to = Keypair.generate().publicKey
    await solana.transfer({ to, lamports: 1_500_000 })
    expect(await connection.getBalance(to)).toBe(1_500_000)
    expect(shim.sendConfigs.length).toBeGreaterThanOrEqual(3)
    for (const resend of shim.sendConfigs.slice(1)) expect(resend).toMatchObject({ skipPreflight: true, maxRetries: 0 })
  })

  it('SPL tokens, a lookup table and a durable nonce, read through getAccountInfo', async () => {
    const { net, connection, solana } = await setup()
    // A mint and tokens for the key (setup with a local keypair, through the same Connection).
    const authority = Keypair.generate()
    const mint = Keypair.generate()
    net.airdrop(authority.publicKey, SOL)
    const setupTx = new Transaction({ feePayer: authority.publicKey, ...(await connection.getLatestBlockhash()) }).add(
      SystemProgram.createAccount({ fromPubkey: authority.publicKey, newAccountPubkey: mint.publicKey, lamports: await connection.getMinimumBalanceForRentExemption(spl.MINT_SIZE), space: spl.MINT_SIZE, programId: spl.TOKEN_PROGRAM_ID }),
      spl.createInitializeMint2Instruction(mint.publicKey, 9, authority.publicKey, null),
      spl.createAssociatedTokenAccountIdempotentInstruction(authority.publicKey, spl.getAssociatedTokenAddressSync(mint.publicKey, solana.publicKey), solana.publicKey, mint.publicKey),
      spl.createMintToInstruction(mint.publicKey, spl.getAssociatedTokenAddressSync(mint.publicKey, solana.publicKey), authority.publicKey, 10n ** 9n),
    )
    setupTx.sign(authority, mint)
    await connection.sendRawTransaction(setupTx.serialize())

    const recipient = Keypair.generate().publicKey
    await solana.transferToken({ mint: mint.publicKey, to: recipient, amount: 123_456_789n })
    expect((await spl.getAccount(connection, spl.getAssociatedTokenAddressSync(mint.publicKey, recipient))).amount).toBe(123_456_789n)

    const { lookupTable } = await solana.createLookupTable({ addresses: [recipient] })
    net.advance()
    const { value: table } = await connection.getAddressLookupTable(lookupTable)
    expect(table?.state.addresses.map((a) => a.toBase58())).toEqual([recipient.toBase58()])
    const v0 = await solana.transfer({ to: recipient, lamports: 1_000_000, addressLookupTables: [lookupTable] })
    expect(VersionedTransaction.deserialize(base64.decode(v0.signedTx)).message.addressTableLookups.length).toBe(1)

    const nonceAccount = Keypair.generate()
    await solana.createNonceAccount({ nonceAccount })
    const { nonce } = (await connection.getNonce(nonceAccount.publicKey))!
    net.advance(5)
    const viaNonce = await solana.transfer({ to: recipient, lamports: 1_000_000, nonce: { account: nonceAccount.publicKey } })
    expect(VersionedTransaction.deserialize(base64.decode(viaNonce.signedTx)).message.recentBlockhash).toBe(nonce)
    expect(await connection.getBalance(recipient)).toBe(2_000_000)
  })

  it('a preflight refusal is BROADCAST_FAILED with the program logs from SendTransactionError', async () => {
    const { solana } = await setup()
    const error = await expectCode(solana.transfer({ to: Keypair.generate().publicKey, lamports: 100n * SOL }), 'BROADCAST_FAILED', /simulation failed/)
    expect(Array.isArray(error.meta.logs)).toBe(true)
    expect((error.meta.logs as string[]).join('\n')).toMatch(/insufficient lamports/)
  })

  it('rides out a few failed reads while confirming; a node that keeps failing is NODE_REQUEST_FAILED', async () => {
    const flaky = await setup()
    const to = Keypair.generate().publicKey
    const { requestId } = await flaky.solana.submit({ instructions: [SystemProgram.transfer({ fromPubkey: flaky.solana.publicKey, toPubkey: to, lamports: 1_000_000 })] })
    await flaky.solana.relayer.sign({ requestId })
    flaky.net.dropSends(1) // the first send is lost, so confirm has to poll
    await flaky.solana.relayer.resume({ requestId, confirm: false })
    flaky.shim.failNext(3)
    const done = await flaky.solana.resume({ requestId })
    expect(done.receipt?.err).toBeNull()
    expect(await flaky.connection.getBalance(to)).toBe(1_000_000)

    // Down for good while confirming: after a few reads in a row, confirm gives up; the relay stays resumable.
    const { requestId: second } = await flaky.solana.submit({ instructions: [SystemProgram.transfer({ fromPubkey: flaky.solana.publicKey, toPubkey: to, lamports: 1_000_000 })] })
    await flaky.solana.relayer.sign({ requestId: second })
    flaky.net.dropSends(1)
    await flaky.solana.relayer.resume({ requestId: second, confirm: false })
    flaky.shim.failNext(1_000)
    await expectCode(flaky.solana.resume({ requestId: second }), 'NODE_REQUEST_FAILED', /reads in a row failed/)
    flaky.shim.failNext(0)
    expect((await flaky.solana.relayer.getRelay({ requestId: second })).status).toBe('broadcast')
    await flaky.solana.resume({ requestId: second })
    expect(await flaky.connection.getBalance(to)).toBe(2_000_000)

    const net = svmNetwork()
    const shim = rpcShim(net)
    const connection = new Connection('http://127.0.0.1:8899', { fetch: shim.fetch, disableRetryOnRateLimit: true })
    shim.failNext(1)
    await expectCode(createSolanaRelayer({ client: w.alice, network: connection, keyId: key.id }), 'NODE_REQUEST_FAILED', /genesis hash.*503/)
    expect(() => connectionNetwork({} as Connection)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
  })
})
