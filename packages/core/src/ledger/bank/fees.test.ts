import { type KeyType, type LedgerEvent, isZrError, keyTypes } from '@zrkit/core'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { type Actor, type KeyPair, type Setup, type SetupOptions, createTestKey, expectRefused, newKeyPair, payloadFor, schemeSign, setup } from '@zrkit/testkit'

/**
 * Request fees: escrowed from the requester when a request is made, paid to the keyring's address when
 * it is fulfilled, refunded when it is rejected, expires or its keyring is deactivated. Balances plus
 * the fees of open requests are conserved by every operation, successful or not.
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

async function feeEvents(s: Setup, requestKind: 'key' | 'sign', requestId: number): Promise<string[]> {
  const page = await s.ledger.query('events', { filter: { types: ['fee.escrowed', 'fee.paid', 'fee.refunded'], requestId }, limit: 1000 })
  return page.items.filter((e) => e.data.requestKind === requestKind).map((e) => `${e.type}:${e.data.amount}`)
}

/** Sum of balances of every address the fixture knows, plus the fees held by open requests. */
async function conservedTotal(s: Setup, extraAddresses: readonly string[] = []): Promise<{ balances: bigint; escrow: bigint }> {
  let balances = 0n
  for (const a of new Set([...s.addresses(), ...extraAddresses])) balances += await s.balance(a)
  let escrow = 0n
  for (const r of (await s.ledger.query('keyRequests', { status: 'pending', limit: 1000 })).items) escrow += r.fee
  for (const status of ['pending', 'partial'] as const) {
    for (const r of (await s.ledger.query('signRequests', { status, limit: 1000 })).items) escrow += r.fee
  }
  return { balances, escrow }
}

describe('key request fees', () => {
  it('escrows the fee at request and pays it to the keyring address on fulfilment', async () => {
    const s = await fixture({ parties: 2, threshold: 2, keyRequestFee: 120n })
    const ownerBefore = await s.balance(s.owner.address)
    const { requestId } = await s.owner.client.requestKey({ workspace: s.workspace, keyring: s.keyring, keyType: ECDSA })
    expect(await s.balance(s.owner.address)).toBe(ownerBefore - 120n)
    expect(await s.balance(s.keyring)).toBe(0n)
    expect((await s.ledger.query('keyRequest', { id: requestId }))!.fee).toBe(120n)
    expect(await conservedTotal(s)).toEqual({ balances: s.genesisTotal - 120n, escrow: 120n })

    const key = newKeyPair(ECDSA)
    await s.parties[0]!.client.fulfilKeyRequest({ requestId, result: { publicKey: key.publicKey } })
    expect(await s.balance(s.keyring)).toBe(0n) // not yet: one of two
    await s.parties[1]!.client.fulfilKeyRequest({ requestId, result: { publicKey: key.publicKey } })
    expect(await s.balance(s.keyring)).toBe(120n)
    expect(await s.balance(s.owner.address)).toBe(ownerBefore - 120n)
    // parties are not paid individually: the fee goes to the keyring's address
    for (const p of s.parties) expect(await s.balance(p.address)).toBe(0n)
    expect(await feeEvents(s, 'key', requestId)).toEqual(['fee.escrowed:120', 'fee.paid:120'])
    expect(await conservedTotal(s)).toEqual({ balances: s.genesisTotal, escrow: 0n })
  })

  it('refunds the fee when a party rejects the request', async () => {
    const s = await fixture({ keyRequestFee: 80n })
    const ownerBefore = await s.balance(s.owner.address)
    const { requestId } = await s.owner.client.requestKey({ workspace: s.workspace, keyring: s.keyring, keyType: 'eddsa-ed25519' })
    await s.parties[0]!.client.fulfilKeyRequest({ requestId, result: { rejectReason: 'busy' } })
    expect(await s.balance(s.owner.address)).toBe(ownerBefore)
    expect(await s.balance(s.keyring)).toBe(0n)
    expect(await feeEvents(s, 'key', requestId)).toEqual(['fee.escrowed:80', 'fee.refunded:80'])
  })

  it('refunds the fee when the request expires', async () => {
    const s = await fixture({ keyRequestFee: 80n })
    const ownerBefore = await s.balance(s.owner.address)
    const { requestId } = await s.owner.client.requestKey({ workspace: s.workspace, keyring: s.keyring, keyType: ECDSA, ttlMs: 3_000 })
    s.clock.advance(3_000)
    await s.ledger.tick()
    expect(await s.balance(s.owner.address)).toBe(ownerBefore)
    expect(await feeEvents(s, 'key', requestId)).toEqual(['fee.escrowed:80', 'fee.refunded:80'])
  })

  it('refunds the fee to the requester, not to whoever posts the message that carries the expiry', async () => {
    const s = await fixture({ keyRequestFee: 80n })
    const ownerBefore = await s.balance(s.owner.address)
    await s.owner.client.requestKey({ workspace: s.workspace, keyring: s.keyring, keyType: ECDSA, ttlMs: 3_000 })
    s.clock.advance(5_000)
    const outsiderBefore = await s.balance(s.outsider.address)
    await s.outsider.client.send({ to: s.admin.address, amount: 1n }) // the expiry rides along with this entry
    expect(await s.balance(s.owner.address)).toBe(ownerBefore)
    expect(await s.balance(s.outsider.address)).toBe(outsiderBefore - 1n)
  })

  it('keeps the fee fixed at request time when the keyring changes its fee', async () => {
    const s = await fixture({ keyRequestFee: 100n })
    const { requestId } = await s.owner.client.requestKey({ workspace: s.workspace, keyring: s.keyring, keyType: ECDSA })
    await s.admin.client.updateKeyring({ keyring: s.keyring, keyRequestFee: 500n })
    await s.parties[0]!.client.fulfilKeyRequest({ requestId, result: { publicKey: newKeyPair(ECDSA).publicKey } })
    expect(await s.balance(s.keyring)).toBe(100n)
    const before = await s.balance(s.owner.address)
    const second = await s.owner.client.requestKey({ workspace: s.workspace, keyring: s.keyring, keyType: ECDSA })
    expect(await s.balance(s.owner.address)).toBe(before - 500n)
    await s.parties[0]!.client.fulfilKeyRequest({ requestId: second.requestId, result: { rejectReason: 'no' } })
    expect(await s.balance(s.owner.address)).toBe(before)
    expect(await s.balance(s.keyring)).toBe(100n)
  })

  it('moves nothing with a zero fee', async () => {
    const s = await fixture({ keyRequestFee: 0n })
    const ownerBefore = await s.balance(s.owner.address)
    await createTestKey(s, ECDSA)
    expect(await s.balance(s.owner.address)).toBe(ownerBefore)
    expect(await s.balance(s.keyring)).toBe(0n)
  })
})

describe('signature request fees', () => {
  it('escrows at request and pays the keyring on fulfilment', async () => {
    const s = await fixture({ keyRequestFee: 0n, signRequestFee: 33n })
    const key = await createTestKey(s, 'schnorr-secp256k1')
    const ownerBefore = await s.balance(s.owner.address)
    const payload = payloadFor(key.keyType, 'paid')
    const { requestId } = await s.owner.client.requestSignature({ keyId: key.keyId, payloads: [payload] })
    expect(await s.balance(s.owner.address)).toBe(ownerBefore - 33n)
    expect((await s.ledger.query('signRequest', { id: requestId }))!.fee).toBe(33n)
    await s.parties[0]!.client.fulfilSignRequest({ requestId, result: { signatures: [schemeSign(key, payload)] } })
    expect(await s.balance(s.keyring)).toBe(33n)
    expect(await feeEvents(s, 'sign', requestId)).toEqual(['fee.escrowed:33', 'fee.paid:33'])
  })

  it('refunds when the approval is rejected, revoked or expires', async () => {
    const s = await fixture({ extraOwners: 1, keyRequestFee: 0n, signRequestFee: 20n })
    const [alice, bob] = s.owners as [Actor, Actor]
    const { policyId } = await alice.client.createPolicy({ name: 'both', participants: { a: alice.address, b: bob.address }, expression: 'all([a, b])', ttlMs: 5_000 })
    const key = await createTestKey(s, ECDSA, { signPolicyId: policyId })
    const before = await s.balance(alice.address)
    const ask = () => alice.client.requestSignature({ keyId: key.keyId, payloads: [payloadFor(ECDSA, `${Math.random()}`)] })

    const rejected = await ask()
    expect(rejected.status).toBe('partial')
    expect(await s.balance(alice.address)).toBe(before - 20n)
    await bob.client.rejectAction({ actionId: rejected.actionId! })
    expect(await s.balance(alice.address)).toBe(before)

    const revoked = await ask()
    await alice.client.revokeAction({ actionId: revoked.actionId! })
    expect(await s.balance(alice.address)).toBe(before)

    const expired = await ask()
    s.clock.advance(5_000)
    await s.ledger.tick()
    expect(await s.balance(alice.address)).toBe(before)

    for (const r of [rejected, revoked, expired]) {
      expect((await s.ledger.query('signRequest', { id: r.requestId }))!.status).toBe('rejected')
      expect(await feeEvents(s, 'sign', r.requestId)).toEqual(['fee.escrowed:20', 'fee.refunded:20'])
    }
    expect(await s.balance(s.keyring)).toBe(0n)
  })
})

describe('deactivation', () => {
  it('rejects and refunds every open request of the keyring, and only of that keyring', async () => {
    const s = await fixture({ parties: 2, threshold: 2, extraOwners: 1, keyRequestFee: 100n, signRequestFee: 10n })
    const [alice, bob] = s.owners as [Actor, Actor]
    const other = (await s.admin.client.createKeyring({ description: 'other', parties: [s.parties[0]!.address], partyThreshold: 1, keyRequestFee: 7n, signRequestFee: 0n })).keyring
    const { policyId } = await alice.client.createPolicy({ name: 'both', participants: { a: alice.address, b: bob.address }, expression: 'all([a, b])' })
    const plainKey = await createTestKey(s, ECDSA)
    const gatedKey = await createTestKey(s, ECDSA, { signPolicyId: policyId })
    const aliceBefore = await s.balance(alice.address)
    const keyringBefore = await s.balance(s.keyring)

    const halfAnswered = await alice.client.requestKey({ workspace: s.workspace, keyring: s.keyring, keyType: ECDSA })
    await s.parties[0]!.client.fulfilKeyRequest({ requestId: halfAnswered.requestId, result: { publicKey: newKeyPair(ECDSA).publicKey } })
    const unanswered = await alice.client.requestKey({ workspace: s.workspace, keyring: s.keyring, keyType: 'eddsa-ed25519' })
    const pendingSign = await alice.client.requestSignature({ keyId: plainKey.keyId, payloads: [payloadFor(ECDSA, 'pending')] })
    const partialSign = await alice.client.requestSignature({ keyId: gatedKey.keyId, payloads: [payloadFor(ECDSA, 'partial')] })
    expect(partialSign.status).toBe('partial')
    const elsewhere = await alice.client.requestKey({ workspace: s.workspace, keyring: other, keyType: ECDSA })
    expect(await s.balance(alice.address)).toBe(aliceBefore - 100n - 100n - 10n - 10n - 7n)

    const receipt = await s.admin.client.deactivateKeyring({ keyring: s.keyring })
    expect(receipt.events.filter((e) => e.type === 'fee.refunded').map((e) => e.data.amount)).toEqual([100n, 100n, 10n, 10n])
    expect(await s.balance(alice.address)).toBe(aliceBefore - 7n)
    expect(await s.balance(s.keyring)).toBe(keyringBefore)
    for (const id of [halfAnswered.requestId, unanswered.requestId]) {
      expect(await s.ledger.query('keyRequest', { id })).toMatchObject({ status: 'rejected', rejectReason: 'keyring deactivated' })
    }
    for (const id of [pendingSign.requestId, partialSign.requestId]) {
      expect(await s.ledger.query('signRequest', { id })).toMatchObject({ status: 'rejected', rejectReason: 'keyring deactivated' })
    }
    expect((await s.ledger.query('action', { id: partialSign.actionId! }))!.status).toBe('rejected')
    expect((await s.ledger.query('keyRequest', { id: elsewhere.requestId }))!.status).toBe('pending')
    // the approval cannot revive it
    await expectRefused(s.ledger, () => bob.client.approveAction({ actionId: partialSign.actionId! }), 'ACTION_NOT_PENDING')
    expect(await conservedTotal(s, [other])).toEqual({ balances: s.genesisTotal - 7n, escrow: 7n })
  })

  it('refunds the same way when deactivated through updateKeyring', async () => {
    const s = await fixture({ keyRequestFee: 60n })
    const before = await s.balance(s.owner.address)
    const { requestId } = await s.owner.client.requestKey({ workspace: s.workspace, keyring: s.keyring, keyType: ECDSA })
    await s.admin.client.updateKeyring({ keyring: s.keyring, isActive: false })
    expect(await s.balance(s.owner.address)).toBe(before)
    expect(await feeEvents(s, 'key', requestId)).toEqual(['fee.escrowed:60', 'fee.refunded:60'])
  })
})

describe('withdrawKeyringFees', () => {
  async function earned(fee = 100n) {
    const s = await fixture({ keyRequestFee: fee })
    await createTestKey(s, ECDSA)
    expect(await s.balance(s.keyring)).toBe(fee)
    return s
  }

  it('pays out earned fees to any address, by an admin', async () => {
    const s = await earned(100n)
    const outsiderBefore = await s.balance(s.outsider.address)
    const receipt = await s.admin.client.withdrawKeyringFees({ keyring: s.keyring, to: s.outsider.address, amount: 60n })
    expect(receipt.events.map((e) => e.type)).toEqual(['bank.transfer'])
    expect(receipt.events[0]!.data).toMatchObject({ from: s.keyring, to: s.outsider.address, amount: 60n })
    expect(await s.balance(s.keyring)).toBe(40n)
    expect(await s.balance(s.outsider.address)).toBe(outsiderBefore + 60n)
    expect(await conservedTotal(s)).toEqual({ balances: s.genesisTotal, escrow: 0n })
  })

  it('refuses anyone but an admin with NOT_KEYRING_ADMIN', async () => {
    const s = await earned(100n)
    for (const who of [s.owner, s.parties[0]!, s.outsider]) {
      await expectRefused(s.ledger, () => who.client.withdrawKeyringFees({ keyring: s.keyring, to: who.address, amount: 1n }), 'NOT_KEYRING_ADMIN', `${who.address} is not an admin of ${s.keyring}`)
    }
    expect(await s.balance(s.keyring)).toBe(100n)
    // a newly added admin may
    await s.admin.client.addKeyringAdmin({ keyring: s.keyring, admin: s.outsider.address })
    await s.outsider.client.withdrawKeyringFees({ keyring: s.keyring, to: s.outsider.address, amount: 100n })
    expect(await s.balance(s.keyring)).toBe(0n)
    // and a removed one may no longer
    await s.admin.client.removeKeyringAdmin({ keyring: s.keyring, admin: s.outsider.address })
    await expectRefused(s.ledger, () => s.outsider.client.withdrawKeyringFees({ keyring: s.keyring, to: s.outsider.address, amount: 1n }), 'NOT_KEYRING_ADMIN')
  })

  it('refuses more than the keyring holds, non-positive amounts and bad targets', async () => {
    const s = await earned(100n)
    const e = await expectRefused(s.ledger, () => s.admin.client.withdrawKeyringFees({ keyring: s.keyring, to: s.admin.address, amount: 101n }), 'INSUFFICIENT_BALANCE', `${s.keyring} needs 101uzr, has 100uzr`)
    expect(e.meta).toMatchObject({ address: s.keyring, needed: 101n, balance: 100n })
    await expectRefused(s.ledger, () => s.admin.client.withdrawKeyringFees({ keyring: s.keyring, to: s.admin.address, amount: 0n }), 'INVALID_INPUT', 'a positive bigint')
    await expectRefused(s.ledger, () => s.admin.client.withdrawKeyringFees({ keyring: s.keyring, to: s.admin.address, amount: -5n }), 'INVALID_INPUT')
    await expectRefused(s.ledger, () => s.admin.client.withdrawKeyringFees({ keyring: s.keyring, to: s.keyring, amount: 5n }), 'INVALID_ADDRESS', 'expected prefix "zen"')
    await expectRefused(s.ledger, () => s.admin.client.withdrawKeyringFees({ keyring: s.owner.address, to: s.admin.address, amount: 5n }), 'INVALID_ADDRESS')
    await expectRefused(s.ledger, () => s.admin.client.withdrawKeyringFees({ keyring: 'keyring1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq', to: s.admin.address, amount: 5n }), 'INVALID_ADDRESS')
    expect(await s.balance(s.keyring)).toBe(100n)
  })

  it('still pays out what a deactivated keyring earned', async () => {
    const s = await earned(100n)
    await s.admin.client.deactivateKeyring({ keyring: s.keyring })
    await s.admin.client.withdrawKeyringFees({ keyring: s.keyring, to: s.admin.address, amount: 100n })
    expect(await s.balance(s.keyring)).toBe(0n)
  })

  it('refuses to pay fees held in escrow for open requests', async () => {
    const s = await fixture({ keyRequestFee: 100n })
    await s.owner.client.requestKey({ workspace: s.workspace, keyring: s.keyring, keyType: ECDSA })
    await expectRefused(s.ledger, () => s.admin.client.withdrawKeyringFees({ keyring: s.keyring, to: s.admin.address, amount: 1n }), 'INSUFFICIENT_BALANCE', 'has 0uzr')
  })
})

// ---------------------------------------------------------------------------------------------------
// Conservation property over random operation sequences.

type Op =
  | { kind: 'send'; from: number; to: number; amount: bigint }
  | { kind: 'keyRequest'; who: number; keyring: number; keyType: KeyType; ttlMs: number | undefined }
  | { kind: 'signRequest'; who: number; key: number; count: number; ttlMs: number | undefined }
  | { kind: 'fulfilKey'; party: Responder; pick: number; variant: 'good' | 'mismatch' | 'reject' | 'badKey' }
  | { kind: 'fulfilSign'; party: Responder; pick: number; variant: 'good' | 'reject' | 'bad' | 'wrongCount' }
  | { kind: 'vote'; who: number; pick: number; approve: boolean }
  | { kind: 'deactivate'; keyring: number; byAdmin: boolean; viaUpdate: boolean }
  | { kind: 'withdraw'; keyring: number; to: number; amount: bigint; byAdmin: boolean }
  | { kind: 'setFees'; keyring: number; keyRequestFee: bigint; signRequestFee: bigint }
  | { kind: 'advance'; ms: number }

/**
 * Who answers: `next` is the first party of the request's keyring that has not answered yet (valid),
 * `any` one of the two parties of the first keyring (may be a duplicate or a non-party), `outsider` never a party.
 */
type Responder = 'next' | 'any' | 'outsider'
const responder = fc.constantFrom<Responder>('next', 'next', 'next', 'next', 'any', 'outsider')
/** Mostly the two owners (0, 1), sometimes the outsider or the keyring admin (refused). */
const requester = fc.oneof({ weight: 5, arbitrary: fc.nat(1) }, { weight: 1, arbitrary: fc.integer({ min: 2, max: 3 }) })
const ttl = fc.option(fc.integer({ min: 1_000, max: 20_000 }), { nil: undefined })
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('send' as const), from: fc.nat(3), to: fc.nat(6), amount: fc.bigInt({ min: 1n, max: 3_000n }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('keyRequest' as const), who: requester, keyring: fc.nat(1), keyType: fc.constantFrom(...keyTypes), ttlMs: ttl }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('signRequest' as const), who: requester, key: fc.oneof({ weight: 4, arbitrary: fc.nat(2) }, { weight: 1, arbitrary: fc.nat() }), count: fc.integer({ min: 1, max: 3 }), ttlMs: ttl }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('fulfilKey' as const), party: responder, pick: fc.nat(), variant: fc.constantFrom<'good' | 'mismatch' | 'reject' | 'badKey'>('good', 'good', 'good', 'good', 'mismatch', 'reject', 'badKey') }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('fulfilSign' as const), party: responder, pick: fc.nat(), variant: fc.constantFrom<'good' | 'reject' | 'bad' | 'wrongCount'>('good', 'good', 'good', 'good', 'reject', 'bad', 'wrongCount') }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('vote' as const), who: fc.nat(1), pick: fc.nat(), approve: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deactivate' as const), keyring: fc.nat(1), byAdmin: fc.boolean(), viaUpdate: fc.boolean() }) },
  // amounts up to 300 are mostly more than a keyring has earned (refused); small ones are mostly paid out, so that
  // every run set reaches both (a run of 30 once reached no paid withdrawal with amounts up to 300 alone)
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('withdraw' as const), keyring: fc.nat(1), to: fc.nat(3), amount: fc.oneof(fc.bigInt({ min: 1n, max: 15n }), fc.bigInt({ min: 1n, max: 300n })), byAdmin: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('setFees' as const), keyring: fc.nat(1), keyRequestFee: fc.bigInt({ min: 0n, max: 400n }), signRequestFee: fc.bigInt({ min: 0n, max: 50n }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 8_000 }) }) },
)

/** What the random runs reached, so the property cannot pass vacuously. */
const coverage = new Map<string, number>()
const seen = (what: string) => coverage.set(what, (coverage.get(what) ?? 0) + 1)

describe('fee conservation (property)', () => {
  it('keeps balances + open escrow equal to the genesis total over random operations', async () => {
    coverage.clear()
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 15, maxLength: 35 }), async (ops) => {
        const s = await setup({ parties: 2, threshold: 2, extraOwners: 1, balance: 5_000n, keyRequestFee: 100n, signRequestFee: 10n })
        try {
          await runOps(s, ops)
        } finally {
          await s.ledger.close()
        }
      }),
      { numRuns: 30 },
    )
    const reached = [
      ...['ok keyRequest', 'ok signRequest', 'ok vote', 'ok withdraw', 'ok deactivate', 'ok advance', 'failed', 'expired'],
      ...['pending fulfilKey', 'fulfilled fulfilKey', 'rejected fulfilKey', 'pending fulfilSign', 'fulfilled fulfilSign'],
      ...['key rejected', 'sign rejected'],
    ]
    for (const what of reached) {
      expect(coverage.get(what) ?? 0, what).toBeGreaterThan(0)
    }
  })
})

async function runOps(s: Setup, ops: readonly Op[]): Promise<void> {
  const [alice, bob] = s.owners as [Actor, Actor]
  const [p0, p1] = s.parties as [Actor, Actor]
  // a second keyring, 1-of-1, served by p0
  const kr2 = (await s.admin.client.createKeyring({ description: 'one of one', parties: [p0.address], partyThreshold: 1, keyRequestFee: 7n, signRequestFee: 3n })).keyring
  const keyrings = [s.keyring, kr2]
  const { policyId } = await alice.client.createPolicy({ name: 'both', participants: { a: alice.address, b: bob.address }, expression: 'all([a, b])', ttlMs: 10_000 })
  const secrets = new Map<number, KeyPair>()
  for (const [keyType, options] of [
    [ECDSA, {}],
    ['schnorr-secp256k1', { keyring: kr2, parties: [p0] }],
    ['eddsa-ed25519', { signPolicyId: policyId }],
  ] as const) {
    const k = await createTestKey(s, keyType, options)
    secrets.set(k.keyId, k)
  }
  const actors = [alice, bob, s.outsider, s.admin]
  const responderFor = async (choice: Responder, keyring: string, answered: readonly { party: string }[], pick: number): Promise<Actor> => {
    if (choice === 'outsider') return s.outsider
    if (choice === 'any') return [p0, p1][pick % 2]!
    const k = (await s.ledger.query('keyring', { address: keyring }))!
    const next = k.parties.find((a) => !answered.some((r) => r.party === a)) ?? k.parties[0]!
    return next === p0.address ? p0 : p1
  }
  const sendTargets = [...actors.map((a) => a.address), p0.address, p1.address, kr2]
  const addresses = [...s.addresses(), kr2]
  let counter = 0

  const check = async (what: string) => {
    const { balances, escrow } = await conservedTotal(s, [kr2])
    if (balances + escrow !== s.genesisTotal) throw new Error(`after ${what}: balances ${balances} + escrow ${escrow} != genesis ${s.genesisTotal}`)
  }
  await check('setup')

  for (const op of ops) {
    const before = s.ledger.stateHash()
    try {
      seen(`${(await applyOp(op)) ?? 'ok'} ${op.kind}`)
    } catch (e) {
      if (!isZrError(e)) throw e
      seen('failed')
      if (s.ledger.stateHash() !== before) throw new Error(`${op.kind} failed with ${e.code} but changed the state`)
    }
    await check(`${op.kind} ${JSON.stringify(op, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))}`)
  }
  await checkFeeEvents(s, addresses)

  /** Applies one operation; returns 'noop' when there was nothing to act on, or what it achieved. */
  async function applyOp(op: Op): Promise<string | undefined> {
    switch (op.kind) {
      case 'send':
        await actors[op.from]!.client.send({ to: sendTargets[op.to]!, amount: op.amount })
        return
      case 'keyRequest':
        await actors[op.who]!.client.requestKey({ workspace: s.workspace, keyring: keyrings[op.keyring]!, keyType: op.keyType, ...(op.ttlMs !== undefined ? { ttlMs: op.ttlMs } : {}) })
        return
      case 'signRequest': {
        const keys = (await s.ledger.query('keys', { limit: 1000 })).items
        const key = keys[op.key % keys.length]!
        const payloads = Array.from({ length: op.count }, () => payloadFor(key.keyType, `op ${++counter}`))
        await actors[op.who]!.client.requestSignature({ keyId: key.id, payloads, ...(op.ttlMs !== undefined ? { ttlMs: op.ttlMs } : {}) })
        return
      }
      case 'fulfilKey': {
        const open = (await s.ledger.query('keyRequests', { status: 'pending', limit: 1000 })).items
        if (!open.length) return 'noop'
        const req = open[op.pick % open.length]!
        const party = await responderFor(op.party, req.keyring, req.responses, op.pick)
        const agreed = newKeyPair(req.keyType, `request ${req.id}`)
        const result =
          op.variant === 'good'
            ? { publicKey: agreed.publicKey }
            : op.variant === 'mismatch'
              ? { publicKey: newKeyPair(req.keyType, `other ${req.id} ${op.party}`).publicKey }
              : op.variant === 'badKey'
                ? { publicKey: new Uint8Array(33) }
                : { rejectReason: 'declined' }
        const receipt = await party.client.fulfilKeyRequest({ requestId: req.id, result })
        if (receipt.result.status === 'fulfilled') secrets.set(receipt.result.keyId as number, op.variant === 'good' ? agreed : newKeyPair(req.keyType, `other ${req.id} ${op.party}`))
        return String(receipt.result.status)
      }
      case 'fulfilSign': {
        const open = (await s.ledger.query('signRequests', { status: 'pending', limit: 1000 })).items
        if (!open.length) return 'noop'
        const req = open[op.pick % open.length]!
        const key = secrets.get(req.keyId)!
        const good = req.payloads.map((p) => schemeSign(key, p))
        const result =
          op.variant === 'good'
            ? { signatures: good }
            : op.variant === 'bad'
              ? { signatures: req.payloads.map((p) => schemeSign(key, Uint8Array.from(p, (b) => b ^ 1))) }
              : op.variant === 'wrongCount'
                ? { signatures: [...good, good[0]!] }
                : { rejectReason: 'declined' }
        const receipt = await (await responderFor(op.party, req.keyring, req.responses, op.pick)).client.fulfilSignRequest({ requestId: req.id, result })
        return String(receipt.result.status)
      }
      case 'vote': {
        const open = (await s.ledger.query('actions', { status: 'pending', limit: 1000 })).items
        if (!open.length) return 'noop'
        const a = open[op.pick % open.length]!
        const voter = [alice, bob][op.who]!
        if (op.approve) await voter.client.approveAction({ actionId: a.id })
        else await voter.client.rejectAction({ actionId: a.id })
        return
      }
      case 'deactivate': {
        const who = op.byAdmin ? s.admin : alice
        if (op.viaUpdate) await who.client.updateKeyring({ keyring: keyrings[op.keyring]!, isActive: false })
        else await who.client.deactivateKeyring({ keyring: keyrings[op.keyring]! })
        return
      }
      case 'withdraw':
        await (op.byAdmin ? s.admin : alice).client.withdrawKeyringFees({ keyring: keyrings[op.keyring]!, to: actors[op.to]!.address, amount: op.amount })
        return
      case 'setFees':
        await s.admin.client.updateKeyring({ keyring: keyrings[op.keyring]!, keyRequestFee: op.keyRequestFee, signRequestFee: op.signRequestFee })
        return
      case 'advance':
        s.clock.advance(op.ms)
        await s.ledger.tick()
        return
    }
  }
}

/**
 * Every request's fee is escrowed once, then paid (fulfilled) or refunded (rejected) exactly once,
 * for the amount recorded on the request; open requests have neither.
 */
async function checkFeeEvents(s: Setup, addresses: readonly string[]): Promise<void> {
  const events: LedgerEvent[] = []
  let cursor: string | undefined
  do {
    const page = await s.ledger.query('events', { filter: { types: ['fee.escrowed', 'fee.paid', 'fee.refunded'] }, limit: 1000, ...(cursor !== undefined ? { cursor } : {}) })
    events.push(...page.items)
    cursor = page.nextCursor
  } while (cursor !== undefined)
  const byRequest = new Map<string, string[]>()
  for (const e of events) {
    const id = `${e.data.requestKind}:${e.data.requestId}`
    byRequest.set(id, [...(byRequest.get(id) ?? []), `${e.type}:${e.data.amount}`])
  }
  const requests = [
    ...(await s.ledger.query('keyRequests', { limit: 1000 })).items.map((r) => ({ id: `key:${r.id}`, status: r.status as string, fee: r.fee })),
    ...(await s.ledger.query('signRequests', { limit: 1000 })).items.map((r) => ({ id: `sign:${r.id}`, status: r.status as string, fee: r.fee })),
  ]
  expect(byRequest.size).toBe(requests.length)
  for (const r of requests) {
    seen(`${r.id.split(':')[0]} ${r.status}`)
    const expected = [`fee.escrowed:${r.fee}`]
    if (r.status === 'fulfilled') expected.push(`fee.paid:${r.fee}`)
    if (r.status === 'rejected') expected.push(`fee.refunded:${r.fee}`)
    expect(byRequest.get(r.id), `${r.id} (${r.status})`).toEqual(expected)
  }
  const expired = await s.ledger.query('events', { filter: { types: ['keyRequest.rejected', 'signRequest.rejected', 'action.expired'] }, limit: 1000 })
  if (expired.items.some((e) => String(e.data.reason ?? '').includes('expired') || e.type === 'action.expired')) seen('expired')
  let total = 0n
  for (const a of new Set(addresses)) total += (await s.ledger.query('account', { address: a })).balance
  expect(total).toBeLessThanOrEqual(s.genesisTotal)
}
