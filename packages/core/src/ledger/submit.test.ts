import { type Message, type SignedTx, type ZrError, errorCodes, isZrError, sendMessage, signTx } from '@zrkit/core'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Actor, type Setup, type TestKey, createTestKey, expectRefused, fuzzRuns, setup } from '@zrkit/testkit'

/**
 * `submit` on the embedded ledger given random and mutated messages and signed txs: it accepts or
 * refuses, and every refusal is a ZrError with a released code that changed nothing (state hash,
 * height, events, the sender's account). The same holds on the paths a client takes to get there
 * (`signTx`, `sendMessage`).
 */

function deepObject(depth: number): unknown {
  let v: unknown = 1
  for (let i = 0; i < depth; i++) v = { d: v }
  return v
}
function cyclicObject(): unknown {
  const o: Record<string, unknown> = { type: 'bank.Send' }
  o.self = o
  return o
}
function throwingGetter(): unknown {
  return Object.defineProperty({}, 'amount', { enumerable: true, get: () => { throw new Error('getter failed') } })
}

/** Values no message field takes, and some that it does, to put anywhere in a message or a tx. */
const hostile: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(undefined, null, true, 0, -0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53 + 2, 1e308, '', 'toString', '__proto__', 'constructor', 'hasOwnProperty'),
  fc.bigInt(),
  fc.constantFrom(-1n, 0n, 1n, 2n ** 128n, 2n ** 256n),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', minLength: 250, maxLength: 600 }),
  fc.uint8Array({ maxLength: 70 }),
  fc.constantFrom(32, 33, 64, 65).map((n) => new Uint8Array(n).fill(7)),
  fc.array(fc.oneof(fc.bigInt(), fc.integer(), fc.string({ maxLength: 4 })), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.bigInt(), fc.string({ maxLength: 6 }), fc.integer()), { maxKeys: 3 }),
  fc.constantFrom(200, 5_000).map(deepObject),
  fc.constant(null).map(cyclicObject),
  fc.constant(null).map(throwingGetter),
  fc.constant(null).map(() => new Map([[1, 2]])),
  fc.constant(null).map(() => Symbol('s')),
  fc.constant(null).map(() => () => 1),
  fc.constant(null).map(() => Object.create(null) as unknown),
  fc.constant(null).map(() => JSON.parse('{"__proto__":{"type":"bank.Send"}}') as unknown),
)

/** Well-formed messages of every type, so that mutations reach deep into the handlers. */
function templates(s: Setup, key: TestKey): Record<string, unknown>[] {
  const [party] = s.parties as [Actor]
  return [
    { type: 'bank.Send', to: s.outsider.address, amount: 1n },
    { type: 'identity.NewWorkspace', additionalOwners: [s.outsider.address], alias: 'w' },
    { type: 'identity.AddWorkspaceOwner', workspace: s.workspace, owner: s.outsider.address },
    { type: 'identity.RemoveWorkspaceOwner', workspace: s.workspace, owner: s.outsider.address },
    { type: 'identity.UpdateWorkspace', workspace: s.workspace, alias: 'renamed', signPolicyId: 1 },
    { type: 'identity.NewChildWorkspace', parent: s.workspace, alias: 'child' },
    { type: 'identity.AppendChildWorkspace', parent: s.workspace, child: s.workspace },
    { type: 'identity.NewKeyring', description: 'k', parties: [party.address], partyThreshold: 1, keyRequestFee: 1n, signRequestFee: 1n, admins: [s.owner.address] },
    { type: 'identity.UpdateKeyring', keyring: s.keyring, description: 'd', keyRequestFee: 2n, isActive: true },
    { type: 'identity.AddKeyringParty', keyring: s.keyring, party: s.outsider.address, increaseThreshold: false },
    { type: 'identity.RemoveKeyringParty', keyring: s.keyring, party: party.address },
    { type: 'identity.AddKeyringAdmin', keyring: s.keyring, admin: s.outsider.address },
    { type: 'identity.RemoveKeyringAdmin', keyring: s.keyring, admin: s.admin.address },
    { type: 'identity.DeactivateKeyring', keyring: s.keyring },
    { type: 'identity.WithdrawKeyringFees', keyring: s.keyring, to: s.owner.address, amount: 1n },
    { type: 'policy.NewPolicy', name: 'p', participants: { a: s.owner.address, b: s.outsider.address }, expression: 'any(1, [a, b])', ttlMs: 60_000 },
    { type: 'policy.ApproveAction', actionId: 1 },
    { type: 'policy.RejectAction', actionId: 1 },
    { type: 'policy.RevokeAction', actionId: 1 },
    { type: 'treasury.NewKeyRequest', workspace: s.workspace, keyring: s.keyring, keyType: 'ecdsa-secp256k1', ttlMs: 60_000 },
    { type: 'treasury.FulfilKeyRequest', requestId: 1, result: { publicKey: key.publicKey }, partySignature: new Uint8Array(64) },
    { type: 'treasury.NewSignRequest', keyId: key.keyId, payloads: [new Uint8Array(32).fill(1)], path: [0, 'x'], taproot: {}, metadata: { a: 'b' }, ttlMs: 60_000 },
    { type: 'treasury.FulfilSignRequest', requestId: 1, result: { signatures: [new Uint8Array(65)] }, partySignature: new Uint8Array(64) },
    { type: 'treasury.FulfilSignRequest', requestId: 1, result: { rejectReason: 'no' }, partySignature: new Uint8Array(64) },
  ]
}

/** A copy of `v` with the value at `path` replaced (or deleted when `value` is the symbol below). */
const remove = Symbol('remove')
function setAt(v: unknown, path: readonly (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value
  const [head, ...rest] = path as [string | number, ...(string | number)[]]
  const copy = (Array.isArray(v) ? [...v] : { ...(v as object) }) as Record<string | number, unknown>
  if (rest.length === 0 && value === remove) delete copy[head]
  else copy[head] = setAt(copy[head], rest, value)
  return copy
}
/** Every path into a template's plain objects and arrays (bytes and bigints are leaves). */
function pathsOf(v: unknown, at: (string | number)[] = []): (string | number)[][] {
  const out = [at]
  if (v && typeof v === 'object' && !(v instanceof Uint8Array)) for (const [k, x] of Object.entries(v)) out.push(...pathsOf(x, [...at, Array.isArray(v) ? Number(k) : k]))
  return out
}

let s: Setup
let key: TestKey
beforeAll(async () => {
  s = await setup({ parties: 1 })
  key = await createTestKey(s, 'ecdsa-secp256k1')
  await s.owner.client.createPolicy({ name: 'both', participants: { a: s.owner.address, b: s.outsider.address }, expression: 'all([a, b])' })
})
afterAll(async () => {
  await s?.ledger.close()
})

/** The ledger as a refusal must leave it. */
async function snapshot(): Promise<string> {
  const status = await s.ledger.query('status', {})
  const accounts = await Promise.all(s.addresses().map((address) => s.ledger.query('account', { address })))
  return JSON.stringify({ hash: s.ledger.stateHash(), height: s.ledger.height, status, accounts }, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))
}

function expectTypedRefusal(e: unknown, where: string): ZrError {
  if (!isZrError(e)) throw new Error(`${where}: expected a ZrError, got ${String(e)}`, { cause: e })
  if (!(errorCodes as readonly string[]).includes(e.code)) throw new Error(`${where}: ZrError with an unreleased code ${e.code}`)
  expect(e.shortMessage.length).toBeGreaterThan(0)
  return e
}

describe('submit to the embedded ledger with random and mutated messages (fuzz)', () => {
  it('refuses with a typed error and changes nothing, or accepts', { timeout: 600_000 }, async () => {
    const all = templates(s, key)
    const counts = { accepted: 0, refused: 0, unsigned: 0 }
    const senders = [s.owner, s.admin, s.parties[0]!, s.outsider]
    const index = fc.constantFrom(...all.keys())
    const message = fc.oneof(
      // a template with one field replaced, removed or added (most runs: these reach the handlers)
      {
        weight: 8,
        arbitrary: fc.tuple(index, fc.nat(), fc.constantFrom('replace', 'replace', 'replace', 'remove', 'add'), hostile).map(([t, p, mode, v]) => {
          const paths = pathsOf(all[t]).slice(1)
          const path = paths[p % paths.length]!
          return mode === 'add' ? setAt(all[t], [...path.slice(0, -1), 'extra'], v) : setAt(all[t], path, mode === 'remove' ? remove : v)
        }),
      },
      // a template with its type swapped
      { weight: 1, arbitrary: fc.tuple(index, index).map(([a, b]) => ({ ...all[a]!, type: all[b]!.type })) },
      // anything at all
      { weight: 1, arbitrary: hostile },
      { weight: 1, arbitrary: fc.record({ type: fc.oneof(fc.constantFrom(...all.map((m) => m.type as string)), hostile) }, { requiredKeys: ['type'] }) },
    )
    const txField = fc.constantFrom('chainId', 'signer', 'publicKey', 'sequence', 'signature', 'memo', 'msg')

    await fc.assert(
      fc.asyncProperty(message, fc.nat({ max: senders.length - 1 }), fc.option(fc.tuple(txField, fc.oneof(hostile, fc.constant(remove))), { freq: 3 }), fc.boolean(), async (msg, who, txMutation, wholeTx) => {
        const sender = senders[who]!
        const before = await snapshot()
        let tx: unknown
        try {
          tx = await signTx(sender.account, { chainId: s.chainId, sequence: await s.sequence(sender.address), msg: msg as Message })
        } catch (e) {
          // a message with no canonical form cannot even be signed: typed too
          expectTypedRefusal(e, 'signTx')
          counts.unsigned++
          if (!wholeTx) return
          tx = { chainId: s.chainId, signer: sender.address, publicKey: sender.account.publicKey, sequence: 0, msg, signature: new Uint8Array(64) }
        }
        if (txMutation) tx = setAt(tx, [txMutation[0]], txMutation[1])
        try {
          await s.ledger.submit(tx as SignedTx)
          counts.accepted++
        } catch (e) {
          expectTypedRefusal(e, 'submit')
          counts.refused++
          expect(await snapshot()).toBe(before)
        }
      }),
      { numRuns: fuzzRuns() },
    )
    expect(counts.refused).toBeGreaterThan(0)
    // still a working ledger
    const receipt = await s.owner.client.send({ to: s.outsider.address, amount: 1n })
    expect(receipt.height).toBe(s.ledger.height)
  })
})

describe('submit: every field of every message type, given each kind of wrong value', () => {
  it('refuses with a typed error and changes nothing, or accepts', { timeout: 600_000 }, async () => {
    const wrong: [string, () => unknown][] = [
      ['undefined', () => remove],
      ['null', () => null],
      ['a number', () => 5],
      ['NaN', () => Number.NaN],
      ['a bigint', () => 5n],
      ['a string', () => 'x'],
      ['bytes', () => new Uint8Array(33)],
      ['an array', () => [1n]],
      ['an object', () => ({ a: 1n })],
      ['a cyclic object', cyclicObject],
      ['a deep object', () => deepObject(300)],
    ]
    for (const template of templates(s, key)) {
      for (const path of pathsOf(template).slice(1)) {
        for (const [label, make] of wrong) {
          const msg = setAt(template, path, make()) as Message
          const before = await snapshot()
          const where = `${String(template.type)} ${path.join('.')} = ${label}`
          let tx: SignedTx
          try {
            tx = await signTx(s.owner.account, { chainId: s.chainId, sequence: await s.sequence(s.owner.address), msg })
          } catch (e) {
            expectTypedRefusal(e, `signTx of ${where}`)
            continue
          }
          try {
            await s.ledger.submit(tx)
          } catch (e) {
            expectTypedRefusal(e, `submit of ${where}`)
            expect(await snapshot(), where).toBe(before)
          }
        }
      }
    }
  })
})

describe('submit: typed refusals that used to escape untyped (regressions)', () => {
  it('refuses a bigint key type with UNSUPPORTED_KEY_TYPE, not "Do not know how to serialize a BigInt"', async () => {
    const tx = await signTx(s.owner.account, { chainId: s.chainId, sequence: await s.sequence(s.owner.address), msg: { type: 'treasury.NewKeyRequest', workspace: s.workspace, keyring: s.keyring, keyType: 5n } as never })
    await expectRefused(s.ledger, () => s.ledger.submit(tx), 'UNSUPPORTED_KEY_TYPE', 'got 5n')
  })

  it('refuses a cyclic message with INVALID_INPUT at signTx, at submit and through a client', async () => {
    const msg = cyclicObject() as Message
    const e = await signTx(s.owner.account, { chainId: s.chainId, sequence: 0, msg }).catch((x: unknown) => x)
    expect(isZrError(e, 'INVALID_INPUT') && e.details).toContain('contains itself at $.msg.self')
    // a tx signed first and made cyclic after
    const tx = await signTx(s.owner.account, { chainId: s.chainId, sequence: await s.sequence(s.owner.address), msg: { type: 'bank.Send', to: s.outsider.address, amount: 1n } })
    ;(tx.msg as unknown as Record<string, unknown>).self = tx.msg
    await expectRefused(s.ledger, () => s.ledger.submit(tx), 'INVALID_INPUT', 'contains itself')
    await expectRefused(s.ledger, () => sendMessage(s.owner.client, { msg }), 'INVALID_INPUT', 'contains itself')
  })

  it('refuses a message nested 5 000 deep with INVALID_INPUT, not a RangeError', async () => {
    const msg = { type: 'bank.Send', to: s.outsider.address, amount: 1n, note: deepObject(5_000) } as unknown as Message
    const e = await signTx(s.owner.account, { chainId: s.chainId, sequence: 0, msg }).catch((x: unknown) => x)
    expect(isZrError(e, 'INVALID_INPUT') && e.details).toContain('expected at most 128 levels')
    const tx = await signTx(s.owner.account, { chainId: s.chainId, sequence: await s.sequence(s.owner.address), msg: { type: 'bank.Send', to: s.outsider.address, amount: 1n } })
    await expectRefused(s.ledger, () => s.ledger.submit({ ...tx, memo: deepObject(5_000) } as unknown as SignedTx), 'INVALID_INPUT', 'levels')
    await expectRefused(s.ledger, () => sendMessage(s.owner.client, { msg }), 'INVALID_INPUT', 'levels')
  })

  it('refuses a message whose getter throws with INVALID_INPUT', async () => {
    const msg = Object.defineProperty({ type: 'bank.Send', to: s.outsider.address }, 'amount', { enumerable: true, get: () => { throw new Error('getter failed') } }) as unknown as Message
    await expectRefused(s.ledger, () => sendMessage(s.owner.client, { msg }), 'INVALID_INPUT', 'getter failed')
  })
})
