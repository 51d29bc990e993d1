import { type KeyType, ZrError, decodeSegwitAddress, encodeSegwitAddress, p2wpkhAddress, taprootOutputKey, toHex } from '@zrkit/core'
import { concatBytes, equalBytes } from '@zrkit/core/internal'
import { ripemd160 } from '@noble/hashes/legacy.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { address as btcAddress } from 'bitcoinjs-lib'
import { type BitcoinNetworkParams, networksOfAddress } from './networks.js'

/** How the relayer spends a key's coins: P2WPKH for ECDSA keys, P2TR key path (BIP86) for Schnorr keys. */
export type SpendType = 'p2wpkh' | 'p2tr'

/**
 * The key types the Bitcoin relayer signs with.
 *
 * @example
 * ```ts
 * import { bitcoinKeyTypes } from '@zrkit/relayer-bitcoin'
 * bitcoinKeyTypes.includes(key.keyType)
 * ```
 */
export const bitcoinKeyTypes: readonly KeyType[] = Object.freeze(['bitcoin-secp256k1', 'ecdsa-secp256k1', 'schnorr-secp256k1'] as const)

/**
 * The spend type of a key type: `p2wpkh` for `bitcoin-secp256k1` and `ecdsa-secp256k1` (the same
 * threshold ECDSA; the first is the one zrChain names for Bitcoin), `p2tr` for `schnorr-secp256k1`.
 * Throws `UNSUPPORTED_KEY_TYPE` for any other key type.
 *
 * @example
 * ```ts
 * import { spendTypeOf } from '@zrkit/relayer-bitcoin'
 * spendTypeOf('schnorr-secp256k1') // 'p2tr'
 * ```
 */
export function spendTypeOf(keyType: KeyType): SpendType {
  if (keyType === 'bitcoin-secp256k1' || keyType === 'ecdsa-secp256k1') return 'p2wpkh'
  if (keyType === 'schnorr-secp256k1') return 'p2tr'
  throw new ZrError('UNSUPPORTED_KEY_TYPE', 'The Bitcoin relayer cannot spend with this key.', {
    details: `expected a key of type ${bitcoinKeyTypes.join(', ')}, got ${String(keyType)}`,
    context: { keyType },
  })
}

/** The witness program of a key's output: hash160 of the key (P2WPKH) or the BIP86 taproot output key (P2TR). */
export type KeyOutput = {
  readonly type: SpendType
  /** The scriptPubKey: `0014{hash160}` or `5120{output key}`. */
  readonly script: Uint8Array
  /** The 33-byte compressed key that signs P2WPKH, or the 32-byte x-only internal key of a P2TR output (absent when only the output key is known). */
  readonly internalKey?: Uint8Array
}

/**
 * The output a key's coins sit in. For a P2TR key, `publicKey` is the internal key (the key's own, or
 * its child's), or with `outputKey: true` the BIP341 output key (33 bytes, parity first), as a taproot
 * signature request names it.
 *
 * @example
 * ```ts
 * import { keyOutput } from '@zrkit/relayer-bitcoin'
 * keyOutput('bitcoin-secp256k1', key.publicKey).script // 0014...
 * ```
 */
export function keyOutput(keyType: KeyType, publicKey: Uint8Array, options: { outputKey?: boolean } = {}): KeyOutput {
  const type = spendTypeOf(keyType)
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 33) {
    throw new ZrError('INVALID_PUBLIC_KEY', 'Invalid secp256k1 public key.', { details: `expected a 33-byte compressed key, got ${publicKey instanceof Uint8Array ? `${publicKey.length} bytes` : typeof publicKey}` })
  }
  if (type === 'p2wpkh') return { type, script: concatBytes(Uint8Array.of(0x00, 0x14), ripemd160(sha256(publicKey))), internalKey: publicKey }
  if (options.outputKey) return { type, script: concatBytes(Uint8Array.of(0x51, 0x20), publicKey.subarray(1)) }
  return { type, script: concatBytes(Uint8Array.of(0x51, 0x20), taprootOutputKey(publicKey).outputKey), internalKey: publicKey.slice(1) }
}

/**
 * The address of a key's output on a network: `bc1q...` / `tb1q...` for ECDSA keys, `bc1p...` /
 * `tb1p...` for Schnorr keys (BIP86 taproot).
 *
 * @example
 * ```ts
 * import { bitcoinNetworkParams, keyAddress } from '@zrkit/relayer-bitcoin'
 * keyAddress('schnorr-secp256k1', key.publicKey, bitcoinNetworkParams('signet')) // 'tb1p...'
 * ```
 */
export function keyAddress(keyType: KeyType, publicKey: Uint8Array, params: BitcoinNetworkParams): string {
  const out = keyOutput(keyType, publicKey)
  return out.type === 'p2wpkh' ? p2wpkhAddress(publicKey, { hrp: params.hrp }) : encodeSegwitAddress(params.hrp, 1, out.script.subarray(2))
}

/**
 * The scriptPubKey an address pays to on a network. Segwit addresses of any witness version (bech32,
 * bech32m) and base58 P2PKH / P2SH addresses are accepted. Throws `INVALID_ADDRESS` for an address
 * that is malformed or belongs to another network, saying which network it looks like.
 *
 * @example
 * ```ts
 * import { addressToScript, bitcoinNetworkParams } from '@zrkit/relayer-bitcoin'
 * addressToScript('tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx', bitcoinNetworkParams('testnet4'))
 * ```
 */
export function addressToScript(address: string, params: BitcoinNetworkParams): Uint8Array {
  if (typeof address !== 'string' || address.length === 0 || address.length > 100) {
    throw new ZrError('INVALID_ADDRESS', 'Invalid Bitcoin address.', { details: `expected a ${params.name} address, got ${typeof address === 'string' ? JSON.stringify(address.slice(0, 100)) : typeof address}` })
  }
  const lower = address.toLowerCase()
  if (lower.startsWith(`${params.hrp}1`)) {
    let decoded: ReturnType<typeof decodeSegwitAddress>
    try {
      decoded = decodeSegwitAddress(address, params.hrp)
    } catch (cause) {
      throw new ZrError('INVALID_ADDRESS', 'Invalid Bitcoin address.', { details: `${JSON.stringify(address)}: ${(cause as ZrError).details ?? 'not a segwit address'}`, cause })
    }
    return concatBytes(Uint8Array.of(decoded.version === 0 ? 0x00 : 0x50 + decoded.version, decoded.program.length), decoded.program)
  }
  try {
    return Uint8Array.from(btcAddress.toOutputScript(address, params.network))
  } catch (cause) {
    const others = networksOfAddress(address).filter((n) => n !== params.name)
    const looksLike = others.length ? ` (it looks like a ${others.join(' / ')} address)` : ''
    throw new ZrError('INVALID_ADDRESS', others.length ? 'The address is for another Bitcoin network.' : 'Invalid Bitcoin address.', {
      details: `expected a ${params.name} address (bech32 prefix "${params.hrp}1", or base58), got ${JSON.stringify(address)}${looksLike}`,
      context: { address, network: params.name, ...(others.length ? { addressNetworks: others } : {}) },
      cause,
    })
  }
}

/**
 * The address of a scriptPubKey on a network, or `undefined` for scripts without one (OP_RETURN data,
 * bare scripts).
 *
 * @example
 * ```ts
 * import { bitcoinNetworkParams, scriptToAddress } from '@zrkit/relayer-bitcoin'
 * scriptToAddress(script, bitcoinNetworkParams('mainnet')) // 'bc1q...'
 * ```
 */
export function scriptToAddress(script: Uint8Array, params: BitcoinNetworkParams): string | undefined {
  const v = script[0]
  const len = script[1]
  if (script.length >= 4 && script.length <= 42 && len === script.length - 2 && (v === 0x00 || (v !== undefined && v >= 0x51 && v <= 0x60))) {
    try {
      return encodeSegwitAddress(params.hrp, v === 0x00 ? 0 : v - 0x50, script.subarray(2))
    } catch {
      return undefined
    }
  }
  try {
    return btcAddress.fromOutputScript(script, params.network)
  } catch {
    return undefined
  }
}

/** True when two scripts are byte-equal. */
export function sameScript(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && equalBytes(a, b)
}
