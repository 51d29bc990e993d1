import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type Account,
  type EmbeddedLedger,
  type ZrClient,
  type ZrErrorCode,
  createEmbeddedLedger,
  createZrClient,
  generateAccount,
  isZrError,
} from '@zrkit/core'
import { expectRefused } from '@zrkit/testkit'

/**
 * What a removed workspace owner may still do through policies, through the public client API: nothing.
 * Key-level sign policies do not hold a removal up (they cannot be changed), so the rule is enforced where
 * votes are cast and counted: a participant who is no longer an owner cannot vote, and votes cast before
 * the removal are set aside, on actions opened after the removal and on those opened before it.
 */

const names = ['alice', 'bob', 'carol', 'xavier', 'op', 'party'] as const
type Name = (typeof names)[number]

type World = { ledger: EmbeddedLedger; addr: Record<Name, string>; keyring: string } & Record<Name, ZrClient>

const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {})
})

async function world(): Promise<World> {
  const acc = Object.fromEntries(names.map((n) => [n, generateAccount()])) as Record<Name, Account>
  const ledger = await createEmbeddedLedger({
    genesis: { chainId: 'zrkit-owner-removal', time: 1_700_000_000_000, balances: names.map((n) => ({ address: acc[n].address, amount: 1_000_000n })) },
    now: () => 1_700_000_000_000,
    autoTick: false,
  })
  cleanup.push(() => ledger.close())
  const clients = Object.fromEntries(names.map((n) => [n, createZrClient({ ledger, account: acc[n] })])) as Record<Name, ZrClient>
  const addr = Object.fromEntries(names.map((n) => [n, acc[n].address])) as Record<Name, string>
  const { keyring } = await clients.op.createKeyring({ description: 'test', parties: [addr.party], partyThreshold: 1, keyRequestFee: 0n, signRequestFee: 0n })
  return { ledger, addr, keyring, ...clients }
}

async function policy(w: World, expression: string, who: readonly Name[]) {
  const participants = Object.fromEntries(who.map((n) => [n, w.addr[n]]))
  return (await w.alice.createPolicy({ name: expression, participants, expression })).policyId
}

/** A workspace of alice, bob, carol and xavier (default policies unless given). */
async function workspace(w: World, policies: { signPolicyId?: number; adminPolicyId?: number } = {}) {
  const { workspace } = await w.alice.createWorkspace({ additionalOwners: [w.addr.bob, w.addr.carol, w.addr.xavier], ...policies })
  return workspace
}

/** A key with its own sign policy; the party answers by hand with a made-up public key. */
async function keyWithPolicy(w: World, ws: string, signPolicyId: number): Promise<number> {
  const { requestId } = await w.alice.requestKey({ workspace: ws, keyring: w.keyring, keyType: 'ecdsa-secp256k1', signPolicyId })
  await w.party.fulfilKeyRequest({ requestId, result: { publicKey: secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true) } })
  return (await w.alice.getKeyRequest({ id: requestId })).keyId!
}

const digest = (s: string) => sha256(new TextEncoder().encode(s))

describe('a removed owner and key-level sign policies', () => {
  it('cannot get a signature approved through the key policy: the vote is refused (typed, no state change)', async () => {
    const w = await world()
    const ws = await workspace(w)
    const keyId = await keyWithPolicy(w, ws, await policy(w, 'any(2, [alice, bob, xavier])', ['alice', 'bob', 'xavier']))

    // the key's policy does not hold the removal up: it cannot be changed, and xavier must be removable
    expect((await w.alice.removeWorkspaceOwner({ workspace: ws, owner: w.addr.xavier })).status).toBe('applied')
    expect((await w.alice.getWorkspace({ address: ws })).owners).not.toContain(w.addr.xavier)

    // the action freezes the key policy's participants, xavier among them, but his vote is refused
    const r = await w.alice.requestSignature({ keyId, payloads: [digest('after removal')] })
    expect(r.status).toBe('partial')
    expect(Object.values((await w.alice.getAction({ id: r.actionId! })).participants)).toContain(w.addr.xavier)
    const e = await expectRefused(w.ledger, () => w.xavier.approveAction({ actionId: r.actionId! }), 'NOT_WORKSPACE_OWNER', [`expected an owner of ${ws}`, `got ${w.addr.xavier}`])
    expect(e.meta).toMatchObject({ workspace: ws, sender: w.addr.xavier, actionId: r.actionId })
    await expectRefused(w.ledger, () => w.xavier.rejectAction({ actionId: r.actionId! }), 'NOT_WORKSPACE_OWNER')
    expect((await w.alice.getSignRequest({ id: r.requestId })).status).toBe('partial')
    // nor can he ask for a signature himself
    await expectRefused(w.ledger, () => w.xavier.requestSignature({ keyId, payloads: [digest('by xavier')] }), 'NOT_WORKSPACE_OWNER')

    // the remaining owners still use the key
    expect((await w.bob.approveAction({ actionId: r.actionId! })).status).toBe('approved')
    expect((await w.alice.getSignRequest({ id: r.requestId })).status).toBe('pending')
  })

  it('cannot approve an action opened before the removal, and his earlier votes no longer count', async () => {
    const w = await world()
    const ws = await workspace(w)
    const keyId = await keyWithPolicy(w, ws, await policy(w, 'any(3, [alice, bob, carol, xavier])', ['alice', 'bob', 'carol', 'xavier']))

    // before the removal: alice's request has alice's and xavier's approvals (2 of 3) ...
    const approvedByX = await w.alice.requestSignature({ keyId, payloads: [digest('one')] })
    expect((await w.xavier.approveAction({ actionId: approvedByX.actionId! })).status).toBe('pending')
    // ... xavier's own request carries his approval, and one more request waits untouched
    const byX = await w.xavier.requestSignature({ keyId, payloads: [digest('two')] })
    const untouched = await w.alice.requestSignature({ keyId, payloads: [digest('three')] })
    expect([approvedByX.status, byX.status, untouched.status]).toEqual(['partial', 'partial', 'partial'])

    await w.alice.removeWorkspaceOwner({ workspace: ws, owner: w.addr.xavier })

    // a vote on an action opened before the removal is refused
    await expectRefused(w.ledger, () => w.xavier.approveAction({ actionId: untouched.actionId! }), 'NOT_WORKSPACE_OWNER', `got ${w.addr.xavier}`)
    // his earlier approvals are set aside: alice + bob are 2 of the 3 needed, not 3
    expect((await w.bob.approveAction({ actionId: approvedByX.actionId! })).status).toBe('pending')
    expect((await w.alice.getSignRequest({ id: approvedByX.requestId })).status).toBe('partial')
    expect((await w.carol.approveAction({ actionId: approvedByX.actionId! })).status).toBe('approved')
    // the removal withdrew his vote from the action (the action.voted event stays in the log)
    expect((await w.alice.getAction({ id: approvedByX.actionId! })).votes.map((v) => v.address)).toEqual([w.addr.alice, w.addr.bob, w.addr.carol])

    // his own request: his approval no longer counts either; it takes three current owners
    expect((await w.alice.approveAction({ actionId: byX.actionId! })).status).toBe('pending')
    expect((await w.bob.approveAction({ actionId: byX.actionId! })).status).toBe('pending')
    expect((await w.carol.approveAction({ actionId: byX.actionId! })).status).toBe('approved')
  })

  it('a reject vote cast before the removal no longer counts either', async () => {
    const w = await world()
    const ws = await workspace(w)
    // xavier's reject makes `!xavier` true: one more approval would settle it
    const keyId = await keyWithPolicy(w, ws, await policy(w, 'any(2, [alice, bob, carol]) && !xavier', ['alice', 'bob', 'carol', 'xavier']))
    const r = await w.alice.requestSignature({ keyId, payloads: [digest('x')] })
    expect((await w.xavier.rejectAction({ actionId: r.actionId! })).status).toBe('pending')
    await w.alice.removeWorkspaceOwner({ workspace: ws, owner: w.addr.xavier })
    // without xavier's vote `!xavier` is undecided: the policy cannot approve, the request waits
    expect((await w.bob.approveAction({ actionId: r.actionId! })).status).toBe('pending')
    expect((await w.alice.getSignRequest({ id: r.requestId })).status).toBe('partial')
  })

  it('made an owner again, he votes afresh: the votes withdrawn at the removal do not come back', async () => {
    const w = await world()
    const ws = await workspace(w)
    const keyId = await keyWithPolicy(w, ws, await policy(w, 'all([alice, bob, xavier])', ['alice', 'bob', 'xavier']))
    const r = await w.alice.requestSignature({ keyId, payloads: [digest('x')] })
    await w.xavier.approveAction({ actionId: r.actionId! })
    await w.alice.removeWorkspaceOwner({ workspace: ws, owner: w.addr.xavier })
    expect((await w.bob.approveAction({ actionId: r.actionId! })).status).toBe('pending')
    await w.alice.addWorkspaceOwner({ workspace: ws, owner: w.addr.xavier })
    expect((await w.alice.getAction({ id: r.actionId! })).votes.map((v) => v.address)).toEqual([w.addr.alice, w.addr.bob])
    expect((await w.xavier.approveAction({ actionId: r.actionId! })).status).toBe('approved')
    await expectRefused(w.ledger, () => w.xavier.approveAction({ actionId: r.actionId! }), 'ACTION_NOT_PENDING')
  })
})

describe("a removed owner and the workspace's own policies", () => {
  it('the removal is refused while the admin or sign policy names the owner, naming both policies; no state changes', async () => {
    const w = await world()
    const admin = await policy(w, 'any(1, [alice, xavier])', ['alice', 'xavier'])
    const sign = await policy(w, 'all([bob, xavier])', ['bob', 'xavier'])
    const ws = await workspace(w, { adminPolicyId: admin, signPolicyId: sign })
    const e = await expectRefused(
      w.ledger,
      () => w.alice.removeWorkspaceOwner({ workspace: ws, owner: w.addr.xavier }),
      'POLICY_IN_USE',
      `${w.addr.xavier} takes part in policy ${admin} (the admin policy) and policy ${sign} (the sign policy) of ${ws}`,
    )
    expect(e.meta).toMatchObject({ workspace: ws, owner: w.addr.xavier, policyIds: [admin, sign] })
    expect((await w.alice.getWorkspace({ address: ws })).owners).toContain(w.addr.xavier)
  })

  it('a policy naming a removed owner cannot be attached to a workspace or a key', async () => {
    const w = await world()
    const ws = await workspace(w)
    const withX = await policy(w, 'all([alice, xavier])', ['alice', 'xavier'])
    await w.alice.removeWorkspaceOwner({ workspace: ws, owner: w.addr.xavier })
    await expectRefused(w.ledger, () => w.alice.updateWorkspace({ workspace: ws, signPolicyId: withX }), 'NOT_WORKSPACE_OWNER', `policy ${withX} names ${w.addr.xavier}`)
    await expectRefused(w.ledger, () => w.alice.updateWorkspace({ workspace: ws, adminPolicyId: withX }), 'NOT_WORKSPACE_OWNER', `policy ${withX} names ${w.addr.xavier}`)
    await expectRefused(
      w.ledger,
      () => w.alice.requestKey({ workspace: ws, keyring: w.keyring, keyType: 'ecdsa-secp256k1', signPolicyId: withX }),
      'NOT_WORKSPACE_OWNER',
      `policy ${withX} names ${w.addr.xavier}`,
    )
    await expectRefused(w.ledger, () => w.alice.createWorkspace({ additionalOwners: [w.addr.bob], signPolicyId: withX }), 'NOT_WORKSPACE_OWNER', `policy ${withX} names ${w.addr.xavier}`)
  })
})
