import { ZrError } from '../../errors/ZrError.js'
import { requireWorkspace } from '../identity/workspaces.js'
import type { StateTx } from '../state.js'
import type { Action, ActionStatus, ActionSubject } from '../types.js'
import { checkInt } from '../validate.js'
import { evaluatePolicy, explainPolicyDecision, parsePolicyExpression, type Vote } from './expression.js'
import type { TxConditionResult } from './judgeTxConditions.js'
import { resolvePolicy } from './policies.js'

export function requireAction(tx: StateTx, id: unknown): Action {
  checkInt(id, 'actionId', { min: 1 })
  const a = tx.get('actions', id as number)
  if (!a) throw new ZrError('ACTION_NOT_FOUND', 'Action not found.', { details: `no action ${id}`, context: { actionId: id as number } })
  return a
}

type Decidable = Pick<Action, 'participants' | 'expression' | 'votes' | 'conditions'>

/** The policy's verdict on an action's votes (and its transaction conditions, judged when it opened). */
export function decide(a: Decidable): 'approved' | 'rejected' | 'pending' {
  const votes = new Map<string, Vote>(a.votes.map((v) => [v.address, v.vote]))
  return evaluatePolicy(parsePolicyExpression(a.expression, a.participants), votes, a.conditions?.map((c) => c.holds))
}

/** Which clause decided (or would decide) an action, in words. */
export function explain(a: Decidable): string {
  const votes = new Map<string, Vote>(a.votes.map((v) => [v.address, v.vote]))
  return explainPolicyDecision(parsePolicyExpression(a.expression, a.participants), votes, a.conditions?.map((c) => c.holds), a.participants)
}

/**
 * What the requester's own approval decides under a policy, before any action is stored: when it
 * already settles the policy (e.g. any one owner), no action is needed.
 */
export function decideAlone(tx: StateTx, policyId: number, owners: readonly string[], creator: string, conditions?: readonly TxConditionResult[]) {
  const policy = resolvePolicy(tx, policyId, owners)
  const votes = Object.values(policy.participants).includes(creator) ? [{ address: creator, vote: 'approve' as const, at: tx.time }] : []
  const decidable = { ...policy, votes, ...(conditions?.length ? { conditions } : {}) }
  return { policy, votes, verdict: decide(decidable), explanation: () => explain(decidable) }
}

/** Stores a pending action with the creator's approval (when the creator is a participant). */
export function openAction(
  tx: StateTx,
  params: { creator: string; workspace: string; policyId: number; owners: readonly string[]; subject: ActionSubject; ttlMs?: number; conditions?: readonly TxConditionResult[] },
): Action {
  const { policy, votes } = decideAlone(tx, params.policyId, params.owners, params.creator, params.conditions)
  const ttl = params.ttlMs ?? policy.ttlMs ?? tx.params.defaultActionTtlMs
  const id = tx.nextId('action')
  const a: Action = {
    id,
    creator: params.creator,
    workspace: params.workspace,
    policyId: params.policyId,
    participants: policy.participants,
    expression: policy.expression,
    subject: params.subject,
    votes,
    ...(params.conditions?.length ? { conditions: params.conditions } : {}),
    status: 'pending',
    createdAt: tx.time,
    expiresAt: tx.time + ttl,
  }
  tx.put('actions', id, a)
  tx.emit('action.created', { actionId: id, policyId: params.policyId, workspace: params.workspace, creator: params.creator, ...subjectData(a) })
  return a
}

function subjectData(a: Action): Record<string, string | number> {
  return a.subject.kind === 'sign-request' ? { requestId: a.subject.signRequestId } : { message: a.subject.message.type }
}

/**
 * Records a participant's vote; returns the action, decided if the vote settled it. The participants are
 * frozen when the action opens, but only those who own the action's workspace when they vote may vote: a
 * participant removed as an owner since is refused (and the removal withdrew the votes they had cast).
 */
export function castVote(tx: StateTx, sender: string, actionId: unknown, vote: Vote): Action {
  const a = requireAction(tx, actionId)
  if (a.status !== 'pending') throw new ZrError('ACTION_NOT_PENDING', 'Action is not pending.', { details: `action ${a.id} is ${a.status}` })
  if (!Object.values(a.participants).includes(sender)) {
    throw new ZrError('NOT_POLICY_PARTICIPANT', 'Only policy participants may vote.', {
      details: `${sender} is not a participant of action ${a.id} (participants: ${Object.values(a.participants).join(', ')})`,
    })
  }
  const { owners } = requireWorkspace(tx, a.workspace)
  if (!owners.includes(sender)) {
    throw new ZrError('NOT_WORKSPACE_OWNER', 'Only current workspace owners may vote.', {
      details: `expected an owner of ${a.workspace} (owners: ${owners.join(', ')}), got ${sender}, a participant of action ${a.id} who is not an owner now`,
      context: { workspace: a.workspace, sender, actionId: a.id },
    })
  }
  if (a.votes.some((v) => v.address === sender)) throw new ZrError('ALREADY_VOTED', 'Already voted.', { details: `${sender} already voted on action ${a.id}` })
  const votes = [...a.votes, { address: sender, vote, at: tx.time }]
  tx.emit('action.voted', { actionId: a.id, workspace: a.workspace, voter: sender, vote, ...subjectData(a) })
  const verdict = decide({ ...a, votes })
  const updated: Action = { ...a, votes }
  tx.put('actions', a.id, updated)
  return verdict === 'pending' ? updated : closeAction(tx, { ...updated, decidedBy: explain(updated) }, verdict)
}

/** Moves a pending action to a final status and emits the matching event. */
export function closeAction(tx: StateTx, a: Action, status: Exclude<ActionStatus, 'pending'>, reason?: string): Action {
  const closed: Action = { ...a, status, decidedAt: tx.time, ...(reason ? { reason } : {}) }
  tx.put('actions', a.id, closed)
  tx.emit(`action.${status}`, { actionId: a.id, workspace: a.workspace, ...subjectData(a), ...(reason ? { reason } : {}) })
  return closed
}

export function revoke(tx: StateTx, sender: string, actionId: unknown): Action {
  const a = requireAction(tx, actionId)
  if (a.creator !== sender) throw new ZrError('NOT_ACTION_CREATOR', 'Only the creator may revoke an action.', { details: `${sender} did not create action ${a.id} (${a.creator} did)` })
  if (a.status !== 'pending') throw new ZrError('ACTION_NOT_PENDING', 'Action is not pending.', { details: `action ${a.id} is ${a.status}` })
  return closeAction(tx, a, 'revoked', 'revoked by creator')
}
