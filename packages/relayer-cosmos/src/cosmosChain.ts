import { ZrError } from '@zrkit/core'
import type { AccountData, EncodeObject, OfflineDirectSigner, Registry } from '@cosmjs/proto-signing'
import { BroadcastTxError, type HttpEndpoint, type IndexedTx, SigningStargateClient, type StargateClient } from '@cosmjs/stargate'

/** An account as the chain's auth module knows it. */
export type CosmosAccount = {
  readonly accountNumber: bigint
  /** The sequence the account's next transaction must carry. */
  readonly sequence: number
}

/** A node's answer to a broadcast (its CheckTx): `code` 0 when the transaction entered the mempool. */
export type CosmosBroadcastResult = {
  readonly code: number
  readonly codespace?: string
  readonly log?: string
}

/** What the relayer asks a node to simulate, to estimate the gas. */
export type CosmosSimulateParameters = {
  readonly address: string
  readonly publicKey: Uint8Array
  readonly messages: readonly EncodeObject[]
  readonly memo: string
}

/**
 * What the Cosmos relayer needs from a chain: everything it reads or sends goes through this small
 * interface, so it runs against a node's RPC ({@link connectCosmosChain}, {@link stargateChain}) or any
 * other source of the same facts.
 *
 * - `getAccount` returns `null` for an address the chain has never seen (it has received no tokens).
 * - `broadcastTx` returns the node's CheckTx result instead of throwing on a refusal; it throws only
 *   when the node could not be reached.
 * - `getTx` returns the transaction once it is in a block (by its upper-case hex hash), else `null`.
 * - `simulate` (optional) returns the gas the transaction uses; without it, every transaction needs a
 *   `gas` limit or a `fee`.
 *
 * @example
 * ```ts
 * import { type CosmosChain, connectCosmosChain } from '@zrkit/relayer-cosmos'
 *
 * const chain: CosmosChain = await connectCosmosChain('https://rpc.osmotest5.osmosis.zone')
 * console.log(await chain.getChainId(), await chain.getAccount('osmo1...'))
 * ```
 */
export type CosmosChain = {
  getChainId(): Promise<string>
  getAccount(address: string): Promise<CosmosAccount | null>
  simulate?(params: CosmosSimulateParameters): Promise<number>
  broadcastTx(tx: Uint8Array): Promise<CosmosBroadcastResult>
  getTx(hash: string): Promise<IndexedTx | null>
}

/**
 * A {@link CosmosChain} over a cosmjs `StargateClient` (or `SigningStargateClient`) you already have.
 * It cannot simulate, so transactions need a `gas` limit or a `fee`: use {@link connectCosmosChain}
 * for gas estimation.
 *
 * @example
 * ```ts
 * import { StargateClient } from '@cosmjs/stargate'
 * import { stargateChain } from '@zrkit/relayer-cosmos'
 *
 * const chain = stargateChain(await StargateClient.connect(process.env.COSMOS_RPC_URL!))
 * ```
 */
export function stargateChain(client: StargateClient): CosmosChain {
  if (!client || typeof client.getAccount !== 'function' || typeof client.broadcastTxSync !== 'function') {
    throw new ZrError('INVALID_INPUT', 'stargateChain needs a StargateClient.', { details: `expected a connected @cosmjs/stargate StargateClient, got ${client === null ? 'null' : typeof client}` })
  }
  return Object.freeze({
    getChainId: () => client.getChainId(),
    async getAccount(address: string) {
      const account = await client.getAccount(address)
      return account ? { accountNumber: BigInt(account.accountNumber), sequence: account.sequence } : null
    },
    async broadcastTx(tx: Uint8Array) {
      try {
        await client.broadcastTxSync(tx)
        return { code: 0 }
      } catch (e) {
        if (e instanceof BroadcastTxError) return { code: e.code, codespace: e.codespace, ...(e.log !== undefined ? { log: e.log } : {}) }
        throw e
      }
    },
    getTx: (hash: string) => client.getTx(hash),
  })
}

/** Options of {@link connectCosmosChain}. */
export type ConnectCosmosChainOptions = {
  /** The registry that encodes messages for simulation: the same one the relayer uses (default: cosmjs's default types). */
  registry?: Registry
}

/**
 * Connects to a node's CometBFT RPC endpoint and returns a {@link CosmosChain} that also simulates
 * transactions (for gas estimation). Nothing here signs: simulation needs only the public key.
 *
 * @example
 * ```ts
 * import { connectCosmosChain } from '@zrkit/relayer-cosmos'
 *
 * const chain = await connectCosmosChain('https://rpc.osmotest5.osmosis.zone')
 * console.log(await chain.getChainId()) // 'osmo-test-5'
 * ```
 */
export async function connectCosmosChain(endpoint: string | HttpEndpoint, options: ConnectCosmosChainOptions = {}): Promise<CosmosChain> {
  if (!endpoint || (typeof endpoint !== 'string' && typeof endpoint !== 'object')) {
    throw new ZrError('INVALID_INPUT', 'Invalid Cosmos RPC endpoint.', { details: `expected a URL string or { url, headers }, got ${endpoint === null ? 'null' : typeof endpoint}` })
  }
  // Simulation needs the account's public key and nothing else: a watch-only signer provides it.
  const watched = new Map<string, AccountData>()
  const watchOnly: OfflineDirectSigner = {
    getAccounts: async () => [...watched.values()],
    signDirect: async () => {
      throw new ZrError('INVALID_INPUT', 'This chain connection does not sign.', { details: 'signing goes through the zrkit relayer, not the chain connection' })
    },
  }
  let client: SigningStargateClient
  try {
    client = await SigningStargateClient.connectWithSigner(endpoint, watchOnly, options.registry ? { registry: options.registry } : {})
  } catch (cause) {
    const url = typeof endpoint === 'string' ? endpoint : endpoint.url
    throw new ZrError('PREPARE_FAILED', 'Could not connect to the Cosmos node.', { details: `RPC endpoint ${url}: ${cause instanceof Error ? cause.message : String(cause)}`, cause })
  }
  const base = stargateChain(client)
  return Object.freeze({
    ...base,
    async simulate({ address, publicKey, messages, memo }: CosmosSimulateParameters) {
      watched.set(address, { address, algo: 'secp256k1', pubkey: publicKey })
      return client.simulate(address, messages, memo)
    },
  })
}
