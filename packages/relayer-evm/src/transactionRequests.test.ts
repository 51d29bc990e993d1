import { secp256k1 } from '@noble/curves/secp256k1.js'
import { type RelaySigner, type ZrError, isZrError, } from '@zrkit/core'
import { type Chain, createPublicClient, custom, hexToBytes, keccak256, parseEther, recoverMessageAddress, recoverTransactionAddress, serializeSignature, toHex } from 'viem'
import { foundry } from 'viem/chains'
import { localKeyringWorld } from '@zrkit/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { createEvmRelayer } from './createEvmRelayer.js'
import { evmTransactionDecoder } from './decoder/index.js'
import { type EvmTransactionIntent, evmAdapter } from './evmAdapter.js'
import { createEvmNonceManager } from './evmNonceManager.js'
import { toEvmSignature } from './signature.js'

/*
 * Which request the EVM relayer and its viem account make: a sign-transaction request on a ledger that runs
 * the evm@1 decoder (the ledger computes the digest itself, and it is the adapter's), the digest alone on a
 * ledger that does not, and what requestKind changes. No chain here: a node that answers the chain id, the
 * balance, the nonce and the latest block (its base fee), with every other field given; the same on anvil is in test/transactions/evm.test.ts.
 */

const RECIPIENT = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const fees = { type: 'eip1559', gas: 21_000n, maxFeePerGas: 2_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n } as const
const POLICY = 'tx.value <= 0.1 eth && any(1, [alice, bob]) || all([alice, bob])'

/** A viem client whose node knows its chain id, that every account holds 1000 ether and has sent nothing. */
function quietNode(chain: Chain = foundry) {
  return createPublicClient({
    chain,
    transport: custom({
      async request({ method }: { method: string }) {
        if (method === 'eth_chainId') return toHex(chain.id)
        if (method === 'eth_getBalance') return toHex(parseEther('1000'))
        if (method === 'eth_getTransactionCount') return '0x0'
        // the latest block, for the base fee the adapter checks a given fee cap against (1 gwei, below the fee cap here)
        if (method === 'eth_getBlockByNumber') return { number: '0x1', hash: `0x${'11'.repeat(32)}`, timestamp: '0x1', baseFeePerGas: toHex(1_000_000_000n), gasLimit: '0x1c9c380', gasUsed: '0x0', transactions: [] }
        throw new Error(`the test node does not answer ${method}`)
      },
    }),
  })
}

const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {})
})

/** A ledger (with or without the EVM decoder), Alice and Bob owning a workspace under {@link POLICY}, a one-party keyring. */
async function world(decoder: boolean) {
  const w = await localKeyringWorld({ chainId: 'zrkit-evm-requests', signPolicy: POLICY, ...(decoder ? { transactionDecoders: [evmTransactionDecoder()] } : {}) })
  cleanup.push(() => w.close())
  const key = await w.key('ecdsa-secp256k1')
  const relayer = (options: Partial<Parameters<typeof createEvmRelayer>[0]> = {}) => createEvmRelayer({ client: w.alice, publicClient: quietNode(), keyId: key.id, nonceManager: createEvmNonceManager(), ...options })
  return { alice: w.alice, bob: w.bob, keyring: w.keyring, workspace: w.workspace, key, relayer }
}

async function refused(p: Promise<unknown>): Promise<ZrError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  )
  if (!isZrError(e)) throw new Error(`expected a ZrError, got ${String(e)}`)
  return e
}

/** The ZrError in an error's cause chain (viem wraps what an account throws). */
function zrErrorIn(e: unknown): ZrError {
  for (let x: unknown = e; x; x = (x as { cause?: unknown }).cause) if (isZrError(x)) return x
  throw new Error(`expected a ZrError in the cause chain, got ${String(e)}`)
}

describe('evmAdapter: the transaction for the ledger', () => {
  const secret = secp256k1.utils.randomSecretKey()
  const signer: RelaySigner = { keyId: 1, keyType: 'ecdsa-secp256k1', publicKey: secp256k1.getPublicKey(secret, true) }
  const decoder = evmTransactionDecoder()
  const intents: [string, EvmTransactionIntent][] = [
    ['eip1559 transfer', { to: RECIPIENT, value: parseEther('0.05'), ...fees }],
    ['legacy transfer', { to: RECIPIENT, value: 1n, type: 'legacy', gas: 21_000n, gasPrice: 10n ** 9n }],
    ['eip2930 call', { to: RECIPIENT, data: '0xd0e30db0', type: 'eip2930', gas: 50_000n, gasPrice: 10n ** 9n, accessList: [{ address: RECIPIENT, storageKeys: [] }] }],
    ['creation', { data: '0x6000600055', ...fees, gas: 100_000n }],
  ]

  it.each(intents)("%s: the exact bytes and the network; the decoder's digest is the adapter's", async (_name, intent) => {
    const adapter = evmAdapter({ publicClient: quietNode(), nonceManager: createEvmNonceManager() })
    const prepared = await adapter.prepare(intent, signer)
    const unsigned = prepared.unsignedTx as `0x${string}`
    expect(prepared.transaction).toEqual({ chain: 'evm', unsignedTransaction: hexToBytes(unsigned), network: 'eip155:31337' })
    const decoded = decoder.decode({ unsignedTransaction: prepared.transaction!.unsignedTransaction, keyType: 'ecdsa-secp256k1', publicKey: signer.publicKey, taproot: false, network: 'eip155:31337' })
    expect(decoded.payloads).toEqual(prepared.payloads)
    expect(prepared.payloads).toEqual([hexToBytes(keccak256(unsigned))])
    expect(decoded.transaction.fields.nonce).toBe(prepared.summary.nonce)
  })

  it("gives no transaction where the decoder would not read it: a bitcoin-secp256k1 key, a chain serializer's own bytes", async () => {
    const adapter = evmAdapter({ publicClient: quietNode(), nonceManager: createEvmNonceManager() })
    const btcKey = await adapter.prepare({ to: RECIPIENT, value: 1n, ...fees }, { ...signer, keyType: 'bitcoin-secp256k1' })
    expect(btcKey.transaction).toBeUndefined()
    expect(btcKey.payloads).toHaveLength(1)
    // a chain whose serializer writes a transaction type of its own (0x7e...): the digest alone
    const ownType = (tx: object) => `0x7e${keccak256(toHex(JSON.stringify(tx, (_k, v) => (typeof v === 'bigint' ? String(v) : v)))).slice(2)}`
    const own = { ...foundry, serializers: { transaction: ownType } } as unknown as Chain
    const prepared = await evmAdapter({ publicClient: quietNode(own), nonceManager: createEvmNonceManager() }).prepare({ to: RECIPIENT, value: 1n, ...fees }, signer)
    expect(prepared.unsignedTx.startsWith('0x7e')).toBe(true)
    expect(prepared.transaction).toBeUndefined()
  })
})

describe('EVM relayer and account: which request they make', () => {
  it("on a ledger that runs evm@1: a sign-transaction request, the ledger's digest is the adapter's; a small transfer goes ahead on Alice alone, a large one waits", async () => {
    const w = await world(true)
    const evm = await w.relayer()
    const small = await evm.submit({ to: RECIPIENT, value: parseEther('0.1'), ...fees })
    expect(small).toMatchObject({ requestKind: 'transaction', status: 'pending' })
    const request = await w.alice.getSignRequest({ id: small.requestId })
    const record = await evm.relayer.getRelay({ requestId: small.requestId })
    expect(request.payloads).toEqual(record.payloads)
    expect(request.transaction?.unsignedTransaction).toEqual(hexToBytes(record.unsignedTx as `0x${string}`))
    expect(request.transaction?.decoded).toMatchObject({
      chain: 'evm',
      network: 'eip155:31337',
      format: 'eip1559',
      from: evm.address.toLowerCase(),
      transfers: [{ kind: 'transfer', asset: 'native', to: RECIPIENT.toLowerCase(), amount: parseEther('0.1') }],
    })
    expect(request.transaction?.conditions).toEqual([{ condition: 'tx.value <= 0.1 eth', holds: true, why: 'moves 0.1 eth' }])
    const signed = await evm.relayer.sign({ requestId: small.requestId, timeoutMs: 10_000 })
    expect(await recoverTransactionAddress({ serializedTransaction: signed.signedTx as never })).toBe(evm.address)

    const large = await evm.submit({ to: RECIPIENT, value: parseEther('0.2'), ...fees })
    expect(large).toMatchObject({ requestKind: 'transaction', status: 'partial' })
    expect((await w.bob.getAction({ id: large.actionId! })).conditions).toEqual([{ condition: 'tx.value <= 0.1 eth', holds: false, why: 'moves 0.2 eth' }])
  })

  it('on a ledger without the decoder: the digest alone, which the policy cannot judge, so it waits for Bob', async () => {
    const w = await world(false)
    const evm = await w.relayer()
    const submitted = await evm.submit({ to: RECIPIENT, value: 1n, ...fees })
    expect(submitted).toMatchObject({ requestKind: 'payloads', status: 'partial' })
    const request = await w.alice.getSignRequest({ id: submitted.requestId })
    expect(request.transaction).toBeUndefined()
    expect(request.payloads).toEqual((await evm.relayer.getRelay({ requestId: submitted.requestId })).payloads)
  })

  it("requestKind: 'payloads' asks for the digest alone; 'transaction' refuses a ledger without the decoder and a key it does not read, holding no nonce", async () => {
    const w = await world(true)
    const opaque = await w.relayer({ requestKind: 'payloads' })
    expect(await opaque.submit({ to: RECIPIENT, value: 1n, ...fees })).toMatchObject({ requestKind: 'payloads', status: 'partial' })
    const strict = await w.relayer({ requestKind: 'transaction' })
    expect(await strict.submit({ to: RECIPIENT, value: 1n, ...fees })).toMatchObject({ requestKind: 'transaction', status: 'pending' })

    // a bitcoin-secp256k1 key signs EVM transactions too, but the decoder reads them for ECDSA keys only
    const btcKey = await w.alice.createKey({ workspace: w.workspace, keyring: w.keyring, keyType: 'bitcoin-secp256k1' })
    const nonceManager = createEvmNonceManager()
    const onBtcKey = await w.relayer({ keyId: btcKey.id, requestKind: 'transaction', nonceManager })
    const e = await refused(onBtcKey.submit({ to: RECIPIENT, value: 1n, ...fees }))
    expect(e.code).toBe('UNSUPPORTED_CHAIN')
    expect(e.details).toBe("requestKind 'transaction': expected a transaction from the eip155:31337 adapter, got payloads only")
    expect(nonceManager.held({ address: onBtcKey.address, chainId: 31337 })).toEqual([])
    expect((await w.alice.listSignRequests({ keyId: btcKey.id })).items).toEqual([])
    // in auto, the same key's relays are payload requests
    expect(await (await w.relayer({ keyId: btcKey.id })).submit({ to: RECIPIENT, value: 1n, ...fees })).toMatchObject({ requestKind: 'payloads' })

    const plain = await world(false)
    const plainNonces = createEvmNonceManager()
    const onPlain = await plain.relayer({ requestKind: 'transaction', nonceManager: plainNonces })
    const u = await refused(onPlain.submit({ to: RECIPIENT, value: 1n, ...fees }))
    expect(u.code).toBe('UNSUPPORTED_CHAIN')
    expect(u.details).toBe("requestKind 'transaction': expected a ledger that decodes evm transactions, got one that decodes none (its genesis lists no transactionDecoders)")
    expect(plainNonces.held({ address: onPlain.address, chainId: 31337 })).toEqual([])
    expect((await plain.alice.listSignRequests({ keyId: plain.key.id })).items).toEqual([])

    const bad = await refused(w.relayer({ requestKind: 'always' as never }))
    expect(bad.code).toBe('INVALID_INPUT')
    expect(bad.details).toBe('expected \'auto\', \'transaction\' or \'payloads\', got "always"')
  })

  it('the viem account: signTransaction makes a sign-transaction request; signMessage signs a digest that is no transaction, so it waits for Bob', async () => {
    const w = await world(true)
    const evm = await w.relayer({ account: { approvals: 'fail', timeoutMs: 10_000 } })
    const signedTx = await evm.account.signTransaction({ chainId: 31337, to: RECIPIENT, value: parseEther('0.01'), nonce: 0, ...fees })
    expect(await recoverTransactionAddress({ serializedTransaction: signedTx as never })).toBe(evm.address)
    const [request] = (await w.alice.listSignRequests({ keyId: w.key.id })).items
    expect(request).toMatchObject({ status: 'fulfilled' })
    expect(request!.transaction?.decoded.transfers).toEqual([{ kind: 'transfer', asset: 'native', to: RECIPIENT.toLowerCase(), amount: parseEther('0.01') }])

    const e = zrErrorIn(await evm.account.signMessage({ message: 'hello' }).catch((err: unknown) => err))
    expect(e.code).toBe('APPROVAL_PENDING')
    const requestId = (e.context as { requestId: number }).requestId
    const message = await w.alice.getSignRequest({ id: requestId })
    expect(message.transaction).toBeUndefined()
    expect(message.status).toBe('partial')
    // once Bob approves, it is the key's EIP-191 signature
    await w.bob.approveAction({ actionId: message.actionId! })
    const { signatures } = await w.alice.waitForSignRequest({ requestId, timeoutMs: 10_000 })
    expect(await recoverMessageAddress({ message: 'hello', signature: serializeSignature(toEvmSignature(signatures[0]!)) })).toBe(evm.address)
  })
})
