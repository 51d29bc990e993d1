import { type CosmosAddress, parseCosmosAddress } from './cosmosAddress.js'
import { invalidTransaction, quote } from './invalidTransaction.js'
import { type ProtoSchema, readProtoFields } from './protobufReader.js'
import { type CosmosCoin, readCoin } from './readCoin.js'

/**
 * The type URL of a bank send.
 *
 * @example
 * ```ts
 * import { MSG_SEND_TYPE_URL } from './readMsgSend.js'
 * body.messages.filter((m) => m.typeUrl === MSG_SEND_TYPE_URL)
 * ```
 */
export const MSG_SEND_TYPE_URL = '/cosmos.bank.v1beta1.MsgSend'

/**
 * A `MsgSend`, as {@link readMsgSend} read it.
 *
 * @example
 * ```ts
 * import type { CosmosMsgSend } from './readMsgSend.js'
 * const send: CosmosMsgSend = readMsgSend(message.value, 'body.messages[0]')
 * ```
 */
export type CosmosMsgSend = { readonly from: CosmosAddress; readonly to: CosmosAddress; readonly amount: readonly CosmosCoin[] }

const msgSendSchema: ProtoSchema = {
  message: 'MsgSend',
  fields: { 1: { name: 'from_address', type: 'string' }, 2: { name: 'to_address', type: 'string' }, 3: { name: 'amount', type: 'message', repeated: true } },
}

/**
 * Reads `cosmos.bank.v1beta1.MsgSend` {from_address 1, to_address 2, amount 3 (repeated Coin)}
 * strictly: both addresses bech32, every coin as {@link readCoin} reads it, at least one coin.
 *
 * @example
 * ```ts
 * import { readMsgSend } from './readMsgSend.js'
 * const send = readMsgSend(body.messages[0].value, 'body.messages[0]')
 * send.to.address // 'cosmos1...'
 * send.amount     // [{ denom: 'uatom', amount: 1000n }]
 * ```
 */
export function readMsgSend(bytes: Uint8Array, where: string): CosmosMsgSend {
  const fields = readProtoFields(bytes, msgSendSchema, where)
  const from = address(fields.string(1), `${where}.from_address`)
  const to = address(fields.string(2), `${where}.to_address`)
  const coins = fields.repeated(3)
  if (coins.length === 0) throw invalidTransaction(`${where}.amount`, 'at least one coin', 'none')
  return { from, to, amount: coins.map((c, i) => readCoin(c, `${where}.amount[${i}]`)) }
}

function address(value: string, field: string): CosmosAddress {
  const parsed = parseCosmosAddress(value)
  if (!parsed) throw invalidTransaction(field, 'a bech32 address', value === '' ? 'none' : quote(value))
  return parsed
}
