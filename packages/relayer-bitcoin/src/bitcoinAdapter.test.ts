import { isZrError } from '@zrkit/core'
import { describe, expect, it } from 'vitest'
import type { BitcoinBackend, BitcoinTxStatus } from './backends/BitcoinBackend.js'
import { bitcoinAdapter } from './bitcoinAdapter.js'

/** A backend that only answers txStatus: unknown for the first `unknownPolls` polls, then confirmed. */
function statusBackend(unknownPolls: number) {
  let polls = 0
  const backend: BitcoinBackend = {
    kind: 'test',
    genesisHash: async () => '',
    tipHeight: async () => 0,
    utxos: async () => [],
    feeRate: async () => undefined,
    broadcast: async () => {},
    async txStatus(): Promise<BitcoinTxStatus> {
      return ++polls <= unknownPolls ? { state: 'unknown' } : ({ state: 'confirmed', confirmations: 1, blockHash: '00'.repeat(32), blockHeight: 5 } as BitcoinTxStatus)
    },
  }
  return { backend, polls: () => polls }
}

const tx = { signedTx: '00', txid: 'ab'.repeat(32) }

describe('bitcoinAdapter.confirm waits as every relayer does', () => {
  it('timeoutMs 0 waits for ever (it used to mean the default): it outlasts a 50 ms default', async () => {
    const { backend, polls } = statusBackend(12)
    const adapter = bitcoinAdapter({ network: 'regtest', backend, pollIntervalMs: 10, confirmTimeoutMs: 50 })
    expect(await adapter.confirm(tx, { timeoutMs: 0 })).toEqual({ txid: tx.txid, blockHash: '00'.repeat(32), blockHeight: 5, confirmations: 1 })
    expect(polls()).toBe(13)
  })

  it('absent, the default applies: TIMEOUT naming what the backend last saw; an abort is ABORTED', async () => {
    const adapter = bitcoinAdapter({ network: 'regtest', backend: statusBackend(1_000).backend, pollIntervalMs: 10, confirmTimeoutMs: 50 })
    const timedOut = await adapter.confirm(tx, {}).catch((e: unknown) => e)
    expect(isZrError(timedOut, 'TIMEOUT')).toBe(true)
    expect((timedOut as { details: string }).details).toMatch(/^waited 50 ms for 1 confirmation\(s\); the test backend last saw it as unknown/)
    expect((timedOut as { meta: unknown }).meta).toEqual({ txid: tx.txid, status: 'unknown' })
    const aborted = await adapter.confirm(tx, { timeoutMs: 0, signal: AbortSignal.timeout(30) }).catch((e: unknown) => e)
    expect(isZrError(aborted, 'ABORTED')).toBe(true)
  })
})

describe('bitcoinAdapter.confirm says when a transaction is not moving', () => {
  const pooled = (feeRate: number, minimum: number): BitcoinBackend => ({
    ...statusBackend(0).backend,
    txStatus: async () => ({ state: 'mempool', feeRate }),
    mempoolMinFeeRate: async () => minimum,
  })

  it('a fee rate below the mempool minimum: a stalled report after stallAfterMs, then TX_STALLED naming the fee; with stalled: wait, it keeps waiting', async () => {
    const adapter = bitcoinAdapter({ network: 'regtest', backend: pooled(1, 2.5), pollIntervalMs: 10, stallAfterMs: 40 })
    const seen: unknown[] = []
    const e = await adapter.confirm(tx, { timeoutMs: 5_000, onProgress: (p) => seen.push(p) }).catch((x: unknown) => x)
    expect(isZrError(e, 'TX_STALLED')).toBe(true)
    expect((e as { context: unknown }).context).toMatchObject({ txid: tx.txid, waitingFor: 'fee', feeRate: 1, mempoolMinFeeRate: 2.5 })
    expect(seen).toEqual([expect.objectContaining({ type: 'stalled', waitingFor: 'fee' })])
    const waited = await adapter.confirm(tx, { timeoutMs: 200, stalled: 'wait' }).catch((x: unknown) => x)
    expect(isZrError(waited, 'TIMEOUT')).toBe(true)
  })

  it('a fee rate at or above the minimum is not a stall', async () => {
    const adapter = bitcoinAdapter({ network: 'regtest', backend: pooled(3, 2.5), pollIntervalMs: 10, stallAfterMs: 0 })
    const e = await adapter.confirm(tx, { timeoutMs: 100 }).catch((x: unknown) => x)
    expect(isZrError(e, 'TIMEOUT')).toBe(true)
  })
})
