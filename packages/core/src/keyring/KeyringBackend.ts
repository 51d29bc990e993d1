import { describeValue } from '../errors/describeValue.js'
import { ZrError } from '../errors/ZrError.js'
import type { Accusation, KeyType } from '../ledger/types.js'
import type { DecodedTransaction } from '../transaction/TransactionDecoder.js'

/** What a keyring backend is asked when a key request reaches it. */
export type CreateKeyRequest = {
  readonly requestId: number
  readonly keyType: KeyType
  readonly workspace: string
  readonly keyring: string
  /**
   * When the ledger expires the request (ms since the epoch, ledger time). A backend that waits (for co-parties to
   * come back, say) should answer before then.
   */
  readonly expiresAt?: number
  /** Fires when the connector stops; stop work and throw. */
  readonly signal: AbortSignal
}

/** What a keyring backend is asked when a signature request reaches it. */
export type SignRequestInput = {
  readonly requestId: number
  readonly keyId: number
  readonly keyType: KeyType
  /** The key's public key as stored on the ledger. */
  readonly publicKey: Uint8Array
  /**
   * Sign with the child key at this path (see `deriveKey`): secret + `deriveKey(keyType, publicKey, path).tweak`.
   * Only sent to backends with `supportsDerivation`.
   */
  readonly path?: readonly (number | string)[]
  /** Sign for the taproot output key (Schnorr keys): see `signingKey`, which gives the secret's negation and tweak. */
  readonly taproot?: { readonly merkleRoot?: Uint8Array }
  /** The key the signatures must verify under: the child's at `path` (absent without a path: `publicKey`). */
  readonly signingPublicKey?: Uint8Array
  /** 32-byte digests for ECDSA keys; messages for EdDSA and Schnorr keys. */
  readonly payloads: readonly Uint8Array[]
  readonly workspace: string
  readonly keyring: string
  readonly metadata?: Readonly<Record<string, string>>
  /**
   * For a sign-transaction request: the transaction the ledger decoded (its `payloads` are the ledger's
   * digests of it). A keyring may hold its own limits beside the workspace's policy: throw to refuse.
   */
  readonly transaction?: { readonly chain: string; readonly decoded: DecodedTransaction }
  /**
   * When the ledger expires the request (ms since the epoch, ledger time). A backend that waits (for co-parties to
   * come back, say) should answer before then: a rejection posted after the expiry is lost.
   */
  readonly expiresAt?: number
  /**
   * Fires when the connector stops, and when the ledger settles the request while this party still works on it
   * (the other parties' results fulfilled it, or it was rejected or expired): stop work and throw; the connector
   * posts nothing for it. A threshold backend can wait on it before work whose result is only a backup.
   */
  readonly signal: AbortSignal
}

/**
 * The plugin a keyring author writes: which key types it makes, how it creates a key and how it signs.
 * The connector does the rest (watching the ledger, de-duplication, retries, signed responses).
 *
 * Return results; throw to refuse. Throw {@link transientError} for failures worth retrying (a peer
 * not reachable yet), {@link abstain} to take no part (nothing is posted); any other error becomes a
 * rejection of the request with the error's message.
 * A threshold keyring that caught another party cheating says so in `accusations` (with its result, or
 * as `context.accusations` / `context.party` of the error it throws): the connector posts them with the
 * response, where they become `party.accused` ledger events and connector `accused` events.
 * Called again for the same request after a crash, `createKey` should return the same key.
 *
 * Signatures: 65-byte r||s||v (low S, v = recovery id) for ECDSA keys; 64 bytes for EdDSA and Schnorr.
 *
 * @example
 * ```ts
 * import type { KeyringBackend } from '@zrkit/core'
 *
 * const hsmKeyring: KeyringBackend = {
 *   keyTypes: ['ecdsa-secp256k1'],
 *   async createKey({ requestId }) { return { publicKey: await hsm.generate(`zrkit-${requestId}`) } },
 *   async sign({ publicKey, payloads }) { return { signatures: await Promise.all(payloads.map((p) => hsm.sign(publicKey, p))) } },
 * }
 * ```
 */
export type KeyringBackend = {
  /** Shown in logs and connector status. */
  readonly name?: string
  readonly keyTypes: readonly KeyType[]
  /** True when `sign` handles tweaked keys (derivation paths, taproot); such requests are rejected otherwise. */
  readonly supportsDerivation?: boolean
  /**
   * True when a signature that verifies under one of this backend's keys can only have been made by the keyring's
   * threshold of parties (a threshold protocol such as the MPC federation; never a key that a party holds whole).
   * Then a party whose signing could not finish may post the signatures a co-party already posted, once it has
   * checked them (see `ConnectorOptions.endorse`). Default false.
   */
  readonly thresholdSignatures?: boolean
  createKey(request: CreateKeyRequest): Promise<{ publicKey: Uint8Array; accusations?: readonly Accusation[] }>
  sign(request: SignRequestInput): Promise<{ signatures: readonly Uint8Array[]; accusations?: readonly Accusation[] }>
}

/**
 * Tells the connector this party takes no part in the request (e.g. it holds no share of the key):
 * nothing is posted, so the other parties can still fulfil it. Unlike any other error, it never
 * rejects the request. A reason that is not a non-empty string is described rather than refused.
 *
 * @example
 * ```ts
 * import { abstain } from '@zrkit/core'
 * if (!share) throw abstain(`no share of key ${keyId}`)
 * ```
 */
export function abstain(reason: string): ZrError {
  const why = asText(reason)
  return new ZrError('BACKEND_ABSTAIN', `This party abstains: ${why}.`, { details: why })
}

/**
 * An error the connector retries (with backoff) instead of rejecting the request.
 *
 * @example
 * ```ts
 * import { transientError } from '@zrkit/core'
 * if (!peersOnline) throw transientError('waiting for parties 2 and 3')
 * ```
 */
export function transientError(message: string, cause?: unknown): ZrError {
  return new ZrError('BACKEND_TRANSIENT', asText(message), { cause })
}

/** The text of a reason a backend gives; whatever else it passes is described, never thrown over. */
function asText(reason: unknown): string {
  return typeof reason === 'string' && reason.length > 0 ? reason : `(no reason given: ${describeValue(reason)})`
}
