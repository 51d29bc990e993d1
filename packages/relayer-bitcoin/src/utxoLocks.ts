/** An outpoint: a transaction id (as nodes show it) and an output index. */
export type Outpoint = { readonly txid: string; readonly vout: number }

/**
 * Coins held by prepared transactions, so two relays never pick the same coin. A transaction's inputs
 * are held from `prepare` until its signature request is rejected or expires (then released), and
 * after it is broadcast until the process ends (the node may still list a spent coin until the spend
 * is mined). Keyed by chain, so one set serves every network.
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
  hold(chain: string, outpoints: readonly Outpoint[]): void
  release(chain: string, outpoints: readonly Outpoint[]): void
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
  const held = new Map<string, Set<string>>()
  const keyOf = (o: Outpoint) => `${o.txid}:${o.vout}`
  return Object.freeze({
    isHeld: (chain: string, o: Outpoint) => held.get(chain)?.has(keyOf(o)) ?? false,
    hold(chain: string, outpoints: readonly Outpoint[]) {
      let set = held.get(chain)
      if (!set) held.set(chain, (set = new Set()))
      for (const o of outpoints) set.add(keyOf(o))
    },
    release(chain: string, outpoints: readonly Outpoint[]) {
      const set = held.get(chain)
      for (const o of outpoints) set?.delete(keyOf(o))
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
