import type { ZrError } from '../errors/ZrError.js'
import type { EventFilter, LedgerEvent } from './events.js'
import type { Queries, QueryKind, QueryParams, QueryResult } from './queries.js'
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

/** Options of {@link Ledger.subscribe}. */
export type SubscribeOptions = {
  /** Deliver events from this sequence number on (an integer >= 1) before new ones, to resume without gaps. */
  fromSeq?: number
  /**
   * Called at most once, when the subscription ends without being unsubscribed: the ledger closed
   * (`LEDGER_CLOSED`, also when the connection to a remote ledger is lost), or a remote ledger refused
   * the subscription or did not acknowledge it in time. No events follow it.
   */
  onError?: (error: ZrError) => void
}

/**
 * The source of truth, as clients and connectors see it: submit a signed message, query, subscribe.
 * Everything reaches the ledger through this interface, so the embedded ledger can be replaced by one
 * in another process or by a zrChain node without changing clients or connectors.
 *
 * `submit` resolves once the message is applied and durable, and rejects with a {@link ZrError}
 * (state unchanged) when it is refused, also for a tx that cannot be encoded (cyclic, too deep).
 * `query` rejects with `UNKNOWN_QUERY` for a name not in {@link Queries} and `INVALID_INPUT` for
 * parameters of the wrong shape.
 */
export type Ledger = {
  readonly chainId: string
  submit(tx: SignedTx): Promise<TxReceipt>
  query<K extends QueryKind>(kind: K, params: QueryParams<K>): Promise<QueryResult<K>>
  /**
   * Calls `listener` for every durable event matching `filter`, in order. With `fromSeq`, events from
   * that sequence number on are delivered first, so a subscriber can resume without gaps. A filter or
   * `fromSeq` that is not well formed throws `INVALID_INPUT` here, at once; a subscription that ends
   * because the ledger went away says so through `onError`.
   *
   * @example
   * ```ts
   * const stop = ledger.subscribe({ types: ['signRequest.fulfilled'] }, (e) => console.log(e.data.requestId), {
   *   onError: (e) => console.error(`no more events: ${e.code}`),
   * })
   * ```
   */
  subscribe(filter: EventFilter, listener: (event: LedgerEvent) => void, options?: SubscribeOptions): Unsubscribe
  close(): Promise<void>
}
