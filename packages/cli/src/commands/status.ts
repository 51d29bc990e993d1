import { connectLedgerWs, createZrClient, generateAccount } from '@zrkit/core'
import { WebSocket } from 'ws'
import type { Command } from '../command.js'

/** `zrkit status`: the ledger's height and, for a keyring, its parties and pending requests. */
export const status: Command = {
  path: ['status'],
  summary: 'print the ledger height and, with --keyring, its parties and pending requests (one JSON object)',
  options: {
    ledger: { kind: 'url', description: 'the ledger server', placeholder: 'URL', required: true },
    keyring: { kind: 'string', description: 'a keyring address', placeholder: 'ADDR' },
  },
  async run({ options, out }) {
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
        report.keyring = { address, active: keyring.isActive, parties: keyring.parties, threshold: keyring.partyThreshold, pendingKeyRequests, pendingSignRequests }
      }
      out(JSON.stringify(report))
    } finally {
      await ledger.close()
    }
    return 0
  },
}
