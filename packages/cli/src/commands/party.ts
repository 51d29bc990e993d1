import { ZrError, connectLedgerWs, createConnector, createZrClient, encryptedSecretStore } from '@zrkit/core'
import { fileSecretStore } from '@zrkit/core/node'
import { connectRelay, createSessionRouter, federationParty, secureTransport } from '@zrkit/mpc'
import { WebSocket } from 'ws'
import { accountFrom, accountOptions } from '../accountOption.js'
import type { Command } from '../command.js'
import { untilAborted } from '../untilAborted.js'

/** `zrkit party start`: one MPC party of a keyring, with its own connector, as its own process. */
export const partyStart: Command = {
  path: ['party', 'start'],
  summary: 'run one MPC party of a keyring: answers its key and signature requests with the other parties',
  help: [
    'The party reads the keyring (its parties and threshold) from the ledger, reaches the other parties through',
    'the relay (end-to-end encrypted), keeps its key shares encrypted in --shares with the passphrase, and posts',
    'its responses to the ledger signed by its account. SIGTERM stops taking requests and lets those in flight end.',
    'Prints the party address on standard output once it serves requests (all parties must be up to start).',
    'Example: ZRKIT_PASSPHRASE=... zrkit party start --key-file p1.key --shares ./p1-shares \\',
    '           --ledger ws://127.0.0.1:7070 --relay ws://127.0.0.1:7071 --keyring zen1...',
  ].join('\n'),
  options: {
    ...accountOptions,
    shares: { kind: 'path', description: 'directory of the encrypted key shares', placeholder: 'DIR', required: true },
    passphrase: { kind: 'string', description: 'passphrase of the share store', placeholder: 'TEXT', env: 'ZRKIT_PASSPHRASE', secret: true, required: true },
    ledger: { kind: 'url', description: 'the ledger server', placeholder: 'URL', required: true },
    relay: { kind: 'url', description: 'the party relay', placeholder: 'URL', required: true },
    keyring: { kind: 'string', description: 'the keyring address (keyring1...)', placeholder: 'ADDR', required: true },
    concurrency: { kind: 'integer', description: 'requests worked on at once', placeholder: 'N', min: 1, max: 64, default: 4 },
    'attempt-timeout-ms': { kind: 'integer', description: 'how long a signing round waits', placeholder: 'MS', min: 100, max: 600_000, default: 5_000 },
  },
  async run({ options, log, signal, env, out }) {
    const account = await accountFrom(options, env)
    const address = options.keyring as string
    const ledger = await connectLedgerWs(options.ledger as string, { WebSocket: WebSocket as never })
    const stack: (() => Promise<void> | void)[] = [() => ledger.close()]
    try {
      const keyring = await createZrClient({ ledger, account }).getKeyring({ address })
      if (!keyring.parties.includes(account.address)) {
        throw new ZrError('INVALID_CONFIG', 'Not a party of this keyring.', { details: `expected ${account.address} among the parties of ${address} (${keyring.parties.join(', ')}), got it missing` })
      }
      log.info('connecting to the relay', { relay: options.relay, parties: keyring.parties.length })
      const relay = await connectRelay({ url: options.relay as string, account, WebSocket: WebSocket as never, onError: (e) => log.warn('relay', { code: e.code, details: e.details }) })
      stack.push(() => relay.close())
      log.info('waiting for the other parties to announce themselves on the relay')
      const transport = await secureTransport({ account, relay, peers: keyring.parties.filter((p) => p !== account.address), onError: (e) => log.warn('transport', { code: e.code, reason: e.shortMessage, details: e.details }) })
      stack.push(() => transport.close())
      const router = createSessionRouter(transport, { onError: (e) => log.debug('session', { code: e.code, details: e.details }) })
      stack.push(() => router.close())
      const shares = encryptedSecretStore(fileSecretStore(options.shares as string), { passphrase: options.passphrase as string })
      const backend = federationParty({
        account,
        router,
        identityKey: (p) => transport.identityKey(p),
        parties: keyring.parties,
        threshold: keyring.partyThreshold,
        shares,
        attemptTimeoutMs: options['attempt-timeout-ms'] as number,
      })
      const connector = createConnector({
        ledger,
        account,
        keyring: address,
        backend,
        concurrency: options.concurrency as number,
        onEvent: (e) => log.info(e.type, { ...e }),
      })
      await connector.start()
      stack.push(() => connector.stop())
      log.info('party started', { party: account.address, keyring: address, parties: keyring.parties.length, threshold: keyring.partyThreshold })
      out(account.address)
      await untilAborted(signal)
      log.info('stopping: letting requests in flight end')
    } finally {
      for (const undo of stack.reverse()) await undo()
    }
    log.info('party stopped')
    return 0
  },
}
