/*
 * What a policy expression tree may be: the limits every expression keeps, the error an invalid one
 * gets, and the check of a tree handed in by any caller. Shared by the parser, the formatter and the
 * evaluator.
 */
import type { ZrErrorContext } from '../../errors/context.js'
import { describeValue } from '../../errors/describeValue.js'
import { ZrError } from '../../errors/ZrError.js'
import { txFieldRules, type PolicyExpression, type TxCondition } from './expressionTypes.js'

/** Longest accepted expression text, in UTF-16 code units. */
export const MAX_TEXT_LENGTH = 4096
/** Deepest accepted nesting: operators above a participant, and brackets/lists/negations while parsing. */
export const MAX_DEPTH = 32
/** Most nodes (participants and operators) one expression may have. */
export const MAX_NODES = 256

/** The `INVALID_POLICY` error of an expression, with where (`position`) and who (`name`, `alias`, `address`) when known. */
export function invalidExpression(details: string, context: ZrErrorContext['INVALID_POLICY'] = {}): ZrError<'INVALID_POLICY'> {
  return new ZrError('INVALID_POLICY', 'Invalid policy expression.', { details, context })
}

/** The error for a node whose `op` is none of the known ones. */
export function unknownNode(e: never): ZrError {
  const op = (e as { op?: unknown } | null)?.op
  return invalidExpression(`expected a node with op party, any, all, and, or, not or tx, got ${describeValue(op)}`)
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const AMOUNT = /^[0-9]+(?:\.[0-9]+)?$/
const TEXT = /^[\x20\x21\x23-\x5b\x5d-\x7e]{0,256}$/

/**
 * What is wrong with a transaction condition, or undefined when it is well formed: a known field, a
 * comparison and an operand that field takes (`in` exactly with an allowlist), names that are
 * identifiers, an amount in plain decimal digits, a text of printable characters.
 */
export function txConditionProblem(node: TxCondition): string | undefined {
  const rules = Object.hasOwn(txFieldRules, node.field) ? txFieldRules[node.field] : undefined
  if (!rules) return `expected a transaction field (${Object.keys(txFieldRules).join(', ')}), got ${describeValue(node.field)}`
  if (!rules.cmps.includes(node.cmp)) return `expected tx.${node.field} compared with ${rules.cmps.join(', ')}, got ${describeValue(node.cmp)}`
  const v = node.value as Record<string, unknown> | null
  if (v === null || typeof v !== 'object' || !rules.operands.includes(v.kind as never)) {
    const kinds = rules.operands.map((k) => (k === 'amount' ? 'an amount with its unit' : k === 'text' ? 'a quoted text' : k === 'allowlist' ? 'allowlist(name)' : 'a name'))
    return `expected tx.${node.field} compared with ${kinds.join(' or ')}, got ${v && typeof v === 'object' ? `a ${String(v.kind)}` : describeValue(v)}`
  }
  if ((node.cmp === 'in') !== (v.kind === 'allowlist')) return `expected "in" exactly with allowlist(name), got ${node.cmp} with a ${String(v.kind)}`
  switch (v.kind) {
    case 'amount':
      if (typeof v.amount !== 'string' || !AMOUNT.test(v.amount) || v.amount.length > 80) return `expected a non-negative decimal amount, got ${describeValue(v.amount)}`
      if (typeof v.unit !== 'string' || !NAME.test(v.unit) || v.unit.length > 64) return `expected a unit name, got ${describeValue(v.unit)}`
      return undefined
    case 'name':
    case 'allowlist':
      if (typeof v.name !== 'string' || !NAME.test(v.name) || v.name.length > 64) return `expected a name like usdc or treasury, got ${describeValue(v.name)}`
      return undefined
    case 'text':
      if (typeof v.text !== 'string' || !TEXT.test(v.text)) return `expected a text of at most 256 printable characters without " or \\, got ${describeValue(v.text)}`
      return undefined
    default:
      return `expected an operand, got ${describeValue(v.kind)}`
  }
}

/** True when a transaction condition occurs anywhere in the tree. */
export function containsTxCondition(e: PolicyExpression): boolean {
  switch (e.op) {
    case 'tx':
      return true
    case 'party':
      return false
    case 'not':
      return containsTxCondition(e.of)
    default:
      return e.of.some(containsTxCondition)
  }
}

/**
 * Checks that a value is a policy expression tree as {@link parsePolicyExpression} builds them (any
 * caller may hand one in): objects with a known `op`, `party` nodes with a string address, `any` with an
 * integer `n` in 1..its items, lists of sub-expressions, well-formed `tx` conditions never under a `not`, at most {@link MAX_DEPTH} levels and
 * {@link MAX_NODES} nodes (so a cyclic value is refused too). Throws `INVALID_POLICY` saying where.
 */
export function checkExpression(expr: unknown): PolicyExpression {
  let nodes = 0
  const visit = (e: unknown, depth: number, at: string): void => {
    if (++nodes > MAX_NODES) throw invalidExpression(`expected at most ${MAX_NODES} nodes, got more at ${at}`)
    if (depth > MAX_DEPTH) throw invalidExpression(`expected at most ${MAX_DEPTH} levels of nesting, got more at ${at}`)
    if (e === null || typeof e !== 'object' || Array.isArray(e)) throw invalidExpression(`expected an expression node { op, ... } at ${at}, got ${describeValue(e)}`)
    const node = e as Record<string, unknown>
    const items = (): unknown[] => {
      if (!Array.isArray(node.of) || node.of.length < 1) throw invalidExpression(`expected a non-empty list of sub-expressions in ${at}.of, got ${describeValue(node.of)}`)
      return node.of
    }
    switch (node.op) {
      case 'party':
        if (typeof node.address !== 'string' || node.address.length === 0) throw invalidExpression(`expected a participant address at ${at}.address, got ${describeValue(node.address)}`)
        return
      case 'not':
        visit(node.of, depth + 1, `${at}.of`)
        if (containsTxCondition(node.of as PolicyExpression)) throw invalidExpression(`expected no negation over a transaction condition at ${at} (write the opposite comparison)`)
        return
      case 'tx': {
        const problem = txConditionProblem(node as unknown as TxCondition)
        if (problem) throw invalidExpression(`${problem} at ${at}`)
        return
      }
      case 'any': {
        const of = items()
        if (typeof node.n !== 'number' || !Number.isInteger(node.n) || node.n < 1 || node.n > of.length) {
          throw invalidExpression(`expected n in 1..${of.length} at ${at}.n, got ${describeValue(node.n)}`)
        }
        of.forEach((c, i) => visit(c, depth + 1, `${at}.of[${i}]`))
        return
      }
      case 'all':
      case 'and':
      case 'or':
        items().forEach((c, i) => visit(c, depth + 1, `${at}.of[${i}]`))
        return
      default:
        throw unknownNode(node as never)
    }
  }
  visit(expr, 0, 'expr')
  return expr as PolicyExpression
}
