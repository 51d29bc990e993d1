import { invalidTransaction, quote } from './invalidTransaction.js'
import { type ProtoSchema, readProtoFields } from './protobufReader.js'

/**
 * A coin as the decoder reports it: a denom and an exact amount in its base units.
 *
 * @example
 * ```ts
 * import type { CosmosCoin } from './readCoin.js'
 * const coin: CosmosCoin = { denom: 'uatom', amount: 1000n }
 * ```
 */
export type CosmosCoin = { readonly denom: string; readonly amount: bigint }

const coinSchema: ProtoSchema = { message: 'Coin', fields: { 1: { name: 'denom', type: 'string' }, 2: { name: 'amount', type: 'string' } } }

/** The Cosmos SDK's denom rule (`reDnmString`). */
const DENOM = /^[a-zA-Z][a-zA-Z0-9/:._-]{2,127}$/
/** A non-negative integer in decimal, without sign or leading zeros; 2^256 has 78 digits. */
const AMOUNT = /^(0|[1-9][0-9]{0,77})$/
/** The SDK's `Int` holds up to 256 bits. */
const AMOUNT_LIMIT = 1n << 256n

/**
 * Reads a `cosmos.base.v1beta1.Coin` {denom 1, amount 2}: the denom as the SDK allows it (a letter,
 * then 2..127 of letters, digits and `/:._-`), the amount a canonical decimal string (no sign, no
 * leading zeros) below 2^256, returned as an exact bigint.
 *
 * @example
 * ```ts
 * import { readCoin } from './readCoin.js'
 * readCoin(coinBytes, 'body.messages[0].amount[0]') // { denom: 'uatom', amount: 1000n }
 * ```
 */
export function readCoin(bytes: Uint8Array, where: string): CosmosCoin {
  const fields = readProtoFields(bytes, coinSchema, where)
  const denom = fields.string(1)
  if (!DENOM.test(denom)) throw invalidTransaction(`${where}.denom`, 'a denom of 3..128 characters: a letter, then letters, digits or /:._- (e.g. "uatom", "ibc/27394F...")', denom === '' ? 'none' : quote(denom))
  const text = fields.string(2)
  if (!AMOUNT.test(text)) throw invalidTransaction(`${where}.amount`, 'an amount as a decimal string without sign or leading zeros (e.g. "1000")', text === '' ? 'none' : quote(text))
  const amount = BigInt(text)
  if (amount >= AMOUNT_LIMIT) throw invalidTransaction(`${where}.amount`, 'an amount below 2^256', quote(text))
  return { denom, amount }
}
