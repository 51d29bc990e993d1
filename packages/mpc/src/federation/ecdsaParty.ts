import { type KeyType, type KeyringBackend, ZrError, abstain, isZrError, memorySecretStore, signingKey, toHex, transientError } from '@zrkit/core'
import { EcdsaKeyState, decodeShare, ecdsaNames, encodeShare } from '../ecdsa/ecdsaKey.js'
import { runEcdsaDkg } from '../ecdsa/runEcdsaDkg.js'
import { runEcdsaSigning } from '../ecdsa/runEcdsaSigning.js'
import type { FrostPartyOptions } from './frostParty.js'

/** Key types the threshold-ECDSA federation serves (Ethereum and Cosmos; Bitcoin segwit v0). */
export const ecdsaKeyTypes: readonly KeyType[] = ['ecdsa-secp256k1', 'bitcoin-secp256k1']

/** Options of {@link ecdsaParty}: the same as a FROST party's. */
export type EcdsaPartyOptions = FrostPartyOptions

/**
 * One party of a threshold-ECDSA federation (DKLs23 on secp256k1), as a keyring backend for that
 * party's connector. Key requests run the dealerless key generation with every party (Shamir shares
 * plus pairwise base OTs); signature requests run three-round threshold signing with any `threshold`
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
  const parties = [...options.parties].sort()
  const shares = options.shares ?? memorySecretStore()
  if (!parties.includes(account.address)) {
    throw new ZrError('NOT_KEYRING_PARTY', 'The account is not one of the parties.', { details: `${account.address} is not in ${parties.join(', ')}` })
  }
  const requestName = (keyring: string, requestId: number) => `ecdsa-request/${keyring}/${requestId}`
  // Loaded keys: their pair setups hold live state (burned flags) shared by concurrent signings.
  const loaded = new Map<string, Promise<EcdsaKeyState | undefined>>()
  const generating = new Set<Promise<unknown>>()
  const load = (keyType: KeyType, publicKey: Uint8Array): Promise<EcdsaKeyState | undefined> => {
    const name = ecdsaNames.share(keyType, publicKey)
    let p = loaded.get(name)
    if (!p) {
      p = shares.get(name).then((bytes) => (bytes ? new EcdsaKeyState(decodeShare(bytes), shares) : undefined))
      loaded.set(name, p)
      // a key not stored yet may arrive later (its DKG still running here): do not cache the miss
      p.then((k) => k || loaded.delete(name))
    }
    return p
  }

  return Object.freeze({
    name: 'dkls23',
    keyTypes: ecdsaKeyTypes,
    supportsDerivation: true,

    async createKey({ requestId, keyType, keyring, signal }) {
      if (!ecdsaKeyTypes.includes(keyType)) throw new ZrError('UNSUPPORTED_KEY_TYPE', 'Not a threshold-ECDSA key type.', { details: `expected ${ecdsaKeyTypes.join(' or ')}, got ${keyType}` })
      const known = await shares.get(requestName(keyring, requestId))
      if (known) return { publicKey: known }
      const session = router.open(`ecdsa/dkg/${keyring}/${requestId}`, parties)
      let done!: () => void
      const running = new Promise<void>((resolve) => (done = resolve))
      generating.add(running)
      try {
        const { share, pairs } = await runEcdsaDkg({ session, threshold, timeoutMs: options.dkgTimeoutMs ?? 10_000, signal })
        const state = new EcdsaKeyState(share, shares)
        // Pair setups first, the share last: a share on disk always has its setups beside it.
        for (const [j, record] of pairs) await state.install(j, record)
        await shares.set(ecdsaNames.share(keyType, share.publicKey), encodeShare(share))
        await shares.set(requestName(keyring, requestId), share.publicKey)
        return { publicKey: share.publicKey }
      } catch (e) {
        if (isZrError(e, 'TIMEOUT')) {
          throw new ZrError('MPC_ABORT', 'Key generation needs every party.', { details: `no answer from ${String(e.meta.missing ?? 'some parties')}`, cause: e })
        }
        throw e
      } finally {
        session.close()
        generating.delete(running)
        done()
      }
    },

    async sign({ requestId, keyType, publicKey, path, payloads, keyring, signal }) {
      let key = await load(keyType, publicKey)
      if (!key && generating.size) {
        await Promise.all(generating)
        key = await load(keyType, publicKey)
      }
      if (!key) throw abstain(`no share of ${keyType} key ${toHex(publicKey)}`)
      const signing = signingKey(keyType, publicKey, path ? { path } : {})
      try {
        const { signatures } = await runEcdsaSigning({
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
        return { signatures }
      } catch (e) {
        if (isZrError(e, 'ABORTED')) throw transientError('signing was interrupted', e)
        throw e
      }
    },
  } satisfies KeyringBackend)
}
