/**
 * The world of the EVM suites: the shared federation world of `@zrkit/testkit/mpc` (an embedded ledger,
 * Alice and Bob owning a workspace whose sign policy needs both, 2-of-2, a threshold-ECDSA federation
 * keyring), a key, and viem clients for an anvil.
 */
import type { EmbeddedLedger, Key, TransactionDecoder, ZrClient } from '@zrkit/core'
import { federationWorld } from '@zrkit/testkit/mpc'
import { type Address, type Chain, type PublicClient, type Transport, type WalletClient, createPublicClient, createWalletClient, http } from 'viem'
import { foundry } from 'viem/chains'
import type { Anvil } from './anvil.js'

/** viem clients for an anvil: polling fast, as a local chain mines at once. */
export function anvilClients(anvil: Anvil): { publicClient: PublicClient<Transport, Chain>; funder: WalletClient<Transport, Chain> } {
  const transport = http(anvil.url, { retryCount: 0 })
  return {
    publicClient: createPublicClient({ chain: foundry, transport, pollingInterval: 25 }),
    funder: createWalletClient({ chain: foundry, transport, pollingInterval: 25 }),
  }
}

export type EvmWorld = {
  readonly ledger: EmbeddedLedger
  readonly alice: ZrClient
  readonly bob: ZrClient
  readonly workspace: string
  readonly keyring: string
  /** An ECDSA key of the 2-of-2 workspace. */
  readonly key: Key
  readonly publicClient: PublicClient<Transport, Chain>
  /** Sends ether from anvil's first unlocked development account. */
  fund(address: Address, wei: bigint): Promise<void>
  /** Bob approves every approval action from now on; returns the function that stops him. */
  bobApprovesAll(): () => void
  close(): Promise<void>
}

/** Options of {@link evmWorld}. */
export type EvmWorldOptions = {
  /** Alice is `generateAccount(`${seed}:alice`)` (for another process to act as her). */
  seed?: string
  /** Transaction decoders the ledger runs (its genesis lists each), e.g. `[evmTransactionDecoder()]`. */
  transactionDecoders?: readonly TransactionDecoder[]
  /** The workspace's sign policy over `alice` and `bob` (default `all([alice, bob])`). */
  signPolicy?: string
}

/** A fresh ledger, owners, keyring and key, on the given anvil (see {@link EvmWorldOptions}). */
export async function evmWorld(anvil: Anvil, options: EvmWorldOptions = {}): Promise<EvmWorld> {
  // Rounds may wait up to 10 s: several signings run at once here, on a machine shared with other suites.
  const w = await federationWorld({
    chainId: 'zrkit-evm-test',
    description: 'EVM test keyring (threshold ECDSA 2-of-3)',
    attemptTimeoutMs: 10_000,
    pollIntervalMs: 100,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.transactionDecoders !== undefined ? { transactionDecoders: options.transactionDecoders } : {}),
    ...(options.signPolicy !== undefined ? { signPolicy: options.signPolicy } : {}),
  })
  try {
    const key = await w.createKey('ecdsa-secp256k1')
    const { publicClient, funder } = anvilClients(anvil)
    const [dev] = await funder.getAddresses()
    return {
      ledger: w.ledger,
      alice: w.alice,
      bob: w.bob,
      workspace: w.workspace,
      keyring: w.keyring,
      key,
      publicClient,
      async fund(address, wei) {
        const hash = await funder.sendTransaction({ account: dev!, to: address, value: wei })
        const r = await publicClient.waitForTransactionReceipt({ hash })
        if (r.status !== 'success') throw new Error(`funding ${address} failed`)
      },
      bobApprovesAll: () => w.bobApprovesAll(),
      close: () => w.close(),
    }
  } catch (e) {
    await w.close()
    throw e
  }
}
