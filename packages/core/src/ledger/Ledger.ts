import type { EventFilter, LedgerEvent } from './events.js'
import type { QueryKind, QueryParams, QueryResult } from './queries.js'
import type { MessageResult } from './stateMachine.js'
import type { SignedTx } from './tx.js'

/** What the ledger says about an accepted, durable message. */
export type TxReceipt = {
  readonly hash: string
  readonly height: number
  readonly time: number
  /** Ids the message created and where it stands, e.g. `{ requestId: 4, status: 'partial', actionId: 2 }`. */
  readonly result: MessageResult
  /** The events it caused, in order. */
  readonly events: readonly LedgerEvent[]
}

/** Stops a subscription. */
export type Unsubscribe = () => void

/**
 * The source of truth, as clients and connectors see it: submit a signed message, query, subscribe.
 * Everything reaches the ledger through this interface, so the embedded ledger can be replaced by one
 * in another process or by a zrChain node without changing clients or connectors.
 *
 * `submit` resolves once the message is applied and durable, and rejects with a {@link ZrError}
 * (state unchanged) when it is refused.
 */
export type Ledger = {
  readonly chainId: string
  submit(tx: SignedTx): Promise<TxReceipt>
  query<K extends QueryKind>(kind: K, params: QueryParams<K>): Promise<QueryResult<K>>
  /**
   * Calls `listener` for every durable event matching `filter`, in order. With `fromSeq`, events from
   * that sequence number on are delivered first, so a subscriber can resume without gaps.
   */
  subscribe(filter: EventFilter, listener: (event: LedgerEvent) => void, options?: { fromSeq?: number }): Unsubscribe
  close(): Promise<void>
}
