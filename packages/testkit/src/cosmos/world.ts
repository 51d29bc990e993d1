/**
 * Test helper: the world of the Cosmos suites, the shared {@link federationWorld} (an embedded ledger; Alice
 * and Bob owning a workspace whose sign policy needs both, 2-of-2; a 2-of-3 threshold ECDSA federation,
 * DKLs23, registered as a keyring) with an ECDSA key made through the ledger's key request lifecycle. No
 * private key is ever whole: every signature is a threshold signature requested on the ledger.
 */
import type { Key } from '@zrkit/core'
import { type FederationWorld, federationWorld } from '../mpc/federationWorld.js'

/** The shared {@link FederationWorld}, with the suites' key. */
export type CosmosWorld = FederationWorld & {
  /** An ECDSA secp256k1 key of the 2-of-2 workspace, from the federation. */
  readonly key: Key
}

/**
 * Builds a {@link CosmosWorld}.
 *
 * @example
 * ```ts
 * import { cosmosWorld } from '@zrkit/testkit/cosmos'
 * const w = await cosmosWorld()
 * // ... sign as w.alice with w.key ...
 * await w.close()
 * ```
 */
export async function cosmosWorld(): Promise<CosmosWorld> {
  const w = await federationWorld({ chainId: 'zrkit-cosmos-test', description: 'Cosmos test DKLs23 2-of-3', attemptTimeoutMs: 5_000, dkgTimeoutMs: 30_000, pollIntervalMs: 50 })
  try {
    const key = await w.createKey('ecdsa-secp256k1')
    return { ...w, key }
  } catch (e) {
    await w.close()
    throw e
  }
}
