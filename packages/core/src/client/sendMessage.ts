import type { Account } from '../account/Account.js'
import { ZrError, isZrError } from '../errors/ZrError.js'
import type { LedgerEvent } from '../ledger/events.js'
import type { Ledger, TxReceipt } from '../ledger/Ledger.js'
import type { Message } from '../ledger/messages.js'
import type { TxRecord } from '../ledger/state.js'
import { type SignedTx, signTx, txHash } from '../ledger/tx.js'
import { requireParams } from './requireParams.js'

/** What every action needs: a ledger, and for writes an account. */
export type ClientBase = {
  readonly ledger: Ledger
  readonly account?: Account
}

type Sequencer = { next?: number; chain: Promise<unknown> }
const sequencers = new WeakMap<Account, Map<Ledger, Sequencer>>()

function sequencer(ledger: Ledger, account: Account): Sequencer {
  let byLedger = sequencers.get(account)
  if (!byLedger) sequencers.set(account, (byLedger = new Map()))
  let s = byLedger.get(ledger)
  if (!s) byLedger.set(ledger, (s = { chain: Promise.resolve() }))
  return s
}

/** The client's account, or a typed error saying a read-only client cannot write. */
export function requireAccount(client: ClientBase): Account {
  if (!client.account) throw new ZrError('INVALID_INPUT', 'This client has no account.', { details: 'expected createZrClient({ ledger, account }) for actions that send messages' })
  return client.account
}

/** Parameters of {@link sendMessage}. */
export type SendMessageParameters = { msg: Message; memo?: string }

/** Attempts of one send: each either signs at a fresh sequence after a clash or resends the same bytes after a lost reply. */
const maxAttempts = 20

/**
 * Before attempt `attempt` (from 1): nothing for the first two, then a random share of a delay that
 * doubles from 1 ms up to 250 ms, so that senders of one account who keep clashing spread out (a sender
 * with a faster connection to the ledger would otherwise take every sequence while it has messages).
 */
function backoff(attempt: number): Promise<void> | undefined {
  if (attempt <= 2) return undefined
  const ms = Math.random() * Math.min(250, 2 ** (attempt - 3))
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/**
 * Signs a message with the client's account and submits it; resolves with its receipt once it is applied
 * exactly once. Messages from one account through one client are sent one after another with consecutive
 * sequences. What else can happen, and what the client does:
 *
 * - Another sender of the same account (another process, another connection, a stale cached sequence)
 *   took the sequence: the ledger answers `SEQUENCE_MISMATCH`, or `TX_REPLAYED` when the other sender sent
 *   the very same message at that sequence (signing is deterministic, so the bytes are identical). Either
 *   way this message has not landed: the client signs it again at a fresh sequence, the one the ledger
 *   said it expects (else the next, else it asks the ledger).
 * - No answer (the reply was lost: `LEDGER_UNAVAILABLE`, `TIMEOUT`, or a transport error): the tx may have
 *   landed. The client sends the same signed bytes again; if they had landed, the ledger refuses the copy
 *   (`TX_REPLAYED`) and the client looks the tx up by hash (`query('tx', { hash })`) and answers with the
 *   receipt of that first landing. It never signs the message a second time while a send of it may have
 *   landed unseen: after any definite answer it first looks up the txs that got no answer.
 * - A refusal of the message itself (`INSUFFICIENT_BALANCE`, `INVALID_INPUT`, ...) is thrown as is; it
 *   changed nothing and used no sequence.
 *
 * From the third attempt on, each waits a random pause that grows to 250 ms, so senders that keep
 * clashing spread out. After 20 attempts it gives up with `SEQUENCE_MISMATCH` (other senders took every
 * sequence) or `LEDGER_UNAVAILABLE` (no answer: the message may or may not have landed; `e.context.hashes`
 * lists the txs to look up before sending it again). One limit: identical bytes are one tx to the
 * ledger, so if two processes send the same message from the same account at the same sequence and one
 * of them loses the reply, both may take the one landing for theirs; give such senders different memos.
 *
 * @example
 * ```ts
 * import { isZrError, sendMessage } from '@zrkit/core'
 * try {
 *   const receipt = await sendMessage(client, { msg: { type: 'bank.Send', to: bob.address, amount: 10n } })
 * } catch (e) {
 *   // the ledger never answered: look these up before sending again
 *   if (isZrError(e, 'LEDGER_UNAVAILABLE')) console.log(e.context.hashes)
 *   else throw e
 * }
 * ```
 */
export function sendMessage(client: ClientBase, params: SendMessageParameters): Promise<TxReceipt> {
  requireParams(params, 'sendMessage')
  const account = requireAccount(client)
  const s = sequencer(client.ledger, account)
  const run = s.chain.then(() => deliver(client.ledger, account, s, params))
  s.chain = run.catch(() => {})
  return run
}

/** True for an error that says nothing about whether the ledger applied the tx: no answer came back. */
function noAnswer(e: unknown): boolean {
  return !isZrError(e) || e.code === 'LEDGER_UNAVAILABLE' || e.code === 'TIMEOUT'
}

async function deliver(ledger: Ledger, account: Account, s: Sequencer, params: SendMessageParameters): Promise<TxReceipt> {
  const unanswered: string[] = [] // hashes of this send's txs that got no answer: each may have landed
  let again: SignedTx | undefined // the tx to send once more, byte for byte, after a lost reply
  let last: unknown
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    await backoff(attempt)
    let tx = again
    if (!tx) {
      try {
        s.next ??= (await ledger.query('account', { address: account.address })).sequence
        tx = await signTx(account, { chainId: ledger.chainId, sequence: s.next, msg: params.msg, ...(params.memo !== undefined ? { memo: params.memo } : {}) })
      } catch (e) {
        if (unanswered.length) throw gaveUp(account.address, attempt, unanswered, e)
        throw e
      }
    }
    try {
      const receipt = await ledger.submit(tx)
      s.next = tx.sequence + 1
      return receipt
    } catch (e) {
      last = e
    }
    if (noAnswer(last)) {
      const hash = txHash(tx)
      if (!unanswered.includes(hash)) unanswered.push(hash)
      again = tx
      s.next = undefined
      continue
    }
    // A definite answer. If one of this send's unanswered txs landed after all, that landing is the answer.
    if (unanswered.length) {
      let landed: TxReceipt | undefined
      try {
        landed = await landedReceipt(ledger, unanswered)
      } catch (e) {
        if (isZrError(e, 'TX_REPLAYED')) throw e
        last = e
        continue
      }
      if (landed) {
        s.next = undefined
        return landed
      }
    }
    again = undefined
    if (isZrError(last, 'SEQUENCE_MISMATCH') || isZrError(last, 'TX_REPLAYED')) {
      // Another sender of this account took the sequence (TX_REPLAYED: with the same message, in bytes
      // identical to ours, but not sent by this send). Ours has not landed: sign it at a fresh sequence,
      // the one the ledger said it expects when it said so (no round trip, so a busy sender cannot
      // starve this one), else the one after the taken one; a wrong guess is one more clash.
      // (a remote ledger's context arrives over the wire: still checked)
      const expected: unknown = isZrError(last, 'SEQUENCE_MISMATCH') ? last.context.expected : undefined
      s.next = isZrError(last, 'SEQUENCE_MISMATCH') ? (Number.isSafeInteger(expected) && (expected as number) >= 0 ? (expected as number) : undefined) : tx.sequence + 1
      continue
    }
    if (unanswered.length) s.next = undefined
    throw last
  }
  throw gaveUp(account.address, maxAttempts, unanswered, last)
}

/** The typed error of a send that stops without a receipt: no answer (it may have landed), or clashes only. */
function gaveUp(address: string, attempts: number, unanswered: readonly string[], last: unknown): ZrError {
  const what = isZrError(last) ? `${last.code}: ${last.details ?? last.shortMessage}` : String((last as Error)?.message ?? last)
  if (noAnswer(last) || unanswered.length) {
    return new ZrError('LEDGER_UNAVAILABLE', 'No answer from the ledger: the message may or may not have been applied.', {
      details: `expected a receipt or a refusal for tx ${unanswered.join(', ')} of ${address}, got no answer after ${attempts} attempts (last: ${what}); look it up with query('tx', { hash }) before sending it again`,
      context: { address, attempts, hashes: [...unanswered] },
      cause: last,
    })
  }
  return new ZrError('SEQUENCE_MISMATCH', 'Other senders of the account kept taking the sequence.', {
    details: `expected to land the message at a free sequence of ${address} within ${attempts} attempts, got a sequence taken by another sender every time (last: ${what})`,
    context: { address, attempts },
    cause: last,
  })
}

/** The receipt of the first of `hashes` the ledger has applied, or undefined when it applied none. */
async function landedReceipt(ledger: Ledger, hashes: readonly string[]): Promise<TxReceipt | undefined> {
  for (const hash of hashes) {
    const record = await ledger.query('tx', { hash })
    if (record) return receiptOf(ledger, record)
  }
  return undefined
}

/**
 * Rebuilds the receipt the ledger sent for an applied tx, from its record of the tx and the events of
 * its log entry. A record without them (a ledger that keeps no receipts) is `TX_REPLAYED`: applied, and
 * the record says where.
 */
async function receiptOf(ledger: Ledger, record: TxRecord): Promise<TxReceipt> {
  const events: LedgerEvent[] = []
  const range = record.events as TxRecord['events'] | undefined
  if (range && Number.isSafeInteger(range.first) && Number.isSafeInteger(range.count)) {
    // The events list is paged by position from 0: the cursor "first - 1" starts at event number `first`.
    let cursor = String(range.first - 1)
    while (events.length < range.count) {
      const page = await ledger.query('events', { cursor, limit: Math.min(1000, range.count - events.length) })
      events.push(...page.items)
      if (!page.nextCursor || !page.items.length) break
      cursor = page.nextCursor
    }
  }
  const complete = range !== undefined && events.length === range.count && events.every((e, i) => e.seq === range.first + i && e.height === record.height)
  if (!complete || record.result === undefined || record.time === undefined) {
    throw new ZrError('TX_REPLAYED', 'Transaction was already applied; its receipt cannot be rebuilt.', {
      details: `tx ${record.hash} was applied at height ${record.height}; expected its result and events in the ledger's record, got ${complete ? 'no result' : 'not all of its events'}`,
      context: { hash: record.hash, height: record.height },
    })
  }
  return { hash: record.hash, height: record.height, time: record.time, result: record.result, events }
}
