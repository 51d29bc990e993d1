import { ZrError, isZrError } from '@zrkit/core'
import type { Session } from './SessionRouter.js'

/** The round in which a party tells the others that it gave up on a session (an empty message). */
export const GIVE_UP_ROUND = 'session/give-up'

/** A session whose parties tell each other when they give up on it: see {@link givingUpSession}. */
export type GivingUpSession = {
  /** The session to run the protocol in. */
  readonly session: Session
  /**
   * Tells `to` (default: every other participant) that this party gave up on the session: their waits for
   * this party end now. Each party is told once; later calls for it do nothing.
   */
  giveUp(to?: readonly string[]): void
  /** Resolves with the first of `parties` to say it gave up (stays pending if none does). */
  givenUp(parties: readonly string[]): Promise<string>
}

/**
 * Wraps a protocol session (a signing attempt, a key generation) so that its parties say when they give up:
 * each wait (`collect`, `confirmBroadcasts`) ends at once, with `TIMEOUT` naming no missing party, when a
 * party it waits for has said it gave up ({@link GIVE_UP_ROUND}), instead of waiting out the timeout for a
 * message that will never come. Only the parties a wait is for can end it: a party outside a signing set
 * cannot sink an attempt that does not need it, and a party the wait does need gains nothing it could not
 * have by staying silent. Parties heard from (any message, the notice included) are added to `heard`.
 *
 * @example
 * ```ts
 * const { session, giveUp } = givingUpSession(router.open(sessionId, parties))
 * try {
 *   return await runProtocol(session)
 * } catch (e) {
 *   giveUp() // the others stop waiting for this party now
 *   throw e
 * } finally {
 *   session.close()
 * }
 * ```
 */
export function givingUpSession(opened: Session, heard: Set<string> = new Set()): GivingUpSession {
  const others = opened.participants.filter((p) => p !== opened.self)
  const gaveUp = new Set<string>()
  const listeners = new Set<(party: string) => void>()
  for (const p of others) {
    // Settles when the notice comes, or with ABORTED when the session closes; never because p is away (it may come back and say so).
    opened.collect(GIVE_UP_ROUND, { from: [p], timeoutMs: Number.POSITIVE_INFINITY, awayGraceMs: 0 }).then(
      () => {
        heard.add(p)
        gaveUp.add(p)
        for (const listener of [...listeners]) listener(p)
      },
      () => {},
    )
  }
  const quitError = (party: string, round: string) =>
    new ZrError('TIMEOUT', `${party} gave up on this session.`, {
      details: `waiting for round ${round} of session ${opened.id}, ${party} said it gave up`,
      context: { missing: [], session: opened.id, round },
    })
  /** Runs one wait for `from`; a give-up notice from one of them ends it with `TIMEOUT`. */
  const released = async <T>(round: string, from: readonly string[], signal: AbortSignal | undefined, run: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    const already = from.find((p) => gaveUp.has(p))
    if (already !== undefined) throw quitError(already, round)
    const local = new AbortController()
    let by: string | undefined
    const listener = (party: string) => {
      if (by === undefined && from.includes(party)) {
        by = party
        local.abort()
      }
    }
    listeners.add(listener)
    try {
      return await run(signal ? AbortSignal.any([signal, local.signal]) : local.signal)
    } catch (e) {
      if (by !== undefined && isZrError(e, 'ABORTED') && !signal?.aborted) throw quitError(by, round)
      throw e
    } finally {
      listeners.delete(listener)
    }
  }
  const session: Session = {
    id: opened.id,
    self: opened.self,
    participants: opened.participants,
    send: (to, round, body) => opened.send(to, round, body),
    broadcast: (round, body) => opened.broadcast(round, body),
    collect: async (round, o) => {
      const got = await released(round, o?.from ?? others, o?.signal, (signal) => opened.collect(round, { ...o, signal }))
      for (const p of got.keys()) heard.add(p)
      return got
    },
    confirmBroadcasts: (round, received, o) => released(round, others, o?.signal, (signal) => opened.confirmBroadcasts(round, received, { ...o, signal })),
    close: () => opened.close(),
  }
  const givenUp = (parties: readonly string[]) =>
    new Promise<string>((resolve) => {
      const already = parties.find((p) => gaveUp.has(p))
      if (already !== undefined) return resolve(already)
      const listener = (party: string) => {
        if (!parties.includes(party)) return
        listeners.delete(listener)
        resolve(party)
      }
      listeners.add(listener)
    })
  const told = new Set<string>()
  const giveUp = (to: readonly string[] = others) => {
    for (const p of to) {
      if (told.has(p) || !others.includes(p)) continue
      told.add(p)
      session.send(p, GIVE_UP_ROUND, new Uint8Array(0)).catch(() => {})
    }
  }
  return { session, giveUp, givenUp }
}
