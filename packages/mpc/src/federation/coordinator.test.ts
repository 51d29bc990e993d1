/**
 * The attempt loop shared by FROST and threshold-ECDSA signing: what it reports when attempts fail,
 * checked with stand-in attempts (the protocols' own suites run it for real).
 */
import { ZrError, isZrError } from '@zrkit/core'
import { describe, expect, it } from 'vitest'
import type { Session } from '../transport/SessionRouter.js'
import { runAttempts } from './coordinator.js'
import { misbehaved } from '../frost/messages.js'

const parties = ['zen1a', 'zen1b', 'zen1c', 'zen1d', 'zen1e']
const router = { open: (id: string) => ({ id, close() {} }) as unknown as Session }

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
        return { id, collect: async () => new Map(a.heard.map((p) => [p, new Uint8Array()])), close() {} } as unknown as Session
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
})
