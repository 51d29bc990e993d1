import { type AssembledTx, type ConfirmOptions, ZrError, isZrError, pollUntil, toHex } from '@zrkit/core'
import { Transaction } from 'bitcoinjs-lib'
import type { BitcoinBackend, BitcoinOutspend } from './backends/BitcoinBackend.js'
import { isConflictRefusal } from './backends/bitcoinRpcBackend.js'
import type { Outpoint } from './utxoLocks.js'

/** What `confirm` returns: where the transaction is, on the backend's best chain. */
export type BitcoinReceipt = {
  readonly txid: string
  readonly blockHash: string
  readonly blockHeight: number
  readonly confirmations: number
}

/** What the watcher needs besides the transaction. */
export type BitcoinWatchParameters = ConfirmOptions & {
  readonly backend: BitcoinBackend
  /** Blocks deep the transaction must be (1: in a block). */
  readonly confirmations: number
  /** How long a stall must last before it is reported (ms). */
  readonly stallAfterMs: number
  /** How often the backend is asked (ms). */
  readonly pollIntervalMs: number
  /** Default wait when `timeoutMs` is absent. */
  readonly defaultTimeoutMs: number
}

/** The inputs a signed transaction spends, or `undefined` for text that is not a raw transaction (a partly signed PSBT). */
export function signedInputs(tx: AssembledTx): Outpoint[] | undefined {
  if (!/^([0-9a-f]{2})+$/i.test(tx.signedTx)) return undefined
  try {
    return Transaction.fromHex(tx.signedTx).ins.map((i) => ({ txid: toHex(Uint8Array.from(i.hash).reverse()), vout: i.index }))
  } catch {
    return undefined
  }
}

/**
 * The first input of `tx` that another transaction spends (in the mempool or in a block), as the
 * backend sees it; `undefined` when none is, or when the backend cannot say (no `outspend`).
 */
export async function spentElsewhere(backend: BitcoinBackend, txid: string, inputs: readonly Outpoint[]): Promise<{ outpoint: Outpoint; spend: Extract<BitcoinOutspend, { state: 'spent' }> } | undefined> {
  if (!backend.outspend) return undefined
  for (const outpoint of inputs) {
    let spend: BitcoinOutspend
    try {
      spend = await backend.outspend(outpoint)
    } catch (e) {
      if (isZrError(e, 'UNSUPPORTED_CHAIN')) return undefined
      throw e
    }
    if (spend.state === 'spent' && spend.txid !== txid) return { outpoint, spend }
  }
  return undefined
}

/** `TX_REPLACED` for a transaction whose input another transaction spends. */
export function replacedError(txid: string, found: NonNullable<Awaited<ReturnType<typeof spentElsewhere>>>, nodeSaid?: string): ZrError {
  const { outpoint, spend } = found
  const by = spend.txid ? `transaction ${spend.txid}` : 'another transaction'
  return new ZrError('TX_REPLACED', 'Another transaction spent the inputs of this transaction.', {
    details: `input ${outpoint.txid}:${outpoint.vout} of transaction ${txid} is spent by ${by} ${spend.confirmed ? 'in a block' : 'in the mempool'}: transaction ${txid} can never land${nodeSaid ? `. The node said: ${nodeSaid}` : ''}`,
    context: { txid, ...(spend.txid ? { replacedBy: spend.txid } : {}) },
  })
}

/**
 * Sends a signed transaction: already known is success. A refusal is `TX_REPLACED` when another
 * transaction spends one of its inputs (the refusal says so, or the backend's `outspend` does), and
 * otherwise `BROADCAST_FAILED` (the first broadcast: the relay stays resumable) or, when `refusal` is
 * `'expired'` (a rebroadcast of a transaction the node lost), `TX_EXPIRED` with the node's reason.
 */
export async function sendSignedBitcoinTx(backend: BitcoinBackend, tx: AssembledTx, refusal: 'broadcast-failed' | 'expired'): Promise<void> {
  try {
    await backend.broadcast(tx.signedTx)
  } catch (e) {
    if (!isZrError(e, 'BROADCAST_FAILED')) throw e
    const inputs = signedInputs(tx) ?? []
    const found = await spentElsewhere(backend, tx.txid, inputs).catch(() => undefined)
    if (found) throw replacedError(tx.txid, found, e.details)
    if (isConflictRefusal(e.details ?? '')) {
      throw new ZrError('TX_REPLACED', 'Another transaction spent the inputs of this transaction.', {
        details: `the node refused transaction ${tx.txid} because another transaction spends its inputs: ${e.details}`,
        context: { txid: tx.txid },
        cause: e,
      })
    }
    if (refusal === 'broadcast-failed') throw e
    throw new ZrError('TX_EXPIRED', 'The node refused the transaction.', {
      details: `the node lost transaction ${tx.txid} and refused to take it again: ${e.details ?? e.shortMessage}; the relay ends and its coins are free for the next transaction on the key`,
      context: { txid: tx.txid },
      cause: e,
    })
  }
}

/**
 * Waits until a broadcast Bitcoin transaction is `confirmations` blocks deep on the backend's best
 * chain and returns where it is. On every poll it checks what a relayer left running meets:
 *
 * - confirmations are the depth on the best chain now, so a block that is reorganized away takes its
 *   confirmations with it (the node puts the transaction back in its mempool, or loses it: below);
 * - a transaction neither in the mempool nor in a block (evicted, the node restarted, its block
 *   reorganized away): when another transaction spends one of its inputs, `TX_REPLACED`; else it is
 *   sent again, the same bytes (`onProgress` `rebroadcast`), and a node that refuses it now ends it
 *   with `TX_EXPIRED` and the node's reason;
 * - a transaction in the mempool whose fee rate is below the mempool's minimum (it will be evicted,
 *   and miners skip it): once that has lasted `stallAfterMs` it is reported (`onProgress` `stalled`,
 *   `waitingFor: 'fee'`) and, unless `stalled: 'wait'`, thrown as `TX_STALLED`. So is a lost
 *   transaction that the node cannot be reached to take again (`waitingFor: 'dropped'`).
 *
 * Text that is not a raw transaction (a PSBT other keys must still sign) is only waited for.
 *
 * @example
 * ```ts
 * import { esploraBackend } from '@zrkit/relayer-bitcoin'
 * import { watchBitcoinTransaction } from './bitcoinTxWatch.js'
 *
 * const backend = esploraBackend({ url: 'https://mempool.space/signet/api' })
 * const receipt = await watchBitcoinTransaction(tx, { backend, confirmations: 2, stallAfterMs: 60_000, pollIntervalMs: 10_000, defaultTimeoutMs: 3_600_000 })
 * ```
 */
export async function watchBitcoinTransaction(tx: AssembledTx, p: BitcoinWatchParameters): Promise<BitcoinReceipt> {
  const { backend } = p
  const inputs = signedInputs(tx)
  const raw = inputs ? tx.signedTx : undefined
  let last = 'unknown'
  let stalledSince: { key: string; at: number; reported: boolean } | undefined

  const stall = (waitingFor: string, details: string, facts: Record<string, string | number>): undefined => {
    const key = `${waitingFor}:${JSON.stringify(facts)}`
    const now = Date.now()
    if (stalledSince?.key !== key) stalledSince = { key, at: now, reported: false }
    if (now - stalledSince.at < p.stallAfterMs) return undefined
    if (!stalledSince.reported) {
      stalledSince.reported = true
      p.onProgress?.({ type: 'stalled', waitingFor, details, facts })
    }
    if (p.stalled !== 'wait') throw new ZrError('TX_STALLED', `Transaction ${tx.txid} is not moving.`, { details, context: { txid: tx.txid, waitingFor, ...facts } })
    return undefined
  }

  const check = async (): Promise<BitcoinReceipt | undefined> => {
    const status = await backend.txStatus(tx.txid, raw)
    if (status.state === 'confirmed') {
      stalledSince = undefined
      last = `${status.confirmations} confirmation(s)`
      if (status.confirmations >= p.confirmations) return { txid: tx.txid, blockHash: status.blockHash, blockHeight: status.blockHeight, confirmations: status.confirmations }
      return undefined
    }
    if (status.state === 'mempool') {
      last = 'mempool'
      const minimum = status.feeRate !== undefined && backend.mempoolMinFeeRate ? await backend.mempoolMinFeeRate().catch(() => undefined) : undefined
      if (status.feeRate !== undefined && minimum !== undefined && status.feeRate < minimum) {
        last = `mempool, paying ${status.feeRate} sat/vB, below the mempool's minimum of ${minimum} sat/vB`
        return stall('fee', `transaction ${tx.txid} pays ${status.feeRate} sat/vB, below the ${minimum} sat/vB the node's mempool asks now: it may be evicted and is not mined until fees fall; speed it up (RBF) to move it`, { feeRate: status.feeRate, mempoolMinFeeRate: minimum })
      }
      stalledSince = undefined
      return undefined
    }
    // Neither in the mempool nor in a block.
    if (!inputs) return undefined // a PSBT: nothing to send again
    const found = await spentElsewhere(backend, tx.txid, inputs)
    if (found) {
      // Mined between our two reads? A last look decides.
      if ((await backend.txStatus(tx.txid, raw)).state !== 'unknown') return undefined
      throw replacedError(tx.txid, found)
    }
    try {
      await sendSignedBitcoinTx(backend, tx, 'expired')
    } catch (e) {
      if (isZrError(e, 'NODE_REQUEST_FAILED')) {
        last = `lost by the node, which could not be reached to take it again (${e.details ?? e.shortMessage})`
        return stall('dropped', `transaction ${tx.txid} is neither in a block nor in the mempool, and the ${backend.kind} backend could not be reached to send it again: ${e.details ?? e.shortMessage}`, {})
      }
      throw e
    }
    last = 'sent again after the node lost it'
    p.onProgress?.({ type: 'rebroadcast', reason: 'it was neither in a block nor in the mempool (evicted, the node restarted, or its block was reorganized away)' })
    return undefined
  }

  return pollUntil(check, {
    what: `transaction ${tx.txid}`,
    intervalMs: p.pollIntervalMs,
    timeoutMs: p.timeoutMs ?? p.defaultTimeoutMs,
    ...(p.signal ? { signal: p.signal } : {}),
    context: () => ({ txid: tx.txid, status: last }),
    timeoutDetails: () => `for ${p.confirmations} confirmation(s); the ${backend.kind} backend last saw it as ${last}${last === 'unknown' ? ' (dropped, replaced, or a node without -txindex that cannot find it)' : ''}`,
  })
}
