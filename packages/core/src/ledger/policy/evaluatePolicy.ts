import { describeValue } from '../../errors/describeValue.js'
import { ZrError } from '../../errors/ZrError.js'
import type { PolicyDecision, PolicyExpression, TxCondition, Vote } from './expressionTypes.js'
import { checkExpression, unknownNode } from './expressionRules.js'
import { formatPolicyExpression } from './formatPolicyExpression.js'

/**
 * How transaction conditions came out, in the order the evaluator meets them (depth first, left to right):
 * a list of booleans, or a function of the condition and its index. Absent: every condition is false
 * (a request without a transaction).
 */
export type TxConditionValues = readonly boolean[] | ((condition: TxCondition, index: number) => boolean)

type Env = { votes: ReadonlyMap<string, Vote>; condition: (c: TxCondition) => boolean }

function envOf(votes: ReadonlyMap<string, Vote>, conditions: TxConditionValues | undefined): Env {
  let index = 0
  const condition = (c: TxCondition): boolean => {
    const i = index++
    if (conditions === undefined) return false
    return typeof conditions === 'function' ? conditions(c, i) === true : conditions[i] === true
  }
  return { votes, condition }
}

// Kleene truth values on a line: rejected < pending < approved, so `and` is min, `or` is max, `not` is 1 - x.
const FALSE = 0
const UNKNOWN = 0.5
const TRUE = 1

function threshold(n: number, items: readonly PolicyExpression[], env: Env): number {
  let yes = 0
  let open = 0
  for (const item of items) {
    const t = truth(item, env)
    if (t === TRUE) yes++
    else if (t === UNKNOWN) open++
  }
  if (yes >= n) return TRUE
  if (yes + open < n) return FALSE
  return UNKNOWN
}

// Every child is visited, in order, with no short cut: the index of a transaction condition is its place in the tree.
function truth(e: PolicyExpression, env: Env): number {
  switch (e.op) {
    case 'party': {
      const vote = env.votes.get(e.address)
      return vote === 'approve' ? TRUE : vote === 'reject' ? FALSE : UNKNOWN
    }
    case 'tx':
      return env.condition(e) ? TRUE : FALSE
    case 'any':
      return threshold(e.n, e.of, env)
    case 'all':
      return threshold(e.of.length, e.of, env)
    case 'and': {
      let t = TRUE
      for (const c of e.of) t = Math.min(t, truth(c, env))
      return t
    }
    case 'or': {
      let t = FALSE
      for (const c of e.of) t = Math.max(t, truth(c, env))
      return t
    }
    case 'not':
      return TRUE - truth(e.of, env)
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
 * Transaction conditions (`tx.value <= 0.1 eth`) are true or false, never unknown: pass how each came out
 * as `conditions` (the ledger judges them once, when a request is made); without it each is false, as
 * for a request that carries no transaction.
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
export function evaluatePolicy(expr: PolicyExpression, votes: ReadonlyMap<string, Vote>, conditions?: TxConditionValues): PolicyDecision {
  checkExpression(expr)
  checkVotes(votes, conditions)
  return decision(truth(expr, envOf(votes, conditions)))
}

function checkVotes(votes: unknown, conditions: unknown): void {
  if (votes === null || typeof votes !== 'object' || typeof (votes as { get?: unknown }).get !== 'function') {
    throw new ZrError('INVALID_INPUT', 'Invalid votes.', { details: `expected a Map of address -> 'approve' | 'reject', got ${describeValue(votes)}` })
  }
  if (conditions !== undefined && typeof conditions !== 'function' && !Array.isArray(conditions)) {
    throw new ZrError('INVALID_INPUT', 'Invalid transaction conditions.', { details: `expected a list of booleans or a function, got ${describeValue(conditions)}` })
  }
}

const decision = (t: number): PolicyDecision => (t === TRUE ? 'approved' : t === FALSE ? 'rejected' : 'pending')

/**
 * Which part of a policy decided it, in words for approvers and auditors: for an approval, the first
 * clause of a top-level `||` that holds (or the whole expression); for a rejection, that no clause can
 * hold any more; for a pending decision, what is still open. `participants` writes addresses as aliases.
 *
 * @example
 * ```ts
 * import { explainPolicyDecision, parsePolicyExpression } from '@zrkit/core'
 *
 * const p = { alice: 'zen1alice', bob: 'zen1bob' }
 * const expr = parsePolicyExpression('tx.value <= 0.1 eth && alice || all([alice, bob])', p)
 * explainPolicyDecision(expr, new Map([['zen1alice', 'approve']]), [true], p)
 * // 'approved by the clause tx.value <= 0.1 eth && alice'
 * ```
 */
export function explainPolicyDecision(expr: PolicyExpression, votes: ReadonlyMap<string, Vote>, conditions?: TxConditionValues, participants?: Readonly<Record<string, string>>): string {
  checkExpression(expr)
  checkVotes(votes, conditions)
  const env = envOf(votes, conditions)
  const clauses = expr.op === 'or' ? expr.of : [expr]
  const truths = clauses.map((c) => truth(c, env))
  const result = decision(Math.max(...truths))
  const text = (e: PolicyExpression) => formatPolicyExpression(e, participants)
  if (result === 'approved') return `approved by the clause ${text(clauses[truths.indexOf(TRUE)]!)}`
  if (result === 'rejected') return clauses.length > 1 ? `rejected: none of its ${clauses.length} clauses can hold` : `rejected: ${text(expr)} cannot hold`
  const open = clauses.filter((_, i) => truths[i] === UNKNOWN).map(text)
  return `pending: waiting for ${open.join(' or ')}`
}
