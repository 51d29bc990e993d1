import { ZrError } from '../../errors/ZrError.js'
import { escrowFee } from '../bank/bank.js'
import { requireActiveKeyring } from '../identity/keyrings.js'
import { requireOwner, requireWorkspace } from '../identity/workspaces.js'
import type { FulfilKeyRequestMessage, NewKeyRequestMessage } from '../messages.js'
import { requirePolicyFitsOwners } from '../policy/policies.js'
import type { StateTx } from '../state.js'
import { type KeyRequest, type KeyType, type PartyResponse, keyTypes } from '../types.js'
import { checkInt, describe, invalid, optional } from '../validate.js'
import { payRequestFee, rejectKeyRequest } from './close.js'
import { acceptPartyResponse, checkRequestId, checkTtl, deadline, tally } from './responses.js'
import { checkPublicKey } from './schemes.js'
import { equalBytes } from '../../encoding/bytes.js'

export function checkKeyType(v: unknown): KeyType {
  if (typeof v !== 'string' || !keyTypes.includes(v as KeyType)) {
    throw new ZrError('UNSUPPORTED_KEY_TYPE', 'Unsupported key type.', { details: `expected one of ${keyTypes.join(', ')}, got ${describe(v)}` })
  }
  return v as KeyType
}

export function requireKeyRequest(tx: StateTx, id: unknown): KeyRequest {
  const requestId = checkRequestId(id)
  const r = tx.get('keyRequests', requestId)
  if (!r) throw new ZrError('KEY_REQUEST_NOT_FOUND', 'Key request not found.', { details: `no key request ${id}`, context: { requestId } })
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
  const accepted = acceptPartyResponse(tx, sender, 'key', req, msg)
  const { keyring, rejectReason } = accepted
  let response = accepted.response
  if (rejectReason === undefined) {
    if (!('publicKey' in msg.result)) throw invalid('result', '{ publicKey } or { rejectReason }', msg.result)
    response = { ...response, publicKey: checkPublicKey(req.keyType, msg.result.publicKey) }
  }
  const responses = [...req.responses, response]
  tx.emit('keyRequest.response', { requestId: req.id, keyring: req.keyring, workspace: req.workspace, party: sender, rejected: rejectReason !== undefined })
  const t = tally(keyring, responses, sameKey)
  if (t.outcome === 'rejected') {
    rejectKeyRequest(tx, req, t.reason, { responses })
    return { requestId: req.id, status: 'rejected' as const }
  }
  if (t.outcome === 'open') {
    tx.put('keyRequests', req.id, { ...req, responses })
    return { requestId: req.id, status: 'pending' as const }
  }
  const publicKey = response.publicKey!
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

/** Two key responses agree when they posted the same public key. */
export const sameKey = (a: PartyResponse, b: PartyResponse): boolean => !!a.publicKey && !!b.publicKey && equalBytes(a.publicKey, b.publicKey)
