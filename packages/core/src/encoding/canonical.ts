import { hex } from '@scure/base'
import { ZrError } from '../errors/ZrError.js'
import { toHex, utf8 } from './bytes.js'

/**
 * How deep values may nest (objects and arrays, the outermost counting as 1). Deeper values are refused
 * with `INVALID_INPUT` on both sides, so anything {@link canonicalStringify} writes {@link canonicalParse}
 * reads, and hostile input cannot exhaust the stack.
 *
 * @example
 * ```ts
 * import { canonicalMaxDepth, canonicalStringify } from '@zrkit/core/internal'
 * let deep: unknown = 1
 * for (let i = 0; i <= canonicalMaxDepth; i++) deep = [deep]
 * canonicalStringify(deep) // throws ZrError INVALID_INPUT: 'expected at most 128 levels of objects and arrays, ...'
 * ```
 */
export const canonicalMaxDepth = 128

/**
 * The canonical JSON form of zrkit values: object keys sorted, `undefined` fields dropped, `Uint8Array`
 * as `{"$bytes":"<hex>"}`, `bigint` as `{"$bigint":"<decimal>"}`. The same value always gives the same
 * string, so it is used for what accounts sign, for the ledger's log and for state hashes.
 *
 * Throws `INVALID_INPUT` (saying where) for what has no canonical form: a cyclic value, nesting deeper
 * than {@link canonicalMaxDepth}, a non-finite number, a `Map`, a function or a symbol.
 *
 * @example
 * ```ts
 * import { canonicalStringify, canonicalParse } from '@zrkit/core/internal'
 * const s = canonicalStringify({ b: 1n, a: new Uint8Array([1]) }) // '{"a":{"$bytes":"01"},"b":{"$bigint":"1"}}'
 * canonicalParse(s) // { a: Uint8Array [1], b: 1n }
 * const cyclic: Record<string, unknown> = {}
 * cyclic.self = cyclic
 * canonicalStringify(cyclic) // throws ZrError INVALID_INPUT: "expected a tree of values, got a value that contains itself at $.self"
 * ```
 */
export function canonicalStringify(value: unknown): string {
  const path: (string | number)[] = []
  try {
    return write(value, path, new Set())
  } catch (e) {
    if (e instanceof ZrError) throw e
    // a getter or proxy of the caller's that throws: still a typed refusal
    throw new ZrError('INVALID_INPUT', 'Cannot encode value.', { details: `reading ${where(path)} failed: ${String((e as Error)?.message ?? e)}`, cause: e })
  }
}

function write(v: unknown, path: (string | number)[], open: Set<object>): string {
  if (v === null) return 'null'
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v)
    case 'boolean':
      return v ? 'true' : 'false'
    case 'number':
      if (!Number.isFinite(v)) throw new ZrError('INVALID_INPUT', 'Cannot encode a non-finite number.', { details: `expected a finite number at ${where(path)}, got ${v}` })
      return JSON.stringify(v)
    case 'bigint':
      return `{"$bigint":"${v.toString()}"}`
    case 'object': {
      if (v instanceof Uint8Array) return `{"$bytes":"${toHex(v)}"}`
      if (v instanceof Map) throw new ZrError('INVALID_INPUT', 'Cannot encode a Map; convert it to an array first.', { details: `expected a plain object or array at ${where(path)}, got a Map` })
      if (open.has(v)) throw new ZrError('INVALID_INPUT', 'Cannot encode a cyclic value.', { details: `expected a tree of values, got a value that contains itself at ${where(path)}` })
      if (open.size >= canonicalMaxDepth) throw tooDeep(path)
      open.add(v)
      let out: string
      if (Array.isArray(v)) {
        const parts: string[] = []
        for (let i = 0; i < v.length; i++) {
          path.push(i)
          parts.push(v[i] === undefined ? 'null' : write(v[i], path, open))
          path.pop()
        }
        out = `[${parts.join(',')}]`
      } else {
        const parts: string[] = []
        for (const k of Object.keys(v).sort()) {
          path.push(k)
          const x = (v as Record<string, unknown>)[k]
          if (x !== undefined) parts.push(`${JSON.stringify(k)}:${write(x, path, open)}`)
          path.pop()
        }
        out = `{${parts.join(',')}}`
      }
      open.delete(v)
      return out
    }
    default:
      throw new ZrError('INVALID_INPUT', 'Cannot encode value.', { details: `unsupported type ${typeof v} at ${where(path)}` })
  }
}

/**
 * Parses the output of {@link canonicalStringify} back into values (bytes and bigints restored).
 *
 * Throws `INVALID_INPUT` for text that is not JSON, a `$bytes` that is not even-length hex, a `$bigint`
 * that is not a decimal integer, and nesting deeper than {@link canonicalMaxDepth}.
 *
 * @example
 * ```ts
 * import { canonicalParse, canonicalStringify } from '@zrkit/core/internal'
 * canonicalParse(canonicalStringify({ fee: 10n })) // { fee: 10n }
 * canonicalParse('{"fee":{"$bigint":"ten"}}') // throws ZrError INVALID_INPUT: 'expected a decimal integer in "$bigint" at $.fee, got "ten"'
 * ```
 */
export function canonicalParse<T = unknown>(text: string): T {
  if (typeof text !== 'string') throw new ZrError('INVALID_INPUT', 'Invalid canonical JSON.', { details: `expected a string, got ${text === null ? 'null' : typeof text}` })
  let raw: unknown
  try {
    // JSON.parse itself does not recurse, so any nesting parses; revive() then bounds the depth
    raw = JSON.parse(text)
  } catch (e) {
    throw new ZrError('INVALID_INPUT', 'Invalid canonical JSON.', { details: `expected JSON, got ${preview(text)} (${String((e as Error)?.message ?? e)})`, cause: e })
  }
  return revive(raw, [], 0) as T
}

/** Restores `$bytes` and `$bigint` in a value fresh from JSON.parse (in place), depth-first. */
function revive(v: unknown, path: (string | number)[], depth: number): unknown {
  if (v === null || typeof v !== 'object') return v
  if (Array.isArray(v)) {
    if (depth >= canonicalMaxDepth) throw tooDeep(path)
    for (let i = 0; i < v.length; i++) {
      path.push(i)
      v[i] = revive(v[i], path, depth + 1)
      path.pop()
    }
    return v
  }
  const o = v as Record<string, unknown>
  const keys = Object.keys(o)
  if (keys.length === 1 && typeof o[keys[0]!] === 'string') {
    if (keys[0] === '$bytes') return decodeBytes(o.$bytes as string, path)
    if (keys[0] === '$bigint') return decodeBigint(o.$bigint as string, path)
  }
  if (depth >= canonicalMaxDepth) throw tooDeep(path)
  for (const k of keys) {
    const x = o[k]
    path.push(k)
    const y = revive(x, path, depth + 1)
    path.pop()
    // defineProperty, not assignment: a "__proto__" key stays an own field and never sets the prototype
    if (y !== x) Object.defineProperty(o, k, { value: y, writable: true, enumerable: true, configurable: true })
  }
  return o
}

function decodeBytes(s: string, path: (string | number)[]): Uint8Array {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) {
    throw new ZrError('INVALID_INPUT', 'Invalid canonical JSON.', { details: `expected even-length hex in "$bytes" at ${where(path)}, got ${preview(s)}` })
  }
  return hex.decode(s.toLowerCase())
}

function decodeBigint(s: string, path: (string | number)[]): bigint {
  if (!/^-?[0-9]+$/.test(s)) throw new ZrError('INVALID_INPUT', 'Invalid canonical JSON.', { details: `expected a decimal integer in "$bigint" at ${where(path)}, got ${preview(s)}` })
  return BigInt(s)
}

function tooDeep(path: readonly (string | number)[]): ZrError {
  return new ZrError('INVALID_INPUT', 'Value nested too deeply.', { details: `expected at most ${canonicalMaxDepth} levels of objects and arrays, got more at ${where(path)}` })
}

/** `$.msg.payloads[0]`: where in a value something went wrong (long paths shortened). */
function where(path: readonly (string | number)[]): string {
  const shown = path.length > 12 ? [...path.slice(0, 6), '...', ...path.slice(-3)] : path
  return `$${shown.map((k) => (typeof k === 'number' ? `[${k}]` : k === '...' || /^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k.length > 32 ? `${k.slice(0, 32)}...` : k)}]`)).join('')}`
}

function preview(s: string): string {
  return JSON.stringify(s.length > 48 ? `${s.slice(0, 48)}...` : s)
}

/**
 * UTF-8 bytes of the canonical form.
 *
 * @example
 * ```ts
 * import { canonicalBytes } from '@zrkit/core/internal'
 * import { sha256 } from '@noble/hashes/sha2.js'
 * const digest = sha256(canonicalBytes({ b: 1, a: 2 })) // same digest for { a: 2, b: 1 }
 * ```
 */
export function canonicalBytes(value: unknown): Uint8Array {
  return utf8(canonicalStringify(value))
}
