import { type SecretStore, ZrError, describeValue, toHex } from '@zrkit/core'
import { equalBytes } from '@zrkit/core/internal'
import { bytesToBigInt, scalarToBytes } from './ot/transcript.js'
import type { DklsPresignature } from './sign.js'
import { type WireSchema, decodeWire, encodeWire } from './wire.js'

const presignatureSchema: WireSchema = {
  record: {
    id: { bytes: 32 },
    self: 'bytes',
    signers: { list: 'bytes' },
    publicKey: { bytes: 33 },
    instancePoint: { bytes: 33 },
    phi: { bytes: 32 },
    u: { bytes: 32 },
    v: { bytes: 32 },
  },
}
const poolSchema: WireSchema = { record: { presignatures: { list: presignatureSchema } } }
const text = new TextEncoder()
const untext = new TextDecoder()

/** Where a key's presignatures are kept in its party's secret store (encrypted at rest there). */
export const presignatureStoreName = (publicKey: Uint8Array): string => `ecdsa-presig/${toHex(publicKey)}`

/** A pool size per signing set: an integer from 0 (no pooling) to 64; else `INVALID_CONFIG`. */
export function checkPresignaturesPerSet(perSet: unknown): number {
  if (!Number.isSafeInteger(perSet) || (perSet as number) < 0 || (perSet as number) > 64) {
    throw new ZrError('INVALID_CONFIG', 'Invalid presignature pool size.', { details: `presignaturesPerSet: expected an integer from 0 to 64, got ${describeValue(perSet)}` })
  }
  return perSet as number
}

/** The same signing set, whatever the order. */
const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i])

/**
 * One party's pool of DKLs23 presignatures for one key, per signing set, kept in the party's secret
 * store. A presignature is used at most once, ever: {@link take} removes it and writes the pool back to
 * the store (durably, before it resolves) before the caller makes any share from it, so a crash, a
 * retry or a second request can never use it again. Operations on one pool run one at a time.
 *
 * @example
 * ```ts
 * const pool = new PresignaturePool(shares, key.publicKey, key.self, 4)
 * await pool.add(presignatures) // after presigning with a signing set
 * const presignature = await pool.take(id, signers) // undefined: not held (or already used)
 * ```
 */
export class PresignaturePool {
  readonly #store: SecretStore
  readonly #publicKey: Uint8Array
  readonly #self: string
  readonly #perSet: number
  #pool: Promise<DklsPresignature[]> | undefined
  #queue: Promise<unknown> = Promise.resolve()
  /** Ids this party picked as coordinator for signings still under way (see {@link pick}). */
  readonly #picked = new Set<string>()

  /** `perSet`: the most presignatures kept per signing set (the oldest go first). */
  constructor(store: SecretStore, publicKey: Uint8Array, self: string, perSet: number) {
    this.#perSet = checkPresignaturesPerSet(perSet)
    const bad = (details: string) => new ZrError('INVALID_INPUT', 'Invalid presignature pool.', { details })
    if (!store || typeof store.get !== 'function' || typeof store.set !== 'function') throw bad(`store: expected a SecretStore (get, set), got ${describeValue(store)}`)
    if (!(publicKey instanceof Uint8Array) || publicKey.length !== 33) throw bad(`publicKey: expected a 33-byte compressed secp256k1 key, got ${describeValue(publicKey)}`)
    if (typeof self !== 'string' || self.length === 0) throw bad(`self: expected this party's id (a non-empty string), got ${describeValue(self)}`)
    this.#store = store
    this.#publicKey = Uint8Array.from(publicKey)
    this.#self = self
  }

  /** How many presignatures to keep per signing set. */
  get perSet(): number {
    return this.#perSet
  }

  #load(): Promise<DklsPresignature[]> {
    return (this.#pool ??= this.#store.get(presignatureStoreName(this.#publicKey)).then((bytes) => (bytes ? decodePool(bytes) : [])))
  }

  /** Runs `fn` after every earlier operation on this pool. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn)
    this.#queue = run.catch(() => undefined)
    return run
  }

  async #save(pool: DklsPresignature[]): Promise<void> {
    this.#pool = Promise.resolve(pool)
    await this.#store.set(presignatureStoreName(this.#publicKey), encodePool(pool))
  }

  /** The ids of the presignatures held for `signers`, oldest first. */
  ids(signers: readonly string[]): Promise<Uint8Array[]> {
    return this.#serial(async () => (await this.#load()).filter((p) => sameSet(p.signers, signers)).map((p) => p.id))
  }

  /**
   * As coordinator: picks up to `count` presignatures held for `signers` that `acceptable` accepts (every signer
   * offered them) and that this party has not picked for another signing still under way, oldest first, and marks
   * them picked until they are taken ({@link take}) or `release`d. So concurrent signings this party coordinates
   * never race for one presignature. In memory only: the durable guard against reuse is {@link take}.
   */
  pick(signers: readonly string[], count: number, acceptable: (id: Uint8Array) => boolean): Promise<Uint8Array[]> {
    return this.#serial(async () => {
      const free = (await this.#load()).filter((p) => sameSet(p.signers, signers) && !this.#picked.has(toHex(p.id)) && acceptable(p.id)).map((p) => p.id)
      const chosen = free.length >= count ? free.slice(0, count) : []
      for (const id of chosen) this.#picked.add(toHex(id))
      return chosen
    })
  }

  /** Forgets picks (see {@link pick}) whose signing ended without taking them. */
  release(ids: readonly Uint8Array[]): void {
    for (const id of ids) this.#picked.delete(toHex(id))
  }

  /** The ids of every presignature held (for any signing set), oldest first, at most `max`. */
  allIds(max: number): Promise<Uint8Array[]> {
    return this.#serial(async () => (await this.#load()).slice(0, max).map((p) => p.id))
  }

  /** The signing set of a held presignature, or `undefined`. */
  signersOf(id: Uint8Array): Promise<readonly string[] | undefined> {
    return this.#serial(async () => (await this.#load()).find((p) => equalBytes(p.id, id))?.signers)
  }

  /**
   * Removes the presignature `id` of the signing set `signers` and stores the pool without it, durably,
   * before it resolves with it; `undefined` when it is not held (never made here, or used already).
   */
  take(id: Uint8Array, signers: readonly string[]): Promise<DklsPresignature | undefined> {
    return this.#serial(async () => {
      const pool = await this.#load()
      const at = pool.findIndex((p) => equalBytes(p.id, id) && sameSet(p.signers, signers))
      if (at < 0) return undefined
      const [taken] = pool.splice(at, 1)
      this.#picked.delete(toHex(id))
      await this.#save(pool)
      return taken
    })
  }

  /** Adds fresh presignatures (this party's, for one key); keeps at most `perSet` per signing set, the newest. */
  add(presignatures: readonly DklsPresignature[]): Promise<void> {
    return this.#serial(async () => {
      const pool = [...(await this.#load())]
      for (const p of presignatures) {
        if (p.self !== this.#self || !equalBytes(p.publicKey, this.#publicKey)) throw new ZrError('INVALID_INPUT', 'Not a presignature of this pool.', { details: `expected a presignature of ${this.#self} for key ${toHex(this.#publicKey)}` })
        pool.push(p)
      }
      const kept: DklsPresignature[] = []
      for (let i = pool.length - 1; i >= 0; i--) {
        const p = pool[i] as DklsPresignature
        if (kept.filter((k) => sameSet(k.signers, p.signers)).length < this.#perSet) kept.unshift(p)
      }
      await this.#save(kept)
    })
  }
}

/** Each presignature's own wire record, encoded once: a take re-writes the pool without re-encoding the rest. */
const encodedRecords = new WeakMap<DklsPresignature, Uint8Array>()

function encodeRecord(p: DklsPresignature): Uint8Array {
  let bytes = encodedRecords.get(p)
  if (!bytes) {
    bytes = encodeWire({
      id: p.id,
      self: text.encode(p.self),
      signers: p.signers.map((s) => text.encode(s)),
      publicKey: p.publicKey,
      instancePoint: p.instancePoint,
      phi: scalarToBytes(p.phi),
      u: scalarToBytes(p.u),
      v: scalarToBytes(p.v),
    })
    encodedRecords.set(p, bytes)
  }
  return bytes
}

/** The pool as `encodeWire({ presignatures: [...] })` writes it, from the records' cached encodings. */
function encodePool(pool: readonly DklsPresignature[]): Uint8Array {
  const records = pool.map(encodeRecord)
  // a record of one field, "presignatures", holding a list of the records
  const head = encodeWire({ presignatures: [] })
  const out = new Uint8Array(head.length + records.reduce((n, r) => n + r.length, 0))
  out.set(head)
  new DataView(out.buffer).setUint32(head.length - 4, records.length, false)
  let at = head.length
  for (const r of records) {
    out.set(r, at)
    at += r.length
  }
  return out
}

function decodePool(bytes: Uint8Array): DklsPresignature[] {
  type Stored = { id: Uint8Array; self: Uint8Array; signers: Uint8Array[]; publicKey: Uint8Array; instancePoint: Uint8Array; phi: Uint8Array; u: Uint8Array; v: Uint8Array }
  const r = decodeWire<{ presignatures: Stored[] }>(bytes, 'local store', 'stored ECDSA presignatures', poolSchema)
  return r.presignatures.map((p) => ({
    id: p.id,
    self: untext.decode(p.self),
    signers: p.signers.map((s) => untext.decode(s)),
    publicKey: p.publicKey,
    instancePoint: p.instancePoint,
    phi: bytesToBigInt(p.phi),
    u: bytesToBigInt(p.u),
    v: bytesToBigInt(p.v),
  }))
}
