import { ZrError } from '../../errors/ZrError.js'
import { escrowFee } from '../bank/bank.js'
import { requireActiveKeyring } from '../identity/keyrings.js'
import { requireOwner, requireWorkspace } from '../identity/workspaces.js'
import type { FulfilKeyRequestMessage, NewKeyRequestMessage } from '../messages.js'
import { requirePolicyFitsOwners } from '../policy/policies.js'
import type { StateTx } from '../state.js'
import { type KeyRequest, type KeyType, keyTypes } from '../types.js'
import { checkInt, invalid, optional } from '../validate.js'
import { payRequestFee, rejectKeyRequest } from './close.js'
import { acceptPartyResponse, checkRequestId, checkTtl, deadline } from './responses.js'
import { checkPublicKey } from './schemes.js'
import { toHex, equalBytes } from '../../encoding/bytes.js'

export function checkKeyType(v: unknown): KeyType {
  if (typeof v !== 'string' || !keyTypes.includes(v as KeyType)) {
    throw new ZrError('UNSUPPORTED_KEY_TYPE', 'Unsupported key type.', { details: `expected one of ${keyTypes.join(', ')}, got ${JSON.stringify(v)}` })
  }
  return v as KeyType
}

export function requireKeyRequest(tx: StateTx, id: unknown): KeyRequest {
  const r = tx.get('keyRequests', checkRequestId(id))
  if (!r) throw new ZrError('KEY_REQUEST_NOT_FOUND', 'Key request not found.', { details: `no key request ${id}`, meta: { requestId: id } })
  return r
}

export function newKeyRequest(tx: StateTx, sender: string, msg: NewKeyRequestMessage) {
  const keyType = checkKeyType(msg.keyType)
  const ttlMs = checkTtl(tx, msg.ttlMs)
  const signPolicyId = optional(msg.signPolicyId, (v) => checkInt(v, 'signPolicyId'))
  const w = requireWorkspace(tx, msg.workspace)
  requireOwner(w, sender)
  const keyring = requireActiveKeyring(tx, msg.keyring)
  if (signPolicyId !== undefined) requirePolicyFitsOwners(tx, signPolicyId, w.owners)
  const id = tx.nextId('keyRequest')
  escrowFee(tx, sender, keyring.keyRequestFee, { requestKind: 'key', requestId: id, keyring: keyring.address })
  const req: KeyRequest = {
    id,
    creator: sender,
    workspace: w.address,
    keyring: keyring.address,
    keyType,
    ...(signPolicyId !== undefined ? { signPolicyId } : {}),
    status: 'pending',
    fee: keyring.keyRequestFee,
    responses: [],
    createdAt: tx.time,
    expiresAt: deadline(tx, ttlMs),
  }
  tx.put('keyRequests', id, req)
  tx.emit('keyRequest.created', { requestId: id, keyring: keyring.address, workspace: w.address, keyType })
  return { requestId: id }
}

export function fulfilKeyRequest(tx: StateTx, sender: string, msg: FulfilKeyRequestMessage) {
  const req = requireKeyRequest(tx, msg.requestId)
  const { keyring, response, rejectReason } = acceptPartyResponse(tx, sender, 'key', req, msg)
  const responses = [...req.responses, response]
  tx.emit('keyRequest.response', { requestId: req.id, keyring: req.keyring, workspace: req.workspace, party: sender, rejected: rejectReason !== undefined })
  if (rejectReason !== undefined) {
    rejectKeyRequest(tx, req, `party ${sender} rejected: ${rejectReason}`, { responses })
    return { requestId: req.id, status: 'rejected' as const }
  }
  if (!('publicKey' in msg.result)) throw invalid('result', '{ publicKey } or { rejectReason }', msg.result)
  const publicKey = checkPublicKey(req.keyType, msg.result.publicKey)
  if (req.publicKey && !equalBytes(req.publicKey, publicKey)) {
    rejectKeyRequest(tx, req, `public key mismatch: party ${sender} posted ${toHex(publicKey)}, an earlier party posted ${toHex(req.publicKey)}`, { responses })
    return { requestId: req.id, status: 'rejected' as const }
  }
  if (responses.length < keyring.partyThreshold) {
    tx.put('keyRequests', req.id, { ...req, publicKey, responses })
    return { requestId: req.id, status: 'pending' as const }
  }
  const keyId = tx.nextId('key')
  tx.put('keys', keyId, {
    id: keyId,
    workspace: req.workspace,
    keyring: req.keyring,
    keyType: req.keyType,
    publicKey,
    ...(req.signPolicyId !== undefined ? { signPolicyId: req.signPolicyId } : {}),
    requestId: req.id,
    createdAt: tx.time,
  })
  tx.put('keyRequests', req.id, { ...req, publicKey, responses, status: 'fulfilled', keyId, decidedAt: tx.time })
  payRequestFee(tx, 'key', req)
  tx.emit('keyRequest.fulfilled', { requestId: req.id, keyring: req.keyring, workspace: req.workspace, keyId })
  return { requestId: req.id, status: 'fulfilled' as const, keyId }
}
