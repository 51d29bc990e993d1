import { ZrError } from '../errors/ZrError.js'
import { checkInt, checkString, invalid } from './validate.js'

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
  | 'party.accused'

/**
 * Every {@link LedgerEventType}, for checking input at run time (an event filter's `types`).
 *
 * @example
 * ```ts
 * import { ledgerEventTypes } from '@zrkit/core'
 * ledgerEventTypes.includes('signRequest.fulfilled') // true
 * ```
 */
export const ledgerEventTypes = Object.freeze([
  'genesis',
  'bank.transfer',
  'workspace.created',
  'workspace.updated',
  'keyring.created',
  'keyring.updated',
  'policy.created',
  'action.created',
  'action.voted',
  'action.approved',
  'action.rejected',
  'action.revoked',
  'action.expired',
  'keyRequest.created',
  'keyRequest.response',
  'keyRequest.fulfilled',
  'keyRequest.rejected',
  'signRequest.created',
  'signRequest.pending',
  'signRequest.response',
  'signRequest.fulfilled',
  'signRequest.rejected',
  'fee.escrowed',
  'fee.paid',
  'fee.refunded',
  'party.accused',
] as const satisfies readonly LedgerEventType[])
// A type added to LedgerEventType and not to the list above fails to compile here.
const everyEventTypeListed: [Exclude<LedgerEventType, (typeof ledgerEventTypes)[number]>] extends [never] ? true : false = true
void everyEventTypeListed

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

const filterFields = ['types', 'keyring', 'workspace', 'requestId', 'actionId'] as const

/**
 * Checks an event filter from anywhere (a caller, another process) and returns a frozen copy: an
 * object whose `types` are known {@link LedgerEventType}s, `keyring` and `workspace` strings,
 * `requestId` and `actionId` non-negative integers, and no other fields. Throws `INVALID_INPUT` saying
 * what was expected and what arrived. A ledger checks a filter when it is subscribed, so a bad one is
 * refused at once and never fails later, during delivery.
 *
 * @example
 * ```ts
 * import { checkEventFilter } from './events.js' // internal to @zrkit/core
 * checkEventFilter({ types: ['keyRequest.fulfilled'], requestId: 4 }) // the same filter, frozen
 * checkEventFilter({ types: 5 }) // throws ZrError INVALID_INPUT: 'expected a list of event types, got number 5'
 * ```
 */
export function checkEventFilter(filter: unknown, what = 'event filter'): EventFilter {
  if (filter === null || typeof filter !== 'object' || Array.isArray(filter) || filter instanceof Uint8Array) {
    throw invalid(what, `an object with any of ${filterFields.join(', ')}`, filter)
  }
  const f = filter as Record<string, unknown>
  for (const k of Object.keys(f)) {
    if (!(filterFields as readonly string[]).includes(k)) {
      throw new ZrError('INVALID_INPUT', `Invalid ${what}.`, { details: `expected only the fields ${filterFields.join(', ')}, got a field ${JSON.stringify(k.length > 48 ? `${k.slice(0, 48)}...` : k)}` })
    }
  }
  const out: { -readonly [K in keyof EventFilter]: EventFilter[K] } = {}
  if (f.types !== undefined) {
    if (!Array.isArray(f.types) || f.types.length > 256) throw invalid(`${what} types`, 'a list of at most 256 event types', f.types)
    out.types = Object.freeze(
      f.types.map((t, i) => {
        if (typeof t !== 'string' || !(ledgerEventTypes as readonly string[]).includes(t)) throw invalid(`${what} types[${i}]`, `one of ${ledgerEventTypes.join(', ')}`, t)
        return t as LedgerEventType
      }),
    )
  }
  if (f.keyring !== undefined) out.keyring = checkString(f.keyring, `${what} keyring`, { min: 1, max: 256 })
  if (f.workspace !== undefined) out.workspace = checkString(f.workspace, `${what} workspace`, { min: 1, max: 256 })
  if (f.requestId !== undefined) out.requestId = checkInt(f.requestId, `${what} requestId`)
  if (f.actionId !== undefined) out.actionId = checkInt(f.actionId, `${what} actionId`)
  return Object.freeze(out)
}

/**
 * True when `event` passes `filter`. Throws `INVALID_INPUT` for a filter {@link checkEventFilter}
 * refuses.
 *
 * @example
 * ```ts
 * import { matchesEventFilter } from '@zrkit/core/internal'
 * matchesEventFilter(event, { types: ['signRequest.fulfilled'], keyring })
 * ```
 */
export function matchesEventFilter(event: LedgerEvent, filter: EventFilter): boolean {
  if (event === null || typeof event !== 'object') throw invalid('event', 'a ledger event', event)
  return matchesCheckedFilter(event, checkEventFilter(filter))
}

/** {@link matchesEventFilter} for a filter that {@link checkEventFilter} returned (no second check). */
export function matchesCheckedFilter(event: LedgerEvent, filter: EventFilter): boolean {
  if (filter.types && !filter.types.includes(event.type)) return false
  for (const k of ['keyring', 'workspace', 'requestId', 'actionId'] as const) {
    if (filter[k] !== undefined && event.data?.[k] !== filter[k]) return false
  }
  return true
}
