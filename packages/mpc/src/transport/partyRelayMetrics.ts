import type { MetricFamily } from '@zrkit/core'
import type { RelayPartyStats } from './relayServer.js'

/** Why a relay lost frames for a party (see `RelayServerEvent` `dropped`). */
export type DropReason = 'buffer-full' | 'expired' | 'slow-connection'
export const dropReasons: readonly DropReason[] = ['buffer-full', 'expired', 'slow-connection']

/** What a relay knows when it is scraped. */
export type PartyRelayCounts = {
  /** Per served party, sorted by address (`RelayServer.stats()`). */
  readonly parties: readonly RelayPartyStats[]
  /** Frames lost per party, by reason. */
  readonly droppedBy: ReadonlyMap<string, Readonly<Record<DropReason, number>>>
  /** Messages and connections refused, by reason (`rate-limited`, `unauthorized`, `malformed`...). */
  readonly refused: ReadonlyMap<string, number>
  /** WebSocket connections open now, authenticated or not. */
  readonly connections: number
}

/**
 * The party relay's `GET /metrics` families: parties served and connected (and each party's connection
 * as 0/1), open connections, frames and bytes each party sent through the relay (received and routed)
 * and was delivered, frames buffered for an away party, frames dropped by reason, refusals by reason.
 * Party addresses are labels: the relay serves at most 1 024, so the series stay bounded.
 *
 * @example
 * ```ts
 * const families = partyRelayMetricFamilies({ parties: relay.stats(), droppedBy: new Map(), refused: new Map(), connections: 2 })
 * ```
 */
export function partyRelayMetricFamilies(counts: PartyRelayCounts): MetricFamily[] {
  const perParty = (value: (p: RelayPartyStats) => number) => counts.parties.map((p) => ({ labels: { party: p.party }, value: value(p) }))
  return [
    { name: 'zrkit_party_relay_parties_served', type: 'gauge', help: 'Parties this relay serves.', samples: [{ value: counts.parties.length }] },
    { name: 'zrkit_party_relay_parties_connected', type: 'gauge', help: 'Served parties connected and authenticated now.', samples: [{ value: counts.parties.filter((p) => p.connected).length }] },
    { name: 'zrkit_party_relay_party_connected', type: 'gauge', help: 'Whether each served party is connected and authenticated now (1) or away (0).', samples: perParty((p) => (p.connected ? 1 : 0)) },
    { name: 'zrkit_party_relay_connections', type: 'gauge', help: 'WebSocket connections open now, authenticated or not.', samples: [{ value: counts.connections }] },
    { name: 'zrkit_party_relay_frames_received_total', type: 'counter', help: 'Frames each party sent that the relay accepted and routed.', samples: perParty((p) => p.framesIn) },
    { name: 'zrkit_party_relay_bytes_received_total', type: 'counter', help: 'Sealed frame bytes each party sent that the relay accepted and routed.', samples: perParty((p) => p.bytesIn) },
    { name: 'zrkit_party_relay_frames_delivered_total', type: 'counter', help: 'Frames delivered to each party, directly or from its buffer.', samples: perParty((p) => p.framesOut) },
    { name: 'zrkit_party_relay_bytes_delivered_total', type: 'counter', help: 'Sealed frame bytes delivered to each party.', samples: perParty((p) => p.bytesOut) },
    { name: 'zrkit_party_relay_frames_buffered', type: 'gauge', help: 'Frames waiting now for a party that is away.', samples: perParty((p) => p.buffered) },
    {
      name: 'zrkit_party_relay_frames_dropped_total',
      type: 'counter',
      help: 'Frames to each party lost, by reason: buffer-full, expired (waited too long in the buffer), slow-connection.',
      samples: counts.parties.flatMap((p) => dropReasons.map((reason) => ({ labels: { party: p.party, reason }, value: counts.droppedBy.get(p.party)?.[reason] ?? 0 }))),
    },
    {
      name: 'zrkit_party_relay_refused_total',
      type: 'counter',
      help: 'Messages and connections the relay refused, by reason.',
      samples: [...counts.refused].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([reason, value]) => ({ labels: { reason }, value })),
    },
  ]
}
