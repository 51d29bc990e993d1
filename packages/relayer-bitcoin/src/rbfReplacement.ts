import { type ReplaceRequest, ZrError } from '@zrkit/core'
import { Psbt } from 'bitcoinjs-lib'
import { checkFeeRate, dustThreshold, feeFor, inputWeights, txWeight, vsizeOf } from './fees.js'
import type { BitcoinNetworkParams } from './networks.js'
import { prevoutOf } from './psbtSigning.js'
import type { KeyOutput } from './scripts.js'

/** The BIP125 sequence limit: an input whose sequence is below it signals replaceability. */
const MAX_RBF_SEQUENCE = 0xfffffffe

/** What {@link buildRbfReplacement} is given. */
export type RbfReplacementParameters = {
  /** The original's unsigned transaction (as prepared by the Bitcoin adapter). */
  readonly original: Psbt
  /** The original's summary (`change` names its change output, when it has one). */
  readonly summary: Readonly<Record<string, string>>
  /** The original's virtual size as signed (vB), when known; else it is estimated. */
  readonly originalVsize?: number
  readonly request: ReplaceRequest
  /** The key's output: every input must spend it. */
  readonly own: KeyOutput
  readonly params: BitcoinNetworkParams
  /** The backend's fee estimate now (sat/vB), when it has one. */
  readonly estimate?: number
  /** Bitcoin Core's `incrementalrelayfee` in sat/vB (default 1). */
  readonly incrementalFeeRate: number
  readonly maxFeeRate: number
  readonly dustRelayFeeRate: number
}

/** The replacement: its PSBT and the facts the summary shows. */
export type RbfReplacement = { readonly psbt: Psbt; readonly fee: bigint; readonly feeRate: number; readonly vsize: number; readonly originalFee: bigint; readonly change?: bigint }

/**
 * Builds a BIP125 replacement of a transfer the Bitcoin adapter prepared: the same inputs, version,
 * locktime and sequences. `speed-up` keeps every output and pays the higher fee out of the change
 * output; `cancel` sends every input back to the key's own address in one output. The new fee is at
 * least the original's plus the incremental relay fee for the replacement's size (BIP125 rule 4) and
 * at a higher fee rate: `fees.feeRate` (sat/vB) when given, else the highest of the backend's estimate,
 * 1.25 x the original's rate, and the original's rate plus the incremental fee rate.
 *
 * Throws `INVALID_INPUT` when the original is not replaceable (an input opts out of RBF, an input is not
 * the key's, `fees` is not `{ feeRate }`, or the fee rate given is not higher than the original's) and
 * `INSUFFICIENT_FUNDS` when the change (or, for a cancel, the inputs) cannot pay the new fee.
 *
 * @example
 * ```ts
 * import { buildRbfReplacement } from './rbfReplacement.js'
 * const { psbt, fee } = buildRbfReplacement({ original, summary, request: { mode: 'speed-up' }, own, params, incrementalFeeRate: 1, maxFeeRate: 2000, dustRelayFeeRate: 3 })
 * ```
 */
export function buildRbfReplacement(p: RbfReplacementParameters): RbfReplacement {
  const { original, own, request } = p
  const bad = (details: string) => new ZrError('INVALID_INPUT', 'Cannot replace this Bitcoin transaction.', { details })
  const given = checkReplacementFees(request.fees, p.maxFeeRate)
  const inputs = original.txInputs
  const prevouts = inputs.map((_, n) => prevoutOf(original, n))
  inputs.forEach((input, n) => {
    if (input.sequence === undefined || input.sequence >= MAX_RBF_SEQUENCE) {
      throw bad(`input ${n} has sequence 0x${(input.sequence ?? 0xffffffff).toString(16)}: the original does not signal BIP125 replaceability (it was sent with rbf: false), so nodes would refuse a replacement`)
    }
    const prevout = prevouts[n]
    if (!prevout || prevout.script.length !== own.script.length || !prevout.script.every((b, i) => b === own.script[i])) {
      throw bad(`input ${n} does not spend the key's own output: only a transfer of the key's coins can be replaced`)
    }
  })
  const inTotal = prevouts.reduce((n, o) => n + o!.value, 0n)
  const outputs = original.txOutputs.map((o) => ({ script: Uint8Array.from(o.script), value: o.value }))
  const outTotal = outputs.reduce((n, o) => n + o.value, 0n)
  const originalFee = inTotal - outTotal
  const weights = inputs.map(() => inputWeights[own.type])
  const originalVsize = p.originalVsize ?? vsizeOf(txWeight(weights, outputs.map((o) => o.script)))
  const originalRate = Number(originalFee) / originalVsize
  const feeRate = given ?? roundUp(Math.max(p.estimate ?? 0, originalRate * 1.25, originalRate + p.incrementalFeeRate))
  if (feeRate <= originalRate) throw bad(`fees.feeRate: expected more than the original's ${originalRate.toFixed(3)} sat/vB, got ${feeRate} sat/vB`)

  let next: { script: Uint8Array; value: bigint }[]
  let changeIndex: number | undefined
  if (request.mode === 'cancel') {
    next = [{ script: own.script, value: 0n }]
    changeIndex = 0
  } else {
    next = outputs
    const last = outputs.length - 1
    if (p.summary.change !== undefined && last >= 0 && String(outputs[last]!.value) === p.summary.change) changeIndex = last
  }
  const vsize = vsizeOf(txWeight(weights, next.map((o) => o.script)))
  const byRate = feeFor(vsize, feeRate)
  const byRule4 = originalFee + feeFor(vsize, p.incrementalFeeRate)
  const fee = byRate > byRule4 ? byRate : byRule4
  if (changeIndex === undefined) {
    throw new ZrError('INSUFFICIENT_FUNDS', 'The transaction has no change to pay a higher fee from.', {
      details: `expected a change output to raise the fee from ${originalFee} to ${fee} sat, got a transaction without one: cancel it instead, or wait`,
      context: { needed: fee - originalFee, available: 0n },
    })
  }
  const pool = request.mode === 'cancel' ? inTotal : next[changeIndex]!.value + originalFee
  const left = pool - fee
  const dust = dustThreshold(next[changeIndex]!.script, p.dustRelayFeeRate)
  if (left < dust) {
    throw new ZrError('INSUFFICIENT_FUNDS', `The ${request.mode === 'cancel' ? 'inputs' : 'change'} cannot pay the replacement's fee.`, {
      details: `expected ${request.mode === 'cancel' ? 'inputs' : 'change and the original fee'} of at least ${fee + dust} sat (a ${fee} sat fee at ${feeRate} sat/vB for ${vsize} vB, and ${dust} sat left above dust), got ${pool} sat`,
      context: { needed: fee + dust, available: pool },
    })
  }
  next = next.map((o, n) => (n === changeIndex ? { script: o.script, value: left } : o))

  const psbt = new Psbt({ network: p.params.network })
  psbt.setVersion(original.version)
  psbt.setLocktime(original.locktime)
  inputs.forEach((input, n) => {
    psbt.addInput({
      hash: Uint8Array.from(input.hash),
      index: input.index,
      sequence: input.sequence!,
      witnessUtxo: { script: own.script, value: prevouts[n]!.value },
      ...(own.type === 'p2tr' ? { tapInternalKey: own.internalKey! } : {}),
    })
  })
  for (const o of next) psbt.addOutput({ script: o.script, value: o.value })
  return { psbt, fee, feeRate, vsize, originalFee, change: left }
}

function roundUp(rate: number): number {
  return Math.ceil(rate * 1000) / 1000
}

/** `fees` of a Bitcoin replacement: nothing, or `{ feeRate }` in sat/vB. */
function checkReplacementFees(fees: ReplaceRequest['fees'], maxFeeRate: number): number | undefined {
  if (fees === undefined) return undefined
  for (const k of Object.keys(fees)) {
    if (k !== 'feeRate') throw new ZrError('INVALID_INPUT', 'Invalid replacement fees.', { details: `fees.${k}: expected only feeRate (sat/vB) for a Bitcoin replacement, got ${k}` })
  }
  if (fees.feeRate === undefined) return undefined
  const rate = typeof fees.feeRate === 'bigint' ? Number(fees.feeRate) : fees.feeRate
  return checkFeeRate(rate, 'fees.feeRate', maxFeeRate)
}
