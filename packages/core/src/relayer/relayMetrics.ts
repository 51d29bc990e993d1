import { errorCodes } from '../errors/codes.js'
import { ZrError } from '../errors/ZrError.js'
import { describeValue } from '../errors/describeValue.js'
import { type MetricFamily, renderMetrics } from '../metrics/renderMetrics.js'
import type { RelayEvent } from './createRelayer.js'
import { type RelayStatus, finalRelayStatuses } from './RelayJournal.js'

/**
 * A step of a relay whose duration {@link createRelayMetrics} measures: `request` (prepared -> requested:
 * the signature request reaching the ledger), `approval` (requested -> signed: the approvers and the
 * keyring), `broadcast` (signed -> broadcast) and `confirmation` (broadcast -> confirmed).
 */
export type RelayStep = 'request' | 'approval' | 'broadcast' | 'confirmation'

/** Options of {@link createRelayMetrics}. */
export type RelayMetricsOptions = {
  /**
   * Relays followed at once, for the `zrkit_relays` gauge and the step durations (default 100 000). A relay
   * is forgotten once it reaches a final status; beyond the bound the one not heard from for longest is
   * forgotten too (counted in `zrkit_relay_metrics_evicted_total`), so memory stays bounded whatever happens.
   */
  maxTrackedRelays?: number
  /**
   * Pairs of chain and key counted (default 10 000): each is a set of series. Events of a further pair are
   * ignored (`zrkit_relay_metrics_ignored_total{reason="too-many-series"}`), as is a 33rd distinct
   * `waiting_for` of one key.
   */
  maxKeys?: number
}

/** Per step: observations, their sum, and cumulative counts per bucket bound (see `stepBuckets`). */
type StepSnapshot = { readonly count: number; readonly sumSeconds: number; readonly buckets: readonly number[] }

/** What {@link RelayMetrics.snapshot} returns: plain JSON (numbers, arrays and objects). */
export type RelayMetricsSnapshot = {
  /** One entry per chain and key seen, sorted by chain and then key id. */
  readonly keys: readonly {
    readonly chain: string
    /** The key; absent for failures before the key was known (Prometheus label `key=""`). */
    readonly keyId?: number
    /** Relays in each unfinished status now (statuses once held and now empty stay, at 0). */
    readonly relays: Readonly<Partial<Record<RelayStatus, number>>>
    /** Relays that reached each status (a relayer that restarts and resumes a relay counts it again only for a new status). */
    readonly transitions: Readonly<Partial<Record<RelayStatus, number>>>
    readonly steps: Readonly<Partial<Record<RelayStep, StepSnapshot>>>
    /** Transactions sent again after the node lost them. */
    readonly rebroadcasts: number
    /** Replacements asked for, by mode. */
    readonly feeBumps: Readonly<Record<'speed-up' | 'cancel', number>>
    /** Stalls by what the transaction waits for (`nonce-gap`, `fee`, `dropped`...). */
    readonly stalls: Readonly<Record<string, number>>
    /** Failed relayer calls by error code (`UNKNOWN` for an error that is not a ZrError). */
    readonly failures: Readonly<Record<string, number>>
  }[]
  /** Upper bounds of the step buckets, in seconds. */
  readonly stepBuckets: readonly number[]
  /** Relays followed now. */
  readonly trackedRelays: number
  /** Relays forgotten before they ended because more than `maxTrackedRelays` were open. */
  readonly evictedRelays: number
  /** Events not counted: `malformed` (not a relay event this collector reads) or `too-many-series`. */
  readonly ignored: Readonly<Record<'malformed' | 'too-many-series', number>>
}

/** A collector of relay metrics (see {@link createRelayMetrics}). */
export type RelayMetrics = {
  /** Counts one relay event. Never throws: what it cannot read is counted as ignored. */
  observe(event: RelayEvent): void
  /** The counts now, as plain JSON. */
  snapshot(): RelayMetricsSnapshot
  /** The counts now, as metric families for `renderMetrics` (to serve them beside your own). */
  collect(): MetricFamily[]
  /** The counts now, in the Prometheus text format 0.0.4 (serve it with `prometheusContentType`). */
  prometheus(): string
}

/** Step bucket bounds in seconds: from a fast local ledger (50 ms) to an approval that waits an hour. */
const stepBuckets: readonly number[] = Object.freeze([0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600])
const stepOrder: readonly RelayStep[] = ['request', 'approval', 'broadcast', 'confirmation']
/** The step that ends when a relay moves from the first status to the second. */
const stepOf: Readonly<Record<string, RelayStep>> = { 'prepared>requested': 'request', 'requested>signed': 'approval', 'signed>broadcast': 'broadcast', 'broadcast>confirmed': 'confirmation' }
/** Every relay status, in the order of the pipeline (a status added to RelayStatus must be placed here). */
const statusRank: Readonly<Record<RelayStatus, number>> = { prepared: 0, requested: 1, signed: 2, broadcast: 3, confirmed: 4, rejected: 5, abandoned: 6, expired: 7, reverted: 8, replaced: 9 }
const statuses = (Object.keys(statusRank) as RelayStatus[]).sort((a, b) => statusRank[a] - statusRank[b])
const isStatus = (v: unknown): v is RelayStatus => typeof v === 'string' && Object.prototype.hasOwnProperty.call(statusRank, v)
const feeBumpModes = ['speed-up', 'cancel'] as const
/**
 * Event types that count without moving a relay, or that are read and not counted (`ledger`); every
 * other type is a status. Typed so that a new relay event fails to compile here until it is placed.
 */
const otherTypes = new Set(Object.keys({ resumed: true, rebroadcast: true, stalled: true, bumped: true, failed: true, ledger: true } satisfies Record<Exclude<RelayEvent['type'], RelayStatus>, true>))
const knownCodes = new Set<string>([...errorCodes, 'UNKNOWN'])
const maxWaitingForPerKey = 32

type Histogram = { count: number; sum: number; perBucket: number[] }
type Group = {
  readonly chain: string
  readonly keyId: number | undefined
  readonly relays: Map<RelayStatus, number>
  readonly transitions: Map<RelayStatus, number>
  readonly steps: Map<RelayStep, Histogram>
  rebroadcasts: number
  readonly feeBumps: Record<(typeof feeBumpModes)[number], number>
  readonly stalls: Map<string, number>
  readonly failures: Map<string, number>
}
type Tracked = { group: Group; status: RelayStatus; since: number | undefined }

/** Thrown inside `observe` only, and caught there: the event is counted as ignored for this reason. */
class Ignored {
  constructor(readonly reason: 'malformed' | 'too-many-series') {}
}

/**
 * A collector of relay metrics an operator can scrape: give it to every relayer as `metrics` (one
 * collector for all of them: its series are labelled by `chain` and `key`) and serve `prometheus()`
 * on `GET /metrics`, or read `snapshot()`. It counts, per chain and key:
 *
 * - `zrkit_relay_transitions_total{status}`: relays that reached each status, and `zrkit_relays{status}`:
 *   relays in each unfinished status now. Every relay is followed by its id from the events this process
 *   sees; a `resumed` event (a relayer restarted, or a relay resumed) places it in its `from` status
 *   without counting a transition. A relay is forgotten once final, and at most `maxTrackedRelays` are
 *   followed (default 100 000).
 * - `zrkit_relay_step_seconds{step}`: a histogram of the time from one status to the next
 *   ({@link RelayStep}), from the events' `at`; a step is measured when this process saw both its ends.
 * - `zrkit_relay_rebroadcasts_total`, `zrkit_relay_fee_bumps_total{mode}` (`bumped`),
 *   `zrkit_relay_stalls_total{waiting_for}` and `zrkit_relay_failures_total{code}` (`failed`: a relayer call
 *   that threw, by error code).
 *
 * An event without `keyId` (a failure before the key was known) is counted under `key=""`. `observe`
 * never throws: an event it cannot read is counted in `zrkit_relay_metrics_ignored_total{reason}`.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { createRelayMetrics, prometheusContentType } from '@zrkit/core'
 * import { createEvmRelayer } from '@zrkit/relayer-evm'
 *
 * const metrics = createRelayMetrics()
 * const evm = await createEvmRelayer({ client: alice, publicClient, keyId: key.id, metrics })
 * createServer((req, res) => {
 *   if (req.url === '/metrics') res.writeHead(200, { 'content-type': prometheusContentType }).end(metrics.prometheus())
 *   else res.writeHead(404).end()
 * }).listen(9464)
 * console.log(metrics.snapshot().keys) // [{ chain: 'eip155:11155111', keyId: 7, transitions: { prepared: 1, ... }, ... }]
 * ```
 */
export function createRelayMetrics(options: RelayMetricsOptions = {}): RelayMetrics {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ZrError('INVALID_CONFIG', 'Invalid relay metrics options.', { details: `expected an object { maxTrackedRelays?, maxKeys? }, got ${describeValue(options)}` })
  }
  const maxTrackedRelays = checkBound(options.maxTrackedRelays, 'maxTrackedRelays', 100_000)
  const maxKeys = checkBound(options.maxKeys, 'maxKeys', 10_000)

  const groups = new Map<string, Group>()
  /** By relay id; the one heard from least recently first (each update moves a relay to the end). */
  const tracked = new Map<string, Tracked>()
  let evicted = 0
  const ignored = { malformed: 0, 'too-many-series': 0 }

  const groupOf = (chain: string, keyId: number | undefined): Group => {
    const id = `${chain}\u0000${keyId ?? ''}`
    let group = groups.get(id)
    if (group) return group
    if (groups.size >= maxKeys) throw new Ignored('too-many-series')
    group = { chain, keyId, relays: new Map(), transitions: new Map(), steps: new Map(), rebroadcasts: 0, feeBumps: { 'speed-up': 0, cancel: 0 }, stalls: new Map(), failures: new Map() }
    groups.set(id, group)
    return group
  }

  const bump = <K>(map: Map<K, number>, key: K, by = 1) => map.set(key, (map.get(key) ?? 0) + by)

  /** Stops following a relay: it leaves its status in the gauge. */
  const forget = (relayId: string, t: Tracked) => {
    tracked.delete(relayId)
    bump(t.group.relays, t.status, -1)
  }

  /** Follows a relay in `status` from `since` (unknown after a resume), within the bound. */
  const follow = (relayId: string, group: Group, status: RelayStatus, since: number | undefined) => {
    tracked.set(relayId, { group, status, since })
    bump(group.relays, status)
    for (const [id, oldest] of tracked) {
      if (tracked.size <= maxTrackedRelays) break
      forget(id, oldest)
      evicted++
    }
  }

  const observeStep = (group: Group, step: RelayStep, seconds: number) => {
    let h = group.steps.get(step)
    if (!h) group.steps.set(step, (h = { count: 0, sum: 0, perBucket: stepBuckets.map(() => 0) }))
    h.count++
    h.sum += seconds
    const i = stepBuckets.findIndex((bound) => seconds <= bound)
    if (i >= 0) h.perBucket[i]!++
  }

  /** A relay reached `status` at `at`. */
  const reach = (group: Group, relayId: string, status: RelayStatus, at: number) => {
    const t = tracked.get(relayId)
    if (t && t.group === group && t.status === status) return // told twice: one transition
    bump(group.transitions, status)
    if (t) {
      forget(relayId, t)
      const step = stepOf[`${t.status}>${status}`]
      if (step && t.group === group && t.since !== undefined && at >= t.since) observeStep(group, step, (at - t.since) / 1000)
    }
    if (!finalRelayStatuses.includes(status)) follow(relayId, group, status, at)
  }

  /** A relay was resumed from `from`: placed there, no transition counted. */
  const resume = (group: Group, relayId: string, from: RelayStatus) => {
    const t = tracked.get(relayId)
    if (t && t.group === group && t.status === from) {
      // still where it was: keep its start time, hear from it last
      tracked.delete(relayId)
      tracked.set(relayId, t)
      return
    }
    if (t) forget(relayId, t)
    if (!finalRelayStatuses.includes(from)) follow(relayId, group, from, undefined)
  }

  const read = (event: unknown): void => {
    if (event === null || typeof event !== 'object') throw new Ignored('malformed')
    const e = event as Record<string, unknown>
    const { type, chain, keyId, at, relayId } = e
    if (typeof type !== 'string' || !(isStatus(type) || otherTypes.has(type))) throw new Ignored('malformed')
    if (typeof chain !== 'string' || chain.length === 0 || chain.length > 128) throw new Ignored('malformed')
    if (keyId !== undefined && !(typeof keyId === 'number' && Number.isSafeInteger(keyId) && keyId >= 0)) throw new Ignored('malformed')
    if (typeof at !== 'number' || !Number.isFinite(at)) throw new Ignored('malformed')
    const id = typeof relayId === 'string' && relayId.length > 0 && relayId.length <= 256 ? relayId : undefined
    if (relayId !== undefined && id === undefined) throw new Ignored('malformed')
    const needsId = () => {
      if (id === undefined) throw new Ignored('malformed')
      return id
    }
    if (isStatus(type)) {
      const relay = needsId()
      return reach(groupOf(chain, keyId), relay, type, at)
    }
    switch (type) {
      case 'resumed': {
        const relay = needsId()
        const from = e.from
        if (!isStatus(from)) throw new Ignored('malformed')
        return resume(groupOf(chain, keyId), relay, from)
      }
      case 'rebroadcast':
        needsId()
        groupOf(chain, keyId).rebroadcasts++
        return
      case 'stalled': {
        needsId()
        const waitingFor = e.waitingFor
        if (typeof waitingFor !== 'string' || waitingFor.length === 0 || waitingFor.length > 64) throw new Ignored('malformed')
        const group = groupOf(chain, keyId)
        if (!group.stalls.has(waitingFor) && group.stalls.size >= maxWaitingForPerKey) throw new Ignored('too-many-series')
        bump(group.stalls, waitingFor)
        return
      }
      case 'bumped': {
        needsId()
        const mode = e.mode
        if (mode !== 'speed-up' && mode !== 'cancel') throw new Ignored('malformed')
        groupOf(chain, keyId).feeBumps[mode]++
        return
      }
      case 'failed': {
        if (typeof e.code !== 'string' || !knownCodes.has(e.code)) throw new Ignored('malformed')
        bump(groupOf(chain, keyId).failures, e.code)
        return
      }
      default: // 'ledger': the ledger's own events (votes, fulfilment); nothing to count here
        needsId()
    }
  }

  const sortedGroups = () =>
    [...groups.values()].sort((a, b) => (a.chain !== b.chain ? (a.chain < b.chain ? -1 : 1) : (a.keyId ?? -1) - (b.keyId ?? -1)))

  const cumulative = (h: Histogram) => {
    let n = 0
    return h.perBucket.map((c) => (n += c))
  }

  const snapshot = (): RelayMetricsSnapshot => ({
    keys: sortedGroups().map((g) => ({
      chain: g.chain,
      ...(g.keyId !== undefined ? { keyId: g.keyId } : {}),
      relays: Object.fromEntries(statuses.filter((s) => g.relays.has(s)).map((s) => [s, g.relays.get(s)!])),
      transitions: Object.fromEntries(statuses.filter((s) => g.transitions.has(s)).map((s) => [s, g.transitions.get(s)!])),
      steps: Object.fromEntries(stepOrder.filter((s) => g.steps.has(s)).map((s) => {
        const h = g.steps.get(s)!
        return [s, { count: h.count, sumSeconds: h.sum, buckets: cumulative(h) }]
      })),
      rebroadcasts: g.rebroadcasts,
      feeBumps: { ...g.feeBumps },
      stalls: Object.fromEntries([...g.stalls].sort(([a], [b]) => (a < b ? -1 : 1))),
      failures: Object.fromEntries([...g.failures].sort(([a], [b]) => (a < b ? -1 : 1))),
    })),
    stepBuckets: [...stepBuckets],
    trackedRelays: tracked.size,
    evictedRelays: evicted,
    ignored: { ...ignored },
  })

  const collect = (): MetricFamily[] => {
    const keys = snapshot().keys
    const base = (k: (typeof keys)[number]) => ({ chain: k.chain, key: k.keyId === undefined ? '' : String(k.keyId) })
    const perKey = (each: (k: (typeof keys)[number]) => [Record<string, string>, number][]) =>
      keys.flatMap((k) => each(k).map(([labels, value]) => ({ labels: { ...base(k), ...labels }, value })))
    return [
      { name: 'zrkit_relays', type: 'gauge', help: 'Relays now in each unfinished status, per chain and key.', samples: perKey((k) => Object.entries(k.relays).map(([status, n]) => [{ status }, n])) },
      { name: 'zrkit_relay_transitions_total', type: 'counter', help: 'Relays that reached each status, per chain and key.', samples: perKey((k) => Object.entries(k.transitions).map(([status, n]) => [{ status }, n])) },
      {
        name: 'zrkit_relay_step_seconds',
        type: 'histogram',
        help: 'Time from one status of a relay to the next: request (prepared to requested), approval (requested to signed), broadcast (signed to broadcast), confirmation (broadcast to confirmed).',
        bounds: stepBuckets,
        samples: keys.flatMap((k) => Object.entries(k.steps).map(([step, h]) => ({ labels: { ...base(k), step }, buckets: h.buckets, sum: h.sumSeconds, count: h.count }))),
      },
      { name: 'zrkit_relay_rebroadcasts_total', type: 'counter', help: 'Transactions sent again after the node lost them (evicted from its pool, or their block reorganized away).', samples: perKey((k) => [[{}, k.rebroadcasts]]) },
      { name: 'zrkit_relay_fee_bumps_total', type: 'counter', help: 'Replacements of a relay transaction asked for (speed-up or cancel).', samples: perKey((k) => feeBumpModes.map((mode) => [{ mode }, k.feeBumps[mode]])) },
      { name: 'zrkit_relay_stalls_total', type: 'counter', help: 'Times a broadcast transaction was seen not moving, by what it waits for.', samples: perKey((k) => Object.entries(k.stalls).map(([waiting_for, n]) => [{ waiting_for }, n])) },
      { name: 'zrkit_relay_failures_total', type: 'counter', help: 'Relayer calls that failed, by error code.', samples: perKey((k) => Object.entries(k.failures).map(([code, n]) => [{ code }, n])) },
      { name: 'zrkit_relay_metrics_tracked_relays', type: 'gauge', help: 'Relays the metrics collector follows now.', samples: [{ value: tracked.size }] },
      { name: 'zrkit_relay_metrics_evicted_total', type: 'counter', help: 'Relays the metrics collector stopped following before they ended, over its bound.', samples: [{ value: evicted }] },
      { name: 'zrkit_relay_metrics_ignored_total', type: 'counter', help: 'Relay events the metrics collector did not count, by reason.', samples: Object.entries(ignored).map(([reason, n]) => ({ labels: { reason }, value: n })) },
    ]
  }

  return Object.freeze({
    observe(event: RelayEvent) {
      try {
        read(event)
      } catch (e) {
        // whatever the event holds (a throwing getter included), observing never throws into the relayer
        ignored[e instanceof Ignored ? e.reason : 'malformed']++
      }
    },
    snapshot,
    collect,
    prometheus: () => renderMetrics(collect()),
  })
}

function checkBound(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new ZrError('INVALID_CONFIG', 'Invalid relay metrics options.', { details: `expected ${name} to be a positive integer, got ${describeValue(value)}` })
  }
  return value
}
