import { ZrError } from '../../errors/ZrError.js'
import type { NewPolicyMessage } from '../messages.js'
import type { StateTx } from '../state.js'
import type { Policy } from '../types.js'
import { checkAccount, checkInt, checkString, invalid, optional } from '../validate.js'
import { formatPolicyExpression, parsePolicyExpression, policyAddresses, txConditionsOf, type PolicyExpression } from './expression.js'
import { invalidExpression } from './expressionRules.js'

/** Policy id 0: any one owner of the workspace. */
export const anyOwnerPolicyId = 0

/** The participants and expression a policy id stands for in a workspace (0 = any one of `owners`). */
export function resolvePolicy(tx: StateTx, policyId: number, owners: readonly string[]): { participants: Record<string, string>; expression: string; ttlMs?: number } {
  if (policyId === anyOwnerPolicyId) {
    const participants = Object.fromEntries(owners.map((o, i) => [`owner${i + 1}`, o]))
    return { participants, expression: `any(1, [${Object.keys(participants).join(', ')}])` }
  }
  const p = requirePolicy(tx, policyId)
  return { participants: { ...p.participants }, expression: p.expression, ...(p.ttlMs !== undefined ? { ttlMs: p.ttlMs } : {}) }
}

export function requirePolicy(tx: StateTx, id: number): Policy {
  const p = tx.get('policies', id)
  if (!p) throw new ZrError('POLICY_NOT_FOUND', 'Policy not found.', { details: `no policy ${id}`, context: { policyId: id } })
  return p
}

/** A workspace policy may only name the workspace's owners. */
export function requirePolicyFitsOwners(tx: StateTx, policyId: number, owners: readonly string[]): void {
  checkInt(policyId, 'policy id')
  if (policyId === anyOwnerPolicyId) return
  const p = requirePolicy(tx, policyId)
  const outsiders = Object.values(p.participants).filter((a) => !owners.includes(a))
  if (outsiders.length) {
    throw new ZrError('NOT_WORKSPACE_OWNER', 'Policy participants must be workspace owners.', {
      details: `policy ${policyId} names ${outsiders.join(', ')}, not owners of the workspace (owners: ${owners.join(', ')})`,
    })
  }
}

export function newPolicy(tx: StateTx, sender: string, msg: NewPolicyMessage) {
  const name = checkString(msg.name, 'name', { min: 1, max: 128 })
  if (!msg.participants || typeof msg.participants !== 'object' || Array.isArray(msg.participants)) throw invalid('participants', 'an alias -> address object', msg.participants)
  const entries = Object.entries(msg.participants)
  if (entries.length < 1 || entries.length > 64) throw invalid('participants', '1..64 participants', `${entries.length} participants`)
  const seen = new Set<string>()
  for (const [alias, address] of entries) {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(alias)) throw invalid('participant alias', 'an identifier like alice_1', alias)
    checkAccount(address, `participants.${alias}`)
    if (seen.has(address)) throw invalid('participants', 'distinct addresses', `${address} twice`)
    seen.add(address)
  }
  const expression = checkString(msg.expression, 'expression', { min: 1, max: 4096 })
  const ttlMs = optional(msg.ttlMs, (v) => checkInt(v, 'ttlMs', { min: tx.params.minTtlMs, max: tx.params.maxTtlMs }))
  const participants = Object.fromEntries(entries)
  const ast = parsePolicyExpression(expression, participants)
  checkConditionsFitLedger(tx, ast)
  const unused = Object.entries(participants).filter(([, a]) => !policyAddresses(ast).includes(a))
  if (unused.length) throw invalid('participants', 'every participant used in the expression', `unused ${unused.map(([n]) => n).join(', ')}`)
  const id = tx.nextId('policy')
  const policy: Policy = { id, creator: sender, name, participants, expression: formatPolicyExpression(ast, participants), ...(ttlMs !== undefined ? { ttlMs } : {}) }
  tx.put('policies', id, policy)
  tx.emit('policy.created', { policyId: id, creator: sender })
  return { policyId: id }
}

/**
 * On a ledger that decodes transactions, a new policy's transaction conditions must be able to hold there:
 * `tx.chain` names a chain it decodes, and `tx.value` is written in a native unit of one (`eth`, `sat`,
 * `sol`...). Anything else in them (token names, allowlists) belongs to the workspace that uses the policy
 * and is looked up then. A ledger that decodes nothing takes no sign-transaction request, so there every
 * condition is simply false (its requests are opaque).
 */
function checkConditionsFitLedger(tx: StateTx, ast: PolicyExpression): void {
  if (tx.decoders.size === 0) return
  const chains = [...tx.decoders.keys()]
  const units = new Set([...tx.decoders.values()].flatMap((d) => Object.keys(d.nativeUnits)))
  for (const c of txConditionsOf(ast)) {
    if (c.field === 'chain' && c.value.kind === 'name' && !chains.includes(c.value.name)) {
      throw invalidExpression(`expected tx.chain compared with a chain this ledger decodes (${chains.join(', ')}), got ${c.value.name}`)
    }
    if (c.field === 'value' && c.value.kind === 'amount' && !units.has(c.value.unit)) {
      throw invalidExpression(`expected tx.value in a native unit of a chain this ledger decodes (${[...units].join(', ')}), got ${c.value.unit}`)
    }
  }
}
