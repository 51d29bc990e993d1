import type { PolicyExpression } from './expressionTypes.js'
import { checkExpression, unknownNode } from './expressionRules.js'

/**
 * The distinct participant addresses an expression refers to, sorted. Throws `INVALID_POLICY` for a value
 * that is not an expression tree.
 *
 * @example
 * ```ts
 * import { parsePolicyExpression, policyAddresses } from '@zrkit/core'
 *
 * const expr = parsePolicyExpression('bob && (alice || !bob)', { alice: 'zen1alice', bob: 'zen1bob' })
 * policyAddresses(expr) // ['zen1alice', 'zen1bob']
 * ```
 */
export function policyAddresses(expr: PolicyExpression): string[] {
  checkExpression(expr)
  const found = new Set<string>()
  const visit = (e: PolicyExpression): void => {
    switch (e.op) {
      case 'party':
        found.add(e.address)
        return
      case 'not':
        visit(e.of)
        return
      case 'tx':
        return
      case 'any':
      case 'all':
      case 'and':
      case 'or':
        for (const c of e.of) visit(c)
        return
      default:
        throw unknownNode(e)
    }
  }
  visit(expr)
  return [...found].sort()
}
