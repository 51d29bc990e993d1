/**
 * What a threshold-ECDSA party keeps of one key, and how it is stored: the Shamir share from the DKG
 * and, per counterparty, the base-OT setup of both directions with the zero-sharing seed.
 *
 * The share and each pair setup are separate secrets in the party's {@link SecretStore}, so a setup
 * can be burned (after a failed check with that counterparty) and replaced by a fresh one without
 * rewriting the share. A burned setup is stored as a marker: it is never loaded again, even after a
 * restart, and the next signature with that counterparty reruns the base OTs first.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { type SecretStore, ZrError, toHex } from '@zrkit/core'
import type { PairSetupRecord } from './pairSetup.js'
import type { DklsPairSetup } from './sign.js'
import { KAPPA } from './ot/baseOt.js'
import { OtExtensionReceiver, OtExtensionSender } from './ot/otExtension.js'
import { type WireSchema, decodeWire, encodeWire } from './wire.js'

/** One party's share of a threshold-ECDSA key (secp256k1). */
export type EcdsaKeyShare = {
  /** Every party holding a share, sorted; a party's Shamir x-coordinate is its position + 1. */
  readonly parties: readonly string[]
  readonly threshold: number
  /** The group public key, 33-byte compressed. */
  readonly publicKey: Uint8Array
  /** This party. */
  readonly self: string
  /** This party's Shamir share p(index), 32 bytes big-endian. */
  readonly share: Uint8Array
}

/** A pair setup ready for signing, or burned. */
export type LivePair = { readonly setup: DklsPairSetup; readonly setupId: Uint8Array }

const u32 = (n: number) => {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, n, false)
  return b
}
const text = new TextEncoder()
const untext = new TextDecoder()

const shareSchema: WireSchema = {
  record: { parties: { list: 'bytes' }, threshold: { bytes: 4 }, publicKey: { bytes: 33 }, self: 'bytes', share: { bytes: 32 } },
}
const seeds = { list: { bytes: 32 }, length: KAPPA } as const
const pairSchema: WireSchema = {
  record: {
    bobSession: 'bytes',
    seeds0: seeds,
    seeds1: seeds,
    aliceSession: 'bytes',
    choiceBits: { bytes: 32 },
    seeds,
    zeroSeed: { bytes: 32 },
  },
}
const BURNED = Uint8Array.of(0x42, 0x55, 0x52, 0x4e) // a marker record: never a valid wire message

/** Secret names in a party's store. */
export const ecdsaNames = {
  share: (keyType: string, publicKey: Uint8Array) => `ecdsa/${keyType}/${toHex(publicKey)}`,
  pair: (publicKey: Uint8Array, counterparty: string) => `ecdsa-pair/${toHex(publicKey)}/${counterparty}`,
}

export function encodeShare(k: EcdsaKeyShare): Uint8Array {
  return encodeWire({ parties: k.parties.map((p) => text.encode(p)), threshold: u32(k.threshold), publicKey: k.publicKey, self: text.encode(k.self), share: k.share })
}

export function decodeShare(bytes: Uint8Array): EcdsaKeyShare {
  const r = decodeWire<{ parties: Uint8Array[]; threshold: Uint8Array; publicKey: Uint8Array; self: Uint8Array; share: Uint8Array }>(bytes, 'local store', 'stored ECDSA key share', shareSchema)
  return {
    parties: r.parties.map((p) => untext.decode(p)),
    threshold: new DataView(r.threshold.buffer, r.threshold.byteOffset).getUint32(0, false),
    publicKey: r.publicKey,
    self: untext.decode(r.self),
    share: r.share,
  }
}

export function encodePair(p: PairSetupRecord): Uint8Array {
  return encodeWire({
    bobSession: p.bob.sessionId,
    seeds0: p.bob.seeds0,
    seeds1: p.bob.seeds1,
    aliceSession: p.alice.sessionId,
    choiceBits: p.alice.choiceBits,
    seeds: p.alice.seeds,
    zeroSeed: p.zeroSeed,
  })
}

/** Decodes a stored pair setup; `undefined` for a burned one. */
export function decodePair(bytes: Uint8Array, self: string, counterparty: string): PairSetupRecord | undefined {
  if (bytes.length === BURNED.length && bytes.every((b, i) => b === BURNED[i])) return undefined
  const r = decodeWire<{ bobSession: Uint8Array; seeds0: Uint8Array[]; seeds1: Uint8Array[]; aliceSession: Uint8Array; choiceBits: Uint8Array; seeds: Uint8Array[]; zeroSeed: Uint8Array }>(
    bytes,
    'local store',
    'stored ECDSA pair setup',
    pairSchema,
  )
  return {
    bob: { sessionId: r.bobSession, senderId: self, receiverId: counterparty, seeds0: r.seeds0, seeds1: r.seeds1 },
    alice: { sessionId: r.aliceSession, senderId: counterparty, receiverId: self, choiceBits: r.choiceBits, seeds: r.seeds },
    zeroSeed: r.zeroSeed,
  }
}

/**
 * The identity of a pair setup, the same at both parties: a hash of both base-OT session ids in a
 * fixed order (the run whose sender has the smaller id first).
 */
export function setupIdOf(record: { bob: { sessionId: Uint8Array; senderId: string }; alice: { sessionId: Uint8Array; senderId: string } }): Uint8Array {
  const [first, second] = record.bob.senderId < record.alice.senderId ? [record.bob, record.alice] : [record.alice, record.bob]
  const h = sha256.create().update(text.encode('zrkit/dkls23/setup-id/v1'))
  return h.update(first.sessionId).update(second.sessionId).digest()
}

/**
 * A party's live view of one key: the share, and the pair setups loaded once (OT-extension state
 * such as burned flags and used session ids lives in these objects, shared by concurrent signings).
 */
export class EcdsaKeyState {
  readonly key: EcdsaKeyShare
  readonly #store: SecretStore
  readonly #pairs = new Map<string, LivePair | 'burned'>()

  constructor(key: EcdsaKeyShare, store: SecretStore) {
    this.key = key
    this.#store = store
  }

  /** The party's Shamir x-coordinate. */
  indexOf(party: string): bigint {
    const i = this.key.parties.indexOf(party)
    if (i < 0) throw new ZrError('INVALID_INPUT', 'Not a party of this key.', { details: `${party} is not in ${this.key.parties.join(', ')}` })
    return BigInt(i + 1)
  }

  /** The setup with `counterparty`, or `undefined` when it is burned (or was never stored). */
  async pair(counterparty: string): Promise<LivePair | undefined> {
    let p = this.#pairs.get(counterparty)
    if (p === undefined) {
      const bytes = await this.#store.get(ecdsaNames.pair(this.key.publicKey, counterparty))
      const record = bytes && decodePair(bytes, this.key.self, counterparty)
      p = record ? live(record) : 'burned'
      if (!this.#pairs.has(counterparty)) this.#pairs.set(counterparty, p)
      p = this.#pairs.get(counterparty) as LivePair | 'burned'
    }
    if (p === 'burned' || p.setup.bob.burned || p.setup.alice.burned) return undefined
    return p
  }

  /** Stores a fresh setup with `counterparty` (after key generation or a rerun) and uses it from now on. */
  async install(counterparty: string, record: PairSetupRecord): Promise<void> {
    await this.#store.set(ecdsaNames.pair(this.key.publicKey, counterparty), encodePair(record))
    this.#pairs.set(counterparty, live(record))
  }

  /** Burns the setup with `counterparty` for good: wiped in memory, a marker in the store. */
  async burn(counterparty: string): Promise<void> {
    const p = this.#pairs.get(counterparty)
    if (p && p !== 'burned') {
      p.setup.bob.burn()
      p.setup.alice.burn()
      p.setup.zeroSeed.fill(0)
    }
    this.#pairs.set(counterparty, 'burned')
    await this.#store.set(ecdsaNames.pair(this.key.publicKey, counterparty), BURNED)
  }
}

function live(record: PairSetupRecord): LivePair {
  return {
    setup: { bob: OtExtensionReceiver.fromBaseOt(record.bob), alice: OtExtensionSender.fromBaseOt(record.alice), zeroSeed: Uint8Array.from(record.zeroSeed) },
    setupId: setupIdOf(record),
  }
}
