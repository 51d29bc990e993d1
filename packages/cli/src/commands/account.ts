import { ZrError } from '@zrkit/core'
import { accountFromKeyText, createAccountKeyFile, readAccountKeyFile } from '../accountKey.js'
import type { Command } from '../command.js'

/** `zrkit account new`: a new account key file (mode 0600); prints the account's address. */
export const accountNew: Command = {
  path: ['account', 'new'],
  summary: 'create an account key file (mode 0600) and print its zen1... address',
  help: 'The file holds the private key as 0x and 64 hex digits. It is never overwritten.\nExample: zrkit account new --key-file party-1.key',
  options: {
    'key-file': { kind: 'path', description: 'where to write the key', placeholder: 'FILE', required: true },
  },
  async run({ options, out, log }) {
    const account = await createAccountKeyFile(options['key-file'] as string)
    log.info('account key written', { keyFile: options['key-file'], address: account.address })
    out(account.address)
    return 0
  },
}

/** `zrkit account address`: the address of an account key (file or environment). */
export const accountAddress: Command = {
  path: ['account', 'address'],
  summary: 'print the zen1... address of an account key (from a file or an environment variable)',
  options: {
    'key-file': { kind: 'path', description: 'the account key file', placeholder: 'FILE' },
    'key-env': { kind: 'string', description: 'the environment variable holding the key instead', placeholder: 'NAME' },
  },
  async run({ options, out, env }) {
    const file = options['key-file'] as string | undefined
    const name = options['key-env'] as string | undefined
    if ((file === undefined) === (name === undefined)) {
      throw new ZrError('INVALID_CONFIG', 'Give one account key.', { details: `expected exactly one of --key-file or --key-env, got ${file === undefined && name === undefined ? 'neither' : 'both'}` })
    }
    if (name !== undefined && (env[name] === undefined || env[name] === '')) {
      throw new ZrError('INVALID_CONFIG', 'No account key in the environment.', { details: `expected $${name} to hold the key, got it unset or empty` })
    }
    const account = file !== undefined ? await readAccountKeyFile(file) : accountFromKeyText(env[name!]!, `$${name}`)
    out(account.address)
    return 0
  },
}
