/**
 * The world of the Solana suites: an embedded ledger, Alice and Bob, a 2-of-3 FROST federation registered
 * as a keyring (each party behind its own connector and secure transport), and two workspaces: Alice's
 * own (the default policy: she alone decides) and a shared one whose sign policy needs Alice and Bob.
 * Keys come from the federation through the ledger's key-request lifecycle; no code path holds a whole
 * private key.
 */
import type { EmbeddedLedger, Key, TransactionDecoder, ZrClient } from '@zrkit/core'
import type { Federation } from '@zrkit/mpc'
import { federationWorld } from '@zrkit/testkit/mpc'

export type SolanaWorld = {
  readonly ledger: EmbeddedLedger
  readonly alice: ZrClient
  readonly bob: ZrClient
  readonly federation: Federation
  readonly keyring: string
  /** Alice's workspace: her requests need nobody else. */
  readonly solo: string
  /** Alice and Bob's workspace: every signature needs both (or what `signPolicy` says). */
  readonly shared: string
  /** A new ed25519 key from the federation, in `workspace` (default: solo). */
  newKey(workspace?: string): Promise<Key>
  /** Bob approves every approval action from now on; returns the function that stops him. */
  bobApprovesAll(): () => void
  close(): Promise<void>
}

/** Options of {@link solanaWorld}. */
export type SolanaWorldOptions = {
  /** Transaction decoders the ledger runs (its genesis lists them). */
  readonly transactionDecoders?: readonly TransactionDecoder[]
  /** The shared workspace's sign policy over `alice` and `bob` (default `all([alice, bob])`). */
  readonly signPolicy?: string
}

/** The shared federation world (`@zrkit/testkit/mpc`) with short attempts and fast polling, plus Alice's own workspace. */
export async function solanaWorld(options: SolanaWorldOptions = {}): Promise<SolanaWorld> {
  const w = await federationWorld({
    chainId: 'zrkit-solana-test',
    description: 'FROST 2-of-3 for the Solana suites',
    attemptTimeoutMs: 1_500,
    dkgTimeoutMs: 5_000,
    pollIntervalMs: 50,
    keyTimeoutMs: 30_000,
    ...(options.transactionDecoders ? { transactionDecoders: options.transactionDecoders } : {}),
    ...(options.signPolicy !== undefined ? { signPolicy: options.signPolicy } : {}),
  })
  try {
    const { workspace: solo } = await w.alice.createWorkspace()
    return {
      ledger: w.ledger,
      alice: w.alice,
      bob: w.bob,
      federation: w.federation,
      keyring: w.keyring,
      solo,
      shared: w.workspace,
      newKey: (workspace = solo) => w.createKey('eddsa-ed25519', workspace),
      bobApprovesAll: () => w.bobApprovesAll(),
      close: () => w.close(),
    }
  } catch (e) {
    await w.close()
    throw e
  }
}
