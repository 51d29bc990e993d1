import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { expand, extract } from '@noble/hashes/hkdf.js'
import { hmac } from '@noble/hashes/hmac.js'
import { scryptAsync } from '@noble/hashes/scrypt.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { concatBytes, equalBytes, toHex, utf8 } from '../encoding/bytes.js'
import { ZrError } from '../errors/ZrError.js'
import type { SecretStore } from './SecretStore.js'

/**
 * Options of {@link encryptedSecretStore}: either a raw 32-byte key (e.g. from a KMS or an OS keychain)
 * or a passphrase, stretched with scrypt.
 */
export type EncryptedSecretStoreOptions =
  | {
      /** 32 random bytes. Keep them somewhere else than the store. */
      key: Uint8Array
    }
  | {
      /** A passphrase (Unicode is normalised to NFKC first). Stretched with scrypt, see {@link encryptedSecretStore}. */
      passphrase: string
    }

/**
 * Name of the record in the inner store that describes an encrypted store: format, how the key is made
 * (raw key, or scrypt with its parameters and salt) and a key check value. Entry names never collide
 * with it: they are stored as 64 lower-case hex digits.
 */
export const ENCRYPTED_STORE_META_NAME = 'zrkit-encrypted-store'

/*
 * Formats (all version 1).
 *
 * Key record, at ENCRYPTED_STORE_META_NAME, 53 bytes:
 *   [0]      format version, 0x01
 *   [1]      mode: 0x01 raw key, 0x02 passphrase (scrypt)
 *   [2]      log2(N) of scrypt (0 for a raw key)
 *   [3]      r of scrypt (0 for a raw key)
 *   [4]      p of scrypt (0 for a raw key)
 *   [5..21)  salt, 16 random bytes made when the store is first written
 *   [21..53) check value: HMAC-SHA256(checkKey, bytes [0..21))
 *
 * Key schedule:
 *   master   = the raw key, or scrypt(NFKC(passphrase), salt, N, r, p, 32 bytes)
 *   prk      = HKDF-SHA256-Extract(salt, master)
 *   encKey   = HKDF-Expand(prk, "zrkit/encrypted-secret-store/v1/encrypt", 32)
 *   nameKey  = HKDF-Expand(prk, "zrkit/encrypted-secret-store/v1/names", 32)
 *   checkKey = HKDF-Expand(prk, "zrkit/encrypted-secret-store/v1/check", 32)
 *   The per-store salt also makes two stores under the same key or passphrase unlinkable (different
 *   stored names for the same entry name).
 *
 * Entry `name` with value `v` is kept in the inner store:
 *   at   hex(HMAC-SHA256(nameKey, UTF-8(name)))                 (64 hex digits, says nothing of `name`)
 *   as   0x01 || nonce (24 random bytes) || XChaCha20-Poly1305(encKey, nonce, v, aad)
 *   aad  = 0x01 || UTF-8(name)
 * The AAD binds each value to its entry name: a value copied or moved to another entry fails to decrypt.
 */
const FORMAT_VERSION = 0x01
const MODE_KEY = 0x01
const MODE_PASSPHRASE = 0x02
const SALT_LENGTH = 16
const NONCE_LENGTH = 24
const TAG_LENGTH = 16
const HEADER_LENGTH = 5 + SALT_LENGTH
const META_LENGTH = HEADER_LENGTH + 32

/**
 * scrypt parameters for new passphrase stores: N = 2^15, r = 8, p = 1 (32 MiB of memory, about 0.1-0.3 s
 * in JavaScript on a current machine, once per store instance). The parameters are written into the key
 * record, so stores made with other parameters still open.
 */
export const ENCRYPTED_STORE_SCRYPT = Object.freeze({ log2N: 15, r: 8, p: 1 })
/** Bounds accepted when reading a key record, so a damaged record cannot ask for absurd work. */
const SCRYPT_MAX_LOG2N = 22
const SCRYPT_MAX_R = 32
const SCRYPT_MAX_P = 16
const SCRYPT_MAX_MEMORY = 2 ** 31

const INFO_ENCRYPT = utf8('zrkit/encrypted-secret-store/v1/encrypt')
const INFO_NAMES = utf8('zrkit/encrypted-secret-store/v1/names')
const INFO_CHECK = utf8('zrkit/encrypted-secret-store/v1/check')

const WRONG_SECRET = 'wrong passphrase or key for this store'

type Keys = { encKey: Uint8Array; nameKey: Uint8Array }

/**
 * A {@link SecretStore} that encrypts every value before handing it to `inner`, and hides entry names.
 * Compose it with any store (memory, `fileSecretStore` from `@zrkit/core/node`, a database, a vault) so
 * that secrets such as key shares are never kept in plaintext at rest. Works in browsers and Node.
 *
 * - Values: XChaCha20-Poly1305 with a random 24-byte nonce per write; the entry name is bound as
 *   associated data, so a value moved to another entry does not decrypt.
 * - Names: stored as HMAC-SHA256 of the name under a key of the store (64 hex digits), so the inner store
 *   (file names, database keys) reveals nothing of what it holds.
 * - Keys: a raw 32-byte `key`, or a `passphrase` stretched with scrypt (N = 2^15, r = 8, p = 1; a random
 *   16-byte salt). The salt, the parameters and a key check value are kept in the inner store under
 *   {@link ENCRYPTED_STORE_META_NAME}, written with the first `set`.
 *
 * Errors: a wrong passphrase or key fails with `WRONG_SECRET` (details `wrong passphrase or key for this
 * store`) on the first `get` or `set`, instead of returning garbage. A stored value that was changed,
 * truncated or moved fails with `STORE_CORRUPT` naming the entry (`context.entry`). Options that are
 * not one 32-byte `key` or one non-empty `passphrase` fail with `INVALID_CONFIG`.
 *
 * The first `set` of a new store writes its key record; make that first write from one instance only
 * (two instances creating the same new store at once would race for the record).
 *
 * @param inner Where the encrypted values are kept.
 * @param options `{ key }` (32 bytes) or `{ passphrase }`.
 *
 * @example
 * ```ts
 * import { encryptedSecretStore, localKeyring } from '@zrkit/core'
 * import { fileSecretStore } from '@zrkit/core/node'
 *
 * const secrets = encryptedSecretStore(fileSecretStore('./secrets'), { passphrase: process.env.ZRKIT_PASSPHRASE! })
 * const backend = localKeyring({ secrets })
 * ```
 *
 * @example
 * ```ts
 * import { encryptedSecretStore, memorySecretStore } from '@zrkit/core'
 * const store = encryptedSecretStore(memorySecretStore(), { key: crypto.getRandomValues(new Uint8Array(32)) })
 * await store.set('share:1', share)
 * ```
 */
export function encryptedSecretStore(inner: SecretStore, options: EncryptedSecretStoreOptions): SecretStore {
  if (!inner || typeof inner.get !== 'function' || typeof inner.set !== 'function') {
    throw new ZrError('INVALID_CONFIG', 'encryptedSecretStore needs an inner SecretStore.', { details: 'expected an object with get and set' })
  }
  const secret = readOptions(options)

  let keys: Keys | undefined
  /** A wrong passphrase or key, or a damaged key record: deterministic, so kept and thrown again. */
  let failure: ZrError | undefined
  /** Loads and creations of the key record run one at a time. */
  let chain: Promise<unknown> = Promise.resolve()

  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = chain.then(fn)
    chain = run.catch(() => undefined)
    return run
  }

  /** The store's keys; `undefined` when the store has no key record yet and `create` is false. */
  async function load(create: boolean): Promise<Keys | undefined> {
    if (keys) return keys
    if (failure) throw failure
    return serial(async () => {
      if (keys) return keys
      if (failure) throw failure
      const meta = await inner.get(ENCRYPTED_STORE_META_NAME)
      if (meta) {
        try {
          keys = await openMeta(meta, secret)
        } catch (e) {
          if (e instanceof ZrError) failure = e
          throw e
        }
        return keys
      }
      if (!create) return undefined
      const made = await createMeta(secret)
      await inner.set(ENCRYPTED_STORE_META_NAME, made.meta)
      keys = made.keys
      return keys
    })
  }

  return Object.freeze({
    async get(name: string) {
      const nameBytes = entryName(name)
      const k = await load(false)
      if (!k) return undefined
      const stored = await inner.get(storedName(k, nameBytes))
      if (stored === undefined) return undefined
      return decryptEntry(k, name, nameBytes, stored)
    },
    async set(name: string, value: Uint8Array) {
      const nameBytes = entryName(name)
      if (!(value instanceof Uint8Array)) {
        throw new ZrError('INVALID_INPUT', 'A secret must be bytes.', { details: `entry "${name}": expected a Uint8Array, got ${typeof value}` })
      }
      const k = await load(true)
      // load(true) always returns keys or throws
      const nonce = randomBytes(NONCE_LENGTH)
      const sealed = xchacha20poly1305(k!.encKey, nonce, aadFor(nameBytes)).encrypt(value)
      await inner.set(storedName(k!, nameBytes), concatBytes(Uint8Array.of(FORMAT_VERSION), nonce, sealed))
    },
  } satisfies SecretStore)
}

type StoreSecret = { mode: typeof MODE_KEY; key: Uint8Array } | { mode: typeof MODE_PASSPHRASE; passphrase: Uint8Array }

function readOptions(options: EncryptedSecretStoreOptions): StoreSecret {
  const o = options as { key?: unknown; passphrase?: unknown } | undefined
  if (!o || typeof o !== 'object') {
    throw new ZrError('INVALID_CONFIG', 'encryptedSecretStore needs a key or a passphrase.', { details: 'expected { key } or { passphrase }' })
  }
  const hasKey = o.key !== undefined
  const hasPassphrase = o.passphrase !== undefined
  if (hasKey === hasPassphrase) {
    throw new ZrError('INVALID_CONFIG', 'encryptedSecretStore needs a key or a passphrase.', {
      details: hasKey ? 'give either key or passphrase, not both' : 'expected { key } or { passphrase }',
    })
  }
  if (hasKey) {
    if (!(o.key instanceof Uint8Array) || o.key.length !== 32) {
      const got = o.key instanceof Uint8Array ? `${o.key.length} bytes` : typeof o.key
      throw new ZrError('INVALID_CONFIG', 'Invalid store key.', { details: `expected a 32-byte Uint8Array, got ${got}` })
    }
    return { mode: MODE_KEY, key: Uint8Array.from(o.key) }
  }
  if (typeof o.passphrase !== 'string' || o.passphrase.length === 0) {
    throw new ZrError('INVALID_CONFIG', 'Invalid store passphrase.', { details: 'expected a non-empty string' })
  }
  return { mode: MODE_PASSPHRASE, passphrase: utf8(o.passphrase.normalize('NFKC')) }
}

/** UTF-8 of an entry name; refuses what TextEncoder would change (lone surrogates), so distinct names stay distinct. */
function entryName(name: string): Uint8Array {
  if (typeof name !== 'string') {
    throw new ZrError('INVALID_INPUT', 'Invalid secret name.', { details: `expected a string, got ${typeof name}` })
  }
  const bytes = utf8(name)
  if (new TextDecoder().decode(bytes) !== name) {
    throw new ZrError('INVALID_INPUT', 'Invalid secret name.', { details: 'the name is not well-formed Unicode (lone surrogate)' })
  }
  return bytes
}

function aadFor(nameBytes: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(FORMAT_VERSION), nameBytes)
}

function storedName(keys: Keys, nameBytes: Uint8Array): string {
  return toHex(hmac(sha256, keys.nameKey, nameBytes))
}

function decryptEntry(keys: Keys, name: string, nameBytes: Uint8Array, stored: Uint8Array): Uint8Array {
  const corrupt = (why: string, cause?: unknown) =>
    new ZrError('STORE_CORRUPT', 'A stored secret is damaged.', {
      details: `entry "${name}" ${why}`,
      context: { entry: name },
      cause,
    })
  if (stored.length < 1 + NONCE_LENGTH + TAG_LENGTH) throw corrupt(`is too short (${stored.length} bytes)`)
  if (stored[0] !== FORMAT_VERSION) throw corrupt(`has unknown format version ${stored[0]}`)
  const nonce = stored.subarray(1, 1 + NONCE_LENGTH)
  const sealed = stored.subarray(1 + NONCE_LENGTH)
  try {
    return xchacha20poly1305(keys.encKey, nonce, aadFor(nameBytes)).decrypt(sealed)
  } catch (e) {
    throw corrupt('does not decrypt: it was changed, truncated or moved from another entry', e)
  }
}

async function masterKey(secret: StoreSecret, salt: Uint8Array, log2N: number, r: number, p: number): Promise<Uint8Array> {
  if (secret.mode === MODE_KEY) return secret.key
  return scryptAsync(secret.passphrase, salt, { N: 2 ** log2N, r, p, dkLen: 32, maxmem: SCRYPT_MAX_MEMORY + 1024 * 1024 })
}

function deriveKeys(master: Uint8Array, salt: Uint8Array, header: Uint8Array): Keys & { check: Uint8Array } {
  const prk = extract(sha256, master, salt)
  const checkKey = expand(sha256, prk, INFO_CHECK, 32)
  return {
    encKey: expand(sha256, prk, INFO_ENCRYPT, 32),
    nameKey: expand(sha256, prk, INFO_NAMES, 32),
    check: hmac(sha256, checkKey, header),
  }
}

async function createMeta(secret: StoreSecret): Promise<{ meta: Uint8Array; keys: Keys }> {
  const salt = randomBytes(SALT_LENGTH)
  const { log2N, r, p } = secret.mode === MODE_PASSPHRASE ? ENCRYPTED_STORE_SCRYPT : { log2N: 0, r: 0, p: 0 }
  const header = concatBytes(Uint8Array.of(FORMAT_VERSION, secret.mode, log2N, r, p), salt)
  const master = await masterKey(secret, salt, log2N, r, p)
  const { encKey, nameKey, check } = deriveKeys(master, salt, header)
  return { meta: concatBytes(header, check), keys: { encKey, nameKey } }
}

async function openMeta(meta: Uint8Array, secret: StoreSecret): Promise<Keys> {
  const corrupt = (why: string) =>
    new ZrError('STORE_CORRUPT', 'The key record of the encrypted secret store is damaged.', {
      details: `entry "${ENCRYPTED_STORE_META_NAME}" ${why}`,
      context: { entry: ENCRYPTED_STORE_META_NAME },
    })
  if (meta.length !== META_LENGTH) throw corrupt(`has ${meta.length} bytes, expected ${META_LENGTH}`)
  if (meta[0] !== FORMAT_VERSION) throw corrupt(`has unknown format version ${meta[0]}`)
  const mode = meta[1]!
  const log2N = meta[2]!
  const r = meta[3]!
  const p = meta[4]!
  if (mode === MODE_KEY) {
    if (log2N !== 0 || r !== 0 || p !== 0) throw corrupt('has scrypt parameters for a raw-key store')
  } else if (mode === MODE_PASSPHRASE) {
    const sane = log2N >= 1 && log2N <= SCRYPT_MAX_LOG2N && r >= 1 && r <= SCRYPT_MAX_R && p >= 1 && p <= SCRYPT_MAX_P
    if (!sane || 128 * r * 2 ** log2N > SCRYPT_MAX_MEMORY) throw corrupt(`has out-of-range scrypt parameters (log2N ${log2N}, r ${r}, p ${p})`)
  } else {
    throw corrupt(`has unknown key mode ${mode}`)
  }
  // A passphrase given for a raw-key store (or the other way round) is the wrong secret for it.
  if (mode !== secret.mode) throw wrongSecret()
  const header = meta.subarray(0, HEADER_LENGTH)
  const salt = meta.subarray(5, HEADER_LENGTH)
  const master = await masterKey(secret, salt, log2N, r, p)
  const { encKey, nameKey, check } = deriveKeys(master, salt, header)
  if (!equalBytes(check, meta.subarray(HEADER_LENGTH))) throw wrongSecret()
  return { encKey, nameKey }
}

function wrongSecret(): ZrError {
  return new ZrError('WRONG_SECRET', 'Cannot open the encrypted secret store.', { details: WRONG_SECRET })
}
