import { ZrError } from '@zrkit/core'
import type { Session } from '../transport/SessionRouter.js'
import { decodeMessage, encodeMessage, isBytes, isRecord, misbehaved } from './messages.js'
import type { FrostKey, FrostSuite } from './suites.js'

/** Options of {@link runDkg}. */
export type RunDkgOptions = {
  /** A session among all the parties that will hold shares (every one of them must take part). */
  session: Session
  /**
   * Every party of the keyring, when only some of them generate the key: identifiers are positions in
   * this list, so they are the same as in signing (default: the session's participants).
   */
  parties?: readonly string[]
  suite: FrostSuite
  /** Shares needed to sign (t). */
  threshold: number
  timeoutMs?: number
  signal?: AbortSignal
}

type Round1 = { identifier: string; commitment: Uint8Array[]; proofOfKnowledge: Uint8Array }
type Round2 = { identifier: string; signingShare: Uint8Array }

const isRound1 = (v: unknown): v is Round1 =>
  isRecord(v) && typeof v.identifier === 'string' && Array.isArray(v.commitment) && v.commitment.every(isBytes) && isBytes(v.proofOfKnowledge)
const isRound2 = (v: unknown): v is Round2 => isRecord(v) && typeof v.identifier === 'string' && isBytes(v.signingShare)

/** The FROST identifier of each party: its 1-based position among the sorted participants. */
export function identifiers(suite: FrostSuite, participants: readonly string[]): Map<string, string> {
  return new Map([...participants].sort().map((p, i) => [p, suite.dkg.Identifier.fromNumber(i + 1)]))
}

/**
 * Dealerless key generation (FROST DKG, Pedersen VSS with proofs of knowledge) among every party of the
 * session (at least `threshold` of the keyring's `parties`); no party ever holds the whole key.
 *
 * 1. Each party broadcasts its commitments and proof of knowledge; all parties confirm they received
 *    the same broadcasts (an equivocating party is named).
 * 2. Each proof is checked (a bad one names its party); each party sends every other its share.
 * 3. Each received share is checked against its sender's commitments (a bad share names its sender);
 *    the key package is assembled.
 */
export async function runDkg(options: RunDkgOptions): Promise<FrostKey> {
  const { session, suite, threshold, timeoutMs, signal } = options
  const F = suite.dkg
  const parties = [...session.participants].sort()
  const all = options.parties ? [...options.parties].sort() : parties
  const outsider = parties.find((p) => !all.includes(p))
  if (outsider !== undefined) throw new ZrError('INVALID_INPUT', 'A participant of the key generation is not a party.', { details: `${outsider} is not in ${all.join(', ')}` })
  if (!Number.isInteger(threshold) || threshold < 2 || threshold > parties.length) {
    throw new ZrError('INVALID_INPUT', 'Invalid threshold for key generation.', { details: `expected an integer in [2, ${parties.length}] (the participants), got ${String(threshold)}` })
  }
  const ids = identifiers(suite, all)
  const me = ids.get(session.self)!
  // noble's DKG counts the participants (max); identifiers may be any non-zero scalars.
  const signers = { min: threshold, max: parties.length }
  const wait = { ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...(signal ? { signal } : {}) }

  const mine = F.DKG.round1(me, signers)
  try {
    await session.broadcast('dkg/1', encodeMessage(mine.public))
    const raw1 = await session.collect('dkg/1', wait)
    const round1 = new Map<string, Round1>()
    for (const [party, bytes] of raw1) {
      const pkg = decodeMessage(bytes, party, 'DKG commitment', isRound1)
      if (pkg.identifier !== ids.get(party)) throw misbehaved(party, `used identifier ${pkg.identifier} instead of its own`)
      if (pkg.commitment.length !== threshold) throw misbehaved(party, `sent ${pkg.commitment.length} commitments instead of ${threshold}`)
      round1.set(party, pkg)
    }
    await session.confirmBroadcasts('dkg/1', new Map([...raw1, [session.self, encodeMessage(mine.public)]]), wait)

    const others = parties.filter((p) => p !== session.self)
    const othersRound1 = others.map((p) => round1.get(p)!)
    let outgoing: Record<string, Round2>
    try {
      outgoing = F.DKG.round2(mine.secret, othersRound1 as never) as Record<string, Round2>
    } catch {
      throw misbehaved(blameProof(suite, signers, me, others, round1, ids), 'sent an invalid proof of knowledge')
    }
    await Promise.all(others.map((p) => session.send(p, 'dkg/2', encodeMessage(outgoing[ids.get(p)!]))))
    const raw2 = await session.collect('dkg/2', wait)
    const round2: Round2[] = []
    for (const p of others) {
      const pkg = decodeMessage(raw2.get(p)!, p, 'DKG share', isRound2)
      if (pkg.identifier !== ids.get(p)) throw misbehaved(p, `sent a share under identifier ${pkg.identifier}`)
      try {
        F.validateSecret({ identifier: me, signingShare: pkg.signingShare }, { signers, commitments: round1.get(p)!.commitment, verifyingShares: {} })
      } catch {
        throw misbehaved(p, 'sent a share that does not match its commitments')
      }
      round2.push(pkg)
    }
    const key = F.DKG.round3(mine.secret, othersRound1 as never, round2 as never) as unknown as FrostKey
    return key
  } finally {
    F.DKG.clean(mine.secret)
  }
}

/** Finds whose proof of knowledge fails: each package is checked alone, beside valid stand-ins. */
function blameProof(suite: FrostSuite, signers: { min: number; max: number }, me: string, others: string[], round1: Map<string, Round1>, ids: Map<string, string>): string {
  const F = suite.dkg
  for (const suspect of others) {
    const probe = F.DKG.round1(me, signers)
    const packages = others.map((p) => (p === suspect ? round1.get(p)! : F.DKG.round1(ids.get(p)!, signers).public))
    try {
      F.DKG.round2(probe.secret, packages as never)
    } catch {
      return suspect
    } finally {
      F.DKG.clean(probe.secret)
    }
  }
  return others[0]!
}
