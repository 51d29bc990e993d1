/**
 * Taproot key-path spends: a signature request with `taproot` is signed for the BIP341 output key of
 * the (derived) key, which is the key inside its P2TR address, and verifies with BIP340 there.
 */
import { schnorr } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import * as bitcoin from 'bitcoinjs-lib'
import * as ecc from 'tiny-secp256k1'
import { createConnector, createEmbeddedLedger, createZrClient, decodeSegwitAddress, deriveKey, generateAccount, isZrError, localKeyring, p2trAddress } from '@zrkit/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

bitcoin.initEccLib(ecc)
const [owner, party] = [generateAccount(), generateAccount()]
let ledger: Awaited<ReturnType<typeof createEmbeddedLedger>>
let client: ReturnType<typeof createZrClient>
let connector: ReturnType<typeof createConnector>
let workspace: string
let keyring: string

beforeAll(async () => {
  ledger = await createEmbeddedLedger({ genesis: { chainId: 'zrkit-taproot', balances: [owner, party].map((a) => ({ address: a.address, amount: 10_000n })) } })
  client = createZrClient({ ledger, account: owner })
  ;({ keyring } = await client.createKeyring({ description: 'local', parties: [party.address], partyThreshold: 1, keyRequestFee: 0n, signRequestFee: 0n }))
  connector = createConnector({ ledger, account: party, keyring, backend: localKeyring(), pollIntervalMs: 0 })
  await connector.start()
  ;({ workspace } = await client.createWorkspace())
})
afterAll(async () => {
  await connector.stop()
  await ledger.close()
})

describe('taproot key-path spends', () => {
  it('sign for the output key inside the P2TR address, for even and odd internal keys, with and without a path', async () => {
    const parities = new Set<number>()
    for (let i = 0; i < 8; i++) {
      const key = await client.createKey({ workspace, keyring, keyType: 'schnorr-secp256k1' })
      parities.add(key.publicKey[0]!)
      for (const path of [undefined, 'm/0/1', 'vault']) {
        const internal = path === undefined ? key.publicKey : deriveKey(key.keyType, key.publicKey, path).publicKey
        const address = p2trAddress(internal, { network: 'testnet' })
        const program = decodeSegwitAddress(address).program
        expect(bitcoin.payments.p2tr({ internalPubkey: Buffer.from(internal.subarray(1)), network: bitcoin.networks.testnet }).address).toBe(address)
        const digest = sha256(new Uint8Array([i, path?.length ?? 0]))
        const { requestId } = await client.requestSignature({ keyId: key.id, payloads: [digest], taproot: {}, ...(path ? { path } : {}) })
        const done = await client.waitForSignRequest({ requestId })
        expect(done.publicKey.subarray(1)).toEqual(program)
        expect(schnorr.verify(done.signatures[0]!, digest, program)).toBe(true)
        expect(schnorr.verify(done.signatures[0]!, digest, internal.subarray(1))).toBe(false)
      }
    }
    expect(parities.size).toBe(2) // both y parities were exercised (probability of a miss: 2^-7)
  })

  it('sign for a script-tree output key with a merkle root (matches bitcoinjs)', async () => {
    const key = await client.createKey({ workspace, keyring, keyType: 'schnorr-secp256k1' })
    const leaf = { output: bitcoin.script.compile([Buffer.from(key.publicKey.subarray(1)), bitcoin.opcodes.OP_CHECKSIG!]) }
    const p2tr = bitcoin.payments.p2tr({ internalPubkey: Buffer.from(key.publicKey.subarray(1)), scriptTree: leaf })
    const merkleRoot = Uint8Array.from(p2tr.hash!)
    const digest = sha256(new Uint8Array([42]))
    const { requestId } = await client.requestSignature({ keyId: key.id, payloads: [digest], taproot: { merkleRoot } })
    const done = await client.waitForSignRequest({ requestId })
    expect(done.publicKey.subarray(1)).toEqual(Uint8Array.from(p2tr.pubkey!))
    expect(schnorr.verify(done.signatures[0]!, digest, Uint8Array.from(p2tr.pubkey!))).toBe(true)
  })

  it('refuses taproot for a key that is not a Schnorr key, changing nothing', async () => {
    const key = await client.createKey({ workspace, keyring, keyType: 'ecdsa-secp256k1' })
    const before = ledger.stateHash()
    const err = await client.requestSignature({ keyId: key.id, payloads: [sha256(new Uint8Array([1]))], taproot: {} }).catch((e: unknown) => e)
    expect(isZrError(err, 'UNSUPPORTED_KEY_TYPE')).toBe(true)
    expect(ledger.stateHash()).toBe(before)
  })
})
