import { ZrError } from '../errors/ZrError.js'
import { describeValue } from '../errors/describeValue.js'

/** Label names and values of one series, e.g. `{ chain: 'eip155:1', key: '7' }`. */
type MetricLabels = Readonly<Record<string, string>>

/** One series of a counter or a gauge. */
type ValueSample = { readonly labels?: MetricLabels; readonly value: number }

/**
 * One series of a histogram: `buckets[i]` counts the observations at or below the family's `bounds[i]`
 * (cumulative, so never decreasing), `count` all of them (the `+Inf` bucket) and `sum` their total.
 */
type HistogramSample = { readonly labels?: MetricLabels; readonly buckets: readonly number[]; readonly sum: number; readonly count: number }

/**
 * A metric family, the unit {@link renderMetrics} writes: a name, a help text, a type and its series. A
 * counter's name ends in `_total` by convention (`zrkit_relay_failures_total`); a histogram names the
 * upper bounds of its buckets once (`bounds`, increasing, without `+Inf`) and each series counts into them.
 *
 * @example
 * ```ts
 * import { type MetricFamily, renderMetrics } from '@zrkit/core'
 *
 * const families: MetricFamily[] = [
 *   { name: 'app_jobs_total', help: 'Jobs done.', type: 'counter', samples: [{ labels: { queue: 'mail' }, value: 3 }] },
 *   { name: 'app_job_seconds', help: 'Time per job.', type: 'histogram', bounds: [0.1, 1], samples: [{ buckets: [2, 3], sum: 0.9, count: 3 }] },
 * ]
 * console.log(renderMetrics(families))
 * ```
 */
export type MetricFamily =
  | { readonly name: string; readonly help: string; readonly type: 'counter' | 'gauge'; readonly samples: readonly ValueSample[] }
  | { readonly name: string; readonly help: string; readonly type: 'histogram'; readonly bounds: readonly number[]; readonly samples: readonly HistogramSample[] }

/**
 * The HTTP `content-type` of {@link renderMetrics}' text: the Prometheus text exposition format, version 0.0.4.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { createRelayMetrics, prometheusContentType } from '@zrkit/core'
 *
 * const metrics = createRelayMetrics()
 * createServer((req, res) => res.writeHead(200, { 'content-type': prometheusContentType }).end(metrics.prometheus())).listen(9464)
 * ```
 */
export const prometheusContentType = 'text/plain; version=0.0.4; charset=utf-8'

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const types = ['counter', 'gauge', 'histogram'] as const

type Series = { labels: [string, string][]; value: number; buckets: number[]; sum: number; count: number }
type Merged = { name: string; help: string; type: MetricFamily['type']; bounds: readonly number[]; series: Map<string, Series> }

/**
 * Writes metric families in the Prometheus text exposition format 0.0.4 (what `GET /metrics` answers,
 * with {@link prometheusContentType}): for each family a `# HELP` and a `# TYPE` line and then its samples;
 * label values escaped (`\\`, `\"`, `\n`), help texts too (`\\`, `\n`); a histogram as cumulative
 * `_bucket{le="..."}` lines ending with `le="+Inf"` (equal to its count), then `_sum` and `_count`.
 * Families come out sorted by name, each series in the order first given, so equal inputs give equal text.
 *
 * Families of the same name (from several collectors) are merged, and a series given twice (the same
 * labels) is added up: two relayers' counters of one key make one series. Every value is checked first:
 * a name or label that Prometheus would refuse, a label value that is not a string, a histogram whose
 * buckets are not cumulative, or one name with two types throws `INVALID_INPUT` saying which, and nothing
 * is written.
 *
 * @example
 * ```ts
 * import { createRelayMetrics, renderMetrics } from '@zrkit/core'
 *
 * const relays = createRelayMetrics() // given to every relayer as `metrics`
 * const text = renderMetrics([
 *   ...relays.collect(),
 *   { name: 'app_up', help: 'The app is running.', type: 'gauge', samples: [{ value: 1 }] },
 * ])
 * // # HELP app_up The app is running.
 * // # TYPE app_up gauge
 * // app_up 1
 * // # HELP zrkit_relay_failures_total ...
 * ```
 */
export function renderMetrics(families: readonly MetricFamily[]): string {
  if (!Array.isArray(families)) throw invalid('families', 'an array of metric families', families)
  const merged = new Map<string, Merged>()
  families.forEach((family, i) => merge(merged, checkFamily(family, `families[${i}]`)))
  const taken = new Map<string, string>()
  for (const m of merged.values()) {
    for (const name of m.type === 'histogram' ? [m.name, `${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`] : [m.name]) {
      const other = taken.get(name)
      if (other !== undefined && other !== m.name) throw invalid(`family ${m.name}`, 'a name whose samples no other family writes', undefined, `${name}, which family ${other} writes too`)
      taken.set(name, m.name)
    }
  }
  const out: string[] = []
  for (const m of [...merged.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    out.push(`# HELP ${m.name} ${escapeHelp(m.help)}`, `# TYPE ${m.name} ${m.type}`)
    for (const s of m.series.values()) {
      if (m.type !== 'histogram') {
        out.push(`${m.name}${labelText(s.labels)} ${formatNumber(s.value)}`)
        continue
      }
      m.bounds.forEach((bound, i) => out.push(`${m.name}_bucket${labelText([...s.labels, ['le', formatNumber(bound)]])} ${formatNumber(s.buckets[i]!)}`))
      out.push(`${m.name}_bucket${labelText([...s.labels, ['le', '+Inf']])} ${formatNumber(s.count)}`)
      out.push(`${m.name}_sum${labelText(s.labels)} ${formatNumber(s.sum)}`)
      out.push(`${m.name}_count${labelText(s.labels)} ${formatNumber(s.count)}`)
    }
  }
  return out.length > 0 ? `${out.join('\n')}\n` : ''
}

/** `got` is described ({@link describeValue}); `said` is already words. */
function invalid(what: string, expected: string, got: unknown, said?: string): ZrError {
  return new ZrError('INVALID_INPUT', 'Invalid metric family.', { details: `${what}: expected ${expected}, got ${said ?? describeValue(got)}` })
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

function checkFamily(family: unknown, where: string): Merged {
  if (!isRecord(family)) throw invalid(where, 'an object { name, help, type, samples }', family)
  const { name, help, type, samples } = family
  if (typeof name !== 'string' || name.length > 200 || !metricName.test(name)) throw invalid(`${where}.name`, 'a metric name of [a-zA-Z_:][a-zA-Z0-9_:]* (at most 200 characters)', name)
  where = `family ${name}`
  if (typeof help !== 'string') throw invalid(`${where}: help`, 'a string', help)
  if (!types.includes(type as never)) throw invalid(`${where}: type`, 'counter, gauge or histogram', type)
  if (!Array.isArray(samples)) throw invalid(`${where}: samples`, 'an array', samples)
  let bounds: readonly number[] = []
  if (type === 'histogram') {
    const b = family.bounds
    if (!Array.isArray(b) || !b.every((x, i) => typeof x === 'number' && Number.isFinite(x) && (i === 0 || x > (b[i - 1] as number)))) {
      const said = Array.isArray(b) ? `[${b.slice(0, 8).map((x) => describeValue(x)).join(', ')}${b.length > 8 ? ', ...' : ''}]` : undefined
      throw invalid(`${where}: bounds`, 'an array of finite numbers, each greater than the one before', b, said)
    }
    bounds = b as number[]
  }
  const series = new Map<string, Series>()
  samples.forEach((sample, i) => {
    const at = `${where}: samples[${i}]`
    if (!isRecord(sample)) throw invalid(at, 'an object', sample)
    const labels = checkLabels(sample.labels, `${at}.labels`, type === 'histogram')
    const s: Series = { labels, value: 0, buckets: [], sum: 0, count: 0 }
    if (type === 'histogram') {
      const { buckets, sum, count } = sample
      if (typeof count !== 'number' || !(count >= 0)) throw invalid(`${at}.count`, 'a number of at least 0', count)
      if (typeof sum !== 'number') throw invalid(`${at}.sum`, 'a number', sum)
      if (!Array.isArray(buckets) || buckets.length !== bounds.length) throw invalid(`${at}.buckets`, `an array of ${bounds.length} counts, one per bound`, buckets)
      buckets.forEach((n, j) => {
        const floor = j === 0 ? 0 : (buckets[j - 1] as number)
        if (typeof n !== 'number' || !(n >= floor) || n > count) throw invalid(`${at}.buckets[${j}]`, `a cumulative count from ${floor} to the count ${count}`, n)
      })
      Object.assign(s, { buckets: [...(buckets as number[])], sum, count })
    } else {
      if (typeof sample.value !== 'number') throw invalid(`${at}.value`, 'a number', sample.value)
      s.value = sample.value
    }
    add(series, s)
  })
  return { name, help, type: type as MetricFamily['type'], bounds, series }
}

function checkLabels(labels: unknown, where: string, histogram: boolean): [string, string][] {
  if (labels === undefined) return []
  if (!isRecord(labels) || (Object.getPrototypeOf(labels) !== Object.prototype && Object.getPrototypeOf(labels) !== null)) throw invalid(where, 'a plain object of label names to string values', labels)
  const entries = Object.entries(labels)
  for (const [k, v] of entries) {
    if (k.length > 200 || !labelName.test(k) || k.startsWith('__') || (histogram && k === 'le')) {
      throw invalid(where, `label names of [a-zA-Z_][a-zA-Z0-9_]* not starting with __${histogram ? " (le is the histogram's own)" : ''}`, k)
    }
    if (typeof v !== 'string') throw invalid(`${where}.${k}`, 'a string', v)
  }
  return entries as [string, string][]
}

/** The identity of a series: its labels, whatever their order. */
const seriesKey = (labels: readonly [string, string][]) => JSON.stringify([...labels].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))

function add(series: Map<string, Series>, s: Series): void {
  const key = seriesKey(s.labels)
  const before = series.get(key)
  if (!before) return void series.set(key, s)
  before.value += s.value
  before.sum += s.sum
  before.count += s.count
  before.buckets = before.buckets.map((n, i) => n + s.buckets[i]!)
}

function merge(merged: Map<string, Merged>, family: Merged): void {
  const before = merged.get(family.name)
  if (!before) return void merged.set(family.name, family)
  if (before.type !== family.type) throw invalid(`family ${family.name}`, `one type for one name (${before.type})`, undefined, family.type)
  if (before.bounds.length !== family.bounds.length || before.bounds.some((b, i) => b !== family.bounds[i])) {
    throw invalid(`family ${family.name}`, `the same bounds wherever it is given ([${before.bounds.join(', ')}])`, undefined, `[${family.bounds.join(', ')}]`)
  }
  for (const s of family.series.values()) add(before.series, s)
}

function labelText(labels: readonly [string, string][]): string {
  if (labels.length === 0) return ''
  return `{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`
}

const escapeLabelValue = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
const escapeHelp = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')

/** A sample value as Prometheus reads it: `NaN`, `+Inf`, `-Inf`, else JavaScript's shortest round-trip form (Go's ParseFloat reads `1e+21`). */
function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN'
  if (n === Number.POSITIVE_INFINITY) return '+Inf'
  if (n === Number.NEGATIVE_INFINITY) return '-Inf'
  return String(n)
}
