import { ed25519 } from '@noble/curves/ed25519.js'
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import {
  type KeyRequestResult,
  type KeyType,
  type LedgerEvent,
  type SignRequestResult,
  isZrError,
  keyTypes,
  keyringAddress,
  recoveredToRsv,
  workspaceAddress,
  xOnly,
} from '@zrkit/core'
import { equalBytes, partyResponseDigest, verifyAccountSignature } from '@zrkit/core/internal'
import { afterEach, describe, expect, it } from 'vitest'
import { type Actor, type Setup, type SetupOptions, createTestKey, expectRefused, newKeyPair, nobleVerifies, payloadFor, schemeSign, setup, sleep } from '@zrkit/testkit'

/**
 * Key and signature requests end to end through the embedded ledger. The tests act as the keyring
 * parties themselves (keys and signatures made with noble), so every party result is controlled
 * exactly. Every refused message must leave the state hash untouched.
 */

const opened: Setup[] = []
afterEach(async () => {
  for (const s of opened.splice(0)) await s.ledger.close()
})
async function fixture(options: SetupOptions = {}): Promise<Setup> {
  const s = await setup(options)
  opened.push(s)
  return s
}

const ECDSA: KeyType = 'ecdsa-secp256k1'
const N = secp256k1.Point.CURVE().n

async function requestKey(s: Setup, keyType: KeyType = ECDSA, extra: { ttlMs?: number; requester?: Actor; workspace?: string; keyring?: string } = {}): Promise<number> {
  const requester = extra.requester ?? s.owner
  const { requestId } = await requester.client.requestKey({
    workspace: extra.workspace ?? s.workspace,
    keyring: extra.keyring ?? s.keyring,
    keyType,
    ...(extra.ttlMs !== undefined ? { ttlMs: extra.ttlMs } : {}),
  })
  return requestId
}

/** Posts a key response whose party signature covers `signed` (default: the same subject). */
function postKeyResponse(
  s: Setup,
  party: Actor,
  requestId: number,
  result: KeyRequestResult,
  signed: { kind?: 'key' | 'sign'; requestId?: number; result?: unknown; chainId?: string; by?: Actor } = {},
) {
  return (async () => {
    const digest = partyResponseDigest({ chainId: signed.chainId ?? s.chainId, kind: signed.kind ?? 'key', requestId: signed.requestId ?? requestId, result: signed.result ?? result })
    const partySignature = await (signed.by ?? party).account.sign(digest)
    return party.client.sendMessage({ msg: { type: 'treasury.FulfilKeyRequest', requestId, result, partySignature } })
  })()
}

function postSignResponse(s: Setup, party: Actor, requestId: number, result: SignRequestResult, signed: { kind?: 'key' | 'sign'; requestId?: number; result?: unknown } = {}) {
  return (async () => {
    const digest = partyResponseDigest({ chainId: s.chainId, kind: signed.kind ?? 'sign', requestId: signed.requestId ?? requestId, result: signed.result ?? result })
    const partySignature = await party.account.sign(digest)
    return party.client.sendMessage({ msg: { type: 'treasury.FulfilSignRequest', requestId, result, partySignature } })
  })()
}

const keyRequest = async (s: Setup, id: number) => (await s.ledger.query('keyRequest', { id }))!
const signRequest = async (s: Setup, id: number) => (await s.ledger.query('signRequest', { id }))!

describe('key requests: who may ask, and for what', () => {
  it('refuses requests from non-owners with NOT_WORKSPACE_OWNER', async () => {
    const s = await fixture()
    await expectRefused(s.ledger, () => requestKey(s, ECDSA, { requester: s.outsider }), 'NOT_WORKSPACE_OWNER', `${s.outsider.address} is not an owner of ${s.workspace}`)
    // the keyring admin is no workspace owner either
    await expectRefused(s.ledger, () => requestKey(s, ECDSA, { requester: s.admin }), 'NOT_WORKSPACE_OWNER')
    expect(await s.balance(s.outsider.address)).toBe(1_000_000n)
    expect((await s.ledger.query('keyRequests', {})).items).toHaveLength(0)
    // an owner may
    expect(await requestKey(s)).toBe(1)
  })

  it('refuses unknown workspaces and keyrings with WORKSPACE_NOT_FOUND / KEYRING_NOT_FOUND', async () => {
    const s = await fixture()
    const ghostWorkspace = workspaceAddress(999)
    const ghostKeyring = keyringAddress(999)
    await expectRefused(s.ledger, () => requestKey(s, ECDSA, { workspace: ghostWorkspace }), 'WORKSPACE_NOT_FOUND', `no workspace ${ghostWorkspace}`)
    await expectRefused(s.ledger, () => requestKey(s, ECDSA, { keyring: ghostKeyring }), 'KEYRING_NOT_FOUND', `no keyring ${ghostKeyring}`)
    // addresses of the wrong kind are refused as addresses
    await expectRefused(s.ledger, () => requestKey(s, ECDSA, { workspace: s.keyring }), 'INVALID_ADDRESS', 'expected prefix "workspace"')
    await expectRefused(s.ledger, () => requestKey(s, ECDSA, { keyring: s.owner.address }), 'INVALID_ADDRESS', 'expected prefix "keyring"')
  })

  it.each(['rsa-2048', '', 'ECDSA-SECP256K1', 'ecdsa'])('refuses the key type %j with UNSUPPORTED_KEY_TYPE', async (keyType) => {
    const s = await fixture()
    await expectRefused(s.ledger, () => requestKey(s, keyType as KeyType), 'UNSUPPORTED_KEY_TYPE', [`got ${JSON.stringify(keyType)}`, 'ecdsa-secp256k1'])
  })

  it('refuses requests to a deactivated keyring with KEYRING_NOT_ACTIVE', async () => {
    const s = await fixture()
    await s.admin.client.deactivateKeyring({ keyring: s.keyring })
    expect((await s.ledger.query('keyring', { address: s.keyring }))!.isActive).toBe(false)
    await expectRefused(s.ledger, () => requestKey(s), 'KEYRING_NOT_ACTIVE', `${s.keyring} was deactivated`)
    await expectRefused(s.ledger, () => s.admin.client.deactivateKeyring({ keyring: s.keyring }), 'KEYRING_NOT_ACTIVE')
    await expectRefused(s.ledger, () => s.admin.client.updateKeyring({ keyring: s.keyring, isActive: true }), 'KEYRING_NOT_ACTIVE')
  })

  it('refuses a request the requester cannot pay for with INSUFFICIENT_BALANCE', async () => {
    const s = await fixture({ keyRequestFee: 100n })
    const poor = await s.newActor('poor', 99n)
    await s.owner.client.addWorkspaceOwner({ workspace: s.workspace, owner: poor.address })
    const e = await expectRefused(s.ledger, () => requestKey(s, ECDSA, { requester: poor }), 'INSUFFICIENT_BALANCE', `${poor.address} needs 100uzr, has 99uzr`)
    expect(e.meta).toMatchObject({ needed: 100n, balance: 99n })
    expect(await s.balance(poor.address)).toBe(99n)
    await s.owner.client.send({ to: poor.address, amount: 1n })
    await requestKey(s, ECDSA, { requester: poor })
    expect(await s.balance(poor.address)).toBe(0n)
  })

  it('refuses a time-to-live outside the ledger limits with INVALID_INPUT', async () => {
    const s = await fixture()
    await expectRefused(s.ledger, () => requestKey(s, ECDSA, { ttlMs: 999 }), 'INVALID_INPUT', 'expected an integer in 1000..')
    await expectRefused(s.ledger, () => requestKey(s, ECDSA, { ttlMs: 31 * 24 * 60 * 60_000 }), 'INVALID_INPUT')
    await expectRefused(s.ledger, () => requestKey(s, ECDSA, { ttlMs: 1500.5 }), 'INVALID_INPUT')
  })
})

describe('key requests: party responses', () => {
  it('fulfils a 2-of-3 request on the second identical response, and refuses the third party', async () => {
    const s = await fixture({ parties: 3, threshold: 2, keyRequestFee: 100n })
    const [p0, p1, p2] = s.parties as [Actor, Actor, Actor]
    const requestId = await requestKey(s)
    const key = newKeyPair(ECDSA, 'two-of-three')

    const first = await p0.client.fulfilKeyRequest({ requestId, result: { publicKey: key.publicKey } })
    expect(first.result).toMatchObject({ requestId, status: 'pending' })
    let r = await keyRequest(s, requestId)
    expect(r.status).toBe('pending')
    expect(r.responses.map((x) => x.party)).toEqual([p0.address])
    expect(equalBytes(r.responses[0]!.publicKey!, key.publicKey)).toBe(true)
    // the request's key is set only once the threshold of parties agree on it
    expect(r.publicKey).toBeUndefined()
    expect(r.keyId).toBeUndefined()
    expect((await s.ledger.query('keys', {})).items).toHaveLength(0)
    expect(await s.balance(s.keyring)).toBe(0n)

    const second = await p1.client.fulfilKeyRequest({ requestId, result: { publicKey: key.publicKey } })
    expect(second.result).toMatchObject({ requestId, status: 'fulfilled', keyId: 1 })
    r = await keyRequest(s, requestId)
    expect(r).toMatchObject({ status: 'fulfilled', keyId: 1 })
    expect(r.decidedAt).toBe(second.time)
    expect(r.responses.map((x) => x.party)).toEqual([p0.address, p1.address])
    const stored = (await s.ledger.query('key', { id: 1 }))!
    expect(stored).toMatchObject({ id: 1, workspace: s.workspace, keyring: s.keyring, keyType: ECDSA, requestId })
    expect(equalBytes(stored.publicKey, key.publicKey)).toBe(true)
    expect(await s.balance(s.keyring)).toBe(100n)

    await expectRefused(s.ledger, () => p2.client.fulfilKeyRequest({ requestId, result: { publicKey: key.publicKey } }), 'REQUEST_NOT_PENDING', `key request ${requestId} is fulfilled`)
  })

  it('stores party signatures that anyone can verify offline', async () => {
    const s = await fixture({ parties: 3, threshold: 2 })
    const requestId = await requestKey(s)
    const key = newKeyPair(ECDSA, 'receipt')
    for (const p of s.parties.slice(0, 2)) await p.client.fulfilKeyRequest({ requestId, result: { publicKey: key.publicKey } })
    const r = await keyRequest(s, requestId)
    const digest = partyResponseDigest({ chainId: s.chainId, kind: 'key', requestId, result: { publicKey: key.publicKey } })
    r.responses.forEach((resp, i) => {
      const party = s.parties[i]!
      expect(resp.party).toBe(party.address)
      expect(verifyAccountSignature(resp.signature, digest, party.account.publicKey)).toBe(true)
      // the receipt binds the party, the request and the result
      expect(verifyAccountSignature(resp.signature, digest, s.parties[2]!.account.publicKey)).toBe(false)
      expect(verifyAccountSignature(resp.signature, partyResponseDigest({ chainId: s.chainId, kind: 'key', requestId: requestId + 1, result: { publicKey: key.publicKey } }), party.account.publicKey)).toBe(false)
      expect(verifyAccountSignature(resp.signature, partyResponseDigest({ chainId: s.chainId, kind: 'sign', requestId, result: { publicKey: key.publicKey } }), party.account.publicKey)).toBe(false)
      expect(verifyAccountSignature(resp.signature, partyResponseDigest({ chainId: s.chainId, kind: 'key', requestId, result: { publicKey: newKeyPair(ECDSA).publicKey } }), party.account.publicKey)).toBe(false)
    })
  })

  it('refuses responses from accounts that are not parties with NOT_KEYRING_PARTY', async () => {
    const s = await fixture()
    const requestId = await requestKey(s)
    const key = newKeyPair(ECDSA)
    await expectRefused(s.ledger, () => s.outsider.client.fulfilKeyRequest({ requestId, result: { publicKey: key.publicKey } }), 'NOT_KEYRING_PARTY', `${s.outsider.address} is not a party of ${s.keyring}`)
    await expectRefused(s.ledger, () => s.admin.client.fulfilKeyRequest({ requestId, result: { publicKey: key.publicKey } }), 'NOT_KEYRING_PARTY')
    await expectRefused(s.ledger, () => s.owner.client.fulfilKeyRequest({ requestId, result: { rejectReason: 'no' } }), 'NOT_KEYRING_PARTY')
    expect((await keyRequest(s, requestId)).status).toBe('pending')
  })

  it('refuses a second response from the same party with DUPLICATE_RESPONSE', async () => {
    const s = await fixture({ parties: 3, threshold: 2 })
    const requestId = await requestKey(s)
    const key = newKeyPair(ECDSA)
    const p0 = s.parties[0]!
    await p0.client.fulfilKeyRequest({ requestId, result: { publicKey: key.publicKey } })
    await expectRefused(s.ledger, () => p0.client.fulfilKeyRequest({ requestId, result: { publicKey: key.publicKey } }), 'DUPLICATE_RESPONSE', `${p0.address} already responded to key request ${requestId}`)
    await expectRefused(s.ledger, () => p0.client.fulfilKeyRequest({ requestId, result: { rejectReason: 'changed my mind' } }), 'DUPLICATE_RESPONSE')
    const r = await keyRequest(s, requestId)
    expect(r.status).toBe('pending')
    expect(r.responses).toHaveLength(1)
  })

  it('refuses forged party signatures with INVALID_PARTY_SIGNATURE', async () => {
    const s = await fixture({ parties: 2, threshold: 2 })
    const p0 = s.parties[0]!
    const requestId = await requestKey(s)
    const otherRequestId = await requestKey(s)
    const key = newKeyPair(ECDSA, 'posted')
    const other = newKeyPair(ECDSA, 'signed')
    const result = { publicKey: key.publicKey }
    const details = `expected ${p0.address}'s signature over key request ${requestId} and its result`
    // signed a different result than the one posted
    await expectRefused(s.ledger, () => postKeyResponse(s, p0, requestId, result, { result: { publicKey: other.publicKey } }), 'INVALID_PARTY_SIGNATURE', details)
    // signed for another request
    await expectRefused(s.ledger, () => postKeyResponse(s, p0, requestId, result, { requestId: otherRequestId }), 'INVALID_PARTY_SIGNATURE', details)
    // signed as a signature-request response
    await expectRefused(s.ledger, () => postKeyResponse(s, p0, requestId, result, { kind: 'sign' }), 'INVALID_PARTY_SIGNATURE', details)
    // signed for another chain
    await expectRefused(s.ledger, () => postKeyResponse(s, p0, requestId, result, { chainId: 'zrkit-elsewhere' }), 'INVALID_PARTY_SIGNATURE', details)
    // signed by someone else, posted by the party
    await expectRefused(s.ledger, () => postKeyResponse(s, p0, requestId, result, { by: s.outsider }), 'INVALID_PARTY_SIGNATURE', details)
    // a rejection signed as an acceptance
    await expectRefused(s.ledger, () => postKeyResponse(s, p0, requestId, { rejectReason: 'nope' }, { result }), 'INVALID_PARTY_SIGNATURE')
    // a party signature of the wrong shape
    await expectRefused(
      s.ledger,
      () => p0.client.sendMessage({ msg: { type: 'treasury.FulfilKeyRequest', requestId, result, partySignature: new Uint8Array(63) } }),
      'INVALID_INPUT',
      'expected 64 bytes, got 63 bytes',
    )
    expect((await keyRequest(s, requestId)).responses).toHaveLength(0)
    // the genuine response goes through
    await postKeyResponse(s, p0, requestId, result)
    expect((await keyRequest(s, requestId)).responses).toHaveLength(1)
  })

  it('refuses public keys that are not valid keys of the type with INVALID_PUBLIC_KEY', async () => {
    const s = await fixture()
    const p0 = s.parties[0]!
    const ecdsaRequest = await requestKey(s, ECDSA)
    const edRequest = await requestKey(s, 'eddsa-ed25519')
    const schnorrRequest = await requestKey(s, 'schnorr-secp256k1')
    const notOnCurve = new Uint8Array(33).fill(0xff)
    notOnCurve[0] = 0x02
    const badPrefix = Uint8Array.from(newKeyPair(ECDSA).publicKey)
    badPrefix[0] = 0x05
    const cases: [number, unknown, string][] = [
      [ecdsaRequest, new Uint8Array(32).fill(7), 'expected 33 bytes, got 32 bytes'],
      [ecdsaRequest, secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), false), 'expected 33 bytes, got 65 bytes'],
      [ecdsaRequest, notOnCurve, 'not one'],
      [ecdsaRequest, badPrefix, 'not one'],
      [ecdsaRequest, newKeyPair('eddsa-ed25519').publicKey, 'expected 33 bytes, got 32 bytes'],
      [ecdsaRequest, '02'.padEnd(66, '1'), 'got string'],
      [schnorrRequest, notOnCurve, 'not one'],
      [schnorrRequest, newKeyPair('eddsa-ed25519').publicKey, 'expected 33 bytes'],
      [edRequest, newKeyPair(ECDSA).publicKey, 'expected 32 bytes, got 33 bytes'],
      [edRequest, Uint8Array.from([1, ...new Array(31).fill(0)]), 'not one'], // the identity: small order
      [edRequest, new Uint8Array(32).fill(0xff), 'not one'],
    ]
    for (const [requestId, publicKey, details] of cases) {
      await expectRefused(s.ledger, () => p0.client.fulfilKeyRequest({ requestId, result: { publicKey } as KeyRequestResult }), 'INVALID_PUBLIC_KEY', details)
    }
    for (const id of [ecdsaRequest, edRequest, schnorrRequest]) expect(await keyRequest(s, id)).toMatchObject({ status: 'pending', responses: [] })
  })

  it('refuses results that are neither a key nor a rejection with INVALID_INPUT', async () => {
    const s = await fixture()
    const requestId = await requestKey(s)
    const p0 = s.parties[0]!
    await expectRefused(s.ledger, () => p0.client.fulfilKeyRequest({ requestId, result: {} as KeyRequestResult }), 'INVALID_INPUT', '{ publicKey } or { rejectReason }')
    await expectRefused(s.ledger, () => p0.client.fulfilKeyRequest({ requestId, result: { rejectReason: '' } }), 'INVALID_INPUT', 'a string of 1..2048')
    await expectRefused(s.ledger, () => p0.client.fulfilKeyRequest({ requestId, result: { rejectReason: 'x'.repeat(2049) } }), 'INVALID_INPUT')
    await expectRefused(s.ledger, () => p0.client.fulfilKeyRequest({ requestId: 999, result: { rejectReason: 'x' } }), 'KEY_REQUEST_NOT_FOUND', 'no key request 999')
    await expectRefused(s.ledger, () => p0.client.fulfilKeyRequest({ requestId: 0, result: { rejectReason: 'x' } }), 'INVALID_INPUT')
  })

  it('fulfils the key that the threshold of parties agree on when one party posts a different key; that party is recorded, not blamed', async () => {
    const s = await fixture({ parties: 3, threshold: 2, keyRequestFee: 250n })
    const [p0, p1, p2] = s.parties as [Actor, Actor, Actor]
    const requestId = await requestKey(s)
    const odd = newKeyPair(ECDSA, 'odd')
    const agreed = newKeyPair(ECDSA, 'agreed')
    await p0.client.fulfilKeyRequest({ requestId, result: { publicKey: odd.publicKey } })
    // one different key ends nothing: the other two can still agree
    const second = await p1.client.fulfilKeyRequest({ requestId, result: { publicKey: agreed.publicKey } })
    expect(second.result).toMatchObject({ requestId, status: 'pending' })
    const third = await p2.client.fulfilKeyRequest({ requestId, result: { publicKey: agreed.publicKey } })
    expect(third.result).toMatchObject({ requestId, status: 'fulfilled', keyId: 1 })
    const r = await keyRequest(s, requestId)
    expect(equalBytes(r.publicKey!, agreed.publicKey)).toBe(true)
    expect(equalBytes((await s.ledger.query('key', { id: 1 }))!.publicKey, agreed.publicKey)).toBe(true)
    expect(r.rejectReason).toBeUndefined()
    // every response keeps what its party posted, so each party signature stays verifiable
    expect(equalBytes(r.responses[0]!.publicKey!, odd.publicKey)).toBe(true)
    const digest = partyResponseDigest({ chainId: s.chainId, kind: 'key', requestId, result: { publicKey: odd.publicKey } })
    expect(verifyAccountSignature(r.responses[0]!.signature, digest, p0.account.publicKey)).toBe(true)
    expect(await s.balance(s.keyring)).toBe(250n)
  })

  it('rejects the request once no key can reach the threshold (three different keys), naming no party as its cause, and refunds the fee', async () => {
    const s = await fixture({ parties: 3, threshold: 2, keyRequestFee: 250n })
    const [p0, p1, p2] = s.parties as [Actor, Actor, Actor]
    const ownerBefore = await s.balance(s.owner.address)
    const requestId = await requestKey(s)
    expect(await s.balance(s.owner.address)).toBe(ownerBefore - 250n)
    await p0.client.fulfilKeyRequest({ requestId, result: { publicKey: newKeyPair(ECDSA, 'a').publicKey } })
    await p1.client.fulfilKeyRequest({ requestId, result: { publicKey: newKeyPair(ECDSA, 'b').publicKey } })
    const receipt = await p2.client.fulfilKeyRequest({ requestId, result: { publicKey: newKeyPair(ECDSA, 'c').publicKey } })
    expect(receipt.result).toMatchObject({ requestId, status: 'rejected' })
    const r = await keyRequest(s, requestId)
    expect(r.status).toBe('rejected')
    expect(r.rejectReason).toContain('can no longer reach its threshold of 2')
    expect(r.rejectReason).toContain('3 different results')
    expect(r.rejectReason).not.toContain('mismatch')
    expect(r.responses.map((x) => x.party)).toEqual([p0.address, p1.address, p2.address])
    expect(r.keyId).toBeUndefined()
    expect((await s.ledger.query('keys', {})).items).toHaveLength(0)
    expect(await s.balance(s.owner.address)).toBe(ownerBefore)
    expect(await s.balance(s.keyring)).toBe(0n)
  })

  it('one party rejecting a 2-of-3 request does not end it: the other two fulfil it', async () => {
    const s = await fixture({ parties: 3, threshold: 2 })
    const [p0, p1, p2] = s.parties as [Actor, Actor, Actor]
    const requestId = await requestKey(s)
    const key = newKeyPair(ECDSA)
    expect((await p1.client.fulfilKeyRequest({ requestId, result: { rejectReason: 'hsm offline' } })).result).toMatchObject({ status: 'pending' })
    await p0.client.fulfilKeyRequest({ requestId, result: { publicKey: key.publicKey } })
    expect((await p2.client.fulfilKeyRequest({ requestId, result: { publicKey: key.publicKey } })).result).toMatchObject({ status: 'fulfilled' })
    expect((await keyRequest(s, requestId)).responses[0]).toMatchObject({ party: p1.address, rejectReason: 'hsm offline' })
  })

  it('rejects the request when too many parties reject it, with every reason, and refunds the fee', async () => {
    const s = await fixture({ parties: 3, threshold: 2 })
    const [p0, p1, p2] = s.parties as [Actor, Actor, Actor]
    const ownerBefore = await s.balance(s.owner.address)
    const requestId = await requestKey(s)
    await p0.client.fulfilKeyRequest({ requestId, result: { publicKey: newKeyPair(ECDSA).publicKey } })
    expect((await p1.client.fulfilKeyRequest({ requestId, result: { rejectReason: 'hsm offline' } })).result).toMatchObject({ status: 'pending' })
    const receipt = await p2.client.fulfilKeyRequest({ requestId, result: { rejectReason: 'quota exceeded' } })
    expect(receipt.result).toMatchObject({ status: 'rejected' })
    const r = await keyRequest(s, requestId)
    expect(r.status).toBe('rejected')
    expect(r.rejectReason).toContain(`party ${p1.address} rejected: hsm offline`)
    expect(r.rejectReason).toContain(`party ${p2.address} rejected: quota exceeded`)
    expect(r.responses[1]).toMatchObject({ party: p1.address, rejectReason: 'hsm offline' })
    const digest = partyResponseDigest({ chainId: s.chainId, kind: 'key', requestId, result: { rejectReason: 'hsm offline' } })
    expect(verifyAccountSignature(r.responses[1]!.signature, digest, p1.account.publicKey)).toBe(true)
    expect(await s.balance(s.owner.address)).toBe(ownerBefore)
    expect(await s.balance(s.keyring)).toBe(0n)
  })

  it('a keyring that needs every party is rejected by one rejection at once', async () => {
    const s = await fixture({ parties: 2, threshold: 2 })
    const requestId = await requestKey(s)
    const receipt = await s.parties[0]!.client.fulfilKeyRequest({ requestId, result: { rejectReason: 'hsm offline' } })
    expect(receipt.result).toMatchObject({ status: 'rejected' })
    expect((await keyRequest(s, requestId)).rejectReason).toContain(`party ${s.parties[0]!.address} rejected: hsm offline`)
  })

  it('records accusations in the signed result, emits party.accused, puts them first in a reject reason, and refuses bad ones', async () => {
    const s = await fixture({ parties: 3, threshold: 2 })
    const [p0, p1, p2] = s.parties as [Actor, Actor, Actor]
    const requestId = await requestKey(s)
    const events: LedgerEvent[] = []
    const off = s.ledger.subscribe({ types: ['party.accused'] }, (e) => void events.push(e))
    const reason = 'sent a share that does not match its commitments'
    for (const accusations of [
      [{ party: p0.address, reason }],
      [{ party: 'zen1notaparty', reason }],
      [{ party: p2.address, reason }, { party: p2.address, reason }],
      [{ party: p2.address, reason: '' }],
      [{ party: p2.address, reason: 'x'.repeat(257) }],
      [{ party: p2.address }],
      'p2',
    ]) {
      await expectRefused(s.ledger, () => p0.client.fulfilKeyRequest({ requestId, result: { rejectReason: 'cheater', accusations } as never }), 'INVALID_INPUT')
    }
    const key = newKeyPair(ECDSA)
    await p0.client.fulfilKeyRequest({ requestId, result: { publicKey: key.publicKey, accusations: [{ party: p2.address, reason }] } })
    await p1.client.fulfilKeyRequest({ requestId, result: { publicKey: key.publicKey, accusations: [{ party: p2.address, reason }] } })
    const r = await keyRequest(s, requestId)
    expect(r.status).toBe('fulfilled')
    expect(r.responses.map((x) => x.accusations)).toEqual([[{ party: p2.address, reason }], [{ party: p2.address, reason }]])
    const digest = partyResponseDigest({ chainId: s.chainId, kind: 'key', requestId, result: { publicKey: key.publicKey, accusations: [{ party: p2.address, reason }] } })
    expect(verifyAccountSignature(r.responses[0]!.signature, digest, p0.account.publicKey)).toBe(true)
    for (let i = 0; i < 100 && events.length < 2; i++) await sleep(10)
    expect(events.map((e) => e.data)).toEqual([p0, p1].map((by) => ({ requestKind: 'key', requestId, keyring: s.keyring, workspace: s.workspace, by: by.address, party: p2.address, reason })))
    off()

    const rejected = await requestKey(s)
    await p0.client.fulfilKeyRequest({ requestId: rejected, result: { rejectReason: 'x'.repeat(2048), accusations: [{ party: p2.address, reason }] } })
    await p1.client.fulfilKeyRequest({ requestId: rejected, result: { rejectReason: 'y'.repeat(2048) } })
    const rr = await keyRequest(s, rejected)
    expect(rr.status).toBe('rejected')
    expect(rr.rejectReason).toContain(`party ${p2.address} accused of cheating by ${p0.address}`)
    expect(rr.rejectReason!.length).toBeLessThanOrEqual(4096)
  })

  it.each(keyTypes)('creates a %s key from the parties\' public key', async (keyType) => {
    const s = await fixture({ parties: 2, threshold: 2 })
    const key = await createTestKey(s, keyType)
    const stored = (await s.ledger.query('key', { id: key.keyId }))!
    expect(stored.keyType).toBe(keyType)
    expect(stored.publicKey).toHaveLength(keyType === 'eddsa-ed25519' ? 32 : 33)
    expect(equalBytes(stored.publicKey, key.publicKey)).toBe(true)
    const r = await keyRequest(s, key.requestId)
    expect(r).toMatchObject({ status: 'fulfilled', keyType, keyId: key.keyId })
    const digest = partyResponseDigest({ chainId: s.chainId, kind: 'key', requestId: key.requestId, result: { publicKey: key.publicKey } })
    r.responses.forEach((resp, i) => expect(verifyAccountSignature(resp.signature, digest, s.parties[i]!.account.publicKey)).toBe(true))
  })
})

describe('signature requests', () => {
  it('refuses an unknown key with KEY_NOT_FOUND', async () => {
    const s = await fixture()
    await expectRefused(s.ledger, () => s.owner.client.requestSignature({ keyId: 999, payloads: [new Uint8Array(32)] }), 'KEY_NOT_FOUND', 'no key 999')
    await expectRefused(s.ledger, () => s.owner.client.requestSignature({ keyId: 0, payloads: [new Uint8Array(32)] }), 'INVALID_INPUT')
  })

  it.each(['ecdsa-secp256k1', 'bitcoin-secp256k1'] as const)('refuses %s payloads that are not 32-byte digests with INVALID_PAYLOAD', async (keyType) => {
    const s = await fixture()
    const key = await createTestKey(s, keyType)
    for (const length of [31, 33, 0, 64]) {
      await expectRefused(s.ledger, () => s.owner.client.requestSignature({ keyId: key.keyId, payloads: [new Uint8Array(length)] }), 'INVALID_PAYLOAD', [
        `payload 0: expected 32-byte digest for ${keyType}, got ${length} bytes`,
      ])
    }
    await expectRefused(s.ledger, () => s.owner.client.requestSignature({ keyId: key.keyId, payloads: [new Uint8Array(32), new Uint8Array(31)] }), 'INVALID_PAYLOAD', 'payload 1: expected 32-byte digest')
  })

  it('refuses an empty or missing payload list, and too many payloads, with INVALID_PAYLOAD', async () => {
    const s = await fixture()
    const key = await createTestKey(s, ECDSA)
    await expectRefused(s.ledger, () => s.owner.client.requestSignature({ keyId: key.keyId, payloads: [] }), 'INVALID_PAYLOAD', 'expected 1..256 payloads, got 0')
    await expectRefused(s.ledger, () => s.owner.client.requestSignature({ keyId: key.keyId, payloads: 'abcd' as never }), 'INVALID_PAYLOAD', 'got string')
    const many = Array.from({ length: 257 }, (_, i) => payloadFor(ECDSA, `p${i}`))
    await expectRefused(s.ledger, () => s.owner.client.requestSignature({ keyId: key.keyId, payloads: many }), 'INVALID_PAYLOAD', 'expected 1..256 payloads, got 257')
    const { status } = await s.owner.client.requestSignature({ keyId: key.keyId, payloads: many.slice(0, 256) })
    expect(status).toBe('pending')
  })

  it.each(['eddsa-ed25519', 'schnorr-secp256k1'] as const)('accepts %s messages of 0..maxMessageBytes bytes (the empty message too) and refuses longer ones', async (keyType) => {
    const s = await fixture({ params: { maxMessageBytes: 64 } })
    const key = await createTestKey(s, keyType)
    for (const length of [0, 1, 31, 32, 33, 64]) {
      const payload = payloadFor(keyType, `m${length}`, length)
      const { requestId } = await s.owner.client.requestSignature({ keyId: key.keyId, payloads: [payload] })
      await s.parties[0]!.client.fulfilSignRequest({ requestId, result: { signatures: [schemeSign(key, payload)] } })
      const r = await signRequest(s, requestId)
      expect(r.status).toBe('fulfilled')
      expect(nobleVerifies(keyType, key.publicKey, payload, r.signatures![0]!)).toBe(true)
    }
    await expectRefused(s.ledger, () => s.owner.client.requestSignature({ keyId: key.keyId, payloads: [new Uint8Array(65)] }), 'INVALID_PAYLOAD', `expected a message of 0..64 bytes for ${keyType}, got 65 bytes`)
  })

  it('refuses signature requests from non-owners with NOT_WORKSPACE_OWNER', async () => {
    const s = await fixture()
    const key = await createTestKey(s, ECDSA)
    const payloads = [payloadFor(ECDSA, 'x')]
    await expectRefused(s.ledger, () => s.outsider.client.requestSignature({ keyId: key.keyId, payloads }), 'NOT_WORKSPACE_OWNER', `${s.outsider.address} is not an owner of ${s.workspace}`)
    await expectRefused(s.ledger, () => s.parties[0]!.client.requestSignature({ keyId: key.keyId, payloads }), 'NOT_WORKSPACE_OWNER')
    expect(await s.balance(s.outsider.address)).toBe(1_000_000n)
  })

  it('refuses signature requests on a deactivated keyring, and ones the requester cannot pay for', async () => {
    const s = await fixture({ signRequestFee: 50n })
    const key = await createTestKey(s, ECDSA)
    const payloads = [payloadFor(ECDSA, 'x')]
    const poor = await s.newActor('poor', 49n)
    await s.owner.client.addWorkspaceOwner({ workspace: s.workspace, owner: poor.address })
    await expectRefused(s.ledger, () => poor.client.requestSignature({ keyId: key.keyId, payloads }), 'INSUFFICIENT_BALANCE', 'needs 50uzr, has 49uzr')
    await s.admin.client.deactivateKeyring({ keyring: s.keyring })
    await expectRefused(s.ledger, () => s.owner.client.requestSignature({ keyId: key.keyId, payloads }), 'KEYRING_NOT_ACTIVE')
  })

  it('returns one signature per payload, in order, each verifiable with noble', async () => {
    const s = await fixture()
    const key = await createTestKey(s, ECDSA)
    const payloads = [0, 1, 2, 3].map((i) => payloadFor(ECDSA, `multi ${i}`))
    const { requestId, status } = await s.owner.client.requestSignature({ keyId: key.keyId, payloads })
    expect(status).toBe('pending')
    const receipt = await s.parties[0]!.client.fulfilSignRequest({ requestId, result: { signatures: payloads.map((p) => schemeSign(key, p)) } })
    expect(receipt.result).toMatchObject({ requestId, status: 'fulfilled' })
    const r = await signRequest(s, requestId)
    expect(r.signatures).toHaveLength(4)
    r.signatures!.forEach((sig, i) => {
      expect(nobleVerifies(ECDSA, key.publicKey, payloads[i]!, sig)).toBe(true)
      expect(nobleVerifies(ECDSA, key.publicKey, payloads[(i + 1) % 4]!, sig)).toBe(false)
    })
  })

  it.each(keyTypes)('fulfils %s requests with signatures that verify independently with noble', async (keyType) => {
    const s = await fixture({ parties: 2, threshold: 2 })
    const key = await createTestKey(s, keyType)
    const payloads = [payloadFor(keyType, 'first', 20), payloadFor(keyType, 'second', 200)]
    const { requestId } = await s.owner.client.requestSignature({ keyId: key.keyId, payloads, metadata: { chain: 'test' } })
    const signatures = payloads.map((p) => schemeSign(key, p))
    const first = await s.parties[0]!.client.fulfilSignRequest({ requestId, result: { signatures } })
    expect(first.result).toMatchObject({ status: 'pending' })
    await s.parties[1]!.client.fulfilSignRequest({ requestId, result: { signatures } })
    const r = await signRequest(s, requestId)
    expect(r).toMatchObject({ status: 'fulfilled', keyType, keyId: key.keyId, metadata: { chain: 'test' } })
    for (const [i, sig] of r.signatures!.entries()) {
      const payload = payloads[i]!
      if (keyType === 'eddsa-ed25519') expect(ed25519.verify(sig, payload, key.publicKey)).toBe(true)
      else if (keyType === 'schnorr-secp256k1') expect(schnorr.verify(sig, payload, xOnly(key.publicKey))).toBe(true)
      else {
        expect(sig).toHaveLength(65)
        expect(secp256k1.verify(sig.subarray(0, 64), payload, key.publicKey, { prehash: false })).toBe(true)
        const recovered = secp256k1.Signature.fromBytes(sig.subarray(0, 64), 'compact').addRecoveryBit(sig[64]!).recoverPublicKey(payload).toBytes(true)
        expect(equalBytes(recovered, key.publicKey)).toBe(true)
      }
    }
    const digest = partyResponseDigest({ chainId: s.chainId, kind: 'sign', requestId, result: { signatures } })
    r.responses.forEach((resp, i) => expect(verifyAccountSignature(resp.signature, digest, s.parties[i]!.account.publicKey)).toBe(true))
  })

  it.each(keyTypes)('refuses a %s signature that does not verify with INVALID_RESULT, leaving the request pending', async (keyType) => {
    const s = await fixture()
    const key = await createTestKey(s, keyType)
    const payloads = [payloadFor(keyType, 'a'), payloadFor(keyType, 'b')]
    const { requestId } = await s.owner.client.requestSignature({ keyId: key.keyId, payloads })
    const p0 = s.parties[0]!
    // signature 1 signs payload 0
    const swapped = [schemeSign(key, payloads[0]!), schemeSign(key, payloads[0]!)]
    await expectRefused(s.ledger, () => p0.client.fulfilSignRequest({ requestId, result: { signatures: swapped } }), 'INVALID_RESULT', `signature 1 for ${keyType} key ${key.keyId}: does not verify`)
    // right payloads, wrong key
    const stranger = newKeyPair(keyType)
    await expectRefused(s.ledger, () => p0.client.fulfilSignRequest({ requestId, result: { signatures: payloads.map((p) => schemeSign(stranger, p)) } }), 'INVALID_RESULT', 'signature 0')
    // wrong length
    const short = schemeSign(key, payloads[0]!).subarray(0, 63)
    await expectRefused(s.ledger, () => p0.client.fulfilSignRequest({ requestId, result: { signatures: [short, schemeSign(key, payloads[1]!)] } }), 'INVALID_RESULT', 'got 63 bytes')
    expect(await signRequest(s, requestId)).toMatchObject({ status: 'pending', responses: [] })
    // the right ones are still accepted
    await p0.client.fulfilSignRequest({ requestId, result: { signatures: payloads.map((p) => schemeSign(key, p)) } })
    expect((await signRequest(s, requestId)).status).toBe('fulfilled')
  })

  it('refuses the wrong number of signatures with INVALID_RESULT', async () => {
    const s = await fixture()
    const key = await createTestKey(s, ECDSA)
    const payloads = [payloadFor(ECDSA, 'a'), payloadFor(ECDSA, 'b')]
    const { requestId } = await s.owner.client.requestSignature({ keyId: key.keyId, payloads })
    const p0 = s.parties[0]!
    const good = payloads.map((p) => schemeSign(key, p))
    await expectRefused(s.ledger, () => p0.client.fulfilSignRequest({ requestId, result: { signatures: good.slice(0, 1) } }), 'INVALID_RESULT', 'expected 2 signatures (one per payload), got 1')
    await expectRefused(s.ledger, () => p0.client.fulfilSignRequest({ requestId, result: { signatures: [...good, good[0]!] } }), 'INVALID_RESULT', 'got 3')
    await expectRefused(s.ledger, () => p0.client.fulfilSignRequest({ requestId, result: { signatures: [] } }), 'INVALID_RESULT', 'got 0')
    await expectRefused(s.ledger, () => p0.client.fulfilSignRequest({ requestId, result: { signatures: 'x' } as never }), 'INVALID_INPUT', '{ signatures } or { rejectReason }')
  })

  it('refuses a high-S ECDSA signature even though it is otherwise valid', async () => {
    const s = await fixture()
    const key = await createTestKey(s, ECDSA)
    const payload = payloadFor(ECDSA, 'malleable')
    const { requestId } = await s.owner.client.requestSignature({ keyId: key.keyId, payloads: [payload] })
    const low = schemeSign(key, payload)
    const sig = secp256k1.Signature.fromBytes(low.subarray(0, 64), 'compact')
    const highCompact = new secp256k1.Signature(sig.r, N - sig.s).toBytes('compact')
    const high = Uint8Array.from([...highCompact, low[64]! ^ 1])
    // the twin verifies without the low-S rule and recovers the key with the flipped recovery id
    expect(secp256k1.verify(highCompact, payload, key.publicKey, { prehash: false, lowS: false })).toBe(true)
    expect(equalBytes(secp256k1.Signature.fromBytes(highCompact, 'compact').addRecoveryBit(high[64]!).recoverPublicKey(payload).toBytes(true), key.publicKey)).toBe(true)
    await expectRefused(s.ledger, () => s.parties[0]!.client.fulfilSignRequest({ requestId, result: { signatures: [high] } }), 'INVALID_RESULT', 'S is high')
  })

  it('refuses an ECDSA signature with the wrong recovery id', async () => {
    const s = await fixture()
    const key = await createTestKey(s, 'bitcoin-secp256k1')
    const payload = payloadFor(ECDSA, 'recovery')
    const { requestId } = await s.owner.client.requestSignature({ keyId: key.keyId, payloads: [payload] })
    const good = schemeSign(key, payload)
    const p0 = s.parties[0]!
    const flipped = Uint8Array.from(good)
    flipped[64] = good[64]! ^ 1
    await expectRefused(s.ledger, () => p0.client.fulfilSignRequest({ requestId, result: { signatures: [flipped] } }), 'INVALID_RESULT', 'recovery id does not recover the key')
    for (const v of [2, 27, 28]) {
      const bad = Uint8Array.from(good)
      bad[64] = v
      await expectRefused(s.ledger, () => p0.client.fulfilSignRequest({ requestId, result: { signatures: [bad] } }), 'INVALID_RESULT', `expected recovery id 0 or 1, got ${v}`)
    }
    await expectRefused(s.ledger, () => p0.client.fulfilSignRequest({ requestId, result: { signatures: [good.subarray(0, 64)] } }), 'INVALID_RESULT', 'expected 65 bytes, got 64 bytes')
    await p0.client.fulfilSignRequest({ requestId, result: { signatures: [good] } })
    expect((await signRequest(s, requestId)).status).toBe('fulfilled')
  })

  it('rejects a request when two parties post different (both valid) Schnorr signatures, and refunds the fee', async () => {
    const s = await fixture({ parties: 2, threshold: 2, signRequestFee: 40n })
    const key = await createTestKey(s, 'schnorr-secp256k1')
    const payload = payloadFor('schnorr-secp256k1', 'nonce reuse is bad')
    const ownerBefore = await s.balance(s.owner.address)
    const keyringBefore = await s.balance(s.keyring)
    const { requestId } = await s.owner.client.requestSignature({ keyId: key.keyId, payloads: [payload] })
    expect(await s.balance(s.owner.address)).toBe(ownerBefore - 40n)
    const sigA = schemeSign(key, payload, new Uint8Array(32).fill(1))
    const sigB = schemeSign(key, payload, new Uint8Array(32).fill(2))
    expect(equalBytes(sigA, sigB)).toBe(false)
    expect(schnorr.verify(sigA, payload, xOnly(key.publicKey)) && schnorr.verify(sigB, payload, xOnly(key.publicKey))).toBe(true)
    await s.parties[0]!.client.fulfilSignRequest({ requestId, result: { signatures: [sigA] } })
    const receipt = await s.parties[1]!.client.fulfilSignRequest({ requestId, result: { signatures: [sigB] } })
    expect(receipt.result).toMatchObject({ status: 'rejected' })
    const r = await signRequest(s, requestId)
    expect(r.status).toBe('rejected')
    expect(r.rejectReason).toContain('2 different results')
    expect(r.rejectReason).not.toContain('mismatch')
    expect(r.responses).toHaveLength(2)
    expect(await s.balance(s.owner.address)).toBe(ownerBefore)
    expect(await s.balance(s.keyring)).toBe(keyringBefore)
  })

  it('fulfils a 2-of-3 signature request with the signatures two parties agree on when a third posted other valid ones first', async () => {
    const s = await fixture({ parties: 3, threshold: 2, signRequestFee: 40n })
    const key = await createTestKey(s, 'schnorr-secp256k1')
    const payload = payloadFor('schnorr-secp256k1', 'a cheater signs first')
    const { requestId } = await s.owner.client.requestSignature({ keyId: key.keyId, payloads: [payload] })
    const sigA = schemeSign(key, payload, new Uint8Array(32).fill(1))
    const sigB = schemeSign(key, payload, new Uint8Array(32).fill(2))
    await s.parties[0]!.client.fulfilSignRequest({ requestId, result: { signatures: [sigA] } })
    expect((await s.parties[1]!.client.fulfilSignRequest({ requestId, result: { signatures: [sigB] } })).result).toMatchObject({ status: 'pending' })
    expect((await signRequest(s, requestId)).signatures).toBeUndefined()
    expect((await s.parties[2]!.client.fulfilSignRequest({ requestId, result: { signatures: [sigB] } })).result).toMatchObject({ status: 'fulfilled' })
    const r = await signRequest(s, requestId)
    expect(equalBytes(r.signatures![0]!, sigB)).toBe(true)
    expect(r.responses.map((x) => equalBytes(x.signatures![0]!, sigB))).toEqual([false, true, true])
  })

  it('fulfils a 2-of-3 signature request on the second response and refuses a third', async () => {
    const s = await fixture({ parties: 3, threshold: 2, signRequestFee: 30n })
    const key = await createTestKey(s, ECDSA)
    const payload = payloadFor(ECDSA, 'threshold')
    const { requestId } = await s.owner.client.requestSignature({ keyId: key.keyId, payloads: [payload] })
    const signatures = [schemeSign(key, payload)]
    const keyringBefore = await s.balance(s.keyring)
    await s.parties[0]!.client.fulfilSignRequest({ requestId, result: { signatures } })
    expect(await signRequest(s, requestId)).toMatchObject({ status: 'pending' })
    expect(await s.balance(s.keyring)).toBe(keyringBefore)
    await expectRefused(s.ledger, () => s.parties[0]!.client.fulfilSignRequest({ requestId, result: { signatures } }), 'DUPLICATE_RESPONSE', `already responded to sign request ${requestId}`)
    await s.parties[1]!.client.fulfilSignRequest({ requestId, result: { signatures } })
    expect(await signRequest(s, requestId)).toMatchObject({ status: 'fulfilled' })
    expect(await s.balance(s.keyring)).toBe(keyringBefore + 30n)
    await expectRefused(s.ledger, () => s.parties[2]!.client.fulfilSignRequest({ requestId, result: { signatures } }), 'REQUEST_NOT_PENDING', `sign request ${requestId} is fulfilled`)
  })

  it('refuses forged party signatures on signature responses with INVALID_PARTY_SIGNATURE', async () => {
    const s = await fixture()
    const key = await createTestKey(s, 'eddsa-ed25519')
    const payload = payloadFor('eddsa-ed25519', 'forged')
    const { requestId } = await s.owner.client.requestSignature({ keyId: key.keyId, payloads: [payload] })
    const p0 = s.parties[0]!
    const result = { signatures: [schemeSign(key, payload)] }
    await expectRefused(s.ledger, () => postSignResponse(s, p0, requestId, result, { kind: 'key' }), 'INVALID_PARTY_SIGNATURE', `over sign request ${requestId}`)
    await expectRefused(s.ledger, () => postSignResponse(s, p0, requestId, result, { requestId: requestId + 1 }), 'INVALID_PARTY_SIGNATURE')
    await expectRefused(s.ledger, () => postSignResponse(s, p0, requestId, result, { result: { signatures: [new Uint8Array(64)] } }), 'INVALID_PARTY_SIGNATURE')
    await expectRefused(s.ledger, () => s.outsider.client.fulfilSignRequest({ requestId, result }), 'NOT_KEYRING_PARTY')
    await expectRefused(s.ledger, () => p0.client.fulfilSignRequest({ requestId: 77, result }), 'SIGN_REQUEST_NOT_FOUND', 'no signature request 77')
    await postSignResponse(s, p0, requestId, result)
    expect((await signRequest(s, requestId)).status).toBe('fulfilled')
  })

  it('rejects a signature request a party rejects, with its reason, and refunds the fee', async () => {
    const s = await fixture({ signRequestFee: 25n })
    const key = await createTestKey(s, ECDSA)
    const ownerBefore = await s.balance(s.owner.address)
    const { requestId } = await s.owner.client.requestSignature({ keyId: key.keyId, payloads: [payloadFor(ECDSA, 'no')] })
    await s.parties[0]!.client.fulfilSignRequest({ requestId, result: { rejectReason: 'policy says no' } })
    const r = await signRequest(s, requestId)
    expect(r.status).toBe('rejected')
    expect(r.rejectReason).toContain('policy says no')
    expect(r.signatures).toBeUndefined()
    expect(await s.balance(s.owner.address)).toBe(ownerBefore)
  })
})

describe('expiry', () => {
  it('rejects a pending key request once its time-to-live has passed, on tick, and refunds the fee', async () => {
    const s = await fixture({ keyRequestFee: 100n })
    const ownerBefore = await s.balance(s.owner.address)
    const requestId = await requestKey(s, ECDSA, { ttlMs: 5_000 })
    const created = await keyRequest(s, requestId)
    expect(created.expiresAt).toBe(created.createdAt + 5_000)
    s.clock.advance(4_999)
    const hash = s.ledger.stateHash()
    expect(await s.ledger.tick()).toEqual([])
    expect(s.ledger.stateHash()).toBe(hash)
    expect((await keyRequest(s, requestId)).status).toBe('pending')
    s.clock.advance(1)
    const events = await s.ledger.tick()
    expect(events.map((e) => e.type)).toEqual(['fee.refunded', 'keyRequest.rejected'])
    const r = await keyRequest(s, requestId)
    expect(r.status).toBe('rejected')
    expect(r.rejectReason).toContain('expired')
    expect(r.decidedAt).toBe(created.createdAt + 5_000)
    expect(await s.balance(s.owner.address)).toBe(ownerBefore)
    expect(await s.ledger.tick()).toEqual([])
  })

  it('uses the default time-to-live when the request names none', async () => {
    const s = await fixture()
    const requestId = await requestKey(s)
    const r = await keyRequest(s, requestId)
    expect(r.expiresAt - r.createdAt).toBe(10 * 60_000)
  })

  it('refuses a response that arrives after the deadline, before and after the tick', async () => {
    const s = await fixture({ parties: 2, threshold: 2 })
    const requestId = await requestKey(s, ECDSA, { ttlMs: 2_000 })
    const key = newKeyPair(ECDSA)
    await s.parties[0]!.client.fulfilKeyRequest({ requestId, result: { publicKey: key.publicKey } })
    s.clock.advance(2_000)
    // the late response is refused; the expiry it would have carried is not applied either
    await expectRefused(s.ledger, () => s.parties[1]!.client.fulfilKeyRequest({ requestId, result: { publicKey: key.publicKey } }), 'REQUEST_NOT_PENDING', `key request ${requestId} is rejected`)
    expect((await keyRequest(s, requestId)).status).toBe('pending')
    await s.ledger.tick()
    const r = await keyRequest(s, requestId)
    expect(r.status).toBe('rejected')
    expect(r.rejectReason).toContain('expired')
    expect(r.responses).toHaveLength(1)
    await expectRefused(s.ledger, () => s.parties[1]!.client.fulfilKeyRequest({ requestId, result: { publicKey: key.publicKey } }), 'REQUEST_NOT_PENDING')
    expect((await s.ledger.query('keys', {})).items).toHaveLength(0)
  })

  it('an expired request says what the parties had posted by then: accusations first, then the results and rejections', async () => {
    const s = await fixture({ parties: 3, threshold: 2 })
    const [p0, p1, p2] = s.parties as [Actor, Actor, Actor]
    const requestId = await requestKey(s, ECDSA, { ttlMs: 2_000 })
    await p0.client.fulfilKeyRequest({ requestId, result: { rejectReason: 'no signing attempt succeeded', accusations: [{ party: p2.address, reason: 'sent a bad share' }] } })
    await p1.client.fulfilKeyRequest({ requestId, result: { publicKey: newKeyPair(ECDSA).publicKey } })
    s.clock.advance(2_000)
    await s.ledger.tick()
    const r = await keyRequest(s, requestId)
    expect(r.status).toBe('rejected')
    expect(r.rejectReason).toBe(
      `expired: the keyring did not answer within the time-to-live; by then party ${p2.address} accused of cheating by ${p0.address}; 1 matching result (${p1.address}); party ${p0.address} rejected: no signing attempt succeeded`,
    )
  })

  it('expires pending signature requests and refunds their fee', async () => {
    const s = await fixture({ signRequestFee: 15n })
    const key = await createTestKey(s, 'eddsa-ed25519')
    const ownerBefore = await s.balance(s.owner.address)
    const payload = payloadFor('eddsa-ed25519', 'late')
    const { requestId } = await s.owner.client.requestSignature({ keyId: key.keyId, payloads: [payload], ttlMs: 1_000 })
    expect(await s.balance(s.owner.address)).toBe(ownerBefore - 15n)
    s.clock.advance(1_000)
    await expectRefused(s.ledger, () => s.parties[0]!.client.fulfilSignRequest({ requestId, result: { signatures: [schemeSign(key, payload)] } }), 'REQUEST_NOT_PENDING')
    const events = await s.ledger.tick()
    expect(events.map((e) => e.type)).toEqual(['fee.refunded', 'signRequest.rejected'])
    const r = await signRequest(s, requestId)
    expect(r.status).toBe('rejected')
    expect(r.rejectReason).toContain('expired')
    expect(await s.balance(s.owner.address)).toBe(ownerBefore)
  })

  it('expires requests by itself with the default autoTick and a real clock', async () => {
    const s = await fixture({ realClock: true, keyRequestFee: 100n })
    const ownerBefore = await s.balance(s.owner.address)
    const requestId = await requestKey(s, ECDSA, { ttlMs: 1_000 })
    const height = s.ledger.height
    expect((await keyRequest(s, requestId)).status).toBe('pending')
    await sleep(1_500)
    const r = await keyRequest(s, requestId)
    expect(r.status).toBe('rejected')
    expect(r.rejectReason).toContain('expired')
    expect(s.ledger.height).toBe(height + 1)
    expect(await s.balance(s.owner.address)).toBe(ownerBefore)
  })
})

describe('events', () => {
  async function eventsSince(s: Setup, seq: number): Promise<LedgerEvent[]> {
    const all: LedgerEvent[] = []
    let cursor: string | undefined = String(seq)
    while (cursor !== undefined) {
      const page: { items: readonly LedgerEvent[]; nextCursor?: string } = await s.ledger.query('events', { cursor, limit: 3 })
      all.push(...page.items)
      cursor = page.nextCursor
    }
    return all
  }
  const lastSeq = async (s: Setup) => (await s.ledger.query('status', {})).lastEventSeq

  function expectConsecutive(events: readonly LedgerEvent[], from: number): void {
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => from + i))
  }

  it('emits the exact ordered events of a key request lifecycle, with consecutive seq', async () => {
    const s = await fixture({ parties: 2, threshold: 2 })
    const start = await lastSeq(s)
    const seen: LedgerEvent[] = []
    const stop = s.ledger.subscribe({}, (e) => seen.push(e))
    const requestId = await requestKey(s, 'eddsa-ed25519')
    const key = newKeyPair('eddsa-ed25519')
    const receipts = [
      await s.parties[0]!.client.fulfilKeyRequest({ requestId, result: { publicKey: key.publicKey } }),
      await s.parties[1]!.client.fulfilKeyRequest({ requestId, result: { publicKey: key.publicKey } }),
    ]
    const events = await eventsSince(s, start)
    expect(events.map((e) => e.type)).toEqual(['fee.escrowed', 'keyRequest.created', 'keyRequest.response', 'keyRequest.response', 'fee.paid', 'keyRequest.fulfilled'])
    expectConsecutive(events, start + 1)
    expect(events[0]!.data).toMatchObject({ requestKind: 'key', requestId, keyring: s.keyring, from: s.owner.address, amount: s.keyRequestFee })
    expect(events[1]!.data).toMatchObject({ requestId, keyring: s.keyring, workspace: s.workspace, keyType: 'eddsa-ed25519' })
    expect(events[2]!.data).toMatchObject({ requestId, party: s.parties[0]!.address, rejected: false })
    expect(events[3]!.data).toMatchObject({ requestId, party: s.parties[1]!.address })
    expect(events[4]!.data).toMatchObject({ requestKind: 'key', requestId, keyring: s.keyring, amount: s.keyRequestFee })
    expect(events[5]!.data).toMatchObject({ requestId, keyId: 1, workspace: s.workspace })
    // receipts carry the same events as the log, and subscribers see them in order
    expect(receipts[1]!.events.map((e) => e.seq)).toEqual([start + 4, start + 5, start + 6])
    await sleep(0)
    stop()
    expect(seen.map((e) => e.seq)).toEqual(events.map((e) => e.seq))
  })

  it('emits the events of a rejected key request: escrow, response, refund, rejection', async () => {
    const s = await fixture()
    const start = await lastSeq(s)
    const requestId = await requestKey(s)
    await s.parties[0]!.client.fulfilKeyRequest({ requestId, result: { rejectReason: 'unsupported' } })
    const events = await eventsSince(s, start)
    expect(events.map((e) => e.type)).toEqual(['fee.escrowed', 'keyRequest.created', 'keyRequest.response', 'fee.refunded', 'keyRequest.rejected'])
    expectConsecutive(events, start + 1)
    expect(events[2]!.data).toMatchObject({ rejected: true })
    expect(events[3]!.data).toMatchObject({ to: s.owner.address, amount: s.keyRequestFee })
    expect(String(events[4]!.data.reason)).toContain('unsupported')
  })

  it('emits the exact ordered events of a signature request lifecycle', async () => {
    const s = await fixture({ parties: 2, threshold: 2 })
    const key = await createTestKey(s, ECDSA)
    const start = await lastSeq(s)
    const payload = payloadFor(ECDSA, 'events')
    const { requestId } = await s.owner.client.requestSignature({ keyId: key.keyId, payloads: [payload] })
    for (const p of s.parties) await p.client.fulfilSignRequest({ requestId, result: { signatures: [schemeSign(key, payload)] } })
    const events = await eventsSince(s, start)
    expect(events.map((e) => e.type)).toEqual([
      'fee.escrowed',
      'signRequest.created',
      'signRequest.pending',
      'signRequest.response',
      'signRequest.response',
      'fee.paid',
      'signRequest.fulfilled',
    ])
    expectConsecutive(events, start + 1)
    for (const e of events.slice(1)) expect(e.data).toMatchObject({ requestId, keyring: s.keyring })
    expect(events[1]!.data).toMatchObject({ keyId: key.keyId, workspace: s.workspace, status: 'pending' })
    expect(events[5]!.data).toMatchObject({ requestKind: 'sign', amount: s.signRequestFee })
  })

  it('emits approval events when the sign policy needs a second owner', async () => {
    const s = await fixture({ extraOwners: 1 })
    const [alice, bob] = s.owners as [Actor, Actor]
    const { policyId } = await alice.client.createPolicy({ name: 'both', participants: { alice: alice.address, bob: bob.address }, expression: 'all([alice, bob])' })
    const key = await createTestKey(s, ECDSA, { signPolicyId: policyId })
    const start = await lastSeq(s)
    const payload = payloadFor(ECDSA, 'approved')
    const req = await alice.client.requestSignature({ keyId: key.keyId, payloads: [payload] })
    expect(req.status).toBe('partial')
    await expectRefused(s.ledger, () => s.parties[0]!.client.fulfilSignRequest({ requestId: req.requestId, result: { signatures: [schemeSign(key, payload)] } }), 'REQUEST_NOT_PENDING', 'is partial')
    await bob.client.approveAction({ actionId: req.actionId! })
    await s.parties[0]!.client.fulfilSignRequest({ requestId: req.requestId, result: { signatures: [schemeSign(key, payload)] } })
    const events = await eventsSince(s, start)
    expect(events.map((e) => e.type)).toEqual([
      'fee.escrowed',
      'action.created',
      'signRequest.created',
      'action.voted',
      'action.approved',
      'signRequest.pending',
      'signRequest.response',
      'fee.paid',
      'signRequest.fulfilled',
    ])
    expectConsecutive(events, start + 1)
    expect(await signRequest(s, req.requestId)).toMatchObject({ status: 'fulfilled', actionId: req.actionId })
  })
})

describe('queries', () => {
  it('finds requests and keys by id, and answers null (or a typed error in the client) for unknown ids', async () => {
    const s = await fixture()
    const key = await createTestKey(s, ECDSA)
    const { requestId } = await s.owner.client.requestSignature({ keyId: key.keyId, payloads: [payloadFor(ECDSA, 'q')] })
    expect(await s.ledger.query('keyRequest', { id: key.requestId })).toMatchObject({ id: key.requestId, status: 'fulfilled', keyId: key.keyId })
    expect(await s.ledger.query('signRequest', { id: requestId })).toMatchObject({ id: requestId, keyId: key.keyId, status: 'pending' })
    expect(await s.ledger.query('key', { id: key.keyId })).toMatchObject({ id: key.keyId, requestId: key.requestId })
    expect(await s.ledger.query('keyRequest', { id: 42 })).toBeNull()
    expect(await s.ledger.query('signRequest', { id: 42 })).toBeNull()
    expect(await s.ledger.query('key', { id: 42 })).toBeNull()
    await expect(s.owner.client.getKeyRequest({ id: 42 })).rejects.toMatchObject({ code: 'KEY_REQUEST_NOT_FOUND' })
    await expect(s.owner.client.getSignRequest({ id: 42 })).rejects.toMatchObject({ code: 'SIGN_REQUEST_NOT_FOUND' })
    await expect(s.owner.client.getKey({ id: 42 })).rejects.toMatchObject({ code: 'KEY_NOT_FOUND' })
  })

  it('filters key requests by workspace, keyring, creator and status', async () => {
    const s = await fixture({ extraOwners: 1 })
    const [alice, bob] = s.owners as [Actor, Actor]
    const p0 = s.parties[0]!
    const ws2 = (await alice.client.createWorkspace()).workspace
    const kr2 = (await s.admin.client.createKeyring({ description: 'second', parties: [p0.address], partyThreshold: 1, keyRequestFee: 0n, signRequestFee: 0n })).keyring
    const r1 = await requestKey(s, ECDSA) // ws1 kr1 -> fulfilled
    const r2 = await requestKey(s, ECDSA, { workspace: ws2 }) // ws2 kr1 -> rejected
    const r3 = await requestKey(s, ECDSA, { keyring: kr2 }) // ws1 kr2 pending
    const r4 = await requestKey(s, ECDSA, { requester: bob }) // ws1 kr1 by bob pending
    const r5 = await requestKey(s, ECDSA, { workspace: ws2, keyring: kr2 }) // ws2 kr2 pending
    await p0.client.fulfilKeyRequest({ requestId: r1, result: { publicKey: newKeyPair(ECDSA).publicKey } })
    await p0.client.fulfilKeyRequest({ requestId: r2, result: { rejectReason: 'no' } })
    const ids = async (params: Parameters<typeof s.owner.client.listKeyRequests>[0]) => (await s.owner.client.listKeyRequests(params)).items.map((r) => r.id)
    expect(await ids({})).toEqual([r1, r2, r3, r4, r5])
    expect(await ids({ workspace: s.workspace })).toEqual([r1, r3, r4])
    expect(await ids({ workspace: ws2 })).toEqual([r2, r5])
    expect(await ids({ keyring: s.keyring })).toEqual([r1, r2, r4])
    expect(await ids({ keyring: kr2 })).toEqual([r3, r5])
    expect(await ids({ creator: bob.address })).toEqual([r4])
    expect(await ids({ status: 'pending' })).toEqual([r3, r4, r5])
    expect(await ids({ status: 'fulfilled' })).toEqual([r1])
    expect(await ids({ status: 'rejected' })).toEqual([r2])
    expect(await ids({ workspace: ws2, status: 'pending' })).toEqual([r5])
    expect(await ids({ keyring: kr2, workspace: s.workspace, status: 'fulfilled' })).toEqual([])
    expect((await s.owner.client.listKeys({ workspace: s.workspace })).items.map((k) => k.requestId)).toEqual([r1])
    expect((await s.owner.client.listKeys({ workspace: ws2 })).items).toEqual([])
  })

  it('pages through 5 key requests 2 at a time without duplicates or gaps', async () => {
    const s = await fixture()
    const created: number[] = []
    for (let i = 0; i < 5; i++) created.push(await requestKey(s))
    const pages: number[][] = []
    let cursor: string | undefined
    do {
      const page = await s.owner.client.listKeyRequests({ limit: 2, ...(cursor !== undefined ? { cursor } : {}) })
      pages.push(page.items.map((r) => r.id))
      cursor = page.nextCursor
    } while (cursor !== undefined && pages.length < 10)
    expect(pages).toEqual([created.slice(0, 2), created.slice(2, 4), created.slice(4)])
    expect(new Set(pages.flat()).size).toBe(5)
    // a page that holds exactly what is left has no next cursor
    const whole = await s.owner.client.listKeyRequests({ limit: 5 })
    expect(whole.items).toHaveLength(5)
    expect(whole.nextCursor).toBeUndefined()
    await expect(s.ledger.query('keyRequests', { limit: 0 })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
  })

  it('pages through a filtered list (by status) without duplicates or gaps', async () => {
    const s = await fixture()
    const p0 = s.parties[0]!
    const pending: number[] = []
    for (let i = 0; i < 10; i++) {
      const id = await requestKey(s)
      if (i % 2 === 0) await p0.client.fulfilKeyRequest({ requestId: id, result: { rejectReason: 'skip' } })
      else pending.push(id)
    }
    const walked: number[] = []
    let cursor: string | undefined
    let pages = 0
    do {
      const page = await s.owner.client.listKeyRequests({ status: 'pending', limit: 2, ...(cursor !== undefined ? { cursor } : {}) })
      expect(page.items.length).toBeGreaterThan(0)
      expect(page.items.length).toBeLessThanOrEqual(2)
      walked.push(...page.items.map((r) => r.id))
      cursor = page.nextCursor
      pages++
    } while (cursor !== undefined && pages < 20)
    expect(walked).toEqual(pending)
    expect(pages).toBe(3)
  })

  it('pages and filters signature requests', async () => {
    const s = await fixture()
    const k1 = await createTestKey(s, ECDSA)
    const k2 = await createTestKey(s, 'schnorr-secp256k1')
    const byKey: Record<number, number[]> = { [k1.keyId]: [], [k2.keyId]: [] }
    for (let i = 0; i < 5; i++) {
      const key = i % 2 === 0 ? k1 : k2
      const { requestId } = await s.owner.client.requestSignature({ keyId: key.keyId, payloads: [payloadFor(key.keyType, `s${i}`)] })
      byKey[key.keyId]!.push(requestId)
    }
    const walk = async (params: { keyId?: number }) => {
      const out: number[] = []
      let cursor: string | undefined
      do {
        const page = await s.owner.client.listSignRequests({ ...params, limit: 2, ...(cursor !== undefined ? { cursor } : {}) })
        out.push(...page.items.map((r) => r.id))
        cursor = page.nextCursor
      } while (cursor !== undefined)
      return out
    }
    expect(await walk({})).toEqual([1, 2, 3, 4, 5])
    expect(await walk({ keyId: k1.keyId })).toEqual(byKey[k1.keyId])
    expect(await walk({ keyId: k2.keyId })).toEqual(byKey[k2.keyId])
    expect((await s.owner.client.listSignRequests({ status: 'pending', workspace: s.workspace })).items).toHaveLength(5)
  })
})

describe('ledger records are independent of caller-owned bytes', () => {
  it('keeps a stored public key unchanged when the poster mutates its buffer afterwards', async () => {
    const s = await fixture()
    const requestId = await requestKey(s)
    const key = newKeyPair(ECDSA, 'alias')
    const mine = Uint8Array.from(key.publicKey)
    await s.parties[0]!.client.fulfilKeyRequest({ requestId, result: { publicKey: mine } })
    const hash = s.ledger.stateHash()
    mine.fill(0)
    expect(equalBytes((await s.ledger.query('key', { id: 1 }))!.publicKey, key.publicKey)).toBe(true)
    expect(s.ledger.stateHash()).toBe(hash)
  })

  it('keeps stored payloads unchanged when the requester mutates them afterwards', async () => {
    const s = await fixture()
    const key = await createTestKey(s, ECDSA)
    const payload = payloadFor(ECDSA, 'aliased payload')
    const mine = Uint8Array.from(payload)
    const { requestId } = await s.owner.client.requestSignature({ keyId: key.keyId, payloads: [mine] })
    const hash = s.ledger.stateHash()
    mine.set(sha256(mine))
    expect(s.ledger.stateHash()).toBe(hash)
    await s.parties[0]!.client.fulfilSignRequest({ requestId, result: { signatures: [schemeSign(key, payload)] } })
    expect((await signRequest(s, requestId)).status).toBe('fulfilled')
  })
})

describe('testkit', () => {
  it('expectRefused returns the typed error, and fails when the action succeeds or fails differently', async () => {
    const s = await fixture()
    const e = await expectRefused(s.ledger, () => requestKey(s, ECDSA, { requester: s.outsider }), 'NOT_WORKSPACE_OWNER')
    expect(isZrError(e, 'NOT_WORKSPACE_OWNER')).toBe(true)
    await expect(expectRefused(s.ledger, () => requestKey(s), 'NOT_WORKSPACE_OWNER')).rejects.toThrow(/succeeded/)
    await expect(expectRefused(s.ledger, () => requestKey(s, ECDSA, { requester: s.outsider }), 'KEY_NOT_FOUND')).rejects.toThrow(/got NOT_WORKSPACE_OWNER/)
    await expect(expectRefused(s.ledger, () => requestKey(s, ECDSA, { requester: s.outsider }), 'NOT_WORKSPACE_OWNER', 'no such words')).rejects.toThrow(/to contain/)
  })
})

describe('query results are copies', () => {
  it('changing bytes of a returned key or request does not change the ledger', async () => {
    const s = await fixture()
    const { keyId } = await createTestKey(s, ECDSA)
    const before = s.ledger.stateHash()
    const key = (await s.ledger.query('key', { id: keyId }))!
    const original = Uint8Array.from(key.publicKey)
    key.publicKey.fill(0)
    const list = await s.ledger.query('keys', {})
    list.items[0]!.publicKey.fill(1)
    expect(s.ledger.stateHash()).toBe(before)
    expect((await s.ledger.query('key', { id: keyId }))!.publicKey).toEqual(original)
  })
})
