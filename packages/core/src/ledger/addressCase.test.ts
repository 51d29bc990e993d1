import { sha256 } from '@noble/hashes/sha2.js'
import { type Message, type ZrClient, assertAddress, createEmbeddedLedger, createZrClient, generateAccount, isZrError } from '@zrkit/core'
import { describe, expect, it } from 'vitest'
import { messageAddressFields, normalizeMessageAddresses } from './normalizeMessageAddresses.js'
import { type Setup, createTestKey, expectRefused, newKeyPair, setup } from '@zrkit/testkit'
import { checkAccount } from './validate.js'

/**
 * bech32 addresses in upper case (BIP173 allows all-upper-case strings; mixed case is invalid). The
 * ledger keeps every address in lower case: an all-upper-case address in any message field is the same
 * account, so funds sent to it can be spent and an upper-case party can act; mixed case is refused with
 * INVALID_ADDRESS and changes nothing.
 */

/** The address with one letter of its data part flipped to upper case: mixed case, otherwise valid. */
function mixedCase(address: string): string {
  const sep = address.lastIndexOf('1')
  for (let i = address.length - 1; i > sep; i--) {
    if (/[a-z]/.test(address[i]!)) return `${address.slice(0, i)}${address[i]!.toUpperCase()}${address.slice(i + 1)}`
  }
  throw new Error(`no letter in the data part of ${address}`)
}

const upper = (a: string) => a.toUpperCase()

describe('assertAddress: one canonical case', () => {
  it('returns an all-upper-case address in lower case and refuses mixed case, saying so', () => {
    const alice = generateAccount('case:alice').address
    expect(assertAddress(upper(alice), 'zen')).toBe(alice)
    expect(assertAddress(alice, 'zen')).toBe(alice)
    let caught: unknown
    try {
      assertAddress(mixedCase(alice), 'zen', 'owner')
    } catch (e) {
      caught = e
    }
    expect(isZrError(caught, 'INVALID_ADDRESS')).toBe(true)
    expect((caught as { details: string }).details).toContain('mixed case')
  })

  it("the ledger's own check (checkAccount) refuses an address that was not normalised to lower case", () => {
    const alice = generateAccount('case:alice').address
    expect(checkAccount(alice, 'to')).toBe(alice)
    expect(() => checkAccount(upper(alice), 'to')).toThrowError(/lower-case form/)
    try {
      checkAccount(upper(alice), 'to')
    } catch (e) {
      expect(isZrError(e, 'INVALID_ADDRESS')).toBe(true)
    }
  })

  it('normalizeMessageAddresses lowers exactly the address fields of every message type, and leaves mixed case alone', () => {
    const a = generateAccount('case:a').address
    const m = mixedCase(a)
    expect(normalizeMessageAddresses({ type: 'bank.Send', to: upper(a), amount: 1n })).toEqual({ type: 'bank.Send', to: a, amount: 1n })
    expect(normalizeMessageAddresses({ type: 'bank.Send', to: m, amount: 1n })).toEqual({ type: 'bank.Send', to: m, amount: 1n })
    expect(normalizeMessageAddresses({ type: 'identity.NewKeyring', description: 'UPPER', parties: [upper(a)], admins: [upper(a)] })).toMatchObject({ description: 'UPPER', parties: [a], admins: [a] })
    expect(normalizeMessageAddresses({ type: 'policy.NewPolicy', name: 'P', participants: { A: upper(a) } })).toMatchObject({ name: 'P', participants: { A: a } })
    // the message the caller signed is not changed
    const signed = { type: 'bank.Send', to: upper(a), amount: 1n } as const
    normalizeMessageAddresses(signed)
    expect(signed.to).toBe(upper(a))
    expect(Object.keys(messageAddressFields).length).toBe(26)
  })
})

describe('the ledger keeps addresses in lower case', () => {
  it('a send to an upper-case address credits the lower-case account, which can then spend', async () => {
    const s = await setup()
    const bob = await s.newActor('bob')
    expect(await s.balance(bob.address)).toBe(0n)
    const receipt = await s.owner.client.send({ to: upper(bob.address), amount: 500n })
    expect(await s.balance(bob.address)).toBe(500n)
    expect(receipt.events.find((e) => e.type === 'bank.transfer')?.data.to).toBe(bob.address)
    // bob signs with his key and spends what arrived
    await bob.client.send({ to: s.owner.address, amount: 200n })
    expect(await s.balance(bob.address)).toBe(300n)
    // queries read the upper-case spelling as the same account (no second account was opened under it)
    expect(await s.ledger.query('account', { address: upper(bob.address) })).toEqual(await s.ledger.query('account', { address: bob.address }))
    expect((await s.owner.client.getBalance({ address: upper(bob.address) }))).toBe(300n)
    expect((await s.ledger.query('workspaces', { owner: upper(s.owner.address) })).items.map((w) => w.address)).toEqual([s.workspace])
    expect((await s.ledger.query('keyRequests', { workspace: upper(s.workspace) })).items).toEqual((await s.ledger.query('keyRequests', { workspace: s.workspace })).items)
  })

  it('a genesis balance for an upper-case address funds the lower-case account', async () => {
    const carol = generateAccount('case:carol')
    const ledger = await createEmbeddedLedger({ genesis: { chainId: 'zrkit-case', balances: [{ address: upper(carol.address), amount: 1_000n }] }, autoTick: false })
    expect((await ledger.query('account', { address: carol.address })).balance).toBe(1_000n)
    const client = createZrClient({ ledger, account: carol })
    await client.send({ to: generateAccount('case:dave').address, amount: 10n })
    expect((await ledger.query('account', { address: carol.address })).balance).toBe(990n)
  })

  it('a keyring party given in upper case is stored lower case and can respond', async () => {
    const s = await setup({ keyring: false })
    const party = await s.newActor('party')
    const { keyring } = await s.admin.client.createKeyring({ description: 'upper', parties: [upper(party.address)], partyThreshold: 1, keyRequestFee: 0n, signRequestFee: 0n, admins: [upper(s.owner.address)] })
    const k = await s.owner.client.getKeyring({ address: keyring })
    expect(k.parties).toEqual([party.address])
    expect(k.admins).toEqual([s.admin.address, s.owner.address])
    // the upper-case admin acts as admin
    await s.owner.client.updateKeyring({ keyring: upper(keyring), description: 'by the second admin' })
    // the upper-case party answers a key request made with upper-case workspace and keyring addresses
    const { requestId } = await s.owner.client.requestKey({ workspace: upper(s.workspace), keyring: upper(keyring), keyType: 'ecdsa-secp256k1' })
    const key = newKeyPair('ecdsa-secp256k1', 'case')
    const receipt = await party.client.fulfilKeyRequest({ requestId, result: { publicKey: key.publicKey } })
    expect(receipt.result.status).toBe('fulfilled')
    // parties and admins added in upper case
    const other = await s.newActor('other')
    await s.admin.client.addKeyringParty({ keyring, party: upper(other.address) })
    await s.admin.client.addKeyringAdmin({ keyring, admin: upper(other.address) })
    const after = await s.owner.client.getKeyring({ address: keyring })
    expect(after.parties).toEqual([party.address, other.address])
    expect(after.admins).toContain(other.address)
    await other.client.updateKeyring({ keyring, description: 'by the added admin' })
    await s.admin.client.removeKeyringParty({ keyring, party: upper(other.address) })
    expect((await s.owner.client.getKeyring({ address: keyring })).parties).toEqual([party.address])
  })

  it('workspace owners given in upper case can act; withdrawals to an upper-case address arrive', async () => {
    const s = await setup()
    const bob = await s.newActor('bob', 10_000n)
    const { workspace } = await s.owner.client.createWorkspace({ additionalOwners: [upper(bob.address), upper(s.owner.address)] })
    expect((await s.owner.client.getWorkspace({ address: workspace })).owners).toEqual([s.owner.address, bob.address])
    await bob.client.updateWorkspace({ workspace, alias: 'set by bob' })
    const carol = await s.newActor('carol', 10_000n)
    await bob.client.addWorkspaceOwner({ workspace: upper(workspace), owner: upper(carol.address) })
    expect((await s.owner.client.getWorkspace({ address: workspace })).owners).toContain(carol.address)
    await carol.client.createChildWorkspace({ parent: upper(workspace), alias: 'by carol' })
    // fees: the keyring earned the key fee of a key request; withdraw it to an upper-case address
    await createTestKey(s, 'ecdsa-secp256k1')
    const before = await s.balance(carol.address)
    await s.admin.client.withdrawKeyringFees({ keyring: upper(s.keyring), to: upper(carol.address), amount: s.keyRequestFee })
    expect(await s.balance(carol.address)).toBe(before + s.keyRequestFee)
  })

  it('policy participants given in upper case are stored lower case and can approve', async () => {
    const s = await setup({ extraOwners: 1 })
    const [alice, bob] = [s.owner, s.owners[1]!]
    const { policyId } = await alice.client.createPolicy({ name: 'both', participants: { a: upper(alice.address), b: upper(bob.address) }, expression: 'all([a, b])' })
    const policy = await alice.client.getPolicy({ id: policyId })
    expect(policy.participants).toEqual({ a: alice.address, b: bob.address })
    await alice.client.updateWorkspace({ workspace: s.workspace, adminPolicyId: policyId })
    const pending = await alice.client.updateWorkspace({ workspace: s.workspace, alias: 'needs bob' })
    expect(pending.status).toBe('pending')
    const { status } = await bob.client.approveAction({ actionId: pending.actionId! })
    expect(status).toBe('approved')
    expect((await alice.client.getWorkspace({ address: s.workspace })).alias).toBe('needs bob')
  })

  it('two spellings of one address are one address: duplicates are refused', async () => {
    const s = await setup({ keyring: false })
    const p = await s.newActor('p')
    await expectRefused(
      s.ledger,
      () => s.admin.client.createKeyring({ description: 'dup', parties: [p.address, upper(p.address)], partyThreshold: 1, keyRequestFee: 0n, signRequestFee: 0n }),
      'INVALID_INPUT',
      'distinct addresses',
    )
    await expectRefused(s.ledger, () => s.owner.client.createPolicy({ name: 'dup', participants: { a: p.address, b: upper(p.address) }, expression: 'a && b' }), 'INVALID_INPUT', 'distinct addresses')
  })
})

describe('mixed case is refused in every address field of every message, and changes no state', () => {
  type World = Setup & { bob: string }
  /** For each message type with address fields: a message that is valid apart from the field under test. */
  const messages = (w: World): Record<string, Message> => ({
    'bank.Send': { type: 'bank.Send', to: w.bob, amount: 1n },
    'identity.NewWorkspace': { type: 'identity.NewWorkspace', additionalOwners: [w.bob] },
    'identity.AddWorkspaceOwner': { type: 'identity.AddWorkspaceOwner', workspace: w.workspace, owner: w.bob },
    'identity.RemoveWorkspaceOwner': { type: 'identity.RemoveWorkspaceOwner', workspace: w.workspace, owner: w.bob },
    'identity.UpdateWorkspace': { type: 'identity.UpdateWorkspace', workspace: w.workspace, alias: 'x' },
    'identity.NewChildWorkspace': { type: 'identity.NewChildWorkspace', parent: w.workspace },
    'identity.AppendChildWorkspace': { type: 'identity.AppendChildWorkspace', parent: w.workspace, child: w.workspace },
    'identity.SetWorkspaceAllowlist': { type: 'identity.SetWorkspaceAllowlist', workspace: w.workspace, name: 'treasury', entries: [w.bob] },
    'identity.SetWorkspaceToken': { type: 'identity.SetWorkspaceToken', workspace: w.workspace, name: 'usdc' },
    'identity.NewKeyring': { type: 'identity.NewKeyring', description: 'k', parties: [w.bob], partyThreshold: 1, keyRequestFee: 0n, signRequestFee: 0n, admins: [w.bob] },
    'identity.UpdateKeyring': { type: 'identity.UpdateKeyring', keyring: w.keyring, description: 'd' },
    'identity.AddKeyringParty': { type: 'identity.AddKeyringParty', keyring: w.keyring, party: w.bob },
    'identity.RemoveKeyringParty': { type: 'identity.RemoveKeyringParty', keyring: w.keyring, party: w.bob },
    'identity.AddKeyringAdmin': { type: 'identity.AddKeyringAdmin', keyring: w.keyring, admin: w.bob },
    'identity.RemoveKeyringAdmin': { type: 'identity.RemoveKeyringAdmin', keyring: w.keyring, admin: w.bob },
    'identity.DeactivateKeyring': { type: 'identity.DeactivateKeyring', keyring: w.keyring },
    'identity.WithdrawKeyringFees': { type: 'identity.WithdrawKeyringFees', keyring: w.keyring, to: w.bob, amount: 1n },
    'policy.NewPolicy': { type: 'policy.NewPolicy', name: 'p', participants: { a: w.bob }, expression: 'a' },
    'treasury.NewKeyRequest': { type: 'treasury.NewKeyRequest', workspace: w.workspace, keyring: w.keyring, keyType: 'ecdsa-secp256k1' },
  })

  /** The same message with `field` spelled by `spell` (inside lists and alias records too). */
  function respell(msg: Message, field: string, spell: (a: string) => string): Message {
    const v = (msg as Record<string, unknown>)[field]
    const next = Array.isArray(v) ? v.map(spell) : typeof v === 'object' && v !== null ? Object.fromEntries(Object.entries(v).map(([k, a]) => [k, spell(a as string)])) : spell(v as string)
    return { ...msg, [field]: next } as Message
  }

  const cases = Object.entries(messageAddressFields).flatMap(([type, f]) => [...(f.one ?? []), ...(f.list ?? []), ...(f.record ?? [])].map((field) => [type, field] as const))

  it('covers every address field the table names', () => {
    expect(cases.length).toBe(29)
  })

  it.each(cases)('%s.%s', async (type, field) => {
    const s = await setup()
    const w: World = { ...s, bob: (await s.newActor('bob')).address }
    const base = messages(w)[type]!
    expect(base, `a base message for ${type}`).toBeDefined()
    const client: ZrClient = type.startsWith('identity.') && type.includes('Keyring') && type !== 'identity.NewKeyring' ? s.admin.client : s.owner.client
    await expectRefused(s.ledger, () => client.sendMessage({ msg: respell(base, field, mixedCase) }), 'INVALID_ADDRESS')
    // the same field in all upper case is the same address: never refused for its spelling
    try {
      await client.sendMessage({ msg: respell(base, field, upper) })
    } catch (e) {
      expect(isZrError(e, 'INVALID_ADDRESS'), `${type}.${field} in upper case: ${String(e)}`).toBe(false)
    }
  })

  it('a genesis with a mixed-case address is refused', async () => {
    const a = generateAccount(`case:${sha256(new Uint8Array([1]))[0]}`).address
    await expect(createEmbeddedLedger({ genesis: { chainId: 'zrkit-case', balances: [{ address: mixedCase(a), amount: 1n }] } })).rejects.toMatchObject({ code: 'INVALID_ADDRESS' })
  })
})
