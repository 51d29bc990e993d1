import { secp256k1 } from '@noble/curves/secp256k1.js'
import { connectLedgerWs, createConnector, createEmbeddedLedger, createZrClient, generateAccount, localKeyring } from '@zrkit/core'
import { listenLedger } from '@zrkit/core/node'
import { evmTransactionDecoder } from '@zrkit/relayer-evm/decoder'
import { keccak256, parseTransaction, recoverTransactionAddress, serializeTransaction, type Hex } from 'viem'
import { describe, expect, it, onTestFinished } from 'vitest'
import { WebSocket } from 'ws'

/*
 * A sign-transaction request over a real WebSocket to a ledger server running the EVM decoder: the client
 * sends the unsigned transaction, approvers and the requester read the decoded record back over the socket
 * (bytes and big integers intact), and the signature the keyring returns makes a transaction viem recovers
 * to the key's address.
 */
describe('sign-transaction requests through the ledger server', () => {
  it('decoded on the server, read back over the socket, signed for the key', async () => {
    const [alice, bob, party] = ['alice', 'bob', 'party'].map((n) => generateAccount(`tx-remote:${n}`)) as [ReturnType<typeof generateAccount>, ReturnType<typeof generateAccount>, ReturnType<typeof generateAccount>]
    const ledger = await createEmbeddedLedger({
      genesis: { chainId: 'zrkit-tx-remote', balances: [alice, bob, party].map((a) => ({ address: a.address, amount: 10_000n })), transactionDecoders: ['evm@1'] },
      transactionDecoders: [evmTransactionDecoder()],
    })
    const server = await listenLedger(ledger, {})
    const remote = await connectLedgerWs(server.url, { WebSocket: WebSocket as never })
    onTestFinished(async () => {
      await remote.close()
      await server.close()
      await ledger.close()
    })
    const asAlice = createZrClient({ ledger: remote, account: alice })
    const asBob = createZrClient({ ledger: remote, account: bob })
    expect((await remote.query('status', {})).transactionDecoders).toEqual(['evm@1'])
    const { keyring } = await asAlice.createKeyring({ description: 'remote', parties: [party.address], partyThreshold: 1, keyRequestFee: 1n, signRequestFee: 1n })
    const connector = createConnector({ ledger: remote, account: party, keyring, backend: localKeyring() })
    await connector.start()
    onTestFinished(() => connector.stop())
    const { policyId } = await asAlice.createPolicy({ name: 'p', participants: { alice: alice.address, bob: bob.address }, expression: 'tx.value <= 1 eth && alice || all([alice, bob])' })
    const { workspace } = await asAlice.createWorkspace({ additionalOwners: [bob.address], signPolicyId: policyId })
    const key = await asAlice.createKey({ workspace, keyring, keyType: 'ecdsa-secp256k1' })
    const from = (await asAlice.getKey({ id: key.id, wallets: [{ type: 'evm' }] })).addresses![0]!.address

    const unsigned = serializeTransaction({ chainId: 31337, type: 'eip1559', nonce: 0, to: '0x70997970c51812dc3a010c7d01b50e0d17dc79c8', value: 2n * 10n ** 18n, gas: 21_000n, maxFeePerGas: 10n ** 9n, maxPriorityFeePerGas: 1n })
    const { requestId, status, actionId } = await asAlice.requestTransactionSignature({ keyId: key.id, chain: 'evm', unsignedTransaction: unsigned })
    expect(status).toBe('partial')
    const action = await asBob.getAction({ id: actionId! })
    expect(action.subject).toMatchObject({ transaction: { network: 'eip155:31337', from: from.toLowerCase(), transfers: [{ asset: 'native', amount: 2n * 10n ** 18n }] } })
    expect(action.conditions).toEqual([{ condition: 'tx.value <= 1 eth', holds: false, why: 'moves 2 eth' }])
    await asBob.approveAction({ actionId: actionId! })
    const done = await asAlice.waitForSignRequest({ requestId, timeoutMs: 20_000 })
    expect(done.payloads[0]).toEqual(Uint8Array.from(Buffer.from(keccak256(unsigned).slice(2), 'hex')))
    const sig = done.signatures[0]!
    const signed = serializeTransaction(parseTransaction(unsigned), { r: `0x${Buffer.from(sig.subarray(0, 32)).toString('hex')}` as Hex, s: `0x${Buffer.from(sig.subarray(32, 64)).toString('hex')}` as Hex, yParity: sig[64]! })
    expect((await recoverTransactionAddress({ serializedTransaction: signed as never })).toLowerCase()).toBe(from.toLowerCase())
    expect(secp256k1.verify(sig.subarray(0, 64), done.payloads[0]!, key.publicKey, { prehash: false })).toBe(true)
  }, 60_000)
})
