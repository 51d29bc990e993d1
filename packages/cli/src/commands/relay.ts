import { ZrError } from '@zrkit/core'
import { serveRelay } from '@zrkit/mpc/node'
import { commaList } from '../args.js'
import type { Command } from '../command.js'
import { untilAborted } from '../untilAborted.js'

/** `zrkit relay serve`: the relay that routes the parties' encrypted messages. */
export const relayServe: Command = {
  path: ['relay', 'serve'],
  summary: 'serve the party relay over WebSocket (routes encrypted party messages; reads none)',
  help: [
    'Parties authenticate with their ledger account; only the --parties are served. The relay sees who talks',
    'to whom and when, never what: messages are end-to-end encrypted and signed by the parties. Any party',
    'operator can run one; run several and give parties all their URLs for availability.',
    'GET /status on the same port tells who is connected and their traffic volumes (zrkit status --relay reads it);',
    '--no-status turns it off. GET /metrics answers the same counts (and drops and refusals by reason) in the',
    'Prometheus text format; --no-metrics turns it off.',
    'Example: zrkit relay serve --parties zen1...,zen1...,zen1... --port 7071',
  ].join('\n'),
  options: {
    parties: { kind: 'string', description: 'the party addresses served, comma separated', placeholder: 'ADDR,ADDR,...', required: true },
    port: { kind: 'port', description: 'TCP port (0: any free port)', default: 7071 },
    host: { kind: 'string', description: 'interface to listen on', placeholder: 'HOST', default: '127.0.0.1' },
    'relay-id': { kind: 'string', description: 'the identity parties sign into their authentication (default: the URL)', placeholder: 'ID' },
    'max-frame-bytes': { kind: 'integer', description: 'largest party frame', placeholder: 'BYTES', min: 1024, max: 64 * 1024 * 1024 },
    'no-status': { kind: 'boolean', description: 'do not serve GET /status (connected parties, traffic volumes)' },
    'no-metrics': { kind: 'boolean', description: 'do not serve GET /metrics (Prometheus text: parties, frames, drops, refusals)' },
  },
  async run({ options, log, out, signal }) {
    const parties = commaList(options.parties as string)
    if (parties.length < 2) throw new ZrError('INVALID_CONFIG', 'Too few parties.', { details: `expected at least 2 comma-separated zen1... addresses in --parties, got ${parties.length}` })
    const server = await serveRelay({
      parties,
      port: options.port as number,
      host: options.host as string,
      ...(options['relay-id'] !== undefined ? { relayId: options['relay-id'] as string } : {}),
      ...(options['max-frame-bytes'] !== undefined ? { maxFrameBytes: options['max-frame-bytes'] as number } : {}),
      status: options['no-status'] !== true,
      metrics: options['no-metrics'] !== true,
      onEvent: (e) => {
        if (e.type === 'refused') log.warn('refused', { party: e.party, code: e.error.code, details: e.error.details })
        else if (e.type === 'dropped') log.warn('frames dropped', { to: e.to, from: e.from, reason: e.reason, count: e.count })
        else log.info(e.type, { party: e.party })
      },
    })
    log.info('relay listening', { url: server.url, parties: parties.length, status: options['no-status'] !== true, metrics: options['no-metrics'] !== true })
    out(server.url)
    await untilAborted(signal)
    log.info('stopping')
    await server.close()
    log.info('relay stopped')
    return 0
  },
}
