import { assertAddress } from '../account/address.js'
import { describeValue } from '../errors/describeValue.js'
import { ZrError } from '../errors/ZrError.js'

/**
 * Checks for message fields. Messages may arrive from anywhere, so every field is checked for type
 * and range before use; each failure says what was expected and what arrived.
 */

/** A short, never-throwing description of any value for error details: `"abc"`, `5n`, `33 bytes`, `null`. */
export function describe(v: unknown): string {
  return describeValue(v)
}

export function invalid(what: string, expected: string, got: unknown): ZrError {
  return new ZrError('INVALID_INPUT', `Invalid ${what}.`, { details: `expected ${expected}, got ${describeValue(got)}` })
}

export function checkString(v: unknown, what: string, { min = 0, max = 256 } = {}): string {
  if (typeof v !== 'string' || v.length < min || v.length > max) throw invalid(what, `a string of ${min}..${max} characters`, v)
  return v
}

export function checkInt(v: unknown, what: string, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw invalid(what, `an integer in ${min}..${max}`, v)
  return v
}

export function checkAmount(v: unknown, what: string, { positive = false } = {}): bigint {
  if (typeof v !== 'bigint' || v < (positive ? 1n : 0n) || v >= 2n ** 128n) throw invalid(what, `${positive ? 'a positive' : 'a non-negative'} bigint below 2^128`, v)
  return v
}

export function checkBool(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') throw invalid(what, 'a boolean', v)
  return v
}

export function checkBytes(v: unknown, what: string, length?: number): Uint8Array {
  if (!(v instanceof Uint8Array) || (length !== undefined && v.length !== length)) {
    throw invalid(what, length === undefined ? 'bytes' : `${length} bytes`, v)
  }
  return v
}

/**
 * The one address check of every message field: a bech32 address with `prefix` in its canonical
 * lower-case form. Messages reach the handlers with their address fields already in lower case (see
 * `normalizeMessageAddresses`, applied to every message before it is dispatched), so an address that is
 * still upper case here sits in a field that was never normalised: it is refused rather than stored in a
 * form no account signs as. Mixed case, a bad checksum or another prefix: `INVALID_ADDRESS`.
 *
 * @example
 * ```ts
 * import { checkAddress } from './validate.js'
 * checkAddress(bob.address, 'zen', 'to')               // bob.address
 * checkAddress(bob.address.toUpperCase(), 'zen', 'to') // throws INVALID_ADDRESS: expected the lower-case form
 * ```
 */
export function checkAddress(v: unknown, prefix: string, what: string): string {
  const address = assertAddress(v, prefix, what)
  if (address !== v) throw new ZrError('INVALID_ADDRESS', `Invalid ${what}.`, { details: `expected the lower-case form "${address}", got ${describeValue(v)}` })
  return address
}

/** Address with the account prefix `zen`. */
export function checkAccount(v: unknown, what: string): string {
  return checkAddress(v, 'zen', what)
}
export function checkWorkspaceAddress(v: unknown, what = 'workspace'): string {
  return checkAddress(v, 'workspace', what)
}
export function checkKeyringAddress(v: unknown, what = 'keyring'): string {
  return checkAddress(v, 'keyring', what)
}

/** A list of distinct account addresses. */
export function checkAccountList(v: unknown, what: string, { min = 0, max = 64 } = {}): string[] {
  if (!Array.isArray(v) || v.length < min || v.length > max) throw invalid(what, `a list of ${min}..${max} addresses`, v)
  const seen = new Set<string>()
  for (const [i, a] of v.entries()) {
    const address = checkAccount(a, `${what}[${i}]`)
    if (seen.has(address)) throw invalid(what, 'distinct addresses', `${address} twice`)
    seen.add(address)
  }
  return v as string[]
}

/** An optional field: undefined passes, anything else is checked. */
export function optional<T>(v: unknown, check: (v: unknown) => T): T | undefined {
  return v === undefined ? undefined : check(v)
}
