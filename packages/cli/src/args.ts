import { parseArgs } from 'node:util'
import { ZrError } from '@zrkit/core'

/** The kinds of value an option takes. */
export type OptionKind = 'string' | 'integer' | 'boolean' | 'port' | 'url' | 'path'

/** One `--name value` option of a command. */
export type OptionSpec = {
  readonly kind: OptionKind
  readonly description: string
  /** What `--help` shows in place of the value, e.g. `DIR`. */
  readonly placeholder?: string
  readonly required?: boolean
  /** The value when the option and its environment variable are both absent. */
  readonly default?: string | number | boolean
  /** An environment variable read when the option is absent (e.g. `ZRKIT_PASSPHRASE`). */
  readonly env?: string
  /** A secret (a passphrase, a key): never logged, never echoed in an error message. */
  readonly secret?: boolean
  /** For `integer`: the smallest and largest value allowed. */
  readonly min?: number
  readonly max?: number
}

/** The options of a command, by name (without the leading `--`). */
export type OptionSpecs = Readonly<Record<string, OptionSpec>>

/** Parsed option values: strings, numbers and booleans as their specs say; absent optional options are missing. */
export type OptionValues = Record<string, string | number | boolean>

const describeArg = (spec: OptionSpec, raw: string) => (spec.secret ? '(a secret value, not shown)' : JSON.stringify(raw))

/** Checks one raw value against its spec and converts it. */
function convert(name: string, spec: OptionSpec, raw: string, from: string): string | number | boolean {
  const bad = (expected: string) =>
    new ZrError('INVALID_CONFIG', `Invalid ${from}.`, { details: `${from}: expected ${expected}, got ${describeArg(spec, raw)}` })
  switch (spec.kind) {
    case 'boolean': {
      if (['1', 'true', 'yes'].includes(raw)) return true
      if (['0', 'false', 'no'].includes(raw)) return false
      throw bad('true or false')
    }
    case 'integer':
    case 'port': {
      const [min, max] = spec.kind === 'port' ? [0, 65_535] : [spec.min ?? Number.MIN_SAFE_INTEGER, spec.max ?? Number.MAX_SAFE_INTEGER]
      if (!/^-?\d+$/.test(raw)) throw bad(`an integer in [${min}, ${max}]`)
      const n = Number(raw)
      if (!Number.isSafeInteger(n) || n < min || n > max) throw bad(`an integer in [${min}, ${max}]`)
      return n
    }
    case 'url': {
      let url: URL
      try {
        url = new URL(raw)
      } catch {
        throw bad('a URL such as ws://127.0.0.1:7070')
      }
      if (!['ws:', 'wss:', 'http:', 'https:'].includes(url.protocol)) throw bad('a ws://, wss://, http:// or https:// URL')
      return raw
    }
    case 'path':
    case 'string':
      if (raw.length === 0) throw bad(spec.kind === 'path' ? 'a non-empty path' : 'a non-empty value')
      return raw
  }
}

/**
 * Parses a command's arguments against its option specs: `--name value` or `--name=value`, booleans as
 * `--name` alone. An absent option falls back to its environment variable, then to its default; a required
 * option with neither is an error. Unknown options, positional arguments, and values of the wrong kind are
 * refused with `INVALID_CONFIG` saying what was expected and what arrived (a secret's value is never shown).
 *
 * @example
 * ```ts
 * const values = parseOptions({ port: { kind: 'port', description: 'listen here', default: 7070 } }, ['--port', '8080'], {})
 * values.port // 8080
 * ```
 */
export function parseOptions(specs: OptionSpecs, argv: readonly string[], env: Readonly<Record<string, string | undefined>>): OptionValues {
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({
      args: [...argv],
      options: Object.fromEntries(Object.entries(specs).map(([name, s]) => [name, { type: s.kind === 'boolean' ? 'boolean' : 'string' }] as const)),
      allowPositionals: true,
      strict: true,
    })
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e)
    throw new ZrError('INVALID_CONFIG', 'Invalid arguments.', { details: `expected only the options listed by --help, got: ${message.replace(/\. To specify .*$/s, '')}` })
  }
  if (parsed.positionals.length > 0) {
    throw new ZrError('INVALID_CONFIG', 'Invalid arguments.', { details: `expected only --options, got ${parsed.positionals.map((p) => JSON.stringify(p)).join(', ')}` })
  }
  const out: OptionValues = {}
  for (const [name, spec] of Object.entries(specs)) {
    const given = parsed.values[name]
    if (typeof given === 'boolean') out[name] = given
    else if (typeof given === 'string') out[name] = convert(name, spec, given, `--${name}`)
    else if (spec.env !== undefined && env[spec.env] !== undefined && env[spec.env] !== '') out[name] = convert(name, spec, env[spec.env]!, `$${spec.env}`)
    else if (spec.default !== undefined) out[name] = spec.default
    else if (spec.required) {
      throw new ZrError('INVALID_CONFIG', `Missing --${name}.`, { details: `expected --${name} ${spec.placeholder ?? spec.kind.toUpperCase()}${spec.env ? ` or $${spec.env}` : ''}, got neither` })
    }
  }
  return out
}

/** The `--help` text of a command's options, one per line, aligned. */
export function optionsHelp(specs: OptionSpecs): string {
  const rows = Object.entries(specs).map(([name, s]) => {
    const left = `--${name}${s.kind === 'boolean' ? '' : ` ${s.placeholder ?? s.kind.toUpperCase()}`}`
    const notes = [s.required ? 'required' : undefined, s.env ? `env ${s.env}` : undefined, s.default !== undefined ? `default ${String(s.default)}` : undefined].filter(Boolean)
    return [left, `${s.description}${notes.length ? ` (${notes.join(', ')})` : ''}`] as const
  })
  const width = Math.max(0, ...rows.map(([l]) => l.length))
  return rows.map(([l, r]) => `  ${l.padEnd(width)}  ${r}`).join('\n')
}

/** The items of a comma-separated option value (`a,b, c` -> `['a', 'b', 'c']`), empty items left out. */
export function commaList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)
}
