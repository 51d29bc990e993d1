import {
  type EmbeddedLedger,
  type Key,
  type KeyType,
  type TransactionDecoder,
  type ZrClient,
  createConnector,
  createEmbeddedLedger,
  createZrClient,
  generateAccount,
  localKeyring,
} from '@zrkit/core'

/** Options of {@link localKeyringWorld}. */
export type LocalKeyringWorldOptions = {
  /** Chain id of the ledger's genesis. */
  readonly chainId: string
  /** The sign policy of Alice and Bob's workspace, over `alice` and `bob`. */
  readonly signPolicy: string
  /** Decoders the ledger is opened with. */
  readonly transactionDecoders?: readonly TransactionDecoder[]
  /** Whether the genesis runs them (default true): false gives a ledger that has them but decodes nothing. */
  readonly decode?: boolean
}

/** What {@link localKeyringWorld} built. */
export type LocalKeyringWorld = {
  readonly ledger: EmbeddedLedger
  readonly alice: ZrClient
  readonly bob: ZrClient
  readonly keyring: string
  /** Alice and Bob's workspace, under `signPolicy`. */
  readonly workspace: string
  /** A key of the keyring in the workspace, made once per key type. */
  key(keyType: KeyType): Promise<Key>
  /** Stops the connector and closes the ledger. */
  close(): Promise<void>
}

/**
 * The quick world of the sign-policy tests: an embedded ledger (optionally running transaction decoders),
 * Alice and Bob owning a workspace under `signPolicy`, and a one-party keyring answered at once by a
 * connector on the local software keyring.
 *
 * @example
 * ```ts
 * import { localKeyringWorld } from '@zrkit/testkit'
 * const w = await localKeyringWorld({ chainId: 'zrkit-test', signPolicy: 'tx.value <= 0.1 eth && alice || all([alice, bob])', transactionDecoders: [evmTransactionDecoder()] })
 * const key = await w.key('ecdsa-secp256k1')
 * await w.close()
 * ```
 */
export async function localKeyringWorld(options: LocalKeyringWorldOptions): Promise<LocalKeyringWorld> {
  const [a, b, op, party] = [generateAccount(), generateAccount(), generateAccount(), generateAccount()]
  const decoders = options.transactionDecoders ?? []
  const ledger = await createEmbeddedLedger({
    genesis: {
      chainId: options.chainId,
      balances: [a, b, op].map((x) => ({ address: x.address, amount: 1_000_000n })),
      ...(decoders.length && options.decode !== false ? { transactionDecoders: decoders.map((d) => `${d.chain}@${d.version}`) } : {}),
    },
    ...(decoders.length ? { transactionDecoders: decoders } : {}),
  })
  let connector: ReturnType<typeof createConnector> | undefined
  try {
    const alice = createZrClient({ ledger, account: a })
    const bob = createZrClient({ ledger, account: b })
    const { keyring } = await createZrClient({ ledger, account: op }).createKeyring({ description: 'local', parties: [party.address], partyThreshold: 1, keyRequestFee: 0n, signRequestFee: 0n })
    const running = createConnector({ ledger, account: party, keyring, backend: localKeyring() })
    connector = running
    await running.start()
    const { policyId } = await alice.createPolicy({ name: 'sign policy', participants: { alice: a.address, bob: b.address }, expression: options.signPolicy })
    const { workspace } = await alice.createWorkspace({ additionalOwners: [b.address], signPolicyId: policyId })
    const keys = new Map<KeyType, Promise<Key>>()
    return {
      ledger,
      alice,
      bob,
      keyring,
      workspace,
      key(keyType) {
        let k = keys.get(keyType)
        if (!k) keys.set(keyType, (k = alice.createKey({ workspace, keyring, keyType })))
        return k
      },
      async close() {
        await running.stop()
        await ledger.close()
      },
    }
  } catch (e) {
    await connector?.stop().catch(() => {})
    await ledger.close()
    throw e
  }
}
