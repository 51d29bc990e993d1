/**
 * The attempt loop shared by FROST and threshold-ECDSA signing: what it reports when attempts fail,
 * checked with stand-in attempts (the protocols' own suites run it for real).
 */
import { ZrError, isZrError } from '@zrkit/core'
import { until } from '@zrkit/testkit'
import { testNetwork } from '@zrkit/testkit/mpc'
import { describe, expect, it } from 'vitest'
import type { Session } from '../transport/SessionRouter.js'
import { GIVE_UP_ROUND } from '../transport/giveUp.js'
import { runAttempts } from './coordinator.js'
import { misbehaved } from '../frost/messages.js'

const parties = ['zen1a', 'zen1b', 'zen1c', 'zen1d', 'zen1e']
/** A stand-in session of party zen1a: sends go nowhere, waits return what `heard` lists (nobody gives up). */
const standIn = (id: string, heard: readonly string[] = []) =>
  ({
    id,
    self: 'zen1a',
    participants: parties,
    send: async () => {},
    collect: (round: string) => (round === GIVE_UP_ROUND ? new Promise(() => {}) : Promise.resolve(new Map(heard.map((p) => [p, new Uint8Array()])))),
    close() {},
  }) as unknown as Session
const router = { open: (id: string) => standIn(id) }

describe('runAttempts', () => {
  it('names as missing only the parties no attempt heard from, and every cheater as an accusation', async () => {
    // each attempt hears from some parties (what its collect returned) and waits in vain for others
    const attempts: { heard: string[]; failure: ZrError }[] = [
      { heard: [], failure: new ZrError('TIMEOUT', 'Timed out waiting for round sign/package.', { meta: { missing: ['zen1a'] } }) },
      { heard: ['zen1c'], failure: misbehaved('zen1c', 'sent an invalid signature share for message 0') },
      { heard: ['zen1a'], failure: new ZrError('TIMEOUT', 'Too few parties answered.', { meta: { missing: ['zen1b', 'zen1d', 'zen1e'] } }) },
      { heard: ['zen1b'], failure: new ZrError('TIMEOUT', 'Too few parties answered.', { meta: { missing: ['zen1d', 'zen1e'] } }) },
      { heard: [], failure: new ZrError('TIMEOUT', 'Timed out waiting for round sign/package.', { meta: { missing: ['zen1e'] } }) },
    ]
    let opened = 0
    const router = {
      open: (id: string) => {
        const a = attempts[opened++]!
        return standIn(id, a.heard)
      },
    }
    let i = 0
    const err = await runAttempts({ router, sessionId: 's', parties, seed: 0 }, async ({ session }) => {
      const a = attempts[i++]!
      await session.collect('round', { from: a.heard })
      throw a.failure
    }).catch((e: unknown) => e)
    expect(isZrError(err, 'MPC_ABORT')).toBe(true)
    if (!isZrError(err)) return
    // zen1a and zen1b were each waited for in vain once but answered in another attempt: they are up
    expect(err.meta.missing).toEqual(['zen1d', 'zen1e'])
    expect(err.details).toContain('no answer in any attempt from zen1d, zen1e')
    expect(err.meta.accusations).toEqual([{ party: 'zen1c', reason: 'Party zen1c sent an invalid signature share for message 0.' }])
    expect(err.meta.excluded).toEqual(['zen1c'])
  })

  it('returns the accusations of the attempts that failed before one succeeded', async () => {
    let i = 0
    const { value, attempts, accusations } = await runAttempts({ router, sessionId: 's', parties, seed: 0 }, async ({ excluded }) => {
      if (i++ === 0) throw misbehaved('zen1b', 'sent an invalid signature share for message 0')
      return [...excluded]
    })
    expect(value).toEqual(['zen1b'])
    // the second attempt would have been zen1b's to coordinate: skipped
    expect(attempts).toBe(3)
    expect(accusations).toEqual([{ party: 'zen1b', reason: 'Party zen1b sent an invalid signature share for message 0.' }])
  })

  it('a party that gives up on an attempt ends at once the waits for it, and only those', async () => {
    // Real routers over the secure transport: three parties in one attempt, a 30 s round timeout.
    const net = await testNetwork(3, { seed: 'coordinator-give-up' })
    try {
      const [a, b, c] = net.parties as [(typeof net.parties)[number], (typeof net.parties)[number], (typeof net.parties)[number]]
      const run = (party: typeof a, attempt: (s: Session) => Promise<string>) =>
        runAttempts({ router: party.router, sessionId: 'give-up', parties: net.ids, seed: 0 }, async ({ session, index }) => {
          if (index > 0) throw new ZrError('TIMEOUT', 'only attempt 0 is played here', { context: { missing: [] } })
          return attempt(session)
        })
      const started = Date.now()
      const [ra, rb, rc] = await Promise.allSettled([
        // a waits for b's round-1 message; b fails and gives up: a's wait ends now, not in 30 s. Only then
        // does a send its own round-1 message to c.
        run(a, async (s) => {
          try {
            await s.collect('r1', { from: [b.id], timeoutMs: 30_000 })
          } finally {
            await s.send(c.id, 'r1', new Uint8Array([1]))
          }
          return 'a done'
        }),
        run(b, async () => {
          throw new ZrError('TIMEOUT', 'b saw someone missing', { context: { missing: [] } })
        }),
        // c waits only for a, which comes after b gave up: b giving up does not end c's wait
        run(c, async (s) => `c got ${(await s.collect('r1', { from: [a.id], timeoutMs: 30_000 })).size}`),
      ])
      expect(Date.now() - started).toBeLessThan(10_000)
      expect(rc.status === 'fulfilled' && rc.value.value).toBe('c got 1')
      expect(rb.status).toBe('rejected')
      expect(ra.status).toBe('rejected')
      const e = (ra as PromiseRejectedResult).reason
      expect(isZrError(e, 'MPC_ABORT') && e.details).toContain(`${b.id} gave up on this session`)
      // the notice is an ordinary round of the attempt's session, named for anyone reading a transcript
      expect(GIVE_UP_ROUND).toBe('session/give-up')
    } finally {
      net.close()
    }
  })

  it('with a quorum deadline, attempts go on past one per party until it or the signal, paced, heard from or not; without one, one attempt per party', async () => {
    const failing = () => Promise.reject(new ZrError('TIMEOUT', 'Timed out waiting for round sign/package.', { meta: { missing: ['zen1b'] } }))
    // sessions in which zen1b answers: the attempts hear from it (and then fail)
    const hearing = { open: (id: string) => standIn(id, ['zen1b']) }
    const hear = (session: Session) => session.collect('sign/commit', { from: ['zen1b'] })
    // one per party, then MPC_ABORT
    let tried = 0
    const once = await runAttempts({ router: hearing, sessionId: 'once', parties, seed: 0 }, async ({ session }) => (tried++, await hear(session), failing())).catch((e: unknown) => e)
    expect(isZrError(once, 'MPC_ABORT')).toBe(true)
    expect(tried).toBe(parties.length)
    // with a deadline: the 8th attempt (a later one than any party's first) succeeds
    let n = 0
    const later = await runAttempts({ router: hearing, sessionId: 'later', parties, seed: 0, quorum: { size: 2, until: Date.now() + 10_000 } }, async ({ session, index }) => {
      n++
      await hear(session)
      if (index < 7) return failing()
      return 'signed'
    })
    expect(later).toMatchObject({ value: 'signed', attempts: 8 })
    expect(n).toBe(8)
    // always failing: ends at the deadline with MPC_ABORT, its attempts paced (a pause of 100 ms, 200 ms, ... each)
    const started = Date.now()
    let m = 0
    const ended = await runAttempts({ router: hearing, sessionId: 'ended', parties, seed: 0, quorum: { size: 2, until: Date.now() + 1_000 } }, async ({ session }) => (m++, await hear(session), failing())).catch((e: unknown) => e)
    const took = Date.now() - started
    expect(isZrError(ended, 'MPC_ABORT')).toBe(true)
    expect(took).toBeGreaterThanOrEqual(1_000)
    expect(took).toBeLessThan(3_000)
    expect(m).toBeGreaterThan(parties.length)
    expect(m).toBeLessThanOrEqual(parties.length + 4)
    expect(((ended as ZrError).context as { attempts?: number }).attempts).toBe(m)
    // rounds in which no other party said anything go on too (parties out of step hear nothing from each other
    // for a while), until the deadline or the signal: the connector fires it when it endorses a co-party's result
    const quiet = new AbortController()
    let q = 0
    const quietRun = runAttempts({ router, sessionId: 'quiet', parties, seed: 0, signal: quiet.signal, quorum: { size: 2, until: Date.now() + 60_000 } }, () => (q++, failing())).catch((e: unknown) => e)
    await until(() => q > 2 * parties.length, 'a third round of silent attempts')
    quiet.abort()
    expect(isZrError(await quietRun, 'ABORTED')).toBe(true)
    // `oneRound` (key generation): the wait for a quorum, but one attempt per party, whatever the deadline
    let k = 0
    const oneRound = await runAttempts({ router: hearing, sessionId: 'one-round', parties, seed: 0, quorum: { size: 2, until: Date.now() + 60_000, oneRound: true } }, async ({ session }) => (k++, await hear(session), failing())).catch((e: unknown) => e)
    expect(isZrError(oneRound, 'MPC_ABORT')).toBe(true)
    expect(k).toBe(parties.length)
  })
})
