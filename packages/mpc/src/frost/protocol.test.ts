import { sha256 } from '@noble/hashes/sha2.js'
import { type KeyType, type ZrError, isZrError, toHex } from '@zrkit/core'
import { canonicalBytes, canonicalParse, canonicalStringify } from '@zrkit/core/internal'
import { type Session, type SessionRouter } from '@zrkit/mpc'
import { type FrostKey, type SigningResult, frostSuite, runDkg, runSigning } from '@zrkit/mpc/internal'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RelayFrame } from '../transport/memoryRelay.js'
import { type Tamper, type TestNetwork, type TestParty, delegatingSession, flipped, rewrite, tamperedRouter, testNetwork } from '@zrkit/testkit/mpc'
import { nobleVerifies, sleep, until } from '@zrkit/testkit'

// FROST key generation and signing end to end: real secure transports and session routers over an
// in-process relay, with parties that are down, cheat, or whose frames the network replays.

const keyTypes: KeyType[] = ['eddsa-ed25519', 'schnorr-secp256k1']
const text = (s: string) => new TextEncoder().encode(s)

let sessions = 0
const nextId = (what: string) => `${what}-${++sessions}`

/** Runs the DKG at every party; checks that all got the same public package and distinct valid shares. */
async function dkg(net: TestNetwork, keyType: KeyType, threshold: number): Promise<FrostKey[]> {
  const suite = frostSuite(keyType)
  const id = nextId('dkg')
  const keys = await Promise.all(net.parties.map((p) => runDkg({ session: p.router.open(id, net.ids), suite, threshold, timeoutMs: 10_000 })))
  const groupKey = suite.groupKey(keys[0]!)
  expect(groupKey.length).toBe(keyType === 'eddsa-ed25519' ? 32 : 33)
  for (const [i, key] of keys.entries()) {
    expect(toHex(suite.groupKey(key))).toBe(toHex(groupKey))
    expect(key.public).toEqual(keys[0]!.public)
    expect(key.public.signers).toEqual({ min: threshold, max: net.parties.length })
    expect(key.public.commitments).toHaveLength(threshold)
    expect(key.secret.identifier).toBe(suite.dkg.Identifier.fromNumber(i + 1))
    suite.dkg.validateSecret(key.secret, key.public)
  }
  expect(new Set(keys.map((k) => toHex(k.secret.signingShare))).size).toBe(keys.length)
  return keys
}

type SignOptions = {
  /** The parties that run (default: all). */
  running?: readonly TestParty[]
  messages?: readonly Uint8Array[]
  seed?: number
  attemptTimeoutMs?: number
  /** Routers to use instead of the parties' own (e.g. a cheater's). */
  routers?: ReadonlyMap<string, SessionRouter>
  sessionId?: string
}

/** Runs signing at the running parties; resolves with each one's settled result, in `running` order. */
function signAt(net: TestNetwork, keyType: KeyType, keys: FrostKey[], threshold: number, options: SignOptions = {}) {
  const suite = frostSuite(keyType)
  const sessionId = options.sessionId ?? nextId('sign')
  const running = options.running ?? net.parties
  return Promise.allSettled(
    running.map((p) =>
      runSigning({
        router: options.routers?.get(p.id) ?? p.router,
        sessionId,
        parties: net.ids,
        self: p.id,
        account: p.account,
        identityKey: (party) => p.transport.identityKey(party),
        suite,
        key: keys[p.index]!,
        threshold,
        messages: options.messages ?? [text('hello')],
        seed: options.seed ?? 0,
        attemptTimeoutMs: options.attemptTimeoutMs ?? 5_000,
      }),
    ),
  )
}

/** Every result fulfilled, all equal, every signature valid; returns the first. */
function agreed(keyType: KeyType, keys: FrostKey[], settled: PromiseSettledResult<SigningResult>[], messages: readonly Uint8Array[]): SigningResult {
  const results = settled.map((s) => {
    if (s.status === 'rejected') throw s.reason
    return s.value
  })
  const first = results[0]!
  const groupKey = frostSuite(keyType).groupKey(keys[0]!)
  expect(first.signatures).toHaveLength(messages.length)
  first.signatures.forEach((sig, i) => expect(nobleVerifies(keyType, groupKey, messages[i]!, sig), `signature ${i}`).toBe(true))
  for (const r of results) {
    expect(r.signers).toEqual(first.signers)
    expect(r.signatures.map(toHex)).toEqual(first.signatures.map(toHex))
  }
  return first
}

/** Signs two messages with every party; checks the result and returns it. */
async function signTwo(net: TestNetwork, keyType: KeyType, keys: FrostKey[], t: number): Promise<SigningResult> {
  const messages = [text('first'), text('second')]
  const result = agreed(keyType, keys, await signAt(net, keyType, keys, t, { messages, seed: 1 }), messages)
  expect(result.signers).toHaveLength(t)
  expect(new Set(result.signers).size).toBe(t)
  expect(result.signers).toEqual([...result.signers].sort())
  for (const s of result.signers) expect(net.ids).toContain(s)
  expect(result.attempts).toBe(1)
  // Each message got its own nonces, and each signature is bound to its message.
  expect(toHex(result.signatures[0]!.subarray(0, 32))).not.toBe(toHex(result.signatures[1]!.subarray(0, 32)))
  expect(nobleVerifies(keyType, frostSuite(keyType).groupKey(keys[0]!), messages[1]!, result.signatures[0]!)).toBe(false)
  return result
}

describe.each(keyTypes)('FROST %s', (keyType) => {
  for (const [t, n] of [
    [2, 3],
    [5, 9],
  ] as const) {
    it(`${t}-of-${n}: every party gets the same key; one signature per message, each valid`, async () => {
      const net = await testNetwork(n)
      try {
        await signTwo(net, keyType, await dkg(net, keyType, t), t)
      } finally {
        await net.close()
      }
    })
  }

  describe('3-of-5', () => {
    let net: TestNetwork
    let keys: FrostKey[]
    const t = 3
    beforeAll(async () => {
      net = await testNetwork(5)
      keys = await dkg(net, keyType, t)
    })
    afterAll(async () => {
      await net?.close()
    })

    const subsets = (size: number, from = 0): number[][] => {
      if (size === 0) return [[]]
      const out: number[][] = []
      for (let i = from; i <= 5 - size; i++) for (const rest of subsets(size - 1, i + 1)) out.push([i, ...rest])
      return out
    }

    it('every party gets the same key; one signature per message, each valid', async () => {
      expect(keys).toHaveLength(5)
      await signTwo(net, keyType, keys, t)
    })

    it('every 3-subset signs alone, and the signers are exactly that subset', async () => {
      const all = subsets(3)
      expect(all).toHaveLength(10)
      for (const subset of all) {
        const running = subset.map((i) => net.parties[i]!)
        const msg = text(`subset ${subset.join(',')}`)
        // The first coordinator is a member of the subset, so no attempt waits for an absent party.
        const result = agreed(keyType, keys, await signAt(net, keyType, keys, t, { running, messages: [msg], seed: subset[1]! }), [msg])
        expect(result.signers).toEqual(running.map((p) => p.id))
        expect(result.attempts).toBe(1)
      }
    })

    it('4-subsets and the full set sign; the signers are t of the running parties', async () => {
      for (const subset of [
        [0, 1, 2, 3],
        [0, 2, 3, 4],
        [1, 2, 3, 4],
        [0, 1, 2, 3, 4],
      ]) {
        const running = subset.map((i) => net.parties[i]!)
        const msg = text(`subset ${subset.join(',')}`)
        const result = agreed(keyType, keys, await signAt(net, keyType, keys, t, { running, messages: [msg], seed: subset[1]! }), [msg])
        expect(result.signers).toHaveLength(t)
        for (const s of result.signers) expect(running.map((p) => p.id)).toContain(s)
        expect(result.signers).toContain(net.parties[subset[1]!]!.id)
      }
    })

    it('n - t parties down, the first coordinators among them: attempts rotate and signing succeeds', async () => {
      const seed = 3
      // The coordinators of attempts 0 and 1 are down.
      const down = new Set([net.ids[seed % 5], net.ids[(seed + 1) % 5]])
      const running = net.parties.filter((p) => !down.has(p.id))
      const msg = text('two down')
      const started = Date.now()
      // Short attempts, yet long enough for a live attempt on a loaded machine.
      const result = agreed(keyType, keys, await signAt(net, keyType, keys, t, { running, messages: [msg], seed, attemptTimeoutMs: 600 }), [msg])
      expect(result.attempts).toBe(3)
      expect(result.signers).toEqual(running.map((p) => p.id))
      expect(Date.now() - started).toBeLessThan(8_000)
    })

    it('n - t + 1 parties down: signing rejects with MPC_ABORT listing the attempts, without hanging', async () => {
      const running = [net.parties[0]!, net.parties[3]!]
      const started = Date.now()
      const settled = await signAt(net, keyType, keys, t, { running, seed: 0, attemptTimeoutMs: 300 })
      expect(Date.now() - started).toBeLessThan(8_000)
      for (const s of settled) {
        expect(s.status).toBe('rejected')
        const error = (s as PromiseRejectedResult).reason as ZrError
        expect(isZrError(error, 'MPC_ABORT')).toBe(true)
        expect(error.meta.attempts).toBe(5)
        for (let a = 0; a < 5; a++) expect(error.details).toContain(`attempt ${a} (coordinator ${net.ids[a]})`)
        expect(error.meta.excluded).toEqual([])
      }
    })

    it('nonces are never reused: two runs over the same message give different R', async () => {
      const running = net.parties.slice(1, 4)
      const msg = text('same message')
      const first = agreed(keyType, keys, await signAt(net, keyType, keys, t, { running, messages: [msg], seed: 1 }), [msg])
      const second = agreed(keyType, keys, await signAt(net, keyType, keys, t, { running, messages: [msg], seed: 1 }), [msg])
      expect(first.signers).toEqual(second.signers)
      expect(toHex(first.signatures[0]!.subarray(0, 32))).not.toBe(toHex(second.signatures[0]!.subarray(0, 32)))
      expect(toHex(first.signatures[0]!)).not.toBe(toHex(second.signatures[0]!))
    })

    it('frames replayed by the network from an earlier run are refused (MPC_TRANSPORT) and the run succeeds', async () => {
      const running = net.parties.slice(0, 3)
      const captured: RelayFrame[] = []
      net.relay.intercept((frame) => {
        captured.push(frame)
      })
      const msg = text('replayed frames')
      agreed(keyType, keys, await signAt(net, keyType, keys, t, { running, messages: [msg] }), [msg])
      net.relay.intercept(null)
      expect(captured.length).toBeGreaterThan(0)
      for (const p of net.parties) p.errors.length = 0

      // Replay every frame of run 1 while run 2 is going, twice.
      const run = signAt(net, keyType, keys, t, { running, messages: [msg] })
      for (const frame of captured) net.relay.inject(frame)
      await sleep(20)
      for (const frame of captured) net.relay.inject(frame)
      agreed(keyType, keys, await run, [msg])
      const receivers = net.parties.filter((p) => captured.some((f) => f.to === p.id))
      await until(() => receivers.every((p) => p.errors.length > 0))
      for (const p of receivers) {
        expect(p.errors.every((e) => e.code === 'MPC_TRANSPORT')).toBe(true)
        expect(p.errors.some((e) => /replayed/i.test(e.shortMessage))).toBe(true)
      }
    })
  })
})

describe('FROST DKG with a cheating party', () => {
  const keyType: KeyType = 'eddsa-ed25519'
  const suite = frostSuite(keyType)

  /** Runs the DKG with party `cheat` using `tamper`; returns the honest parties' errors. */
  async function cheatingDkg(tamper: Tamper, threshold = 3, n = 4, cheat = 1) {
    const net = await testNetwork(n)
    const id = nextId('dkg-cheat')
    const cheater = net.parties[cheat]!
    const honest = net.parties.filter((p) => p !== cheater)
    // The cheater's own run may wait for honest parties that gave up; closing the network ends it.
    const cheaterRun = runDkg({ session: tamperedRouter(cheater, tamper).open(id, net.ids), suite, threshold, timeoutMs: 5_000 }).catch((e: unknown) => e)
    const outcomes = await Promise.allSettled(honest.map((p) => runDkg({ session: p.router.open(id, net.ids), suite, threshold, timeoutMs: 5_000 })))
    await net.close()
    await cheaterRun
    const errors = outcomes.map((o) => {
      expect(o.status).toBe('rejected')
      return (o as PromiseRejectedResult).reason as ZrError
    })
    for (const e of errors) {
      expect(isZrError(e, 'MPC_ABORT'), String(e)).toBe(true)
      expect(e.meta.party).toBe(cheater.id)
    }
    return errors
  }

  /** Runs the DKG with party `cheat` using `tamper`; every party's outcome and the accusations each reported. */
  async function dkgWithCheater(tamper: Tamper, n = 3, threshold = 2, cheat = 1) {
    const net = await testNetwork(n)
    const id = nextId('dkg-complaint')
    const cheater = net.parties[cheat]!
    const accusations = net.parties.map(() => [] as { party: string; reason: string }[])
    try {
      const outcomes = await Promise.allSettled(
        net.parties.map((p, i) =>
          runDkg({ session: (p === cheater ? tamperedRouter(cheater, tamper) : p.router).open(id, net.ids), suite, threshold, timeoutMs: 3_000, onAccusation: (a) => void accusations[i]!.push(a) }),
        ),
      )
      return { net, cheater, outcomes, accusations }
    } finally {
      await net.close()
    }
  }
  const groupKeyOf = (o: PromiseSettledResult<FrostKey>) => {
    expect(o.status, String((o as PromiseRejectedResult).reason)).toBe('fulfilled')
    return toHex(suite.groupKey((o as PromiseFulfilledResult<FrostKey>).value))
  }

  it('a bad share to every receiver, answered in public with a valid one: all get the same key and the receivers report the sender', async () => {
    const { net, cheater, outcomes, accusations } = await dkgWithCheater({
      send: (m) => (m.round === 'dkg/2' ? rewrite(m.body, (v) => void (v.signingShare = flipped(v.signingShare as Uint8Array, 3))) : undefined),
    })
    expect(new Set(outcomes.map(groupKeyOf)).size).toBe(1)
    net.parties.forEach((p, i) => {
      if (p === cheater) expect(accusations[i]).toEqual([])
      else expect(accusations[i]).toEqual([{ party: cheater.id, reason: 'sent a share that does not match its commitments' }])
    })
  })

  it('a bad share to a single party: the complaint is settled in public, all get the same key, only that party reports the sender', async () => {
    let victim: string | undefined
    const { net, cheater, outcomes, accusations } = await dkgWithCheater({
      send: (m) => (m.round === 'dkg/2' && (victim ??= m.to) === m.to ? rewrite(m.body, (v) => void (v.signingShare = flipped(v.signingShare as Uint8Array))) : undefined),
    })
    expect(new Set(outcomes.map(groupKeyOf)).size).toBe(1)
    net.parties.forEach((p, i) => expect(accusations[i]).toEqual(p.id === victim ? [{ party: cheater.id, reason: 'sent a share that does not match its commitments' }] : []))
  })

  it('a bad share and no valid answer in public: every honest party aborts naming the sender, never another', async () => {
    let victim: string | undefined
    const { net, cheater, outcomes } = await dkgWithCheater({
      send: (m) => (m.round === 'dkg/2' && (victim ??= m.to) === m.to ? text('not a share') : undefined),
      broadcast: (m) => (m.round === 'dkg/4' ? rewrite(m.body, (v) => void (v.shares = (v.shares as { to: string; signingShare: Uint8Array }[]).map((x) => ({ ...x, signingShare: flipped(x.signingShare) })))) : undefined),
    })
    net.parties.forEach((p, i) => {
      if (p === cheater) return
      const o = outcomes[i]!
      expect(o.status).toBe('rejected')
      const e = (o as PromiseRejectedResult).reason as ZrError
      expect(isZrError(e, 'MPC_ABORT'), String(e)).toBe(true)
      expect(e.meta.party).toBe(cheater.id)
      expect(e.shortMessage).toMatch(/did not answer a complaint/)
    })
  })

  it('a false complaint against an honest party: it answers in public, all get the same key, nobody is blamed', async () => {
    const net = await testNetwork(3)
    const id = nextId('dkg-false-complaint')
    const [accused, liar, bystander] = net.parties as [TestParty, TestParty, TestParty]
    const accusations = net.parties.map(() => [] as { party: string; reason: string }[])
    try {
      // The liar claims the accused's (valid) share was garbage, then follows the protocol.
      const honestSession = liar.router.open(id, net.ids)
      const lying: Session = { ...honestSession, collect: async (round, o) => (round === 'dkg/2' && o?.from?.[0] === accused.id ? (await honestSession.collect(round, o), new Map([[accused.id, text('garbage')]])) : honestSession.collect(round, o)) }
      const outcomes = await Promise.allSettled(
        net.parties.map((p, i) => runDkg({ session: p === liar ? lying : p.router.open(id, net.ids), suite, threshold: 2, timeoutMs: 3_000, onAccusation: (a) => void accusations[i]!.push(a) })),
      )
      expect(new Set(outcomes.map(groupKeyOf)).size).toBe(1)
      // the accused and the bystander saw nothing wrong; the liar "reports" its own lie, which an operator can weigh
      expect(accusations[net.parties.indexOf(accused)]).toEqual([])
      expect(accusations[net.parties.indexOf(bystander)]).toEqual([])
    } finally {
      await net.close()
    }
  })

  it('a garbage round-1 message is blamed on its sender', async () => {
    const errors = await cheatingDkg({ broadcast: (m) => (m.round === 'dkg/1' ? text('not a commitment') : undefined) })
    for (const e of errors) expect(e.shortMessage).toMatch(/malformed DKG commitment/)
  })

  it('a round-1 message with too few commitments is blamed on its sender', async () => {
    const errors = await cheatingDkg({
      broadcast: (m) => (m.round === 'dkg/1' ? rewrite(m.body, (v) => void (v.commitment = (v.commitment as Uint8Array[]).slice(1))) : undefined),
    })
    for (const e of errors) expect(e.shortMessage).toMatch(/commitments instead of 3/)
  })

  it('an equivocating round-1 broadcast is caught by confirmBroadcasts, naming the sender', async () => {
    let victim: string | undefined
    const errors = await cheatingDkg({
      broadcast: (m) => {
        if (m.round !== 'dkg/1') return undefined
        victim = m.to[0]
        const other = rewrite(m.body, (v) => void (v.proofOfKnowledge = flipped(v.proofOfKnowledge as Uint8Array, 7)))
        // One receiver gets a different (well-formed) package than the others.
        return (to) => (to === victim ? other : m.body)
      },
    })
    expect(victim).toBeDefined()
    for (const e of errors) {
      expect(e.meta.round).toBe('dkg/1')
      expect(e.shortMessage).toMatch(/different messages to different parties/)
    }
  })

  it('an invalid proof of knowledge is blamed on its sender', async () => {
    const errors = await cheatingDkg({
      broadcast: (m) => (m.round === 'dkg/1' ? rewrite(m.body, (v) => void (v.proofOfKnowledge = flipped(v.proofOfKnowledge as Uint8Array, 40))) : undefined),
    })
    for (const e of errors) expect(e.shortMessage).toMatch(/invalid proof of knowledge/)
  })
})

describe.each(keyTypes)('FROST %s signing with a cheating party', (keyType) => {
  // 2-of-4, the cheater first coordinator: its shares are used in attempt 0, and the three honest
  // parties are enough to sign without it.
  let net: TestNetwork
  let keys: FrostKey[]
  // 2-of-2, the cheater a plain signer: without it no signing set is left, so the run fails, naming it.
  let pair: TestNetwork
  let pairKeys: FrostKey[]

  beforeAll(async () => {
    net = await testNetwork(4)
    pair = await testNetwork(2)
    ;[keys, pairKeys] = await Promise.all([dkg(net, keyType, 2), dkg(pair, keyType, 2)])
  })
  afterAll(async () => {
    await net?.close()
    await pair?.close()
  })

  type Setting = { on: TestNetwork; keys: FrostKey[]; cheatAt: number; seed: number }
  const big = (): Setting => ({ on: net, keys, cheatAt: 2, seed: 2 })
  const small = (): Setting => ({ on: pair, keys: pairKeys, cheatAt: 1, seed: 0 })

  const sharesOf = (body: Uint8Array) => canonicalParse<{ shares: Uint8Array[] }>(new TextDecoder().decode(body)).shares
  const flipShares = (body: Uint8Array) => rewrite(body, (v) => void (v.shares = (v.shares as Uint8Array[]).map((s) => flipped(s, 1))))

  /** Signs with every party, the cheater through `tamper`; returns the honest parties' outcomes. */
  async function signWithCheater({ on, keys: onKeys, cheatAt, seed }: Setting, tamper: Tamper, msg: Uint8Array) {
    const cheater = on.parties[cheatAt]!
    const honest = on.parties.filter((p) => p !== cheater)
    const routers = new Map([[cheater.id, tamperedRouter(cheater, tamper)]])
    const sessionId = nextId('sign-cheat')
    const [cheaterRun, ...honestRuns] = [cheater, ...honest].map((p) => signAt(on, keyType, onKeys, 2, { running: [p], routers, messages: [msg], seed, sessionId, attemptTimeoutMs: 1_000 }))
    const settled = (await Promise.all(honestRuns)).map((s) => s[0]!)
    await cheaterRun
    return { cheater, settled }
  }

  /** The 2-of-4 outcome: the honest parties sign without the cheater, never with an invalid signature. */
  async function excludedAndSigned(tamper: Tamper, msg: Uint8Array) {
    const setting = big()
    const { cheater, settled } = await signWithCheater(setting, tamper, msg)
    const result = agreed(keyType, keys, settled, [msg])
    expect(result.signers).not.toContain(cheater.id)
    expect(result.attempts).toBe(2)
    expect(result.signers).toContain(net.ids[(setting.seed + 1) % 4])
  }

  /** The 2-of-2 outcome: the honest party fails, naming and excluding the cheater. */
  async function namedInFailure(tamper: Tamper, msg: Uint8Array, what: RegExp) {
    const { cheater, settled } = await signWithCheater(small(), tamper, msg)
    expect(settled).toHaveLength(1)
    expect(settled[0]!.status).toBe('rejected')
    const error = (settled[0] as PromiseRejectedResult).reason as ZrError
    expect(isZrError(error, 'MPC_ABORT')).toBe(true)
    expect(error.meta.excluded).toEqual([cheater.id])
    expect(error.details).toContain(`Party ${cheater.id}`)
    expect(error.details).toMatch(what)
  }

  it('a flipped signature share: the cheater is named and excluded; the others still sign', async () => {
    const tamper: Tamper = { send: (m) => (m.round === 'sign/shares' ? flipShares(m.body) : undefined) }
    await excludedAndSigned(tamper, text('flipped share'))
    await namedInFailure(tamper, text('flipped share'), /invalid signature share/)
  })

  /** Runs once with the cheater honest, recording its share messages; returns the recorded bodies. */
  async function recordRun(setting: Setting, msg: Uint8Array): Promise<Uint8Array> {
    let recorded: Uint8Array | undefined
    const run = await signWithCheater(setting, { send: (m) => void (m.round === 'sign/shares' && (recorded = m.body)) }, msg)
    agreed(keyType, setting.keys, run.settled, [msg])
    expect(recorded).toBeDefined()
    return recorded!
  }

  it('a signature share replayed from an earlier run: named and excluded; the others still sign', async () => {
    for (const setting of [big(), small()]) {
      const msg = text(`replayed share ${setting.on.parties.length}`)
      const old = sharesOf(await recordRun(setting, msg))
      // Run 2, same message: the cheater sends its run-1 shares for the new signing package.
      const replay: Tamper = { send: (m) => (m.round === 'sign/shares' ? rewrite(m.body, (v) => void (v.shares = old)) : undefined) }
      if (setting.on === net) await excludedAndSigned(replay, msg)
      else await namedInFailure(replay, msg, /invalid signature share/)
    }
  })

  it('a whole share message replayed from an earlier run is blamed on the signer, not the coordinator', async () => {
    const setting = small()
    const msg = text('replayed message')
    const old = await recordRun(setting, msg)
    await namedInFailure({ send: (m) => (m.round === 'sign/shares' ? old : undefined) }, msg, /a signing package the coordinator did not sign/)
  })

  it('a coordinator that signs two different packages is named, with its two signatures as proof', async () => {
    // 2-of-2 with the cheater as coordinator: the honest party gets a re-signed package in which the
    // cheater's own commitments are swapped (still valid points), the cheater signs on the original.
    const cheater = pair.parties[1]!
    const honest = pair.parties[0]!
    const open = (sessionId: string, participants: readonly string[]): Session => {
      const session = cheater.router.open(sessionId, participants)
      return delegatingSession(session, {
        async send(to, round, body) {
          if (round !== 'sign/package' || to !== honest.id) return session.send(to, round, body)
          const pkg = canonicalParse<{ signers: string[]; commitments: { identifier: string; hiding: Uint8Array; binding: Uint8Array }[][]; signature: Uint8Array }>(new TextDecoder().decode(body))
          const mine = pkg.signers.indexOf(cheater.id)
          const commitments = pkg.commitments.map((list) => list.map((c, i) => (i === mine ? { ...c, hiding: c.binding, binding: c.hiding } : c)))
          const packageHash = sha256(new TextEncoder().encode(canonicalStringify({ signers: pkg.signers, commitments })))
          const signature = await cheater.account.sign(sha256(canonicalBytes({ domain: 'zrkit/frost/signing-package/v1', session: session.id, packageHash })))
          return session.send(to, round, new TextEncoder().encode(canonicalStringify({ signers: pkg.signers, commitments, signature })))
        },
      })
    }
    const routers = new Map<string, SessionRouter>([[cheater.id, { open, close: () => cheater.router.close() }]])
    const sessionId = nextId('sign-equivocate')
    const msg = text('two packages')
    const seed = pair.ids.indexOf(cheater.id) // the cheater coordinates attempt 0
    const run = (p: TestParty) => signAt(pair, keyType, pairKeys, 2, { running: [p], routers, messages: [msg], seed, sessionId, attemptTimeoutMs: 1_000 })
    const [, honestOutcome] = await Promise.all([run(cheater), run(honest)])
    const settled = honestOutcome[0]!
    expect(settled.status).toBe('rejected')
    const error = (settled as PromiseRejectedResult).reason as ZrError
    expect(isZrError(error, 'MPC_ABORT')).toBe(true)
    expect(error.meta.excluded).toEqual([cheater.id])
    expect(error.details).toContain(`Party ${cheater.id} signed two different signing packages`)
  })

  it('a garbage signature-share message is blamed on its sender', async () => {
    const tamper: Tamper = { send: (m) => (m.round === 'sign/shares' ? text('garbage') : undefined) }
    await excludedAndSigned(tamper, text('garbage share'))
    await namedInFailure(tamper, text('garbage share'), /malformed signature share message/)
  })
})
