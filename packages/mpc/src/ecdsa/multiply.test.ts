/**
 * zrkit's two-party random vector OLE (DKLs23 Functionality 3.5 via DKLs19 Protocol 1): correctness,
 * the consistency check against a cheating Alice, message validation, transcript binding and the
 * hiding encoding of Bob's input.
 */
import { randomBytes } from '@noble/hashes/utils.js'
import { isZrError } from '@zrkit/core'
import { describe, expect, it } from 'vitest'
import { MAX_MUL_WIDTH, type MulAliceMsg1, MulAlice, MulBob, inconsistentAliceRound1 } from './multiply.js'
import {
  type BaseOtContext,
  type BaseOtReceiverOutput,
  type BaseOtSenderOutput,
  BaseOtReceiver,
  BaseOtSender,
  KAPPA,
  getBit,
  randomScalar,
} from './ot/baseOt.js'
import { OT_BATCH, OtExtensionReceiver, OtExtensionSender } from './ot/otExtension.js'
import { CURVE_ORDER, scalarToBytes } from './ot/transcript.js'

// Bob is the base-OT sender (-> OT-extension receiver), Alice the base-OT receiver (-> OT-extension sender).
const ALICE = 'alice'
const BOB = 'bob'

function runBaseOt(c: BaseOtContext): { s: BaseOtSenderOutput; r: BaseOtReceiverOutput } {
  const sender = new BaseOtSender(c)
  const receiver = new BaseOtReceiver(c)
  const m2 = receiver.round1(sender.round1())
  const m4 = receiver.round2(sender.round2(m2))
  const { message: m5, output: s } = sender.round3(m4)
  return { s, r: receiver.round3(m5) }
}

/** Fresh output objects over the same seeds, so that one base-OT run can seed several test setups. */
const copyS = (s: BaseOtSenderOutput): BaseOtSenderOutput => ({ ...s, seeds0: s.seeds0.map((x) => x.slice()), seeds1: s.seeds1.map((x) => x.slice()) })
const copyR = (r: BaseOtReceiverOutput): BaseOtReceiverOutput => ({ ...r, choiceBits: r.choiceBits.slice(), seeds: r.seeds.map((x) => x.slice()) })

let shared: { s: BaseOtSenderOutput; r: BaseOtReceiverOutput } | undefined
function setups(): { bobOt: OtExtensionReceiver; aliceOt: OtExtensionSender } {
  shared ??= runBaseOt({ sessionId: randomBytes(32), senderId: BOB, receiverId: ALICE })
  return { bobOt: OtExtensionReceiver.fromBaseOt(copyS(shared.s)), aliceOt: OtExtensionSender.fromBaseOt(copyR(shared.r)) }
}

function expectAbort(fn: () => unknown, party?: string, message?: RegExp): void {
  try {
    fn()
  } catch (e) {
    expect(isZrError(e, 'MPC_ABORT'), String(e)).toBe(true)
    if (party !== undefined) expect((e as { meta: Record<string, unknown> }).meta.party).toBe(party)
    if (message !== undefined) expect((e as Error).message).toMatch(message)
    return
  }
  throw new Error('expected MPC_ABORT')
}

const n = CURVE_ORDER
const randomVector = (L: number) => Array.from({ length: L }, () => randomScalar())

describe('DKLs19 multiplication (random vector OLE)', () => {
  it('c_A + c_B = a * b for L = 1, 2, 5 and b in {0, 1, n-1, random}; timing print', () => {
    const { bobOt, aliceOt } = setups()
    const bs = [0n, 1n, n - 1n, randomScalar(), randomScalar()]
    let runs = 0
    for (const L of [1, 2, 5]) {
      for (const b of bs) {
        const a = L === 1 && b === 1n ? [n - 1n] : L === 2 && b === 0n ? [0n, 1n] : randomVector(L)
        const sid = randomBytes(32)
        const t0 = performance.now()
        const bob = new MulBob(bobOt, sid, L, b)
        const alice = new MulAlice(aliceOt, sid, a)
        const { message, output: cA } = alice.round1(bob.round1())
        const cB = bob.finish(message)
        const t1 = performance.now()
        if (L === 2 && runs === 5) console.log(`[timing] one DKLs19 multiplication, L = 2 (both parties, incl. OT extension): ${(t1 - t0).toFixed(0)} ms`)
        expect(cA.length).toBe(L)
        expect(cB.length).toBe(L)
        for (let i = 0; i < L; i++) {
          expect((cA[i] as bigint) >= 0n && (cA[i] as bigint) < n).toBe(true)
          expect(((cA[i] as bigint) + (cB[i] as bigint)) % n).toBe(((a[i] as bigint) * b) % n)
        }
        runs++
      }
    }
    expect(bobOt.burned || aliceOt.burned).toBe(false)
  })

  it('random-input mode: b is sampled as <g, beta>, and the output is still a * b', () => {
    const { bobOt, aliceOt } = setups()
    const sid = randomBytes(32)
    const bob = new MulBob(bobOt, sid, 2)
    const a = randomVector(2)
    const { message, output: cA } = new MulAlice(aliceOt, sid, a).round1(bob.round1())
    const b = bob.b
    expect(b > 0n && b < n).toBe(true)
    const cB = bob.finish(message)
    for (let i = 0; i < 2; i++) expect(((cA[i] as bigint) + (cB[i] as bigint)) % n).toBe(((a[i] as bigint) * b) % n)
  })

  it('catches an Alice who uses a different a on one row (beta_j = 1) and burns the setup; a row with beta_j = 0 goes unnoticed', () => {
    for (const wantBit of [1, 0]) {
      for (const region of [3, KAPPA + 5]) {
        // a row among the powers of two and one among the pseudo-random gadget entries
        const { bobOt, aliceOt } = setups()
        const sid = randomBytes(32)
        const b = randomScalar()
        const bob = new MulBob(bobOt, sid, 2, b)
        const a = randomVector(2)
        const m1 = bob.round1()
        const beta = bob.encodedInput()
        let row = region
        while (row < OT_BATCH && getBit(beta, row) !== wantBit) row++
        expect(row).toBeLessThan(OT_BATCH)
        const { message, output: cA } = inconsistentAliceRound1(aliceOt, sid, a, m1, { row, coordinate: 1, delta: 1n })
        if (wantBit === 1) {
          expectAbort(() => bob.finish(message), ALICE)
          expect(bobOt.burned).toBe(true)
          expectAbort(() => new MulBob(bobOt, randomBytes(32), 2, b).round1(), ALICE)
        } else {
          // the selective-failure case the encoding makes harmless: Bob accepts and the result is right
          const cB = bob.finish(message)
          expect(bobOt.burned).toBe(false)
          for (let i = 0; i < 2; i++) expect(((cA[i] as bigint) + (cB[i] as bigint)) % n).toBe(((a[i] as bigint) * b) % n)
        }
      }
    }
  })

  it('catches a tau altered after the fact (one row), whatever the choice bit, and burns the setup', () => {
    for (const wantBit of [1, 0]) {
      const { bobOt, aliceOt } = setups()
      const sid = randomBytes(32)
      const bob = new MulBob(bobOt, sid, 2, randomScalar())
      const m1 = bob.round1()
      const beta = bob.encodedInput()
      let row = 0
      while (row < OT_BATCH && getBit(beta, row) !== wantBit) row++
      expect(row).toBeLessThan(OT_BATCH)
      const { message } = new MulAlice(aliceOt, sid, randomVector(2)).round1(m1)
      const tau = message.tau.slice()
      const off = row * 4 * 32
      const old = BigInt(`0x${Buffer.from(tau.subarray(off, off + 32)).toString('hex')}`)
      tau.set(scalarToBytes((old + 1n) % n), off)
      // tau feeds the Fiat-Shamir challenge, so r and u no longer match even when beta_row = 0
      expectAbort(() => bob.finish({ ...message, tau }), ALICE)
      expect(bobOt.burned).toBe(true)
    }
  })

  it('catches tampered check values r and u', () => {
    for (const field of ['r', 'u'] as const) {
      const { bobOt, aliceOt } = setups()
      const sid = randomBytes(32)
      const bob = new MulBob(bobOt, sid, 2, randomScalar())
      const { message } = new MulAlice(aliceOt, sid, randomVector(2)).round1(bob.round1())
      const bad = message[field].slice()
      // change the scalar for a row with beta_j = 1 (u matters only there), keeping it below n
      const beta = bob.encodedInput()
      let row = 0
      while (row < OT_BATCH && getBit(beta, row) !== 1) row++
      expect(row).toBeLessThan(OT_BATCH)
      const off = field === 'r' ? row * 32 : 0
      bad[off + 31] = (bad[off + 31] as number) ^ 1
      expectAbort(() => bob.finish({ ...message, [field]: bad }), ALICE)
      expect(bobOt.burned).toBe(true)
    }
  })

  it('refuses malformed messages: scalar >= n, wrong lengths, missing fields', () => {
    const cases: ((m: MulAliceMsg1) => MulAliceMsg1)[] = [
      (m) => ({ ...m, u: (() => { const u = m.u.slice(); u.set(new Uint8Array(32).fill(0xff), 0); return u })() }),
      (m) => ({ ...m, r: (() => { const r = m.r.slice(); r.set(new Uint8Array(32).fill(0xff), 32 * 7); return r })() }),
      (m) => ({ ...m, tau: (() => { const t = m.tau.slice(); t.set(new Uint8Array(32).fill(0xff), 32 * 11); return t })() }),
      (m) => ({ ...m, r: m.r.subarray(0, m.r.length - 32) }),
      (m) => ({ ...m, u: m.u.subarray(0, 32) }),
      (m) => ({ ...m, tau: m.tau.subarray(0, m.tau.length - 32) }),
      (m) => ({ tau: m.tau, r: m.r }) as unknown as MulAliceMsg1,
    ]
    for (const mutate of cases) {
      const { bobOt, aliceOt } = setups()
      const sid = randomBytes(32)
      const bob = new MulBob(bobOt, sid, 2, randomScalar())
      const { message } = new MulAlice(aliceOt, sid, randomVector(2)).round1(bob.round1())
      // refused while parsing, before (and not by) the consistency check
      expectAbort(() => bob.finish(mutate(message)), ALICE, /malformed|refused/)
      expect(bobOt.burned).toBe(true)
    }
    // Bob's message to Alice: wrong length is refused by the OT layer
    const { bobOt, aliceOt } = setups()
    const sid = randomBytes(32)
    const m1 = new MulBob(bobOt, sid, 2, 5n).round1()
    expectAbort(() => new MulAlice(aliceOt, sid, randomVector(2)).round1({ ote: { ...m1.ote, u: m1.ote.u.subarray(1) } }), BOB)
    expect(aliceOt.burned).toBe(true)
    // local inputs
    expect(() => new MulAlice(setups().aliceOt, sid, [n])).toThrow()
    expect(() => new MulAlice(setups().aliceOt, sid, randomVector(MAX_MUL_WIDTH + 1))).toThrow()
    expect(() => new MulAlice(setups().aliceOt, sid, [])).toThrow()
    expect(() => new MulBob(setups().bobOt, sid, 2, n)).toThrow()
    expect(() => new MulBob(setups().bobOt, sid, 0, 1n)).toThrow()
    expect(() => new MulBob(setups().bobOt, sid.subarray(0, 8), 2, 1n)).toThrow()
  })

  it('binds the session: messages from another session, or a different L, fail', () => {
    // Alice in another session than Bob
    {
      const { bobOt, aliceOt } = setups()
      const m1 = new MulBob(bobOt, randomBytes(32), 2, 7n).round1()
      expectAbort(() => new MulAlice(aliceOt, randomBytes(32), randomVector(2)).round1(m1), BOB)
    }
    // Alice with a different L
    {
      const { bobOt, aliceOt } = setups()
      const sid = randomBytes(32)
      const m1 = new MulBob(bobOt, sid, 2, 7n).round1()
      expectAbort(() => new MulAlice(aliceOt, sid, randomVector(1)).round1(m1), BOB)
    }
    // Bob gets Alice's (honest) answer from another session over the same setup
    {
      const { bobOt, aliceOt } = setups()
      const sid1 = randomBytes(32)
      const sid2 = randomBytes(32)
      const bob1 = new MulBob(bobOt, sid1, 2, 7n)
      const bob2 = new MulBob(bobOt, sid2, 2, 7n)
      const m1 = bob1.round1()
      bob2.round1()
      const { message } = new MulAlice(aliceOt, sid1, randomVector(2)).round1(m1)
      expectAbort(() => bob2.finish(message), ALICE)
      expect(bobOt.burned).toBe(true)
    }
  })

  it('encodes b into fresh random choice bits: not the plain bits of b, different on every run', () => {
    const { bobOt } = setups()
    const sid = randomBytes(32)
    for (const b of [0n, 1n, 0x1234_5678_9abc_def0n]) {
      const plain = new Uint8Array(OT_BATCH / 8)
      for (let k = 0; k < 64; k++) if ((b >> BigInt(k)) & 1n) plain[k >> 3] = (plain[k >> 3] as number) | (1 << (k & 7))
      const seen = new Set<string>()
      let ones = 0
      for (let run = 0; run < 8; run++) {
        const beta = new MulBob(bobOt, sid, 2, b).encodedInput()
        expect(Buffer.from(beta).equals(Buffer.from(plain))).toBe(false)
        seen.add(Buffer.from(beta).toString('hex'))
        for (let k = 0; k < OT_BATCH; k++) ones += getBit(beta, k)
      }
      expect(seen.size).toBe(8)
      // each bit ~ Bernoulli(1/2): 8 * 416 = 3328 bits, mean 1664, sd ~29
      expect(Math.abs(ones - 1664)).toBeLessThan(200)
    }
  })

  it('enforces the step order', () => {
    const { bobOt, aliceOt } = setups()
    const sid = randomBytes(32)
    const bob = new MulBob(bobOt, sid, 1, 3n)
    expect(() => bob.finish({ tau: new Uint8Array(0), r: new Uint8Array(0), u: new Uint8Array(0) })).toThrow()
    const m1 = bob.round1()
    expect(() => bob.round1()).toThrow()
    const alice = new MulAlice(aliceOt, sid, [4n])
    const { message, output } = alice.round1(m1)
    expect(() => alice.round1(m1)).toThrow()
    const cB = bob.finish(message)
    expect(((output[0] as bigint) + (cB[0] as bigint)) % n).toBe(12n)
    expect(() => bob.finish(message)).toThrow()
  })
})
