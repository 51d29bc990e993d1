import { describe, expect, it } from 'vitest'
import { createZrClient } from '../client/createZrClient.js'
import { fileSecretStore } from '../keyring/fileSecretStore.js'
import { localKeyring } from '../keyring/localKeyring.js'
import { createEmbeddedLedger } from '../ledger/embeddedLedger.js'
import { fileStore } from '../ledger/store/fileStore.js'
import { memoryStore } from '../ledger/store/memoryStore.js'
import { isZrError } from './ZrError.js'

/** Runs `fn` (sync or async), which must fail, and returns what it threw. */
async function failure(fn: () => unknown): Promise<unknown> {
  try {
    await fn()
  } catch (e) {
    return e
  }
  throw new Error('expected a failure')
}

// The codes split out of INVALID_INPUT: a caller branches on them (a setup mistake is fixed in the
// deployment, not retried with other arguments).
describe('INVALID_CONFIG: options a factory cannot use', () => {
  it.each([
    ['createZrClient without a ledger', () => createZrClient({ ledger: 5 } as never), /expected a Ledger/],
    ['createZrClient with a bad account', async () => createZrClient({ ledger: await createEmbeddedLedger({ genesis: { chainId: 'zrkit-config' } }), account: 'x' } as never), /expected an Account/],
    ['localKeyring with options that are no object', () => localKeyring(null as never), /expected \{ secrets\?, keyTypes\? \}/],
    ['localKeyring with a store without get and set', () => localKeyring({ secrets: {} as never }), /expected a SecretStore/],
    ['fileSecretStore without a directory', () => fileSecretStore(''), /got ""/],
    ['fileStore without a directory', () => fileStore(''), /expected a non-empty path, got ""/],
    ['createEmbeddedLedger with options that are no object', () => createEmbeddedLedger(null as never), /expected an object/],
    ['createEmbeddedLedger on an empty store without a genesis', () => createEmbeddedLedger({ store: memoryStore() }), /no genesis was given/],
  ])('%s', async (_label, fn, details) => {
    const e = await failure(fn)
    expect(isZrError(e, 'INVALID_CONFIG'), String(e)).toBe(true)
    expect(isZrError(e) && e.details).toMatch(details)
  })
})
