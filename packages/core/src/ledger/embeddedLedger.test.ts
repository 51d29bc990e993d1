import { type SignedTx, createEmbeddedLedger, generateAccount, memoryStore, signTx } from '@zrkit/core'
import { describe, expect, it } from 'vitest'

/** Resolves with `p`, or rejects when `p` has not settled within `ms` (a hang is a failure, not a stuck test). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not settled after ${ms} ms`)), ms)))
  return Promise.race([p, late]).finally(() => clearTimeout(timer))
}

async function world() {
  const alice = generateAccount()
  const bob = generateAccount()
  const ledger = await createEmbeddedLedger({ store: memoryStore(), genesis: { chainId: 'flush-test', balances: [{ address: alice.address, amount: 1_000_000n }] } })
  const send = (sequence: number): Promise<SignedTx> => signTx(alice, { chainId: ledger.chainId, sequence, msg: { type: 'bank.Send', to: bob.address, amount: 1n } })
  return { ledger, alice, bob, send }
}

describe('embedded ledger: a tx submitted while the previous one is being made durable', () => {
  // Regression: the flush loop cleared its "running" flag one microtask after finding its queue empty.
  // A tx submitted in that gap (here: one microtask after an event listener ran) was applied to the
  // state, so queries saw it, but was never written: its submit never resolved and its events were
  // never delivered until some later tx started a new flush. A connector posting a response hung this
  // way (and federation.stop with it), and a wait missed the fulfilment event it was waiting for.
  it('resolves a submit made one microtask after an event listener ran (while the log write finishes)', async () => {
    const { ledger, send } = await world()
    const [tx0, tx1] = await Promise.all([send(0), send(1)])
    let second: Promise<unknown> | undefined
    // A listener whose reaction submits one microtask later, as an awaiting caller resumed by an event does.
    ledger.subscribe({ types: ['bank.transfer'] }, () => {
      second ??= Promise.resolve().then(() => ledger.submit(tx1))
    })
    await ledger.submit(tx0)
    await within(Promise.resolve().then(async () => {
      while (!second) await new Promise((r) => setTimeout(r, 1))
      return second
    }), 2000, 'the submit made from the listener')
    expect(ledger.height).toBe(3)
    await ledger.close()
  })

  it('resolves a submit made in the continuation of the previous receipt, with no later tx to push it', async () => {
    const { ledger, send } = await world()
    const txs = await Promise.all([0, 1, 2, 3, 4, 5].map(send))
    // Each submit starts in the receipt continuation of the one before: `.then` and `await` both.
    let chain: Promise<unknown> = ledger.submit(txs[0]!)
    for (const tx of txs.slice(1, 3)) chain = chain.then(() => ledger.submit(tx))
    chain = chain.then(async () => {
      for (const tx of txs.slice(3)) await ledger.submit(tx)
    })
    await within(chain, 2000, 'chained submits')
    expect(ledger.height).toBe(7) // genesis + 6
    await ledger.close()
  })

  it('delivers the events of such a tx to subscribers without waiting for another tx', async () => {
    const { ledger, alice, send } = await world()
    const [tx0, tx1] = await Promise.all([send(0), send(1)])
    const seen: number[] = []
    const second = new Promise<void>((resolve) =>
      ledger.subscribe({ types: ['bank.transfer'] }, (e) => {
        seen.push(e.height)
        if (seen.length === 2) resolve()
      }),
    )
    void ledger.submit(tx0).then(() => ledger.submit(tx1))
    await within(second, 2000, 'the second transfer event')
    expect(seen).toEqual([2, 3])
    expect((await ledger.query('account', { address: alice.address })).sequence).toBe(2)
    await ledger.close()
  })
})
