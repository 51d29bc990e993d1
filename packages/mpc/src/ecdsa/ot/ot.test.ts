/**
 * zrkit's OT layer for DKLs23: transcript binding, VSOT base OTs, KOS15 extension with its
 * consistency check, and the burn-on-failure rule.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { isZrError } from '@zrkit/core'
import { describe, expect, it } from 'vitest'
import {
  type BaseOtContext,
  type BaseOtReceiverOutput,
  type BaseOtSenderOutput,
  BaseOtReceiver,
  BaseOtSender,
  KAPPA,
  getBit,
  randomScalar,
} from './baseOt.js'
import {
  COL_BYTES,
  OT_BATCH,
  OT_EXTENDED,
  OtExtensionReceiver,
  OtExtensionSender,
  gf256Mul,
  inconsistentReceiverMessage,
  rerunBaseOtContext,
} from './otExtension.js'
import { CURVE_ORDER, Transcript, parsePoint, parseScalar, scalarToBytes } from './transcript.js'

const G = secp256k1.Point.BASE
const flip = (b: Uint8Array, i: number, mask: number) => {
  b[i] = (b[i] as number) ^ mask
}
const eq = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i])
const ctx = (senderId = 'alice', receiverId = 'bob'): BaseOtContext => ({ sessionId: randomBytes(32), senderId, receiverId })

function runBaseOt(c: BaseOtContext, choice?: Uint8Array): { s: BaseOtSenderOutput; r: BaseOtReceiverOutput } {
  const sender = new BaseOtSender(c)
  const receiver = new BaseOtReceiver(c, choice)
  const m1 = sender.round1()
  const m2 = receiver.round1(m1)
  const m3 = sender.round2(m2)
  const m4 = receiver.round2(m3)
  const { message: m5, output: s } = sender.round3(m4)
  const r = receiver.round3(m5)
  return { s, r }
}

function expectAbort(fn: () => unknown, party?: string): void {
  try {
    fn()
  } catch (e) {
    expect(isZrError(e, 'MPC_ABORT'), String(e)).toBe(true)
    if (party !== undefined) expect((e as { meta: Record<string, unknown> }).meta.party).toBe(party)
    return
  }
  throw new Error('expected MPC_ABORT')
}

describe('transcript', () => {
  const base = () => new Transcript('test/v1').sessionId(Uint8Array.of(1, 2, 3)).partyId('sender', 'p1').partyId('receiver', 'p2')
  const P = G.multiply(7n)

  it('is deterministic and sensitive to every value, label, order and boundary', () => {
    const ref = base().point('B', P).scalar('z', 5n).bytes('m', Uint8Array.of(1, 2)).challengeScalar('c')
    expect(base().point('B', P).scalar('z', 5n).bytes('m', Uint8Array.of(1, 2)).challengeScalar('c')).toBe(ref)
    const variants: bigint[] = [
      base().point('B', G.multiply(8n)).scalar('z', 5n).bytes('m', Uint8Array.of(1, 2)).challengeScalar('c'),
      base().point('B', P).scalar('z', 6n).bytes('m', Uint8Array.of(1, 2)).challengeScalar('c'),
      base().point('B', P).scalar('z', 5n).bytes('m', Uint8Array.of(1, 3)).challengeScalar('c'),
      base().point('C', P).scalar('z', 5n).bytes('m', Uint8Array.of(1, 2)).challengeScalar('c'),
      base().point('B', P).scalar('y', 5n).bytes('m', Uint8Array.of(1, 2)).challengeScalar('c'),
      base().point('B', P).scalar('z', 5n).bytes('m', Uint8Array.of(1, 2)).challengeScalar('d'),
      base().scalar('z', 5n).point('B', P).bytes('m', Uint8Array.of(1, 2)).challengeScalar('c'),
      new Transcript('test/v2').sessionId(Uint8Array.of(1, 2, 3)).partyId('sender', 'p1').partyId('receiver', 'p2').point('B', P).scalar('z', 5n).bytes('m', Uint8Array.of(1, 2)).challengeScalar('c'),
      new Transcript('test/v1').sessionId(Uint8Array.of(1, 2, 4)).partyId('sender', 'p1').partyId('receiver', 'p2').point('B', P).scalar('z', 5n).bytes('m', Uint8Array.of(1, 2)).challengeScalar('c'),
      new Transcript('test/v1').sessionId(Uint8Array.of(1, 2, 3)).partyId('sender', 'p2').partyId('receiver', 'p1').point('B', P).scalar('z', 5n).bytes('m', Uint8Array.of(1, 2)).challengeScalar('c'),
    ]
    for (const v of variants) expect(v).not.toBe(ref)
    expect(new Set(variants).size).toBe(variants.length)
  })

  it('separates boundaries and kinds', () => {
    const ch = (t: Transcript) => t.challengeBytes('c', 32)
    const te = new TextEncoder()
    const abc = ch(new Transcript('d').bytes('x', te.encode('ab')).bytes('x', te.encode('c')))
    expect(eq(abc, ch(new Transcript('d').bytes('x', te.encode('a')).bytes('x', te.encode('bc'))))).toBe(false)
    expect(eq(abc, ch(new Transcript('d').bytes('x', te.encode('abc'))))).toBe(false)
    // label/value boundary: label "xa" + "b" vs label "x" + "ab"
    expect(eq(ch(new Transcript('d').bytes('xa', te.encode('b'))), ch(new Transcript('d').bytes('x', te.encode('ab'))))).toBe(false)
    // same bytes under a different kind
    expect(eq(ch(new Transcript('d').text('x', 'ab')), ch(new Transcript('d').bytes('x', te.encode('ab'))))).toBe(false)
    // domain vs first record
    expect(eq(ch(new Transcript('dx').bytes('', new Uint8Array())), ch(new Transcript('d').bytes('x', new Uint8Array())))).toBe(false)
  })

  it('derives in-range scalars, successive challenges differ, clones are independent', () => {
    const t = base()
    const c = t.clone()
    const a = t.challengeScalar('c')
    const b = t.challengeScalar('c')
    expect(a).not.toBe(b)
    expect(c.challengeScalar('c')).toBe(a)
    for (const s of base().challengeScalars('many', 50)) expect(s > 0n && s < CURVE_ORDER).toBe(true)
    expect(base().challengeBytes('long', 1000).length).toBe(1000)
  })

  it('refuses out-of-range scalars, off-curve and identity points', () => {
    expect(() => scalarToBytes(CURVE_ORDER)).toThrow()
    expect(() => parseScalar(scalarToBytes(CURVE_ORDER - 1n).map((x) => 0xff))).toThrow()
    expect(parseScalar(scalarToBytes(CURVE_ORDER - 1n))).toBe(CURVE_ORDER - 1n)
    expect(() => parsePoint(new Uint8Array(33))).toThrow()
    expect(() => parsePoint(Uint8Array.of(0))).toThrow()
    const offCurve = new Uint8Array(33)
    offCurve[0] = 2
    offCurve[32] = 5 // x = 5: x^3 + 7 = 132 is not a square mod p
    expect(() => parsePoint(offCurve)).toThrow()
    expect(() => new Transcript('d').point('P', secp256k1.Point.ZERO)).toThrow()
    expect(parsePoint(G.toBytes(true)).equals(G)).toBe(true)
  })
})

describe('GF(2^256)', () => {
  it('is a commutative ring with 1, reducing x^256 to x^10 + x^5 + x^2 + 1', () => {
    const one = new Uint8Array(32)
    one[0] = 1
    const a = randomBytes(32)
    const b = randomBytes(32)
    const c = randomBytes(32)
    expect(eq(gf256Mul(a, one), a)).toBe(true)
    expect(eq(gf256Mul(a, b), gf256Mul(b, a))).toBe(true)
    const bc = b.map((x, i) => x ^ (c[i] as number))
    const lhs = gf256Mul(a, bc)
    const rhs = gf256Mul(a, b).map((x, i) => x ^ (gf256Mul(a, c)[i] as number))
    expect(eq(lhs, rhs)).toBe(true)
    expect(eq(gf256Mul(gf256Mul(a, b), c), gf256Mul(a, gf256Mul(b, c)))).toBe(true)
    const x255 = new Uint8Array(32)
    x255[31] = 0x80
    const x1 = new Uint8Array(32)
    x1[0] = 2
    const expected = new Uint8Array(32)
    expected[0] = 0b00100101 // x^5 + x^2 + 1
    expected[1] = 0b00000100 // x^10
    expect(eq(gf256Mul(x255, x1), expected)).toBe(true)
  })
})

describe('VSOT base OT', () => {
  it('delivers the chosen seed and not the other one (several runs), with a timing print', () => {
    for (let run = 0; run < 3; run++) {
      const t0 = performance.now()
      const { s, r } = runBaseOt(ctx())
      if (run === 0) console.log(`[timing] VSOT base OT, ${KAPPA} OTs, both parties: ${(performance.now() - t0).toFixed(0)} ms`)
      expect(s.seeds0.length).toBe(KAPPA)
      expect(r.seeds.length).toBe(KAPPA)
      let ones = 0
      for (let i = 0; i < KAPPA; i++) {
        const bit = getBit(r.choiceBits, i)
        ones += bit
        const mine = bit ? s.seeds1[i] : s.seeds0[i]
        const other = bit ? s.seeds0[i] : s.seeds1[i]
        expect(eq(r.seeds[i] as Uint8Array, mine as Uint8Array)).toBe(true)
        expect(eq(r.seeds[i] as Uint8Array, other as Uint8Array)).toBe(false)
      }
      expect(ones > 64 && ones < 192).toBe(true)
    }
  })

  it('honours explicit choice bits', () => {
    const choice = new Uint8Array(32).fill(0b10100101)
    const { r } = runBaseOt(ctx(), choice)
    expect(eq(r.choiceBits, choice)).toBe(true)
  })

  it('refuses a bad proof of knowledge, and a proof from another session or party pair', () => {
    const c = ctx()
    const m1 = new BaseOtSender(c).round1()
    const badZ = { ...m1, proofZ: scalarToBytes((parseScalar(m1.proofZ) + 1n) % CURVE_ORDER) }
    const rx = new BaseOtReceiver(c)
    expectAbort(() => rx.round1(badZ), 'alice')
    expect(rx.burned).toBe(true)
    expectAbort(() => rx.round1(m1), 'alice') // burned: even the honest message is refused
    // a proof for a foreign key: R from this run, B from another
    const other = new BaseOtSender(c).round1()
    expectAbort(() => new BaseOtReceiver(c).round1({ ...m1, B: other.B }))
    // same message, different session id or swapped ids
    expectAbort(() => new BaseOtReceiver({ ...c, sessionId: randomBytes(32) }).round1(m1))
    expectAbort(() => new BaseOtReceiver({ ...c, receiverId: 'carol' }).round1(m1))
    // the honest message passes
    expect(new BaseOtReceiver(c).round1(m1).A.length).toBe(KAPPA)
  })

  it('refuses off-curve and identity points from either side', () => {
    const c = ctx()
    const m1 = new BaseOtSender(c).round1()
    const offCurve = new Uint8Array(33)
    offCurve[0] = 2
    offCurve[32] = 5
    expectAbort(() => new BaseOtReceiver(c).round1({ ...m1, B: offCurve }))
    expectAbort(() => new BaseOtReceiver(c).round1({ ...m1, B: new Uint8Array(33) }))
    expectAbort(() => new BaseOtReceiver(c).round1({ ...m1, B: Uint8Array.of(0) }))
    expectAbort(() => new BaseOtReceiver(c).round1({ ...m1, proofR: offCurve }))
    expectAbort(() => new BaseOtReceiver(c).round1({ ...m1, proofZ: scalarToBytes(0n).fill(0xff) }))

    const sender = new BaseOtSender(c)
    const m = sender.round1()
    const A = new BaseOtReceiver(c).round1(m).A
    const tampered = [...A]
    tampered[17] = offCurve
    expectAbort(() => sender.round2({ A: tampered }), 'bob')
    expect(sender.burned).toBe(true)
    const s2 = new BaseOtSender(c)
    const m2 = s2.round1()
    const A2 = [...new BaseOtReceiver(c).round1(m2).A]
    A2[3] = m2.B // A_i = B would make the 1-pad an identity-point hash
    expectAbort(() => s2.round2({ A: A2 }))
    const s3 = new BaseOtSender(c)
    s3.round1()
    expectAbort(() => s3.round2({ A: A.slice(1) })) // wrong count
  })

  it('aborts on a wrong challenge response or an inconsistent opening', () => {
    const c = ctx()
    const sender = new BaseOtSender(c)
    const receiver = new BaseOtReceiver(c)
    const m4 = receiver.round2(sender.round2(receiver.round1(sender.round1())))
    const bad = m4.responses.map((x) => Uint8Array.from(x))
    flip(bad[100] as Uint8Array, 0, 1)
    expectAbort(() => sender.round3({ responses: bad }), 'bob')
    expectAbort(() => sender.round3(m4))

    const s2 = new BaseOtSender(c)
    const r2 = new BaseOtReceiver(c)
    const { message } = s2.round3(r2.round2(s2.round2(r2.round1(s2.round1()))))
    const open1 = message.open1.map((x) => Uint8Array.from(x))
    flip(open1[5] as Uint8Array, 7, 1)
    expectAbort(() => r2.round3({ ...message, open1 }), 'alice')
    expect(r2.burned).toBe(true)

    // a sender that lies in xi_0 to learn choice bit w_0: if w_0 = 0 the sender accepts but the
    // receiver catches the lie at the opening; if w_0 = 1 the sender sees a wrong response and aborts.
    // Either way the run aborts (that abort pattern is the one-bit leak the burn rule contains).
    for (const w0 of [0, 1]) {
      const choice = randomBytes(32)
      choice[0] = ((choice[0] as number) & 0xfe) | w0
      const s3 = new BaseOtSender(c)
      const r3 = new BaseOtReceiver(c, choice)
      const m3 = s3.round2(r3.round1(s3.round1()))
      const xi = m3.xi.map((x) => Uint8Array.from(x))
      flip(xi[0] as Uint8Array, 0, 1)
      const resp = r3.round2({ xi })
      if (w0 === 0) {
        const { message: open } = s3.round3(resp)
        expectAbort(() => r3.round3(open), 'alice')
      } else {
        expectAbort(() => s3.round3(resp), 'bob')
      }
    }
  })

  it('enforces the step order', () => {
    const c = ctx()
    const sender = new BaseOtSender(c)
    expect(() => sender.round2({ A: [] })).toThrow(/out of order/)
    sender.round1()
    expect(() => sender.round1()).toThrow(/out of order/)
  })
})

/** Fresh output objects over the same seeds, so that one base-OT run can seed several test setups. */
const copyS = (s: BaseOtSenderOutput): BaseOtSenderOutput => ({ ...s, seeds0: s.seeds0.map((x) => x.slice()), seeds1: s.seeds1.map((x) => x.slice()) })
const copyR = (r: BaseOtReceiverOutput): BaseOtReceiverOutput => ({ ...r, choiceBits: r.choiceBits.slice(), seeds: r.seeds.map((x) => x.slice()) })

describe('KOS15 OT extension', () => {
  let shared: { s: BaseOtSenderOutput; r: BaseOtReceiverOutput } | undefined
  const baseRun = () => {
    shared ??= runBaseOt(ctx('alice', 'bob'))
    return { s: copyS(shared.s), r: copyR(shared.r) }
  }
  const setups = () => {
    const { s, r } = baseRun()
    // alice was the base-OT sender -> OT-extension receiver; bob holds Delta -> OT-extension sender
    return { s, r, otReceiver: OtExtensionReceiver.fromBaseOt(s), otSender: OtExtensionSender.fromBaseOt(r) }
  }

  it('random OTs: the receiver gets v_{x_j} for a full batch, and not v_{1-x_j}; timing print', () => {
    const { otReceiver, otSender } = setups()
    for (let round = 0; round < 2; round++) {
      const sid = randomBytes(32)
      const choice = randomBytes(OT_BATCH / 8)
      const t0 = performance.now()
      const { message, batch } = otReceiver.extend(sid, choice)
      const t1 = performance.now()
      const sb = otSender.receive(sid, message)
      const t2 = performance.now()
      if (round === 0) console.log(`[timing] KOS extension of ${OT_EXTENDED} rows (${OT_BATCH} OTs): receiver ${(t1 - t0).toFixed(0)} ms, sender incl. check ${(t2 - t1).toFixed(0)} ms`)
      const { v0, v1 } = sb.randomOts()
      const v = batch.randomOts()
      expect(v.length).toBe(OT_BATCH)
      for (let j = 0; j < OT_BATCH; j++) {
        const x = getBit(choice, j)
        expect(eq(v[j] as Uint8Array, (x ? v1[j] : v0[j]) as Uint8Array)).toBe(true)
        expect(eq(v[j] as Uint8Array, (x ? v0[j] : v1[j]) as Uint8Array)).toBe(false)
      }
      expect(() => sb.randomOts()).toThrow(/consumed/)
      expect(() => batch.randomOts()).toThrow(/consumed/)
    }
  })

  it('correlated OTs over Z_n: r_j + s_j = x_j * alpha_j for vectors of length 2', () => {
    const { otReceiver, otSender } = setups()
    const sid = randomBytes(32)
    const choice = randomBytes(OT_BATCH / 8)
    const { message, batch } = otReceiver.extend(sid, choice)
    const alphas = Array.from({ length: OT_BATCH }, () => [randomScalar(), randomScalar()])
    const t0 = performance.now()
    const { shares, message: tauMsg } = otSender.receive(sid, message).correlate(alphas)
    const r = batch.finish(tauMsg)
    console.log(`[timing] correlated OT (L = 2) both sides: ${(performance.now() - t0).toFixed(0)} ms`)
    for (let j = 0; j < OT_BATCH; j++) {
      const x = BigInt(getBit(choice, j))
      for (let l = 0; l < 2; l++) {
        const sum = ((r[j] as bigint[])[l] as bigint) + ((shares[j] as bigint[])[l] as bigint)
        expect(sum % CURVE_ORDER).toBe((x * ((alphas[j] as bigint[])[l] as bigint)) % CURVE_ORDER)
      }
    }
  })

  it('a receiver with an inconsistent choice bit in one column is caught exactly when Delta_i = 1', () => {
    let caught = 0
    for (let trial = 0; trial < 6; trial++) {
      const { s, r } = baseRun()
      const otSender = OtExtensionSender.fromBaseOt(r)
      const delta = r.choiceBits
      // trials alternate between a column where Delta_i = 1 (must be caught) and one where Delta_i = 0
      const wantOne = trial % 2 === 0
      let column = 0
      while (getBit(delta, column) !== (wantOne ? 1 : 0)) column++
      const x = randomBytes(COL_BYTES)
      const row = 37 + trial
      const flipped = Uint8Array.from(x)
      flipped[row >> 3] = (flipped[row >> 3] as number) ^ (1 << (row & 7))
      const sid = randomBytes(32)
      const msg = inconsistentReceiverMessage(s, sid, x, (i) => (i === column ? flipped : x))
      if (wantOne) {
        expectAbort(() => otSender.receive(sid, msg), 'alice')
        caught++
        expect(otSender.burned).toBe(true)
        // burned: refuses any further batch, even an honest one
        const honest = OtExtensionReceiver.fromBaseOt(copyS(s))
        const sid2 = randomBytes(32)
        const { message } = honest.extend(sid2, randomBytes(OT_BATCH / 8))
        expectAbort(() => otSender.receive(sid2, message), 'alice')
        // and cannot be rebuilt from the same base-OT output
        expect(() => OtExtensionSender.fromBaseOt(r)).toThrow(/already seeded/)
      } else {
        // the selective-failure leak KOS15 tolerates: passes, revealing Delta_i = 0, hence the burn rule
        expect(() => otSender.receive(sid, msg)).not.toThrow()
      }
    }
    expect(caught).toBe(3)
  })

  it('catches a tampered correction column or check value with probability ~1', () => {
    for (let trial = 0; trial < 4; trial++) {
      const { otReceiver, otSender } = setups()
      const sid = randomBytes(32)
      const { message } = otReceiver.extend(sid, randomBytes(OT_BATCH / 8))
      const u = Uint8Array.from(message.u)
      const tTilde = Uint8Array.from(message.tTilde)
      const xTilde = Uint8Array.from(message.xTilde)
      if (trial === 0) u[1234] = (u[1234] as number) ^ 0x10
      if (trial === 1) tTilde[3] = (tTilde[3] as number) ^ 1
      if (trial === 2) xTilde[31] = (xTilde[31] as number) ^ 0x80
      if (trial === 3) {
        expectAbort(() => otSender.receive(sid, { ...message, u: u.slice(1) }), 'alice')
        continue
      }
      expectAbort(() => otSender.receive(sid, { u, xTilde, tTilde }), 'alice')
      expect(otSender.burned).toBe(true)
    }
  })

  it('binds the session id and the setup: a message from another session fails', () => {
    const { otReceiver, otSender } = setups()
    const { message } = otReceiver.extend(randomBytes(32), randomBytes(OT_BATCH / 8))
    expectAbort(() => otSender.receive(randomBytes(32), message), 'alice')
    expect(otSender.burned).toBe(true)

    // a message from a different base-OT setup (same parties, fresh base-OT run) fails too
    const a = setups()
    const b = { otSender: OtExtensionSender.fromBaseOt(runBaseOt(ctx('alice', 'bob')).r) }
    const sid = randomBytes(32)
    const { message: m } = a.otReceiver.extend(sid, randomBytes(OT_BATCH / 8))
    expectAbort(() => b.otSender.receive(sid, m))
  })

  it('refuses session-id reuse, a burned receiver, bad tau; rerun gives a fresh working setup', () => {
    const { otReceiver, otSender, s } = setups()
    const sid = randomBytes(32)
    const { message, batch } = otReceiver.extend(sid, randomBytes(OT_BATCH / 8))
    expect(() => otReceiver.extend(sid, randomBytes(OT_BATCH / 8))).toThrow(/already used/)
    const sb = otSender.receive(sid, message)
    expect(() => otSender.receive(sid, message)).toThrow(/already used/)
    const alphas = Array.from({ length: OT_BATCH }, () => [randomScalar()])
    const { message: tauMsg } = sb.correlate(alphas)
    const tau = Uint8Array.from(tauMsg.tau)
    tau.fill(0xff, 0, 32) // >= n
    expectAbort(() => batch.finish({ tau }), 'bob')
    expect(otReceiver.burned).toBe(true)
    expectAbort(() => otReceiver.extend(randomBytes(32), randomBytes(OT_BATCH / 8)), 'bob')
    expect(() => OtExtensionReceiver.fromBaseOt(s)).toThrow(/already seeded/)

    // rerun: same parties and roles, fresh session id
    const next = rerunBaseOtContext(otReceiver)
    expect(next.senderId).toBe('alice')
    expect(next.receiverId).toBe('bob')
    expect(eq(next.sessionId, otReceiver.baseContext.sessionId)).toBe(false)
    const fresh = runBaseOt(next)
    const rx = OtExtensionReceiver.fromBaseOt(fresh.s)
    const sx = OtExtensionSender.fromBaseOt(fresh.r)
    const sid2 = randomBytes(32)
    const choice = randomBytes(OT_BATCH / 8)
    const ext = rx.extend(sid2, choice)
    const { v0, v1 } = sx.receive(sid2, ext.message).randomOts()
    const v = ext.batch.randomOts()
    for (let j = 0; j < OT_BATCH; j++) expect(eq(v[j] as Uint8Array, (getBit(choice, j) ? v1[j] : v0[j]) as Uint8Array)).toBe(true)
  })
})
