import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ZrError } from '../../errors/ZrError.js'
import {
  evaluatePolicy,
  formatPolicyExpression,
  parsePolicyExpression,
  policyAddresses,
  type PolicyDecision,
  type PolicyExpression,
  type Vote,
} from './expression.js'

const P = {
  alice: 'zen1qalce7x2v',
  bob: 'zen1qb0b9w4t',
  carol: 'zen1qcar0l5h',
  dave: 'zen1qdav3m8k',
  erin: 'zen1qer1n6yz',
} as const
type Alias = keyof typeof P
const ADDRESSES: readonly string[] = Object.values(P)

const party = (alias: Alias): PolicyExpression => ({ op: 'party', address: P[alias] })
const parse = (text: string, participants: Readonly<Record<string, string>> = P) => parsePolicyExpression(text, participants)

/** Runs `fn`, which must throw a ZrError, and returns that error. */
function policyError(fn: () => unknown): ZrError {
  try {
    fn()
  } catch (e) {
    if (e instanceof ZrError) return e
    throw e
  }
  throw new Error('expected an INVALID_POLICY error, but nothing was thrown')
}

function expectInvalid(text: string, details: string, participants: Readonly<Record<string, string>> = P): ZrError {
  const e = policyError(() => parse(text, participants))
  expect(e.code).toBe('INVALID_POLICY')
  expect(e.details).toContain(details)
  return e
}

function votesOf(votes: Partial<Record<Alias, Vote>>): Map<string, Vote> {
  return new Map(Object.entries(votes).map(([alias, vote]) => [P[alias as Alias], vote as Vote]))
}

const decide = (text: string, votes: Partial<Record<Alias, Vote>>): PolicyDecision => evaluatePolicy(parse(text), votesOf(votes))

describe('parsePolicyExpression', () => {
  it('parses a bare alias to its address', () => {
    expect(parse('alice')).toEqual(party('alice'))
  })

  it('accepts a participant address in place of its alias', () => {
    expect(parse(`${P.bob} && alice`)).toEqual({ op: 'and', of: [party('bob'), party('alice')] })
  })

  it('gives && precedence over ||', () => {
    expect(parse('alice || bob && carol')).toEqual({ op: 'or', of: [party('alice'), { op: 'and', of: [party('bob'), party('carol')] }] })
    expect(parse('alice && bob || carol')).toEqual({ op: 'or', of: [{ op: 'and', of: [party('alice'), party('bob')] }, party('carol')] })
  })

  it('gives ! precedence over && and ||', () => {
    expect(parse('!alice && bob')).toEqual({ op: 'and', of: [{ op: 'not', of: party('alice') }, party('bob')] })
    expect(parse('!(alice && bob)')).toEqual({ op: 'not', of: { op: 'and', of: [party('alice'), party('bob')] } })
    expect(parse('!!alice')).toEqual({ op: 'not', of: { op: 'not', of: party('alice') } })
  })

  it('flattens chains of the same operator but not parenthesised groups', () => {
    expect(parse('alice && bob && carol')).toEqual({ op: 'and', of: [party('alice'), party('bob'), party('carol')] })
    expect(parse('alice || bob || carol || dave')).toEqual({ op: 'or', of: [party('alice'), party('bob'), party('carol'), party('dave')] })
    expect(parse('(alice && bob) && carol')).toEqual({
      op: 'and',
      of: [{ op: 'and', of: [party('alice'), party('bob')] }, party('carol')],
    })
  })

  it('treats the keywords and/or/not exactly like && || !', () => {
    const pairs: [string, string][] = [
      ['alice and bob', 'alice && bob'],
      ['alice or bob and carol', 'alice || bob && carol'],
      ['not alice or not not bob', '!alice || !!bob'],
      ['not (alice or bob) and carol', '!(alice || bob) && carol'],
      ['alice and bob && carol', 'alice && bob && carol'],
    ]
    for (const [words, symbols] of pairs) expect(parse(words)).toEqual(parse(symbols))
  })

  it('allows any whitespace between tokens, and none', () => {
    expect(parse(' \n\tany( 2 ,[\talice ,bob\n, carol ] )  ')).toEqual(parse('any(2,[alice,bob,carol])'))
    expect(parse('!alice&&bob||carol')).toEqual(parse('(!alice && bob) || carol'))
  })

  it('parses any and all with nested sub-expressions as items', () => {
    expect(parse('any(2, [all([alice, bob]), carol, dave])')).toEqual({
      op: 'any',
      n: 2,
      of: [{ op: 'all', of: [party('alice'), party('bob')] }, party('carol'), party('dave')],
    })
    expect(parse('all([alice || bob, !carol, any(1, [dave])])')).toEqual({
      op: 'all',
      of: [
        { op: 'or', of: [party('alice'), party('bob')] },
        { op: 'not', of: party('carol') },
        { op: 'any', n: 1, of: [party('dave')] },
      ],
    })
  })

  it('allows a participant twice in one list when it is not a bare item', () => {
    expect(parse('all([alice, alice && bob])')).toEqual({
      op: 'all',
      of: [party('alice'), { op: 'and', of: [party('alice'), party('bob')] }],
    })
  })

  it('accepts an alias spelled like its own address', () => {
    expect(parse('x', { x: 'x' })).toEqual({ op: 'party', address: 'x' })
  })

  it('returns frozen nodes', () => {
    const e = parse('any(1, [alice, bob]) || carol')
    expect(Object.isFrozen(e)).toBe(true)
    if (e.op !== 'or') throw new Error('expected or')
    expect(Object.isFrozen(e.of)).toBe(true)
    expect(Object.isFrozen(e.of[0])).toBe(true)
  })

  it('accepts exactly the limits', () => {
    // 4096 characters
    const padded = `alice${' '.repeat(4096 - 5)}`
    expect(padded).toHaveLength(4096)
    expect(parse(padded)).toEqual(party('alice'))
    // 32 levels of parentheses and of negation
    expect(parse(`${'('.repeat(32)}alice${')'.repeat(32)}`)).toEqual(party('alice'))
    expect(policyAddresses(parse(`${'!'.repeat(32)}alice`))).toEqual([P.alice])
    // 256 nodes: 255 participants under one `or`
    expect(parse(Array(255).fill('alice').join(' || '))).toMatchObject({ op: 'or' })
  })
})

describe('parse errors', () => {
  it('rejects an unknown participant, listing the known ones', () => {
    const e = expectInvalid('alice && zed', 'unknown participant "zed"; participants are alice, bob, carol, dave, erin (at position 9)')
    expect(e.meta).toMatchObject({ position: 9, name: 'zed' })
    expectInvalid('dave', 'unknown participant "dave"; participants are alice, bob (at position 0)', { alice: P.alice, bob: P.bob })
    expectInvalid('alice', 'unknown participant "alice"; participants are (none) (at position 0)', {})
  })

  it('rejects keywords where a participant is expected', () => {
    expectInvalid('alice && or', 'expected an expression at position 9, got "or"')
    expectInvalid('any', 'expected "(" after "any" at position 3, got end of input')
    expectInvalid('all alice', 'expected "(" after "all" at position 4, got "alice"')
  })

  it('rejects n = 0', () => {
    expectInvalid('any(0, [alice, bob])', 'expected n between 1 and 2 (the number of items) at position 4, got 0')
  })

  it('rejects n greater than the number of items', () => {
    expectInvalid('any(3, [alice, bob])', 'expected n between 1 and 2 (the number of items) at position 4, got 3')
    expectInvalid('any( 99999999999999999999999, [alice])', 'expected n between 1 and 1 (the number of items) at position 5')
  })

  it('rejects a negative or non-integer n', () => {
    expectInvalid('any(-1, [alice, bob])', 'expected n between 1 and 2 (the number of items) at position 4, got -1')
    expectInvalid('any(1.5, [alice, bob])', 'expected an integer n at position 4, got "1.5"')
    expectInvalid('any(alice, [bob])', 'expected an integer n at position 4, got "alice"')
    expectInvalid('any([alice])', 'expected an integer n at position 4, got "["')
  })

  it('rejects an empty list', () => {
    expectInvalid('all([])', 'expected at least one item in the list at position 5, got "]"')
    expectInvalid('any(1, [ ])', 'expected at least one item in the list at position 9, got "]"')
  })

  it('rejects a participant appearing twice directly in one list', () => {
    expectInvalid('all([alice, bob, alice])', 'expected each participant at most once in a list, got "alice" again at position 17 (first at position 5)')
    // the same participant written once as alias and once as address
    expectInvalid(`any(1, [bob, ${P.bob}])`, 'got "bob" again at position 13 (first at position 8)')
    // a parenthesised participant is still a bare participant
    expectInvalid('all([carol, (carol)])', 'got "carol" again at position 12 (first at position 5)')
  })

  it('rejects unbalanced parentheses and brackets', () => {
    expectInvalid('(alice || bob', 'expected ")" at position 13, got end of input')
    expectInvalid('((alice) || bob', 'expected ")" at position 15, got end of input')
    expectInvalid('alice || bob)', 'expected "&&", "||" or end of input at position 12, got ")"')
    expectInvalid('all([alice, bob)', 'expected "," or "]" at position 15, got ")"')
    expectInvalid('all([alice, bob]', 'expected ")" at position 16, got end of input')
    expectInvalid('any(1, [alice, bob], carol)', 'expected ")" at position 19, got ","')
    expectInvalid('(alice, bob)', 'expected ")" at position 6, got ","')
  })

  it('rejects trailing garbage', () => {
    expectInvalid('alice bob', 'expected "&&", "||" or end of input at position 6, got "bob"')
    expectInvalid('all([alice]) 2', 'expected "&&", "||" or end of input at position 13, got "2"')
    expectInvalid('alice && bob $', 'expected a participant, number, quoted text, operator or bracket at position 13, got "$"')
  })

  it('rejects single & and |', () => {
    expectInvalid('alice & bob', 'expected "&&" at position 6, got "&"')
    expectInvalid('alice | bob', 'expected "||" at position 6, got "|"')
  })

  it('rejects dangling operators and separators', () => {
    expectInvalid('alice &&', 'expected an expression at position 8, got end of input')
    expectInvalid('|| alice', 'expected an expression at position 0, got "||"')
    expectInvalid('!', 'expected an expression at position 1, got end of input')
    expectInvalid('all([alice,])', 'expected an expression at position 11, got "]"')
    expectInvalid('()', 'expected an expression at position 1, got ")"')
  })

  it('rejects empty text', () => {
    expectInvalid('', 'expected an expression at position 0, got end of input')
    expectInvalid('  \n ', 'expected an expression at position 4, got end of input')
  })

  it('rejects text over 4096 characters', () => {
    const e = expectInvalid(`alice${' '.repeat(4092)}`, 'expected at most 4096 characters, got 4097 (excess starts at position 4096)')
    expect(e.meta).toMatchObject({ position: 4096 })
  })

  it('rejects nesting deeper than 32 levels', () => {
    expectInvalid(`${'('.repeat(33)}alice${')'.repeat(33)}`, 'expected at most 32 levels of nesting, got 33 at position 32')
    expectInvalid(`${'!'.repeat(33)}alice`, 'expected at most 32 levels of nesting, got 33 at position 32')
    expectInvalid(`${'not '.repeat(40)}alice`, 'expected at most 32 levels of nesting, got 33 at position 128')
    expectInvalid(`${'all(['.repeat(33)}alice${'])'.repeat(33)}`, 'expected at most 32 levels of nesting, got 33 at position 160')
    // k alternating operators need only k - 1 parentheses, so the depth of the tree itself is checked
    const alternating = (k: number): string => {
      let text = 'alice'
      for (let i = 0; i < k; i++) text = `bob ${i % 2 === 0 ? '&&' : '||'} ${i === 0 ? text : `(${text})`}`
      return text
    }
    expect(() => parse(alternating(32))).not.toThrow()
    expectInvalid(alternating(33), 'expected at most 32 levels of nesting, got 33 at position 0')
  })

  it('rejects more than 256 nodes', () => {
    // 256 participants + 1 `or` node; the `or` is counted at its first operator, so the 256th participant is node 257
    const text = Array(256).fill('bob').join(' || ')
    expectInvalid(text, `expected at most 256 nodes, got node 257 at position ${text.length - 3}`)
  })

  it('rejects participant maps with unusable aliases or addresses', () => {
    expectInvalid('alice', 'expected every participant alias to match [A-Za-z_][A-Za-z0-9_]* and not be one of any, all, and, or, not; got "any"', {
      alice: P.alice,
      any: P.bob,
    })
    expectInvalid('alice', 'not be one of any, all, and, or, not; got "bob-2"', { alice: P.alice, 'bob-2': P.bob })
    expectInvalid('alice', 'expected a non-empty address string for participant "bob", got ""', { alice: P.alice, bob: '' })
    expectInvalid('alice', 'expected alias "zen1x" to differ from the addresses of other participants, got the address of "alice"', {
      alice: 'zen1x',
      zen1x: 'zen1y',
    })
  })

  it('sets only INVALID_POLICY, with the position in meta', () => {
    const e = expectInvalid('alice || (bob', 'expected ")" at position 13, got end of input')
    expect(e).toBeInstanceOf(ZrError)
    expect(e.meta).toEqual({ position: 13 })
    expect(e.message).toContain('Code: INVALID_POLICY')
  })
})

describe('formatPolicyExpression', () => {
  it('writes aliases when given the participants, else addresses', () => {
    const e = parse('(alice or (bob)) and not carol')
    expect(formatPolicyExpression(e, P)).toBe('(alice || bob) && !carol')
    expect(formatPolicyExpression(e)).toBe(`(${P.alice} || ${P.bob}) && !${P.carol}`)
  })

  it('uses minimal parentheses', () => {
    const cases: [string, string][] = [
      ['((alice)) || ((bob && carol))', 'alice || bob && carol'],
      ['(alice || bob) && carol', '(alice || bob) && carol'],
      ['!(alice)', '!alice'],
      ['!(!alice)', '!!alice'],
      ['!(alice && bob)', '!(alice && bob)'],
      ['!all([alice, bob])', '!all([alice, bob])'],
      ['any(2, [(alice || bob), carol && dave, !erin])', 'any(2, [alice || bob, carol && dave, !erin])'],
      ['(alice && bob) && carol', '(alice && bob) && carol'],
      ['alice || (bob || carol)', 'alice || (bob || carol)'],
      ['(!alice) || (!bob && carol)', '!alice || !bob && carol'],
    ]
    for (const [input, output] of cases) expect(formatPolicyExpression(parse(input), P)).toBe(output)
  })

  it('round trips parsed expressions', () => {
    for (const text of ['alice', 'any(2, [all([alice, bob]), carol, dave])', '!(alice || bob) && (carol || (dave || erin))']) {
      const e = parse(text)
      expect(parse(formatPolicyExpression(e, P))).toEqual(e)
      expect(parse(formatPolicyExpression(e))).toEqual(e)
    }
  })

  it('falls back to the address for a participant missing from the map', () => {
    expect(formatPolicyExpression(parse('alice && bob'), { alice: P.alice })).toBe(`alice && ${P.bob}`)
  })

  it('rejects a node with an unknown op', () => {
    const e = policyError(() => formatPolicyExpression({ op: 'xor' } as unknown as PolicyExpression))
    expect(e.code).toBe('INVALID_POLICY')
    expect(e.details).toContain('got "xor"')
  })
})

describe('policyAddresses', () => {
  it('lists distinct addresses, sorted', () => {
    expect(policyAddresses(parse('erin && any(1, [carol, alice]) || !erin && all([alice, bob])'))).toEqual(
      [P.erin, P.carol, P.alice, P.bob].sort(),
    )
    expect(policyAddresses(parse('dave'))).toEqual([P.dave])
  })
})

describe('evaluatePolicy', () => {
  it('decides a single participant', () => {
    expect(decide('alice', {})).toBe('pending')
    expect(decide('alice', { alice: 'approve' })).toBe('approved')
    expect(decide('alice', { alice: 'reject' })).toBe('rejected')
    expect(decide('alice', { bob: 'approve' })).toBe('pending')
  })

  it('decides 2-of-2 (all)', () => {
    const e = parse('all([alice, bob])')
    expect(evaluatePolicy(e, votesOf({}))).toBe('pending')
    expect(evaluatePolicy(e, votesOf({ alice: 'approve' }))).toBe('pending')
    expect(evaluatePolicy(e, votesOf({ alice: 'approve', bob: 'approve' }))).toBe('approved')
    expect(evaluatePolicy(e, votesOf({ alice: 'approve', bob: 'reject' }))).toBe('rejected')
    expect(evaluatePolicy(e, votesOf({ bob: 'reject' }))).toBe('rejected')
  })

  const twoOfThree: [Partial<Record<Alias, Vote>>, PolicyDecision][] = [
    [{}, 'pending'],
    [{ alice: 'approve' }, 'pending'],
    [{ alice: 'reject' }, 'pending'],
    [{ alice: 'approve', bob: 'approve' }, 'approved'],
    [{ alice: 'approve', carol: 'approve' }, 'approved'],
    [{ alice: 'approve', bob: 'reject' }, 'pending'],
    [{ alice: 'reject', bob: 'reject' }, 'rejected'],
    [{ bob: 'reject', carol: 'reject' }, 'rejected'],
    [{ alice: 'approve', bob: 'reject', carol: 'approve' }, 'approved'],
    [{ alice: 'approve', bob: 'reject', carol: 'reject' }, 'rejected'],
    [{ alice: 'approve', bob: 'approve', carol: 'reject' }, 'approved'],
    [{ dave: 'approve', erin: 'approve' }, 'pending'],
  ]
  it.each(twoOfThree)('decides 2-of-3 any(2, [alice, bob, carol]) with votes %j as %s', (votes, decision) => {
    expect(decide('any(2, [alice, bob, carol])', votes)).toBe(decision)
  })

  it('decides 1-of-n and n-of-n', () => {
    expect(decide('any(1, [alice, bob, carol])', { carol: 'approve' })).toBe('approved')
    expect(decide('any(1, [alice, bob, carol])', { alice: 'reject', bob: 'reject' })).toBe('pending')
    expect(decide('any(1, [alice, bob, carol])', { alice: 'reject', bob: 'reject', carol: 'reject' })).toBe('rejected')
    expect(decide('any(3, [alice, bob, carol])', { alice: 'approve', bob: 'approve' })).toBe('pending')
    expect(decide('any(3, [alice, bob, carol])', { alice: 'approve', bob: 'approve', carol: 'approve' })).toBe('approved')
    expect(decide('all([alice, bob, carol])', { alice: 'approve', bob: 'approve', carol: 'approve' })).toBe('approved')
    expect(decide('all([alice, bob, carol])', { carol: 'reject' })).toBe('rejected')
  })

  it('counts nested items of any/all by their own decision', () => {
    const text = 'any(2, [all([alice, bob]), carol, dave])'
    expect(decide(text, { alice: 'approve', carol: 'approve' })).toBe('pending')
    expect(decide(text, { alice: 'approve', bob: 'approve', carol: 'approve' })).toBe('approved')
    expect(decide(text, { alice: 'reject', carol: 'approve' })).toBe('pending')
    expect(decide(text, { alice: 'reject', carol: 'approve', dave: 'approve' })).toBe('approved')
    // all([alice, bob]) is already false, so carol and dave would both be needed
    expect(decide(text, { alice: 'reject', carol: 'reject' })).toBe('rejected')
    expect(decide(text, { carol: 'reject', dave: 'reject' })).toBe('rejected')
  })

  // Kleene tables: a / b each approve (T), reject (F) or not voted (U).
  const val = { T: 'approve', F: 'reject', U: undefined } as const
  const dec = { T: 'approved', F: 'rejected', U: 'pending' } as const
  type K = keyof typeof val
  const votes2 = (a: K, b: K): Partial<Record<Alias, Vote>> => ({
    ...(val[a] ? { alice: val[a] } : {}),
    ...(val[b] ? { bob: val[b] } : {}),
  })
  const andTable: [K, K, K][] = [
    ['T', 'T', 'T'],
    ['T', 'F', 'F'],
    ['T', 'U', 'U'],
    ['F', 'T', 'F'],
    ['F', 'F', 'F'],
    ['F', 'U', 'F'],
    ['U', 'T', 'U'],
    ['U', 'F', 'F'],
    ['U', 'U', 'U'],
  ]
  const orTable: [K, K, K][] = [
    ['T', 'T', 'T'],
    ['T', 'F', 'T'],
    ['T', 'U', 'T'],
    ['F', 'T', 'T'],
    ['F', 'F', 'F'],
    ['F', 'U', 'U'],
    ['U', 'T', 'T'],
    ['U', 'F', 'U'],
    ['U', 'U', 'U'],
  ]
  it.each(andTable)('alice && bob with %s, %s is %s', (a, b, r) => {
    expect(decide('alice && bob', votes2(a, b))).toBe(dec[r])
    expect(decide('all([alice, bob])', votes2(a, b))).toBe(dec[r])
  })
  it.each(orTable)('alice || bob with %s, %s is %s', (a, b, r) => {
    expect(decide('alice || bob', votes2(a, b))).toBe(dec[r])
    expect(decide('any(1, [alice, bob])', votes2(a, b))).toBe(dec[r])
  })
  it.each([
    ['T', 'F'],
    ['F', 'T'],
    ['U', 'U'],
  ] as [K, K][])('!alice with %s is %s', (a, r) => {
    expect(decide('!alice', votes2(a, 'U'))).toBe(dec[r])
    expect(decide('not not alice', votes2(a, 'U'))).toBe(dec[a])
  })

  it('combines and/or/not over three participants', () => {
    // alice vetoes; otherwise bob or carol approves
    const text = '!alice && (bob || carol)'
    expect(decide(text, { bob: 'approve' })).toBe('pending')
    expect(decide(text, { alice: 'reject', bob: 'approve' })).toBe('approved')
    expect(decide(text, { alice: 'approve', bob: 'approve' })).toBe('rejected')
    expect(decide(text, { alice: 'reject', bob: 'reject', carol: 'reject' })).toBe('rejected')
  })

  it('rejects a node with an unknown op', () => {
    const e = policyError(() => evaluatePolicy({ op: 'and', of: [party('alice'), { op: 'nand' }] } as unknown as PolicyExpression, new Map()))
    expect(e.code).toBe('INVALID_POLICY')
    expect(e.details).toContain('got "nand"')
  })
})

// ---------------------------------------------------------------------------------------------
// Properties

/** Random well-formed expressions over P (within the parser's limits: depth <= 4, at most 121 nodes). */
function expressionArbitrary(withNot: boolean): fc.Arbitrary<PolicyExpression> {
  const partyArb: fc.Arbitrary<PolicyExpression> = fc.constantFrom(...ADDRESSES).map((address) => ({ op: 'party', address }))
  const sameBareParty = (a: PolicyExpression, b: PolicyExpression) => a.op === 'party' && b.op === 'party' && a.address === b.address
  const { expr } = fc.letrec<{ expr: PolicyExpression }>((tie) => {
    const sub = tie('expr')
    const list = fc.uniqueArray(sub, { minLength: 1, maxLength: 3, comparator: sameBareParty })
    const operands = fc.array(sub, { minLength: 2, maxLength: 3 })
    const choices: fc.Arbitrary<PolicyExpression>[] = [
      partyArb,
      list.chain((of) => fc.integer({ min: 1, max: of.length }).map((n): PolicyExpression => ({ op: 'any', n, of }))),
      list.map((of): PolicyExpression => ({ op: 'all', of })),
      operands.map((of): PolicyExpression => ({ op: 'and', of })),
      operands.map((of): PolicyExpression => ({ op: 'or', of })),
    ]
    if (withNot) choices.push(sub.map((of): PolicyExpression => ({ op: 'not', of })))
    return { expr: fc.oneof({ maxDepth: 4, depthSize: 'small' }, ...choices) }
  })
  return expr
}

const voteArb: fc.Arbitrary<Vote> = fc.constantFrom('approve', 'reject')
/** A partial vote assignment over P: each participant approves, rejects or has not voted. */
const ballotArb: fc.Arbitrary<Map<string, Vote>> = fc
  .tuple(...ADDRESSES.map(() => fc.option(voteArb, { nil: undefined })))
  .map((vs) => {
    const m = new Map<string, Vote>()
    vs.forEach((v, i) => {
      const address = ADDRESSES[i]
      if (v !== undefined && address !== undefined) m.set(address, v)
    })
    return m
  })

const rank: Record<PolicyDecision, number> = { rejected: 0, pending: 1, approved: 2 }

describe('properties', () => {
  it('finality: once approved or rejected, later votes never change the decision', () => {
    const voteSequence = fc
      .shuffledSubarray([...ADDRESSES])
      .chain((order) => fc.tuple(...order.map((address) => voteArb.map((vote) => [address, vote] as const))))
    fc.assert(
      fc.property(expressionArbitrary(true), voteSequence, (expr, sequence) => {
        const votes = new Map<string, Vote>()
        let decided: PolicyDecision | undefined
        for (const [address, vote] of sequence) {
          votes.set(address, vote)
          const decision = evaluatePolicy(expr, votes)
          if (decided !== undefined) expect(decision).toBe(decided)
          else if (decision !== 'pending') decided = decision
        }
        // with every participant having voted the decision is never pending
        if (sequence.length === ADDRESSES.length) expect(evaluatePolicy(expr, votes)).not.toBe('pending')
      }),
      { numRuns: 500 },
    )
  })

  it('soundness: a final decision agrees with every way the missing votes could go', () => {
    fc.assert(
      fc.property(expressionArbitrary(true), ballotArb, (expr, ballot) => {
        const decision = evaluatePolicy(expr, ballot)
        if (decision === 'pending') return
        const missing = ADDRESSES.filter((a) => !ballot.has(a))
        for (let mask = 0; mask < 1 << missing.length; mask++) {
          const full = new Map(ballot)
          missing.forEach((a, i) => full.set(a, mask & (1 << i) ? 'approve' : 'reject'))
          expect(evaluatePolicy(expr, full)).toBe(decision)
        }
      }),
      { numRuns: 300 },
    )
  })

  it('monotonicity: without not, a new approval never lowers and a new rejection never raises the decision', () => {
    fc.assert(
      fc.property(expressionArbitrary(false), ballotArb, fc.constantFrom(...ADDRESSES), voteArb, (expr, ballot, address, vote) => {
        const base = new Map(ballot)
        base.delete(address)
        const before = evaluatePolicy(expr, base)
        const after = evaluatePolicy(expr, new Map(base).set(address, vote))
        if (vote === 'approve') {
          if (before === 'approved') expect(after).toBe('approved')
          if (before === 'pending') expect(after).not.toBe('rejected')
          expect(rank[after]).toBeGreaterThanOrEqual(rank[before])
        } else {
          if (before === 'rejected') expect(after).toBe('rejected')
          if (before === 'pending') expect(after).not.toBe('approved')
          expect(rank[after]).toBeLessThanOrEqual(rank[before])
        }
      }),
      { numRuns: 500 },
    )
  })

  it('monotonicity: without not, turning a rejection into an approval never lowers the decision', () => {
    fc.assert(
      fc.property(expressionArbitrary(false), ballotArb, fc.constantFrom(...ADDRESSES), (expr, ballot, address) => {
        const before = evaluatePolicy(expr, new Map(ballot).set(address, 'reject'))
        const after = evaluatePolicy(expr, new Map(ballot).set(address, 'approve'))
        expect(rank[after]).toBeGreaterThanOrEqual(rank[before])
      }),
      { numRuns: 300 },
    )
  })

  it('any(n, parties) agrees with brute force over every completion of the missing votes', () => {
    const thresholdCase = fc
      .uniqueArray(fc.constantFrom(...ADDRESSES), { minLength: 1, maxLength: ADDRESSES.length })
      .chain((addresses) => fc.tuple(fc.constant(addresses), fc.integer({ min: 1, max: addresses.length })))
    fc.assert(
      fc.property(thresholdCase, ballotArb, ([addresses, n], ballot) => {
        const expr: PolicyExpression = { op: 'any', n, of: addresses.map((address) => ({ op: 'party', address })) }
        // Approved iff every completion reaches n approvals, rejected iff none does.
        const missing = addresses.filter((a) => !ballot.has(a))
        const fixed = addresses.filter((a) => ballot.get(a) === 'approve').length
        let reached = 0
        const completions = 1 << missing.length
        for (let mask = 0; mask < completions; mask++) {
          let approvals = fixed
          for (let i = 0; i < missing.length; i++) if (mask & (1 << i)) approvals++
          if (approvals >= n) reached++
        }
        const expected: PolicyDecision = reached === completions ? 'approved' : reached === 0 ? 'rejected' : 'pending'
        expect(evaluatePolicy(expr, ballot)).toBe(expected)
        // and through the parser, spelled with aliases
        expect(evaluatePolicy(parse(formatPolicyExpression(expr, P)), ballot)).toBe(expected)
      }),
      { numRuns: 500 },
    )
  })

  it('parse(format(e)) deep-equals e, with aliases and with addresses', () => {
    fc.assert(
      fc.property(expressionArbitrary(true), (expr) => {
        expect(parse(formatPolicyExpression(expr, P))).toEqual(expr)
        expect(parse(formatPolicyExpression(expr))).toEqual(expr)
        expect(policyAddresses(parse(formatPolicyExpression(expr)))).toEqual(policyAddresses(expr))
      }),
      { numRuns: 500 },
    )
  })

  it('parse never throws anything but INVALID_POLICY on arbitrary text', () => {
    const tokens = fc.constantFrom('alice', 'bob', 'zed', 'any', 'all', 'and', 'or', 'not', '(', ')', '[', ']', ',', '&&', '||', '!', '2', '0', '&', ' ', '$')
    fc.assert(
      fc.property(fc.array(tokens, { maxLength: 30 }), (parts) => {
        const text = parts.join(' ')
        try {
          const e = parse(text)
          expect(parse(formatPolicyExpression(e, P))).toEqual(e)
        } catch (err) {
          expect(err).toBeInstanceOf(ZrError)
          expect((err as ZrError).code).toBe('INVALID_POLICY')
          expect((err as ZrError).details).toMatch(/position \d+/)
        }
      }),
      { numRuns: 1000 },
    )
  })
})
