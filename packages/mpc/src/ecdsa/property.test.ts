import { createPublicKey, verify as opensslVerify } from 'node:crypto'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { toHex } from '@zrkit/core'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { scaled } from '@zrkit/testkit'
import { testNetwork } from '@zrkit/testkit/mpc'
import { OtExtensionReceiver, OtExtensionSender } from './ot/otExtension.js'
import { bytesToBigInt } from './ot/transcript.js'
import { type EcdsaDkgResult, runEcdsaDkg } from './runEcdsaDkg.js'
import { type DklsPairSetup, DklsSignSession } from './sign.js'

// A property over thousands of random messages (in the full run): threshold ECDSA signatures from a dealerless 2-of-3 key,
// each by a random pair of signers, are accepted by noble (low S, recovery id recovers the key) and by
// OpenSSL through node:crypto. The DKG runs once over the secure transport; the signatures run the
// DKLs23 rounds in memory (the wire path is covered by protocol.test.ts).

/** 2000 in the full run (`ZRKIT_FULL=1`), 100 in the default run. */
const RUNS = scaled(40, 2000)

let results: EcdsaDkgResult[]
let setups: Map<string, Map<string, DklsPairSetup>>

beforeAll(async () => {
  const net = await testNetwork(3, { seed: 'ecdsa-property' })
  try {
    results = await Promise.all(net.parties.map((p) => runEcdsaDkg({ session: p.router.open('property-dkg', net.ids), threshold: 2, timeoutMs: 120_000 })))
  } finally {
    await net.close()
  }
  // Each party's OT-extension setups, built once from its stored base-OT outputs (reused across signatures).
  setups = new Map(
    results.map((r) => [
      r.share.self,
      new Map([...r.pairs].map(([j, p]) => [j, { bob: OtExtensionReceiver.fromBaseOt(p.bob), alice: OtExtensionSender.fromBaseOt(p.alice), zeroSeed: p.zeroSeed }])),
    ]),
  )
}, 180_000)
afterAll(() => setups?.clear())

/** Runs Protocol 3.6 among `signers` (party ids), delivering every message; returns each signer's output. */
function sign(signers: string[], digest: Uint8Array): Uint8Array[] {
  const byId = new Map(results.map((r) => [r.share.self, r]))
  const parties = results[0]!.share.parties
  const info = signers.map((id) => ({ id, index: BigInt(parties.indexOf(id) + 1) }))
  const sessionId = randomBytes(32)
  const sessions = signers.map(
    (id) =>
      new DklsSignSession({ id, signers: info, share: bytesToBigInt(byId.get(id)!.share.share), publicKey: byId.get(id)!.share.publicKey, pairs: setups.get(id)!, sessionId, digest }),
  )
  // out[k] maps recipient -> message from signer k; deliver re-keys by sender.
  const deliver = <T>(out: Map<string, T>[], to: string) => new Map(signers.flatMap((from, k) => (from === to ? [] : [[from, out[k]!.get(to)!] as const])))
  const r1 = sessions.map((s) => s.round1())
  const r2 = sessions.map((s, k) => s.round2(deliver(r1, signers[k]!)))
  const r3 = sessions.map((s, k) => s.round3(deliver(r2, signers[k]!)))
  return sessions.map((s, k) => s.finish(new Map(signers.flatMap((from, i) => (i === k ? [] : [[from, r3[i]!] as const])))))
}

function opensslAccepts(sig: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  const P = secp256k1.Point.fromBytes(publicKey).toAffine()
  const b64 = (n: bigint) => Buffer.from(n.toString(16).padStart(64, '0'), 'hex').toString('base64url')
  const key = createPublicKey({ key: { kty: 'EC', crv: 'secp256k1', x: b64(P.x), y: b64(P.y) }, format: 'jwk' })
  return opensslVerify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, sig.subarray(0, 64))
}

describe('threshold ECDSA signatures (property)', () => {
  it(`${RUNS} random messages, random signer pairs: noble and OpenSSL accept every signature`, () => {
    const parties = results[0]!.share.parties
    const publicKey = results[0]!.share.publicKey
    const half = secp256k1.Point.CURVE().n >> 1n
    let checked = 0
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 96 }), fc.integer({ min: 0, max: 2 }), (message, leftOut) => {
        const signers = parties.filter((_, i) => i !== leftOut)
        const digest = sha256(message)
        const outputs = sign([...signers], digest)
        const sig = outputs[0]!
        for (const o of outputs) expect(toHex(o)).toBe(toHex(sig))
        const compact = sig.subarray(0, 64)
        expect(bytesToBigInt(compact.subarray(32)) <= half).toBe(true)
        expect(secp256k1.verify(compact, digest, publicKey, { prehash: false, lowS: true })).toBe(true)
        const recovered = secp256k1.Signature.fromBytes(compact, 'compact').addRecoveryBit(sig[64]!).recoverPublicKey(digest)
        expect(toHex(recovered.toBytes(true))).toBe(toHex(publicKey))
        expect(opensslAccepts(sig, message, publicKey)).toBe(true)
        checked++
      }),
      { numRuns: RUNS },
    )
    expect(checked).toBe(RUNS)
  }, 900_000)
})
