import { ZrError } from '@zrkit/core'
import type { Connection, PublicKey } from '@solana/web3.js'

/** How final a transaction must be: voted by a supermajority (`confirmed`) or rooted (`finalized`); `processed` is seen by the node only. */
export type SolanaCommitment = 'processed' | 'confirmed' | 'finalized'

/** An account as the relayer reads it. */
export type SolanaAccount = {
  readonly lamports: number
  readonly owner: PublicKey
  readonly data: Uint8Array
  readonly executable: boolean
}

/** Where a transaction stands on the network. */
export type SolanaSignatureStatus = {
  /** The slot it was processed in. */
  readonly slot: number
  /** How final it is (absent when the node does not say). */
  readonly confirmationStatus?: SolanaCommitment
  /** Its error when it failed on chain (it still landed and paid its fee); null when it succeeded. */
  readonly err: unknown
}

/** Options of {@link SolanaNetwork.sendRawTransaction}. */
export type SolanaNetworkSendOptions = {
  /** Skip the node's simulation before it forwards the transaction. */
  readonly skipPreflight: boolean
  readonly preflightCommitment: SolanaCommitment
  /** How often the node itself re-sends it (0: never; absent: the node's default). */
  readonly maxRetries?: number
}

/**
 * The few things the Solana relayer needs from a network. {@link connectionNetwork} gives them from a
 * web3.js `Connection` (any cluster: devnet, mainnet-beta, a local validator); tests can give them from an
 * in-process SVM. Reads that fail throw; `sendRawTransaction` throws when the node refuses the
 * transaction, with the program logs on the error's `logs` (a `string[]`) when there are any.
 *
 * @example
 * ```ts
 * import { connectionNetwork } from '@zrkit/relayer-solana'
 * import { Connection, clusterApiUrl } from '@solana/web3.js'
 *
 * const network = connectionNetwork(new Connection(clusterApiUrl('devnet'), 'confirmed'))
 * const { blockhash } = await network.getLatestBlockhash('confirmed')
 * ```
 */
export type SolanaNetwork = {
  /** A name for messages: the RPC endpoint, or what the test network calls itself. */
  readonly name: string
  /** The cluster's genesis hash (base58): it names the cluster (`solana:` and its first 32 characters, CAIP-2). */
  getGenesisHash(): Promise<string>
  getLatestBlockhash(commitment: SolanaCommitment): Promise<{ readonly blockhash: string; readonly lastValidBlockHeight: number }>
  /** Whether a transaction with this recent blockhash can still land. */
  isBlockhashValid(blockhash: string, commitment: SolanaCommitment): Promise<boolean>
  getSlot(commitment: SolanaCommitment): Promise<number>
  /** The account, or null when it does not exist. */
  getAccountInfo(address: PublicKey, commitment: SolanaCommitment): Promise<SolanaAccount | null>
  getMinimumBalanceForRentExemption(space: number): Promise<number>
  /** Submits a signed transaction (wire bytes). */
  sendRawTransaction(wire: Uint8Array, options: SolanaNetworkSendOptions): Promise<void>
  /** The status of a transaction by its signature (base58), or null when the node does not know it. `searchHistory` looks beyond the recent status cache. */
  getSignatureStatus(signature: string, options: { readonly searchHistory: boolean }): Promise<SolanaSignatureStatus | null>
  /**
   * Optional: the priority fees (micro-lamports per compute unit) that landed transactions locking any
   * of `writableAccounts` paid in recent slots, as the `getRecentPrioritizationFees` RPC method gives
   * them. A speed-up without a price asks it for a default; without it, or when it fails, the default is
   * a fixed floor.
   */
  getRecentPrioritizationFees?(writableAccounts: readonly PublicKey[]): Promise<readonly { readonly slot: number; readonly prioritizationFee: number }[]>
}

/** True for a web3.js `Connection` (of any copy of the library). */
export function isConnection(value: unknown): value is Connection {
  return !!value && typeof value === 'object' && typeof (value as Connection).rpcEndpoint === 'string' && typeof (value as Connection).getLatestBlockhash === 'function' && typeof (value as Connection).sendRawTransaction === 'function'
}

/** A {@link SolanaNetwork} or a `Connection`, as a network. */
export function toSolanaNetwork(value: SolanaNetwork | Connection, field = 'network'): SolanaNetwork {
  if (isConnection(value)) return connectionNetwork(value)
  const methods = ['getGenesisHash', 'getLatestBlockhash', 'isBlockhashValid', 'getSlot', 'getAccountInfo', 'getMinimumBalanceForRentExemption', 'sendRawTransaction', 'getSignatureStatus'] as const
  const missing = value && typeof value === 'object' ? methods.filter((m) => typeof (value as SolanaNetwork)[m] !== 'function') : methods
  if (missing.length) {
    throw new ZrError('INVALID_INPUT', 'Invalid Solana network.', {
      details: `${field}: expected a @solana/web3.js Connection or a SolanaNetwork, got ${value === null ? 'null' : typeof value}${value && typeof value === 'object' ? ` without ${missing.join(', ')}` : ''}`,
    })
  }
  return value as SolanaNetwork
}

/**
 * The {@link SolanaNetwork} of a web3.js 1.x `Connection`: plain JSON-RPC requests over HTTP, no
 * websocket subscriptions (confirmation polls `getSignatureStatuses`).
 *
 * @example
 * ```ts
 * import { connectionNetwork, createSolanaRelayer } from '@zrkit/relayer-solana'
 * import { Connection, clusterApiUrl } from '@solana/web3.js'
 *
 * const network = connectionNetwork(new Connection(process.env.SOLANA_RPC_URL ?? clusterApiUrl('devnet')))
 * const solana = await createSolanaRelayer({ client: alice, network, keyId: key.id })
 * ```
 */
export function connectionNetwork(connection: Connection): SolanaNetwork {
  if (!isConnection(connection)) {
    throw new ZrError('INVALID_INPUT', 'connectionNetwork needs a web3.js Connection.', { details: `expected a @solana/web3.js Connection, got ${connection === null ? 'null' : typeof connection}` })
  }
  return Object.freeze({
    name: connection.rpcEndpoint,
    getGenesisHash: () => connection.getGenesisHash(),
    async getLatestBlockhash(commitment: SolanaCommitment) {
      const { blockhash, lastValidBlockHeight } = await connection.getLatestBlockhash(commitment)
      return { blockhash, lastValidBlockHeight }
    },
    async isBlockhashValid(blockhash: string, commitment: SolanaCommitment) {
      return (await connection.isBlockhashValid(blockhash, { commitment })).value
    },
    getSlot: (commitment: SolanaCommitment) => connection.getSlot(commitment),
    async getAccountInfo(address: PublicKey, commitment: SolanaCommitment) {
      const account = await connection.getAccountInfo(address, commitment)
      return account && { lamports: account.lamports, owner: account.owner, data: new Uint8Array(account.data), executable: account.executable }
    },
    getMinimumBalanceForRentExemption: (space: number) => connection.getMinimumBalanceForRentExemption(space),
    async sendRawTransaction(wire: Uint8Array, options: SolanaNetworkSendOptions) {
      // A refusal is web3.js's SendTransactionError, whose `logs` carry the simulation's program logs.
      await connection.sendRawTransaction(wire, {
        skipPreflight: options.skipPreflight,
        preflightCommitment: options.preflightCommitment,
        ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
      })
    },
    async getRecentPrioritizationFees(writableAccounts: readonly PublicKey[]) {
      const fees = await connection.getRecentPrioritizationFees({ lockedWritableAccounts: [...writableAccounts] })
      return fees.map((f) => ({ slot: f.slot, prioritizationFee: f.prioritizationFee }))
    },
    async getSignatureStatus(signature: string, { searchHistory }: { searchHistory: boolean }) {
      const { value } = await connection.getSignatureStatuses([signature], { searchTransactionHistory: searchHistory })
      const status = value[0]
      if (!status) return null
      return { slot: status.slot, err: status.err ?? null, ...(status.confirmationStatus ? { confirmationStatus: status.confirmationStatus } : {}) }
    },
  })
}
