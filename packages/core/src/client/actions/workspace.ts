import type { TxReceipt } from '../../ledger/Ledger.js'
import type { NewWorkspaceMessage, SetWorkspaceAllowlistMessage, SetWorkspaceTokenMessage, UpdateWorkspaceMessage } from '../../ledger/messages.js'
import type { Page, QueryParams } from '../../ledger/queries.js'
import type { Workspace } from '../../ledger/types.js'
import { type ClientBase, sendMessage } from '../sendMessage.js'
import { getOrThrow } from './get.js'

/** Parameters of {@link createWorkspace}. */
export type CreateWorkspaceParameters = Omit<NewWorkspaceMessage, 'type'>
/** Result of {@link createWorkspace}. */
export type CreateWorkspaceReturnType = { workspace: string; receipt: TxReceipt }

/**
 * Creates a workspace owned by the client's account (and `additionalOwners`).
 *
 * @example
 * ```ts
 * import { createWorkspace } from '@zrkit/core'
 * const { workspace } = await createWorkspace(alice, { additionalOwners: [bob.account.address], signPolicyId })
 * ```
 */
export async function createWorkspace(client: ClientBase, params: CreateWorkspaceParameters = {}): Promise<CreateWorkspaceReturnType> {
  const receipt = await sendMessage(client, { msg: { type: 'identity.NewWorkspace', ...params } })
  return { workspace: receipt.result.workspace as string, receipt }
}

/**
 * What an admin change returned: `applied` when the admin policy allowed it at once, else `pending`
 * with the action other owners must approve.
 */
export type AdminChangeReturnType = { status: 'applied' | 'pending'; actionId?: number; receipt: TxReceipt }

async function adminChange(client: ClientBase, msg: Parameters<typeof sendMessage>[1]['msg']): Promise<AdminChangeReturnType> {
  const receipt = await sendMessage(client, { msg })
  const actionId = receipt.result.actionId as number | undefined
  return actionId !== undefined && receipt.result.status === 'pending' ? { status: 'pending', actionId, receipt } : { status: 'applied', receipt }
}

/**
 * Adds an owner, under the workspace's admin policy.
 *
 * @example
 * ```ts
 * import { addWorkspaceOwner } from '@zrkit/core'
 * const { status, actionId } = await addWorkspaceOwner(alice, { workspace, owner: carol.address })
 * ```
 */
export function addWorkspaceOwner(client: ClientBase, params: { workspace: string; owner: string }): Promise<AdminChangeReturnType> {
  return adminChange(client, { type: 'identity.AddWorkspaceOwner', ...params })
}

/**
 * Removes an owner, under the workspace's admin policy. Refused with `POLICY_IN_USE` (`e.context.policyIds`)
 * while the workspace's admin or sign policy names the owner. Key sign policies naming them do not hold
 * the removal up: it withdraws their votes on the workspace's pending actions, and from then on their
 * votes are refused, so they can approve nothing, through any policy, on actions old or new.
 *
 * @example
 * ```ts
 * import { isZrError, removeWorkspaceOwner } from '@zrkit/core'
 * try {
 *   await removeWorkspaceOwner(alice, { workspace, owner: carol.address })
 * } catch (e) {
 *   if (isZrError(e, 'POLICY_IN_USE')) console.log('change these policies first:', e.context.policyIds)
 *   else throw e
 * }
 * ```
 */
export function removeWorkspaceOwner(client: ClientBase, params: { workspace: string; owner: string }): Promise<AdminChangeReturnType> {
  return adminChange(client, { type: 'identity.RemoveWorkspaceOwner', ...params })
}

/**
 * Changes a workspace's admin or sign policy or alias, under its admin policy.
 *
 * @example
 * ```ts
 * import { updateWorkspace } from '@zrkit/core'
 * await updateWorkspace(alice, { workspace, signPolicyId: 2 })
 * ```
 */
export function updateWorkspace(client: ClientBase, params: Omit<UpdateWorkspaceMessage, 'type'>): Promise<AdminChangeReturnType> {
  return adminChange(client, { type: 'identity.UpdateWorkspace', ...params })
}

/**
 * Creates a child workspace that starts with the parent's owners and policies.
 *
 * @example
 * ```ts
 * import { createChildWorkspace } from '@zrkit/core'
 * const { receipt } = await createChildWorkspace(alice, { parent: workspace })
 * receipt.result.workspace // the child, once applied
 * ```
 */
export function createChildWorkspace(client: ClientBase, params: { parent: string; alias?: string }): Promise<AdminChangeReturnType> {
  return adminChange(client, { type: 'identity.NewChildWorkspace', ...params })
}

/**
 * Makes an existing workspace (owned by the sender) a child of another.
 *
 * @example
 * ```ts
 * import { appendChildWorkspace } from '@zrkit/core'
 * await appendChildWorkspace(alice, { parent, child })
 * ```
 */
export function appendChildWorkspace(client: ClientBase, params: { parent: string; child: string }): Promise<AdminChangeReturnType> {
  return adminChange(client, { type: 'identity.AppendChildWorkspace', ...params })
}

/**
 * Sets a named allowlist of the workspace (no entries: removes it), under its admin policy. Sign
 * policies use it as `tx.to in allowlist(treasury)`, `tx.contract in allowlist(dexes)`.
 *
 * @example
 * ```ts
 * import { setWorkspaceAllowlist } from '@zrkit/core'
 * await setWorkspaceAllowlist(alice, { workspace, name: 'treasury', entries: ['0x70997970c51812dc3a010c7d01b50e0d17dc79c8'] })
 * ```
 */
export function setWorkspaceAllowlist(client: ClientBase, params: Omit<SetWorkspaceAllowlistMessage, 'type'>): Promise<AdminChangeReturnType> {
  return adminChange(client, { type: 'identity.SetWorkspaceAllowlist', ...params })
}

/**
 * Names a token for the workspace's sign policies (no `token`: removes the name), under its admin
 * policy: `tx.token == usdc && tx.amount < 1000 usdc`.
 *
 * @example
 * ```ts
 * import { setWorkspaceToken } from '@zrkit/core'
 * await setWorkspaceToken(alice, { workspace, name: 'usdc', token: { chain: 'evm', network: 'eip155:1', asset: '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48', decimals: 6 } })
 * ```
 */
export function setWorkspaceToken(client: ClientBase, params: Omit<SetWorkspaceTokenMessage, 'type'>): Promise<AdminChangeReturnType> {
  return adminChange(client, { type: 'identity.SetWorkspaceToken', ...params })
}

/**
 * Reads a workspace; `WORKSPACE_NOT_FOUND` when there is none.
 *
 * @example
 * ```ts
 * import { getWorkspace } from '@zrkit/core'
 * const { owners } = await getWorkspace(client, { address: workspace })
 * ```
 */
export function getWorkspace(client: ClientBase, params: { address: string }): Promise<Workspace> {
  return getOrThrow(client, 'workspace', params, 'WORKSPACE_NOT_FOUND', 'Workspace')
}

/**
 * Lists workspaces, optionally those of one owner, a page at a time.
 *
 * @example
 * ```ts
 * import { listWorkspaces } from '@zrkit/core'
 * const { items, nextCursor } = await listWorkspaces(client, { owner: alice.address, limit: 20 })
 * ```
 */
export function listWorkspaces(client: ClientBase, params: QueryParams<'workspaces'> = {}): Promise<Page<Workspace>> {
  return client.ledger.query('workspaces', params)
}
