import { describe, expect, expectTypeOf, it } from 'vitest'
import type { ZrErrorContext } from './context.js'
import { ZrError, isZrError, zrErrorFromJSON } from './ZrError.js'

const thrown = (fn: () => unknown): unknown => {
  try {
    fn()
  } catch (e) {
    return e
  }
  throw new Error('expected a throw')
}

describe('ZrError context', () => {
  it('carries the context given at the throw site, typed by its code', () => {
    const e = new ZrError('KEY_NOT_FOUND', 'Key not found.', { details: 'no key 7', context: { keyId: 7 } })
    expect(e.context).toEqual({ keyId: 7 })
    expectTypeOf(e.context).toEqualTypeOf<ZrErrorContext['KEY_NOT_FOUND']>()
    expectTypeOf(e.context.keyId).toEqualTypeOf<number | undefined>()
  })

  it('is {} when the thrower gives none', () => {
    expect(new ZrError('ALREADY_EXISTS', 'Exists.').context).toEqual({})
  })

  it('isZrError narrows the context to the code, so a caller reads fields without typeof checks', () => {
    const e: unknown = new ZrError('MPC_ABORT', 'Party b cheated.', { context: { party: 'b' } })
    if (!isZrError(e, 'MPC_ABORT')) throw new Error('expected MPC_ABORT')
    expectTypeOf(e.context.party).toEqualTypeOf<string | undefined>()
    expectTypeOf(e.context.missing).toEqualTypeOf<readonly string[] | undefined>()
    const party: string | undefined = e.context.party
    expect(party).toBe('b')
    const balance: unknown = new ZrError('INSUFFICIENT_BALANCE', 'Too poor.', { context: { address: 'zen1a', needed: 5n, balance: 2n } })
    if (!isZrError(balance, 'INSUFFICIENT_BALANCE')) throw new Error('expected INSUFFICIENT_BALANCE')
    expect(balance.context.needed - balance.context.balance).toBe(3n)
  })

  it('refuses, at compile time, a context of the wrong shape for its code', () => {
    // @ts-expect-error keyId is a number
    new ZrError('KEY_NOT_FOUND', 'Key not found.', { context: { keyId: 'seven' } })
    // @ts-expect-error INSUFFICIENT_BALANCE needs address, needed and balance
    new ZrError('INSUFFICIENT_BALANCE', 'Too poor.', { context: { needed: 1n } })
    // @ts-expect-error a code without data takes no context fields
    new ZrError('ALREADY_EXISTS', 'Exists.', { context: { name: 'x' } })
    // @ts-expect-error an unknown field of a typed context
    new ZrError('MPC_ABORT', 'Abort.', { context: { partee: 'b' } })
    expect(true).toBe(true)
  })

  it('keeps meta as a deprecated, untyped view of the same object', () => {
    const e = new ZrError('TIMEOUT', 'Too slow.', { context: { missing: ['c'] } })
    expect(e.meta).toBe(e.context)
    const legacy = new ZrError('TIMEOUT', 'Too slow.', { meta: { missing: ['d'] } })
    expect(legacy.context).toEqual({ missing: ['d'] })
  })
})

describe('ZrError JSON', () => {
  it('round-trips code, message, details and context through JSON text', () => {
    const e = new ZrError('DUPLICATE_RESPONSE', 'Party already responded.', { details: 'zen1b already responded', context: { requestId: 3, party: 'zen1b' } })
    const json = JSON.parse(JSON.stringify(e))
    expect(json).toEqual({ name: 'ZrError', code: 'DUPLICATE_RESPONSE', shortMessage: 'Party already responded.', details: 'zen1b already responded', context: { requestId: 3, party: 'zen1b' } })
    const back = zrErrorFromJSON(json)
    expect(isZrError(back, 'DUPLICATE_RESPONSE')).toBe(true)
    expect(back.details).toBe(e.details)
    expect(back.context).toEqual(e.context)
  })

  it('reads the form older versions wrote, with meta in place of context', () => {
    const back = zrErrorFromJSON({ code: 'KEY_NOT_FOUND', shortMessage: 'Key not found.', meta: { keyId: 9 } })
    expect(back.context).toEqual({ keyId: 9 })
  })

  it('refuses a malformed serialised error with MALFORMED_MESSAGE, saying what was expected', () => {
    const cases: [unknown, RegExp][] = [
      [null, /expected an object, got null/],
      [{ shortMessage: 'x' }, /expected a string code, got undefined/],
      [{ code: 'TIMEOUT' }, /expected a string shortMessage/],
      [{ code: 'TIMEOUT', shortMessage: 'x', context: 5 }, /expected context as an object, got number 5/],
      [{ code: 'TIMEOUT', shortMessage: 'x', meta: 'm' }, /expected meta as an object/],
    ]
    for (const [json, details] of cases) {
      const e = thrown(() => zrErrorFromJSON(json as never))
      expect(isZrError(e, 'MALFORMED_MESSAGE')).toBe(true)
      expect((e as ZrError).details).toMatch(details)
    }
  })
})
