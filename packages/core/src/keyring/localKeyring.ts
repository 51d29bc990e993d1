import { ed25519 } from '@noble/curves/ed25519.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { assertKeyType } from '../derivation/assertKeyType.js'
import { signingKey } from '../derivation/signingKey.js'
import { toHex } from '../encoding/bytes.js'
import { describeValue } from '../errors/describeValue.js'
import { ZrError } from '../errors/ZrError.js'
import { schemeOf } from '../ledger/treasury/schemes.js'
import { type KeyType, keyTypes as allKeyTypes } from '../ledger/types.js'
import type { KeyringBackend } from './KeyringBackend.js'
import { type SecretStore, memorySecretStore } from './SecretStore.js'
import { signWithSecret } from './signWithSecret.js'

/** Options of {@link localKeyring}. */
export type LocalKeyringOptions = {
  /** Where keys are kept (default: memory). */
  secrets?: SecretStore
  /** Key types it serves (default: all). */
  keyTypes?: readonly KeyType[]
}

/**
 * A one-party software keyring for all three schemes (ECDSA and BIP340 Schnorr on secp256k1, EdDSA on
 * ed25519). For self-hosted use and tests; each key lives whole in one place, so prefer an MPC keyring
 * where that matters. Throws `INVALID_CONFIG` for options that are not an object, a `secrets` store
 * without `get` and `set`, or `keyTypes` that are not a list; `UNSUPPORTED_KEY_TYPE` for an unknown type.
 *
 * @example
 * ```ts
 * import { createConnector, localKeyring } from '@zrkit/core'
 * const connector = createConnector({ ledger, account: party, keyring, backend: localKeyring() })
 * await connector.start()
 * ```
 */
export function localKeyring(options: LocalKeyringOptions = {}): KeyringBackend {
  if (options === null || typeof options !== 'object') {
    throw new ZrError('INVALID_CONFIG', 'Invalid local keyring options.', { details: `expected { secrets?, keyTypes? }, got ${describeValue(options)}` })
  }
  const secrets = options.secrets ?? memorySecretStore()
  if (secrets === null || typeof secrets !== 'object' || typeof secrets.get !== 'function' || typeof secrets.set !== 'function') {
    throw new ZrError('INVALID_CONFIG', 'Invalid secret store.', { details: `expected a SecretStore with get and set, got ${describeValue(secrets)}` })
  }
  if (options.keyTypes !== undefined && !Array.isArray(options.keyTypes)) {
    throw new ZrError('INVALID_CONFIG', 'Invalid key types.', { details: `expected a list of key types, got ${describeValue(options.keyTypes)}` })
  }
  const keyTypes = Object.freeze((options.keyTypes ?? allKeyTypes).map((t, i) => assertKeyType(t, `key type ${i}`)))
  const forRequest = (keyring: string, id: number) => `request:${keyring}:${id}`
  const forKey = (publicKey: Uint8Array) => `key:${toHex(publicKey)}`

  return Object.freeze({
    name: 'local',
    keyTypes,
    supportsDerivation: true,
    async createKey({ requestId, keyType, keyring }) {
      // Idempotent per request: a retry after a crash posts the same key.
      const existing = await secrets.get(forRequest(keyring, requestId))
      if (existing) return { publicKey: existing }
      const scheme = schemeOf(keyType)
      const secret = scheme === 'eddsa' ? ed25519.utils.randomSecretKey() : secp256k1.utils.randomSecretKey()
      const publicKey = scheme === 'eddsa' ? ed25519.getPublicKey(secret) : secp256k1.getPublicKey(secret, true)
      await secrets.set(forKey(publicKey), secret)
      await secrets.set(forRequest(keyring, requestId), publicKey)
      return { publicKey }
    },
    async sign({ keyType, publicKey, payloads, path, taproot }) {
      const secret = await secrets.get(forKey(publicKey))
      if (!secret) throw new ZrError('KEY_NOT_FOUND', 'This keyring does not hold the key.', { details: `no secret for public key ${toHex(publicKey)}` })
      const { tweak, negate } = signingKey(keyType, publicKey, { ...(path ? { path } : {}), ...(taproot ? { taproot } : {}) })
      return { signatures: payloads.map((payload) => signWithSecret({ keyType, secret, tweak, negate, payload })) }
    },
  } satisfies KeyringBackend)
}

