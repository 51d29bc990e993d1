import { keccak_256 } from '@noble/hashes/sha3.js'
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js'
import { describeValue } from '../errors/describeValue.js'
import { ZrError } from '../errors/ZrError.js'
import { secp256k1Point } from './publicKeys.js'

/**
 * The EVM address of a secp256k1 public key: the last 20 bytes of keccak256 over the 64-byte
 * uncompressed point x||y, as an EIP-55 checksummed `0x...` string. Takes the 33-byte compressed or
 * the 65-byte uncompressed (`04`-prefixed) form; throws `INVALID_PUBLIC_KEY` for anything else.
 *
 * @example
 * ```ts
 * import { publicKeyToEvmAddress } from '@zrkit/core'
 * publicKeyToEvmAddress(key.publicKey) // '0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf' for private key 1
 * ```
 */
export function publicKeyToEvmAddress(publicKey: Uint8Array): `0x${string}` {
  const uncompressed = secp256k1Point(publicKey).toBytes(false)
  const hash = keccak_256(uncompressed.subarray(1))
  return checksum(bytesToHex(hash.subarray(12)))
}

/**
 * The EIP-55 mixed-case checksum form of an EVM address. Takes `0x` and 40 hex digits in any case;
 * throws `INVALID_ADDRESS` otherwise.
 *
 * @example
 * ```ts
 * import { toChecksumAddress } from '@zrkit/core'
 * toChecksumAddress('0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359') // '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359'
 * ```
 */
export function toChecksumAddress(address: string): `0x${string}` {
  if (typeof address !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(address)) {
    throw new ZrError('INVALID_ADDRESS', 'Invalid EVM address.', {
      details: `expected "0x" and 40 hex digits, got ${describeValue(address)}`,
    })
  }
  return checksum(address.slice(2).toLowerCase())
}

/** EIP-55: upper-case the i-th hex letter when the i-th nibble of keccak256(lower-case hex) is >= 8. */
function checksum(lowerHex: string): `0x${string}` {
  const hash = keccak_256(utf8ToBytes(lowerHex))
  let out = '0x'
  for (let i = 0; i < 40; i++) {
    const c = lowerHex[i] as string
    const nibble = ((hash[i >> 1] as number) >> (i % 2 === 0 ? 4 : 0)) & 0x0f
    out += nibble >= 8 ? c.toUpperCase() : c
  }
  return out as `0x${string}`
}
