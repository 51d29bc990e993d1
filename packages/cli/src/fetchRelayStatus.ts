import { ZrError, isZrError } from '@zrkit/core'
import { concatBytes } from '@zrkit/core/internal'
import type { RelayPartyStats } from '@zrkit/mpc/node'

/** What {@link fetchRelayStatus} resolves with. */
export type RelayStatusReport = { readonly url: string; readonly relayId: string; readonly parties: readonly RelayPartyStats[] }

/** The largest status answer read (a relay serving thousands of parties stays far below it). */
const maxAnswerBytes = 4 * 1024 * 1024
const counters = ['framesIn', 'bytesIn', 'framesOut', 'bytesOut', 'buffered', 'dropped'] as const

/**
 * The HTTP URL of a relay's status endpoint: `ws://host:port` -> `http://host:port/status`, `wss://` ->
 * `https://` (an `http(s)://` URL keeps its scheme). The path of the relay URL is replaced by `/status`.
 *
 * @example
 * ```ts
 * relayStatusUrl('ws://127.0.0.1:7071') // 'http://127.0.0.1:7071/status'
 * ```
 */
export function relayStatusUrl(relayUrl: string): string {
  let url: URL
  try {
    url = new URL(relayUrl)
  } catch {
    throw new ZrError('INVALID_CONFIG', 'Invalid relay URL.', { details: `expected a URL such as ws://127.0.0.1:7071, got ${JSON.stringify(relayUrl)}` })
  }
  const scheme = { 'ws:': 'http:', 'wss:': 'https:', 'http:': 'http:', 'https:': 'https:' }[url.protocol]
  if (!scheme) throw new ZrError('INVALID_CONFIG', 'Invalid relay URL.', { details: `expected a ws:// or wss:// URL, got ${JSON.stringify(relayUrl)}` })
  return `${scheme}//${url.host}/status`
}

/**
 * Reads a relay's `GET /status` (served by `serveRelay` on its WebSocket port) with the global `fetch`,
 * within `timeoutMs`. A relay that cannot be reached, does not answer in time or answers another status
 * rejects with `MPC_TRANSPORT`; an answer that is not the status JSON with `MALFORMED_MESSAGE`; both say
 * what was expected and what arrived.
 *
 * @example
 * ```ts
 * const status = await fetchRelayStatus('ws://127.0.0.1:7071', { timeoutMs: 5_000 })
 * status.parties.filter((p) => p.connected).map((p) => p.party)
 * ```
 */
export async function fetchRelayStatus(relayUrl: string, options: { readonly timeoutMs: number; readonly signal?: AbortSignal }): Promise<RelayStatusReport> {
  const url = relayStatusUrl(relayUrl)
  const timeout = AbortSignal.timeout(options.timeoutMs)
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout
  const unreachable = (why: string, cause?: unknown) =>
    new ZrError('MPC_TRANSPORT', 'Could not read the relay status.', { details: `expected a 200 JSON answer from ${url}, got ${why}`, ...(cause !== undefined ? { cause } : {}) })
  let text: string
  let status: number
  try {
    const res = await fetch(url, { signal, headers: { accept: 'application/json' }, redirect: 'error' })
    status = res.status
    text = await readCapped(res, maxAnswerBytes)
  } catch (e) {
    if (isZrError(e)) throw e
    if (timeout.aborted) throw unreachable(`no answer within ${options.timeoutMs} ms`, e)
    const cause = (e as { cause?: { code?: string; message?: string } })?.cause
    throw unreachable(cause?.code ?? cause?.message ?? String((e as Error)?.message ?? e), e)
  }
  if (status !== 200) {
    let said = ''
    try {
      const m = (JSON.parse(text) as { error?: { message?: unknown } })?.error?.message
      if (typeof m === 'string') said = `: ${m.slice(0, 300)}`
    } catch {
      // not JSON: the status alone says enough
    }
    throw unreachable(`HTTP ${status}${said}${status === 404 ? ' (is it a zrkit relay, with its status endpoint on?)' : ''}`)
  }
  return { url: relayUrl, ...parseStatus(text, url) }
}

async function readCapped(res: Response, max: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? Number.NaN)
  const tooLarge = (got: string) => new ZrError('MALFORMED_MESSAGE', 'The relay status answer is too large.', { details: `expected at most ${max} bytes, got ${got}` })
  if (declared > max) {
    await res.body?.cancel()
    throw tooLarge(`${declared} (content-length)`)
  }
  if (!res.body) return ''
  const reader = res.body.getReader()
  const parts: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.length
    if (total > max) {
      await reader.cancel()
      throw tooLarge('more')
    }
    parts.push(value)
  }
  return new TextDecoder().decode(concatBytes(...parts))
}

function parseStatus(text: string, url: string): { relayId: string; parties: RelayPartyStats[] } {
  const bad = (expected: string, got: string) => new ZrError('MALFORMED_MESSAGE', 'The relay status answer is malformed.', { details: `${url}: expected ${expected}, got ${got}` })
  const show = (v: unknown) =>
    typeof v === 'string' ? JSON.stringify(v.slice(0, 100)) : typeof v === 'number' || typeof v === 'boolean' || v === null ? String(v) : Array.isArray(v) ? 'an array' : typeof v
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw bad('JSON', JSON.stringify(text.slice(0, 100)))
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad('an object { relayId, parties }', show(body))
  const { relayId, parties } = body as { relayId?: unknown; parties?: unknown }
  if (typeof relayId !== 'string' || relayId.length === 0) throw bad('relayId: a non-empty string', show(relayId))
  if (!Array.isArray(parties)) throw bad('parties: an array', show(parties))
  const list = parties.map((p: unknown, i): RelayPartyStats => {
    if (typeof p !== 'object' || p === null || Array.isArray(p)) throw bad(`parties[${i}]: an object`, show(p))
    const e = p as Record<string, unknown>
    if (typeof e.party !== 'string' || e.party.length === 0) throw bad(`parties[${i}].party: an address`, show(e.party))
    if (typeof e.connected !== 'boolean') throw bad(`parties[${i}].connected: true or false`, show(e.connected))
    const out: Record<string, unknown> = { party: e.party, connected: e.connected }
    for (const k of ['lastSeenAt', 'connectedSince'] as const) {
      if (e[k] === undefined) continue
      if (typeof e[k] !== 'number' || !Number.isSafeInteger(e[k]) || (e[k] as number) < 0) throw bad(`parties[${i}].${k}: a time in ms`, show(e[k]))
      out[k] = e[k]
    }
    for (const k of counters) {
      if (typeof e[k] !== 'number' || !Number.isSafeInteger(e[k]) || (e[k] as number) < 0) throw bad(`parties[${i}].${k}: a count (integer >= 0)`, show(e[k]))
      out[k] = e[k]
    }
    return out as RelayPartyStats
  })
  return { relayId, parties: list }
}
