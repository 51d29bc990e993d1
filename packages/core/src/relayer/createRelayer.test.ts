import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type AssembledTx,
  type BoundKey,
  type Connector,
  type EmbeddedLedger,
  type Ledger,
  type RelayAdapter,
  type RelayEvent,
  type RelayJournal,
  type RelayRecord,
  type RelaySigner,
  type ZrClient,
  type ZrErrorCode,
  bindRelayer,
  createConnector,
  createEmbeddedLedger,
  createRelayer,
  createZrClient,
  generateAccount,
  isZrError,
  localKeyring,
  memoryRelayJournal,
  taprootOutputKey,
  toBytes,
  toHex,
  ZrError,
} from '@zrkit/core'
import { canonicalParse, canonicalStringify } from '@zrkit/core/internal'

const utf8Bytes = (s: string) => new TextEncoder().encode(s)

/**
 * The relay pipeline against a toy network that keeps its transactions in memory and checks every
 * signature with noble: approvals, rejection, waiting modes, crashes at every step, resuming from the
 * request id, orphans and abandoned records, and bad input.
 */

type Transfer = { to: string; amount: number }
type ToyTx = { from: string; seq: number; to: string; amount: number }

/** A network that accepts a transaction once per id and only with a valid signature from `from`. */
function toyNetwork() {
  const txs = new Map<string, { tx: ToyTx; height: number }>()
  const seqs = new Map<string, number>()
  let height = 0
  return {
    txs,
    sendCalls: 0,
    accept(signedTx: string): string {
      this.sendCalls++
      const { unsignedTx, signature } = JSON.parse(signedTx) as { unsignedTx: string; signature: string }
      const tx = JSON.parse(unsignedTx) as ToyTx
      const sig = toBytes(signature)
      if (!secp256k1.verify(sig.subarray(0, 64), sha256(utf8Bytes(unsignedTx)), toBytes(tx.from), { prehash: false })) throw new Error('bad signature')
      const txid = toHex(sha256(utf8Bytes(signedTx)))
      if (txs.has(txid)) throw new Error('already known')
      txs.set(txid, { tx, height: ++height })
      seqs.set(tx.from, Math.max(seqs.get(tx.from) ?? 0, tx.seq + 1))
      return txid
    },
    nextSeq: (from: string) => seqs.get(from) ?? 0,
  }
}

type Toy = ReturnType<typeof toyNetwork>

/** The toy network's adapter; `calls` counts what the pipeline asked of it. */
function toyAdapter(net: Toy, hooks: { beforeBroadcast?: (tx: AssembledTx) => void } = {}) {
  const calls = { prepare: 0, assemble: 0, broadcast: 0, confirm: 0, released: [] as number[], restored: [] as RelayRecord[][] }
  const reserved = new Map<string, Set<number>>()
  const adapter: RelayAdapter<Transfer, { height: number }> = {
    chain: 'toy:devnet',
    keyTypes: ['ecdsa-secp256k1'],
    async prepare(intent, signer) {
      calls.prepare++
      const from = toHex(signer.publicKey)
      const held = reserved.get(from) ?? new Set<number>()
      reserved.set(from, held)
      let seq = net.nextSeq(from)
      while (held.has(seq)) seq++
      held.add(seq)
      const unsignedTx = JSON.stringify({ from, seq, to: intent.to, amount: intent.amount } satisfies ToyTx)
      return { unsignedTx, payloads: [sha256(utf8Bytes(unsignedTx))], summary: { from, seq: String(seq), to: intent.to, amount: String(intent.amount) } }
    },
    payloads: (unsignedTx) => [sha256(utf8Bytes(unsignedTx))],
    assemble(unsignedTx, [signature]) {
      calls.assemble++
      const signedTx = JSON.stringify({ unsignedTx, signature: toHex(signature!) })
      return { signedTx, txid: toHex(sha256(utf8Bytes(signedTx))) }
    },
    async broadcast(tx) {
      calls.broadcast++
      hooks.beforeBroadcast?.(tx)
      if (net.txs.has(tx.txid)) return
      net.accept(tx.signedTx)
    },
    async confirm(tx) {
      calls.confirm++
      const found = net.txs.get(tx.txid)
      if (!found) throw new Error(`unknown tx ${tx.txid}`)
      return { height: found.height }
    },
    release(prepared) {
      const seq = Number(prepared.summary.seq)
      calls.released.push(seq)
      reserved.get(prepared.summary.from!)?.delete(seq)
    },
    restore(records) {
      calls.restored.push([...records])
      for (const r of records) {
        const held = reserved.get(r.summary.from!) ?? new Set<number>()
        held.add(Number(r.summary.seq))
        reserved.set(r.summary.from!, held)
      }
    },
  }
  return { adapter, calls }
}

type World = {
  ledger: EmbeddedLedger
  alice: ZrClient
  bob: ZrClient
  keyId: number
  /** A key whose workspace needs only Alice. */
  soloKeyId: number
  edKeyId: number
  connector: Connector
}

const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {})
})

async function world(): Promise<World> {
  const [a, b, op, party] = [generateAccount(), generateAccount(), generateAccount(), generateAccount()]
  const ledger = await createEmbeddedLedger({ genesis: { chainId: 'zrkit-relay-test', balances: [a, b, op].map((x) => ({ address: x.address, amount: 1_000_000n })) } })
  cleanup.push(() => ledger.close())
  const alice = createZrClient({ ledger, account: a })
  const bob = createZrClient({ ledger, account: b })
  const { keyring } = await createZrClient({ ledger, account: op }).createKeyring({ description: 'relay test', parties: [party.address], partyThreshold: 1, keyRequestFee: 10n, signRequestFee: 1n })
  const connector = createConnector({ ledger, account: party, keyring, backend: localKeyring() })
  await connector.start()
  cleanup.push(() => connector.stop())
  const { policyId } = await alice.createPolicy({ name: 'both', participants: { alice: a.address, bob: b.address }, expression: 'all([alice, bob])' })
  const { workspace } = await alice.createWorkspace({ additionalOwners: [b.address], signPolicyId: policyId })
  const { workspace: solo } = await alice.createWorkspace()
  const key = await alice.createKey({ workspace, keyring, keyType: 'ecdsa-secp256k1' })
  const soloKey = await alice.createKey({ workspace: solo, keyring, keyType: 'ecdsa-secp256k1' })
  const edKey = await alice.createKey({ workspace: solo, keyring, keyType: 'eddsa-ed25519' })
  return { ledger, alice, bob, keyId: key.id, soloKeyId: soloKey.id, edKeyId: edKey.id, connector }
}

async function rejects(p: Promise<unknown>, code: ZrErrorCode) {
  const err = await p.then(
    () => new Error(`expected ${code}, but it resolved`),
    (e: unknown) => e,
  )
  if (!isZrError(err)) throw err
  expect(err.code, err.message).toBe(code)
  return err
}

/** A journal whose writes can be made to fail, as a process dying between two steps would. */
function faultyJournal(inner: RelayJournal, failOnPut: (record: RelayRecord, n: number) => boolean): RelayJournal {
  let n = 0
  return {
    get: (id) => inner.get(id),
    list: () => inner.list(),
    async put(record) {
      if (failOnPut(record, ++n)) throw new Error('crash: the journal write never happened')
      await inner.put(record)
    },
  }
}

describe('relay pipeline', () => {
  it('prepares, requests, waits through the 2-of-2 approval, assembles, broadcasts and confirms, with progress events', async () => {
    const w = await world()
    const net = toyNetwork()
    const { adapter, calls } = toyAdapter(net)
    const events: RelayEvent[] = []
    const relayer = createRelayer({ client: w.alice, adapter, onEvent: (e) => events.push(e) })

    const { requestId, actionId, status, relayId, summary } = await relayer.submit({ keyId: w.keyId, intent: { to: 'bob', amount: 5 } })
    expect(status).toBe('partial')
    expect(summary).toMatchObject({ to: 'bob', amount: '5', seq: '0' })
    const request = await w.alice.getSignRequest({ id: requestId })
    expect(request.metadata).toMatchObject({ 'zrkit.relay': relayId, 'zrkit.chain': 'toy:devnet', 'zrkit.tx.to': 'bob', 'zrkit.tx.amount': '5' })
    expect((await relayer.getRelay({ requestId })).status).toBe('requested')

    const finishing = relayer.resume({ requestId, timeoutMs: 20_000 })
    await w.bob.approveAction({ actionId: actionId! })
    const result = await finishing

    expect(result.receipt).toEqual({ height: 1 })
    expect(net.txs.size).toBe(1)
    const { tx } = [...net.txs.values()][0]!
    expect(tx).toEqual({ from: toHex(request.publicKey), seq: 0, to: 'bob', amount: 5 })
    expect(result.txid).toBe([...net.txs.keys()][0])
    expect((await relayer.getRelay({ relayId })).status).toBe('confirmed')
    expect(calls.prepare).toBe(1)
    const types = events.map((e) => e.type)
    expect(types.slice(0, 2)).toEqual(['prepared', 'requested'])
    expect(types.slice(-3)).toEqual(['signed', 'broadcast', 'confirmed'])
    const ledgerTypes = events.flatMap((e) => (e.type === 'ledger' ? [e.event.type] : []))
    expect(ledgerTypes).toEqual(expect.arrayContaining(['action.voted', 'action.approved', 'signRequest.pending', 'signRequest.fulfilled']))
  })

  it('a rejected approval ends in REQUEST_REJECTED, nothing broadcast, and what prepare reserved is released', async () => {
    const w = await world()
    const net = toyNetwork()
    const { adapter, calls } = toyAdapter(net)
    const relayer = createRelayer({ client: w.alice, adapter })
    const events: RelayEvent[] = []
    const relaying = relayer.relay({ keyId: w.keyId, intent: { to: 'carol', amount: 1 }, timeoutMs: 20_000, onEvent: (e) => events.push(e) })
    const actionId = await new Promise<number>((resolve) => {
      const t = setInterval(() => {
        const e = events.find((x) => x.type === 'requested')
        if (e && e.type === 'requested') {
          clearInterval(t)
          resolve(e.actionId!)
        }
      }, 5)
    })
    await w.bob.rejectAction({ actionId })
    const err = await rejects(relaying, 'REQUEST_REJECTED')
    expect(err.meta.relayId).toBeDefined()
    expect(calls.assemble + calls.broadcast).toBe(0)
    expect(net.sendCalls).toBe(0)
    expect(calls.released).toEqual([0])
    // the relay's last step, then the failed call (for logs and metrics), with its code and the key
    expect(events.slice(-2).map((e) => e.type)).toEqual(['rejected', 'failed'])
    expect(events.at(-1)).toMatchObject({ type: 'failed', code: 'REQUEST_REJECTED', relayId: err.meta.relayId, keyId: w.keyId, chain: 'toy:devnet' })
    const record = await relayer.getRelay({ relayId: err.meta.relayId as string })
    expect(record.status).toBe('rejected')
    // Resuming a rejected relay says so again and still broadcasts nothing.
    await rejects(relayer.resume({ requestId: record.requestId! }), 'REQUEST_REJECTED')
    expect(calls.broadcast).toBe(0)
    // The released sequence number is the next one handed out: nothing skipped.
    const next = await relayer.submit({ keyId: w.keyId, intent: { to: 'carol', amount: 1 } })
    expect(next.summary.seq).toBe('0')
  })

  it("approvals: 'fail' throws APPROVAL_PENDING with the request id at once; the relay stays resumable", async () => {
    const w = await world()
    const net = toyNetwork()
    const { adapter, calls } = toyAdapter(net)
    const relayer = createRelayer({ client: w.alice, adapter })
    const err = await rejects(relayer.relay({ keyId: w.keyId, intent: { to: 'dave', amount: 2 }, approvals: 'fail' }), 'APPROVAL_PENDING')
    const requestId = err.meta.requestId as number
    expect(typeof err.meta.actionId).toBe('number')
    expect((await w.alice.getSignRequest({ id: requestId })).status).toBe('partial')
    expect(calls.broadcast).toBe(0)
    await w.bob.approveAction({ actionId: err.meta.actionId as number })
    const done = await relayer.resume({ requestId, timeoutMs: 20_000 })
    expect(done.receipt).toEqual({ height: 1 })
    // Without approvals to wait for, 'fail' does not fail: the keyring is waited for.
    const solo = await relayer.relay({ keyId: w.soloKeyId, intent: { to: 'erin', amount: 3 }, approvals: 'fail', timeoutMs: 20_000 })
    expect(solo.receipt).toEqual({ height: 2 })
  })

  it('TIMEOUT and ABORTED leave the relay resumable, with the request id in the error', async () => {
    const w = await world()
    const { adapter } = toyAdapter(toyNetwork())
    const relayer = createRelayer({ client: w.alice, adapter })
    const timeout = await rejects(relayer.relay({ keyId: w.keyId, intent: { to: 'x', amount: 1 }, timeoutMs: 50 }), 'TIMEOUT')
    expect(timeout.details).toContain('resume({ requestId')
    const controller = new AbortController()
    const { requestId, actionId } = await relayer.submit({ keyId: w.keyId, intent: { to: 'y', amount: 1 } })
    const aborted = relayer.resume({ requestId, signal: controller.signal })
    controller.abort()
    expect((await rejects(aborted, 'ABORTED')).meta.requestId).toBe(requestId)
    await w.bob.approveAction({ actionId: actionId! })
    await w.bob.approveAction({ actionId: (await w.alice.getSignRequest({ id: timeout.meta.requestId as number })).actionId! })
    const first = await relayer.resume({ requestId: timeout.meta.requestId as number, timeoutMs: 20_000 })
    const second = await relayer.resume({ requestId, timeoutMs: 20_000 })
    expect([first.receipt, second.receipt]).toEqual([{ height: 1 }, { height: 2 }])
  })

  it('after a crash at each step, a new relayer on the same journal finishes with the same transaction, broadcast once', async () => {
    const w = await world()
    const net = toyNetwork()
    const journal = memoryRelayJournal()
    // Run 1 dies right after the transaction is signed and recorded, before the broadcast.
    const first = toyAdapter(net, {
      beforeBroadcast: () => {
        throw new Error('crash before broadcast')
      },
    })
    const relayer1 = createRelayer({ client: w.alice, adapter: first.adapter, journal })
    const { requestId, actionId } = await relayer1.submit({ keyId: w.keyId, intent: { to: 'bob', amount: 7 } })
    await w.bob.approveAction({ actionId: actionId! })
    await expect(relayer1.resume({ requestId, timeoutMs: 20_000 })).rejects.toThrow('crash before broadcast')
    const signed = await relayer1.getRelay({ requestId })
    expect(signed.status).toBe('signed')
    expect(net.txs.size).toBe(0)

    // Run 2 dies after the network took the transaction, before the journal heard of it.
    const second = toyAdapter(net)
    const relayer2 = createRelayer({ client: w.alice, adapter: second.adapter, journal: faultyJournal(journal, (r) => r.status === 'broadcast') })
    await expect(relayer2.resume({ requestId })).rejects.toThrow('crash: the journal write never happened')
    expect(net.txs.size).toBe(1)
    expect((await journal.get(signed.id))!.status).toBe('signed')

    // Run 3 re-broadcasts (the network already has it: success) and confirms.
    const third = toyAdapter(net)
    const events: RelayEvent[] = []
    const relayer3 = createRelayer({ client: w.alice, adapter: third.adapter, journal, onEvent: (e) => events.push(e) })
    const { finished, waiting, failed } = await relayer3.recover()
    expect(failed).toEqual([])
    expect(waiting).toEqual([])
    expect(finished.map((r) => r.requestId)).toEqual([requestId])
    expect(finished[0]!.txid).toBe(signed.txid)
    expect(finished[0]!.signedTx).toBe(signed.signedTx)
    expect(net.txs.size).toBe(1)
    expect(net.sendCalls).toBe(1)
    expect(events.map((e) => e.type)).toEqual(['resumed', 'broadcast', 'confirmed'])
    // No run ever prepared a second transaction for the request; runs 2 and 3 only assembled or broadcast.
    expect([first.calls.prepare, second.calls.prepare, third.calls.prepare]).toEqual([1, 0, 0])
    expect(third.calls.assemble).toBe(0)
    // And again: nothing left to do, nothing sent twice.
    expect((await relayer3.recover()).finished).toEqual([])
    expect((await relayer3.resume({ requestId })).receipt).toEqual({ height: 1 })
    expect(net.sendCalls).toBe(1)
  })

  it('a crash between the ledger accepting the request and the journal recording it: recover() adopts the request', async () => {
    const w = await world()
    const net = toyNetwork()
    const journal = memoryRelayJournal()
    const relayer1 = createRelayer({ client: w.alice, adapter: toyAdapter(net).adapter, journal: faultyJournal(journal, (r) => r.status === 'requested') })
    await expect(relayer1.submit({ keyId: w.keyId, intent: { to: 'bob', amount: 9 } })).rejects.toThrow('crash')
    const [record] = await journal.list()
    expect(record!.status).toBe('prepared')
    const { items } = await w.alice.listSignRequests({ keyId: w.keyId })
    expect(items).toHaveLength(1)

    const restarted = toyAdapter(net)
    const relayer2 = createRelayer({ client: w.alice, adapter: restarted.adapter, journal })
    const report = await relayer2.recover()
    expect(report.waiting).toEqual([items[0]!.id])
    expect(restarted.calls.restored[0]!.map((r) => r.id)).toEqual([record!.id])
    // The restored reservation holds: a new transaction takes the next sequence number.
    expect((await relayer2.submit({ keyId: w.keyId, intent: { to: 'z', amount: 1 } })).summary.seq).toBe('1')
    await w.bob.approveAction({ actionId: items[0]!.actionId! })
    const done = await relayer2.resume({ requestId: items[0]!.id, timeoutMs: 20_000 })
    expect(net.txs.get(done.txid)!.tx).toMatchObject({ seq: 0, amount: 9 })
  })

  it('a prepared record whose request never reached the ledger is abandoned on recover(), and released', async () => {
    const w = await world()
    const net = toyNetwork()
    const journal = memoryRelayJournal()
    // A ledger connection that drops the submission: the relayer cannot know whether it arrived.
    const lossy: Ledger = { ...w.ledger, chainId: w.ledger.chainId, query: w.ledger.query.bind(w.ledger), subscribe: w.ledger.subscribe.bind(w.ledger), close: async () => {}, submit: async () => {
      throw new ZrError('LEDGER_UNAVAILABLE', 'connection lost')
    } }
    const relayer1 = createRelayer({ client: { ledger: lossy, account: w.alice.account! }, adapter: toyAdapter(net).adapter, journal })
    await rejects(relayer1.submit({ keyId: w.soloKeyId, intent: { to: 'q', amount: 1 } }), 'LEDGER_UNAVAILABLE')
    expect((await journal.list())[0]!.status).toBe('prepared')

    const restarted = toyAdapter(net)
    const relayer2 = createRelayer({ client: w.alice, adapter: restarted.adapter, journal })
    const report = await relayer2.recover()
    expect(report.abandoned).toEqual([(await journal.list())[0]!.id])
    expect(restarted.calls.released).toEqual([0])
    expect((await journal.list())[0]!.status).toBe('abandoned')
    expect(net.sendCalls).toBe(0)
  })

  it('a request the ledger refuses is abandoned and released at once, with the ledger error', async () => {
    const w = await world()
    const poor = createZrClient({ ledger: w.ledger, account: generateAccount() })
    await w.alice.addWorkspaceOwner({ workspace: (await w.alice.getKey({ id: w.soloKeyId })).workspace, owner: poor.account!.address })
    const { adapter, calls } = toyAdapter(toyNetwork())
    const journal = memoryRelayJournal()
    const relayer = createRelayer({ client: poor, adapter, journal })
    await rejects(relayer.submit({ keyId: w.soloKeyId, intent: { to: 'q', amount: 1 } }), 'INSUFFICIENT_BALANCE')
    const [record] = await journal.list()
    expect(record!.status).toBe('abandoned')
    expect(record!.reason).toContain('INSUFFICIENT_BALANCE')
    expect(calls.released).toEqual([0])
  })

  it('refuses a journal record that does not match the request, and broadcasts nothing', async () => {
    const w = await world()
    const net = toyNetwork()
    const journal = memoryRelayJournal()
    const { adapter, calls } = toyAdapter(net)
    const relayer = createRelayer({ client: w.alice, adapter, journal })
    const { requestId, relayId } = await relayer.submit({ keyId: w.soloKeyId, intent: { to: 'bob', amount: 1 } })
    const record = (await journal.get(relayId))!
    // Someone edits the journal: another recipient, same payloads.
    const forged = JSON.stringify({ ...JSON.parse(record.unsignedTx), to: 'mallory' })
    await journal.put({ ...record, unsignedTx: forged })
    const err = await rejects(relayer.resume({ requestId, timeoutMs: 20_000 }), 'RELAY_MISMATCH')
    expect(err.details).toContain("payloads are not the ones the request signs")
    // Or other payloads altogether.
    await journal.put({ ...record, payloads: [sha256(utf8Bytes('other'))] })
    expect((await rejects(relayer.resume({ requestId }), 'RELAY_MISMATCH')).details).toContain('other payloads')
    expect(calls.broadcast).toBe(0)
    expect(net.sendCalls).toBe(0)
  })

  it('two callers resuming the same relay at once broadcast it once', async () => {
    const w = await world()
    const net = toyNetwork()
    const { adapter, calls } = toyAdapter(net)
    const relayer = createRelayer({ client: w.alice, adapter })
    const { requestId } = await relayer.submit({ keyId: w.soloKeyId, intent: { to: 'bob', amount: 1 } })
    const [a, b] = await Promise.all([relayer.resume({ requestId, timeoutMs: 20_000 }), relayer.resume({ requestId, timeoutMs: 20_000 })])
    expect(a.txid).toBe(b.txid)
    expect(calls.broadcast).toBe(1)
    expect(calls.assemble).toBe(1)
    expect(net.sendCalls).toBe(1)
  })

  it('with disclose: false the ledger sees only the relay id; user metadata passes through', async () => {
    const w = await world()
    const relayer = createRelayer({ client: w.alice, adapter: toyAdapter(toyNetwork()).adapter, disclose: false })
    const { requestId, relayId } = await relayer.submit({ keyId: w.soloKeyId, intent: { to: 'secret', amount: 1 }, metadata: { memo: 'payroll' } })
    expect((await w.alice.getSignRequest({ id: requestId })).metadata).toEqual({ 'zrkit.relay': relayId, memo: 'payroll' })
  })

  it('refuses bad input with typed errors, before anything is prepared or requested', async () => {
    const w = await world()
    const { adapter, calls } = toyAdapter(toyNetwork())
    const journal = memoryRelayJournal()
    const relayer = createRelayer({ client: w.alice, adapter, journal })
    const before = (await w.ledger.query('status', {})).lastEventSeq
    expect((await rejects(relayer.submit({ keyId: w.soloKeyId, intent: { to: 'a', amount: 1 }, metadata: { 'zrkit.relay': 'x' } }), 'INVALID_INPUT')).details).toContain('reserved')
    expect((await rejects(relayer.submit({ keyId: w.edKeyId, intent: { to: 'a', amount: 1 } }), 'UNSUPPORTED_KEY_TYPE')).details).toBe(`expected a key of type ecdsa-secp256k1, got key ${w.edKeyId} of type eddsa-ed25519`)
    await rejects(relayer.submit({ keyId: 999, intent: { to: 'a', amount: 1 } }), 'KEY_NOT_FOUND')
    await rejects(relayer.submit({ keyId: w.soloKeyId, path: "m/0'", intent: { to: 'a', amount: 1 } }), 'INVALID_DERIVATION_PATH')
    await rejects(relayer.resume({ requestId: 0 }), 'INVALID_INPUT')
    await rejects(createRelayer({ client: { ledger: w.ledger }, adapter }).submit({ keyId: w.soloKeyId, intent: { to: 'a', amount: 1 } }), 'INVALID_INPUT')
    expect(() => createRelayer({ client: w.alice, adapter: {} as never })).toThrow(/Invalid relay adapter/)
    expect(calls.prepare).toBe(0)
    expect(await journal.list()).toEqual([])
    expect((await w.ledger.query('status', {})).lastEventSeq).toBe(before)

    // Requests not made by a relayer, or by a relayer with another journal.
    const plain = await w.alice.requestSignature({ keyId: w.soloKeyId, payloads: [sha256(utf8Bytes('plain'))] })
    expect((await rejects(relayer.resume({ requestId: plain.requestId }), 'RELAY_NOT_FOUND')).details).toContain('no zrkit.relay metadata')
    const other = await createRelayer({ client: w.alice, adapter }).submit({ keyId: w.soloKeyId, intent: { to: 'a', amount: 1 } })
    expect((await rejects(relayer.resume({ requestId: other.requestId }), 'RELAY_NOT_FOUND')).details).toContain("not in this relayer's journal")
  })

  it('signs with the child key at a derivation path', async () => {
    const w = await world()
    const net = toyNetwork()
    const relayer = createRelayer({ client: w.alice, adapter: toyAdapter(net).adapter })
    const done = await relayer.relay({ keyId: w.soloKeyId, path: 'user-42', intent: { to: 'bob', amount: 1 }, timeoutMs: 20_000 })
    const child = await w.alice.getKey({ id: w.soloKeyId, path: 'user-42' })
    expect(net.txs.get(done.txid)!.tx.from).toBe(toHex(child.derived!.publicKey))
    expect((await relayer.getRelay({ requestId: done.requestId })).path).toEqual(['user-42'])
  })

  it('asks for taproot signatures when the adapter says so: the adapter sees the output key, the journal keeps the flag', async () => {
    const w = await world()
    const { workspace } = await w.alice.createWorkspace()
    const keyring = (await w.alice.getKey({ id: w.soloKeyId })).keyring
    const key = await w.alice.createKey({ workspace, keyring, keyType: 'schnorr-secp256k1' })
    const seen: { assemble?: RelaySigner; payloads?: RelaySigner } = {}
    const message = sha256(utf8Bytes('taproot spend'))
    const adapter: RelayAdapter<null, null> = {
      chain: 'toy:taproot',
      keyTypes: ['schnorr-secp256k1'],
      prepare: async () => ({ unsignedTx: 'tx', payloads: [message], summary: {}, taproot: {} }),
      payloads: (_tx, signer) => ((seen.payloads = signer), [message]),
      assemble: (_tx, [signature], signer) => ((seen.assemble = signer), { signedTx: toHex(signature!), txid: 'id' }),
      broadcast: async () => {},
      confirm: async () => null,
    }
    const journal = memoryRelayJournal()
    const done = await createRelayer({ client: w.alice, adapter, journal }).relay({ keyId: key.id, intent: null, timeoutMs: 20_000 })
    const request = await w.alice.getSignRequest({ id: done.requestId })
    expect(request.taproot).toEqual({})
    const output = taprootOutputKey(key.publicKey).outputKey
    expect(request.publicKey.subarray(1)).toEqual(output)
    expect(seen.assemble).toMatchObject({ taproot: {}, publicKey: request.publicKey })
    expect(seen.payloads).toMatchObject({ taproot: {} })
    expect(schnorr.verify(toBytes(done.signedTx), message, output)).toBe(true)
    expect(schnorr.verify(toBytes(done.signedTx), message, key.publicKey.subarray(1))).toBe(false)
    const record = await journal.get(done.relayId)
    expect(record!.taproot).toEqual({})
    // a record that lost its taproot flag no longer matches its request
    await journal.put({ ...record!, taproot: undefined, status: 'signed' } as RelayRecord)
    expect((await rejects(createRelayer({ client: w.alice, adapter, journal }).resume({ requestId: done.requestId }), 'RELAY_MISMATCH')).details).toContain('taproot')
    // and an adapter cannot ask for a malformed taproot spend
    const badAdapter = { ...adapter, prepare: async () => ({ unsignedTx: 'tx', payloads: [message], summary: {}, taproot: { merkleRoot: new Uint8Array(31) } }) }
    await rejects(createRelayer({ client: w.alice, adapter: badAdapter }).submit({ keyId: key.id, intent: null }), 'INVALID_RESULT')
  })

  it('memoryRelayJournal stores copies and checks ids', async () => {
    const journal = memoryRelayJournal()
    const record = { id: 'ab'.repeat(16), payloads: [new Uint8Array([1, 2])], summary: { a: 'b' } } as unknown as RelayRecord
    await journal.put(record)
    ;(record.payloads[0] as Uint8Array)[0] = 9
    const got = await journal.get(record.id)
    expect(got!.payloads[0]).toEqual(new Uint8Array([1, 2]))
    expect(canonicalParse(canonicalStringify(got))).toEqual(got)
    await rejects(journal.put({ ...record, id: '../x' }), 'INVALID_INPUT')
    expect(await journal.get('cd'.repeat(16))).toBeUndefined()
  })
})

describe('idempotency keys: a retried send never makes a second transaction', () => {
  it('the same key returns the relay the first send made, in this relayer and in a new one on the same journal (a restart)', async () => {
    const w = await world()
    const net = toyNetwork()
    const { adapter, calls } = toyAdapter(net)
    const journal = memoryRelayJournal()
    const first = createRelayer({ client: w.alice, adapter, journal })
    const intent = { to: 'bob', amount: 5 }
    const a = await first.submit({ keyId: w.soloKeyId, intent, idempotencyKey: 'order-7' })
    const b = await first.submit({ keyId: w.soloKeyId, intent, idempotencyKey: 'order-7' })
    expect(b).toMatchObject({ relayId: a.relayId, requestId: a.requestId, summary: a.summary })
    expect(calls.prepare).toBe(1)
    // another process after a restart: a new relayer on the same journal finishes that one relay, once
    const second = createRelayer({ client: w.alice, adapter: toyAdapter(net).adapter, journal })
    const done = await second.relay({ keyId: w.soloKeyId, intent, idempotencyKey: 'order-7', timeoutMs: 20_000 })
    expect(done).toMatchObject({ relayId: a.relayId, requestId: a.requestId })
    const again = await second.relay({ keyId: w.soloKeyId, intent, idempotencyKey: 'order-7', timeoutMs: 20_000 })
    expect(again.txid).toBe(done.txid)
    expect(net.txs.size).toBe(1)
    expect((await w.alice.listSignRequests({ keyId: w.soloKeyId })).items.length).toBe(1) // one request, one fee
    // another key is another relay
    const other = await second.submit({ keyId: w.soloKeyId, intent, idempotencyKey: 'order-8' })
    expect(other.relayId).not.toBe(a.relayId)
  })

  it('concurrent sends with one key make one relay and one request', async () => {
    const w = await world()
    const { adapter, calls } = toyAdapter(toyNetwork())
    const relayer = createRelayer({ client: w.alice, adapter })
    const results = await Promise.all(Array.from({ length: 5 }, () => relayer.submit({ keyId: w.soloKeyId, intent: { to: 'carol', amount: 2 }, idempotencyKey: 'pay-carol' })))
    expect(new Set(results.map((r) => r.requestId)).size).toBe(1)
    expect(calls.prepare).toBe(1)
    expect((await w.alice.listSignRequests({ keyId: w.soloKeyId })).items.length).toBe(1)
  })

  it('the same key asked for another transaction is IDEMPOTENCY_CONFLICT, and nothing is prepared or requested', async () => {
    const w = await world()
    const { adapter, calls } = toyAdapter(toyNetwork())
    const relayer = createRelayer({ client: w.alice, adapter })
    const { relayId } = await relayer.submit({ keyId: w.soloKeyId, intent: { to: 'bob', amount: 5 }, idempotencyKey: 'k1' })
    const err = await rejects(relayer.submit({ keyId: w.soloKeyId, intent: { to: 'bob', amount: 6 }, idempotencyKey: 'k1' }), 'IDEMPOTENCY_CONFLICT')
    expect((err as ZrError).context).toEqual({ idempotencyKey: 'k1', relayId })
    await rejects(relayer.submit({ keyId: w.edKeyId, intent: { to: 'bob', amount: 5 }, idempotencyKey: 'k1' }), 'IDEMPOTENCY_CONFLICT')
    await rejects(relayer.submit({ keyId: w.soloKeyId, intent: { to: 'bob', amount: 5 }, idempotencyKey: 'k1', metadata: { note: 'x' } }), 'IDEMPOTENCY_CONFLICT')
    expect(calls.prepare).toBe(1)
    expect((await w.alice.listSignRequests({})).items.filter((r) => r.metadata?.['zrkit.relay'] !== undefined).length).toBe(1)
    for (const bad of ['', 'x'.repeat(129), 'tab\there', 7, null]) {
      await rejects(relayer.submit({ keyId: w.soloKeyId, intent: { to: 'bob', amount: 5 }, idempotencyKey: bad as never }), 'INVALID_INPUT')
    }
    expect(calls.prepare).toBe(1)
  })

  it('an attempt the ledger refused paid nothing: the same key tries again', async () => {
    const w = await world()
    const { adapter } = toyAdapter(toyNetwork())
    const relayer = createRelayer({ client: w.alice, adapter })
    // a ttl the ledger refuses: the relay is abandoned before any request exists
    await rejects(relayer.submit({ keyId: w.soloKeyId, intent: { to: 'bob', amount: 1 }, idempotencyKey: 'retry-me', ttlMs: 1 }), 'INVALID_INPUT')
    expect((await w.alice.listSignRequests({ keyId: w.soloKeyId })).items.length).toBe(0)
    // nothing was requested or paid under the key, so a corrected retry goes ahead, under the same relay id
    const retried = await relayer.submit({ keyId: w.soloKeyId, intent: { to: 'bob', amount: 1 }, idempotencyKey: 'retry-me' })
    expect((await relayer.getRelay({ relayId: retried.relayId })).idempotency?.key).toBe('retry-me')
    expect(await relayer.submit({ keyId: w.soloKeyId, intent: { to: 'bob', amount: 1 }, idempotencyKey: 'retry-me' })).toMatchObject({ relayId: retried.relayId, requestId: retried.requestId })
    expect((await w.alice.listSignRequests({ keyId: w.soloKeyId })).items.length).toBe(1)
  })
})

describe('how a relay ends on the network: expired and reverted are final, recorded, and reported', () => {
  it('a transaction the network drops for good (TX_EXPIRED) ends the relay as expired: recorded, released, reported by resume and recover', async () => {
    const w = await world()
    const net = toyNetwork()
    const journal = memoryRelayJournal()
    const { adapter, calls } = toyAdapter(net)
    let expire = true
    const dropping: typeof adapter = {
      ...adapter,
      async confirm(tx, options) {
        if (expire) throw new ZrError('TX_EXPIRED', 'The transaction expired before it landed.', { details: `transaction ${tx.txid} can never land now`, meta: { txid: tx.txid } })
        return adapter.confirm(tx, options)
      },
    }
    const events: RelayEvent[] = []
    const relayer = createRelayer({ client: w.alice, adapter: dropping, journal, onEvent: (e) => events.push(e) })
    const e = await rejects(relayer.relay({ keyId: w.soloKeyId, intent: { to: 'bob', amount: 3 } }), 'TX_EXPIRED')
    const record = (await journal.list())[0]!
    expect(record.status).toBe('expired')
    expect(record.reason).toMatch(/can never land now/)
    expect(e.meta.txid).toBe(record.txid)
    expect(events.map((x) => x.type).slice(-4)).toEqual(['signed', 'broadcast', 'expired', 'failed'])
    expect(calls.released).toEqual([0])
    // resume says so without asking the network again, even once the network would answer
    expire = false
    const confirms = calls.confirm
    const again = await rejects(relayer.resume({ requestId: record.requestId! }), 'TX_EXPIRED')
    expect(again.details).toMatch(/recorded as expired/)
    expect(again.meta).toMatchObject({ relayId: record.id, requestId: record.requestId, txid: record.txid })
    expect(calls.confirm).toBe(confirms)
    // expired is final: recover() leaves it alone
    expect(await relayer.recover()).toEqual({ finished: [], waiting: [], rejected: [], abandoned: [], expired: [], replaced: [], reverted: [], failed: [] })

    // A relay that expires while recover() finishes it is reported as expired, not as failed.
    expire = true
    const { requestId } = await relayer.submit({ keyId: w.soloKeyId, intent: { to: 'carol', amount: 1 } })
    await w.alice.waitForSignRequest({ requestId, timeoutMs: 20_000 })
    const restarted = createRelayer({ client: w.alice, adapter: dropping, journal })
    const recovered = await restarted.recover()
    expect(recovered.expired).toEqual([requestId])
    expect(recovered.failed).toEqual([])
    expect((await restarted.getRelay({ requestId })).status).toBe('expired')
  })

  it('a transaction that lands but fails (the adapter says why) throws TX_FAILED with the receipt, and ends the relay as reverted', async () => {
    const w = await world()
    const net = toyNetwork()
    const journal = memoryRelayJournal()
    const { adapter, calls } = toyAdapter(net)
    // The toy chain "runs" transfers: one of more than 100 fails in its block.
    const failing: typeof adapter = { ...adapter, failure: (receipt) => (lastAmount > 100 ? `out of funds at height ${receipt.height}` : undefined) }
    let lastAmount = 0
    const events: RelayEvent[] = []
    const relayer = createRelayer({ client: w.alice, adapter: failing, journal, onEvent: (e) => events.push(e) })
    lastAmount = 500
    const e = await rejects(relayer.relay({ keyId: w.soloKeyId, intent: { to: 'bob', amount: 500 } }), 'TX_FAILED')
    expect(e.shortMessage).toBe('The transaction failed on chain.')
    expect(e.details).toMatch(/^transaction [0-9a-f]{64} landed but failed: out of funds at height 1; it paid its fee/)
    expect(e.meta.receipt).toEqual({ height: 1 })
    expect(e.meta.result).toMatchObject({ relayId: e.meta.relayId, requestId: e.meta.requestId, txid: e.meta.txid, receipt: { height: 1 } })
    expect(net.txs.size).toBe(1) // it landed
    const record = await relayer.getRelay({ requestId: e.meta.requestId as number })
    expect(record.status).toBe('reverted')
    expect(record.reason).toBe('out of funds at height 1')
    expect(events.map((x) => x.type).slice(-4)).toEqual(['signed', 'broadcast', 'reverted', 'failed'])
    expect(calls.released).toEqual([]) // never released: it is on chain
    // resume reads the receipt again and says the same; nothing is sent twice
    lastAmount = 0
    const again = await rejects(relayer.resume({ requestId: record.requestId! }), 'TX_FAILED')
    expect(again.meta.receipt).toEqual({ height: 1 })
    expect(net.sendCalls).toBe(1)
    // a transaction that succeeds is confirmed as before
    expect((await relayer.relay({ keyId: w.soloKeyId, intent: { to: 'bob', amount: 5 } })).receipt).toEqual({ height: 2 })

    // one that fails while recover() finishes it is reported in `reverted`, with its receipt
    const { requestId } = await relayer.submit({ keyId: w.soloKeyId, intent: { to: 'carol', amount: 200 } })
    await w.alice.waitForSignRequest({ requestId, timeoutMs: 20_000 })
    lastAmount = 200
    const recovered = await createRelayer({ client: w.alice, adapter: failing, journal }).recover()
    expect(recovered.failed).toEqual([])
    expect(recovered.finished).toEqual([])
    expect(recovered.reverted.map((r) => [r.requestId, r.receipt])).toEqual([[requestId, { height: 3 }]])
    expect((await journal.get(recovered.reverted[0]!.relayId))!.status).toBe('reverted')
  })
})

describe('bindRelayer: a relay pipeline bound to one key, the shape every chain relayer shares', () => {
  it('checks the key, binds it, and returns the one result shape with the chain\'s own names', async () => {
    const w = await world()
    const net = toyNetwork()
    const { adapter } = toyAdapter(net)
    const seen: BoundKey[] = []
    const bound = await bindRelayer({
      client: w.alice,
      keyId: w.soloKeyId,
      name: 'Toy',
      keyTypes: ['ecdsa-secp256k1'],
      adapter: (key) => (seen.push(key), adapter),
      toResult: (r) => ({ ...r, hash: r.txid }),
    })
    const key = await w.alice.getKey({ id: w.soloKeyId })
    expect(seen).toHaveLength(1)
    expect(toHex(seen[0]!.publicKey)).toBe(toHex(key.publicKey))
    expect(seen[0]!.signer).toEqual({ keyId: w.soloKeyId, keyType: 'ecdsa-secp256k1', publicKey: key.publicKey })
    expect(bound.keyId).toBe(w.soloKeyId)
    expect(bound.adapter).toBe(adapter)

    const sent = await bound.relay({ to: 'bob', amount: 1 }, { metadata: { memo: 'm' }, timeoutMs: 20_000 })
    expect(Object.keys(sent).sort()).toEqual(['hash', 'receipt', 'relayId', 'requestId', 'signedTx', 'txid'])
    expect(sent.hash).toBe(sent.txid)
    expect(sent.receipt).toEqual({ height: 1 })
    expect((await w.alice.getSignRequest({ id: sent.requestId })).metadata).toMatchObject({ memo: 'm' })

    const submitted = await bound.submit({ to: 'carol', amount: 2 }, { ttlMs: 60_000 })
    const resumed = await bound.resume({ requestId: submitted.requestId, timeoutMs: 20_000 })
    expect(resumed).toMatchObject({ requestId: submitted.requestId, hash: resumed.txid, receipt: { height: 2 } })
    const signed = await bound.sign({ to: 'dave', amount: 3 })
    expect(signed.receipt).toBeUndefined()
    expect(signed.hash).toBe(signed.txid)
    expect(net.txs.size).toBe(2) // sign never broadcasts
    const recovered = await bound.recover()
    expect(recovered.finished.map((r) => [r.requestId, r.hash === r.txid])).toEqual([[signed.requestId, true]])

    // with a path: the child key signs, and the bound key says which
    const child = await bindRelayer({ client: w.alice, keyId: w.soloKeyId, path: 'm/1', name: 'Toy', keyTypes: ['ecdsa-secp256k1'], adapter })
    expect(child.path).toEqual([1])
    expect(toHex(child.publicKey)).not.toBe(toHex(key.publicKey))
  })

  it('refuses bad parameters and a key of another type, before anything is requested', async () => {
    const w = await world()
    const { adapter } = toyAdapter(toyNetwork())
    const base = { client: w.alice, keyId: w.soloKeyId, name: 'Toy', keyTypes: ['ecdsa-secp256k1'] as const, adapter }
    expect((await rejects(bindRelayer({ ...base, keyId: 0 }), 'INVALID_INPUT')).message).toMatch(/Invalid Toy relayer parameters[\s\S]*keyId: expected a positive integer, got 0/)
    expect((await rejects(bindRelayer({ ...base, client: {} as never }), 'INVALID_INPUT')).details).toMatch(/^client: expected a zrkit client/)
    expect((await rejects(bindRelayer(null as never), 'INVALID_INPUT')).details).toMatch(/got null/)
    await rejects(bindRelayer({ ...base, path: "m/0'" }), 'INVALID_DERIVATION_PATH')
    await rejects(bindRelayer({ ...base, keyId: 999 }), 'KEY_NOT_FOUND')
    const wrong = await rejects(bindRelayer({ ...base, keyId: w.edKeyId, keyTypes: ['ecdsa-secp256k1', 'bitcoin-secp256k1', 'schnorr-secp256k1'], keyTypeMessage: 'A toy relayer needs a secp256k1 key.' }), 'UNSUPPORTED_KEY_TYPE')
    expect(wrong.shortMessage).toBe('A toy relayer needs a secp256k1 key.')
    expect(wrong.details).toBe(`expected a key of type ecdsa-secp256k1, bitcoin-secp256k1 or schnorr-secp256k1, got key ${w.edKeyId} of type eddsa-ed25519`)
    expect((await w.alice.listSignRequests({ keyId: w.soloKeyId })).items).toEqual([])
  })
})

describe('claims and replacements in the pipeline (toy network)', () => {
  /** The toy adapter whose transactions claim their sequence number, and that prepares around `taken` unless told not to. */
  function claimingAdapter(net: Toy, options: { honour?: boolean } = {}) {
    const { adapter, calls } = toyAdapter(net)
    const taken: ReadonlySet<string>[] = []
    const claimOf = (from: string, seq: number | string) => `toy/${from}/seq/${seq}`
    const claiming: RelayAdapter<Transfer, { height: number }> = {
      ...adapter,
      makesClaims: true,
      async prepare(intent, signer, context) {
        taken.push(context?.taken ?? new Set())
        const from = toHex(signer.publicKey)
        const skipped: RelayRecord['summary'][] = []
        for (;;) {
          const p = await adapter.prepare(intent, signer)
          if (options.honour !== false && context?.taken.has(claimOf(from, p.summary.seq!))) {
            skipped.push(p.summary)
            continue
          }
          for (const s of skipped) adapter.release!({ unsignedTx: '', summary: s }, signer)
          return { ...p, claims: [claimOf(from, p.summary.seq!)] }
        }
      },
    }
    return { adapter: claiming, calls, taken, claimOf }
  }

  it("a transaction's claims go into its request's metadata, and a second relayer on the key is given them and prepares around them", async () => {
    const w = await world()
    const net = toyNetwork()
    const first = claimingAdapter(net)
    const second = claimingAdapter(net) // a replica: its own reservations, the same ledger
    const a = await createRelayer({ client: w.alice, adapter: first.adapter }).submit({ keyId: w.keyId, intent: { to: 'bob', amount: 1 } })
    const request = await w.alice.getSignRequest({ id: a.requestId })
    const from = a.summary.from!
    expect(request.metadata?.['zrkit.claims']).toBe(first.claimOf(from, 0))
    const b = await createRelayer({ client: w.alice, adapter: second.adapter }).submit({ keyId: w.keyId, intent: { to: 'bob', amount: 2 } })
    expect([...second.taken.at(-1)!]).toEqual([first.claimOf(from, 0)])
    expect(b.summary.seq).toBe('1')
  })

  it('an adapter that ignores the claims other relayers hold is stopped with RELAY_CONFLICT before anything is requested, and what it reserved is released', async () => {
    const w = await world()
    const net = toyNetwork()
    const first = claimingAdapter(net)
    const careless = claimingAdapter(net, { honour: false })
    const a = await createRelayer({ client: w.alice, adapter: first.adapter }).submit({ keyId: w.keyId, intent: { to: 'bob', amount: 1 } })
    const before = (await w.alice.listSignRequests({ keyId: w.keyId })).items.length
    const err = await rejects(createRelayer({ client: w.alice, adapter: careless.adapter }).submit({ keyId: w.keyId, intent: { to: 'bob', amount: 2 } }), 'RELAY_CONFLICT')
    expect(err.meta).toMatchObject({ claim: first.claimOf(a.summary.from!, 0), heldBy: a.requestId })
    expect((await w.alice.listSignRequests({ keyId: w.keyId })).items.length).toBe(before)
    expect(careless.calls.released).toEqual([0])
  })

  it('claims the adapter gives are checked: at most 32 strings of 1..160 printable characters without spaces', async () => {
    const w = await world()
    const net = toyNetwork()
    for (const claims of [['has space'], [''], ['x'.repeat(161)], Array.from({ length: 33 }, (_, i) => `c${i}`), 'nonce/1', [7]]) {
      const { adapter } = toyAdapter(net)
      const bad: RelayAdapter<Transfer, { height: number }> = { ...adapter, prepare: async (i, s) => ({ ...(await adapter.prepare(i, s)), claims: claims as string[] }) }
      const err = await rejects(createRelayer({ client: w.alice, adapter: bad }).submit({ keyId: w.soloKeyId, intent: { to: 'bob', amount: 1 } }), 'INVALID_RESULT')
      expect(err.details).toMatch(/claims: at most 32 strings/)
    }
    expect((await w.alice.listSignRequests({ keyId: w.soloKeyId })).items).toEqual([])
  })

  it('replace refuses, before anything is prepared or requested: an adapter that cannot replace, a bad mode or fees, a relay not yet signed, a request no relay made', async () => {
    const w = await world()
    const net = toyNetwork()
    const { adapter, calls } = toyAdapter(net)
    const plain = createRelayer({ client: w.alice, adapter })
    const waiting = await plain.submit({ keyId: w.keyId, intent: { to: 'bob', amount: 1 } }) // waits for Bob
    expect((await rejects(plain.replace({ requestId: waiting.requestId, mode: 'speed-up' }), 'INVALID_INPUT')).details).toBe('the toy:devnet adapter cannot replace transactions')
    let replaced = 0
    const replacing = createRelayer({ client: w.alice, journal: plain.journal, adapter: { ...adapter, replace: async () => (replaced++, adapter.prepare({ to: 'bob', amount: 1 }, undefined as unknown as RelaySigner)) } })
    expect((await rejects(replacing.replace({ requestId: waiting.requestId, mode: 'faster' as 'speed-up' }), 'INVALID_INPUT')).details).toBe(`mode: expected 'speed-up' or 'cancel', got "faster"`)
    expect((await rejects(replacing.replace({ requestId: waiting.requestId, mode: 'cancel', fees: { feeRate: 'high' as unknown as number } }), 'INVALID_INPUT')).details).toMatch(/^fees: expected an object/)
    expect((await rejects(replacing.replace({ requestId: 0, mode: 'cancel' }), 'INVALID_INPUT')).details).toBe('requestId: expected a positive integer, got 0')
    const notSigned = await rejects(replacing.replace({ requestId: waiting.requestId, mode: 'cancel' }), 'INVALID_INPUT')
    expect(notSigned.details).toMatch(/is requested: only a transaction that was signed and has not landed/)
    expect(notSigned.meta).toMatchObject({ status: 'requested', requestId: waiting.requestId })
    const direct = await w.alice.requestSignature({ keyId: w.keyId, payloads: [new Uint8Array(32).fill(1)] })
    await rejects(replacing.replace({ requestId: direct.requestId, mode: 'cancel' }), 'RELAY_NOT_FOUND')
    expect(replaced).toBe(0)
    expect(calls.prepare).toBe(1)
  })
})
