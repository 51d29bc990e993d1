import { type Account, ZrError } from '@zrkit/core'
import type { OptionSpecs, OptionValues } from './args.js'
import { accountFromKeyText, readAccountKeyFile } from './accountKey.js'

/** The options that name an account key: a file, or an environment variable. */
export const accountOptions = {
  'key-file': { kind: 'path', description: 'the account key file (mode 0600)', placeholder: 'FILE' },
  'key-env': { kind: 'string', description: 'or the environment variable that holds the key', placeholder: 'NAME' },
} as const satisfies OptionSpecs

/** The account named by `--key-file` or `--key-env` (exactly one); `INVALID_CONFIG` otherwise, never showing a key. */
export async function accountFrom(options: OptionValues, env: Readonly<Record<string, string | undefined>>): Promise<Account> {
  const file = options['key-file'] as string | undefined
  const name = options['key-env'] as string | undefined
  if ((file === undefined) === (name === undefined)) {
    throw new ZrError('INVALID_CONFIG', 'Give one account key.', { details: `expected exactly one of --key-file or --key-env, got ${file === undefined && name === undefined ? 'neither' : 'both'}` })
  }
  if (file !== undefined) return readAccountKeyFile(file)
  const text = env[name!]
  if (text === undefined || text === '') throw new ZrError('INVALID_CONFIG', 'No account key in the environment.', { details: `expected $${name} to hold the key, got it unset or empty` })
  return accountFromKeyText(text, `$${name}`)
}
