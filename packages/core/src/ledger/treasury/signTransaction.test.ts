import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sha256 } from '@noble/hashes/sha2.js'
import { createTestKey, expectRefused, schemeSign, setup } from '@zrkit/testkit'
import { describe, expect, it } from 'vitest'
import { createConnector, createEmbeddedLedger, isZrError, localKeyring, ZrError, type DecodeTransactionInput, type KeyringBackend, type TransactionDecoder } from '../../index.js'
import { fileStore } from '../../node.js'

/*
 * The ledger's side of sign-transaction requests, with a decoder plugin written for this test: a "toy"
 * chain whose transactions are `to=<address>;amount=<n>[;call=<address>]` text. It stands in for the
 * decoder interface only; the real decoders (EVM, Bitcoin, Solana, Cosmos) are tested against their host
 * libraries in their packages and end to end in test/transactions/.
 */
function toyDecoder(version = 1, overrides: Partial<TransactionDecoder> = {}): TransactionDecoder {
  return {
    chain: 'toy',
    version,
    nativeUnits: { toy: 2, cent: 0 },
    normalizeAddress(a: string) {
      if (!/^t[a-z0-9]{1,20}$/i.test(a)) throw new ZrError('INVALID_INPUT', 'Invalid toy address.', { details: `expected t + letters and digits, got ${a}` })
      return a.toLowerCase()
    },
    decode({ unsignedTransaction }: DecodeTransactionInput) {
      const text = new TextDecoder().decode(unsignedTransaction)
      const m = /^to=(t[a-z0-9]+);amount=([0-9]+)(?:;call=(t[a-z0-9]+))?$/.exec(text)
      if (!m) throw new ZrError('INVALID_TRANSACTION', 'Invalid toy transaction.', { details: `expected to=<address>;amount=<n>, got ${JSON.stringify(text.slice(0, 40))}` })
      return {
        payloads: [sha256(unsignedTransaction)],
        transaction: {
          chain: 'toy',
          decoder: `toy@${version}`,
          network: 'toy:test',
          format: 'text',
          from: 'tself',
          transfers: [{ kind: 'transfer' as const, asset: 'native', to: m[1]!, amount: BigInt(m[2]!) }],
          calls: m[3] ? [{ to: m[3], value: 0n }] : [],
          fee: 1n,
          feeAsset: 'native',
          fields: { text },
        },
      }
    },
    ...overrides,
  }
}
const utf8 = (s: string) => new TextEncoder().encode(s)
const TREASURY = 'ttreasury'

async function world(decoder: TransactionDecoder = toyDecoder()) {
  const s = await setup({ extraOwners: 1, transactionDecoders: [decoder] })
  const [alice, bob] = [s.owner, s.owners[1]!]
  const { policyId } = await alice.client.createPolicy({
    name: 'small payments on one approval',
    participants: { alice: alice.address, bob: bob.address },
    expression: 'tx.value <= 1 toy && any(1, [alice, bob]) || all([alice, bob])',
  })
  await alice.client.updateWorkspace({ workspace: s.workspace, signPolicyId: policyId })
  const key = await createTestKey(s, 'ecdsa-secp256k1')
  return { s, alice, bob, key, policyId }
}

describe('sign-transaction requests on the ledger', () => {
  it('a small payment goes ahead on the requester alone; the ledger computed the payloads and kept the decoded transaction', async () => {
    const { s, alice, key } = await world()
    const bytes = utf8('to=tbob;amount=100')
    const { requestId, status } = await alice.client.requestTransactionSignature({ keyId: key.keyId, chain: 'toy', unsignedTransaction: bytes })
    expect(status).toBe('pending')
    const r = await alice.client.getSignRequest({ id: requestId })
    expect(r.payloads).toEqual([sha256(bytes)])
    expect(r.transaction?.unsignedTransaction).toEqual(bytes)
    expect(r.transaction?.decoded).toMatchObject({ chain: 'toy', decoder: 'toy@1', transfers: [{ to: 'tbob', amount: 100n }] })
    expect(r.transaction?.conditions).toEqual([{ condition: 'tx.value <= 1 toy', holds: true, why: 'moves 1 toy' }])
    expect(r.decidedBy).toBe('approved by the clause tx.value <= 1 toy && any(1, [alice, bob])')
    // the keyring signs the ledger's digest, and the ledger checks the signature against it
    const receipt = await s.parties[0]!.client.fulfilSignRequest({ requestId, result: { signatures: [schemeSign(key, sha256(bytes))] } })
    expect(receipt.result.status).toBe('fulfilled')
  })

  it('a large one waits for bob; the action shows the transaction and why; the approval names the deciding clause', async () => {
    const { alice, bob, key } = await world()
    const { requestId, status, actionId } = await alice.client.requestTransactionSignature({ keyId: key.keyId, chain: 'toy', unsignedTransaction: utf8('to=tbob;amount=101') })
    expect(status).toBe('partial')
    const action = await bob.client.getAction({ id: actionId! })
    expect(action.subject).toMatchObject({ kind: 'sign-request', signRequestId: requestId, transaction: { transfers: [{ to: 'tbob', amount: 101n }] } })
    expect(action.conditions).toEqual([{ condition: 'tx.value <= 1 toy', holds: false, why: 'moves 1.01 toy' }])
    await bob.client.approveAction({ actionId: actionId! })
    const after = await bob.client.getAction({ id: actionId! })
    expect(after.status).toBe('approved')
    expect(after.decidedBy).toBe('approved by the clause all([alice, bob])')
    const r = await alice.client.getSignRequest({ id: requestId })
    expect(r).toMatchObject({ status: 'pending', decidedBy: 'approved by the clause all([alice, bob])' })
  })

  it("the keyring's backend is handed the decoded transaction, so a keyring can hold its own limit beside the policy", async () => {
    const { s, alice, bob, key } = await world()
    const local = localKeyring()
    const seen: (string | undefined)[] = []
    const backend: KeyringBackend = {
      ...local,
      keyTypes: ['ecdsa-secp256k1'],
      async createKey() {
        throw new Error('not used')
      },
      async sign(input) {
        seen.push(input.transaction?.decoded.decoder)
        const moved = input.transaction?.decoded.transfers.reduce((sum, t) => sum + t.amount, 0n) ?? 0n
        if (moved > 500n) throw new Error(`over this keyring's limit of 5 toy (asked ${moved})`)
        return { signatures: input.payloads.map((p) => schemeSign(key, p)) }
      },
    }
    const connector = createConnector({ ledger: s.ledger, account: s.parties[0]!.account, keyring: s.keyring, backend })
    await connector.start()
    try {
      const small = await alice.client.requestTransactionSignature({ keyId: key.keyId, chain: 'toy', unsignedTransaction: utf8('to=tbob;amount=100') })
      expect((await alice.client.waitForSignRequest({ requestId: small.requestId, timeoutMs: 5_000 })).status).toBe('fulfilled')
      const big = await alice.client.requestTransactionSignature({ keyId: key.keyId, chain: 'toy', unsignedTransaction: utf8('to=tbob;amount=900') })
      await bob.client.approveAction({ actionId: big.actionId! })
      await expect(alice.client.waitForSignRequest({ requestId: big.requestId, timeoutMs: 5_000 })).rejects.toMatchObject({ code: 'REQUEST_REJECTED', details: expect.stringContaining("over this keyring's limit of 5 toy (asked 900)") })
      expect(seen).toEqual(['toy@1', 'toy@1'])
    } finally {
      await connector.stop()
    }
  })

  it('a preview says what a request would do, storing and paying nothing, and the request then does exactly that', async () => {
    const { s, alice, bob, key } = await world()
    for (const [text, decision, clause] of [
      ['to=tbob;amount=100', 'approved', 'approved by the clause tx.value <= 1 toy && any(1, [alice, bob])'],
      ['to=tbob;amount=101', 'pending', 'pending: waiting for all([alice, bob])'],
    ] as const) {
      const before = s.ledger.stateHash()
      const balance = await s.balance(alice.address)
      const preview = await alice.client.previewTransactionSignature({ keyId: key.keyId, chain: 'toy', unsignedTransaction: utf8(text) })
      expect(s.ledger.stateHash()).toBe(before)
      expect(await s.balance(alice.address)).toBe(balance)
      expect(preview).toMatchObject({ decision, decidedBy: clause, payloads: [sha256(utf8(text))], transaction: { decoder: 'toy@1' } })
      const made = await alice.client.requestTransactionSignature({ keyId: key.keyId, chain: 'toy', unsignedTransaction: utf8(text) })
      const request = await alice.client.getSignRequest({ id: made.requestId })
      expect(made.status).toBe(decision === 'approved' ? 'pending' : 'partial')
      expect(request.payloads).toEqual(preview.payloads)
      expect(request.transaction?.conditions).toEqual(preview.conditions)
    }
    // another owner's preview counts that owner's own approval
    expect((await bob.client.previewTransactionSignature({ keyId: key.keyId, chain: 'toy', unsignedTransaction: utf8('to=tbob;amount=1') })).decision).toBe('approved')
    await expectRefused(s.ledger, () => alice.client.previewTransactionSignature({ keyId: key.keyId, chain: 'toy', unsignedTransaction: utf8('nonsense') }), 'INVALID_TRANSACTION', 'expected to=<address>;amount=<n>')
    await expectRefused(s.ledger, () => alice.client.previewTransactionSignature({ keyId: 999, chain: 'toy', unsignedTransaction: utf8('to=tbob;amount=1') }), 'KEY_NOT_FOUND')
  })

  it('raw payloads are opaque to the policy: the transaction clause does not hold, so both must approve', async () => {
    const { alice, key } = await world()
    const { status } = await alice.client.requestSignature({ keyId: key.keyId, payloads: [sha256(utf8('to=tbob;amount=1'))] })
    expect(status).toBe('partial')
  })

  it('a transaction the policy does not cover is denied at once, with the conditions that failed, and the fee refunded', async () => {
    const s = await setup({ extraOwners: 1, transactionDecoders: [toyDecoder()] })
    const [alice, bob] = [s.owner, s.owners[1]!]
    const { policyId } = await alice.client.createPolicy({
      name: 'treasury only',
      participants: { alice: alice.address, bob: bob.address },
      expression: 'tx.value <= 1 toy && alice || tx.to in allowlist(treasury) && all([alice, bob])',
    })
    await alice.client.updateWorkspace({ workspace: s.workspace, signPolicyId: policyId })
    await alice.client.setWorkspaceAllowlist({ workspace: s.workspace, name: 'treasury', entries: [TREASURY.toUpperCase().replace('T', 't')] })
    const key = await createTestKey(s, 'ecdsa-secp256k1')
    const balance = await s.balance(alice.address)
    const denied = await alice.client.requestTransactionSignature({ keyId: key.keyId, chain: 'toy', unsignedTransaction: utf8('to=tstranger;amount=500') })
    expect(denied.status).toBe('rejected')
    const r = await alice.client.getSignRequest({ id: denied.requestId })
    expect(r.rejectReason).toContain('tx.to in allowlist(treasury) is false: recipient tstranger is not on allowlist treasury')
    expect(r.decidedBy).toBe('rejected: none of its 2 clauses can hold')
    expect(await s.balance(alice.address)).toBe(balance) // escrowed and refunded
    // the same amount to the treasury waits for bob; a contract call to the treasury is not a payment, so denied
    expect((await alice.client.requestTransactionSignature({ keyId: key.keyId, chain: 'toy', unsignedTransaction: utf8('to=ttreasury;amount=500') })).status).toBe('partial')
    expect((await alice.client.requestTransactionSignature({ keyId: key.keyId, chain: 'toy', unsignedTransaction: utf8('to=ttreasury;amount=5;call=tdex') })).status).toBe('rejected')
  })

  it('allowlists and tokens change under the admin policy, and a token must be on a chain the ledger decodes', async () => {
    const s = await setup({ extraOwners: 1, transactionDecoders: [toyDecoder()] })
    const [alice, bob] = [s.owner, s.owners[1]!]
    const { policyId } = await alice.client.createPolicy({ name: 'both', participants: { alice: alice.address, bob: bob.address }, expression: 'all([alice, bob])' })
    await alice.client.updateWorkspace({ workspace: s.workspace, adminPolicyId: policyId })
    const pending = await alice.client.setWorkspaceAllowlist({ workspace: s.workspace, name: 'treasury', entries: [TREASURY] })
    expect(pending.status).toBe('pending')
    expect((await alice.client.getWorkspace({ address: s.workspace })).allowlists).toBeUndefined()
    await bob.client.approveAction({ actionId: pending.actionId! })
    expect((await alice.client.getWorkspace({ address: s.workspace })).allowlists).toEqual({ treasury: [TREASURY] })
    await expectRefused(s.ledger, () => alice.client.setWorkspaceToken({ workspace: s.workspace, name: 'usdc', token: { chain: 'evm', asset: '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48', decimals: 6 } }), 'UNSUPPORTED_CHAIN', 'expected a chain this ledger decodes (toy), got "evm"')
    await expectRefused(s.ledger, () => alice.client.setWorkspaceAllowlist({ workspace: s.workspace, name: 'bad name', entries: [] }), 'INVALID_INPUT', 'expected a name like treasury')
    await expectRefused(s.ledger, () => alice.client.setWorkspaceAllowlist({ workspace: s.workspace, name: 'x', entries: ['a', 'a'] }), 'INVALID_INPUT', 'distinct addresses')
    const token = await alice.client.setWorkspaceToken({ workspace: s.workspace, name: 'gold', token: { chain: 'toy', asset: 'TGOLD', decimals: 3 } })
    await bob.client.approveAction({ actionId: token.actionId! })
    // stored in the decoder's address form
    expect((await alice.client.getWorkspace({ address: s.workspace })).tokens).toEqual({ gold: { chain: 'toy', asset: 'tgold', decimals: 3 } })
  })

  it('refuses what it cannot decode with a typed error and no change of state, whatever the decoder does', async () => {
    const { s, alice, key } = await world()
    await expectRefused(s.ledger, () => alice.client.requestTransactionSignature({ keyId: key.keyId, chain: 'evm', unsignedTransaction: '0x02' }), 'UNSUPPORTED_CHAIN', 'expected a chain this ledger decodes (toy), got "evm"')
    await expectRefused(s.ledger, () => alice.client.requestTransactionSignature({ keyId: key.keyId, chain: 'toy', unsignedTransaction: utf8('send everything') }), 'INVALID_TRANSACTION', 'expected to=<address>;amount=<n>')
    await expectRefused(s.ledger, () => alice.client.requestTransactionSignature({ keyId: key.keyId, chain: 'toy', unsignedTransaction: new Uint8Array(0) }), 'INVALID_INPUT', 'expected 1..65536 bytes')
    await expectRefused(s.ledger, () => alice.client.requestTransactionSignature({ keyId: key.keyId, chain: 'toy', unsignedTransaction: new Uint8Array(65_537) }), 'INVALID_INPUT', 'expected 1..65536 bytes')

    // a decoder that crashes, or answers nonsense, is contained
    const cases: [string, Partial<TransactionDecoder>, string][] = [
      ['throws', { decode: () => { throw new TypeError('boom') } }, 'the toy decoder failed: boom'],
      ['negative amount', { decode: (i) => ({ ...toyDecoder().decode(i), transaction: { ...toyDecoder().decode(i).transaction, fee: -1n } }) }, 'returned a bad transaction.fee: expected a bigint in 0..2^256-1, got -1n'],
      ['another chain', { decode: (i) => ({ ...toyDecoder().decode(i), transaction: { ...toyDecoder().decode(i).transaction, chain: 'evm' } }) }, 'returned a bad transaction.chain'],
      ['no payloads', { decode: (i) => ({ ...toyDecoder().decode(i), payloads: [] }) }, 'returned a bad payloads'],
    ]
    for (const [name, override, details] of cases) {
      const bad = await world(toyDecoder(1, override))
      const e = await expectRefused(bad.s.ledger, () => bad.alice.client.requestTransactionSignature({ keyId: bad.key.keyId, chain: 'toy', unsignedTransaction: utf8('to=tbob;amount=1') }), 'INVALID_TRANSACTION', details)
      expect(e.context, name).toMatchObject({ chain: 'toy' })
    }
    // a payload the key type cannot sign (a 31-byte "digest" for an ECDSA key) is refused like a raw one
    const short = await world(toyDecoder(1, { decode: (i) => ({ ...toyDecoder().decode(i), payloads: [new Uint8Array(31)] }) }))
    await expectRefused(short.s.ledger, () => short.alice.client.requestTransactionSignature({ keyId: short.key.keyId, chain: 'toy', unsignedTransaction: utf8('to=tbob;amount=1') }), 'INVALID_PAYLOAD', 'expected 32-byte digest')
  })

  it('the decoders are part of the genesis: reopening needs the same versions, and replay gives the same state', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'zrkit-decoders-'))
    try {
      const genesis = { chainId: 'zrkit-decoders', transactionDecoders: ['toy@1'] }
      const first = await createEmbeddedLedger({ genesis, store: fileStore(dir), transactionDecoders: [toyDecoder(1)], autoTick: false })
      const hash = first.stateHash()
      await first.close()
      for (const [given, details] of [
        [[toyDecoder(2)], 'genesis runs toy@1; the ledger was opened with toy@2'],
        [[], 'genesis runs toy@1; the ledger was opened with no decoder for toy (transactionDecoders: none)'],
      ] as const) {
        const e = await createEmbeddedLedger({ genesis, store: fileStore(dir), transactionDecoders: given, autoTick: false }).then(
          () => undefined,
          (err: unknown) => err,
        )
        expect(isZrError(e, 'INVALID_CONFIG'), String(e)).toBe(true)
        expect((e as ZrError).details).toContain(details)
      }
      const again = await createEmbeddedLedger({ genesis, store: fileStore(dir), transactionDecoders: [toyDecoder(1)], autoTick: false })
      expect(again.stateHash()).toBe(hash)
      await again.close()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('checks the decoders it is given and the genesis list', async () => {
    const bad = async (options: Parameters<typeof createEmbeddedLedger>[0], code: string, details: string) => {
      const e = await createEmbeddedLedger(options).then(
        () => undefined,
        (err: unknown) => err,
      )
      expect(isZrError(e), String(e)).toBe(true)
      expect((e as ZrError).code).toBe(code)
      expect((e as ZrError).details).toContain(details)
    }
    await bad({ genesis: { chainId: 'c' }, transactionDecoders: [{ chain: 'EVM' } as never] }, 'INVALID_CONFIG', 'expected transactionDecoders[0].chain to be a lower-case name like "evm", got "EVM"')
    await bad({ genesis: { chainId: 'c' }, transactionDecoders: [toyDecoder(), toyDecoder()] }, 'INVALID_CONFIG', 'expected one decoder per chain, got two for toy')
    await bad({ genesis: { chainId: 'c' }, transactionDecoders: [toyDecoder(1, { nativeUnits: { toy: 1.5 } })] }, 'INVALID_CONFIG', 'expected transactionDecoders[0].nativeUnits entries like { eth: 18 }')
    await bad({ genesis: { chainId: 'c', transactionDecoders: ['toy'] }, transactionDecoders: [toyDecoder()] }, 'INVALID_INPUT', 'expected a "chain@version" string such as "evm@1", got "toy"')
    await bad({ genesis: { chainId: 'c', transactionDecoders: ['toy@1', 'toy@1'] }, transactionDecoders: [toyDecoder()] }, 'INVALID_INPUT', 'expected each chain once')
  })

  it('a new policy must fit the ledger: tx.chain names a chain it decodes, tx.value a native unit of one', async () => {
    const { s, alice } = await world()
    const create = (expression: string) => alice.client.createPolicy({ name: 'p', participants: { alice: alice.address }, expression })
    await expectRefused(s.ledger, () => create('tx.chain == evm && alice'), 'INVALID_POLICY', 'expected tx.chain compared with a chain this ledger decodes (toy), got evm')
    await expectRefused(s.ledger, () => create('tx.value <= 1 eth && alice'), 'INVALID_POLICY', 'expected tx.value in a native unit of a chain this ledger decodes (toy, cent), got eth')
    // token names and allowlists belong to the workspace that uses the policy: looked up when a request comes
    expect((await create('tx.amount <= 1 usdc && tx.to in allowlist(anything) && alice')).policyId).toBeGreaterThan(0)
    // a ledger that decodes nothing takes such a policy: every condition is false there (its requests are opaque)
    const plain = await setup()
    expect((await plain.owner.client.createPolicy({ name: 'p', participants: { a: plain.owner.address }, expression: 'tx.value <= 1 eth && a' })).policyId).toBeGreaterThan(0)
  })

  it('a ledger whose genesis lists no decoders refuses every sign-transaction request', async () => {
    const s = await setup()
    const key = await createTestKey(s, 'ecdsa-secp256k1')
    await expectRefused(s.ledger, () => s.owner.client.requestTransactionSignature({ keyId: key.keyId, chain: 'toy', unsignedTransaction: utf8('to=tbob;amount=1') }), 'UNSUPPORTED_CHAIN', 'none: its genesis lists no transactionDecoders')
  })
})
