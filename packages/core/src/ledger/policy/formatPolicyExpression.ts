import { describeValue } from '../../errors/describeValue.js'
import type { PolicyExpression, TxCondition } from './expressionTypes.js'
import { checkExpression, invalidExpression as invalid, unknownNode } from './expressionRules.js'

/** Binding strength: higher binds tighter. */
function precedence(expr: PolicyExpression): number {
  switch (expr.op) {
    case 'or':
      return 1
    case 'and':
      return 2
    case 'not':
      return 3
    default:
      return 4
  }
}

/**
 * Writes an expression back as text, with aliases for addresses that appear in `participants` (else the
 * addresses themselves) and only the parentheses the structure needs. Nested `and`/`or` nodes of the
 * same kind keep their parentheses, so for every parsed expression `e`,
 * `parsePolicyExpression(formatPolicyExpression(e, p), p)` deep-equals `e`. Throws `INVALID_POLICY` for a
 * value that is not an expression tree as `parsePolicyExpression` builds them.
 *
 * @example
 * ```ts
 * import { formatPolicyExpression, parsePolicyExpression } from '@zrkit/core'
 *
 * const participants = { alice: 'zen1alice', bob: 'zen1bob', carol: 'zen1carol' }
 * const expr = parsePolicyExpression('(alice or (bob)) and not carol', participants)
 * formatPolicyExpression(expr, participants) // '(alice || bob) && !carol'
 * formatPolicyExpression(expr) // '(zen1alice || zen1bob) && !zen1carol'
 * ```
 */
export function formatPolicyExpression(expr: PolicyExpression, participants?: Readonly<Record<string, string>>): string {
  checkExpression(expr)
  if (participants !== undefined && (participants === null || typeof participants !== 'object')) {
    throw invalid(`expected participants as an alias -> address object, got ${describeValue(participants)}`)
  }
  const aliasOf = new Map<string, string>()
  if (participants) {
    for (const [alias, address] of Object.entries(participants)) if (!aliasOf.has(address)) aliasOf.set(address, alias)
  }
  const list = (items: readonly PolicyExpression[]): string => `[${items.map((i) => write(i)).join(', ')}]`
  // Operands of `op` are parenthesised when they bind no tighter than `op` itself; for `&&`/`||` this
  // also keeps an explicitly nested chain of the same operator from being flattened on re-parse.
  const operand = (child: PolicyExpression, parentPrecedence: number): string =>
    precedence(child) <= parentPrecedence ? `(${write(child)})` : write(child)
  const write = (e: PolicyExpression): string => {
    switch (e.op) {
      case 'party':
        return aliasOf.get(e.address) ?? e.address
      case 'any':
        return `any(${e.n}, ${list(e.of)})`
      case 'all':
        return `all(${list(e.of)})`
      case 'and':
        return e.of.map((c) => operand(c, 2)).join(' && ')
      case 'or':
        return e.of.map((c) => operand(c, 1)).join(' || ')
      case 'not':
        return `!${precedence(e.of) < 3 ? `(${write(e.of)})` : write(e.of)}`
      case 'tx':
        return formatTxCondition(e)
      default:
        throw unknownNode(e)
    }
  }
  return write(expr)
}

/**
 * One transaction condition as text: `tx.value <= 0.1 eth`, `tx.to in allowlist(treasury)`,
 * `tx.network == "eip155:1"`.
 */
export function formatTxCondition(c: TxCondition): string {
  const v = c.value
  const operand = v.kind === 'amount' ? `${v.amount} ${v.unit}` : v.kind === 'name' ? v.name : v.kind === 'text' ? `"${v.text}"` : `allowlist(${v.name})`
  return `tx.${c.field} ${c.cmp} ${operand}`
}
