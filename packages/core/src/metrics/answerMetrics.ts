import type { IncomingMessage, ServerResponse } from 'node:http'
import { ZrError, isZrError } from '../errors/ZrError.js'
import { type MetricFamily, prometheusContentType, renderMetrics } from './renderMetrics.js'

/**
 * Answers `GET /metrics` on a zrkit server, the same way on each (the ledger server, the party relay):
 * `200` with the families in the Prometheus text format 0.0.4 ({@link renderMetrics},
 * {@link prometheusContentType}), `405` with `Allow: GET, HEAD` for another method, `503` when the
 * families cannot be read now (a closed ledger); errors as `{ "error": { "code", "message", "details" } }`.
 * Nothing it meets can throw out of it.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { answerMetrics } from '@zrkit/core/internal'
 *
 * createServer((req, res) => {
 *   if (req.url?.split('?')[0] === '/metrics') return void answerMetrics(req, res, () => [{ name: 'up', help: 'Up.', type: 'gauge', samples: [{ value: 1 }] }])
 *   res.writeHead(404).end()
 * })
 * ```
 */
export async function answerMetrics(req: IncomingMessage, res: ServerResponse, collect: () => readonly MetricFamily[] | Promise<readonly MetricFamily[]>): Promise<void> {
  const fail = (status: number, error: ZrError, headers: Record<string, string> = {}) => {
    const body = new TextEncoder().encode(`${JSON.stringify({ error: { code: error.code, message: error.shortMessage, ...(error.details ? { details: error.details } : {}) } })}\n`)
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(body.length), 'cache-control': 'no-store', ...headers }).end(body)
  }
  try {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return fail(405, new ZrError('INVALID_INPUT', 'Method not allowed.', { details: `expected GET /metrics, got ${String(req.method).slice(0, 16)} /metrics` }), { allow: 'GET, HEAD' })
    }
    let text: string
    try {
      text = renderMetrics(await collect())
    } catch (e) {
      const error = isZrError(e) ? e : new ZrError('LEDGER_UNAVAILABLE', 'The metrics could not be read.', { details: e instanceof Error ? e.message : String(e) })
      return fail(503, error)
    }
    const body = new TextEncoder().encode(text)
    res.writeHead(200, { 'content-type': prometheusContentType, 'content-length': String(body.length), 'cache-control': 'no-store' }).end(body)
  } catch {
    // a socket gone meanwhile: nothing to answer
    res.destroy()
  }
}
