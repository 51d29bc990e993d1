import { ZrError, connectLedgerWs, createZrClient } from '@zrkit/core'
import { WebSocket } from 'ws'
import { accountFrom, accountOptions } from '../accountOption.js'
import { commaList } from '../args.js'
import type { Command } from '../command.js'

/** `zrkit keyring register`: registers a keyring of MPC parties on the ledger. */
export const keyringRegister: Command = {
  path: ['keyring', 'register'],
  summary: 'register a keyring (its parties, threshold and fees) on the ledger; prints its address',
  help: 'The account given becomes the keyring admin and pays the registration.\nExample: zrkit keyring register --ledger ws://127.0.0.1:7070 --key-file operator.key --parties zen1..,zen1..,zen1.. --threshold 2',
  options: {
    ...accountOptions,
    ledger: { kind: 'url', description: 'the ledger server', placeholder: 'URL', required: true },
    parties: { kind: 'string', description: 'party addresses, comma separated', placeholder: 'ADDR,ADDR,...', required: true },
    threshold: { kind: 'integer', description: 'party responses needed (the MPC threshold)', placeholder: 'T', min: 1, max: 1000, required: true },
    'key-fee': { kind: 'integer', description: 'fee per key request', placeholder: 'AMOUNT', min: 0, default: 0 },
    'sign-fee': { kind: 'integer', description: 'fee per signature request', placeholder: 'AMOUNT', min: 0, default: 0 },
    description: { kind: 'string', description: 'what the keyring is', placeholder: 'TEXT', default: 'zrkit MPC keyring' },
  },
  async run({ options, log, out, env }) {
    const account = await accountFrom(options, env)
    const parties = commaList(options.parties as string)
    const threshold = options.threshold as number
    if (threshold > parties.length) throw new ZrError('INVALID_CONFIG', 'Threshold above the party count.', { details: `expected --threshold at most ${parties.length} (the parties), got ${threshold}` })
    const ledger = await connectLedgerWs(options.ledger as string, { WebSocket: WebSocket as never })
    try {
      const client = createZrClient({ ledger, account })
      const { keyring } = await client.createKeyring({
        description: options.description as string,
        parties,
        partyThreshold: threshold,
        keyRequestFee: BigInt(options['key-fee'] as number),
        signRequestFee: BigInt(options['sign-fee'] as number),
      })
      log.info('keyring registered', { keyring, parties: parties.length, threshold })
      out(keyring)
    } finally {
      await ledger.close()
    }
    return 0
  },
}
