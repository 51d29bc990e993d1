/**
 * zrkit's DKLs23 threshold ECDSA signing (Protocol 3.6): t-of-n signatures verified by noble and by
 * OpenSSL (node:crypto), recovery ids, tweaked (derived) keys, and aborts that name a cheating party.
 *
 * The dealer below is test-only: it Shamir-shares a random key; only the test knows the key.
 */
import crypto from 'node:crypto'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { isZrError } from '@zrkit/core'
import { describe, expect, it } from 'vitest'
import { type BaseOtReceiverOutput, type BaseOtSenderOutput, BaseOtReceiver, BaseOtSender, randomScalar } from './ot/baseOt.js'
import { OtExtensionReceiver, OtExtensionSender } from './ot/otExtension.js'
import { CURVE_ORDER, parsePoint, pointToBytes, scalarToBytes } from './ot/transcript.js'
import { type DklsPairSetup, type DklsPresignature, type DklsSignBroadcast, type DklsSignMsg1, type DklsSignMsg2, DklsOnlineSigner, DklsPresignSession, DklsSignSession, lagrangeAtZero } from './sign.js'

type Point = InstanceType<typeof secp256k1.Point>
const G = secp256k1.Point.BASE
const n = CURVE_ORDER

// ---- test-only dealer -------------------------------------------------------------------------

type Party = { id: string; index: bigint; share: bigint }
function deal(t: number, count: number): { parties: Party[]; X: Point; key: bigint } {
  const coeffs = Array.from({ length: t }, () => randomScalar())
  const evalAt = (x: bigint) => coeffs.reduceRight((acc, c) => (acc * x + c) % n, 0n)
  const parties = Array.from({ length: count }, (_, k) => ({ id: `p${k + 1}`, index: BigInt(k + 1), share: evalAt(BigInt(k + 1)) }))
  const key = coeffs[0] as bigint
  return { parties, X: G.multiply(key), key }
}

// ---- pairwise setups: one real base OT per ordered pair, cached; fresh OT-extension objects per use

const baseCache = new Map<string, { s: BaseOtSenderOutput; r: BaseOtReceiverOutput }>()
function baseOt(bobId: string, aliceId: string): { s: BaseOtSenderOutput; r: BaseOtReceiverOutput } {
  const key = `${bobId}>${aliceId}`
  let out = baseCache.get(key)
  if (!out) {
    const ctx = { sessionId: randomBytes(32), senderId: bobId, receiverId: aliceId }
    const sender = new BaseOtSender(ctx)
    const receiver = new BaseOtReceiver(ctx)
    const m2 = receiver.round1(sender.round1())
    const m4 = receiver.round2(sender.round2(m2))
    const { message: m5, output: s } = sender.round3(m4)
    out = { s, r: receiver.round3(m5) }
    baseCache.set(key, out)
  }
  return out
}
const copyS = (s: BaseOtSenderOutput): BaseOtSenderOutput => ({ ...s, seeds0: s.seeds0.map((x) => x.slice()), seeds1: s.seeds1.map((x) => x.slice()) })
const copyR = (r: BaseOtReceiverOutput): BaseOtReceiverOutput => ({ ...r, choiceBits: r.choiceBits.slice(), seeds: r.seeds.map((x) => x.slice()) })

function pairSetups(ids: readonly string[]): Map<string, Map<string, DklsPairSetup>> {
  const seeds = new Map<string, Uint8Array>()
  const seedFor = (a: string, b: string) => {
    const k = a < b ? `${a}|${b}` : `${b}|${a}`
    if (!seeds.has(k)) seeds.set(k, randomBytes(32))
    return seeds.get(k) as Uint8Array
  }
  const out = new Map<string, Map<string, DklsPairSetup>>()
  for (const i of ids) {
    const m = new Map<string, DklsPairSetup>()
    for (const j of ids) {
      if (j === i) continue
      m.set(j, {
        bob: OtExtensionReceiver.fromBaseOt(copyS(baseOt(i, j).s)),
        alice: OtExtensionSender.fromBaseOt(copyR(baseOt(j, i).r)),
        zeroSeed: seedFor(i, j),
      })
    }
    out.set(i, m)
  }
  return out
}

// ---- in-memory driver ---------------------------------------------------------------------------

type Tamper = {
  msg1?: (from: string, to: string, m: DklsSignMsg1) => DklsSignMsg1
  msg2?: (from: string, to: string, m: DklsSignMsg2) => DklsSignMsg2
  bcast?: (from: string, to: string, m: DklsSignBroadcast) => DklsSignBroadcast
  share?: (id: string, share: bigint) => bigint
}
type RunResult = { sigs: Map<string, Uint8Array>; errors: Map<string, unknown>; pairs: Map<string, Map<string, DklsPairSetup>> }

function runSigning(signers: readonly Party[], X: Point, digest: Uint8Array, opts: { tweak?: bigint; tamper?: Tamper } = {}): RunResult {
  const ids = signers.map((p) => p.id)
  const pairs = pairSetups(ids)
  const sessionId = randomBytes(32)
  const info = signers.map((p) => ({ id: p.id, index: p.index }))
  const sessions = new Map(
    signers.map((p) => [
      p.id,
      new DklsSignSession({
        id: p.id,
        signers: info,
        share: opts.tamper?.share ? opts.tamper.share(p.id, p.share) : p.share,
        publicKey: X.toBytes(true),
        pairs: pairs.get(p.id) as Map<string, DklsPairSetup>,
        sessionId,
        digest,
        ...(opts.tweak !== undefined ? { tweak: opts.tweak } : {}),
      }),
    ]),
  )
  const errors = new Map<string, unknown>()
  const sigs = new Map<string, Uint8Array>()
  const step = <O>(fn: (id: string, s: DklsSignSession) => O): Map<string, O> => {
    const out = new Map<string, O>()
    for (const [id, s] of sessions) {
      try {
        out.set(id, fn(id, s))
      } catch (e) {
        errors.set(id, e)
      }
    }
    return out
  }
  /** Routes per-recipient messages: inbox[to] = Map(from -> msg). */
  const route = <M>(outs: Map<string, Map<string, M>>, tamper?: (from: string, to: string, m: M) => M) => {
    const inbox = new Map<string, Map<string, M>>(ids.map((id) => [id, new Map()]))
    for (const [from, per] of outs) for (const [to, m] of per) inbox.get(to)?.set(from, tamper ? tamper(from, to, m) : m)
    return inbox
  }
  const r1 = step((_, s) => s.round1())
  if (errors.size) return { sigs, errors, pairs }
  const in1 = route(r1, opts.tamper?.msg1)
  const r2 = step((id, s) => s.round2(in1.get(id) as Map<string, DklsSignMsg1>))
  if (errors.size) return { sigs, errors, pairs }
  const in2 = route(r2, opts.tamper?.msg2)
  const r3 = step((id, s) => s.round3(in2.get(id) as Map<string, DklsSignMsg2>))
  if (errors.size) return { sigs, errors, pairs }
  const bc = new Map<string, Map<string, DklsSignBroadcast>>()
  for (const [from, b] of r3) bc.set(from, new Map(ids.filter((to) => to !== from).map((to) => [to, b])))
  const in3 = route(bc, opts.tamper?.bcast)
  for (const [id, sig] of step((id, s) => s.finish(in3.get(id) as Map<string, DklsSignBroadcast>))) sigs.set(id, sig)
  return { sigs, errors, pairs }
}

// ---- verification ---------------------------------------------------------------------------------

const SPKI_SECP256K1_PREFIX = Uint8Array.from(Buffer.from('3056301006072a8648ce3d020106052b8104000a034200', 'hex'))
const spki = (P: Point) => Buffer.concat([SPKI_SECP256K1_PREFIX, P.toBytes(false)])

/** Random message whose SHA-256 is the digest to sign (so that OpenSSL can check it, see below). */
function randomDigest(): { message: Uint8Array; digest: Uint8Array } {
  const message = randomBytes(48)
  return { message, digest: sha256(message) }
}

/**
 * Checks a 65-byte r||s||v over `digest` (= sha256(message)) under P:
 *  - noble verify (prehash off, low S enforced);
 *  - OpenSSL via node:crypto: node's `crypto.verify` always hashes its input (with algorithm null it
 *    uses SHA-256 for EC keys), it has no raw-digest ECDSA verify, so the test signs digests that are
 *    SHA-256 of a known message and lets OpenSSL verify `message` with 'sha256' (IEEE P1363 r||s);
 *  - the recovery id: recovering from (r, s, v) gives P.
 */
function expectValid(rsv: Uint8Array, message: Uint8Array, digest: Uint8Array, P: Point): void {
  expect(rsv.length).toBe(65)
  const rs = rsv.subarray(0, 64)
  const v = rsv[64] as number
  expect(v === 0 || v === 1).toBe(true)
  expect(secp256k1.verify(rs, digest, P.toBytes(true), { prehash: false, lowS: true })).toBe(true)
  const key = crypto.createPublicKey({ key: spki(P), format: 'der', type: 'spki' })
  expect(crypto.verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, rs)).toBe(true)
  const recovered = secp256k1.Signature.fromBytes(rs, 'compact').addRecoveryBit(v).recoverPublicKey(digest)
  expect(recovered.equals(P)).toBe(true)
}

function expectAbortNaming(r: RunResult, victims: readonly string[], cheater: string): void {
  expect(r.sigs.size).toBe(0)
  for (const v of victims) {
    const e = r.errors.get(v)
    expect(isZrError(e, 'MPC_ABORT'), String(e)).toBe(true)
    expect((e as { meta: Record<string, unknown> }).meta.party).toBe(cheater)
  }
}

const subsets = <T>(xs: readonly T[], k: number): T[][] =>
  k === 0 ? [[]] : xs.flatMap((x, i) => subsets(xs.slice(i + 1), k - 1).map((rest) => [x, ...rest]))

// ---- tests -----------------------------------------------------------------------------------------

describe('DKLs23 threshold ECDSA signing', () => {
  it('Lagrange coefficients at 0 recombine Shamir shares (test dealer sanity)', () => {
    const { parties, key } = deal(3, 5)
    for (const S of subsets(parties, 3)) {
      const idx = S.map((p) => p.index)
      expect(S.reduce((acc, p) => (acc + lagrangeAtZero(p.index, idx) * p.share) % n, 0n)).toBe(key)
    }
  })

  it('2-of-2 signs random digests (noble, OpenSSL, recovery id)', () => {
    const { parties, X } = deal(2, 2)
    for (let k = 0; k < 3; k++) {
      const { message, digest } = randomDigest()
      const { sigs, errors } = runSigning(parties, X, digest)
      expect(errors.size).toBe(0)
      const sig = sigs.get('p1') as Uint8Array
      expect(sigs.get('p2')).toEqual(sig)
      expectValid(sig, message, digest, X)
    }
  })

  it('2-of-3 signs with every signer subset; timing print', () => {
    const { parties, X } = deal(2, 3)
    pairSetups(parties.map((p) => p.id)) // warm the base-OT cache so the timing covers signing only
    for (const S of subsets(parties, 2)) {
      const { message, digest } = randomDigest()
      const t0 = performance.now()
      const { sigs, errors } = runSigning(S, X, digest)
      const t1 = performance.now()
      if (S[0]?.id === 'p1' && S[1]?.id === 'p2') console.log(`[timing] one 2-of-3 DKLs23 signature (both signers, all rounds, in memory): ${(t1 - t0).toFixed(0)} ms`)
      expect(errors.size).toBe(0)
      expect(sigs.size).toBe(2)
      for (const sig of sigs.values()) expectValid(sig, message, digest, X)
    }
  })

  it('3-of-5 signs with one signer subset', () => {
    const { parties, X } = deal(3, 5)
    const S = [parties[1], parties[3], parties[4]] as Party[]
    const { message, digest } = randomDigest()
    const { sigs, errors } = runSigning(S, X, digest)
    expect(errors.size).toBe(0)
    expect(new Set([...sigs.values()].map((s) => Buffer.from(s).toString('hex'))).size).toBe(1)
    expectValid(sigs.get('p2') as Uint8Array, message, digest, X)
  })

  it('a tweaked (derived) key signs under X + t*G, not under X', () => {
    const { parties, X } = deal(2, 3)
    const tweak = randomScalar()
    const child = X.add(G.multiply(tweak))
    const { message, digest } = randomDigest()
    const { sigs, errors } = runSigning([parties[0], parties[2]] as Party[], X, digest, { tweak })
    expect(errors.size).toBe(0)
    const sig = sigs.get('p1') as Uint8Array
    expectValid(sig, message, digest, child)
    expect(secp256k1.verify(sig.subarray(0, 64), digest, X.toBytes(true), { prehash: false })).toBe(false)
  })

  describe('a cheating party is caught and no signature is produced', () => {
    const { parties, X } = deal(2, 3)
    const S = [parties[0], parties[1], parties[2]].slice(0, 2) as Party[] // p1, p2
    const cheater = 'p2'
    const victim = 'p1'
    const flipLast = (b: Uint8Array) => {
      const c = b.slice()
      c[c.length - 1] = (c[c.length - 1] as number) ^ 1
      return c
    }
    const shift = (p: Uint8Array) => pointToBytes(parsePoint(p).add(G))

    const named: [string, Tamper][] = [
      ['wrong decommitment (salt)', { msg2: (f, _t, m) => (f === cheater ? { ...m, salt: flipLast(m.salt) } : m) }],
      ['wrong decommitment (other R)', { msg2: (f, _t, m) => (f === cheater ? { ...m, instancePoint: shift(m.instancePoint) } : m) }],
      ['wrong commitment', { msg1: (f, _t, m) => (f === cheater ? { ...m, commitment: flipLast(m.commitment) } : m) }],
      ['tampered multiplication reply (check value r)', { msg2: (f, _t, m) => (f === cheater ? { ...m, mul: { ...m.mul, r: flipLast(m.mul.r) } } : m) }],
      ['wrong multiplication output (Gamma^u)', { msg2: (f, _t, m) => (f === cheater ? { ...m, gammaU: shift(m.gammaU) } : m) }],
      ['wrong multiplication output (Gamma^v)', { msg2: (f, _t, m) => (f === cheater ? { ...m, gammaV: shift(m.gammaV) } : m) }],
      ['public share inconsistent with its multiplication input', { msg2: (f, _t, m) => (f === cheater ? { ...m, publicShare: shift(m.publicShare) } : m) }],
      ['malformed psi (not below n)', { msg2: (f, _t, m) => (f === cheater ? { ...m, psi: new Uint8Array(32).fill(0xff) } : m) }],
    ]
    for (const [name, tamper] of named) {
      it(`${name}: the victim names the cheater and burns both OT setups with it`, () => {
        const r = runSigning(S, X, randomDigest().digest, { tamper })
        expectAbortNaming(r, [victim], cheater)
        const pair = r.pairs.get(victim)?.get(cheater) as DklsPairSetup
        expect(pair.bob.burned && pair.alice.burned).toBe(true)
      })
    }

    // A field of the wrong size from a peer: named like any other cheat, with a MALFORMED_MESSAGE cause that says
    // what was expected and what arrived (the party's own inputs are INVALID_INPUT; a peer's bytes are not).
    const malformed: [string, Tamper, RegExp][] = [
      ['a 31-byte salt', { msg2: (f, _t, m) => (f === cheater ? { ...m, salt: m.salt.subarray(1) } : m) }, /salt: expected 32 bytes, got 31 bytes/],
      ['a 32-byte instance point', { msg2: (f, _t, m) => (f === cheater ? { ...m, instancePoint: m.instancePoint.subarray(1) } : m) }, /expected a 33-byte compressed point, got 32 bytes/],
      ['a short tau', { msg2: (f, _t, m) => (f === cheater ? { ...m, mul: { ...m.mul, tau: m.mul.tau.subarray(32) } } : m) }, /tau: expected \d+ bytes, got \d+ bytes/],
      ['a short OT-extension u', { msg1: (f, _t, m) => (f === cheater ? { ...m, mul: { ote: { ...m.mul.ote, u: m.mul.ote.u.subarray(1) } } } : m) }, /u: expected \d+ bytes, got \d+ bytes/],
    ]
    for (const [name, tamper, says] of malformed) {
      it(`${name} from a peer: named, with a MALFORMED_MESSAGE cause saying what was expected and what arrived`, () => {
        const r = runSigning(S, X, randomDigest().digest, { tamper })
        expectAbortNaming(r, [victim], cheater)
        let cause: unknown = r.errors.get(victim)
        while (cause instanceof Error && !isZrError(cause, 'MALFORMED_MESSAGE')) cause = cause.cause
        expect(isZrError(cause, 'MALFORMED_MESSAGE'), String(r.errors.get(victim))).toBe(true)
        expect((cause as Error).message).toMatch(says)
      })
    }

    it('tampered multiplication message from Bob (round 1): Alice names it in round 2', () => {
      const r = runSigning(S, X, randomDigest().digest, {
        tamper: { msg1: (f, _t, m) => (f === cheater ? { ...m, mul: { ote: { ...m.mul.ote, tTilde: flipLast(m.mul.ote.tTilde) } } } : m) },
      })
      expectAbortNaming(r, [victim], cheater)
      const pair = r.pairs.get(victim)?.get(cheater) as DklsPairSetup
      expect(pair.alice.burned && pair.bob.burned).toBe(true)
    })

    const unattributed: [string, Tamper, readonly Party[]][] = [
      ['wrong final value w', { bcast: (f, _t, m) => (f === cheater ? { ...m, w: scalarToBytes(randomScalar()) } : m) }, S],
      ['wrong final value u', { bcast: (f, _t, m) => (f === cheater ? { ...m, u: scalarToBytes(randomScalar()) } : m) }, S],
      ['inconsistent inversion mask (psi)', { msg2: (f, _t, m) => (f === cheater ? { ...m, psi: scalarToBytes(randomScalar()) } : m) }, S],
      ['wrong key share, used consistently', { share: (id, s) => (id === cheater ? (s + 1n) % n : s) }, S],
    ]
    for (const [name, tamper, set] of unattributed) {
      it(`${name}: honest signers abort (DKLs23 cannot attribute this step; meta.suspects lists the others)`, () => {
        const r = runSigning(set, X, randomDigest().digest, { tamper })
        const e = r.errors.get(victim)
        expect(isZrError(e, 'MPC_ABORT'), String(e)).toBe(true)
        expect((e as { meta: Record<string, unknown> }).meta.suspects).toEqual([cheater])
        expect(r.sigs.has(victim)).toBe(false)
        // OT setups stay usable: the failure does not reveal any OT secret
        const pair = r.pairs.get(victim)?.get(cheater) as DklsPairSetup
        expect(pair.bob.burned || pair.alice.burned).toBe(false)
      })
    }
  })

  it('refuses bad inputs and out-of-order calls', () => {
    const { parties, X } = deal(2, 2)
    const pairs = pairSetups(['p1', 'p2'])
    const base = {
      id: 'p1',
      signers: parties.map((p) => ({ id: p.id, index: p.index })),
      share: (parties[0] as Party).share,
      publicKey: X.toBytes(true),
      pairs: pairs.get('p1') as Map<string, DklsPairSetup>,
      sessionId: randomBytes(32),
      digest: randomBytes(32),
    }
    const swapped = new Map([['p2', { ...(pairs.get('p1')?.get('p2') as DklsPairSetup), bob: (pairs.get('p2')?.get('p1') as DklsPairSetup).bob }]])
    for (const bad of [
      { digest: randomBytes(31) },
      { sessionId: randomBytes(8) },
      { share: 0n },
      { share: n },
      { tweak: n },
      { id: 'p9' },
      { signers: [{ id: 'p1', index: 1n }] },
      { signers: [{ id: 'p1', index: 1n }, { id: 'p2', index: 1n }] },
      { pairs: new Map() },
      { pairs: swapped },
      { publicKey: new Uint8Array(33) },
    ]) {
      expect(() => new DklsSignSession({ ...base, ...bad } as never), JSON.stringify(Object.keys(bad))).toThrow()
    }
    const s = new DklsSignSession(base)
    expect(() => s.round2(new Map())).toThrow(/out of order/)
    s.round1()
    expect(() => s.round1()).toThrow(/out of order/)
    expect(() => s.round2(new Map())).toThrow(/no message from p2/)
  })
})

// ---- presigning: rounds 1 to 3 before the message, one online round after it ----------------------

/** Runs presigning among `signers` (no digest): each signer's presignature, or the errors. */
function runPresigning(signers: readonly Party[], X: Point): Map<string, DklsPresignature> {
  const ids = signers.map((p) => p.id)
  const pairs = pairSetups(ids)
  const sessionId = randomBytes(32)
  const info = signers.map((p) => ({ id: p.id, index: p.index }))
  const sessions = new Map(signers.map((p) => [p.id, new DklsPresignSession({ id: p.id, signers: info, share: p.share, publicKey: X.toBytes(true), pairs: pairs.get(p.id) as Map<string, DklsPairSetup>, sessionId })]))
  const route = <M>(outs: Map<string, Map<string, M>>) => {
    const inbox = new Map<string, Map<string, M>>(ids.map((id) => [id, new Map()]))
    for (const [from, per] of outs) for (const [to, m] of per) inbox.get(to)?.set(from, m)
    return inbox
  }
  const in1 = route(new Map([...sessions].map(([id, s]) => [id, s.round1()])))
  const in2 = route(new Map([...sessions].map(([id, s]) => [id, s.round2(in1.get(id) as Map<string, DklsSignMsg1>)])))
  return new Map([...sessions].map(([id, s]) => [id, s.round3(in2.get(id) as Map<string, DklsSignMsg2>)]))
}

/** The online round over presignatures: every signer's share, then every signer's combined signature. */
function runOnline(presigs: Map<string, DklsPresignature>, digest: Uint8Array, tweak?: bigint): Map<string, Uint8Array> {
  const signers = new Map([...presigs].map(([id, p]) => [id, new DklsOnlineSigner(p, { digest, ...(tweak !== undefined ? { tweak } : {}) })]))
  const shares = new Map([...signers].map(([id, s]) => [id, s.share()]))
  return new Map([...signers].map(([id, s]) => [id, s.finish(new Map([...shares].filter(([from]) => from !== id)))]))
}

describe('DKLs23 presigning: everything but the message ahead of time, one online round', () => {
  it('2-of-3 and 3-of-5: presignatures made before the digest is known give signatures noble and OpenSSL accept; the online round costs a fraction of a full signing', () => {
    for (const [t, count] of [[2, 3], [3, 5]] as const) {
      const { parties, X } = deal(t, count)
      const S = parties.slice(0, t)
      const presigs = runPresigning(S, X)
      for (const p of presigs.values()) expect(p.signers).toEqual(S.map((s) => s.id).sort())
      const { message, digest } = randomDigest()
      const t0 = performance.now()
      const sigs = runOnline(presigs, digest)
      const t1 = performance.now()
      console.log(`[timing] online ${t}-of-${count} DKLs23 round over presignatures (all signers, in memory): ${(t1 - t0).toFixed(1)} ms`)
      expect(new Set([...sigs.values()].map((s) => Buffer.from(s).toString('hex'))).size).toBe(1)
      expectValid(sigs.get('p1') as Uint8Array, message, digest, X)
    }
  })

  it('a derived key signs with a presignature made for the parent key: the tweak is applied online', () => {
    const { parties, X } = deal(2, 3)
    const presigs = runPresigning([parties[0], parties[2]] as Party[], X)
    const tweak = randomScalar()
    const child = X.add(G.multiply(tweak))
    const { message, digest } = randomDigest()
    const sig = runOnline(presigs, digest, tweak).get('p1') as Uint8Array
    expectValid(sig, message, digest, child)
    expect(secp256k1.verify(sig.subarray(0, 64), digest, X.toBytes(true), { prehash: false })).toBe(false)
  })

  it('the nonce is re-randomized by the message: one presignature gives a different R for another digest or tweak, so no R is fixed before the message', () => {
    const { parties, X } = deal(2, 2)
    const presigs = runPresigning(parties, X)
    const p1 = presigs.get('p1') as DklsPresignature
    const rOf = (digest: Uint8Array, tweak?: bigint) => {
      const sig = runOnline(new Map([...presigs].map(([id, p]) => [id, { ...p }])), digest, tweak).get('p1') as Uint8Array
      return Buffer.from(sig.subarray(0, 32)).toString('hex')
    }
    const d = randomDigest().digest
    const r = rOf(d)
    expect(rOf(randomDigest().digest)).not.toBe(r)
    expect(rOf(d, 5n)).not.toBe(r)
    expect(r).not.toBe(Buffer.from(parsePoint(p1.instancePoint).toAffine().x.toString(16).padStart(64, '0'), 'hex').toString('hex'))
  })

  it('an online signer makes one share, once: a second share from the same signer is refused', () => {
    const { parties, X } = deal(2, 2)
    const presig = runPresigning(parties, X).get('p1') as DklsPresignature
    const signer = new DklsOnlineSigner(presig, { digest: randomDigest().digest })
    signer.share()
    expect(() => signer.share()).toThrow(/one signature share, once/)
  })

  it('refuses bad online input: a digest of the wrong size, a tweak out of range, something that is not a presignature', () => {
    const { parties, X } = deal(2, 2)
    const presig = runPresigning(parties, X).get('p1') as DklsPresignature
    for (const [params, what] of [
      [{ digest: new Uint8Array(31) }, /digest must be 32 bytes/],
      [{ digest: new Uint8Array(32), tweak: n }, /tweak must be in \[0, n\)/],
    ] as const) {
      try {
        new DklsOnlineSigner(presig, params as { digest: Uint8Array; tweak?: bigint })
        throw new Error('accepted')
      } catch (e) {
        expect(isZrError(e, 'INVALID_INPUT'), String(e)).toBe(true)
        expect((e as Error).message).toMatch(what)
      }
    }
    for (const bad of [{ ...presig, id: new Uint8Array(3) }, { ...presig, self: 'p9' }, { ...presig, u: n }, { ...presig, publicKey: new Uint8Array(33) }]) {
      expect(() => new DklsOnlineSigner(bad, { digest: new Uint8Array(32) })).toThrow()
    }
  })
})
