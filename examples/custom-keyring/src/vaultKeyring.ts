/**
 * A custom keyring plugin: ed25519 keys kept in a "vault" (any SecretStore), signing only messages
 * that carry an allowed prefix, and asking the connector to retry while the vault is sealed.
 *
 * Everything else (watching the ledger, de-duplication, retries, the party's signed responses,
 * turning errors into rejections) is the connector's job.
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { type KeyringBackend, type SecretStore, ZrError, memorySecretStore, toHex, transientError } from '@zrkit/core'

export type VaultKeyringOptions = {
  vault?: SecretStore
  /** Only messages starting with this prefix are signed. */
  allowedPrefix: string
  /** While true, requests are retried instead of rejected. */
  isSealed?: () => boolean
}

export function vaultKeyring(options: VaultKeyringOptions): KeyringBackend {
  const vault = options.vault ?? memorySecretStore()
  const prefix = new TextEncoder().encode(options.allowedPrefix)

  return {
    name: 'vault',
    keyTypes: ['eddsa-ed25519'],

    async createKey({ requestId, keyring }) {
      if (options.isSealed?.()) throw transientError('vault is sealed')
      // The same request always gets the same key, even if the connector asks again after a crash.
      const known = await vault.get(`request/${keyring}/${requestId}`)
      if (known) return { publicKey: known }
      const { secretKey, publicKey } = ed25519.keygen()
      await vault.set(`key/${toHex(publicKey)}`, secretKey)
      await vault.set(`request/${keyring}/${requestId}`, publicKey)
      return { publicKey }
    },

    async sign({ publicKey, payloads }) {
      if (options.isSealed?.()) throw transientError('vault is sealed')
      const secret = await vault.get(`key/${toHex(publicKey)}`)
      if (!secret) throw new ZrError('KEY_NOT_FOUND', 'The vault does not hold this key.', { details: toHex(publicKey) })
      for (const [i, p] of payloads.entries()) {
        if (!prefix.every((b, j) => p[j] === b)) throw new Error(`payload ${i} does not start with "${options.allowedPrefix}"`)
      }
      return { signatures: payloads.map((p) => ed25519.sign(p, secret)) }
    },
  }
}
