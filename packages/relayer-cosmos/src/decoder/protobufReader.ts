import { invalidTransaction } from './invalidTransaction.js'

/**
 * How a field is encoded: `varint` (uint64, enum, bool: wire type 0), or length-delimited (wire type 2)
 * `string` (UTF-8), `bytes` or an embedded `message`.
 *
 * @example
 * ```ts
 * import type { ProtoFieldType } from './protobufReader.js'
 * const type: ProtoFieldType = 'varint'
 * ```
 */
export type ProtoFieldType = 'varint' | 'string' | 'bytes' | 'message'

/**
 * One field of a {@link ProtoSchema}: its name (for messages) and type, and whether it repeats.
 *
 * @example
 * ```ts
 * import type { ProtoField } from './protobufReader.js'
 * const messages: ProtoField = { name: 'messages', type: 'message', repeated: true }
 * ```
 */
export type ProtoField = { readonly name: string; readonly type: ProtoFieldType; readonly repeated?: true }

/**
 * A protobuf message's fields by number; any other field number is refused.
 *
 * @example
 * ```ts
 * import type { ProtoSchema } from './protobufReader.js'
 * const pubKey: ProtoSchema = { message: 'PubKey', fields: { 1: { name: 'key', type: 'bytes' } } }
 * ```
 */
export type ProtoSchema = { readonly message: string; readonly fields: Readonly<Record<number, ProtoField>> }

/**
 * The fields {@link readProtoFields} read, by number; absent fields read as their proto3 defaults.
 *
 * @example
 * ```ts
 * import { readProtoFields, type ProtoFields } from './protobufReader.js'
 * const fields: ProtoFields = readProtoFields(bytes, pubKeySchema, 'authInfo.signer_infos[0].public_key.value')
 * fields.bytes(1) // the key, or undefined
 * ```
 */
export type ProtoFields = {
  /** A varint field; `0n` when absent. */
  varint(field: number): bigint
  /** A string field, strict UTF-8; `''` when absent. */
  string(field: number): string
  /** A bytes or message field; `undefined` when absent (an empty message is present: empty bytes). */
  bytes(field: number): Uint8Array | undefined
  /** Every occurrence of a repeated length-delimited field, in order. */
  repeated(field: number): readonly Uint8Array[]
}

const WIRE_VARINT = 0
const WIRE_LEN = 2
const wireNames: Readonly<Record<number, string>> = { 0: 'varint', 1: '64-bit', 2: 'length-delimited', 3: 'start group', 4: 'end group', 5: '32-bit' }

/**
 * Reads one protobuf varint at `offset`: at most 10 bytes, in its shortest form (no trailing zero byte),
 * below 2^64. Returns the value and the offset after it.
 *
 * @example
 * ```ts
 * import { readVarint } from './protobufReader.js'
 * readVarint(new Uint8Array([0xac, 0x02]), 0, 'SignDoc.account_number') // { value: 300n, next: 2 }
 * ```
 */
export function readVarint(bytes: Uint8Array, offset: number, field: string): { value: bigint; next: number } {
  let value = 0n
  for (let i = 0; i < 10; i++) {
    const at = offset + i
    if (at >= bytes.length) throw invalidTransaction(field, 'a complete varint', `the end of the bytes after ${i} of its bytes`)
    const b = bytes[at]!
    if (i === 9 && b > 1) throw invalidTransaction(field, 'a varint below 2^64', `a 10th byte 0x${b.toString(16).padStart(2, '0')}`)
    value |= BigInt(b & 0x7f) << BigInt(7 * i)
    if ((b & 0x80) === 0) {
      if (i > 0 && b === 0) throw invalidTransaction(field, 'a varint in its shortest form', `${i + 1} bytes ending in 0x00`)
      return { value, next: at + 1 }
    }
  }
  throw invalidTransaction(field, 'a varint of at most 10 bytes', 'more')
}

/**
 * Reads a protobuf message strictly, in the canonical encoding the Cosmos SDK and cosmjs write:
 * only the fields of `schema`, each with its wire type; fields in increasing order of number, a
 * non-repeated field at most once and a repeated one in one run; no scalar, string or bytes field
 * encoded with its default value (0, empty); lengths within the bytes; no trailing bytes. So one
 * meaning has one encoding. Errors are `INVALID_TRANSACTION` with `context.field` under `where`.
 *
 * @example
 * ```ts
 * import { readProtoFields, type ProtoSchema } from './protobufReader.js'
 * const coinSchema: ProtoSchema = { message: 'Coin', fields: { 1: { name: 'denom', type: 'string' }, 2: { name: 'amount', type: 'string' } } }
 * const coin = readProtoFields(bytes, coinSchema, 'authInfo.fee.amount[0]')
 * coin.string(1) // 'uatom'
 * ```
 */
export function readProtoFields(bytes: Uint8Array, schema: ProtoSchema, where: string): ProtoFields {
  const values = new Map<number, (bigint | Uint8Array)[]>()
  let offset = 0
  let last = 0
  while (offset < bytes.length) {
    const tag = readVarint(bytes, offset, `${where} (field tag)`)
    offset = tag.next
    const wire = Number(tag.value & 7n)
    const number = tag.value >> 3n
    if (number === 0n || number > 0x1fffffffn) throw invalidTransaction(where, `a field number in 1..2^29-1 in ${schema.message}`, `field ${number}`)
    const n = Number(number)
    const spec = Object.hasOwn(schema.fields, n) ? schema.fields[n] : undefined
    if (!spec) {
      const known = Object.entries(schema.fields).map(([k, f]) => `${f.name} ${k}`).join(', ')
      throw invalidTransaction(where, `only the fields of ${schema.message} (${known})`, `unknown field ${n} (${wireNames[wire] ?? `invalid wire type ${wire}`})`)
    }
    const field = `${where}.${spec.name}`
    const expectedWire = spec.type === 'varint' ? WIRE_VARINT : WIRE_LEN
    if (wire !== expectedWire) throw invalidTransaction(field, `wire type ${expectedWire} (${wireNames[expectedWire]}) for ${schema.message}.${spec.name}`, `wire type ${wire} (${wireNames[wire] ?? 'invalid'})`)
    if (n < last) throw invalidTransaction(field, `the fields of ${schema.message} in increasing order (canonical encoding)`, `field ${n} after field ${last}`)
    if (n === last && !spec.repeated) throw invalidTransaction(field, `${schema.message}.${spec.name} at most once`, 'it again')
    last = n
    let value: bigint | Uint8Array
    if (wire === WIRE_VARINT) {
      const v = readVarint(bytes, offset, field)
      offset = v.next
      value = v.value
      if (value === 0n && !spec.repeated) throw invalidTransaction(field, `${schema.message}.${spec.name} left out when 0 (canonical encoding)`, 'an explicit 0')
    } else {
      const length = readVarint(bytes, offset, `${field} (length)`)
      offset = length.next
      const left = bytes.length - offset
      if (length.value > BigInt(left)) throw invalidTransaction(field, `a length within the ${left} bytes left`, `a length of ${length.value}`)
      const end = offset + Number(length.value)
      value = bytes.subarray(offset, end)
      offset = end
      if (value.length === 0 && spec.type !== 'message' && !spec.repeated) {
        throw invalidTransaction(field, `${schema.message}.${spec.name} left out when empty (canonical encoding)`, 'an explicit empty value')
      }
    }
    const list = values.get(n)
    if (list) list.push(value)
    else values.set(n, [value])
  }

  const one = (n: number) => values.get(n)?.[0]
  const name = (n: number) => `${where}.${schema.fields[n]?.name ?? n}`
  return {
    varint: (n) => {
      const v = one(n)
      return typeof v === 'bigint' ? v : 0n
    },
    string: (n) => {
      const v = one(n)
      return v instanceof Uint8Array ? utf8(v, name(n)) : ''
    },
    bytes: (n) => {
      const v = one(n)
      return v instanceof Uint8Array ? v : undefined
    },
    repeated: (n) => (values.get(n) ?? []).filter((v): v is Uint8Array => v instanceof Uint8Array),
  }
}

/** Strict UTF-8, a byte-order mark kept (not stripped): one string has one encoding. */
function utf8(bytes: Uint8Array, field: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes)
  } catch (cause) {
    throw invalidTransaction(field, 'a UTF-8 string', `${bytes.length} bytes that are not UTF-8`, cause)
  }
}

