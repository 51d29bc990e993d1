/**
 * The cosmjs `OfflineDirectSigner` backed by zrkit signature requests, with threshold ECDSA keys from a
 * 2-of-3 federation under a 2-of-2 sign policy, and the transactions it signs verified OFFLINE as a chain
 * would: decode the signed TxRaw, rebuild the SignDoc from its bytes with the chain id and account number,
 * verify the signature with cosmjs's `Secp256k1` and with noble, and recompute the signer's address as
 * bech32(prefix, ripemd160(sha256(key))). A wrong chain id, a wrong account number or a tampered memo
 * must fail that verification.
 *
 * No Cosmos chain binary runs on this machine: the broadcast path (`SigningStargateClient.connectWithSigner`
 * against a node, broadcast_tx_sync, waiting for the block) is exercised only against a real node (the
 * package README shows how, on a public testnet). Here cosmjs's `SigningStargateClient.offline` drives the
 * signer: it is the same `sign` code as a connected client, with the account number and sequence given.
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'
import { type Key, isZrError, toHex } from '@zrkit/core'
import { encodeSecp256k1Pubkey, pubkeyToAddress } from '@cosmjs/amino'
import { ripemd160, sha256 } from '@cosmjs/crypto'
import { toBech32 } from '@cosmjs/encoding'
import { makeSignDoc, makeAuthInfoBytes, encodePubkey, Registry } from '@cosmjs/proto-signing'
import { type MsgSendEncodeObject, SigningStargateClient, calculateFee, coins, defaultRegistryTypes } from '@cosmjs/stargate'
import { TxBody, TxRaw } from 'cosmjs-types/cosmos/tx/v1beta1/tx'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCosmosRelayer } from './createCosmosRelayer.js'
import { type CosmosWorld, cosmosWorld, verifyTxOffline } from '@zrkit/testkit/cosmos'
import { expectZrError } from '@zrkit/testkit'

const chainId = 'theta-testnet-zrkit'
const recipient = toBech32('cosmos', new Uint8Array(20).fill(7))

/** Re-encodes a TxRaw with a changed body, keeping the signature. */
function withBody(txBytes: Uint8Array, change: (body: TxBody) => TxBody): Uint8Array {
  const raw = TxRaw.decode(txBytes)
  const body = change(TxBody.decode(raw.bodyBytes))
  return TxRaw.encode(TxRaw.fromPartial({ ...raw, bodyBytes: TxBody.encode(body).finish() })).finish()
}

describe('cosmosSigner: a cosmjs OfflineDirectSigner on a threshold ECDSA key', () => {
  let w: CosmosWorld
  let key: Key
  let stopBob: () => void
  const requestCount = async () => (await w.alice.listSignRequests({ keyId: key.id, limit: 1000 })).items.length

  beforeAll(async () => {
    w = await cosmosWorld()
    key = w.key
    stopBob = w.bobApprovesAll()
  }, 120_000)
  afterAll(async () => {
    stopBob?.()
    await w?.close()
  })

  it('has one secp256k1 account for any bech32 prefix: the 33-byte key, bech32(prefix, ripemd160(sha256(key)))', async () => {
    for (const prefix of ['cosmos', 'osmo', 'zen', 'neutron', 'celestia']) {
      const cosmos = await createCosmosRelayer({ client: w.alice, keyId: key.id, prefix, chainId })
      const accounts = await cosmos.signer.getAccounts()
      expect(accounts).toHaveLength(1)
      const [account] = accounts
      expect(account!.algo).toBe('secp256k1')
      expect(account!.pubkey).toHaveLength(33)
      expect(toHex(account!.pubkey)).toBe(toHex(key.publicKey))
      // two independent derivations: cosmjs's hashes + bech32, and amino's pubkeyToAddress
      expect(account!.address).toBe(toBech32(prefix, ripemd160(sha256(key.publicKey))))
      expect(account!.address).toBe(pubkeyToAddress(encodeSecp256k1Pubkey(key.publicKey), prefix))
      expect(cosmos.address).toBe(account!.address)
    }
  }, 30_000)

  it('SigningStargateClient signs a bank send through a signature request; the TxRaw verifies offline as a chain would', async () => {
    const cosmos = await createCosmosRelayer({ client: w.alice, keyId: key.id, prefix: 'cosmos', chainId })
    const stargate = await SigningStargateClient.offline(cosmos.signer)
    const send: MsgSendEncodeObject = { typeUrl: '/cosmos.bank.v1beta1.MsgSend', value: { fromAddress: cosmos.address, toAddress: recipient, amount: coins(12345, 'uatom') } }
    const fee = calculateFee(90_000, '0.025uatom')
    const before = await requestCount()
    const txRaw = await stargate.sign(cosmos.address, [send], fee, 'zrkit memo', { accountNumber: 42n, sequence: 3, chainId })
    const txBytes = TxRaw.encode(txRaw).finish()

    const v = await verifyTxOffline(txBytes, { chainId, accountNumber: 42n, prefix: 'cosmos' })
    expect(v.problems).toEqual([])
    expect(v.valid && v.cosmjs && v.noble && v.lowS).toBe(true)
    expect(v.address).toBe(cosmos.address)
    expect(toHex(v.publicKey)).toBe(toHex(key.publicKey))
    expect(v.sequence).toBe(3n)
    expect(v.decoded.body.memo).toBe('zrkit memo')
    expect(v.decoded.authInfo.fee?.gasLimit).toBe(90_000n)
    expect(v.decoded.authInfo.fee?.amount).toEqual(fee.amount)
    const msg = stargate.registry.decode(v.decoded.body.messages[0]!)
    expect(msg).toMatchObject({ fromAddress: v.address, toAddress: recipient, amount: [{ denom: 'uatom', amount: '12345' }] })

    // It went through the ledger: one request, whose payload is sha256 of the SignDoc, signed by the federation.
    expect(await requestCount()).toBe(before + 1)
    const request = (await w.alice.listSignRequests({ keyId: key.id, limit: 1000 })).items.at(-1)!
    expect(request.status).toBe('fulfilled')
    expect(toHex(request.payloads[0]!)).toBe(toHex(v.signDocHash))
    expect(toHex(request.signatures![0]!.subarray(0, 64))).toBe(toHex(v.decoded.signatures[0]!))
    expect(request.responses.length).toBeGreaterThanOrEqual(2)
    expect(request.metadata?.['zrkit.chain']).toBe(`cosmos:${chainId}`)
    expect(request.metadata?.['zrkit.tx.to']).toBe(recipient)
    expect(request.metadata?.['zrkit.tx.amount']).toBe('12345uatom')
    expect(request.metadata?.['zrkit.tx.memo']).toBe('zrkit memo')

    // What a chain refuses: another chain id, another account number, a memo changed after signing.
    for (const [what, check] of [
      ['wrong chain id', { chainId: 'cosmoshub-4', accountNumber: 42n }],
      ['wrong account number', { chainId, accountNumber: 43n }],
    ] as const) {
      const bad = await verifyTxOffline(txBytes, { ...check, prefix: 'cosmos' })
      expect(bad.cosmjs, what).toBe(false)
      expect(bad.noble, what).toBe(false)
      expect(bad.valid, what).toBe(false)
    }
    const tampered = await verifyTxOffline(
      withBody(txBytes, (b) => ({ ...b, memo: 'zrkit memO' })),
      { chainId, accountNumber: 42n, prefix: 'cosmos' },
    )
    expect(tampered.cosmjs).toBe(false)
    expect(tampered.noble).toBe(false)
    expect(tampered.valid).toBe(false)
    // control: re-encoding the same body keeps it valid, so the memo is what breaks it
    const same = await verifyTxOffline(withBody(txBytes, (b) => b), { chainId, accountNumber: 42n, prefix: 'cosmos' })
    expect(same.valid).toBe(true)
  }, 60_000)

  it('signs for a derived child key at a path: its own address, verified offline', async () => {
    const parent = await createCosmosRelayer({ client: w.alice, keyId: key.id, prefix: 'osmo', chainId: 'osmo-test-5' })
    const child = await createCosmosRelayer({ client: w.alice, keyId: key.id, path: 'user-7', prefix: 'osmo', chainId: 'osmo-test-5' })
    expect(child.address).not.toBe(parent.address)
    expect(child.address).toBe(toBech32('osmo', ripemd160(sha256(child.publicKey))))
    const stargate = await SigningStargateClient.offline(child.signer)
    const send: MsgSendEncodeObject = { typeUrl: '/cosmos.bank.v1beta1.MsgSend', value: { fromAddress: child.address, toAddress: parent.address, amount: coins(1, 'uosmo') } }
    const txRaw = await stargate.sign(child.address, [send], calculateFee(100_000, '0.0025uosmo'), '', { accountNumber: 5n, sequence: 0, chainId: 'osmo-test-5' })
    const v = await verifyTxOffline(TxRaw.encode(txRaw).finish(), { chainId: 'osmo-test-5', accountNumber: 5n, prefix: 'osmo' })
    expect(v.valid).toBe(true)
    expect(v.address).toBe(child.address)
    expect(toHex(v.publicKey)).toBe(toHex(child.publicKey))
  }, 60_000)

  it('signs offline without a chain: account number, sequence and gas given, fee from the gas price', async () => {
    const cosmos = await createCosmosRelayer({ client: w.alice, keyId: key.id, prefix: 'cosmos', chainId, gasPrice: '0.025uatom' })
    const send: MsgSendEncodeObject = { typeUrl: '/cosmos.bank.v1beta1.MsgSend', value: { fromAddress: cosmos.address, toAddress: recipient, amount: coins(5, 'uatom') } }
    const result = await cosmos.sign({ messages: [send], memo: 'offline', accountNumber: 9n, sequence: 17, gas: 123_457 })
    const v = await verifyTxOffline(result.txBytes, { chainId, accountNumber: 9n, prefix: 'cosmos' })
    expect(v.valid).toBe(true)
    expect(v.sequence).toBe(17n)
    expect(v.decoded.authInfo.fee?.gasLimit).toBe(123_457n)
    // 0.025 x 123457 = 3086.425, rounded up
    expect(v.decoded.authInfo.fee?.amount).toEqual([{ denom: 'uatom', amount: '3087' }])
    expect(result.transactionHash).toBe(toHex(nobleSha256(result.txBytes)).toUpperCase())
    expect(result.receipt).toBeUndefined()
    // without a chain, nothing can be broadcast, and a missing account number cannot be looked up
    const before = await requestCount()
    await expectZrError(cosmos.sendTokens({ to: recipient, amount: coins(1, 'uatom') }), 'INVALID_INPUT')
    const e = await expectZrError(cosmos.sign({ messages: [send], gas: 100_000 }), 'INVALID_INPUT')
    expect(e.details).toContain('accountNumber and sequence')
    expect(await requestCount()).toBe(before)
  }, 60_000)

  it("with approvals: 'fail' it throws APPROVAL_PENDING naming the request; the relay resumes once Bob approves", async () => {
    stopBob()
    try {
      const cosmos = await createCosmosRelayer({ client: w.alice, keyId: key.id, prefix: 'cosmos', chainId, signer: { approvals: 'fail' } })
      const stargate = await SigningStargateClient.offline(cosmos.signer)
      const send: MsgSendEncodeObject = { typeUrl: '/cosmos.bank.v1beta1.MsgSend', value: { fromAddress: cosmos.address, toAddress: recipient, amount: coins(2, 'uatom') } }
      const e = await expectZrError(stargate.sign(cosmos.address, [send], calculateFee(80_000, '0.025uatom'), '', { accountNumber: 42n, sequence: 4, chainId }), 'APPROVAL_PENDING')
      const requestId = e.meta.requestId as number
      const request = await w.alice.getSignRequest({ id: requestId })
      expect(request.status).toBe('partial')
      await w.bob.approveAction({ actionId: request.actionId! })
      const signed = await cosmos.resume({ requestId })
      const v = await verifyTxOffline(signed.txBytes, { chainId, accountNumber: 42n, prefix: 'cosmos' })
      expect(v.valid).toBe(true)
      expect(v.sequence).toBe(4n)
    } finally {
      stopBob = w.bobApprovesAll()
    }
  }, 60_000)

  it('refuses, with typed errors and no signature request: another signer address, a sign doc for another chain or another key', async () => {
    const cosmos = await createCosmosRelayer({ client: w.alice, keyId: key.id, prefix: 'cosmos', chainId })
    const registry = new Registry(defaultRegistryTypes)
    const bodyBytes = registry.encodeTxBody({ messages: [{ typeUrl: '/cosmos.bank.v1beta1.MsgSend', value: { fromAddress: cosmos.address, toAddress: recipient, amount: coins(1, 'uatom') } }], memo: '' })
    const authInfo = (publicKey: Uint8Array) => makeAuthInfoBytes([{ pubkey: encodePubkey(encodeSecp256k1Pubkey(publicKey)), sequence: 0 }], coins(2000, 'uatom'), 80_000, undefined, undefined)
    const before = await requestCount()

    const e1 = await expectZrError(cosmos.signer.signDirect(recipient, makeSignDoc(bodyBytes, authInfo(key.publicKey), chainId, 1n)), 'INVALID_ADDRESS')
    expect(e1.details).toContain(cosmos.address)
    const e2 = await expectZrError(cosmos.signer.signDirect(cosmos.address, makeSignDoc(bodyBytes, authInfo(key.publicKey), 'cosmoshub-4', 1n)), 'CHAIN_ID_MISMATCH')
    expect(e2.details).toContain('cosmoshub-4')
    const other = Uint8Array.from(key.publicKey)
    other[0] = other[0] === 2 ? 3 : 2 // the same x, the other y: a different key
    const e3 = await expectZrError(cosmos.signer.signDirect(cosmos.address, makeSignDoc(bodyBytes, authInfo(other), chainId, 1n)), 'INVALID_INPUT')
    expect(e3.details).toContain(toHex(key.publicKey))
    expect(await requestCount()).toBe(before)
  }, 30_000)

  it('refuses a key that is not ECDSA secp256k1 (UNSUPPORTED_KEY_TYPE), a bad prefix, a missing chain id', async () => {
    const schnorr = await w.alice.createKey({ workspace: w.workspace, keyring: w.keyring, keyType: 'schnorr-secp256k1' })
    const e = await expectZrError(createCosmosRelayer({ client: w.alice, keyId: schnorr.id, prefix: 'cosmos', chainId }), 'UNSUPPORTED_KEY_TYPE')
    expect(e.details).toContain('schnorr-secp256k1')
    for (const prefix of ['', 'Cosmos', 'has space', 'é']) {
      const p = await expectZrError(createCosmosRelayer({ client: w.alice, keyId: key.id, prefix, chainId }), 'INVALID_INPUT')
      expect(p.details).toContain('expected 1..83 lower-case letters and digits')
    }
    const c = await expectZrError(createCosmosRelayer({ client: w.alice, keyId: key.id, prefix: 'cosmos' }), 'INVALID_INPUT')
    expect(c.details).toContain('chainId')
  }, 60_000)
})
