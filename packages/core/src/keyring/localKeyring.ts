import { ed25519 } from '@noble/curves/ed25519.js'
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js'
import { toHex } from '../encoding/bytes.js'
import { ZrError } from '../errors/ZrError.js'
import { schemeOf } from '../ledger/treasury/schemes.js'
import { type KeyType, keyTypes as allKeyTypes } from '../ledger/types.js'
import type { KeyringBackend } from './KeyringBackend.js'
import { type SecretStore, memorySecretStore } from './SecretStore.js'

/** Options of {@link localKeyring}. */
export type LocalKeyringOptions = {
  /** Where keys are kept (default: memory). */
  secrets?: SecretStore
  /** Key types it serves (default: all). */
  keyTypes?: readonly KeyType[]
}

/**
 * Encodes a noble recovered signature (v||r||s) as zrkit's r||s||v.
 *
 * @example
 * ```ts
 * import { recoveredToRsv } from '@zrkit/core'
 * import { secp256k1 } from '@noble/curves/secp256k1.js'
 * const rsv = recoveredToRsv(secp256k1.sign(digest, secretKey, { prehash: false, format: 'recovered' }))
 * ```
 */
export function recoveredToRsv(recovered: Uint8Array): Uint8Array {
  const out = new Uint8Array(65)
  out.set(recovered.subarray(1, 65), 0)
  out[64] = recovered[0]!
  return out
}

/**
 * A one-party software keyring for all three schemes (ECDSA and BIP340 Schnorr on secp256k1, EdDSA on
 * ed25519). For self-hosted use and tests; each key lives whole in one place, so prefer an MPC keyring
 * where that matters.
 *
 * @example
 * ```ts
 * import { createConnector, localKeyring } from '@zrkit/core'
 * const connector = createConnector({ ledger, account: party, keyring, backend: localKeyring() })
 * await connector.start()
 * ```
 */
export function localKeyring(options: LocalKeyringOptions = {}): KeyringBackend {
  const secrets = options.secrets ?? memorySecretStore()
  const keyTypes = options.keyTypes ?? allKeyTypes
  const forRequest = (keyring: string, id: number) => `request:${keyring}:${id}`
  const forKey = (publicKey: Uint8Array) => `key:${toHex(publicKey)}`

  return Object.freeze({
    name: 'local',
    keyTypes,
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
    async sign({ keyType, publicKey, payloads }) {
      const secret = await secrets.get(forKey(publicKey))
      if (!secret) throw new ZrError('KEY_NOT_FOUND', 'This keyring does not hold the key.', { details: `no secret for public key ${toHex(publicKey)}` })
      const scheme = schemeOf(keyType)
      const signatures = payloads.map((p) => {
        if (scheme === 'eddsa') return ed25519.sign(p, secret)
        if (scheme === 'schnorr') return schnorr.sign(p, secret)
        return recoveredToRsv(secp256k1.sign(p, secret, { prehash: false, lowS: true, format: 'recovered' }))
      })
      return { signatures }
    },
  } satisfies KeyringBackend)
}

