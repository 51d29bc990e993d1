import { type Accusation, type Account, type KeyringBackend, type SecretStore, memorySecretStore, signingKey, toHex } from '@zrkit/core'
import { canonicalParse, canonicalStringify } from '@zrkit/core/internal'
import { runDkg } from '../frost/runDkg.js'
import { runSigning } from '../frost/runSigning.js'
import { type PreparedKey, prepareKey } from '../frost/signingPackage.js'
import { type FrostKey, frostKeyTypes, frostSuite } from '../frost/suites.js'
import { tweakKey } from '../frost/tweakKey.js'
import type { SessionRouter } from '../transport/SessionRouter.js'
import { protocolParty } from './protocolParty.js'

/** Options of {@link frostParty}. */
export type FrostPartyOptions = {
  /** This party's ledger account (a party of the keyring); its id on the transport is its address. */
  account: Account
  /** Sessions with the other parties over their secure transport. */
  router: SessionRouter
  /** The verified account key of each party (`SecureTransport.identityKey`), to check signed signing packages. */
  identityKey: (party: string) => Uint8Array | undefined
  /** Every party of the keyring (addresses), this one included. */
  parties: readonly string[]
  /** Shares needed to sign; the keyring's party threshold. */
  threshold: number
  /** Where this party keeps its key shares (default: memory). Wrap with `encryptedSecretStore` at rest. */
  shares?: SecretStore
  /** How long each round of a key generation waits for the parties taking part (default 10 000 ms). */
  dkgTimeoutMs?: number
  /** How long one signing attempt waits for a round, and a key generation's coordinator for the parties to join (default 3 000 ms). */
  attemptTimeoutMs?: number
}

/** How many decoded key packages one party keeps (a federation signs with few keys and paths). */
const PREPARED_KEYS_KEPT = 64

const encode = (key: FrostKey) => new TextEncoder().encode(canonicalStringify(key))
const decode = (bytes: Uint8Array) => canonicalParse<FrostKey>(new TextDecoder().decode(bytes))

/**
 * One party of a FROST federation, as a keyring backend for that party's connector. Key requests run a
 * dealerless DKG among the parties that are up (at least `threshold`; see `runKeyGeneration`);
 * signature requests run threshold signing with any `threshold` of
 * them, for the key itself, a derived child key (path) or a taproot output key. The party's share never
 * leaves it; what is stored goes to `shares`.
 *
 * @example
 * ```ts
 * import { createConnector, encryptedSecretStore } from '@zrkit/core'
 * import { frostParty } from '@zrkit/mpc'
 * const backend = frostParty({ account, router, parties, threshold: 2, shares: encryptedSecretStore(store, { passphrase }) })
 * await createConnector({ ledger, account, keyring, backend }).start()
 * ```
 */
export function frostParty(options: FrostPartyOptions): KeyringBackend {
  const { account, router, threshold } = options
  const parties = [...options.parties].sort()
  const shares = options.shares ?? memorySecretStore()
  const keyName = (keyType: string, publicKey: Uint8Array) => `frost/${keyType}/${toHex(publicKey)}`
  // This party's own decoded key packages (verifying shares decoded and validated once), by key type and
  // (tweaked) public package; oldest out first. Nothing here is shared with another party.
  /** Per key: the decoded key package and the check of final signatures (each vetted and decoded once). */
  type Prepared = { key: PreparedKey; verifier: (signature: Uint8Array, message: Uint8Array) => boolean }
  const preparedKeys = new Map<string, Prepared>()
  const preparedFor = (keyType: string, suite: ReturnType<typeof frostSuite>, key: FrostKey): Prepared => {
    const id = `${keyType}/${canonicalStringify(key.public)}`
    let prepared = preparedKeys.get(id)
    if (!prepared) {
      prepared = { key: prepareKey(suite, key.public), verifier: suite.verifier(suite.groupKey(key)) }
      preparedKeys.set(id, prepared)
      if (preparedKeys.size > PREPARED_KEYS_KEPT) preparedKeys.delete(preparedKeys.keys().next().value!)
    }
    return prepared
  }
  return protocolParty<FrostKey>(
    { ...options, shares },
    {
      name: 'frost',
      keyTypes: frostKeyTypes,
      async generate(session, keyType, signal, parties) {
        const suite = frostSuite(keyType)
        const accusations: Accusation[] = []
        const key = await runDkg({ session, parties, suite, threshold, timeoutMs: options.dkgTimeoutMs ?? 10_000, signal, onAccusation: (a) => void accusations.push(a) })
        const publicKey = suite.groupKey(key)
        await shares.set(keyName(keyType, publicKey), encode(key))
        return { publicKey, accusations }
      },
      async load(keyType, publicKey) {
        const stored = await shares.get(keyName(keyType, publicKey))
        return stored && decode(stored)
      },
      async sign({ requestId, keyType, publicKey, path, taproot, payloads, keyring, signal }, stored) {
        const suite = frostSuite(keyType)
        const signing = signingKey(keyType, publicKey, { ...(path ? { path } : {}), ...(taproot ? { taproot } : {}) })
        const key = tweakKey(suite, stored, signing)
        const prepared = preparedFor(keyType, suite, key)
        const { signatures, accusations } = await runSigning({
          router,
          sessionId: `frost/sign/${keyring}/${requestId}`,
          parties,
          self: account.address,
          account,
          identityKey: options.identityKey,
          suite,
          key,
          preparedKey: prepared.key,
          verifier: prepared.verifier,
          threshold,
          messages: payloads,
          seed: requestId,
          attemptTimeoutMs: options.attemptTimeoutMs ?? 3_000,
          ...(signal ? { signal } : {}),
        })
        return { signatures, accusations }
      },
    },
  )
}
