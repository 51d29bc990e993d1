import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isZrError, ZrError } from '../../errors/ZrError.js'
import type { DecodedTransaction, TransactionDecoder, TransactionTransfer } from '../../transaction/TransactionDecoder.js'
import {
  evaluatePolicy,
  explainPolicyDecision,
  formatPolicyExpression,
  judgeTxConditions,
  parsePolicyExpression,
  type PolicyDecision,
  type PolicyExpression,
  type TxCondition,
  type Vote,
} from './expression.js'

const P = { alice: 'zen1qalce7x2v', bob: 'zen1qb0b9w4t' } as const
const parse = (text: string) => parsePolicyExpression(text, P)

function invalid(text: string): ZrError {
  try {
    parse(text)
  } catch (e) {
    if (isZrError(e, 'INVALID_POLICY')) return e
    throw e
  }
  throw new Error(`expected ${text} to be refused`)
}

/**
 * A stand-in decoder for unit tests of the policy language: only its units and its address form are used
 * here (judging conditions reads a transaction already decoded). The real decoders are tested in their
 * relayer packages and end to end in test/transactions/.
 */
const evm: TransactionDecoder = {
  chain: 'evm',
  version: 1,
  nativeUnits: { eth: 18, gwei: 9, wei: 0 },
  decode: () => {
    throw new Error('not used by these tests')
  },
  normalizeAddress: (a) => {
    if (!/^0x[0-9a-fA-F]{40}$/.test(a)) throw new ZrError('INVALID_INPUT', 'Invalid address.', { details: `expected 0x + 40 hex digits, got ${a}` })
    return a.toLowerCase()
  },
}

const BOB = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8'
const STRANGER = '0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc'
const USDC = '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48'
const ETH = 10n ** 18n

function tx(parts: Partial<DecodedTransaction> = {}): DecodedTransaction {
  return {
    chain: 'evm',
    decoder: 'evm@1',
    network: 'eip155:1',
    format: 'eip1559',
    from: '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266',
    transfers: [],
    calls: [],
    fee: 21_000n * 10n ** 9n,
    feeAsset: 'native',
    fields: {},
    ...parts,
  }
}
const pay = (to: string, amount: bigint): TransactionTransfer => ({ kind: 'transfer', asset: 'native', to, amount })
const token = (to: string, amount: bigint, asset = USDC, kind: 'transfer' | 'approve' = 'transfer'): TransactionTransfer => ({ kind, asset, to, amount })

const context = {
  decoder: evm,
  allowlists: { treasury: [BOB.toUpperCase().replace('0X', '0x')] },
  tokens: { usdc: { chain: 'evm', network: 'eip155:1', asset: USDC, decimals: 6 }, sepoliausdc: { chain: 'evm', network: 'eip155:11155111', asset: USDC, decimals: 6 } },
}
const holds = (condition: string, transaction: DecodedTransaction | undefined) => {
  const [r] = judgeTxConditions(parse(`${condition} && alice`), { ...context, ...(transaction ? { transaction } : {}) })
  return r!
}

describe('transaction conditions: syntax', () => {
  it('parses each field with its operands and writes it back the same', () => {
    const cases = [
      'tx.value <= 0.1 eth',
      'tx.value > 1000000000 wei',
      'tx.to == "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"',
      'tx.to != "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"',
      'tx.to in allowlist(treasury)',
      'tx.token == usdc',
      'tx.token != "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"',
      'tx.amount < 1000 usdc',
      'tx.fee <= 0.002 eth',
      'tx.chain == evm',
      'tx.network == "eip155:1"',
      'tx.contract in allowlist(dexes)',
      'tx.selector == "0xa9059cbb"',
    ]
    for (const c of cases) {
      const text = `${c} && alice || all([alice, bob])`
      const expr = parse(text)
      expect(formatPolicyExpression(expr, P)).toBe(text)
      expect(parse(formatPolicyExpression(expr))).toEqual(expr)
    }
    expect(parse('tx.value <= 0.1 eth')).toEqual({ op: 'tx', field: 'value', cmp: '<=', value: { kind: 'amount', amount: '0.1', unit: 'eth' } })
  })

  it('still takes a participant called tx', () => {
    expect(parsePolicyExpression('tx || bob', { tx: 'zen1qtx', bob: 'zen1qb0b' })).toEqual({ op: 'or', of: [{ op: 'party', address: 'zen1qtx' }, { op: 'party', address: 'zen1qb0b' }] })
  })

  it('refuses a negated condition, saying to write the opposite comparison', () => {
    for (const text of ['!(tx.value > 1 eth)', 'not tx.to in allowlist(treasury)', '!(alice && tx.fee < 1 eth)', '!all([alice, tx.chain == evm])']) {
      expect(invalid(text).details).toContain('write the opposite comparison')
    }
  })

  it('refuses malformed conditions with what was expected and what arrived', () => {
    const cases: [string, string][] = [
      ['tx.worth < 1 eth', 'expected a transaction field (chain, network, to, contract, selector, token, value, amount, fee) at position 3, got "worth"'],
      ['tx.value = 1 eth', 'expected "==" at position 9, got "="'],
      ['tx.value < 1', 'expected a unit after the amount'],
      ['tx.value < -1 eth', 'expected a non-negative amount'],
      ['tx.value < "1"', 'expected tx.value compared with an amount with its unit, got a text'],
      ['tx.to == bob', 'expected tx.to compared with a quoted text or allowlist(name), got a name'],
      ['tx.to < "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"', 'expected tx.to compared with ==, !=, in, got "<"'],
      ['tx.to in treasury', 'expected "allowlist(name)" after "in"'],
      ['tx.value in allowlist(x)', 'expected tx.value compared with <, <=, >, >=, ==, !=, got "in"'],
      ['tx.network == "a\\b"', 'expected a quoted text of at most 256 printable characters'],
      ['tx.chain', 'expected a comparison (<, <=, >, >=, ==, !=, in) at position 8, got end of input'],
    ]
    for (const [text, details] of cases) expect(invalid(text).details, text).toContain(details)
  })

  it('refuses handed-in trees that the parser would refuse', () => {
    const negated: PolicyExpression = { op: 'not', of: { op: 'tx', field: 'value', cmp: '>', value: { kind: 'amount', amount: '1', unit: 'eth' } } }
    expect(() => evaluatePolicy(negated, new Map())).toThrow(/negation over a transaction condition/)
    const badCmp = { op: 'tx', field: 'to', cmp: '<', value: { kind: 'text', text: BOB } } as unknown as PolicyExpression
    expect(() => formatPolicyExpression(badCmp)).toThrow(/expected tx.to compared with ==, !=, in/)
    const inText = { op: 'tx', field: 'to', cmp: 'in', value: { kind: 'text', text: BOB } } as unknown as PolicyExpression
    expect(() => evaluatePolicy(inText, new Map())).toThrow(/expected tx.to compared with a quoted text or allowlist\(name\), got a text|"in" exactly with allowlist/)
  })
})

describe('transaction conditions: what they cover', () => {
  it('tx.value: the native total, only for transfers of the native coin alone', () => {
    expect(holds('tx.value <= 0.1 eth', tx({ transfers: [pay(BOB, ETH / 20n), pay(STRANGER, ETH / 20n)] }))).toEqual({ condition: 'tx.value <= 0.1 eth', holds: true, why: 'moves 0.1 eth' })
    expect(holds('tx.value <= 0.1 eth', tx({ transfers: [pay(BOB, ETH / 10n + 1n)] })).holds).toBe(false)
    expect(holds('tx.value <= 100000000 gwei', tx({ transfers: [pay(BOB, ETH / 10n)] })).holds).toBe(true)
    // a token transfer hides no amount behind a zero native value: tx.value does not cover it at all
    const big = holds('tx.value <= 0.1 eth', tx({ transfers: [token(STRANGER, 10n ** 15n)] }))
    expect(big.holds).toBe(false)
    expect(big.why).toContain('not a transfer of the native coin alone')
    // nor a call the decoder cannot read, nor value sent with it
    expect(holds('tx.value <= 0.1 eth', tx({ calls: [{ to: STRANGER, selector: '0x12345678', value: 0n }] })).holds).toBe(false)
    // both directions are false when not covered: "more than" must not let it through either
    expect(holds('tx.value > 0.1 eth', tx({ transfers: [token(STRANGER, 10n ** 15n)] })).holds).toBe(false)
  })

  it('amounts are exact decimal: no float rounding, and more decimals than the unit has is refused', () => {
    expect(holds('tx.value == 0.000000000000000001 eth', tx({ transfers: [pay(BOB, 1n)] })).holds).toBe(true)
    expect(holds('tx.value < 0.3 eth', tx({ transfers: [pay(BOB, ETH / 10n), pay(BOB, (ETH / 10n) * 2n)] })).holds).toBe(false)
    const tooFine = holds('tx.value < 0.0000000000000000001 eth', tx({ transfers: [pay(BOB, 0n)] }))
    expect(tooFine).toMatchObject({ holds: false, why: '0.0000000000000000001 eth has more decimals than eth allows (18)' })
    expect(holds('tx.value < 1 btc', tx({ transfers: [pay(BOB, 1n)] }))).toMatchObject({ holds: false, why: 'btc is not a unit of evm (eth, gwei, wei)' })
  })

  it('tx.to: every recipient, in the chain address form; allowlists from the workspace', () => {
    expect(holds('tx.to in allowlist(treasury)', tx({ transfers: [pay(BOB, 1n)] })).holds).toBe(true)
    const mixed = holds('tx.to in allowlist(treasury)', tx({ transfers: [pay(BOB, 1n), pay(STRANGER, 1n)] }))
    expect(mixed).toEqual({ condition: 'tx.to in allowlist(treasury)', holds: false, why: `recipient ${STRANGER} is not on allowlist treasury` })
    expect(holds(`tx.to == "${BOB.toUpperCase().replace('0X', '0x')}"`, tx({ transfers: [pay(BOB, 1n)] })).holds).toBe(true)
    expect(holds(`tx.to != "${STRANGER}"`, tx({ transfers: [pay(BOB, 1n)] })).holds).toBe(true)
    expect(holds('tx.to in allowlist(nope)', tx({ transfers: [pay(BOB, 1n)] }))).toMatchObject({ holds: false, why: 'the workspace has no allowlist "nope"' })
    expect(holds('tx.to in allowlist(treasury)', tx())).toMatchObject({ holds: false, why: 'the transaction pays no one' })
    // token recipients and spenders count as recipients
    expect(holds('tx.to in allowlist(treasury)', tx({ transfers: [token(STRANGER, 1n, USDC, 'approve')] })).holds).toBe(false)
  })

  it('tx.token and tx.amount: one token alone, matched by name, chain and network', () => {
    const t = tx({ transfers: [token(BOB, 999_999_999n)] })
    expect(holds('tx.token == usdc', t).holds).toBe(true)
    expect(holds('tx.amount < 1000 usdc', t)).toEqual({ condition: 'tx.amount < 1000 usdc', holds: true, why: 'moves 999.999999 usdc' })
    expect(holds('tx.amount < 1000 usdc', tx({ transfers: [token(BOB, 1_000_000_000n)] })).holds).toBe(false)
    // approvals count: an allowance lets the spender take it
    expect(holds('tx.amount < 1000 usdc', tx({ transfers: [token(BOB, 2n ** 256n - 1n, USDC, 'approve')] })).holds).toBe(false)
    // the same contract address on another network is another token
    expect(holds('tx.token == sepoliausdc', t)).toMatchObject({ holds: false })
    expect(holds('tx.amount < 1000 sepoliausdc', t).why).toContain('token "sepoliausdc" is on evm eip155:11155111')
    // a native transfer next to the token transfer: not one token alone
    expect(holds('tx.amount < 1000 usdc', tx({ transfers: [token(BOB, 1n), pay(BOB, 1n)] })).holds).toBe(false)
    expect(holds('tx.token == "0xA0b86991c6218b36c1d19d4a2e9eb0ce3606eB48"', t).holds).toBe(true)
  })

  it('tx.contract and tx.selector: only calls the decoder cannot read, with no value moved', () => {
    const call = tx({ calls: [{ to: STRANGER, selector: '0xd0e30db0', value: 0n }] })
    expect(holds(`tx.contract == "${STRANGER}"`, call).holds).toBe(true)
    expect(holds('tx.selector == "0xD0E30DB0"', call).holds).toBe(true)
    expect(holds(`tx.contract == "${STRANGER}"`, tx({ calls: [{ to: STRANGER, selector: '0xd0e30db0', value: ETH }] })).holds).toBe(false)
    expect(holds(`tx.contract == "${STRANGER}"`, tx({ transfers: [pay(BOB, 1n)] })).holds).toBe(false)
  })

  it('tx.fee, tx.chain, tx.network: every decoded transaction; every condition is false without one', () => {
    const t = tx({ transfers: [token(BOB, 1n)], calls: [{ to: STRANGER, value: 0n }] })
    expect(holds('tx.fee <= 0.000021 eth', t).holds).toBe(true)
    expect(holds('tx.fee < 0.000021 eth', t).holds).toBe(false)
    expect(holds('tx.chain == evm', t).holds).toBe(true)
    expect(holds('tx.network == "eip155:1"', t).holds).toBe(true)
    expect(holds('tx.network != "eip155:1"', t).holds).toBe(false)
    // a fee in a token (Cosmos denoms): judged in that token's unit; no fee at all is zero in any of the chain's tokens
    const cosmosLike = tx({ fee: 5000n, feeAsset: USDC })
    expect(holds('tx.fee <= 0.005 usdc', cosmosLike)).toMatchObject({ holds: true, why: 'pays at most 0.005 usdc' })
    expect(holds('tx.fee < 0.005 usdc', cosmosLike).holds).toBe(false)
    expect(holds('tx.fee <= 1 usdc', tx({ fee: 0n, feeAsset: '' })).holds).toBe(true)
    expect(holds('tx.fee <= 1 eth', tx({ fee: 1n, feeAsset: USDC })).holds).toBe(false)
    for (const c of ['tx.chain == evm', 'tx.chain != solana', 'tx.value >= 0 eth', 'tx.fee >= 0 eth']) {
      expect(holds(c, undefined)).toMatchObject({ holds: false, why: 'the request carries no transaction, only raw payloads' })
    }
  })
})

describe('transaction conditions: decisions', () => {
  const text = 'tx.value <= 0.1 eth && any(1, [alice, bob]) || all([alice, bob])'
  it('small transfers need one approval, others two; the explanation names the clause', () => {
    const expr = parse(text)
    const alice = new Map<string, Vote>([[P.alice, 'approve']])
    expect(evaluatePolicy(expr, alice, [true])).toBe('approved')
    expect(explainPolicyDecision(expr, alice, [true], P)).toBe('approved by the clause tx.value <= 0.1 eth && any(1, [alice, bob])')
    expect(evaluatePolicy(expr, alice, [false])).toBe('pending')
    expect(explainPolicyDecision(expr, alice, [false], P)).toBe('pending: waiting for all([alice, bob])')
    expect(evaluatePolicy(expr, alice)).toBe('pending') // no transaction: the condition is false
    const both = new Map(alice).set(P.bob, 'approve')
    expect(explainPolicyDecision(expr, both, [false], P)).toBe('approved by the clause all([alice, bob])')
    const refused = parse('tx.value <= 0.1 eth && alice || tx.to in allowlist(treasury) && all([alice, bob])')
    expect(evaluatePolicy(refused, new Map(), [false, false])).toBe('rejected')
    expect(explainPolicyDecision(refused, new Map(), [false, false], P)).toBe('rejected: none of its 2 clauses can hold')
    expect(evaluatePolicy(refused, new Map(), (c: TxCondition) => c.field === 'to')).toBe('pending')
  })

  it('property: with no negation over conditions, a condition turning true never lowers a decision (so "not covered = false" only denies)', () => {
    const rank: Record<PolicyDecision, number> = { rejected: 0, pending: 1, approved: 2 }
    const condArb = fc.constantFrom<PolicyExpression>(parse('tx.value <= 1 eth'), parse('tx.to in allowlist(t)'), parse('tx.fee < 1 eth'))
    const partyArb = fc.constantFrom<PolicyExpression>({ op: 'party', address: P.alice }, { op: 'party', address: P.bob })
    const { expr } = fc.letrec<{ expr: PolicyExpression }>((tie) => ({
      expr: fc.oneof(
        { maxDepth: 4, depthSize: 'small' },
        condArb,
        partyArb,
        fc.array(tie('expr'), { minLength: 2, maxLength: 3 }).map((of): PolicyExpression => ({ op: 'and', of })),
        fc.array(tie('expr'), { minLength: 2, maxLength: 3 }).map((of): PolicyExpression => ({ op: 'or', of })),
        fc.array(tie('expr'), { minLength: 1, maxLength: 3 }).chain((of) => fc.integer({ min: 1, max: of.length }).map((n): PolicyExpression => ({ op: 'any', n, of }))),
        partyArb.map((of): PolicyExpression => ({ op: 'not', of })),
      ),
    }))
    const ballot = fc.tuple(fc.constantFrom<Vote | undefined>('approve', 'reject', undefined), fc.constantFrom<Vote | undefined>('approve', 'reject', undefined)).map(([a, b]) => {
      const m = new Map<string, Vote>()
      if (a) m.set(P.alice, a)
      if (b) m.set(P.bob, b)
      return m
    })
    fc.assert(
      fc.property(expr, ballot, fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }), fc.nat(63), (e, votes, values, flip) => {
        const before = evaluatePolicy(e, votes, values.map((v, i) => (i === flip ? false : v)))
        const after = evaluatePolicy(e, votes, values.map((v, i) => (i === flip ? true : v)))
        expect(rank[after]).toBeGreaterThanOrEqual(rank[before])
      }),
      { numRuns: 400 },
    )
  })

  it('parse never throws anything but INVALID_POLICY on arbitrary text with conditions', () => {
    const tokens = fc.constantFrom('tx', '.', 'value', 'to', 'token', 'amount', 'in', 'allowlist', '(', ')', 'x', '<', '<=', '==', '!=', '=', '!', '"0xab"', '"', '0.1', '-1', 'eth', 'alice', '&&', '||', 'all', '[', ']', ',')
    fc.assert(
      fc.property(fc.array(tokens, { maxLength: 24 }), fc.boolean(), (parts, spaced) => {
        const text = parts.join(spaced ? ' ' : '')
        try {
          const e = parse(text)
          expect(parse(formatPolicyExpression(e, P))).toEqual(e)
        } catch (err) {
          expect(isZrError(err, 'INVALID_POLICY'), String(err)).toBe(true)
        }
      }),
      { numRuns: 1500 },
    )
  })
})
