import { ZrError } from '@zrkit/core'
import type { Command } from '../command.js'
import { startLocalNetwork } from '../localNetwork.js'
import { untilAborted } from '../untilAborted.js'

/** `zrkit devnet`: a whole network on this machine, each part its own process, for trying and testing. */
export const devnet: Command = {
  path: ['devnet'],
  summary: 'start a local network: ledger server, relay and N parties as child processes, keyring registered',
  help: [
    'Generates the accounts (one funded for you: user.key), writes a genesis, starts `zrkit ledger serve`,',
    '`zrkit relay serve` and one `zrkit party start` per party as child processes on 127.0.0.1, and registers',
    'their keyring (--relays N: N relays, every party on all). Prints one JSON line: { ledger, relay, relays,',
    'keyring, userKeyFile, user, dir, parties }. Each process',
    'logs to <dir>/<name>.log. SIGTERM (Ctrl-C) stops them all. For development and tests, not production:',
    'the parties share one machine, and the share passphrase lives only in this process.',
    'Example: zrkit devnet --parties 3 --threshold 2 --dir ./devnet --ledger-port 7070 --relay-port 7071',
  ].join('\n'),
  options: {
    parties: { kind: 'integer', description: 'MPC parties, each its own process', placeholder: 'N', min: 2, max: 16, default: 3 },
    threshold: { kind: 'integer', description: 'party responses needed', placeholder: 'T', min: 1, max: 16, default: 2 },
    relays: { kind: 'integer', description: 'relays, each its own process; every party uses all of them', placeholder: 'N', min: 1, max: 4, default: 1 },
    dir: { kind: 'path', description: 'a new or empty directory for keys, stores and logs (kept; default: a temporary one, removed at exit)', placeholder: 'DIR' },
    'ledger-port': { kind: 'port', description: 'ledger server port (0: any free port)', default: 0 },
    'relay-port': { kind: 'port', description: 'relay port (0: any free port)', default: 0 },
    presignatures: { kind: 'integer', description: 'ECDSA presignatures each party keeps per key and signing set (0: none)', placeholder: 'N', min: 0, max: 64, default: 0 },
  },
  async run({ options, log, out, signal }) {
    if ((options.threshold as number) > (options.parties as number)) {
      throw new ZrError('INVALID_CONFIG', 'Threshold above the party count.', { details: `expected --threshold at most ${options.parties} (--parties), got ${options.threshold}` })
    }
    log.info('starting the local network', { parties: options.parties, threshold: options.threshold })
    const net = await startLocalNetwork({
      parties: options.parties as number,
      threshold: options.threshold as number,
      relays: options.relays as number,
      ...(options.dir !== undefined ? { dir: options.dir as string } : {}),
      ledgerPort: options['ledger-port'] as number,
      relayPort: options['relay-port'] as number,
      presignatures: options.presignatures as number,
    })
    const processes = [net.ledger, ...net.relays, ...net.parties]
    const down = new Set<string>()
    const watch = setInterval(() => {
      for (const p of processes) {
        if (!p.running() && !down.has(p.name)) {
          down.add(p.name)
          log.warn('process exited', { process: p.name, lastLog: p.logs().at(-1) })
        } else if (p.running()) down.delete(p.name)
      }
    }, 1000)
    log.info('local network up', { ledger: net.ledgerUrl, relays: net.relayUrls, keyring: net.keyring, dir: net.dir })
    out(JSON.stringify({ ledger: net.ledgerUrl, relay: net.relayUrl, relays: net.relayUrls, keyring: net.keyring, userKeyFile: `${net.dir}/user.key`, user: net.user.address, dir: net.dir, parties: net.parties.map((p) => p.address) }))
    await untilAborted(signal)
    clearInterval(watch)
    log.info('stopping the local network')
    const codes = await net.stop()
    const failed = Object.entries(codes).filter(([, c]) => c !== 0)
    if (failed.length) {
      log.error('processes did not stop cleanly', Object.fromEntries(failed))
      return 1
    }
    log.info('local network stopped')
    return 0
  },
}
