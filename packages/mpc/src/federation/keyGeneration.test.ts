import { isZrError } from '@zrkit/core'
import { afterEach, describe, expect, it } from 'vitest'
import { itInFullRun } from '@zrkit/testkit'
import { type TestNetwork, type TestParty, testNetwork } from '@zrkit/testkit/mpc'
import { misbehaved } from '../frost/messages.js'
import { runKeyGeneration } from './keyGeneration.js'

// Who takes part in a key generation, over the real secure transport; `generate` here just reports
// the session it was given, so these tests are about the choice of parties, not the DKG itself.

let net: TestNetwork | undefined
afterEach(async () => {
  await net?.close()
  net = undefined
})

const joinWindowMs = 400

function run(n: TestNetwork, p: TestParty, sessionId: string, seed: number, threshold = 2) {
  return runKeyGeneration(
    { router: p.router, sessionId, parties: n.ids, threshold, account: p.account, identityKey: (q) => p.transport.identityKey(q), seed, joinWindowMs },
    async (session) => ({ self: session.self, holders: [...session.participants] }),
  ).then((r) => r.value)
}

const outcome = (e: unknown) => (isZrError(e) ? e.code : String(e))

describe('runKeyGeneration', () => {
  it('with every party up, all take part, whoever coordinates', async () => {
    net = await testNetwork(3)
    const n = net
    for (const seed of [0, 1, 2]) {
      const results = await Promise.all(n.parties.map((p) => run(n, p, `kg/all/${seed}`, seed)))
      for (const r of results) expect(r.holders).toEqual(n.ids)
    }
  })

  it('with one party down, the others take part without it, also when it would coordinate first', async () => {
    net = await testNetwork(3)
    const n = net
    for (const seed of [0, 1, 2]) {
      const up = n.parties.slice(1)
      const results = await Promise.all(up.map((p) => run(n, p, `kg/one-down/${seed}`, seed)))
      for (const r of results) expect(r.holders).toEqual(n.ids.slice(1))
    }
  })

  it('a party that answers after the set was chosen abstains; it can never reject the key', async () => {
    net = await testNetwork(3)
    const n = net
    // parties 1 and 2 start; party 0 comes up after the first coordinator's window has closed
    const early = n.parties.slice(1).map((p) => run(n, p, 'kg/late', 1))
    await new Promise((r) => setTimeout(r, joinWindowMs * 3))
    const late = await run(n, n.parties[0]!, 'kg/late', 1).then(outcome, outcome)
    const results = await Promise.all(early)
    for (const r of results) expect(r.holders).toEqual(n.ids.slice(1))
    expect(late).toBe('BACKEND_ABSTAIN')
  })

  it('with fewer than the threshold up, the request is refused naming who did not answer', async () => {
    net = await testNetwork(3)
    const n = net
    const err = await run(n, n.parties[0]!, 'kg/alone', 0).catch((e: unknown) => e)
    expect(isZrError(err, 'MPC_ABORT'), String(err)).toBe(true)
    if (!isZrError(err)) return
    expect(err.shortMessage).toMatch(/needs at least 2 parties/)
    expect(err.meta.missing).toEqual(n.ids.slice(1))
  })

  // waits out a join window in every attempt by design: the full run
  itInFullRun('with too few up, every party that is up names only the parties it never heard from, never another party that is up', async () => {
    net = await testNetwork(5)
    const n = net
    const up = n.parties.slice(0, 2)
    for (const seed of [0, 1]) {
      const errors = await Promise.all(up.map((p) => run(n, p, `kg/two-of-five/${seed}`, seed, 3).catch((e: unknown) => e)))
      for (const err of errors) {
        expect(isZrError(err, 'MPC_ABORT'), String(err)).toBe(true)
        if (!isZrError(err)) return
        expect(err.meta.missing).toEqual(n.ids.slice(2))
        for (const p of up) expect(err.details).not.toContain(p.id)
      }
    }
  }, 60_000)

  it('a party named as a cheater by a failed generation is left out of the next attempt', async () => {
    net = await testNetwork(3)
    const n = net
    const cheater = n.ids[2]!
    const results = await Promise.all(
      n.parties.map((p) =>
        runKeyGeneration(
          { router: p.router, sessionId: 'kg/cheater', parties: n.ids, threshold: 2, account: p.account, identityKey: (q) => p.transport.identityKey(q), seed: 0, joinWindowMs },
          async (session) => {
            // in the first attempt, every honest party finds the cheater's DKG share bad
            if (session.id === 'kg/cheater/0/generate' && session.self !== cheater) throw misbehaved(cheater, 'sent a share that does not match its commitments')
            if (session.self === cheater) await new Promise((r) => setTimeout(r, joinWindowMs * 4))
            return [...session.participants]
          },
        ).then(
          ({ value, accusations }) => ({ holders: value, accusations }),
          (e: unknown) => ({ error: outcome(e) }),
        ),
      ),
    )
    // the honest parties make the key without the cheater and name it
    const accusations = [{ party: cheater, reason: `Party ${cheater} sent a share that does not match its commitments.` }]
    expect(results[0]).toEqual({ holders: n.ids.slice(0, 2), accusations })
    expect(results[1]).toEqual({ holders: n.ids.slice(0, 2), accusations })
  })
})
