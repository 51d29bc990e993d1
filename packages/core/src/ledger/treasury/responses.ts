import { ZrError } from '../../errors/ZrError.js'
import { requireActiveKeyring } from '../identity/keyrings.js'
import type { StateTx } from '../state.js'
import { verifySecp256k1Sha256 } from '../../crypto/nativeCrypto.js'
import { partyResponseBytes } from '../tx.js'
import type { Accusation, Keyring, PartyResponse } from '../types.js'
import { checkBytes, checkInt, checkString, invalid } from '../validate.js'

type OpenRequest = { id: number; keyring: string; workspace: string; status: string; responses: readonly PartyResponse[] }

/** Longest reject reason a party may post (characters). */
export const MAX_PARTY_REJECT_REASON = 2048
/** Longest accusation reason (characters). */
const MAX_ACCUSATION_REASON = 256

/**
 * The checks every party response passes, for key and signature requests alike: the request is open,
 * the keyring active, the sender one of its parties that has not answered yet, the result well formed
 * (a reject reason, accusations naming other parties of the keyring), and the party's signature over
 * (chain, request kind, request id, result) valid. Emits a `party.accused` event per accusation.
 * Returns the keyring and the response to record (the caller adds the posted public key or signatures).
 */
export function acceptPartyResponse(
  tx: StateTx,
  sender: string,
  kind: 'key' | 'sign',
  req: OpenRequest,
  msg: { result: unknown; partySignature: unknown },
): { keyring: Keyring; response: PartyResponse; rejectReason?: string } {
  if (req.status !== 'pending') {
    throw new ZrError('REQUEST_NOT_PENDING', 'Request is not pending.', { details: `${kind} request ${req.id} is ${req.status}`, context: { requestId: req.id, status: req.status } })
  }
  const keyring = requireActiveKeyring(tx, req.keyring)
  if (!keyring.parties.includes(sender)) {
    throw new ZrError('NOT_KEYRING_PARTY', 'Only keyring parties may respond.', { details: `${sender} is not a party of ${keyring.address}`, context: { keyring: keyring.address, sender } })
  }
  if (req.responses.some((r) => r.party === sender)) {
    throw new ZrError('DUPLICATE_RESPONSE', 'Party already responded.', { details: `${sender} already responded to ${kind} request ${req.id}`, context: { requestId: req.id, party: sender } })
  }
  const result = msg.result
  if (!result || typeof result !== 'object' || Array.isArray(result)) throw invalid('result', 'an object', result)
  const rejectReason = 'rejectReason' in result ? checkString((result as { rejectReason: unknown }).rejectReason, 'rejectReason', { min: 1, max: MAX_PARTY_REJECT_REASON }) : undefined
  const accusations = checkAccusations((result as { accusations?: unknown }).accusations, keyring, sender)
  const signature = checkBytes(msg.partySignature, 'partySignature', 64)
  const account = tx.get('accounts', sender)
  const signed = partyResponseBytes({ chainId: tx.chainId, kind, requestId: req.id, result })
  if (!account?.publicKey || !verifySecp256k1Sha256(signature, signed, account.publicKey)) {
    throw new ZrError('INVALID_PARTY_SIGNATURE', 'Party signature does not verify.', {
      details: `expected ${sender}'s signature over ${kind} request ${req.id} and its result`,
      context: { requestId: req.id, party: sender },
    })
  }
  for (const a of accusations ?? []) {
    tx.emit('party.accused', { requestKind: kind, requestId: req.id, keyring: keyring.address, workspace: req.workspace, by: sender, party: a.party, reason: a.reason })
  }
  const response: PartyResponse = { party: sender, signature, at: tx.time, ...(rejectReason ? { rejectReason } : {}), ...(accusations ? { accusations } : {}) }
  return { keyring, response, ...(rejectReason ? { rejectReason } : {}) }
}

function checkAccusations(v: unknown, keyring: Keyring, sender: string): Accusation[] | undefined {
  if (v === undefined) return undefined
  if (!Array.isArray(v) || v.length > keyring.parties.length) throw invalid('accusations', `an array of at most ${keyring.parties.length} { party, reason } entries`, v)
  const seen = new Set<string>()
  return v.map((a: unknown, i) => {
    if (!a || typeof a !== 'object' || Array.isArray(a)) throw invalid(`accusations[${i}]`, 'a { party, reason } object', a)
    const { party, reason } = a as { party: unknown; reason: unknown }
    if (typeof party !== 'string' || !keyring.parties.includes(party) || party === sender || seen.has(party)) {
      throw invalid(`accusations[${i}].party`, `another party of keyring ${keyring.address}, named once`, party)
    }
    seen.add(party)
    return { party, reason: checkString(reason, `accusations[${i}].reason`, { min: 1, max: MAX_ACCUSATION_REASON }) }
  })
}

/** Where a request's responses stand against its keyring's threshold after the latest one. */
export type Tally = { outcome: 'fulfilled' } | { outcome: 'open' } | { outcome: 'rejected'; reason: string }

/**
 * The ledger's rule for party responses, key and signature requests alike. Each party posts one
 * response: a result (which must verify, or the message is refused) or a rejection. Results that are
 * byte-identical agree; the request is fulfilled by the first result that `partyThreshold` parties
 * posted. A party whose valid result differs from others', or that rejects, does not end the request
 * by itself: a cheating minority cannot veto what the honest parties agree on. The request is rejected
 * only once no result can reach the threshold any more (the largest group of agreeing results plus the
 * parties yet to answer is below it), with a reason that lists the accusations, the rejections and how
 * the results split; or at its time-to-live ({@link responsesSummary} says what had arrived).
 *
 * `same(a, b)` tells whether two results agree; `latest` is the response just added (last in `responses`).
 */
export function tally(keyring: Keyring, responses: readonly PartyResponse[], same: (a: PartyResponse, b: PartyResponse) => boolean): Tally {
  const latest = responses[responses.length - 1]!
  const results = responses.filter((r) => r.rejectReason === undefined)
  if (latest.rejectReason === undefined && results.filter((r) => same(r, latest)).length >= keyring.partyThreshold) return { outcome: 'fulfilled' }
  const best = Math.max(0, ...results.map((r) => results.filter((x) => same(x, r)).length))
  const unanswered = keyring.parties.filter((p) => !responses.some((r) => r.party === p)).length
  if (best + unanswered >= keyring.partyThreshold) return { outcome: 'open' }
  return { outcome: 'rejected', reason: responsesSummary(`the keyring can no longer reach its threshold of ${keyring.partyThreshold} matching results: `, responses, same) }
}

/** Longest reason stored on a rejected request (characters). */
const MAX_REQUEST_REJECT_REASON = 4096

/**
 * A reject reason: `prefix`, then what the parties posted: accusations first (so they are never cut
 * off), how the results split, then each rejection with its reason. At most 4096 characters.
 */
export function responsesSummary(prefix: string, responses: readonly PartyResponse[], same: (a: PartyResponse, b: PartyResponse) => boolean): string {
  const parts: string[] = []
  const accused = new Map<string, string[]>()
  for (const r of responses) for (const a of r.accusations ?? []) accused.set(a.party, [...(accused.get(a.party) ?? []), r.party])
  for (const [party, by] of accused) parts.push(`party ${party} accused of cheating by ${by.join(', ')}`)
  const results = responses.filter((r) => r.rejectReason === undefined)
  const groups: PartyResponse[][] = []
  for (const r of results) {
    const g = groups.find((x) => same(x[0]!, r))
    if (g) g.push(r)
    else groups.push([r])
  }
  if (groups.length > 1) parts.push(`${groups.length} different results (${groups.map((g) => g.map((r) => r.party).join(' + ')).join(' / ')})`)
  else if (groups.length === 1) parts.push(`${groups[0]!.length} matching result${groups[0]!.length > 1 ? 's' : ''} (${groups[0]!.map((r) => r.party).join(', ')})`)
  for (const r of responses) if (r.rejectReason !== undefined) parts.push(`party ${r.party} rejected: ${r.rejectReason}`)
  const text = prefix + (parts.length ? parts.join('; ') : 'no party answered')
  return text.length > MAX_REQUEST_REJECT_REASON ? `${text.slice(0, MAX_REQUEST_REJECT_REASON - 3)}...` : text
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
