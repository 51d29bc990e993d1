import { type AssembledTx, type ConfirmOptions, ZrError, pollUntil } from '@zrkit/core'
import {
  type Address,
  type Client,
  type Hex,
  type TransactionReceipt,
  BaseError,
  HttpRequestError,
  TimeoutError,
  WebSocketRequestError,
  getAddress,
  parseTransaction,
  recoverTransactionAddress,
} from 'viem'
import { getBlock, getBlockNumber, getTransaction, getTransactionCount, getTransactionReceipt, sendRawTransaction } from 'viem/actions'
import type { EvmNonceManager } from './evmNonceManager.js'

/** What the watcher needs to know besides the transaction. */
export type EvmWatchParameters = ConfirmOptions & {
  readonly client: Client
  readonly chainId: number
  readonly nonceManager: EvmNonceManager
  /** Blocks deep the transaction must be (1: in a block). */
  readonly confirmations: number
  /** How long a stall must last before it is reported (ms). */
  readonly stallAfterMs: number
  /** Default wait when `timeoutMs` is absent. */
  readonly defaultTimeoutMs: number
}

/** How nodes say they already have a transaction (geth, erigon, nethermind, anvil, besu). */
const ALREADY_KNOWN = /already known|known transaction|already imported|alreadyknown|transaction already exists/i

/** The facts of a signed EVM transaction that the watcher uses. */
type Facts = { readonly hash: Hex; readonly from: Address; readonly nonce: number; readonly feeCap: bigint }

/** A node's refusal of a transaction, as opposed to a node that could not be reached. */
export function isTransportFailure(e: unknown): boolean {
  return e instanceof HttpRequestError || e instanceof TimeoutError || e instanceof WebSocketRequestError || (e instanceof BaseError && (e.walk((c) => c instanceof HttpRequestError || c instanceof TimeoutError) !== null))
}

/** The node's own words for an error. */
export function describeNodeError(e: unknown): string {
  if (e instanceof BaseError) return e.details || e.shortMessage
  return e instanceof Error ? e.message : String(e)
}

/** The sender, nonce and fee cap of a signed transaction. */
export async function signedTxFacts(tx: AssembledTx): Promise<Facts> {
  const parsed = parseTransaction(tx.signedTx as Hex)
  const from = getAddress(await recoverTransactionAddress({ serializedTransaction: tx.signedTx as never }))
  const feeCap = parsed.maxFeePerGas ?? parsed.gasPrice ?? 0n
  return { hash: tx.txid as Hex, from, nonce: parsed.nonce ?? 0, feeCap }
}

/** The claim a transaction makes on its account's nonce: the same string in the journal and the request metadata. */
export function nonceClaim(chainId: number, from: string, nonce: number): string {
  return `eip155:${chainId}/${from.toLowerCase()}/nonce/${nonce}`
}

/**
 * Sends a signed transaction, or learns that it can never be sent. Already known to the node is
 * success. A refusal is `TX_REPLACED` when the account's nonce has moved past the transaction's (another
 * transaction took it), else `TX_EXPIRED` with the node's reason (the relay ends and its nonce is free for
 * the next transaction); a node that cannot be reached is `BROADCAST_FAILED` (try again later).
 */
export async function sendSignedTx(client: Client, tx: AssembledTx, facts: Facts): Promise<void> {
  if (await isKnown(client, facts.hash)) return
  try {
    await sendRawTransaction(client, { serializedTransaction: tx.signedTx as Hex })
  } catch (cause) {
    if (isTransportFailure(cause)) {
      throw new ZrError('BROADCAST_FAILED', 'The node could not be reached to send the transaction.', { details: describeNodeError(cause), context: { txid: facts.hash }, cause })
    }
    // Sent before (a crash, a retry) and already in the pool or in a block: that is success. (A node behind
    // a load balancer may say "already known" while another one says it has never seen it.)
    if (ALREADY_KNOWN.test(describeNodeError(cause)) || (await isKnown(client, facts.hash).catch(() => false))) return
    const used = await getTransactionCount(client, { address: facts.from, blockTag: 'latest' }).catch(() => undefined)
    if (used !== undefined && used > facts.nonce && !(await receiptOf(client, facts.hash).catch(() => undefined))) {
      throw new ZrError('TX_REPLACED', 'Another transaction used this transaction\'s nonce.', {
        details: `nonce ${facts.nonce} of ${facts.from} is used on chain by another transaction (the account's next nonce is ${used}); transaction ${facts.hash} can never land. The node said: ${describeNodeError(cause)}`,
        context: { txid: facts.hash },
        cause,
      })
    }
    throw new ZrError('TX_EXPIRED', 'The node refused the transaction.', {
      details: `the node refused transaction ${facts.hash} (nonce ${facts.nonce} of ${facts.from}): ${describeNodeError(cause)}; the relay ends and nonce ${facts.nonce} is free for the next transaction on the key, which replaces this one`,
      context: { txid: facts.hash },
      cause,
    })
  }
}

/**
 * Waits until a broadcast transaction is `confirmations` blocks deep on the node's canonical chain and
 * returns its receipt. On every poll it checks what a relayer left running meets:
 *
 * - a receipt whose block is no longer canonical (a reorganization): the transaction counts as not mined;
 * - a transaction neither in a block nor in the node's pool (evicted, the node restarted, its block
 *   reorganized away): when its nonce is still free it is sent again, the same signed bytes
 *   (`onProgress` `rebroadcast`; its nonce is held again); when another transaction used the nonce,
 *   `TX_REPLACED`; when the node refuses it now, `TX_EXPIRED` (see {@link sendSignedTx});
 * - a transaction in the pool that cannot be mined now: an earlier nonce of the account is missing
 *   (`nonce-gap`), or its fee cap is below the base fee (`fee`). Once that has lasted `stallAfterMs`, it is
 *   reported (`onProgress` `stalled`) and, unless `stalled: 'wait'`, thrown as `TX_STALLED`.
 */
export async function watchEvmTransaction(tx: AssembledTx, p: EvmWatchParameters): Promise<TransactionReceipt> {
  const { client } = p
  const facts = await signedTxFacts(tx)
  const timeout = p.timeoutMs ?? p.defaultTimeoutMs
  let stalledSince: { key: string; at: number; reported: boolean } | undefined
  let lastSeen = 'nothing yet'

  const stall = (waitingFor: string, details: string, extra: Record<string, string | number>): undefined => {
    const now = Date.now()
    if (stalledSince?.key !== `${waitingFor}:${JSON.stringify(extra)}`) stalledSince = { key: `${waitingFor}:${JSON.stringify(extra)}`, at: now, reported: false }
    if (now - stalledSince.at < p.stallAfterMs) return undefined
    if (!stalledSince.reported) {
      stalledSince.reported = true
      p.onProgress?.({ type: 'stalled', waitingFor, details, facts: extra })
    }
    if (p.stalled !== 'wait') {
      throw new ZrError('TX_STALLED', `Transaction ${facts.hash} is not moving.`, {
        details,
        context: { txid: facts.hash, waitingFor, from: facts.from, nonce: facts.nonce, ...extra },
      })
    }
    return undefined
  }

  const check = async (): Promise<TransactionReceipt | undefined> => {
    const receipt = await receiptOf(client, facts.hash)
    if (receipt) {
      const [head, block] = await Promise.all([getBlockNumber(client, { cacheTime: 0 }), getBlock(client, { blockNumber: receipt.blockNumber }).catch(() => undefined)])
      if (block?.hash === receipt.blockHash) {
        stalledSince = undefined
        const depth = Number(head - receipt.blockNumber) + 1
        lastSeen = `in block ${receipt.blockNumber}, ${depth} of ${p.confirmations} confirmation(s)`
        return depth >= p.confirmations ? receipt : undefined
      }
      lastSeen = `its block ${receipt.blockNumber} was reorganized away`
      // The node may still return the old receipt for a moment after a reorganization: fall through.
    }
    const pooled = await getTransaction(client, { hash: facts.hash }).catch((e) => {
      if (e instanceof BaseError && e.name === 'TransactionNotFoundError') return undefined
      throw e
    })
    if (pooled && pooled.blockNumber !== null && pooled.blockNumber !== undefined) return undefined // mined since: the next poll reads its receipt
    const used = await getTransactionCount(client, { address: facts.from, blockTag: 'latest' })
    if (!pooled) {
      if (used > facts.nonce) {
        // Mined between our two reads, or replaced: a last look at the receipt decides.
        if (await receiptOf(client, facts.hash)) return undefined
        throw new ZrError('TX_REPLACED', "Another transaction used this transaction's nonce.", {
          details: `nonce ${facts.nonce} of ${facts.from} is used on chain by another transaction (the account's next nonce is ${used}); transaction ${facts.hash} can never land`,
          context: { txid: facts.hash },
        })
      }
      // Lost by the node (evicted, restarted, reorganized away) and its nonce still free: send it again.
      p.nonceManager.hold({ address: facts.from, chainId: p.chainId, nonce: facts.nonce })
      try {
        await sendSignedTx(client, tx, facts)
      } catch (e) {
        if (e instanceof ZrError && e.code === 'BROADCAST_FAILED') {
          lastSeen = `the node lost it and could not be reached to take it again (${e.details})`
          return stall('dropped', `transaction ${facts.hash} is neither in a block nor in the node's pool, and the node could not be reached to send it again: ${e.details}`, {})
        }
        throw e
      }
      lastSeen = 'sent again after the node lost it'
      p.onProgress?.({ type: 'rebroadcast', reason: receipt ? `its block ${receipt.blockNumber} was reorganized away` : "it was neither in a block nor in the node's pool" })
      return undefined
    }
    // In the pool, not mined: is anything keeping it out of the next block?
    if (used < facts.nonce) {
      const pending = await getTransactionCount(client, { address: facts.from, blockTag: 'pending' })
      if (pending <= facts.nonce) {
        lastSeen = `in the pool behind missing nonce ${pending}`
        return stall('nonce-gap', `transaction ${facts.hash} has nonce ${facts.nonce}, but nonce ${pending} of ${facts.from} is neither mined nor in the node's pool: it waits for a transaction with nonce ${pending}`, { missingNonce: pending, missingClaim: nonceClaim(p.chainId, facts.from, pending) })
      }
    }
    const latest = await getBlock(client, { blockTag: 'latest' })
    if (typeof latest.baseFeePerGas === 'bigint' && facts.feeCap < latest.baseFeePerGas) {
      lastSeen = `in the pool with a fee cap below the base fee`
      return stall('fee', `transaction ${facts.hash} offers at most ${facts.feeCap} wei per gas, below the base fee of ${latest.baseFeePerGas}: it waits for the base fee to fall (or a replacement with a higher fee)`, { maxFeePerGas: facts.feeCap.toString(), baseFeePerGas: latest.baseFeePerGas.toString() })
    }
    stalledSince = undefined
    lastSeen = 'in the pool'
    return undefined
  }

  // A node that cannot be reached for a moment is waited for, as a slow block is.
  const tolerant = async () => {
    try {
      return await check()
    } catch (e) {
      if (!isTransportFailure(e)) throw e
      lastSeen = `the node could not be reached (${describeNodeError(e)})`
      return undefined
    }
  }

  return pollUntil(tolerant, {
    what: `transaction ${facts.hash}`,
    intervalMs: client.pollingInterval ?? 4_000,
    timeoutMs: timeout,
    ...(p.signal !== undefined ? { signal: p.signal } : {}),
    timeoutDetails: () => `waited for ${p.confirmations} confirmation(s); last seen: ${lastSeen}`,
    context: { txid: facts.hash },
  })
}

async function receiptOf(client: Client, hash: Hex): Promise<TransactionReceipt | undefined> {
  try {
    return await getTransactionReceipt(client, { hash })
  } catch (e) {
    if (e instanceof BaseError && e.name === 'TransactionReceiptNotFoundError') return undefined
    throw e
  }
}

async function isKnown(client: Client, hash: Hex): Promise<boolean> {
  try {
    await getTransaction(client, { hash })
    return true
  } catch (e) {
    if (e instanceof BaseError && e.name === 'TransactionNotFoundError') return false
    throw e
  }
}
