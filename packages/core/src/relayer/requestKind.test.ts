import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { localKeyringWorld } from '@zrkit/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type DecodeTransactionInput,
  type RelayAdapter,
  type TransactionDecoder,
  type ZrClient,
  createRelayer,
  isZrError,
  toHex,
  ZrError,
} from '@zrkit/core'

/*
 * Which request the relay pipeline makes: a sign-transaction request when the adapter gives the transaction
 * and the ledger decodes its chain, else the payloads alone. The chain is a toy written for this test (its
 * transactions are `pay <amount> to <name>` text, signed over sha256 of the text); the real chains are in
 * test/transactions/.
 */

const utf8 = (s: string) => new TextEncoder().encode(s)

const toyDecoder: TransactionDecoder = {
  chain: 'toy',
  version: 1,
  nativeUnits: { coin: 0 },
  normalizeAddress: (a) => a,
  decode({ unsignedTransaction }: DecodeTransactionInput) {
    const m = /^pay ([0-9]+) to ([a-z]+)$/.exec(new TextDecoder().decode(unsignedTransaction))
    if (!m) throw new ZrError('INVALID_TRANSACTION', 'Invalid toy transaction.', { details: 'expected "pay <amount> to <name>"' })
    return {
      payloads: [sha256(unsignedTransaction)],
      transaction: { chain: 'toy', decoder: 'toy@1', network: 'toy:test', format: 'text', from: 'me', transfers: [{ kind: 'transfer', asset: 'native', to: m[2]!, amount: BigInt(m[1]!) }], calls: [], fee: 0n, feeAsset: 'native', fields: {} },
    }
  },
}

/** An adapter whose network accepts any transaction whose signature verifies; `digest` overrides the payload (a buggy adapter). */
function toyAdapter(options: { transaction?: boolean; digest?: (text: string) => Uint8Array } = {}): RelayAdapter<{ amount: number; to: string }, { ok: true }> {
  return {
    chain: 'toy:test',
    keyTypes: ['ecdsa-secp256k1'],
    async prepare(intent) {
      const text = `pay ${intent.amount} to ${intent.to}`
      const digest = options.digest?.(text) ?? sha256(utf8(text))
      return { unsignedTx: text, payloads: [digest], summary: { to: intent.to }, ...(options.transaction === false ? {} : { transaction: { chain: 'toy', unsignedTransaction: utf8(text) } }) }
    },
    payloads: (text) => [options.digest?.(text) ?? sha256(utf8(text))],
    assemble: (text, [signature]) => ({ signedTx: `${text}|${toHex(signature!)}`, txid: toHex(sha256(utf8(`${text}|${toHex(signature!)}`))) }),
    async broadcast() {},
    async confirm() {
      return { ok: true }
    },
  }
}

const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {})
})

async function world(decoders: boolean) {
  const w = await localKeyringWorld({ chainId: 'zrkit-request-kind', signPolicy: 'tx.value <= 10 coin && any(1, [alice, bob]) || all([alice, bob])', transactionDecoders: [toyDecoder], decode: decoders })
  cleanup.push(() => w.close())
  const key = await w.key('ecdsa-secp256k1')
  return { alice: w.alice, bob: w.bob, keyId: key.id, publicKey: key.publicKey }
}

async function refused(p: Promise<unknown>): Promise<ZrError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  )
  if (!isZrError(e)) throw new Error(`expected a ZrError, got ${String(e)}`)
  return e
}

describe('relay pipeline: which request it makes', () => {
  it('auto: a sign-transaction request the policy judges: a small payment on the requester alone, a large one waits for bob', async () => {
    const w = await world(true)
    const relayer = createRelayer({ client: w.alice, adapter: toyAdapter() })
    const small = await relayer.relay({ keyId: w.keyId, intent: { amount: 10, to: "carol" }, timeoutMs: 10_000 })
    expect(await relayer.getRelay({ requestId: small.requestId })).toMatchObject({ requestKind: 'transaction', status: 'confirmed' })
    const request = await w.alice.getSignRequest({ id: small.requestId })
    expect(request.transaction?.decoded.transfers).toEqual([{ kind: 'transfer', asset: 'native', to: 'carol', amount: 10n }])
    // the signature is over the ledger's digest of the transaction, checked with noble
    expect(secp256k1.verify(request.signatures![0]!.subarray(0, 64), sha256(utf8('pay 10 to carol')), w.publicKey, { prehash: false })).toBe(true)

    const events: string[] = []
    const big = await relayer.submit({ keyId: w.keyId, intent: { amount: 11, to: 'carol' } })
    expect(big.status).toBe('partial')
    const action = await w.bob.getAction({ id: big.actionId! })
    expect(action.conditions).toEqual([{ condition: 'tx.value <= 10 coin', holds: false, why: 'moves 11 coin' }])
    const done = relayer.resume({ requestId: big.requestId, timeoutMs: 10_000, onEvent: (e) => events.push(e.type) })
    await w.bob.approveAction({ actionId: big.actionId! })
    await done
    expect(await relayer.getRelay({ requestId: big.requestId })).toMatchObject({ requestKind: 'transaction', status: 'confirmed' })
    expect(events).toContain('confirmed')
  })

  it('auto on a ledger without the decoder, or an adapter without the transaction: the payloads alone, which the policy cannot judge', async () => {
    const plain = await world(false)
    const a = await createRelayer({ client: plain.alice, adapter: toyAdapter() }).submit({ keyId: plain.keyId, intent: { amount: 1, to: 'carol' } })
    expect(a.status).toBe('partial') // opaque: the small-payment clause does not hold
    expect(a.requestKind).toBe('payloads')
    expect((await plain.alice.getSignRequest({ id: a.requestId })).transaction).toBeUndefined()
    const w = await world(true)
    const b = await createRelayer({ client: w.alice, adapter: toyAdapter({ transaction: false }) }).submit({ keyId: w.keyId, intent: { amount: 1, to: 'carol' } })
    expect(b.status).toBe('partial')
    const forced = await createRelayer({ client: w.alice, adapter: toyAdapter(), requestKind: 'payloads' }).submit({ keyId: w.keyId, intent: { amount: 1, to: 'carol' } })
    expect(forced.status).toBe('partial')
  })

  it("requestKind 'transaction' on a ledger without the decoder is refused; an adapter whose payloads differ from the ledger's is caught", async () => {
    const plain = await world(false)
    const e = await refused(createRelayer({ client: plain.alice, adapter: toyAdapter(), requestKind: 'transaction' }).submit({ keyId: plain.keyId, intent: { amount: 1, to: 'carol' } }))
    expect(e.code).toBe('UNSUPPORTED_CHAIN')
    const w = await world(true)
    const lying = createRelayer({ client: w.alice, adapter: toyAdapter({ digest: (text) => sha256(utf8(`${text} and more`)) }) })
    const m = await refused(lying.submit({ keyId: w.keyId, intent: { amount: 1, to: 'carol' } }))
    expect(m.code).toBe('RELAY_MISMATCH')
    expect(m.details).toContain("the ledger's toy decoder gives 1 payload(s) that differ from the 1 of the toy:test adapter")
    // a large one waits for approvers: its action is revoked, so nobody approves a relay that will never be assembled
    const big = await refused(lying.submit({ keyId: w.keyId, intent: { amount: 50, to: 'carol' } }))
    if (!isZrError(big, 'RELAY_MISMATCH')) throw big
    const request = await w.alice.getSignRequest({ id: big.context.requestId! })
    expect(request.status).toBe('rejected')
    expect(big.details).toContain(`its approval action ${request.actionId} was revoked`)
    expect((await w.alice.getAction({ id: request.actionId! })).status).toBe('revoked')
    await expect(Promise.resolve().then(() => createRelayer({ client: w.alice as ZrClient, adapter: toyAdapter(), requestKind: 'sometimes' as never }))).rejects.toThrow(/expected 'auto', 'transaction' or 'payloads'/)
  })
})
