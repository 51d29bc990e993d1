import { ZrError } from '@zrkit/core'

/**
 * CAIP-2 ids of the public clusters: `solana:` and the first 32 characters of the genesis hash.
 *
 * @example
 * ```ts
 * import { createSolanaRelayer, solanaChains } from '@zrkit/relayer-solana'
 * const solana = await createSolanaRelayer({ client: alice, network: connection, keyId, chain: solanaChains.devnet }) // refuses any other cluster
 * ```
 */
export const solanaChains = Object.freeze({
  mainnet: 'solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp',
  devnet: 'solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1',
  testnet: 'solana:4uhcVJyU9pJkvQyS88uRDiswHXSCkY3z',
} as const)

/**
 * The CAIP-2 chain id of a cluster, from its genesis hash (`solana:` and its first 32 characters).
 *
 * @example
 * ```ts
 * import { solanaChainId } from '@zrkit/relayer-solana'
 * solanaChainId(await connection.getGenesisHash()) // 'solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1' on devnet
 * ```
 */
export function solanaChainId(genesisHash: string): string {
  if (typeof genesisHash !== 'string' || !/^[1-9A-HJ-NP-Za-km-z]{32,44}$/.test(genesisHash)) {
    throw new ZrError('INVALID_INPUT', 'Invalid genesis hash.', { details: `expected a base58 genesis hash, got ${JSON.stringify(String(genesisHash).slice(0, 60))}` })
  }
  return `solana:${genesisHash.slice(0, 32)}`
}
