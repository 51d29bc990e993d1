import type { Command } from '../command.js'
import { accountAddress, accountNew } from './account.js'
import { relayServe } from './relay.js'

/** Every `zrkit` command, in the order `zrkit --help` lists them. */
export const commands: readonly Command[] = [relayServe, accountNew, accountAddress]
