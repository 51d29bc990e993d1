import * as fs from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { ed25519 } from '@noble/curves/ed25519.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { afterEach, describe, expect, it } from 'vitest'
import { isZrError } from '../errors/ZrError.js'
import { type KeyType, keyTypes } from '../ledger/types.js'
import { type SecretStore, memorySecretStore } from './SecretStore.js'
import { ENCRYPTED_STORE_META_NAME, encryptedSecretStore } from './encryptedSecretStore.js'
import { FILE_SECRET_STORE_MAX_NAME_BYTES, fileSecretStore } from './fileSecretStore.js'
import { localKeyring } from './localKeyring.js'
import { nobleVerifies, payloadFor, rejection } from '@zrkit/testkit'

const utf8 = (s: string) => new TextEncoder().encode(s)
const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex')
const random = (n: number) => crypto.getRandomValues(new Uint8Array(n))
const never = new AbortController().signal
const PASSPHRASE = 'correct horse battery staple'
const KEYRING = 'keyring1testsecrets'
const WORKSPACE = 'workspace1testsecrets'
const isWindows = process.platform === 'win32'

const dirs: string[] = []
async function tempDir(): Promise<string> {
  const d = await fs.mkdtemp(path.join(os.tmpdir(), 'zrkit-secrets-'))
  dirs.push(d)
  return d
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => fs.rm(d, { recursive: true, force: true })))
})

/** Every file under `dir` (recursively), with its bytes. */
async function filesIn(dir: string): Promise<{ name: string; bytes: Buffer }[]> {
  const out: { name: string; bytes: Buffer }[] = []
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await filesIn(p)).map((f) => ({ name: path.join(entry.name, f.name), bytes: f.bytes })))
    else out.push({ name: entry.name, bytes: await fs.readFile(p) })
  }
  return out
}

/** Byte strings to look for: the bytes themselves and their hex (both cases), base64 and base64url text. */
function forms(secret: Uint8Array): Buffer[] {
  const b = Buffer.from(secret)
  return [b, Buffer.from(b.toString('hex')), Buffer.from(b.toString('hex').toUpperCase()), Buffer.from(b.toString('base64')), Buffer.from(b.toString('base64url'))]
}

/** All windows of `window` bytes of `needle` (so a partial leak is caught too, not only the whole string). */
function windows(needle: Buffer, window: number): Buffer[] {
  if (needle.length <= window) return [needle]
  return Array.from({ length: needle.length - window + 1 }, (_, i) => needle.subarray(i, i + window))
}

/**
 * Looks for every secret, in every form, in the names and contents of every file under `dir`. Raw bytes
 * are matched by any 12-byte run and text forms by any 16-character run: a chance match in random
 * ciphertext is about 2^-96 per position, so any hit is a real leak.
 */
async function leaksIn(dir: string, secrets: readonly Uint8Array[]): Promise<string[]> {
  const files = await filesIn(dir)
  expect(files.length).toBeGreaterThan(0)
  const hits: string[] = []
  for (const secret of secrets) {
    forms(secret).forEach((form, i) => {
      for (const w of windows(form, i === 0 ? 12 : 16)) {
        for (const f of files) {
          if (f.bytes.includes(w) || Buffer.from(f.name).includes(w)) hits.push(`${hexOf(secret).slice(0, 16)}... form ${i} in ${f.name}`)
        }
      }
    })
  }
  return [...new Set(hits)]
}

/** The public key of a secret the local keyring keeps, for its key type. */
function publicKeyOf(keyType: KeyType, secret: Uint8Array): Uint8Array {
  return keyType === 'eddsa-ed25519' ? ed25519.getPublicKey(secret) : secp256k1.getPublicKey(secret, true)
}

/** A store that counts calls and keeps what it was given, over a memory store. */
function spyStore(inner: SecretStore = memorySecretStore()) {
  const sets: { name: string; value: Uint8Array }[] = []
  const gets: string[] = []
  const store: SecretStore = {
    async get(name) {
      gets.push(name)
      return inner.get(name)
    },
    async set(name, value) {
      sets.push({ name, value: Uint8Array.from(value) })
      return inner.set(name, value)
    },
  }
  return { store, sets, gets }
}

/** Shared round-trip checks for any SecretStore. */
async function roundTrip(store: SecretStore): Promise<void> {
  expect(await store.get('missing')).toBeUndefined()
  const a = random(32)
  const b = Uint8Array.from({ length: 256 }, (_, i) => i)
  await store.set('a', a)
  await store.set('key:02ab/..\\x', b)
  await store.set('empty', new Uint8Array(0))
  await store.set('ünïcødé ✓', utf8('text'))
  expect(hexOf((await store.get('a'))!)).toBe(hexOf(a))
  expect(hexOf((await store.get('key:02ab/..\\x'))!)).toBe(hexOf(b))
  expect(await store.get('empty')).toEqual(new Uint8Array(0))
  expect(new TextDecoder().decode(await store.get('ünïcødé ✓'))).toBe('text')
  // names are exact: case and near misses are other entries
  expect(await store.get('A')).toBeUndefined()
  expect(await store.get('a ')).toBeUndefined()
  // overwrite
  const a2 = random(48)
  await store.set('a', a2)
  expect(hexOf((await store.get('a'))!)).toBe(hexOf(a2))
  // the caller's arrays are not shared with the store
  const got = (await store.get('a'))!
  got.fill(0)
  expect(hexOf((await store.get('a'))!)).toBe(hexOf(a2))
  const given = random(16)
  const copy = Uint8Array.from(given)
  await store.set('given', given)
  given.fill(7)
  expect(hexOf((await store.get('given'))!)).toBe(hexOf(copy))
}

describe('memorySecretStore', () => {
  it('round-trips values', async () => {
    await roundTrip(memorySecretStore())
  })
})

describe('fileSecretStore', () => {
  it('round-trips values', async () => {
    await roundTrip(fileSecretStore(await tempDir()))
  })

  it('reads values back from a new instance on the same directory (restart)', async () => {
    const dir = await tempDir()
    const v = random(32)
    await fileSecretStore(dir).set('share:1', v)
    expect(hexOf((await fileSecretStore(dir).get('share:1'))!)).toBe(hexOf(v))
  })

  it('creates a missing directory with mode 0o700 and files with mode 0o600', async () => {
    const dir = path.join(await tempDir(), 'nested', 'secrets')
    const store = fileSecretStore(dir)
    expect(await store.get('x')).toBeUndefined() // a read does not need the directory
    await store.set('x', random(8))
    const files = await fs.readdir(dir)
    expect(files).toEqual([`secret-${hexOf(utf8('x'))}`])
    if (!isWindows) {
      expect((await fs.stat(dir)).mode & 0o777).toBe(0o700)
      expect((await fs.stat(path.join(dir, files[0]!))).mode & 0o777).toBe(0o600)
      // an overwrite replaces the file and keeps it private
      await store.set('x', random(8))
      expect((await fs.stat(path.join(dir, files[0]!))).mode & 0o777).toBe(0o600)
    }
  })

  it('keeps every name inside the directory under a hex file name', async () => {
    const root = await tempDir()
    const dir = path.join(root, 'store')
    const store = fileSecretStore(dir)
    const names = ['../escape', '/etc/passwd', 'a\\b', 'A', 'a', '', '.', 'CON', 'ünï']
    for (const n of names) await store.set(n, utf8(n))
    expect(await fs.readdir(root)).toEqual(['store'])
    const files = (await fs.readdir(dir)).sort()
    expect(files).toEqual(names.map((n) => `secret-${hexOf(utf8(n))}`).sort())
    for (const n of names) expect(new TextDecoder().decode(await store.get(n))).toBe(n)
  })

  it(`refuses names over ${FILE_SECRET_STORE_MAX_NAME_BYTES} bytes and badly formed names with INVALID_INPUT`, async () => {
    const dir = await tempDir()
    const store = fileSecretStore(dir)
    const longest = 'k'.repeat(FILE_SECRET_STORE_MAX_NAME_BYTES)
    await store.set(longest, utf8('ok'))
    expect(new TextDecoder().decode(await store.get(longest))).toBe('ok')
    for (const bad of ['k'.repeat(FILE_SECRET_STORE_MAX_NAME_BYTES + 1), 'é'.repeat(61), 'lone \ud800 surrogate']) {
      expect(isZrError(await rejection(store.set(bad, utf8('x'))), 'INVALID_INPUT')).toBe(true)
      expect(isZrError(await rejection(store.get(bad)), 'INVALID_INPUT')).toBe(true)
    }
    expect(await fs.readdir(dir)).toHaveLength(1)
  })

  it('leaves no temporary file behind, after a write or a failed write', async () => {
    const dir = await tempDir()
    const store = fileSecretStore(dir)
    await store.set('a', random(32))
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.set(`n${i % 4}`, random(32))))
    expect((await fs.readdir(dir)).filter((f) => !f.startsWith('secret-'))).toEqual([])
    // make the final rename fail: a non-empty directory sits where the entry's file should go
    const blocked = path.join(dir, `secret-${hexOf(utf8('blocked'))}`)
    await fs.mkdir(blocked)
    await fs.writeFile(path.join(blocked, 'inside'), 'x')
    await expect(store.set('blocked', random(32))).rejects.toThrow()
    expect((await fs.readdir(dir)).filter((f) => !f.startsWith('secret-'))).toEqual([])
  })

  it('concurrent writes of one entry leave one whole value', async () => {
    const dir = await tempDir()
    const store = fileSecretStore(dir)
    const values = Array.from({ length: 12 }, (_, i) => new Uint8Array(1000 + i * 997).fill(i + 1))
    await Promise.all(values.map((v) => store.set('race', v)))
    const got = (await store.get('race'))!
    expect(values.some((v) => Buffer.from(v).equals(Buffer.from(got)))).toBe(true)
  })

  it('never reads a stray temporary file as an entry', async () => {
    const dir = await tempDir()
    const store = fileSecretStore(dir)
    const v = random(32)
    await store.set('a', v)
    // what a crash between creating and renaming the temp file leaves: half of a new value
    await fs.writeFile(path.join(dir, '.tmp-0123456789abcdef01234567'), random(16))
    expect(hexOf((await store.get('a'))!)).toBe(hexOf(v))
  })
})

describe('encryptedSecretStore', () => {
  it('round-trips values over memory, with a key and with a passphrase', async () => {
    await roundTrip(encryptedSecretStore(memorySecretStore(), { key: random(32) }))
    await roundTrip(encryptedSecretStore(memorySecretStore(), { passphrase: PASSPHRASE }))
  })

  it('round-trips values over files, with a key and with a passphrase', async () => {
    await roundTrip(encryptedSecretStore(fileSecretStore(await tempDir()), { key: random(32) }))
    await roundTrip(encryptedSecretStore(fileSecretStore(await tempDir()), { passphrase: PASSPHRASE }))
  })

  it('hands only ciphertext to the inner store, with a fresh nonce per write', async () => {
    const spy = spyStore()
    const store = encryptedSecretStore(spy.store, { key: random(32) })
    const v = random(32)
    await store.set('s', v)
    await store.set('s', v)
    const entries = spy.sets.filter((s) => s.name !== ENCRYPTED_STORE_META_NAME)
    expect(entries).toHaveLength(2)
    for (const e of entries) {
      expect(e.name).toMatch(/^[0-9a-f]{64}$/)
      expect(e.value).toHaveLength(1 + 24 + 32 + 16)
      expect(Buffer.from(e.value).includes(Buffer.from(v))).toBe(false)
    }
    expect(entries[0]!.name).toBe(entries[1]!.name)
    expect(hexOf(entries[0]!.value)).not.toBe(hexOf(entries[1]!.value))
  })

  it('writes nothing until the first set (a read of a new store finds nothing)', async () => {
    const spy = spyStore()
    const store = encryptedSecretStore(spy.store, { passphrase: PASSPHRASE })
    expect(await store.get('a')).toBeUndefined()
    expect(spy.sets).toEqual([])
    await store.set('a', random(4))
    expect(spy.sets.map((s) => s.name)[0]).toBe(ENCRYPTED_STORE_META_NAME)
    expect(spy.sets.filter((s) => s.name === ENCRYPTED_STORE_META_NAME)).toHaveLength(1)
  })

  it('concurrent first writes create one key record and all values read back', async () => {
    const spy = spyStore()
    const store = encryptedSecretStore(spy.store, { passphrase: PASSPHRASE })
    const values = Array.from({ length: 8 }, () => random(32))
    await Promise.all(values.map((v, i) => store.set(`k${i}`, v)))
    expect(spy.sets.filter((s) => s.name === ENCRYPTED_STORE_META_NAME)).toHaveLength(1)
    const reopened = encryptedSecretStore(spy.store, { passphrase: PASSPHRASE })
    for (const [i, v] of values.entries()) expect(hexOf((await reopened.get(`k${i}`))!)).toBe(hexOf(v))
  })

  it('restart: a new file store and encrypted store on the same directory read the values back', async () => {
    const dir = await tempDir()
    const key = random(32)
    const v1 = random(32)
    const v2 = random(64)
    await encryptedSecretStore(fileSecretStore(dir), { passphrase: PASSPHRASE }).set('share:1', v1)
    const keyDir = await tempDir()
    await encryptedSecretStore(fileSecretStore(keyDir), { key }).set('share:2', v2)

    expect(hexOf((await encryptedSecretStore(fileSecretStore(dir), { passphrase: PASSPHRASE }).get('share:1'))!)).toBe(hexOf(v1))
    expect(hexOf((await encryptedSecretStore(fileSecretStore(keyDir), { key: Uint8Array.from(key) }).get('share:2'))!)).toBe(hexOf(v2))
  })

  it('accepts the same passphrase in another Unicode normal form', async () => {
    const inner = memorySecretStore()
    const v = random(8)
    await encryptedSecretStore(inner, { passphrase: 'caf\u00e9 pass' }).set('a', v)
    expect(hexOf((await encryptedSecretStore(inner, { passphrase: 'cafe\u0301 pass' }).get('a'))!)).toBe(hexOf(v))
  })

  it('a wrong passphrase fails with WRONG_SECRET, on get and on set, and writes nothing', async () => {
    const dir = await tempDir()
    await encryptedSecretStore(fileSecretStore(dir), { passphrase: PASSPHRASE }).set('a', random(32))
    const before = await filesIn(dir)
    const wrong = encryptedSecretStore(fileSecretStore(dir), { passphrase: `${PASSPHRASE}!` })
    for (const err of [await rejection(wrong.get('a')), await rejection(wrong.set('b', random(32))), await rejection(wrong.get('missing'))]) {
      expect(isZrError(err, 'WRONG_SECRET')).toBe(true)
      expect((err as { details?: string }).details).toBe('wrong passphrase or key for this store')
    }
    expect(await filesIn(dir)).toEqual(before)
  })

  it('a wrong key fails with WRONG_SECRET, and so does the wrong kind of secret', async () => {
    const keyStore = memorySecretStore()
    const key = random(32)
    await encryptedSecretStore(keyStore, { key }).set('a', random(32))
    const wrongKey = Uint8Array.from(key)
    wrongKey[31]! ^= 1
    const passStore = memorySecretStore()
    await encryptedSecretStore(passStore, { passphrase: PASSPHRASE }).set('a', random(32))
    const attempts = [
      encryptedSecretStore(keyStore, { key: wrongKey }).get('a'),
      encryptedSecretStore(keyStore, { passphrase: PASSPHRASE }).get('a'),
      encryptedSecretStore(passStore, { key }).get('a'),
    ]
    for (const p of attempts) {
      const err = await rejection(p)
      expect(isZrError(err, 'WRONG_SECRET')).toBe(true)
      expect((err as { details?: string }).details).toBe('wrong passphrase or key for this store')
    }
  })

  it('refuses bad options with INVALID_CONFIG', () => {
    const inner = memorySecretStore()
    const bad: unknown[] = [{ key: random(31) }, { key: random(33) }, { key: 'aa'.repeat(32) }, { passphrase: '' }, { passphrase: 42 }, {}, { key: random(32), passphrase: 'x' }, undefined]
    for (const options of bad) {
      let err: unknown
      try {
        encryptedSecretStore(inner, options as never)
      } catch (e) {
        err = e
      }
      expect(isZrError(err, 'INVALID_CONFIG')).toBe(true)
    }
  })

  it('a tampered stored value fails with STORE_CORRUPT naming the entry', async () => {
    const dir = await tempDir()
    const name = 'share:tampered'
    const v = random(32)
    await encryptedSecretStore(fileSecretStore(dir), { key: new Uint8Array(32).fill(9) }).set(name, v)
    const entryFile = (await filesIn(dir)).find((f) => f.name !== `secret-${hexOf(utf8(ENCRYPTED_STORE_META_NAME))}`)!
    const original = entryFile.bytes
    const variants: Buffer[] = [
      Buffer.from([2, ...original.subarray(1)]), // version byte
      ...[1, 10, 25, 40, original.length - 1].map((i) => {
        const b = Buffer.from(original)
        b[i]! ^= 0x01 // nonce, ciphertext, tag
        return b
      }),
      original.subarray(0, original.length - 1), // truncated
      original.subarray(0, 20), // too short to hold a nonce and tag
      Buffer.concat([original, Buffer.from([0])]), // extended
    ]
    for (const bytes of variants) {
      await fs.writeFile(path.join(dir, entryFile.name), bytes)
      const err = await rejection(encryptedSecretStore(fileSecretStore(dir), { key: new Uint8Array(32).fill(9) }).get(name))
      expect(isZrError(err, 'STORE_CORRUPT')).toBe(true)
      expect((err as { details?: string }).details).toContain(name)
      expect((err as { meta?: Record<string, unknown> }).meta?.entry).toBe(name)
    }
    // restored, it reads again (the failures above were about the bytes, not the store)
    await fs.writeFile(path.join(dir, entryFile.name), original)
    expect(hexOf((await encryptedSecretStore(fileSecretStore(dir), { key: new Uint8Array(32).fill(9) }).get(name))!)).toBe(hexOf(v))
  })

  it('swapped files fail to decrypt (each value is bound to its name)', async () => {
    const dir = await tempDir()
    const store = encryptedSecretStore(fileSecretStore(dir), { passphrase: PASSPHRASE })
    await store.set('alice', random(32))
    await store.set('bob', random(32))
    const metaFile = `secret-${hexOf(utf8(ENCRYPTED_STORE_META_NAME))}`
    const [f1, f2] = (await filesIn(dir)).filter((f) => f.name !== metaFile)
    await fs.writeFile(path.join(dir, f1!.name), f2!.bytes)
    await fs.writeFile(path.join(dir, f2!.name), f1!.bytes)
    const reopened = encryptedSecretStore(fileSecretStore(dir), { passphrase: PASSPHRASE })
    for (const name of ['alice', 'bob']) {
      const err = await rejection(reopened.get(name))
      expect(isZrError(err, 'STORE_CORRUPT')).toBe(true)
      expect((err as { meta?: Record<string, unknown> }).meta?.entry).toBe(name)
    }
  })

  it('a damaged key record fails with STORE_CORRUPT', async () => {
    const spy = spyStore()
    await encryptedSecretStore(spy.store, { passphrase: PASSPHRASE }).set('a', random(8))
    const meta = (await spy.store.get(ENCRYPTED_STORE_META_NAME))!
    const damaged = [
      meta.subarray(0, meta.length - 1),
      Uint8Array.from([9, ...meta.subarray(1)]), // unknown format version
      Uint8Array.from([meta[0]!, 7, ...meta.subarray(2)]), // unknown mode
      Uint8Array.from([meta[0]!, meta[1]!, 40, ...meta.subarray(3)]), // absurd scrypt N
    ]
    for (const bytes of damaged) {
      const inner = memorySecretStore()
      await inner.set(ENCRYPTED_STORE_META_NAME, bytes)
      const err = await rejection(encryptedSecretStore(inner, { passphrase: PASSPHRASE }).get('a'))
      expect(isZrError(err, 'STORE_CORRUPT')).toBe(true)
      expect((err as { details?: string }).details).toContain(ENCRYPTED_STORE_META_NAME)
    }
  })

  it('file names reveal nothing of entry names', async () => {
    const dir = await tempDir()
    const store = encryptedSecretStore(fileSecretStore(dir), { passphrase: PASSPHRASE })
    const names = ['alpha1', 'share:keyring1abc:42', `key:${'02'.repeat(33)}`, 'x'.repeat(300), 'ünïcødé']
    for (const n of names) await store.set(n, random(16))
    const metaFile = `secret-${hexOf(utf8(ENCRYPTED_STORE_META_NAME))}`
    const files = (await fs.readdir(dir)).filter((f) => f !== metaFile)
    expect(files).toHaveLength(names.length)
    for (const f of files) {
      // all alike: `secret-` and the hex of 64 hex digits, whatever the name's length
      expect(f).toMatch(/^secret-(3[0-9]|6[1-6]){64}$/)
      const stored = Buffer.from(f.slice('secret-'.length), 'hex').toString()
      for (const n of names) {
        expect(f.includes(hexOf(utf8(n)))).toBe(false)
        expect(stored.includes(hexOf(utf8(n)))).toBe(false)
        expect(stored).not.toBe(hexOf(sha256(utf8(n)))) // not a plain (unkeyed) hash either
      }
    }
    // another store under the same passphrase stores the same names elsewhere (per-store salt)
    const dir2 = await tempDir()
    const store2 = encryptedSecretStore(fileSecretStore(dir2), { passphrase: PASSPHRASE })
    for (const n of names) await store2.set(n, random(16))
    const files2 = (await fs.readdir(dir2)).filter((f) => f !== metaFile)
    expect(files2.filter((f) => files.includes(f))).toEqual([])
  })

  it('two stores under the same raw key store the same name differently (per-store salt)', async () => {
    const key = random(32)
    const a = spyStore()
    const b = spyStore()
    await encryptedSecretStore(a.store, { key }).set('share:1', random(8))
    await encryptedSecretStore(b.store, { key }).set('share:1', random(8))
    const stored = (s: typeof a) => s.sets.filter((x) => x.name !== ENCRYPTED_STORE_META_NAME).map((x) => x.name)
    expect(stored(a)).toHaveLength(1)
    expect(stored(b)).toHaveLength(1)
    expect(stored(a)[0]).not.toBe(stored(b)[0])
  })
})

describe('no plaintext on disk', () => {
  it('the leak scanner finds secrets in a plaintext file store (control)', async () => {
    // Without this, a scanner that never matches would make the tests below pass vacuously.
    const dir = await tempDir()
    const secrets = Array.from({ length: 3 }, () => random(32))
    const plain = fileSecretStore(dir)
    await plain.set('raw', secrets[0]!)
    await plain.set('hex', utf8(hexOf(secrets[1]!)))
    await plain.set('b64', utf8(Buffer.from(secrets[2]!).toString('base64')))
    const hits = await leaksIn(dir, secrets)
    expect(hits.length).toBeGreaterThanOrEqual(3)
    // a partial leak (half of a secret) is caught too
    const partialDir = await tempDir()
    await fileSecretStore(partialDir).set('half', secrets[0]!.subarray(0, 16))
    expect((await leaksIn(partialDir, [secrets[0]!])).length).toBeGreaterThan(0)
  })

  it('encrypted(file) writes none of the secret bytes, nor their hex or base64 text', async () => {
    const dir = await tempDir()
    const store = encryptedSecretStore(fileSecretStore(dir), { passphrase: PASSPHRASE })
    const secrets = Array.from({ length: 8 }, () => random(32))
    for (const [i, s] of secrets.entries()) {
      await store.set(`raw:${i}`, s)
      await store.set(`hex:${i}`, utf8(hexOf(s)))
      await store.set(`HEX:${i}`, utf8(hexOf(s).toUpperCase()))
      await store.set(`b64:${i}`, utf8(Buffer.from(s).toString('base64')))
      await store.set(`b64url:${i}`, utf8(Buffer.from(s).toString('base64url')))
    }
    // also names made of secrets must not show (names are hidden too)
    await store.set(`name:${hexOf(secrets[0]!)}`, random(8))
    expect(await leaksIn(dir, secrets)).toEqual([])
    // and everything reads back
    const reopened = encryptedSecretStore(fileSecretStore(dir), { passphrase: PASSPHRASE })
    for (const [i, s] of secrets.entries()) {
      expect(hexOf((await reopened.get(`raw:${i}`))!)).toBe(hexOf(s))
      expect(new TextDecoder().decode(await reopened.get(`b64:${i}`))).toBe(Buffer.from(s).toString('base64'))
    }
  })

  it('localKeyring over encrypted(file): keys survive a restart, sign and verify, and no key bytes reach the disk', async () => {
    const dir = await tempDir()
    /*
     * To know the secrets to search for, a pass-through store between the keyring and the encrypted
     * store records the plaintext the keyring hands over for storage: exactly the bytes that must not
     * reach the disk. It sits above the encryption, so it sees plaintext, and it writes nothing itself.
     * Each recorded secret is checked to be the real key (it yields the public key the keyring
     * returned), so the scan below looks for the actual secrets, not for something else.
     */
    const recorded = new Map<string, Uint8Array>()
    const recording = (inner: SecretStore): SecretStore => ({
      get: (name) => inner.get(name),
      async set(name, value) {
        recorded.set(name, Uint8Array.from(value))
        await inner.set(name, value)
      },
    })
    const before = localKeyring({ secrets: recording(encryptedSecretStore(fileSecretStore(dir), { passphrase: PASSPHRASE })) })
    const created: { keyType: KeyType; requestId: number; publicKey: Uint8Array; secret: Uint8Array }[] = []
    for (const [i, keyType] of keyTypes.entries()) {
      const requestId = 100 + i
      const { publicKey } = await before.createKey({ requestId, keyType, workspace: WORKSPACE, keyring: KEYRING, signal: never })
      const secret = recorded.get(`key:${hexOf(publicKey)}`)
      expect(secret).toBeDefined()
      expect(hexOf(publicKeyOf(keyType, secret!))).toBe(hexOf(publicKey))
      created.push({ keyType, requestId, publicKey, secret: secret! })
    }
    expect(created).toHaveLength(4)

    // restart: new store objects, new keyring, same directory and passphrase
    const after = localKeyring({ secrets: encryptedSecretStore(fileSecretStore(dir), { passphrase: PASSPHRASE }) })
    for (const { keyType, requestId, publicKey } of created) {
      const again = await after.createKey({ requestId, keyType, workspace: WORKSPACE, keyring: KEYRING, signal: never })
      expect(hexOf(again.publicKey)).toBe(hexOf(publicKey))
      const payloads = [payloadFor(keyType, 'after restart 1'), payloadFor(keyType, 'after restart 2')]
      const { signatures } = await after.sign({ requestId: 1, keyId: 1, keyType, publicKey, payloads, workspace: WORKSPACE, keyring: KEYRING, signal: never })
      expect(nobleVerifies(keyType, publicKey, payloads[0]!, signatures[0]!)).toBe(true)
      expect(nobleVerifies(keyType, publicKey, payloads[1]!, signatures[1]!)).toBe(true)
      expect(nobleVerifies(keyType, publicKey, payloads[1]!, signatures[0]!)).toBe(false)
    }

    // the whole secrets, and for ed25519 the signing scalar expanded from the seed
    const secrets = created.map((c) => c.secret)
    for (const c of created) {
      if (c.keyType !== 'eddsa-ed25519') continue
      const { scalar } = ed25519.utils.getExtendedPublicKey(c.secret)
      secrets.push(Uint8Array.from(Buffer.from(scalar.toString(16).padStart(64, '0'), 'hex').reverse()))
    }
    expect(await leaksIn(dir, secrets)).toEqual([])
    // names are hidden too: the public keys (part of the keyring's entry names, and stored values) do not show
    expect(await leaksIn(dir, created.map((c) => c.publicKey))).toEqual([])

    // a wrong passphrase cannot use the keys
    const intruder = localKeyring({ secrets: encryptedSecretStore(fileSecretStore(dir), { passphrase: 'guess' }) })
    const { keyType, publicKey } = created[0]!
    const err = await rejection(intruder.sign({ requestId: 2, keyId: 1, keyType, publicKey, payloads: [payloadFor(keyType, 'x')], workspace: WORKSPACE, keyring: KEYRING, signal: never }))
    expect(isZrError(err, 'WRONG_SECRET')).toBe(true)
  })
})
