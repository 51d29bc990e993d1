import { ZrError, decodeSegwitAddress, describeValue, encodeSegwitAddress } from '@zrkit/core'
import { base58check } from './outputAddress.js'

const segwitHrps = ['bc', 'tb', 'bcrt']
const segwitPrefixes = segwitHrps.map((hrp) => `${hrp}1`)
/** Base58 versions: P2PKH and P2SH on mainnet, then on testnet, signet and regtest. */
const base58Versions = [0x00, 0x05, 0x6f, 0xc4]
const expected = 'a Bitcoin address: segwit (bc1, tb1 or bcrt1, bech32 or bech32m) or base58check P2PKH / P2SH'

/**
 * The canonical form of a Bitcoin address, as the decoder writes addresses in `from` and `to`: a
 * segwit address (prefix `bc`, `tb` or `bcrt`, checksum and program checked) in lower case; a
 * base58check P2PKH or P2SH address (version 0x00, 0x05, 0x6f or 0xc4, checksum checked) as it is.
 * Throws `INVALID_INPUT` for anything else.
 *
 * @example
 * ```ts
 * import { normalizeBitcoinAddress } from './normalizeBitcoinAddress.js'
 * normalizeBitcoinAddress('BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4') // 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4'
 * normalizeBitcoinAddress('1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2') // unchanged
 * ```
 */
export function normalizeBitcoinAddress(address: string): string {
  if (typeof address !== 'string' || address.length === 0 || address.length > 90) {
    throw new ZrError('INVALID_INPUT', 'Invalid Bitcoin address.', { details: `expected ${expected}, got ${describeValue(address)}` })
  }
  const lower = address.toLowerCase()
  if (segwitPrefixes.some((p) => lower.startsWith(p))) {
    try {
      const { hrp, version, program } = decodeSegwitAddress(address)
      if (!segwitHrps.includes(hrp)) throw new ZrError('INVALID_ADDRESS', 'Invalid segwit address.', { details: `prefix "${hrp}" is not bc, tb or bcrt` })
      return encodeSegwitAddress(hrp, version, program)
    } catch (cause) {
      const why = cause instanceof ZrError && cause.details ? ` (${cause.details})` : ''
      throw new ZrError('INVALID_INPUT', 'Invalid Bitcoin address.', { details: `expected ${expected}, got ${JSON.stringify(address)}${why}`, cause })
    }
  }
  let payload: Uint8Array | undefined
  try {
    payload = base58check.decode(address)
  } catch {
    payload = undefined
  }
  if (!payload || payload.length !== 21 || !base58Versions.includes(payload[0]!) || base58check.encode(payload) !== address) {
    const why = !payload ? 'not base58check' : payload.length !== 21 ? `a ${payload.length}-byte base58check payload` : `base58 version 0x${payload[0]!.toString(16).padStart(2, '0')}`
    throw new ZrError('INVALID_INPUT', 'Invalid Bitcoin address.', { details: `expected ${expected}, got ${JSON.stringify(address)} (${why})` })
  }
  return address
}
