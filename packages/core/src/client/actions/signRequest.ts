import { ZrError } from '../../errors/ZrError.js'
import { toBytes } from '../../encoding/bytes.js'
import { type DerivationPath, parseDerivationPath } from '../../derivation/derivationPath.js'
import type { TxReceipt } from '../../ledger/Ledger.js'
import type { SignRequestResult } from '../../ledger/messages.js'
import type { Page, QueryParams, SignTransactionPreview } from '../../ledger/queries.js'
import { partyResponseDigest } from '../../ledger/tx.js'
import type { SignRequest, SignRequestStatus } from '../../ledger/types.js'
import { type ClientBase, requireAccount, sendMessage } from '../sendMessage.js'
import { requireId, requireParams } from '../requireParams.js'
import { type WaitOptions, fromReceipt, waitUntil } from '../wait.js'
import { getOrThrow } from './get.js'

/** Parameters of {@link requestSignature}. */
export type RequestSignatureParameters = {
  keyId: number
  /** Sign with the child key at this path: `'m/0/7'`, a label like `'ethereum,1'`, or segments `[0, 'savings']`. */
  path?: DerivationPath
  /** For a Schnorr key: sign for its taproot output key (`{}` for BIP86 key-path outputs, or `{ merkleRoot }`). */
  taproot?: { merkleRoot?: Uint8Array }
  /** 32-byte digests for ECDSA keys; whole messages for EdDSA and Schnorr keys. Bytes or hex. */
  payloads: readonly (Uint8Array | string)[]
  /** Time the keyring has once the request is pending. */
  ttlMs?: number
  metadata?: Readonly<Record<string, string>>
}
/** Result of {@link requestSignature}: `partial` with an `actionId` when other approvers must agree. */
export type RequestSignatureReturnType = { requestId: number; status: SignRequestStatus; actionId?: number; receipt: TxReceipt }

/**
 * Asks for signatures over one or more payloads with a key. Under a sign policy that needs other
 * approvers, the request starts `partial` and names the action they approve.
 *
 * @example
 * ```ts
 * import { requestSignature } from '@zrkit/core'
 * import { sha256 } from '@noble/hashes/sha2.js'
 * const { requestId, status, actionId } = await requestSignature(alice, { keyId: key.id, payloads: [sha256(message)] })
 * ```
 */
export async function requestSignature(client: ClientBase, params: RequestSignatureParameters): Promise<RequestSignatureReturnType> {
  requireParams(params, 'requestSignature')
  // a non-array goes through as is, for the ledger to refuse with INVALID_PAYLOAD
  const payloads = (Array.isArray(params.payloads) ? params.payloads.map((p, i) => toBytes(p, `payload ${i}`)) : params.payloads) as Uint8Array[]
  const receipt = await sendMessage(client, {
    msg: {
      type: 'treasury.NewSignRequest',
      keyId: params.keyId,
      ...(params.path !== undefined ? { path: parseDerivationPath(params.path) } : {}),
      ...(params.taproot !== undefined ? { taproot: params.taproot } : {}),
      payloads,
      ...(params.ttlMs !== undefined ? { ttlMs: params.ttlMs } : {}),
      ...(params.metadata !== undefined ? { metadata: params.metadata } : {}),
    },
  })
  const actionId = receipt.result.actionId as number | undefined
  return { requestId: receipt.result.requestId as number, status: receipt.result.status as SignRequestStatus, ...(actionId !== undefined ? { actionId } : {}), receipt }
}

/** Parameters of {@link requestTransactionSignature}. */
export type RequestTransactionSignatureParameters = {
  keyId: number
  /** The ledger's decoder for the transaction: `'evm'`, `'bitcoin'`, `'solana'`, `'cosmos'` (see the ledger's genesis). */
  chain: string
  /**
   * The unsigned transaction, bytes or hex, exactly as its chain signs it: EVM serialized (legacy with
   * EIP-155 chain id, EIP-2930, EIP-1559), a Bitcoin PSBT with each input's previous output, a Solana
   * message (legacy or v0), a Cosmos `SignDoc`.
   */
  unsignedTransaction: Uint8Array | string
  /** Where the transaction does not say: Bitcoin `'mainnet' | 'testnet' | 'signet' | 'regtest'`; Solana `'devnet'`... */
  network?: string
  path?: DerivationPath
  taproot?: { merkleRoot?: Uint8Array }
  ttlMs?: number
  metadata?: Readonly<Record<string, string>>
}

/**
 * Asks for the signatures of an unsigned transaction. Unlike {@link requestSignature}, the ledger reads
 * the transaction: it checks it is for this key, computes the digests to sign itself (so what is signed
 * is what approvers see), and the sign policy can judge what it does (`tx.value <= 0.1 eth`,
 * `tx.to in allowlist(treasury)`). The request's `transaction` holds the decoded transaction and how each
 * condition came out; its action shows them to approvers.
 *
 * @example
 * ```ts
 * import { requestTransactionSignature, waitForSignRequest } from '@zrkit/core'
 * import { serializeTransaction } from 'viem'
 *
 * const unsignedTransaction = serializeTransaction({ chainId: 1, type: 'eip1559', to, value, nonce, gas: 21000n, maxFeePerGas, maxPriorityFeePerGas })
 * const { requestId, status } = await requestTransactionSignature(alice, { keyId: key.id, chain: 'evm', unsignedTransaction })
 * const { signatures, transaction } = await waitForSignRequest(alice, { requestId })
 * ```
 */
export async function requestTransactionSignature(client: ClientBase, params: RequestTransactionSignatureParameters): Promise<RequestSignatureReturnType> {
  requireParams(params, 'requestTransactionSignature')
  const receipt = await sendMessage(client, {
    msg: {
      type: 'treasury.NewSignTransactionRequest',
      ...transactionFields(params),
      ...(params.ttlMs !== undefined ? { ttlMs: params.ttlMs } : {}),
      ...(params.metadata !== undefined ? { metadata: params.metadata } : {}),
    },
  })
  const actionId = receipt.result.actionId as number | undefined
  return { requestId: receipt.result.requestId as number, status: receipt.result.status as SignRequestStatus, ...(actionId !== undefined ? { actionId } : {}), receipt }
}

/**
 * Shows what {@link requestTransactionSignature} would do, with nothing stored and nothing paid: the
 * payloads the ledger would sign, the transaction as it decodes it, how each condition of the sign policy
 * comes out, and whether the client's own approval lets it go ahead (`decision: 'approved'`), needs more
 * approvers (`'pending'`) or is refused (`'rejected'`), with the clause that decides (`decidedBy`).
 *
 * @example
 * ```ts
 * import { previewTransactionSignature } from '@zrkit/core'
 * const { decision, decidedBy, conditions } = await previewTransactionSignature(alice, { keyId: key.id, chain: 'evm', unsignedTransaction })
 * if (decision === 'pending') console.log(`needs more approvers: ${decidedBy}`) // 'pending: waiting for all([alice, bob])'
 * ```
 */
export async function previewTransactionSignature(client: ClientBase, params: Omit<RequestTransactionSignatureParameters, 'ttlMs' | 'metadata'>): Promise<SignTransactionPreview> {
  requireParams(params, 'previewTransactionSignature')
  return client.ledger.query('signTransactionPreview', { ...transactionFields(params), ...(client.account ? { creator: client.account.address } : {}) })
}

/** The transaction and key fields a sign-transaction request and its preview share, in the ledger's form. */
function transactionFields(params: Omit<RequestTransactionSignatureParameters, 'ttlMs' | 'metadata'>) {
  return {
    keyId: params.keyId,
    chain: params.chain,
    unsignedTransaction: toBytes(params.unsignedTransaction, 'unsignedTransaction'),
    ...(params.network !== undefined ? { network: params.network } : {}),
    ...(params.path !== undefined ? { path: parseDerivationPath(params.path) } : {}),
    ...(params.taproot !== undefined ? { taproot: params.taproot } : {}),
  }
}

/**
 * Reads a signature request; `SIGN_REQUEST_NOT_FOUND` when there is none.
 *
 * @example
 * ```ts
 * import { getSignRequest } from '@zrkit/core'
 * const { status, signatures } = await getSignRequest(client, { id: requestId })
 * ```
 */
export function getSignRequest(client: ClientBase, params: { id: number }): Promise<SignRequest> {
  return getOrThrow(client, 'signRequest', params, 'SIGN_REQUEST_NOT_FOUND', 'Signature request')
}

/**
 * Lists signature requests by workspace, keyring, key, creator or status.
 *
 * @example
 * ```ts
 * import { listSignRequests } from '@zrkit/core'
 * const { items } = await listSignRequests(client, { keyring, status: 'pending' })
 * ```
 */
export function listSignRequests(client: ClientBase, params: QueryParams<'signRequests'> = {}): Promise<Page<SignRequest>> {
  return client.ledger.query('signRequests', params)
}

/**
 * Waits through approvals and the keyring until a signature request is fulfilled; throws
 * `REQUEST_REJECTED` with the reason if it is rejected or expires. `onEvent` sees each step.
 *
 * @example
 * ```ts
 * import { waitForSignRequest } from '@zrkit/core'
 * const { signatures } = await waitForSignRequest(alice, { requestId, onEvent: (e) => console.log(e.type) })
 * ```
 */
export function waitForSignRequest(client: ClientBase, params: { requestId: number } & WaitOptions): Promise<SignRequest & { signatures: readonly Uint8Array[] }> {
  let requestId: number
  let options: WaitOptions
  try {
    const { requestId: id, ...rest } = requireParams(params, 'waitForSignRequest')
    requestId = requireId(id, 'requestId')
    options = rest
  } catch (e) {
    return Promise.reject(e)
  }
  return waitUntil(
    client,
    `signature request ${requestId}`,
    // without onEvent, only the events that can settle the request are sent (over a network: a message each)
    options.onEvent ? { requestId } : { requestId, types: ['signRequest.fulfilled', 'signRequest.rejected'] },
    async () => {
      const r = await getSignRequest(client, { id: requestId })
      if (r.status === 'fulfilled') return r as SignRequest & { signatures: readonly Uint8Array[] }
      if (r.status === 'rejected') {
        throw new ZrError('REQUEST_REJECTED', `Signature request ${requestId} was rejected.`, { details: r.rejectReason, context: { requestId, reason: r.rejectReason } })
      }
      return undefined
    },
    options,
    settlesRequest,
  )
}

/** Of the events about a request (all given to `onEvent`: its approval, responses, ...), the ones that can settle it: only they make the wait ask the ledger again. */
const settlesRequest = (e: { type: string }) => e.type === 'signRequest.fulfilled' || e.type === 'signRequest.rejected'

/**
 * Requests signatures and waits for them: {@link requestSignature} then {@link waitForSignRequest}.
 * Returns the signatures, one per payload.
 *
 * @example
 * ```ts
 * import { sign } from '@zrkit/core'
 * const [signature] = await sign(alice, { keyId: key.id, payloads: [digest] })
 * ```
 */
export async function sign(client: ClientBase, params: RequestSignatureParameters & Omit<WaitOptions, 'fromSeq'>): Promise<readonly Uint8Array[]> {
  const { timeoutMs, signal, onEvent, ...request } = requireParams(params, 'sign')
  const { requestId, receipt } = await requestSignature(client, request)
  // watched from the request's own events: no status query, no first look at the request
  return (await waitForSignRequest(client, { requestId, timeoutMs, signal, onEvent, ...fromReceipt(receipt) })).signatures
}

/**
 * Posts this party's response to a signature request, signed by the party over the request id and
 * the result. Keyring connectors call it.
 *
 * @example
 * ```ts
 * import { fulfilSignRequest } from '@zrkit/core'
 * await fulfilSignRequest(party, { requestId, result: { signatures } })
 * ```
 */
export async function fulfilSignRequest(client: ClientBase, params: { requestId: number; result: SignRequestResult }): Promise<TxReceipt> {
  requireParams(params, 'fulfilSignRequest')
  const account = requireAccount(client)
  const digest = partyResponseDigest({ chainId: client.ledger.chainId, kind: 'sign', requestId: params.requestId, result: params.result })
  const partySignature = await account.sign(digest)
  return sendMessage(client, { msg: { type: 'treasury.FulfilSignRequest', requestId: params.requestId, result: params.result, partySignature } })
}
