import { ZrError } from '@zrkit/core'
import { DEFAULT_DUST_RELAY_FEE_RATE, dustThreshold, feeFor, txWeight, vsizeOf } from './fees.js'

/** A coin that coin selection may spend: an outpoint and its value. */
export type SelectableCoin = { readonly txid: string; readonly vout: number; readonly value: bigint }

/** Parameters of {@link selectCoins}. */
export type SelectCoinsParameters<C extends SelectableCoin> = {
  /** The coins to choose from. */
  coins: readonly C[]
  /** Weight of each input (all inputs spend the same kind of output), e.g. `inputWeights.p2wpkh`. */
  inputWeight: number
  /** What the transaction pays: each output's script and value. */
  outputs: readonly { readonly script: Uint8Array; readonly value: bigint }[]
  /** Where change goes. */
  changeScript: Uint8Array
  /** sat/vB. */
  feeRate: number
  /** `auto` (default) picks coins, largest first, until the outputs and the fee are covered; `all` spends every coin given (coin control, sweeps). */
  strategy?: 'auto' | 'all'
  /** Change below this is not made; it goes to the fee (default: the change script's dust threshold). */
  minChange?: bigint
  /** Dust relay fee rate for the default `minChange` (sat/vB, default 3). */
  dustRelayFeeRate?: number
  /** At most this many inputs (default 256: a signature request's payload limit). */
  maxInputs?: number
  /** Names the spender in error messages (an address). */
  label?: string
}

/** What {@link selectCoins} chose. */
export type CoinSelection<C extends SelectableCoin> = {
  readonly inputs: readonly C[]
  /** The change output's value, when there is one (always at least `minChange`). */
  readonly change?: bigint
  /** inputs - outputs - change. */
  readonly fee: bigint
  /** The weight the fee was computed for (with the largest signatures). */
  readonly weight: number
  readonly vsize: number
}

/**
 * Chooses the coins for a transaction and its change. With `strategy: 'auto'` coins are taken largest
 * first (coins worth less than the fee of spending them are skipped) until they pay the outputs and
 * the fee at `feeRate`; change is added when what is left after the change output's own fee is at
 * least `minChange`, else the rest goes to the fee (less than the cost of a change output plus dust).
 * With `strategy: 'all'` every coin given is spent. Deterministic: the same input gives the same result.
 *
 * Throws `INSUFFICIENT_FUNDS` when the coins cannot pay the outputs and the fee (`meta`: `needed`,
 * `available` in satoshis), `PREPARE_FAILED` when it would take more than `maxInputs` inputs or make a
 * non-standard (too heavy) transaction.
 *
 * @example
 * ```ts
 * import { inputWeights, selectCoins } from '@zrkit/relayer-bitcoin'
 *
 * const { inputs, change, fee } = selectCoins({
 *   coins: [{ txid, vout: 0, value: 50_000n }, { txid, vout: 1, value: 20_000n }],
 *   inputWeight: inputWeights.p2wpkh,
 *   outputs: [{ script: recipientScript, value: 60_000n }],
 *   changeScript: myScript,
 *   feeRate: 2,
 * })
 * ```
 */
export function selectCoins<C extends SelectableCoin>(params: SelectCoinsParameters<C>): CoinSelection<C> {
  const { coins, inputWeight, outputs, changeScript, feeRate } = params
  const strategy = params.strategy ?? 'auto'
  const maxInputs = params.maxInputs ?? 256
  const minChange = params.minChange ?? dustThreshold(changeScript, params.dustRelayFeeRate ?? DEFAULT_DUST_RELAY_FEE_RATE)
  const outputScripts = outputs.map((o) => o.script)
  const paid = outputs.reduce((n, o) => n + o.value, 0n)
  const inputFee = feeFor(vsizeOf(inputWeight), feeRate)

  const candidates =
    strategy === 'all'
      ? [...coins]
      : [...coins]
          .filter((c) => c.value > inputFee)
          .sort((a, b) => (a.value === b.value ? (a.txid === b.txid ? a.vout - b.vout : a.txid < b.txid ? -1 : 1) : a.value > b.value ? -1 : 1))
  const available = candidates.reduce((n, c) => n + c.value, 0n)

  const settle = (inputs: C[], sum: bigint): CoinSelection<C> | undefined => {
    const weights = inputs.map(() => inputWeight)
    const weight = txWeight(weights, outputScripts)
    const fee = feeFor(vsizeOf(weight), feeRate)
    if (sum < paid + fee) return undefined
    const withChange = txWeight(weights, [...outputScripts, changeScript])
    const changeFee = feeFor(vsizeOf(withChange), feeRate)
    const change = sum - paid - changeFee
    if (change >= minChange && change > 0n) return { inputs, change, fee: changeFee, weight: withChange, vsize: vsizeOf(withChange) }
    return { inputs, fee: sum - paid, weight, vsize: vsizeOf(weight) }
  }

  let found: CoinSelection<C> | undefined
  if (strategy === 'all') {
    if (candidates.length === 0) throw insufficient(params.label, paid + feeFor(vsizeOf(txWeight([inputWeight], outputScripts)), feeRate), 0n, 0)
    found = settle(candidates, available)
  } else {
    const chosen: C[] = []
    let sum = 0n
    for (const coin of candidates) {
      chosen.push(coin)
      sum += coin.value
      found = settle([...chosen], sum)
      if (found) break
    }
  }
  if (!found) {
    const need = paid + feeFor(vsizeOf(txWeight(candidates.map(() => inputWeight), outputScripts)), feeRate)
    throw insufficient(params.label, need, available, candidates.length)
  }
  if (found.inputs.length > maxInputs) {
    throw new ZrError('PREPARE_FAILED', 'Could not prepare the transaction.', {
      details: `paying ${paid} sat takes ${found.inputs.length} coins${params.label ? ` of ${params.label}` : ''}, more than the ${maxInputs} inputs one signature request signs: consolidate the coins first`,
      context: { inputs: found.inputs.length, maxInputs },
    })
  }
  if (found.weight > 400_000) {
    throw new ZrError('PREPARE_FAILED', 'Could not prepare the transaction.', { details: `the transaction would weigh ${found.weight} WU, more than the 400000 WU a standard transaction may`, context: { weight: found.weight } })
  }
  return found
}

function insufficient(label: string | undefined, needed: bigint, available: bigint, coins: number): ZrError {
  return new ZrError('INSUFFICIENT_FUNDS', 'Not enough bitcoin to pay for the transaction.', {
    details: `expected at least ${needed} sat (outputs and fee), got ${available} sat in ${coins} spendable coin${coins === 1 ? '' : 's'}${label ? ` at ${label}` : ''}`,
    context: { needed, available, coins, ...(label ? { address: label } : {}) },
  })
}
