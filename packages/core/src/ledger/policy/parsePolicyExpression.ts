import { ZrError } from '../../errors/ZrError.js'
import type { TxCondition } from './expressionTypes.js'
import { txFieldRules, type PolicyExpression, type TxComparison, type TxField, type TxOperand } from './expressionTypes.js'
import { containsTxCondition, invalidExpression as invalid, MAX_DEPTH, MAX_NODES, MAX_TEXT_LENGTH, txConditionProblem } from './expressionRules.js'

const KEYWORDS: ReadonlySet<string> = new Set(['any', 'all', 'and', 'or', 'not'])
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/
const NAME_STICKY = /[A-Za-z_][A-Za-z0-9_]*/y
const NUMBER_STICKY = /-?[0-9]+(?:\.[0-9]+)?/y
/** A quoted text: printable ASCII but the quote and backslash, at most 256 characters. */
const TEXT_STICKY = /"([\x20\x21\x23-\x5b\x5d-\x7e]{0,256})"/y
const COMPARISONS: readonly string[] = ['<', '<=', '>', '>=', '==', '!=']

// ---------------------------------------------------------------------------------------------
// Tokens

type Token = {
  readonly kind: 'name' | 'number' | 'symbol' | 'text' | 'end'
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
    if ((c === '<' || c === '>' || c === '=' || c === '!') && text.charAt(pos + 1) === '=') {
      this.offset += 2
      return { kind: 'symbol', text: c + '=', pos }
    }
    if (c === '(' || c === ')' || c === '[' || c === ']' || c === ',' || c === '!' || c === '.' || c === '<' || c === '>') {
      this.offset++
      return { kind: 'symbol', text: c, pos }
    }
    if (c === '=') throw invalid(`expected "==" at position ${pos}, got "="`, { position: pos })
    if (c === '"') {
      TEXT_STICKY.lastIndex = pos
      const m = TEXT_STICKY.exec(text)
      if (!m) throw invalid(`expected a quoted text of at most 256 printable characters without " or \\ at position ${pos}`, { position: pos })
      this.offset = pos + m[0].length
      return { kind: 'text', text: m[1]!, pos }
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
    throw invalid(`expected a participant, number, quoted text, operator or bracket at position ${pos}, got ${JSON.stringify(ch)}`, {
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
 * primary := 'any' '(' INT ',' list ')' | 'all' '(' list ')' | '(' expr ')' | cond | NAME
 * list    := '[' expr (',' expr)* ']'
 * cond    := 'tx' '.' FIELD (CMP operand | 'in' 'allowlist' '(' NAME ')')
 * operand := NUMBER NAME | TEXT | NAME
 * CMP     := '<' | '<=' | '>' | '>=' | '==' | '!='
 * ```
 *
 * `tx` starts a condition only when a `.` follows it, so a participant may still be called `tx`.
 * ```
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
    if (containsTxCondition(operand.expr)) {
      throw invalid(
        `expected no "!" over a transaction condition at position ${tok.pos} (a condition is false for a transaction it does not cover, so its negation would allow that): write the opposite comparison instead`,
        { position: tok.pos },
      )
    }
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
    if (tok.kind === 'name' && tok.text === 'tx' && isSymbol(this.lexer.peek(), '.')) return this.parseCondition(tok)
    if (tok.kind === 'name' && !KEYWORDS.has(tok.text)) {
      this.countNode(tok.pos)
      return { expr: Object.freeze({ op: 'party', address: this.resolve(tok) }), depth: 0 }
    }
    throw invalid(`expected an expression at position ${tok.pos}, got ${describe(tok)}`, { position: tok.pos })
  }

  /** `tx.FIELD CMP operand`; `tx` has been consumed and a `.` follows. */
  private parseCondition(start: Token): Parsed {
    this.countNode(start.pos)
    this.lexer.next()
    const fieldTok = this.lexer.next()
    const fields = Object.keys(txFieldRules)
    if (fieldTok.kind !== 'name' || !fields.includes(fieldTok.text)) {
      throw invalid(`expected a transaction field (${fields.join(', ')}) at position ${fieldTok.pos}, got ${describe(fieldTok)}`, { position: fieldTok.pos })
    }
    const field = fieldTok.text as TxField
    const cmpTok = this.lexer.next()
    let cmp: TxComparison
    let value: TxOperand
    if (isKeyword(cmpTok, 'in')) {
      cmp = 'in'
      const list = this.lexer.next()
      if (!isKeyword(list, 'allowlist')) throw invalid(`expected "allowlist(name)" after "in" at position ${list.pos}, got ${describe(list)}`, { position: list.pos })
      this.expect('(', ' after "allowlist"')
      const name = this.lexer.next()
      if (name.kind !== 'name') throw invalid(`expected an allowlist name at position ${name.pos}, got ${describe(name)}`, { position: name.pos })
      this.expect(')')
      value = { kind: 'allowlist', name: name.text }
    } else if (cmpTok.kind === 'symbol' && COMPARISONS.includes(cmpTok.text)) {
      cmp = cmpTok.text as TxComparison
      const operand = this.lexer.next()
      if (operand.kind === 'number') {
        if (operand.text.startsWith('-')) throw invalid(`expected a non-negative amount at position ${operand.pos}, got ${operand.text}`, { position: operand.pos })
        const unit = this.lexer.next()
        if (unit.kind !== 'name') throw invalid(`expected a unit after the amount at position ${unit.pos} (e.g. eth, btc, sol, or a token name), got ${describe(unit)}`, { position: unit.pos })
        value = { kind: 'amount', amount: operand.text, unit: unit.text }
      } else if (operand.kind === 'text') value = { kind: 'text', text: operand.text }
      else if (operand.kind === 'name' && !KEYWORDS.has(operand.text)) value = { kind: 'name', name: operand.text }
      else throw invalid(`expected an amount with its unit, a quoted text or a name at position ${operand.pos}, got ${describe(operand)}`, { position: operand.pos })
    } else {
      throw invalid(`expected a comparison (<, <=, >, >=, ==, !=, in) at position ${cmpTok.pos}, got ${describe(cmpTok)}`, { position: cmpTok.pos })
    }
    const node = { op: 'tx' as const, field, cmp, value: Object.freeze(value) }
    const problem = txConditionProblem(node)
    if (problem) throw invalid(`${problem} at position ${start.pos}`, { position: start.pos })
    return { expr: Object.freeze(node), depth: 0 }
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
 * Sign-transaction requests can also be judged by what the transaction does: `tx.value <= 0.1 eth`,
 * `tx.to in allowlist(treasury)`, `tx.token == usdc && tx.amount < 1000 usdc`, `tx.network == "eip155:1"`
 * (see {@link TxCondition} for what each field covers; a condition may not be negated).
 *
 * @throws {ZrError} `INVALID_POLICY` for any syntax or validation error; `details` says what was
 * expected and what was found, with the 0-based character position (also in `context.position`).
 *
 * @example
 * ```ts
 * import { parsePolicyExpression } from '@zrkit/core'
 *
 * const participants = { alice: 'zen1alice', bob: 'zen1bob', carol: 'zen1carol' }
 * parsePolicyExpression('alice || any(2, [bob, carol, zen1alice])', participants)
 * // { op: 'or', of: [{ op: 'party', address: 'zen1alice' }, { op: 'any', n: 2, of: [...] }] }
 *
 * parsePolicyExpression('tx.value <= 0.1 eth && alice || all([alice, bob])', participants)
 * // { op: 'or', of: [{ op: 'and', of: [{ op: 'tx', field: 'value', cmp: '<=', value: { kind: 'amount', amount: '0.1', unit: 'eth' } }, ...] }, ...] }
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
