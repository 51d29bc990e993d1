import { invalidTransaction, quote } from './invalidTransaction.js'
import { type ProtoSchema, readProtoFields } from './protobufReader.js'

/**
 * A message of a transaction body: its type URL and its undecoded bytes.
 *
 * @example
 * ```ts
 * import type { CosmosAny } from './readTxBody.js'
 * const message: CosmosAny = { typeUrl: '/cosmos.staking.v1beta1.MsgDelegate', value: msgDelegateBytes }
 * ```
 */
export type CosmosAny = { readonly typeUrl: string; readonly value: Uint8Array }

/**
 * A `TxBody`, as {@link readTxBody} read it.
 *
 * @example
 * ```ts
 * import type { CosmosTxBody } from './readTxBody.js'
 * const body: CosmosTxBody = { messages: [], memo: '', timeoutHeight: 0n }
 * ```
 */
export type CosmosTxBody = {
  readonly messages: readonly CosmosAny[]
  readonly memo: string
  /** 0n when there is none. */
  readonly timeoutHeight: bigint
}

const txBodySchema: ProtoSchema = {
  message: 'TxBody',
  fields: {
    1: { name: 'messages', type: 'message', repeated: true },
    2: { name: 'memo', type: 'string' },
    3: { name: 'timeout_height', type: 'varint' },
    4: { name: 'unordered', type: 'varint' },
    5: { name: 'timeout_timestamp', type: 'message' },
    1023: { name: 'extension_options', type: 'message', repeated: true },
    2047: { name: 'non_critical_extension_options', type: 'message', repeated: true },
  },
}

const anySchema: ProtoSchema = { message: 'Any', fields: { 1: { name: 'type_url', type: 'string' }, 2: { name: 'value', type: 'bytes' } } }

/** Longest memo read, in UTF-16 code units: the ledger keeps a field of at most 1024 (chains' default limit: 256). */
const MAX_MEMO = 1024

/** Printable ASCII without spaces: what message type URLs are (`/cosmos.bank.v1beta1.MsgSend`). */
const TYPE_URL = /^[\x21-\x7e]{1,256}$/

/**
 * Reads `cosmos.tx.v1beta1.TxBody` strictly: one or more messages (`Any` {type_url 1, value 2}, the
 * values left undecoded), the memo (at most 1024 characters) and the timeout height. Refused, though the SDK knows them: the
 * `unordered` flag and `timeout_timestamp` (SDK 0.53 unordered transactions) and any extension
 * options, critical (1023) or not (2047): version 1 of the decoder does not read them. Any other
 * field is refused too.
 *
 * @example
 * ```ts
 * import { readTxBody } from './readTxBody.js'
 * const body = readTxBody(signDoc.bodyBytes)
 * body.messages[0]?.typeUrl // '/cosmos.bank.v1beta1.MsgSend'
 * ```
 */
export function readTxBody(bytes: Uint8Array): CosmosTxBody {
  const fields = readProtoFields(bytes, txBodySchema, 'body')
  if (fields.varint(4) !== 0n) throw invalidTransaction('body.unordered', 'an ordered transaction (unordered transactions are not read by cosmos@1)', 'unordered = true')
  if (fields.bytes(5)) throw invalidTransaction('body.timeout_timestamp', 'no timeout_timestamp (not read by cosmos@1)', 'one')
  for (const [n, name] of [[1023, 'extension_options'], [2047, 'non_critical_extension_options']] as const) {
    const options = fields.repeated(n)
    if (options.length > 0) throw invalidTransaction(`body.${name}`, `no ${name} (not read by cosmos@1)`, `${options.length}`)
  }
  const messages = fields.repeated(1).map((value, i) => readAny(value, `body.messages[${i}]`))
  if (messages.length === 0) throw invalidTransaction('body.messages', 'at least one message', 'none')
  const memo = fields.string(2)
  if (memo.length > MAX_MEMO) throw invalidTransaction('body.memo', `a memo of at most ${MAX_MEMO} characters`, `${memo.length} characters`)
  return { messages, memo, timeoutHeight: fields.varint(3) }
}

function readAny(bytes: Uint8Array, where: string): CosmosAny {
  const fields = readProtoFields(bytes, anySchema, where)
  const typeUrl = fields.string(1)
  if (!TYPE_URL.test(typeUrl)) throw invalidTransaction(`${where}.type_url`, 'a type URL of 1..256 printable ASCII characters (e.g. "/cosmos.bank.v1beta1.MsgSend")', typeUrl === '' ? 'none' : quote(typeUrl))
  return { typeUrl, value: fields.bytes(2) ?? new Uint8Array(0) }
}
