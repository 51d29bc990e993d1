import { ZrError } from '../../errors/ZrError.js'
import { equalBytes } from '../../encoding/bytes.js'
import { escrowFee } from '../bank/bank.js'
import { requireActiveKeyring } from '../identity/keyrings.js'
import { requireOwner, requireWorkspace } from '../identity/workspaces.js'
import type { FulfilSignRequestMessage, NewSignRequestMessage, NewSignTransactionRequestMessage } from '../messages.js'
import { decideAlone, openAction } from '../policy/actions.js'
import { parsePolicyExpression } from '../policy/parsePolicyExpression.js'
import { judgeTxConditions } from '../policy/judgeTxConditions.js'
import { resolvePolicy } from '../policy/policies.js'
import { decodeTransaction } from '../../transaction/decodeTransaction.js'
import type { DecodedTransaction, TransactionDecoder } from '../../transaction/TransactionDecoder.js'
import type { StateTx } from '../state.js'
import type { Action, Key, PartyResponse, SignRequest, Workspace } from '../types.js'
import { checkBytes, checkInt, checkString, invalid, optional } from '../validate.js'
import { payRequestFee, rejectSignRequest } from './close.js'
import { acceptPartyResponse, checkRequestId, checkTtl, deadline, tally } from './responses.js'
import { checkPayloads, signatureProblem } from './schemes.js'
import { signingKey } from '../../derivation/signingKey.js'
import { formatDerivationPath } from '../../derivation/derivationPath.js'

export function requireKey(tx: StateTx, id: unknown): Key {
  const keyId = checkInt(id, 'keyId', { min: 1 })
  const k = tx.get('keys', keyId)
  if (!k) throw new ZrError('KEY_NOT_FOUND', 'Key not found.', { details: `no key ${keyId}`, context: { keyId } })
  return k
}

export function requireSignRequest(tx: StateTx, id: unknown): SignRequest {
  const requestId = checkRequestId(id)
  const r = tx.get('signRequests', requestId)
  if (!r) throw new ZrError('SIGN_REQUEST_NOT_FOUND', 'Signature request not found.', { details: `no signature request ${id}`, context: { requestId } })
  return r
}

function checkMetadata(v: unknown): Record<string, string> | undefined {
  if (v === undefined) return undefined
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw invalid('metadata', 'a string -> string object', v)
  const entries = Object.entries(v)
  if (entries.length > 32) throw invalid('metadata', 'at most 32 entries', `${entries.length} entries`)
  for (const [k, x] of entries) {
    checkString(k, 'metadata key', { min: 1, max: 64 })
    checkString(x, `metadata.${k}`, { max: 1024 })
  }
  return v as Record<string, string>
}

/** The child or taproot key a request signs with, when it names a path or a taproot spend. */
function signingFor(key: Key, msg: { path?: unknown; taproot?: unknown }) {
  if (msg.path !== undefined && !Array.isArray(msg.path)) throw invalid('path', 'an array of segments (indices and labels)', msg.path)
  if (msg.taproot !== undefined && (!msg.taproot || typeof msg.taproot !== 'object' || Object.keys(msg.taproot).some((k) => k !== 'merkleRoot'))) {
    throw invalid('taproot', '{} or { merkleRoot }', msg.taproot)
  }
  if (msg.path === undefined && msg.taproot === undefined) return undefined
  return signingKey(key.keyType, key.publicKey, { ...(msg.path !== undefined ? { path: msg.path as (number | string)[] } : {}), ...(msg.taproot !== undefined ? { taproot: msg.taproot as { merkleRoot?: Uint8Array } } : {}) })
}

export function newSignRequest(tx: StateTx, sender: string, msg: NewSignRequestMessage) {
  const key = requireKey(tx, msg.keyId)
  const signing = signingFor(key, msg)
  const payloads = checkPayloads(key.keyType, msg.payloads, tx.params)
  return openSignRequest(tx, sender, msg, key, signing, payloads, undefined)
}

/** The most bytes an unsigned transaction may have. */
export const MAX_UNSIGNED_TRANSACTION_BYTES = 65_536

/** Checks a sign-transaction message and decodes its transaction for the key: what the ledger would sign. */
function decodeForKey(tx: StateTx, msg: Omit<NewSignTransactionRequestMessage, 'type'>) {
  const key = requireKey(tx, msg.keyId)
  const signing = signingFor(key, msg)
  const chain = checkString(msg.chain, 'chain', { min: 1, max: 32 })
  const decoder = tx.decoders.get(chain)
  if (!decoder) {
    const available = [...tx.decoders.keys()]
    throw new ZrError('UNSUPPORTED_CHAIN', 'No transaction decoder for this chain.', {
      details: `expected a chain this ledger decodes (${available.join(', ') || 'none: its genesis lists no transactionDecoders'}), got ${JSON.stringify(chain)}`,
      context: { chain, available },
    })
  }
  const bytes = checkBytes(msg.unsignedTransaction, 'unsignedTransaction')
  if (bytes.length < 1 || bytes.length > MAX_UNSIGNED_TRANSACTION_BYTES) throw invalid('unsignedTransaction', `1..${MAX_UNSIGNED_TRANSACTION_BYTES} bytes`, bytes)
  const network = optional(msg.network, (v) => checkString(v, 'network', { min: 1, max: 64 }))
  const decoded = decodeTransaction(decoder, {
    unsignedTransaction: Uint8Array.from(bytes),
    keyType: key.keyType,
    // a taproot spend signs for the output key, which the decoder takes x-only (BIP341); the stored key keeps its parity byte
    publicKey: signing?.taproot !== undefined ? signing.publicKey.subarray(1) : (signing?.publicKey ?? key.publicKey),
    taproot: signing?.taproot !== undefined,
    ...(network !== undefined ? { network } : {}),
  })
  const payloads = checkPayloads(key.keyType, decoded.payloads, tx.params)
  return { key, signing, payloads, transaction: { chain, unsignedTransaction: Uint8Array.from(bytes), decoded: decoded.transaction, decoder } }
}

export function newSignTransactionRequest(tx: StateTx, sender: string, msg: NewSignTransactionRequestMessage) {
  const { key, signing, payloads, transaction } = decodeForKey(tx, msg)
  return openSignRequest(tx, sender, msg, key, signing, payloads, transaction)
}

/** What the sign policy makes of a request by `sender` now: its transaction conditions and the verdict of the requester's own vote. */
function judgeUnderPolicy(tx: StateTx, key: Key, w: Workspace, sender: string | undefined, transaction: { decoded: DecodedTransaction; decoder: TransactionDecoder } | undefined) {
  const policyId = key.signPolicyId ?? w.signPolicyId
  const policy = resolvePolicy(tx, policyId, w.owners)
  const conditions = judgeTxConditions(parsePolicyExpression(policy.expression, policy.participants), {
    ...(transaction ? { transaction: transaction.decoded, decoder: transaction.decoder } : {}),
    ...(w.allowlists ? { allowlists: w.allowlists } : {}),
    ...(w.tokens ? { tokens: w.tokens } : {}),
  })
  return { policyId, conditions, ...decideAlone(tx, policyId, w.owners, sender ?? '', conditions) }
}

/**
 * What a sign-transaction request would be, with nothing stored: the payloads the ledger would compute, the
 * decoded transaction, how the sign policy's conditions come out, and whether the requester's own approval
 * would let it go ahead (`decision`), with the clause that decides or what it waits for (`decidedBy`).
 */
export function previewSignTransaction(tx: StateTx, msg: Omit<NewSignTransactionRequestMessage, 'type' | 'ttlMs' | 'metadata'>, creator: string | undefined) {
  const { key, payloads, transaction } = decodeForKey(tx, msg)
  const w = requireWorkspace(tx, key.workspace)
  const judged = judgeUnderPolicy(tx, key, w, creator, transaction)
  return { payloads, transaction: transaction.decoded, policyId: judged.policyId, conditions: judged.conditions, decision: judged.verdict, decidedBy: judged.explanation() }
}

/** Stores a signature request (raw payloads or a decoded transaction) and puts it under the sign policy. */
function openSignRequest(
  tx: StateTx,
  sender: string,
  msg: { ttlMs?: unknown; metadata?: unknown; path?: unknown },
  key: Key,
  signing: ReturnType<typeof signingFor>,
  payloads: Uint8Array[],
  transaction: { chain: string; unsignedTransaction: Uint8Array; decoded: DecodedTransaction; decoder: TransactionDecoder } | undefined,
) {
  const ttlMs = checkTtl(tx, msg.ttlMs)
  const metadata = checkMetadata(msg.metadata)
  const w = requireWorkspace(tx, key.workspace)
  requireOwner(w, sender)
  const keyring = requireActiveKeyring(tx, key.keyring)
  const { policyId, conditions, verdict, explanation } = judgeUnderPolicy(tx, key, w, sender, transaction)
  const id = tx.nextId('signRequest')
  escrowFee(tx, sender, keyring.signRequestFee, { requestKind: 'sign', requestId: id, keyring: keyring.address })
  const base = {
    id,
    creator: sender,
    keyId: key.id,
    keyType: key.keyType,
    workspace: w.address,
    keyring: keyring.address,
    ...(signing && msg.path !== undefined ? { path: signing.path } : {}),
    ...(signing?.taproot ? { taproot: signing.taproot } : {}),
    publicKey: signing?.publicKey ?? key.publicKey,
    payloads,
    ...(transaction ? { transaction: { chain: transaction.chain, unsignedTransaction: transaction.unsignedTransaction, decoded: transaction.decoded, conditions } } : {}),
    fee: keyring.signRequestFee,
    responses: [],
    ...(metadata ? { metadata } : {}),
    ...(ttlMs !== undefined ? { ttlMs } : {}),
    createdAt: tx.time,
  }
  const data = { requestId: id, keyring: keyring.address, workspace: w.address, keyId: key.id, ...(transaction ? { chain: transaction.chain } : {}) }
  if (verdict === 'approved') {
    tx.put('signRequests', id, { ...base, decidedBy: explanation(), status: 'pending', pendingAt: tx.time, expiresAt: deadline(tx, ttlMs) })
    tx.emit('signRequest.created', { ...data, status: 'pending' })
    tx.emit('signRequest.pending', data)
    return { requestId: id, status: 'pending' as const }
  }
  if (verdict === 'rejected') {
    const why = explanation()
    const req: SignRequest = { ...base, decidedBy: why, status: 'pending', expiresAt: tx.time }
    tx.emit('signRequest.created', { ...data, status: 'rejected' })
    const failed = conditions.filter((c) => !c.holds).map((c) => `${c.condition} is false: ${c.why}`)
    rejectSignRequest(tx, req, `policy ${policyId} rejects a request by ${sender}${failed.length ? ` (${failed.join('; ')})` : ''}`)
    return { requestId: id, status: 'rejected' as const }
  }
  const action = openAction(tx, {
    creator: sender,
    workspace: w.address,
    policyId,
    owners: w.owners,
    subject: { kind: 'sign-request', signRequestId: id, ...(transaction ? { transaction: transaction.decoded } : {}) },
    conditions,
  })
  tx.put('signRequests', id, { ...base, status: 'partial', actionId: action.id, expiresAt: action.expiresAt })
  tx.emit('signRequest.created', { ...data, status: 'partial', actionId: action.id })
  return { requestId: id, status: 'partial' as const, actionId: action.id }
}

/** Carries a closed approval action over to its signature request. */
export function settleSignRequestAction(tx: StateTx, action: Action): void {
  if (action.subject.kind !== 'sign-request') return
  const req = tx.get('signRequests', action.subject.signRequestId)
  if (!req || req.status !== 'partial') return
  if (action.status === 'approved') {
    tx.put('signRequests', req.id, { ...req, ...(action.decidedBy ? { decidedBy: action.decidedBy } : {}), status: 'pending', pendingAt: tx.time, expiresAt: deadline(tx, req.ttlMs) })
    tx.emit('signRequest.pending', { requestId: req.id, keyring: req.keyring, workspace: req.workspace, keyId: req.keyId, actionId: action.id })
  } else {
    const why = action.status === 'expired' ? 'approval expired' : action.status === 'revoked' ? 'revoked by its creator' : 'rejected by the sign policy'
    rejectSignRequest(tx, action.decidedBy ? { ...req, decidedBy: action.decidedBy } : req, `${why} (action ${action.id})`)
  }
}

export function fulfilSignRequest(tx: StateTx, sender: string, msg: FulfilSignRequestMessage) {
  const req = requireSignRequest(tx, msg.requestId)
  const accepted = acceptPartyResponse(tx, sender, 'sign', req, msg)
  const { keyring, rejectReason } = accepted
  let response = accepted.response
  if (rejectReason === undefined) {
    if (!('signatures' in msg.result) || !Array.isArray(msg.result.signatures)) throw invalid('result', '{ signatures } or { rejectReason }', msg.result)
    const signatures = msg.result.signatures
    if (signatures.length !== req.payloads.length) {
      throw new ZrError('INVALID_RESULT', 'Wrong number of signatures.', { details: `expected ${req.payloads.length} signatures (one per payload), got ${signatures.length}` })
    }
    // A signature byte-identical to one already on this request was verified when that response was stored
    // (responses carry only verified signatures): the answer is the same, so the curve work is not repeated.
    const verified = req.responses.flatMap((r) => (r.signatures ? [r.signatures] : []))
    signatures.forEach((sig, i) => {
      if (sig instanceof Uint8Array && verified.some((v) => v[i] !== undefined && equalBytes(v[i]!, sig))) return
      const problem = signatureProblem(req.keyType, req.publicKey, req.payloads[i]!, sig)
      if (problem) {
        const which = `key ${req.keyId}${req.path ? ` at path ${formatDerivationPath(req.path)}` : ''}${req.taproot ? ' (taproot output key)' : ''}`
        throw new ZrError('INVALID_RESULT', 'Signature does not verify.', { details: `signature ${i} for ${req.keyType} ${which}: ${problem}`, context: { requestId: req.id, index: i } })
      }
    })
    response = { ...response, signatures: [...signatures] }
  }
  const responses = [...req.responses, response]
  tx.emit('signRequest.response', { requestId: req.id, keyring: req.keyring, workspace: req.workspace, party: sender, rejected: rejectReason !== undefined })
  const t = tally(keyring, responses, sameSignatures)
  if (t.outcome === 'rejected') {
    rejectSignRequest(tx, req, t.reason, { responses })
    return { requestId: req.id, status: 'rejected' as const }
  }
  if (t.outcome === 'open') {
    tx.put('signRequests', req.id, { ...req, responses })
    return { requestId: req.id, status: 'pending' as const }
  }
  tx.put('signRequests', req.id, { ...req, signatures: response.signatures!, responses, status: 'fulfilled', decidedAt: tx.time })
  payRequestFee(tx, 'sign', req)
  tx.emit('signRequest.fulfilled', { requestId: req.id, keyring: req.keyring, workspace: req.workspace, keyId: req.keyId })
  return { requestId: req.id, status: 'fulfilled' as const }
}

/** Two signature responses agree when they posted byte-identical signatures. */
export const sameSignatures = (a: PartyResponse, b: PartyResponse): boolean =>
  !!a.signatures && !!b.signatures && a.signatures.length === b.signatures.length && a.signatures.every((s, i) => equalBytes(s, b.signatures![i]!))
