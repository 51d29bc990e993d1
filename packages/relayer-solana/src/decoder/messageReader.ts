import { invalidTransaction } from './invalidTransaction.js'

/**
 * A cursor over a Solana message's bytes that refuses, with `INVALID_TRANSACTION`, anything it cannot
 * read exactly: a read past the end, or a compact-u16 length that is not in its one canonical form.
 *
 * @example
 * ```ts
 * import { type MessageReader, createMessageReader } from './messageReader.js'
 * const reader: MessageReader = createMessageReader(bytes)
 * const keys = reader.compactU16('accountKeys')
 * ```
 */
export type MessageReader = {
  /** Where the next read starts. */
  readonly offset: () => number
  /** Bytes left to read. */
  readonly remaining: () => number
  /** One byte. */
  readonly u8: (field: string) => number
  /** `length` bytes (a copy). */
  readonly bytes: (length: number, field: string) => Uint8Array
  /** A compact-u16 ("shortvec") length: 1 to 3 bytes, 7 bits each, least significant first. */
  readonly compactU16: (field: string) => number
}

/**
 * Reads `bytes` front to back. A compact-u16 must be minimal (no `0x80 0x00` for 0, no zero last byte
 * after the first) and at most 0xffff (a third byte of 0..3 without a continuation bit): the rules the
 * Solana runtime's own decoder applies, so one value has exactly one encoding.
 *
 * @example
 * ```ts
 * import { createMessageReader } from './messageReader.js'
 * const reader = createMessageReader(new Uint8Array([0x80, 0x01, 7]))
 * reader.compactU16('accountKeys') // 128
 * reader.u8('header')              // 7
 * reader.remaining()               // 0
 * ```
 */
export function createMessageReader(bytes: Uint8Array): MessageReader {
  let offset = 0
  const plural = (n: number) => `${n} byte${n === 1 ? '' : 's'}`
  const truncated = (field: string, wanted: number) => invalidTransaction(field, `${plural(wanted)} more at offset ${offset} (${field})`, `${plural(bytes.length - offset)} (the message ends there)`)

  const u8 = (field: string): number => {
    const b = bytes[offset]
    if (b === undefined) throw truncated(field, 1)
    offset += 1
    return b
  }

  return {
    offset: () => offset,
    remaining: () => bytes.length - offset,
    u8,
    bytes: (length, field) => {
      if (length > bytes.length - offset) throw truncated(field, length)
      const out = bytes.slice(offset, offset + length)
      offset += length
      return out
    },
    compactU16: (field) => {
      const start = offset
      let value = 0
      for (let i = 0; i < 3; i++) {
        const b = u8(field)
        if (i === 2 && b > 0x03) throw invalidTransaction(field, `a compact-u16 length of at most 0xffff at offset ${start} (${field})`, `third byte 0x${b.toString(16).padStart(2, '0')}`)
        value |= (b & 0x7f) << (7 * i)
        if ((b & 0x80) === 0) {
          if (i > 0 && b === 0) throw invalidTransaction(field, `a minimal compact-u16 length at offset ${start} (${field})`, `${i + 1} bytes ending in 0x00`)
          return value
        }
      }
      /* c8 ignore next: the third byte is at most 0x03, so the loop always returns */
      throw invalidTransaction(field, 'a compact-u16 length', 'a longer encoding')
    },
  }
}
