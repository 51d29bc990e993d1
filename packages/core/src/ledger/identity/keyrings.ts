import { ZrError } from '../../errors/ZrError.js'
import { credit, debit } from '../bank/bank.js'
import type {
  AddKeyringAdminMessage,
  AddKeyringPartyMessage,
  DeactivateKeyringMessage,
  NewKeyringMessage,
  RemoveKeyringAdminMessage,
  RemoveKeyringPartyMessage,
  UpdateKeyringMessage,
  WithdrawKeyringFeesMessage,
} from '../messages.js'
import { closeAction } from '../policy/actions.js'
import type { StateTx } from '../state.js'
import { rejectKeyRequest, rejectSignRequest } from '../treasury/close.js'
import type { Keyring } from '../types.js'
import { checkAccount, checkAccountList, checkAmount, checkBool, checkInt, checkKeyringAddress, checkString, optional } from '../validate.js'
import { keyringAddress } from './addresses.js'

export function requireKeyring(tx: StateTx, address: string): Keyring {
  checkKeyringAddress(address)
  const k = tx.get('keyrings', address)
  if (!k) throw new ZrError('KEYRING_NOT_FOUND', 'Keyring not found.', { details: `no keyring ${address}`, context: { keyring: address } })
  return k
}

export function requireActiveKeyring(tx: StateTx, address: string): Keyring {
  const k = requireKeyring(tx, address)
  if (!k.isActive) throw new ZrError('KEYRING_NOT_ACTIVE', 'Keyring is not active.', { details: `${address} was deactivated`, context: { keyring: address } })
  return k
}

function requireAdmin(tx: StateTx, sender: string, address: string): Keyring {
  const k = requireKeyring(tx, address)
  if (!k.admins.includes(sender)) {
    throw new ZrError('NOT_KEYRING_ADMIN', 'Only keyring admins may do this.', { details: `${sender} is not an admin of ${address}`, context: { keyring: address, sender } })
  }
  return k
}

function checkThreshold(threshold: number, parties: number): void {
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > parties) {
    throw new ZrError('INVALID_THRESHOLD', 'Invalid party threshold.', { details: `expected a threshold in 1..${parties} (the number of parties), got ${threshold}` })
  }
}

function save(tx: StateTx, k: Keyring, change: string): { keyring: string } {
  tx.put('keyrings', k.address, k)
  tx.emit('keyring.updated', { keyring: k.address, change })
  return { keyring: k.address }
}

export function newKeyring(tx: StateTx, sender: string, msg: NewKeyringMessage) {
  const description = checkString(msg.description, 'description', { max: 512 })
  const parties = checkAccountList(msg.parties, 'parties', { min: 1, max: 64 })
  checkInt(msg.partyThreshold, 'partyThreshold', { min: 0, max: 64 })
  checkThreshold(msg.partyThreshold, parties.length)
  const keyRequestFee = checkAmount(msg.keyRequestFee, 'keyRequestFee')
  const signRequestFee = checkAmount(msg.signRequestFee, 'signRequestFee')
  const extra = optional(msg.admins, (v) => checkAccountList(v, 'admins', { max: 16 })) ?? []
  const address = keyringAddress(tx.nextId('keyring'))
  const k: Keyring = {
    address,
    creator: sender,
    description,
    admins: [sender, ...extra.filter((a) => a !== sender)],
    parties,
    partyThreshold: msg.partyThreshold,
    keyRequestFee,
    signRequestFee,
    isActive: true,
    createdAt: tx.time,
  }
  tx.put('keyrings', address, k)
  tx.emit('keyring.created', { keyring: address, creator: sender })
  return { keyring: address }
}

export function updateKeyring(tx: StateTx, sender: string, msg: UpdateKeyringMessage) {
  const k = requireAdmin(tx, sender, msg.keyring)
  const description = optional(msg.description, (v) => checkString(v, 'description', { max: 512 })) ?? k.description
  const keyRequestFee = optional(msg.keyRequestFee, (v) => checkAmount(v, 'keyRequestFee')) ?? k.keyRequestFee
  const signRequestFee = optional(msg.signRequestFee, (v) => checkAmount(v, 'signRequestFee')) ?? k.signRequestFee
  const partyThreshold = optional(msg.partyThreshold, (v) => checkInt(v, 'partyThreshold', { max: 64 })) ?? k.partyThreshold
  checkThreshold(partyThreshold, k.parties.length)
  const isActive = optional(msg.isActive, (v) => checkBool(v, 'isActive')) ?? k.isActive
  if (isActive && !k.isActive) throw new ZrError('KEYRING_NOT_ACTIVE', 'A deactivated keyring cannot be reactivated.', { details: `${k.address} was deactivated` })
  if (!isActive && k.isActive) closeOpenRequests(tx, k.address)
  return save(tx, { ...k, description, keyRequestFee, signRequestFee, partyThreshold, isActive }, 'settings')
}

export function addKeyringParty(tx: StateTx, sender: string, msg: AddKeyringPartyMessage) {
  const k = requireAdmin(tx, sender, msg.keyring)
  checkAccount(msg.party, 'party')
  const increase = optional(msg.increaseThreshold, (v) => checkBool(v, 'increaseThreshold')) ?? false
  if (k.parties.includes(msg.party)) throw new ZrError('ALREADY_EXISTS', 'Already a party.', { details: `${msg.party} is already a party of ${k.address}` })
  if (k.parties.length >= 64) throw new ZrError('INVALID_INPUT', 'Too many parties.', { details: 'expected at most 64 parties' })
  const parties = [...k.parties, msg.party]
  const partyThreshold = k.partyThreshold + (increase ? 1 : 0)
  checkThreshold(partyThreshold, parties.length)
  return save(tx, { ...k, parties, partyThreshold }, 'party-added')
}

export function removeKeyringParty(tx: StateTx, sender: string, msg: RemoveKeyringPartyMessage) {
  const k = requireAdmin(tx, sender, msg.keyring)
  checkAccount(msg.party, 'party')
  const decrease = optional(msg.decreaseThreshold, (v) => checkBool(v, 'decreaseThreshold')) ?? false
  if (!k.parties.includes(msg.party)) throw new ZrError('NOT_KEYRING_PARTY', 'Not a party.', { details: `${msg.party} is not a party of ${k.address}` })
  const parties = k.parties.filter((p) => p !== msg.party)
  const partyThreshold = k.partyThreshold - (decrease ? 1 : 0)
  checkThreshold(partyThreshold, parties.length)
  return save(tx, { ...k, parties, partyThreshold }, 'party-removed')
}

export function addKeyringAdmin(tx: StateTx, sender: string, msg: AddKeyringAdminMessage) {
  const k = requireAdmin(tx, sender, msg.keyring)
  checkAccount(msg.admin, 'admin')
  if (k.admins.includes(msg.admin)) throw new ZrError('ALREADY_EXISTS', 'Already an admin.', { details: `${msg.admin} is already an admin of ${k.address}` })
  return save(tx, { ...k, admins: [...k.admins, msg.admin] }, 'admin-added')
}

export function removeKeyringAdmin(tx: StateTx, sender: string, msg: RemoveKeyringAdminMessage) {
  const k = requireAdmin(tx, sender, msg.keyring)
  checkAccount(msg.admin, 'admin')
  if (!k.admins.includes(msg.admin)) throw new ZrError('NOT_KEYRING_ADMIN', 'Not an admin.', { details: `${msg.admin} is not an admin of ${k.address}` })
  if (k.admins.length === 1) throw new ZrError('INVALID_INPUT', 'Cannot remove the last admin.', { details: `${k.address} would have no admins` })
  return save(tx, { ...k, admins: k.admins.filter((a) => a !== msg.admin) }, 'admin-removed')
}

export function deactivateKeyring(tx: StateTx, sender: string, msg: DeactivateKeyringMessage) {
  const k = requireAdmin(tx, sender, msg.keyring)
  if (!k.isActive) throw new ZrError('KEYRING_NOT_ACTIVE', 'Keyring is already inactive.', { details: `${k.address} was deactivated` })
  closeOpenRequests(tx, k.address)
  return save(tx, { ...k, isActive: false }, 'deactivated')
}

export function withdrawKeyringFees(tx: StateTx, sender: string, msg: WithdrawKeyringFeesMessage) {
  const k = requireAdmin(tx, sender, msg.keyring)
  checkAccount(msg.to, 'to')
  const amount = checkAmount(msg.amount, 'amount', { positive: true })
  debit(tx, k.address, amount, 'the withdrawal')
  credit(tx, msg.to, amount)
  tx.emit('bank.transfer', { from: k.address, to: msg.to, amount, keyring: k.address })
  return { keyring: k.address }
}

/** Rejects (and refunds) every open request of a keyring that is going inactive. */
function closeOpenRequests(tx: StateTx, keyring: string): void {
  for (const id of tx.openIds('keyRequests')) {
    const r = tx.get('keyRequests', id)!
    if (r.keyring === keyring) rejectKeyRequest(tx, r, 'keyring deactivated')
  }
  for (const id of tx.openIds('signRequests')) {
    const r = tx.get('signRequests', id)!
    if (r.keyring !== keyring) continue
    if (r.actionId !== undefined) {
      const a = tx.get('actions', r.actionId)!
      if (a.status === 'pending') closeAction(tx, a, 'rejected', 'keyring deactivated')
    }
    rejectSignRequest(tx, r, 'keyring deactivated')
  }
}
