import type { ZrErrorCode } from './codes.js'
import { describeValue } from './describeValue.js'

/** Options of a {@link ZrError}. */
export type ZrErrorOptions = {
  /** What exactly went wrong, e.g. `expected 32-byte digest, got 31 bytes`. */
  details?: string | undefined
  /** Structured facts for programs (ids, expected and actual values). */
  meta?: Record<string, unknown> | undefined
  /** The error this one wraps. */
  cause?: unknown
}

/**
 * The one error base of zrkit. Every error carries a stable `code`; narrow with {@link isZrError},
 * never by message text.
 *
 * @example
 * ```ts
 * import { ZrError, isZrError } from '@zrkit/core'
 *
 * try {
 *   await client.requestSignature({ keyId: 7, payloads: [digest] })
 * } catch (e) {
 *   if (isZrError(e, 'INSUFFICIENT_BALANCE')) console.log(e.details)
 *   else throw e
 * }
 * ```
 */
export class ZrError extends Error {
  override name = 'ZrError'
  readonly code: ZrErrorCode
  readonly shortMessage: string
  readonly details: string | undefined
  readonly meta: Record<string, unknown>

  constructor(code: ZrErrorCode, shortMessage: string, options: ZrErrorOptions = {}) {
    const lines = [shortMessage]
    if (options.details) lines.push(`Details: ${options.details}`)
    lines.push(`Code: ${code}`)
    super(lines.join('\n'), options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.shortMessage = shortMessage
    this.details = options.details
    this.meta = options.meta ?? {}
  }

  /**
   * Walks the `cause` chain and returns the deepest error, or the first one for which `fn` returns true.
   *
   * @example
   * ```ts
   * const root = err.walk((e) => e instanceof ZrError && e.code === 'TIMEOUT')
   * ```
   */
  walk(fn?: (err: unknown) => boolean): unknown {
    let current: unknown = this
    for (;;) {
      if (fn?.(current)) return current
      const next = current instanceof Error ? (current as Error & { cause?: unknown }).cause : undefined
      if (next === undefined) return fn ? null : current
      current = next
    }
  }

  /** A JSON-safe view of the error, for logs and for crossing process boundaries. */
  toJSON(): { name: string; code: ZrErrorCode; shortMessage: string; details?: string; meta: Record<string, unknown> } {
    return {
      name: this.name,
      code: this.code,
      shortMessage: this.shortMessage,
      ...(this.details ? { details: this.details } : {}),
      meta: this.meta,
    }
  }
}

/**
 * True when `err` is a {@link ZrError}, optionally with the given code. Works across copies of the
 * package (checks the shape, not only `instanceof`).
 *
 * @example
 * ```ts
 * import { isZrError } from '@zrkit/core'
 * if (isZrError(e, 'SEQUENCE_MISMATCH')) retry()
 * ```
 */
export function isZrError<C extends ZrErrorCode>(err: unknown, code?: C): err is ZrError & { code: C } {
  if (!(err instanceof Error)) return false
  const c = (err as { code?: unknown }).code
  if (typeof c !== 'string' || (err as { name?: string }).name !== 'ZrError') return false
  return code === undefined || c === code
}

/**
 * Rebuilds a ZrError from its {@link ZrError.toJSON} form (e.g. received from another process). Throws
 * `INVALID_INPUT` for anything without a string `code` and `shortMessage`.
 *
 * @example
 * ```ts
 * import { zrErrorFromJSON } from '@zrkit/core'
 * const err = zrErrorFromJSON(JSON.parse(line)) // err.code, err.details as sent
 * ```
 */
export function zrErrorFromJSON(json: { code: ZrErrorCode; shortMessage: string; details?: string; meta?: Record<string, unknown> }): ZrError {
  const j = (json !== null && typeof json === 'object' ? json : {}) as Record<string, unknown>
  const problem =
    json === null || typeof json !== 'object'
      ? `an object, got ${describeValue(json)}`
      : typeof j.code !== 'string'
        ? `a string code, got ${describeValue(j.code)}`
        : typeof j.shortMessage !== 'string'
          ? `a string shortMessage, got ${describeValue(j.shortMessage)}`
          : j.details !== undefined && typeof j.details !== 'string'
            ? `details as a string, got ${describeValue(j.details)}`
            : j.meta !== undefined && (j.meta === null || typeof j.meta !== 'object')
              ? `meta as an object, got ${describeValue(j.meta)}`
              : undefined
  if (problem) throw new ZrError('INVALID_INPUT', 'Invalid serialised ZrError.', { details: `expected ${problem}` })
  return new ZrError(j.code as ZrErrorCode, j.shortMessage as string, { details: j.details as string | undefined, meta: j.meta as Record<string, unknown> | undefined })
}
