/** Every event type the ledger emits, one per state transition. */
export type LedgerEventType =
  | 'genesis'
  | 'bank.transfer'
  | 'workspace.created'
  | 'workspace.updated'
  | 'keyring.created'
  | 'keyring.updated'
  | 'policy.created'
  | 'action.created'
  | 'action.voted'
  | 'action.approved'
  | 'action.rejected'
  | 'action.revoked'
  | 'action.expired'
  | 'keyRequest.created'
  | 'keyRequest.response'
  | 'keyRequest.fulfilled'
  | 'keyRequest.rejected'
  | 'signRequest.created'
  | 'signRequest.pending'
  | 'signRequest.response'
  | 'signRequest.fulfilled'
  | 'signRequest.rejected'
  | 'fee.escrowed'
  | 'fee.paid'
  | 'fee.refunded'

/**
 * One state transition. `seq` numbers all events from 1 without gaps, so a subscriber can resume
 * exactly where it stopped.
 */
export type LedgerEvent = {
  readonly seq: number
  /** Height of the log entry that caused it. */
  readonly height: number
  readonly time: number
  readonly type: LedgerEventType
  /** Ids and addresses the event is about, e.g. `{ requestId: 3, keyring: 'keyring1...' }`. */
  readonly data: Readonly<Record<string, string | number | boolean | bigint | undefined>>
}

/** Selects events: every given field must match. */
export type EventFilter = {
  readonly types?: readonly LedgerEventType[]
  readonly keyring?: string
  readonly workspace?: string
  readonly requestId?: number
  readonly actionId?: number
}

/**
 * True when `event` passes `filter`.
 *
 * @example
 * ```ts
 * import { matchesEventFilter } from '@zrkit/core'
 * matchesEventFilter(event, { types: ['signRequest.fulfilled'], keyring })
 * ```
 */
export function matchesEventFilter(event: LedgerEvent, filter: EventFilter): boolean {
  if (filter.types && !filter.types.includes(event.type)) return false
  for (const k of ['keyring', 'workspace', 'requestId', 'actionId'] as const) {
    if (filter[k] !== undefined && event.data[k] !== filter[k]) return false
  }
  return true
}
