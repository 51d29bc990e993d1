/**
 * Pooled DKLs23 presignatures over real secure transports on an in-process relay (issue 20, point 1):
 * a signing refills its set's pool in the background, the next one needs only the online round, every
 * presignature is used at most once (its use recorded in the party's store before any share leaves),
 * concurrent signings never share one, a drained pool falls back to all rounds, a party down during the
 * refill costs nothing, and a signer that does not hold the chosen presignature stops every share.
 * Signatures are checked with noble and key recovery.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { type SecretStore, memorySecretStore, signingKey, toHex } from '@zrkit/core'
import { type TestNetwork, type TestParty, tamperedRouter, testNetwork } from '@zrkit/testkit/mpc'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { packageDigest } from '../federation/coordinator.js'
import type { SessionRouter } from '../transport/SessionRouter.js'
import { EcdsaKeyState, ecdsaNames, encodeShare } from './ecdsaKey.js'
import { PresignaturePool, presignatureStoreName } from './presignaturePool.js'
import { runEcdsaDkg } from './runEcdsaDkg.js'
import { type EcdsaSigningResult, runEcdsaSigning } from './runEcdsaSigning.js'
import { decodeWire, encodeWire } from './wire.js'

const text = (s: string) => new TextEncoder().encode(s)
let ids = 0
const nextId = (what: string) => `${what}-${++ids}`

type Party = { party: TestParty; key: EcdsaKeyState; store: SecretStore; pool: PresignaturePool }

let net: TestNetwork
let publicKey: Uint8Array
const parties = new Map<string, Party>()

beforeAll(async () => {
  net = await testNetwork(3, { seed: 'ecdsa-presignatures' })
  const id = nextId('dkg')
  const results = await Promise.all(net.parties.map((p) => runEcdsaDkg({ session: p.router.open(id, net.ids), threshold: 2, timeoutMs: 60_000 })))
  publicKey = results[0]!.share.publicKey
  for (const [i, r] of results.entries()) {
    const store = memorySecretStore()
    const key = new EcdsaKeyState(r.share, store)
    for (const [j, record] of r.pairs) await key.install(j, record)
    await store.set(ecdsaNames.share('ecdsa-secp256k1', publicKey), encodeShare(r.share))
    parties.set(net.ids[i]!, { party: net.parties[i]!, key, store, pool: new PresignaturePool(store, publicKey, net.ids[i]!, 2) })
  }
}, 120_000)
afterAll(() => net?.close())

function check(sig: Uint8Array, digest: Uint8Array, key: Uint8Array = publicKey): void {
  expect(secp256k1.verify(sig.subarray(0, 64), digest, key, { prehash: false, lowS: true })).toBe(true)
  const recovered = secp256k1.Signature.fromBytes(sig.subarray(0, 64), 'compact').addRecoveryBit(sig[64]!).recoverPublicKey(digest)
  expect(toHex(recovered.toBytes(true))).toBe(toHex(key))
}

/** Signs at the `running` parties (the others are down), with their pools; each party's result. */
async function signWith(running: readonly string[], digests: Uint8Array[], options: { seed?: number; routers?: Map<string, SessionRouter>; sessionId?: string; pools?: boolean; poolOf?: Map<string, PresignaturePool>; path?: string } = {}): Promise<EcdsaSigningResult[]> {
  const sessionId = options.sessionId ?? nextId('sign')
  const signing = signingKey('ecdsa-secp256k1', publicKey, options.path ? { path: options.path } : {})
  return Promise.all(
    running.map((id) => {
      const p = parties.get(id)!
      return runEcdsaSigning({
        router: options.routers?.get(id) ?? p.party.router,
        sessionId,
        key: p.key,
        keyType: 'ecdsa-secp256k1',
        digests,
        ...(signing.tweak ? { tweak: signing.tweak } : {}),
        signingPublicKey: signing.publicKey,
        account: p.party.account,
        identityKey: (party) => p.party.transport.identityKey(party),
        // the first coordinator is a running party, so that no attempt waits for one that is down
        seed: options.seed ?? p.key.key.parties.indexOf(running[0]!),
        attemptTimeoutMs: 5_000,
        ...(options.pools === false ? {} : { presignatures: options.poolOf?.get(id) ?? p.pool }),
      })
    }),
  )
}

const idsOf = async (id: string, set: readonly string[]) => (await parties.get(id)!.pool.ids(set)).map((x) => toHex(x))

describe('pooled ECDSA presignatures', () => {
  it('a signing refills its set in the background; the next one is presigned (the online round alone), verifies, and its presignature is gone from both pools', async () => {
    const set = [net.ids[0]!, net.ids[1]!].sort()
    const first = await signWith(set, [sha256(text('first'))])
    expect(first.map((r) => r.presigned)).toEqual([false, false])
    expect(await Promise.all(first.map((r) => r.refill))).toEqual([2, 2])
    const before = await idsOf(set[0]!, set)
    expect(before).toHaveLength(2)
    expect(await idsOf(set[1]!, set)).toEqual(before)

    const digest = sha256(text('second'))
    const second = await signWith(set, [digest])
    expect(second.map((r) => r.presigned)).toEqual([true, true])
    check(second[0]!.signatures[0]!, digest)
    expect(second[1]!.signatures[0]).toEqual(second[0]!.signatures[0])
    const used = before[0]!
    await Promise.all(second.map((r) => r.refill))
    for (const id of set) {
      const now = await idsOf(id, set)
      expect(now).not.toContain(used) // gone for good, at both signers
      expect(now).toHaveLength(2) // and the pool is full again
    }
  }, 60_000)

  it('a derived key and several digests at once sign with presignatures of the parent key (one per digest)', async () => {
    const set = [net.ids[1]!, net.ids[2]!].sort()
    const warm = await signWith(set, [sha256(text('warm'))])
    await Promise.all(warm.map((r) => r.refill))
    const digests = [sha256(text('a')), sha256(text('b'))]
    const results = await signWith(set, digests, { path: 'user/42' })
    expect(results[0]!.presigned).toBe(true)
    const child = signingKey('ecdsa-secp256k1', publicKey, { path: 'user/42' }).publicKey
    expect(toHex(child)).not.toBe(toHex(publicKey))
    results[0]!.signatures.forEach((s, k) => check(s, digests[k]!, child))
    await Promise.all(results.map((r) => r.refill))
  }, 60_000)

  it('concurrent signings never share a presignature: every signature verifies and every R is distinct', async () => {
    const set = [net.ids[0]!, net.ids[2]!].sort()
    const warm = await signWith(set, [sha256(text('warm 2'))])
    await Promise.all(warm.map((r) => r.refill))
    const digests = Array.from({ length: 4 }, (_, k) => sha256(text(`burst ${k}`)))
    const burst = await Promise.all(digests.map((d, k) => signWith(set, [d], { seed: parties.get(set[k % 2]!)!.key.key.parties.indexOf(set[k % 2]!) })))
    const rs = new Set<string>()
    burst.forEach((results, k) => {
      check(results[0]!.signatures[0]!, digests[k]!)
      rs.add(toHex(results[0]!.signatures[0]!.subarray(0, 32)))
    })
    expect(rs.size).toBe(4)
    // Two coordinators at once may choose the same presignature (each only knows its own picks): then both signings
    // lose it and run all rounds in their next attempt; none fails. (Which ones end up presigned is a race here; the
    // next test pins it down with one coordinator.)
    await Promise.all(burst.flatMap((r) => r.map((x) => x.refill)))
  }, 60_000)

  it('concurrent signings one coordinator runs never pick the same presignature: as many are presigned as the pool holds', async () => {
    const set = [net.ids[0]!, net.ids[2]!].sort()
    const warm = await signWith(set, [sha256(text('warm picks'))])
    await Promise.all(warm.map((r) => r.refill))
    const held = (await idsOf(set[0]!, set)).length
    expect(held).toBe(2)
    const digests = Array.from({ length: 4 }, (_, k) => sha256(text(`one coordinator ${k}`)))
    const seed = parties.get(set[0]!)!.key.key.parties.indexOf(set[0]!)
    const burst = await Promise.all(digests.map((d) => signWith(set, [d], { seed })))
    burst.forEach((results, k) => check(results[0]!.signatures[0]!, digests[k]!))
    expect(burst.filter((r) => r[0]!.presigned).length).toBeGreaterThanOrEqual(held)
    expect(burst.every((r) => r[0]!.attempts === 1)).toBe(true)
    await Promise.all(burst.flatMap((r) => r.map((x) => x.refill)))
  }, 60_000)

  it('a take is recorded in the store before it resolves: a restarted pool never offers it again, and ten takes of one id at once yield it once', async () => {
    const set = [net.ids[0]!, net.ids[1]!].sort()
    const p = parties.get(set[0]!)!
    const [id] = await p.pool.ids(set)
    expect(id).toBeDefined()
    const takes = await Promise.all(Array.from({ length: 10 }, () => p.pool.take(id!, set)))
    expect(takes.filter((t) => t !== undefined)).toHaveLength(1)
    // "crash" here: a new pool over the same store (a restarted party) does not hold it
    const restarted = new PresignaturePool(p.store, publicKey, set[0]!, 2)
    expect((await restarted.ids(set)).map((x) => toHex(x))).not.toContain(toHex(id!))
    expect(await restarted.take(id!, set)).toBeUndefined()
    // The other signer still holds its half, but it is never chosen again: the next signing goes through.
    const digest = sha256(text('after a crash'))
    const after = await signWith(set, [digest])
    check(after[0]!.signatures[0]!, digest)
    await Promise.all(after.map((r) => r.refill))
  }, 60_000)

  it('a party down during the refill: the signing itself is unaffected, the refill adds nothing, and the next signing runs all rounds', async () => {
    const set = [net.ids[1]!, net.ids[2]!].sort()
    const empty = async () => {
      for (const id of set) for (const x of await parties.get(id)!.pool.ids(set)) await parties.get(id)!.pool.take(x, set)
    }
    await empty()
    // The second signer drops every presigning message: as if it went down right after signing.
    const down = parties.get(set[1]!)!.party
    const routers = new Map([[set[1]!, tamperedRouter(down, { send: (m) => (m.round.startsWith('ecdsa/presign/') ? new Uint8Array(0) : undefined) })]])
    const digest = sha256(text('refill fails'))
    const results = await signWith(set, [digest], { routers })
    check(results[0]!.signatures[0]!, digest)
    expect(await Promise.all(results.map((r) => r.refill))).toContain(0)
    const next = await signWith(set, [sha256(text('after'))])
    expect(next[0]!.presigned).toBe(false)
    await Promise.all(next.map((r) => r.refill))
  }, 60_000)

  it('a signer that does not hold the chosen presignature says so, and no signer sends a share of it: the attempt ends there', async () => {
    const set = [net.ids[0]!, net.ids[1]!].sort()
    const [coordinatorId, victimId] = set as [string, string]
    const victim = parties.get(victimId)!
    const coordinator = parties.get(coordinatorId)!
    const warm = await signWith(set, [sha256(text('warm 3'))])
    await Promise.all(warm.map((r) => r.refill))
    const [held] = await victim.pool.ids(set)
    // The coordinator's own half is gone (used, say, by a signing the victim's store forgot when it was
    // restored from an old backup). The test plays that coordinator by hand and still names it.
    await coordinator.pool.take(held!, set)
    const sessionId = nextId('stale')
    let shares = 0
    const routers = new Map([[victimId, tamperedRouter(victim.party, { send: (m) => (m.round === 'ecdsa/online' ? (shares++, undefined) : undefined) })]])
    const play = (async () => {
      const session = coordinator.party.router.open(`${sessionId}/0`, net.ids)
      try {
        const ready = await session.collect('ecdsa/ready', { from: [victimId], timeoutMs: 5_000 })
        expect(ready.get(victimId)).toBeDefined()
        const body: { signers: Uint8Array[]; nonces: Uint8Array[]; presignatures: Uint8Array[]; refill: Uint8Array } = { signers: set.map((p) => text(p)), nonces: [new Uint8Array(32).fill(7), new Uint8Array(32)], presignatures: [held!], refill: Uint8Array.of(0) }
        // the victim's own nonce goes in its place
        const { nonce } = decodeWire<{ nonce: Uint8Array }>(ready.get(victimId)!, victimId, 'ready', { record: { nonce: { bytes: 32 }, presignatures: { list: { bytes: 32 } } } })
        body.nonces[set.indexOf(victimId)] = nonce
        const signature = await coordinator.party.account.sign(packageDigest('zrkit/dkls23/signing-set/v1', session.id, sha256(encodeWire(body))))
        await session.send(victimId, 'ecdsa/package', encodeWire({ ...body, signature }))
        await session.send(victimId, 'ecdsa/presigned', encodeWire({ ok: Uint8Array.of(0) }))
        await new Promise((r) => setTimeout(r, 300))
      } finally {
        session.close()
      }
    })()
    const running = runEcdsaSigning({
      router: routers.get(victimId)!,
      sessionId,
      key: victim.key,
      keyType: 'ecdsa-secp256k1',
      digests: [sha256(text('stale'))],
      account: victim.party.account,
      identityKey: (party) => victim.party.transport.identityKey(party),
      seed: victim.key.key.parties.indexOf(coordinatorId),
      attemptTimeoutMs: 1_000,
      presignatures: victim.pool,
    }).then(
      () => undefined,
      (e: unknown) => e,
    )
    await play
    await running // attempt 0 fails at the consent round; the later attempts have no partner here and fail too
    expect(shares).toBe(0) // no share of the presignature ever left the victim
    expect((await victim.pool.ids(set)).map((x) => toHex(x))).not.toContain(toHex(held!)) // and it is used up there too
  }, 60_000)

  it('a presignature lost to a concurrent signing in every attempt: after the first miss the signers offer none, and the signing completes with all rounds', async () => {
    const set = [net.ids[0]!, net.ids[2]!].sort()
    const warm = await signWith(set, [sha256(text('warm race'))])
    await Promise.all(warm.map((r) => r.refill))
    expect((await idsOf(set[1]!, set)).length).toBeGreaterThan(0)
    // set[1] offers what its store holds, but another signing always takes it first (between offer and take)
    class RacingPool extends PresignaturePool {
      override take(): Promise<undefined> {
        return Promise.resolve(undefined)
      }
    }
    const racing = new RacingPool(parties.get(set[1]!)!.store, publicKey, set[1]!, 2)
    const digest = sha256(text('race every attempt'))
    const results = await signWith(set, [digest], { poolOf: new Map([[set[1]!, racing]]) })
    check(results[0]!.signatures[0]!, digest)
    expect(results.map((r) => r.presigned)).toEqual([false, false])
    expect(results[0]!.attempts).toBeGreaterThan(1)
    await Promise.all(results.map((r) => r.refill))
    // the stand-in wrote to the party's store (its refill): the party's own pool reads the store afresh
    const p = parties.get(set[1]!)!
    p.pool = new PresignaturePool(p.store, publicKey, set[1]!, 2)
  }, 60_000)

  it('pooling off (no pool): every signing runs all rounds', async () => {
    const digest = sha256(text('no pool'))
    const results = await signWith([net.ids[0]!, net.ids[2]!].sort(), [digest], { pools: false })
    expect(results.map((r) => r.presigned)).toEqual([false, false])
    expect(results[0]!.refill).toBeUndefined()
    check(results[0]!.signatures[0]!, digest)
  }, 60_000)

  it('presignatureRefill: 0 asks for no refill (the pool only drains); a value outside 0-2 is refused before anything is sent', async () => {
    const set = [net.ids[0]!, net.ids[2]!].sort()
    const p = parties.get(set[0]!)!
    const bad = runEcdsaSigning({ router: p.party.router, sessionId: nextId('bad'), key: p.key, keyType: 'ecdsa-secp256k1', digests: [sha256(text('x'))], account: p.party.account, identityKey: () => undefined, seed: 0, presignatures: p.pool, presignatureRefill: 3 })
    await expect(bad).rejects.toThrow(/presignatureRefill: expected an integer from 0 to 2, got 3/)
    const before = (await idsOf(set[0]!, set)).length
    const sessionId = nextId('no-refill')
    const results = await Promise.all(
      set.map((id) => {
        const q = parties.get(id)!
        return runEcdsaSigning({ router: q.party.router, sessionId, key: q.key, keyType: 'ecdsa-secp256k1', digests: [sha256(text('no refill'))], account: q.party.account, identityKey: (x) => q.party.transport.identityKey(x), seed: q.key.key.parties.indexOf(set[0]!), attemptTimeoutMs: 5_000, presignatures: q.pool, presignatureRefill: 0 })
      }),
    )
    expect(results.every((r) => r.refill === undefined)).toBe(true)
    if (before > 0) expect((await idsOf(set[0]!, set)).length).toBe(before - 1)
  }, 60_000)

  it('the stored pool is the wire encoding of its presignatures, oldest first, after every add and take', async () => {
    const store = memorySecretStore()
    const key = secp256k1.getPublicKey(sha256(text('pool format key')), true)
    const made = Array.from({ length: 6 }, (_, i) => ({
      id: sha256(text(`presignature ${i}`)),
      self: 'p1',
      signers: i % 2 ? ['p1', 'p3'] : ['p1', 'p2'],
      publicKey: key,
      instancePoint: secp256k1.getPublicKey(sha256(text(`R ${i}`)), true),
      phi: BigInt(1000 + i),
      u: BigInt(2000 + i) << 200n,
      v: BigInt(3000 + i),
    }))
    const scalar = (n: bigint) => Uint8Array.from(Buffer.from(n.toString(16).padStart(64, '0'), 'hex'))
    const expected = (list: typeof made) =>
      encodeWire({
        presignatures: list.map((p) => ({ id: p.id, self: text(p.self), signers: p.signers.map(text), publicKey: p.publicKey, instancePoint: p.instancePoint, phi: scalar(p.phi), u: scalar(p.u), v: scalar(p.v) })),
      })
    const pool = new PresignaturePool(store, key, 'p1', 16)
    await pool.add(made.slice(0, 4))
    expect(await store.get(presignatureStoreName(key))).toEqual(expected(made.slice(0, 4)))
    await pool.take(made[1]!.id, made[1]!.signers)
    await pool.add(made.slice(4))
    await pool.take(made[0]!.id, made[0]!.signers)
    const left = [made[2]!, made[3]!, made[4]!, made[5]!]
    expect(await store.get(presignatureStoreName(key))).toEqual(expected(left))
    // a pool opened afresh on the store (a restart) holds exactly those, and takes them
    const reopened = new PresignaturePool(store, key, 'p1', 16)
    expect(await reopened.allIds(10)).toEqual(left.map((p) => p.id))
    const again = await reopened.take(made[3]!.id, made[3]!.signers)
    expect(again).toEqual(made[3])
    for (const p of [made[5]!, made[2]!, made[4]!]) expect(await reopened.take(p.id, p.signers)).toEqual(p)
    expect(await store.get(presignatureStoreName(key))).toEqual(expected([]))
  })

  it('the pool refuses a bad size and a presignature of another key or party (typed errors)', async () => {
    expect(() => new PresignaturePool(memorySecretStore(), publicKey, 'x', 65)).toThrow(/presignaturesPerSet: expected an integer from 0 to 64, got number 65/)
    expect(() => new PresignaturePool(memorySecretStore(), publicKey, 'x', -1)).toThrow(/got number -1/)
    const p = parties.get(net.ids[0]!)!
    const other = new PresignaturePool(memorySecretStore(), publicKey, 'someone-else', 2)
    const [id] = await p.pool.allIds(1)
    if (id) {
      const taken = await p.pool.take(id, (await p.pool.signersOf(id)) ?? [])
      if (taken) await expect(other.add([taken])).rejects.toThrow(/Not a presignature of this pool/)
    }
    expect(presignatureStoreName(publicKey)).toBe(`ecdsa-presig/${toHex(publicKey)}`)
  })
})
