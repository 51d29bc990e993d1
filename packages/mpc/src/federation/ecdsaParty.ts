import { type KeyType, type KeyringBackend, memorySecretStore, signingKey } from '@zrkit/core'
import { EcdsaKeyState, decodeShare, ecdsaNames, encodeShare } from '../ecdsa/ecdsaKey.js'
import { runEcdsaDkg } from '../ecdsa/runEcdsaDkg.js'
import { runEcdsaSigning } from '../ecdsa/runEcdsaSigning.js'
import type { FrostPartyOptions } from './frostParty.js'
import { protocolParty } from './protocolParty.js'

/** Key types the threshold-ECDSA federation serves (Ethereum and Cosmos; Bitcoin segwit v0). */
export const ecdsaKeyTypes: readonly KeyType[] = ['ecdsa-secp256k1', 'bitcoin-secp256k1']

/** Options of {@link ecdsaParty}: the same as a FROST party's. */
export type EcdsaPartyOptions = FrostPartyOptions

/**
 * One party of a threshold-ECDSA federation (DKLs23 on secp256k1), as a keyring backend for that
 * party's connector. Key requests run the dealerless key generation among the parties that are up (at
 * least `threshold`; Shamir shares plus pairwise base OTs); signature requests run three-round threshold signing with any `threshold`
 * of them, for the key or a derived child key (path). The share and the pair setups stay with the
 * party, in `shares`.
 *
 * @example
 * ```ts
 * import { createConnector, encryptedSecretStore } from '@zrkit/core'
 * import { ecdsaParty } from '@zrkit/mpc'
 * const backend = ecdsaParty({ account, router, identityKey, parties, threshold: 2, shares: encryptedSecretStore(store, { passphrase }) })
 * await createConnector({ ledger, account, keyring, backend }).start()
 * ```
 */
export function ecdsaParty(options: EcdsaPartyOptions): KeyringBackend {
  const { account, router, threshold } = options
  const shares = options.shares ?? memorySecretStore()
  // Loaded keys: their pair setups hold live state (burned flags) shared by concurrent signings.
  const loaded = new Map<string, Promise<EcdsaKeyState | undefined>>()
  return protocolParty<EcdsaKeyState>(
    { ...options, shares },
    {
      name: 'ecdsa',
      keyTypes: ecdsaKeyTypes,
      async generate(session, keyType, signal, parties) {
        const { share, pairs, accusations } = await runEcdsaDkg({ session, parties, threshold, timeoutMs: options.dkgTimeoutMs ?? 10_000, signal })
        const state = new EcdsaKeyState(share, shares)
        // Pair setups first, the share last: a share on disk always has its setups beside it.
        for (const [j, record] of pairs) await state.install(j, record)
        await shares.set(ecdsaNames.share(keyType, share.publicKey), encodeShare(share))
        return { publicKey: share.publicKey, accusations }
      },
      load(keyType, publicKey) {
        const name = ecdsaNames.share(keyType, publicKey)
        let p = loaded.get(name)
        if (!p) {
          p = shares.get(name).then((bytes) => (bytes ? new EcdsaKeyState(decodeShare(bytes), shares) : undefined))
          loaded.set(name, p)
          // a key not stored yet may arrive later (its DKG still running here): do not cache the miss
          p.then((k) => k || loaded.delete(name))
        }
        return p
      },
      async sign({ requestId, keyType, publicKey, path, payloads, keyring, signal }, key) {
        const signing = signingKey(keyType, publicKey, path ? { path } : {})
        const { signatures, accusations } = await runEcdsaSigning({
          router,
          sessionId: `ecdsa/sign/${keyring}/${requestId}`,
          key,
          keyType,
          digests: payloads,
          ...(signing.tweak ? { tweak: signing.tweak } : {}),
          signingPublicKey: signing.publicKey,
          account,
          identityKey: options.identityKey,
          seed: requestId,
          attemptTimeoutMs: options.attemptTimeoutMs ?? 3_000,
          ...(signal ? { signal } : {}),
        })
        return { signatures, accusations }
      },
    },
  )
}
