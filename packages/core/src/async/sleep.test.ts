import { describe, expect, it } from 'vitest'
import { ZrError } from '../errors/ZrError.js'
import { pollUntil } from './pollUntil.js'
import { sleep } from './sleep.js'

const rejection = async (p: Promise<unknown>): Promise<ZrError> => {
  try {
    await p
  } catch (e) {
    if (e instanceof ZrError) return e
    throw e
  }
  throw new Error('expected a rejection')
}

describe('sleep', () => {
  it('resolves after the time', async () => {
    const t = Date.now()
    await sleep(30)
    expect(Date.now() - t).toBeGreaterThanOrEqual(25)
  })

  it('rejects with ABORTED carrying the reason, at once, when aborted during the wait or before it', async () => {
    const c = new AbortController()
    const t = Date.now()
    setTimeout(() => c.abort('stop'), 20)
    const e = await rejection(sleep(10_000, c.signal))
    expect(e.code).toBe('ABORTED')
    expect(e.cause).toBe('stop')
    expect(Date.now() - t).toBeLessThan(2_000)
    const before = await rejection(sleep(10_000, AbortSignal.abort('early')))
    expect(before.code).toBe('ABORTED')
    expect(before.cause).toBe('early')
  })

  it('leaves no listener on a long-lived signal once the time has passed', async () => {
    const c = new AbortController()
    let added = 0
    let removed = 0
    const add = c.signal.addEventListener.bind(c.signal)
    const remove = c.signal.removeEventListener.bind(c.signal)
    c.signal.addEventListener = ((...a: Parameters<typeof add>) => (added++, add(...a))) as typeof add
    c.signal.removeEventListener = ((...a: Parameters<typeof remove>) => (removed++, remove(...a))) as typeof remove
    for (let i = 0; i < 3; i++) await sleep(1, c.signal)
    expect(added).toBe(3)
    expect(removed).toBe(3)
  })

  it('refuses a time that is not a finite number of ms >= 0', async () => {
    // 2^31 ms and more would fire at once in a timer: refused rather than shortened
    for (const ms of [-1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, '5' as unknown as number]) {
      const e = await rejection(sleep(ms))
      expect(e.code).toBe('INVALID_INPUT')
      expect(e.details).toMatch(/expected a finite number of ms from 0 to 2147483647/)
    }
  })
})

describe('pollUntil', () => {
  it('checks until the check returns a value, sleeping between checks', async () => {
    let n = 0
    const t = Date.now()
    expect(await pollUntil(() => (++n === 3 ? 'done' : undefined), { what: 'x', intervalMs: 20, timeoutMs: 5_000 })).toBe('done')
    expect(n).toBe(3)
    expect(Date.now() - t).toBeGreaterThanOrEqual(35)
  })

  it('times out with TIMEOUT after one last check at the deadline, naming what it waited for', async () => {
    let n = 0
    const e = await rejection(pollUntil(() => void n++, { what: 'transaction 0xab', intervalMs: 1_000, timeoutMs: 50, timeoutDetails: () => 'for 1 confirmation', context: { txid: '0xab' } }))
    expect(e.code).toBe('TIMEOUT')
    expect(e.shortMessage).toBe('Timed out waiting for transaction 0xab.')
    expect(e.details).toBe('waited 50 ms for 1 confirmation')
    expect(e.meta).toEqual({ txid: "0xab" })
    expect(n).toBe(2) // the first check, and one at the deadline (not a sleep of 1 000 ms past it)
  })

  it('timeoutMs 0 (and absent) means never: it keeps checking past any default', async () => {
    for (const timeoutMs of [0, undefined]) {
      let n = 0
      expect(await pollUntil(() => (++n === 6 ? n : undefined), { what: 'x', intervalMs: 5, ...(timeoutMs !== undefined ? { timeoutMs } : {}) })).toBe(6)
    }
  })

  it('an abort during a sleep or before a check rejects with ABORTED and the reason', async () => {
    const c = new AbortController()
    setTimeout(() => c.abort('bye'), 20)
    const e = await rejection(pollUntil(() => undefined, { what: 'transaction 1', intervalMs: 10_000, signal: c.signal, context: { txid: '1' } }))
    expect(e.code).toBe('ABORTED')
    expect(e.shortMessage).toBe('Stopped waiting for transaction 1.')
    expect(e.cause).toBe('bye')
    expect(e.meta).toEqual({ txid: '1' })
    let checked = false
    const before = await rejection(pollUntil(() => (checked = true) && undefined, { what: 'x', intervalMs: 1, signal: AbortSignal.abort() }))
    expect(before.code).toBe('ABORTED')
    expect(checked).toBe(false)
  })

  it("passes on the check's own error, and refuses bad options", async () => {
    await expect(pollUntil(() => Promise.reject(new Error('node down')), { what: 'x', intervalMs: 1 })).rejects.toThrow('node down')
    expect((await rejection(pollUntil(() => 1, { what: 'x', intervalMs: -1 }))).details).toMatch(/intervalMs: expected a finite number of ms from 0 to 2147483647/)
    expect((await rejection(pollUntil(() => 1, { what: 'x', intervalMs: 1, timeoutMs: Number.NaN }))).details).toMatch(/timeoutMs: expected .*0: never/)
  })
})
