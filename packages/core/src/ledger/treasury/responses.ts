import { ZrError } from '../../errors/ZrError.js'
import { requireActiveKeyring } from '../identity/keyrings.js'
import type { StateTx } from '../state.js'
import { partyResponseDigest, verifyAccountSignature } from '../tx.js'
import type { Keyring, PartyResponse } from '../types.js'
import { checkBytes, checkInt, checkString, invalid } from '../validate.js'

type OpenRequest = { id: number; keyring: string; status: string; responses: readonly PartyResponse[] }

/**
 * The checks every party response passes, for key and signature requests alike: the request is open,
 * the keyring active, the sender one of its parties that has not answered yet, the result well formed,
 * and the party's signature over (chain, request kind, request id, result) valid.
 * Returns the keyring and the response to record.
 */
export function acceptPartyResponse(
  tx: StateTx,
  sender: string,
  kind: 'key' | 'sign',
  req: OpenRequest,
  msg: { result: unknown; partySignature: unknown },
): { keyring: Keyring; response: PartyResponse; rejectReason?: string } {
  if (req.status !== 'pending') {
    throw new ZrError('REQUEST_NOT_PENDING', 'Request is not pending.', { details: `${kind} request ${req.id} is ${req.status}`, meta: { requestId: req.id, status: req.status } })
  }
  const keyring = requireActiveKeyring(tx, req.keyring)
  if (!keyring.parties.includes(sender)) {
    throw new ZrError('NOT_KEYRING_PARTY', 'Only keyring parties may respond.', { details: `${sender} is not a party of ${keyring.address}`, meta: { keyring: keyring.address, sender } })
  }
  if (req.responses.some((r) => r.party === sender)) {
    throw new ZrError('DUPLICATE_RESPONSE', 'Party already responded.', { details: `${sender} already responded to ${kind} request ${req.id}`, meta: { requestId: req.id, party: sender } })
  }
  const result = msg.result
  if (!result || typeof result !== 'object') throw invalid('result', 'an object', result)
  const rejectReason = 'rejectReason' in result ? checkString((result as { rejectReason: unknown }).rejectReason, 'rejectReason', { min: 1, max: 512 }) : undefined
  const signature = checkBytes(msg.partySignature, 'partySignature', 64)
  const account = tx.get('accounts', sender)
  const digest = partyResponseDigest({ chainId: tx.chainId, kind, requestId: req.id, result })
  if (!account?.publicKey || !verifyAccountSignature(signature, digest, account.publicKey)) {
    throw new ZrError('INVALID_PARTY_SIGNATURE', 'Party signature does not verify.', {
      details: `expected ${sender}'s signature over ${kind} request ${req.id} and its result`,
      meta: { requestId: req.id, party: sender },
    })
  }
  const response: PartyResponse = { party: sender, signature, at: tx.time, ...(rejectReason ? { rejectReason } : {}) }
  return { keyring, response, ...(rejectReason ? { rejectReason } : {}) }
}

/** Checks a request id field. */
export function checkRequestId(v: unknown): number {
  return checkInt(v, 'requestId', { min: 1 })
}

/** The deadline of a request phase, from an optional ttl. */
export function deadline(tx: StateTx, ttlMs: number | undefined): number {
  return tx.time + (ttlMs ?? tx.params.defaultRequestTtlMs)
}

export function checkTtl(tx: StateTx, v: unknown): number | undefined {
  return v === undefined ? undefined : checkInt(v, 'ttlMs', { min: tx.params.minTtlMs, max: tx.params.maxTtlMs })
}
