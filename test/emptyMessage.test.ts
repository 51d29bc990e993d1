/**
 * The empty message end to end: RFC 8032 (Ed25519) and BIP340 both sign messages of any length, zero
 * bytes included. An empty payload is accepted by the ledger, signed by the local keyring and by a
 * 2-of-3 FROST federation, verified by the ledger and again by noble (and node:crypto for Ed25519).
 */
import { createPublicKey, verify as nodeVerify } from 'node:crypto'
import { ed25519 } from '@noble/curves/ed25519.js'
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js'
import { base64urlnopad, hex } from '@scure/base'
import {
  type Account,
  type EmbeddedLedger,
  type KeyType,
  type KeyringBackend,
  type ZrClient,
  createConnector,
  createEmbeddedLedger,
  createZrClient,
  generateAccount,
  localKeyring,
  signingKey,
  xOnly,
} from '@zrkit/core'
import { signatureProblem } from '@zrkit/core/internal'
import { type Federation, createFederation } from '@zrkit/mpc'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const EMPTY = new Uint8Array(0)

/** RFC 8032 Section 7.1, TEST 1: the empty message. */
const rfc8032Test1 = {
  secret: hex.decode('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'),
  publicKey: hex.decode('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'),
  signature: hex.decode('e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'),
}

/** BIP340 test vector 15 (bip-0340/test-vectors.csv): "message of size 0". */
const bip340Vector15 = {
  secret: hex.decode('0340034003400340034003400340034003400340034003400340034003400340'),
  xOnlyKey: hex.decode('778caa53b4393ac467774d09497a87224bf9fab6f6e68b23086497324d6fd117'),
  auxRand: new Uint8Array(32),
  signature: hex.decode('71535db165ecd9fbbc046e5ffaea61186bb6ad436732fccc25291a55895464cf6069ce26bf03466228f19a3a62db8a649f2d560fac652827d1af0574e427ab63'),
}

/** Ed25519 verification by Node's own implementation (OpenSSL), independent of noble. */
function nodeVerifiesEd25519(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: base64urlnopad.encode(publicKey) }, format: 'jwk' })
  return nodeVerify(null, message, key, signature)
}

function nobleVerifies(keyType: KeyType, signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (keyType === 'eddsa-ed25519') return ed25519.verify(signature, message, publicKey, { zip215: false })
  return schnorr.verify(signature, message, xOnly(publicKey))
}

const flipped = (bytes: Uint8Array) => {
  const copy = Uint8Array.from(bytes)
  copy[0]! ^= 1
  return copy
}

type World = { ledger: EmbeddedLedger; client: ZrClient; workspace: string; parties: Account[]; operator: ZrClient }

async function world(partyCount: number): Promise<World> {
  const owner = generateAccount()
  const parties = Array.from({ length: partyCount }, () => generateAccount())
  const ledger = await createEmbeddedLedger({
    genesis: { chainId: 'zrkit-empty-message', balances: [owner, ...parties].map((a) => ({ address: a.address, amount: 1_000_000n })) },
  })
  const client = createZrClient({ ledger, account: owner })
  const { workspace } = await client.createWorkspace()
  return { ledger, client, workspace, parties, operator: client }
}

/** A one-party keyring whose backend is `backend`; returns the keyring's address and a stop function. */
async function singlePartyKeyring(w: World, backend: KeyringBackend): Promise<{ keyring: string; stop: () => Promise<void> }> {
  const party = w.parties[0]!
  const { keyring } = await w.client.createKeyring({ description: 'one party', parties: [party.address], partyThreshold: 1, keyRequestFee: 1n, signRequestFee: 1n })
  const connector = createConnector({ ledger: w.ledger, account: party, keyring, backend, pollIntervalMs: 50 })
  await connector.start()
  return { keyring, stop: () => connector.stop() }
}

describe('the empty message: public vectors', () => {
  it('RFC 8032 TEST 1: noble reproduces the signature, node:crypto and the ledger accept it, a flipped bit is refused', () => {
    const { secret, publicKey, signature } = rfc8032Test1
    expect(ed25519.getPublicKey(secret)).toEqual(publicKey)
    expect(ed25519.sign(EMPTY, secret)).toEqual(signature)
    expect(nodeVerifiesEd25519(signature, EMPTY, publicKey)).toBe(true)
    expect(signatureProblem('eddsa-ed25519', publicKey, EMPTY, signature)).toBeUndefined()
    expect(signatureProblem('eddsa-ed25519', publicKey, EMPTY, flipped(signature))).toBe('does not verify under the key')
    expect(signatureProblem('eddsa-ed25519', publicKey, new Uint8Array(1), signature)).toBe('does not verify under the key')
  })

  it('BIP340 vector 15: noble reproduces the signature, the ledger accepts it, a flipped bit is refused', () => {
    const { secret, xOnlyKey, auxRand, signature } = bip340Vector15
    const publicKey = secp256k1.getPublicKey(secret, true)
    expect(xOnly(publicKey)).toEqual(xOnlyKey)
    expect(schnorr.sign(EMPTY, secret, auxRand)).toEqual(signature)
    expect(schnorr.verify(signature, EMPTY, xOnlyKey)).toBe(true)
    expect(signatureProblem('schnorr-secp256k1', publicKey, EMPTY, signature)).toBeUndefined()
    expect(signatureProblem('schnorr-secp256k1', publicKey, EMPTY, flipped(signature))).toBe('does not verify under the key')
  })

  it('a signature request for the empty message is fulfilled with the vector signatures', async () => {
    const w = await world(1)
    // A keyring holding exactly the vector keys: it signs as the vectors say.
    const vectorKeyring: KeyringBackend = {
      keyTypes: ['eddsa-ed25519', 'schnorr-secp256k1'],
      async createKey({ keyType }) {
        return { publicKey: keyType === 'eddsa-ed25519' ? rfc8032Test1.publicKey : secp256k1.getPublicKey(bip340Vector15.secret, true) }
      },
      async sign({ keyType, payloads }) {
        return { signatures: payloads.map((p) => (keyType === 'eddsa-ed25519' ? ed25519.sign(p, rfc8032Test1.secret) : schnorr.sign(p, bip340Vector15.secret, bip340Vector15.auxRand))) }
      },
    }
    const { keyring, stop } = await singlePartyKeyring(w, vectorKeyring)
    try {
      for (const [keyType, expected] of [
        ['eddsa-ed25519', rfc8032Test1.signature],
        ['schnorr-secp256k1', bip340Vector15.signature],
      ] as const) {
        const key = await w.client.createKey({ workspace: w.workspace, keyring, keyType, timeoutMs: 10_000 })
        const [signature] = await w.client.sign({ keyId: key.id, payloads: [EMPTY], timeoutMs: 10_000 })
        expect(signature, keyType).toEqual(expected)
      }
    } finally {
      await stop()
      await w.ledger.close()
    }
  })
})

describe('the empty message: local keyring', () => {
  it.each(['eddsa-ed25519', 'schnorr-secp256k1'] as const)('%s: signed, verified by the ledger, noble and (ed25519) node:crypto', async (keyType) => {
    const w = await world(1)
    const { keyring, stop } = await singlePartyKeyring(w, localKeyring())
    try {
      const key = await w.client.createKey({ workspace: w.workspace, keyring, keyType, timeoutMs: 10_000 })
      const { requestId } = await w.client.requestSignature({ keyId: key.id, payloads: [EMPTY, Uint8Array.of(0)] })
      const request = await w.client.waitForSignRequest({ requestId, timeoutMs: 10_000 })
      expect(request.status).toBe('fulfilled') // the ledger verified both before storing them
      expect(request.payloads[0]).toEqual(EMPTY)
      const [empty, zeroByte] = request.signatures
      expect(nobleVerifies(keyType, empty!, EMPTY, key.publicKey)).toBe(true)
      // the empty message and the one-byte message 0x00 are different messages
      expect(nobleVerifies(keyType, empty!, Uint8Array.of(0), key.publicKey)).toBe(false)
      expect(nobleVerifies(keyType, zeroByte!, Uint8Array.of(0), key.publicKey)).toBe(true)
      if (keyType === 'eddsa-ed25519') expect(nodeVerifiesEd25519(empty!, EMPTY, key.publicKey)).toBe(true)
    } finally {
      await stop()
      await w.ledger.close()
    }
  })
})

describe('the empty message: a 2-of-3 FROST federation', () => {
  let w: World
  let federation: Federation
  let keyring: string

  beforeAll(async () => {
    w = await world(3)
    federation = await createFederation({ ledger: w.ledger, parties: w.parties, threshold: 2, attemptTimeoutMs: 2_000, dkgTimeoutMs: 5_000, pollIntervalMs: 50 })
    keyring = await federation.register(w.operator, { description: 'MPC 2-of-3', keyRequestFee: 1n, signRequestFee: 1n })
    await federation.start(keyring)
  })

  afterAll(async () => {
    await federation?.stop()
    await w?.ledger.close()
  })

  it.each(['eddsa-ed25519', 'schnorr-secp256k1'] as const)('%s: threshold-signed, verified by the ledger, noble and (ed25519) node:crypto', async (keyType) => {
    const key = await w.client.createKey({ workspace: w.workspace, keyring, keyType, timeoutMs: 20_000 })
    const { requestId } = await w.client.requestSignature({ keyId: key.id, payloads: [EMPTY] })
    const request = await w.client.waitForSignRequest({ requestId, timeoutMs: 20_000 })
    expect(request.status).toBe('fulfilled')
    expect(request.responses.length).toBeGreaterThanOrEqual(2)
    const [signature] = request.signatures
    expect(nobleVerifies(keyType, signature!, EMPTY, key.publicKey)).toBe(true)
    if (keyType === 'eddsa-ed25519') expect(nodeVerifiesEd25519(signature!, EMPTY, key.publicKey)).toBe(true)
  })

  it('schnorr-secp256k1: a taproot key-path signature of the empty message verifies under the output key', async () => {
    const key = await w.client.createKey({ workspace: w.workspace, keyring, keyType: 'schnorr-secp256k1', timeoutMs: 20_000 })
    const [signature] = await w.client.sign({ keyId: key.id, payloads: [EMPTY], taproot: {}, timeoutMs: 20_000 })
    const output = signingKey('schnorr-secp256k1', key.publicKey, { taproot: {} }).publicKey
    expect(schnorr.verify(signature!, EMPTY, xOnly(output))).toBe(true)
    expect(schnorr.verify(signature!, EMPTY, xOnly(key.publicKey))).toBe(false)
  })
})
