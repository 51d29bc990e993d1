import { ZrError } from '@zrkit/core'
import type { Address, Client, NonceManager } from 'viem'
import { getTransactionCount } from 'viem/actions'

/** Names one account on one chain. */
export type NonceKey = { readonly address: Address; readonly chainId: number }

/**
 * A nonce manager for keys whose transactions wait for approvals before they are signed. It is a viem
 * `NonceManager` (give it to a viem account and `sendTransaction` uses it) with three more operations.
 *
 * The rule: the next nonce is the lowest one that is neither used on chain (below the node's pending
 * count) nor **held**. A nonce is held from the moment it is handed out until the chain passes it or it
 * is released. So:
 *
 * - Queued requests on one key get consecutive nonces while they wait for approvals, and none is used twice.
 * - A request that is rejected (or expires, or cannot be submitted) is **released**: nothing was signed
 *   for it, and the next transaction prepared on the key takes that nonce. Nothing is skipped for good.
 *   Transactions queued behind it that were already signed keep their nonces (their signatures are
 *   public on the ledger, so they must not be re-used for something else); the node holds them until the
 *   gap is filled by that next transaction, and then mines them in order.
 * - A signed transaction's nonce is never released: only the chain moving past it frees it.
 *
 * viem hands a nonce out (`consume`) before it estimates gas, and calls `reset` when anything fails
 * before the signature. So that `reset` knows which nonce to give back, a `consume` waits while another
 * one on the same key has not yet reached its signature request (`hold`) or failed (`reset`): this
 * short preparation phase runs one at a time per key; the long wait for approvals does not.
 */
export type EvmNonceManager = NonceManager & {
  /** Takes the next nonce for a transaction about to be signed (held until the chain passes it or it is released). */
  reserve(params: NonceKey & { client: Client }): Promise<number>
  /** Marks a nonce as taken: one chosen by hand, one handed out by `consume` now bound to a request, or one an unfinished journal record holds. */
  hold(params: NonceKey & { nonce: number }): void
  /** Gives a nonce back: its transaction will never be signed. The next transaction on the key takes it. */
  release(params: NonceKey & { nonce: number }): void
  /** The nonces held now, in order (for inspection and tests). */
  held(params: NonceKey): number[]
}

/** Options of {@link createEvmNonceManager}. */
export type CreateEvmNonceManagerOptions = {
  /** The count of nonces used on chain (default: `eth_getTransactionCount` at `pending`). */
  onChain?: (params: NonceKey & { client: Client }) => Promise<number>
  /** How long a `consume` waits for the previous one on the same key to be signed or fail (default 60 000 ms), then `TIMEOUT`. */
  consumeTimeoutMs?: number
}

type KeyState = {
  held: Set<number>
  /** A nonce `consume` handed out that is not yet bound to a request: `reset` gives it back. */
  lease?: { nonce?: number; done: Promise<void>; settle: () => void }
}

/**
 * Creates an {@link EvmNonceManager}. One per process is enough (it keeps one state per address and
 * chain); share it between every relayer and account that sign with the same key.
 *
 * @example
 * ```ts
 * import { createEvmNonceManager, createEvmRelayer } from '@zrkit/relayer-evm'
 *
 * const nonceManager = createEvmNonceManager()
 * const evm = await createEvmRelayer({ client: alice, publicClient, keyId, nonceManager })
 * ```
 */
export function createEvmNonceManager(options: CreateEvmNonceManagerOptions = {}): EvmNonceManager {
  const onChain = options.onChain ?? (({ address, client }) => getTransactionCount(client, { address, blockTag: 'pending' }))
  const consumeTimeoutMs = options.consumeTimeoutMs ?? 60_000
  const states = new Map<string, KeyState>()
  const stateOf = ({ address, chainId }: NonceKey): KeyState => {
    const id = `${chainId}:${address.toLowerCase()}`
    let s = states.get(id)
    if (!s) states.set(id, (s = { held: new Set() }))
    return s
  }
  const checkNonce = (nonce: unknown): number => {
    if (!Number.isSafeInteger(nonce) || (nonce as number) < 0) throw new ZrError('INVALID_INPUT', 'Invalid nonce.', { details: `expected a non-negative integer, got ${String(nonce)}` })
    return nonce as number
  }
  const endLease = (s: KeyState) => {
    const lease = s.lease
    s.lease = undefined
    lease?.settle()
  }

  /** The lowest nonce at or above the chain's count `base` that is not held; prunes what the chain has passed. Synchronous. */
  const pick = (s: KeyState, base: number): number => {
    for (const n of s.held) if (n < base) s.held.delete(n)
    let n = base
    while (s.held.has(n)) n++
    return n
  }

  const manager: EvmNonceManager = {
    async reserve(params) {
      const s = stateOf(params)
      const base = await onChain(params)
      // picked and held in one synchronous step: two reserves never take the same nonce
      const n = pick(s, base)
      s.held.add(n)
      return n
    },
    async consume(params) {
      const s = stateOf(params)
      const deadline = Date.now() + consumeTimeoutMs
      while (s.lease) {
        const left = deadline - Date.now()
        if (left <= 0) {
          throw new ZrError('TIMEOUT', 'Timed out waiting for a nonce.', {
            details: `another transaction on ${params.address} was given nonce ${s.lease.nonce} and has neither reached its signature request nor failed within ${consumeTimeoutMs} ms`,
            context: { address: params.address, chainId: params.chainId, nonce: s.lease.nonce },
          })
        }
        let timer: ReturnType<typeof setTimeout> | undefined
        await Promise.race([s.lease.done, new Promise<void>((r) => (timer = setTimeout(r, left)))])
        clearTimeout(timer)
      }
      let settle!: () => void
      const done = new Promise<void>((r) => (settle = r))
      const lease: NonNullable<KeyState['lease']> = { done, settle }
      s.lease = lease
      try {
        lease.nonce = await manager.reserve(params)
      } catch (e) {
        if (s.lease === lease) endLease(s)
        throw e
      }
      return lease.nonce
    },
    async get(params) {
      return pick(stateOf(params), await onChain(params))
    },
    increment() {
      // Nonces move on by being reserved; there is no counter to bump.
    },
    reset(params) {
      const s = stateOf(params)
      if (s.lease?.nonce !== undefined) s.held.delete(s.lease.nonce)
      endLease(s)
    },
    hold(params) {
      const nonce = checkNonce(params.nonce)
      const s = stateOf(params)
      s.held.add(nonce)
      if (s.lease?.nonce === nonce) endLease(s)
    },
    release(params) {
      const nonce = checkNonce(params.nonce)
      const s = stateOf(params)
      s.held.delete(nonce)
      if (s.lease?.nonce === nonce) endLease(s)
    },
    held(params) {
      return [...stateOf(params).held].sort((a, b) => a - b)
    },
  }
  return Object.freeze(manager)
}

/**
 * The nonce manager relayers use when given none: one per process, shared, so that every relayer and
 * account signing with the same key in this process agree.
 *
 * @example
 * ```ts
 * import { sharedEvmNonceManager } from '@zrkit/relayer-evm'
 * sharedEvmNonceManager.held({ address: evm.address, chainId: 11155111 }) // nonces waiting for approvals
 * ```
 */
export const sharedEvmNonceManager: EvmNonceManager = createEvmNonceManager()
