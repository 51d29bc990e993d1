import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import {
  type RelayAdapter,
  type RelayEvent,
  type RelayMetricsSnapshot,
  type ZrClient,
  createConnector,
  createEmbeddedLedger,
  createRelayMetrics,
  createRelayer,
  createZrClient,
  generateAccount,
  isZrError,
  localKeyring,
  toBytes,
  toHex,
} from '@zrkit/core'
import { parsePrometheusText, promSample } from '@zrkit/testkit'
import { afterEach, describe, expect, it } from 'vitest'

/**
 * Relay metrics: the collector over hand-made event streams (every metric, the bounds on its memory,
 * events it cannot read, label escaping, the whole text parsed by a strict reader of the exposition
 * format), then over real relays on a toy network (the ledger, a keyring, approvals, a policy refusal,
 * a transaction that fails on chain): the snapshot and the text say exactly what happened, per key.
 */

const t0 = 1_765_000_000_000
const chain = 'toy:metrics'
/** A relay event as a relayer emits it: body, chain, key and time. */
const ev = (body: Record<string, unknown>, at = t0, keyId: number | null = 7): RelayEvent =>
  ({ chain, ...(keyId !== null ? { keyId } : {}), at, ...body }) as unknown as RelayEvent
const keyOf = (snap: RelayMetricsSnapshot, keyId: number | undefined, onChain = chain) => snap.keys.find((k) => k.chain === onChain && k.keyId === keyId)

describe('createRelayMetrics over event streams', () => {
  it('follows each relay through its statuses: transitions, the relays now in each status, and the time of each step', () => {
    const m = createRelayMetrics()
    // relay a: every step, with known durations
    m.observe(ev({ type: 'prepared', relayId: 'a', summary: {} }, t0))
    m.observe(ev({ type: 'requested', relayId: 'a', requestId: 1, status: 'partial', requestKind: 'payloads' }, t0 + 40)) // request 0.04 s
    m.observe(ev({ type: 'ledger', relayId: 'a', requestId: 1, event: { seq: 9, height: 3, time: t0, type: 'action.voted', data: {} } }, t0 + 100))
    m.observe(ev({ type: 'signed', relayId: 'a', requestId: 1, txid: 'x' }, t0 + 40 + 7_000)) // approval 7 s
    m.observe(ev({ type: 'broadcast', relayId: 'a', requestId: 1, txid: 'x' }, t0 + 7_040 + 300)) // broadcast 0.3 s
    m.observe(ev({ type: 'confirmed', relayId: 'a', requestId: 1, txid: 'x' }, t0 + 7_340 + 45_000)) // confirmation 45 s
    // relay b: waits for approvals
    m.observe(ev({ type: 'prepared', relayId: 'b', summary: {} }, t0))
    m.observe(ev({ type: 'requested', relayId: 'b', requestId: 2, status: 'partial', requestKind: 'payloads' }, t0 + 2_000)) // request 2 s

    const k = keyOf(m.snapshot(), 7)!
    expect(k.transitions).toEqual({ prepared: 2, requested: 2, signed: 1, broadcast: 1, confirmed: 1 })
    expect(k.relays).toEqual({ prepared: 0, requested: 1, signed: 0, broadcast: 0 })
    expect(m.snapshot().trackedRelays).toBe(1) // a is final: forgotten
    const bounds = m.snapshot().stepBuckets
    expect(bounds).toEqual([0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600])
    const cumulative = (seconds: number[]) => bounds.map((b) => seconds.filter((s) => s <= b).length)
    expect(k.steps.request).toMatchObject({ count: 2, buckets: cumulative([0.04, 2]) })
    expect(k.steps.request!.sumSeconds).toBeCloseTo(2.04, 9)
    expect(k.steps.approval).toEqual({ count: 1, sumSeconds: 7, buckets: cumulative([7]) })
    expect(k.steps.broadcast).toEqual({ count: 1, sumSeconds: 0.3, buckets: cumulative([0.3]) })
    expect(k.steps.confirmation).toEqual({ count: 1, sumSeconds: 45, buckets: cumulative([45]) })

    const f = parsePrometheusText(m.prometheus())
    const labels = { chain, key: '7' }
    expect(promSample(f, 'zrkit_relay_transitions_total', { ...labels, status: 'confirmed' })).toBe(1)
    expect(promSample(f, 'zrkit_relays', { ...labels, status: 'requested' })).toBe(1)
    expect(promSample(f, 'zrkit_relays', { ...labels, status: 'prepared' })).toBe(0)
    expect(promSample(f, 'zrkit_relay_step_seconds_bucket', { ...labels, step: 'approval', le: '5' })).toBe(0)
    expect(promSample(f, 'zrkit_relay_step_seconds_bucket', { ...labels, step: 'approval', le: '10' })).toBe(1)
    expect(promSample(f, 'zrkit_relay_step_seconds_bucket', { ...labels, step: 'request', le: '0.05' })).toBe(1)
    expect(promSample(f, 'zrkit_relay_step_seconds_bucket', { ...labels, step: 'request', le: '+Inf' })).toBe(2)
    expect(promSample(f, 'zrkit_relay_step_seconds_sum', { ...labels, step: 'confirmation' })).toBe(45)
    expect(promSample(f, 'zrkit_relay_step_seconds_count', { ...labels, step: 'request' })).toBe(2)
    expect(f.get('zrkit_relay_step_seconds')!.type).toBe('histogram')
    expect(promSample(f, 'zrkit_relay_metrics_tracked_relays')).toBe(1)
  })

  it('every final status ends a relay and forgets it; a status told twice counts once', () => {
    const m = createRelayMetrics()
    const ends = ['rejected', 'expired', 'replaced', 'reverted', 'abandoned'] as const
    ends.forEach((end, i) => {
      const relayId = `r${i}`
      m.observe(ev({ type: 'prepared', relayId, summary: {} }))
      m.observe(ev({ type: 'requested', relayId, requestId: i, status: 'pending', requestKind: 'payloads' }))
      if (end !== 'rejected' && end !== 'abandoned') m.observe(ev({ type: 'signed', relayId, requestId: i, txid: 't' }))
      m.observe(ev({ type: end, relayId, requestId: i, txid: 't', reason: 'why' }))
    })
    m.observe(ev({ type: 'requested', relayId: 'r0', requestId: 0, status: 'pending', requestKind: 'payloads' })) // r0 is final and forgotten: a new status for it
    m.observe(ev({ type: 'prepared', relayId: 'dup', summary: {} }))
    m.observe(ev({ type: 'prepared', relayId: 'dup', summary: {} }))
    const k = keyOf(m.snapshot(), 7)!
    expect(k.transitions).toEqual({ prepared: 6, requested: 6, signed: 3, rejected: 1, abandoned: 1, expired: 1, reverted: 1, replaced: 1 })
    expect(k.relays).toEqual({ prepared: 1, requested: 1, signed: 0 })
    expect(m.snapshot().trackedRelays).toBe(2)
  })

  it('a resumed relay is placed in its `from` status without a transition; only steps whose start it saw are timed', () => {
    const m = createRelayMetrics()
    // a relayer restarted: this process never saw relay a before
    m.observe(ev({ type: 'resumed', relayId: 'a', requestId: 1, from: 'signed' }, t0))
    expect(keyOf(m.snapshot(), 7)).toMatchObject({ transitions: {}, relays: { signed: 1 } })
    m.observe(ev({ type: 'broadcast', relayId: 'a', requestId: 1, txid: 'x' }, t0 + 500))
    // resumed again where it is (relay({ confirm: false }) then resume()): its start time is kept
    m.observe(ev({ type: 'resumed', relayId: 'a', requestId: 1, from: 'broadcast' }, t0 + 5_000))
    m.observe(ev({ type: 'confirmed', relayId: 'a', requestId: 1, txid: 'x' }, t0 + 20_500))
    // a relay resumed from a final status is not followed
    m.observe(ev({ type: 'resumed', relayId: 'b', requestId: 2, from: 'rejected' }))
    const k = keyOf(m.snapshot(), 7)!
    expect(k.transitions).toEqual({ broadcast: 1, confirmed: 1 })
    expect(k.relays).toEqual({ signed: 0, broadcast: 0 })
    expect(Object.keys(k.steps)).toEqual(['confirmation']) // the broadcast step began before this process saw it
    expect(k.steps.confirmation).toMatchObject({ count: 1, sumSeconds: 20 })
    expect(m.snapshot().trackedRelays).toBe(0)
  })

  it('counts re-broadcasts, fee bumps by mode, stalls by what they wait for and failures by code, per chain and key', () => {
    const m = createRelayMetrics()
    m.observe(ev({ type: 'rebroadcast', relayId: 'a', requestId: 1, txid: 'x', reason: 'dropped from the pool' }))
    m.observe(ev({ type: 'rebroadcast', relayId: 'a', requestId: 1, txid: 'x', reason: 'reorg' }))
    m.observe(ev({ type: 'bumped', relayId: 'a', requestId: 1, txid: 'x', replacement: 'b', mode: 'speed-up' }))
    m.observe(ev({ type: 'bumped', relayId: 'b', requestId: 2, txid: 'y', replacement: 'c', mode: 'cancel' }))
    m.observe(ev({ type: 'bumped', relayId: 'c', requestId: 3, txid: 'z', replacement: 'd', mode: 'speed-up' }))
    m.observe(ev({ type: 'stalled', relayId: 'a', requestId: 1, txid: 'x', waitingFor: 'nonce-gap', details: '...' }))
    m.observe(ev({ type: 'stalled', relayId: 'a', requestId: 1, txid: 'x', waitingFor: 'fee', details: '...' }))
    m.observe(ev({ type: 'stalled', relayId: 'a', requestId: 1, txid: 'x', waitingFor: 'fee', details: '...' }))
    m.observe(ev({ type: 'failed', relayId: 'a', requestId: 1, code: 'TX_STALLED', message: '...' }))
    m.observe(ev({ type: 'failed', code: 'TIMEOUT', message: '...' }))
    m.observe(ev({ type: 'failed', code: 'UNKNOWN', message: 'TypeError' }, t0, 8))
    m.observe(ev({ type: 'failed', code: 'KEY_NOT_FOUND', message: 'no key 99' }, t0, null)) // before the key was known
    m.observe({ ...ev({ type: 'rebroadcast', relayId: 'e', requestId: 5, txid: 'q', reason: 'r' }), chain: 'toy:other' } as RelayEvent)

    const snap = m.snapshot()
    expect(snap.keys.map((k) => [k.chain, k.keyId])).toEqual([['toy:metrics', undefined], ['toy:metrics', 7], ['toy:metrics', 8], ['toy:other', 7]])
    expect(keyOf(snap, 7)).toMatchObject({ rebroadcasts: 2, feeBumps: { 'speed-up': 2, cancel: 1 }, stalls: { fee: 2, 'nonce-gap': 1 }, failures: { TIMEOUT: 1, TX_STALLED: 1 } })
    expect(keyOf(snap, 8)).toMatchObject({ rebroadcasts: 0, feeBumps: { 'speed-up': 0, cancel: 0 }, stalls: {}, failures: { UNKNOWN: 1 } })
    expect(keyOf(snap, undefined)).toMatchObject({ failures: { KEY_NOT_FOUND: 1 } })
    expect(keyOf(snap, 7, 'toy:other')).toMatchObject({ rebroadcasts: 1 })
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap) // plain JSON

    const f = parsePrometheusText(m.prometheus())
    expect(promSample(f, 'zrkit_relay_rebroadcasts_total', { chain, key: '7' })).toBe(2)
    expect(promSample(f, 'zrkit_relay_rebroadcasts_total', { chain: 'toy:other', key: '7' })).toBe(1)
    expect(promSample(f, 'zrkit_relay_fee_bumps_total', { chain, key: '7', mode: 'cancel' })).toBe(1)
    expect(promSample(f, 'zrkit_relay_fee_bumps_total', { chain, key: '8', mode: 'cancel' })).toBe(0)
    expect(promSample(f, 'zrkit_relay_stalls_total', { chain, key: '7', waiting_for: 'fee' })).toBe(2)
    expect(promSample(f, 'zrkit_relay_failures_total', { chain, key: '7', code: 'TX_STALLED' })).toBe(1)
    expect(promSample(f, 'zrkit_relay_failures_total', { chain, key: '', code: 'KEY_NOT_FOUND' })).toBe(1)
  })

  it('keeps its memory bounded: final relays are forgotten, at most maxTrackedRelays are followed (100 000 by default), at most maxKeys keys', () => {
    const m = createRelayMetrics()
    for (let i = 0; i < 100_050; i++) m.observe(ev({ type: 'prepared', relayId: `p${i}`, summary: {} }))
    expect(m.snapshot()).toMatchObject({ trackedRelays: 100_000, evictedRelays: 50 })
    expect(keyOf(m.snapshot(), 7)!.relays).toEqual({ prepared: 100_000 })
    expect(keyOf(m.snapshot(), 7)!.transitions).toEqual({ prepared: 100_050 })

    const small = createRelayMetrics({ maxTrackedRelays: 3, maxKeys: 2 })
    for (const id of ['a', 'b', 'c']) small.observe(ev({ type: 'prepared', relayId: id, summary: {} }))
    small.observe(ev({ type: 'requested', relayId: 'a', requestId: 1, status: 'pending', requestKind: 'payloads' })) // a is heard from: b is now the oldest
    small.observe(ev({ type: 'prepared', relayId: 'd', summary: {} }))
    expect(small.snapshot()).toMatchObject({ trackedRelays: 3, evictedRelays: 1 })
    expect(keyOf(small.snapshot(), 7)!.relays).toEqual({ prepared: 2, requested: 1 })
    small.observe(ev({ type: 'signed', relayId: 'a', requestId: 1, txid: 't' }, t0 + 1_000))
    expect(keyOf(small.snapshot(), 7)!.steps.approval).toMatchObject({ count: 1, sumSeconds: 1 }) // a was kept
    // a second key fits, a third is ignored
    small.observe(ev({ type: 'failed', code: 'TIMEOUT', message: '' }, t0, 8))
    small.observe(ev({ type: 'failed', code: 'TIMEOUT', message: '' }, t0, 9))
    expect(small.snapshot().keys.map((k) => k.keyId)).toEqual([7, 8])
    // distinct waiting_for values of one key are bounded too
    for (let i = 0; i < 40; i++) small.observe(ev({ type: 'stalled', relayId: 'a', requestId: 1, txid: 't', waitingFor: `w${i}`, details: '' }))
    expect(Object.keys(keyOf(small.snapshot(), 7)!.stalls)).toHaveLength(32)
    expect(small.snapshot().ignored).toEqual({ malformed: 0, 'too-many-series': 1 + 8 })
    expect(parsePrometheusText(small.prometheus()).get('zrkit_relay_metrics_evicted_total')!.samples[0]!.value).toBe(1)

    // relays that end leave nothing behind
    const ended = createRelayMetrics()
    for (let i = 0; i < 5_000; i++) {
      ended.observe(ev({ type: 'prepared', relayId: `r${i}`, summary: {} }))
      ended.observe(ev({ type: i % 2 ? 'confirmed' : 'rejected', relayId: `r${i}`, requestId: i, txid: 't', reason: 'r' }))
    }
    expect(ended.snapshot()).toMatchObject({ trackedRelays: 0, evictedRelays: 0 })
    expect(keyOf(ended.snapshot(), 7)!.relays).toEqual({ prepared: 0 })
  })

  it('never throws: what it cannot read is counted as ignored and changes nothing else', () => {
    const m = createRelayMetrics()
    const throwing = Object.defineProperty({ type: 'prepared', relayId: 'x', at: t0 }, 'chain', {
      get() {
        throw new Error('a getter that throws')
      },
    })
    const cyclic: Record<string, unknown> = { type: 'prepared', relayId: 'x', at: t0 }
    cyclic.chain = cyclic
    const bad: unknown[] = [
      null,
      undefined,
      'prepared',
      42,
      [],
      {},
      throwing,
      cyclic,
      ev({ type: 'no-such-event', relayId: 'x' }),
      ev({ type: 'toString', relayId: 'x' }),
      ev({ type: 'constructor', relayId: 'x' }),
      ev({ type: 'prepared' }), // no relay id
      ev({ type: 'prepared', relayId: '' }),
      ev({ type: 'prepared', relayId: 7 }),
      ev({ type: 'prepared', relayId: 'x', chain: '' }),
      ev({ type: 'prepared', relayId: 'x', chain: 'c'.repeat(129) }),
      ev({ type: 'prepared', relayId: 'x' }, Number.NaN),
      ev({ type: 'prepared', relayId: 'x' }, t0, -1),
      ev({ type: 'prepared', relayId: 'x', keyId: '7' }),
      ev({ type: 'prepared', relayId: 'x', keyId: 1.5 }),
      ev({ type: 'resumed', relayId: 'x', from: 'nowhere' }),
      ev({ type: 'resumed', relayId: 'x', from: 'hasOwnProperty' }),
      ev({ type: 'failed', code: 'NOT_A_CODE', message: '' }),
      ev({ type: 'failed', code: 7, message: '' }),
      ev({ type: 'bumped', relayId: 'x', mode: 'faster' }),
      ev({ type: 'stalled', relayId: 'x', waitingFor: '' }),
      ev({ type: 'stalled', relayId: 'x', waitingFor: 'w'.repeat(65) }),
      ev({ type: 'rebroadcast' }),
      ev({ type: 'ledger' }),
    ]
    for (const e of bad) expect(() => m.observe(e as RelayEvent)).not.toThrow()
    const snap = m.snapshot()
    expect(snap.ignored).toEqual({ malformed: bad.length, 'too-many-series': 0 })
    expect(snap.keys).toEqual([])
    expect(snap.trackedRelays).toBe(0)
    const f = parsePrometheusText(m.prometheus())
    expect(promSample(f, 'zrkit_relay_metrics_ignored_total', { reason: 'malformed' })).toBe(bad.length)
  })

  it('escapes label values: a chain name with a backslash, a quote and a line feed comes back whole', () => {
    const m = createRelayMetrics()
    const odd = 'toy\\net "beta"\nline two'
    m.observe(ev({ type: 'prepared', relayId: 'a', summary: {}, chain: odd }))
    m.observe(ev({ type: 'stalled', relayId: 'a', requestId: 1, txid: 'x', waitingFor: 'a "quoted" \\ wait', details: '', chain: odd }))
    const text = m.prometheus()
    expect(text).toContain('chain="toy\\\\net \\"beta\\"\\nline two"')
    expect(text.split('\n').every((line) => !line.startsWith('line two'))).toBe(true)
    const f = parsePrometheusText(text)
    expect(promSample(f, 'zrkit_relay_transitions_total', { chain: odd, key: '7', status: 'prepared' })).toBe(1)
    expect(promSample(f, 'zrkit_relay_stalls_total', { chain: odd, key: '7', waiting_for: 'a "quoted" \\ wait' })).toBe(1)
  })

  it('writes well-formed text with every family typed and in a stable order, even with nothing observed', () => {
    const empty = createRelayMetrics()
    const names = [...parsePrometheusText(empty.prometheus()).keys()]
    expect(names).toEqual([
      'zrkit_relay_failures_total',
      'zrkit_relay_fee_bumps_total',
      'zrkit_relay_metrics_evicted_total',
      'zrkit_relay_metrics_ignored_total',
      'zrkit_relay_metrics_tracked_relays',
      'zrkit_relay_rebroadcasts_total',
      'zrkit_relay_stalls_total',
      'zrkit_relay_step_seconds',
      'zrkit_relay_transitions_total',
      'zrkit_relays',
    ])
    // the same events in the same order give the same text, byte for byte
    const stream = [
      ev({ type: 'prepared', relayId: 'a', summary: {} }, t0, 9),
      ev({ type: 'prepared', relayId: 'b', summary: {} }, t0, 2),
      ev({ type: 'requested', relayId: 'b', requestId: 1, status: 'pending', requestKind: 'payloads' }, t0 + 10, 2),
      ev({ type: 'failed', code: 'TIMEOUT', message: '' }, t0, 10),
    ]
    const [x, y] = [createRelayMetrics(), createRelayMetrics()]
    for (const e of stream) x.observe(e)
    for (const e of stream) y.observe(e)
    expect(x.prometheus()).toBe(y.prometheus())
    // keys in numeric order (2, 9, 10), within each family
    const keys = parsePrometheusText(x.prometheus()).get('zrkit_relay_rebroadcasts_total')!.samples.map((s) => s.labels.key)
    expect(keys).toEqual(['2', '9', '10'])
  })

  it('refuses options it does not take with INVALID_CONFIG', () => {
    for (const bad of [null, 'x', [], { maxTrackedRelays: 0 }, { maxTrackedRelays: 1.5 }, { maxKeys: -1 }, { maxKeys: '10' }]) {
      let error: unknown
      try {
        createRelayMetrics(bad as never)
      } catch (e) {
        error = e
      }
      expect(isZrError(error, 'INVALID_CONFIG'), JSON.stringify(bad)).toBe(true)
      expect((error as { details: string }).details).toMatch(/^expected /)
    }
  })
})

// ---- real relays on a toy network ----

type Transfer = { to: string; amount: number }

/** A network that takes a transaction once, only with a valid signature of its sender, and "runs" it: an amount over 100 fails on chain. */
function toyChain() {
  const blocks: { txid: string; amount: number }[] = []
  const adapter: RelayAdapter<Transfer, { height: number; ok: boolean }> = {
    chain,
    keyTypes: ['ecdsa-secp256k1'],
    async prepare(intent, signer) {
      const unsignedTx = JSON.stringify({ from: toHex(signer.publicKey), ...intent, nonce: Math.random() })
      return { unsignedTx, payloads: [sha256(new TextEncoder().encode(unsignedTx))], summary: { to: intent.to, amount: String(intent.amount) } }
    },
    payloads: (unsignedTx) => [sha256(new TextEncoder().encode(unsignedTx))],
    assemble: (unsignedTx, [signature]) => {
      const signedTx = JSON.stringify({ unsignedTx, signature: toHex(signature!) })
      return { signedTx, txid: toHex(sha256(new TextEncoder().encode(signedTx))) }
    },
    async broadcast({ signedTx, txid }) {
      if (blocks.some((b) => b.txid === txid)) return
      const { unsignedTx, signature } = JSON.parse(signedTx) as { unsignedTx: string; signature: string }
      const tx = JSON.parse(unsignedTx) as Transfer & { from: string }
      if (!secp256k1.verify(toBytes(signature).subarray(0, 64), sha256(new TextEncoder().encode(unsignedTx)), toBytes(tx.from), { prehash: false })) throw new Error('bad signature')
      blocks.push({ txid, amount: tx.amount })
    },
    async confirm({ txid }) {
      const height = blocks.findIndex((b) => b.txid === txid) + 1
      if (height === 0) throw new Error(`unknown transaction ${txid}`)
      return { height, ok: blocks[height - 1]!.amount <= 100 }
    },
    failure: (receipt) => (receipt.ok ? undefined : `out of funds at height ${receipt.height}`),
  }
  return { adapter, blocks }
}

const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {})
})

describe('relay metrics of real relays (ledger, keyring, approvals, a toy network)', () => {
  it('relays confirmed, one rejected by the policy, one refused by an approver, one failing on chain: the snapshot and the text say exactly that, per key', async () => {
    const [a, b, op, party] = [generateAccount(), generateAccount(), generateAccount(), generateAccount()]
    const ledger = await createEmbeddedLedger({ genesis: { chainId: 'zrkit-relay-metrics', balances: [a, b, op].map((x) => ({ address: x.address, amount: 1_000_000n })) } })
    cleanup.push(() => ledger.close())
    const alice = createZrClient({ ledger, account: a })
    const bob = createZrClient({ ledger, account: b })
    const { keyring } = await createZrClient({ ledger, account: op }).createKeyring({ description: 'metrics', parties: [party.address], partyThreshold: 1, keyRequestFee: 1n, signRequestFee: 1n })
    const connector = createConnector({ ledger, account: party, keyring, backend: localKeyring() })
    await connector.start()
    cleanup.push(() => connector.stop())
    const keyIn = async (client: ZrClient, policy?: { expression: string; participants: Record<string, string> }) => {
      const signPolicyId = policy ? (await client.createPolicy({ name: 'p', ...policy })).policyId : undefined
      const { workspace } = await client.createWorkspace({ ...(policy?.participants.bob ? { additionalOwners: [b.address] } : {}), ...(signPolicyId !== undefined ? { signPolicyId } : {}) })
      return (await client.createKey({ workspace, keyring, keyType: 'ecdsa-secp256k1' })).id
    }
    const solo = await keyIn(alice) // Alice alone
    const both = await keyIn(alice, { expression: 'all([alice, bob])', participants: { alice: a.address, bob: b.address } })
    const limited = await keyIn(alice, { expression: 'tx.value <= 1 eth && alice', participants: { alice: a.address } }) // only decoded transactions can pass

    const metrics = createRelayMetrics()
    const { adapter, blocks } = toyChain()
    const relayer = createRelayer({ client: alice, adapter, metrics })
    const code = (p: Promise<unknown>) => p.then(() => 'resolved', (e: unknown) => (isZrError(e) ? e.code : String(e)))

    // solo: two confirmed, one that lands and fails
    await relayer.relay({ keyId: solo, intent: { to: 'carol', amount: 5 }, timeoutMs: 20_000 })
    await relayer.relay({ keyId: solo, intent: { to: 'dave', amount: 6 }, timeoutMs: 20_000 })
    expect(await code(relayer.relay({ keyId: solo, intent: { to: 'erin', amount: 500 }, timeoutMs: 20_000 }))).toBe('TX_FAILED')
    // both: one Bob approves after a while, one he rejects
    const approved = await relayer.submit({ keyId: both, intent: { to: 'frank', amount: 7 } })
    const finishing = relayer.resume({ requestId: approved.requestId, timeoutMs: 20_000 })
    await new Promise((r) => setTimeout(r, 300))
    await bob.approveAction({ actionId: approved.actionId! })
    await finishing
    const refused = await relayer.submit({ keyId: both, intent: { to: 'grace', amount: 8 } })
    const refusing = code(relayer.resume({ requestId: refused.requestId, timeoutMs: 20_000 }))
    await bob.rejectAction({ actionId: refused.actionId! })
    expect(await refusing).toBe('REQUEST_REJECTED')
    // limited: the sign policy refuses at once
    expect(await code(relayer.relay({ keyId: limited, intent: { to: 'heidi', amount: 1 }, timeoutMs: 20_000 }))).toBe('REQUEST_REJECTED')
    expect(blocks).toHaveLength(4)

    const snap = metrics.snapshot()
    expect(snap.ignored).toEqual({ malformed: 0, 'too-many-series': 0 }) // every event a relayer emits is read
    expect(snap.trackedRelays).toBe(0) // every relay ended
    expect(snap.keys.map((k) => k.keyId)).toEqual([solo, both, limited].sort((x, y) => x - y))
    const at = (keyId: number) => {
      const { chain: c, keyId: id, transitions, relays, failures, rebroadcasts, stalls, feeBumps } = keyOf(snap, keyId)!
      return { chain: c, keyId: id, transitions, relays, failures, rebroadcasts, stalls, feeBumps }
    }
    const quiet = { rebroadcasts: 0, stalls: {}, feeBumps: { 'speed-up': 0, cancel: 0 } }
    const settled = { prepared: 0, requested: 0, signed: 0, broadcast: 0 }
    expect(at(solo)).toEqual({ chain, keyId: solo, transitions: { prepared: 3, requested: 3, signed: 3, broadcast: 3, confirmed: 2, reverted: 1 }, relays: settled, failures: { TX_FAILED: 1 }, ...quiet })
    expect(at(both)).toEqual({ chain, keyId: both, transitions: { prepared: 2, requested: 2, signed: 1, broadcast: 1, confirmed: 1, rejected: 1 }, relays: settled, failures: { REQUEST_REJECTED: 1 }, ...quiet })
    expect(at(limited)).toEqual({ chain, keyId: limited, transitions: { prepared: 1, requested: 1, rejected: 1 }, relays: { prepared: 0, requested: 0 }, failures: { REQUEST_REJECTED: 1 }, ...quiet })
    // steps: each relay that got there, timed; Bob's approval took at least the 300 ms he waited
    const steps = (keyId: number) => Object.fromEntries(Object.entries(keyOf(snap, keyId)!.steps).map(([s, h]) => [s, h.count]))
    expect(steps(solo)).toEqual({ request: 3, approval: 3, broadcast: 3, confirmation: 2 })
    expect(steps(both)).toEqual({ request: 2, approval: 1, broadcast: 1, confirmation: 1 })
    expect(steps(limited)).toEqual({ request: 1 })
    expect(keyOf(snap, both)!.steps.approval!.sumSeconds).toBeGreaterThanOrEqual(0.3)
    expect(keyOf(snap, both)!.steps.approval!.buckets[2]).toBe(0) // not within 0.25 s

    // the text says the same, and is well formed as a whole
    const f = parsePrometheusText(metrics.prometheus())
    const l = (keyId: number, more: Record<string, string> = {}) => ({ chain, key: String(keyId), ...more })
    expect(promSample(f, 'zrkit_relay_transitions_total', l(solo, { status: 'confirmed' }))).toBe(2)
    expect(promSample(f, 'zrkit_relay_transitions_total', l(solo, { status: 'reverted' }))).toBe(1)
    expect(promSample(f, 'zrkit_relay_transitions_total', l(both, { status: 'rejected' }))).toBe(1)
    expect(promSample(f, 'zrkit_relay_transitions_total', l(limited, { status: 'signed' }))).toBeUndefined()
    expect(promSample(f, 'zrkit_relay_failures_total', l(solo, { code: 'TX_FAILED' }))).toBe(1)
    expect(promSample(f, 'zrkit_relay_failures_total', l(limited, { code: 'REQUEST_REJECTED' }))).toBe(1)
    expect(promSample(f, 'zrkit_relays', l(both, { status: 'requested' }))).toBe(0)
    expect(promSample(f, 'zrkit_relay_step_seconds_count', l(solo, { step: 'confirmation' }))).toBe(2)
    expect(promSample(f, 'zrkit_relay_step_seconds_bucket', l(both, { step: 'approval', le: '+Inf' }))).toBe(1)
    expect(f.get('zrkit_relay_transitions_total')!.samples.filter((s) => s.labels.key === String(solo)).map((s) => [s.labels.status, s.value])).toEqual([
      ['prepared', 3], ['requested', 3], ['signed', 3], ['broadcast', 3], ['confirmed', 2], ['reverted', 1],
    ])
  })

  it('counts a relay while it waits: the gauge shows it in requested until it is approved', async () => {
    const [a, b, op, party] = [generateAccount(), generateAccount(), generateAccount(), generateAccount()]
    const ledger = await createEmbeddedLedger({ genesis: { chainId: 'zrkit-relay-metrics-2', balances: [a, b, op].map((x) => ({ address: x.address, amount: 1_000_000n })) } })
    cleanup.push(() => ledger.close())
    const alice = createZrClient({ ledger, account: a })
    const { keyring } = await createZrClient({ ledger, account: op }).createKeyring({ description: 'metrics', parties: [party.address], partyThreshold: 1, keyRequestFee: 1n, signRequestFee: 1n })
    const connector = createConnector({ ledger, account: party, keyring, backend: localKeyring() })
    await connector.start()
    cleanup.push(() => connector.stop())
    const { policyId } = await alice.createPolicy({ name: 'both', participants: { alice: a.address, bob: b.address }, expression: 'all([alice, bob])' })
    const { workspace } = await alice.createWorkspace({ additionalOwners: [b.address], signPolicyId: policyId })
    const keyId = (await alice.createKey({ workspace, keyring, keyType: 'ecdsa-secp256k1' })).id

    const metrics = createRelayMetrics()
    const relayer = createRelayer({ client: alice, adapter: toyChain().adapter, metrics })
    const waiting = await Promise.all([1, 2].map((amount) => relayer.submit({ keyId, intent: { to: 'x', amount } })))
    const gauge = () => promSample(parsePrometheusText(metrics.prometheus()), 'zrkit_relays', { chain, key: String(keyId), status: 'requested' })
    expect(gauge()).toBe(2)
    await createZrClient({ ledger, account: b }).approveAction({ actionId: waiting[0]!.actionId! })
    await relayer.resume({ requestId: waiting[0]!.requestId, timeoutMs: 20_000 })
    expect(gauge()).toBe(1)
    expect(metrics.snapshot().trackedRelays).toBe(1)
  })
})
