/**
 * The chain connection over cosmjs. No Cosmos node runs here, so `stargateChain` is checked against an
 * object with a StargateClient's methods (how it maps accounts, CheckTx refusals and lookups), and
 * `connectCosmosChain` only for its errors; talking to a real node's RPC is exercised only against a real
 * node (see the README's testnet walk-through).
 */
import { isZrError } from '@zrkit/core'
import { BroadcastTxError, type StargateClient } from '@cosmjs/stargate'
import { describe, expect, it } from 'vitest'
import { connectCosmosChain, stargateChain } from './cosmosChain.js'

function clientLike(broadcast: (tx: Uint8Array) => Promise<string>): StargateClient {
  return {
    getChainId: async () => 'osmo-test-5',
    getAccount: async (address: string) => (address === 'osmo1known' ? { address, pubkey: null, accountNumber: 42n, sequence: 7 } : null),
    broadcastTxSync: broadcast,
    getTx: async (hash: string) => (hash === 'AB' ? { height: 3, txIndex: 0, hash, code: 0, events: [], rawLog: '', tx: new Uint8Array(), msgResponses: [], gasUsed: 1n, gasWanted: 2n } : null),
  } as unknown as StargateClient
}

describe('stargateChain', () => {
  it('maps accounts, lookups and CheckTx results', async () => {
    const sent: Uint8Array[] = []
    const chain = stargateChain(
      clientLike(async (tx) => {
        sent.push(tx)
        if (tx[0] === 1) throw new BroadcastTxError(32, 'sdk', 'account sequence mismatch, expected 7, got 6')
        return 'HASH'
      }),
    )
    expect(await chain.getChainId()).toBe('osmo-test-5')
    expect(await chain.getAccount('osmo1known')).toEqual({ accountNumber: 42n, sequence: 7 })
    expect(await chain.getAccount('osmo1unknown')).toBeNull()
    expect(await chain.broadcastTx(Uint8Array.of(0))).toEqual({ code: 0 })
    expect(await chain.broadcastTx(Uint8Array.of(1))).toEqual({ code: 32, codespace: 'sdk', log: 'account sequence mismatch, expected 7, got 6' })
    expect(sent).toHaveLength(2)
    expect((await chain.getTx('AB'))?.height).toBe(3)
    expect(await chain.getTx('CD')).toBeNull()
    expect(chain.simulate).toBeUndefined()
  })

  it('lets a lost connection through as an error, not as a refusal', async () => {
    const chain = stargateChain(clientLike(async () => Promise.reject(new Error('socket hang up'))))
    await expect(chain.broadcastTx(Uint8Array.of(0))).rejects.toThrow('socket hang up')
  })

  it('refuses what is not a StargateClient', () => {
    for (const bad of [undefined, null, {}, { getAccount() {} }]) {
      let e: unknown
      try {
        stargateChain(bad as never)
      } catch (err) {
        e = err
      }
      expect(isZrError(e, 'INVALID_INPUT'), String(e)).toBe(true)
    }
  })
})

describe('connectCosmosChain', () => {
  it('names the endpoint it could not reach (PREPARE_FAILED), and refuses a non-endpoint (INVALID_INPUT)', async () => {
    const e = await connectCosmosChain('http://127.0.0.1:1').then(
      () => undefined,
      (err: unknown) => err,
    )
    expect(isZrError(e, 'PREPARE_FAILED'), String(e)).toBe(true)
    expect((e as { details: string }).details).toContain('http://127.0.0.1:1')
    const bad = await connectCosmosChain(42 as never).then(
      () => undefined,
      (err: unknown) => err,
    )
    expect(isZrError(bad, 'INVALID_INPUT'), String(bad)).toBe(true)
  })
})
