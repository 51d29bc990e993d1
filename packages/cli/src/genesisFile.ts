import { readFile } from 'node:fs/promises'
import { type Genesis, ZrError } from '@zrkit/core'

const bad = (file: string, expected: string, got: string) => new ZrError('INVALID_CONFIG', 'Invalid genesis file.', { details: `${file}: expected ${expected}, got ${got}` })

/**
 * A ledger genesis from a JSON file: `{ "chainId": "zrkit-dev", "balances": [{ "address": "zen1...", "amount": "1000000" }],
 * "transactionDecoders": ["evm@1", "bitcoin@1", "solana@1", "cosmos@1"] }` (the decoders are optional: without
 * them the ledger takes no sign-transaction requests).
 * Amounts are decimal strings or integers (no floats); the ledger checks the addresses. Anything else is refused
 * with `INVALID_CONFIG` naming the field.
 *
 * @example
 * ```ts
 * const genesis = await readGenesisFile('genesis.json')
 * ```
 */
export async function readGenesisFile(file: string): Promise<Genesis> {
  let raw: unknown
  try {
    raw = JSON.parse(await readFile(file, 'utf8'))
  } catch (e) {
    throw bad(file, 'a readable JSON file', (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e)))
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw bad(file, 'an object { chainId, balances? }', Array.isArray(raw) ? 'an array' : typeof raw)
  const { chainId, balances, time, transactionDecoders } = raw as Record<string, unknown>
  if (transactionDecoders !== undefined && (!Array.isArray(transactionDecoders) || transactionDecoders.some((d) => typeof d !== 'string'))) {
    throw bad(file, 'transactionDecoders: a list of "chain@version" strings such as ["evm@1", "bitcoin@1"]', JSON.stringify(transactionDecoders))
  }
  if (typeof chainId !== 'string' || chainId.length === 0) throw bad(file, 'chainId: a non-empty string', JSON.stringify(chainId))
  if (time !== undefined && (typeof time !== 'number' || !Number.isSafeInteger(time) || time < 0)) throw bad(file, 'time: milliseconds since 1970 as an integer', JSON.stringify(time))
  if (balances !== undefined && !Array.isArray(balances)) throw bad(file, 'balances: a list of { address, amount }', typeof balances)
  const list = ((balances ?? []) as unknown[]).map((b, i) => {
    if (!b || typeof b !== 'object') throw bad(file, `balances[${i}]: an object { address, amount }`, JSON.stringify(b))
    const { address, amount } = b as Record<string, unknown>
    if (typeof address !== 'string') throw bad(file, `balances[${i}].address: a zen1... address`, JSON.stringify(address))
    const ok = (typeof amount === 'string' && /^\d+$/.test(amount)) || (typeof amount === 'number' && Number.isSafeInteger(amount) && amount >= 0)
    if (!ok) throw bad(file, `balances[${i}].amount: a non-negative integer (a decimal string for large ones)`, JSON.stringify(amount))
    return { address, amount: BigInt(amount as string | number) }
  })
  return { chainId, ...(time !== undefined ? { time: time as number } : {}), balances: list, ...(transactionDecoders !== undefined ? { transactionDecoders: transactionDecoders as string[] } : {}) }
}
