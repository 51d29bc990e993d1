/**
 * The test world of the relayer suites, written once: an embedded ledger; Alice and Bob owning a workspace
 * whose sign policy needs both (2-of-2); an MPC federation (threshold ECDSA DKLs23 for `ecdsa-secp256k1`
 * and `bitcoin-secp256k1` keys, FROST for `eddsa-ed25519` and `schnorr-secp256k1` keys) registered as a
 * keyring, each party behind its own connector. Keys go through the ledger's key request lifecycle; no
 * private key is ever whole: every signature is a threshold signature requested on the ledger.
 */
import { type Account, type EmbeddedLedger, type Key, type KeyType, type TransactionDecoder, type ZrClient, createEmbeddedLedger, createZrClient, generateAccount } from '@zrkit/core'
import { type Federation, createFederation } from '@zrkit/mpc'

/** Options of {@link federationWorld}. */
export type FederationWorldOptions = {
  /** Chain id of the ledger's genesis. */
  readonly chainId: string
  /** Description of the federation's keyring. */
  readonly description: string
  /** Number of federation parties (default 3). */
  readonly parties?: number
  /** Party threshold (default 2). */
  readonly threshold?: number
  /** The federation's round timeout, in ms. */
  readonly attemptTimeoutMs: number
  /** The federation's key generation timeout, in ms (default: the federation's). */
  readonly dkgTimeoutMs?: number
  /** How often each party's connector polls the ledger, in ms. */
  readonly pollIntervalMs: number
  /** Makes Alice, Bob and the operator reproducible: `generateAccount(`${seed}:alice`)` and so on (for another process to act as Alice). */
  readonly seed?: string
  /** How long {@link FederationWorld.createKey} waits for the key, in ms (default 60 000). */
  readonly keyTimeoutMs?: number
  /** Transaction decoders the ledger runs (its genesis lists each at its version). */
  readonly transactionDecoders?: readonly TransactionDecoder[]
  /** The 2-of-2 workspace's sign policy over `alice` and `bob` (default `all([alice, bob])`), e.g. `tx.value <= 0.1 eth && any(1, [alice, bob]) || all([alice, bob])`. */
  readonly signPolicy?: string
}

/** What {@link federationWorld} built. */
export type FederationWorld = {
  readonly ledger: EmbeddedLedger
  readonly alice: ZrClient
  readonly bob: ZrClient
  /** The accounts of Alice, Bob, and the operator who registered the keyring. */
  readonly accounts: { readonly alice: Account; readonly bob: Account; readonly operator: Account }
  readonly federation: Federation
  readonly keyring: string
  /** Alice and Bob's workspace: its sign policy `all([alice, bob])` needs both (or `signPolicy`). */
  readonly workspace: string
  /** A key of the federation, requested by Alice in `workspace` (default: the 2-of-2 workspace). */
  createKey(keyType: KeyType, workspace?: string): Promise<Key>
  /** Bob approves every approval action of `workspace` (default: the 2-of-2 workspace) from now on; returns the function that stops him. */
  bobApprovesAll(workspace?: string): () => void
  /** Stops the federation and closes the ledger. */
  close(): Promise<void>
}

/**
 * Builds a {@link FederationWorld}. The federation is stopped and the ledger closed when a step fails.
 *
 * @example
 * ```ts
 * import { federationWorld } from '@zrkit/testkit/mpc'
 * const w = await federationWorld({ chainId: 'zrkit-evm-test', description: 'EVM test keyring', attemptTimeoutMs: 5_000, pollIntervalMs: 50 })
 * const key = await w.createKey('ecdsa-secp256k1')
 * const stop = w.bobApprovesAll()
 * // ... request signatures as Alice ...
 * stop()
 * await w.close()
 * ```
 */
export async function federationWorld(options: FederationWorldOptions): Promise<FederationWorld> {
  const account = (name: string) => (options.seed === undefined ? generateAccount() : generateAccount(`${options.seed}:${name}`))
  const [a, b, operator] = [account('alice'), account('bob'), account('operator')]
  const parties = Array.from({ length: options.parties ?? 3 }, () => generateAccount())
  const ledger = await createEmbeddedLedger({
    genesis: {
      chainId: options.chainId,
      balances: [a, b, operator, ...parties].map((x) => ({ address: x.address, amount: 1_000_000n })),
      ...(options.transactionDecoders ? { transactionDecoders: options.transactionDecoders.map((d) => `${d.chain}@${d.version}`) } : {}),
    },
    ...(options.transactionDecoders ? { transactionDecoders: options.transactionDecoders } : {}),
  })
  const alice = createZrClient({ ledger, account: a })
  const bob = createZrClient({ ledger, account: b })
  let federation: Federation | undefined
  try {
    federation = await createFederation({
      ledger,
      parties,
      threshold: options.threshold ?? 2,
      attemptTimeoutMs: options.attemptTimeoutMs,
      ...(options.dkgTimeoutMs !== undefined ? { dkgTimeoutMs: options.dkgTimeoutMs } : {}),
      pollIntervalMs: options.pollIntervalMs,
    })
    const keyring = await federation.register(createZrClient({ ledger, account: operator }), { description: options.description, keyRequestFee: 10n, signRequestFee: 1n })
    await federation.start(keyring)
    const { policyId } = await alice.createPolicy({ name: 'alice and bob', participants: { alice: a.address, bob: b.address }, expression: options.signPolicy ?? 'all([alice, bob])' })
    const { workspace } = await alice.createWorkspace({ additionalOwners: [b.address], signPolicyId: policyId })
    const running = federation
    return {
      ledger,
      alice,
      bob,
      accounts: { alice: a, bob: b, operator },
      federation: running,
      keyring,
      workspace,
      async createKey(keyType, inWorkspace = workspace) {
        const { requestId } = await alice.requestKey({ workspace: inWorkspace, keyring, keyType })
        const { request, key } = await alice.waitForKeyRequest({ requestId, timeoutMs: options.keyTimeoutMs ?? 60_000 })
        if (request.status !== 'fulfilled') throw new Error(`key request ${requestId}: ${request.status} ${request.rejectReason ?? ''}`)
        return key
      },
      bobApprovesAll(inWorkspace = workspace) {
        return bob.watchEvents({ types: ['action.created'], workspace: inWorkspace }, (e) => {
          void bob.approveAction({ actionId: e.data.actionId as number }).catch(() => {})
        })
      },
      async close() {
        await running.stop()
        await ledger.close()
      },
    }
  } catch (e) {
    await federation?.stop()
    await ledger.close()
    throw e
  }
}
