/**
 * The coordination every zrkit threshold-signing protocol shares (FROST and threshold ECDSA): each
 * attempt has a coordinator, rotating from a seed; the other parties send it their first message; it
 * picks itself and the first `threshold - 1` others to answer as the signing set and signs what it
 * chose with its account key, so nobody can claim it chose something else.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { type Accusation, ZrError, isZrError, sleep } from '@zrkit/core'
import { canonicalBytes, verifySecp256k1Sha256 } from '@zrkit/core/internal'
import type { Session, SessionRouter } from '../transport/SessionRouter.js'
import { givingUpSession } from '../transport/giveUp.js'

/** The coordinator of attempt `attempt`: parties (sorted) rotate from `seed`. */
export function coordinatorOf(parties: readonly string[], seed: number, attempt: number): string {
  return parties[(seed + attempt) % parties.length] as string
}

/** What a coordinator signs: the protocol, the session (no replay into another run) and the package hash. */
export function packageDigest(domain: string, session: string, packageHash: Uint8Array): Uint8Array {
  return sha256(packageBytes(domain, session, packageHash))
}

/** The bytes whose sha256 is {@link packageDigest}. */
function packageBytes(domain: string, session: string, packageHash: Uint8Array): Uint8Array {
  return canonicalBytes({ domain, session, packageHash })
}

/** True when `signature` is `party`'s account signature over {@link packageDigest} (checked by this party). */
export function signedBy(identityKey: (party: string) => Uint8Array | undefined, domain: string, session: string, party: string, hash: Uint8Array, signature: Uint8Array): boolean {
  const key = identityKey(party)
  if (!key) return false
  return verifySecp256k1Sha256(signature, packageBytes(domain, session, hash), key)
}

/** How long a party outside the signing set holds the signers' work as a backup, by default (see {@link holdAsBackup}). */
export const defaultBackupDelayMs = 250

/**
 * The wait of a party the coordinator did not pick: the signers post the result, this party holds what it got
 * from them for `delayMs` (at most `attemptTimeoutMs`) and only then finishes and posts it itself, in case a
 * signer failed between its share and its post. `signal` ends the wait (the connector fires it when the signers'
 * results settle the request) with `ABORTED`, and the work after it is never spent.
 */
export async function holdAsBackup(delayMs: number | undefined, attemptTimeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
  await sleep(Math.min(delayMs ?? defaultBackupDelayMs, attemptTimeoutMs), signal).catch(() => {
    throw new ZrError('ABORTED', 'Signing was stopped.', { details: 'aborted while holding the signers’ work as a backup' })
  })
}

/**
 * Sends a round's message to every other participant over the authenticated channels (direct
 * messages, no echo round: used where each message is checked on its own or signed by its author).
 */
export async function sendToAll(session: Session, round: string, body: Uint8Array, to?: readonly string[]): Promise<void> {
  const targets = (to ?? session.participants).filter((p) => p !== session.self)
  await Promise.all(targets.map((p) => session.send(p, round, body)))
}

/**
 * The coordinator's first round: its own entry plus the first others to answer `round` with an entry
 * `accept` takes (it throws for a bad one: that party is simply not chosen), up to `threshold`
 * entries, sorted by party. Rejects with `TIMEOUT` (`context.missing`) when too few answer in time.
 */
export async function gatherSigners<T>(
  session: Session,
  round: string,
  options: {
    parties: readonly string[]
    mine: T
    threshold: number
    excluded: ReadonlySet<string>
    accept: (party: string, body: Uint8Array) => T
    wait: { timeoutMs: number; signal?: AbortSignal }
  },
): Promise<[string, T][]> {
  const { parties, threshold, excluded, accept, wait } = options
  const chosen: [string, T][] = [[session.self, options.mine]]
  const candidates = parties.filter((p) => p !== session.self && !excluded.has(p))
  const tooFew = () => new ZrError('TIMEOUT', 'Too few parties answered.', { context: { missing: candidates.filter((c) => !chosen.some(([x]) => x === c)) } })
  await new Promise<void>((resolve, reject) => {
    if (chosen.length >= threshold) return resolve()
    if (candidates.length === 0) return reject(tooFew())
    let pending = candidates.length
    const settle = () => {
      if (chosen.length >= threshold) resolve()
      else if (--pending === 0) reject(tooFew())
    }
    for (const p of candidates) {
      session.collect(round, { ...wait, from: [p] }).then(
        (m) => {
          if (chosen.length >= threshold) return
          try {
            chosen.push([p, accept(p, m.get(p) as Uint8Array)])
          } catch {
            // a party with a bad entry is not chosen
          }
          settle()
        },
        settle,
      )
    }
  })
  return chosen.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}

/**
 * Until when a signing or a key generation waits for enough parties to be connected to the relay
 * (`waitForSignersUntil`, `waitForPartiesUntil`): the request's expiry (ledger time, read against this machine's
 * clock) less two attempts' time, left for the attempts and this party's answer to reach the ledger before the
 * request expires. `undefined` (no wait) when the expiry is not known.
 */
export function signersDeadline(expiresAt: number | undefined, attemptTimeoutMs: number): number | undefined {
  return typeof expiresAt === 'number' && Number.isFinite(expiresAt) ? expiresAt - 2 * attemptTimeoutMs : undefined
}

/** What one attempt of {@link runAttempts} gets. */
export type Attempt = {
  /** The attempt's own session among all the parties: `${sessionId}/${index}`. */
  readonly session: Session
  readonly index: number
  readonly coordinator: string
  /** Parties named as cheaters by earlier attempts: not to be chosen as signers. */
  readonly excluded: ReadonlySet<string>
  /** Resolves with the first of `parties` to say it gave up on this attempt (stays pending if none does). */
  readonly givenUp: (parties: readonly string[]) => Promise<string>
  /**
   * Tells `party` at once that this party will not take part in its work in this attempt (e.g. a coordinator
   * this party caught cheating): its waits for this party end now instead of at their timeout.
   */
  readonly decline: (party: string) => void
}

/**
 * The attempt loop of threshold signing: one attempt per coordinator in turn (rotating from `seed`,
 * skipping excluded parties), each in its own session, until one succeeds. An attempt that fails with
 * `MPC_ABORT` naming a party (`context.party`) excludes that party from the remaining attempts (and calls
 * `onExcluded`); any other failure (a timeout: someone is down) just moves on. `ABORTED` (the signal)
 * ends the loop at once. Each exclusion is returned as an accusation (the party and what it did), for
 * the party to post with its result. When no attempt succeeds: `MPC_ABORT` listing every attempt's
 * problem, with `context.excluded`, `context.accusations`, `context.attempts` and `context.missing` (the parties
 * that no attempt heard from: a party busy in another attempt when one waited for it is not missing).
 *
 * @example
 * ```ts
 * const { value, attempts } = await runAttempts({ router, sessionId, parties, seed: requestId }, async ({ session, coordinator }) => {
 *   // one run of the protocol in `session`, coordinated by `coordinator`
 * })
 * ```
 */
export async function runAttempts<T>(
  options: {
    router: { open(id: string, participants: readonly string[]): Session; whenConnected?: SessionRouter['whenConnected'] }
    sessionId: string
    /** Every party, sorted. */
    parties: readonly string[]
    seed: number
    signal?: AbortSignal | undefined
    onExcluded?: (party: string) => Promise<void> | void
    /**
     * Run the attempts of excluded coordinators too (default false: skip them). Signing sets this so
     * that every party goes through the same attempts in step: a party that caught a cheater alone
     * (only it saw the bad message) does not race ahead of the others; it only stops volunteering
     * for the cheater's attempts ({@link Attempt.excluded}), which then fail or succeed without it.
     */
    followExcludedCoordinators?: boolean
    /**
     * Parties an attempt needs (`size`, e.g. the threshold) and until when (ms since the epoch) to wait for them:
     * before each attempt, while fewer than `size` of the parties not excluded are connected to the relay (the
     * router's {@link SessionRouter.whenConnected}), the loop waits for more to come back instead of running
     * attempts that would end at once. Past `until`, attempts run as they are. And unless `oneRound`, when every
     * party had its attempt and none succeeded, attempts go on (coordinators rotating, paced) until `until` or the
     * signal: a co-party that already posted the result is endorsed by the connector, which then fires the signal.
     * Default: no wait, one attempt per party.
     */
    quorum?: { readonly size: number; readonly until: number; readonly oneRound?: boolean } | undefined
  },
  attempt: (a: Attempt) => Promise<T>,
): Promise<{ value: T; attempts: number; accusations: Accusation[] }> {
  const { parties, signal } = options
  const excluded = new Set<string>()
  const accusations: Accusation[] = []
  /** Parties some attempt waited for in vain, and parties any attempt heard from. */
  const waitedFor = new Set<string>()
  const heard = new Set<string>()
  const problems: string[] = []
  const throwIfStopped = () => {
    if (signal?.aborted) throw new ZrError('ABORTED', 'Signing was stopped.', { details: 'the AbortSignal fired' })
  }
  /** Set when the wait for `quorum` parties to be connected ran out. */
  let shortOfParties = false
  // one attempt per party; with a quorum deadline, attempts go on (coordinators rotating) until it passes, so parties
  // whose attempts drifted out of step (one gave up sooner than another) meet again in a later one
  const goOn = options.quorum !== undefined && !options.quorum.oneRound
  for (let index = 0; index < parties.length || (goOn && Date.now() < options.quorum!.until); index++) {
    throwIfStopped()
    // past the first round of attempts, a pause before each (growing to 1 s), so attempts that fail at once never spin
    if (index >= parties.length) {
      await sleep(Math.min(1_000, 100 * (index - parties.length + 1)), signal).catch(() => undefined)
      throwIfStopped()
    }
    const coordinator = coordinatorOf(parties, options.seed, index)
    if (excluded.has(coordinator) && !options.followExcludedCoordinators) continue
    if (options.quorum && options.router.whenConnected && !shortOfParties) {
      const enough = await options.router.whenConnected(parties.filter((p) => !excluded.has(p)), options.quorum.size, { until: options.quorum.until, ...(signal ? { signal } : {}) })
      throwIfStopped()
      // waited until `until` in vain: the rest of the attempts run without waiting
      if (!enough) shortOfParties = true
    }
    const { session, giveUp, givenUp } = givingUpSession(options.router.open(`${options.sessionId}/${index}`, parties), heard)
    try {
      return { value: await attempt({ session, index, coordinator, excluded, givenUp, decline: (party) => giveUp([party]) }), attempts: index + 1, accusations }
    } catch (e) {
      if (isZrError(e, 'ABORTED')) throw e
      if (isZrError(e, 'MPC_ABORT') && typeof e.context.party === 'string') {
        excluded.add(e.context.party)
        accusations.push({ party: e.context.party, reason: e.shortMessage })
        await options.onExcluded?.(e.context.party)
      }
      if ((isZrError(e, 'TIMEOUT') || isZrError(e, 'MPC_ABORT')) && Array.isArray(e.context.missing)) for (const p of e.context.missing) waitedFor.add(String(p))
      problems.push(`attempt ${index} (coordinator ${coordinator}): ${isZrError(e) ? e.shortMessage : String(e)}`)
      // Tell the others at once, so that no one waits out the attempt's timeout for this party.
      giveUp()
    } finally {
      session.close()
    }
  }
  // A party is missing only if no attempt heard from it: one busy in another attempt at the time is up.
  const missing = parties.filter((p) => waitedFor.has(p) && !heard.has(p))
  const short = shortOfParties ? `; fewer than ${options.quorum!.size} parties were connected to the relay until ${new Date(options.quorum!.until).toISOString()}` : ''
  // the first round of attempts and the last ones: a long run of attempts says the same things again
  const n = parties.length
  const told = problems.length > 2 * n ? [...problems.slice(0, n), `(${problems.length - 2 * n} more attempts)`, ...problems.slice(-n)] : problems
  const details = `${told.join('; ')}${missing.length ? `; no answer in any attempt from ${missing.join(', ')}` : ''}${short}`
  throw new ZrError('MPC_ABORT', 'No signing attempt succeeded.', { details, context: { excluded: [...excluded], accusations, missing, attempts: problems.length } })
}
