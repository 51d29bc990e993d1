import { type EventFilter, type LedgerEvent, type ZrError, isZrError, signTx } from '@zrkit/core'
import { afterEach, describe, expect, it } from 'vitest'
import { type Setup, setup } from '@zrkit/testkit'

/**
 * The embedded ledger checks what `subscribe` is given before the subscription exists: a filter, a
 * listener or a `fromSeq` that is not well formed is refused at once with INVALID_INPUT, so it can never
 * fail later, in the middle of delivering an event to every subscriber.
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
const send = async (s: Setup, amount: bigint) =>
  s.ledger.submit(await signTx(s.owner.account, { chainId: s.chainId, sequence: await s.sequence(s.owner.address), msg: { type: 'bank.Send', to: s.outsider.address, amount } }))

function refusedAtOnce(action: () => unknown): ZrError {
  let error: unknown
  try {
    action()
  } catch (e) {
    error = e
  }
  if (!isZrError(error, 'INVALID_INPUT')) throw new Error(`expected INVALID_INPUT, got ${String(error)}`, { cause: error })
  return error
}

describe('embedded ledger subscribe', () => {
  it.each([
    ['null', null, 'got null'],
    ['a number', 5, 'got number 5'],
    ['an array', [], 'got an array of 0'],
    ['{ types: 5 }', { types: 5 }, 'expected a list of at most 256 event types, got number 5'],
    ['{ types: "genesis" }', { types: 'genesis' }, 'got "genesis"'],
    ['{ types: ["nope"] }', { types: ['nope'] }, 'got "nope"'],
    ['{ types: [5] }', { types: [5] }, 'got number 5'],
    ['{ keyring: 5 }', { keyring: 5 }, 'got number 5'],
    ['{ requestId: "1" }', { requestId: '1' }, 'expected an integer'],
    ['{ actionId: -1 }', { actionId: -1 }, 'got number -1'],
    ['{ foo: 1 }', { foo: 1 }, 'got a field "foo"'],
  ])('refuses the filter %s at once, and other subscribers keep their events (regression)', async (_label, filter, fragment) => {
    const s = await fixture()
    const seen: LedgerEvent[] = []
    s.ledger.subscribe({ types: ['bank.transfer'] }, (e) => seen.push(e))
    const e = refusedAtOnce(() => s.ledger.subscribe(filter as unknown as EventFilter, () => {}))
    expect(e.details).toContain(fragment)
    await send(s, 1n)
    await send(s, 2n)
    await new Promise((r) => setImmediate(r))
    expect(seen.map((x) => x.data.amount)).toEqual([1n, 2n])
  })

  it.each([
    ['0', 0],
    ['-1', -1],
    ['1.5', 1.5],
    ['"1"', '1'],
    ['NaN', Number.NaN],
  ])('refuses fromSeq %s at once (regression: fromSeq 0 failed during delivery)', async (_label, fromSeq) => {
    const s = await fixture()
    const seen: LedgerEvent[] = []
    s.ledger.subscribe({}, (e) => seen.push(e), { fromSeq: 1 })
    expect(refusedAtOnce(() => s.ledger.subscribe({}, () => {}, { fromSeq: fromSeq as number })).shortMessage).toBe('Invalid fromSeq.')
    await send(s, 1n)
    await new Promise((r) => setImmediate(r))
    expect(seen.map((e) => e.type)).toEqual(['genesis', 'bank.transfer'])
  })

  it('refuses a listener that is not a function and options that are not an object', async () => {
    const s = await fixture()
    expect(refusedAtOnce(() => s.ledger.subscribe({}, 5 as never)).details).toBe('expected a function, got number 5')
    expect(refusedAtOnce(() => s.ledger.subscribe({}, () => {}, 5 as never)).shortMessage).toBe('Invalid subscribe options.')
    expect(refusedAtOnce(() => s.ledger.subscribe({}, () => {}, { onError: 'x' as never })).shortMessage).toBe('Invalid onError.')
  })

  it('keeps the filter it checked: changing the caller\'s object later changes nothing', async () => {
    const s = await fixture()
    const seen: LedgerEvent[] = []
    const filter = { types: ['bank.transfer'] } as { types: unknown }
    s.ledger.subscribe(filter as EventFilter, (e) => seen.push(e))
    filter.types = 5
    await send(s, 3n)
    await new Promise((r) => setImmediate(r))
    expect(seen.map((e) => e.data.amount)).toEqual([3n])
  })

  it('ends subscriptions with onError LEDGER_CLOSED when the ledger closes', async () => {
    const s = await setup({ workspace: false, keyring: false })
    const ended: ZrError[] = []
    s.ledger.subscribe({}, () => {}, { onError: (e) => ended.push(e) })
    const stopped = s.ledger.subscribe({}, () => {}, { onError: (e) => ended.push(e) })
    stopped()
    await s.ledger.close()
    expect(ended.map((e) => e.code)).toEqual(['LEDGER_CLOSED'])
  })
})
