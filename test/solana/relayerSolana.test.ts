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

async function expectCode(promise: Promise<unknown>, code: ZrErrorCode, detail?: RegExp) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(isZrError(error, code), `expected ${code}, got ${String(error)}`).toBe(true)
  if (detail) expect(String((error as { details?: string }).details)).toMatch(detail)
  return error as { details?: string; meta: Record<string, unknown> }
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
