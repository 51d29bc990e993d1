/*
 * What a policy expression tree may be: the limits every expression keeps, the error an invalid one
 * gets, and the check of a tree handed in by any caller. Shared by the parser, the formatter and the
 * evaluator.
 */
import type { ZrErrorContext } from '../../errors/context.js'
import { describeValue } from '../../errors/describeValue.js'
import { ZrError } from '../../errors/ZrError.js'
import type { PolicyExpression } from './expressionTypes.js'

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
  return invalidExpression(`expected a node with op party, any, all, and, or or not, got ${describeValue(op)}`)
}

/**
 * Checks that a value is a policy expression tree as {@link parsePolicyExpression} builds them (any
 * caller may hand one in): objects with a known `op`, `party` nodes with a string address, `any` with an
 * integer `n` in 1..its items, lists of sub-expressions, at most {@link MAX_DEPTH} levels and
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
        return visit(node.of, depth + 1, `${at}.of`)
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
