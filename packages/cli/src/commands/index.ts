import type { Command } from '../command.js'
import { accountAddress, accountNew } from './account.js'
import { devnet } from './devnet.js'
import { keyringRegister } from './keyring.js'
import { ledgerServe, ledgerVerify } from './ledger.js'
import { partyStart } from './party.js'
import { relayServe } from './relay.js'
import { status } from './status.js'

/** Every `zrkit` command, in the order `zrkit --help` lists them. */
export const commands: readonly Command[] = [ledgerServe, ledgerVerify, relayServe, partyStart, keyringRegister, status, devnet, accountNew, accountAddress]
