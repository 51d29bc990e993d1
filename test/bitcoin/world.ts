/**
 * The world of the Bitcoin suites: an embedded ledger, Alice and Bob owning a workspace whose sign
 * policy needs both (2-of-2), and a 2-of-3 MPC federation registered as its keyring (threshold ECDSA
 * for `bitcoin-secp256k1` keys, FROST for `schnorr-secp256k1` keys). Every key goes through the
 * ledger's key request lifecycle; no private key exists anywhere in one piece.
 */
import type { EmbeddedLedger, Key, KeyType, ZrClient } from '@zrkit/core'
import type { Federation } from '@zrkit/mpc'
import { federationWorld } from '@zrkit/testkit/mpc'

export type BitcoinWorld = {
  readonly ledger: EmbeddedLedger
  readonly alice: ZrClient
  readonly bob: ZrClient
  readonly workspace: string
  readonly keyring: string
  readonly federation: Federation
  /** A key of the 2-of-2 workspace, made by the federation. */
  createKey(keyType: KeyType): Promise<Key>
  /** Bob approves every approval action from now on; returns the function that stops him. */
  bobApprovesAll(): () => void
  close(): Promise<void>
}

/** The shared federation world (`@zrkit/testkit/mpc`) with the Bitcoin suites' timings. */
export async function bitcoinWorld(chainId = 'zrkit-bitcoin-test'): Promise<BitcoinWorld> {
  const w = await federationWorld({ chainId, description: 'Bitcoin test federation 2-of-3', attemptTimeoutMs: 5_000, dkgTimeoutMs: 30_000, pollIntervalMs: 50 })
  return { ledger: w.ledger, alice: w.alice, bob: w.bob, workspace: w.workspace, keyring: w.keyring, federation: w.federation, createKey: (keyType) => w.createKey(keyType), bobApprovesAll: () => w.bobApprovesAll(), close: () => w.close() }
}
