/**
 * The world of the EVM suites: an embedded ledger, Alice and Bob owning a workspace whose sign policy
 * needs both (2-of-2), a threshold-ECDSA federation keyring, a key, and viem clients for an anvil.
 */
import {
  type Account,
  type EmbeddedLedger,
  type Key,
  type Ledger,
  type ZrClient,
  createEmbeddedLedger,
  createZrClient,
  generateAccount,
} from '@zrkit/core'
import { createFederation } from '@zrkit/mpc'
import { type Address, type Chain, type PublicClient, type Transport, type WalletClient, createPublicClient, createWalletClient, http } from 'viem'
import { foundry } from 'viem/chains'
import type { Anvil } from './anvil.js'

/**
 * The keyring the EVM suites sign with, set up in this one place: a 2-of-3 MPC federation whose
 * threshold ECDSA (DKLs23) keys sign every transaction, each party behind its own connector.
 */
export async function startEcdsaKeyring(ledger: Ledger, operator: Account): Promise<{ keyring: string; stop(): Promise<void> }> {
  const parties = [generateAccount(), generateAccount(), generateAccount()]
  // Rounds may wait up to 10 s: several signings run at once here, on a machine shared with other suites.
  const federation = await createFederation({ ledger, parties, threshold: 2, pollIntervalMs: 100, attemptTimeoutMs: 10_000 })
  const keyring = await federation.register(createZrClient({ ledger, account: operator }), { description: 'EVM test keyring (threshold ECDSA 2-of-3)', keyRequestFee: 10n, signRequestFee: 1n })
  await federation.start(keyring)
  return { keyring, stop: () => federation.stop() }
}

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

/** A fresh ledger, owners, keyring and key, on the given anvil; with `seed`, Alice is `generateAccount(`${seed}:alice`)` (for another process to act as her). */
export async function evmWorld(anvil: Anvil, options: { seed?: string } = {}): Promise<EvmWorld> {
  const account = (name: string) => (options.seed === undefined ? generateAccount() : generateAccount(`${options.seed}:${name}`))
  const [a, b, operator] = [account('alice'), account('bob'), account('operator')]
  const ledger = await createEmbeddedLedger({
    genesis: { chainId: 'zrkit-evm-test', balances: [a, b, operator].map((x) => ({ address: x.address, amount: 1_000_000n })) },
  })
  const alice = createZrClient({ ledger, account: a })
  const bob = createZrClient({ ledger, account: b })
  const { keyring, stop } = await startEcdsaKeyring(ledger, operator)
  const { policyId } = await alice.createPolicy({ name: 'alice and bob', participants: { alice: a.address, bob: b.address }, expression: 'all([alice, bob])' })
  const { workspace } = await alice.createWorkspace({ additionalOwners: [b.address], signPolicyId: policyId })
  const key = await alice.createKey({ workspace, keyring, keyType: 'ecdsa-secp256k1' })
  const { publicClient, funder } = anvilClients(anvil)
  const [dev] = await funder.getAddresses()
  return {
    ledger,
    alice,
    bob,
    workspace,
    keyring,
    key,
    publicClient,
    async fund(address, wei) {
      const hash = await funder.sendTransaction({ account: dev!, to: address, value: wei })
      const r = await publicClient.waitForTransactionReceipt({ hash })
      if (r.status !== 'success') throw new Error(`funding ${address} failed`)
    },
    bobApprovesAll() {
      return bob.watchEvents({ types: ['action.created'], workspace }, (e) => {
        void bob.approveAction({ actionId: e.data.actionId as number }).catch(() => {})
      })
    },
    async close() {
      await stop()
      await ledger.close()
    },
  }
}
