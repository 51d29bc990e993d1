import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import { toHex, utf8 } from '../encoding/bytes.js'
import { ZrError } from '../errors/ZrError.js'
import type { SecretStore } from './SecretStore.js'
import { errnoCode } from '../fs/syncDirectory.js'
import { writeFileDurably } from '../fs/writeFileDurably.js'

/**
 * Longest entry name {@link fileSecretStore} accepts, in UTF-8 bytes. A file name is `secret-` plus two
 * hex digits per byte of the name, and must stay within the 255-byte file name limit of common file
 * systems: 7 + 2 * 120 = 247.
 */
export const FILE_SECRET_STORE_MAX_NAME_BYTES = 120

/** Prefix of every entry's file name. */
const FILE_PREFIX = 'secret-'
/** Prefix of temporary files being written (never read as entries). */

/**
 * A {@link SecretStore} for Node that keeps one file per entry in `dir`. Values are written as given,
 * in plaintext: wrap it with `encryptedSecretStore` to keep secrets encrypted at rest.
 *
 * - File names: `secret-` followed by the lower-case hex of the entry name's UTF-8 bytes, so any name is
 *   a safe file name (no separators, no `..`, same on case-insensitive file systems). Names longer than
 *   {@link FILE_SECRET_STORE_MAX_NAME_BYTES} (120) bytes are refused with `INVALID_INPUT`.
 * - Writes are atomic and durable: the value goes to a temporary file in `dir`, which is flushed, renamed
 *   over the entry's file, and the directory is flushed. A crash leaves either the old value or the new
 *   one, never half of a secret (at most a stray `.tmp-*` file, which is never read and safe to delete).
 * - Permissions: files are created with mode 0o600; `dir` is created (with its parents) with mode 0o700
 *   when missing. An existing `dir` keeps its mode.
 * - One process at a time: the store takes no lock. Two processes writing one directory can each overwrite
 *   the other's entries; for an MPC party that could mean a presignature whose use one process recorded is
 *   used again by the other. Hold the directory's lock for the life of the process, as `zrkit party start`
 *   does: `await acquireDirectoryLock(dir, { label: 'share directory' })` (from `@zrkit/core/node`).
 *
 * @param dir Directory of the store; created on the first `set` if missing.
 *
 * @example
 * ```ts
 * import { encryptedSecretStore, localKeyring } from '@zrkit/core'
 * import { fileSecretStore } from '@zrkit/core/node'
 *
 * const secrets = encryptedSecretStore(fileSecretStore('./secrets'), { passphrase })
 * const backend = localKeyring({ secrets })
 * ```
 */
export function fileSecretStore(dir: string): SecretStore {
  if (typeof dir !== 'string' || dir.length === 0) {
    throw new ZrError('INVALID_CONFIG', 'fileSecretStore needs a directory.', { details: `got ${JSON.stringify(dir)}` })
  }
  const absDir = path.resolve(dir)
  const fileOf = (name: string) => path.join(absDir, FILE_PREFIX + toHex(entryNameBytes(name)))

  return Object.freeze({
    async get(name: string) {
      const file = fileOf(name)
      try {
        return new Uint8Array(await fs.readFile(file))
      } catch (e) {
        if (errnoCode(e) === 'ENOENT') return undefined
        throw e
      }
    },
    async set(name: string, value: Uint8Array) {
      const file = fileOf(name)
      if (!(value instanceof Uint8Array)) {
        throw new ZrError('INVALID_INPUT', 'A secret must be bytes.', { details: `entry "${name}": expected a Uint8Array, got ${typeof value}` })
      }
      await writeFileDurably(absDir, file, value)
    },
  } satisfies SecretStore)
}

/** UTF-8 of an entry name, checked: well-formed Unicode (distinct names, distinct files) and not too long. */
function entryNameBytes(name: string): Uint8Array {
  if (typeof name !== 'string') {
    throw new ZrError('INVALID_INPUT', 'Invalid secret name.', { details: `expected a string, got ${typeof name}` })
  }
  const bytes = utf8(name)
  if (new TextDecoder().decode(bytes) !== name) {
    throw new ZrError('INVALID_INPUT', 'Invalid secret name.', { details: 'the name is not well-formed Unicode (lone surrogate)' })
  }
  if (bytes.length > FILE_SECRET_STORE_MAX_NAME_BYTES) {
    throw new ZrError('INVALID_INPUT', 'Secret name too long for fileSecretStore.', {
      details: `the name has ${bytes.length} UTF-8 bytes, at most ${FILE_SECRET_STORE_MAX_NAME_BYTES} are allowed`,
      context: { length: bytes.length, max: FILE_SECRET_STORE_MAX_NAME_BYTES },
    })
  }
  return bytes
}


