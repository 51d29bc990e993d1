import { describeValue } from '../errors/describeValue.js'
import { ZrError } from '../errors/ZrError.js'
import type { TransactionDecoder } from './TransactionDecoder.js'

const CHAIN = /^[a-z][a-z0-9]{0,31}$/
const UNIT = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/

/**
 * Checks the decoders a ledger is opened with and indexes them by chain: each an object with a `chain`
 * name, a positive integer `version`, `nativeUnits` (unit name -> decimals 0..77), and `decode` and
 * `normalizeAddress` functions; one per chain. Throws `INVALID_CONFIG` saying which and why.
 */
export function checkTransactionDecoders(list: unknown): ReadonlyMap<string, TransactionDecoder> {
  const bad = (details: string) => new ZrError('INVALID_CONFIG', 'Invalid transaction decoders.', { details })
  if (list === undefined) return new Map()
  if (!Array.isArray(list)) throw bad(`expected a list of transaction decoders, got ${describeValue(list)}`)
  const byChain = new Map<string, TransactionDecoder>()
  list.forEach((d: unknown, i) => {
    const at = `transactionDecoders[${i}]`
    if (d === null || typeof d !== 'object') throw bad(`expected ${at} to be a decoder object, got ${describeValue(d)}`)
    const x = d as Record<string, unknown>
    if (typeof x.chain !== 'string' || !CHAIN.test(x.chain)) throw bad(`expected ${at}.chain to be a lower-case name like "evm", got ${describeValue(x.chain)}`)
    if (typeof x.version !== 'number' || !Number.isInteger(x.version) || x.version < 1 || x.version > 999_999) throw bad(`expected ${at}.version to be a positive integer, got ${describeValue(x.version)}`)
    if (typeof x.decode !== 'function' || typeof x.normalizeAddress !== 'function') throw bad(`expected ${at} to have decode and normalizeAddress functions`)
    const units = x.nativeUnits
    if (units === null || typeof units !== 'object' || Array.isArray(units)) throw bad(`expected ${at}.nativeUnits to be an object of unit -> decimals, got ${describeValue(units)}`)
    for (const [unit, decimals] of Object.entries(units)) {
      if (!UNIT.test(unit) || typeof decimals !== 'number' || !Number.isInteger(decimals) || decimals < 0 || decimals > 77) {
        throw bad(`expected ${at}.nativeUnits entries like { eth: 18 }, got ${JSON.stringify(unit)}: ${describeValue(decimals)}`)
      }
    }
    if (byChain.has(x.chain)) throw bad(`expected one decoder per chain, got two for ${x.chain}`)
    byChain.set(x.chain, d as TransactionDecoder)
  })
  return byChain
}
