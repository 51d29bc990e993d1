/**
 * A parsed policy expression: the tree the ledger evaluates to decide whether a signature request or a
 * workspace admin change may go ahead. Participants appear only as addresses (aliases are resolved at
 * parse time), so the tree means the same thing whatever names the policy's author used.
 *
 * - `party`: one participant, true when it approved.
 * - `any`: true when at least `n` of the items are true (`1 <= n <= of.length`).
 * - `all`: true when every item is true.
 * - `and` / `or`: two or more operands; a chain `a && b && c` is one node with three operands.
 * - `not`: the negation of its operand (never of a transaction condition: see {@link TxCondition}).
 * - `tx`: a condition on the decoded transaction of a sign-transaction request ({@link TxCondition}).
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
  | TxCondition

/** The transaction fields a policy can test (see {@link TxCondition}). */
export type TxField = 'chain' | 'network' | 'to' | 'value' | 'token' | 'amount' | 'fee' | 'contract' | 'selector'
/** Comparisons: on amounts all six; on names and addresses `==`, `!=` and `in`. */
export type TxComparison = '<' | '<=' | '>' | '>=' | '==' | '!=' | 'in'
/**
 * The right-hand side of a transaction condition: an amount with its unit (`0.1 eth`, `1000 usdc`; the
 * decimal text is kept as written and converted exactly, never through a float), a name (`evm`, a token
 * name such as `usdc`), a quoted text (`"eip155:1"`, an address), or a named allowlist of the workspace.
 */
export type TxOperand =
  | { readonly kind: 'amount'; readonly amount: string; readonly unit: string }
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'allowlist'; readonly name: string }

/**
 * A condition on the transaction a sign-transaction request carries, decided once when the request is
 * made: true or false, never waiting for votes. It is false for a request without a transaction (raw
 * payloads) and for a transaction it does not cover, so a policy denies what it does not speak about:
 *
 * - `tx.value`, `tx.to`: only transactions that move nothing but the chain's native coin
 *   (`tx.value` is the total; every recipient must satisfy `tx.to`).
 * - `tx.token`, `tx.amount`: only transactions that move one token and nothing else (`tx.amount` is the
 *   total of its transfers and approvals, in the token's unit); `tx.to` covers them too.
 * - `tx.contract`, `tx.selector`: only transactions whose calls the decoder cannot read, with no value
 *   or token moved; every call must match.
 * - `tx.fee`, `tx.chain`, `tx.network`: every decoded transaction.
 *
 * Because an uncovered condition is false, a policy may not negate one (`!(tx.value > 1 eth)` would turn
 * "not covered" into "allowed"): write the opposite comparison instead.
 *
 * @example
 * ```ts
 * import { parsePolicyExpression } from '@zrkit/core'
 * parsePolicyExpression('tx.value <= 0.1 eth && any(1, [alice, bob]) || all([alice, bob])', participants)
 * parsePolicyExpression('tx.to in allowlist(treasury) && alice', participants)
 * ```
 */
export type TxCondition = { readonly op: 'tx'; readonly field: TxField; readonly cmp: TxComparison; readonly value: TxOperand }

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

/** Which comparisons and operands each field takes. */
export const txFieldRules: Readonly<Record<TxField, { readonly cmps: readonly TxComparison[]; readonly operands: readonly TxOperand['kind'][] }>> = {
  chain: { cmps: ['==', '!='], operands: ['name'] },
  network: { cmps: ['==', '!='], operands: ['text'] },
  to: { cmps: ['==', '!=', 'in'], operands: ['text', 'allowlist'] },
  contract: { cmps: ['==', '!=', 'in'], operands: ['text', 'allowlist'] },
  selector: { cmps: ['==', '!=', 'in'], operands: ['text', 'allowlist'] },
  token: { cmps: ['==', '!='], operands: ['name', 'text'] },
  value: { cmps: ['<', '<=', '>', '>=', '==', '!='], operands: ['amount'] },
  amount: { cmps: ['<', '<=', '>', '>=', '==', '!='], operands: ['amount'] },
  fee: { cmps: ['<', '<=', '>', '>=', '==', '!='], operands: ['amount'] },
}
