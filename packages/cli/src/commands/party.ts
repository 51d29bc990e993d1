import { ZrError, connectLedgerWs, createConnector, createZrClient, encryptedSecretStore } from '@zrkit/core'
import { mkdir } from 'node:fs/promises'
import { acquireDirectoryLock, fileSecretStore } from '@zrkit/core/node'
import { createSessionRouter, federationParty, secureTransport } from '@zrkit/mpc'
import { WebSocket } from 'ws'
import { accountFrom, accountOptions } from '../accountOption.js'
import { commaList } from '../args.js'
import type { Command } from '../command.js'
import { connectRelays } from '../connectRelays.js'
import { untilAborted } from '../untilAborted.js'

/** `zrkit party start`: one MPC party of a keyring, with its own connector, as its own process. */
export const partyStart: Command = {
  path: ['party', 'start'],
  summary: 'run one MPC party of a keyring: answers its key and signature requests with the other parties',
  help: [
    'The party reads the keyring (its parties and threshold) from the ledger, reaches the other parties through',
    'the relay (end-to-end encrypted), keeps its key shares encrypted in --shares with the passphrase, and posts',
    'its responses to the ledger signed by its account. SIGTERM stops taking requests and lets those in flight end.',
    'The share directory is locked while the party runs (DIR/LOCK): a second party on it exits naming the first.',
    'Prints the party address on standard output once it serves requests (all parties must be up to start).',
    '--relay takes one relay URL or several, comma separated (every party of the keyring should list the same',
    'relays): each frame goes out through every relay that is up and arrives once. With several, the party starts',
    'as soon as one relay answers and keeps trying the others in the background; a relay that refuses the party',
    'is logged and not tried again. With one, that relay must answer within 30 s.',
    'Example: ZRKIT_PASSPHRASE=... zrkit party start --key-file p1.key --shares ./p1-shares \\',
    '           --ledger ws://127.0.0.1:7070 --relay ws://10.0.0.5:7071,ws://10.0.0.6:7071 --keyring keyring1...',
  ].join('\n'),
  options: {
    ...accountOptions,
    shares: { kind: 'path', description: 'directory of the encrypted key shares', placeholder: 'DIR', required: true },
    passphrase: { kind: 'string', description: 'passphrase of the share store', placeholder: 'TEXT', env: 'ZRKIT_PASSPHRASE', secret: true, required: true },
    ledger: { kind: 'url', description: 'the ledger server', placeholder: 'URL', required: true },
    relay: { kind: 'string', description: 'the party relay, or several comma separated', placeholder: 'URL[,URL...]', required: true },
    keyring: { kind: 'string', description: 'the keyring address (keyring1...)', placeholder: 'ADDR', required: true },
    concurrency: { kind: 'integer', description: 'requests worked on at once', placeholder: 'N', min: 1, max: 64, default: 4 },
    'attempt-timeout-ms': { kind: 'integer', description: 'how long a signing round waits', placeholder: 'MS', min: 100, max: 600_000, default: 5_000 },
    presignatures: { kind: 'integer', description: 'ECDSA presignatures kept per key and signing set, made in the background (0: none)', placeholder: 'N', min: 0, max: 64, default: 0 },
  },
  async run({ options, log, signal, env, out }) {
    const relays = relayUrls(options.relay as string)
    const account = await accountFrom(options, env)
    const address = options.keyring as string
    // One party process per share directory: two would each keep their own view of the stored presignatures.
    await mkdir(options.shares as string, { recursive: true, mode: 0o700 })
    const lock = await acquireDirectoryLock(options.shares as string, { label: 'share directory' })
    const stack: (() => Promise<void> | void)[] = [() => lock.release()]
    try {
      const ledger = await connectLedgerWs(options.ledger as string, { WebSocket: WebSocket as never })
      stack.push(() => ledger.close())
      const keyring = await createZrClient({ ledger, account }).getKeyring({ address })
      if (!keyring.parties.includes(account.address)) {
        throw new ZrError('INVALID_CONFIG', 'Not a party of this keyring.', { details: `expected ${account.address} among the parties of ${address} (${keyring.parties.join(', ')}), got it missing` })
      }
      log.info('connecting to the relay', { relays, parties: keyring.parties.length })
      const relay = await connectRelays(relays, {
        account,
        WebSocket: WebSocket as never,
        onError: (url, e) => log.warn('relay', { relay: url, code: e.code, details: e.details }),
        onConnected: (url) => log.info('relay connected', { relay: url }),
      })
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
        presignaturesPerSet: options.presignatures as number,
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

/** The `--relay` list: one or more ws:// or wss:// URLs, comma separated, no repeats. */
function relayUrls(value: string): string[] {
  const urls = commaList(value)
  const bad = (expected: string, got: string) => new ZrError('INVALID_CONFIG', 'Invalid --relay.', { details: `--relay: expected ${expected}, got ${got}` })
  if (urls.length === 0) throw bad('one or more ws:// or wss:// URLs, comma separated', `${JSON.stringify(value)} (no URL)`)
  for (const url of urls) {
    let parsed: URL | undefined
    try {
      parsed = new URL(url)
    } catch {
      parsed = undefined
    }
    if (!parsed || (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:')) throw bad('ws:// or wss:// URLs such as ws://127.0.0.1:7071', JSON.stringify(url))
  }
  const twice = urls.find((u, i) => urls.indexOf(u) !== i)
  if (twice !== undefined) throw bad('each relay once', `${JSON.stringify(twice)} twice`)
  return urls
}
