import { type ClientBase, type DerivationSegment, ZrError, requestSignature, toHex, waitForSignRequest } from '@zrkit/core'
import { signatureProblem } from '@zrkit/core/internal'
import { base58 } from '@scure/base'
import { type Message, type PublicKey, Transaction, VersionedMessage, VersionedTransaction } from '@solana/web3.js'
import { buildTransaction } from './buildTransaction.js'
import { summarize } from './describe.js'
import type { SolanaCommitment, SolanaNetwork } from './network.js'

/**
 * A signer with the shape Solana wallet adapters have: `publicKey`, `signTransaction`,
 * `signAllTransactions`, `signMessage`. Code written for a wallet (Anchor's `Wallet`, a dApp's
 * `useWallet()` consumer) takes it unchanged.
 */
export type SolanaSigner = {
  readonly publicKey: PublicKey
  /** Signs a legacy `Transaction` or a `VersionedTransaction`; returns a signed copy of the same kind (the argument is not changed). */
  signTransaction<T extends Transaction | VersionedTransaction>(transaction: T): Promise<T>
  /** Signs several transactions with one signature request (one approval under the sign policy). */
  signAllTransactions<T extends Transaction | VersionedTransaction>(transactions: T[]): Promise<T[]>
  /** Signs bytes that are not a transaction (ed25519, 64 bytes). */
  signMessage(message: Uint8Array): Promise<Uint8Array>
}

/** How a signer waits for signatures. */
export type SolanaSignerOptions = {
  /** While a request still needs approvals: `'wait'` (default) for them, or `'fail'` at once with `APPROVAL_PENDING` (its `meta.requestId` says which request). */
  approvals?: 'wait' | 'fail'
  /** Give up waiting for approvals and the keyring after this many ms with `TIMEOUT` (default 60 000; 0 = never). */
  timeoutMs?: number
  /** Give up waiting when aborted, with `ABORTED`. */
  signal?: AbortSignal
}

/** What a signer needs. */
export type SolanaSignerContext = {
  readonly client: ClientBase
  readonly keyId: number
  readonly path?: readonly DerivationSegment[]
  /** The signing key (the child's at `path`). */
  readonly publicKey: PublicKey
  /** The cluster's CAIP-2 id, shown to approvers. */
  readonly chain: string
  /** Show approvers what each transaction does (default true). */
  readonly disclose: boolean
  /** Fills in the blockhash of legacy `Transaction`s that have none; reads lookup tables for the approvers' summary. */
  readonly network?: SolanaNetwork
  readonly commitment?: SolanaCommitment
}

const MAX_TRANSACTIONS = 64

const noNetwork: SolanaNetwork = {
  name: 'no network',
  getGenesisHash: () => Promise.reject(new Error('no network')),
  getLatestBlockhash: () => Promise.reject(new Error('this signer has no network to read a blockhash from: set recentBlockhash on the transaction')),
  isBlockhashValid: () => Promise.reject(new Error('no network')),
  getSlot: () => Promise.reject(new Error('no network')),
  getAccountInfo: () => Promise.reject(new Error('no network')),
  getMinimumBalanceForRentExemption: () => Promise.reject(new Error('no network')),
  sendRawTransaction: () => Promise.reject(new Error('no network')),
  getSignatureStatus: () => Promise.reject(new Error('no network')),
}

const preview = (text: string) => (text.length <= 1024 ? text : `${text.slice(0, 1021)}...`)

/** True when the bytes are a whole legacy or v0 transaction message: those are signed with signTransaction, never as a message. */
function isTransactionMessage(bytes: Uint8Array): boolean {
  try {
    const message = VersionedMessage.deserialize(bytes)
    const again = message.serialize()
    return again.length === bytes.length && again.every((b, i) => b === bytes[i])
  } catch {
    return false
  }
}

/**
 * A {@link SolanaSigner} whose every signature is a zrkit signature request for the key, under its sign
 * policy. Transactions keep their other signatures (checked first: one that does not verify is refused);
 * the key's signature is put in its slot. A transaction needs the key as one of its signers.
 *
 * When a request needs approvals, the signer waits for them (up to `timeoutMs`, or until `signal` aborts)
 * or, with `approvals: 'fail'`, throws `APPROVAL_PENDING` at once; the request stays on the ledger
 * (`waitForSignRequest({ requestId })` returns its signatures once approved).
 *
 * @example
 * ```ts
 * import { createSolanaRelayer } from '@zrkit/relayer-solana'
 * import { SystemProgram, Transaction } from '@solana/web3.js'
 *
 * const solana = await createSolanaRelayer({ client: alice, network: connection, keyId })
 * const wallet = solana.signer // { publicKey, signTransaction, signAllTransactions, signMessage }
 * const tx = new Transaction().add(SystemProgram.transfer({ fromPubkey: wallet.publicKey, toPubkey: to, lamports: 1_000 }))
 * tx.feePayer = wallet.publicKey
 * tx.recentBlockhash = (await connection.getLatestBlockhash()).blockhash
 * const signed = await wallet.signTransaction(tx)
 * await connection.sendRawTransaction(signed.serialize())
 * ```
 */
export function solanaSigner(context: SolanaSignerContext, options: SolanaSignerOptions = {}): SolanaSigner {
  const { client, keyId, path, publicKey: key } = context
  const approvals = options.approvals ?? 'wait'
  if (approvals !== 'wait' && approvals !== 'fail') throw new ZrError('INVALID_INPUT', 'Invalid signer options.', { details: `approvals: expected 'wait' or 'fail', got ${JSON.stringify(approvals)}` })
  const ctx = { network: context.network ?? noNetwork, commitment: context.commitment ?? 'confirmed' }

  /** One signature request for all the payloads; returns the key's signatures, each checked. */
  const sign = async (payloads: Uint8Array[], metadata: Record<string, string>): Promise<Uint8Array[]> => {
    const { requestId, status, actionId } = await requestSignature(client, { keyId, ...(path ? { path } : {}), payloads, metadata })
    if (approvals === 'fail' && status === 'partial') {
      throw new ZrError('APPROVAL_PENDING', `Signature request ${requestId} is waiting for approvals.`, {
        details: `action ${actionId} needs more approvals under the sign policy; waitForSignRequest({ requestId: ${requestId} }) returns the signatures once approved`,
        context: { requestId, actionId },
      })
    }
    const done = await waitForSignRequest(client, { requestId, ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}), ...(options.signal ? { signal: options.signal } : {}) })
    return payloads.map((payload, i) => {
      const signature = done.signatures[i]
      const problem = signature ? signatureProblem('eddsa-ed25519', key.toBytes(), payload, signature) : 'is missing'
      if (problem) throw new ZrError('INVALID_RESULT', 'The keyring returned a bad signature.', { details: `signature ${i} of request ${requestId} ${problem}`, context: { requestId } })
      return signature!
    })
  }

  const signTransactions = async <T extends Transaction | VersionedTransaction>(transactions: readonly T[]): Promise<T[]> => {
    const built = await Promise.all(
      transactions.map((transaction, i) =>
        buildTransaction({ transaction }, key, ctx, { complete: false }).catch((e: unknown) => {
          if (transactions.length > 1 && e instanceof ZrError) throw new ZrError(e.code, e.shortMessage, { details: `transactions[${i}]: ${e.details ?? ''}`, context: { ...e.context, index: i }, cause: e })
          throw e
        }),
      ),
    )
    const metadata: Record<string, string> = { 'zrkit.solana.sign': transactions.length === 1 ? 'transaction' : 'transactions' }
    if (context.disclose) {
      metadata['zrkit.chain'] = context.chain
      built.forEach((b, i) => {
        const summary = summarize({ message: b.wire.message, key, lifetime: b.lifetime, ...(b.instructions ? { instructions: b.instructions } : {}), lookupTables: b.lookupTables })
        if (transactions.length === 1) for (const [k, v] of Object.entries(summary).slice(0, 24)) metadata[`zrkit.tx.${k}`] = v
        else if (i < 28) metadata[`zrkit.tx.${i}`] = preview(Object.entries(summary).map(([k, v]) => `${k}=${v}`).join('; '))
      })
    }
    const signatures = await sign(built.map((b) => b.wire.messageBytes), metadata)
    return built.map((b, i) => {
      const signed = b.wire.tx.signatures.map((sig, j) => (j === b.keyIndex ? signatures[i]! : Uint8Array.from(sig)))
      // The same kind as given: a legacy Transaction over the same message, every signature in its place (all zeros: not signed yet).
      if (isLegacy(transactions[i])) return Transaction.populate(b.wire.message as Message, signed.map((sig) => base58.encode(sig))) as T
      return new VersionedTransaction(b.wire.message, signed) as T
    })
  }

  return Object.freeze({
    publicKey: key,
    async signTransaction<T extends Transaction | VersionedTransaction>(transaction: T): Promise<T> {
      return (await signTransactions([transaction]))[0]!
    },
    async signAllTransactions<T extends Transaction | VersionedTransaction>(transactions: T[]): Promise<T[]> {
      if (!Array.isArray(transactions) || transactions.length === 0 || transactions.length > MAX_TRANSACTIONS) {
        throw new ZrError('INVALID_INPUT', 'Invalid transactions.', { details: `expected an array of 1..${MAX_TRANSACTIONS} transactions, got ${Array.isArray(transactions) ? `${transactions.length}` : typeof transactions}` })
      }
      return signTransactions(transactions)
    },
    async signMessage(message: Uint8Array): Promise<Uint8Array> {
      if (!(message instanceof Uint8Array) || message.length === 0) throw new ZrError('INVALID_INPUT', 'Invalid message.', { details: `expected 1 or more bytes, got ${message instanceof Uint8Array ? '0 bytes' : typeof message}` })
      if (isTransactionMessage(message)) {
        throw new ZrError('INVALID_INPUT', 'These bytes are a Solana transaction.', { details: 'signMessage refuses bytes that are a transaction message, which its signature would authorize; use signTransaction, which shows approvers what the transaction does' })
      }
      const text = new TextDecoder('utf-8', { fatal: false }).decode(message)
      const metadata: Record<string, string> = { 'zrkit.solana.sign': 'message' }
      if (context.disclose) {
        metadata['zrkit.chain'] = context.chain
        metadata['zrkit.solana.message'] = preview(/^[\x20-\x7e\n\r\t]*$/.test(text) ? text : `0x${toHex(message)}`)
      }
      return (await sign([message], metadata))[0]!
    },
  })
}

function isLegacy(t: unknown): boolean {
  return t instanceof Transaction || (!!t && typeof t === 'object' && typeof (t as Transaction).compileMessage === 'function')
}
