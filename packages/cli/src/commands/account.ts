import { createAccountKeyFile } from '../accountKey.js'
import { accountFrom, accountOptions } from '../accountOption.js'
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
  options: accountOptions,
  async run({ options, out, env }) {
    out((await accountFrom(options, env)).address)
    return 0
  },
}
