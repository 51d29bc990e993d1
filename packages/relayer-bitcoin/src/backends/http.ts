import { ZrError } from '@zrkit/core'

/** The `fetch` a backend uses (the global one by default). */
export type FetchFn = (input: string, init?: RequestInit) => Promise<Response>

/** An HTTP response as the backends read it. */
export type HttpResult = { readonly status: number; readonly body: string }

/**
 * One HTTP request with a time limit. Network failures and time-outs become `NODE_REQUEST_FAILED`
 * (the URL is shown without its credentials); the status and body come back for the caller to judge.
 */
export async function httpRequest(fetchFn: FetchFn, url: string, init: RequestInit & { timeoutMs: number; what: string }): Promise<HttpResult> {
  const { timeoutMs, what, ...rest } = init
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), timeoutMs)
  try {
    const res = await fetchFn(url, { ...rest, signal: controller.signal })
    return { status: res.status, body: await res.text() }
  } catch (cause) {
    const timedOut = controller.signal.aborted
    throw new ZrError('NODE_REQUEST_FAILED', timedOut ? 'The Bitcoin node did not answer in time.' : 'Could not reach the Bitcoin node.', {
      details: `${what} at ${redact(url)}: ${timedOut ? `no answer within ${timeoutMs} ms` : cause instanceof Error ? (cause.cause instanceof Error ? `${cause.message}: ${cause.cause.message}` : cause.message) : String(cause)}`,
      context: { url: redact(url), what },
      cause,
    })
  } finally {
    clearTimeout(timer)
  }
}

/** A URL without user and password, for messages. */
export function redact(url: string): string {
  try {
    const u = new URL(url)
    u.username = ''
    u.password = ''
    return u.toString()
  } catch {
    return '(invalid URL)'
  }
}

/** Checks a backend URL: http(s), parses. Returns it without a trailing slash. */
export function checkUrl(url: unknown, what: string): string {
  let parsed: URL | undefined
  try {
    parsed = typeof url === 'string' ? new URL(url) : undefined
  } catch {
    parsed = undefined
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new ZrError('INVALID_INPUT', `Invalid ${what} URL.`, { details: `expected an http:// or https:// URL, got ${typeof url === 'string' ? JSON.stringify(redact(url) === '(invalid URL)' ? url.slice(0, 100) : redact(url)) : typeof url}` })
  }
  return (url as string).replace(/\/+$/, '')
}

/** Short text of a response body for messages. */
export function preview(body: string): string {
  const text = body.trim()
  return text.length > 300 ? `${text.slice(0, 300)}...` : text
}

/** Satoshis of a BTC amount as JSON-RPC gives it (a number with up to 8 decimals). */
export function btcToSats(amount: unknown, what: string): bigint {
  if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0 || amount > 21_000_000) {
    throw new ZrError('NODE_REQUEST_FAILED', 'The Bitcoin node sent an unexpected answer.', { details: `${what}: expected an amount in BTC, got ${JSON.stringify(amount)}` })
  }
  return BigInt(Math.round(amount * 1e8))
}
