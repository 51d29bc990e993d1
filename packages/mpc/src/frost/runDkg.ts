import { type Accusation, ZrError, isZrError } from '@zrkit/core'
import type { Session } from '../transport/SessionRouter.js'
import { givingUpSession } from '../transport/giveUp.js'
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
  /**
   * Called for each party this party caught sending a bad or no share that the party then answered
   * with a valid one in public (the key is still made; an operator should know). A party that does
   * not answer a complaint with a valid share ends the run instead (`MPC_ABORT` naming it).
   */
  onAccusation?: (accusation: Accusation) => void
}

type Round1 = { identifier: string; commitment: Uint8Array[]; proofOfKnowledge: Uint8Array }
type Round2 = { identifier: string; signingShare: Uint8Array }

/** The checks of each round's message (internal; exported for the decoder fuzz test). */
export const isRound1 = (v: unknown): v is Round1 =>
  isRecord(v) && typeof v.identifier === 'string' && Array.isArray(v.commitment) && v.commitment.every(isBytes) && isBytes(v.proofOfKnowledge)
export const isRound2 = (v: unknown): v is Round2 => isRecord(v) && typeof v.identifier === 'string' && isBytes(v.signingShare)
type Complaints = { against: string[] }
export const isComplaints = (v: unknown): v is Complaints => isRecord(v) && Array.isArray(v.against) && v.against.every((a) => typeof a === 'string')
type Reveal = { shares: { to: string; signingShare: Uint8Array }[] }
export const isReveal = (v: unknown): v is Reveal => isRecord(v) && Array.isArray(v.shares) && v.shares.every((x) => isRecord(x) && typeof x.to === 'string' && isBytes(x.signingShare))

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
 * 3. Each received share is checked against its sender's commitments. Every party then broadcasts
 *    whom it complains about (a bad share, or none in time), echo-checked so all see the same complaints.
 * 4. Each accused party answers by broadcasting the shares it sent to its accusers; everyone checks them
 *    against its commitments. A valid answer settles the complaint (the accuser uses that share, and
 *    reports the sender through `onAccusation`); a missing or invalid one makes every honest party abort
 *    naming the accused, so all of them leave out the same party and an honest party is never blamed.
 *    The key package is assembled from the shares.
 */
export async function runDkg(options: RunDkgOptions): Promise<FrostKey> {
  const { suite, threshold, timeoutMs, signal } = options
  // A party that fails tells the others at once, so that none waits out its timeout for this one.
  const { session, giveUp } = givingUpSession(options.session)
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
    const shareFrom = new Map<string, Uint8Array>()
    const complaints: string[] = []
    const problems = new Map<string, string>()
    const valid = (party: string, to: string, share: unknown) => {
      if (!isBytes(share)) return false
      try {
        F.validateSecret({ identifier: ids.get(to)!, signingShare: share }, { signers, commitments: round1.get(party)!.commitment, verifyingShares: {} })
        return true
      } catch {
        return false
      }
    }
    await Promise.all(
      others.map(async (p) => {
        let problem: string
        try {
          const pkg = decodeMessage((await session.collect('dkg/2', { ...wait, from: [p] })).get(p)!, p, 'DKG share', isRound2)
          if (pkg.identifier !== ids.get(p)) problem = `sent a share under identifier ${pkg.identifier}`
          else if (!valid(p, session.self, pkg.signingShare)) problem = 'sent a share that does not match its commitments'
          else return void shareFrom.set(p, pkg.signingShare)
        } catch (e) {
          if (isZrError(e, 'ABORTED')) throw e
          problem = isZrError(e, 'TIMEOUT') ? 'sent no share in time' : 'sent a malformed DKG share'
        }
        complaints.push(p)
        problems.set(p, problem)
      }),
    )

    // Round 3: complaints, seen alike by everyone.
    const myComplaints = encodeMessage({ against: complaints.sort() } satisfies Complaints)
    await session.broadcast('dkg/3', myComplaints)
    const raw3 = await session.collect('dkg/3', wait)
    const accusers = new Map<string, string[]>()
    for (const [party, bytes] of [...raw3, [session.self, myComplaints] as const]) {
      const { against } = decodeMessage(bytes, party, 'list of DKG complaints', isComplaints)
      if (new Set(against).size !== against.length || against.some((a) => a === party || !parties.includes(a))) throw misbehaved(party, 'sent an invalid list of DKG complaints')
      for (const a of against) accusers.set(a, [...(accusers.get(a) ?? []), party])
    }
    await session.confirmBroadcasts('dkg/3', new Map([...raw3, [session.self, myComplaints]]), wait)

    if (accusers.size > 0) {
      // Round 4: the accused answer in public with the shares they sent (every party broadcasts, the
      // others an empty answer, so all can confirm they saw the same); a missing or bad answer is proof.
      const mine4 = encodeMessage({ shares: (accusers.get(session.self) ?? []).map((to) => ({ to, signingShare: outgoing[ids.get(to)!]!.signingShare })) } satisfies Reveal)
      await session.broadcast('dkg/4', mine4)
      const raw4 = new Map<string, Uint8Array>([[session.self, mine4]])
      const guilty: string[] = []
      const silent: string[] = []
      await Promise.all(
        others.map(async (a) => {
          try {
            const bytes = (await session.collect('dkg/4', { ...wait, from: [a] })).get(a)!
            raw4.set(a, bytes)
            const { shares } = decodeMessage(bytes, a, 'answer to DKG complaints', isReveal)
            if (!accusers.has(a)) return
            const answered = new Map(shares.map((x) => [x.to, x.signingShare]))
            if (shares.length !== answered.size || accusers.get(a)!.some((to) => !valid(a, to, answered.get(to)))) return void guilty.push(a)
            const mineBack = answered.get(session.self)
            if (mineBack) shareFrom.set(a, mineBack)
          } catch (e) {
            if (isZrError(e, 'ABORTED')) throw e
            if (accusers.has(a)) guilty.push(a)
            else silent.push(a)
          }
        }),
      )
      if (silent.length) throw new ZrError('TIMEOUT', 'Parties went silent during DKG complaints.', { details: `no round-4 message from ${silent.join(', ')}`, context: { missing: silent } })
      // Everyone must have seen the same answers, so all honest parties reach the same verdict.
      await session.confirmBroadcasts('dkg/4', raw4, wait)
      if (guilty.length) throw misbehaved(guilty.sort()[0]!, 'did not answer a complaint about its DKG share with a valid share')
      // A share this party saw to be bad is worth an operator's attention; a late one may just be a slow link.
      for (const p of complaints) if (!problems.get(p)!.includes('in time')) options.onAccusation?.({ party: p, reason: problems.get(p)! })
    }
    const round2: Round2[] = others.map((p) => ({ identifier: ids.get(p)!, signingShare: shareFrom.get(p)! }))
    const key = F.DKG.round3(mine.secret, othersRound1 as never, round2 as never) as unknown as FrostKey
    return key
  } catch (e) {
    if (!isZrError(e, 'ABORTED')) giveUp()
    throw e
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
