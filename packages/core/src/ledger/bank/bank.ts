import { ZrError } from '../../errors/ZrError.js'
import type { StateTx } from '../state.js'
import type { AccountRecord } from '../types.js'

/**
 * Balances and fees. A request's fee leaves the requester into escrow (held on the request record),
 * and then goes to the keyring on fulfilment or back to the requester on rejection or expiry, so
 * balances + open escrow is constant.
 */

export function getAccount(tx: StateTx, address: string): AccountRecord {
  return tx.get('accounts', address) ?? { address, sequence: 0, balance: 0n }
}

export function credit(tx: StateTx, address: string, amount: bigint): void {
  if (amount === 0n) return
  const a = getAccount(tx, address)
  tx.put('accounts', address, { ...a, balance: a.balance + amount })
}

export function debit(tx: StateTx, address: string, amount: bigint, what: string): void {
  if (amount === 0n) return
  const a = getAccount(tx, address)
  if (a.balance < amount) {
    throw new ZrError('INSUFFICIENT_BALANCE', `Insufficient balance for ${what}.`, {
      details: `${address} needs ${amount}${tx.params.denom}, has ${a.balance}${tx.params.denom}`,
      context: { address, needed: amount, balance: a.balance },
    })
  }
  tx.put('accounts', address, { ...a, balance: a.balance - amount })
}

export function transfer(tx: StateTx, from: string, to: string, amount: bigint): void {
  debit(tx, from, amount, 'transfer')
  credit(tx, to, amount)
  tx.emit('bank.transfer', { from, to, amount })
}

type FeeRef = { requestKind: 'key' | 'sign'; requestId: number; keyring: string }

/** Takes a request fee from `from` into escrow. */
export function escrowFee(tx: StateTx, from: string, amount: bigint, ref: FeeRef): void {
  debit(tx, from, amount, `the ${ref.requestKind} request fee`)
  tx.emit('fee.escrowed', { ...ref, from, amount })
}

/** Pays an escrowed fee to the keyring. */
export function payFee(tx: StateTx, amount: bigint, ref: FeeRef): void {
  credit(tx, ref.keyring, amount)
  tx.emit('fee.paid', { ...ref, amount })
}

/** Returns an escrowed fee to the requester. */
export function refundFee(tx: StateTx, to: string, amount: bigint, ref: FeeRef): void {
  credit(tx, to, amount)
  tx.emit('fee.refunded', { ...ref, to, amount })
}
