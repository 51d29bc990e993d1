import { ed25519 } from '@noble/curves/ed25519.js'
import { schnorr, schnorr_FROST, secp256k1, secp256k1_FROST } from '@noble/curves/secp256k1.js'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { type DerivationPath, type KeyType, signingKey } from '@zrkit/core'
import { type Frost, type FrostKey, frostSuite, tweakKey } from '@zrkit/mpc/internal'
import { describe, expect, it } from 'vitest'
import { frostVector } from '@zrkit/testkit'

// Known-answer tests of the FROST suites zrkit signs with (RFC 9591 Appendix E and the frost-rs test
// vectors), of the share check zrkit's DKG applies, and of `tweakKey` against `signingKey`.

/** The vectors are vendored in `@zrkit/testkit` (`packages/testkit/vectors/frost/`, sources in its README). */
const vector = frostVector

type SigningVector = {
  config: { MAX_PARTICIPANTS: string | number; MIN_PARTICIPANTS: string | number; NUM_PARTICIPANTS: string | number; name: string }
  inputs: {
    participant_list: number[]
    group_secret_key: string
    group_public_key?: string
    verifying_key_key?: string
    message: string
    share_polynomial_coefficients: string[]
    participant_shares: { identifier: number; participant_share: string }[]
  }
  round_one_outputs: {
    outputs: { identifier: number; hiding_nonce: string; binding_nonce: string; hiding_nonce_commitment: string; binding_nonce_commitment: string }[]
  }
  round_two_outputs: { outputs: { identifier: number; sig_share: string }[] }
  final_output: { sig: string }
}

type DkgParticipant = {
  identifier: number
  signing_key: string
  coefficient: string
  vss_commitments: string[]
  proof_of_knowledge: string
  signing_shares: Record<string, string>
  verifying_share: string
  signing_share: string
}
type DkgVector = {
  config: { MAX_PARTICIPANTS: string | number; MIN_PARTICIPANTS: string | number }
  inputs: { verifying_key: string } & Record<string, DkgParticipant | string>
}

const hex = (bytes: Uint8Array) => bytesToHex(bytes)

/** The public package a trusted dealer would publish for the vector's polynomial, and every share. */
function dealerPackage(F: Frost, v: SigningVector) {
  const signers = { min: Number(v.config.MIN_PARTICIPANTS), max: Number(v.config.MAX_PARTICIPANTS) }
  const Fn = F.utils.Fn
  const coeffs = v.inputs.share_polynomial_coefficients.map((c) => Fn.fromBytes(hexToBytes(c)))
  const poly = F.utils.generateSecretPolynomial(signers, hexToBytes(v.inputs.group_secret_key), coeffs)
  const secrets = v.inputs.participant_shares.map((s) => ({ identifier: F.Identifier.fromNumber(s.identifier), signingShare: hexToBytes(s.participant_share) }))
  // ed25519 points encode in 32 bytes, compressed secp256k1 points in 33.
  const Point = poly.commitment[0]!.length === 32 ? ed25519.Point : secp256k1.Point
  const verifyingShares = Object.fromEntries(secrets.map((s) => [s.identifier, Point.BASE.multiply(Fn.fromBytes(s.signingShare)).toBytes()]))
  const pub = { signers, commitments: poly.commitment, verifyingShares }
  return { pub, secrets }
}
type Case = {
  file: string
  /** The suite zrkit signs with for this ciphersuite. */
  frost: Frost
  /** An independent verifier of the final signature, when the format has one. */
  verify?: (sig: Uint8Array, msg: Uint8Array, groupKey: Uint8Array) => boolean
}

const cases: Case[] = [
  { file: 'rfc9591-ed25519-sha512', frost: frostSuite('eddsa-ed25519').sign, verify: (s, m, k) => ed25519.verify(s, m, k, { zip215: false }) },
  { file: 'zf-ed25519-vectors', frost: frostSuite('eddsa-ed25519').sign, verify: (s, m, k) => ed25519.verify(s, m, k, { zip215: false }) },
  { file: 'rfc9591-secp256k1-sha256', frost: secp256k1_FROST as unknown as Frost },
  { file: 'zf-secp256k1-vectors', frost: secp256k1_FROST as unknown as Frost },
  { file: 'zf-secp256k1-tr-vectors', frost: frostSuite('schnorr-secp256k1').sign, verify: (s, m, k) => schnorr.verify(s, m, k.subarray(1)) },
]

describe('FROST signing vectors', () => {
  it('zrkit signs with noble’s BIP340 suite for Schnorr keys and the plain suite for their DKG', () => {
    expect(frostSuite('schnorr-secp256k1').sign).toBe(schnorr_FROST)
    expect(frostSuite('schnorr-secp256k1').dkg).toBe(secp256k1_FROST)
  })

  for (const { file, frost: F, verify } of cases) {
    it(`${file}: dealer package, every signature share and the signature`, () => {
      const v = vector<SigningVector>(file)
      const { pub, secrets } = dealerPackage(F, v)
      const groupKey = v.inputs.group_public_key ?? v.inputs.verifying_key_key!
      expect(hex(pub.commitments[0]!)).toBe(groupKey)
      // Every participant share lies on the dealer polynomial.
      for (const s of secrets) F.validateSecret(s, pub)

      const msg = hexToBytes(v.inputs.message)
      const round1 = v.round_one_outputs.outputs
      const commitmentList = round1.map((o) => ({
        identifier: F.Identifier.fromNumber(o.identifier),
        hiding: hexToBytes(o.hiding_nonce_commitment),
        binding: hexToBytes(o.binding_nonce_commitment),
      }))
      const shares: Record<string, Uint8Array> = {}
      for (const o of round1) {
        const id = F.Identifier.fromNumber(o.identifier)
        const secret = secrets.find((s) => s.identifier === id)!
        const nonces = { hiding: hexToBytes(o.hiding_nonce), binding: hexToBytes(o.binding_nonce) }
        const share = F.signShare(secret, pub, nonces, commitmentList, msg)
        const expected = v.round_two_outputs.outputs.find((x) => x.identifier === o.identifier)!.sig_share
        expect(hex(share), `share of participant ${o.identifier}`).toBe(expected)
        expect(F.verifyShare(pub, commitmentList, msg, id, share)).toBe(true)
        shares[id] = share
      }
      expect(Object.keys(shares)).toHaveLength(v.inputs.participant_list.length)
      const sig = F.aggregate(pub, commitmentList, msg, shares)
      expect(hex(sig)).toBe(v.final_output.sig)
      expect(F.verify(sig, msg, hexToBytes(groupKey))).toBe(true)
      if (verify) {
        expect(verify(sig, msg, hexToBytes(groupKey))).toBe(true)
        const other = Uint8Array.from(msg)
        other[0]! ^= 1
        expect(verify(sig, other, hexToBytes(groupKey))).toBe(false)
      }
    })
  }
})

/** Round-1 state of a vector participant, as noble's DKG keeps it, built from the vector's polynomial. */
function vectorRound1(F: Frost, p: DkgParticipant, signers: { min: number; max: number }) {
  const Fn = F.utils.Fn
  return {
    public: { identifier: F.Identifier.fromNumber(p.identifier), commitment: p.vss_commitments.map(hexToBytes), proofOfKnowledge: hexToBytes(p.proof_of_knowledge) },
    secret: {
      identifier: BigInt(p.identifier),
      coefficients: [Fn.fromBytes(hexToBytes(p.signing_key)), Fn.fromBytes(hexToBytes(p.coefficient))],
      commitment: p.vss_commitments.map(hexToBytes),
      signers,
      step: 1 as const,
    },
  }
}

describe('FROST DKG vectors', () => {
  const dkgCases: { file: string; keyType: KeyType; fullRun: boolean }[] = [
    { file: 'zf-ed25519-vectors_dkg', keyType: 'eddsa-ed25519', fullRun: true },
    { file: 'zf-secp256k1-vectors_dkg', keyType: 'schnorr-secp256k1', fullRun: true },
    // The TR suite's proofs of knowledge use the TR context string; zrkit's Schnorr DKG runs the plain
    // secp256k1 suite, so only the share checks (which do not depend on the context) apply.
    { file: 'zf-secp256k1-tr-vectors_dkg', keyType: 'schnorr-secp256k1', fullRun: false },
  ]

  for (const { file, keyType, fullRun } of dkgCases) {
    const participants = (v: DkgVector) => Object.values(v.inputs).filter((p): p is DkgParticipant => typeof p === 'object')

    it(`${file}: the round-3 share check accepts the vector's shares and rejects a flipped one`, () => {
      const v = vector<DkgVector>(file)
      const F = frostSuite(keyType).dkg
      const signers = { min: Number(v.config.MIN_PARTICIPANTS), max: Number(v.config.MAX_PARTICIPANTS) }
      const all = participants(v)
      expect(all).toHaveLength(signers.max)
      let checked = 0
      // A participant's `signing_shares` are the shares it received, keyed by sender.
      for (const receiver of all) {
        const identifier = F.Identifier.fromNumber(receiver.identifier)
        for (const [from, shareHex] of Object.entries(receiver.signing_shares)) {
          const sender = all.find((p) => p.identifier === Number(from))!
          const commitments = sender.vss_commitments.map(hexToBytes)
          // Exactly the check runDkg applies to each received share.
          const check = (id: string, signingShare: Uint8Array) => F.validateSecret({ identifier: id, signingShare }, { signers, commitments, verifyingShares: {} })
          expect(() => check(identifier, hexToBytes(shareHex))).not.toThrow()
          const flipped = hexToBytes(shareHex)
          flipped[5]! ^= 0x01
          expect(() => check(identifier, flipped)).toThrow()
          // The share is bound to its receiver: it does not pass as the sender's own share.
          expect(() => check(F.Identifier.fromNumber(sender.identifier), hexToBytes(shareHex))).toThrow()
          // Nor against another sender's commitments.
          const third = all.find((p) => p !== sender && p !== receiver)!
          expect(() => F.validateSecret({ identifier, signingShare: hexToBytes(shareHex) }, { signers, commitments: third.vss_commitments.map(hexToBytes), verifyingShares: {} })).toThrow()
          checked++
        }
      }
      expect(checked).toBe(signers.max * (signers.max - 1))
    })

    if (fullRun) {
      it(`${file}: noble's DKG rounds 2 and 3 from the vector's polynomials reproduce shares, key packages and the group key`, () => {
        const v = vector<DkgVector>(file)
        const F = frostSuite(keyType).dkg
        const signers = { min: Number(v.config.MIN_PARTICIPANTS), max: Number(v.config.MAX_PARTICIPANTS) }
        const all = participants(v)
        const states = new Map(all.map((p) => [p.identifier, vectorRound1(F, p, signers)]))
        const sent = new Map<number, Record<string, { identifier: string; signingShare: Uint8Array }>>()
        for (const p of all) {
          const others = all.filter((q) => q !== p).map((q) => states.get(q.identifier)!.public)
          const out = F.DKG.round2(states.get(p.identifier)!.secret as never, others)
          // Each receiver lists the share it got from p under p's identifier.
          for (const q of all.filter((x) => x !== p)) {
            expect(hex(out[F.Identifier.fromNumber(q.identifier)]!.signingShare)).toBe(q.signing_shares[String(p.identifier)])
          }
          sent.set(p.identifier, out)
        }
        const keys: FrostKey[] = []
        for (const p of all) {
          const others = all.filter((q) => q !== p)
          const received = others.map((q) => sent.get(q.identifier)![F.Identifier.fromNumber(p.identifier)]!)
          const key = F.DKG.round3(states.get(p.identifier)!.secret as never, others.map((q) => states.get(q.identifier)!.public), received) as unknown as FrostKey
          expect(hex(key.secret.signingShare)).toBe(p.signing_share)
          expect(hex(key.public.verifyingShares[F.Identifier.fromNumber(p.identifier)]!)).toBe(p.verifying_share)
          expect(hex(frostSuite(keyType).groupKey(key))).toBe(v.inputs.verifying_key)
          keys.push(key)
        }
        // A flipped share is refused by round 3 too.
        const p = all[0]!
        const fresh = vectorRound1(F, p, signers)
        const others = all.filter((q) => q !== p)
        F.DKG.round2(fresh.secret as never, others.map((q) => states.get(q.identifier)!.public))
        const received = others.map((q) => ({ ...sent.get(q.identifier)![F.Identifier.fromNumber(p.identifier)]! }))
        received[0] = { ...received[0]!, signingShare: Uint8Array.from(received[0]!.signingShare) }
        received[0].signingShare[3]! ^= 0x80
        expect(() => F.DKG.round3(fresh.secret as never, others.map((q) => states.get(q.identifier)!.public), received)).toThrow()
        // A tampered proof of knowledge is refused in round 2.
        const bad = vectorRound1(F, p, signers)
        const forged = others.map((q) => states.get(q.identifier)!.public)
        forged[0] = { ...forged[0]!, proofOfKnowledge: Uint8Array.from(forged[0]!.proofOfKnowledge) }
        forged[0].proofOfKnowledge[40]! ^= 1
        expect(() => F.DKG.round2(bad.secret as never, forged)).toThrow()
        expect(keys).toHaveLength(signers.max)
      })
    }
  }
})

describe('tweakKey', () => {
  const secpVector = () => vector<SigningVector>('zf-secp256k1-tr-vectors')
  const edVector = () => vector<SigningVector>('rfc9591-ed25519-sha512')

  function keyPackages(keyType: KeyType, v: SigningVector): FrostKey[] {
    const F = frostSuite(keyType).dkg
    const { pub, secrets } = dealerPackage(F, v)
    return secrets.map((secret) => ({ public: pub, secret }))
  }

  it('with tweak 0 and no negation is the identity; negating twice gives the key back', () => {
    for (const [keyType, v] of [['eddsa-ed25519', edVector()], ['schnorr-secp256k1', secpVector()]] as const) {
      const suite = frostSuite(keyType)
      for (const key of keyPackages(keyType, v)) {
        const same = tweakKey(suite, key, { negate: false, tweak: 0n })
        expect(same).toEqual(key)
        if (keyType === 'schnorr-secp256k1') {
          const twice = tweakKey(suite, tweakKey(suite, key, { negate: true, tweak: 0n }), { negate: true, tweak: 0n })
          expect(twice).toEqual(key)
          expect(tweakKey(suite, key, { negate: true, tweak: 0n })).not.toEqual(key)
        }
        expect(tweakKey(suite, key, { negate: false, tweak: 5n })).not.toEqual(key)
      }
    }
  })

  /** Signs `msg` with two of the (tweaked) key packages using fresh nonces; returns the signature. */
  function signWith(F: Frost, keys: FrostKey[], msg: Uint8Array): Uint8Array {
    const signers = [keys[0]!, keys[2]!]
    const rounds = signers.map((k) => F.commit(k.secret))
    const commitmentList = rounds.map((r) => r.commitments)
    const shares = Object.fromEntries(signers.map((k, i) => [k.secret.identifier, F.signShare(k.secret, k.public, rounds[i]!.nonces, commitmentList, msg)]))
    for (const [id, share] of Object.entries(shares)) expect(F.verifyShare(keys[0]!.public, commitmentList, msg, id, share)).toBe(true)
    return F.aggregate(keys[0]!.public, commitmentList, msg, shares)
  }

  const spends: { name: string; path?: DerivationPath; taproot?: { merkleRoot?: Uint8Array } }[] = [
    { name: 'a path', path: 'm/0/3' },
    { name: 'a taproot key-path spend (BIP86)', taproot: {} },
    { name: 'a taproot spend with a script tree, at a labelled path', path: [7, 'invoice-42'], taproot: { merkleRoot: new Uint8Array(32).fill(0xab) } },
  ]

  for (const spend of spends) {
    it(`schnorr-secp256k1 shares tweaked for ${spend.name} sign under signingKey's public key`, () => {
      const suite = frostSuite('schnorr-secp256k1')
      const keys = keyPackages('schnorr-secp256k1', secpVector())
      const groupKey = suite.groupKey(keys[0]!)
      const sk = signingKey('schnorr-secp256k1', groupKey, { ...(spend.path ? { path: spend.path } : {}), ...(spend.taproot ? { taproot: spend.taproot } : {}) })
      const tweaked = keys.map((k) => tweakKey(suite, k, sk))
      expect(hex(suite.groupKey(tweaked[0]!))).toBe(hex(sk.publicKey))
      for (const k of tweaked) suite.dkg.validateSecret(k.secret, k.public)
      const msg = new TextEncoder().encode(`zrkit tweak test: ${spend.name}`)
      const sig = signWith(suite.sign, tweaked, msg)
      expect(suite.verify(sig, msg, sk.publicKey)).toBe(true)
      expect(schnorr.verify(sig, msg, sk.publicKey.subarray(1))).toBe(true)
      // The untweaked key does not verify it.
      expect(schnorr.verify(sig, msg, groupKey.subarray(1))).toBe(false)
    })
  }

  it('a taproot spend of a key with odd y negates (both parities are exercised)', () => {
    // BIP340 lifts the internal key to even y: with an odd internal key, signingKey sets negate.
    const suite = frostSuite('schnorr-secp256k1')
    const keys = keyPackages('schnorr-secp256k1', secpVector())
    const groupKey = suite.groupKey(keys[0]!)
    const parities = new Set<boolean>()
    for (const path of ['m/1', 'm/2', 'm/3', 'm/4', 'm/5', 'm/6']) {
      const sk = signingKey('schnorr-secp256k1', groupKey, { path, taproot: {} })
      parities.add(sk.negate)
      const tweaked = keys.map((k) => tweakKey(suite, k, sk))
      const msg = new TextEncoder().encode(path)
      expect(schnorr.verify(signWith(suite.sign, tweaked, msg), msg, sk.publicKey.subarray(1))).toBe(true)
    }
    expect(parities).toEqual(new Set([true, false]))
  })

  it('eddsa-ed25519 shares tweaked for a path sign under signingKey’s public key', () => {
    const suite = frostSuite('eddsa-ed25519')
    const keys = keyPackages('eddsa-ed25519', edVector())
    const groupKey = suite.groupKey(keys[0]!)
    for (const path of ['m/0/3', [2, 'savings']] as DerivationPath[]) {
      const sk = signingKey('eddsa-ed25519', groupKey, { path })
      expect(sk.negate).toBe(false)
      const tweaked = keys.map((k) => tweakKey(suite, k, sk))
      expect(hex(suite.groupKey(tweaked[0]!))).toBe(hex(sk.publicKey))
      const msg = new TextEncoder().encode(`zrkit ed25519 tweak ${String(path)}`)
      const sig = signWith(suite.sign, tweaked, msg)
      expect(ed25519.verify(sig, msg, sk.publicKey, { zip215: false })).toBe(true)
      expect(ed25519.verify(sig, msg, groupKey, { zip215: false })).toBe(false)
    }
  })
})
