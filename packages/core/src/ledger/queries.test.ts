import { type QueryKind, errorCodes, isZrError } from '@zrkit/core'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Setup, createTestKey, fuzzRuns, setup } from '@zrkit/testkit'

/**
 * Queries take their name from a fixed table (own keys only) and check their parameters: an unknown
 * name is `UNKNOWN_QUERY`, a parameter of the wrong type `INVALID_INPUT`, never a TypeError and never
 * an answer from Object.prototype.
 */

let s: Setup
let keyId: number
beforeAll(async () => {
  s = await setup({ parties: 1 })
  keyId = (await createTestKey(s, 'ecdsa-secp256k1')).keyId
})
afterAll(async () => {
  await s?.ledger.close()
})

async function refusal(kind: unknown, params: unknown): Promise<{ code: string; details: string }> {
  const e = await s.ledger.query(kind as QueryKind, params as never).then(
    (v) => {
      throw new Error(`expected query ${String(kind)} to be refused, it answered ${JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x))}`)
    },
    (x: unknown) => x,
  )
  if (!isZrError(e)) throw new Error(`expected a ZrError, got ${String(e)}`, { cause: e })
  return { code: e.code, details: e.details ?? '' }
}

describe('query names', () => {
  it.each(['toString', 'hasOwnProperty', 'constructor', 'valueOf', '__proto__', 'isPrototypeOf', 'toLocaleString', 'nope', 'Status', ''])(
    'refuses the query %j with UNKNOWN_QUERY (regression: inherited names answered or threw a TypeError)',
    async (kind) => {
      const e = await refusal(kind, {})
      expect(e.code).toBe('UNKNOWN_QUERY')
      expect(e.details).toContain(`got ${JSON.stringify(kind)}`)
      expect(e.details).toContain('expected one of status, account, tx')
    },
  )

  it('refuses a name that is not a string with INVALID_INPUT', async () => {
    for (const kind of [5, null, undefined, ['status'], { toString: () => 'status' }]) expect((await refusal(kind, {})).code).toBe('INVALID_INPUT')
  })

  it('still answers every real query', async () => {
    expect((await s.ledger.query('status', {})).chainId).toBe(s.chainId)
    expect((await s.ledger.query('status', undefined as never)).height).toBe(s.ledger.height)
    expect((await s.ledger.query('account', { address: s.owner.address })).sequence).toBeGreaterThan(0)
    expect((await s.ledger.query('key', { id: keyId, path: 'm/0', wallets: [{ type: 'evm' }] }))?.addresses?.[0]?.address).toMatch(/^0x/)
    expect((await s.ledger.query('events', { filter: { types: ['keyRequest.fulfilled'] } })).items).toHaveLength(1)
    expect(await s.ledger.query('policy', { id: 999 })).toBeNull()
  })
})

describe('query parameters', () => {
  it.each([
    ['account', 'INVALID_INPUT', 'got number 5', { address: 5 }],
    ['account', 'INVALID_INPUT', 'got undefined', {}],
    ['account', 'INVALID_INPUT', 'expected an object', [1]],
    ['account', 'INVALID_INPUT', 'expected an object', 'zen1'],
    ['tx', 'INVALID_INPUT', 'got 7n', { hash: 7n }],
    ['policy', 'INVALID_INPUT', 'expected an integer', { id: 'x' }],
    ['action', 'INVALID_INPUT', 'got number -1', { id: -1 }],
    ['keyRequest', 'INVALID_INPUT', 'got number 1.5', { id: 1.5 }],
    ['key', 'INVALID_DERIVATION_PATH', 'expected a string or an array', { id: 999, path: 5 }],
    ['key', 'INVALID_INPUT', 'a list of at most 64 wallet types', { id: 1, wallets: 'evm' }],
    ['keyrings', 'INVALID_INPUT', 'expected a boolean', { active: 'yes' }],
    ['workspaces', 'INVALID_INPUT', 'got 5n', { owner: 5n }],
    ['signRequests', 'INVALID_INPUT', 'expected an integer', { keyId: '1' }],
    ['events', 'INVALID_INPUT', 'expected a list of at most 256 event types, got number 5', { filter: { types: 5 } }],
    ['events', 'INVALID_INPUT', 'got null', { filter: null }],
    ['events', 'INVALID_INPUT', 'got "nope"', { filter: { types: ['nope'] } }],
  ] as const)('refuses %s with bad parameters: %s, "%s" (regression: answered or threw a TypeError)', async (kind, code, fragment, params) => {
    const e = await refusal(kind, params)
    expect(e.code).toBe(code)
    expect(e.details).toContain(fragment)
  })

  it('answers or refuses with a typed error whatever the name and parameters (fuzz)', async () => {
    const kinds = ['status', 'account', 'tx', 'workspace', 'workspaces', 'keyring', 'keyrings', 'policy', 'policies', 'action', 'actions', 'keyRequest', 'keyRequests', 'key', 'keys', 'signRequest', 'signRequests', 'events']
    const anything = fc.oneof(fc.anything({ withBigInt: true, withTypedArray: true, withNullPrototype: true, withMap: true }), fc.uint8Array({ maxLength: 4 }))
    const params = fc.oneof(
      anything,
      fc.record({ address: anything, id: fc.oneof(fc.nat(5), anything), hash: anything, path: anything, wallets: anything, cursor: anything, limit: anything, filter: anything, owner: anything, active: anything, status: anything, keyId: anything }, { requiredKeys: [] }),
    )
    const before = s.ledger.stateHash()
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.constantFrom(...kinds), fc.constantFrom('toString', '__proto__', 'constructor'), anything), params, async (kind, p) => {
        try {
          await s.ledger.query(kind as QueryKind, p as never)
        } catch (e) {
          if (!isZrError(e)) throw new Error(`query ${String(kind)} threw ${String(e)}`, { cause: e })
          expect(errorCodes).toContain(e.code)
        }
      }),
      { numRuns: fuzzRuns() },
    )
    expect(s.ledger.stateHash()).toBe(before)
  })
})
