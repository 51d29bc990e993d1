import { type LedgerChannel, type LedgerEvent, type Ledger, type ZrError, connectLedger, errorCodes, isZrError, serveLedger, signTx } from '@zrkit/core'
import { canonicalParse } from '@zrkit/core/internal'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { type Setup, fuzzRuns, setup, tick, until } from '@zrkit/testkit'

/**
 * serveLedger and connectLedger against hostile frames: a server never throws or dies from what a
 * client sends, answers every frame that has a usable id exactly once, and keeps serving well-behaved
 * clients; a client never throws out of the channel callback, and every call it makes settles with a
 * value or a typed ZrError (timeout and channel close included).
 */

const opened: Setup[] = []
afterEach(async () => {
  for (const s of opened.splice(0)) await s.ledger.close()
})
async function fixture(): Promise<Setup> {
  const s = await setup({ workspace: false, keyring: false })
  opened.push(s)
  return s
}

/** Settles within `ms`, or says it did not: a call that never settles fails the test instead of hanging it. */
function within<T>(p: Promise<T>, ms = 2_000): Promise<{ value: T } | { error: unknown } | 'pending'> {
  return Promise.race([p.then((value) => ({ value }), (error: unknown) => ({ error })), new Promise<'pending'>((r) => setTimeout(() => r('pending'), ms))])
}

/** A ZrError whose code is a released one, with a message; anything else is a failure to type an error. */
function expectTyped(e: unknown, code?: string): ZrError {
  if (!isZrError(e)) throw new Error(`expected a ZrError, got ${String(e)}`, { cause: e })
  expect(errorCodes).toContain(e.code)
  expect(e.shortMessage.length).toBeGreaterThan(0)
  if (code) expect(e.code).toBe(code)
  return e
}

/** An in-memory duplex delivered a tick later, like a transport; `close()` on either end closes both. */
function pipe(): [LedgerChannel, LedgerChannel] {
  const listeners: ((m: string) => void)[][] = [[], []]
  const closers: (() => void)[][] = [[], []]
  let closed = false
  const end = (i: 0 | 1): LedgerChannel => ({
    send(m) {
      if (closed) throw new Error('write after end')
      setImmediate(() => {
        if (!closed) for (const l of listeners[1 - i]!) l(m)
      })
    },
    onMessage: (fn) => void listeners[i]!.push(fn),
    onClose: (fn) => void closers[i]!.push(fn),
    close() {
      if (closed) return
      closed = true
      setImmediate(() => {
        for (const c of [...closers[0]!, ...closers[1]!]) c()
      })
    },
  })
  return [end(0), end(1)]
}

/**
 * The server side of a channel under the test's control: `inject` calls serveLedger's listener
 * directly, every frame the server sends is kept (parsed) and forwarded to `onFrame` listeners.
 */
function serverHarness(ledger: Ledger) {
  let inject!: (text: unknown) => unknown
  const frames: Record<string, unknown>[] = []
  const forward: ((text: string) => void)[] = []
  const dropped: ZrError[] = []
  const server = serveLedger(
    ledger,
    {
      send(text) {
        frames.push(canonicalParse(text))
        for (const f of forward) f(text)
      },
      onMessage: (fn) => {
        inject = fn as (text: unknown) => unknown
      },
    },
    { onError: (e) => dropped.push(e) },
  )
  const replies = (id: unknown) => frames.filter((f) => 'id' in f && (f.id === id || (Number.isNaN(f.id) && Number.isNaN(id))))
  /** Feeds a frame; fails if serveLedger's listener throws or returns a promise that rejects. */
  async function feed(text: unknown): Promise<void> {
    let returned: unknown
    try {
      returned = inject(text)
    } catch (e) {
      throw new Error(`serveLedger's listener threw on ${String(text).slice(0, 80)}`, { cause: e })
    }
    await Promise.resolve(returned).catch((e: unknown) => {
      throw new Error(`serveLedger's listener rejected on ${String(text).slice(0, 80)}`, { cause: e })
    })
  }
  /** A client channel on this very server channel. */
  const clientChannel: LedgerChannel = {
    send: (text) => void setImmediate(() => void feed(text)),
    onMessage: (fn) => void forward.push((t) => setImmediate(() => fn(t))),
  }
  return { server, frames, dropped, replies, feed, clientChannel }
}

/** What the wire promises: a frame that is a JSON object with a finite-number or short-string id gets one reply. */
function usableIdOf(text: unknown): number | string | undefined {
  if (typeof text !== 'string') return undefined
  try {
    const raw: unknown = JSON.parse(text)
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined
    const id = (raw as { id?: unknown }).id
    if (typeof id === 'number' && Number.isFinite(id)) return id
    if (typeof id === 'string' && id.length <= 256) return id
  } catch {
    // not JSON: no reply is due
  }
  return undefined
}

// ---------------------------------------------------------------------------------------------
// Frames: text built by hand, so it can hold what canonicalStringify never writes.

/** A JSON token written as is: 1e400, a bad $bytes, 3 000 nested brackets. */
class Raw {
  constructor(readonly text: string) {}
}
function toText(v: unknown): string {
  if (v instanceof Raw) return v.text
  if (v instanceof Uint8Array) return `{"$bytes":"${Buffer.from(v).toString('hex')}"}`
  if (typeof v === 'bigint') return `{"$bigint":"${v}"}`
  if (Array.isArray(v)) return `[${v.map(toText).join(',')}]`
  if (v !== null && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${toText(x)}`).join(',')}}`
  return JSON.stringify(v) ?? 'null'
}

const rawTokens = fc.oneof(
  fc.constantFrom('1e400', '-1e400', '1e-400', '123456789012345678901234567890123', '-0', '1e308', 'null', '[]', '{}', '"__proto__"'),
  fc.constantFrom('{"$bytes":"abc"}', '{"$bytes":"zz"}', '{"$bytes":"0x00"}', '{"$bytes":5}', '{"$bytes":null}', '{"$bytes":"AB"}'),
  fc.constantFrom('{"$bigint":"1.5"}', '{"$bigint":"0x10"}', '{"$bigint":""}', '{"$bigint":"abc"}', '{"$bigint":" 1"}', '{"$bigint":"-"}', `{"$bigint":"${'9'.repeat(500)}"}`, '{"$bigint":7}'),
  fc.string({ maxLength: 12 }).map((s) => `{"$bytes":${JSON.stringify(s)}}`),
  fc.string({ maxLength: 12 }).map((s) => `{"$bigint":${JSON.stringify(s)}}`),
  fc.integer({ min: 100, max: 3_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  fc.integer({ min: 100, max: 3_000 }).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`),
)
const scalar = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, Number.MAX_SAFE_INTEGER + 2, '', 'toString', '__proto__', 'hasOwnProperty', 'constructor'),
  fc.string({ maxLength: 16 }),
  fc.string({ unit: 'binary', maxLength: 16 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.bigInt(),
  fc.uint8Array({ maxLength: 40 }),
)
const { value } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, rawTokens.map((t) => new Raw(t)), fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 4 })),
}))
const eventType = fc.constantFrom('genesis', 'bank.transfer', 'keyRequest.fulfilled', 'nope', 'toString')
const filter = fc.oneof(
  fc.constantFrom(null, 5, 'x', [], {}),
  fc.record({ types: fc.oneof(fc.array(eventType, { maxLength: 3 }), value), keyring: value, requestId: fc.oneof(fc.nat(), value), foo: value }, { requiredKeys: [] }),
  value,
)
const id = fc.oneof(
  fc.integer(),
  fc.string({ maxLength: 8 }),
  fc.constantFrom(null, true, 1.5, 1e308, -0, Number.MAX_SAFE_INTEGER + 2),
  fc.constantFrom(new Raw('1e400'), new Raw('{"$bigint":"5"}'), new Raw('{"$bytes":"zz"}'), new Raw('[1]')),
  fc.string({ minLength: 250, maxLength: 300 }),
)
const request = fc.record(
  {
    id,
    op: fc.oneof(fc.constantFrom('hello', 'submit', 'query', 'subscribe', 'unsubscribe', 'toString', '__proto__', 'constructor'), fc.string({ maxLength: 8 }), value),
    tx: value,
    kind: fc.oneof(fc.constantFrom('status', 'account', 'events', 'key', 'tx', 'nope', 'toString', 'hasOwnProperty', '__proto__', 'constructor'), value),
    params: fc.oneof(fc.record({ address: value, id: value, filter, hash: value, path: value, wallets: value, cursor: value, limit: value }, { requiredKeys: [] }), value),
    filter,
    fromSeq: fc.oneof(fc.integer({ min: -2, max: 5 }), value),
    sub: value,
  },
  { requiredKeys: ['id', 'op'] },
)
/** Every kind of line a server may be sent. */
const hostileFrame = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.json(),
  fc.constantFrom('null', '5', '"x"', '[]', '{}', '[1,2]', '{"id":1}', '{"id":null}', '{"op":"hello"}', 'true', '1e400', '{"id":1e400,"op":"hello"}', ''),
  request.map(toText),
  rawTokens,
)

// ---------------------------------------------------------------------------------------------

describe('serveLedger under hostile frames', () => {
  it('never throws, answers every frame with a usable id exactly once, and keeps serving well-behaved clients (fuzz)', async () => {
    const s = await fixture()
    const h = serverHarness(s.ledger)
    const unhandled: unknown[] = []
    const onUnhandled = (e: unknown) => unhandled.push(e)
    process.on('unhandledRejection', onUnhandled)
    try {
      // a well-behaved client on another channel, subscribed through the whole fuzz
      const [near, far] = pipe()
      serveLedger(s.ledger, far)
      const other = await connectLedger(near)
      const seen: LedgerEvent[] = []
      other.subscribe({ types: ['bank.transfer'] }, (e) => seen.push(e))
      await other.query('status', {}) // frames are handled in order: the subscription is in place

      await fc.assert(
        fc.asyncProperty(hostileFrame, async (text) => {
          const due = usableIdOf(text)
          const before = due === undefined ? 0 : h.replies(due).length
          await h.feed(text)
          if (due !== undefined) await until(() => h.replies(due).length > before, `the reply to ${text.slice(0, 80)}`)
          for (let i = 0; i < 3; i++) await tick()
          if (due !== undefined) expect(h.replies(due).length - before).toBe(1)
        }),
        { numRuns: fuzzRuns() },
      )
      // every error reply carries a released code and a message
      for (const f of h.frames.filter((x) => 'id' in x && x.ok === false)) {
        const error = f.error as { code: string; shortMessage: string }
        expect(errorCodes).toContain(error.code)
        expect(error.shortMessage.length).toBeGreaterThan(0)
      }

      // the fuzzed channel itself still serves a client
      const same = await connectLedger(h.clientChannel)
      expect((await same.query('status', {})).chainId).toBe(s.chainId)
      // and the other client's subscription still delivers
      await s.ledger.submit(await signTx(s.owner.account, { chainId: s.chainId, sequence: await s.sequence(s.owner.address), msg: { type: 'bank.Send', to: s.outsider.address, amount: 1n } }))
      await until(() => seen.length > 0, 'the event on the well-behaved subscription')
      expect((await other.query('account', { address: s.outsider.address })).balance).toBe(1_000_001n)
      expect(unhandled).toEqual([])
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })

  it('does not throw on a line that parses to null, and keeps answering (regression)', async () => {
    const s = await fixture()
    const h = serverHarness(s.ledger)
    for (const text of ['null', '5', '"x"', 'true', '[]', '[{"id":1,"op":"hello"}]']) await h.feed(text)
    await h.feed('{"id":1,"op":"hello"}')
    await until(() => h.replies(1).length === 1, 'the hello reply')
    expect(h.replies(1)[0]).toMatchObject({ ok: true, value: { chainId: s.chainId } })
    expect(h.dropped.length).toBe(6)
    for (const e of h.dropped) expectTyped(e, 'MALFORMED_MESSAGE')
  })

  it.each([
    ['null', 'null'],
    ['{ types: 5 }', '{"types":5}'],
    ['{ types: ["nope"] }', '{"types":["nope"]}'],
    ['{ foo: 1 }', '{"foo":1}'],
    ['{ requestId: "1" }', '{"requestId":"1"}'],
  ])('refuses a subscription with filter %s with an INVALID_INPUT reply; other subscribers keep their events (regression)', async (_label, filterText) => {
    const s = await fixture()
    const h = serverHarness(s.ledger)
    const [near, far] = pipe()
    serveLedger(s.ledger, far)
    const other = await connectLedger(near)
    const seen: LedgerEvent[] = []
    other.subscribe({}, (e) => seen.push(e))
    await other.query('status', {}) // frames are handled in order: the subscription is in place
    await h.feed(`{"id":7,"op":"subscribe","filter":${filterText}}`)
    await until(() => h.replies(7).length === 1, 'the subscribe reply')
    const reply = h.replies(7)[0] as { ok: boolean; error: { code: string; details: string } }
    expect(reply.ok).toBe(false)
    expect(reply.error.code).toBe('INVALID_INPUT')
    expect(reply.error.details).toMatch(/expected/)
    await s.ledger.submit(await signTx(s.owner.account, { chainId: s.chainId, sequence: 0, msg: { type: 'bank.Send', to: s.outsider.address, amount: 1n } }))
    await until(() => seen.some((e) => e.type === 'bank.transfer'), 'the event on the other subscription')
    expect(h.frames.filter((f) => 'sub' in f)).toEqual([])
  })

  it.each([
    ['an odd-length $bytes', '{"id":3,"op":"submit","tx":{"publicKey":{"$bytes":"abc"}}}', '$bytes'],
    ['a non-hex $bytes', '{"id":3,"op":"submit","tx":{"signature":{"$bytes":"zz"}}}', '$bytes'],
    ['a fractional $bigint', '{"id":3,"op":"submit","tx":{"msg":{"amount":{"$bigint":"1.5"}}}}', '$bigint'],
    ['a non-decimal $bigint', '{"id":3,"op":"query","kind":"account","params":{"address":{"$bigint":"x"}}}', '$bigint'],
    ['nesting deeper than the canonical limit', `{"id":3,"op":"submit","tx":${'['.repeat(5_000)}${']'.repeat(5_000)}}`, 'levels'],
  ])('answers a request with %s with a MALFORMED_MESSAGE reply to its id (regression)', async (_label, text, fragment) => {
    const s = await fixture()
    const h = serverHarness(s.ledger)
    await h.feed(text)
    await until(() => h.replies(3).length === 1, 'the error reply')
    const reply = h.replies(3)[0] as { ok: boolean; error: { code: string; details: string } }
    expect(reply.ok).toBe(false)
    expect(reply.error.code).toBe('MALFORMED_MESSAGE')
    expect(reply.error.details).toContain(fragment)
  })

  it('answers an operation that is not a name (a $bigint op) with MALFORMED_MESSAGE, not a serialisation failure (regression)', async () => {
    const s = await fixture()
    const h = serverHarness(s.ledger)
    await h.feed('{"id":4,"op":{"$bigint":"1"}}')
    await until(() => h.replies(4).length === 1, 'the error reply')
    expect(h.replies(4)[0]).toMatchObject({ ok: false, error: { code: 'MALFORMED_MESSAGE', details: 'expected hello, submit, query, subscribe, unsubscribe, got 1n' } })
  })

  it('survives a channel whose send throws, and reports it', async () => {
    const s = await fixture()
    let inject!: (t: string) => void
    const reported: ZrError[] = []
    serveLedger(s.ledger, { send: () => { throw new Error('EPIPE') }, onMessage: (fn) => { inject = fn } }, { onError: (e) => reported.push(e) })
    inject('{"id":1,"op":"hello"}')
    await until(() => reported.length === 1, 'the report')
    expectTyped(reported[0], 'LEDGER_UNAVAILABLE')
    expect(reported[0]!.details).toContain('EPIPE')
  })

  it('refuses query("toString") and query("hasOwnProperty") over the wire with UNKNOWN_QUERY', async () => {
    const s = await fixture()
    const [near, far] = pipe()
    serveLedger(s.ledger, far)
    const ledger = await connectLedger(near)
    for (const kind of ['toString', 'hasOwnProperty', 'nope']) {
      const e = await ledger.query(kind as never, {} as never).catch((x: unknown) => x)
      expect(expectTyped(e, 'UNKNOWN_QUERY').details).toContain(`got "${kind}"`)
    }
  })
})

// ---------------------------------------------------------------------------------------------

/**
 * A client whose server is the test: `requests` are what the client sent, `reply` answers by hand,
 * `inject` calls connectLedger's listener directly, `close` ends the channel.
 */
async function clientHarness(options: Parameters<typeof connectLedger>[1] = {}) {
  let inject!: (text: unknown) => unknown
  const closers: ((reason?: unknown) => void)[] = []
  const requests: Record<string, unknown>[] = []
  const dropped: ZrError[] = []
  let autoHello = true
  const channel: LedgerChannel = {
    send(text) {
      const req = canonicalParse<Record<string, unknown>>(text)
      requests.push(req)
      if (autoHello && req.op === 'hello') setImmediate(() => inject(JSON.stringify({ id: req.id, ok: true, value: { chainId: 'zrkit-test' } })))
    },
    onMessage: (fn) => {
      inject = fn as (text: unknown) => unknown
    },
    onClose: (fn) => void closers.push(fn),
  }
  const ledger = await connectLedger(channel, { ...options, onError: (e) => dropped.push(e) })
  autoHello = false
  return {
    ledger,
    requests,
    dropped,
    inject(text: unknown) {
      try {
        return inject(text)
      } catch (e) {
        throw new Error(`connectLedger's listener threw on ${String(text).slice(0, 80)}`, { cause: e })
      }
    },
    close: (reason?: unknown) => closers.forEach((c) => c(reason)),
  }
}

describe('connectLedger under hostile replies', () => {
  it('never throws out of the channel callback, and every call settles with a value or a typed error (fuzz)', async () => {
    const unhandled: unknown[] = []
    const onUnhandled = (e: unknown) => unhandled.push(e)
    process.on('unhandledRejection', onUnhandled)
    try {
      const replyTo = (ids: number[]) =>
        fc.oneof(
          hostileFrame,
          fc.record({ id: fc.oneof(fc.constantFrom(...ids), id), ok: fc.oneof(fc.boolean(), value), value, error: fc.oneof(fc.record({ code: fc.oneof(fc.constantFrom(...errorCodes, 'NOPE', 'toString'), value), shortMessage: value, details: value, meta: value }, { requiredKeys: [] }), value) }, { requiredKeys: ['id'] }).map(toText),
          fc.record({ sub: fc.oneof(fc.constantFrom(...ids), id), event: fc.oneof(fc.record({ seq: fc.oneof(fc.nat(), value), type: fc.oneof(eventType, value), data: value }, { requiredKeys: [] }), value), error: value }, { requiredKeys: ['sub'] }).map(toText),
        )
      await fc.assert(
        fc.asyncProperty(fc.gen(), async (g) => {
          const h = await clientHarness({ timeoutMs: 0 })
          const settled: ({ value: unknown } | { error: unknown })[] = []
          const endings: ZrError[] = []
          // calls and subscriptions in flight; one listener throws, which must not matter
          h.ledger.subscribe({}, () => {
            throw new Error('a listener that throws')
          }, { onError: (e) => endings.push(e) })
          h.ledger.subscribe({ types: ['bank.transfer'] }, () => {}, { onError: (e) => endings.push(e) })
          const calls = [h.ledger.query('status', {}), h.ledger.submit({} as never), h.ledger.query('account', { address: 'x' })]
          for (const c of calls) c.then((value) => settled.push({ value }), (error: unknown) => settled.push({ error }))
          const ids = h.requests.map((r) => r.id as number)
          const frames = g(() => fc.array(replyTo(ids), { minLength: 1, maxLength: 8 }))
          for (const text of frames) {
            const returned = h.inject(text)
            expect(returned).toBeUndefined()
          }
          await tick()
          h.close(new Error('connection reset'))
          await until(() => settled.length === calls.length, 'every call to settle')
          for (const r of settled) if ('error' in r) expectTyped(r.error)
          expect(endings.length).toBeLessThanOrEqual(2)
          for (const e of endings) expectTyped(e)
          for (const e of h.dropped) expectTyped(e)
        }),
        { numRuns: fuzzRuns() },
      )
      expect(unhandled).toEqual([])
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })

  it('drops garbage replies (null, a number, an error that is null) without throwing (regression)', async () => {
    const h = await clientHarness()
    const pending = h.ledger.query('status', {})
    const callId = h.requests.at(-1)!.id as number
    for (const text of ['null', '5', '"x"', '[]', `{"sub":${callId}}`, '{"id":9999,"ok":true}']) h.inject(text)
    h.inject(`{"id":${callId},"ok":false,"error":null}`)
    const outcome = await within(pending)
    expect(outcome).not.toBe('pending')
    expect(expectTyped((outcome as { error: unknown }).error, 'LEDGER_UNAVAILABLE').details).toContain('expected an error with a zrkit error code')
    expect(h.dropped.length).toBeGreaterThanOrEqual(5)
  })

  it('an error reply with an empty or blank message still says something (regression: found by the fuzz above)', async () => {
    for (const shortMessage of ['', '   ']) {
      const h = await clientHarness()
      const pending = h.ledger.query('status', {})
      const callId = h.requests.at(-1)!.id as number
      h.inject(JSON.stringify({ id: callId, ok: false, error: { code: 'REQUEST_NOT_PENDING', shortMessage, details: 'from the server' } }))
      const outcome = await within(pending)
      const e = expectTyped((outcome as { error: unknown }).error, 'REQUEST_NOT_PENDING')
      expect(e.shortMessage).toBe('The ledger refused the call.')
      expect(e.details).toBe('from the server')
    }
  })

  it('a listener that throws does not throw out of the channel callback (regression)', async () => {
    const h = await clientHarness()
    h.ledger.subscribe({}, () => {
      throw new Error('listener bug')
    })
    const sub = h.requests.at(-1)!.id as number
    h.inject(JSON.stringify({ id: sub, ok: true, value: sub }))
    expect(() => h.inject(JSON.stringify({ sub, event: { seq: 1, height: 1, time: 0, type: 'genesis', data: {} } }))).not.toThrow()
  })

  it('settles a call in flight with LEDGER_CLOSED when the channel closes, and ends subscriptions with onError (regression)', async () => {
    const h = await clientHarness({ timeoutMs: 0 })
    const ended: ZrError[] = []
    h.ledger.subscribe({}, () => {}, { onError: (e) => ended.push(e) })
    const pending = h.ledger.submit({} as never)
    h.close(new Error('socket hang up'))
    const outcome = await within(pending)
    expect(outcome).not.toBe('pending')
    expect(expectTyped((outcome as { error: unknown }).error, 'LEDGER_CLOSED').details).toContain('socket hang up')
    expect(ended).toHaveLength(1)
    expectTyped(ended[0], 'LEDGER_CLOSED')
    // later calls and subscriptions say so too
    expectTyped(await h.ledger.query('status', {}).catch((e: unknown) => e), 'LEDGER_CLOSED')
    const late: ZrError[] = []
    h.ledger.subscribe({}, () => {}, { onError: (e) => late.push(e) })
    await until(() => late.length === 1, 'the late subscription to end')
    expectTyped(late[0], 'LEDGER_CLOSED')
  })

  it('times a call out with TIMEOUT when the ledger does not answer (regression)', async () => {
    const h = await clientHarness({ timeoutMs: 50 })
    const outcome = await within(h.ledger.submit({} as never))
    expect(outcome).not.toBe('pending')
    const e = expectTyped((outcome as { error: unknown }).error, 'TIMEOUT')
    expect(e.details).toContain('within 50 ms')
    expect(e.details).toContain('query it by its hash')
    // a reply after the timeout is dropped, not delivered twice
    const late = h.requests.at(-1)!.id as number
    expect(() => h.inject(JSON.stringify({ id: late, ok: true, value: null }))).not.toThrow()
    // a subscription that is never acknowledged ends with TIMEOUT through onError
    const ended: ZrError[] = []
    h.ledger.subscribe({}, () => {}, { onError: (x) => ended.push(x) })
    await until(() => ended.length === 1, 'the subscription to time out')
    expectTyped(ended[0], 'TIMEOUT')
  })

  it('close() settles calls in flight and ends subscriptions with LEDGER_CLOSED', async () => {
    const h = await clientHarness({ timeoutMs: 0 })
    const ended: ZrError[] = []
    h.ledger.subscribe({}, () => {}, { onError: (e) => ended.push(e) })
    const pending = h.ledger.query('status', {})
    await h.ledger.close()
    expectTyped(((await within(pending)) as { error: unknown }).error, 'LEDGER_CLOSED')
    expect(ended.map((e) => e.code)).toEqual(['LEDGER_CLOSED'])
  })

  it('refuses a bad filter at subscribe time, before anything is sent', async () => {
    const h = await clientHarness()
    const sent = h.requests.length
    for (const bad of [null, { types: 5 }, { types: ['nope'] }]) expect(() => h.ledger.subscribe(bad as never, () => {})).toThrow(/expected/)
    expect(() => h.ledger.subscribe({}, () => {}, { fromSeq: 0 })).toThrow(/fromSeq/)
    expect(h.requests.length).toBe(sent)
  })

  it('a served subscription ends with onError when the served ledger closes', async () => {
    const s = await setup({ workspace: false, keyring: false })
    const [near, far] = pipe()
    serveLedger(s.ledger, far)
    const ledger = await connectLedger(near)
    const ended: ZrError[] = []
    ledger.subscribe({}, () => {}, { onError: (e) => ended.push(e) })
    await ledger.query('status', {}) // the subscription is acknowledged by now
    await s.ledger.close()
    await until(() => ended.length === 1, 'the end of the subscription')
    expectTyped(ended[0], 'LEDGER_CLOSED')
  })

  it('refuses bad limits of serveLedger, saying what was expected and what arrived', async () => {
    const s = await fixture()
    const [, far] = pipe()
    for (const [options, details] of [
      [{ maxFrameBytes: 0 }, /^Invalid maxFrameBytes\. expected an integer in 1\.\.\d+, got number 0$/],
      [{ maxSubscriptions: 1.5 }, /^Invalid maxSubscriptions\. expected an integer in 0\.\.\d+, got number 1\.5$/],
      [{ backPressure: 'yes' }, /^Invalid backPressure\. expected a function, got /],
    ] as const) {
      let error: unknown
      try {
        serveLedger(s.ledger, far, options as never)
      } catch (e) {
        error = e
      }
      const e = expectTyped(error, 'INVALID_INPUT')
      expect(`${e.shortMessage} ${e.details}`).toMatch(details)
    }
  })

  it('settled() resolves once the requests being handled are answered', async () => {
    const s = await fixture()
    const [near, far] = pipe()
    const server = serveLedger(s.ledger, far)
    const ledger = await connectLedger(near)
    expect(await within(server.settled(), 50)).toEqual({ value: undefined })
    const answer = ledger.query('status', {})
    const settled = server.settled()
    await answer
    expect(await within(settled)).toEqual({ value: undefined })
  })
})
