import { ed25519 } from '@noble/curves/ed25519.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import { type SecretStore, isZrError, keyTypes, localKeyring, memorySecretStore, recoveredToRsv } from '@zrkit/core'
import { nobleVerifies, payloadFor } from '@zrkit/testkit'

const KEYRING = 'keyring1testlocal'
const WORKSPACE = 'workspace1testlocal'
const utf8 = (s: string) => new TextEncoder().encode(s)
const never = new AbortController().signal

/** Order of secp256k1, for the low-S check. */
const N = secp256k1.Point.CURVE().n

function bigFromBytes(b: Uint8Array): bigint {
  let x = 0n
  for (const v of b) x = (x << 8n) | BigInt(v)
  return x
}

describe('localKeyring', () => {
  it('serves all four key types by default', () => {
    const k = localKeyring()
    expect([...k.keyTypes].sort()).toEqual([...keyTypes].sort())
    expect(k.keyTypes).toHaveLength(4)
    expect(k.name).toBe('local')
  })

  it('limits key types when asked', () => {
    expect(localKeyring({ keyTypes: ['eddsa-ed25519'] }).keyTypes).toEqual(['eddsa-ed25519'])
  })

  describe.each(keyTypes.map((t) => [t] as const))('%s', (keyType) => {
    it('creates a valid public key', async () => {
      const k = localKeyring()
      const { publicKey } = await k.createKey({ requestId: 1, keyType, workspace: WORKSPACE, keyring: KEYRING, signal: never })
      expect(publicKey).toBeInstanceOf(Uint8Array)
      if (keyType === 'eddsa-ed25519') {
        expect(publicKey).toHaveLength(32)
        expect(() => ed25519.Point.fromBytes(publicKey).assertValidity()).not.toThrow()
      } else {
        expect(publicKey).toHaveLength(33)
        expect([2, 3]).toContain(publicKey[0])
        expect(() => secp256k1.Point.fromBytes(publicKey).assertValidity()).not.toThrow()
      }
    })

    it('signs payloads that noble verifies independently', async () => {
      const k = localKeyring()
      const { publicKey } = await k.createKey({ requestId: 7, keyType, workspace: WORKSPACE, keyring: KEYRING, signal: never })
      const payloads = [payloadFor(keyType, 'a'), payloadFor(keyType, 'b'), payloadFor(keyType, 'c')]
      const { signatures } = await k.sign({ requestId: 1, keyId: 1, keyType, publicKey, payloads, workspace: WORKSPACE, keyring: KEYRING, signal: never })
      expect(signatures).toHaveLength(3)
      signatures.forEach((sig, i) => {
        expect(sig).toHaveLength(keyType === 'eddsa-ed25519' || keyType === 'schnorr-secp256k1' ? 64 : 65)
        expect(nobleVerifies(keyType, publicKey, payloads[i]!, sig)).toBe(true)
        // not valid for another payload
        expect(nobleVerifies(keyType, publicKey, payloads[(i + 1) % 3]!, sig)).toBe(false)
      })
    })

    it('is idempotent per (keyring, requestId)', async () => {
      const k = localKeyring()
      const a = await k.createKey({ requestId: 3, keyType, workspace: WORKSPACE, keyring: KEYRING, signal: never })
      const b = await k.createKey({ requestId: 3, keyType, workspace: WORKSPACE, keyring: KEYRING, signal: never })
      expect(Buffer.from(b.publicKey).equals(Buffer.from(a.publicKey))).toBe(true)
      const other = await k.createKey({ requestId: 4, keyType, workspace: WORKSPACE, keyring: KEYRING, signal: never })
      expect(Buffer.from(other.publicKey).equals(Buffer.from(a.publicKey))).toBe(false)
      const otherKeyring = await k.createKey({ requestId: 3, keyType, workspace: WORKSPACE, keyring: 'keyring1other', signal: never })
      expect(Buffer.from(otherKeyring.publicKey).equals(Buffer.from(a.publicKey))).toBe(false)
    })

    it('refuses a key it does not hold with KEY_NOT_FOUND', async () => {
      const k = localKeyring()
      const stranger = localKeyring()
      const { publicKey } = await stranger.createKey({ requestId: 1, keyType, workspace: WORKSPACE, keyring: KEYRING, signal: never })
      const err = await k
        .sign({ requestId: 1, keyId: 1, keyType, publicKey, payloads: [payloadFor(keyType, 'x')], workspace: WORKSPACE, keyring: KEYRING, signal: never })
        .then(
          () => undefined,
          (e: unknown) => e,
        )
      expect(isZrError(err, 'KEY_NOT_FOUND')).toBe(true)
    })

    it('keeps keys in a shared SecretStore across a restart', async () => {
      const secrets = memorySecretStore()
      const before = localKeyring({ secrets })
      const { publicKey } = await before.createKey({ requestId: 9, keyType, workspace: WORKSPACE, keyring: KEYRING, signal: never })
      const after = localKeyring({ secrets })
      // the same request after the restart gives the same key
      const again = await after.createKey({ requestId: 9, keyType, workspace: WORKSPACE, keyring: KEYRING, signal: never })
      expect(Buffer.from(again.publicKey).equals(Buffer.from(publicKey))).toBe(true)
      const payload = payloadFor(keyType, 'after restart')
      const { signatures } = await after.sign({ requestId: 2, keyId: 1, keyType, publicKey, payloads: [payload], workspace: WORKSPACE, keyring: KEYRING, signal: never })
      expect(nobleVerifies(keyType, publicKey, payload, signatures[0]!)).toBe(true)
    })

    it('signs 200 random payloads that all verify', async () => {
      const k = localKeyring()
      const { publicKey } = await k.createKey({ requestId: 11, keyType, workspace: WORKSPACE, keyring: KEYRING, signal: never })
      const ecdsa = keyType === 'ecdsa-secp256k1' || keyType === 'bitcoin-secp256k1'
      const payloads = Array.from({ length: 200 }, (_, i) => (ecdsa ? crypto.getRandomValues(new Uint8Array(32)) : crypto.getRandomValues(new Uint8Array(1 + (i % 97)))))
      const { signatures } = await k.sign({ requestId: 3, keyId: 1, keyType, publicKey, payloads, workspace: WORKSPACE, keyring: KEYRING, signal: never })
      expect(signatures).toHaveLength(200)
      const bad = signatures.map((sig, i) => (nobleVerifies(keyType, publicKey, payloads[i]!, sig) ? -1 : i)).filter((i) => i >= 0)
      expect(bad).toEqual([])
    })
  })

  it('ECDSA signatures are low-S with a recovery id that recovers the key', async () => {
    const k = localKeyring()
    const { publicKey } = await k.createKey({ requestId: 1, keyType: 'ecdsa-secp256k1', workspace: WORKSPACE, keyring: KEYRING, signal: never })
    const digests = Array.from({ length: 64 }, () => crypto.getRandomValues(new Uint8Array(32)))
    const { signatures } = await k.sign({ requestId: 1, keyId: 1, keyType: 'ecdsa-secp256k1', publicKey, payloads: digests, workspace: WORKSPACE, keyring: KEYRING, signal: never })
    const vs = new Set<number>()
    signatures.forEach((sig, i) => {
      const rs = sig.slice(0, 64)
      const v = sig[64]!
      vs.add(v)
      expect(bigFromBytes(rs.slice(32)) <= N / 2n).toBe(true)
      const recovered = secp256k1.Signature.fromBytes(rs, 'compact').addRecoveryBit(v).recoverPublicKey(digests[i]!).toBytes(true)
      expect(Buffer.from(recovered).equals(Buffer.from(publicKey))).toBe(true)
    })
    // over 64 digests both recovery ids turn up (probability of failure 2^-63)
    expect([...vs].sort()).toEqual([0, 1])
  })

  it('signs ECDSA payloads as digests (no prehash)', async () => {
    const k = localKeyring()
    const { publicKey } = await k.createKey({ requestId: 1, keyType: 'bitcoin-secp256k1', workspace: WORKSPACE, keyring: KEYRING, signal: never })
    const digest = sha256(utf8('hello'))
    const [sig] = (await k.sign({ requestId: 1, keyId: 1, keyType: 'bitcoin-secp256k1', publicKey, payloads: [digest], workspace: WORKSPACE, keyring: KEYRING, signal: never })).signatures
    expect(secp256k1.verify(sig!.slice(0, 64), digest, publicKey, { prehash: false })).toBe(true)
    expect(secp256k1.verify(sig!.slice(0, 64), sha256(digest), publicKey, { prehash: false })).toBe(false)
  })

  it('writes through the given SecretStore and never returns the secret', async () => {
    const m = new Map<string, Uint8Array>()
    const secrets: SecretStore = {
      async get(name) {
        return m.get(name)
      },
      async set(name, value) {
        m.set(name, Uint8Array.from(value))
      },
    }
    const k = localKeyring({ secrets })
    const { publicKey } = await k.createKey({ requestId: 5, keyType: 'ecdsa-secp256k1', workspace: WORKSPACE, keyring: KEYRING, signal: never })
    expect(m.size).toBeGreaterThanOrEqual(1)
    const secret = [...m.values()].find((v) => v.length === 32 && Buffer.from(secp256k1.getPublicKey(v, true)).equals(Buffer.from(publicKey)))
    expect(secret).toBeDefined()
    // a fresh keyring over a store that lost everything no longer holds the key
    m.clear()
    const err = await k
      .sign({ requestId: 1, keyId: 1, keyType: 'ecdsa-secp256k1', publicKey, payloads: [sha256(utf8('x'))], workspace: WORKSPACE, keyring: KEYRING, signal: never })
      .catch((e: unknown) => e)
    expect(isZrError(err, 'KEY_NOT_FOUND')).toBe(true)
  })

  it('recoveredToRsv moves the recovery byte to the end', () => {
    const recovered = Uint8Array.from({ length: 65 }, (_, i) => i)
    const rsv = recoveredToRsv(recovered)
    expect(rsv).toHaveLength(65)
    expect([...rsv.slice(0, 64)]).toEqual([...recovered.slice(1)])
    expect(rsv[64]).toBe(0)
  })
})
