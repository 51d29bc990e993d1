import { type ClientBase, type DerivationSegment, type RelayEvent, type Relayer, ZrError, requestSignature, waitForSignRequest } from '@zrkit/core'
import {
  type Address,
  type Hex,
  type LocalAccount,
  type SignableMessage,
  type TransactionReceipt,
  type TransactionSerializable,
  type TypedDataDefinition,
  bytesToHex,
  hashMessage,
  hashTypedData,
  hexToBytes,
  isHex,
  serializeSignature,
} from 'viem'
import { toAccount } from 'viem/accounts'
import type { EvmTransactionIntent, EvmTransactionType } from './evmAdapter.js'
import type { EvmNonceManager } from './evmNonceManager.js'
import { toEvmSignature } from './signature.js'

/** How an account waits for signatures. */
export type EvmAccountOptions = {
  /** While a request still needs approvals: `'wait'` (default) for them, or `'fail'` at once with `APPROVAL_PENDING` (its `meta.requestId` says which request). */
  approvals?: 'wait' | 'fail'
  /** Give up waiting for approvals and the keyring after this many ms with `TIMEOUT` (default 60 000; 0 = never). */
  timeoutMs?: number
  /** Give up waiting when aborted, with `ABORTED`. */
  signal?: AbortSignal
  /** Sees the progress of each transaction it signs. */
  onEvent?: (event: RelayEvent) => void
}

/** What an account needs from its relayer. */
export type EvmAccountContext = {
  readonly client: ClientBase
  readonly keyId: number
  readonly path?: readonly DerivationSegment[]
  readonly address: Address
  readonly chainId: number
  readonly relayer: Relayer<EvmTransactionIntent, TransactionReceipt>
  readonly nonceManager: EvmNonceManager
  readonly disclose: boolean
}

/**
 * A viem `Account` whose every signature is a zrkit signature request: so `walletClient.sendTransaction`,
 * `writeContract`, `deployContract`, `signMessage` and `signTypedData` work unchanged, under the key's sign
 * policy. Transactions go through the relay pipeline: each is recorded in the relayer's journal before
 * its request is submitted, and takes its nonce from the relayer's nonce manager (so queued
 * transactions get consecutive nonces; a rejected one gives its nonce back). So on a ledger that runs the
 * `evm@1` decoder, `signTransaction` makes a sign-transaction request, which the sign policy judges by what
 * the transaction does (`tx.value <= 0.1 eth`), as the relayer's `requestKind` says. `sign`, `signMessage`
 * and `signTypedData` sign digests that are not transactions: they are always requests of the payload
 * alone, on which a policy's `tx.` conditions never hold (so they take the policy's other clauses).
 *
 * When a request needs approvals, the account waits for them (up to `timeoutMs`, or until `signal`
 * aborts) or, with `approvals: 'fail'`, throws `APPROVAL_PENDING` at once. Either way the request stays
 * on the ledger: finish a transaction later with `evm.resume({ requestId })` (it broadcasts it), or
 * withdraw it with `client.revokeAction({ actionId })`. Do not simply retry: that would be a second
 * request for a second transaction.
 *
 * Transactions are serialized with the relayer's chain (its public client's `chain.serializers`), not with a
 * serializer viem passes to `signTransaction`; the wallet client and the relayer must be on the same chain.
 * Signatures carry `yParity` = the recovery id; messages are signed as EIP-191 (`signMessage`) and EIP-712
 * (`signTypedData`) digests, returned as 65-byte `r||s||v` hex with `v` 27 or 28.
 *
 * @example
 * ```ts
 * import { createEvmRelayer } from '@zrkit/relayer-evm'
 * import { createWalletClient, http, parseEther } from 'viem'
 * import { sepolia } from 'viem/chains'
 *
 * const evm = await createEvmRelayer({ client: alice, publicClient, keyId })
 * const wallet = createWalletClient({ account: evm.toAccount({ timeoutMs: 10 * 60_000 }), chain: sepolia, transport: http(rpcUrl) })
 * const hash = await wallet.sendTransaction({ to: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', value: parseEther('0.01') })
 * const signature = await wallet.signMessage({ message: 'hello' })
 * ```
 */
export function evmAccount(context: EvmAccountContext, options: EvmAccountOptions = {}): LocalAccount {
  const { client, keyId, path, relayer } = context
  const approvals = options.approvals ?? 'wait'
  if (approvals !== 'wait' && approvals !== 'fail') throw new ZrError('INVALID_INPUT', 'Invalid account options.', { details: `approvals: expected 'wait' or 'fail', got ${JSON.stringify(approvals)}` })
  const wait = {
    approvals,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  }

  /** One digest signed by the key through a signature request, as viem's 65-byte hex. */
  const signDigest = async (digest: Hex, what: Record<string, string>): Promise<Hex> => {
    const metadata: Record<string, string> = context.disclose ? { 'zrkit.chain': `eip155:${context.chainId}`, ...what } : { 'zrkit.evm.sign': what['zrkit.evm.sign']! }
    const { requestId, status, actionId } = await requestSignature(client, { keyId, ...(path ? { path } : {}), payloads: [hexToBytes(digest)], metadata })
    if (approvals === 'fail' && status === 'partial') {
      throw new ZrError('APPROVAL_PENDING', `Signature request ${requestId} is waiting for approvals.`, {
        details: `action ${actionId} needs more approvals under the sign policy; waitForSignRequest({ requestId: ${requestId} }) returns the signature once approved`,
        context: { requestId, actionId },
      })
    }
    const { signatures } = await waitForSignRequest(client, { requestId, ...(wait.timeoutMs !== undefined ? { timeoutMs: wait.timeoutMs } : {}), ...(wait.signal ? { signal: wait.signal } : {}) })
    return serializeSignature(toEvmSignature(signatures[0]!))
  }

  return toAccount({
    address: context.address,
    nonceManager: context.nonceManager,
    async sign({ hash }) {
      if (!isHex(hash, { strict: true }) || hash.length !== 66) throw new ZrError('INVALID_INPUT', 'Invalid hash.', { details: `expected a 32-byte 0x hex hash, got ${JSON.stringify(String(hash).slice(0, 80))}` })
      return signDigest(hash, { 'zrkit.evm.sign': 'hash' })
    },
    async signMessage({ message }: { message: SignableMessage }) {
      return signDigest(hashMessage(message), { 'zrkit.evm.sign': 'personal_sign', 'zrkit.evm.message': preview(typeof message === 'string' ? message : typeof message.raw === 'string' ? message.raw : bytesToHex(message.raw)) })
    },
    async signTypedData(typedData) {
      const definition = typedData as TypedDataDefinition
      return signDigest(hashTypedData(definition), {
        'zrkit.evm.sign': 'eth_signTypedData_v4',
        'zrkit.evm.primaryType': String(definition.primaryType),
        'zrkit.evm.domain': preview(JSON.stringify(definition.domain ?? {}, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))),
      })
    },
    async signTransaction(transaction) {
      const intent = intentOf(transaction as TransactionSerializable)
      const { requestId } = await relayer.submit({ keyId, ...(path ? { path } : {}), intent })
      const signed = await relayer.sign({ requestId, ...wait, ...(options.onEvent ? { onEvent: options.onEvent } : {}) })
      return signed.signedTx as Hex
    },
  })
}

function preview(text: string): string {
  return text.length <= 1024 ? text : `${text.slice(0, 1021)}...`
}

/** A transaction as viem prepared it, as the relay pipeline's intent. */
function intentOf(tx: TransactionSerializable): EvmTransactionIntent {
  const t = tx as TransactionSerializable & { type?: string }
  const types: Record<string, EvmTransactionType> = { legacy: 'legacy', eip2930: 'eip2930', eip1559: 'eip1559' }
  if (t.type !== undefined && !types[t.type]) {
    throw new ZrError('INVALID_INPUT', 'Unsupported transaction type.', { details: `expected a legacy, eip2930 or eip1559 transaction, got ${t.type}` })
  }
  const type = t.type !== undefined ? types[t.type] : undefined
  // viem may fill fields of both fee models (eth_fillTransaction answers with gasPrice too): keep the type's
  const fees = type === 'eip1559' ? ['maxFeePerGas', 'maxPriorityFeePerGas'] : type ? ['gasPrice'] : ['gasPrice', 'maxFeePerGas', 'maxPriorityFeePerGas']
  const out: Record<string, unknown> = {}
  for (const k of ['to', 'value', 'data', 'nonce', 'gas', 'chainId', ...(type === 'legacy' ? [] : ['accessList']), ...fees]) {
    const v = (t as Record<string, unknown>)[k]
    if (v !== undefined && v !== null) out[k] = v
  }
  if (type !== undefined) out.type = type
  return out as EvmTransactionIntent
}
