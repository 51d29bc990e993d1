import { type Accusation, type KeyType, type KeyringBackend, type SecretStore, type SignRequestInput, ZrError, abstain, isZrError, toHex, transientError } from '@zrkit/core'
import type { Session } from '../transport/SessionRouter.js'
import type { FrostPartyOptions } from './frostParty.js'
import { signersDeadline } from './coordinator.js'
import { runKeyGeneration } from './keyGeneration.js'

/** What one threshold protocol plugs into {@link protocolParty}. */
export type PartyProtocol<K> = {
  /** The backend's name, and the prefix of its sessions and stored names. */
  readonly name: string
  readonly keyTypes: readonly KeyType[]
  /**
   * Runs key generation in `session` (among the parties taking part: at least the threshold of
   * `parties`, the keyring's every party), stores this party's share, returns the group key.
   */
  generate(session: Session, keyType: KeyType, signal: AbortSignal, parties: readonly string[]): Promise<{ publicKey: Uint8Array; accusations: readonly Accusation[] }>
  /** This party's share of a key, or `undefined` when it holds none. */
  load(keyType: KeyType, publicKey: Uint8Array): Promise<K | undefined>
  /** Runs threshold signing of the request with the loaded share; names the parties it caught cheating. */
  sign(request: SignRequestInput, key: K): Promise<{ signatures: readonly Uint8Array[]; accusations: readonly Accusation[] }>
}

/**
 * The keyring-backend side every federation protocol shares: the party must be one of the parties;
 * a key request is answered once (the group key is remembered by request id, so a retry after a crash
 * returns the same key); key generation runs among the parties that are up ({@link runKeyGeneration}:
 * at least the threshold, so up to n - t may be down; a party left out abstains, and with fewer than
 * t up the request is rejected saying who did not answer); a party without a share of a key abstains
 * from signing with it (waiting first for key generations still running here, whose key the others
 * may already have posted); a signing interrupted by the connector's stop is transient.
 */
export function protocolParty<K>(options: FrostPartyOptions & { shares: SecretStore }, protocol: PartyProtocol<K>): KeyringBackend {
  const { account, router, shares } = options
  const parties = [...options.parties].sort()
  if (!parties.includes(account.address)) {
    throw new ZrError('NOT_KEYRING_PARTY', 'The account is not one of the parties.', { details: `${account.address} is not in ${parties.join(', ')}` })
  }
  const requestName = (keyring: string, requestId: number) => `${protocol.name}-request/${keyring}/${requestId}`
  const generating = new Set<Promise<unknown>>()
  const check = (keyType: KeyType) => {
    if (!protocol.keyTypes.includes(keyType)) throw new ZrError('UNSUPPORTED_KEY_TYPE', `Not a ${protocol.name} key type.`, { details: `expected ${protocol.keyTypes.join(' or ')}, got ${keyType}` })
  }

  return Object.freeze({
    name: protocol.name,
    keyTypes: protocol.keyTypes,
    supportsDerivation: true,
    // a signature under a federation key needs the threshold of parties: a co-party's verified one may be endorsed
    thresholdSignatures: true,

    async createKey({ requestId, keyType, keyring, signal, expiresAt }) {
      check(keyType)
      const known = await shares.get(requestName(keyring, requestId))
      if (known) return { publicKey: known }
      // the wait for parties leaves the key generation's rounds time to run before the request expires
      const waitUntil = signersDeadline(expiresAt, options.attemptTimeoutMs ?? 3_000)
      let done!: () => void
      const running = new Promise<void>((resolve) => (done = resolve))
      generating.add(running)
      try {
        const { value, accusations } = await runKeyGeneration(
          {
            router,
            sessionId: `${protocol.name}/dkg/${keyring}/${requestId}`,
            parties,
            threshold: options.threshold,
            account,
            identityKey: options.identityKey,
            seed: requestId,
            joinWindowMs: options.attemptTimeoutMs ?? 3_000,
            waitForPartiesUntil: waitUntil === undefined ? undefined : waitUntil - (options.dkgTimeoutMs ?? 10_000),
            signal,
          },
          (session) => protocol.generate(session, keyType, signal, parties),
        )
        const { publicKey } = value
        await shares.set(requestName(keyring, requestId), publicKey)
        // the generation's own accusations and those of failed attempts, once per party
        const all = [...accusations, ...value.accusations].filter((a, i, list) => list.findIndex((b) => b.party === a.party) === i)
        return { publicKey, ...(all.length ? { accusations: all } : {}) }
      } finally {
        generating.delete(running)
        done()
      }
    },

    async sign(request) {
      check(request.keyType)
      let key = await protocol.load(request.keyType, request.publicKey)
      if (!key && generating.size) {
        await Promise.all(generating)
        key = await protocol.load(request.keyType, request.publicKey)
      }
      // Without a share this party cannot help, but the others may: abstain rather than reject.
      if (!key) throw abstain(`no share of ${request.keyType} key ${toHex(request.publicKey)}`)
      try {
        const { signatures, accusations } = await protocol.sign(request, key)
        return { signatures, ...(accusations.length ? { accusations } : {}) }
      } catch (e) {
        if (isZrError(e, 'ABORTED')) throw transientError('signing was interrupted', e)
        throw e
      }
    },
  } satisfies KeyringBackend)
}
