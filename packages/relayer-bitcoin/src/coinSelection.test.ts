import { isZrError } from '@zrkit/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type SelectableCoin, selectCoins } from './coinSelection.js'
import { dustThreshold, feeFor, inputWeights, txWeight, vsizeOf } from './fees.js'

const p2wpkh = (n: number) => Uint8Array.of(0x00, 0x14, ...new Uint8Array(20).fill(n))
const p2tr = (n: number) => Uint8Array.of(0x51, 0x20, ...new Uint8Array(32).fill(n))
const coin = (value: bigint, i = 0): SelectableCoin => ({ txid: i.toString(16).padStart(64, '0'), vout: i, value })

describe('selectCoins', () => {
  it('pays outputs and fee exactly: inputs = outputs + change + fee, fee at least the rate, change never dust, overpay bounded', () => {
    fc.assert(
      fc.property(
        // small amounts too, so that what is left for change often lands near the dust threshold
        fc.array(fc.oneof(fc.bigInt({ min: 1n, max: 5_000_000n }), fc.bigInt({ min: 200n, max: 3_000n })), { minLength: 0, maxLength: 30 }),
        fc.array(fc.oneof(fc.bigInt({ min: 294n, max: 3_000_000n }), fc.bigInt({ min: 294n, max: 2_000n })), { minLength: 1, maxLength: 4 }),
        fc.constantFrom(1, 1.5, 2, 7.25, 40),
        fc.constantFrom('p2wpkh', 'p2tr') as fc.Arbitrary<'p2wpkh' | 'p2tr'>,
        (values, payValues, feeRate, type) => {
          const coins = values.map((v, i) => coin(v, i))
          const outputs = payValues.map((value, i) => ({ script: p2wpkh(i + 1), value }))
          const changeScript = type === 'p2wpkh' ? p2wpkh(99) : p2tr(99)
          const paid = payValues.reduce((a, b) => a + b, 0n)
          let result: ReturnType<typeof selectCoins>
          try {
            result = selectCoins({ coins, inputWeight: inputWeights[type], outputs, changeScript, feeRate })
          } catch (e) {
            if (!isZrError(e, 'INSUFFICIENT_FUNDS')) throw e
            // only when even every coin worth spending cannot pay
            const useful = coins.filter((c) => c.value > feeFor(vsizeOf(inputWeights[type]), feeRate))
            const all = useful.reduce((a, c) => a + c.value, 0n)
            expect(all < paid + feeFor(vsizeOf(txWeight(useful.map(() => inputWeights[type]), outputs.map((o) => o.script))), feeRate)).toBe(true)
            return
          }
          const ins = result.inputs.reduce((a, c) => a + c.value, 0n)
          expect(ins).toBe(paid + (result.change ?? 0n) + result.fee)
          expect(new Set(result.inputs.map((c) => c.txid)).size).toBe(result.inputs.length)
          const scripts = [...outputs.map((o) => o.script), ...(result.change !== undefined ? [changeScript] : [])]
          const weight = txWeight(result.inputs.map(() => inputWeights[type]), scripts)
          expect(result.weight).toBe(weight)
          expect(result.fee).toBeGreaterThanOrEqual(feeFor(vsizeOf(weight), feeRate))
          if (result.change !== undefined) {
            expect(result.change).toBeGreaterThanOrEqual(dustThreshold(changeScript))
            expect(result.fee).toBe(feeFor(vsizeOf(weight), feeRate))
          } else {
            // what went to the fee instead of change is less than a change output's cost plus dust
            const changeCost = feeFor(vsizeOf(txWeight(result.inputs.map(() => inputWeights[type]), [...scripts, changeScript])), feeRate) - feeFor(vsizeOf(weight), feeRate)
            expect(result.fee - feeFor(vsizeOf(weight), feeRate)).toBeLessThan(dustThreshold(changeScript) + changeCost)
          }
        },
      ),
      { numRuns: 300 },
    )
  })

  it('is deterministic, takes the largest coins first, and skips coins worth less than their own fee', () => {
    const coins = [coin(5_000n, 1), coin(90n, 2), coin(60_000n, 3), coin(20_000n, 4)]
    const params = { coins, inputWeight: inputWeights.p2wpkh, outputs: [{ script: p2wpkh(1), value: 70_000n }], changeScript: p2wpkh(2), feeRate: 2 }
    const a = selectCoins(params)
    expect(a.inputs.map((c) => c.value)).toEqual([60_000n, 20_000n])
    expect(selectCoins({ ...params, coins: [...coins].reverse() })).toEqual(a)
    expect(() => selectCoins({ ...params, coins: [coin(90n, 2)], outputs: [{ script: p2wpkh(1), value: 294n }] })).toThrow(/INSUFFICIENT_FUNDS/)
  })

  it('drops change that would be dust into the fee', () => {
    const outputs = [{ script: p2wpkh(1), value: 10_000n }]
    const weight = txWeight([inputWeights.p2wpkh], [p2wpkh(1)])
    const exactFee = feeFor(vsizeOf(weight), 1)
    const r = selectCoins({ coins: [coin(10_000n + exactFee + 200n)], inputWeight: inputWeights.p2wpkh, outputs, changeScript: p2wpkh(2), feeRate: 1 })
    expect(r.change).toBeUndefined()
    expect(r.fee).toBe(exactFee + 200n)
    const withChange = selectCoins({ coins: [coin(10_000n + exactFee + 2_000n)], inputWeight: inputWeights.p2wpkh, outputs, changeScript: p2wpkh(2), feeRate: 1 })
    expect(withChange.change).toBe(2_000n - (feeFor(vsizeOf(txWeight([inputWeights.p2wpkh], [p2wpkh(1), p2wpkh(2)])), 1) - exactFee))
  })

  it("'all' spends every coin given; too many inputs and too little money are typed errors with what was expected", () => {
    const coins = [coin(1_000n, 1), coin(2_000n, 2), coin(30_000n, 3)]
    const all = selectCoins({ coins, inputWeight: inputWeights.p2tr, outputs: [{ script: p2tr(1), value: 1_000n }], changeScript: p2tr(2), feeRate: 1, strategy: 'all' })
    expect(all.inputs).toHaveLength(3)
    const many = Array.from({ length: 10 }, (_, i) => coin(1_000n, i))
    const tooMany = (() => {
      try {
        selectCoins({ coins: many, inputWeight: inputWeights.p2wpkh, outputs: [{ script: p2wpkh(1), value: 5_000n }], changeScript: p2wpkh(2), feeRate: 1, maxInputs: 3 })
      } catch (e) {
        return e
      }
    })()
    expect(isZrError(tooMany, 'PREPARE_FAILED')).toBe(true)
    const poor = (() => {
      try {
        selectCoins({ coins, inputWeight: inputWeights.p2wpkh, outputs: [{ script: p2wpkh(1), value: 40_000n }], changeScript: p2wpkh(2), feeRate: 1, label: 'tb1qexample' })
      } catch (e) {
        return e
      }
    })()
    expect(isZrError(poor, 'INSUFFICIENT_FUNDS')).toBe(true)
    if (isZrError(poor)) {
      expect(poor.meta).toMatchObject({ available: 33_000n, coins: 3, address: 'tb1qexample' })
      expect(poor.details).toMatch(/^expected at least \d+ sat \(outputs and fee\), got 33000 sat in 3 spendable coins at tb1qexample$/)
    }
  })
})
