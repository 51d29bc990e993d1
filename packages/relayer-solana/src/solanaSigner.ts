import { type ClientBase, type DerivationSegment, ZrError, requestSignature, toHex, waitForSignRequest } from '@zrkit/core'
import { checkRequestKind, ledgerDecoders, requestTransactionOrPayloads, signatureProblem } from '@zrkit/core/internal'
import { base58 } from '@scure/base'
import { type Message, type PublicKey, Transaction, VersionedMessage, VersionedTransaction } from '@solana/web3.js'
import { buildTransaction } from './buildTransaction.js'
import { summarize } from './describe.js'
import { ledgerTransaction, refusalText } from './ledgerTransaction.js'
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
  /**
   * Signs several transactions: with one signature request of their payloads (one approval under the
   * sign policy), or, on a ledger that runs the Solana decoder, one sign-transaction request each, which
   * the policy judges one by one (see {@link SolanaSignerOptions.requestKind}).
   */
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
  /**
   * How signatures are asked for. `'auto'` (default): each transaction the ledger's Solana decoder reads
   * (the key pays its fee) gets a sign-transaction request of its own when the ledger runs that decoder, so
   * the sign policy judges what it does (`tx.value <= 0.1 sol`); the others, or all of them on a ledger
   * without the decoder, share one request of the payloads alone. `'transaction'`: always sign-transaction
   * requests (`INVALID_TRANSACTION` before anything is requested for a transaction the decoder cannot read,
   * `UNSUPPORTED_CHAIN` on a ledger that does not run the decoder). `'payloads'`: one request
   * of the payloads alone, opaque to policies, as on a ledger without the decoder.
   */
  requestKind?: 'auto' | 'transaction' | 'payloads'
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
 * On a ledger that runs the Solana decoder (genesis `transactionDecoders: ['solana@1']`), each
 * transaction the key pays for is a sign-transaction request: the ledger reads the message, computes
 * the payload itself (it must be the message the signer assembles with, else `RELAY_MISMATCH`) and the
 * sign policy judges what it does. Elsewhere, and with `requestKind: 'payloads'`, the payloads alone are
 * requested, opaque to policies. The cluster is named from the context's `chain`: `'mainnet-beta'`,
 * `'devnet'`, `'testnet'`, or `'localnet'` for any other.
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
  const requestKind = checkRequestKind(options.requestKind)
  const decodes = ledgerDecoders(client)
  const ctx = { network: context.network ?? noNetwork, commitment: context.commitment ?? 'confirmed' }

  type Built = Awaited<ReturnType<typeof buildTransaction>>
  /** One signature request; `indexes` are the positions of its transactions in the batch. */
  type Request = { requestId: number; status: string; actionId?: number; indexes: readonly number[]; payloads: readonly Uint8Array[] }

  /** Waits for every request (or refuses at once with `approvals: 'fail'`); returns the key's signatures in payload order, each checked. */
  const collect = async (requests: readonly Request[], count: number): Promise<Uint8Array[]> => {
    const waiting = requests.filter((r) => r.status === 'partial')
    if (approvals === 'fail' && waiting.length) {
      const [first] = waiting
      const which = waiting.map((r) => `request ${r.requestId} (action ${r.actionId ?? '?'})`).join(', ')
      throw new ZrError('APPROVAL_PENDING', `Signature request ${first!.requestId} is waiting for approvals.`, {
        details: `${which} ${waiting.length === 1 ? 'needs' : 'need'} more approvals under the sign policy; waitForSignRequest({ requestId }) returns the signatures once approved`,
        context: { requestId: first!.requestId, ...(first!.actionId !== undefined ? { actionId: first!.actionId } : {}) },
      })
    }
    const wait = { ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}), ...(options.signal ? { signal: options.signal } : {}) }
    const out: Uint8Array[] = new Array(count)
    await Promise.all(
      requests.map(async ({ requestId, indexes, payloads }) => {
        const done = await waitForSignRequest(client, { requestId, ...wait })
        payloads.forEach((payload, i) => {
          const signature = done.signatures[i]
          const problem = signature ? signatureProblem('eddsa-ed25519', key.toBytes(), payload, signature) : 'is missing'
          if (problem) throw new ZrError('INVALID_RESULT', 'The keyring returned a bad signature.', { details: `signature ${i} of request ${requestId} ${problem}`, context: { requestId } })
          out[indexes[i]!] = signature!
        })
      }),
    )
    return out
  }

  /** What approvers read about the transactions at `indexes` of a batch of `total`. */
  const transactionMetadata = (built: readonly Built[], indexes: readonly number[], total: number): Record<string, string> => {
    const metadata: Record<string, string> = { 'zrkit.solana.sign': indexes.length === 1 ? 'transaction' : 'transactions' }
    if (!context.disclose) return metadata
    metadata['zrkit.chain'] = context.chain
    if (indexes.length === 1 && total > 1) metadata['zrkit.solana.batch'] = `${indexes[0]! + 1} of ${total}`
    for (const i of indexes) {
      const b = built[i]!
      const summary = summarize({ message: b.wire.message, key, lifetime: b.lifetime, ...(b.instructions ? { instructions: b.instructions } : {}), lookupTables: b.lookupTables })
      if (indexes.length === 1) for (const [k, v] of Object.entries(summary).slice(0, 24)) metadata[`zrkit.tx.${k}`] = v
      else if (i < 28) metadata[`zrkit.tx.${i}`] = preview(Object.entries(summary).map(([k, v]) => `${k}=${v}`).join('; '))
    }
    return metadata
  }

  /** One request of the payloads alone, for the transactions at `indexes`. */
  const payloadRequest = async (built: readonly Built[], indexes: readonly number[]): Promise<Request> => {
    const payloads = indexes.map((i) => built[i]!.wire.messageBytes)
    const { requestId, status, actionId } = await requestSignature(client, { keyId, ...(path ? { path } : {}), payloads, metadata: transactionMetadata(built, indexes, built.length) })
    return { requestId, status, ...(actionId !== undefined ? { actionId } : {}), indexes, payloads }
  }

  /**
   * The requests for a batch. A transaction the ledger's decoder reads (the key pays its fee) gets a
   * sign-transaction request of its own when the ledger runs the decoder (or `requestKind: 'transaction'`
   * says so): the ledger computes its payload and the sign policy judges what it does. The others, or all
   * of them on a ledger without the decoder, share one request of the payloads alone.
   */
  const requestAll = async (built: readonly Built[]): Promise<Request[]> => {
    const all = built.map((_, i) => i)
    if (requestKind === 'payloads') return [await payloadRequest(built, all)]
    const offers = built.map((b) => ledgerTransaction(b.wire.messageBytes, key.toBytes(), context.chain))
    if (requestKind === 'transaction') {
      const i = offers.findIndex((o) => 'refusal' in o)
      const refused = offers[i]
      if (refused && 'refusal' in refused) {
        const e = refused.refusal
        throw new ZrError('INVALID_TRANSACTION', 'The ledger cannot decode the transaction.', {
          details: `${built.length > 1 ? `transactions[${i}]: ` : ''}requestKind 'transaction' needs a transaction the ledger's Solana decoder reads, got one it refuses: ${refusalText(e)}; use requestKind 'auto' or 'payloads'`,
          context: { chain: 'solana' },
          cause: e,
        })
      }
    }
    const decodable = all.filter((i) => 'transaction' in offers[i]!)
    if (decodable.length === 0 || (requestKind === 'auto' && !(await decodes()).includes('solana'))) return [await payloadRequest(built, all)]
    const requests: Request[] = []
    for (const i of decodable) {
      const offer = offers[i]!
      const payloads = [built[i]!.wire.messageBytes]
      const submitted = await requestTransactionOrPayloads(client, {
        keyId,
        ...(path ? { path } : {}),
        payloads,
        ...('transaction' in offer ? { transaction: offer.transaction } : {}),
        kind: requestKind,
        decodes,
        metadata: transactionMetadata(built, [i], built.length),
        who: 'the Solana signer',
      })
      requests.push({ requestId: submitted.requestId, status: submitted.status, ...(submitted.actionId !== undefined ? { actionId: submitted.actionId } : {}), indexes: [i], payloads })
    }
    const rest = all.filter((i) => !decodable.includes(i))
    if (rest.length) requests.push(await payloadRequest(built, rest))
    return requests
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
    const signatures = await collect(await requestAll(built), built.length)
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
      const { requestId, status, actionId } = await requestSignature(client, { keyId, ...(path ? { path } : {}), payloads: [message], metadata })
      return (await collect([{ requestId, status, ...(actionId !== undefined ? { actionId } : {}), indexes: [0], payloads: [message] }], 1))[0]!
    },
  })
}

function isLegacy(t: unknown): boolean {
  return t instanceof Transaction || (!!t && typeof t === 'object' && typeof (t as Transaction).compileMessage === 'function')
}
