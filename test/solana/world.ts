/**
 * The world of the Solana suites: an embedded ledger, Alice and Bob, a 2-of-3 FROST federation registered
 * as a keyring (each party behind its own connector and secure transport), and two workspaces: Alice's
 * own (the default policy: she alone decides) and a shared one whose sign policy needs Alice and Bob.
 * Keys come from the federation through the ledger's key-request lifecycle; no code path holds a whole
 * private key.
 */
import { type Account, type EmbeddedLedger, type Key, type ZrClient, createEmbeddedLedger, createZrClient, generateAccount } from '@zrkit/core'
import { type Federation, createFederation } from '@zrkit/mpc'

export type SolanaWorld = {
  readonly ledger: EmbeddedLedger
  readonly alice: ZrClient
  readonly bob: ZrClient
  readonly federation: Federation
  readonly keyring: string
  /** Alice's workspace: her requests need nobody else. */
  readonly solo: string
  /** Alice and Bob's workspace: every signature needs both. */
  readonly shared: string
  /** A new ed25519 key from the federation, in `workspace` (default: solo). */
  newKey(workspace?: string): Promise<Key>
  /** Bob approves every approval action from now on; returns the function that stops him. */
  bobApprovesAll(): () => void
  close(): Promise<void>
}

/** Federation timings for a test run: short attempts, fast polling. */
const timing = { attemptTimeoutMs: 1_500, dkgTimeoutMs: 5_000, pollIntervalMs: 50 }

export async function solanaWorld(): Promise<SolanaWorld> {
  const [a, b, operator] = [generateAccount(), generateAccount(), generateAccount()]
  const parties: Account[] = [generateAccount(), generateAccount(), generateAccount()]
  const ledger = await createEmbeddedLedger({
    genesis: { chainId: 'zrkit-solana-test', balances: [a, b, operator, ...parties].map((x) => ({ address: x.address, amount: 1_000_000n })) },
  })
  const alice = createZrClient({ ledger, account: a })
  const bob = createZrClient({ ledger, account: b })
  const federation = await createFederation({ ledger, parties, threshold: 2, ...timing })
  const keyring = await federation.register(createZrClient({ ledger, account: operator }), { description: 'FROST 2-of-3 for the Solana suites', keyRequestFee: 10n, signRequestFee: 1n })
  await federation.start(keyring)
  const { workspace: solo } = await alice.createWorkspace()
  const { policyId } = await alice.createPolicy({ name: 'alice and bob', participants: { alice: a.address, bob: b.address }, expression: 'all([alice, bob])' })
  const { workspace: shared } = await alice.createWorkspace({ additionalOwners: [b.address], signPolicyId: policyId })
  return {
    ledger,
    alice,
    bob,
    federation,
    keyring,
    solo,
    shared,
    newKey: (workspace = solo) => alice.createKey({ workspace, keyring, keyType: 'eddsa-ed25519', timeoutMs: 30_000 }),
    bobApprovesAll() {
      return bob.watchEvents({ types: ['action.created'], workspace: shared }, (e) => {
        void bob.approveAction({ actionId: e.data.actionId as number }).catch(() => {})
      })
    },
    async close() {
      await federation.stop()
      await ledger.close()
    },
  }
}
