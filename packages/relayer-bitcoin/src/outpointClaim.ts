import type { Outpoint } from './utxoLocks.js'

/**
 * The claim a transaction makes on a coin it spends: the network (CAIP-2, `bip122:<genesis hash
 * prefix>`), the outpoint's txid and index, as in `bip122:0f9188f13cb7b2c71f2a335e3a4fc328/<txid>:<vout>`.
 * The relay pipeline writes claims into the signature request's `zrkit.claims` metadata, so a second
 * relayer on the key (a replica with its own coin locks) prepares around the coins the first one's live
 * requests hold. At most 116 characters, no spaces.
 *
 * @example
 * ```ts
 * import { outpointClaim } from '@zrkit/relayer-bitcoin'
 * outpointClaim('bip122:0f9188f13cb7b2c71f2a335e3a4fc328', { txid: 'ab'.repeat(32), vout: 1 }) // 'bip122:0f91.../abab...ab:1'
 * ```
 */
export function outpointClaim(chain: string, outpoint: Outpoint): string {
  return `${chain}/${outpoint.txid}:${outpoint.vout}`
}
