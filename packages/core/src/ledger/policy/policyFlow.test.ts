import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type Account,
  type Connector,
  type EmbeddedLedger,
  type LedgerEvent,
  type ZrClient,
  type ZrErrorCode,
  createConnector,
  createEmbeddedLedger,
  createZrClient,
  defaultLedgerParams,
  generateAccount,
  isZrError,
  localKeyring,
} from '@zrkit/core'
import { expectRefused } from '@zrkit/testkit'

/**
 * Signature requests under sign policies, end to end through the embedded ledger: the approval action,
 * votes, revocation, expiry, the waiters, and a property over random `any(k, [...])` policies.
 */

const names = ['alice', 'bob', 'carol', 'dave', 'op', 'party'] as const
type Name = (typeof names)[number]

const T0 = 1_700_000_000_000
const KEY_FEE = 100n
const SIGN_FEE = 10n

type World = {
  ledger: EmbeddedLedger
  addr: Record<Name, string>
  acc: Record<Name, Account>
  keyring: string
  /** Moves the ledger clock forward. */
  advance(ms: number): void
  now(): number
} & Record<Name, ZrClient>

const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {})
})

async function world(accounts?: Partial<Record<Name, Account>>): Promise<World> {
  let t = T0
  const acc = Object.fromEntries(names.map((n) => [n, accounts?.[n] ?? generateAccount()])) as Record<Name, Account>
  const ledger = await createEmbeddedLedger({
    genesis: { chainId: 'zrkit-policy-test', time: T0, balances: names.map((n) => ({ address: acc[n].address, amount: 1_000_000n })) },
    now: () => t,
    autoTick: false,
  })
  cleanup.push(() => ledger.close())
  const clients = Object.fromEntries(names.map((n) => [n, createZrClient({ ledger, account: acc[n] })])) as Record<Name, ZrClient>
  const addr = Object.fromEntries(names.map((n) => [n, acc[n].address])) as Record<Name, string>
  const { keyring } = await clients.op.createKeyring({ description: 'test', parties: [addr.party], partyThreshold: 1, keyRequestFee: KEY_FEE, signRequestFee: SIGN_FEE })
  return {
    ledger,
    addr,
    acc,
    keyring,
    advance: (ms) => {
      t += ms
    },
    now: () => t,
    ...clients,
  }
}

/** Expects `p` to reject with a ZrError of `code`; returns it. */
async function expectRejects(p: Promise<unknown>, code: ZrErrorCode) {
  const err = await p.then(
    () => new Error(`expected ${code}, but it resolved`),
    (e: unknown) => e,
  )
  if (!isZrError(err)) throw err
  expect(err.code, err.message).toBe(code)
  return err
}

const digest = (s: string) => sha256(new TextEncoder().encode(s))

async function policy(w: World, expression: string, who: readonly Name[], ttlMs?: number) {
  const participants = Object.fromEntries(who.map((n) => [n, w.addr[n]]))
  const { policyId } = await w.alice.createPolicy({ name: expression, participants, expression, ...(ttlMs !== undefined ? { ttlMs } : {}) })
  return policyId
}

async function workspace(w: World, owners: readonly Name[], signPolicyId?: number) {
  const extra = owners.filter((n) => n !== 'alice').map((n) => w.addr[n])
  const { workspace } = await w.alice.createWorkspace({ additionalOwners: extra, ...(signPolicyId !== undefined ? { signPolicyId } : {}) })
  return workspace
}

/** A key whose public key the test makes up (the party answers by hand); it can never be signed with. */
async function paperKey(w: World, ws: string, signPolicyId?: number): Promise<number> {
  const { requestId } = await w.alice.requestKey({ workspace: ws, keyring: w.keyring, keyType: 'ecdsa-secp256k1', ...(signPolicyId !== undefined ? { signPolicyId } : {}) })
  await w.party.fulfilKeyRequest({ requestId, result: { publicKey: secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true) } })
  return (await w.alice.getKeyRequest({ id: requestId })).keyId!
}

function startConnector(w: World): Connector {
  const connector = createConnector({ ledger: w.ledger, account: w.acc.party, keyring: w.keyring, backend: localKeyring(), pollIntervalMs: 0 })
  cleanup.push(() => connector.stop())
  return connector
}

const types = (events: readonly LedgerEvent[]) => events.map((e) => e.type)

describe('sign requests under all([alice, bob])', () => {
  it('is partial until bob approves, then pending, then fulfilled by the connector', async () => {
    const w = await world()
    const connector = startConnector(w)
    await connector.start()
    const ws = await workspace(w, ['alice', 'bob'], await policy(w, 'all([alice, bob])', ['alice', 'bob']))
    const key = await w.alice.createKey({ workspace: ws, keyring: w.keyring, keyType: 'ecdsa-secp256k1', timeoutMs: 10_000 })
    await connector.stop()

    const before = await w.alice.getBalance()
    const payload = digest('pay bob 5')
    const r = await w.alice.requestSignature({ keyId: key.id, payloads: [payload] })
    expect(r.status).toBe('partial')
    expect(r.actionId).toBeTypeOf('number')
    const created = r.receipt.events.find((e) => e.type === 'signRequest.created')
    expect(created?.data).toMatchObject({ requestId: r.requestId, status: 'partial', actionId: r.actionId })
    expect(r.receipt.events.find((e) => e.type === 'action.created')?.data).toMatchObject({ actionId: r.actionId, requestId: r.requestId, workspace: ws, creator: w.addr.alice })
    expect(types(r.receipt.events)).not.toContain('signRequest.pending')
    expect(await w.alice.getBalance()).toBe(before - SIGN_FEE)
    const action = await w.alice.getAction({ id: r.actionId! })
    expect(action).toMatchObject({ status: 'pending', subject: { kind: 'sign-request', signRequestId: r.requestId }, participants: { alice: w.addr.alice, bob: w.addr.bob } })
    expect(action.votes.map((v) => [v.address, v.vote])).toEqual([[w.addr.alice, 'approve']])
    expect((await w.alice.getSignRequest({ id: r.requestId })).status).toBe('partial')
    expect((await w.bob.listActions({ participant: w.addr.bob, status: 'pending' })).items.map((a) => a.id)).toEqual([r.actionId])

    const seen: string[] = []
    const waiting = w.alice.waitForSignRequest({ requestId: r.requestId, timeoutMs: 10_000, onEvent: (e) => seen.push(e.type) })
    const vote = await w.bob.approveAction({ actionId: r.actionId! })
    expect(vote.status).toBe('approved')
    expect(types(vote.receipt.events)).toEqual(expect.arrayContaining(['action.voted', 'action.approved', 'signRequest.pending']))
    const pending = await w.alice.getSignRequest({ id: r.requestId })
    expect(pending.status).toBe('pending')
    expect(pending.pendingAt).toBe(w.now())

    await connector.start()
    const done = await waiting
    expect(done.status).toBe('fulfilled')
    expect(done.signatures).toHaveLength(1)
    const sig = done.signatures[0]!
    expect(secp256k1.verify(sig.subarray(0, 64), payload, key.publicKey, { prehash: false })).toBe(true)
    expect(seen.indexOf('action.approved')).toBeLessThan(seen.indexOf('signRequest.pending'))
    expect(seen.indexOf('signRequest.pending')).toBeLessThan(seen.indexOf('signRequest.fulfilled'))
    expect(await w.alice.getBalance()).toBe(before - SIGN_FEE)
    expect(await w.op.getBalance({ address: w.keyring })).toBe(KEY_FEE + SIGN_FEE)
  })

  it('bob rejecting rejects the request with the reason and refunds the fee', async () => {
    const w = await world()
    const ws = await workspace(w, ['alice', 'bob'], await policy(w, 'all([alice, bob])', ['alice', 'bob']))
    const keyId = await paperKey(w, ws)
    const before = await w.alice.getBalance()
    const r = await w.alice.requestSignature({ keyId, payloads: [digest('x')] })
    expect(await w.alice.getBalance()).toBe(before - SIGN_FEE)
    const vote = await w.bob.rejectAction({ actionId: r.actionId! })
    expect(vote.status).toBe('rejected')
    expect(types(vote.receipt.events)).toEqual(expect.arrayContaining(['action.rejected', 'signRequest.rejected', 'fee.refunded']))
    const req = await w.alice.getSignRequest({ id: r.requestId })
    expect(req.status).toBe('rejected')
    expect(req.rejectReason).toContain('rejected by the sign policy')
    expect(req.rejectReason).toContain(`action ${r.actionId}`)
    expect(await w.alice.getBalance()).toBe(before)
    expect(await w.op.getBalance({ address: w.keyring })).toBe(KEY_FEE)
    // the keyring never sees it
    await expectRefused(w.ledger, () => w.party.fulfilSignRequest({ requestId: r.requestId, result: { rejectReason: 'no' } }), 'REQUEST_NOT_PENDING', 'is rejected')
  })

  it('lets only participants vote, once each, and only while the action is pending', async () => {
    const w = await world()
    const ws = await workspace(w, ['alice', 'bob', 'carol'], await policy(w, 'all([alice, bob])', ['alice', 'bob']))
    const keyId = await paperKey(w, ws)
    const r = await w.alice.requestSignature({ keyId, payloads: [digest('x')] })
    const actionId = r.actionId!
    // carol owns the workspace but is not in the policy; dave is nobody
    await expectRefused(w.ledger, () => w.carol.approveAction({ actionId }), 'NOT_POLICY_PARTICIPANT', `${w.addr.carol} is not a participant of action ${actionId}`)
    await expectRefused(w.ledger, () => w.carol.rejectAction({ actionId }), 'NOT_POLICY_PARTICIPANT')
    await expectRefused(w.ledger, () => w.dave.approveAction({ actionId }), 'NOT_POLICY_PARTICIPANT', w.addr.dave)
    // alice approved by requesting
    await expectRefused(w.ledger, () => w.alice.approveAction({ actionId }), 'ALREADY_VOTED', `${w.addr.alice} already voted on action ${actionId}`)
    await expectRefused(w.ledger, () => w.alice.rejectAction({ actionId }), 'ALREADY_VOTED')
    await expectRefused(w.ledger, () => w.bob.approveAction({ actionId: 999 }), 'ACTION_NOT_FOUND', 'no action 999')
    await expectRefused(w.ledger, () => w.bob.approveAction({ actionId: 0 }), 'INVALID_INPUT')
    expect((await w.bob.approveAction({ actionId })).status).toBe('approved')
    for (const vote of [() => w.bob.approveAction({ actionId }), () => w.bob.rejectAction({ actionId }), () => w.carol.approveAction({ actionId }), () => w.alice.revokeAction({ actionId })]) {
      await expectRefused(w.ledger, vote, 'ACTION_NOT_PENDING', `action ${actionId} is approved`)
    }
    expect((await w.alice.getSignRequest({ id: r.requestId })).status).toBe('pending')
  })

  it('a requester outside the policy adds no vote: both participants must approve', async () => {
    const w = await world()
    const ws = await workspace(w, ['alice', 'bob', 'carol'], await policy(w, 'all([alice, bob])', ['alice', 'bob']))
    const keyId = await paperKey(w, ws)
    const r = await w.carol.requestSignature({ keyId, payloads: [digest('x')] })
    expect(r.status).toBe('partial')
    expect((await w.alice.getAction({ id: r.actionId! })).votes).toEqual([])
    await expectRefused(w.ledger, () => w.carol.approveAction({ actionId: r.actionId! }), 'NOT_POLICY_PARTICIPANT')
    expect((await w.alice.approveAction({ actionId: r.actionId! })).status).toBe('pending')
    expect((await w.alice.getSignRequest({ id: r.requestId })).status).toBe('partial')
    expect((await w.bob.approveAction({ actionId: r.actionId! })).status).toBe('approved')
    expect((await w.alice.getSignRequest({ id: r.requestId })).status).toBe('pending')
  })

  it('revoke by the creator rejects the request; revoke by anyone else is refused', async () => {
    const w = await world()
    const ws = await workspace(w, ['alice', 'bob'], await policy(w, 'all([alice, bob])', ['alice', 'bob']))
    const keyId = await paperKey(w, ws)
    const before = await w.alice.getBalance()
    const r = await w.alice.requestSignature({ keyId, payloads: [digest('x')] })
    await expectRefused(w.ledger, () => w.bob.revokeAction({ actionId: r.actionId! }), 'NOT_ACTION_CREATOR', `${w.addr.bob} did not create action ${r.actionId}`)
    await expectRefused(w.ledger, () => w.dave.revokeAction({ actionId: r.actionId! }), 'NOT_ACTION_CREATOR')
    const revoked = await w.alice.revokeAction({ actionId: r.actionId! })
    expect(revoked.status).toBe('revoked')
    expect(types(revoked.receipt.events)).toEqual(expect.arrayContaining(['action.revoked', 'signRequest.rejected', 'fee.refunded']))
    expect(await w.alice.getAction({ id: r.actionId! })).toMatchObject({ status: 'revoked', reason: 'revoked by creator', decidedAt: w.now() })
    const req = await w.alice.getSignRequest({ id: r.requestId })
    expect(req.status).toBe('rejected')
    expect(req.rejectReason).toContain('revoked by its creator')
    expect(await w.alice.getBalance()).toBe(before)
    await expectRefused(w.ledger, () => w.bob.approveAction({ actionId: r.actionId! }), 'ACTION_NOT_PENDING', 'is revoked')
    await expectRefused(w.ledger, () => w.alice.revokeAction({ actionId: r.actionId! }), 'ACTION_NOT_PENDING', 'is revoked')
  })

  it('an action expires at its time-to-live (tick with an injected clock) and rejects the request', async () => {
    const w = await world()
    const ws = await workspace(w, ['alice', 'bob'], await policy(w, 'all([alice, bob])', ['alice', 'bob']))
    const keyId = await paperKey(w, ws)
    const before = await w.alice.getBalance()
    const r = await w.alice.requestSignature({ keyId, payloads: [digest('x')], ttlMs: 5_000 })
    const a = await w.alice.getAction({ id: r.actionId! })
    expect(a.expiresAt - a.createdAt).toBe(defaultLedgerParams.defaultActionTtlMs)
    // the request's ttl is the keyring's time, once pending: it does not shorten the approval
    expect((await w.alice.getSignRequest({ id: r.requestId })).expiresAt).toBe(a.expiresAt)
    w.advance(defaultLedgerParams.defaultActionTtlMs - 1)
    const hash = w.ledger.stateHash()
    expect(await w.ledger.tick()).toEqual([])
    expect(w.ledger.stateHash()).toBe(hash)
    expect((await w.alice.getAction({ id: r.actionId! })).status).toBe('pending')
    w.advance(1)
    // a vote that arrives after the deadline but before any tick is too late: it cannot approve
    await expectRefused(w.ledger, () => w.bob.approveAction({ actionId: r.actionId! }), 'ACTION_NOT_PENDING', 'is expired')
    const events = await w.ledger.tick()
    expect(types(events)).toEqual(expect.arrayContaining(['action.expired', 'signRequest.rejected', 'fee.refunded']))
    expect((await w.alice.getAction({ id: r.actionId! })).status).toBe('expired')
    const req = await w.alice.getSignRequest({ id: r.requestId })
    expect(req.status).toBe('rejected')
    expect(req.rejectReason).toContain('approval expired')
    expect(await w.alice.getBalance()).toBe(before)
    await expectRefused(w.ledger, () => w.bob.approveAction({ actionId: r.actionId! }), 'ACTION_NOT_PENDING', 'is expired')
    expect(await w.ledger.tick()).toEqual([])
  })

  it("respects the policy's ttlMs, and an action approved in time does not expire", async () => {
    const w = await world()
    const pid = await policy(w, 'all([alice, bob])', ['alice', 'bob'], 5_000)
    expect((await w.alice.getPolicy({ id: pid })).ttlMs).toBe(5_000)
    const ws = await workspace(w, ['alice', 'bob'], pid)
    const keyId = await paperKey(w, ws)
    const r = await w.alice.requestSignature({ keyId, payloads: [digest('x')] })
    const r2 = await w.alice.requestSignature({ keyId, payloads: [digest('y')], ttlMs: 60_000 })
    const a = await w.alice.getAction({ id: r.actionId! })
    expect(a.expiresAt).toBe(T0 + 5_000)
    w.advance(4_000)
    expect((await w.bob.approveAction({ actionId: r2.actionId! })).status).toBe('approved')
    // once pending, the request's own ttl counts from the approval
    expect((await w.alice.getSignRequest({ id: r2.requestId })).expiresAt).toBe(T0 + 4_000 + 60_000)
    w.advance(999)
    expect(await w.ledger.tick()).toEqual([])
    w.advance(1)
    const events = await w.ledger.tick()
    expect(events.filter((e) => e.type === 'action.expired').map((e) => e.data.actionId)).toEqual([r.actionId])
    expect((await w.alice.getSignRequest({ id: r.requestId })).rejectReason).toContain('approval expired')
    expect((await w.alice.getSignRequest({ id: r2.requestId })).status).toBe('pending')
    expect((await w.alice.getAction({ id: r2.actionId! })).status).toBe('approved')
  })
})

describe('other policies', () => {
  it('any(2, [alice, bob, carol]): one more approval suffices; one rejection does not decide, two do', async () => {
    const w = await world()
    const ws = await workspace(w, ['alice', 'bob', 'carol'], await policy(w, 'any(2, [alice, bob, carol])', ['alice', 'bob', 'carol']))
    const keyId = await paperKey(w, ws)
    const r1 = await w.alice.requestSignature({ keyId, payloads: [digest('1')] })
    expect(r1.status).toBe('partial')
    expect((await w.carol.approveAction({ actionId: r1.actionId! })).status).toBe('approved')
    expect((await w.alice.getSignRequest({ id: r1.requestId })).status).toBe('pending')
    await expectRefused(w.ledger, () => w.bob.approveAction({ actionId: r1.actionId! }), 'ACTION_NOT_PENDING')

    const r2 = await w.alice.requestSignature({ keyId, payloads: [digest('2')] })
    expect((await w.bob.rejectAction({ actionId: r2.actionId! })).status).toBe('pending')
    expect((await w.alice.getSignRequest({ id: r2.requestId })).status).toBe('partial')
    expect((await w.carol.rejectAction({ actionId: r2.actionId! })).status).toBe('rejected')
    expect((await w.alice.getSignRequest({ id: r2.requestId })).status).toBe('rejected')

    // a request by a non-voting owner needs two approvals
    const r3 = await w.bob.requestSignature({ keyId, payloads: [digest('3')] })
    expect((await w.carol.rejectAction({ actionId: r3.actionId! })).status).toBe('pending')
    expect((await w.alice.approveAction({ actionId: r3.actionId! })).status).toBe('approved')
  })

  it('the default policy (id 0) sends the request straight to the keyring, without an action', async () => {
    const w = await world()
    const ws = await workspace(w, ['alice', 'bob'])
    const keyId = await paperKey(w, ws)
    const r = await w.bob.requestSignature({ keyId, payloads: [digest('x')] })
    expect(r.status).toBe('pending')
    expect(r.actionId).toBeUndefined()
    expect(r.receipt.events.find((e) => e.type === 'signRequest.created')?.data.status).toBe('pending')
    expect(types(r.receipt.events)).toContain('signRequest.pending')
    expect(types(r.receipt.events)).not.toContain('action.created')
    expect((await w.alice.listActions({})).items).toEqual([])
    const req = await w.alice.getSignRequest({ id: r.requestId })
    expect(req).toMatchObject({ status: 'pending', pendingAt: T0, creator: w.addr.bob })
    expect(req.actionId).toBeUndefined()
  })

  it("a key's own sign policy overrides the workspace's, both ways", async () => {
    const w = await world()
    const both = await policy(w, 'all([alice, bob])', ['alice', 'bob'])
    const open = await workspace(w, ['alice', 'bob'])
    const strictKey = await paperKey(w, open, both)
    const plainKey = await paperKey(w, open)
    expect((await w.alice.getKey({ id: strictKey })).signPolicyId).toBe(both)
    const a = await w.alice.requestSignature({ keyId: strictKey, payloads: [digest('a')] })
    expect(a.status).toBe('partial')
    expect((await w.alice.getAction({ id: a.actionId! })).policyId).toBe(both)
    expect((await w.alice.requestSignature({ keyId: plainKey, payloads: [digest('b')] })).status).toBe('pending')

    const strict = await workspace(w, ['alice', 'bob'], both)
    const looseKey = await paperKey(w, strict, 0)
    const strictDefaultKey = await paperKey(w, strict)
    expect((await w.alice.requestSignature({ keyId: looseKey, payloads: [digest('c')] })).status).toBe('pending')
    expect((await w.alice.requestSignature({ keyId: strictDefaultKey, payloads: [digest('d')] })).status).toBe('partial')
  })

  it('not / and / or expressions work through the ledger', async () => {
    const w = await world()
    const pid = await policy(w, 'alice && (bob || !carol)', ['alice', 'bob', 'carol'])
    const stored = await w.alice.getPolicy({ id: pid })
    expect(stored.participants).toEqual({ alice: w.addr.alice, bob: w.addr.bob, carol: w.addr.carol })
    const ws = await workspace(w, ['alice', 'bob', 'carol'], pid)
    const keyId = await paperKey(w, ws)

    // carol says no: !carol holds, so alice's request goes through
    const r1 = await w.alice.requestSignature({ keyId, payloads: [digest('1')] })
    expect(r1.status).toBe('partial')
    expect((await w.carol.rejectAction({ actionId: r1.actionId! })).status).toBe('approved')
    expect((await w.alice.getSignRequest({ id: r1.requestId })).status).toBe('pending')

    // carol says yes: now bob decides
    const r2 = await w.alice.requestSignature({ keyId, payloads: [digest('2')] })
    expect((await w.carol.approveAction({ actionId: r2.actionId! })).status).toBe('pending')
    expect((await w.bob.rejectAction({ actionId: r2.actionId! })).status).toBe('rejected')
    expect((await w.alice.getSignRequest({ id: r2.requestId })).rejectReason).toContain('rejected by the sign policy')

    // bob says yes: carol no longer matters
    const r3 = await w.alice.requestSignature({ keyId, payloads: [digest('3')] })
    expect((await w.bob.approveAction({ actionId: r3.actionId! })).status).toBe('approved')

    // requested by bob, alice's rejection settles it at once
    const r4 = await w.bob.requestSignature({ keyId, payloads: [digest('4')] })
    expect((await w.alice.rejectAction({ actionId: r4.actionId! })).status).toBe('rejected')

    // keyword forms and a policy that rejects its own requester outright
    const words = await policy(w, 'alice and (bob or carol)', ['alice', 'bob', 'carol'])
    await w.alice.updateWorkspace({ workspace: ws, signPolicyId: words })
    const r5 = await w.bob.requestSignature({ keyId, payloads: [digest('5')] })
    expect(r5.status).toBe('partial')
    expect((await w.alice.approveAction({ actionId: r5.actionId! })).status).toBe('approved')

    const notBob = await policy(w, 'not bob', ['bob'])
    await w.alice.updateWorkspace({ workspace: ws, signPolicyId: notBob })
    const before = await w.bob.getBalance()
    const r6 = await w.bob.requestSignature({ keyId, payloads: [digest('6')] })
    expect(r6.status).toBe('rejected')
    expect(r6.actionId).toBeUndefined()
    expect((await w.bob.getSignRequest({ id: r6.requestId })).rejectReason).toContain(`policy ${notBob} rejects a request by ${w.addr.bob}`)
    expect(await w.bob.getBalance()).toBe(before)
    // the same policy lets alice's request wait for bob
    const r7 = await w.alice.requestSignature({ keyId, payloads: [digest('7')] })
    expect(r7.status).toBe('partial')
    expect((await w.bob.rejectAction({ actionId: r7.actionId! })).status).toBe('approved')
  })

  it('an action keeps the policy it was opened under', async () => {
    const w = await world()
    const p1 = await policy(w, 'all([alice, bob])', ['alice', 'bob'])
    const p2 = await policy(w, 'all([alice, carol])', ['alice', 'carol'])
    const ws = await workspace(w, ['alice', 'bob', 'carol'], p1)
    const keyId = await paperKey(w, ws)
    const r = await w.alice.requestSignature({ keyId, payloads: [digest('x')] })
    const opened = await w.alice.getAction({ id: r.actionId! })

    await w.alice.updateWorkspace({ workspace: ws, signPolicyId: p2 })
    // bob is in no workspace policy any more and can leave the workspace
    await w.alice.removeWorkspaceOwner({ workspace: ws, owner: w.addr.bob })
    expect((await w.alice.getWorkspace({ address: ws })).owners).toEqual([w.addr.alice, w.addr.carol])

    const still = await w.alice.getAction({ id: r.actionId! })
    expect(still.participants).toEqual(opened.participants)
    expect(still.expression).toBe(opened.expression)
    expect(still.policyId).toBe(p1)
    // carol is a participant of the new policy, not of this action
    await expectRefused(w.ledger, () => w.carol.approveAction({ actionId: r.actionId! }), 'NOT_POLICY_PARTICIPANT')
    // bob is still a participant of this action, but no owner any more: his vote is refused
    await expectRefused(w.ledger, () => w.bob.approveAction({ actionId: r.actionId! }), 'NOT_WORKSPACE_OWNER', `got ${w.addr.bob}`)
    expect((await w.alice.getSignRequest({ id: r.requestId })).status).toBe('partial')
    // the action can no longer be approved; its creator withdraws it
    expect((await w.alice.revokeAction({ actionId: r.actionId! })).status).toBe('revoked')
    expect((await w.alice.getSignRequest({ id: r.requestId })).status).toBe('rejected')

    // a new request follows the new policy
    const r2 = await w.alice.requestSignature({ keyId, payloads: [digest('y')] })
    expect((await w.alice.getAction({ id: r2.actionId! })).participants).toEqual({ alice: w.addr.alice, carol: w.addr.carol })
    expect((await w.carol.approveAction({ actionId: r2.actionId! })).status).toBe('approved')
  })
})

describe('waiters', () => {
  async function partialRequest() {
    const w = await world()
    const ws = await workspace(w, ['alice', 'bob'], await policy(w, 'all([alice, bob])', ['alice', 'bob']))
    const keyId = await paperKey(w, ws)
    const r = await w.alice.requestSignature({ keyId, payloads: [digest('x')] })
    return { w, requestId: r.requestId, actionId: r.actionId! }
  }

  it('waitForSignRequest throws REQUEST_REJECTED with the reason when the request is rejected', async () => {
    const { w, requestId, actionId } = await partialRequest()
    const waiting = w.alice.waitForSignRequest({ requestId, timeoutMs: 10_000 })
    await w.bob.rejectAction({ actionId })
    const err = await expectRejects(waiting, 'REQUEST_REJECTED')
    expect(err.details).toContain('rejected by the sign policy')
    expect(err.meta).toMatchObject({ requestId })
    // asked after the fact, it answers at once
    const again = await expectRejects(w.alice.waitForSignRequest({ requestId, timeoutMs: 0 }), 'REQUEST_REJECTED')
    expect(again.details).toContain('rejected by the sign policy')
  })

  it('waitForSignRequest throws TIMEOUT after timeoutMs and ABORTED on an AbortSignal', async () => {
    const { w, requestId } = await partialRequest()
    const started = Date.now()
    const timeout = await expectRejects(w.alice.waitForSignRequest({ requestId, timeoutMs: 60 }), 'TIMEOUT')
    expect(timeout.details).toBe('waited 60 ms')
    expect(Date.now() - started).toBeGreaterThanOrEqual(50)
    const controller = new AbortController()
    const waiting = w.alice.waitForSignRequest({ requestId, timeoutMs: 0, signal: controller.signal })
    setTimeout(() => controller.abort(), 10)
    const aborted = await expectRejects(waiting, 'ABORTED')
    expect(aborted.details).toContain('AbortSignal')
    await expectRejects(w.alice.waitForSignRequest({ requestId, signal: AbortSignal.abort() }), 'ABORTED')
    expect((await w.alice.getSignRequest({ id: requestId })).status).toBe('partial')
  })

  it('waitForSignRequest rejects when the approval expires', async () => {
    const { w, requestId } = await partialRequest()
    const waiting = w.alice.waitForSignRequest({ requestId, timeoutMs: 10_000 })
    w.advance(defaultLedgerParams.defaultActionTtlMs)
    await w.ledger.tick()
    const err = await expectRejects(waiting, 'REQUEST_REJECTED')
    expect(err.details).toContain('approval expired')
  })

  it('waitForAction resolves on approval', async () => {
    const { w, actionId } = await partialRequest()
    const waiting = w.alice.waitForAction({ actionId, timeoutMs: 10_000 })
    await w.bob.approveAction({ actionId })
    const a = await waiting
    expect(a.status).toBe('approved')
    expect(a.votes.map((v) => v.address)).toEqual([w.addr.alice, w.addr.bob])
  })

  it('waitForAction throws ACTION_REJECTED on rejection, revocation and expiry', async () => {
    const rejected = await partialRequest()
    const w1 = rejected.w.alice.waitForAction({ actionId: rejected.actionId, timeoutMs: 10_000 })
    await rejected.w.bob.rejectAction({ actionId: rejected.actionId })
    expect((await expectRejects(w1, 'ACTION_REJECTED')).meta).toMatchObject({ actionId: rejected.actionId, status: 'rejected' })

    const revoked = await partialRequest()
    const w2 = revoked.w.bob.waitForAction({ actionId: revoked.actionId, timeoutMs: 10_000 })
    await revoked.w.alice.revokeAction({ actionId: revoked.actionId })
    const e2 = await expectRejects(w2, 'ACTION_REJECTED')
    expect(e2.meta).toMatchObject({ status: 'revoked' })
    expect(e2.details).toBe('revoked by creator')

    const expired = await partialRequest()
    const w3 = expired.w.alice.waitForAction({ actionId: expired.actionId, timeoutMs: 10_000 })
    expired.w.advance(defaultLedgerParams.defaultActionTtlMs)
    await expired.w.ledger.tick()
    const e3 = await expectRejects(w3, 'ACTION_REJECTED')
    expect(e3.meta).toMatchObject({ status: 'expired' })
    expect(e3.details).toContain('time-to-live')
  })

  it('waitForAction throws TIMEOUT and ABORTED, and ACTION_NOT_FOUND for an unknown action', async () => {
    const { w, actionId } = await partialRequest()
    const timeout = await expectRejects(w.alice.waitForAction({ actionId, timeoutMs: 40 }), 'TIMEOUT')
    expect(timeout.details).toBe('waited 40 ms')
    const controller = new AbortController()
    const waiting = w.alice.waitForAction({ actionId, timeoutMs: 0, signal: controller.signal })
    controller.abort(new Error('user left'))
    const aborted = await expectRejects(waiting, 'ABORTED')
    expect((aborted.cause as Error).message).toBe('user left')
    await expectRejects(w.alice.waitForAction({ actionId: 999, timeoutMs: 1_000 }), 'ACTION_NOT_FOUND')
    expect((await w.alice.getAction({ id: actionId })).status).toBe('pending')
  })
})

describe('property: any(k, [p1..pn]) through the ledger', () => {
  // Accounts are fixed across runs (each run has its own ledger); only their roles vary.
  const fixed = Object.fromEntries(names.map((n) => [n, generateAccount(`policyFlow:${n}`)])) as Record<Name, Account>
  const voters: readonly Name[] = ['alice', 'bob', 'carol', 'dave']

  const scenario = fc.integer({ min: 2, max: 4 }).chain((n) =>
    fc.record({
      n: fc.constant(n),
      k: fc.integer({ min: 1, max: n }),
      requesterVotes: fc.boolean(),
      order: fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }),
      votes: fc.array(fc.constantFrom('approve' as const, 'reject' as const), { minLength: n, maxLength: n }),
      extra: fc.array(fc.record({ who: fc.integer({ min: 0, max: n - 1 }), vote: fc.constantFrom('approve' as const, 'reject' as const) }), { maxLength: 3 }),
    }),
  )

  it('ends pending exactly when approvals reach k before rejections make k unreachable; decisions are final', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ n, k, requesterVotes, order, votes, extra }) => {
        const w = await world(fixed)
        try {
          const participants = voters.slice(0, n)
          const pid = await policy(w, `any(${k}, [${participants.join(', ')}])`, participants)
          // the requester is either the first participant (its request counts as its approval) or an owner outside the policy
          const requester: Name = requesterVotes ? participants[0]! : 'op'
          const ownersList: Name[] = [...new Set<Name>(['alice', ...participants, requester])]
          const ws = await workspace(w, ownersList, pid)
          const keyId = await paperKey(w, ws)
          const r = await w[requester].requestSignature({ keyId, payloads: [digest('property')] })

          let approvals = requesterVotes ? 1 : 0
          let rejections = 0
          const voted = new Set<number>(requesterVotes ? [0] : [])
          const verdict = () => (approvals >= k ? 'approved' : rejections > n - k ? 'rejected' : 'pending')
          if (verdict() === 'approved') {
            // one approval was enough: no action at all
            expect(r.status).toBe('pending')
            expect(r.actionId).toBeUndefined()
            return
          }
          expect(r.status).toBe('partial')
          const actionId = r.actionId!
          const sequence = [...order.map((who, i) => ({ who, vote: votes[i]! })), ...extra]
          for (const { who, vote } of sequence) {
            const client = w[participants[who]!]
            const cast = () => (vote === 'approve' ? client.approveAction({ actionId }) : client.rejectAction({ actionId }))
            if (verdict() !== 'pending') {
              await expectRefused(w.ledger, cast, 'ACTION_NOT_PENDING', `action ${actionId} is ${verdict()}`)
              continue
            }
            if (voted.has(who)) {
              await expectRefused(w.ledger, cast, 'ALREADY_VOTED')
              continue
            }
            voted.add(who)
            if (vote === 'approve') approvals++
            else rejections++
            expect((await cast()).status).toBe(verdict())
          }
          // every participant has voted by now, so the action is decided
          expect(verdict()).not.toBe('pending')
          expect((await w.alice.getAction({ id: actionId })).status).toBe(verdict())
          const req = await w.alice.getSignRequest({ id: r.requestId })
          expect(req.status).toBe(verdict() === 'approved' ? 'pending' : 'rejected')
        } finally {
          await w.ledger.close()
        }
      }),
      { numRuns: 25 },
    )
  })
})
