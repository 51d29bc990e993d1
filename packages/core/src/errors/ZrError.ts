import type { ZrErrorCode } from './codes.js'
import type { ZrErrorContextOf } from './context.js'
import { describeValue } from './describeValue.js'

/**
 * Options of a {@link ZrError} with code `C`. `context` is checked against {@link ZrErrorContext}:
 * a throw with the wrong context for its code does not compile.
 *
 * @example
 * ```ts
 * import { ZrError, type ZrErrorOptions } from '@zrkit/core'
 * const options: ZrErrorOptions<'KEY_NOT_FOUND'> = { details: 'no key 7', context: { keyId: 7 } }
 * throw new ZrError('KEY_NOT_FOUND', 'Key not found.', options)
 * ```
 */
export type ZrErrorOptions<C extends ZrErrorCode = ZrErrorCode> = {
  /** What exactly went wrong, e.g. `expected 32-byte digest, got 31 bytes`. */
  details?: string | undefined
  /** Structured facts for programs (ids, expected and actual values), typed per code. */
  context?: ZrErrorContextOf<C> | undefined
  /**
   * @deprecated Use `context` (typed per code). Still accepted, unchecked, for code written before it;
   * it becomes the error's `context` unless `context` is given too.
   */
  meta?: Record<string, unknown> | undefined
  /** The error this one wraps. */
  cause?: unknown
}

/**
 * The JSON form of a {@link ZrError} ({@link ZrError.toJSON}, read back by {@link zrErrorFromJSON}):
 * `{ name: 'ZrError', code, shortMessage, details?, context }`. Readers also accept the form older
 * versions wrote, with `meta` in place of `context`.
 *
 * @example
 * ```ts
 * import { ZrError, zrErrorFromJSON, type ZrErrorJSON } from '@zrkit/core'
 * const json: ZrErrorJSON = new ZrError('KEY_NOT_FOUND', 'Key not found.', { context: { keyId: 7 } }).toJSON()
 * // { name: 'ZrError', code: 'KEY_NOT_FOUND', shortMessage: 'Key not found.', context: { keyId: 7 } }
 * zrErrorFromJSON(json).context // { keyId: 7 }
 * ```
 */
export type ZrErrorJSON = { name: string; code: ZrErrorCode; shortMessage: string; details?: string; context: Record<string, unknown> }

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
 *   if (isZrError(e, 'INSUFFICIENT_BALANCE')) console.log(e.details, e.context.needed - e.context.balance)
 *   else throw e
 * }
 *
 * throw new ZrError('KEY_NOT_FOUND', 'Key not found.', { details: 'no key 7', context: { keyId: 7 } })
 * ```
 */
export class ZrError<C extends ZrErrorCode = ZrErrorCode> extends Error {
  override name = 'ZrError'
  readonly code: C
  readonly shortMessage: string
  readonly details: string | undefined
  /** Structured facts for programs, typed per code ({@link ZrErrorContext}); `{}` when there are none. */
  readonly context: ZrErrorContextOf<C>

  constructor(code: C, shortMessage: string, options: ZrErrorOptions<C> = {}) {
    const lines = [shortMessage]
    if (options.details) lines.push(`Details: ${options.details}`)
    lines.push(`Code: ${code}`)
    super(lines.join('\n'), options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.shortMessage = shortMessage
    this.details = options.details
    this.context = (options.context ?? options.meta ?? {}) as ZrErrorContextOf<C>
  }

  /** @deprecated The same object as {@link ZrError.context}, untyped; read `context`. */
  get meta(): Readonly<Record<string, unknown>> {
    return this.context
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

  /** A JSON-safe view of the error ({@link ZrErrorJSON}), for logs and for crossing process boundaries. */
  toJSON(): ZrErrorJSON {
    return {
      name: this.name,
      code: this.code,
      shortMessage: this.shortMessage,
      ...(this.details ? { details: this.details } : {}),
      context: this.context,
    }
  }
}

/**
 * True when `err` is a {@link ZrError}, optionally with the given code; with a code, it narrows
 * `err.context` to that code's {@link ZrErrorContext}. Works across copies of the package (checks the
 * shape, not only `instanceof`).
 *
 * @example
 * ```ts
 * import { isZrError } from '@zrkit/core'
 * if (isZrError(e, 'SEQUENCE_MISMATCH')) retry()
 * if (isZrError(e, 'MPC_ABORT') && e.context.party !== undefined) exclude(e.context.party)
 * ```
 */
export function isZrError<C extends ZrErrorCode = ZrErrorCode>(err: unknown, code?: C): err is ZrError<C> {
  if (!(err instanceof Error)) return false
  const c = (err as { code?: unknown }).code
  if (typeof c !== 'string' || (err as { name?: string }).name !== 'ZrError') return false
  return code === undefined || c === code
}

/**
 * Rebuilds a ZrError from its {@link ZrError.toJSON} form (e.g. received from another process), and
 * from the form older versions wrote (`meta` in place of `context`). Throws `MALFORMED_MESSAGE` for
 * anything without a string `code` and `shortMessage`, or whose `context` is not an object.
 *
 * @example
 * ```ts
 * import { zrErrorFromJSON } from '@zrkit/core'
 * const err = zrErrorFromJSON(JSON.parse(line)) // err.code, err.details as sent
 * ```
 */
export function zrErrorFromJSON(json: { code: ZrErrorCode; shortMessage: string; details?: string; context?: Record<string, unknown>; meta?: Record<string, unknown> }): ZrError {
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
            : j.context !== undefined && (j.context === null || typeof j.context !== 'object')
              ? `context as an object, got ${describeValue(j.context)}`
              : j.meta !== undefined && (j.meta === null || typeof j.meta !== 'object')
                ? `meta as an object, got ${describeValue(j.meta)}`
                : undefined
  if (problem) throw new ZrError('MALFORMED_MESSAGE', 'Invalid serialised ZrError.', { details: `expected ${problem}` })
  const context = (j.context ?? j.meta) as Record<string, unknown> | undefined
  return new ZrError(j.code as ZrErrorCode, j.shortMessage as string, { details: j.details as string | undefined, context: context as ZrErrorContextOf<ZrErrorCode> | undefined })
}
