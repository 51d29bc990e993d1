import { type ReplaceRequest, ZrError } from '@zrkit/core'
import { type AddressLookupTableAccount, ComputeBudgetProgram, type PublicKey, type TransactionInstruction, TransactionMessage, type VersionedMessage } from '@solana/web3.js'
import { type BuildContext, type SolanaTransactionIntent, loadLookupTable } from './buildTransaction.js'
import { MAX_COMPUTE_UNIT_LIMIT } from './decoder/solanaFee.js'
import type { SolanaNetwork } from './network.js'
import type { SolanaLifetime } from './wire.js'

/** The fees a Solana replacement takes (see {@link checkReplacementFees}). */
export type SolanaReplacementFees = {
  /** Priority fee in micro-lamports per compute unit. */
  readonly computeUnitPrice?: bigint
  /** Compute units the transaction may use (and pays the priority fee on). */
  readonly computeUnitLimit?: number
}

/**
 * The priority fee a speed-up pays when it is given none and neither the original nor the network asks
 * for more: 10 000 micro-lamports per compute unit (2 000 lamports on the runtime's default 200 000 units).
 */
export const REPLACEMENT_PRICE_FLOOR = 10_000n

const U64_MAX = 2n ** 64n - 1n
const SET_COMPUTE_UNIT_LIMIT = 2
const SET_COMPUTE_UNIT_PRICE = 3
/** At most this many summary entries (the relay pipeline's limit). */
const MAX_SUMMARY_ENTRIES = 24

const badFees = (details: string) => new ZrError('INVALID_INPUT', 'Invalid Solana replacement fees.', { details })
const shown = (v: unknown) => (typeof v === 'bigint' ? `${v}n` : typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : String(v))

/**
 * Checks the `fees` of a Solana replacement: `computeUnitPrice` (micro-lamports per compute unit, an
 * integer in 0..2^64-1, bigint or safe number) and `computeUnitLimit` (an integer in 1..1 400 000); any
 * other field is refused, saying which ones a Solana transaction has.
 *
 * @example
 * ```ts
 * import { checkReplacementFees } from './replaceTransaction.js'
 * checkReplacementFees({ computeUnitPrice: 50_000, computeUnitLimit: 20_000 }) // { computeUnitPrice: 50_000n, computeUnitLimit: 20_000 }
 * checkReplacementFees({ gasPrice: 1n }) // throws INVALID_INPUT: fees.gasPrice: expected computeUnitPrice or computeUnitLimit ...
 * ```
 */
export function checkReplacementFees(fees: ReplaceRequest['fees']): SolanaReplacementFees {
  if (fees === undefined) return {}
  if (!fees || typeof fees !== 'object' || Array.isArray(fees)) throw badFees(`expected { computeUnitPrice?, computeUnitLimit? }, got ${fees === null ? 'null' : Array.isArray(fees) ? 'an array' : typeof fees}`)
  let computeUnitPrice: bigint | undefined
  let computeUnitLimit: number | undefined
  for (const [field, value] of Object.entries(fees)) {
    if (value === undefined) continue
    const n = typeof value === 'bigint' ? value : typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : undefined
    if (field === 'computeUnitPrice') {
      if (n === undefined || n < 0n || n > U64_MAX) throw badFees(`fees.computeUnitPrice: expected an integer of micro-lamports per compute unit in 0..2^64-1 (bigint or safe integer), got ${shown(value)}`)
      computeUnitPrice = n
    } else if (field === 'computeUnitLimit') {
      if (n === undefined || n < 1n || n > BigInt(MAX_COMPUTE_UNIT_LIMIT)) throw badFees(`fees.computeUnitLimit: expected an integer of compute units in 1..${MAX_COMPUTE_UNIT_LIMIT}, got ${shown(value)}`)
      computeUnitLimit = Number(n)
    } else {
      throw badFees(`fees.${field}: expected computeUnitPrice or computeUnitLimit (a Solana transaction has no other fee fields), got ${field}`)
    }
  }
  return { ...(computeUnitPrice !== undefined ? { computeUnitPrice } : {}), ...(computeUnitLimit !== undefined ? { computeUnitLimit } : {}) }
}

/** What a replacement keeps of its original: its instructions without its compute budget, and how it was built. */
export type ReplacementParts = {
  /** The original's instructions, without its `SetComputeUnitPrice` / `SetComputeUnitLimit` and without its nonce advance. */
  readonly instructions: readonly TransactionInstruction[]
  readonly version: 'legacy' | 0
  /** The lookup tables the original's message reads. */
  readonly lookupTables: readonly AddressLookupTableAccount[]
  /** The durable nonce it advances (first instruction), with the authority that signs the advance. */
  readonly nonce?: { readonly account: PublicKey; readonly authority: PublicKey }
  /** The compute budget the original set, if any. */
  readonly computeUnitPrice?: bigint
  readonly computeUnitLimit?: number
}

/**
 * Takes a signed message apart into what a replacement re-uses: its instructions (read back through its
 * lookup tables, loaded from the network), minus the compute budget price and limit (the replacement
 * sets its own: two of either would be refused by the runtime and by the ledger's decoder) and minus
 * the durable nonce advance (the replacement's build puts it first again).
 *
 * @example
 * ```ts
 * import { replacementParts } from './replaceTransaction.js'
 * const parts = await replacementParts(wire.message, lifetimeOf(wire.message), ctx)
 * parts.instructions // [SystemProgram.transfer(...)], without its old ComputeBudget instructions
 * ```
 */
export async function replacementParts(message: VersionedMessage, lifetime: SolanaLifetime, ctx: BuildContext): Promise<ReplacementParts> {
  const lookupTables = await Promise.all(message.addressTableLookups.map((l, i) => loadLookupTable(l.accountKey, ctx, `the original's lookup table ${i}`)))
  let decompiled: TransactionInstruction[]
  try {
    decompiled = TransactionMessage.decompile(message, { addressLookupTableAccounts: lookupTables }).instructions
  } catch (cause) {
    throw new ZrError('PREPARE_FAILED', 'Could not prepare the replacement.', { details: `the original's instructions cannot be read back: ${cause instanceof Error ? cause.message : String(cause)}`, cause })
  }
  let nonce: ReplacementParts['nonce']
  if (lifetime.type === 'nonce') {
    const advance = decompiled.shift()!
    nonce = { account: lifetime.nonceAccount, authority: advance.keys[2]!.pubkey }
  }
  let computeUnitPrice: bigint | undefined
  let computeUnitLimit: number | undefined
  const instructions = decompiled.filter((ix) => {
    if (!ix.programId.equals(ComputeBudgetProgram.programId)) return true
    const data = new Uint8Array(ix.data)
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
    if (data[0] === SET_COMPUTE_UNIT_PRICE && data.length === 9) {
      computeUnitPrice = view.getBigUint64(1, true)
      return false
    }
    if (data[0] === SET_COMPUTE_UNIT_LIMIT && data.length === 5) {
      computeUnitLimit = view.getUint32(1, true)
      return false
    }
    return true
  })
  return {
    instructions,
    version: message.version === 0 ? 0 : 'legacy',
    lookupTables,
    ...(nonce ? { nonce } : {}),
    ...(computeUnitPrice !== undefined ? { computeUnitPrice } : {}),
    ...(computeUnitLimit !== undefined ? { computeUnitLimit } : {}),
  }
}

/**
 * The intent of a replacement: for a speed-up, the original's instructions with the new compute budget
 * (and its lookup tables, version and durable nonce); for a cancel (a durable-nonce original only), a
 * transaction that only advances the same nonce and pays the priority fee.
 *
 * @example
 * ```ts
 * import { replacementIntent } from './replaceTransaction.js'
 * const intent = replacementIntent(parts, 'speed-up', { computeUnitPrice: 50_000n })
 * await buildTransaction(intent, key, ctx, { complete: true }) // a fresh blockhash (or the nonce's value), the priority fee first
 * ```
 */
export function replacementIntent(parts: ReplacementParts, mode: ReplaceRequest['mode'], fees: { readonly computeUnitPrice: bigint; readonly computeUnitLimit?: number }): SolanaTransactionIntent {
  const nonce = parts.nonce ? { nonce: { account: parts.nonce.account, authority: parts.nonce.authority } } : {}
  if (mode === 'cancel') {
    // The nonce advance is the whole transaction: the build puts it first; the compute budget is its body.
    const budget = [
      ...(fees.computeUnitLimit !== undefined ? [ComputeBudgetProgram.setComputeUnitLimit({ units: fees.computeUnitLimit })] : []),
      ComputeBudgetProgram.setComputeUnitPrice({ microLamports: fees.computeUnitPrice }),
    ]
    return { instructions: budget, ...nonce }
  }
  return {
    instructions: parts.instructions,
    version: parts.version,
    ...(parts.lookupTables.length ? { addressLookupTables: parts.lookupTables } : {}),
    ...nonce,
    computeUnitPrice: fees.computeUnitPrice,
    ...(fees.computeUnitLimit !== undefined ? { computeUnitLimit: fees.computeUnitLimit } : {}),
  }
}

/**
 * The priority fee of a speed-up given none: the highest of {@link REPLACEMENT_PRICE_FLOOR}, the
 * original's price raised by a quarter, and the 75th percentile of what landed transactions on the same
 * writable accounts paid in recent slots (when the network answers `getRecentPrioritizationFees`).
 *
 * @example
 * ```ts
 * import { defaultComputeUnitPrice } from './replaceTransaction.js'
 * await defaultComputeUnitPrice(network, 40_000n, [payer]) // 50_000n, unless the network asks more
 * ```
 */
export async function defaultComputeUnitPrice(network: SolanaNetwork, original: bigint | undefined, writableAccounts: readonly PublicKey[]): Promise<bigint> {
  const raised = original === undefined ? 0n : (original * 5n + 3n) / 4n
  let recent = 0n
  if (typeof network.getRecentPrioritizationFees === 'function') {
    try {
      const fees = (await network.getRecentPrioritizationFees(writableAccounts.slice(0, 128)))
        .map((f) => f?.prioritizationFee)
        .filter((f): f is number => typeof f === 'number' && Number.isSafeInteger(f) && f > 0)
        .sort((a, b) => a - b)
      if (fees.length) recent = BigInt(fees[Math.min(fees.length - 1, Math.floor(fees.length * 0.75))]!)
    } catch {
      // The RPC does not serve it (or failed): the floor and the original's price decide.
    }
  }
  return [REPLACEMENT_PRICE_FLOOR, raised, recent].reduce((a, b) => (a > b ? a : b))
}

/**
 * A replacement's summary: the transaction's own (see `summarize`) and what approvers need to judge a
 * replacement (`computeUnitPrice`, `computeUnitLimit`, `priorityFee`, `replaces`, `replaceMode`), within
 * the pipeline's 24 entries: described instructions give way from the last one (`ix.more` counts them).
 *
 * @example
 * ```ts
 * import { replacementSummary } from './replaceTransaction.js'
 * replacementSummary(summarize({ message, key, lifetime }), { computeUnitPrice: '50000', replaces: txid, replaceMode: 'speed-up' })
 * ```
 */
export function replacementSummary(summary: Readonly<Record<string, string>>, extras: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = { ...summary }
  let described = Object.keys(out).filter((k) => /^ix\.\d+$/.test(k)).length
  const total = Number(out.instructions ?? described)
  const size = () => Object.keys(out).length + Object.keys(extras).filter((k) => !(k in out)).length + (!('ix.more' in out) && described < total ? 1 : 0)
  while (size() > MAX_SUMMARY_ENTRIES && described > 0) delete out[`ix.${--described}`]
  if (described < total) out['ix.more'] = `${total - described} more instructions`
  return { ...out, ...extras }
}

