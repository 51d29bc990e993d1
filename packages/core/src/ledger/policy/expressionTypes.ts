/**
 * A parsed policy expression: the tree the ledger evaluates to decide whether a signature request or a
 * workspace admin change may go ahead. Participants appear only as addresses (aliases are resolved at
 * parse time), so the tree means the same thing whatever names the policy's author used.
 *
 * - `party`: one participant, true when it approved.
 * - `any`: true when at least `n` of the items are true (`1 <= n <= of.length`).
 * - `all`: true when every item is true.
 * - `and` / `or`: two or more operands; a chain `a && b && c` is one node with three operands.
 * - `not`: the negation of its operand.
 *
 * @example
 * ```ts
 * import type { PolicyExpression } from '@zrkit/core'
 *
 * // alice, or any two of bob, carol and dave
 * const expr: PolicyExpression = {
 *   op: 'or',
 *   of: [
 *     { op: 'party', address: 'zen1alice' },
 *     {
 *       op: 'any',
 *       n: 2,
 *       of: [
 *         { op: 'party', address: 'zen1bob' },
 *         { op: 'party', address: 'zen1carol' },
 *         { op: 'party', address: 'zen1dave' },
 *       ],
 *     },
 *   ],
 * }
 * ```
 */
export type PolicyExpression =
  | { readonly op: 'party'; readonly address: string }
  | { readonly op: 'any'; readonly n: number; readonly of: readonly PolicyExpression[] }
  | { readonly op: 'all'; readonly of: readonly PolicyExpression[] }
  | { readonly op: 'and'; readonly of: readonly PolicyExpression[] }
  | { readonly op: 'or'; readonly of: readonly PolicyExpression[] }
  | { readonly op: 'not'; readonly of: PolicyExpression }

/**
 * A participant's vote on a pending request.
 *
 * @example
 * ```ts
 * import type { Vote } from '@zrkit/core'
 * const votes = new Map<string, Vote>([['zen1alice', 'approve'], ['zen1bob', 'reject']])
 * ```
 */
export type Vote = 'approve' | 'reject'

/**
 * The outcome of evaluating a policy against the votes cast so far. `approved` and `rejected` are
 * final: no further vote can change them. `pending` means the outcome still depends on missing votes.
 *
 * @example
 * ```ts
 * import { evaluatePolicy, type PolicyDecision } from '@zrkit/core'
 * const decision: PolicyDecision = evaluatePolicy(expr, votes)
 * if (decision === 'pending') console.log('waiting for more votes')
 * ```
 */
export type PolicyDecision = 'approved' | 'rejected' | 'pending'
