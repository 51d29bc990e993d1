import { invalidTransaction } from './invalidTransaction.js'

/**
 * A cursor over bytes that reads Bitcoin's little-endian integers and canonical CompactSize lengths,
 * and refuses (`INVALID_TRANSACTION`, naming `field`) any read past the end.
 *
 * @example
 * ```ts
 * import { byteReader } from './byteReader.js'
 * const r = byteReader(bytes, 'unsignedTx')
 * const version = r.u32()
 * const inputs = r.compactSize('input count')
 * ```
 */
export type ByteReader = {
  /** Bytes read so far. */
  readonly offset: () => number
  /** Bytes left. */
  readonly remaining: () => number
  readonly u8: (what: string) => number
  readonly u32: (what: string) => number
  /** An unsigned 64-bit integer (an amount) as a bigint. */
  readonly u64: (what: string) => bigint
  /** A CompactSize in its shortest encoding, at most `max` (2^32 - 1 unless given). */
  readonly compactSize: (what: string, max?: number) => number
  /** The next `length` bytes (a view, not a copy). */
  readonly bytes: (length: number, what: string) => Uint8Array
  /** A CompactSize length and that many bytes. */
  readonly varBytes: (what: string) => Uint8Array
  /** Throws unless every byte was read. */
  readonly end: (what: string) => void
}

/**
 * A {@link ByteReader} over `data`; errors name `field`.
 *
 * @example
 * ```ts
 * import { byteReader } from './byteReader.js'
 * byteReader(Uint8Array.of(0xfd, 0x03, 0x00), 'psbt').compactSize('key length') // throws: not the shortest encoding
 * ```
 */
export function byteReader(data: Uint8Array, field: string): ByteReader {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  let pos = 0
  const take = (n: number, what: string): number => {
    if (n > data.length - pos) throw invalidTransaction(`${n} more byte(s) for ${what}`, `${data.length - pos} (the data ends at byte ${data.length})`, field)
    const at = pos
    pos += n
    return at
  }
  const u8 = (what: string) => data[take(1, what)]!
  const u32 = (what: string) => view.getUint32(take(4, what), true)
  const u64 = (what: string) => view.getBigUint64(take(8, what), true)
  const compactSize = (what: string, max = 0xffffffff): number => {
    const first = u8(what)
    if (first < 0xfd) return check(first, max, what)
    if (first === 0xff) {
      const big = u64(what)
      if (big < 0x100000000n) throw invalidTransaction(`${what} as a CompactSize in its shortest encoding`, `${big} in 9 bytes`, field)
      throw invalidTransaction(`${what} of at most ${max}`, `${big}`, field)
    }
    const n = first === 0xfd ? view.getUint16(take(2, what), true) : u32(what)
    const min = first === 0xfd ? 0xfd : 0x10000
    if (n < min) throw invalidTransaction(`${what} as a CompactSize in its shortest encoding`, `${n} in ${first === 0xfd ? 3 : 5} bytes`, field)
    return check(n, max, what)
  }
  const check = (n: number, max: number, what: string): number => {
    if (n > max) throw invalidTransaction(`${what} of at most ${max}`, `${n}`, field)
    return n
  }
  const bytes = (length: number, what: string) => {
    const at = take(length, what)
    return data.subarray(at, at + length)
  }
  return {
    offset: () => pos,
    remaining: () => data.length - pos,
    u8,
    u32,
    u64,
    compactSize,
    bytes,
    varBytes: (what) => bytes(compactSize(`the length of ${what}`), what),
    end: (what) => {
      if (pos !== data.length) throw invalidTransaction(`the end of ${what}`, `${data.length - pos} more byte(s)`, field)
    },
  }
}
