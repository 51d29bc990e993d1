import { invalidTransaction, quote } from './invalidTransaction.js'
import { type ProtoSchema, readProtoFields } from './protobufReader.js'

/**
 * A `SIGN_MODE_DIRECT` sign doc, as {@link readSignDoc} read it.
 *
 * @example
 * ```ts
 * import type { CosmosSignDoc } from './readSignDoc.js'
 * const doc: CosmosSignDoc = { bodyBytes, authInfoBytes, chainId: 'cosmoshub-4', accountNumber: 42n }
 * ```
 */
export type CosmosSignDoc = {
  readonly bodyBytes: Uint8Array
  readonly authInfoBytes: Uint8Array
  readonly chainId: string
  readonly accountNumber: bigint
}

const signDocSchema: ProtoSchema = {
  message: 'SignDoc',
  fields: {
    1: { name: 'body_bytes', type: 'bytes' },
    2: { name: 'auth_info_bytes', type: 'bytes' },
    3: { name: 'chain_id', type: 'string' },
    4: { name: 'account_number', type: 'varint' },
  },
}

/** CometBFT allows 50 characters; the characters are those chain ids use (and CAIP-2 can carry). */
const CHAIN_ID = /^[-_.a-zA-Z0-9]{1,50}$/

/**
 * Reads `cosmos.tx.v1beta1.SignDoc` {body_bytes 1, auth_info_bytes 2, chain_id 3, account_number 4}
 * in its canonical encoding only (fields in order, none twice, defaults left out: what the SDK and
 * cosmjs's `makeSignBytes` write), so the bytes are the only encoding of what they say and their
 * sha256 is the digest a chain checks. The body, the auth info and the chain id must be present.
 *
 * @example
 * ```ts
 * import { readSignDoc } from './readSignDoc.js'
 * const doc = readSignDoc(signBytes) // { bodyBytes, authInfoBytes, chainId: 'cosmoshub-4', accountNumber: 42n }
 * ```
 */
export function readSignDoc(bytes: Uint8Array): CosmosSignDoc {
  const fields = readProtoFields(bytes, signDocSchema, 'signDoc')
  const bodyBytes = fields.bytes(1)
  if (!bodyBytes) throw invalidTransaction('signDoc.body_bytes', 'a sign doc with body bytes (field 1)', 'none')
  const authInfoBytes = fields.bytes(2)
  if (!authInfoBytes) throw invalidTransaction('signDoc.auth_info_bytes', 'a sign doc with auth info bytes (field 2)', 'none')
  const chainId = fields.string(3)
  if (!CHAIN_ID.test(chainId)) throw invalidTransaction('signDoc.chain_id', 'a chain id of 1..50 characters [-_.a-zA-Z0-9] (e.g. "cosmoshub-4")', chainId === '' ? 'none' : quote(chainId))
  return { bodyBytes, authInfoBytes, chainId, accountNumber: fields.varint(4) }
}
