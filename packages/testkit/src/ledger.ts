/**
 * Test fixtures for the embedded ledger (the ledger test world), shared by the test files of every package.
 *
 * `setup()` builds a fresh in-memory ledger with funded accounts, one client per account, a workspace
 * and a keyring whose parties are plain accounts: tests act as the keyring themselves, creating keys
 * and signatures with noble and posting them with `fulfilKeyRequest` / `fulfilSignRequest`, so they
 * control every byte of a party's result.
 *
 * The helpers here never import a test runner; assertion helpers throw plain `Error`s, which fail a
 * test in any runner.
 *
 * @example
 * ```ts
 * const s = await setup({ parties: 3, threshold: 2 })
 * const { requestId } = await s.owner.client.requestKey({ workspace: s.workspace, keyring: s.keyring, keyType: 'ecdsa-secp256k1' })
 * const key = newKeyPair('ecdsa-secp256k1', 'k1')
 * await s.parties[0]!.client.fulfilKeyRequest({ requestId, result: { publicKey: key.publicKey } })
 * await expectRefused(s.ledger, () => s.outsider.client.fulfilKeyRequest({ requestId, result: { publicKey: key.publicKey } }), 'NOT_KEYRING_PARTY')
 * ```
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import {
  type LedgerDatabase,
  type LedgerStore,
  type Account,
  type EmbeddedLedger,
  type KeyType,
  type LedgerParams,
  type TransactionDecoder,
  type ZrClient,
  type ZrError,
  type ZrErrorCode,
  createEmbeddedLedger,
  createZrClient,
  generateAccount,
  isZrError,
  recoveredToRsv,
} from '@zrkit/core'

const utf8 = (text: string) => new TextEncoder().encode(text)

/** The signature scheme of a key type, as the ledger checks it. */
function schemeOf(keyType: KeyType): 'ecdsa' | 'schnorr' | 'eddsa' {
  return keyType === 'eddsa-ed25519' ? 'eddsa' : keyType === 'schnorr-secp256k1' ? 'schnorr' : 'ecdsa'
}

/** The 32-byte x coordinate of a 33-byte compressed secp256k1 key (a BIP340 key). */
const xOnly = (publicKey: Uint8Array) => (publicKey.length === 33 ? publicKey.subarray(1) : publicKey)

/** An account together with a client bound to the test ledger. */
export type Actor = { readonly account: Account; readonly address: string; readonly client: ZrClient }

/** Options of {@link setup}. */
export type SetupOptions = {
  /** Chain id of the genesis (default `zrkit-test`). */
  chainId?: string
  /** Number of keyring parties (default 1). Parties hold no balance; they need none to respond. */
  parties?: number
  /** Party threshold of the keyring (default: all parties). */
  threshold?: number
  /** Key request fee of the keyring (default 100). */
  keyRequestFee?: bigint
  /** Signature request fee of the keyring (default 10). */
  signRequestFee?: bigint
  /** Genesis balance of every funded account: owners, the keyring admin and outsiders (default 1 000 000). */
  balance?: bigint
  /** Workspace owners besides `owner` (default 0); they are funded and added as `additionalOwners`. */
  extraOwners?: number
  /** Funded accounts that own nothing and take part in nothing (default 1). */
  outsiders?: number
  /** Create the workspace (default true). */
  workspace?: boolean
  /** Create the keyring (default true). */
  keyring?: boolean
  /** Use `Date.now` instead of the manual clock (default false). */
  realClock?: boolean
  /** Passed to the ledger; default: true with the real clock, false with the manual clock. */
  autoTick?: boolean
  /** Start time of the manual clock (default 1 700 000 000 000). */
  startTime?: number
  /** Ledger parameters for the genesis. */
  params?: Partial<LedgerParams>
  /** Prefix for the deterministic account seeds (default: a fresh random one per call). */
  seed?: string
  /** Transaction decoders the ledger runs (its genesis lists each at its version). */
  transactionDecoders?: readonly TransactionDecoder[]
  /** Where the ledger lives (default: in memory). */
  store?: LedgerStore | LedgerDatabase
}

/** The manual ledger clock (also present, but inert, with `realClock`). */
export type ManualClock = {
  now(): number
  /** Moves the clock forward by `ms`. */
  advance(ms: number): void
  set(time: number): void
}

/** What {@link setup} built. */
export type Setup = {
  readonly ledger: EmbeddedLedger
  readonly chainId: string
  readonly clock: ManualClock
  /** Creator and first owner of the workspace. */
  readonly owner: Actor
  /** Every workspace owner, `owner` first. */
  readonly owners: readonly Actor[]
  /** Creator and only admin of the keyring. */
  readonly admin: Actor
  /** The keyring's parties, in keyring order. */
  readonly parties: readonly Actor[]
  /** Funded accounts with no role. */
  readonly outsiders: readonly Actor[]
  /** `outsiders[0]`, for convenience (absent when `outsiders: 0`). */
  readonly outsider: Actor
  /** Workspace address ('' when `workspace: false`). */
  readonly workspace: string
  /** Keyring address ('' when `keyring: false`). */
  readonly keyring: string
  readonly keyRequestFee: bigint
  readonly signRequestFee: bigint
  /** Sum of all genesis balances. */
  readonly genesisTotal: bigint
  /** Every address that can hold a balance in the fixture: funded accounts, parties and the keyring. */
  addresses(): string[]
  /** A new actor (unfunded unless `fund` is given, which the owner sends it). */
  newActor(name: string, fund?: bigint): Promise<Actor>
  balance(address: string): Promise<bigint>
  sequence(address: string): Promise<number>
}

let fixtureCounter = 0

/** Builds a ledger, funded accounts, clients, a workspace and a keyring with `parties` parties. */
export async function setup(options: SetupOptions = {}): Promise<Setup> {
  const chainId = options.chainId ?? 'zrkit-test'
  const partyCount = options.parties ?? 1
  const threshold = options.threshold ?? partyCount
  const keyRequestFee = options.keyRequestFee ?? 100n
  const signRequestFee = options.signRequestFee ?? 10n
  const balance = options.balance ?? 1_000_000n
  const seed = options.seed ?? `fixture-${Date.now()}-${++fixtureCounter}-${Math.random()}`
  const account = (name: string) => generateAccount(`${seed}:${name}`)

  let time = options.startTime ?? 1_700_000_000_000
  const clock: ManualClock = {
    now: () => time,
    advance: (ms) => {
      time += ms
    },
    set: (t) => {
      time = t
    },
  }

  const ownerAccounts = Array.from({ length: 1 + (options.extraOwners ?? 0) }, (_, i) => account(`owner${i}`))
  const adminAccount = account('admin')
  const outsiderAccounts = Array.from({ length: options.outsiders ?? 1 }, (_, i) => account(`outsider${i}`))
  const partyAccounts = Array.from({ length: partyCount }, (_, i) => account(`party${i}`))
  const funded = [...ownerAccounts, adminAccount, ...outsiderAccounts]

  const realClock = options.realClock ?? false
  const ledger = await createEmbeddedLedger({
    genesis: {
      chainId,
      balances: funded.map((a) => ({ address: a.address, amount: balance })),
      ...(options.params ? { params: options.params } : {}),
      ...(options.transactionDecoders ? { transactionDecoders: options.transactionDecoders.map((d) => `${d.chain}@${d.version}`) } : {}),
    },
    ...(options.transactionDecoders ? { transactionDecoders: options.transactionDecoders } : {}),
    ...(options.store ? { store: options.store } : {}),
    ...(realClock ? {} : { now: clock.now }),
    autoTick: options.autoTick ?? realClock,
  })
  const actor = (a: Account): Actor => ({ account: a, address: a.address, client: createZrClient({ ledger, account: a }) })
  const owners = ownerAccounts.map(actor)
  const owner = owners[0]!
  const admin = actor(adminAccount)
  const parties = partyAccounts.map(actor)
  const outsiders = outsiderAccounts.map(actor)
  const extra: Actor[] = []

  let workspace = ''
  if (options.workspace ?? true) {
    const additionalOwners = owners.slice(1).map((o) => o.address)
    workspace = (await owner.client.createWorkspace(additionalOwners.length ? { additionalOwners } : {})).workspace
  }
  let keyring = ''
  if ((options.keyring ?? true) && partyCount > 0) {
    keyring = (
      await admin.client.createKeyring({
        description: 'test keyring',
        parties: parties.map((p) => p.address),
        partyThreshold: threshold,
        keyRequestFee,
        signRequestFee,
      })
    ).keyring
  }

  const query = (address: string) => ledger.query('account', { address })
  return {
    ledger,
    chainId,
    clock,
    owner,
    owners,
    admin,
    parties,
    outsiders,
    outsider: outsiders[0]!,
    workspace,
    keyring,
    keyRequestFee,
    signRequestFee,
    genesisTotal: balance * BigInt(funded.length),
    addresses: () => [...new Set([...funded.map((a) => a.address), ...parties.map((p) => p.address), ...extra.map((e) => e.address), ...(keyring ? [keyring] : [])])],
    async newActor(name, fund) {
      const a = actor(account(`extra:${name}`))
      extra.push(a)
      if (fund !== undefined && fund > 0n) await owner.client.send({ to: a.address, amount: fund })
      return a
    },
    balance: async (address) => (await query(address)).balance,
    sequence: async (address) => (await query(address)).sequence,
  }
}

/** A key pair of a key type, made with noble; deterministic when a seed is given. */
export type KeyPair = { readonly keyType: KeyType; readonly secret: Uint8Array; readonly publicKey: Uint8Array }

/** A fresh key pair for `keyType`: 33-byte compressed secp256k1 key, or 32-byte ed25519 key. */
export function newKeyPair(keyType: KeyType, seed?: string): KeyPair {
  const eddsa = schemeOf(keyType) === 'eddsa'
  const secret =
    seed !== undefined ? sha256(utf8(`zrkit-testkit:${keyType}:${seed}`)) : eddsa ? ed25519.utils.randomSecretKey() : secp256k1.utils.randomSecretKey()
  const publicKey = eddsa ? ed25519.getPublicKey(secret) : secp256k1.getPublicKey(secret, true)
  return { keyType, secret, publicKey }
}

/**
 * Signs one payload the way the ledger expects for the key type: 65-byte low-S r||s||v for ECDSA,
 * 64-byte RFC 8032 for EdDSA, 64-byte BIP340 for Schnorr (with `auxRand`, default 32 zero bytes, so
 * that parties holding the same key produce the same signature).
 */
export function schemeSign(key: KeyPair, payload: Uint8Array, auxRand: Uint8Array = new Uint8Array(32)): Uint8Array {
  const scheme = schemeOf(key.keyType)
  if (scheme === 'eddsa') return ed25519.sign(payload, key.secret)
  if (scheme === 'schnorr') return schnorr.sign(payload, key.secret, auxRand)
  return recoveredToRsv(secp256k1.sign(payload, key.secret, { prehash: false, format: 'recovered' }))
}

/**
 * Verifies a signature with noble alone, independently of zrkit's own checks, under zrkit's rules for the key
 * type: ECDSA 65 bytes r || s || v with low S, v in {0, 1} and the key recovered with v equal to the key (so
 * `ecrecover` gives the key's address); BIP340 64 bytes under the key's x coordinate (a 33- or 32-byte key);
 * ed25519 64 bytes under the strict RFC 8032 rules (not ZIP-215). Every suite checks signatures through it.
 *
 * @example
 * ```ts
 * import { nobleVerifies } from '@zrkit/testkit'
 * expect(nobleVerifies(key.keyType, key.publicKey, payload, signature)).toBe(true)
 * ```
 */
export function nobleVerifies(keyType: KeyType, publicKey: Uint8Array, payload: Uint8Array, signature: Uint8Array): boolean {
  if (!(signature instanceof Uint8Array) || !(publicKey instanceof Uint8Array)) return false
  try {
    const scheme = schemeOf(keyType)
    if (scheme === 'eddsa') return signature.length === 64 && ed25519.verify(signature, payload, publicKey, { zip215: false })
    if (scheme === 'schnorr') return signature.length === 64 && schnorr.verify(signature, payload, publicKey.length === 33 ? xOnly(publicKey) : publicKey)
    if (signature.length !== 65 || signature[64]! > 1) return false
    const compact = signature.subarray(0, 64)
    const parsed = secp256k1.Signature.fromBytes(compact, 'compact')
    if (parsed.s > secp256k1.Point.CURVE().n / 2n) return false
    if (!secp256k1.verify(compact, payload, publicKey, { prehash: false, lowS: true })) return false
    const recovered = parsed.addRecoveryBit(signature[64]!).recoverPublicKey(payload).toBytes(true)
    return recovered.length === publicKey.length && recovered.every((b, i) => b === publicKey[i])
  } catch {
    return false
  }
}

/** A payload that fits the key type: a 32-byte digest for ECDSA keys, a message of `length` bytes otherwise. */
export function payloadFor(keyType: KeyType, label: string, length = 48): Uint8Array {
  if (schemeOf(keyType) === 'ecdsa') return sha256(utf8(label))
  const out = new Uint8Array(length)
  const fill = sha256(utf8(label))
  for (let i = 0; i < length; i++) out[i] = fill[i % 32]! ^ (i >> 5)
  return out
}

/** A key created through the ledger, with its secret kept by the test. */
export type TestKey = KeyPair & { readonly keyId: number; readonly requestId: number }

/**
 * Requests a key as `requester` (default: the owner) and has the first `threshold` parties post the
 * same public key, so the request is fulfilled.
 */
export async function createTestKey(
  s: Setup,
  keyType: KeyType,
  options: { requester?: Actor; signPolicyId?: number; keyring?: string; parties?: readonly Actor[]; seed?: string } = {},
): Promise<TestKey> {
  const requester = options.requester ?? s.owner
  const key = newKeyPair(keyType, options.seed)
  const { requestId } = await requester.client.requestKey({
    workspace: s.workspace,
    keyring: options.keyring ?? s.keyring,
    keyType,
    ...(options.signPolicyId !== undefined ? { signPolicyId: options.signPolicyId } : {}),
  })
  const parties = options.parties ?? s.parties
  let keyId: number | undefined
  for (const p of parties) {
    const receipt = await p.client.fulfilKeyRequest({ requestId, result: { publicKey: key.publicKey } })
    if (receipt.result.status === 'fulfilled') {
      keyId = receipt.result.keyId as number
      break
    }
  }
  if (keyId === undefined) throw new Error(`key request ${requestId} was not fulfilled by ${parties.length} parties`)
  return { ...key, keyId, requestId }
}

/**
 * Runs `action` and checks that it is refused with a ZrError of `code` (and, when given, `details`
 * containing `detailsIncludes`: a fragment, each of several fragments, or matching a pattern), and that the
 * ledger's state hash, height and event count did not move. Returns the error for further checks.
 */
export async function expectRefused(ledger: EmbeddedLedger, action: () => Promise<unknown>, code: ZrErrorCode, detailsIncludes?: string | RegExp | readonly string[]): Promise<ZrError> {
  const before = ledger.stateHash()
  const statusBefore = await ledger.query('status', {})
  let error: unknown
  try {
    await action()
  } catch (e) {
    error = e
  }
  if (error === undefined) throw new Error(`expected a ${code} error, but the action succeeded`)
  if (!isZrError(error)) throw new Error(`expected a ZrError ${code}, got ${String(error)}`, { cause: error })
  if (error.code !== code) throw new Error(`expected a ZrError ${code}, got ${error.code}: ${error.message}`, { cause: error })
  if (detailsIncludes instanceof RegExp) {
    if (!detailsIncludes.test(error.details ?? '')) throw new Error(`expected the details of ${code} to match ${String(detailsIncludes)}, got ${JSON.stringify(error.details)}`)
  }
  for (const fragment of typeof detailsIncludes === 'string' ? [detailsIncludes] : detailsIncludes instanceof RegExp ? [] : (detailsIncludes ?? [])) {
    if (!(error.details ?? '').includes(fragment)) throw new Error(`expected the details of ${code} to contain ${JSON.stringify(fragment)}, got ${JSON.stringify(error.details)}`)
  }
  const after = ledger.stateHash()
  if (after !== before) throw new Error(`expected the state to be unchanged after a refused ${code}, but the state hash moved`)
  const statusAfter = await ledger.query('status', {})
  if (statusAfter.height !== statusBefore.height || statusAfter.lastEventSeq !== statusBefore.lastEventSeq) {
    throw new Error(`expected height and events unchanged after a refused ${code}, got height ${statusBefore.height} -> ${statusAfter.height}, events ${statusBefore.lastEventSeq} -> ${statusAfter.lastEventSeq}`)
  }
  return error
}
