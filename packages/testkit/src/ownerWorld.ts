import { type Account, type EmbeddedLedger, type ZrClient, createEmbeddedLedger, createZrClient, generateAccount } from '@zrkit/core'

/** Options of {@link ownerWorld}. */
export type OwnerWorldOptions = {
  /** Chain id of the ledger's genesis. */
  readonly chainId: string
  /** Accounts the genesis funds besides the owner (keyring parties, approvers), 1 000 000 each. */
  readonly funded: readonly Account[]
}

/** An embedded ledger with a funded owner, its client, and a workspace of the owner (its default policies). */
export type OwnerWorld = {
  readonly ledger: EmbeddedLedger
  readonly owner: Account
  /** The owner's client. */
  readonly client: ZrClient
  /** A workspace the owner alone owns. */
  readonly workspace: string
}

/**
 * The world most keyring tests start from: a fresh embedded ledger whose genesis funds a new owner and
 * `funded`, the owner's client, and a workspace of the owner. Close it with `ledger.close()`.
 *
 * @example
 * ```ts
 * import { ownerWorld } from '@zrkit/testkit'
 * const parties = [generateAccount(), generateAccount(), generateAccount()]
 * const w = await ownerWorld({ chainId: 'zrkit-test', funded: parties })
 * const federation = await createFederation({ ledger: w.ledger, parties, threshold: 2 })
 * ```
 */
export async function ownerWorld(options: OwnerWorldOptions): Promise<OwnerWorld> {
  const owner = generateAccount()
  const ledger = await createEmbeddedLedger({ genesis: { chainId: options.chainId, balances: [owner, ...options.funded].map((a) => ({ address: a.address, amount: 1_000_000n })) } })
  try {
    const client = createZrClient({ ledger, account: owner })
    const { workspace } = await client.createWorkspace()
    return { ledger, owner, client, workspace }
  } catch (e) {
    await ledger.close()
    throw e
  }
}
