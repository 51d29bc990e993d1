import { type Accusation, type Account, type KeyringBackend, type SecretStore, memorySecretStore, signingKey, toHex } from '@zrkit/core'
import { canonicalParse, canonicalStringify, remember } from '@zrkit/core/internal'
import { runDkg } from '../frost/runDkg.js'
import { runSigning } from '../frost/runSigning.js'
import { type PreparedKey, prepareKey } from '../frost/signingPackage.js'
import { type FrostKey, frostKeyTypes, frostSuite } from '../frost/suites.js'
import { tweakKey } from '../frost/tweakKey.js'
import type { SessionRouter } from '../transport/SessionRouter.js'
import { signersDeadline } from './coordinator.js'
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

/** How many decoded signing packages one party keeps per key (its paths and taproot keys in use). */
const PREPARED_KEYS_KEPT = 64
/** How many keys one party keeps loaded (read from its share store and decrypted). */
const LOADED_KEYS_KEPT = 1024

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
  // This party's own keys, as loaded from `shares` (read and decrypted once per key, not per request; oldest out
  // first), and per key and signing key (path, taproot) the tweaked package, decoded and validated once, with its
  // check of final signatures. Nothing here is shared with another party.
  const loaded = new Map<string, Promise<FrostKey | undefined>>()
  type Prepared = { key: FrostKey; preparedKey: PreparedKey; verifier: (signature: Uint8Array, message: Uint8Array) => boolean }
  const preparedKeys = new WeakMap<FrostKey, Map<string, Prepared>>()
  const preparedFor = (suite: ReturnType<typeof frostSuite>, stored: FrostKey, signing: ReturnType<typeof signingKey>): Prepared => {
    let byPath = preparedKeys.get(stored)
    if (!byPath) preparedKeys.set(stored, (byPath = new Map()))
    const id = toHex(signing.publicKey)
    let entry = byPath.get(id)
    if (!entry) {
      const key = tweakKey(suite, stored, signing)
      entry = remember(byPath, id, { key, preparedKey: prepareKey(suite, key.public), verifier: suite.verifier(suite.groupKey(key)) }, PREPARED_KEYS_KEPT)
    }
    return entry
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
      load(keyType, publicKey) {
        const name = keyName(keyType, publicKey)
        let p = loaded.get(name)
        if (!p) {
          p = remember(loaded, name, shares.get(name).then((bytes) => (bytes ? decode(bytes) : undefined)), LOADED_KEYS_KEPT)
          // a key not stored yet may arrive later (its key generation still running here): the miss is not kept
          const forget = () => {
            if (loaded.get(name) === p) loaded.delete(name)
          }
          p.then((k) => k || forget(), forget)
        }
        return p
      },
      async sign({ requestId, keyType, publicKey, path, taproot, payloads, keyring, signal, expiresAt }, stored) {
        const suite = frostSuite(keyType)
        const signing = signingKey(keyType, publicKey, { ...(path ? { path } : {}), ...(taproot ? { taproot } : {}) })
        const { key, preparedKey, verifier } = preparedFor(suite, stored, signing)
        const { signatures, accusations } = await runSigning({
          router,
          sessionId: `frost/sign/${keyring}/${requestId}`,
          parties,
          self: account.address,
          account,
          identityKey: options.identityKey,
          suite,
          key,
          preparedKey,
          verifier,
          threshold,
          messages: payloads,
          seed: requestId,
          attemptTimeoutMs: options.attemptTimeoutMs ?? 3_000,
          waitForSignersUntil: signersDeadline(expiresAt, options.attemptTimeoutMs ?? 3_000),
          ...(signal ? { signal } : {}),
        })
        return { signatures, accusations }
      },
    },
  )
}
