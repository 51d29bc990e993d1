import type { DecodedTransaction, TransactionDecoder } from '../../transaction/TransactionDecoder.js'
import { toBaseUnits, formatBaseUnits } from '../../transaction/units.js'
import type { PolicyExpression, TxCondition } from './expressionTypes.js'
import { checkExpression } from './expressionRules.js'
import { checkDecodedTransaction } from '../../transaction/decodeTransaction.js'
import { checkTransactionDecoders } from '../../transaction/checkTransactionDecoders.js'
import { describeValue } from '../../errors/describeValue.js'
import { ZrError } from '../../errors/ZrError.js'
import { formatTxCondition } from './formatPolicyExpression.js'

/**
 * A named token of a workspace, so policies can write `tx.token == usdc && tx.amount < 1000 usdc`:
 * the chain it lives on, optionally the network, its asset id as the decoder reports it (an ERC-20
 * contract, an SPL mint, a Cosmos denom) and its decimals.
 */
export type TokenDefinition = {
  readonly chain: string
  readonly network?: string
  readonly asset: string
  readonly decimals: number
}

/** How one transaction condition came out: `holds`, and why, in words an approver reads. */
export type TxConditionResult = {
  /** The condition as text, e.g. `tx.value <= 0.1 eth`. */
  readonly condition: string
  readonly holds: boolean
  readonly why: string
}

/** What the conditions are judged against. */
export type TxConditionContext = {
  /** The decoded transaction; absent for a request of raw payloads (every condition is false). */
  readonly transaction?: DecodedTransaction
  /** The decoder that read it (its units and address form). */
  readonly decoder?: TransactionDecoder
  /** The workspace's named allowlists. */
  readonly allowlists?: Readonly<Record<string, readonly string[]>>
  /** The workspace's named tokens. */
  readonly tokens?: Readonly<Record<string, TokenDefinition>>
}

/** The transaction conditions of an expression, in the order the evaluator meets them (depth first, left to right). */
export function txConditionsOf(expr: PolicyExpression): TxCondition[] {
  checkExpression(expr)
  const out: TxCondition[] = []
  const visit = (e: PolicyExpression): void => {
    if (e.op === 'tx') out.push(e)
    else if (e.op === 'not') visit(e.of)
    else if (e.op !== 'party') for (const c of e.of) visit(c)
  }
  visit(expr)
  return out
}

/**
 * Judges every transaction condition of a policy expression against a decoded transaction: the one
 * place where `tx.value`, `tx.to`, `tx.token`, `tx.amount`, `tx.fee`, `tx.contract`, `tx.selector`,
 * `tx.chain` and `tx.network` get their meaning (see `TxCondition`). Deterministic: the ledger runs it
 * once, when a request is made, and keeps the results with the request and its action.
 *
 * @example
 * ```ts
 * const [small] = judgeTxConditions(parsePolicyExpression('tx.value <= 0.1 eth && alice', participants), { transaction, decoder })
 * small // { condition: 'tx.value <= 0.1 eth', holds: true, why: 'moves 0.05 eth' }
 * ```
 */
export function judgeTxConditions(expr: PolicyExpression, context: TxConditionContext): TxConditionResult[] {
  const conditions = txConditionsOf(expr)
  const ctx = checkContext(context)
  return conditions.map((c) => {
    const { holds, why } = judge(c, ctx)
    return { condition: formatTxCondition(c), holds, why }
  })
}

/** Checks a context from any caller; the ledger's own is already checked, and passes unchanged. */
function checkContext(context: unknown): TxConditionContext {
  const bad = (details: string) => new ZrError('INVALID_INPUT', 'Invalid transaction condition context.', { details })
  if (context === null || typeof context !== 'object' || Array.isArray(context)) throw bad(`expected { transaction?, decoder?, allowlists?, tokens? }, got ${describeValue(context)}`)
  const c = context as Record<string, unknown>
  const transaction = c.transaction === undefined ? undefined : checkDecodedTransaction(c.transaction)
  let decoder: TransactionDecoder | undefined
  if (c.decoder !== undefined) decoder = checkTransactionDecoders([c.decoder]).values().next().value
  const names = (v: unknown, what: string, entry: (x: unknown, name: string) => void): void => {
    if (v === undefined) return
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad(`expected ${what} as an object of name -> value, got ${describeValue(v)}`)
    for (const [name, x] of Object.entries(v)) entry(x, name)
  }
  names(c.allowlists, 'allowlists', (x, name) => {
    if (!Array.isArray(x) || x.some((e) => typeof e !== 'string')) throw bad(`expected allowlist ${name} as a list of strings, got ${describeValue(x)}`)
  })
  names(c.tokens, 'tokens', (x, name) => {
    const t = x as Record<string, unknown> | null
    if (t === null || typeof t !== 'object' || typeof t.chain !== 'string' || typeof t.asset !== 'string' || (t.network !== undefined && typeof t.network !== 'string') || typeof t.decimals !== 'number' || !Number.isInteger(t.decimals) || t.decimals < 0 || t.decimals > 77) {
      throw bad(`expected token ${name} as { chain, network?, asset, decimals 0..77 }, got ${describeValue(x)}`)
    }
  })
  return {
    ...(transaction ? { transaction } : {}),
    ...(decoder ? { decoder } : {}),
    ...(c.allowlists !== undefined ? { allowlists: c.allowlists as TxConditionContext['allowlists'] } : {}),
    ...(c.tokens !== undefined ? { tokens: c.tokens as TxConditionContext['tokens'] } : {}),
  }
}

type Verdict = { holds: boolean; why: string }
const no = (why: string): Verdict => ({ holds: false, why })

function judge(c: TxCondition, ctx: TxConditionContext): Verdict {
  const tx = ctx.transaction
  const decoder = ctx.decoder
  if (!tx || !decoder) return no('the request carries no transaction, only raw payloads')
  const v = c.value
  const normalize = (a: string): string | undefined => {
    try {
      return decoder.normalizeAddress(a)
    } catch {
      return undefined
    }
  }
  const sameId = (a: string, b: string): boolean => a === b || (normalize(a) ?? a) === (normalize(b) ?? b)
  const listNamed = (name: string): readonly string[] | undefined => (ctx.allowlists && Object.hasOwn(ctx.allowlists, name) ? ctx.allowlists[name] : undefined)
  const tokenNamed = (name: string): TokenDefinition | undefined => (ctx.tokens && Object.hasOwn(ctx.tokens, name) ? ctx.tokens[name] : undefined)
  /** The token named `name` when it is `asset` on this transaction's chain and network. */
  const tokenFor = (name: string, asset: string): { token?: TokenDefinition; why?: string } => {
    const token = tokenNamed(name)
    if (!token) return { why: `the workspace defines no token "${name}"` }
    if (token.chain !== tx.chain || (token.network !== undefined && token.network !== tx.network)) {
      return { why: `token "${name}" is on ${token.chain}${token.network ? ` ${token.network}` : ''}, the transaction on ${tx.network}` }
    }
    if (!sameId(token.asset, asset)) return { why: `token "${name}" is ${token.asset}, the transaction moves ${asset}` }
    return { token }
  }
  const compareAmount = (actual: bigint, what: string, decimals: number, unit: string): Verdict => {
    if (v.kind !== 'amount') return no('expected an amount')
    const limit = toBaseUnits(v.amount, decimals)
    if (limit === undefined) return no(`${v.amount} ${unit} has more decimals than ${unit} allows (${decimals})`)
    const holds = compare(actual, c.cmp, limit)
    return { holds, why: `${what} ${formatBaseUnits(actual, decimals)} ${unit}` }
  }
  const nativeDecimals = (unit: string): number | undefined => (Object.hasOwn(decoder.nativeUnits, unit) ? decoder.nativeUnits[unit] : undefined)

  const { transfers, calls } = tx
  const onlyNative = calls.length === 0 && transfers.every((t) => t.asset === 'native')
  const assets = new Set(transfers.map((t) => t.asset))
  const onlyOneToken = calls.length === 0 && transfers.length > 0 && assets.size === 1 && !assets.has('native')
  const onlyCalls = calls.length > 0 && transfers.length === 0 && calls.every((k) => k.value === 0n)
  const what = calls.length ? `${calls.length} call(s) the decoder cannot read` : assets.size > 1 ? `${assets.size} different assets` : transfers.length ? 'a token' : 'nothing'

  switch (c.field) {
    case 'chain':
      return v.kind === 'name' ? textVerdict(tx.chain, c.cmp, v.name, 'chain') : no('expected a chain name')
    case 'network':
      return v.kind === 'text' ? textVerdict(tx.network, c.cmp, v.text, 'network') : no('expected a quoted network')
    case 'value': {
      if (!onlyNative) return no(`not a transfer of the native coin alone: it moves ${what}`)
      if (v.kind !== 'amount') return no('expected an amount')
      const decimals = nativeDecimals(v.unit)
      if (decimals === undefined) return no(`${v.unit} is not a unit of ${tx.chain} (${Object.keys(decoder.nativeUnits).join(', ') || 'it has none'})`)
      return compareAmount(transfers.reduce((s, t) => s + t.amount, 0n), 'moves', decimals, v.unit)
    }
    case 'to': {
      if (calls.length) return no(`the transaction makes ${calls.length} call(s) the decoder cannot read`)
      if (!onlyNative && !onlyOneToken) return no(`it moves ${what}`)
      if (!transfers.length) return no('the transaction pays no one')
      const recipients = [...new Set(transfers.map((t) => normalize(t.to) ?? t.to))]
      return membership(recipients, c.cmp, v, 'recipient', normalize, listNamed)
    }
    case 'contract':
    case 'selector': {
      if (!onlyCalls) return no(calls.length ? `besides its calls it moves value (${transfers.length} transfer(s) or value sent with a call)` : 'the transaction makes no call the decoder cannot read')
      if (c.field === 'contract') return membership([...new Set(calls.map((k) => normalize(k.to) ?? k.to))], c.cmp, v, 'contract', normalize, listNamed)
      if (calls.some((k) => k.selector === undefined)) return no('a call has no function selector')
      return membership([...new Set(calls.map((k) => k.selector!.toLowerCase()))], c.cmp, v, 'selector', (s) => s.toLowerCase(), listNamed)
    }
    case 'token': {
      if (!onlyOneToken) return no(`not a movement of one token alone: it moves ${onlyNative ? 'the native coin' : what}`)
      const asset = transfers[0]!.asset
      if (v.kind === 'text') return { holds: compareEq(sameId(v.text, asset), c.cmp), why: `moves token ${asset}` }
      if (v.kind !== 'name') return no('expected a token name')
      const token = tokenNamed(v.name)
      if (!token) return no(`the workspace defines no token "${v.name}"`)
      const match = tokenFor(v.name, asset)
      return { holds: compareEq(match.token !== undefined, c.cmp), why: match.token ? `moves ${v.name}` : match.why! }
    }
    case 'amount': {
      if (!onlyOneToken) return no(`not a movement of one token alone: it moves ${onlyNative ? 'the native coin' : what}`)
      if (v.kind !== 'amount') return no('expected an amount')
      const match = tokenFor(v.unit, transfers[0]!.asset)
      if (!match.token) return no(match.why!)
      return compareAmount(transfers.reduce((s, t) => s + t.amount, 0n), 'moves', match.token.decimals, v.unit)
    }
    case 'fee': {
      if (v.kind !== 'amount') return no('expected an amount')
      if (tx.feeAsset === 'native') {
        const decimals = nativeDecimals(v.unit)
        if (decimals === undefined) return no(`${v.unit} is not a unit of ${tx.chain} (${Object.keys(decoder.nativeUnits).join(', ') || 'it has none'})`)
        return compareAmount(tx.fee, 'pays at most', decimals, v.unit)
      }
      const match = tokenFor(v.unit, tx.feeAsset)
      if (!match.token) {
        // no fee at all is zero in any unit of this chain
        const named = tokenNamed(v.unit)
        if (tx.fee === 0n && named && named.chain === tx.chain) return compareAmount(0n, 'pays at most', named.decimals, v.unit)
        return no(match.why!)
      }
      return compareAmount(tx.fee, 'pays at most', match.token.decimals, v.unit)
    }
    default:
      return no(`unknown field ${String(c.field)}`)
  }
}

function compare(a: bigint, cmp: TxCondition['cmp'], b: bigint): boolean {
  switch (cmp) {
    case '<':
      return a < b
    case '<=':
      return a <= b
    case '>':
      return a > b
    case '>=':
      return a >= b
    case '==':
      return a === b
    case '!=':
      return a !== b
    default:
      return false
  }
}

const compareEq = (equal: boolean, cmp: TxCondition['cmp']): boolean => (cmp === '==' ? equal : cmp === '!=' ? !equal : false)

function textVerdict(actual: string, cmp: TxCondition['cmp'], expected: string, what: string): Verdict {
  return { holds: compareEq(actual === expected, cmp), why: `${what} is ${actual}` }
}

/** `==`: every item is the text; `!=`: none is; `in`: every item is on the allowlist. */
function membership(
  items: readonly string[],
  cmp: TxCondition['cmp'],
  v: TxCondition['value'],
  what: string,
  normalize: (a: string) => string | undefined,
  listNamed: (name: string) => readonly string[] | undefined,
): Verdict {
  const shown = items.length > 3 ? `${items.slice(0, 3).join(', ')} and ${items.length - 3} more` : items.join(', ')
  if (v.kind === 'allowlist') {
    const list = listNamed(v.name)
    if (!list) return no(`the workspace has no allowlist "${v.name}"`)
    const entries = new Set(list.map((e) => normalize(e) ?? e))
    const outside = items.filter((i) => !entries.has(i))
    return outside.length ? no(`${what} ${outside[0]} is not on allowlist ${v.name}`) : { holds: true, why: `every ${what} (${shown}) is on allowlist ${v.name}` }
  }
  if (v.kind !== 'text') return no('expected a quoted address')
  const target = normalize(v.text) ?? v.text
  const equal = items.filter((i) => i === target).length
  const holds = cmp === '==' ? equal === items.length : cmp === '!=' ? equal === 0 : false
  return { holds, why: `${what}${items.length > 1 ? 's' : ''}: ${shown}` }
}
