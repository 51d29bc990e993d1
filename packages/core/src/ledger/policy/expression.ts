import { describeValue } from '../../errors/describeValue.js'
import { ZrError } from '../../errors/ZrError.js'
import type { ZrErrorContext } from '../../errors/context.js'

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

/** Longest accepted expression text, in UTF-16 code units. */
const MAX_TEXT_LENGTH = 4096
/** Deepest accepted nesting: operators above a participant, and brackets/lists/negations while parsing. */
const MAX_DEPTH = 32
/** Most nodes (participants and operators) one expression may have. */
const MAX_NODES = 256

const KEYWORDS: ReadonlySet<string> = new Set(['any', 'all', 'and', 'or', 'not'])
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/
const NAME_STICKY = /[A-Za-z_][A-Za-z0-9_]*/y
const NUMBER_STICKY = /-?[0-9]+(?:\.[0-9]+)?/y

function invalid(details: string, context: ZrErrorContext['INVALID_POLICY'] = {}): ZrError<'INVALID_POLICY'> {
  return new ZrError('INVALID_POLICY', 'Invalid policy expression.', { details, context })
}

// ---------------------------------------------------------------------------------------------
// Tokens

type Token = {
  readonly kind: 'name' | 'number' | 'symbol' | 'end'
  readonly text: string
  /** 0-based offset of the token's first character in the expression text. */
  readonly pos: number
}

function describe(tok: Token): string {
  return tok.kind === 'end' ? 'end of input' : JSON.stringify(tok.text)
}

function isSymbol(tok: Token, text: string): boolean {
  return tok.kind === 'symbol' && tok.text === text
}

function isKeyword(tok: Token, text: string): boolean {
  return tok.kind === 'name' && tok.text === text
}

const isOrOp = (tok: Token): boolean => isSymbol(tok, '||') || isKeyword(tok, 'or')
const isAndOp = (tok: Token): boolean => isSymbol(tok, '&&') || isKeyword(tok, 'and')
const isNotOp = (tok: Token): boolean => isSymbol(tok, '!') || isKeyword(tok, 'not')

/** Reads tokens on demand, so an error is always reported at the leftmost offending character. */
class Lexer {
  private offset = 0
  private lookahead: Token | undefined

  constructor(private readonly text: string) {}

  peek(): Token {
    this.lookahead ??= this.scan()
    return this.lookahead
  }

  next(): Token {
    const tok = this.peek()
    this.lookahead = undefined
    return tok
  }

  private scan(): Token {
    const text = this.text
    while (this.offset < text.length && /\s/.test(text.charAt(this.offset))) this.offset++
    const pos = this.offset
    if (pos >= text.length) return { kind: 'end', text: '', pos }
    const c = text.charAt(pos)
    if (c === '(' || c === ')' || c === '[' || c === ']' || c === ',' || c === '!') {
      this.offset++
      return { kind: 'symbol', text: c, pos }
    }
    if (c === '&' || c === '|') {
      if (text.charAt(pos + 1) !== c) throw invalid(`expected "${c}${c}" at position ${pos}, got "${c}"`, { position: pos })
      this.offset += 2
      return { kind: 'symbol', text: c + c, pos }
    }
    const name = this.match(NAME_STICKY, pos)
    if (name !== undefined) return { kind: 'name', text: name, pos }
    const number = this.match(NUMBER_STICKY, pos)
    if (number !== undefined) return { kind: 'number', text: number, pos }
    const ch = String.fromCodePoint(text.codePointAt(pos) ?? 0)
    throw invalid(`expected a participant, number, operator or bracket at position ${pos}, got ${JSON.stringify(ch)}`, {
      position: pos,
    })
  }

  private match(re: RegExp, pos: number): string | undefined {
    re.lastIndex = pos
    const m = re.exec(this.text)
    if (!m) return undefined
    this.offset = pos + m[0].length
    return m[0]
  }
}

// ---------------------------------------------------------------------------------------------
// Participants

type Participants = {
  /** alias -> address */
  readonly byAlias: ReadonlyMap<string, string>
  /** address -> first alias naming it */
  readonly aliasOf: ReadonlyMap<string, string>
}

function readParticipants(participants: Readonly<Record<string, string>>): Participants {
  if (participants === null || typeof participants !== 'object') {
    throw invalid(`expected a participants map (alias -> address), got ${participants === null ? 'null' : typeof participants}`)
  }
  const byAlias = new Map<string, string>()
  const aliasOf = new Map<string, string>()
  for (const [alias, address] of Object.entries(participants)) {
    if (!NAME_RE.test(alias) || KEYWORDS.has(alias)) {
      throw invalid(
        `expected every participant alias to match [A-Za-z_][A-Za-z0-9_]* and not be one of any, all, and, or, not; got ${JSON.stringify(alias)}`,
        { alias },
      )
    }
    if (typeof address !== 'string' || address.length === 0) {
      throw invalid(`expected a non-empty address string for participant "${alias}", got ${JSON.stringify(address) ?? typeof address}`, {
        alias,
      })
    }
    byAlias.set(alias, address)
    if (!aliasOf.has(address)) aliasOf.set(address, alias)
  }
  // A name must mean one participant: an alias spelled like another participant's address would make
  // that address refer to two different participants depending on how it is written.
  for (const [alias, address] of byAlias) {
    const owner = aliasOf.get(alias)
    if (owner !== undefined && alias !== address) {
      throw invalid(`expected alias "${alias}" to differ from the addresses of other participants, got the address of "${owner}"`, {
        alias,
      })
    }
  }
  return { byAlias, aliasOf }
}

// ---------------------------------------------------------------------------------------------
// Parser

type Parsed = {
  readonly expr: PolicyExpression
  /** Operators on the longest path from this node down to a participant (a participant has 0). */
  readonly depth: number
}

/**
 * Recursive descent over the grammar
 *
 * ```
 * expr    := orExpr
 * orExpr  := andExpr (('||' | 'or') andExpr)*
 * andExpr := notExpr (('&&' | 'and') notExpr)*
 * notExpr := ('!' | 'not') notExpr | primary
 * primary := 'any' '(' INT ',' list ')' | 'all' '(' list ')' | '(' expr ')' | NAME
 * list    := '[' expr (',' expr)* ']'
 * ```
 */
class Parser {
  private nodes = 0
  private nesting = 0

  constructor(
    private readonly lexer: Lexer,
    private readonly participants: Participants,
  ) {}

  parseAll(): PolicyExpression {
    const first = this.lexer.peek()
    if (first.kind === 'end') throw invalid(`expected an expression at position ${first.pos}, got end of input`, { position: first.pos })
    const { expr } = this.parseOr()
    const rest = this.lexer.peek()
    if (rest.kind !== 'end') {
      throw invalid(`expected "&&", "||" or end of input at position ${rest.pos}, got ${describe(rest)}`, { position: rest.pos })
    }
    return expr
  }

  private parseOr(): Parsed {
    return this.parseChain('or', isOrOp, () => this.parseAnd())
  }

  private parseAnd(): Parsed {
    return this.parseChain('and', isAndOp, () => this.parseNot())
  }

  /** `operand (op operand)*`, one flat node when the operator occurs at least once. */
  private parseChain(op: 'and' | 'or', isOp: (tok: Token) => boolean, operand: () => Parsed): Parsed {
    const start = this.lexer.peek().pos
    const first = operand()
    if (!isOp(this.lexer.peek())) return first
    this.countNode(this.lexer.peek().pos)
    const items = [first]
    while (isOp(this.lexer.peek())) {
      this.lexer.next()
      items.push(operand())
    }
    return this.build(start, { op, of: Object.freeze(items.map((i) => i.expr)) }, items)
  }

  private parseNot(): Parsed {
    const tok = this.lexer.peek()
    if (!isNotOp(tok)) return this.parsePrimary()
    this.lexer.next()
    this.countNode(tok.pos)
    this.enter(tok.pos)
    const operand = this.parseNot()
    this.leave()
    return this.build(tok.pos, { op: 'not', of: operand.expr }, [operand])
  }

  private parsePrimary(): Parsed {
    const tok = this.lexer.next()
    if (isSymbol(tok, '(')) {
      this.enter(tok.pos)
      const inner = this.parseOr()
      this.expect(')')
      this.leave()
      return inner
    }
    if (isKeyword(tok, 'any') || isKeyword(tok, 'all')) return this.parseCall(tok)
    if (tok.kind === 'name' && !KEYWORDS.has(tok.text)) {
      this.countNode(tok.pos)
      return { expr: Object.freeze({ op: 'party', address: this.resolve(tok) }), depth: 0 }
    }
    throw invalid(`expected an expression at position ${tok.pos}, got ${describe(tok)}`, { position: tok.pos })
  }

  /** `any(n, [...])` or `all([...])`; `keyword` has been consumed. */
  private parseCall(keyword: Token): Parsed {
    this.countNode(keyword.pos)
    this.enter(keyword.pos)
    this.expect('(', ` after "${keyword.text}"`)
    let nTok: Token | undefined
    if (keyword.text === 'any') {
      nTok = this.lexer.next()
      if (nTok.kind !== 'number' || nTok.text.includes('.')) {
        throw invalid(`expected an integer n at position ${nTok.pos}, got ${describe(nTok)}`, { position: nTok.pos })
      }
      this.expect(',')
    }
    const items = this.parseList()
    this.expect(')')
    this.leave()
    const of = Object.freeze(items.map((i) => i.expr))
    if (nTok === undefined) return this.build(keyword.pos, { op: 'all', of }, items)
    const n = Number(nTok.text)
    if (!(n >= 1 && n <= of.length)) {
      throw invalid(`expected n between 1 and ${of.length} (the number of items) at position ${nTok.pos}, got ${nTok.text}`, {
        position: nTok.pos,
      })
    }
    return this.build(keyword.pos, { op: 'any', n, of }, items)
  }

  private parseList(): Parsed[] {
    this.expect('[')
    const empty = this.lexer.peek()
    if (isSymbol(empty, ']')) {
      throw invalid(`expected at least one item in the list at position ${empty.pos}, got "]"`, { position: empty.pos })
    }
    const items: Parsed[] = []
    const seen = new Map<string, number>()
    for (;;) {
      const start = this.lexer.peek().pos
      const item = this.parseOr()
      if (item.expr.op === 'party') {
        const { address } = item.expr
        const first = seen.get(address)
        if (first !== undefined) {
          const name = this.participants.aliasOf.get(address) ?? address
          throw invalid(
            `expected each participant at most once in a list, got "${name}" again at position ${start} (first at position ${first})`,
            { position: start, address },
          )
        }
        seen.set(address, start)
      }
      items.push(item)
      const sep = this.lexer.next()
      if (isSymbol(sep, ']')) return items
      if (!isSymbol(sep, ',')) {
        throw invalid(`expected "," or "]" at position ${sep.pos}, got ${describe(sep)}`, { position: sep.pos })
      }
    }
  }

  private resolve(tok: Token): string {
    const byAlias = this.participants.byAlias.get(tok.text)
    if (byAlias !== undefined) return byAlias
    if (this.participants.aliasOf.has(tok.text)) return tok.text
    const known = [...this.participants.byAlias.keys()]
    throw invalid(
      `unknown participant ${JSON.stringify(tok.text)}; participants are ${known.length ? known.join(', ') : '(none)'} (at position ${tok.pos})`,
      { position: tok.pos, name: tok.text },
    )
  }

  private expect(symbol: string, context = ''): Token {
    const tok = this.lexer.next()
    if (!isSymbol(tok, symbol)) {
      throw invalid(`expected "${symbol}"${context} at position ${tok.pos}, got ${describe(tok)}`, { position: tok.pos })
    }
    return tok
  }

  private build(pos: number, expr: PolicyExpression, children: readonly Parsed[]): Parsed {
    let depth = 0
    for (const c of children) depth = Math.max(depth, c.depth)
    depth += 1
    if (depth > MAX_DEPTH) throw this.tooDeep(pos)
    return { expr: Object.freeze(expr), depth }
  }

  private countNode(pos: number): void {
    if (++this.nodes > MAX_NODES) {
      throw invalid(`expected at most ${MAX_NODES} nodes, got node ${this.nodes} at position ${pos}`, { position: pos })
    }
  }

  private enter(pos: number): void {
    if (++this.nesting > MAX_DEPTH) throw this.tooDeep(pos)
  }

  private leave(): void {
    this.nesting--
  }

  private tooDeep(pos: number): ZrError {
    return invalid(`expected at most ${MAX_DEPTH} levels of nesting, got ${MAX_DEPTH + 1} at position ${pos}`, { position: pos })
  }
}

/**
 * Parses a policy expression and resolves its participant names to addresses.
 *
 * Names are resolved first as aliases (keys of `participants`), then as one of the participants'
 * addresses. `&&`/`and`, `||`/`or` and `!`/`not` are interchangeable; `!` binds tightest, then `&&`,
 * then `||`. Limits: at most 4096 characters, 32 levels of nesting and 256 nodes.
 *
 * @throws {ZrError} `INVALID_POLICY` for any syntax or validation error; `details` says what was
 * expected and what was found, with the 0-based character position (also in `meta.position`).
 *
 * @example
 * ```ts
 * import { parsePolicyExpression } from '@zrkit/core'
 *
 * const participants = { alice: 'zen1alice', bob: 'zen1bob', carol: 'zen1carol' }
 * parsePolicyExpression('alice || any(2, [bob, carol, zen1alice])', participants)
 * // { op: 'or', of: [{ op: 'party', address: 'zen1alice' }, { op: 'any', n: 2, of: [...] }] }
 *
 * parsePolicyExpression('all([alice, dave])', participants)
 * // throws ZrError INVALID_POLICY: unknown participant "dave"; participants are alice, bob, carol (at position 12)
 * ```
 */
export function parsePolicyExpression(text: string, participants: Readonly<Record<string, string>>): PolicyExpression {
  if (typeof text !== 'string') throw invalid(`expected the expression as a string, got ${typeof text}`)
  if (text.length > MAX_TEXT_LENGTH) {
    throw invalid(`expected at most ${MAX_TEXT_LENGTH} characters, got ${text.length} (excess starts at position ${MAX_TEXT_LENGTH})`, {
      position: MAX_TEXT_LENGTH,
    })
  }
  return new Parser(new Lexer(text), readParticipants(participants)).parseAll()
}

// ---------------------------------------------------------------------------------------------
// Formatting

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
      default:
        throw unknownNode(e)
    }
  }
  return write(expr)
}

function unknownNode(e: never): ZrError {
  const op = (e as { op?: unknown } | null)?.op
  return invalid(`expected a node with op party, any, all, and, or or not, got ${describeValue(op)}`)
}

/**
 * Checks that a value is a policy expression tree as {@link parsePolicyExpression} builds them (any
 * caller may hand one in): objects with a known `op`, `party` nodes with a string address, `any` with an
 * integer `n` in 1..its items, lists of sub-expressions, at most {@link MAX_DEPTH} levels and
 * {@link MAX_NODES} nodes (so a cyclic value is refused too). Throws `INVALID_POLICY` saying where.
 */
function checkExpression(expr: unknown): PolicyExpression {
  let nodes = 0
  const visit = (e: unknown, depth: number, at: string): void => {
    if (++nodes > MAX_NODES) throw invalid(`expected at most ${MAX_NODES} nodes, got more at ${at}`)
    if (depth > MAX_DEPTH) throw invalid(`expected at most ${MAX_DEPTH} levels of nesting, got more at ${at}`)
    if (e === null || typeof e !== 'object' || Array.isArray(e)) throw invalid(`expected an expression node { op, ... } at ${at}, got ${describeValue(e)}`)
    const node = e as Record<string, unknown>
    const items = (): unknown[] => {
      if (!Array.isArray(node.of) || node.of.length < 1) throw invalid(`expected a non-empty list of sub-expressions in ${at}.of, got ${describeValue(node.of)}`)
      return node.of
    }
    switch (node.op) {
      case 'party':
        if (typeof node.address !== 'string' || node.address.length === 0) throw invalid(`expected a participant address at ${at}.address, got ${describeValue(node.address)}`)
        return
      case 'not':
        return visit(node.of, depth + 1, `${at}.of`)
      case 'any': {
        const of = items()
        if (typeof node.n !== 'number' || !Number.isInteger(node.n) || node.n < 1 || node.n > of.length) {
          throw invalid(`expected n in 1..${of.length} at ${at}.n, got ${describeValue(node.n)}`)
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

// ---------------------------------------------------------------------------------------------
// Evaluation

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
