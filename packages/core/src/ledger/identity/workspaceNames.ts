import { ZrError } from '../../errors/ZrError.js'
import type { SetWorkspaceAllowlistMessage, SetWorkspaceTokenMessage } from '../messages.js'
import type { TokenDefinition } from '../policy/judgeTxConditions.js'
import type { StateTx } from '../state.js'
import { checkInt, checkString, invalid, optional } from '../validate.js'
import { requireOwner, requireWorkspace } from './workspaces.js'

/*
 * The names a workspace's transaction policies use: allowlists (`tx.to in allowlist(treasury)`) and
 * tokens (`tx.token == usdc`). Both change under the workspace's admin policy.
 */

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/
const ENTRY = /^[\x21-\x7e]{1,128}$/
/** Most allowlists, entries per allowlist and tokens one workspace keeps. */
export const MAX_ALLOWLISTS = 64
export const MAX_ALLOWLIST_ENTRIES = 1024
export const MAX_TOKENS = 256

function checkName(v: unknown, what: string): string {
  if (typeof v !== 'string' || !NAME.test(v)) throw invalid(what, 'a name like treasury or usdc ([A-Za-z_][A-Za-z0-9_]*, at most 64 characters)', v)
  return v
}

/** Checks the fields of a workspace-names message (also before it waits for approval). */
export function checkWorkspaceNamesMessage(msg: SetWorkspaceAllowlistMessage | SetWorkspaceTokenMessage, tx: StateTx): void {
  checkName(msg.name, msg.type === 'identity.SetWorkspaceAllowlist' ? 'allowlist name' : 'token name')
  if (msg.type === 'identity.SetWorkspaceAllowlist') {
    if (!Array.isArray(msg.entries) || msg.entries.length > MAX_ALLOWLIST_ENTRIES) throw invalid('entries', `a list of at most ${MAX_ALLOWLIST_ENTRIES} addresses`, msg.entries)
    const seen = new Set<string>()
    msg.entries.forEach((e, i) => {
      if (typeof e !== 'string' || !ENTRY.test(e)) throw invalid(`entries[${i}]`, 'an address of 1..128 printable characters without spaces', e)
      if (seen.has(e)) throw invalid('entries', 'distinct addresses', `${e} twice`)
      seen.add(e)
    })
    return
  }
  const token: unknown = msg.token
  if (token === undefined) return
  if (token === null || typeof token !== 'object' || Array.isArray(token)) throw invalid('token', 'an object { chain, network?, asset, decimals }', token)
  const t = token as Record<string, unknown>
  const unknown = Object.keys(t).filter((k) => !['chain', 'network', 'asset', 'decimals'].includes(k))
  if (unknown.length) throw invalid('token', 'only the fields chain, network, asset, decimals', `the field ${unknown[0]}`)
  const chain = checkString(t.chain, 'token.chain', { min: 1, max: 32 })
  if (!tx.decoders.has(chain)) {
    throw new ZrError('UNSUPPORTED_CHAIN', 'No transaction decoder for this chain.', {
      details: `expected a chain this ledger decodes (${[...tx.decoders.keys()].join(', ') || 'none: its genesis lists no transactionDecoders'}), got ${JSON.stringify(chain)}`,
      context: { chain, available: [...tx.decoders.keys()] },
    })
  }
  optional(t.network, (v) => checkString(v, 'token.network', { min: 1, max: 64 }))
  if (typeof t.asset !== 'string' || !ENTRY.test(t.asset)) throw invalid('token.asset', 'the token id (a contract, mint or denom) of 1..128 printable characters', t.asset)
  checkInt(t.decimals, 'token.decimals', { max: 77 })
}

export function setWorkspaceAllowlist(tx: StateTx, sender: string, msg: SetWorkspaceAllowlistMessage) {
  const w = requireWorkspace(tx, msg.workspace)
  requireOwner(w, sender)
  checkWorkspaceNamesMessage(msg, tx)
  const allowlists = { ...(w.allowlists ?? {}) }
  if (msg.entries.length === 0) delete allowlists[msg.name]
  else allowlists[msg.name] = [...msg.entries]
  if (Object.keys(allowlists).length > MAX_ALLOWLISTS) throw invalid('allowlists', `at most ${MAX_ALLOWLISTS} allowlists per workspace`, `${Object.keys(allowlists).length}`)
  const { allowlists: _old, ...rest } = w
  tx.put('workspaces', w.address, { ...rest, ...(Object.keys(allowlists).length ? { allowlists } : {}) })
  tx.emit('workspace.updated', { workspace: w.address, change: msg.entries.length ? 'allowlist-set' : 'allowlist-removed', name: msg.name })
  return {}
}

export function setWorkspaceToken(tx: StateTx, sender: string, msg: SetWorkspaceTokenMessage) {
  const w = requireWorkspace(tx, msg.workspace)
  requireOwner(w, sender)
  checkWorkspaceNamesMessage(msg, tx)
  const tokens: Record<string, TokenDefinition> = { ...(w.tokens ?? {}) }
  if (msg.token === undefined) delete tokens[msg.name]
  else {
    const { chain, network, asset, decimals } = msg.token
    const decoder = tx.decoders.get(chain)!
    let id = asset
    try {
      id = decoder.normalizeAddress(asset)
    } catch {
      // not an address on this chain (a Cosmos denom): kept as written
    }
    tokens[msg.name] = { chain, ...(network !== undefined ? { network } : {}), asset: id, decimals }
  }
  if (Object.keys(tokens).length > MAX_TOKENS) throw invalid('tokens', `at most ${MAX_TOKENS} tokens per workspace`, `${Object.keys(tokens).length}`)
  const { tokens: _old, ...rest } = w
  tx.put('workspaces', w.address, { ...rest, ...(Object.keys(tokens).length ? { tokens } : {}) })
  tx.emit('workspace.updated', { workspace: w.address, change: msg.token ? 'token-set' : 'token-removed', name: msg.name })
  return {}
}
