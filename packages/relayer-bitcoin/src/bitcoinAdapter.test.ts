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
