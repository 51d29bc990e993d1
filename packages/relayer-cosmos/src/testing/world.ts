/**
 * Test helper: the world of the Cosmos suites. An embedded ledger; Alice and Bob owning a workspace whose
 * sign policy needs both (2-of-2); a 2-of-3 threshold ECDSA federation (DKLs23, `@zrkit/mpc`) registered
 * as a keyring; an ECDSA key made through the ledger's key request lifecycle. No private key is ever
 * whole: every signature is a threshold signature requested on the ledger.
 */
import { type EmbeddedLedger, type Key, type ZrClient, createEmbeddedLedger, createZrClient, generateAccount } from '@zrkit/core'
import { type Federation, createFederation } from '@zrkit/mpc'

export type CosmosWorld = {
  readonly ledger: EmbeddedLedger
  readonly alice: ZrClient
  readonly bob: ZrClient
  readonly workspace: string
  readonly keyring: string
  readonly federation: Federation
  /** An ECDSA secp256k1 key of the 2-of-2 workspace, from the federation. */
  readonly key: Key
  /** Bob approves every approval action from now on; returns the function that stops him. */
  bobApprovesAll(): () => void
  close(): Promise<void>
}

export async function cosmosWorld(): Promise<CosmosWorld> {
  const [a, b, operator] = [generateAccount(), generateAccount(), generateAccount()]
  const parties = [generateAccount(), generateAccount(), generateAccount()]
  const ledger = await createEmbeddedLedger({
    genesis: { chainId: 'zrkit-cosmos-test', balances: [a, b, operator, ...parties].map((x) => ({ address: x.address, amount: 1_000_000n })) },
  })
  const alice = createZrClient({ ledger, account: a })
  const bob = createZrClient({ ledger, account: b })
  const federation = await createFederation({ ledger, parties, threshold: 2, attemptTimeoutMs: 5_000, dkgTimeoutMs: 30_000, pollIntervalMs: 50 })
  try {
    const keyring = await federation.register(createZrClient({ ledger, account: operator }), { description: 'Cosmos test DKLs23 2-of-3', keyRequestFee: 10n, signRequestFee: 1n })
    await federation.start(keyring)
    const { policyId } = await alice.createPolicy({ name: 'alice and bob', participants: { alice: a.address, bob: b.address }, expression: 'all([alice, bob])' })
    const { workspace } = await alice.createWorkspace({ additionalOwners: [b.address], signPolicyId: policyId })
    const { requestId } = await alice.requestKey({ workspace, keyring, keyType: 'ecdsa-secp256k1' })
    const { request, key } = await alice.waitForKeyRequest({ requestId, timeoutMs: 60_000 })
    if (request.status !== 'fulfilled') throw new Error(`key request ${requestId} is ${request.status}`)
    return {
      ledger,
      alice,
      bob,
      workspace,
      keyring,
      federation,
      key,
      bobApprovesAll() {
        return bob.watchEvents({ types: ['action.created'], workspace }, (e) => {
          void bob.approveAction({ actionId: e.data.actionId as number }).catch(() => {})
        })
      },
      async close() {
        await federation.stop()
        await ledger.close()
      },
    }
  } catch (e) {
    await federation.stop()
    await ledger.close()
    throw e
  }
}
