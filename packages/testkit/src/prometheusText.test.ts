import { describe, expect, it } from 'vitest'
import { parsePrometheusText, promSample } from './index.js'

// The strict exposition-format reader the metrics suites lean on: it reads what is well formed and refuses
// what is not, so "the whole text parses" is a real check.

const good = [
  '# HELP up Whether it is up.',
  '# TYPE up gauge',
  'up 1',
  '# TYPE req_total counter',
  'req_total{code="200",path="/a \\"b\\"\\n"} 3 1700000000000',
  '# TYPE t histogram',
  't_bucket{le="0.5"} 1',
  't_bucket{le="+Inf"} 2',
  't_sum 0.7',
  't_count 2',
  '',
].join('\n')

describe('parsePrometheusText', () => {
  it('reads families, labels (unescaped), values and histograms', () => {
    const f = parsePrometheusText(good)
    expect([...f.keys()]).toEqual(['up', 'req_total', 't'])
    expect(f.get('up')).toMatchObject({ type: 'gauge', help: 'Whether it is up.' })
    expect(promSample(f, 'req_total', { path: '/a "b"\n', code: '200' })).toBe(3)
    expect(promSample(f, 't_bucket', { le: '+Inf' })).toBe(2)
    expect(parsePrometheusText('').size).toBe(0)
  })

  it.each([
    ['no final line feed', good.slice(0, -1), /end with a line feed/],
    ['a blank line', good.replace('up 1\n', 'up 1\n\n'), /empty line/],
    ['a sample without TYPE', `${good}orphan 1\n`, /orphan has no TYPE/],
    ['two TYPE lines', good.replace('up 1\n', 'up 1\n# TYPE up gauge\n'), /second TYPE/],
    ['a family split in two', `${good}up{x="1"} 2\n`, /continues after another family/],
    ['a series twice', good.replace('up 1\n', 'up 1\nup 2\n'), /twice/],
    ['a bad escape', good.replace('\\"b', '\\tb'), /bad escape/],
    ['an unterminated label value', good.replace('code="200",', 'code="200,'), /expected , or }|unterminated/],
    ['a bad value', good.replace('up 1', 'up one'), /not a number/],
    ['a negative counter', good.replace('"} 3 ', '"} -3 '), /counter req_total is -3/],
    ['buckets that are not cumulative', good.replace('t_bucket{le="+Inf"} 2', 't_bucket{le="+Inf"} 0').replace('t_count 2', 't_count 0'), /not cumulative/],
    ['no +Inf bucket', good.replace('t_bucket{le="+Inf"} 2\n', ''), /last bucket must be le="\+Inf"/],
    ['+Inf not the count', good.replace('t_count 2', 't_count 3'), /is not the count/],
    ['buckets out of order', good.replace('t_bucket{le="0.5"} 1\nt_bucket{le="+Inf"} 2', 't_bucket{le="+Inf"} 2\nt_bucket{le="0.5"} 1'), /after|last bucket/],
    ['an unknown type', good.replace('# TYPE up gauge', '# TYPE up meter'), /unknown type/],
  ])('refuses %s', (_, text, message) => {
    expect(() => parsePrometheusText(text)).toThrow(message)
  })
})
