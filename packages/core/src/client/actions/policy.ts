import { ZrError } from '../../errors/ZrError.js'
import type { TxReceipt } from '../../ledger/Ledger.js'
import type { NewPolicyMessage } from '../../ledger/messages.js'
import type { Page, QueryParams } from '../../ledger/queries.js'
import type { Action, Policy } from '../../ledger/types.js'
import { type ClientBase, sendMessage } from '../sendMessage.js'
import { requireId, requireParams } from '../requireParams.js'
import { type WaitOptions, waitUntil } from '../wait.js'
import { getOrThrow } from './get.js'

/**
 * Creates a policy: participants by alias, and an expression such as `all([alice, bob])`,
 * `any(2, [alice, bob, carol])` or `alice && (bob || !carol)`.
 *
 * @example
 * ```ts
 * import { createPolicy } from '@zrkit/core'
 * const { policyId } = await createPolicy(alice, {
 *   name: 'both of us', participants: { alice: alice.account.address, bob: bob.account.address }, expression: 'all([alice, bob])',
 * })
 * ```
 */
export async function createPolicy(client: ClientBase, params: Omit<NewPolicyMessage, 'type'>): Promise<{ policyId: number; receipt: TxReceipt }> {
  const receipt = await sendMessage(client, { msg: { type: 'policy.NewPolicy', ...params } })
  return { policyId: receipt.result.policyId as number, receipt }
}

/**
 * Reads a policy; `POLICY_NOT_FOUND` when there is none.
 *
 * @example
 * ```ts
 * import { getPolicy } from '@zrkit/core'
 * const { expression } = await getPolicy(client, { id: policyId })
 * ```
 */
export function getPolicy(client: ClientBase, params: { id: number }): Promise<Policy> {
  return getOrThrow(client, 'policy', params, 'POLICY_NOT_FOUND', 'Policy')
}

/** What a vote returned: the action's status after it. */
export type VoteReturnType = { status: Action['status']; receipt: TxReceipt }

/**
 * Approves an action as a policy participant. The voter must own the action's workspace when voting: a
 * participant removed as an owner after the action opened is refused with `NOT_WORKSPACE_OWNER`.
 *
 * @example
 * ```ts
 * import { approveAction, isZrError } from '@zrkit/core'
 * const { status } = await approveAction(bob, { actionId }) // 'approved'
 * await approveAction(carol, { actionId: other }).catch((e) => isZrError(e, 'NOT_WORKSPACE_OWNER')) // carol was removed
 * ```
 */
export async function approveAction(client: ClientBase, params: { actionId: number }): Promise<VoteReturnType> {
  const receipt = await sendMessage(client, { msg: { type: 'policy.ApproveAction', actionId: requireParams(params, 'approveAction').actionId } })
  return { status: receipt.result.status as Action['status'], receipt }
}

/**
 * Rejects an action as a policy participant (a current owner of the action's workspace, as for {@link approveAction}).
 *
 * @example
 * ```ts
 * import { rejectAction } from '@zrkit/core'
 * await rejectAction(bob, { actionId })
 * ```
 */
export async function rejectAction(client: ClientBase, params: { actionId: number }): Promise<VoteReturnType> {
  const receipt = await sendMessage(client, { msg: { type: 'policy.RejectAction', actionId: requireParams(params, 'rejectAction').actionId } })
  return { status: receipt.result.status as Action['status'], receipt }
}

/**
 * Withdraws an action its creator opened.
 *
 * @example
 * ```ts
 * import { revokeAction } from '@zrkit/core'
 * await revokeAction(alice, { actionId })
 * ```
 */
export async function revokeAction(client: ClientBase, params: { actionId: number }): Promise<VoteReturnType> {
  const receipt = await sendMessage(client, { msg: { type: 'policy.RevokeAction', actionId: requireParams(params, 'revokeAction').actionId } })
  return { status: receipt.result.status as Action['status'], receipt }
}

/**
 * Reads an action; `ACTION_NOT_FOUND` when there is none.
 *
 * @example
 * ```ts
 * import { getAction } from '@zrkit/core'
 * const { votes, status } = await getAction(client, { id: actionId })
 * ```
 */
export function getAction(client: ClientBase, params: { id: number }): Promise<Action> {
  return getOrThrow(client, 'action', params, 'ACTION_NOT_FOUND', 'Action')
}

/**
 * Lists actions, e.g. those waiting for one participant.
 *
 * @example
 * ```ts
 * import { listActions } from '@zrkit/core'
 * const { items } = await listActions(bob, { participant: bob.account.address, status: 'pending' })
 * ```
 */
export function listActions(client: ClientBase, params: QueryParams<'actions'> = {}): Promise<Page<Action>> {
  return client.ledger.query('actions', params)
}

/**
 * Waits until an action is approved; throws `ACTION_REJECTED` if it ends otherwise.
 *
 * @example
 * ```ts
 * import { waitForAction } from '@zrkit/core'
 * await waitForAction(alice, { actionId, timeoutMs: 30_000 })
 * ```
 */
export function waitForAction(client: ClientBase, params: { actionId: number } & WaitOptions): Promise<Action> {
  let actionId: number
  let options: WaitOptions
  try {
    const { actionId: id, ...rest } = requireParams(params, 'waitForAction')
    actionId = requireId(id, 'actionId')
    options = rest
  } catch (e) {
    return Promise.reject(e)
  }
  return waitUntil(
    client,
    `action ${actionId}`,
    { actionId },
    async () => {
      const a = await getAction(client, { id: actionId })
      if (a.status === 'pending') return undefined
      if (a.status === 'approved') return a
      throw new ZrError('ACTION_REJECTED', `Action ${actionId} was ${a.status}.`, { details: a.reason, context: { actionId, status: a.status } })
    },
    options,
  )
}
