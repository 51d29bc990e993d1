import type { TxReceipt } from '../../ledger/Ledger.js'
import { type ClientBase, requireAccount, sendMessage } from '../sendMessage.js'
import { requireParams } from '../requireParams.js'

/**
 * Balance of an address (default: the client's account), in the ledger's denomination.
 *
 * @example
 * ```ts
 * import { getBalance } from '@zrkit/core'
 * const balance = await getBalance(client) // 1000000n
 * ```
 */
export async function getBalance(client: ClientBase, params: { address?: string } = {}): Promise<bigint> {
  const address = requireParams(params, 'getBalance').address ?? requireAccount(client).address
  return (await client.ledger.query('account', { address })).balance
}

/**
 * Sends native tokens.
 *
 * @example
 * ```ts
 * import { send } from '@zrkit/core'
 * await send(client, { to: bob.address, amount: 5_000n })
 * ```
 */
export function send(client: ClientBase, params: { to: string; amount: bigint }): Promise<TxReceipt> {
  const { to, amount } = requireParams(params, 'send')
  return sendMessage(client, { msg: { type: 'bank.Send', to, amount } })
}
