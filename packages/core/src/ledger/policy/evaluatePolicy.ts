import { describeValue } from '../../errors/describeValue.js'
import { ZrError } from '../../errors/ZrError.js'
import type { PolicyDecision, PolicyExpression, Vote } from './expressionTypes.js'
import { checkExpression, unknownNode } from './expressionRules.js'

// Kleene truth values on a line: rejected < pending < approved, so `and` is min, `or` is max, `not` is 1 - x.
const FALSE = 0
const UNKNOWN = 0.5
const TRUE = 1

function threshold(n: number, items: readonly PolicyExpression[], votes: ReadonlyMap<string, Vote>): number {
  let yes = 0
  let open = 0
  for (const item of items) {
    const t = truth(item, votes)
    if (t === TRUE) yes++
    else if (t === UNKNOWN) open++
  }
  if (yes >= n) return TRUE
  if (yes + open < n) return FALSE
  return UNKNOWN
}

function truth(e: PolicyExpression, votes: ReadonlyMap<string, Vote>): number {
  switch (e.op) {
    case 'party': {
      const vote = votes.get(e.address)
      return vote === 'approve' ? TRUE : vote === 'reject' ? FALSE : UNKNOWN
    }
    case 'any':
      return threshold(e.n, e.of, votes)
    case 'all':
      return threshold(e.of.length, e.of, votes)
    case 'and': {
      let t = TRUE
      for (const c of e.of) t = Math.min(t, truth(c, votes))
      return t
    }
    case 'or': {
      let t = FALSE
      for (const c of e.of) t = Math.max(t, truth(c, votes))
      return t
    }
    case 'not':
      return TRUE - truth(e.of, votes)
    default:
      throw unknownNode(e)
  }
}

/**
 * Decides a policy from the votes cast so far (keyed by address; votes of non-participants are ignored).
 * Throws `INVALID_POLICY` for a value that is not an expression tree and `INVALID_INPUT` for votes that
 * are not a Map.
 *
 * Evaluation is three-valued: a participant that approved is true, one that rejected is false, one that
 * has not voted is unknown; `and`/`or`/`not` follow Kleene logic and `any(n, xs)` is true once `n` items
 * are true and false once fewer than `n` can still become true. True is `approved`, false `rejected`,
 * unknown `pending`. A decision of `approved` or `rejected` is final: more votes never change it.
 *
 * @example
 * ```ts
 * import { evaluatePolicy, parsePolicyExpression } from '@zrkit/core'
 *
 * const expr = parsePolicyExpression('all([alice, bob])', { alice: 'zen1alice', bob: 'zen1bob' })
 * evaluatePolicy(expr, new Map([['zen1alice', 'approve']])) // 'pending'
 * evaluatePolicy(expr, new Map([['zen1alice', 'approve'], ['zen1bob', 'approve']])) // 'approved'
 * evaluatePolicy(expr, new Map([['zen1alice', 'approve'], ['zen1bob', 'reject']])) // 'rejected'
 * ```
 */
export function evaluatePolicy(expr: PolicyExpression, votes: ReadonlyMap<string, Vote>): PolicyDecision {
  checkExpression(expr)
  if (votes === null || typeof votes !== 'object' || typeof (votes as { get?: unknown }).get !== 'function') {
    throw new ZrError('INVALID_INPUT', 'Invalid votes.', { details: `expected a Map of address -> 'approve' | 'reject', got ${describeValue(votes)}` })
  }
  const t = truth(expr, votes)
  return t === TRUE ? 'approved' : t === FALSE ? 'rejected' : 'pending'
}
