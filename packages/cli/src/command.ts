import type { OptionSpecs, OptionValues } from './args.js'
import type { Logger } from './log.js'

/** What a running command gets from the CLI. */
export type CommandContext = {
  readonly options: OptionValues
  readonly log: Logger
  /** Writes a result line to standard output (what a script reads). */
  readonly out: (line: string) => void
  /** Aborts on SIGTERM / SIGINT: a long-running command drains its in-flight work and returns. */
  readonly signal: AbortSignal
  readonly env: Readonly<Record<string, string | undefined>>
}

/** One `zrkit` command, e.g. `ledger serve`. */
export type Command = {
  /** The words that name it: `['ledger', 'serve']`. */
  readonly path: readonly string[]
  /** One line for the command list. */
  readonly summary: string
  /** More lines for `--help`: what it does, what it trusts, an example. */
  readonly help?: string
  readonly options: OptionSpecs
  /** Runs the command; resolves with the exit code. */
  run(ctx: CommandContext): Promise<number>
}
