// Echo broadcast: after a broadcast round every participant echoes a digest of what it received; on a mismatch
// the participants exchange reports (with the senders' signatures when the transport gives them) and the party
// at fault is named.
import { sha256 } from '@noble/hashes/sha2.js'
import { ZrError, toHex } from '@zrkit/core'
import { canonicalBytes, canonicalParse, equalBytes } from '@zrkit/core/internal'
import type { ConfirmOptions } from './SessionRouter.js'
import type { BroadcastProof } from './secureTransport.js'
import { encodeSessionFrame } from './sessionFrame.js'
import type { PartyId } from './Transport.js'

/** Rounds the router uses itself; protocol rounds must not start with `$`. */
const echoRound = (round: string) => `$echo:${round}`
const blameRound = (round: string) => `$blame:${round}`

/** A message a session received (or keeps) for a round. */
export type StoredMessage = { readonly body: Uint8Array; readonly broadcast: boolean; readonly proof?: BroadcastProof | undefined }

/** One entry of a blame report: the hash of the message a participant broadcast, with its signature when the transport gives one. */
type Claim = { readonly party: PartyId; readonly hash: Uint8Array; readonly proof?: { readonly body: Uint8Array; readonly seq: number; readonly signature: Uint8Array } | undefined }

/** What the echo broadcast uses of a session: its participants, what it received and sent, and its waits and failures. */
export type EchoSession = {
  readonly id: string
  readonly self: PartyId
  /** Sorted, includes `self`. */
  readonly participants: readonly PartyId[]
  readonly others: readonly PartyId[]
  /** The messages received in a round, by sender. */
  received(round: string): ReadonlyMap<PartyId, StoredMessage> | undefined
  /** What this party broadcast in a round, if it did. */
  sent(round: string): Uint8Array | undefined
  /** Broadcasts to the other participants (once per round). */
  broadcast(round: string, body: Uint8Array): Promise<void>
  /** Waits until each of `from` has a message in `round`; with `partial`, a timeout returns what arrived. */
  wait(round: string, from: readonly PartyId[], options: ConfirmOptions, partial: boolean): Promise<{ got: Map<PartyId, StoredMessage>; missing: PartyId[] }>
  /** Fails the session with `error` (later calls reject with it). */
  fail(error: ZrError): void
  /** An `MPC_ABORT` naming `party`. */
  abort(party: PartyId, round: string, shortMessage: string, details: string): ZrError
  /** A `TIMEOUT` naming the parties not heard from. */
  timeout(round: string, what: string, missing: readonly PartyId[], options: ConfirmOptions): ZrError
  /** Checks a sender's broadcast signature, when the transport signs broadcasts (as `secureTransport` does). */
  readonly verifyBroadcast?: ((from: PartyId, payload: Uint8Array, proof: BroadcastProof) => boolean) | undefined
}

/** The digest a participant echoes: every participant's broadcast hash, in participant order. */
const echoDigest = (hashes: readonly (readonly [PartyId, Uint8Array])[]) => sha256(canonicalBytes(hashes.map(([p, h]) => [p, h])))

/** Finds the party at fault from the blame reports, or undefined when they do not show one. */
function judge(session: EchoSession, round: string, reports: Map<PartyId, Claim[] | undefined>, echoes: Map<PartyId, Uint8Array>): ZrError | undefined {
  const { id, self, participants, abort } = session
  const verify = session.verifyBroadcast
  const byReporter = new Map<PartyId, Map<PartyId, Claim>>()
  // 1. Reports that are malformed or disagree with their author's echo blame the author.
  for (const [reporter, claims] of [...reports].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const table = new Map<PartyId, Claim>()
    const wellFormed =
      claims !== undefined &&
      claims.length === participants.length &&
      claims.every((c, i) => c.party === participants[i] && c.hash instanceof Uint8Array && c.hash.length === 32)
    if (!wellFormed) return abort(reporter, round, 'A participant sent a malformed broadcast report.', `report of ${reporter} for round ${round}`)
    for (const c of claims) table.set(c.party, c)
    const echo = echoes.get(reporter)
    if (reporter !== self && (echo === undefined || !equalBytes(echo, echoDigest(claims.map((c) => [c.party, c.hash] as const))))) {
      return abort(reporter, round, 'A participant reported other broadcasts than it echoed.', `echo of ${reporter} for round ${round} does not match its report`)
    }
    byReporter.set(reporter, table)
  }
  // 2. With signed broadcasts, an accusation must come with the sender's signature.
  if (verify) {
    for (const [reporter, table] of byReporter) {
      if (reporter === self) continue
      for (const [sender, claim] of table) {
        if (sender === reporter) continue
        const proof = claim.proof
        const payload = proof && encodeSessionFrame({ session: id, round, body: proof.body, broadcast: true })
        const proven =
          proof !== undefined &&
          payload !== undefined &&
          equalBytes(sha256(proof.body), claim.hash) &&
          verify(sender, payload, { seq: proof.seq, signature: proof.signature })
        if (!proven) {
          return abort(reporter, round, 'A participant reported a broadcast it cannot prove.', `${reporter} claims a message from ${sender} without a valid signature`)
        }
      }
    }
  }
  // 3. A sender whose message differs between receivers (or from its own report) is at fault.
  for (const sender of participants) {
    const seen = new Set<string>()
    for (const [reporter, table] of byReporter) if (reporter !== sender) seen.add(toHex(table.get(sender)!.hash))
    if (seen.size > 1) {
      return abort(sender, round, 'A party broadcast different messages to different parties.', `${sender} equivocated in round ${round} of session ${id}`)
    }
    const own = byReporter.get(sender)?.get(sender)
    if (own && seen.size === 1 && !seen.has(toHex(own.hash))) {
      return abort(sender, round, 'A party broadcast a message other than it reports.', `${sender} in round ${round} of session ${id}`)
    }
  }
  return undefined
}

/** The claims of a blame report, or undefined when the bytes are not a well-formed report. */
function parseClaims(body: Uint8Array): Claim[] | undefined {
  try {
    const value = canonicalParse<{ claims?: unknown }>(new TextDecoder('utf-8', { fatal: true }).decode(body))
    if (!value || !Array.isArray(value.claims)) return undefined
    const claims: Claim[] = []
    for (const c of value.claims as Record<string, unknown>[]) {
      if (!c || typeof c.party !== 'string' || !(c.hash instanceof Uint8Array)) return undefined
      const proof = c.proof as Record<string, unknown> | undefined
      if (proof !== undefined && (!(proof.body instanceof Uint8Array) || !Number.isSafeInteger(proof.seq) || !(proof.signature instanceof Uint8Array))) return undefined
      claims.push({
        party: c.party,
        hash: c.hash,
        proof: proof && { body: proof.body as Uint8Array, seq: proof.seq as number, signature: proof.signature as Uint8Array },
      })
    }
    return claims
  } catch {
    return undefined
  }
}

/**
 * Checks that every participant received the same broadcasts for `round` (see `Session.confirmBroadcasts`):
 * echoes a digest of `received`, and on a mismatch exchanges blame reports and names the party at fault.
 */
export async function confirmBroadcasts(session: EchoSession, round: string, received: ReadonlyMap<PartyId, Uint8Array>, opts: ConfirmOptions): Promise<void> {
  const { id, self, participants, others, abort, fail, wait, timeout, broadcast: doBroadcast } = session
  if (!(received instanceof Map) || received.size !== participants.length || participants.some((p) => !(received.get(p) instanceof Uint8Array))) {
    throw new ZrError('INVALID_INPUT', 'Invalid broadcasts to confirm.', { details: 'expected one message per participant, this party included', context: { session: id, round } })
  }
  const stored = session.received(round)
  for (const p of others) {
    const m = stored?.get(p)
    if (!m || !equalBytes(m.body, received.get(p)!)) {
      throw new ZrError('INVALID_INPUT', 'Invalid broadcasts to confirm.', { details: `the message given for ${p} is not the one received in round ${round}`, context: { session: id, round, party: p } })
    }
    if (!m.broadcast) {
      const error = abort(p, round, 'A party sent a round message directly instead of broadcasting it.', `${p} in round ${round} of session ${id}`)
      fail(error)
      throw error
    }
  }
  const ownSent = session.sent(round)
  if (ownSent && !equalBytes(ownSent, received.get(self)!)) {
    throw new ZrError('INVALID_INPUT', 'Invalid broadcasts to confirm.', { details: `the message given for this party is not the one it broadcast in round ${round}`, context: { session: id, round, party: self } })
  }

  const hashes = participants.map((p) => [p, sha256(received.get(p)!)] as const)
  const digest = echoDigest(hashes)
  await doBroadcast(echoRound(round), digest)
  const { got: echoMessages, missing: silent } = await wait(echoRound(round), others, opts, true)
  const echoes = new Map([...echoMessages].map(([p, m]) => [p, m.body] as const))
  const differ = [...echoes].some(([, echo]) => !equalBytes(echo, digest))
  if (!differ) {
    if (silent.length === 0) return
    throw timeout(round, 'echoes', silent, opts)
  }

  // Someone saw other broadcasts: those who echoed exchange what each received, with the
  // senders' signatures, so that the party at fault can be named even if some stay silent.
  const claims = hashes.map(([party, hash]) => {
    const m = party === self ? undefined : stored!.get(party)!
    return { party, hash, proof: m?.proof && { body: m.body, seq: m.proof.seq, signature: m.proof.signature } }
  })
  await doBroadcast(blameRound(round), canonicalBytes({ claims }))
  const { got: blameMessages, missing } = await wait(blameRound(round), [...echoes.keys()], opts, true)
  const reports = new Map<PartyId, Claim[] | undefined>([[self, claims]])
  for (const [p, m] of blameMessages) reports.set(p, parseClaims(m.body))
  const verdict = judge(session, round, reports, echoes)
  if (verdict) {
    fail(verdict)
    throw verdict
  }
  if (silent.length + missing.length > 0) throw timeout(round, 'broadcast reports', [...silent, ...missing].sort(), opts)
  // Every report checks out, so a differing echo cannot be explained; name its author.
  const culprit = others.find((p) => !equalBytes(echoes.get(p)!, digest))!
  const error = abort(culprit, round, 'A participant echoed broadcasts that do not match.', `echo of ${culprit} for round ${round}`)
  fail(error)
  throw error
}
