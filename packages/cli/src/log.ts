/** Log levels, least to most severe. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
/** `json`: one JSON object per line (for collectors); `pretty`: one readable line (for terminals). */
export type LogFormat = 'json' | 'pretty'

/** A structured logger: a message and fields, never a secret (see {@link createLogger}). */
export type Logger = {
  debug(msg: string, fields?: Readonly<Record<string, unknown>>): void
  info(msg: string, fields?: Readonly<Record<string, unknown>>): void
  warn(msg: string, fields?: Readonly<Record<string, unknown>>): void
  error(msg: string, fields?: Readonly<Record<string, unknown>>): void
}

/** Options of {@link createLogger}. */
export type LoggerOptions = {
  readonly format: LogFormat
  /** Lines below this level are not written (default `info`). */
  readonly level?: LogLevel
  /** Where lines go (default: standard error, so standard output stays for command results). */
  readonly write?: (line: string) => void
  /** Values that must never appear in a line (passphrases, keys): replaced by `[redacted]` wherever they occur. */
  readonly secrets?: readonly string[]
  /** The clock (default `Date.now`). */
  readonly now?: () => number
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }
/** Field names whose values are never written, whatever they hold. */
const SECRET_FIELD = /(passphrase|password|secret|private|mnemonic|seed)/i

/** A field value as JSON can carry it: bigints as strings, bytes as hex, errors as their code and message. */
function plain(value: unknown, depth = 0): unknown {
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex')
  if (value instanceof Error) {
    const e = value as Error & { code?: unknown; details?: unknown }
    return { ...(typeof e.code === 'string' ? { code: e.code } : {}), message: e.message }
  }
  if (Array.isArray(value)) return depth > 4 ? '[...]' : value.map((v) => plain(v, depth + 1))
  if (value && typeof value === 'object') {
    if (depth > 4) return '{...}'
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_FIELD.test(k) ? '[redacted]' : plain(v, depth + 1)]))
  }
  return value
}

/**
 * A logger writing one line per call: in `json` format `{"time":..,"level":..,"msg":..,...fields}`, in `pretty`
 * format `12:00:01 INFO msg key=value`. Fields named like a secret (passphrase, password, secret, private key,
 * mnemonic, seed) are written as `[redacted]`, and every value listed in `secrets` is cut out of the whole line.
 *
 * @example
 * ```ts
 * const log = createLogger({ format: process.stderr.isTTY ? 'pretty' : 'json', secrets: [passphrase] })
 * log.info('ledger listening', { url: 'ws://127.0.0.1:7070' })
 * ```
 */
export function createLogger(options: LoggerOptions): Logger {
  const min = ORDER[options.level ?? 'info']
  const write = options.write ?? ((line: string) => void process.stderr.write(`${line}\n`))
  const secrets = (options.secrets ?? []).filter((s) => s.length >= 4)
  const now = options.now ?? Date.now
  const scrub = (line: string) => secrets.reduce((l, s) => l.split(s).join('[redacted]'), line)
  const emit = (level: LogLevel, msg: string, fields: Readonly<Record<string, unknown>> = {}) => {
    if (ORDER[level] < min) return
    const body = plain(fields) as Record<string, unknown>
    const time = now()
    if (options.format === 'json') {
      write(scrub(JSON.stringify({ time: new Date(time).toISOString(), level, msg, ...body })))
      return
    }
    const clock = new Date(time).toISOString().slice(11, 19)
    const kv = Object.entries(body).map(([k, v]) => `${k}=${typeof v === 'string' ? (/\s/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v)}`)
    write(scrub([clock, level.toUpperCase().padEnd(5), msg, ...kv].join(' ')))
  }
  return {
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
  }
}
