import { errorCodes, isZrError } from '@zrkit/core'
import { canonicalMaxDepth, canonicalParse, canonicalStringify } from '@zrkit/core/internal'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fuzzRuns } from '@zrkit/testkit'

/**
 * The canonical JSON codec refuses what has no canonical form with a typed INVALID_INPUT that says where
 * (cycles, nesting past the limit, bad $bytes and $bigint), never a RangeError, TypeError or SyntaxError.
 */

function nest(depth: number, leaf: unknown = 1): unknown {
  let v = leaf
  for (let i = 1; i < depth; i++) v = [v]
  return depth === 0 ? leaf : [v]
}

function refusal(action: () => unknown): { code: string; details: string } {
  try {
    action()
  } catch (e) {
    if (!isZrError(e)) throw new Error(`expected a ZrError, got ${String(e)}`, { cause: e })
    return { code: e.code, details: e.details ?? '' }
  }
  throw new Error('expected a refusal, it succeeded')
}

describe('canonicalStringify', () => {
  it('refuses a cyclic value with INVALID_INPUT naming where (regression: RangeError)', () => {
    const o: Record<string, unknown> = { a: { b: [1] } }
    ;((o.a as Record<string, unknown>).b as unknown[]).push(o)
    expect(refusal(() => canonicalStringify(o))).toEqual({ code: 'INVALID_INPUT', details: 'expected a tree of values, got a value that contains itself at $.a.b[1]' })
  })

  it('encodes a value shared by two fields (not a cycle)', () => {
    const shared = { x: 1n }
    expect(canonicalStringify({ a: shared, b: [shared] })).toBe('{"a":{"x":{"$bigint":"1"}},"b":[{"x":{"$bigint":"1"}}]}')
  })

  it(`encodes ${canonicalMaxDepth} levels and refuses one more, on both sides (regression: RangeError when very deep)`, () => {
    const text = canonicalStringify(nest(canonicalMaxDepth, new Uint8Array([1])))
    expect(canonicalParse(text)).toEqual(nest(canonicalMaxDepth, new Uint8Array([1])))
    expect(refusal(() => canonicalStringify(nest(canonicalMaxDepth + 1))).details).toMatch(/^expected at most 128 levels of objects and arrays, got more at \$\[0\]\[0\]/)
    expect(refusal(() => canonicalParse(`[${text}]`)).code).toBe('INVALID_INPUT')
    expect(refusal(() => canonicalStringify(nest(100_000))).code).toBe('INVALID_INPUT')
  })

  it('refuses a getter that throws, a symbol, a function and a Map with INVALID_INPUT', () => {
    const getter = Object.defineProperty({}, 'x', { enumerable: true, get: () => { throw new Error('nope') } })
    expect(refusal(() => canonicalStringify({ a: getter })).details).toBe('reading $.a.x failed: nope')
    expect(refusal(() => canonicalStringify({ s: Symbol('x') })).details).toBe('unsupported type symbol at $.s')
    expect(refusal(() => canonicalStringify([() => 1])).details).toBe('unsupported type function at $[0]')
    expect(refusal(() => canonicalStringify({ m: new Map() })).code).toBe('INVALID_INPUT')
    expect(refusal(() => canonicalStringify({ n: Number.NaN })).details).toBe('expected a finite number at $.n, got NaN')
  })
})

describe('canonicalParse', () => {
  it.each([
    ['not JSON', '{', 'expected JSON, got "{"'],
    ['an odd-length $bytes', '{"a":{"$bytes":"abc"}}', 'expected even-length hex in "$bytes" at $.a, got "abc"'],
    ['a non-hex $bytes', '[{"$bytes":"zz"}]', 'expected even-length hex in "$bytes" at $[0], got "zz"'],
    ['a fractional $bigint', '{"fee":{"$bigint":"1.5"}}', 'expected a decimal integer in "$bigint" at $.fee, got "1.5"'],
    ['a hex $bigint', '{"fee":{"$bigint":"0x10"}}', 'got "0x10"'],
    ['an empty $bigint', '{"fee":{"$bigint":""}}', 'got ""'],
    ['nesting 100 000 deep', `${'['.repeat(100_000)}${']'.repeat(100_000)}`, 'expected at most 128 levels'],
  ])('refuses %s with INVALID_INPUT (regression: SyntaxError, scure error or RangeError)', (_label, text, details) => {
    const e = refusal(() => canonicalParse(text))
    expect(e.code).toBe('INVALID_INPUT')
    expect(e.details).toContain(details)
  })

  it('keeps "__proto__" an own field and never sets a prototype', () => {
    const v = canonicalParse<Record<string, unknown>>('{"__proto__":{"$bigint":"5"},"a":1}')
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype)
    expect(Object.getOwnPropertyDescriptor(v, '__proto__')?.value).toBe(5n)
    expect(canonicalStringify(v)).toBe('{"__proto__":{"$bigint":"5"},"a":1}')
  })

  it('leaves a $bytes or $bigint that is not a string, or has company, as a plain object', () => {
    expect(canonicalParse('{"$bytes":5}')).toEqual({ $bytes: 5 })
    expect(canonicalParse('{"$bigint":"1","x":2}')).toEqual({ $bigint: '1', x: 2 })
  })

  it('parses what it is given or refuses with a typed error; round-trips what stringify writes (fuzz)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.string({ unit: 'binary' })), (text) => {
        try {
          canonicalParse(text)
        } catch (e) {
          if (!isZrError(e)) throw e
          expect(errorCodes).toContain(e.code)
        }
      }),
      { numRuns: fuzzRuns() },
    )
    fc.assert(
      fc.property(fc.anything({ maxDepth: 6, values: [fc.boolean(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string(), fc.constant(null), fc.bigInt(), fc.uint8Array({ maxLength: 8 })] }), fc.uint8Array(), (v, bytes) => {
        const value = { v, bytes }
        const text = canonicalStringify(value)
        expect(canonicalStringify(canonicalParse(text))).toBe(text)
      }),
      { numRuns: fuzzRuns() },
    )
  })
})
