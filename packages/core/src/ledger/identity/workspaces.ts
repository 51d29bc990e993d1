import { ZrError } from '../../errors/ZrError.js'
import type {
  AddWorkspaceOwnerMessage,
  AppendChildWorkspaceMessage,
  NewChildWorkspaceMessage,
  NewWorkspaceMessage,
  RemoveWorkspaceOwnerMessage,
  SetWorkspaceAllowlistMessage,
  SetWorkspaceTokenMessage,
  UpdateWorkspaceMessage,
} from '../messages.js'
import { anyOwnerPolicyId, requirePolicy, requirePolicyFitsOwners } from '../policy/policies.js'
import type { StateTx } from '../state.js'
import type { Workspace } from '../types.js'
import { checkAccount, checkAccountList, checkInt, checkString, checkWorkspaceAddress, optional } from '../validate.js'
import { workspaceAddress } from './addresses.js'

export function requireWorkspace(tx: StateTx, address: string): Workspace {
  checkWorkspaceAddress(address)
  const w = tx.get('workspaces', address)
  if (!w) throw new ZrError('WORKSPACE_NOT_FOUND', 'Workspace not found.', { details: `no workspace ${address}`, context: { workspace: address } })
  return w
}

export function requireOwner(w: Workspace, sender: string): void {
  if (!w.owners.includes(sender)) {
    throw new ZrError('NOT_WORKSPACE_OWNER', 'Only workspace owners may do this.', {
      details: `${sender} is not an owner of ${w.address} (owners: ${w.owners.join(', ')})`,
      context: { workspace: w.address, sender },
    })
  }
}

function create(tx: StateTx, fields: Omit<Workspace, 'address' | 'createdAt' | 'childWorkspaces'>): Workspace {
  const address = workspaceAddress(tx.nextId('workspace'))
  const w: Workspace = { address, childWorkspaces: [], createdAt: tx.time, ...fields }
  tx.put('workspaces', address, w)
  tx.emit('workspace.created', { workspace: address, creator: fields.creator })
  return w
}

/** Checks every field of the message up front (no state needed), so policy-gated ones fail early. */
export function checkWorkspaceMessage(msg: { type: string } & Record<string, unknown>): void {
  switch (msg.type) {
    case 'identity.NewWorkspace':
      optional(msg.additionalOwners, (v) => checkAccountList(v, 'additionalOwners'))
      optional(msg.adminPolicyId, (v) => checkInt(v, 'adminPolicyId'))
      optional(msg.signPolicyId, (v) => checkInt(v, 'signPolicyId'))
      optional(msg.alias, (v) => checkString(v, 'alias', { max: 64 }))
      return
    case 'identity.AddWorkspaceOwner':
    case 'identity.RemoveWorkspaceOwner':
      checkWorkspaceAddress(msg.workspace)
      checkAccount(msg.owner, 'owner')
      return
    case 'identity.UpdateWorkspace':
      checkWorkspaceAddress(msg.workspace)
      optional(msg.adminPolicyId, (v) => checkInt(v, 'adminPolicyId'))
      optional(msg.signPolicyId, (v) => checkInt(v, 'signPolicyId'))
      optional(msg.alias, (v) => checkString(v, 'alias', { max: 64 }))
      return
    case 'identity.NewChildWorkspace':
      checkWorkspaceAddress(msg.parent, 'parent')
      optional(msg.alias, (v) => checkString(v, 'alias', { max: 64 }))
      return
    case 'identity.AppendChildWorkspace':
      checkWorkspaceAddress(msg.parent, 'parent')
      checkWorkspaceAddress(msg.child, 'child')
      return
    case 'identity.SetWorkspaceAllowlist':
    case 'identity.SetWorkspaceToken':
      checkWorkspaceAddress(msg.workspace)
      return
  }
}

export function newWorkspace(tx: StateTx, sender: string, msg: NewWorkspaceMessage) {
  checkWorkspaceMessage(msg)
  const owners = [sender, ...(msg.additionalOwners ?? []).filter((o) => o !== sender)]
  const adminPolicyId = msg.adminPolicyId ?? 0
  const signPolicyId = msg.signPolicyId ?? 0
  requirePolicyFitsOwners(tx, adminPolicyId, owners)
  requirePolicyFitsOwners(tx, signPolicyId, owners)
  const w = create(tx, { creator: sender, owners, adminPolicyId, signPolicyId, ...(msg.alias ? { alias: msg.alias } : {}) })
  return { workspace: w.address }
}

/** The workspace a policy-gated workspace message is decided in. */
export function gatedWorkspace(msg: AddWorkspaceOwnerMessage | RemoveWorkspaceOwnerMessage | UpdateWorkspaceMessage | NewChildWorkspaceMessage | AppendChildWorkspaceMessage | SetWorkspaceAllowlistMessage | SetWorkspaceTokenMessage): string {
  return 'workspace' in msg ? msg.workspace : msg.parent
}

export function addWorkspaceOwner(tx: StateTx, sender: string, msg: AddWorkspaceOwnerMessage) {
  const w = requireWorkspace(tx, msg.workspace)
  requireOwner(w, sender)
  if (w.owners.includes(msg.owner)) throw new ZrError('ALREADY_EXISTS', 'Already an owner.', { details: `${msg.owner} already owns ${w.address}` })
  if (w.owners.length >= 64) throw new ZrError('INVALID_INPUT', 'Too many owners.', { details: 'expected at most 64 owners' })
  tx.put('workspaces', w.address, { ...w, owners: [...w.owners, msg.owner] })
  tx.emit('workspace.updated', { workspace: w.address, change: 'owner-added', owner: msg.owner })
  return { workspace: w.address }
}

/**
 * Removes an owner. Refused (`POLICY_IN_USE`, naming the policies) while the workspace's own admin or
 * sign policy names the owner: those can be changed first. A key's sign policy cannot be changed, so it
 * does not hold the removal up. From the removal on, the removed owner has no say in any policy of the
 * workspace: the votes they cast on its pending actions are withdrawn here (the `action.voted` events
 * stay in the log), and `castVote` refuses their votes on actions that still name them.
 */
export function removeWorkspaceOwner(tx: StateTx, sender: string, msg: RemoveWorkspaceOwnerMessage) {
  const w = requireWorkspace(tx, msg.workspace)
  requireOwner(w, sender)
  if (!w.owners.includes(msg.owner)) throw new ZrError('INVALID_INPUT', 'Not an owner.', { details: `expected an owner of ${w.address}, got ${msg.owner}` })
  if (w.owners.length === 1) throw new ZrError('INVALID_INPUT', 'Cannot remove the last owner.', { details: `${w.address} would have no owners` })
  const owners = w.owners.filter((o) => o !== msg.owner)
  const roles = { admin: w.adminPolicyId, sign: w.signPolicyId }
  const naming = Object.entries(roles).filter(([, id]) => id !== anyOwnerPolicyId && Object.values(requirePolicy(tx, id).participants).includes(msg.owner))
  if (naming.length) {
    throw new ZrError('POLICY_IN_USE', 'Owner is a participant of a workspace policy.', {
      details: `${msg.owner} takes part in ${naming.map(([role, id]) => `policy ${id} (the ${role} policy)`).join(' and ')} of ${w.address}; expected a workspace policy without them, change the policy first`,
      context: { workspace: w.address, owner: msg.owner, policyIds: naming.map(([, id]) => id) },
    })
  }
  tx.put('workspaces', w.address, { ...w, owners })
  for (const id of tx.openIds('actions')) {
    const a = tx.get('actions', id)!
    if (a.workspace === w.address && a.votes.some((v) => v.address === msg.owner)) tx.put('actions', a.id, { ...a, votes: a.votes.filter((v) => v.address !== msg.owner) })
  }
  tx.emit('workspace.updated', { workspace: w.address, change: 'owner-removed', owner: msg.owner })
  return { workspace: w.address }
}

export function updateWorkspace(tx: StateTx, sender: string, msg: UpdateWorkspaceMessage) {
  const w = requireWorkspace(tx, msg.workspace)
  requireOwner(w, sender)
  const adminPolicyId = msg.adminPolicyId ?? w.adminPolicyId
  const signPolicyId = msg.signPolicyId ?? w.signPolicyId
  requirePolicyFitsOwners(tx, adminPolicyId, w.owners)
  requirePolicyFitsOwners(tx, signPolicyId, w.owners)
  const alias = msg.alias ?? w.alias
  tx.put('workspaces', w.address, { ...w, adminPolicyId, signPolicyId, ...(alias ? { alias } : {}) })
  tx.emit('workspace.updated', { workspace: w.address, change: 'settings' })
  return { workspace: w.address }
}

export function newChildWorkspace(tx: StateTx, sender: string, msg: NewChildWorkspaceMessage) {
  const parent = requireWorkspace(tx, msg.parent)
  requireOwner(parent, sender)
  const child = create(tx, {
    creator: sender,
    owners: parent.owners,
    adminPolicyId: parent.adminPolicyId,
    signPolicyId: parent.signPolicyId,
    parent: parent.address,
    ...(msg.alias ? { alias: msg.alias } : {}),
  })
  tx.put('workspaces', parent.address, { ...parent, childWorkspaces: [...parent.childWorkspaces, child.address] })
  tx.emit('workspace.updated', { workspace: parent.address, change: 'child-added', child: child.address })
  return { workspace: child.address }
}

export function appendChildWorkspace(tx: StateTx, sender: string, msg: AppendChildWorkspaceMessage) {
  const parent = requireWorkspace(tx, msg.parent)
  const child = requireWorkspace(tx, msg.child)
  requireOwner(parent, sender)
  requireOwner(child, sender)
  if (child.parent !== undefined) throw new ZrError('ALREADY_EXISTS', 'Workspace already has a parent.', { details: `${child.address} is a child of ${child.parent}` })
  for (let a: string | undefined = parent.address; a; a = tx.get('workspaces', a)?.parent) {
    if (a === child.address) throw new ZrError('INVALID_INPUT', 'Workspace cycle.', { details: `${child.address} is an ancestor of ${parent.address}` })
  }
  tx.put('workspaces', child.address, { ...child, parent: parent.address })
  tx.put('workspaces', parent.address, { ...parent, childWorkspaces: [...parent.childWorkspaces, child.address] })
  tx.emit('workspace.updated', { workspace: parent.address, change: 'child-added', child: child.address })
  return { workspace: parent.address }
}
