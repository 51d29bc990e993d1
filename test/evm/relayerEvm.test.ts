/**
 * @zrkit/relayer-evm end to end on a real local chain: anvil from npm `@foundry-rs/anvil`, started and
 * stopped by this suite. Every transaction is signed by a ledger key through signature requests under
 * a 2-of-2 sign policy (Bob approves), and judged by the chain itself (receipts, balances, nonces,
 * contract state) and by viem's independent verifiers.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { type RelayEvent, type ZrErrorCode, isZrError, memoryRelayJournal } from '@zrkit/core'
import { type EvmRelayer, createEvmNonceManager, createEvmRelayer } from '@zrkit/relayer-evm'
import {
  type Address,
  type Hex,
  bytesToHex,
  concat,
  createWalletClient,
  hexToBytes,
  http,
  keccak256,
  parseEther,
  parseTransaction,
  recoverTransactionAddress,
  serializeTransaction,
  verifyMessage,
  verifyTypedData,
} from 'viem'
import { foundry, mainnet } from 'viem/chains'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type Anvil, startAnvil } from './anvil.js'
import { type EvmWorld, anvilClients, evmWorld } from './world.js'

let anvil: Anvil
const worlds: EvmWorld[] = []
const stops: (() => void)[] = []
beforeAll(async () => {
  anvil = await startAnvil()
})
afterEach(async () => {
  for (const s of stops.splice(0)) s()
  for (const w of worlds.splice(0)) await w.close()
})
afterAll(async () => {
  await anvil?.stop()
})

const RECIPIENT: Address = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'

/**
 * A tiny storage contract, assembled by hand: the constructor stores its uint256 argument in slot 0;
 * a call with arguments (`set(uint256)`) stores the first one; a call without (`get()`) returns slot 0.
 */
const storeAbi = [
  { type: 'constructor', inputs: [{ name: 'initial', type: 'uint256' }], stateMutability: 'nonpayable' },
  { type: 'function', name: 'set', inputs: [{ name: 'value', type: 'uint256' }], outputs: [], stateMutability: 'nonpayable' },
  { type: 'function', name: 'get', inputs: [], outputs: [{ name: '', type: 'uint256' }], stateMutability: 'view' },
] as const
const storeRuntime = concat([
  '0x36', '0x6004', '0x10', '0x6012', '0x57', //     if (4 < calldatasize) goto set
  '0x6000', '0x54', '0x6000', '0x52', //             mstore(0, sload(0))
  '0x6020', '0x6000', '0xf3', //                     return(0, 32)
  '0x5b', '0x6004', '0x35', '0x6000', '0x55', '0x00', // set: sstore(0, calldataload(4)); stop
])
const storeBytecode = concat([
  '0x6020', '0x6020', '0x38', '0x03', '0x6000', '0x39', // codecopy(0, codesize - 32, 32): the constructor argument
  '0x6000', '0x51', '0x6000', '0x55', //                  sstore(0, mload(0))
  '0x601a', '0x601b', '0x6000', '0x39', //                codecopy(0, 27, 26): the runtime code
  '0x601a', '0x6000', '0xf3', //                          return(0, 26)
  storeRuntime,
])

async function world(): Promise<EvmWorld> {
  const w = await evmWorld(anvil)
  worlds.push(w)
  return w
}

/** A relayer on the world's key with its own nonce manager, its address funded with 10 ether. */
async function fundedRelayer(w: EvmWorld, options: Partial<Parameters<typeof createEvmRelayer>[0]> = {}): Promise<EvmRelayer> {
  const evm = await createEvmRelayer({ client: w.alice, publicClient: w.publicClient, keyId: w.key.id, nonceManager: createEvmNonceManager(), ...options })
  await w.fund(evm.address, parseEther('10'))
  return evm
}

function bobApproves(w: EvmWorld) {
  stops.push(w.bobApprovesAll())
}

/** The ZrError somewhere in an error's cause chain (viem wraps what an account throws). */
function zrErrorIn(e: unknown, code: ZrErrorCode) {
  for (let x: unknown = e; x; x = (x as { cause?: unknown }).cause) if (isZrError(x, code)) return x
  throw new Error(`expected a ZrError ${code} in the cause chain, got ${String(e)}`, { cause: e })
}

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a failure, but it succeeded')
    },
    (e: unknown) => e,
  )
}

/** Every transaction the node holds from `address`, pending or queued (anvil's txpool_content). */
async function inPool(w: EvmWorld, address: Address): Promise<number[]> {
  const pool = (await w.publicClient.request({ method: 'txpool_content' as never })) as Record<'pending' | 'queued', Record<string, Record<string, unknown>>>
  const mine = (part: Record<string, Record<string, unknown>>) => Object.entries(part).flatMap(([a, txs]) => (a.toLowerCase() === address.toLowerCase() ? Object.keys(txs).map(Number) : []))
  return [...mine(pool.pending), ...mine(pool.queued)].sort((a, b) => a - b)
}

/** Waits until the request has an approval action open, and returns its id. */
async function actionOf(w: EvmWorld, requestId: number): Promise<number> {
  for (;;) {
    const r = await w.alice.getSignRequest({ id: requestId })
    if (r.actionId !== undefined) return r.actionId
    await new Promise((res) => setTimeout(res, 10))
  }
}

/** The id of the newest signature request of the world's key, once there are `count`. */
async function nthRequest(w: EvmWorld, count: number): Promise<number> {
  for (;;) {
    const { items } = await w.alice.listSignRequests({ keyId: w.key.id })
    if (items.length >= count) return items[count - 1]!.id
    await new Promise((res) => setTimeout(res, 10))
  }
}

describe('EVM relayer on anvil', () => {
  it('funds the key address; a transfer under the 2-of-2 policy is mined with status success once Bob approves', async () => {
    const w = await world()
    const evm = await fundedRelayer(w)
    const { addresses } = await w.alice.getKey({ id: w.key.id, wallets: [{ type: 'evm' }] })
    expect(evm.address).toBe(addresses![0]!.address)
    expect(await w.publicClient.getBalance({ address: evm.address })).toBe(parseEther('10'))
    const before = await w.publicClient.getBalance({ address: RECIPIENT })

    const events: RelayEvent[] = []
    const sending = evm.sendTransaction({ to: RECIPIENT, value: parseEther('1.5'), timeoutMs: 30_000, onEvent: (e) => events.push(e) })
    const requestId = await nthRequest(w, 1)
    const request = await w.alice.getSignRequest({ id: requestId })
    expect(request.status).toBe('partial') // Alice alone is not enough
    expect(request.metadata).toMatchObject({ 'zrkit.chain': 'eip155:31337', 'zrkit.tx.from': evm.address, 'zrkit.tx.to': RECIPIENT, 'zrkit.tx.value': String(parseEther('1.5')), 'zrkit.tx.nonce': '0' })
    expect(await inPool(w, evm.address)).toEqual([])
    await w.bob.approveAction({ actionId: request.actionId! })
    const { hash, receipt, signedTx } = await sending

    expect(receipt!.status).toBe('success')
    expect(receipt!.from).toBe(evm.address.toLowerCase())
    expect(receipt!.type).toBe('eip1559')
    expect(await w.publicClient.getBalance({ address: RECIPIENT })).toBe(before + parseEther('1.5'))
    expect(await w.publicClient.getTransactionCount({ address: evm.address })).toBe(1)
    // The chain's transaction carries the ledger's signature, yParity = its recovery id.
    const signature = (await w.alice.getSignRequest({ id: requestId })).signatures![0]!
    const onChain = await w.publicClient.getTransaction({ hash })
    expect(BigInt(onChain.r)).toBe(BigInt(bytesToHex(signature.subarray(0, 32))))
    expect(BigInt(onChain.s)).toBe(BigInt(bytesToHex(signature.subarray(32, 64))))
    expect(onChain.yParity).toBe(signature[64])
    expect(await recoverTransactionAddress({ serializedTransaction: signedTx as never })).toBe(evm.address)
    // What the key signed is keccak-256 of the unsigned transaction: noble verifies it independently.
    const unsigned = serializeTransaction({ ...parseTransaction(signedTx), r: undefined, s: undefined, v: undefined, yParity: undefined } as never)
    expect(secp256k1.verify(signature.subarray(0, 64), hexToBytes(keccak256(unsigned)), request.publicKey, { prehash: false })).toBe(true)

    const types = events.map((e) => (e.type === 'ledger' ? `ledger:${e.event.type}` : e.type))
    expect(types.slice(0, 2)).toEqual(['prepared', 'requested'])
    expect(types).toEqual(expect.arrayContaining(['ledger:action.approved', 'ledger:signRequest.fulfilled']))
    expect(types.slice(-3)).toEqual(['signed', 'broadcast', 'confirmed'])
  })

  it('a send retried with its idempotency key, by this relayer and by a new one on the same journal, is one transaction on chain', async () => {
    const w = await world()
    bobApproves(w)
    const journal = memoryRelayJournal()
    const evm = await fundedRelayer(w, { journal })
    const before = await w.publicClient.getBalance({ address: RECIPIENT })
    const send = (relayer: EvmRelayer) => relayer.sendTransaction({ to: RECIPIENT, value: parseEther('0.25'), idempotencyKey: 'invoice-2026-117', timeoutMs: 30_000 })
    // a dApp backend retries at once (its first call seemed to hang), then again from another process
    const [first, retry] = await Promise.all([send(evm), send(evm)])
    const restarted = await createEvmRelayer({ client: w.alice, publicClient: w.publicClient, keyId: w.key.id, nonceManager: createEvmNonceManager(), journal })
    const later = await send(restarted)
    expect(retry.hash).toBe(first.hash)
    expect(later.hash).toBe(first.hash)
    expect(later.receipt!.status).toBe('success')
    expect(await w.publicClient.getTransactionCount({ address: evm.address })).toBe(1)
    expect(await w.publicClient.getBalance({ address: RECIPIENT })).toBe(before + parseEther('0.25')) // paid once
    expect((await w.alice.listSignRequests({ keyId: w.key.id })).items.length).toBe(1)
    // the same key for another payment is refused before anything is signed
    const err = await restarted.sendTransaction({ to: RECIPIENT, value: parseEther('0.5'), idempotencyKey: 'invoice-2026-117' }).catch((e: unknown) => e)
    expect(isZrError(err, 'IDEMPOTENCY_CONFLICT')).toBe(true)
    expect((await w.alice.listSignRequests({ keyId: w.key.id })).items.length).toBe(1)
  })

  it('deploys a contract and calls it under the 2-of-2 policy: through the relayer, and through viem with the account', async () => {
    const w = await world()
    const evm = await fundedRelayer(w)
    bobApproves(w)

    const deployed = await evm.deployContract({ abi: storeAbi, bytecode: storeBytecode, args: [7n], timeoutMs: 30_000 })
    expect(deployed.receipt!.status).toBe('success')
    const store = deployed.contractAddress!
    expect(store).toMatch(/^0x[0-9a-fA-F]{40}$/)
    expect(await w.publicClient.getCode({ address: store })).toBe(storeRuntime)
    expect(await w.publicClient.readContract({ address: store, abi: storeAbi, functionName: 'get' })).toBe(7n)
    const call = await evm.writeContract({ address: store, abi: storeAbi, functionName: 'set', args: [42n], timeoutMs: 30_000 })
    expect(call.receipt!.status).toBe('success')
    expect(await w.publicClient.readContract({ address: store, abi: storeAbi, functionName: 'get' })).toBe(42n)

    // The same through viem's wallet actions, unchanged, with the zrkit-backed account.
    const wallet = createWalletClient({ account: evm.toAccount({ timeoutMs: 30_000 }), chain: foundry, transport: http(anvil.url) })
    const deployHash = await wallet.deployContract({ abi: storeAbi, bytecode: storeBytecode, args: [99n] })
    const deployReceipt = await w.publicClient.waitForTransactionReceipt({ hash: deployHash })
    expect(deployReceipt.status).toBe('success')
    const store2 = deployReceipt.contractAddress!
    expect(await w.publicClient.readContract({ address: store2, abi: storeAbi, functionName: 'get' })).toBe(99n)
    const writeHash = await wallet.writeContract({ address: store2, abi: storeAbi, functionName: 'set', args: [5n] })
    expect((await w.publicClient.waitForTransactionReceipt({ hash: writeHash })).status).toBe('success')
    expect(await w.publicClient.readContract({ address: store2, abi: storeAbi, functionName: 'get' })).toBe(5n)
    const transferHash = await wallet.sendTransaction({ to: RECIPIENT, value: 1234n })
    expect((await w.publicClient.waitForTransactionReceipt({ hash: transferHash })).status).toBe('success')
    // Five transactions, five signature requests, each approved by Bob, nonces 0..4.
    const { items } = await w.alice.listSignRequests({ keyId: w.key.id })
    expect(items.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled'])
    expect(await w.publicClient.getTransactionCount({ address: evm.address })).toBe(5)
  })

  it('a transaction that is mined but reverts throws TX_FAILED with viem\'s receipt (the one rule of every relayer); the journal says reverted', async () => {
    const w = await world()
    const evm = await fundedRelayer(w)
    bobApproves(w)
    // A contract whose code always reverts: the constructor returns the runtime 0x60006000fd, revert(0, 0).
    const reverter = await evm.deployContract({ abi: [], bytecode: '0x6005600c60003960056000f360006000fd', timeoutMs: 30_000 })
    expect(await w.publicClient.getCode({ address: reverter.contractAddress! })).toBe('0x60006000fd')
    // Gas given, so nothing estimates (and refuses) it before it is signed and mined.
    const e = zrErrorIn(await errorOf(evm.sendTransaction({ to: reverter.contractAddress!, gas: 100_000n, timeoutMs: 30_000 })), 'TX_FAILED')
    const receipt = e.meta.receipt as { status: string; transactionHash: Hex; blockNumber: bigint }
    expect(receipt.status).toBe('reverted')
    expect(e.meta.txid).toBe(receipt.transactionHash)
    expect(e.details).toMatch(/landed but failed: reverted in block \d+/)
    // It was mined: the chain has the reverted transaction, and its nonce is used.
    expect((await w.publicClient.getTransactionReceipt({ hash: receipt.transactionHash })).status).toBe('reverted')
    expect(await w.publicClient.getTransactionCount({ address: evm.address })).toBe(2)
    const requestId = e.meta.requestId as number
    expect((await evm.relayer.getRelay({ requestId })).status).toBe('reverted')
    // resume says the same again, and sends nothing new
    expect(zrErrorIn(await errorOf(evm.resume({ requestId })), 'TX_FAILED').meta.txid).toBe(receipt.transactionHash)
    expect(await w.publicClient.getTransactionCount({ address: evm.address })).toBe(2)
  })

  it('sends EIP-2930 and legacy (EIP-155) transactions, with gas, fee and nonce overrides', async () => {
    const w = await world()
    const evm = await fundedRelayer(w)
    bobApproves(w)
    const gasPrice = (await w.publicClient.getGasPrice()) * 2n
    const accessList = [{ address: RECIPIENT, storageKeys: [`0x${'00'.repeat(31)}01` as Hex] }]

    const t2930 = await evm.sendTransaction({ type: 'eip2930', to: RECIPIENT, value: 1n, accessList, gasPrice, timeoutMs: 30_000 })
    const legacy = await evm.sendTransaction({ to: RECIPIENT, value: 2n, gasPrice, gas: 30_000n, timeoutMs: 30_000 })
    const fee1559 = await evm.sendTransaction({ to: RECIPIENT, value: 3n, maxPriorityFeePerGas: 3n, timeoutMs: 30_000 })

    const [a, b, c] = await Promise.all([t2930, legacy, fee1559].map((r) => w.publicClient.getTransaction({ hash: r.hash })))
    expect([a!.type, b!.type, c!.type]).toEqual(['eip2930', 'legacy', 'eip1559'])
    expect([t2930, legacy, fee1559].map((r) => r.receipt!.status)).toEqual(['success', 'success', 'success'])
    expect(a!.accessList!.map((e) => ({ ...e, address: e.address.toLowerCase() }))).toEqual(accessList.map((e) => ({ ...e, address: e.address.toLowerCase() })))
    expect(a!.gasPrice).toBe(gasPrice)
    expect(b!.gasPrice).toBe(gasPrice)
    expect(b!.gas).toBe(30_000n)
    expect(c!.maxPriorityFeePerGas).toBe(3n)
    // Legacy v is EIP-155: chainId * 2 + 35 + the ledger signature's recovery id.
    const legacySig = (await w.alice.getSignRequest({ id: legacy.requestId })).signatures![0]!
    expect(b!.v).toBe(31337n * 2n + 35n + BigInt(legacySig[64]!))
    for (const r of [t2930, legacy, fee1559]) expect(await recoverTransactionAddress({ serializedTransaction: r.signedTx as never })).toBe(evm.address)

    // An explicit nonce is used as given (here: the next one, chosen by hand).
    const manual = await evm.sendTransaction({ to: RECIPIENT, value: 4n, nonce: 3, timeoutMs: 30_000 })
    expect((await w.publicClient.getTransaction({ hash: manual.hash })).nonce).toBe(3)
    expect(await w.publicClient.getTransactionCount({ address: evm.address })).toBe(4)
  })

  it('a rejected approval ends in a typed error and nothing is broadcast: relayer and viem account', async () => {
    const w = await world()
    const evm = await fundedRelayer(w)
    const balance = await w.publicClient.getBalance({ address: evm.address })

    const sending = evm.sendTransaction({ to: RECIPIENT, value: parseEther('1'), timeoutMs: 30_000 })
    const first = await nthRequest(w, 1)
    await w.bob.rejectAction({ actionId: await actionOf(w, first) })
    const err = zrErrorIn(await errorOf(sending), 'REQUEST_REJECTED')
    expect(err.meta.requestId).toBe(first)
    expect((await evm.relayer.getRelay({ requestId: first })).status).toBe('rejected')
    expect((await evm.relayer.getRelay({ requestId: first })).signedTx).toBeUndefined()

    const wallet = createWalletClient({ account: evm.toAccount({ timeoutMs: 30_000 }), chain: foundry, transport: http(anvil.url) })
    const viaViem = wallet.sendTransaction({ to: RECIPIENT, value: parseEther('1') })
    const second = await nthRequest(w, 2)
    await w.bob.rejectAction({ actionId: await actionOf(w, second) })
    zrErrorIn(await errorOf(viaViem), 'REQUEST_REJECTED')

    // The chain never saw either: no transaction in the pool, none mined, the balance untouched.
    expect(await inPool(w, evm.address)).toEqual([])
    expect(await w.publicClient.getTransactionCount({ address: evm.address, blockTag: 'pending' })).toBe(0)
    expect(await w.publicClient.getBalance({ address: evm.address })).toBe(balance)
    // Both rejected requests gave their nonce back: the next transaction takes nonce 0.
    expect(evm.nonceManager.held({ address: evm.address, chainId: 31337 })).toEqual([])
    bobApproves(w)
    const next = await evm.sendTransaction({ to: RECIPIENT, value: 1n, timeoutMs: 30_000 })
    expect((await w.publicClient.getTransaction({ hash: next.hash })).nonce).toBe(0)
  })

  it('signMessage and signTypedData, approved by Bob, verify with viem', async () => {
    const w = await world()
    const evm = await fundedRelayer(w)
    bobApproves(w)
    const wallet = createWalletClient({ account: evm.toAccount({ timeoutMs: 30_000 }), chain: foundry, transport: http(anvil.url) })

    const message = 'zrkit: approved by Alice and Bob'
    const signature = await wallet.signMessage({ message })
    expect(await verifyMessage({ address: evm.address, message, signature })).toBe(true)
    expect(await verifyMessage({ address: evm.address, message: `${message}!`, signature })).toBe(false)
    const raw = await evm.account.signMessage!({ message: { raw: '0xdeadbeef' } })
    expect(await verifyMessage({ address: evm.address, message: { raw: '0xdeadbeef' }, signature: raw })).toBe(true)

    const typedData = {
      domain: { name: 'Ether Mail', version: '1', chainId: 31337, verifyingContract: '0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC' },
      types: {
        Person: [
          { name: 'name', type: 'string' },
          { name: 'wallet', type: 'address' },
        ],
        Mail: [
          { name: 'from', type: 'Person' },
          { name: 'to', type: 'Person' },
          { name: 'contents', type: 'string' },
        ],
      },
      primaryType: 'Mail',
      message: { from: { name: 'Alice', wallet: evm.address }, to: { name: 'Bob', wallet: RECIPIENT }, contents: 'Hello, Bob!' },
    } as const
    const typedSignature = await wallet.signTypedData(typedData)
    expect(await verifyTypedData({ address: evm.address, signature: typedSignature, ...typedData })).toBe(true)
    expect(await verifyTypedData({ address: evm.address, signature: typedSignature, ...typedData, message: { ...typedData.message, contents: 'Hello, Eve!' } })).toBe(false)

    // Approvers saw what they signed.
    const { items } = await w.alice.listSignRequests({ keyId: w.key.id })
    expect(items[0]!.metadata).toMatchObject({ 'zrkit.evm.sign': 'personal_sign', 'zrkit.evm.message': message })
    expect(items[2]!.metadata).toMatchObject({ 'zrkit.evm.sign': 'eth_signTypedData_v4', 'zrkit.evm.primaryType': 'Mail' })
  })

  it("approvals: 'fail' throws APPROVAL_PENDING at once (relayer and account); the request finishes later with resume; TIMEOUT and ABORTED likewise", async () => {
    const w = await world()
    const evm = await fundedRelayer(w)

    const pending = zrErrorIn(await errorOf(evm.sendTransaction({ to: RECIPIENT, value: 10n, approvals: 'fail' })), 'APPROVAL_PENDING')
    const wallet = createWalletClient({ account: evm.toAccount({ approvals: 'fail' }), chain: foundry, transport: http(anvil.url) })
    const viaViem = zrErrorIn(await errorOf(wallet.sendTransaction({ to: RECIPIENT, value: 20n })), 'APPROVAL_PENDING')
    const timedOut = zrErrorIn(await errorOf(evm.sendTransaction({ to: RECIPIENT, value: 30n, timeoutMs: 100 })), 'TIMEOUT')
    const controller = new AbortController()
    const aborting = errorOf(createWalletClient({ account: evm.toAccount({ signal: controller.signal }), chain: foundry, transport: http(anvil.url) }).sendTransaction({ to: RECIPIENT, value: 40n }))
    await nthRequest(w, 4)
    controller.abort()
    const aborted = zrErrorIn(await aborting, 'ABORTED')
    expect(await inPool(w, evm.address)).toEqual([])

    // Each error names its request; once approved, resume broadcasts it (the viem ones included).
    const ids = [pending, viaViem, timedOut, aborted].map((e) => e.meta.requestId as number)
    expect(new Set(ids).size).toBe(4)
    for (const requestId of ids) await w.bob.approveAction({ actionId: await actionOf(w, requestId) })
    const done = []
    for (const requestId of ids) done.push(await evm.resume({ requestId, timeoutMs: 30_000 }))
    expect(done.map((d) => d.receipt!.status)).toEqual(['success', 'success', 'success', 'success'])
    const txs = await Promise.all(done.map((d) => w.publicClient.getTransaction({ hash: d.hash })))
    expect(txs.map((t) => t.value)).toEqual([10n, 20n, 30n, 40n])
    expect(txs.map((t) => t.nonce)).toEqual([0, 1, 2, 3])
  })

  it('two queued requests on one key get consecutive nonces (relayer and viem account), and both are mined', async () => {
    const w = await world()
    const evm = await fundedRelayer(w)

    const a = await evm.submit({ to: RECIPIENT, value: 1n })
    const b = await evm.submit({ to: RECIPIENT, value: 2n })
    expect([a.status, b.status]).toEqual(['partial', 'partial'])
    expect([a.summary.nonce, b.summary.nonce]).toEqual(['0', '1'])

    // Two viem sends waiting for approval at the same time.
    const wallet = createWalletClient({ account: evm.toAccount({ timeoutMs: 30_000 }), chain: foundry, transport: http(anvil.url) })
    const c = wallet.sendTransaction({ to: RECIPIENT, value: 3n })
    const d = wallet.sendTransaction({ to: RECIPIENT, value: 4n })
    const [idC, idD] = [await nthRequest(w, 3), await nthRequest(w, 4)]
    const nonces = await Promise.all([idC, idD].map(async (id) => (await w.alice.getSignRequest({ id })).metadata!['zrkit.tx.nonce']))
    expect(nonces.sort()).toEqual(['2', '3'])

    // Approved in reverse order: the node still mines them in nonce order.
    for (const id of [idD, idC, b.requestId, a.requestId]) await w.bob.approveAction({ actionId: await actionOf(w, id) })
    const [ra, rb] = [await evm.resume({ requestId: a.requestId, timeoutMs: 30_000 }), await evm.resume({ requestId: b.requestId, timeoutMs: 30_000 })]
    const hashes = [ra.hash, rb.hash, await c, await d]
    const txs = await Promise.all(hashes.map((hash) => w.publicClient.waitForTransactionReceipt({ hash }).then(() => w.publicClient.getTransaction({ hash }))))
    expect(txs.map((t) => t.value)).toEqual([1n, 2n, 3n, 4n])
    expect([txs[0]!.nonce, txs[1]!.nonce]).toEqual([0, 1])
    expect([txs[2]!.nonce, txs[3]!.nonce].sort()).toEqual([2, 3])
    expect(await w.publicClient.getTransactionCount({ address: evm.address })).toBe(4)
  })

  it('a rejected request in the queue gives its nonce back: later signed ones wait in the pool until the next transaction fills the gap', async () => {
    const w = await world()
    const evm = await fundedRelayer(w)
    const a = await evm.submit({ to: RECIPIENT, value: 1n }) // nonce 0
    const b = await evm.submit({ to: RECIPIENT, value: 2n }) // nonce 1
    await w.bob.rejectAction({ actionId: a.actionId! })
    zrErrorIn(await errorOf(evm.resume({ requestId: a.requestId })), 'REQUEST_REJECTED')
    await w.bob.approveAction({ actionId: b.actionId! })
    const bSent = await evm.resume({ requestId: b.requestId, confirm: false, timeoutMs: 30_000 })
    // B is signed and broadcast with nonce 1, but cannot be mined while 0 is unused.
    expect(await inPool(w, evm.address)).toEqual([1])
    expect(await w.publicClient.getTransactionCount({ address: evm.address })).toBe(0)

    bobApproves(w)
    const c = await evm.sendTransaction({ to: RECIPIENT, value: 3n, timeoutMs: 30_000 })
    expect((await w.publicClient.getTransaction({ hash: c.hash })).nonce).toBe(0)
    const bReceipt = await w.publicClient.waitForTransactionReceipt({ hash: bSent.hash })
    expect(bReceipt.status).toBe('success')
    expect(await w.publicClient.getTransactionCount({ address: evm.address })).toBe(2)
    // Nothing reused, nothing skipped: the next one is 2.
    const d = await evm.sendTransaction({ to: RECIPIENT, value: 4n, timeoutMs: 30_000 })
    expect((await w.publicClient.getTransaction({ hash: d.hash })).nonce).toBe(2)
  })

  it('sends from a derived address (one key, an address per path)', async () => {
    const w = await world()
    bobApproves(w)
    const evm = await fundedRelayer(w, { path: 'user-42' })
    const { addresses } = await w.alice.getKey({ id: w.key.id, path: 'user-42', wallets: [{ type: 'evm' }] })
    expect(evm.address).toBe(addresses![0]!.address)
    const parent = await createEvmRelayer({ client: w.alice, publicClient: w.publicClient, keyId: w.key.id })
    expect(evm.address).not.toBe(parent.address)
    const sent = await evm.sendTransaction({ to: RECIPIENT, value: 5n, timeoutMs: 30_000 })
    expect(sent.receipt!.from).toBe(evm.address.toLowerCase())
  })

  it('refuses bad input with typed errors, before anything is requested or held', async () => {
    const w = await world()
    const evm = await fundedRelayer(w)
    const requests = async () => (await w.alice.listSignRequests({ keyId: w.key.id })).items.length
    const held = () => evm.nonceManager.held({ address: evm.address, chainId: 31337 })

    const cases: [() => Promise<unknown>, ZrErrorCode, string][] = [
      [() => evm.sendTransaction({ to: '0x1234' as Address, value: 1n }), 'INVALID_ADDRESS', 'to: expected "0x" and 40 hex digits, got "0x1234"'],
      [() => evm.sendTransaction({ value: 1n }), 'INVALID_INPUT', 'to: expected a recipient, or data (init code) to deploy a contract'],
      [() => evm.sendTransaction({ to: RECIPIENT, value: -1n }), 'INVALID_INPUT', 'value: expected a non-negative bigint below 2^256, got -1n'],
      [() => evm.sendTransaction({ to: RECIPIENT, type: 'eip1559', gasPrice: 1n }), 'INVALID_INPUT', 'gasPrice: expected no gasPrice in an eip1559 transaction'],
      [() => evm.sendTransaction({ to: RECIPIENT, type: 'legacy', accessList: [] }), 'INVALID_INPUT', 'accessList: expected no access list in a legacy transaction'],
      [() => evm.sendTransaction({ to: RECIPIENT, maxFeePerGas: 1n, maxPriorityFeePerGas: 2n }), 'INVALID_INPUT', 'expected maxPriorityFeePerGas <= maxFeePerGas, got 2 > 1'],
      [() => evm.sendTransaction({ to: RECIPIENT, chainId: 1 }), 'CHAIN_ID_MISMATCH', 'expected chainId 31337'],
      [() => evm.sendTransaction({ to: RECIPIENT, value: parseEther('1000') }), 'PREPARE_FAILED', `insufficient funds: ${evm.address} has 10000000000000000000 wei`],
      [() => evm.writeContract({ address: RECIPIENT, abi: storeAbi, functionName: 'set', args: [1n], gas: 0n }), 'INVALID_INPUT', 'gas: expected a positive bigint'],
      [() => evm.sendTransaction({ data: '0x60006000fd' }), 'PREPARE_FAILED', 'could not estimate the gas'], // init code that reverts
    ]
    for (const [run, code, details] of cases) expect(zrErrorIn(await errorOf(run()), code).details).toContain(details)
    expect(await requests()).toBe(0)
    expect(held()).toEqual([])

    // A client for another chain than the node's.
    const wrong = await createEvmRelayer({ client: w.alice, publicClient: { ...anvilClients(anvil).publicClient, chain: mainnet } as never, keyId: w.key.id, nonceManager: createEvmNonceManager() })
    expect(zrErrorIn(await errorOf(wrong.sendTransaction({ to: RECIPIENT, value: 1n })), 'CHAIN_ID_MISMATCH').details).toBe('expected chain id 1, the node at the client\'s transport says 31337')
    // Not an ECDSA key.
    const ed = await w.alice.createKey({ workspace: w.workspace, keyring: w.keyring, keyType: 'eddsa-ed25519' })
    expect(zrErrorIn(await errorOf(createEvmRelayer({ client: w.alice, publicClient: w.publicClient, keyId: ed.id })), 'UNSUPPORTED_KEY_TYPE').details).toBe(`expected a key of type ecdsa-secp256k1 or bitcoin-secp256k1, got key ${ed.id} of type eddsa-ed25519`)
    zrErrorIn(await errorOf(createEvmRelayer({ client: w.alice, publicClient: w.publicClient, keyId: 0 })), 'INVALID_INPUT')
    expect(await requests()).toBe(0)
  })
})
