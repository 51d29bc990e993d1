/**
 * A strict reader of the Prometheus text exposition format 0.0.4, for the suites that scrape zrkit's
 * `/metrics` and read `prometheus()`: it refuses anything a Prometheus server would refuse or misread,
 * and a little more (blank lines, a family split in two), so a test that parses the whole text shows the
 * text is well formed. Written from the format's description; it shares no code with the renderer.
 */

/** One sample line. */
export type PromSample = { readonly name: string; readonly labels: Readonly<Record<string, string>>; readonly value: number }
/** One family: its `# TYPE`, `# HELP` (unescaped) and samples in order. */
export type PromFamily = { readonly name: string; readonly type: string; readonly help: string | undefined; readonly samples: PromSample[] }

const nameRe = /^[a-zA-Z_:][a-zA-Z0-9_:]*/
const labelNameRe = /^[a-zA-Z_][a-zA-Z0-9_]*/
const floatRe = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/
const types = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped'])

function parseValue(text: string, where: string): number {
  if (text === 'NaN') return Number.NaN
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY
  if (text === '-Inf') return Number.NEGATIVE_INFINITY
  if (!floatRe.test(text)) throw new Error(`${where}: not a number: ${JSON.stringify(text)}`)
  return Number(text)
}

/** The family a sample name belongs to, given the TYPE'd families: `x_bucket` is histogram `x`'s. */
function familyOf(name: string, families: ReadonlyMap<string, PromFamily>): PromFamily | undefined {
  const own = families.get(name)
  if (own && (own.type === 'counter' || own.type === 'gauge' || own.type === 'untyped' || own.type === 'summary')) return own
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue
    const base = families.get(name.slice(0, -suffix.length))
    if (base && (base.type === 'histogram' || (base.type === 'summary' && suffix !== '_bucket'))) return base
  }
  return undefined
}

/** Reads `name{a="x",b="y"} value [timestamp]` from a line. */
function parseSample(line: string, where: string): PromSample {
  const name = nameRe.exec(line)?.[0]
  if (!name) throw new Error(`${where}: expected a metric name at the start of ${JSON.stringify(line)}`)
  let i = name.length
  const labels: Record<string, string> = {}
  if (line[i] === '{') {
    i++
    while (line[i] !== '}') {
      const label = labelNameRe.exec(line.slice(i))?.[0]
      if (!label) throw new Error(`${where}: expected a label name at column ${i} of ${JSON.stringify(line)}`)
      if (label in labels) throw new Error(`${where}: label ${label} twice`)
      i += label.length
      if (line.slice(i, i + 2) !== '="') throw new Error(`${where}: expected =" after label ${label}`)
      i += 2
      let value = ''
      for (;;) {
        const c = line[i]
        if (c === undefined) throw new Error(`${where}: unterminated value of label ${label}`)
        i++
        if (c === '"') break
        if (c === '\\') {
          const next = line[i++]
          if (next === '\\') value += '\\'
          else if (next === '"') value += '"'
          else if (next === 'n') value += '\n'
          else throw new Error(`${where}: bad escape \\${next ?? ''} in label ${label}`)
        } else value += c
      }
      labels[label] = value
      if (line[i] === ',') i++
      else if (line[i] !== '}') throw new Error(`${where}: expected , or } after the value of label ${label}`)
    }
    i++
  }
  if (line[i] !== ' ') throw new Error(`${where}: expected a space before the value in ${JSON.stringify(line)}`)
  const rest = line.slice(i + 1).split(' ')
  if (rest.length > 2 || rest[0] === '') throw new Error(`${where}: expected a value and an optional timestamp, got ${JSON.stringify(line.slice(i + 1))}`)
  if (rest[1] !== undefined && !/^-?\d+$/.test(rest[1])) throw new Error(`${where}: bad timestamp ${JSON.stringify(rest[1])}`)
  return { name, labels, value: parseValue(rest[0]!, where) }
}

const unescapeHelp = (text: string, where: string) =>
  text.replace(/\\(.?)/g, (_, c: string) => {
    if (c === '\\') return '\\'
    if (c === 'n') return '\n'
    throw new Error(`${where}: bad escape \\${c} in HELP`)
  })

/** The identity of a series: its name and labels, whatever their order. */
const seriesKey = (name: string, labels: Readonly<Record<string, string>>) => `${name}${JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)))}`

/**
 * Parses and checks a whole exposition text; throws an Error naming the line for anything wrong: every
 * sample belongs to a family declared by `# TYPE` before it, each family's lines are together, no series
 * twice, counters never negative, and every histogram series has cumulative `_bucket` lines in increasing
 * `le` order ending with `le="+Inf"` equal to its `_count`, and a `_sum`.
 */
export function parsePrometheusText(text: string): Map<string, PromFamily> {
  const families = new Map<string, PromFamily>()
  if (text === '') return families
  if (!text.endsWith('\n')) throw new Error('the text must end with a line feed')
  const helps = new Map<string, string>()
  const done = new Set<string>()
  const series = new Set<string>()
  let current: string | undefined
  const enter = (family: string, where: string) => {
    if (current === family) return
    if (done.has(family)) throw new Error(`${where}: family ${family} continues after another family`)
    if (current !== undefined) done.add(current)
    current = family
  }
  text
    .slice(0, -1)
    .split('\n')
    .forEach((line, n) => {
      const where = `line ${n + 1}`
      if (line === '') throw new Error(`${where}: empty line`)
      if (line.startsWith('#')) {
        const m = /^# (HELP|TYPE) ([^ ]+)(?: (.*))?$/.exec(line)
        if (!m) return // a plain comment
        const [, kind, name, rest = ''] = m
        if (!nameRe.test(name!) || nameRe.exec(name!)![0] !== name) throw new Error(`${where}: bad metric name ${JSON.stringify(name)}`)
        enter(name!, where)
        if (kind === 'HELP') {
          if (helps.has(name!)) throw new Error(`${where}: a second HELP for ${name}`)
          helps.set(name!, unescapeHelp(rest, where))
          const f = families.get(name!)
          if (f) families.set(name!, { ...f, help: helps.get(name!) })
          return
        }
        if (families.has(name!)) throw new Error(`${where}: a second TYPE for ${name}`)
        if (!types.has(rest)) throw new Error(`${where}: unknown type ${JSON.stringify(rest)}`)
        families.set(name!, { name: name!, type: rest, help: helps.get(name!), samples: [] })
        return
      }
      const sample = parseSample(line, where)
      const family = familyOf(sample.name, families)
      if (!family) throw new Error(`${where}: sample ${sample.name} has no TYPE line before it`)
      enter(family.name, where)
      const key = seriesKey(sample.name, sample.labels)
      if (series.has(key)) throw new Error(`${where}: series ${key} twice`)
      series.add(key)
      if (family.type === 'counter' && !(sample.value >= 0)) throw new Error(`${where}: counter ${sample.name} is ${sample.value}`)
      family.samples.push(sample)
    })
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family)
  return families
}

function checkHistogram(family: PromFamily): void {
  const byLabels = new Map<string, { buckets: { le: number; value: number }[]; sum?: number; count?: number }>()
  for (const s of family.samples) {
    const { le, ...rest } = s.labels
    const key = seriesKey('', rest)
    const entry = byLabels.get(key) ?? { buckets: [] }
    byLabels.set(key, entry)
    if (s.name === `${family.name}_bucket`) {
      if (le === undefined) throw new Error(`histogram ${family.name}: a bucket without le`)
      entry.buckets.push({ le: parseValue(le, `histogram ${family.name} le`), value: s.value })
    } else if (s.name === `${family.name}_sum`) entry.sum = s.value
    else if (s.name === `${family.name}_count`) entry.count = s.value
    else throw new Error(`histogram ${family.name}: unexpected sample ${s.name}`)
  }
  for (const [key, { buckets, sum, count }] of byLabels) {
    const where = `histogram ${family.name}${key}`
    if (buckets.length === 0 || buckets.at(-1)!.le !== Number.POSITIVE_INFINITY) throw new Error(`${where}: the last bucket must be le="+Inf"`)
    buckets.forEach((b, i) => {
      if (i > 0 && !(b.le > buckets[i - 1]!.le)) throw new Error(`${where}: le ${b.le} after ${buckets[i - 1]!.le}`)
      if (i > 0 && b.value < buckets[i - 1]!.value) throw new Error(`${where}: bucket le=${b.le} (${b.value}) below the one before (${buckets[i - 1]!.value}): not cumulative`)
    })
    if (count === undefined || sum === undefined) throw new Error(`${where}: missing _count or _sum`)
    if (buckets.at(-1)!.value !== count) throw new Error(`${where}: the +Inf bucket (${buckets.at(-1)!.value}) is not the count (${count})`)
  }
}

/** The value of one series, or undefined: `sample(families, 'zrkit_relays', { chain: 'x', key: '1', status: 'requested' })`. */
export function promSample(families: ReadonlyMap<string, PromFamily>, name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  const want = seriesKey(name, labels)
  for (const f of families.values()) for (const s of f.samples) if (seriesKey(s.name, s.labels) === want) return s.value
  return undefined
}
