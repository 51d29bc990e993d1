/** An outpoint: a transaction id (as nodes show it) and an output index. */
export type Outpoint = { readonly txid: string; readonly vout: number }

/**
 * Coins held by prepared transactions, so two relays never pick the same coin. A transaction's inputs
 * are held from `prepare` until its signature request is rejected or expires (then released), and
 * after it is broadcast until the process ends (the node may still list a spent coin until the spend
 * is mined). Keyed by chain, so one set serves every network.
 *
 * A coin may be held by several holders at once (`holder`, e.g. the id of the unsigned transaction):
 * a transaction and its RBF replacement spend the same coins, and the coins stay held until both have
 * let go. Without `holder`, every call holds and releases for one anonymous holder.
 *
 * @example
 * ```ts
 * import { createUtxoLocks } from '@zrkit/relayer-bitcoin'
 * const locks = createUtxoLocks()
 * locks.hold('bip122:000000000019d6689c085ae165831e93', [{ txid, vout: 0 }])
 * ```
 */
export type UtxoLocks = {
  isHeld(chain: string, outpoint: Outpoint): boolean
  hold(chain: string, outpoints: readonly Outpoint[], holder?: string): void
  release(chain: string, outpoints: readonly Outpoint[], holder?: string): void
  /** How many coins are held on a chain. */
  size(chain: string): number
}

/**
 * A new, empty set of coin locks (see {@link UtxoLocks}). Relayers share {@link sharedUtxoLocks}
 * unless given their own.
 *
 * @example
 * ```ts
 * import { bitcoinAdapter, createUtxoLocks } from '@zrkit/relayer-bitcoin'
 * const adapter = bitcoinAdapter({ network: 'signet', backend, locks: createUtxoLocks() })
 * ```
 */
export function createUtxoLocks(): UtxoLocks {
  // chain -> outpoint -> the holders that hold it
  const held = new Map<string, Map<string, Set<string>>>()
  const keyOf = (o: Outpoint) => `${o.txid}:${o.vout}`
  return Object.freeze({
    isHeld: (chain: string, o: Outpoint) => held.get(chain)?.has(keyOf(o)) ?? false,
    hold(chain: string, outpoints: readonly Outpoint[], holder = '') {
      let coins = held.get(chain)
      if (!coins) held.set(chain, (coins = new Map()))
      for (const o of outpoints) {
        const k = keyOf(o)
        let holders = coins.get(k)
        if (!holders) coins.set(k, (holders = new Set()))
        holders.add(holder)
      }
    },
    release(chain: string, outpoints: readonly Outpoint[], holder = '') {
      const coins = held.get(chain)
      if (!coins) return
      for (const o of outpoints) {
        const k = keyOf(o)
        const holders = coins.get(k)
        holders?.delete(holder)
        if (holders?.size === 0) coins.delete(k)
      }
    },
    size: (chain: string) => held.get(chain)?.size ?? 0,
  })
}

/**
 * The process-wide coin locks every Bitcoin adapter uses by default.
 *
 * @example
 * ```ts
 * import { sharedUtxoLocks } from '@zrkit/relayer-bitcoin'
 * sharedUtxoLocks.size('bip122:00000000da84f2bafbbc53dee25a72ae') // coins held on testnet4
 * ```
 */
export const sharedUtxoLocks: UtxoLocks = createUtxoLocks()
