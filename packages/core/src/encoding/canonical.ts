import { hex } from '@scure/base'
import { ZrError } from '../errors/ZrError.js'
import { utf8 } from './bytes.js'

/**
 * The canonical JSON form of zrkit values: object keys sorted, `undefined` fields dropped, `Uint8Array`
 * as `{"$bytes":"<hex>"}`, `bigint` as `{"$bigint":"<decimal>"}`. The same value always gives the same
 * string, so it is used for what accounts sign, for the ledger's log and for state hashes.
 *
 * @example
 * ```ts
 * import { canonicalStringify, canonicalParse } from '@zrkit/core'
 * const s = canonicalStringify({ b: 1n, a: new Uint8Array([1]) }) // '{"a":{"$bytes":"01"},"b":{"$bigint":"1"}}'
 * canonicalParse(s) // { a: Uint8Array [1], b: 1n }
 * ```
 */
export function canonicalStringify(value: unknown): string {
  return write(value)
}

function write(v: unknown): string {
  if (v === null) return 'null'
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v)
    case 'boolean':
      return v ? 'true' : 'false'
    case 'number':
      if (!Number.isFinite(v)) throw new ZrError('INVALID_INPUT', 'Cannot encode a non-finite number.', { details: `got ${v}` })
      return JSON.stringify(v)
    case 'bigint':
      return `{"$bigint":"${v.toString()}"}`
    case 'object': {
      if (v instanceof Uint8Array) return `{"$bytes":"${hex.encode(v)}"}`
      if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : write(x))).join(',')}]`
      if (v instanceof Map) throw new ZrError('INVALID_INPUT', 'Cannot encode a Map; convert it to an array first.')
      const keys = Object.keys(v as object).sort()
      const parts: string[] = []
      for (const k of keys) {
        const x = (v as Record<string, unknown>)[k]
        if (x === undefined) continue
        parts.push(`${JSON.stringify(k)}:${write(x)}`)
      }
      return `{${parts.join(',')}}`
    }
    default:
      throw new ZrError('INVALID_INPUT', 'Cannot encode value.', { details: `unsupported type ${typeof v}` })
  }
}

/**
 * Parses the output of {@link canonicalStringify} back into values (bytes and bigints restored).
 *
 * @example
 * ```ts
 * import { canonicalParse, canonicalStringify } from '@zrkit/core'
 * canonicalParse(canonicalStringify({ fee: 10n })) // { fee: 10n }
 * ```
 */
export function canonicalParse<T = unknown>(text: string): T {
  return JSON.parse(text, (_k, v) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const keys = Object.keys(v)
      if (keys.length === 1) {
        if (keys[0] === '$bytes' && typeof v.$bytes === 'string') return hex.decode(v.$bytes)
        if (keys[0] === '$bigint' && typeof v.$bigint === 'string') return BigInt(v.$bigint)
      }
    }
    return v
  }) as T
}

/**
 * UTF-8 bytes of the canonical form.
 *
 * @example
 * ```ts
 * import { canonicalBytes } from '@zrkit/core'
 * import { sha256 } from '@noble/hashes/sha2.js'
 * const digest = sha256(canonicalBytes({ b: 1, a: 2 })) // same digest for { a: 2, b: 1 }
 * ```
 */
export function canonicalBytes(value: unknown): Uint8Array {
  return utf8(canonicalStringify(value))
}
