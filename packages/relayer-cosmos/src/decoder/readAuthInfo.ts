import { parseCosmosAddress } from './cosmosAddress.js'
import { invalidTransaction, quote } from './invalidTransaction.js'
import { type ProtoSchema, readProtoFields } from './protobufReader.js'
import { type CosmosCoin, readCoin } from './readCoin.js'

/**
 * An `AuthInfo` with its one signer, as {@link readAuthInfo} read it.
 *
 * @example
 * ```ts
 * import type { CosmosAuthInfo } from './readAuthInfo.js'
 * const info: CosmosAuthInfo = { signerKey, sequence: 7n, feeCoin: { denom: 'uatom', amount: 5000n }, gasLimit: 200_000n, feePayer: undefined, feeGranter: undefined }
 * ```
 */
export type CosmosAuthInfo = {
  /** The signer's 33-byte compressed secp256k1 key. */
  readonly signerKey: Uint8Array
  readonly sequence: bigint
  /** The fee coin, or `undefined` for an empty fee. */
  readonly feeCoin: CosmosCoin | undefined
  readonly gasLimit: bigint
  /** Lower-case addresses, when set. */
  readonly feePayer: string | undefined
  readonly feeGranter: string | undefined
}

/** The type URL of a secp256k1 key in a signer info. */
const SECP256K1_PUBKEY = '/cosmos.crypto.secp256k1.PubKey'
/** `cosmos.tx.signing.v1beta1.SignMode.SIGN_MODE_DIRECT`. */
const SIGN_MODE_DIRECT = 1n

const authInfoSchema: ProtoSchema = {
  message: 'AuthInfo',
  fields: { 1: { name: 'signer_infos', type: 'message', repeated: true }, 2: { name: 'fee', type: 'message' }, 3: { name: 'tip', type: 'message' } },
}
const signerInfoSchema: ProtoSchema = {
  message: 'SignerInfo',
  fields: { 1: { name: 'public_key', type: 'message' }, 2: { name: 'mode_info', type: 'message' }, 3: { name: 'sequence', type: 'varint' } },
}
const anySchema: ProtoSchema = { message: 'Any', fields: { 1: { name: 'type_url', type: 'string' }, 2: { name: 'value', type: 'bytes' } } }
const pubKeySchema: ProtoSchema = { message: 'PubKey', fields: { 1: { name: 'key', type: 'bytes' } } }
const modeInfoSchema: ProtoSchema = { message: 'ModeInfo', fields: { 1: { name: 'single', type: 'message' }, 2: { name: 'multi', type: 'message' } } }
const singleSchema: ProtoSchema = { message: 'ModeInfo.Single', fields: { 1: { name: 'mode', type: 'varint' } } }
const feeSchema: ProtoSchema = {
  message: 'Fee',
  fields: { 1: { name: 'amount', type: 'message', repeated: true }, 2: { name: 'gas_limit', type: 'varint' }, 3: { name: 'payer', type: 'string' }, 4: { name: 'granter', type: 'string' } },
}

/**
 * Reads `cosmos.tx.v1beta1.AuthInfo` strictly, as a transaction of one secp256k1 account signed in
 * `SIGN_MODE_DIRECT`: exactly one signer info, its key an `Any` of `/cosmos.crypto.secp256k1.PubKey`
 * holding 33 bytes, its mode info `single` `SIGN_MODE_DIRECT`; a fee of at most one coin; no tip.
 * Whether the key is the right one is the caller's check.
 *
 * @example
 * ```ts
 * import { readAuthInfo } from './readAuthInfo.js'
 * const { signerKey, sequence, feeCoin, gasLimit } = readAuthInfo(signDoc.authInfoBytes)
 * ```
 */
export function readAuthInfo(bytes: Uint8Array): CosmosAuthInfo {
  const fields = readProtoFields(bytes, authInfoSchema, 'authInfo')
  if (fields.bytes(3)) throw invalidTransaction('authInfo.tip', 'no tip (tipped transactions are not read by cosmos@1)', 'a tip')
  const infos = fields.repeated(1)
  if (infos.length !== 1) throw invalidTransaction('authInfo.signer_infos', 'exactly one signer (this key)', `${infos.length} signers`)
  const info = readProtoFields(infos[0]!, signerInfoSchema, 'authInfo.signer_infos[0]')

  const keyAnyBytes = info.bytes(1)
  if (!keyAnyBytes) throw invalidTransaction('authInfo.signer_infos[0].public_key', `the signer's public key (${SECP256K1_PUBKEY})`, 'none')
  const keyAny = readProtoFields(keyAnyBytes, anySchema, 'authInfo.signer_infos[0].public_key')
  const keyType = keyAny.string(1)
  if (keyType !== SECP256K1_PUBKEY) throw invalidTransaction('authInfo.signer_infos[0].public_key.type_url', `a ${SECP256K1_PUBKEY} signer key`, keyType === '' ? 'none' : quote(keyType))
  const pubKey = readProtoFields(keyAny.bytes(2) ?? new Uint8Array(0), pubKeySchema, 'authInfo.signer_infos[0].public_key.value')
  const signerKey = pubKey.bytes(1)
  if (!signerKey || signerKey.length !== 33) throw invalidTransaction('authInfo.signer_infos[0].public_key.value.key', 'a 33-byte compressed secp256k1 key', signerKey ? `${signerKey.length} bytes` : 'none')

  const modeInfoBytes = info.bytes(2)
  if (!modeInfoBytes) throw invalidTransaction('authInfo.signer_infos[0].mode_info', 'mode info single SIGN_MODE_DIRECT', 'none')
  const modeInfo = readProtoFields(modeInfoBytes, modeInfoSchema, 'authInfo.signer_infos[0].mode_info')
  if (modeInfo.bytes(2)) throw invalidTransaction('authInfo.signer_infos[0].mode_info', 'mode info single SIGN_MODE_DIRECT', 'multi (a multisig)')
  const single = modeInfo.bytes(1)
  if (!single) throw invalidTransaction('authInfo.signer_infos[0].mode_info', 'mode info single SIGN_MODE_DIRECT', 'none')
  const mode = readProtoFields(single, singleSchema, 'authInfo.signer_infos[0].mode_info.single').varint(1)
  if (mode !== SIGN_MODE_DIRECT) throw invalidTransaction('authInfo.signer_infos[0].mode_info.single.mode', `SIGN_MODE_DIRECT (${SIGN_MODE_DIRECT})`, `sign mode ${mode}`)

  const feeBytes = fields.bytes(2)
  if (!feeBytes) throw invalidTransaction('authInfo.fee', 'a fee (an empty one for no fee)', 'none')
  const fee = readProtoFields(feeBytes, feeSchema, 'authInfo.fee')
  const coins = fee.repeated(1)
  if (coins.length > 1) throw invalidTransaction('authInfo.fee.amount', 'at most one fee coin', `${coins.length} coins`)
  const feeCoin = coins[0] ? readCoin(coins[0], 'authInfo.fee.amount[0]') : undefined

  return {
    signerKey,
    sequence: info.varint(3),
    feeCoin,
    gasLimit: fee.varint(2),
    feePayer: optionalAddress(fee.string(3), 'authInfo.fee.payer'),
    feeGranter: optionalAddress(fee.string(4), 'authInfo.fee.granter'),
  }
}

function optionalAddress(value: string, field: string): string | undefined {
  if (value === '') return undefined
  const parsed = parseCosmosAddress(value)
  if (!parsed) throw invalidTransaction(field, 'a bech32 address', quote(value))
  return parsed.address
}
