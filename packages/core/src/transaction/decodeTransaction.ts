import { describeValue } from '../errors/describeValue.js'
import { ZrError, isZrError } from '../errors/ZrError.js'
import type { DecodeTransactionInput, DecodeTransactionResult, DecodedTransaction, TransactionCall, TransactionDecoder, TransactionTransfer } from './TransactionDecoder.js'

/** Most transfers and calls one decoded transaction may list. */
const MAX_EFFECTS = 256
const MAX_FIELDS = 32
const SHORT = 256

/**
 * Runs a decoder plugin the way the ledger must: its errors become `INVALID_TRANSACTION` (a decoder bug
 * or a hostile transaction never stops the ledger), and its answer is checked and copied into plain
 * frozen data (no getters, no shared arrays), so what the ledger stores is exactly what it checked.
 */
export function decodeTransaction(decoder: TransactionDecoder, input: DecodeTransactionInput): DecodeTransactionResult {
  const chain = decoder.chain
  const fail = (details: string, cause?: unknown) => new ZrError('INVALID_TRANSACTION', `Invalid ${chain} transaction.`, { details, context: { chain }, ...(cause !== undefined ? { cause } : {}) })
  let out: unknown
  try {
    out = decoder.decode(input)
  } catch (e) {
    if (isZrError(e, 'INVALID_TRANSACTION')) throw e.context.chain ? e : new ZrError('INVALID_TRANSACTION', e.shortMessage, { details: e.details ?? '', context: { ...e.context, chain }, cause: e })
    if (isZrError(e)) throw fail(`${e.shortMessage}${e.details ? ` (${e.details})` : ''}`, e)
    throw fail(`the ${chain} decoder failed: ${e instanceof Error ? e.message : describeValue(e)}`, e)
  }
  const bad = (what: string, expected: string, got: unknown) => fail(`the ${chain}@${decoder.version} decoder returned a bad ${what}: expected ${expected}, got ${describeValue(got)}`)
  if (out === null || typeof out !== 'object') throw bad('result', '{ payloads, transaction }', out)
  const { payloads, transaction } = out as Record<string, unknown>
  if (!Array.isArray(payloads) || payloads.length < 1 || payloads.some((p) => !(p instanceof Uint8Array))) throw bad('payloads', 'a non-empty list of byte arrays', payloads)
  const decoded = checkDecodedTransaction(transaction, { chain, decoder: `${chain}@${decoder.version}` }, bad)
  return { payloads: payloads.map((p) => Uint8Array.from(p as Uint8Array)), transaction: decoded }
}

/**
 * Checks a decoded transaction from anywhere (a decoder plugin, a caller of `judgeTxConditions`) and
 * returns a plain frozen copy of exactly the checked fields. `expect` pins the chain and decoder.
 */
export function checkDecodedTransaction(
  transaction: unknown,
  expect?: { chain?: string; decoder?: string },
  bad: (what: string, expected: string, got: unknown) => ZrError = (what, expected, got) =>
    new ZrError('INVALID_INPUT', 'Invalid decoded transaction.', { details: `${what}: expected ${expected}, got ${describeValue(got)}` }),
): DecodedTransaction {
  if (transaction === null || typeof transaction !== 'object') throw bad('transaction', 'an object', transaction)
  const t = transaction as Record<string, unknown>
  const text = (v: unknown, what: string, max = SHORT): string => {
    if (typeof v !== 'string' || v.length > max) throw bad(what, `a string of at most ${max} characters`, v)
    return v
  }
  const amount = (v: unknown, what: string): bigint => {
    if (typeof v !== 'bigint' || v < 0n || v >= 2n ** 256n) throw bad(what, 'a bigint in 0..2^256-1', v)
    return v
  }
  const list = (v: unknown, what: string): unknown[] => {
    if (!Array.isArray(v) || v.length > MAX_EFFECTS) throw bad(what, `a list of at most ${MAX_EFFECTS}`, v)
    return v
  }
  const record = (v: unknown, what: string): Record<string, unknown> => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad(what, 'an object', v)
    return v as Record<string, unknown>
  }
  if (expect?.chain !== undefined && t.chain !== expect.chain) throw bad('transaction.chain', JSON.stringify(expect.chain), t.chain)
  if (expect?.decoder !== undefined && t.decoder !== expect.decoder) throw bad('transaction.decoder', JSON.stringify(expect.decoder), t.decoder)
  const transfers = list(t.transfers, 'transaction.transfers').map((x, i): TransactionTransfer => {
    const r = record(x, `transfers[${i}]`)
    if (r.kind !== 'transfer' && r.kind !== 'approve') throw bad(`transfers[${i}].kind`, "'transfer' or 'approve'", r.kind)
    return Object.freeze({
      kind: r.kind,
      asset: text(r.asset, `transfers[${i}].asset`),
      to: text(r.to, `transfers[${i}].to`),
      amount: amount(r.amount, `transfers[${i}].amount`),
      ...(r.from !== undefined ? { from: text(r.from, `transfers[${i}].from`) } : {}),
    })
  })
  const calls = list(t.calls, 'transaction.calls').map((x, i): TransactionCall => {
    const r = record(x, `calls[${i}]`)
    return Object.freeze({
      to: text(r.to, `calls[${i}].to`),
      ...(r.selector !== undefined ? { selector: text(r.selector, `calls[${i}].selector`, 66) } : {}),
      value: amount(r.value, `calls[${i}].value`),
    })
  })
  const rawFields = record(t.fields, 'transaction.fields')
  const entries = Object.entries(rawFields)
  if (entries.length > MAX_FIELDS) throw bad('transaction.fields', `at most ${MAX_FIELDS} entries`, `${entries.length} entries`)
  // own properties only (a key named __proto__ stays a plain field)
  const fields: Record<string, string> = Object.fromEntries(entries.map(([k, v]) => [text(k, 'field name', 64), text(v, `fields.${k}`, 1024)]))
  return Object.freeze({
    chain: text(t.chain, 'transaction.chain', 32),
    decoder: text(t.decoder, 'transaction.decoder', 40),
    network: text(t.network, 'transaction.network', 128),
    format: text(t.format, 'transaction.format', 64),
    from: text(t.from, 'transaction.from'),
    transfers: Object.freeze(transfers),
    calls: Object.freeze(calls),
    fee: amount(t.fee, 'transaction.fee'),
    feeAsset: text(t.feeAsset, 'transaction.feeAsset'),
    fields: Object.freeze(fields),
  })
}
