/**
 * Hostile inputs for the export tables of `@zrkit/core` and `@zrkit/mpc`
 * (`packages/core/src/exports.inputs.test.ts`, `packages/mpc/src/exports.inputs.test.ts`).
 *
 * The rule they check: a public function given a value it does not take either returns normally or
 * throws (or rejects with) a `ZrError` whose code is in `errorCodes` and whose `details` say what was
 * expected; never a TypeError, RangeError, SyntaxError or an error of a dependency (noble, scure).
 *
 * Each value is made fresh by a factory, so a function that mutates its input cannot spoil the next case.
 */
import { errorCodes, isZrError, ZrError } from '@zrkit/core'

/** A hostile value with the label the failure report uses. */
export type Hostile = readonly [label: string, make: () => unknown]

function cyclicObject(): unknown {
  const o: Record<string, unknown> = { type: 'evm', keyType: 'ecdsa-secp256k1', publicKey: new Uint8Array(33) }
  o.self = o
  o.nested = { parent: o }
  return o
}

function cyclicArray(): unknown {
  const a: unknown[] = [1, 'm']
  a.push(a)
  return a
}

const zeros = (n: number) => () => new Uint8Array(n)
const filled = (n: number, byte: number) => () => new Uint8Array(n).fill(byte)

/** Every value the tables feed into every argument position. */
export const hostileValues: readonly Hostile[] = [
  ['undefined', () => undefined],
  ['null', () => null],
  ['true', () => true],
  ['0', () => 0],
  ['-1', () => -1],
  ['1.5', () => 1.5],
  ['NaN', () => Number.NaN],
  ['Infinity', () => Number.POSITIVE_INFINITY],
  ['2^53', () => 2 ** 53],
  ['-1n', () => -1n],
  ['2^256 (bigint)', () => 2n ** 256n],
  ['empty string', () => ''],
  ['"abc"', () => 'abc'],
  ['"0x"', () => '0x'],
  ['"0xzz"', () => '0xzz'],
  ['odd hex "abc"', () => '0xabc'],
  ['hex of 33 bytes', () => `02${'11'.repeat(32)}`],
  ['hex of 32 bytes', () => '11'.repeat(32)],
  ['"m/0/1"', () => 'm/0/1'],
  ['upper-case text', () => 'ZEN1QQQQQQ'],
  ['long string', () => 'x'.repeat(100_000)],
  ['empty bytes', zeros(0)],
  ['1 byte', zeros(1)],
  ['31 bytes', filled(31, 7)],
  ['32 zero bytes', zeros(32)],
  ['32 0xff bytes', filled(32, 0xff)],
  ['33 zero bytes', zeros(33)],
  ['33 bytes 0x02 + 0xff', () => Uint8Array.of(2, ...new Uint8Array(32).fill(0xff))],
  ['64 bytes', filled(64, 1)],
  ['65 zero bytes', zeros(65)],
  ['65 bytes 0x04 + 0x01', () => Uint8Array.of(4, ...new Uint8Array(64).fill(1))],
  ['1000 bytes', filled(1000, 3)],
  ['plain array of numbers', () => [2, 3, 4]],
  ['empty array', () => []],
  ['empty object', () => ({})],
  ['object with hostile fields', () => ({ type: null, keyType: 7, publicKey: 'x', network: {}, prefix: 5, path: NaN, taproot: 1 })],
  ['cyclic object', cyclicObject],
  ['cyclic array', cyclicArray],
  ['Map', () => new Map([['a', 1]])],
  ['function', () => () => 1],
  ['Symbol', () => Symbol('hostile')],
  ['Date', () => new Date(0)],
  ['Object.create(null)', () => Object.create(null)],
]

/** What a call did, or why it broke the rule. */
export type Outcome = { ok: true } | { ok: false; why: string }

function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.constructor.name}: ${e.message.split('\n')[0]}`
  return `a thrown ${typeof e} ${String(e)}`
}

/** Settles a promise within `ms`, or reports that it hung. */
async function within<T>(p: Promise<T>, ms: number): Promise<{ settled: true; value: T } | { settled: false }> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<{ settled: false }>((resolve) => {
    timer = setTimeout(() => resolve({ settled: false }), ms)
  })
  try {
    return await Promise.race([p.then((value) => ({ settled: true as const, value })), timeout])
  } finally {
    clearTimeout(timer)
  }
}

function judge(e: unknown): Outcome {
  if (!(e instanceof ZrError) || !isZrError(e)) return { ok: false, why: `threw ${describeError(e)}` }
  if (!(errorCodes as readonly string[]).includes(e.code)) return { ok: false, why: `ZrError with unknown code ${String(e.code)}` }
  if (typeof e.details !== 'string' || e.details.length === 0) return { ok: false, why: `ZrError ${e.code} "${e.shortMessage}" without details` }
  return { ok: true }
}

/**
 * Calls `fn(...args)` and judges it: returning (or resolving) is fine, so is throwing (or rejecting
 * with) a ZrError with a known code and details; anything else is reported.
 */
export async function callJudged(fn: (...args: unknown[]) => unknown, args: readonly unknown[], { isClass = false, timeoutMs = 5_000 } = {}): Promise<Outcome> {
  let result: unknown
  try {
    result = isClass ? new (fn as unknown as new (...a: unknown[]) => unknown)(...args) : fn(...args)
  } catch (e) {
    return judge(e)
  }
  if (result instanceof Promise) {
    try {
      const settled = await within(result, timeoutMs)
      if (!settled.settled) return { ok: false, why: `did not settle within ${timeoutMs} ms` }
    } catch (e) {
      return judge(e)
    }
  }
  return { ok: true }
}

/** How one exported function is exercised. */
export type TableEntry = {
  /** Arguments it takes happily; each position is replaced by every hostile value in turn. */
  readonly valid: () => readonly unknown[] | Promise<readonly unknown[]>
  /** Positions not to replace (live objects: a client, a transport), with the reason. */
  readonly live?: Readonly<Record<number, string>>
  /** More argument lists built around one hostile value (hostile fields inside valid-looking objects). */
  readonly nested?: (h: unknown) => readonly (readonly unknown[])[]
  /** `new` it rather than call it. */
  readonly isClass?: boolean
  /** Positions beyond `valid` to fill with hostile values too (optional trailing parameters). */
  readonly extra?: number
  /** Positions whose valid argument is an object: each of its fields is replaced by every hostile value in turn. */
  readonly fields?: readonly number[]
  /** How long a call may take to settle (default 5 s). */
  readonly timeoutMs?: number
}

/** Every argument list an entry is called with, each with a label for the report. */
export async function casesOf(entry: TableEntry): Promise<{ label: string; args: () => Promise<unknown[]> }[]> {
  const valid = await entry.valid()
  const width = valid.length + (entry.extra ?? 0)
  // a live object (a client, a transport) cannot be left out: calling without it is not a plain-value case
  const cases: { label: string; args: () => Promise<unknown[]> }[] = entry.live ? [] : [{ label: 'no arguments', args: async () => [] }]
  for (const [label, make] of hostileValues) {
    for (const i of entry.fields ?? []) {
      for (const field of Object.keys((valid[i] ?? {}) as object)) {
        cases.push({
          label: `argument ${i}.${field} = ${label}`,
          args: async () => {
            const args = [...(await entry.valid())]
            args[i] = { ...(args[i] as object), [field]: make() }
            return args
          },
        })
      }
    }
    for (let i = 0; i < width; i++) {
      if (entry.live?.[i] !== undefined) continue
      cases.push({
        label: `argument ${i} = ${label}`,
        args: async () => {
          const args = [...(await entry.valid())]
          args[i] = make()
          return args
        },
      })
    }
    if (width > 1) {
      cases.push({
        label: `every argument = ${label}`,
        args: async () => {
          const args = [...(await entry.valid())]
          for (let i = 0; i < width; i++) if (entry.live?.[i] === undefined) args[i] = make()
          return args
        },
      })
    }
    if (entry.nested) {
      const n = entry.nested(make()).length
      for (let j = 0; j < n; j++) cases.push({ label: `nested case ${j} with ${label}`, args: async () => [...entry.nested!(make())[j]!] })
    }
  }
  return cases
}

/** Runs every case of an entry and returns the failures as readable lines. */
export async function failuresOf(name: string, fn: unknown, entry: TableEntry): Promise<string[]> {
  if (typeof fn !== 'function') return [`${name}: not a function`]
  const failures: string[] = []
  for (const c of await casesOf(entry)) {
    const outcome = await callJudged(fn as (...args: unknown[]) => unknown, await c.args(), { isClass: entry.isClass ?? false, timeoutMs: entry.timeoutMs ?? 5_000 })
    if (!outcome.ok) failures.push(`${name}(${c.label}): ${outcome.why}`)
  }
  return failures
}
