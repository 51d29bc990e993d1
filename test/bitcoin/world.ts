/**
 * The world of the Bitcoin suites: an embedded ledger, Alice and Bob owning a workspace whose sign
 * policy needs both (2-of-2), and a 2-of-3 MPC federation registered as its keyring (threshold ECDSA
 * for `bitcoin-secp256k1` keys, FROST for `schnorr-secp256k1` keys). Every key goes through the
 * ledger's key request lifecycle; no private key exists anywhere in one piece.
 */
import { type FederationWorld, type FederationWorldOptions, federationWorld } from '@zrkit/testkit/mpc'

/** The Bitcoin suites' world: the shared federation world as it is. */
export type BitcoinWorld = FederationWorld

/** Options of {@link bitcoinWorld}: the decoders the ledger runs and the workspace's sign policy (default `all([alice, bob])`). */
export type BitcoinWorldOptions = Pick<FederationWorldOptions, 'transactionDecoders' | 'signPolicy'>

/** The shared federation world (`@zrkit/testkit/mpc`) with the Bitcoin suites' timings. */
export async function bitcoinWorld(chainId = 'zrkit-bitcoin-test', options: BitcoinWorldOptions = {}): Promise<BitcoinWorld> {
  return federationWorld({
    chainId,
    description: 'Bitcoin test federation 2-of-3',
    attemptTimeoutMs: 5_000,
    dkgTimeoutMs: 30_000,
    pollIntervalMs: 50,
    ...(options.transactionDecoders !== undefined ? { transactionDecoders: options.transactionDecoders } : {}),
    ...(options.signPolicy !== undefined ? { signPolicy: options.signPolicy } : {}),
  })
}
