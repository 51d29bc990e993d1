import type { Message } from './messages.js'

/** Where a message keeps addresses: single fields, lists of addresses, and alias -> address records. */
type AddressFields = { readonly one?: readonly string[]; readonly list?: readonly string[]; readonly record?: readonly string[] }

/**
 * The address fields of every message type. Typed over every `Message['type']`, so a new message type
 * does not compile until it says which of its fields are addresses (`{}` for none). A field missing here
 * is not silently accepted in upper case: the ledger's address check refuses anything not lower case.
 *
 * @example
 * ```ts
 * import { messageAddressFields } from './normalizeMessageAddresses.js'
 * messageAddressFields['identity.NewKeyring'] // { list: ['parties', 'admins'] }
 * ```
 */
export const messageAddressFields: { readonly [T in Message['type']]: AddressFields } = {
  'bank.Send': { one: ['to'] },
  'identity.NewWorkspace': { list: ['additionalOwners'] },
  'identity.AddWorkspaceOwner': { one: ['workspace', 'owner'] },
  'identity.RemoveWorkspaceOwner': { one: ['workspace', 'owner'] },
  'identity.UpdateWorkspace': { one: ['workspace'] },
  'identity.NewChildWorkspace': { one: ['parent'] },
  'identity.AppendChildWorkspace': { one: ['parent', 'child'] },
  'identity.SetWorkspaceAllowlist': { one: ['workspace'] },
  'identity.SetWorkspaceToken': { one: ['workspace'] },
  'identity.NewKeyring': { list: ['parties', 'admins'] },
  'identity.UpdateKeyring': { one: ['keyring'] },
  'identity.AddKeyringParty': { one: ['keyring', 'party'] },
  'identity.RemoveKeyringParty': { one: ['keyring', 'party'] },
  'identity.AddKeyringAdmin': { one: ['keyring', 'admin'] },
  'identity.RemoveKeyringAdmin': { one: ['keyring', 'admin'] },
  'identity.DeactivateKeyring': { one: ['keyring'] },
  'identity.WithdrawKeyringFees': { one: ['keyring', 'to'] },
  'policy.NewPolicy': { record: ['participants'] },
  'policy.ApproveAction': {},
  'policy.RejectAction': {},
  'policy.RevokeAction': {},
  'treasury.NewKeyRequest': { one: ['workspace', 'keyring'] },
  'treasury.FulfilKeyRequest': {},
  'treasury.NewSignRequest': {},
  'treasury.NewSignTransactionRequest': {},
  'treasury.FulfilSignRequest': {},
}

/**
 * An all-upper-case string (BIP173 allows it for bech32) in lower case; anything else as it is (mixed
 * case and values that are not strings are for the address check to refuse).
 *
 * @example
 * ```ts
 * import { normalizeAddressCase } from './normalizeMessageAddresses.js'
 * normalizeAddressCase('ZEN1QQ...') // 'zen1qq...'
 * normalizeAddressCase('Zen1qq...') // 'Zen1qq...' (refused later)
 * ```
 */
export function normalizeAddressCase(v: unknown): unknown {
  return typeof v === 'string' && v === v.toUpperCase() && v !== v.toLowerCase() ? v.toLowerCase() : v
}

/**
 * A message with every address field in lower case. bech32 addresses may be written all upper case
 * (BIP173); they are the same addresses, and the ledger keeps and compares them in lower case only, so
 * this runs on every message before its handler: a send to `ZEN1...` credits `zen1...`, an upper-case
 * party can respond. Mixed case is left as it is, for the address check to refuse (`INVALID_ADDRESS`).
 * Values of the wrong shape are left for the handler's checks too. Returns a copy; `msg` is not changed.
 *
 * @example
 * ```ts
 * import { normalizeMessageAddresses } from './normalizeMessageAddresses.js'
 * normalizeMessageAddresses({ type: 'bank.Send', to: bob.address.toUpperCase(), amount: 5n }) // { ..., to: bob.address }
 * ```
 */
export function normalizeMessageAddresses<M extends { readonly type: string }>(msg: M): M {
  const fields = Object.hasOwn(messageAddressFields, msg.type) ? messageAddressFields[msg.type as Message['type']] : undefined
  if (!fields) return msg
  const m = msg as Record<string, unknown>
  const out: Record<string, unknown> = { ...m }
  for (const k of fields.one ?? []) if (Object.hasOwn(m, k)) out[k] = normalizeAddressCase(m[k])
  for (const k of fields.list ?? []) if (Object.hasOwn(m, k) && Array.isArray(m[k])) out[k] = (m[k] as unknown[]).map(normalizeAddressCase)
  for (const k of fields.record ?? []) {
    const r = m[k]
    if (Object.hasOwn(m, k) && r !== null && typeof r === 'object' && !Array.isArray(r) && !(r instanceof Uint8Array)) {
      out[k] = Object.fromEntries(Object.entries(r).map(([alias, address]) => [alias, normalizeAddressCase(address)]))
    }
  }
  return out as M
}
