import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import {
  type Account,
  type EmbeddedLedger,
  type ZrClient,
  type ZrErrorCode,
  createEmbeddedLedger,
  createZrClient,
  generateAccount,
  isZrError,
  keyringAddress,
  workspaceAddress,
} from '@zrkit/core'
import { expectRefused } from '@zrkit/testkit'

/**
 * Workspaces and keyrings through the embedded ledger: every change goes in as a signed message, and
 * every refused one must leave the state exactly as it was.
 */

const names = ['alice', 'bob', 'carol', 'dave', 'op', 'party', 'party2'] as const
type Name = (typeof names)[number]

type World = {
  ledger: EmbeddedLedger
  acc: Record<Name, Account>
  addr: Record<Name, string>
} & Record<Name, ZrClient>

async function world(): Promise<World> {
  const acc = Object.fromEntries(names.map((n) => [n, generateAccount()])) as Record<Name, Account>
  const ledger = await createEmbeddedLedger({
    genesis: { chainId: 'zrkit-identity-test', balances: names.map((n) => ({ address: acc[n].address, amount: 1_000_000n })) },
    autoTick: false,
  })
  const clients = Object.fromEntries(names.map((n) => [n, createZrClient({ ledger, account: acc[n] })])) as Record<Name, ZrClient>
  const addr = Object.fromEntries(names.map((n) => [n, acc[n].address])) as Record<Name, string>
  return { ledger, acc, addr, ...clients }
}

const digest = (s: string) => sha256(new TextEncoder().encode(s))

async function owners(w: World, workspace: string) {
  return (await w.alice.getWorkspace({ address: workspace })).owners
}

async function bothPolicy(w: World, a: Name = 'alice', b: Name = 'bob') {
  const { policyId } = await w.alice.createPolicy({ name: `${a} and ${b}`, participants: { [a]: w.addr[a], [b]: w.addr[b] }, expression: `all([${a}, ${b}])` })
  return policyId
}

async function newKeyring(w: World, params: { parties?: readonly string[]; partyThreshold?: number; keyRequestFee?: bigint; signRequestFee?: bigint } = {}) {
  const { keyring } = await w.op.createKeyring({
    description: 'test keyring',
    parties: params.parties ?? [w.addr.party],
    partyThreshold: params.partyThreshold ?? 1,
    keyRequestFee: params.keyRequestFee ?? 0n,
    signRequestFee: params.signRequestFee ?? 0n,
  })
  return keyring
}

/** Requests a key and answers the request as the keyring's single party with a fresh public key. */
async function makeKey(w: World, workspace: string, keyring: string, signPolicyId?: number): Promise<number> {
  const { requestId } = await w.alice.requestKey({ workspace, keyring, keyType: 'ecdsa-secp256k1', ...(signPolicyId !== undefined ? { signPolicyId } : {}) })
  const publicKey = secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true)
  await w.party.fulfilKeyRequest({ requestId, result: { publicKey } })
  const req = await w.alice.getKeyRequest({ id: requestId })
  expect(req.status).toBe('fulfilled')
  return req.keyId!
}

describe('workspaces', () => {
  it('creates a workspace with additional owners, the creator first and not repeated', async () => {
    const w = await world()
    const { workspace, receipt } = await w.alice.createWorkspace({ additionalOwners: [w.addr.bob, w.addr.alice, w.addr.carol], alias: 'treasury' })
    const ws = await w.alice.getWorkspace({ address: workspace })
    expect(ws.address).toBe(workspace)
    expect(ws.creator).toBe(w.addr.alice)
    expect(ws.owners).toEqual([w.addr.alice, w.addr.bob, w.addr.carol])
    expect(ws.adminPolicyId).toBe(0)
    expect(ws.signPolicyId).toBe(0)
    expect(ws.childWorkspaces).toEqual([])
    expect(ws.parent).toBeUndefined()
    expect(ws.alias).toBe('treasury')
    expect(receipt.events.map((e) => e.type)).toContain('workspace.created')
    expect((await w.bob.listWorkspaces({ owner: w.addr.bob })).items.map((x) => x.address)).toEqual([workspace])
    expect((await w.dave.listWorkspaces({ owner: w.addr.dave })).items).toEqual([])
  })

  it('refuses repeated additional owners and invalid owner addresses', async () => {
    const w = await world()
    await expectRefused(w.ledger, () => w.alice.createWorkspace({ additionalOwners: [w.addr.bob, w.addr.bob] }), 'INVALID_INPUT', 'distinct addresses')
    await expectRefused(w.ledger, () => w.alice.createWorkspace({ additionalOwners: ['zen1notanaddress'] }), 'INVALID_ADDRESS', 'expected a bech32 "zen1..." address')
    await expectRefused(w.ledger, () => w.alice.createWorkspace({ additionalOwners: [workspaceAddress(1)] }), 'INVALID_ADDRESS', 'expected prefix "zen"')
    await expectRefused(w.ledger, () => w.alice.createWorkspace({ alias: 'x'.repeat(65) }), 'INVALID_INPUT', 'expected a string of 0..64 characters')
  })

  it('requires policy participants to be owners (sign and admin policy, on create, update and key requests)', async () => {
    const w = await world()
    const { policyId } = await w.alice.createPolicy({ name: 'with dave', participants: { alice: w.addr.alice, dave: w.addr.dave }, expression: 'all([alice, dave])' })
    await expectRefused(w.ledger, () => w.alice.createWorkspace({ additionalOwners: [w.addr.bob], signPolicyId: policyId }), 'NOT_WORKSPACE_OWNER', w.addr.dave)
    await expectRefused(w.ledger, () => w.alice.createWorkspace({ additionalOwners: [w.addr.bob], adminPolicyId: policyId }), 'NOT_WORKSPACE_OWNER', `policy ${policyId} names ${w.addr.dave}`)
    await expectRefused(w.ledger, () => w.alice.createWorkspace({ signPolicyId: 999 }), 'POLICY_NOT_FOUND', 'no policy 999')
    const { workspace } = await w.alice.createWorkspace({ additionalOwners: [w.addr.bob] })
    await expectRefused(w.ledger, () => w.alice.updateWorkspace({ workspace, signPolicyId: policyId }), 'NOT_WORKSPACE_OWNER', w.addr.dave)
    await expectRefused(w.ledger, () => w.alice.updateWorkspace({ workspace, adminPolicyId: policyId }), 'NOT_WORKSPACE_OWNER', w.addr.dave)
    const keyring = await newKeyring(w)
    await expectRefused(w.ledger, () => w.alice.requestKey({ workspace, keyring, keyType: 'ecdsa-secp256k1', signPolicyId: policyId }), 'NOT_WORKSPACE_OWNER', w.addr.dave)
    // with dave an owner the same policy fits
    const { workspace: ws2 } = await w.alice.createWorkspace({ additionalOwners: [w.addr.dave], signPolicyId: policyId })
    expect((await w.alice.getWorkspace({ address: ws2 })).signPolicyId).toBe(policyId)
  })

  it('adds and removes owners at once under the default admin policy', async () => {
    const w = await world()
    const { workspace } = await w.alice.createWorkspace()
    const added = await w.alice.addWorkspaceOwner({ workspace, owner: w.addr.bob })
    expect(added.status).toBe('applied')
    expect(added.actionId).toBeUndefined()
    expect(added.receipt.events.find((e) => e.type === 'workspace.updated')?.data).toMatchObject({ change: 'owner-added', owner: w.addr.bob })
    expect(await owners(w, workspace)).toEqual([w.addr.alice, w.addr.bob])
    // the new owner may change the workspace on its own too
    expect((await w.bob.addWorkspaceOwner({ workspace, owner: w.addr.carol })).status).toBe('applied')
    expect(await owners(w, workspace)).toEqual([w.addr.alice, w.addr.bob, w.addr.carol])
    await expectRefused(w.ledger, () => w.alice.addWorkspaceOwner({ workspace, owner: w.addr.bob }), 'ALREADY_EXISTS', `${w.addr.bob} already owns`)
    const removed = await w.carol.removeWorkspaceOwner({ workspace, owner: w.addr.alice })
    expect(removed.status).toBe('applied')
    expect(await owners(w, workspace)).toEqual([w.addr.bob, w.addr.carol])
    expect((await w.ledger.query('actions', {})).items).toEqual([])
    // alice is no longer an owner
    await expectRefused(w.ledger, () => w.alice.addWorkspaceOwner({ workspace, owner: w.addr.dave }), 'NOT_WORKSPACE_OWNER', `${w.addr.alice} is not an owner`)
    await expectRefused(w.ledger, () => w.bob.removeWorkspaceOwner({ workspace, owner: w.addr.alice }), 'INVALID_INPUT', `got ${w.addr.alice}`)
  })

  it('under a 2-of-2 admin policy an owner change waits for the other owner and is applied on approval', async () => {
    const w = await world()
    const policyId = await bothPolicy(w)
    const { workspace } = await w.alice.createWorkspace({ additionalOwners: [w.addr.bob], adminPolicyId: policyId })
    const r = await w.alice.addWorkspaceOwner({ workspace, owner: w.addr.carol })
    expect(r.status).toBe('pending')
    expect(r.actionId).toBeTypeOf('number')
    expect(await owners(w, workspace)).toEqual([w.addr.alice, w.addr.bob])
    const action = await w.alice.getAction({ id: r.actionId! })
    expect(action).toMatchObject({ status: 'pending', creator: w.addr.alice, workspace, policyId, subject: { kind: 'message', message: { type: 'identity.AddWorkspaceOwner', owner: w.addr.carol } } })
    expect(action.votes.map((v) => [v.address, v.vote])).toEqual([[w.addr.alice, 'approve']])
    // carol is not an owner yet, so she cannot take part
    await expectRefused(w.ledger, () => w.carol.approveAction({ actionId: r.actionId! }), 'NOT_POLICY_PARTICIPANT', w.addr.carol)
    const vote = await w.bob.approveAction({ actionId: r.actionId! })
    expect(vote.status).toBe('approved')
    expect(vote.receipt.events.map((e) => e.type)).toEqual(expect.arrayContaining(['action.voted', 'action.approved', 'workspace.updated']))
    expect(await owners(w, workspace)).toEqual([w.addr.alice, w.addr.bob, w.addr.carol])
    expect((await w.alice.getAction({ id: r.actionId! })).status).toBe('approved')
  })

  it('under a 2-of-2 admin policy a rejected owner change leaves the owners as they were', async () => {
    const w = await world()
    const policyId = await bothPolicy(w)
    const { workspace } = await w.alice.createWorkspace({ additionalOwners: [w.addr.bob], adminPolicyId: policyId })
    const r = await w.alice.addWorkspaceOwner({ workspace, owner: w.addr.carol })
    expect(r.status).toBe('pending')
    const vote = await w.bob.rejectAction({ actionId: r.actionId! })
    expect(vote.status).toBe('rejected')
    expect(vote.receipt.events.map((e) => e.type)).not.toContain('workspace.updated')
    expect(await owners(w, workspace)).toEqual([w.addr.alice, w.addr.bob])
    await expectRefused(w.ledger, () => w.bob.approveAction({ actionId: r.actionId! }), 'ACTION_NOT_PENDING', 'is rejected')
    // a change that could not apply is refused before any action is opened
    await expectRefused(w.ledger, () => w.alice.addWorkspaceOwner({ workspace, owner: w.addr.bob }), 'ALREADY_EXISTS')
    await expectRefused(w.ledger, () => w.alice.removeWorkspaceOwner({ workspace, owner: w.addr.bob }), 'POLICY_IN_USE')
  })

  it('under a 2-of-2 admin policy a change that no longer applies at approval time is rejected, not applied', async () => {
    const w = await world()
    const policyId = await bothPolicy(w)
    const { workspace } = await w.alice.createWorkspace({ additionalOwners: [w.addr.bob], adminPolicyId: policyId })
    const first = await w.alice.addWorkspaceOwner({ workspace, owner: w.addr.carol })
    const second = await w.bob.addWorkspaceOwner({ workspace, owner: w.addr.carol })
    expect((await w.bob.approveAction({ actionId: first.actionId! })).status).toBe('approved')
    const late = await w.alice.approveAction({ actionId: second.actionId! })
    expect(late.status).toBe('rejected')
    const a = await w.alice.getAction({ id: second.actionId! })
    expect(a.status).toBe('rejected')
    expect(a.reason).toMatch(/could not be applied: Already an owner/)
    expect(await owners(w, workspace)).toEqual([w.addr.alice, w.addr.bob, w.addr.carol])
  })

  it('refuses to remove the last owner', async () => {
    const w = await world()
    const { workspace } = await w.alice.createWorkspace()
    await expectRefused(w.ledger, () => w.alice.removeWorkspaceOwner({ workspace, owner: w.addr.alice }), 'INVALID_INPUT', 'would have no owners')
    expect(await owners(w, workspace)).toEqual([w.addr.alice])
  })

  it('refuses to remove an owner who takes part in a workspace policy (POLICY_IN_USE)', async () => {
    const w = await world()
    const signPolicy = await bothPolicy(w)
    const { workspace } = await w.alice.createWorkspace({ additionalOwners: [w.addr.bob, w.addr.carol], signPolicyId: signPolicy })
    await expectRefused(w.ledger, () => w.alice.removeWorkspaceOwner({ workspace, owner: w.addr.bob }), 'POLICY_IN_USE', `${w.addr.bob} takes part in policy ${signPolicy}`)
    // carol is in no policy: she can go
    expect((await w.alice.removeWorkspaceOwner({ workspace, owner: w.addr.carol })).status).toBe('applied')
    // the admin policy counts too
    const adminPolicy = await bothPolicy(w, 'alice', 'carol')
    const { workspace: ws2 } = await w.alice.createWorkspace({ additionalOwners: [w.addr.bob, w.addr.carol], adminPolicyId: adminPolicy })
    const removeBob = await w.alice.removeWorkspaceOwner({ workspace: ws2, owner: w.addr.bob })
    expect(removeBob.status).toBe('pending')
    await expectRefused(w.ledger, () => w.alice.removeWorkspaceOwner({ workspace: ws2, owner: w.addr.carol }), 'POLICY_IN_USE', `policy ${adminPolicy}`)
    // once the sign policy is back to the default, bob may be removed
    expect((await w.alice.updateWorkspace({ workspace, signPolicyId: 0 })).status).toBe('applied')
    expect((await w.alice.removeWorkspaceOwner({ workspace, owner: w.addr.bob })).status).toBe('applied')
    expect(await owners(w, workspace)).toEqual([w.addr.alice])
  })

  it('refuses every admin change by a non-owner (NOT_WORKSPACE_OWNER)', async () => {
    const w = await world()
    const { workspace } = await w.alice.createWorkspace({ additionalOwners: [w.addr.bob] })
    const { workspace: daves } = await w.dave.createWorkspace()
    const notOwner = `${w.addr.dave} is not an owner of ${workspace}`
    await expectRefused(w.ledger, () => w.dave.addWorkspaceOwner({ workspace, owner: w.addr.dave }), 'NOT_WORKSPACE_OWNER', notOwner)
    await expectRefused(w.ledger, () => w.dave.removeWorkspaceOwner({ workspace, owner: w.addr.bob }), 'NOT_WORKSPACE_OWNER', notOwner)
    await expectRefused(w.ledger, () => w.dave.updateWorkspace({ workspace, alias: 'mine' }), 'NOT_WORKSPACE_OWNER', notOwner)
    await expectRefused(w.ledger, () => w.dave.createChildWorkspace({ parent: workspace }), 'NOT_WORKSPACE_OWNER', notOwner)
    await expectRefused(w.ledger, () => w.dave.appendChildWorkspace({ parent: workspace, child: daves }), 'NOT_WORKSPACE_OWNER', notOwner)
    // appending needs ownership of the child as well
    await expectRefused(w.ledger, () => w.alice.appendChildWorkspace({ parent: workspace, child: daves }), 'NOT_WORKSPACE_OWNER', `${w.addr.alice} is not an owner of ${daves}`)
    await expectRefused(w.ledger, () => w.alice.addWorkspaceOwner({ workspace: workspaceAddress(999), owner: w.addr.dave }), 'WORKSPACE_NOT_FOUND', 'no workspace')
  })

  it('creates child workspaces that inherit owners and policies and are listed in the parent', async () => {
    const w = await world()
    const signPolicy = await bothPolicy(w)
    const { workspace: parent } = await w.alice.createWorkspace({ additionalOwners: [w.addr.bob], signPolicyId: signPolicy })
    const r = await w.bob.createChildWorkspace({ parent, alias: 'payroll' })
    expect(r.status).toBe('applied')
    const child = r.receipt.result.workspace as string
    expect(child).toMatch(/^workspace1/)
    expect(child).not.toBe(parent)
    const c = await w.alice.getWorkspace({ address: child })
    expect(c).toMatchObject({ owners: [w.addr.alice, w.addr.bob], adminPolicyId: 0, signPolicyId: signPolicy, parent, creator: w.addr.bob, alias: 'payroll', childWorkspaces: [] })
    expect((await w.alice.getWorkspace({ address: parent })).childWorkspaces).toEqual([child])
    const r2 = await w.alice.createChildWorkspace({ parent })
    expect((await w.alice.getWorkspace({ address: parent })).childWorkspaces).toEqual([child, r2.receipt.result.workspace])
    // a grandchild is listed under its own parent only
    const g = await w.alice.createChildWorkspace({ parent: child })
    expect((await w.alice.getWorkspace({ address: child })).childWorkspaces).toEqual([g.receipt.result.workspace])
    expect((await w.alice.getWorkspace({ address: parent })).childWorkspaces).toHaveLength(2)
  })

  it('creates a child under a 2-of-2 admin policy only once approved', async () => {
    const w = await world()
    const policyId = await bothPolicy(w)
    const { workspace: parent } = await w.alice.createWorkspace({ additionalOwners: [w.addr.bob], adminPolicyId: policyId })
    const r = await w.alice.createChildWorkspace({ parent })
    expect(r.status).toBe('pending')
    expect((await w.alice.getWorkspace({ address: parent })).childWorkspaces).toEqual([])
    const vote = await w.bob.approveAction({ actionId: r.actionId! })
    const child = vote.receipt.result.workspace as string
    expect(child).toMatch(/^workspace1/)
    expect((await w.alice.getWorkspace({ address: parent })).childWorkspaces).toEqual([child])
    expect(await w.alice.getWorkspace({ address: child })).toMatchObject({ parent, adminPolicyId: policyId, creator: w.addr.alice })
  })

  it('appends an existing workspace as a child and refuses cycles and second parents', async () => {
    const w = await world()
    const { workspace: a } = await w.alice.createWorkspace()
    const { workspace: b } = await w.alice.createWorkspace()
    const { workspace: c } = await w.alice.createWorkspace()
    const r = await w.alice.appendChildWorkspace({ parent: a, child: b })
    expect(r.status).toBe('applied')
    expect((await w.alice.getWorkspace({ address: a })).childWorkspaces).toEqual([b])
    expect((await w.alice.getWorkspace({ address: b })).parent).toBe(a)
    expect((await w.alice.appendChildWorkspace({ parent: b, child: c })).status).toBe('applied')
    // a -> b -> c: making a a child of c (or of b, or of itself) would close a loop
    await expectRefused(w.ledger, () => w.alice.appendChildWorkspace({ parent: c, child: a }), 'INVALID_INPUT', `${a} is an ancestor of ${c}`)
    await expectRefused(w.ledger, () => w.alice.appendChildWorkspace({ parent: b, child: a }), 'INVALID_INPUT', 'is an ancestor of')
    await expectRefused(w.ledger, () => w.alice.appendChildWorkspace({ parent: a, child: a }), 'INVALID_INPUT', 'is an ancestor of')
    await expectRefused(w.ledger, () => w.alice.appendChildWorkspace({ parent: a, child: c }), 'ALREADY_EXISTS', `${c} is a child of ${b}`)
    await expectRefused(w.ledger, () => w.alice.appendChildWorkspace({ parent: a, child: 'zen1qqqq' }), 'INVALID_ADDRESS')
    await expectRefused(w.ledger, () => w.alice.appendChildWorkspace({ parent: a, child: workspaceAddress(999) }), 'WORKSPACE_NOT_FOUND')
  })

  it('updateWorkspace changes the sign policy, the admin policy and the alias', async () => {
    const w = await world()
    const policyId = await bothPolicy(w)
    const { workspace } = await w.alice.createWorkspace({ additionalOwners: [w.addr.bob], alias: 'old' })
    const r = await w.alice.updateWorkspace({ workspace, signPolicyId: policyId })
    expect(r.status).toBe('applied')
    expect(r.receipt.events.find((e) => e.type === 'workspace.updated')?.data.change).toBe('settings')
    expect(await w.alice.getWorkspace({ address: workspace })).toMatchObject({ signPolicyId: policyId, adminPolicyId: 0, alias: 'old' })
    await w.alice.updateWorkspace({ workspace, alias: 'new', adminPolicyId: policyId })
    expect(await w.alice.getWorkspace({ address: workspace })).toMatchObject({ signPolicyId: policyId, adminPolicyId: policyId, alias: 'new' })
    // the admin policy now gates further changes
    const back = await w.bob.updateWorkspace({ workspace, signPolicyId: 0 })
    expect(back.status).toBe('pending')
    expect((await w.alice.getWorkspace({ address: workspace })).signPolicyId).toBe(policyId)
    await w.alice.approveAction({ actionId: back.actionId! })
    expect((await w.alice.getWorkspace({ address: workspace })).signPolicyId).toBe(0)
    await expectRefused(w.ledger, () => w.alice.updateWorkspace({ workspace, signPolicyId: 4242 }), 'POLICY_NOT_FOUND')
    await expectRefused(w.ledger, () => w.alice.updateWorkspace({ workspace, signPolicyId: -1 }), 'INVALID_INPUT', 'got number -1')
  })
})

describe('keyrings', () => {
  it('creates a keyring with the creator as admin', async () => {
    const w = await world()
    const { keyring, receipt } = await w.op.createKeyring({
      description: 'mpc',
      parties: [w.addr.party, w.addr.party2],
      partyThreshold: 2,
      keyRequestFee: 100n,
      signRequestFee: 10n,
      admins: [w.addr.carol, w.addr.op],
    })
    expect(keyring).toMatch(/^keyring1/)
    const k = await w.op.getKeyring({ address: keyring })
    expect(k).toMatchObject({
      address: keyring,
      creator: w.addr.op,
      description: 'mpc',
      admins: [w.addr.op, w.addr.carol],
      parties: [w.addr.party, w.addr.party2],
      partyThreshold: 2,
      keyRequestFee: 100n,
      signRequestFee: 10n,
      isActive: true,
    })
    expect(receipt.events.map((e) => e.type)).toContain('keyring.created')
    expect((await w.op.listKeyrings({ party: w.addr.party2 })).items.map((x) => x.address)).toEqual([keyring])
  })

  it('refuses thresholds outside 1..parties, duplicate parties and empty party lists', async () => {
    const w = await world()
    const base = { description: 'k', keyRequestFee: 0n, signRequestFee: 0n }
    const two = [w.addr.party, w.addr.party2]
    await expectRefused(w.ledger, () => w.op.createKeyring({ ...base, parties: two, partyThreshold: 0 }), 'INVALID_THRESHOLD', 'expected a threshold in 1..2')
    await expectRefused(w.ledger, () => w.op.createKeyring({ ...base, parties: two, partyThreshold: 3 }), 'INVALID_THRESHOLD', 'got 3')
    await expectRefused(w.ledger, () => w.op.createKeyring({ ...base, parties: [w.addr.party], partyThreshold: 2 }), 'INVALID_THRESHOLD', '1..1')
    await expectRefused(w.ledger, () => w.op.createKeyring({ ...base, parties: [w.addr.party, w.addr.party], partyThreshold: 1 }), 'INVALID_INPUT', 'distinct addresses')
    await expectRefused(w.ledger, () => w.op.createKeyring({ ...base, parties: [], partyThreshold: 1 }), 'INVALID_INPUT', 'a list of 1..64 addresses, got an array of 0')
    await expectRefused(w.ledger, () => w.op.createKeyring({ ...base, parties: two, partyThreshold: 1, keyRequestFee: -1n }), 'INVALID_INPUT', 'non-negative bigint')
    await expectRefused(w.ledger, () => w.op.createKeyring({ ...base, parties: two, partyThreshold: 1.5 }), 'INVALID_INPUT', 'integer')
    // the bounds themselves are fine
    await w.op.createKeyring({ ...base, parties: two, partyThreshold: 1 })
    await w.op.createKeyring({ ...base, parties: two, partyThreshold: 2 })
  })

  it('adds parties with and without raising the threshold', async () => {
    const w = await world()
    const keyring = await newKeyring(w)
    await w.op.addKeyringParty({ keyring, party: w.addr.party2 })
    expect(await w.op.getKeyring({ address: keyring })).toMatchObject({ parties: [w.addr.party, w.addr.party2], partyThreshold: 1 })
    const r = await w.op.addKeyringParty({ keyring, party: w.addr.carol, increaseThreshold: true })
    expect(r.events.find((e) => e.type === 'keyring.updated')?.data.change).toBe('party-added')
    expect(await w.op.getKeyring({ address: keyring })).toMatchObject({ parties: [w.addr.party, w.addr.party2, w.addr.carol], partyThreshold: 2 })
    await expectRefused(w.ledger, () => w.op.addKeyringParty({ keyring, party: w.addr.carol }), 'ALREADY_EXISTS', `${w.addr.carol} is already a party`)
  })

  it('removes parties, lowering the threshold when asked, and keeps the threshold within 1..parties', async () => {
    const w = await world()
    const keyring = await newKeyring(w, { parties: [w.addr.party, w.addr.party2, w.addr.carol], partyThreshold: 3 })
    // without lowering, 3 of 2 would remain
    await expectRefused(w.ledger, () => w.op.removeKeyringParty({ keyring, party: w.addr.carol }), 'INVALID_THRESHOLD', 'expected a threshold in 1..2')
    await w.op.removeKeyringParty({ keyring, party: w.addr.carol, decreaseThreshold: true })
    expect(await w.op.getKeyring({ address: keyring })).toMatchObject({ parties: [w.addr.party, w.addr.party2], partyThreshold: 2 })
    await w.op.updateKeyring({ keyring, partyThreshold: 1 })
    await w.op.removeKeyringParty({ keyring, party: w.addr.party2 })
    expect(await w.op.getKeyring({ address: keyring })).toMatchObject({ parties: [w.addr.party], partyThreshold: 1 })
    // the last party cannot go: no threshold fits zero parties
    await expectRefused(w.ledger, () => w.op.removeKeyringParty({ keyring, party: w.addr.party, decreaseThreshold: true }), 'INVALID_THRESHOLD', '1..0')
    await expectRefused(w.ledger, () => w.op.removeKeyringParty({ keyring, party: w.addr.party }), 'INVALID_THRESHOLD')
    await expectRefused(w.ledger, () => w.op.removeKeyringParty({ keyring, party: w.addr.dave }), 'NOT_KEYRING_PARTY', `${w.addr.dave} is not a party`)
  })

  it('changes the threshold with updateKeyring within 1..parties', async () => {
    const w = await world()
    const keyring = await newKeyring(w, { parties: [w.addr.party, w.addr.party2], partyThreshold: 1 })
    const r = await w.op.updateKeyring({ keyring, partyThreshold: 2, description: 'now 2-of-2', signRequestFee: 7n })
    expect(r.events.find((e) => e.type === 'keyring.updated')?.data.change).toBe('settings')
    expect(await w.op.getKeyring({ address: keyring })).toMatchObject({ partyThreshold: 2, description: 'now 2-of-2', signRequestFee: 7n, keyRequestFee: 0n, isActive: true })
    await expectRefused(w.ledger, () => w.op.updateKeyring({ keyring, partyThreshold: 3 }), 'INVALID_THRESHOLD', 'expected a threshold in 1..2')
    await expectRefused(w.ledger, () => w.op.updateKeyring({ keyring, partyThreshold: 0 }), 'INVALID_THRESHOLD', 'got 0')
    await w.op.updateKeyring({ keyring, partyThreshold: 1 })
    expect((await w.op.getKeyring({ address: keyring })).partyThreshold).toBe(1)
  })

  it('refuses changes by non-admins (NOT_KEYRING_ADMIN)', async () => {
    const w = await world()
    const keyring = await newKeyring(w)
    const notAdmin = `${w.addr.dave} is not an admin of ${keyring}`
    await expectRefused(w.ledger, () => w.dave.updateKeyring({ keyring, partyThreshold: 1 }), 'NOT_KEYRING_ADMIN', notAdmin)
    await expectRefused(w.ledger, () => w.dave.addKeyringParty({ keyring, party: w.addr.dave }), 'NOT_KEYRING_ADMIN', notAdmin)
    await expectRefused(w.ledger, () => w.dave.removeKeyringParty({ keyring, party: w.addr.party }), 'NOT_KEYRING_ADMIN', notAdmin)
    await expectRefused(w.ledger, () => w.dave.addKeyringAdmin({ keyring, admin: w.addr.dave }), 'NOT_KEYRING_ADMIN', notAdmin)
    await expectRefused(w.ledger, () => w.dave.removeKeyringAdmin({ keyring, admin: w.addr.op }), 'NOT_KEYRING_ADMIN', notAdmin)
    await expectRefused(w.ledger, () => w.dave.deactivateKeyring({ keyring }), 'NOT_KEYRING_ADMIN', notAdmin)
    await expectRefused(w.ledger, () => w.dave.withdrawKeyringFees({ keyring, to: w.addr.dave, amount: 1n }), 'NOT_KEYRING_ADMIN', notAdmin)
    // a party is not an admin either
    await expectRefused(w.ledger, () => w.party.updateKeyring({ keyring, description: 'x' }), 'NOT_KEYRING_ADMIN')
    await expectRefused(w.ledger, () => w.op.updateKeyring({ keyring: keyringAddress(999), description: 'x' }), 'KEYRING_NOT_FOUND', 'no keyring')
  })

  it('adds and removes admins; the last admin cannot be removed', async () => {
    const w = await world()
    const keyring = await newKeyring(w)
    await w.op.addKeyringAdmin({ keyring, admin: w.addr.carol })
    expect((await w.op.getKeyring({ address: keyring })).admins).toEqual([w.addr.op, w.addr.carol])
    await expectRefused(w.ledger, () => w.op.addKeyringAdmin({ keyring, admin: w.addr.carol }), 'ALREADY_EXISTS', 'already an admin')
    // the new admin acts on its own, even removing the one who added it
    await w.carol.updateKeyring({ keyring, description: 'by carol' })
    await w.carol.removeKeyringAdmin({ keyring, admin: w.addr.op })
    expect((await w.op.getKeyring({ address: keyring })).admins).toEqual([w.addr.carol])
    await expectRefused(w.ledger, () => w.op.updateKeyring({ keyring, description: 'by op' }), 'NOT_KEYRING_ADMIN')
    await expectRefused(w.ledger, () => w.carol.removeKeyringAdmin({ keyring, admin: w.addr.carol }), 'INVALID_INPUT', 'would have no admins')
    await expectRefused(w.ledger, () => w.carol.removeKeyringAdmin({ keyring, admin: w.addr.dave }), 'NOT_KEYRING_ADMIN', `${w.addr.dave} is not an admin`)
    expect((await w.op.getKeyring({ address: keyring })).admins).toEqual([w.addr.carol])
  })

  for (const how of ['deactivateKeyring', 'updateKeyring({ isActive: false })'] as const) {
    it(`${how}: rejects and refunds open key and sign requests, refuses new ones, and cannot be undone`, async () => {
      const w = await world()
      const keyring = await newKeyring(w, { keyRequestFee: 100n, signRequestFee: 10n })
      const other = await newKeyring(w, { keyRequestFee: 100n, signRequestFee: 10n })
      const policyId = await bothPolicy(w)
      const { workspace } = await w.alice.createWorkspace({ additionalOwners: [w.addr.bob], signPolicyId: policyId })
      const keyPartial = await makeKey(w, workspace, keyring)
      const keyDirect = await makeKey(w, workspace, keyring, 0)
      const keyOther = await makeKey(w, workspace, other, 0)
      const start = await w.alice.getBalance()
      const partial = await w.alice.requestSignature({ keyId: keyPartial, payloads: [digest('a')] })
      expect(partial.status).toBe('partial')
      const pending = await w.alice.requestSignature({ keyId: keyDirect, payloads: [digest('b')] })
      expect(pending.status).toBe('pending')
      const { requestId: keyReq } = await w.alice.requestKey({ workspace, keyring, keyType: 'eddsa-ed25519' })
      const otherReq = await w.alice.requestSignature({ keyId: keyOther, payloads: [digest('c')] })
      expect(await w.alice.getBalance()).toBe(start - 10n - 10n - 100n - 10n)

      const receipt = how === 'deactivateKeyring' ? await w.op.deactivateKeyring({ keyring }) : await w.op.updateKeyring({ keyring, isActive: false })
      expect((await w.op.getKeyring({ address: keyring })).isActive).toBe(false)
      for (const id of [partial.requestId, pending.requestId]) {
        expect(await w.alice.getSignRequest({ id })).toMatchObject({ status: 'rejected', rejectReason: 'keyring deactivated' })
      }
      expect(await w.alice.getKeyRequest({ id: keyReq })).toMatchObject({ status: 'rejected', rejectReason: 'keyring deactivated' })
      expect(await w.alice.getAction({ id: partial.actionId! })).toMatchObject({ status: 'rejected', reason: 'keyring deactivated' })
      // only this keyring's requests are touched
      expect((await w.alice.getSignRequest({ id: otherReq.requestId })).status).toBe('pending')
      expect(await w.alice.getBalance()).toBe(start - 10n)
      const refunds = receipt.events.filter((e) => e.type === 'fee.refunded')
      expect(refunds.map((e) => e.data.amount)).toEqual(expect.arrayContaining([100n, 10n, 10n]))
      expect(refunds).toHaveLength(3)
      expect(receipt.events.filter((e) => e.type === 'signRequest.rejected')).toHaveLength(2)
      expect(receipt.events.filter((e) => e.type === 'keyRequest.rejected')).toHaveLength(1)

      await expectRefused(w.ledger, () => w.alice.requestKey({ workspace, keyring, keyType: 'ecdsa-secp256k1' }), 'KEYRING_NOT_ACTIVE', `${keyring} was deactivated`)
      await expectRefused(w.ledger, () => w.alice.requestSignature({ keyId: keyDirect, payloads: [digest('d')] }), 'KEYRING_NOT_ACTIVE', `${keyring} was deactivated`)
      await expectRefused(w.ledger, () => w.alice.requestSignature({ keyId: keyPartial, payloads: [digest('e')] }), 'KEYRING_NOT_ACTIVE')
      await expectRefused(w.ledger, () => w.op.updateKeyring({ keyring, isActive: true }), 'KEYRING_NOT_ACTIVE', 'was deactivated')
      await expectRefused(w.ledger, () => w.op.deactivateKeyring({ keyring }), 'KEYRING_NOT_ACTIVE')
      // the closed action takes no more votes, the closed requests no more responses
      await expectRefused(w.ledger, () => w.bob.approveAction({ actionId: partial.actionId! }), 'ACTION_NOT_PENDING')
      await expectRefused(w.ledger, () => w.party.fulfilSignRequest({ requestId: pending.requestId, result: { rejectReason: 'late' } }), 'REQUEST_NOT_PENDING')
    })
  }

  it('refuses invalid addresses everywhere (INVALID_ADDRESS)', async () => {
    const w = await world()
    const keyring = await newKeyring(w)
    const { workspace } = await w.alice.createWorkspace()
    const bad = ['zen1invalid', 'not an address', workspaceAddress(1), keyring, '']
    const base = { description: 'k', partyThreshold: 1, keyRequestFee: 0n, signRequestFee: 0n }
    for (const b of bad) {
      await expectRefused(w.ledger, () => w.op.createKeyring({ ...base, parties: [b] }), 'INVALID_ADDRESS', /zen/)
      await expectRefused(w.ledger, () => w.op.createKeyring({ ...base, parties: [w.addr.party], admins: [b] }), 'INVALID_ADDRESS', /zen/)
      await expectRefused(w.ledger, () => w.op.addKeyringParty({ keyring, party: b }), 'INVALID_ADDRESS', /zen/)
      await expectRefused(w.ledger, () => w.op.removeKeyringParty({ keyring, party: b }), 'INVALID_ADDRESS', /zen/)
      await expectRefused(w.ledger, () => w.op.addKeyringAdmin({ keyring, admin: b }), 'INVALID_ADDRESS', /zen/)
      await expectRefused(w.ledger, () => w.op.removeKeyringAdmin({ keyring, admin: b }), 'INVALID_ADDRESS', /zen/)
      await expectRefused(w.ledger, () => w.op.withdrawKeyringFees({ keyring, to: b, amount: 1n }), 'INVALID_ADDRESS', /zen/)
      await expectRefused(w.ledger, () => w.alice.addWorkspaceOwner({ workspace, owner: b }), 'INVALID_ADDRESS', /zen/)
      await expectRefused(w.ledger, () => w.alice.removeWorkspaceOwner({ workspace, owner: b }), 'INVALID_ADDRESS', /zen/)
      await expectRefused(w.ledger, () => w.alice.createWorkspace({ additionalOwners: [b] }), 'INVALID_ADDRESS', /zen/)
      await expectRefused(w.ledger, () => w.alice.createPolicy({ name: 'p', participants: { x: b }, expression: 'x' }), 'INVALID_ADDRESS', /zen/)
      await expectRefused(w.ledger, () => w.alice.send({ to: b, amount: 1n }), 'INVALID_ADDRESS', /zen/)
    }
    for (const b of ['keyring1invalid', w.addr.alice, workspace]) {
      await expectRefused(w.ledger, () => w.op.updateKeyring({ keyring: b, description: 'x' }), 'INVALID_ADDRESS', /keyring/)
      await expectRefused(w.ledger, () => w.op.deactivateKeyring({ keyring: b }), 'INVALID_ADDRESS', /keyring/)
      await expectRefused(w.ledger, () => w.op.addKeyringParty({ keyring: b, party: w.addr.dave }), 'INVALID_ADDRESS', /keyring/)
      await expectRefused(w.ledger, () => w.alice.requestKey({ workspace, keyring: b, keyType: 'ecdsa-secp256k1' }), 'INVALID_ADDRESS', /keyring/)
    }
    for (const b of ['workspace1invalid', w.addr.alice, keyring]) {
      await expectRefused(w.ledger, () => w.alice.addWorkspaceOwner({ workspace: b, owner: w.addr.bob }), 'INVALID_ADDRESS', /workspace/)
      await expectRefused(w.ledger, () => w.alice.updateWorkspace({ workspace: b, alias: 'x' }), 'INVALID_ADDRESS', /workspace/)
      await expectRefused(w.ledger, () => w.alice.createChildWorkspace({ parent: b }), 'INVALID_ADDRESS', /workspace/)
      await expectRefused(w.ledger, () => w.alice.appendChildWorkspace({ parent: workspace, child: b }), 'INVALID_ADDRESS', /workspace/)
      await expectRefused(w.ledger, () => w.alice.requestKey({ workspace: b, keyring, keyType: 'ecdsa-secp256k1' }), 'INVALID_ADDRESS', /workspace/)
    }
  })
})
