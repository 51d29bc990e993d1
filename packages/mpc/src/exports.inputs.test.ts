import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { memorySecretStore, publicKeyToAddress } from '@zrkit/core'
import * as publicEntry from '@zrkit/mpc'
import * as internalEntry from '@zrkit/mpc/internal'
import { describe, expect, it } from 'vitest'
import { type TableEntry, failuresOf } from '../../../test/hostileInputs.js'

/**
 * Every function `@zrkit/mpc` exports (its public and its internal entry), called with hostile values (undefined, null, numbers, NaN,
 * strings, hex, short/long/zero bytes, objects, arrays, cyclic values) in every plain-value argument
 * position and field: it must return normally or throw a ZrError with a code from `errorCodes` and
 * details; never a TypeError, RangeError or an error of noble. A new export fails the last test until
 * it has an entry here or an exclusion with its reason.
 */

/** Both entries: a published function is checked whichever entry publishes it. */
const mpc = { ...publicEntry, ...internalEntry }

const text = (s: string) => new TextEncoder().encode(s)
const suiteLive = 'a FrostSuite from frostSuite(): a construction over noble FROST with methods, not a plain value'
const preparedLive = 'an opaque PreparedSigning from prepareSigning() (validated points and derived values), not a plain value'

/** A 2-of-3 FROST key of the suite, dealt by noble, and a prepared signing by two of its parties. */
function frostWorld(keyType: 'eddsa-ed25519' | 'schnorr-secp256k1') {
  const suite = mpc.frostSuite(keyType)
  const deal = suite.sign.trustedDealer({ min: 2, max: 3 })
  const secrets = Object.values(deal.secretShares).slice(0, 2)
  const key = { public: deal.public, secret: secrets[0]! }
  const rounds = secrets.map((s) => mpc.commit(suite, s))
  const list = rounds.map((r) => r.commitments)
  const message = text('exports table')
  const prepared = mpc.prepareSigning(suite, deal.public, list, message)
  const shares = Object.fromEntries(secrets.map((s, i) => [s.identifier, mpc.signShare(prepared, s, rounds[i]!.nonces)]))
  return { suite, deal, key, secrets, rounds, list, message, prepared, shares }
}

const ed = frostWorld('eddsa-ed25519')
const bip340 = frostWorld('schnorr-secp256k1')

const identitySecret = sha256(text('exports.inputs identity'))
const identityKey = secp256k1.getPublicKey(identitySecret, true)
const party = publicKeyToAddress(identityKey)
const encryptionKey = new Uint8Array(32).fill(4)
const announcement = {
  party,
  identityKey,
  encryptionKey,
  epoch: 1,
  signature: secp256k1.sign(mpc.announcementDigest(party, encryptionKey, 1), identitySecret, { prehash: false }),
}
const ecdsaShare = { parties: [party, publicKeyToAddress(secp256k1.getPublicKey(sha256(identitySecret), true))], threshold: 2, publicKey: identityKey, self: party, share: new Uint8Array(32).fill(1) }

/** Functions of `@zrkit/mpc` and how each is called. */
const table: Record<string, TableEntry> = {
  frostSuite: { valid: () => ['eddsa-ed25519'] },
  tweakKey: {
    valid: () => [bip340.suite, bip340.key, { negate: true, tweak: 5n }],
    live: { 0: suiteLive },
    fields: [1, 2],
    nested: (h) => [
      [bip340.suite, { public: { ...bip340.key.public, commitments: h }, secret: bip340.key.secret }, { negate: false, tweak: 1n }],
      [bip340.suite, { public: { ...bip340.key.public, verifyingShares: h }, secret: bip340.key.secret }, { negate: false, tweak: 1n }],
      [bip340.suite, { public: bip340.key.public, secret: { ...bip340.key.secret, signingShare: h } }, { negate: false, tweak: 1n }],
      [ed.suite, { public: { ...ed.key.public, commitments: [h] }, secret: ed.key.secret }, { negate: true, tweak: 0n }],
    ],
  },
  commit: { valid: () => [ed.suite, ed.secrets[0]], live: { 0: suiteLive }, fields: [1] },
  prepareKey: { valid: () => [ed.suite, ed.deal.public], live: { 0: suiteLive }, fields: [1] },
  prepareSigning: {
    valid: () => [bip340.suite, bip340.deal.public, bip340.list, bip340.message, { own: bip340.list[0] }],
    live: { 0: suiteLive },
    fields: [1, 4],
    nested: (h) => [
      [ed.suite, ed.deal.public, [h, ed.list[1]], ed.message],
      [ed.suite, ed.deal.public, [{ ...ed.list[0]!, hiding: h }, ed.list[1]], ed.message],
      [ed.suite, ed.deal.public, [{ ...ed.list[0]!, identifier: h }, ed.list[1]], ed.message],
      [ed.suite, { ...ed.deal.public, verifyingShares: { ...ed.deal.public.verifyingShares, [ed.list[0]!.identifier]: h } }, ed.list, ed.message],
      [bip340.suite, { ...bip340.deal.public, signers: h }, bip340.list, bip340.message],
    ],
  },
  signShare: { valid: () => [ed.prepared, ed.secrets[0], ed.rounds[0]!.nonces], live: { 0: preparedLive }, fields: [1, 2] },
  verifyShare: { valid: () => [ed.prepared, ed.secrets[0]!.identifier, ed.shares[ed.secrets[0]!.identifier]], live: { 0: preparedLive } },
  aggregate: { valid: () => [bip340.prepared, bip340.shares], live: { 0: preparedLive }, nested: (h) => [[bip340.prepared, { ...bip340.shares, [bip340.secrets[0]!.identifier]: h }]] },
  aggregateVerified: {
    valid: () => [ed.prepared, ed.shares, () => true],
    live: { 0: preparedLive, 2: 'the verify callback: a live function of the caller' },
    nested: (h) => [[ed.prepared, { ...ed.shares, [ed.secrets[1]!.identifier]: h }, () => true]],
  },
  announcementDigest: { valid: () => [party, encryptionKey, 1] },
  broadcastDigest: { valid: () => [party, 0, text('payload')] },
  verifyAnnouncement: { valid: () => [announcement], fields: [0] },
  encodeSessionFrame: { valid: () => [{ session: 'dkg/1', round: 'commit', body: text('b'), broadcast: true }], fields: [0] },
  decodeSessionFrame: { valid: () => [mpc.encodeSessionFrame({ session: 'dkg/1', round: 'commit', body: text('b'), broadcast: false })] },
  memoryRelay: { valid: () => [] },
  checkPresignaturesPerSet: { valid: () => [2] },
  presignatureStoreName: { valid: () => [ecdsaShare.publicKey] },
  PresignaturePool: {
    valid: () => [memorySecretStore(), ecdsaShare.publicKey, ecdsaShare.self, 2],
    isClass: true,
    live: { 0: 'the SecretStore: a live store whose get/set are the contract' },
  },
  EcdsaKeyState: {
    valid: () => [ecdsaShare, memorySecretStore()],
    isClass: true,
    live: { 1: 'the SecretStore: a live store whose get/set are the contract' },
    fields: [0],
  },
}

/** Exports that are not in the table, and why. */
const excluded: Record<string, string> = {
  createFederation: 'starts a federation over a live relay and live accounts (objects with methods); a protocol runner, not a helper',
  frostParty: 'a keyring backend over a live federation and a live share store (objects with methods)',
  ecdsaParty: 'a keyring backend over a live federation and a live share store (objects with methods)',
  federationParty: 'a keyring backend over a live federation and live share stores (objects with methods)',
  runKeyGeneration: 'runs a protocol over a live session router with a live generate callback',
  runEcdsaDkg: 'runs a protocol over a live session (a transport of messages between parties)',
  runEcdsaSigning: 'runs a protocol over a live session and a live key state',
  runPairSetup: 'runs a protocol over a live session',
  runDkg: 'runs a protocol over a live session',
  runSigning: 'runs a protocol over a live session',
  secureTransport: 'a transport over a live relay and a live account (it signs with it)',
  createSessionRouter: 'a router over a live transport',
  connectRelay: 'connects to a live relay over a live WebSocket with a live account (it signs with it); its options are checked in relayServer.test.ts',
  fanoutRelay: 'composes live relay clients (objects with methods and sockets); its argument is checked in fanoutRelay.test.ts',
}

describe('@zrkit/mpc exports with hostile inputs', () => {
  for (const [name, entry] of Object.entries(table)) {
    it(name, async () => {
      const failures = await failuresOf(name, (mpc as Record<string, unknown>)[name], entry)
      expect(failures).toEqual([])
    })
  }

  it('every exported function has an entry or a reasoned exclusion', () => {
    const functions = Object.entries(mpc).filter(([, v]) => typeof v === 'function').map(([k]) => k)
    const missing = functions.filter((k) => !(k in table) && !(k in excluded))
    expect(missing, 'exported functions with neither a table entry nor an exclusion').toEqual([])
    const stale = [...Object.keys(table), ...Object.keys(excluded)].filter((k) => typeof (mpc as Record<string, unknown>)[k] !== 'function')
    expect(stale, 'entries for names that are no longer exported functions').toEqual([])
  })
})
