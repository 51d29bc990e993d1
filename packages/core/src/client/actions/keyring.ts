import type { TxReceipt } from '../../ledger/Ledger.js'
import type { NewKeyringMessage, UpdateKeyringMessage } from '../../ledger/messages.js'
import type { Page, QueryParams } from '../../ledger/queries.js'
import type { Keyring } from '../../ledger/types.js'
import { type ClientBase, sendMessage } from '../sendMessage.js'
import { getOrThrow } from './get.js'

/** Parameters of {@link createKeyring}. */
export type CreateKeyringParameters = Omit<NewKeyringMessage, 'type'>

/**
 * Registers a keyring with its parties, threshold and fees; the sender becomes an admin.
 *
 * @example
 * ```ts
 * import { createKeyring } from '@zrkit/core'
 * const { keyring } = await createKeyring(operator, {
 *   description: 'local keyring', parties: [party.address], partyThreshold: 1, keyRequestFee: 100n, signRequestFee: 10n,
 * })
 * ```
 */
export async function createKeyring(client: ClientBase, params: CreateKeyringParameters): Promise<{ keyring: string; receipt: TxReceipt }> {
  const receipt = await sendMessage(client, { msg: { type: 'identity.NewKeyring', ...params } })
  return { keyring: receipt.result.keyring as string, receipt }
}

/**
 * Changes a keyring's description, fees, threshold or active flag (admins).
 *
 * @example
 * ```ts
 * import { updateKeyring } from '@zrkit/core'
 * await updateKeyring(operator, { keyring, signRequestFee: 20n, partyThreshold: 2 })
 * ```
 */
export function updateKeyring(client: ClientBase, params: Omit<UpdateKeyringMessage, 'type'>): Promise<TxReceipt> {
  return sendMessage(client, { msg: { type: 'identity.UpdateKeyring', ...params } })
}

/**
 * Adds a party (admins); `increaseThreshold` raises the threshold by one.
 *
 * @example
 * ```ts
 * import { addKeyringParty } from '@zrkit/core'
 * await addKeyringParty(operator, { keyring, party: party4.address, increaseThreshold: true })
 * ```
 */
export function addKeyringParty(client: ClientBase, params: { keyring: string; party: string; increaseThreshold?: boolean }): Promise<TxReceipt> {
  return sendMessage(client, { msg: { type: 'identity.AddKeyringParty', ...params } })
}

/**
 * Removes a party (admins); `decreaseThreshold` lowers the threshold by one.
 *
 * @example
 * ```ts
 * import { removeKeyringParty } from '@zrkit/core'
 * await removeKeyringParty(operator, { keyring, party: party4.address, decreaseThreshold: true })
 * ```
 */
export function removeKeyringParty(client: ClientBase, params: { keyring: string; party: string; decreaseThreshold?: boolean }): Promise<TxReceipt> {
  return sendMessage(client, { msg: { type: 'identity.RemoveKeyringParty', ...params } })
}

/**
 * Adds a keyring admin (admins).
 *
 * @example
 * ```ts
 * import { addKeyringAdmin } from '@zrkit/core'
 * await addKeyringAdmin(operator, { keyring, admin: ops.address })
 * ```
 */
export function addKeyringAdmin(client: ClientBase, params: { keyring: string; admin: string }): Promise<TxReceipt> {
  return sendMessage(client, { msg: { type: 'identity.AddKeyringAdmin', ...params } })
}

/**
 * Removes a keyring admin (admins; one must remain).
 *
 * @example
 * ```ts
 * import { removeKeyringAdmin } from '@zrkit/core'
 * await removeKeyringAdmin(operator, { keyring, admin: ops.address })
 * ```
 */
export function removeKeyringAdmin(client: ClientBase, params: { keyring: string; admin: string }): Promise<TxReceipt> {
  return sendMessage(client, { msg: { type: 'identity.RemoveKeyringAdmin', ...params } })
}

/**
 * Deactivates a keyring for good: its open requests are rejected and refunded; new ones are refused.
 *
 * @example
 * ```ts
 * import { deactivateKeyring } from '@zrkit/core'
 * await deactivateKeyring(operator, { keyring })
 * ```
 */
export function deactivateKeyring(client: ClientBase, params: { keyring: string }): Promise<TxReceipt> {
  return sendMessage(client, { msg: { type: 'identity.DeactivateKeyring', ...params } })
}

/**
 * Pays out fees the keyring has earned (admins).
 *
 * @example
 * ```ts
 * import { withdrawKeyringFees } from '@zrkit/core'
 * await withdrawKeyringFees(operator, { keyring, to: operator.account.address, amount: 110n })
 * ```
 */
export function withdrawKeyringFees(client: ClientBase, params: { keyring: string; to: string; amount: bigint }): Promise<TxReceipt> {
  return sendMessage(client, { msg: { type: 'identity.WithdrawKeyringFees', ...params } })
}

/**
 * Reads a keyring; `KEYRING_NOT_FOUND` when there is none.
 *
 * @example
 * ```ts
 * import { getKeyring } from '@zrkit/core'
 * const { parties, partyThreshold } = await getKeyring(client, { address: keyring })
 * ```
 */
export function getKeyring(client: ClientBase, params: { address: string }): Promise<Keyring> {
  return getOrThrow(client, 'keyring', params, 'KEYRING_NOT_FOUND', 'Keyring')
}

/**
 * Lists keyrings, a page at a time.
 *
 * @example
 * ```ts
 * import { listKeyrings } from '@zrkit/core'
 * const { items } = await listKeyrings(client, { active: true })
 * ```
 */
export function listKeyrings(client: ClientBase, params: QueryParams<'keyrings'> = {}): Promise<Page<Keyring>> {
  return client.ledger.query('keyrings', params)
}
