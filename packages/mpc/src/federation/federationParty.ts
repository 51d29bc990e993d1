import { type KeyringBackend, ZrError } from '@zrkit/core'
import { type EcdsaPartyOptions, ecdsaParty } from './ecdsaParty.js'
import { type FrostPartyOptions, frostParty } from './frostParty.js'

/** Options of {@link federationParty}: one party's account, sessions, peers, threshold and share store (and the ECDSA presignature pool's size). */
export type FederationPartyOptions = FrostPartyOptions & Pick<EcdsaPartyOptions, 'presignaturesPerSet'>

/**
 * One party of an MPC federation for every key type: FROST for `eddsa-ed25519` and
 * `schnorr-secp256k1` (taproot), DKLs23 threshold ECDSA for `ecdsa-secp256k1` and
 * `bitcoin-secp256k1`. Both protocols share the party's account, transport sessions and share store.
 *
 * @example
 * ```ts
 * import { createConnector } from '@zrkit/core'
 * import { federationParty } from '@zrkit/mpc'
 * const backend = federationParty({ account, router, identityKey, parties, threshold: 2, shares })
 * await createConnector({ ledger, account, keyring, backend }).start()
 * ```
 */
export function federationParty(options: FederationPartyOptions): KeyringBackend {
  const frost = frostParty(options)
  const ecdsa = ecdsaParty(options)
  const pick = (keyType: string) => {
    if (frost.keyTypes.includes(keyType as never)) return frost
    if (ecdsa.keyTypes.includes(keyType as never)) return ecdsa
    throw new ZrError('UNSUPPORTED_KEY_TYPE', 'The federation does not serve this key type.', { details: `expected one of ${[...frost.keyTypes, ...ecdsa.keyTypes].join(', ')}, got ${keyType}` })
  }
  return Object.freeze({
    name: 'mpc-federation',
    keyTypes: [...frost.keyTypes, ...ecdsa.keyTypes],
    supportsDerivation: true,
    // a signature under a federation key needs the threshold of parties: a co-party's verified one may be endorsed
    thresholdSignatures: true,
    createKey: (request) => pick(request.keyType).createKey(request),
    sign: (request) => pick(request.keyType).sign(request),
  } satisfies KeyringBackend)
}
