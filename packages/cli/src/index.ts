// @zrkit/cli: the `zrkit` command and the pieces it is made of, for embedding the same commands in a program.
export { type OptionKind, type OptionSpec, type OptionSpecs, type OptionValues, optionsHelp, parseOptions } from './args.js'
export { accountFromKeyText, createAccountKeyFile, readAccountKeyFile } from './accountKey.js'
export type { Command, CommandContext } from './command.js'
export { commands } from './commands/index.js'
export { type LogFormat, type LogLevel, type Logger, type LoggerOptions, createLogger } from './log.js'
export { type LocalNetwork, type LocalNetworkOptions, type LocalParty, type LocalProcess, startLocalNetwork } from './localNetwork.js'
export { type CliIo, EXIT, runCli } from './runCli.js'
