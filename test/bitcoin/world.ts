/**
 * The world of the Bitcoin suites: an embedded ledger, Alice and Bob owning a workspace whose sign
 * policy needs both (2-of-2), and a 2-of-3 MPC federation registered as its keyring (threshold ECDSA
 * for `bitcoin-secp256k1` keys, FROST for `schnorr-secp256k1` keys). Every key goes through the
 * ledger's key request lifecycle; no private key exists anywhere in one piece.
 */
import { type EmbeddedLedger, type Key, type KeyType, type ZrClient, createEmbeddedLedger, createZrClient, generateAccount } from '@zrkit/core'
import { type Federation, createFederation } from '@zrkit/mpc'

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

export async function bitcoinWorld(chainId = 'zrkit-bitcoin-test'): Promise<BitcoinWorld> {
  const [a, b, operator] = [generateAccount(), generateAccount(), generateAccount()]
  const parties = [generateAccount(), generateAccount(), generateAccount()]
  const ledger = await createEmbeddedLedger({ genesis: { chainId, balances: [a, b, operator, ...parties].map((x) => ({ address: x.address, amount: 1_000_000n })) } })
  const alice = createZrClient({ ledger, account: a })
  const bob = createZrClient({ ledger, account: b })
  const federation = await createFederation({ ledger, parties, threshold: 2, attemptTimeoutMs: 5_000, dkgTimeoutMs: 30_000, pollIntervalMs: 50 })
  const keyring = await federation.register(createZrClient({ ledger, account: operator }), { description: 'Bitcoin test federation 2-of-3', keyRequestFee: 10n, signRequestFee: 1n })
  await federation.start(keyring)
  const { policyId } = await alice.createPolicy({ name: 'alice and bob', participants: { alice: a.address, bob: b.address }, expression: 'all([alice, bob])' })
  const { workspace } = await alice.createWorkspace({ additionalOwners: [b.address], signPolicyId: policyId })
  return {
    ledger,
    alice,
    bob,
    workspace,
    keyring,
    federation,
    async createKey(keyType) {
      const { requestId } = await alice.requestKey({ workspace, keyring, keyType })
      const { request, key } = await alice.waitForKeyRequest({ requestId, timeoutMs: 60_000 })
      if (request.status !== 'fulfilled') throw new Error(`key request ${requestId}: ${request.status} ${request.rejectReason ?? ''}`)
      return key
    },
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
}
