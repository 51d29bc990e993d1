import { type MetricFamily, isZrError, prometheusContentType, renderMetrics } from '@zrkit/core'
import { parsePrometheusText, promSample } from '@zrkit/testkit'
import { describe, expect, it } from 'vitest'

/** The one Prometheus text writer: exact output, escaping, histograms, merging, and what it refuses. */

const refusal = (families: unknown): string => {
  try {
    renderMetrics(families as MetricFamily[])
  } catch (e) {
    if (isZrError(e, 'INVALID_INPUT')) return e.details!
    throw e
  }
  throw new Error('expected INVALID_INPUT, but it rendered')
}

describe('renderMetrics', () => {
  it('writes HELP, TYPE and samples in the 0.0.4 text format, families sorted by name, series in the order given', () => {
    const text = renderMetrics([
      { name: 'b_gauge', help: 'A gauge.', type: 'gauge', samples: [{ labels: { x: '2' }, value: 1.5 }, { labels: { x: '1' }, value: -3 }] },
      { name: 'a_total', help: 'A counter.', type: 'counter', samples: [{ value: 7 }] },
      { name: 'c_seconds', help: 'A histogram.', type: 'histogram', bounds: [0.5, 1, 10], samples: [{ labels: { step: 's' }, buckets: [1, 3, 3], sum: 4.25, count: 4 }] },
    ])
    expect(text).toBe(
      [
        '# HELP a_total A counter.',
        '# TYPE a_total counter',
        'a_total 7',
        '# HELP b_gauge A gauge.',
        '# TYPE b_gauge gauge',
        'b_gauge{x="2"} 1.5',
        'b_gauge{x="1"} -3',
        '# HELP c_seconds A histogram.',
        '# TYPE c_seconds histogram',
        'c_seconds_bucket{step="s",le="0.5"} 1',
        'c_seconds_bucket{step="s",le="1"} 3',
        'c_seconds_bucket{step="s",le="10"} 3',
        'c_seconds_bucket{step="s",le="+Inf"} 4',
        'c_seconds_sum{step="s"} 4.25',
        'c_seconds_count{step="s"} 4',
        '',
      ].join('\n'),
    )
    expect(parsePrometheusText(text).size).toBe(3)
    expect(renderMetrics([])).toBe('')
    expect(prometheusContentType).toBe('text/plain; version=0.0.4; charset=utf-8')
  })

  it('escapes label values (\\\\, \\", \\n) and help texts (\\\\, \\n), and writes NaN and infinities as Prometheus reads them', () => {
    const text = renderMetrics([
      { name: 'odd', help: 'Help with a \\ and\na second line.', type: 'gauge', samples: [{ labels: { v: 'a\\b "c"\nd' }, value: Number.NaN }, { labels: { v: 'inf' }, value: Number.POSITIVE_INFINITY }, { labels: { v: '-inf' }, value: Number.NEGATIVE_INFINITY }, { labels: { v: 'big' }, value: 1e21 }] },
    ])
    expect(text).toContain('# HELP odd Help with a \\\\ and\\na second line.\n')
    expect(text).toContain('odd{v="a\\\\b \\"c\\"\\nd"} NaN\n')
    expect(text).toContain('odd{v="inf"} +Inf\n')
    expect(text).toContain('odd{v="-inf"} -Inf\n')
    expect(text).toContain('odd{v="big"} 1e+21\n')
    const f = parsePrometheusText(text)
    expect(f.get('odd')!.help).toBe('Help with a \\ and\na second line.')
    expect(promSample(f, 'odd', { v: 'a\\b "c"\nd' })).toBeNaN()
    expect(promSample(f, 'odd', { v: 'big' })).toBe(1e21)
  })

  it('merges families of one name from several collectors, adding up a series given twice', () => {
    const counter = (key: string, value: number): MetricFamily => ({ name: 'jobs_total', help: 'Jobs.', type: 'counter', samples: [{ labels: { key, kind: 'k' }, value }] })
    const histogram = (n: number): MetricFamily => ({ name: 'job_seconds', help: 'Time.', type: 'histogram', bounds: [1], samples: [{ labels: { key: '1' }, buckets: [n], sum: n, count: n + 1 }] })
    const text = renderMetrics([counter('1', 2), histogram(1), counter('2', 5), { name: 'jobs_total', help: 'Jobs.', type: 'counter', samples: [{ labels: { kind: 'k', key: '1' }, value: 3 }] }, histogram(2)])
    const f = parsePrometheusText(text)
    expect(f.get('jobs_total')!.samples.map((s) => [s.labels.key, s.value])).toEqual([['1', 5], ['2', 5]])
    expect(promSample(f, 'job_seconds_bucket', { key: '1', le: '1' })).toBe(3)
    expect(promSample(f, 'job_seconds_count', { key: '1' })).toBe(5)
    expect(text.match(/# TYPE/g)).toHaveLength(2)
  })

  it('refuses, with INVALID_INPUT saying what and where, anything Prometheus would refuse or misread', () => {
    const gauge = (more: Record<string, unknown> = {}) => ({ name: 'g', help: 'h', type: 'gauge', samples: [{ value: 1 }], ...more })
    const hist = (more: Record<string, unknown> = {}) => ({ name: 'h', help: 'h', type: 'histogram', bounds: [1, 2], samples: [{ buckets: [1, 2], sum: 3, count: 2 }], ...more })
    expect(refusal(null)).toBe('families: expected an array of metric families, got null')
    expect(refusal([5])).toBe('families[0]: expected an object { name, help, type, samples }, got number 5')
    expect(refusal([gauge({ name: '1abc' })])).toMatch(/^families\[0\]\.name: expected a metric name of \[a-zA-Z_:\]/)
    expect(refusal([gauge({ name: 'a b' })])).toMatch(/got "a b"$/)
    expect(refusal([gauge({ help: 5 })])).toBe('family g: help: expected a string, got number 5')
    expect(refusal([gauge({ type: 'summary' })])).toBe('family g: type: expected counter, gauge or histogram, got "summary"')
    expect(refusal([gauge({ samples: {} })])).toBe('family g: samples: expected an array, got an object')
    expect(refusal([gauge({ samples: [{ value: '1' }] })])).toBe('family g: samples[0].value: expected a number, got "1"')
    expect(refusal([gauge({ samples: [{ value: 1n }] })])).toBe('family g: samples[0].value: expected a number, got 1n')
    expect(refusal([gauge({ samples: [{ labels: { 'a-b': 'x' }, value: 1 }] })])).toMatch(/samples\[0\]\.labels: expected label names of .*, got "a-b"/)
    expect(refusal([gauge({ samples: [{ labels: { __name__: 'x' }, value: 1 }] })])).toMatch(/not starting with __/)
    expect(refusal([gauge({ samples: [{ labels: { a: 5 }, value: 1 }] })])).toBe('family g: samples[0].labels.a: expected a string, got number 5')
    expect(refusal([gauge({ samples: [{ labels: new Map(), value: 1 }] })])).toMatch(/expected a plain object of label names to string values, got a Map/)
    expect(refusal([hist({ samples: [{ labels: { le: '1' }, buckets: [1, 2], sum: 3, count: 2 }] })])).toMatch(/\(le is the histogram's own\)/)
    expect(refusal([hist({ bounds: [2, 1] })])).toMatch(/^family h: bounds: expected an array of finite numbers, each greater than the one before, got \[number 2, number 1\]/)
    expect(refusal([hist({ bounds: [1, Number.POSITIVE_INFINITY] })])).toMatch(/^family h: bounds:/)
    expect(refusal([hist({ samples: [{ buckets: [1], sum: 3, count: 2 }] })])).toBe('family h: samples[0].buckets: expected an array of 2 counts, one per bound, got an array of 1')
    expect(refusal([hist({ samples: [{ buckets: [2, 1], sum: 3, count: 2 }] })])).toBe('family h: samples[0].buckets[1]: expected a cumulative count from 2 to the count 2, got number 1')
    expect(refusal([hist({ samples: [{ buckets: [1, 3], sum: 3, count: 2 }] })])).toBe('family h: samples[0].buckets[1]: expected a cumulative count from 1 to the count 2, got number 3')
    expect(refusal([hist({ samples: [{ buckets: [1, 2], sum: 3, count: Number.NaN }] })])).toBe('family h: samples[0].count: expected a number of at least 0, got number NaN')
    expect(refusal([gauge(), gauge({ type: 'counter' })])).toBe('family g: expected one type for one name (gauge), got counter')
    expect(refusal([hist(), hist({ bounds: [1, 3] })])).toBe('family h: expected the same bounds wherever it is given ([1, 2]), got [1, 3]')
    expect(refusal([hist(), gauge({ name: 'h_count' })])).toMatch(/^family h(_count)?: expected a name whose samples no other family writes, got h_count, which family h(_count)? writes too$/)
  })
})
