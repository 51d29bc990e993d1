import { secp256k1 } from '@noble/curves/secp256k1.js'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type Account,
  type EmbeddedLedger,
  type Ledger,
  type LedgerChannel,
  type SignedTx,
  type TxReceipt,
  ZrError,
  connectLedger,
  createEmbeddedLedger,
  createZrClient,
  generateAccount,
  isZrError,
  privateKeyToAccount,
  serveLedger,
  signTx,
  txHash,
} from '@zrkit/core'

/**
 * One account, several senders: clients in other processes or on other connections, a stale cached
 * sequence, replies lost on the way back. Every send lands exactly once or fails with a typed error that
 * says whether it may have landed.
 */

const START = 1_000_000n

type World = { ledger: EmbeddedLedger; key: Uint8Array; alice: Account; bob: Account; balance(a: Account): Promise<bigint>; sequence(): Promise<number> }

const cleanup: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f()
})

async function world(): Promise<World> {
  const key = secp256k1.utils.randomSecretKey()
  const alice = privateKeyToAccount(key)
  const bob = generateAccount()
  const ledger = await createEmbeddedLedger({ genesis: { chainId: 'zrkit-send', balances: [alice, bob].map((a) => ({ address: a.address, amount: START })) } })
  cleanup.push(() => ledger.close())
  return {
    ledger,
    key,
    alice,
    bob,
    balance: async (a) => (await ledger.query('account', { address: a.address })).balance,
    sequence: async () => (await ledger.query('account', { address: alice.address })).sequence,
  }
}

/** A second connection to `ledger`, as another process would have (serveLedger / connectLedger over a pipe). */
async function connection(ledger: Ledger): Promise<Ledger> {
  const toServer = new Set<(m: string) => void>()
  const toClient = new Set<(m: string) => void>()
  const server = serveLedger(ledger, { send: (m) => queueMicrotask(() => toClient.forEach((l) => l(m))), onMessage: (l) => toServer.add(l) })
  const remote = await connectLedger({ send: (m) => queueMicrotask(() => toServer.forEach((l) => l(m))), onMessage: (l) => toClient.add(l) } satisfies LedgerChannel)
  cleanup.push(async () => {
    await remote.close()
    server.close()
  })
  return remote
}

/** `ledger` with `submit` replaced, recording what was submitted and the error codes answered. */
function spy(ledger: Ledger, submit: (tx: SignedTx, n: number) => Promise<TxReceipt> = (tx) => ledger.submit(tx)) {
  const sent: SignedTx[] = []
  const answers: string[] = []
  const wrapped: Ledger = {
    chainId: ledger.chainId,
    query: (kind, params) => ledger.query(kind, params),
    subscribe: (filter, listener, options) => ledger.subscribe(filter, listener, options),
    close: () => ledger.close(),
    async submit(tx) {
      sent.push(tx)
      try {
        const receipt = await submit(tx, sent.length)
        answers.push('ok')
        return receipt
      } catch (e) {
        answers.push(isZrError(e) ? e.code : 'no answer')
        throw e
      }
    },
  }
  return { ledger: wrapped, sent, answers }
}

const send = (to: Account, amount: bigint) => ({ type: 'bank.Send' as const, to: to.address, amount })

describe('two senders of one account', () => {
  it.each([
    ['one in-process, one on its own connection', true],
    ['both in-process, each with its own account object', false],
  ])('two clients (%s) send the same messages concurrently: every send lands exactly once, balances add up', async (_, remote) => {
    const w = await world()
    // separate Account objects (and connections): nothing shared but the key, as in two processes
    const a = spy(w.ledger)
    const b = spy(remote ? await connection(w.ledger) : w.ledger)
    const first = createZrClient({ ledger: a.ledger, account: privateKeyToAccount(w.key) })
    const second = createZrClient({ ledger: b.ledger, account: privateKeyToAccount(w.key) })
    const n = 40
    const amounts = Array.from({ length: n }, (_, i) => BigInt(i + 1))
    // the same amounts from both: at the same sequence both sign identical bytes, so clashes include TX_REPLAYED
    const receipts = await Promise.all([...amounts.map((x) => first.send({ to: w.bob.address, amount: x })), ...amounts.map((x) => second.send({ to: w.bob.address, amount: x }))])

    expect(new Set(receipts.map((r) => r.hash)).size).toBe(2 * n)
    const records = await Promise.all(receipts.map((r) => w.ledger.query('tx', { hash: r.hash })))
    expect(records.map((r) => r!.sequence).sort((x, y) => x - y)).toEqual(Array.from({ length: 2 * n }, (_, i) => i))
    const total = 2n * amounts.reduce((x, y) => x + y, 0n)
    expect(await w.balance(w.bob)).toBe(START + total)
    expect(await w.balance(w.alice)).toBe(START - total)
    expect(await w.sequence()).toBe(2 * n)
    // each receipt is the one the ledger gave for that tx: a bank transfer of the amount sent
    const moved = receipts.map((r) => r.events.find((e) => e.type === 'bank.transfer')!.data.amount as bigint)
    expect(moved.sort((x, y) => (x < y ? -1 : 1))).toEqual([...amounts, ...amounts].sort((x, y) => (x < y ? -1 : 1)))
    // the race happened: sequences were taken from under both clients
    const clashes = [...a.answers, ...b.answers].filter((c) => c !== 'ok')
    expect(clashes.length).toBeGreaterThan(0)
    expect(clashes.every((c) => c === 'SEQUENCE_MISMATCH' || c === 'TX_REPLAYED')).toBe(true)
  })

  it('a client whose cached sequence is stale recovers, also when the other sender sent the very same message', async () => {
    const w = await world()
    const s = spy(w.ledger)
    const client = createZrClient({ ledger: s.ledger, account: w.alice })
    await client.send({ to: w.bob.address, amount: 1n }) // the client now expects sequence 1

    // another process with the same key takes sequence 1 with the very message the client sends next
    const other = privateKeyToAccount(w.key)
    await w.ledger.submit(await signTx(other, { chainId: w.ledger.chainId, sequence: 1, msg: send(w.bob, 5n) }))
    const replayed = await client.send({ to: w.bob.address, amount: 5n })
    expect(s.answers.slice(-2)).toEqual(['TX_REPLAYED', 'ok'])
    expect((await w.ledger.query('tx', { hash: replayed.hash }))!.sequence).toBe(2)

    // and several sequences ahead, with other messages
    for (const sequence of [3, 4, 5]) await w.ledger.submit(await signTx(other, { chainId: w.ledger.chainId, sequence, msg: send(w.bob, 100n) }))
    const later = await client.send({ to: w.bob.address, amount: 7n })
    expect((await w.ledger.query('tx', { hash: later.hash }))!.sequence).toBe(6)
    expect(await w.balance(w.bob)).toBe(START + 1n + 5n + 5n + 300n + 7n)
    expect(await w.sequence()).toBe(7)
  })

  it('gives up after 20 attempts with SEQUENCE_MISMATCH when another sender is always first; none of its txs is applied', async () => {
    const w = await world()
    const other = privateKeyToAccount(w.key)
    // before each of the client's txs reaches the ledger, another process takes that sequence
    const raced = spy(w.ledger, async (tx) => {
      const sequence = (await w.ledger.query('account', { address: w.alice.address })).sequence
      await w.ledger.submit(await signTx(other, { chainId: w.ledger.chainId, sequence, msg: send(w.bob, 1n) }))
      return w.ledger.submit(tx)
    })
    const e = await createZrClient({ ledger: raced.ledger, account: w.alice })
      .send({ to: w.bob.address, amount: 2n })
      .then(() => undefined, (err: unknown) => err)
    expect(isZrError(e, 'SEQUENCE_MISMATCH')).toBe(true)
    if (!isZrError(e)) throw e
    expect(e.details).toContain(`expected to land the message at a free sequence of ${w.alice.address} within 20 attempts`)
    expect(e.details).toContain('got a sequence taken by another sender every time')
    expect(e.meta).toMatchObject({ address: w.alice.address, attempts: 20 })
    expect(raced.answers).toEqual(Array(20).fill('SEQUENCE_MISMATCH'))
    for (const tx of raced.sent) expect(await w.ledger.query('tx', { hash: txHash(tx) })).toBeNull()
    expect(await w.balance(w.bob)).toBe(START + 20n)
  })
})

describe('lost replies', () => {
  it('a reply lost after the ledger applied the tx: the client answers with its receipt and does not pay twice', async () => {
    const w = await world()
    let original: TxReceipt | undefined
    const lossy = spy(w.ledger, async (tx, n) => {
      const receipt = await w.ledger.submit(tx)
      if (n === 1) {
        original = receipt
        throw new Error('socket hang up')
      }
      return receipt
    })
    const receipt = await createZrClient({ ledger: lossy.ledger, account: w.alice }).send({ to: w.bob.address, amount: 40n })
    expect(receipt).toEqual(original)
    // sent twice, byte for byte; the copy was refused as a replay
    expect(lossy.sent).toHaveLength(2)
    expect(txHash(lossy.sent[1]!)).toBe(txHash(lossy.sent[0]!))
    expect(lossy.answers).toEqual(['no answer', 'TX_REPLAYED'])
    expect(await w.balance(w.bob)).toBe(START + 40n)
    expect(await w.sequence()).toBe(1)
  })

  it('the receipt of a lost reply carries the result: createWorkspace returns the one workspace it made', async () => {
    const w = await world()
    let original: TxReceipt | undefined
    const lossy = spy(w.ledger, async (tx, n) => {
      const receipt = await w.ledger.submit(tx)
      if (n === 1) {
        original = receipt
        throw new Error('connection reset')
      }
      return receipt
    })
    const { workspace, receipt } = await createZrClient({ ledger: lossy.ledger, account: w.alice }).createWorkspace({ additionalOwners: [w.bob.address] })
    expect(receipt).toEqual(original)
    expect(workspace).toBe(original!.result.workspace)
    expect((await w.ledger.query('workspaces', { owner: w.alice.address })).items.map((x) => x.address)).toEqual([workspace])
  })

  it('with a signer that is not deterministic, the lost tx is sent again as is, never signed twice', async () => {
    const w = await world()
    const random: Account = { address: w.alice.address, publicKey: w.alice.publicKey, sign: async (digest) => secp256k1.sign(digest, w.key, { prehash: false, lowS: true, extraEntropy: true }) }
    const lossy = spy(w.ledger, async (tx, n) => {
      const receipt = await w.ledger.submit(tx)
      if (n === 1) throw Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })
      return receipt
    })
    await createZrClient({ ledger: lossy.ledger, account: random }).send({ to: w.bob.address, amount: 9n })
    expect(txHash(lossy.sent[1]!)).toBe(txHash(lossy.sent[0]!))
    expect(await w.balance(w.bob)).toBe(START + 9n)
    expect(await w.sequence()).toBe(1)
  })

  it('a request lost before it reached the ledger is sent again and lands once', async () => {
    const w = await world()
    const lossy = spy(w.ledger, async (tx, n) => {
      if (n === 1) throw new Error('socket hang up')
      return w.ledger.submit(tx)
    })
    await createZrClient({ ledger: lossy.ledger, account: w.alice }).send({ to: w.bob.address, amount: 3n })
    expect(lossy.answers).toEqual(['no answer', 'ok'])
    expect(await w.balance(w.bob)).toBe(START + 3n)
  })

  it('a lost request whose sequence another sender took meanwhile: signed again at the next sequence, both land once', async () => {
    const w = await world()
    const other = privateKeyToAccount(w.key)
    const lossy = spy(w.ledger, async (tx, n) => {
      if (n === 1) {
        // lost on the way; meanwhile another process takes sequence 0
        await w.ledger.submit(await signTx(other, { chainId: w.ledger.chainId, sequence: 0, msg: send(w.bob, 1000n) }))
        throw new Error('socket hang up')
      }
      return w.ledger.submit(tx)
    })
    const receipt = await createZrClient({ ledger: lossy.ledger, account: w.alice }).send({ to: w.bob.address, amount: 3n })
    expect(lossy.answers).toEqual(['no answer', 'SEQUENCE_MISMATCH', 'ok'])
    expect((await w.ledger.query('tx', { hash: receipt.hash }))!.sequence).toBe(1)
    expect(await w.balance(w.bob)).toBe(START + 1003n)
  })

  it('a lost reply, then a definite answer for the resend: the first landing is found by hash, not sent again', async () => {
    const w = await world()
    // the copy is answered SEQUENCE_MISMATCH instead of TX_REPLAYED (a ledger that checks sequences first)
    const lossy = spy(w.ledger, async (tx, n) => {
      if (n === 1) {
        await w.ledger.submit(tx)
        throw new Error('socket hang up')
      }
      if (n === 2) throw new ZrError('SEQUENCE_MISMATCH', 'Wrong account sequence.', { details: `expected sequence 1 for ${w.alice.address}, got 0` })
      return w.ledger.submit(tx)
    })
    const receipt = await createZrClient({ ledger: lossy.ledger, account: w.alice }).send({ to: w.bob.address, amount: 8n })
    expect(lossy.answers).toEqual(['no answer', 'SEQUENCE_MISMATCH'])
    expect(receipt.hash).toBe(txHash(lossy.sent[0]!))
    expect(await w.balance(w.bob)).toBe(START + 8n)
    expect(await w.sequence()).toBe(1)
  })

  it('gives up after 20 attempts with LEDGER_UNAVAILABLE naming the tx when no answer ever comes; nothing is applied', async () => {
    const w = await world()
    const deaf = spy(w.ledger, async () => {
      throw new Error('socket hang up')
    })
    const before = w.ledger.stateHash()
    const e = await createZrClient({ ledger: deaf.ledger, account: w.alice })
      .send({ to: w.bob.address, amount: 3n })
      .then(() => undefined, (err: unknown) => err)
    expect(isZrError(e, 'LEDGER_UNAVAILABLE')).toBe(true)
    if (!isZrError(e)) throw e
    const hash = txHash(deaf.sent[0]!)
    expect(e.meta).toMatchObject({ address: w.alice.address, attempts: 20, hashes: [hash] })
    expect(e.details).toContain(`expected a receipt or a refusal for tx ${hash}`)
    expect(e.details).toContain('socket hang up')
    expect(deaf.sent.map(txHash)).toEqual(Array(20).fill(hash))
    expect(w.ledger.stateHash()).toBe(before)
    expect(await w.ledger.query('tx', { hash })).toBeNull()
  })

  it('a refusal of the message itself is thrown as is and uses no sequence', async () => {
    const w = await world()
    const s = spy(w.ledger)
    const client = createZrClient({ ledger: s.ledger, account: w.alice })
    const e = await client.send({ to: w.bob.address, amount: START * 2n }).then(() => undefined, (err: unknown) => err)
    expect(isZrError(e, 'INSUFFICIENT_BALANCE')).toBe(true)
    expect(s.sent).toHaveLength(1)
    await client.send({ to: w.bob.address, amount: 1n })
    expect(s.sent.map((t) => t.sequence)).toEqual([0, 0])
  })
})
