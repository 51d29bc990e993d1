/**
 * Where a keyring keeps secrets (keys, shares), by name. Implement it over a vault or KMS; zrkit ships
 * {@link memorySecretStore}.
 */
export type SecretStore = {
  get(name: string): Promise<Uint8Array | undefined>
  /** Resolves once the secret is stored durably. */
  set(name: string, value: Uint8Array): Promise<void>
}

/**
 * A {@link SecretStore} in memory, gone with the process.
 *
 * @example
 * ```ts
 * import { localKeyring, memorySecretStore } from '@zrkit/core'
 * const backend = localKeyring({ secrets: memorySecretStore() })
 * ```
 */
export function memorySecretStore(): SecretStore {
  const m = new Map<string, Uint8Array>()
  return {
    async get(name) {
      const v = m.get(name)
      return v && Uint8Array.from(v)
    },
    async set(name, value) {
      m.set(name, Uint8Array.from(value))
    },
  }
}
