/**
 * A 2-of-3 ECDSA federation with presignature pools on (`presignaturesPerSet: 2`), end to end on the
 * embedded ledger with shares encrypted on disk: the pools fill in the background, later signings draw
 * from them (a presignature seen in a pool is gone from every pool afterwards), and every signature the
 * ledger holds verifies (noble, key recovery).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { type Account, type SecretStore, encryptedSecretStore, generateAccount, toHex } from '@zrkit/core'
import { fileSecretStore } from '@zrkit/core/node'
import { createFederation } from '@zrkit/mpc'
import { ownerWorld } from '@zrkit/testkit'
import { expect, it } from 'vitest'
import { PresignaturePool } from '../ecdsa/presignaturePool.js'

it('pools fill in the background and later signings draw from them; every signature verifies', async () => {
  const parties = [generateAccount(), generateAccount(), generateAccount()]
  const dirs: string[] = []
  for (let i = 0; i < 3; i++) dirs.push(await mkdtemp(join(tmpdir(), `zrkit-presigned-${i}-`)))
  const stores = (_: Account, i: number): SecretStore => encryptedSecretStore(fileSecretStore(dirs[i]!), { passphrase: `party ${i}` })
  const w = await ownerWorld({ chainId: 'zrkit-presigned-federation', funded: parties })
  const fed = await createFederation({ ledger: w.ledger, parties, threshold: 2, shares: stores, attemptTimeoutMs: 2_000, dkgTimeoutMs: 20_000, pollIntervalMs: 100, presignaturesPerSet: 2 })
  try {
    const keyring = await fed.register(w.client, { description: 'DKLs23 2-of-3 with presignatures', keyRequestFee: 100n, signRequestFee: 10n })
    await fed.start(keyring)
    const { requestId } = await w.client.requestKey({ workspace: w.workspace, keyring, keyType: 'ecdsa-secp256k1' })
    const { key } = await w.client.waitForKeyRequest({ requestId, timeoutMs: 60_000 })
    const held = async () => new Set((await Promise.all(parties.map((p, i) => new PresignaturePool(stores(p, i), key.publicKey, p.address, 2).allIds(64)))).flat().map((x) => toHex(x)))
    const seen = new Set<string>()
    for (let k = 0; k < 6; k++) {
      const digest = sha256(Uint8Array.of(k))
      const { requestId: r } = await w.client.requestSignature({ keyId: key.id, payloads: [digest] })
      const done = await w.client.waitForSignRequest({ requestId: r, timeoutMs: 60_000 })
      expect(done.status).toBe('fulfilled')
      const sig = done.signatures[0]!
      expect(secp256k1.verify(sig.subarray(0, 64), digest, key.publicKey, { prehash: false, lowS: true })).toBe(true)
      expect(toHex(secp256k1.Signature.fromBytes(sig.subarray(0, 64), 'compact').addRecoveryBit(sig[64]!).recoverPublicKey(digest).toBytes(true))).toBe(toHex(key.publicKey))
      await new Promise((res) => setTimeout(res, 500)) // the background refill
      for (const id of await held()) seen.add(id)
    }
    const now = await held()
    expect(now.size).toBeGreaterThan(0) // filled
    expect([...seen].some((id) => !now.has(id))).toBe(true) // and drawn from: some are gone from every pool
  } finally {
    await fed.stop()
    await w.ledger.close()
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
  }
}, 120_000)
