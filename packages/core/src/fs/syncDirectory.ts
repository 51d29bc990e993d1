import * as fs from 'node:fs/promises'

/**
 * Flushes a directory to the disk, so a file created or renamed in it survives a power loss.
 * Windows cannot open directories; there it does nothing. Node only.
 */
export async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return
  const handle = await fs.open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** The `code` of a Node system error (`ENOENT`, `EEXIST`, ...), or undefined. */
export function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}
