import { isZrError } from '../errors/ZrError.js'
import type { MetricFamily } from '../metrics/renderMetrics.js'
import type { EmbeddedLedger } from './embeddedLedger.js'
import type { Ledger, Unsubscribe } from './Ledger.js'

/** What a ledger server counts about its clients, and how it reports them with the ledger's own counts. */
export type LedgerServerMetrics = {
  /** The ledger as the server's connections use it: the same ledger, with their submits and subscriptions counted. */
  readonly served: Ledger
  /** Counts a refusal the server reported (a frame dropped, a connection refused or cut off), by its code. */
  refused(code: string): void
  /** The families of `GET /metrics`: the ledger's height, events and requests, and the server's connections and clients' calls. */
  families(server: { connections: number; bufferedBytes: number }): Promise<MetricFamily[]>
}

/**
 * The metrics of a ledger server (`listenLedger`'s `GET /metrics`): from the ledger, its height, events
 * and (for an embedded ledger, from its in-memory state) the requests created and open by status; from
 * the server, its connections, the bytes queued for them, the subscriptions they hold, their submits by
 * result (`accepted` or the error code) and the refusals by code.
 *
 * @example
 * ```ts
 * const metrics = ledgerServerMetrics(ledger)
 * serveLedger(metrics.served, channel)
 * const families = await metrics.families({ connections: 1, bufferedBytes: 0 })
 * ```
 */
export function ledgerServerMetrics(ledger: Ledger): LedgerServerMetrics {
  const submits = new Map<string, number>([['accepted', 0]])
  const refusals = new Map<string, number>()
  let subscriptions = 0
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1)

  const served: Ledger = {
    get chainId() {
      return ledger.chainId
    },
    async submit(tx) {
      try {
        const receipt = await ledger.submit(tx)
        bump(submits, 'accepted')
        return receipt
      } catch (e) {
        bump(submits, isZrError(e) ? e.code : 'UNKNOWN')
        throw e
      }
    },
    query: (kind, params) => ledger.query(kind, params),
    subscribe(filter, listener, options) {
      // one count per live subscription: it ends when the client unsubscribes or the ledger ends it (onError)
      let live = true
      const end = () => {
        if (live) subscriptions--
        live = false
      }
      subscriptions++
      let stop: Unsubscribe
      try {
        stop = ledger.subscribe(filter, listener, {
          ...options,
          onError: (error) => {
            end()
            options?.onError?.(error)
          },
        })
      } catch (e) {
        end()
        throw e
      }
      return () => {
        end()
        stop()
      }
    },
    close: () => ledger.close(),
  }

  const sorted = (map: Map<string, number>) => [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))

  return {
    served,
    refused: (code) => bump(refusals, code),
    async families(server) {
      const status = await ledger.query('status', {})
      const embedded = typeof (ledger as Partial<EmbeddedLedger>).stats === 'function' ? (ledger as EmbeddedLedger).stats() : undefined
      const families: MetricFamily[] = [
        { name: 'zrkit_ledger_info', type: 'gauge', help: 'The chain this ledger serves (always 1).', samples: [{ labels: { chain_id: status.chainId }, value: 1 }] },
        { name: 'zrkit_ledger_height', type: 'gauge', help: 'Log entries applied: signed messages and expiry ticks.', samples: [{ value: status.height }] },
        { name: 'zrkit_ledger_events_total', type: 'counter', help: 'Ledger events so far (the last event sequence number).', samples: [{ value: status.lastEventSeq }] },
        { name: 'zrkit_ledger_server_connections', type: 'gauge', help: 'WebSocket connections open now.', samples: [{ value: server.connections }] },
        { name: 'zrkit_ledger_server_buffered_bytes', type: 'gauge', help: 'Bytes queued for the connections that their sockets have not taken yet.', samples: [{ value: server.bufferedBytes }] },
        { name: 'zrkit_ledger_server_subscriptions', type: 'gauge', help: 'Event subscriptions the connections hold now.', samples: [{ value: subscriptions }] },
        { name: 'zrkit_ledger_server_submits_total', type: 'counter', help: 'Signed messages submitted by clients, by result: accepted, or the error code of the refusal.', samples: sorted(submits).map(([result, value]) => ({ labels: { result }, value })) },
        { name: 'zrkit_ledger_server_refused_total', type: 'counter', help: 'Frames dropped and connections refused or cut off by the server, by error code.', samples: sorted(refusals).map(([code, value]) => ({ labels: { code }, value })) },
      ]
      if (embedded) {
        const { created, open } = embedded
        families.push(
          {
            name: 'zrkit_ledger_requests_created_total',
            type: 'counter',
            help: 'Requests created so far, by kind: sign (signature requests), key (key requests), action (approval actions).',
            samples: [
              { labels: { kind: 'sign' }, value: created.signRequests },
              { labels: { kind: 'key' }, value: created.keyRequests },
              { labels: { kind: 'action' }, value: created.actions },
            ],
          },
          {
            name: 'zrkit_ledger_requests_open',
            type: 'gauge',
            help: 'Requests open now, by kind and status: sign partial (approvals missing) or pending (at the keyring), key and action pending.',
            samples: [
              { labels: { kind: 'sign', status: 'partial' }, value: open.signRequests.partial },
              { labels: { kind: 'sign', status: 'pending' }, value: open.signRequests.pending },
              { labels: { kind: 'key', status: 'pending' }, value: open.keyRequests.pending },
              { labels: { kind: 'action', status: 'pending' }, value: open.actions.pending },
            ],
          },
        )
      }
      return families
    },
  }
}
