import { encodeSegwitAddress } from '@zrkit/core'
import { concatBytes } from '@zrkit/core/internal'
import { sha256 } from '@noble/hashes/sha2.js'
import { createBase58check } from '@scure/base'
import type { BitcoinAddressFormat } from './decoderNetworks.js'

/**
 * Base58check (double SHA-256 checksum), the encoding of P2PKH and P2SH addresses.
 *
 * @example
 * ```ts
 * import { base58check } from './outputAddress.js'
 * base58check.encode(Uint8Array.of(0x00, ...keyHash20)) // '1...'
 * ```
 */
export const base58check = createBase58check(sha256)

/**
 * The address a scriptPubKey pays to on a network, for the standard output types only: P2PKH and P2SH
 * (base58check with the network's versions), P2WPKH and P2WSH (bech32), P2TR (bech32m, a 32-byte
 * witness v1 program). `undefined` for any other script: OP_RETURN, bare multisig, P2PK, other witness
 * versions or lengths (which no wallet pays to today): the decoder reports those as calls.
 *
 * @example
 * ```ts
 * import { outputAddress } from './outputAddress.js'
 * outputAddress(script, { name: 'mainnet', hrp: 'bc', p2pkh: 0x00, p2sh: 0x05 }) // 'bc1q...', '1...', '3...' or undefined
 * ```
 */
export function outputAddress(script: Uint8Array, format: BitcoinAddressFormat): string | undefined {
  const n = script.length
  // OP_DUP OP_HASH160 <20> OP_EQUALVERIFY OP_CHECKSIG
  if (n === 25 && script[0] === 0x76 && script[1] === 0xa9 && script[2] === 0x14 && script[23] === 0x88 && script[24] === 0xac) {
    return base58check.encode(concatBytes(Uint8Array.of(format.p2pkh), script.subarray(3, 23)))
  }
  // OP_HASH160 <20> OP_EQUAL
  if (n === 23 && script[0] === 0xa9 && script[1] === 0x14 && script[22] === 0x87) {
    return base58check.encode(concatBytes(Uint8Array.of(format.p2sh), script.subarray(2, 22)))
  }
  // OP_0 <20 or 32>, OP_1 <32>
  if (script[0] === 0x00 && script[1] === n - 2 && (n === 22 || n === 34)) return encodeSegwitAddress(format.hrp, 0, script.subarray(2))
  if (script[0] === 0x51 && script[1] === 0x20 && n === 34) return encodeSegwitAddress(format.hrp, 1, script.subarray(2))
  return undefined
}
