/**
 * Sign-transaction requests end to end on a real local chain (anvil, started and stopped here): a ledger
 * whose genesis runs the EVM decoder (`evm@1`), a 2-of-3 threshold-ECDSA federation keyring, Alice and Bob
 * owning the workspace under the sign policy `tx.value <= 0.1 eth && any(1, [alice, bob]) || all([alice, bob])`.
 * The relayer's requests carry the unsigned transaction: the ledger reads it, computes the digest itself and
 * judges what it does. Every signature is checked by the chain (the transaction confirms) and every token
 * balance is read from it.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { type RelayEvent, type ZrClient, isZrError } from '@zrkit/core'
import { type EvmRelayer, createEvmNonceManager, createEvmRelayer, toEvmSignature } from '@zrkit/relayer-evm'
import { evmTransactionDecoder } from '@zrkit/relayer-evm/decoder'
import { type Address, type Hex, createWalletClient, encodeFunctionData, hexToBytes, http, keccak256, parseEther, parseUnits, serializeSignature, verifyMessage } from 'viem'
import { foundry } from 'viem/chains'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Anvil, startAnvil } from '../evm/anvil.js'
import { type EvmWorld, anvilClients, evmWorld } from '../evm/world.js'
import { tokenAbi, tokenBytecode, tokenRuntime } from './evmToken.js'

const RECIPIENT: Address = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const POLICY = 'tx.value <= 0.1 eth && any(1, [alice, bob]) || all([alice, bob])'
const usdc = (n: string) => parseUnits(n, 6)

let anvil: Anvil
let w: EvmWorld
let evm: EvmRelayer
let token: Address
beforeAll(async () => {
  anvil = await startAnvil()
  w = await evmWorld(anvil, { transactionDecoders: [evmTransactionDecoder()], signPolicy: POLICY })
  evm = await createEvmRelayer({ client: w.alice, publicClient: w.publicClient, keyId: w.key.id, nonceManager: createEvmNonceManager() })
  await w.fund(evm.address, parseEther('10'))
  // A token whose whole supply (1 000 000 units of 6 decimals) the key holds, deployed by anvil's development account.
  const { funder } = anvilClients(anvil)
  const [dev] = await funder.getAddresses()
  const hash = await funder.deployContract({ account: dev!, abi: tokenAbi, bytecode: tokenBytecode, args: [evm.address, usdc('1000000')] })
  token = (await w.publicClient.waitForTransactionReceipt({ hash })).contractAddress!
  expect(await w.publicClient.getCode({ address: token })).toBe(tokenRuntime)
})
afterAll(async () => {
  await w?.close()
  await anvil?.stop()
})

const tokenBalance = (address: Address) => w.publicClient.readContract({ address: token, abi: tokenAbi, functionName: 'balanceOf', args: [address] })
const transferData = (amount: bigint) => encodeFunctionData({ abi: tokenAbi, functionName: 'transfer', args: [RECIPIENT, amount] })

/** An admin change of the workspace: done at once, or once Bob approves it. */
async function adminChange(change: (alice: ZrClient) => Promise<{ status: string; actionId?: number }>) {
  const r = await change(w.alice)
  if (r.status === 'pending') await w.bob.approveAction({ actionId: r.actionId! })
  else expect(r.status).toBe('applied')
}

describe('sign-transaction requests on anvil', () => {
  it('a small transfer goes through on Alice alone: the ledger read the transaction, signed its digest, and the chain confirms it', async () => {
    const before = await w.publicClient.getBalance({ address: RECIPIENT })
    const events: RelayEvent[] = []
    const { requestId, receipt, signedTx } = await evm.sendTransaction({ to: RECIPIENT, value: parseEther('0.05'), timeoutMs: 30_000, onEvent: (e) => events.push(e) })
    expect(receipt!.status).toBe('success')
    expect(await w.publicClient.getBalance({ address: RECIPIENT })).toBe(before + parseEther('0.05'))
    expect(events.find((e) => e.type === 'requested')).toMatchObject({ requestKind: 'transaction', status: 'pending' })

    const request = await w.alice.getSignRequest({ id: requestId })
    expect(request.actionId).toBeUndefined() // no approval was asked for
    expect(request.decidedBy).toBe('approved by the clause tx.value <= 0.1 eth && any(1, [alice, bob])')
    expect(request.transaction?.decoded).toMatchObject({ network: 'eip155:31337', from: evm.address.toLowerCase(), transfers: [{ kind: 'transfer', asset: 'native', to: RECIPIENT.toLowerCase(), amount: parseEther('0.05') }] })
    expect(request.transaction?.conditions).toEqual([{ condition: 'tx.value <= 0.1 eth', holds: true, why: 'moves 0.05 eth' }])
    // the digest the ledger computed is keccak-256 of the transaction the chain holds, unsigned
    const unsigned = request.transaction!.unsignedTransaction
    expect(request.payloads).toEqual([hexToBytes(keccak256(unsigned))])
    expect(secp256k1.verify(request.signatures![0]!.subarray(0, 64), request.payloads[0]!, request.publicKey, { prehash: false })).toBe(true)
    expect((await w.publicClient.getTransaction({ hash: keccak256(signedTx) })).nonce).toBe(Number(request.transaction!.decoded.fields.nonce))
  })

  it('a large one waits: Bob reads what it does and why it waits, approves, and it confirms', async () => {
    const before = await w.publicClient.getBalance({ address: RECIPIENT })
    const submitted = await evm.submit({ to: RECIPIENT, value: parseEther('1') })
    expect(submitted).toMatchObject({ requestKind: 'transaction', status: 'partial' })
    const action = await w.bob.getAction({ id: submitted.actionId! })
    expect(action.subject).toMatchObject({ kind: 'sign-request', signRequestId: submitted.requestId, transaction: { transfers: [{ kind: 'transfer', asset: 'native', to: RECIPIENT.toLowerCase(), amount: parseEther('1') }] } })
    expect(action.conditions).toEqual([{ condition: 'tx.value <= 0.1 eth', holds: false, why: 'moves 1 eth' }])
    await w.bob.approveAction({ actionId: submitted.actionId! })
    const { receipt } = await evm.resume({ requestId: submitted.requestId, timeoutMs: 30_000 })
    expect(receipt!.status).toBe('success')
    expect(await w.publicClient.getBalance({ address: RECIPIENT })).toBe(before + parseEther('1'))
    expect((await w.alice.getSignRequest({ id: submitted.requestId })).decidedBy).toBe('approved by the clause all([alice, bob])')
  })

  it('the lie of a zero value: an ERC-20 transfer of a large amount with no ether is not let through by the tx.value clause; it needs Bob', async () => {
    const submitted = await evm.submit({ to: token, data: transferData(usdc('500000')) })
    expect(submitted).toMatchObject({ requestKind: 'transaction', status: 'partial' })
    expect(submitted.summary.value).toBe('0') // what the relayer's summary says
    const action = await w.bob.getAction({ id: submitted.actionId! })
    // what the ledger read: half the supply of the token leaves
    expect(action.subject).toMatchObject({ transaction: { transfers: [{ kind: 'transfer', asset: token.toLowerCase(), to: RECIPIENT.toLowerCase(), amount: usdc('500000') }], calls: [] } })
    expect(action.conditions).toEqual([{ condition: 'tx.value <= 0.1 eth', holds: false, why: 'not a transfer of the native coin alone: it moves a token' }])
    await w.bob.approveAction({ actionId: submitted.actionId! })
    const { receipt } = await evm.resume({ requestId: submitted.requestId, timeoutMs: 30_000 })
    expect(receipt!.status).toBe('success')
    expect(await tokenBalance(RECIPIENT)).toBe(usdc('500000'))
    expect(await tokenBalance(evm.address)).toBe(usdc('500000'))
  })

  it('with a workspace token usdc and a token clause, a small token transfer goes through on Alice alone; a larger one waits', async () => {
    await adminChange((alice) => alice.setWorkspaceToken({ workspace: w.workspace, name: 'usdc', token: { chain: 'evm', network: 'eip155:31337', asset: token, decimals: 6 } }))
    const [alice, bob] = [w.alice.account!.address, w.bob.account!.address]
    const { policyId } = await w.alice.createPolicy({
      name: 'small payments and small usdc on one approval',
      participants: { alice, bob },
      expression: `${POLICY.replace(' || all([alice, bob])', '')} || tx.token == usdc && tx.amount <= 100 usdc && any(1, [alice, bob]) || all([alice, bob])`,
    })
    await adminChange((a) => a.updateWorkspace({ workspace: w.workspace, signPolicyId: policyId }))

    const small = await evm.writeContract({ address: token, abi: tokenAbi, functionName: 'transfer', args: [RECIPIENT, usdc('50')], timeoutMs: 30_000, approvals: 'fail' })
    expect(small.receipt!.status).toBe('success')
    expect(await tokenBalance(RECIPIENT)).toBe(usdc('500050'))
    const request = await w.alice.getSignRequest({ id: small.requestId })
    expect(request.transaction?.conditions).toEqual([
      { condition: 'tx.value <= 0.1 eth', holds: false, why: 'not a transfer of the native coin alone: it moves a token' },
      { condition: 'tx.token == usdc', holds: true, why: 'moves usdc' },
      { condition: 'tx.amount <= 100 usdc', holds: true, why: 'moves 50 usdc' },
    ])
    expect(request.decidedBy).toBe('approved by the clause tx.token == usdc && tx.amount <= 100 usdc && any(1, [alice, bob])')

    // 101 usdc is over the clause's limit: it waits for Bob, who rejects it; its nonce is given back
    const large = await evm.submit({ to: token, data: transferData(usdc('101')) })
    expect(large.status).toBe('partial')
    expect((await w.bob.getAction({ id: large.actionId! })).conditions![2]).toEqual({ condition: 'tx.amount <= 100 usdc', holds: false, why: 'moves 101 usdc' })
    await w.bob.rejectAction({ actionId: large.actionId! })
    const rejected = await evm.resume({ requestId: large.requestId, timeoutMs: 30_000 }).catch((e: unknown) => e)
    expect(isZrError(rejected, 'REQUEST_REJECTED')).toBe(true)
    expect(evm.nonceManager.held({ address: evm.address, chainId: 31337 })).toEqual([])
  })

  it("the host signer: viem's sendTransaction with the relayer's account makes a sign-transaction request and goes through on Alice alone; signMessage stays a payload request", async () => {
    const account = evm.toAccount({ approvals: 'fail', timeoutMs: 30_000 })
    const wallet = createWalletClient({ account, chain: foundry, transport: http(anvil.url) })
    const before = await w.publicClient.getBalance({ address: RECIPIENT })
    const hash = await wallet.sendTransaction({ to: RECIPIENT, value: parseEther('0.01') })
    expect((await w.publicClient.waitForTransactionReceipt({ hash })).status).toBe('success')
    expect(await w.publicClient.getBalance({ address: RECIPIENT })).toBe(before + parseEther('0.01'))
    const { items } = await w.alice.listSignRequests({ keyId: w.key.id })
    const request = items.at(-1)!
    expect(request).toMatchObject({ status: 'fulfilled', decidedBy: 'approved by the clause tx.value <= 0.1 eth && any(1, [alice, bob])' })
    // the ledger read exactly the transaction the chain holds
    const record = await evm.relayer.getRelay({ requestId: request.id })
    expect(record).toMatchObject({ txid: hash, requestKind: 'transaction' })
    expect(request.transaction!.unsignedTransaction).toEqual(hexToBytes(record.unsignedTx as Hex))
    expect(request.transaction?.decoded.transfers).toEqual([{ kind: 'transfer', asset: 'native', to: RECIPIENT.toLowerCase(), amount: parseEther('0.01') }])

    // a message is no transaction: a payload request, on which tx. conditions never hold, so it needs Bob
    const pending = await account.signMessage({ message: 'zrkit' }).catch((e: unknown) => e)
    let cause: unknown = pending
    while (cause && !isZrError(cause)) cause = (cause as { cause?: unknown }).cause
    expect(isZrError(cause, 'APPROVAL_PENDING')).toBe(true)
    const requestId = (cause as { context: { requestId: number } }).context.requestId
    const message = await w.alice.getSignRequest({ id: requestId })
    expect(message.transaction).toBeUndefined()
    await w.bob.approveAction({ actionId: message.actionId! })
    const { signatures } = await w.alice.waitForSignRequest({ requestId, timeoutMs: 30_000 })
    expect(await verifyMessage({ address: evm.address, message: 'zrkit', signature: serializeSignature(toEvmSignature(signatures[0]!)) })).toBe(true)
  })
})
