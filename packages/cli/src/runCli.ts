import { isZrError } from '@zrkit/core'
import { optionsHelp, parseOptions } from './args.js'
import type { Command } from './command.js'
import { type LogFormat, type LogLevel, createLogger } from './log.js'

/** What {@link runCli} reads and writes: the process's streams and environment, or a test's. */
export type CliIo = {
  readonly out: (line: string) => void
  readonly err: (line: string) => void
  readonly env: Readonly<Record<string, string | undefined>>
  /** Whether standard error is a terminal (then logs are `pretty` unless `--log-format json`). */
  readonly isTTY: boolean
  readonly signal: AbortSignal
}

/** Exit codes: 0 done, 1 the command failed, 2 the command line was wrong. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const

const GLOBAL_OPTIONS = {
  'log-format': { kind: 'string', description: 'json (one object per line) or pretty', placeholder: 'json|pretty' },
  'log-level': { kind: 'string', description: 'debug, info, warn or error', placeholder: 'LEVEL', default: 'info' },
  help: { kind: 'boolean', description: 'show this help' },
} as const

function usage(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.path.join(' ').length))
  return [
    'Usage: zrkit <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.path.join(' ').padEnd(width)}  ${c.summary}`),
    '',
    'Run `zrkit <command> --help` for the options of a command.',
  ].join('\n')
}

function commandHelp(c: Command): string {
  return [`Usage: zrkit ${c.path.join(' ')} [options]`, '', c.summary, ...(c.help ? ['', c.help] : []), '', 'Options:', optionsHelp({ ...c.options, ...GLOBAL_OPTIONS })].join('\n')
}

/**
 * Runs one `zrkit` command line against `commands`: finds the command named by the first words, parses its
 * options (`--help` on every command), makes the logger (`--log-format`, default pretty on a terminal and JSON
 * otherwise; secrets given as options are cut out of every line) and runs it. Resolves with the exit code; a
 * wrong command line is code 2 with a message saying what was expected and what arrived, a failed command code 1.
 *
 * @example
 * ```ts
 * const code = await runCli(process.argv.slice(2), commands, { out: console.log, err: console.error, env: process.env, isTTY: false, signal })
 * ```
 */
export async function runCli(argv: readonly string[], commands: readonly Command[], io: CliIo): Promise<number> {
  const words: string[] = []
  for (const a of argv) {
    if (a.startsWith('-')) break
    words.push(a)
  }
  const command = commands.find((c) => c.path.length === words.length && c.path.every((w, i) => w === words[i]))
  if (!command) {
    const wantsHelp = argv.length === 0 || argv.includes('--help') || argv.includes('-h')
    const prefix = commands.filter((c) => words.every((w, i) => c.path[i] === w))
    if (wantsHelp) {
      io.out(usage(prefix.length && words.length ? prefix : commands))
      return EXIT.ok
    }
    io.err(`zrkit: expected a command (${commands.map((c) => c.path.join(' ')).join(', ')}), got ${JSON.stringify(words.join(' '))}`)
    io.err('Run `zrkit --help` for the list.')
    return EXIT.usage
  }
  const rest = argv.slice(words.length)
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(commandHelp(command))
    return EXIT.ok
  }
  let options
  try {
    options = parseOptions({ ...command.options, ...GLOBAL_OPTIONS }, rest, io.env)
    const format = options['log-format']
    if (format !== undefined && format !== 'json' && format !== 'pretty') throw new Error(`--log-format: expected json or pretty, got ${JSON.stringify(format)}`)
    if (!['debug', 'info', 'warn', 'error'].includes(String(options['log-level']))) throw new Error(`--log-level: expected debug, info, warn or error, got ${JSON.stringify(options['log-level'])}`)
  } catch (e) {
    io.err(`zrkit ${command.path.join(' ')}: ${isZrError(e) ? `${e.shortMessage} ${e.details ?? ''}`.trim() : e instanceof Error ? e.message : String(e)}`)
    io.err(`Run \`zrkit ${command.path.join(' ')} --help\` for its options.`)
    return EXIT.usage
  }
  const secrets = Object.entries(command.options)
    .filter(([name, s]) => s.secret && typeof options[name] === 'string')
    .map(([name]) => options[name] as string)
  const log = createLogger({
    format: (options['log-format'] as LogFormat | undefined) ?? (io.isTTY ? 'pretty' : 'json'),
    level: options['log-level'] as LogLevel,
    write: io.err,
    secrets,
  })
  try {
    return await command.run({ options, log, out: io.out, signal: io.signal, env: io.env })
  } catch (e) {
    log.error(`${command.path.join(' ')} failed`, { error: e, ...(isZrError(e) && e.details ? { details: e.details } : {}) })
    return EXIT.failed
  }
}
