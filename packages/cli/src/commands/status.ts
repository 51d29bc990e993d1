import { connectLedgerWs, createZrClient, generateAccount } from '@zrkit/core'
import { WebSocket } from 'ws'
import type { Command } from '../command.js'
import { fetchRelayStatus } from '../fetchRelayStatus.js'

/**
 * `zrkit status`: the ledger's height; for a keyring, its parties and pending requests; with a relay, who the
 * relay sees (its `GET /status`) and which of the keyring's parties are connected to it now.
 */
export const status: Command = {
  path: ['status'],
  summary: 'print the ledger height and, with --keyring, its parties and pending requests; with --relay, who it sees (one JSON object)',
  help: [
    'With --relay, the relay\'s status endpoint (GET /status on the relay\'s port: ws://host:port -> http://host:port/status,',
    'wss:// -> https://) adds "relay": { url, relayId, parties: [{ party, connected, lastSeenAt, framesIn, bytesIn, ... }] }',
    'and, with --keyring too, "keyring.partiesOnRelay": the keyring\'s parties connected to that relay now.',
    'A relay that cannot be reached or does not answer in time fails the command (MPC_TRANSPORT, exit code 1).',
    'Example: zrkit status --ledger ws://127.0.0.1:7070 --keyring keyring1... --relay ws://127.0.0.1:7071',
  ].join('\n'),
  options: {
    ledger: { kind: 'url', description: 'the ledger server', placeholder: 'URL', required: true },
    keyring: { kind: 'string', description: 'a keyring address', placeholder: 'ADDR' },
    relay: { kind: 'url', description: 'a party relay (ws://host:port): report who it sees', placeholder: 'URL' },
    'relay-timeout-ms': { kind: 'integer', description: 'how long the relay may take to answer', placeholder: 'MS', min: 1, max: 600_000, default: 5_000 },
  },
  async run({ options, out, signal }) {
    // the relay first: it fails fast, before the ledger connection is opened
    const relay = options.relay !== undefined ? await fetchRelayStatus(options.relay as string, { timeoutMs: options['relay-timeout-ms'] as number, signal }) : undefined
    const ledger = await connectLedgerWs(options.ledger as string, { WebSocket: WebSocket as never })
    try {
      const s = await ledger.query('status', {})
      const report: Record<string, unknown> = { chainId: s.chainId, height: s.height, time: new Date(s.time).toISOString(), lastEventSeq: s.lastEventSeq }
      if (options.keyring !== undefined) {
        // queries need no signature: a throwaway account reads
        const client = createZrClient({ ledger, account: generateAccount() })
        const address = options.keyring as string
        const keyring = await client.getKeyring({ address })
        const count = async (page: (cursor?: string) => Promise<{ items: readonly unknown[]; nextCursor?: string }>) => {
          let n = 0
          let cursor: string | undefined
          do {
            const p = await page(cursor)
            n += p.items.length
            cursor = p.nextCursor
          } while (cursor !== undefined)
          return n
        }
        const pendingKeyRequests = await count((cursor) => ledger.query('keyRequests', { keyring: address, status: 'pending', ...(cursor ? { cursor } : {}) }))
        const pendingSignRequests = await count((cursor) => ledger.query('signRequests', { keyring: address, status: 'pending', ...(cursor ? { cursor } : {}) }))
        report.keyring = {
          address,
          active: keyring.isActive,
          parties: keyring.parties,
          threshold: keyring.partyThreshold,
          pendingKeyRequests,
          pendingSignRequests,
          ...(relay ? { partiesOnRelay: keyring.parties.filter((p) => relay.parties.some((r) => r.connected && r.party.toLowerCase() === p.toLowerCase())) } : {}),
        }
      }
      if (relay) report.relay = relay
      out(JSON.stringify(report))
    } finally {
      await ledger.close()
    }
    return 0
  },
}
