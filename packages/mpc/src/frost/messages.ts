import { ZrError } from '@zrkit/core'
import { canonicalParse, canonicalStringify } from '@zrkit/core/internal'

/** Encodes a protocol message for the wire (canonical JSON: bytes and bigints survive). */
export function encodeMessage(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalStringify(value))
}

/** Decodes a protocol message; a malformed one is blamed on its sender. */
export function decodeMessage<T>(bytes: Uint8Array, from: string, what: string, check: (v: unknown) => v is T): T {
  let value: unknown
  try {
    value = canonicalParse(new TextDecoder().decode(bytes))
  } catch {
    value = undefined
  }
  if (!check(value)) throw misbehaved(from, `sent a malformed ${what}`)
  return value
}

/** A protocol abort that names the party at fault. */
export function misbehaved(party: string, what: string): ZrError {
  return new ZrError('MPC_ABORT', `Party ${party} ${what}.`, { details: `the protocol was aborted; ${party} is excluded from this run`, context: { party } })
}

export const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array
export const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array)
