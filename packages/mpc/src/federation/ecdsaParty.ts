import { type KeyType, type KeyringBackend, memorySecretStore, signingKey } from '@zrkit/core'
import { EcdsaKeyState, decodeShare, ecdsaNames, encodeShare } from '../ecdsa/ecdsaKey.js'
import { runEcdsaDkg } from '../ecdsa/runEcdsaDkg.js'
import { PresignaturePool, checkPresignaturesPerSet } from '../ecdsa/presignaturePool.js'
import { runEcdsaSigning } from '../ecdsa/runEcdsaSigning.js'
import type { FrostPartyOptions } from './frostParty.js'
import { signersDeadline } from './coordinator.js'
import { protocolParty } from './protocolParty.js'

/** Key types the threshold-ECDSA federation serves (Ethereum and Cosmos; Bitcoin segwit v0). */
export const ecdsaKeyTypes: readonly KeyType[] = ['ecdsa-secp256k1', 'bitcoin-secp256k1']

/** Options of {@link ecdsaParty}: a FROST party's, and the presignature pool's size. */
export type EcdsaPartyOptions = FrostPartyOptions & {
  /**
   * Presignatures this party keeps per key and signing set (default 0: off; up to 64). A signing whose
   * signers all hold one needs only the online round (one message exchange instead of three); the signers
   * make the next ones in the background after each signing. Each is used at most once: its use is written
   * to `shares` before any share made from it leaves the party. Turn it on where each party has CPU to
   * spare between requests (its own machine): under back-to-back requests on shared cores the background
   * presigning competes with the next request (see the README's network figures).
   */
  presignaturesPerSet?: number
}

/**
 * One party of a threshold-ECDSA federation (DKLs23 on secp256k1), as a keyring backend for that
 * party's connector. Key requests run the dealerless key generation among the parties that are up (at
 * least `threshold`; Shamir shares plus pairwise base OTs); signature requests run threshold signing with any `threshold`
 * of them, for the key or a derived child key (path): one online round when the signers hold a pooled
 * presignature of their set, else all three rounds. The share, the pair setups and the presignatures
 * stay with the party, in `shares`.
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
  const perSet = checkPresignaturesPerSet(options.presignaturesPerSet ?? 0)
  // One pool per loaded key: its operations run one at a time, so concurrent signings never draw the same presignature.
  const pools = new WeakMap<EcdsaKeyState, PresignaturePool>()
  const poolOf = (key: EcdsaKeyState) => {
    let pool = pools.get(key)
    if (!pool) pools.set(key, (pool = new PresignaturePool(shares, key.key.publicKey, key.key.self, perSet)))
    return pool
  }
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
      async sign({ requestId, keyType, publicKey, path, payloads, keyring, signal, expiresAt }, key) {
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
          waitForSignersUntil: signersDeadline(expiresAt, options.attemptTimeoutMs ?? 3_000),
          ...(signal ? { signal } : {}),
          ...(perSet > 0 ? { presignatures: poolOf(key) } : {}),
        })
        return { signatures, accusations }
      },
    },
  )
}
