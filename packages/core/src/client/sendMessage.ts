import type { Account } from '../account/Account.js'
import { ZrError, isZrError } from '../errors/ZrError.js'
import type { Ledger, TxReceipt } from '../ledger/Ledger.js'
import type { Message } from '../ledger/messages.js'
import { signTx } from '../ledger/tx.js'

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

/**
 * Signs a message with the client's account and submits it. Messages from one account are sent one
 * after another with consecutive sequences; a sequence taken by another process is refetched once.
 *
 * @example
 * ```ts
 * import { createZrClient, sendMessage } from '@zrkit/core'
 * const receipt = await sendMessage(client, { msg: { type: 'bank.Send', to: bob.address, amount: 10n } })
 * ```
 */
export function sendMessage(client: ClientBase, params: SendMessageParameters): Promise<TxReceipt> {
  const account = requireAccount(client)
  const s = sequencer(client.ledger, account)
  const run = s.chain.then(async () => {
    for (let attempt = 0; ; attempt++) {
      s.next ??= (await client.ledger.query('account', { address: account.address })).sequence
      const tx = await signTx(account, { chainId: client.ledger.chainId, sequence: s.next, msg: params.msg, ...(params.memo !== undefined ? { memo: params.memo } : {}) })
      try {
        const receipt = await client.ledger.submit(tx)
        s.next++
        return receipt
      } catch (e) {
        if (isZrError(e, 'SEQUENCE_MISMATCH') && attempt === 0) {
          s.next = undefined
          continue
        }
        throw e
      }
    }
  })
  s.chain = run.catch(() => {})
  return run
}
