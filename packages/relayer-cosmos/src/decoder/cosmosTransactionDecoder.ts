import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { type DecodeTransactionInput, type DecodeTransactionResult, type TransactionCall, type TransactionDecoder, type TransactionTransfer, describeValue, toHex } from '@zrkit/core'
import { equalBytes } from '@zrkit/core/internal'
import { accountBytesOf, encodeCosmosAddress, normalizeCosmosAddress } from './cosmosAddress.js'
import { invalidTransaction, quote } from './invalidTransaction.js'
import { readAuthInfo } from './readAuthInfo.js'
import { MSG_SEND_TYPE_URL, readMsgSend } from './readMsgSend.js'
import { readSignDoc } from './readSignDoc.js'
import { readTxBody } from './readTxBody.js'

/** Largest sign doc the decoder reads. */
const MAX_SIGN_DOC_BYTES = 64 * 1024
/** Most transfers, and most calls, one transaction may list (the ledger keeps no more). */
const MAX_EFFECTS = 256
/** The prefix of `from` when no `MsgSend` names the chain's (the Cosmos Hub's). */
const DEFAULT_PREFIX = 'cosmos'

/**
 * The transaction decoder for Cosmos SDK chains (`cosmos@1`), for the ledger's sign-transaction
 * requests. Its input is the `SIGN_MODE_DIRECT` sign bytes (`cosmos.tx.v1beta1.SignDoc`, as cosmjs's
 * `makeSignBytes` writes them); its one payload is their sha256, the digest a secp256k1 key signs
 * for the chain (and what `@zrkit/relayer-cosmos` has the key sign). It loads no cosmjs: it reads the
 * protobuf itself, strictly, and refuses anything not in canonical form.
 *
 * - The key (`ecdsa-secp256k1`, 33 or 65 bytes) must be the one signer of the auth info, as a
 *   `/cosmos.crypto.secp256k1.PubKey` in `SIGN_MODE_DIRECT`.
 * - `network` is `cosmos:<chain id>`; a requester's `network` must match it.
 * - Each `/cosmos.bank.v1beta1.MsgSend` gives one transfer per coin (`asset` its denom, `amount` exact);
 *   its `from_address` must be this key's account, under the prefix of the first one's (that prefix is
 *   also `from`'s; without any `MsgSend`, `from` has the prefix `cosmos`). Sends to the key's own
 *   account are left out. Any other message, `MsgSend`s inside `authz` `MsgExec` included, is a call
 *   to its type URL.
 * - At most 256 transfers and 256 calls, and a memo of at most 1024 characters: what the ledger keeps.
 * - The fee is the one fee coin (`feeAsset` its denom), or 0 with `feeAsset` `''` for an empty fee.
 * - `fields`: `chainId`, `accountNumber`, `sequence`, `gasLimit`, `memo`, and when set `timeoutHeight`,
 *   `feePayer`, `feeGranter`.
 *
 * Cosmos chains have no one native coin, so `nativeUnits` is empty: policies name tokens by denom.
 *
 * @example
 * ```ts
 * import { createEmbeddedLedger } from '@zrkit/core'
 * import { cosmosTransactionDecoder } from '@zrkit/relayer-cosmos/decoder'
 *
 * const ledger = await createEmbeddedLedger({
 *   genesis: { chainId: 'zrkit-dev', transactionDecoders: ['cosmos@1'] },
 *   transactionDecoders: [cosmosTransactionDecoder()],
 * })
 *
 * const { payloads, transaction } = cosmosTransactionDecoder().decode({ unsignedTransaction: makeSignBytes(signDoc), keyType: 'ecdsa-secp256k1', publicKey, taproot: false })
 * // payloads: [sha256(sign bytes)]; transaction.transfers: [{ kind: 'transfer', asset: 'uatom', to: 'cosmos1...', amount: 1000n }]
 * ```
 */
export function cosmosTransactionDecoder(): TransactionDecoder {
  return Object.freeze({
    chain: 'cosmos',
    version: 1,
    nativeUnits: Object.freeze({}),
    decode: decodeCosmosTransaction,
    normalizeAddress: normalizeCosmosAddress,
  })
}

function decodeCosmosTransaction(input: DecodeTransactionInput): DecodeTransactionResult {
  if (input === null || typeof input !== 'object') throw invalidTransaction(undefined, 'a { unsignedTransaction, keyType, publicKey, taproot } input', describeValue(input))
  const { unsignedTransaction: bytes, keyType, publicKey, taproot, network } = input
  if (!(bytes instanceof Uint8Array) || bytes.length === 0 || bytes.length > MAX_SIGN_DOC_BYTES) {
    throw invalidTransaction('unsignedTransaction', `the sign doc bytes (1..${MAX_SIGN_DOC_BYTES} bytes)`, describeValue(bytes))
  }
  if (keyType !== 'ecdsa-secp256k1') throw invalidTransaction('keyType', "an 'ecdsa-secp256k1' key (a Cosmos secp256k1 account)", describeValue(keyType))
  if (taproot !== false && taproot !== undefined) throw invalidTransaction('taproot', 'taproot false (Cosmos accounts sign ECDSA)', describeValue(taproot))
  const key = compressedKey(publicKey)

  const signDoc = readSignDoc(bytes)
  const chainNetwork = `cosmos:${signDoc.chainId}`
  if (network !== undefined && network !== chainNetwork) throw invalidTransaction('network', `the sign doc's network ${chainNetwork} or none`, describeValue(network))
  const body = readTxBody(signDoc.bodyBytes)
  const auth = readAuthInfo(signDoc.authInfoBytes)
  if (!equalBytes(auth.signerKey, key)) {
    throw invalidTransaction('authInfo.signer_infos[0].public_key.value.key', `this key ${toHex(key)} as the signer`, `the key ${toHex(auth.signerKey)}`)
  }

  const account = accountBytesOf(key)
  let prefix: string | undefined
  const transfers: TransactionTransfer[] = []
  const calls: TransactionCall[] = []
  body.messages.forEach((message, i) => {
    if (message.typeUrl !== MSG_SEND_TYPE_URL) {
      calls.push(Object.freeze({ to: message.typeUrl, value: 0n }))
      return
    }
    const where = `body.messages[${i}]`
    const send = readMsgSend(message.value, where)
    prefix ??= send.from.prefix
    if (send.from.prefix !== prefix || !equalBytes(send.from.bytes, account)) {
      throw invalidTransaction(`${where}.from_address`, `this key's address ${encodeCosmosAddress(prefix, account)} as the sender`, quote(send.from.address))
    }
    if (send.to.prefix !== prefix) throw invalidTransaction(`${where}.to_address`, `an address with the chain's prefix "${prefix}"`, quote(send.to.address))
    if (equalBytes(send.to.bytes, account)) return // to itself: nothing leaves the account
    for (const coin of send.amount) transfers.push(Object.freeze({ kind: 'transfer', asset: coin.denom, to: send.to.address, amount: coin.amount }))
  })
  if (transfers.length > MAX_EFFECTS) throw invalidTransaction('body.messages', `at most ${MAX_EFFECTS} coins sent (transfers)`, `${transfers.length}`)
  if (calls.length > MAX_EFFECTS) throw invalidTransaction('body.messages', `at most ${MAX_EFFECTS} messages other than MsgSend (calls)`, `${calls.length}`)

  const fields: Record<string, string> = {
    chainId: signDoc.chainId,
    accountNumber: signDoc.accountNumber.toString(),
    sequence: auth.sequence.toString(),
    gasLimit: auth.gasLimit.toString(),
    memo: body.memo,
  }
  if (body.timeoutHeight !== 0n) fields.timeoutHeight = body.timeoutHeight.toString()
  if (auth.feePayer !== undefined) fields.feePayer = auth.feePayer
  if (auth.feeGranter !== undefined) fields.feeGranter = auth.feeGranter

  return {
    payloads: [sha256(bytes)],
    transaction: Object.freeze({
      chain: 'cosmos',
      decoder: 'cosmos@1',
      network: chainNetwork,
      format: 'sign-doc',
      from: encodeCosmosAddress(prefix ?? DEFAULT_PREFIX, account),
      transfers: Object.freeze(transfers),
      calls: Object.freeze(calls),
      fee: auth.feeCoin?.amount ?? 0n,
      feeAsset: auth.feeCoin?.denom ?? '',
      fields: Object.freeze(fields),
    }),
  }
}

/** The signing key in the 33-byte form signer infos carry; any valid secp256k1 point, 33 or 65 bytes. */
function compressedKey(publicKey: unknown): Uint8Array {
  if (!(publicKey instanceof Uint8Array) || (publicKey.length !== 33 && publicKey.length !== 65)) {
    throw invalidTransaction('publicKey', 'a secp256k1 public key of 33 (or 65) bytes', describeValue(publicKey))
  }
  try {
    return secp256k1.Point.fromBytes(publicKey).toBytes(true)
  } catch (cause) {
    throw invalidTransaction('publicKey', 'a secp256k1 public key (a point on the curve)', `${publicKey.length} bytes that are not one`, cause)
  }
}
