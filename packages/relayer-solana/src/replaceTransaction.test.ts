import { isZrError } from '@zrkit/core'
import { Keypair } from '@solana/web3.js'
import { describe, expect, it } from 'vitest'
import type { SolanaNetwork } from './network.js'
import { REPLACEMENT_PRICE_FLOOR, checkReplacementFees, defaultComputeUnitPrice, replacementSummary } from './replaceTransaction.js'

const code = (fn: () => unknown) => {
  try {
    fn()
  } catch (e) {
    return isZrError(e) ? `${e.code}: ${e.details}` : String(e)
  }
  return 'no error'
}

describe('checkReplacementFees', () => {
  it('takes computeUnitPrice and computeUnitLimit, as bigint or safe integers', () => {
    expect(checkReplacementFees(undefined)).toEqual({})
    expect(checkReplacementFees({ computeUnitPrice: 50_000, computeUnitLimit: 20_000n })).toEqual({ computeUnitPrice: 50_000n, computeUnitLimit: 20_000 })
    expect(checkReplacementFees({ computeUnitPrice: 2n ** 64n - 1n })).toEqual({ computeUnitPrice: 2n ** 64n - 1n })
  })

  it('refuses anything else, saying what was expected and what arrived', () => {
    expect(code(() => checkReplacementFees({ computeUnitPrice: -1n }))).toBe('INVALID_INPUT: fees.computeUnitPrice: expected an integer of micro-lamports per compute unit in 0..2^64-1 (bigint or safe integer), got -1n')
    expect(code(() => checkReplacementFees({ computeUnitPrice: Number.MAX_SAFE_INTEGER + 1 }))).toMatch(/^INVALID_INPUT: fees\.computeUnitPrice: .* got 9007199254740992$/)
    expect(code(() => checkReplacementFees({ computeUnitLimit: 1_400_001 }))).toBe('INVALID_INPUT: fees.computeUnitLimit: expected an integer of compute units in 1..1400000, got 1400001')
    expect(code(() => checkReplacementFees({ maxFeePerGas: 1n }))).toBe('INVALID_INPUT: fees.maxFeePerGas: expected computeUnitPrice or computeUnitLimit (a Solana transaction has no other fee fields), got maxFeePerGas')
    expect(code(() => checkReplacementFees([] as never))).toBe('INVALID_INPUT: expected { computeUnitPrice?, computeUnitLimit? }, got an array')
  })
})

describe('defaultComputeUnitPrice', () => {
  const network = (fees: number[] | Error | undefined) =>
    ({
      ...(fees === undefined ? {} : { getRecentPrioritizationFees: async () => { if (fees instanceof Error) throw fees; return fees.map((prioritizationFee, slot) => ({ slot, prioritizationFee })) } }),
    }) as unknown as SolanaNetwork
  const accounts = [Keypair.generate().publicKey]

  it('is the highest of the floor, the original raised by a quarter, and the 75th percentile of recent fees', async () => {
    expect(await defaultComputeUnitPrice(network(undefined), undefined, accounts)).toBe(REPLACEMENT_PRICE_FLOOR)
    expect(await defaultComputeUnitPrice(network(undefined), 80_001n, accounts)).toBe(100_002n)
    expect(await defaultComputeUnitPrice(network([0, 0, 500_000, 100_000, 200_000, 300_000]), 1n, accounts)).toBe(500_000n)
    expect(await defaultComputeUnitPrice(network([100_000, 200_000, 300_000, 400_000, 0]), 1n, accounts)).toBe(400_000n)
    // An RPC without the method, or one that fails: the floor and the original decide.
    expect(await defaultComputeUnitPrice(network(new Error('Method not found')), 40_000n, accounts)).toBe(50_000n)
  })
})

describe('replacementSummary', () => {
  it("adds the replacement's entries and keeps within 24, described instructions giving way from the last", () => {
    const base: Record<string, string> = { feePayer: 'a', key: 'a', signers: 'a', version: 'legacy', instructions: '16', lifetime: 'blockhash', blockhash: 'h', lastValidBlockHeight: '9' }
    for (let i = 0; i < 14; i++) base[`ix.${i}`] = `instruction ${i}`
    base['ix.more'] = '2 more instructions'
    const extras = { computeUnitPrice: '1', computeUnitLimit: '2', priorityFee: '3', replaces: 'sig', replaceMode: 'speed-up' }
    const summary = replacementSummary(base, extras)
    expect(Object.keys(summary).length).toBe(24)
    expect(summary).toMatchObject(extras)
    expect(summary['ix.9']).toBe('instruction 9')
    expect(summary['ix.10']).toBeUndefined()
    expect(summary['ix.more']).toBe('6 more instructions')
    // A short one is left as it is.
    expect(replacementSummary({ instructions: '1', 'ix.0': 'x' }, { replaces: 's' })).toEqual({ instructions: '1', 'ix.0': 'x', replaces: 's' })
  })
})
