import { randomBytes } from 'node:crypto'
import { open, readFile, stat } from 'node:fs/promises'
import { type Account, ZrError, privateKeyToAccount } from '@zrkit/core'

/**
 * Writes a new random account key to `path` as `0x` and 64 hex digits, readable by its owner only (mode 0600).
 * Refuses to overwrite an existing file (`INVALID_CONFIG`). Returns the account.
 *
 * @example
 * ```ts
 * const account = await createAccountKeyFile('party-1.key')
 * console.log(account.address) // zen1...
 * ```
 */
export async function createAccountKeyFile(path: string): Promise<Account> {
  const secret = randomBytes(32)
  const account = privateKeyToAccount(secret)
  let file
  try {
    file = await open(path, 'wx', 0o600)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new ZrError('INVALID_CONFIG', 'Cannot create the key file.', { details: `expected a path where no file exists, got ${JSON.stringify(path)} (${code ?? String(e)})` })
  }
  try {
    await file.writeFile(`0x${secret.toString('hex')}\n`)
    await file.sync()
  } finally {
    await file.close()
  }
  secret.fill(0)
  return account
}

/**
 * The account whose private key is in the file `path` (`0x` and 64 hex digits, whitespace around it allowed).
 * A file others can read is refused (`INVALID_CONFIG`: expected mode 0600 or stricter); a file that holds no
 * valid key is refused without showing what it holds.
 *
 * @example
 * ```ts
 * const account = await readAccountKeyFile('/etc/zrkit/party-1.key')
 * ```
 */
export async function readAccountKeyFile(path: string): Promise<Account> {
  let text: string
  try {
    const info = await stat(path)
    if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
      throw new ZrError('INVALID_CONFIG', 'The key file is readable by others.', { details: `expected mode 0600 or stricter for ${path}, got ${(info.mode & 0o777).toString(8).padStart(4, '0')} (chmod 600 ${path})` })
    }
    text = (await readFile(path, 'utf8')).trim()
  } catch (e) {
    if (e instanceof ZrError) throw e
    throw new ZrError('INVALID_CONFIG', 'Cannot read the key file.', { details: `expected a readable file at ${JSON.stringify(path)}, got ${(e as NodeJS.ErrnoException).code ?? String(e)}` })
  }
  return accountFromKeyText(text, `the key file ${path}`)
}

/** The account of a private key given as text (`0x` and 64 hex digits), e.g. from an environment variable. */
export function accountFromKeyText(text: string, where: string): Account {
  const hex = text.trim()
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(hex)) {
    throw new ZrError('INVALID_CONFIG', 'Not an account key.', { details: `expected 0x and 64 hex digits in ${where}, got ${hex.length} characters of another form (not shown)` })
  }
  try {
    return privateKeyToAccount(hex.startsWith('0x') ? hex : `0x${hex}`)
  } catch {
    throw new ZrError('INVALID_CONFIG', 'Not an account key.', { details: `expected a valid secp256k1 private key in ${where}, got a value out of range (not shown)` })
  }
}
