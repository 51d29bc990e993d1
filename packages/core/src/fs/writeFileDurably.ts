import { randomBytes } from 'node:crypto'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import { syncDirectory } from './syncDirectory.js'

/** Prefix of the temporary files {@link writeFileDurably} renames into place. */
export const TEMP_FILE_PREFIX = '.tmp-'

/**
 * Replaces `file` (in directory `dir`, created 0700 if missing) with `data` so that a crash leaves
 * either the old or the new content: written to a fresh temporary file (0600, never an existing
 * one), flushed, renamed over `file`, then the directory flushed. Node only.
 */
export async function writeFileDurably(dir: string, file: string, data: string | Uint8Array): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 })
  const temp = path.join(dir, `${TEMP_FILE_PREFIX}${randomBytes(12).toString('hex')}`)
  let renamed = false
  try {
    // 'wx': fail rather than write into a file someone else made at this name.
    const handle = await fs.open(temp, 'wx', 0o600)
    try {
      await handle.writeFile(data)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await fs.rename(temp, file)
    renamed = true
  } finally {
    if (!renamed) await fs.rm(temp, { force: true }).catch(() => undefined)
  }
  await syncDirectory(dir)
}
