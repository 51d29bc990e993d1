import { createEmbeddedLedger, verifyLedgerDatabase } from '@zrkit/core'
import { listenLedger, sqliteStore } from '@zrkit/core/node'
import type { Command } from '../command.js'
import { readGenesisFile } from '../genesisFile.js'
import { transactionDecoders } from '../transactionDecoders.js'
import { untilAborted } from '../untilAborted.js'

/** `zrkit ledger serve`: a durable embedded ledger served over WebSocket. */
export const ledgerServe: Command = {
  path: ['ledger', 'serve'],
  summary: 'serve a durable ledger over WebSocket (store directory, genesis on first start)',
  help: [
    'The ledger keeps its state in --store, a SQLite database (DIR/ledger.sqlite), created with --genesis the',
    'first time; later starts resume from it without replaying history. A directory written by an older',
    'zrkit (DIR/ledger.log) is imported once and its log renamed ledger.log.imported.',
    'One process uses a store at a time. Submits are signed by their account and checked by the ledger;',
    'queries and subscriptions are open to any client that can connect: put it behind TLS and a proxy',
    'for the internet. The same port answers plain HTTP queries (GET /status, GET /query/<kind>?params=<json>)',
    'unless --no-http-queries, and GET /metrics for Prometheus (height, events, open requests, connections,',
    'subscriptions, submits by result) unless --no-metrics. Prints the URL on standard output once it listens.',
    'The genesis may list the transaction decoders the ledger runs for sign-transaction requests,',
    'e.g. "transactionDecoders": ["evm@1", "bitcoin@1", "solana@1", "cosmos@1"] (this build has those four).',
    'Example: zrkit ledger serve --store ./ledger --genesis genesis.json --port 7070',
  ].join('\n'),
  options: {
    store: { kind: 'path', description: 'the ledger store directory', placeholder: 'DIR', required: true },
    genesis: { kind: 'path', description: 'genesis JSON for a new store: { chainId, balances: [{ address, amount }], transactionDecoders? }', placeholder: 'FILE' },
    port: { kind: 'port', description: 'TCP port (0: any free port)', default: 7070 },
    host: { kind: 'string', description: 'interface to listen on', placeholder: 'HOST', default: '127.0.0.1' },
    'max-frame-bytes': { kind: 'integer', description: 'largest request frame', placeholder: 'BYTES', min: 1024, max: 64 * 1024 * 1024 },
    'max-connections': { kind: 'integer', description: 'connections served at once', placeholder: 'N', min: 1, max: 1_000_000 },
    'no-http-queries': { kind: 'boolean', description: 'do not answer plain HTTP queries (GET /status, GET /query/<kind>) on the port' },
    'no-metrics': { kind: 'boolean', description: 'do not answer GET /metrics (Prometheus text) on the port' },
  },
  async run({ options, log, out, signal }) {
    const genesis = options.genesis !== undefined ? await readGenesisFile(options.genesis as string) : undefined
    const ledger = await createEmbeddedLedger({ store: sqliteStore(options.store as string), ...(genesis ? { genesis } : {}), transactionDecoders: transactionDecoders() })
    try {
      const server = await listenLedger(ledger, {
        port: options.port as number,
        host: options.host as string,
        ...(options['max-frame-bytes'] !== undefined ? { maxFrameBytes: options['max-frame-bytes'] as number } : {}),
        ...(options['max-connections'] !== undefined ? { maxConnections: options['max-connections'] as number } : {}),
        httpQueries: options['no-http-queries'] !== true,
        metrics: options['no-metrics'] !== true,
        onError: (e) => log.warn('refused', { code: e.code, reason: e.shortMessage, ...(e.details ? { details: e.details } : {}) }),
      })
      log.info('ledger listening', { url: server.url, store: options.store, metrics: options['no-metrics'] !== true, transactionDecoders: (await ledger.query('status', {})).transactionDecoders.join(',') || 'none' })
      out(server.url)
      await untilAborted(signal)
      log.info('stopping: draining calls in flight')
      await server.close()
    } finally {
      await ledger.close()
    }
    log.info('ledger stopped')
    return 0
  },
}

/** `zrkit ledger verify`: replays a stopped ledger's log and compares it with the state in its database. */
export const ledgerVerify: Command = {
  path: ['ledger', 'verify'],
  summary: "check a ledger store: replay its log and compare with the state in its database",
  help: [
    'Replays the log the store keeps (its audit journal) from genesis in memory and compares the state hash',
    "with the hash of the records in the database. Reads all of both: run it on a stopped ledger or a copy",
    '(a running ledger holds the store locked). Prints one JSON object { ok, height, databaseHash,',
    'replayedHash, problem? }; exits 0 when the database matches its log, 1 when it does not.',
    'Example: zrkit ledger verify --store ./ledger',
  ].join('\n'),
  options: {
    store: { kind: 'path', description: 'the ledger store directory', placeholder: 'DIR', required: true },
  },
  async run({ options, log, out }) {
    const report = await verifyLedgerDatabase(sqliteStore(options.store as string), { transactionDecoders: transactionDecoders() })
    out(JSON.stringify(report))
    if (report.ok) log.info('the database matches its log', { height: report.height, stateHash: report.databaseHash })
    else log.error('the database does not match its log', { height: report.height, problem: report.problem ?? '' })
    return report.ok ? 0 : 1
  },
}
