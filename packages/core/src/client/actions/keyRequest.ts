import { ZrError } from '../../errors/ZrError.js'
import type { TxReceipt } from '../../ledger/Ledger.js'
import type { KeyRequestResult, NewKeyRequestMessage } from '../../ledger/messages.js'
import type { KeyView, Page, QueryParams } from '../../ledger/queries.js'
import type { WalletType } from '../../addresses/walletTypes.js'
import type { DerivationPath } from '../../derivation/derivationPath.js'
import { partyResponseDigest } from '../../ledger/tx.js'
import type { Key, KeyRequest } from '../../ledger/types.js'
import { type ClientBase, requireAccount, sendMessage } from '../sendMessage.js'
import { requireId, requireParams } from '../requireParams.js'
import { type WaitOptions, fromReceipt, waitUntil } from '../wait.js'
import { getOrThrow } from './get.js'

/** Parameters of {@link requestKey}. */
export type RequestKeyParameters = Omit<NewKeyRequestMessage, 'type'>
/** Result of {@link requestKey}. */
export type RequestKeyReturnType = { requestId: number; receipt: TxReceipt }

/**
 * Asks a keyring for a new key for a workspace. The keyring's key fee is held in escrow until the
 * request is fulfilled (paid) or rejected (refunded).
 *
 * @example
 * ```ts
 * import { requestKey, waitForKeyRequest } from '@zrkit/core'
 * const { requestId } = await requestKey(alice, { workspace, keyring, keyType: 'ecdsa-secp256k1' })
 * const { key } = await waitForKeyRequest(alice, { requestId })
 * ```
 */
export async function requestKey(client: ClientBase, params: RequestKeyParameters): Promise<RequestKeyReturnType> {
  const receipt = await sendMessage(client, { msg: { type: 'treasury.NewKeyRequest', ...params } })
  return { requestId: receipt.result.requestId as number, receipt }
}

/**
 * Reads a key request; `KEY_REQUEST_NOT_FOUND` when there is none.
 *
 * @example
 * ```ts
 * import { getKeyRequest } from '@zrkit/core'
 * const { status } = await getKeyRequest(client, { id: requestId })
 * ```
 */
export function getKeyRequest(client: ClientBase, params: { id: number }): Promise<KeyRequest> {
  return getOrThrow(client, 'keyRequest', params, 'KEY_REQUEST_NOT_FOUND', 'Key request')
}

/**
 * Lists key requests by workspace, keyring, creator or status, a page at a time.
 *
 * @example
 * ```ts
 * import { listKeyRequests } from '@zrkit/core'
 * const { items } = await listKeyRequests(client, { keyring, status: 'pending' })
 * ```
 */
export function listKeyRequests(client: ClientBase, params: QueryParams<'keyRequests'> = {}): Promise<Page<KeyRequest>> {
  return client.ledger.query('keyRequests', params)
}

/**
 * Waits until a key request is fulfilled and returns it with its key; throws `REQUEST_REJECTED` (with
 * the reason) if it is rejected or expires.
 *
 * @example
 * ```ts
 * import { waitForKeyRequest } from '@zrkit/core'
 * const { key } = await waitForKeyRequest(alice, { requestId, timeoutMs: 10_000 })
 * key.publicKey // Uint8Array(33)
 * ```
 */
export function waitForKeyRequest(client: ClientBase, params: { requestId: number } & WaitOptions): Promise<{ request: KeyRequest; key: Key }> {
  let requestId: number
  let options: WaitOptions
  try {
    const { requestId: id, ...rest } = requireParams(params, 'waitForKeyRequest')
    requestId = requireId(id, 'requestId')
    options = rest
  } catch (e) {
    return Promise.reject(e)
  }
  return waitUntil(
    client,
    `key request ${requestId}`,
    // without onEvent, only the events that can settle the request are sent (over a network: a message each)
    { requestId, types: options.onEvent ? ['keyRequest.response', 'keyRequest.fulfilled', 'keyRequest.rejected'] : ['keyRequest.fulfilled', 'keyRequest.rejected'] },
    async () => {
      const request = await getKeyRequest(client, { id: requestId })
      if (request.status === 'pending') return undefined
      if (request.status === 'rejected') {
        throw new ZrError('REQUEST_REJECTED', `Key request ${requestId} was rejected.`, { details: request.rejectReason, context: { requestId, reason: request.rejectReason } })
      }
      return { request, key: await getKey(client, { id: request.keyId! }) }
    },
    options,
    // a response alone does not settle the request: ask the ledger again on fulfilled or rejected only
    (e) => e.type !== 'keyRequest.response',
  )
}

/**
 * Requests a key and waits for it: {@link requestKey} then {@link waitForKeyRequest}.
 *
 * @example
 * ```ts
 * import { createKey } from '@zrkit/core'
 * const key = await createKey(alice, { workspace, keyring, keyType: 'eddsa-ed25519' })
 * ```
 */
export async function createKey(client: ClientBase, params: RequestKeyParameters & Omit<WaitOptions, 'fromSeq'>): Promise<Key> {
  const { timeoutMs, signal, onEvent, ...request } = requireParams(params, 'createKey')
  const { requestId, receipt } = await requestKey(client, request)
  // watched from the request's own events: no status query, no first look at the request
  return (await waitForKeyRequest(client, { requestId, timeoutMs, signal, onEvent, ...fromReceipt(receipt) })).key
}

/**
 * Reads a key; `KEY_NOT_FOUND` when there is none. With `path`, also the child key at that path;
 * with `wallets`, the addresses of the key (or of the child) in those wallet types.
 *
 * @example
 * ```ts
 * import { getKey } from '@zrkit/core'
 * const { publicKey, keyType } = await getKey(client, { id: keyId })
 * const { addresses } = await getKey(client, { id: keyId, path: 'm/0/7', wallets: [{ type: 'evm' }, { type: 'bitcoin', network: 'testnet4' }] })
 * ```
 */
export function getKey(client: ClientBase, params: { id: number; path?: DerivationPath; wallets?: readonly WalletType[] }): Promise<KeyView> {
  return getOrThrow(client, 'key', params, 'KEY_NOT_FOUND', 'Key')
}

/**
 * Lists keys by workspace or keyring.
 *
 * @example
 * ```ts
 * import { listKeys } from '@zrkit/core'
 * const { items } = await listKeys(client, { workspace })
 * ```
 */
export function listKeys(client: ClientBase, params: QueryParams<'keys'> = {}): Promise<Page<Key>> {
  return client.ledger.query('keys', params)
}

/**
 * Posts this party's response to a key request, signed by the party over the request id and the
 * result. Keyring connectors call it; the client's account must be a party of the keyring.
 *
 * @example
 * ```ts
 * import { fulfilKeyRequest } from '@zrkit/core'
 * await fulfilKeyRequest(party, { requestId, result: { publicKey } })
 * await fulfilKeyRequest(party, { requestId, result: { rejectReason: 'unsupported key type' } })
 * ```
 */
export async function fulfilKeyRequest(client: ClientBase, params: { requestId: number; result: KeyRequestResult }): Promise<TxReceipt> {
  requireParams(params, 'fulfilKeyRequest')
  const account = requireAccount(client)
  const digest = partyResponseDigest({ chainId: client.ledger.chainId, kind: 'key', requestId: params.requestId, result: params.result })
  const partySignature = await account.sign(digest)
  return sendMessage(client, { msg: { type: 'treasury.FulfilKeyRequest', requestId: params.requestId, result: params.result, partySignature } })
}
