import { ed25519, ed25519_FROST } from '@noble/curves/ed25519.js'
import { schnorr, schnorr_FROST, secp256k1, secp256k1_FROST } from '@noble/curves/secp256k1.js'
import { sha256, sha512 } from '@noble/hashes/sha2.js'
import { bytesToHex, concatBytes, hexToBytes } from '@noble/hashes/utils.js'
import { type DerivationPath, type KeyType, isZrError, signingKey } from '@zrkit/core'
import { canonicalStringify, nativeSha512 } from '@zrkit/core/internal'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { frostVector } from '@zrkit/testkit'
import { type Commitments, type SigningSuite, aggregate, aggregateVerified, commit, prepareKey, prepareSigning, signShare, verifyShare } from './signingPackage.js'
import { type Frost, type FrostKey, frostSuite } from './suites.js'
import { tweakKey } from './tweakKey.js'

// The prepared signing package against the RFC 9591 / Zcash Foundation vectors and against noble's own
// signShare / verifyShare / aggregate, and its refusal of invalid points.

const hex = (b: Uint8Array) => bytesToHex(b)
const text = (s: string) => new TextEncoder().encode(s)

/** The vectors are vendored in `@zrkit/testkit` (`packages/testkit/vectors/frost/`, sources in its README). */
const vector = frostVector

type SigningVector = {
  config: { MAX_PARTICIPANTS: string | number; MIN_PARTICIPANTS: string | number }
  inputs: {
    group_secret_key: string
    group_public_key?: string
    verifying_key_key?: string
    message: string
    share_polynomial_coefficients: string[]
    participant_shares: { identifier: number; participant_share: string }[]
  }
  round_one_outputs: {
    outputs: {
      identifier: number
      hiding_nonce_randomness?: string
      binding_nonce_randomness?: string
      hiding_nonce: string
      binding_nonce: string
      hiding_nonce_commitment: string
      binding_nonce_commitment: string
    }[]
  }
  round_two_outputs: { outputs: { identifier: number; sig_share: string }[] }
  final_output: { sig: string }
}

/** A deterministic byte source (SHA-256 in counter mode), so generated keys and nonces follow the fast-check seed. */
function rngFrom(seed: Uint8Array): (n?: number) => Uint8Array {
  let counter = 0
  return (n = 32) => {
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i += 32) out.set(sha256(concatBytes(seed, Uint8Array.of(counter >> 24, counter >> 16, counter >> 8, counter++))).subarray(0, n - i), i)
    return out
  }
}

const ed = frostSuite('eddsa-ed25519')
const bip340 = frostSuite('schnorr-secp256k1')
const plainSecp: SigningSuite = { sign: secp256k1_FROST as unknown as Frost }

/** noble's share check, where a thrown error (malformed input) counts as a rejection. */
function nobleVerifies(F: Frost, pub: FrostKey['public'], list: Commitments[], msg: Uint8Array, id: string, share: Uint8Array): boolean {
  try {
    return F.verifyShare(pub as never, list as never, msg, id, share)
  } catch {
    return false
  }
}

/** The share plus one (mod the group order): a well-formed but wrong share. */
function offByOne(F: Frost, share: Uint8Array): Uint8Array {
  const Fn = F.utils.Fn
  return Fn.toBytes(Fn.add(Fn.fromBytes(share), 1n))
}

describe('prepared FROST signing: RFC 9591 and Zcash Foundation vectors', () => {
  const cases: { file: string; suite: SigningSuite; verify?: (sig: Uint8Array, msg: Uint8Array, key: Uint8Array) => boolean }[] = [
    { file: 'rfc9591-ed25519-sha512', suite: ed, verify: (s, m, k) => ed25519.verify(s, m, k, { zip215: false }) },
    { file: 'zf-ed25519-vectors', suite: ed, verify: (s, m, k) => ed25519.verify(s, m, k, { zip215: false }) },
    { file: 'rfc9591-secp256k1-sha256', suite: plainSecp },
    { file: 'zf-secp256k1-vectors', suite: plainSecp },
    { file: 'zf-secp256k1-tr-vectors', suite: bip340, verify: (s, m, k) => schnorr.verify(s, m, k.subarray(1)) },
  ]

  it('ed25519 hashes with the platform SHA-512 here, so the vectors below check that path', () => {
    // Binding factors, H4, H5 and the challenge go through Node's native SHA-512 when it exists (noble's elsewhere).
    expect(nativeSha512).toBeTypeOf('function')
    const m = Uint8Array.from({ length: 300 }, (_, i) => i)
    expect(hex(nativeSha512!(m))).toBe(hex(sha512(m)))
  })

  /** A random source that hands out `chunks` in order, then refuses. */
  const replay = (chunks: Uint8Array[]) => {
    let i = 0
    return (n = 32) => {
      const c = chunks[i++]
      if (!c || c.length !== n) throw new Error(`replay: no chunk of ${n} bytes left`)
      return c.slice()
    }
  }

  for (const { file, suite } of cases) {
    it(`${file}: round one from the vector's randomness gives its nonces and commitments, and noble's`, () => {
      const F = suite.sign
      const v = vector<SigningVector>(file)
      const outputs = v.round_one_outputs.outputs
      expect(outputs.every((o) => o.hiding_nonce_randomness && o.binding_nonce_randomness)).toBe(true)
      for (const o of outputs) {
        const share = v.inputs.participant_shares.find((x) => x.identifier === o.identifier)!
        const secret = { identifier: F.Identifier.fromNumber(o.identifier), signingShare: hexToBytes(share.participant_share) }
        const randomness = [hexToBytes(o.hiding_nonce_randomness!), hexToBytes(o.binding_nonce_randomness!)]
        const { nonces, commitments } = commit(suite, secret, replay(randomness))
        expect(hex(nonces.hiding)).toBe(o.hiding_nonce)
        expect(hex(nonces.binding)).toBe(o.binding_nonce)
        expect(hex(commitments.hiding)).toBe(o.hiding_nonce_commitment)
        expect(hex(commitments.binding)).toBe(o.binding_nonce_commitment)
        expect(commitments.identifier).toBe(secret.identifier)
        // noble's commit, from the same random bytes, agrees byte for byte
        const theirs = F.commit(secret, replay(randomness))
        expect([hex(theirs.nonces.hiding), hex(theirs.nonces.binding), hex(theirs.commitments.hiding), hex(theirs.commitments.binding)]).toEqual([
          o.hiding_nonce,
          o.binding_nonce,
          o.hiding_nonce_commitment,
          o.binding_nonce_commitment,
        ])
      }
    })
  }

  it('round one agrees with noble for random shares and randomness, in every suite', () => {
    for (const suite of [ed, bip340, plainSecp]) {
      const F = suite.sign
      const deal = F.trustedDealer({ min: 2, max: 3 })
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 0, max: 2 }), (a, b, k) => {
          const secret = Object.values(deal.secretShares)[k]!
          const mine = commit(suite, secret, replay([a, b]))
          const theirs = F.commit(secret, replay([a, b]))
          expect(hex(mine.nonces.hiding)).toBe(hex(theirs.nonces.hiding))
          expect(hex(mine.nonces.binding)).toBe(hex(theirs.nonces.binding))
          expect(hex(mine.commitments.hiding)).toBe(hex(theirs.commitments.hiding))
          expect(hex(mine.commitments.binding)).toBe(hex(theirs.commitments.binding))
        }),
        { numRuns: 15 },
      )
    }
  })

  it('round one without a random source (native Ed25519 nonces on Node): each commitment is noble’s [nonce]B, nonces are fresh', () => {
    for (const [suite, Point] of [
      [ed, ed25519.Point],
      [bip340, secp256k1.Point],
      [plainSecp, secp256k1.Point],
    ] as const) {
      const F = suite.sign
      const secret = Object.values(F.trustedDealer({ min: 2, max: 3 }).secretShares)[0]!
      const seen = new Set<string>()
      for (let i = 0; i < 5; i++) {
        const { nonces, commitments } = commit(suite, secret)
        for (const [nonce, point] of [
          [nonces.hiding, commitments.hiding],
          [nonces.binding, commitments.binding],
        ] as const) {
          const k = F.utils.Fn.fromBytes(nonce)
          expect(hex(Point.BASE.multiply(k).toBytes())).toBe(hex(point))
          seen.add(hex(nonce))
        }
      }
      expect(seen.size).toBe(10)
    }
  })

  it('round one refuses a random source that is not a function or gives other than 32 bytes', () => {
    const secret = Object.values(ed.sign.trustedDealer({ min: 2, max: 3 }).secretShares)[0]!
    for (const rng of [null, 5, 'x', {}] as unknown[]) {
      expect(() => commit(ed, secret, rng as never)).toThrow(/random source/)
    }
    for (const rng of [() => new Uint8Array(31), () => new Uint8Array(33), () => 'x' as unknown as Uint8Array]) {
      try {
        commit(ed, secret, rng)
        expect.unreachable()
      } catch (e) {
        expect(isZrError(e, 'INVALID_INPUT')).toBe(true)
      }
    }
  })

  for (const { file, suite, verify } of cases) {
    it(`${file}: every share and the signature, byte for byte; the share check accepts them and rejects altered ones`, () => {
      const F = suite.sign
      const v = vector<SigningVector>(file)
      const signers = { min: Number(v.config.MIN_PARTICIPANTS), max: Number(v.config.MAX_PARTICIPANTS) }
      const Fn = F.utils.Fn
      const coeffs = v.inputs.share_polynomial_coefficients.map((c) => Fn.fromBytes(hexToBytes(c)))
      const poly = F.utils.generateSecretPolynomial(signers, hexToBytes(v.inputs.group_secret_key), coeffs)
      const Point = poly.commitment[0]!.length === 32 ? ed25519.Point : secp256k1.Point
      const secrets = v.inputs.participant_shares.map((s) => ({ identifier: F.Identifier.fromNumber(s.identifier), signingShare: hexToBytes(s.participant_share) }))
      const pub = { signers, commitments: poly.commitment, verifyingShares: Object.fromEntries(secrets.map((s) => [s.identifier, Point.BASE.multiply(Fn.fromBytes(s.signingShare)).toBytes()])) }
      const groupKey = hexToBytes(v.inputs.group_public_key ?? v.inputs.verifying_key_key!)
      expect(hex(pub.commitments[0]!)).toBe(hex(groupKey))

      const msg = hexToBytes(v.inputs.message)
      const round1 = v.round_one_outputs.outputs
      // The list in reverse: the package sorts it by identifier, as the RFC orders it.
      const list = round1.map((o) => ({ identifier: F.Identifier.fromNumber(o.identifier), hiding: hexToBytes(o.hiding_nonce_commitment), binding: hexToBytes(o.binding_nonce_commitment) })).reverse()
      const prepared = prepareSigning(suite, pub, list, msg)
      expect(prepared.identifiers).toEqual([...round1].sort((a, b) => a.identifier - b.identifier).map((o) => F.Identifier.fromNumber(o.identifier)))

      const shares: Record<string, Uint8Array> = {}
      for (const o of round1) {
        const id = F.Identifier.fromNumber(o.identifier)
        const nonces = { hiding: hexToBytes(o.hiding_nonce), binding: hexToBytes(o.binding_nonce) }
        const share = signShare(prepared, secrets.find((s) => s.identifier === id)!, nonces)
        expect(hex(share), `share of participant ${o.identifier}`).toBe(v.round_two_outputs.outputs.find((x) => x.identifier === o.identifier)!.sig_share)
        // The nonces are consumed.
        expect(nonces.hiding.every((b) => b === 0) && nonces.binding.every((b) => b === 0)).toBe(true)
        expect(verifyShare(prepared, id, share)).toBe(true)
        expect(verifyShare(prepared, id, offByOne(F, share))).toBe(false)
        const flipped = share.slice()
        flipped[7]! ^= 0x10
        expect(verifyShare(prepared, id, flipped)).toBe(false)
        expect(verifyShare(prepared, id, share.subarray(1))).toBe(false)
        shares[id] = share
      }
      // A valid share does not pass as another signer's.
      const [a, b] = prepared.identifiers
      expect(verifyShare(prepared, a!, shares[b!]!)).toBe(false)

      const sig = aggregate(prepared, shares)
      expect(hex(sig)).toBe(v.final_output.sig)
      expect(hex(aggregate(prepared, new Map(Object.entries(shares))))).toBe(v.final_output.sig)
      if (verify) expect(verify(sig, msg, groupKey)).toBe(true)

      // A wrong share fails aggregation and is named.
      let error: unknown
      try {
        aggregate(prepared, { ...shares, [b!]: offByOne(F, shares[b!]!) })
      } catch (e) {
        error = e
      }
      expect(isZrError(error, 'MPC_ABORT') && error.meta.cheaters).toEqual([b])
    })
  }
})

type Spend = { path?: DerivationPath; taproot?: { merkleRoot?: Uint8Array } }

describe('prepared FROST signing equals noble', () => {
  const keyTypes: KeyType[] = ['eddsa-ed25519', 'schnorr-secp256k1']
  const spend = (keyType: KeyType): fc.Arbitrary<Spend | undefined> => {
    const path = fc.option(fc.array(fc.oneof(fc.nat({ max: 2 ** 31 - 1 }), fc.constantFrom('savings', 'invoice-7')), { minLength: 1, maxLength: 2 }), { nil: undefined })
    if (keyType === 'eddsa-ed25519') return fc.option(path.map((p) => (p ? { path: p } : {})), { nil: undefined })
    const taproot = fc.option(fc.option(fc.uint8Array({ minLength: 32, maxLength: 32 }), { nil: undefined }).map((merkleRoot) => (merkleRoot ? { merkleRoot } : {})), { nil: undefined })
    return fc.option(fc.record({ path, taproot }).map((s) => ({ ...(s.path ? { path: s.path } : {}), ...(s.taproot ? { taproot: s.taproot } : {}) })), { nil: undefined })
  }

  for (const keyType of keyTypes) {
    it(`${keyType}: random dealer keys (tweaked or not), signer sets and messages: shares, checks, aggregate and verification`, () => {
      const suite = frostSuite(keyType)
      const F = suite.sign
      const scenario = fc.integer({ min: 2, max: 4 }).chain((n) =>
        fc.record({
          n: fc.constant(n),
          t: fc.integer({ min: 2, max: n }),
          seed: fc.uint8Array({ minLength: 16, maxLength: 16 }),
          subsetKeys: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 }),
          extra: fc.nat({ max: 4 }),
          message: fc.uint8Array({ maxLength: 80 }),
          spend: spend(keyType),
          corruptAt: fc.nat(),
        }),
      )
      fc.assert(
        fc.property(scenario, ({ n, t, seed, subsetKeys, extra, message, spend, corruptAt }) => {
          const rng = rngFrom(seed)
          const deal = F.trustedDealer({ min: t, max: n }, undefined, undefined, rng)
          let keys: FrostKey[] = Object.values(deal.secretShares).map((secret) => ({ public: deal.public, secret }))
          if (spend) {
            const sk = signingKey(keyType, suite.groupKey(keys[0]!), spend)
            keys = keys.map((k) => tweakKey(suite, k, sk))
          }
          // t..n signers, picked by the random keys.
          const size = Math.min(n, t + extra)
          const order = keys.map((k, i) => [subsetKeys[i] ?? 0, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1])
          const chosen = order.slice(0, size).map(([, i]) => keys[i]!)
          const pub = chosen[0]!.public
          const rounds = chosen.map((k) => commit(suite, k.secret))
          const list = rounds.map((r) => r.commitments)
          const copies = rounds.map((r) => ({ hiding: r.nonces.hiding.slice(), binding: r.nonces.binding.slice() }))

          // Each signer prepares its own package (with its own commitments) and signs; noble signs with the same nonces.
          const shares: Record<string, Uint8Array> = {}
          chosen.forEach((k, i) => {
            const prepared = prepareSigning(suite, k.public, list, message, { own: list[i]! })
            const mine = signShare(prepared, k.secret, rounds[i]!.nonces)
            const noble = F.signShare(k.secret as never, k.public as never, copies[i]!, list as never, message)
            expect(hex(mine)).toBe(hex(noble))
            shares[k.secret.identifier] = mine
          })

          // Any party (here: with the first signer's key package) checks the shares and aggregates.
          const prepared = prepareSigning(suite, pub, list, message)
          const ids = Object.keys(shares)
          for (const id of ids) {
            expect(verifyShare(prepared, id, shares[id]!)).toBe(true)
            expect(nobleVerifies(F, pub, list, message, id, shares[id]!)).toBe(true)
          }
          const victim = ids[corruptAt % ids.length]!
          const other = ids[(corruptAt + 1) % ids.length]!
          const flipped = shares[victim]!.slice()
          flipped[corruptAt % flipped.length]! ^= 1 << corruptAt % 8
          for (const bad of [offByOne(F, shares[victim]!), shares[other]!, flipped]) {
            expect(verifyShare(prepared, victim, bad)).toBe(false)
            expect(verifyShare(prepared, victim, bad)).toBe(nobleVerifies(F, pub, list, message, victim, bad))
          }

          const sig = aggregate(prepared, shares)
          expect(hex(sig)).toBe(hex(F.aggregate(pub as never, list as never, message, shares)))
          const groupKey = suite.groupKey(chosen[0]!)
          if (keyType === 'eddsa-ed25519') expect(ed25519.verify(sig, message, groupKey, { zip215: false })).toBe(true)
          else expect(schnorr.verify(sig, message, groupKey.subarray(1))).toBe(true)

          // A wrong share: both aggregates refuse and name the same signer.
          const wrong = { ...shares, [victim]: offByOne(F, shares[victim]!) }
          const cheaters = (f: () => unknown) => {
            try {
              f()
            } catch (e) {
              return (e as { cheaters?: string[]; meta?: { cheaters?: string[] } }).cheaters ?? (e as { meta: { cheaters: string[] } }).meta.cheaters
            }
            return 'accepted'
          }
          expect(cheaters(() => aggregate(prepared, wrong))).toEqual([victim])
          expect(cheaters(() => F.aggregate(pub as never, list as never, message, wrong))).toEqual([victim])

          // Aggregate first, checked by the independent verifier: the same signature; a wrong or
          // malformed share yields no signature and names its signer.
          const independent = (s: Uint8Array) => (keyType === 'eddsa-ed25519' ? ed25519.verify(s, message, groupKey, { zip215: false }) : schnorr.verify(s, message, groupKey.subarray(1)))
          expect(aggregateVerified(prepared, shares, independent)).toEqual({ ok: true, signature: sig })
          expect(aggregateVerified(prepared, wrong, independent)).toEqual({ ok: false, cheaters: [victim] })
          expect(aggregateVerified(prepared, { ...shares, [victim]: flipped }, independent)).toEqual({ ok: false, cheaters: [victim] })
          expect(aggregateVerified(prepared, { ...shares, [victim]: flipped.subarray(1) }, independent)).toEqual({ ok: false, cheaters: [victim] })
        }),
        { numRuns: keyType === 'eddsa-ed25519' ? 12 : 20 },
      )
    })
  }

  it('BIP340: every parity of group key and group commitment signs as noble does', () => {
    // The taproot suite negates the shares for a group key of odd y and the nonces for a group
    // commitment of odd y: find keys of both parities and nonces giving both parities of R.
    const F = bip340.sign
    const seen = new Set<string>()
    for (let attempt = 0; attempt < 64 && seen.size < 4; attempt++) {
      const deal = F.trustedDealer({ min: 2, max: 3 }, undefined, undefined, rngFrom(Uint8Array.of(attempt)))
      const keys = Object.values(deal.secretShares).slice(0, 2)
      const rounds = keys.map((s) => commit(bip340, s))
      const list = rounds.map((r) => r.commitments)
      const copies = rounds.map((r) => ({ hiding: r.nonces.hiding.slice(), binding: r.nonces.binding.slice() }))
      const msg = text(`parity ${attempt}`)
      const prepared = prepareSigning(bip340, deal.public, list, msg)
      const shares = Object.fromEntries(
        keys.map((s, i) => {
          const share = signShare(prepared, s, rounds[i]!.nonces)
          expect(hex(share)).toBe(hex(F.signShare(s, deal.public, copies[i]!, list, msg)))
          return [s.identifier, share]
        }),
      )
      const sig = aggregate(prepared, shares)
      expect(hex(sig)).toBe(hex(F.aggregate(deal.public, list, msg, shares)))
      expect(schnorr.verify(sig, msg, deal.public.commitments[0]!.subarray(1))).toBe(true)
      seen.add(`${prepared.key.negated}/${prepared.negateNonces}`)
    }
    expect(seen).toEqual(new Set(['false/false', 'false/true', 'true/false', 'true/true']))
  })
})

describe('aggregate first (RFC 9591 Section 5.3)', () => {
  function setup(suite: SigningSuite & { verify(sig: Uint8Array, msg: Uint8Array, key: Uint8Array): boolean }) {
    const deal = suite.sign.trustedDealer({ min: 2, max: 3 })
    const keys = Object.values(deal.secretShares).slice(0, 2)
    const rounds = keys.map((s) => commit(suite, s))
    const list = rounds.map((r) => r.commitments)
    const msg = text('aggregate first')
    const prepared = prepareSigning(suite, deal.public, list, msg)
    const shares: Record<string, Uint8Array> = Object.fromEntries(keys.map((s, i) => [s.identifier, signShare(prepared, s, rounds[i]!.nonces)]))
    const verify = (sig: Uint8Array) => suite.verify(sig, msg, deal.public.commitments[0]!)
    return { deal, prepared, shares, verify, ids: keys.map((k) => k.identifier), list, msg }
  }

  for (const suite of [ed, bip340]) {
    it(`${suite.keyType}: a signature the verifier refuses is never returned, even from valid shares`, () => {
      const { prepared, shares, verify } = setup(suite)
      const accepted = aggregateVerified(prepared, shares, verify)
      expect(accepted.ok).toBe(true)
      // The verifier has the last word: a refusal (or a throw) returns no signature; every share is valid, so nobody is named.
      expect(aggregateVerified(prepared, shares, () => false)).toEqual({ ok: false, cheaters: [] })
      expect(
        aggregateVerified(prepared, shares, () => {
          throw new Error('verifier failed')
        }),
      ).toEqual({ ok: false, cheaters: [] })
      // A verifier that accepts anything is not consulted for malformed shares: they are named first.
      const [a] = Object.keys(shares)
      expect(aggregateVerified(prepared, { ...shares, [a!]: new Uint8Array(31) }, () => true)).toEqual({ ok: false, cheaters: [a] })
    })

    it(`${suite.keyType}: every wrong share is named; shares that cancel out still make a valid signature`, () => {
      const { prepared, shares, verify, ids } = setup(suite)
      const F = suite.sign
      const Fn = F.utils.Fn
      const [a, b] = ids as [string, string]
      const shift = (share: Uint8Array, d: bigint) => Fn.toBytes(Fn.add(Fn.fromBytes(share), d))
      expect(aggregateVerified(prepared, { ...shares, [a]: shift(shares[a]!, 5n), [b]: shift(shares[b]!, 1n) }, verify)).toEqual({ ok: false, cheaters: prepared.identifiers.filter((id) => id === a || id === b) })
      // +δ and −δ: both shares are invalid on their own, the sum is the valid signature. Aggregate-first
      // accepts it (as RFC 9591 allows): the result is exactly the honest signature.
      const cancelled = { ...shares, [a]: shift(shares[a]!, 7n), [b]: shift(shares[b]!, Fn.neg(7n)) }
      expect(verifyShare(prepared, a, cancelled[a]!)).toBe(false)
      const result = aggregateVerified(prepared, cancelled, verify)
      expect(result).toEqual({ ok: true, signature: aggregate(prepared, shares) })
    })
  }

  it('a signer without a valid verifying share in the key package counts as a cheater when the signature fails', () => {
    const { deal, list, msg, shares, ids } = setup(ed)
    const [a] = ids as [string]
    const pub = { ...deal.public, verifyingShares: { ...deal.public.verifyingShares, [a]: new Uint8Array(32).fill(0xff) } }
    const prepared = prepareSigning(ed, pub, list, msg)
    const result = aggregateVerified(prepared, shares, (sig) => ed.verify(sig, msg, deal.public.commitments[0]!))
    // The shares are good, so the signature is too: the unused verifying share is never decoded.
    expect(result.ok).toBe(true)
    expect(aggregateVerified(prepared, shares, () => false)).toEqual({ ok: false, cheaters: [a] })
  })

  it('refuses a share list that does not match the signers', () => {
    const { prepared, shares, verify, ids } = setup(ed)
    expect(() => aggregateVerified(prepared, { [ids[0]!]: shares[ids[0]!]! }, verify)).toThrow(/Expected 2 signature shares, got 1/)
    expect(() => aggregateVerified(prepared, { [ids[0]!]: shares[ids[0]!]!, ['00'.repeat(31) + '09']: shares[ids[1]!]! }, verify)).toThrow(/missing/)
  })
})

describe('each party derives round two on its own, and the parties agree', () => {
  for (const suite of [ed, bip340]) {
    it(`${suite.keyType}: each party prepares the package from its own copy; nothing is shared between them`, () => {
      const deal = suite.sign.trustedDealer({ min: 2, max: 3 })
      const keys = Object.values(deal.secretShares).slice(0, 2)
      const rounds = keys.map((s) => commit(suite, s))
      const list = rounds.map((r) => r.commitments)
      const msg = text(`shared derivation ${Math.random()}`)
      // every party holds its own copy of the public package and decodes it itself
      const copies = keys.map(() => structuredClone(deal.public))
      const prepared = copies.map((pub, i) => prepareSigning(suite, prepareKey(suite, pub), list, msg, { own: list[i]! }))
      expect(prepared[1]!.challenge).toBe(prepared[0]!.challenge)
      expect(prepared[1]!.groupCommitment.equals(prepared[0]!.groupCommitment)).toBe(true)
      // separate objects all the way down: no party reads a result another party computed
      expect(prepared[1]!.groupCommitment).not.toBe(prepared[0]!.groupCommitment)
      expect(prepared[1]!.key).not.toBe(prepared[0]!.key)
      expect(prepared[1]!.key.groupKey).not.toBe(prepared[0]!.key.groupKey)
      const shares = Object.fromEntries(keys.map((s, i) => [s.identifier, signShare(prepared[i]!, s, rounds[i]!.nonces)]))
      const signature = aggregate(prepared[0]!, shares)
      // the same bytes noble derives from scratch
      expect(hex(signature)).toBe(hex(suite.sign.aggregate(deal.public as never, list as never, msg, shares)))
      // another message, or a list in which one commitment differs, derives another challenge
      expect(prepareSigning(suite, deal.public, list, text('another message')).challenge).not.toBe(prepared[0]!.challenge)
      const other = commit(suite, keys[1]!).commitments
      expect(prepareSigning(suite, deal.public, [list[0]!, other], msg).challenge).not.toBe(prepared[0]!.challenge)
    })
  }
})

describe('commit', () => {
  it('returns commitments that encode exactly as the plain wire object, with nothing hidden leaking out', () => {
    const deal = ed.sign.trustedDealer({ min: 2, max: 2 })
    const { commitments, nonces } = commit(ed, Object.values(deal.secretShares)[0]!)
    const plain = { identifier: commitments.identifier, hiding: commitments.hiding, binding: commitments.binding }
    expect(Object.keys(commitments).sort()).toEqual(['binding', 'hiding', 'identifier'])
    expect(Object.keys(nonces).sort()).toEqual(['binding', 'hiding'])
    expect(canonicalStringify(commitments)).toBe(canonicalStringify(plain))
    // a copy of the commitments is as good as the original, only without the kept points
    const other = commit(ed, Object.values(deal.secretShares)[1]!)
    const msg = text('copies')
    const a = prepareSigning(ed, deal.public, [plain, other.commitments], msg, { own: commitments })
    const b = prepareSigning(ed, deal.public, [structuredClone(plain), other.commitments], msg, { own: { ...commitments } })
    expect(a.challenge).toBe(b.challenge)
    // (the same share twice from one dealer test key: a copy of the nonce bytes, to compare the two paths)
    const copy = { hiding: nonces.hiding.slice(), binding: nonces.binding.slice() }
    expect(hex(signShare(a, Object.values(deal.secretShares)[0]!, copy))).toBe(hex(signShare(b, Object.values(deal.secretShares)[0]!, nonces)))
  })
})

describe('a prepared key', () => {
  it('is reused as given, and refused by another ciphersuite', () => {
    const deal = bip340.sign.trustedDealer({ min: 2, max: 2 })
    const keys = Object.values(deal.secretShares)
    const rounds = keys.map((s) => commit(bip340, s))
    const key = prepareKey(bip340, deal.public)
    const prepared = prepareSigning(bip340, key, rounds.map((r) => r.commitments), text('m'))
    expect(prepared.key).toBe(key)
    const plain = { sign: secp256k1_FROST } as unknown as SigningSuite
    let error: unknown
    try {
      prepareSigning(plain, key, rounds.map((r) => r.commitments), text('m'))
    } catch (e) {
      error = e
    }
    expect(isZrError(error, 'INVALID_INPUT')).toBe(true)
    expect((error as Error).message).toMatch(/another ciphersuite/)
    expect((error as { details: string }).details).toMatch(/expected a key prepared for FROST-secp256k1-SHA256-v1, got one for FROST-secp256k1-SHA256-TR-v1/)
  })
})

describe('prepared FROST signing refuses invalid input', () => {
  const Ped = ed25519.Point

  /** The 8-torsion points of ed25519 (the identity excluded), from the torsion part of a decoded point. */
  function smallOrderPoints(): InstanceType<typeof Ped>[] {
    for (let i = 0; ; i++) {
      let P: InstanceType<typeof Ped>
      try {
        P = Ped.fromBytes(sha256(Uint8Array.of(i)))
      } catch {
        continue
      }
      // P = A + T with A of prime order: A = (8⁻¹ mod L)·(8P), T = P − A.
      const A = P.clearCofactor().multiplyUnsafe(Ped.Fn.inv(8n))
      const T = P.subtract(A)
      if (T.double().double().is0()) continue // not of order 8
      return Array.from({ length: 7 }, (_, k) => T.multiplyUnsafe(BigInt(k + 1)))
    }
  }

  function edSetup() {
    const deal = ed.sign.trustedDealer({ min: 2, max: 3 })
    const keys = Object.values(deal.secretShares).slice(0, 2)
    const rounds = keys.map((s) => commit(ed, s))
    return { deal, keys, rounds, list: rounds.map((r) => ({ ...r.commitments })) }
  }

  it('ed25519: small-order, mixed-order, identity, off-curve and non-canonical commitments are refused, naming the signer', () => {
    const { deal, list } = edSetup()
    const msg = text('refuse')
    expect(() => prepareSigning(ed, deal.public, list, msg)).not.toThrow()
    const torsion = smallOrderPoints()
    expect(torsion.every((T) => !T.is0() && T.multiplyUnsafe(8n).is0())).toBe(true)
    const G = Ped.BASE.multiply(12345n)
    const offCurve = (() => {
      for (let i = 0; ; i++) {
        const b = sha256(Uint8Array.of(0xee, i))
        b[31]! &= 0x7f
        try {
          Ped.fromBytes(b)
        } catch {
          return b
        }
      }
    })()
    const yPlusP = new Uint8Array(32)
    let v = Ped.Fp.ORDER + 1n // y = 1 encoded as p + 1
    for (let i = 0; i < 32; i++, v >>= 8n) yPlusP[i] = Number(v & 0xffn)
    const bad: [string, Uint8Array][] = [
      ...torsion.map((T, k) => [`order-dividing-8 point ${k + 1}`, T.toBytes()] as [string, Uint8Array]),
      ...torsion.slice(0, 3).map((T, k) => [`prime-order point plus torsion ${k + 1}`, G.add(T).toBytes()] as [string, Uint8Array]),
      ['identity', Ped.ZERO.toBytes()],
      ['off-curve', offCurve],
      ['y >= p', yPlusP],
      ['short', G.toBytes().subarray(1)],
    ]
    for (const [name, bytes] of bad) {
      for (const field of ['hiding', 'binding'] as const) {
        const tampered = list.map((c, i) => (i === 1 ? { ...c, [field]: bytes } : c))
        let error: unknown
        try {
          prepareSigning(ed, deal.public, tampered, msg)
        } catch (e) {
          error = e
        }
        expect(isZrError(error, 'INVALID_INPUT'), `${name} as ${field}`).toBe(true)
        expect((error as { meta: { identifier?: string } }).meta.identifier, name).toBe(list[1]!.identifier)
        // noble refuses it too.
        expect(() => ed.sign.verifyShare(deal.public, tampered, msg, list[0]!.identifier, new Uint8Array(32)), name).toThrow()
      }
    }
  })

  it('ed25519: a group key or verifying share of small order is refused', () => {
    const { deal, list } = edSetup()
    const T = smallOrderPoints()[2]!
    const badKey = { ...deal.public, commitments: [Ped.fromBytes(deal.public.commitments[0]!).add(T).toBytes(), ...deal.public.commitments.slice(1)] }
    expect(() => prepareKey(ed, badKey)).toThrow(/prime-order subgroup/)
    expect(() => prepareSigning(ed, badKey, list, text('m'))).toThrow(/prime-order subgroup/)
    const id = list[0]!.identifier
    const badShare = { ...deal.public, verifyingShares: { ...deal.public.verifyingShares, [id]: Ped.fromBytes(deal.public.verifyingShares[id]!).add(T).toBytes() } }
    const prepared = prepareSigning(ed, badShare, list, text('m'))
    expect(() => verifyShare(prepared, id, new Uint8Array(32))).toThrow(/prime-order subgroup/)
  })

  it('own commitments are only trusted when they come from commit()', () => {
    const { deal, list } = edSetup()
    const T = smallOrderPoints()[0]!
    // A look-alike of an own commitment object does not switch the checks off.
    const forged = { ...list[1]!, hiding: T.toBytes() }
    const tampered = [list[0]!, forged]
    expect(() => prepareSigning(ed, deal.public, tampered, text('m'), { own: forged })).toThrow(/prime-order subgroup/)
    // A real own commitment object whose bytes differ from the list's entry is not used for it.
    const { rounds } = edSetup()
    const mine = rounds[1]!.commitments
    expect(() => prepareSigning(ed, deal.public, [list[0]!, { ...mine, identifier: list[1]!.identifier, hiding: T.toBytes() }], text('m'), { own: mine })).toThrow(/prime-order subgroup/)
  })

  it('secp256k1 (BIP340): off-curve, identity, bad-prefix and uncompressed commitments are refused', () => {
    const deal = bip340.sign.trustedDealer({ min: 2, max: 3 })
    const keys = Object.values(deal.secretShares).slice(0, 2)
    const list = keys.map((s) => commit(bip340, s).commitments)
    const offCurve = (() => {
      for (let i = 0; ; i++) {
        const b = concatBytes(Uint8Array.of(2), sha256(Uint8Array.of(0x5e, i)))
        try {
          secp256k1.Point.fromBytes(b)
        } catch {
          return b
        }
      }
    })()
    const P = secp256k1.Point.fromBytes(list[1]!.hiding)
    const bad: [string, Uint8Array][] = [
      ['off-curve', offCurve],
      ['identity', new Uint8Array(33)],
      ['prefix 04 on 33 bytes', concatBytes(Uint8Array.of(4), list[1]!.hiding.subarray(1))],
      ['x >= p', concatBytes(Uint8Array.of(2), new Uint8Array(32).fill(0xff))],
      ['uncompressed', P.toBytes(false)],
    ]
    for (const [name, bytes] of bad) {
      const tampered = [list[0]!, { ...list[1]!, binding: bytes }]
      let error: unknown
      try {
        prepareSigning(bip340, deal.public, tampered, text('m'))
      } catch (e) {
        error = e
      }
      expect(isZrError(error, 'INVALID_INPUT'), name).toBe(true)
      expect((error as { meta: { identifier?: string } }).meta.identifier, name).toBe(list[1]!.identifier)
    }
  })

  it('malformed lists and misuse are refused', () => {
    const { deal, keys, rounds, list } = edSetup()
    const msg = text('misuse')
    expect(() => prepareSigning(ed, deal.public, [list[0]!], msg)).toThrow(/needs 2 to 3/)
    expect(() => prepareSigning(ed, deal.public, [list[0]!, list[0]!], msg)).toThrow(/twice/)
    expect(() => prepareSigning(ed, deal.public, [list[0]!, { ...list[1]!, identifier: 'not-hex' }], msg)).toThrow(/identifier/)
    expect(() => prepareSigning(ed, deal.public, [list[0]!, { ...list[1]!, identifier: '00'.repeat(32) }], msg)).toThrow(/identifier/)
    const prepared = prepareSigning(ed, deal.public, list, msg)
    // Nonces whose commitments are not the listed ones.
    const fresh = commit(ed, keys[0]!)
    expect(() => signShare(prepared, keys[0]!, fresh.nonces)).toThrow(/commitments/)
    // Nonces changed after commit() are checked against the list again, not trusted.
    const again = commit(ed, keys[1]!)
    const withAgain = prepareSigning(ed, deal.public, [list[0]!, again.commitments], msg, { own: again.commitments })
    again.nonces.hiding.set(fresh.nonces.hiding)
    expect(() => signShare(withAgain, keys[1]!, again.nonces)).toThrow(/commitments/)
    // Nonces are single-use.
    signShare(prepared, keys[0]!, rounds[0]!.nonces)
    expect(() => signShare(prepared, keys[0]!, rounds[0]!.nonces)).toThrow(/already used/)
    // A party not in the list cannot sign or be checked.
    const outsider = Object.values(deal.secretShares)[2]!
    expect(() => signShare(prepared, outsider, commit(ed, outsider).nonces)).toThrow(/no entry/)
    expect(() => verifyShare(prepared, outsider.identifier, new Uint8Array(32))).toThrow(/Not a signer/)
    // Missing or extra shares.
    expect(() => aggregate(prepared, { [list[0]!.identifier]: new Uint8Array(32) })).toThrow(/Expected 2/)
    // Packages must come from prepareSigning.
    expect(() => verifyShare({ ...prepared }, list[0]!.identifier, new Uint8Array(32))).toThrow(/prepareSigning/)
  })
})
