import type { IncomingMessage, ServerResponse } from 'node:http'
import { canonicalParse, canonicalStringify } from '../encoding/canonical.js'
import { ZrError, isZrError } from '../errors/ZrError.js'
import type { Ledger } from './Ledger.js'
import type { QueryKind } from './queries.js'

/** HTTP status of each error code an HTTP query can meet; any other is 500. */
const statusOf: Partial<Record<string, number>> = {
  INVALID_INPUT: 400,
  INVALID_ADDRESS: 400,
  MALFORMED_MESSAGE: 400,
  UNKNOWN_QUERY: 404,
  LEDGER_CLOSED: 503,
  LEDGER_UNAVAILABLE: 503,
}

/** The longest `params` accepted, in characters of the decoded query string value. */
const maxParamsLength = 8192

/**
 * Answers one plain HTTP request to a ledger server (the queries only: anything that changes state is a
 * signed message over the WebSocket):
 *
 * - `GET /status`: the `status` query (chain id, height, time, last event sequence), e.g. for health checks.
 * - `GET /query/<kind>?params=<canonical JSON>`: any query of {@link Ledger.query} (`params` defaults to `{}`),
 *   answered as `{ "result": ... }` in zrkit's canonical JSON (byte strings, big integers and all, as the
 *   WebSocket protocol writes them: `connectLedgerWs` reads the same values).
 *
 * Errors are `{ "error": { "code", "message", "details" } }` with an HTTP status that fits the code (400 for bad
 * input, 404 for an unknown path or query, 405 for another method, 503 when the ledger is closed; a plain request
 * for `/` gets 426, upgrade to a WebSocket). Nothing a
 * request holds can throw out of here.
 *
 * @example
 * ```sh
 * curl -s http://127.0.0.1:7070/status
 * curl -s 'http://127.0.0.1:7070/query/signRequest?params=%7B%22id%22%3A1%7D'
 * ```
 */
export async function answerHttpQuery(ledger: Ledger, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const reply = (status: number, body: unknown) => {
    let text: string
    try {
      text = canonicalStringify(body)
    } catch (e) {
      status = 500
      text = JSON.stringify({ error: { code: 'LEDGER_UNAVAILABLE', message: 'The answer cannot be encoded.', details: e instanceof Error ? e.message : String(e) } })
    }
    if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    res.end(`${text}\n`)
  }
  const fail = (e: unknown) => {
    const error = isZrError(e) ? e : new ZrError('LEDGER_UNAVAILABLE', 'The query failed.', { details: e instanceof Error ? e.message : String(e) })
    reply(statusOf[error.code] ?? 500, { error: { code: error.code, message: error.shortMessage, ...(error.details ? { details: error.details } : {}) } })
  }
  try {
    let url: URL
    try {
      url = new URL(req.url ?? '/', 'http://ledger')
    } catch {
      throw new ZrError('INVALID_INPUT', 'Unreadable request path.', { details: `expected a path such as /status or /query/<kind>, got ${JSON.stringify(String(req.url).slice(0, 64))}` })
    }
    const kind = url.pathname === '/status' ? 'status' : url.pathname.startsWith('/query/') ? decodeURIComponent(url.pathname.slice('/query/'.length)) : undefined
    if (url.pathname === '/') {
      res.setHeader('upgrade', 'websocket')
      return reply(426, { error: { code: 'INVALID_INPUT', message: 'This is a zrkit ledger: connect with a WebSocket (connectLedgerWs).', details: `expected a WebSocket upgrade, GET /status or GET /query/<kind>?params=<json>, got a plain ${req.method} /` } })
    }
    if (kind === undefined) {
      return reply(404, { error: { code: 'INVALID_INPUT', message: 'No such path.', details: `expected GET /status or GET /query/<kind>?params=<json> (or a WebSocket upgrade), got ${req.method} ${url.pathname.slice(0, 64)}` } })
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD')
      return reply(405, { error: { code: 'INVALID_INPUT', message: 'Method not allowed.', details: `expected GET (queries only; messages are submitted over the WebSocket), got ${req.method}` } })
    }
    const raw = url.searchParams.get('params')
    if (raw !== null && raw.length > maxParamsLength) {
      throw new ZrError('INVALID_INPUT', 'Query parameters too long.', { details: `expected params of at most ${maxParamsLength} characters, got ${raw.length}` })
    }
    let params: unknown = {}
    if (raw !== null) {
      try {
        params = canonicalParse(raw)
      } catch (e) {
        throw new ZrError('INVALID_INPUT', 'Unreadable query parameters.', { details: `expected params as canonical JSON, e.g. {"id":1}: ${isZrError(e) ? (e.details ?? e.shortMessage) : String(e)}` })
      }
    }
    const result = await ledger.query(kind as QueryKind, params as never)
    reply(200, { result })
  } catch (e) {
    fail(e)
  }
}
