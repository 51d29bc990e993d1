import { getSignRequest, requestSignature, requestTransactionSignature, type RequestSignatureReturnType } from '../client/actions/signRequest.js'
import { revokeAction } from '../client/actions/policy.js'
import type { ClientBase } from '../client/sendMessage.js'
import type { DerivationPath } from '../derivation/derivationPath.js'
import { equalBytes } from '../encoding/bytes.js'
import { describeValue } from '../errors/describeValue.js'
import { ZrError } from '../errors/ZrError.js'

/** How a relayer or host signer asks for signatures (see `CreateRelayerParameters.requestKind`). */
export type RequestKind = 'auto' | 'transaction' | 'payloads'

/** Checks a `requestKind` option. */
export function checkRequestKind(v: unknown): RequestKind {
  if (v === undefined) return 'auto'
  if (v !== 'auto' && v !== 'transaction' && v !== 'payloads') throw new ZrError('INVALID_INPUT', 'Invalid requestKind.', { details: `expected 'auto', 'transaction' or 'payloads', got ${describeValue(v)}` })
  return v
}

/**
 * The chains whose transactions a ledger decodes, asked once per caller (again after a failed query): a
 * ledger's decoders are fixed by its genesis. Give it to {@link requestTransactionOrPayloads} as `decodes`.
 */
export function ledgerDecoders(client: ClientBase): () => Promise<readonly string[]> {
  let chains: Promise<readonly string[]> | undefined
  return () =>
    (chains ??= client.ledger.query('status', {}).then(
      (s) => (s.transactionDecoders ?? []).map((id) => id.split('@')[0]!),
      (e: unknown) => {
        chains = undefined
        throw e
      },
    ))
}

/**
 * Which request to make for a prepared transaction: `'transaction'` when there is one and the ledger
 * decodes its chain (or `kind` says so), else `'payloads'`. With `kind: 'transaction'` and no transaction,
 * or a ledger without the decoder, it throws `UNSUPPORTED_CHAIN` (call it before anything is recorded).
 */
export async function resolveRequestKind(
  kind: RequestKind,
  transaction: { readonly chain: string } | undefined,
  decodes: () => Promise<readonly string[]>,
  who: string,
): Promise<'transaction' | 'payloads'> {
  if (kind === 'payloads') return 'payloads'
  if (!transaction) {
    if (kind === 'auto') return 'payloads'
    throw new ZrError('UNSUPPORTED_CHAIN', 'No transaction for the ledger to decode.', { details: `requestKind 'transaction': expected a transaction from ${who}, got payloads only`, context: { chain: '', available: [] } })
  }
  const available = await decodes()
  if (available.includes(transaction.chain)) return 'transaction'
  if (kind === 'auto') return 'payloads'
  throw new ZrError('UNSUPPORTED_CHAIN', 'No transaction decoder for this chain.', {
    details: `requestKind 'transaction': expected a ledger that decodes ${transaction.chain} transactions, got one that decodes ${available.join(', ') || 'none (its genesis lists no transactionDecoders)'}`,
    context: { chain: transaction.chain, available: [...available] },
  })
}

/**
 * The one way zrkit's relayers and host signers ask for signatures: a sign-transaction request when
 * there is a transaction and the ledger decodes its chain (`kind: 'auto'`) or when told to
 * (`'transaction'`), else the payloads alone (opaque to policies). For a sign-transaction request the
 * ledger computes the payloads itself; they must equal `payloads` (what the caller will assemble with),
 * or `RELAY_MISMATCH` is thrown.
 */
export async function requestTransactionOrPayloads(
  client: ClientBase,
  params: {
    keyId: number
    path?: DerivationPath
    taproot?: { merkleRoot?: Uint8Array }
    payloads: readonly Uint8Array[]
    transaction?: { readonly chain: string; readonly unsignedTransaction: Uint8Array; readonly network?: string }
    kind: RequestKind
    decodes: () => Promise<readonly string[]>
    ttlMs?: number
    metadata?: Readonly<Record<string, string>>
    /** Names the caller in errors, e.g. `the eip155:1 adapter`. */
    who: string
  },
): Promise<RequestSignatureReturnType & { requestKind: 'transaction' | 'payloads' }> {
  const common = {
    keyId: params.keyId,
    ...(params.path !== undefined ? { path: params.path } : {}),
    ...(params.taproot !== undefined ? { taproot: params.taproot } : {}),
    ...(params.ttlMs !== undefined ? { ttlMs: params.ttlMs } : {}),
    ...(params.metadata !== undefined ? { metadata: params.metadata } : {}),
  }
  const kind = await resolveRequestKind(params.kind, params.transaction, params.decodes, params.who)
  const tx = params.transaction
  if (kind === 'payloads' || !tx) {
    return { ...(await requestSignature(client, { ...common, payloads: params.payloads })), requestKind: 'payloads' }
  }
  const submitted = await requestTransactionSignature(client, { ...common, chain: tx.chain, unsignedTransaction: tx.unsignedTransaction, ...(tx.network !== undefined ? { network: tx.network } : {}) })
  const request = await getSignRequest(client, { id: submitted.requestId })
  const same = request.payloads.length === params.payloads.length && request.payloads.every((p, i) => equalBytes(p, params.payloads[i]!))
  if (!same) {
    // nothing will be assembled from this request: withdraw it from the approvers while it still waits for them
    let withdrawn = false
    if (submitted.status === 'partial' && submitted.actionId !== undefined) {
      withdrawn = await revokeAction(client, { actionId: submitted.actionId }).then(
        () => true,
        () => false,
      )
    }
    throw new ZrError('RELAY_MISMATCH', 'The ledger computed other payloads for the transaction.', {
      details: `sign request ${submitted.requestId}: the ledger's ${tx.chain} decoder gives ${request.payloads.length} payload(s) that differ from the ${params.payloads.length} of ${params.who}${withdrawn ? `; its approval action ${submitted.actionId} was revoked` : ''}`,
      context: { requestId: submitted.requestId },
    })
  }
  return { ...submitted, requestKind: 'transaction' }
}
