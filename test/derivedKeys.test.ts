/**
 * Derived keys end to end: the embedded ledger, a connector running localKeyring(), signature
 * requests with paths, and every result checked with independent libraries (noble, viem,
 * @solana/web3.js, bitcoinjs-lib, @scure/bip32).
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { HDKey } from '@scure/bip32'
import { PublicKey } from '@solana/web3.js'
import * as bitcoin from 'bitcoinjs-lib'
import * as ecc from 'tiny-secp256k1'
import type { Hex } from 'viem'
import { bytesToHex, publicKeyToAddress, recoverAddress } from 'viem/utils'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  type Connector,
  type ConnectorEvent,
  type Key,
  type KeyType,
  type KeyringBackend,
  createConnector,
  deriveKey,
  extendedPublicKey,
  isZrError,
  localKeyring,
  recoveredToRsv,
  signWithSecret,
  toHex,
} from '@zrkit/core'
import { type Setup, createTestKey, expectRefused, rejection, setup } from '@zrkit/testkit'

// ---------------------------------------------------------------------------------------------------
// helpers

const utf8 = (s: string) => new TextEncoder().encode(s)
const WAIT = { timeoutMs: 15_000 }
const N = secp256k1.Point.CURVE().n

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {})
})

beforeAll(() => bitcoin.initEccLib(ecc))

/** A fresh ledger fixture with one party running a connector over `backend` (default localKeyring()). */
async function world(backend: KeyringBackend = localKeyring()): Promise<Setup & { connector: Connector; events: ConnectorEvent[] }> {
  const s = await setup()
  cleanups.push(() => s.ledger.close())
  const events: ConnectorEvent[] = []
  const connector = createConnector({
    ledger: s.ledger,
    account: s.parties[0]!.account,
    keyring: s.keyring,
    backend,
    pollIntervalMs: 0,
    retry: { initialDelayMs: 1, maxDelayMs: 5 },
    onEvent: (e) => events.push(e),
  })
  await connector.start()
  cleanups.push(() => connector.stop())
  return Object.assign(s, { connector, events })
}

async function newKey(s: Setup, keyType: KeyType): Promise<Key> {
  return s.owner.client.createKey({ workspace: s.workspace, keyring: s.keyring, keyType, ...WAIT })
}

/** zrkit's r||s||v (v = recovery id) as the 65-byte Ethereum signature viem expects (v = 27 + id). */
function ethSignature(rsv: Uint8Array): Hex {
  expect(rsv).toHaveLength(65)
  expect(rsv[64]! <= 1).toBe(true)
  const out = Uint8Array.from(rsv)
  out[64] = 27 + rsv[64]!
  return bytesToHex(out)
}

/** The uncompressed form of a compressed secp256k1 key, as viem's publicKeyToAddress wants it. */
const uncompressed = (pk: Uint8Array): Hex => bytesToHex(secp256k1.Point.fromBytes(pk).toBytes(false))

// ---------------------------------------------------------------------------------------------------

describe('derived ECDSA keys through the ledger and a localKeyring connector', () => {
  it('signs for paths m/0/1, user-42 and none; getKey gives the child key and the EVM address viem recovers', async () => {
    const s = await world()
    const key = await newKey(s, 'ecdsa-secp256k1')
    const seen = new Map<string, string>()

    for (const path of ['m/0/1', 'user-42', undefined] as const) {
      const digest = sha256(utf8(`transfer for ${path ?? 'root'}`))
      const { requestId, status } = await s.owner.client.requestSignature({ keyId: key.id, payloads: [digest], ...(path !== undefined ? { path } : {}) })
      expect(status).toBe('pending')
      const signed = await s.owner.client.waitForSignRequest({ requestId, ...WAIT })
      expect(signed.status).toBe('fulfilled')
      expect(signed.signatures).toHaveLength(1)

      // the key as the ledger derives it, with its EVM address
      const view = await s.owner.client.getKey({ id: key.id, ...(path !== undefined ? { path } : {}), wallets: [{ type: 'evm' }] })
      const childKey = path === undefined ? key.publicKey : view.derived!.publicKey
      if (path === undefined) expect(view.derived).toBeUndefined()
      else {
        expect(view.derived!.path).toEqual(path === 'm/0/1' ? [0, 1] : ['user-42'])
        expect(toHex(childKey)).toBe(toHex(deriveKey('ecdsa-secp256k1', key.publicKey, path).publicKey))
        expect(toHex(childKey)).not.toBe(toHex(key.publicKey))
      }
      expect(view.addresses).toHaveLength(1)
      const address = view.addresses![0]!.address
      expect(view.addresses![0]!.wallet).toEqual({ type: 'evm' })
      // viem agrees on the address of the child key, and recovers exactly it from the signature
      expect(address).toBe(publicKeyToAddress(uncompressed(childKey)))
      expect(await recoverAddress({ hash: bytesToHex(digest), signature: ethSignature(signed.signatures[0]!) })).toBe(address)
      // the signature is low-S
      expect(BigInt(bytesToHex(signed.signatures[0]!.slice(32, 64))) <= N / 2n).toBe(true)

      // the request record names the path and the child key it was verified under
      const record = await s.owner.client.getSignRequest({ id: requestId })
      if (path === undefined) expect(record.path).toBeUndefined()
      else expect(record.path).toEqual(view.derived!.path)
      expect(toHex(record.publicKey)).toBe(toHex(childKey))
      seen.set(String(path), address)
    }

    // three different addresses
    expect(new Set(seen.values()).size).toBe(3)

    // for the index path, a plain BIP32 library given the key's xpub finds the same child and address
    const bip32Child = HDKey.fromExtendedKey(extendedPublicKey(key.keyType, key.publicKey)).derive('m/0/1').publicKey!
    expect(publicKeyToAddress(uncompressed(bip32Child))).toBe(seen.get('m/0/1'))
  })

  it('signs several payloads under one path, each recovering the same child address', async () => {
    const s = await world()
    const key = await newKey(s, 'bitcoin-secp256k1')
    const digests = Array.from({ length: 5 }, (_, i) => sha256(utf8(`payload ${i}`)))
    const signatures = await s.owner.client.sign({ keyId: key.id, path: [7, 'savings', 3], payloads: digests, ...WAIT })
    const { addresses } = await s.owner.client.getKey({ id: key.id, path: [7, 'savings', 3], wallets: [{ type: 'evm' }] })
    for (const [i, sig] of signatures.entries()) expect(await recoverAddress({ hash: bytesToHex(digests[i]!), signature: ethSignature(sig) })).toBe(addresses![0]!.address)
  })
})

describe('derived ed25519 and Schnorr keys', () => {
  it('ed25519 with a label path: noble verifies under the child key; its Solana address is @solana/web3.js base58 of the child', async () => {
    const s = await world()
    const key = await newKey(s, 'eddsa-ed25519')
    const path = 'solana:alice'
    const message = utf8('a Solana transaction message')
    const [signature] = await s.owner.client.sign({ keyId: key.id, path, payloads: [message], ...WAIT })

    const view = await s.owner.client.getKey({ id: key.id, path, wallets: [{ type: 'solana' }] })
    const child = view.derived!.publicKey
    expect(view.derived!.path).toEqual(['solana:alice'])
    expect(child).toHaveLength(32)
    expect(toHex(child)).toBe(toHex(deriveKey('eddsa-ed25519', key.publicKey, path).publicKey))
    expect(ed25519.verify(signature!, message, child, { zip215: false })).toBe(true)
    expect(ed25519.verify(signature!, message, key.publicKey, { zip215: false })).toBe(false)
    expect(view.addresses![0]!.address).toBe(new PublicKey(child).toBase58())
    expect(view.addresses![0]!.address).not.toBe(new PublicKey(key.publicKey).toBase58())
  })

  it('Schnorr with a path: BIP340 verifies under the child x-only key; its taproot address is bitcoinjs p2tr of the child', async () => {
    const s = await world()
    const key = await newKey(s, 'schnorr-secp256k1')
    const path = [3, 'taproot'] as const
    const message = sha256(utf8('a taproot sighash'))
    const [signature] = await s.owner.client.sign({ keyId: key.id, path, payloads: [message], ...WAIT })

    const view = await s.owner.client.getKey({ id: key.id, path, wallets: [{ type: 'bitcoin-taproot' }, { type: 'bitcoin-taproot', network: 'testnet' }] })
    const child = view.derived!.publicKey
    expect(toHex(child)).toBe(toHex(deriveKey('schnorr-secp256k1', key.publicKey, path).publicKey))
    const xOnly = child.slice(1)
    expect(schnorr.verify(signature!, message, xOnly)).toBe(true)
    expect(schnorr.verify(signature!, message, key.publicKey.slice(1))).toBe(false)
    const mainnet = bitcoin.payments.p2tr({ internalPubkey: xOnly }).address
    const testnet = bitcoin.payments.p2tr({ internalPubkey: xOnly, network: bitcoin.networks.testnet }).address
    expect(view.addresses!.map((a) => a.address)).toEqual([mainnet, testnet])
    expect(mainnet).not.toBe(bitcoin.payments.p2tr({ internalPubkey: key.publicKey.slice(1) }).address)
  })
})

describe('the ledger checks derived signatures and paths', () => {
  const cases = [
    { keyType: 'ecdsa-secp256k1', path: 'm/0/1', payload: sha256(utf8('digest')) },
    { keyType: 'eddsa-ed25519', path: 'user-42', payload: utf8('message') },
    { keyType: 'schnorr-secp256k1', path: 'm/9', payload: utf8('message') },
  ] as const

  it.each(cases.map((c) => [c.keyType, c] as const))('%s: a response signed with the root key is INVALID_RESULT with the state unchanged; the child key signature fulfils', async (keyType, c) => {
    // no connector: the test is the keyring's party and holds the key's secret itself
    const s = await setup()
    cleanups.push(() => s.ledger.close())
    const party = s.parties[0]!
    const key = await createTestKey(s, keyType)
    const { requestId, status } = await s.owner.client.requestSignature({ keyId: key.keyId, path: c.path, payloads: [c.payload] })
    expect(status).toBe('pending')
    const child = deriveKey(keyType, key.publicKey, c.path)

    // the root key's signature, made with noble alone
    const rootSig =
      keyType === 'eddsa-ed25519'
        ? ed25519.sign(c.payload, key.secret)
        : keyType === 'schnorr-secp256k1'
          ? schnorr.sign(c.payload, key.secret, new Uint8Array(32))
          : recoveredToRsv(secp256k1.sign(c.payload, key.secret, { prehash: false, lowS: true, format: 'recovered' }))
    const e = await expectRefused(s.ledger, () => party.client.fulfilSignRequest({ requestId, result: { signatures: [rootSig] } }), 'INVALID_RESULT', 'at path')
    expect(e.details).toContain(`key ${key.keyId}`)
    expect((await s.owner.client.getSignRequest({ id: requestId })).status).toBe('pending')

    // the child's signature: noble over secret + tweak for secp256k1; signWithSecret's raw-scalar signer for ed25519
    let childSig: Uint8Array
    if (keyType === 'eddsa-ed25519') childSig = signWithSecret({ keyType, secret: key.secret, tweak: child.tweak, payload: c.payload })
    else {
      const childSecret = (BigInt(bytesToHex(key.secret)) + child.tweak) % N
      const sk = Uint8Array.from(Buffer.from(childSecret.toString(16).padStart(64, '0'), 'hex'))
      expect(toHex(secp256k1.getPublicKey(sk, true))).toBe(toHex(child.publicKey))
      childSig =
        keyType === 'schnorr-secp256k1' ? schnorr.sign(c.payload, sk, new Uint8Array(32)) : recoveredToRsv(secp256k1.sign(c.payload, sk, { prehash: false, lowS: true, format: 'recovered' }))
    }
    const receipt = await party.client.fulfilSignRequest({ requestId, result: { signatures: [childSig] } })
    expect(receipt.result.status).toBe('fulfilled')
    const record = await s.owner.client.getSignRequest({ id: requestId })
    expect(record.status).toBe('fulfilled')
    expect(toHex(record.signatures![0]!)).toBe(toHex(childSig))
    expect(toHex(record.publicKey)).toBe(toHex(child.publicKey))
  })

  it('a path-less request still wants the root key: a child-key signature is INVALID_RESULT', async () => {
    const s = await setup()
    cleanups.push(() => s.ledger.close())
    const key = await createTestKey(s, 'eddsa-ed25519')
    const message = utf8('root only')
    const { requestId } = await s.owner.client.requestSignature({ keyId: key.keyId, payloads: [message] })
    const tweak = deriveKey('eddsa-ed25519', key.publicKey, [0]).tweak
    const childSig = signWithSecret({ keyType: 'eddsa-ed25519', secret: key.secret, tweak, payload: message })
    await expectRefused(s.ledger, () => s.parties[0]!.client.fulfilSignRequest({ requestId, result: { signatures: [childSig] } }), 'INVALID_RESULT')
    const receipt = await s.parties[0]!.client.fulfilSignRequest({ requestId, result: { signatures: [ed25519.sign(message, key.secret)] } })
    expect(receipt.result.status).toBe('fulfilled')
  })

  it('invalid paths are refused with INVALID_DERIVATION_PATH and no state change, by the client and by the ledger', async () => {
    const s = await setup()
    cleanups.push(() => s.ledger.close())
    const key = await createTestKey(s, 'ecdsa-secp256k1')
    const payloads = [sha256(utf8('x'))]
    const before = s.ledger.stateHash()

    // the client parses the path before sending
    for (const path of ["m/0'", 'm/0h', '', [2 ** 31], [-1], [0.5], [''], ['x'.repeat(129)], Array.from({ length: 17 }, () => 0)]) {
      await expectRefused(s.ledger, () => s.owner.client.requestSignature({ keyId: key.keyId, path, payloads }), 'INVALID_DERIVATION_PATH')
    }
    // raw messages with bad canonical paths reach the ledger, which refuses them itself
    for (const path of [[2 ** 31], [''], [-1], [1.5], ['é'.repeat(65)], Array.from({ length: 17 }, (_, i) => i), [0, null]]) {
      const e = await expectRefused(
        s.ledger,
        () => s.owner.client.sendMessage({ msg: { type: 'treasury.NewSignRequest', keyId: key.keyId, path: path as (number | string)[], payloads } }),
        'INVALID_DERIVATION_PATH',
      )
      expect(e.details).toBeTruthy()
    }
    // a path that is not an array in the message is malformed input
    await expectRefused(
      s.ledger,
      () => s.owner.client.sendMessage({ msg: { type: 'treasury.NewSignRequest', keyId: key.keyId, path: 'm/0' as unknown as number[], payloads } }),
      'INVALID_INPUT',
      'an array of segments',
    )
    expect(s.ledger.stateHash()).toBe(before)
    expect((await s.owner.client.listSignRequests({})).items).toHaveLength(0)
    // the same sender can still make a valid path request afterwards
    const ok = await s.owner.client.requestSignature({ keyId: key.keyId, path: [2 ** 31 - 1], payloads })
    expect(ok.status).toBe('pending')
    expect((await s.owner.client.getSignRequest({ id: ok.requestId })).path).toEqual([2 ** 31 - 1])
  })
})

describe('backends without derivation', () => {
  it('rejects path requests with "does not support derived keys" and still fulfils requests without a path', async () => {
    const inner = localKeyring()
    let signCalls = 0
    // the same keyring, without supportsDerivation
    const plain: KeyringBackend = {
      name: 'plain',
      keyTypes: inner.keyTypes,
      createKey: (r) => inner.createKey(r),
      sign: (r) => {
        signCalls++
        return inner.sign(r)
      },
    }
    const s = await world(plain)
    const key = await newKey(s, 'ecdsa-secp256k1')
    const digest = sha256(utf8('hello'))

    const { requestId } = await s.owner.client.requestSignature({ keyId: key.id, path: 'm/0/1', payloads: [digest] })
    const e = await rejection(s.owner.client.waitForSignRequest({ requestId, ...WAIT }))
    expect(isZrError(e, 'REQUEST_REJECTED')).toBe(true)
    const record = await s.owner.client.getSignRequest({ id: requestId })
    expect(record.status).toBe('rejected')
    expect(record.rejectReason).toContain('does not support derived keys')
    expect(signCalls).toBe(0)

    const [signature] = await s.owner.client.sign({ keyId: key.id, payloads: [digest], ...WAIT })
    const { addresses } = await s.owner.client.getKey({ id: key.id, wallets: [{ type: 'evm' }] })
    expect(await recoverAddress({ hash: bytesToHex(digest), signature: ethSignature(signature!) })).toBe(addresses![0]!.address)
    expect(signCalls).toBe(1)
    expect(s.events.some((x) => x.type === 'rejected' && x.requestId === requestId && x.reason.includes('does not support derived keys'))).toBe(true)
  })
})
