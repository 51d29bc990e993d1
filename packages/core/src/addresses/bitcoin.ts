import { secp256k1 } from '@noble/curves/secp256k1.js'
import { ripemd160 } from '@noble/hashes/legacy.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToNumberBE } from '@noble/curves/utils.js'
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js'
import { bech32, bech32m } from '@scure/base'
import { describeValue } from '../errors/describeValue.js'
import { ZrError } from '../errors/ZrError.js'
import { compressSecp256k1 } from './publicKeys.js'
import { type BitcoinNetwork, assertHrp, bitcoinHrp } from './walletTypes.js'

/**
 * Options of {@link p2wpkhAddress} and {@link p2trAddress}.
 *
 * @example
 * ```ts
 * import { type BitcoinAddressOptions, p2trAddress } from '@zrkit/core'
 * const options: BitcoinAddressOptions = { network: 'regtest' }
 * p2trAddress(key.publicKey, options) // 'bcrt1p...'
 * ```
 */
export type BitcoinAddressOptions = {
  /** Defaults to `mainnet`. */
  network?: BitcoinNetwork
  /** A bech32 prefix that replaces the one the network implies (e.g. `rb` for bcoin regtest). */
  hrp?: string
}

/**
 * The BIP341 output key of a P2TR output and what it took to make it.
 *
 * @example
 * ```ts
 * import { type TaprootOutputKey, taprootOutputKey } from '@zrkit/core'
 * const { outputKey, parity, tweak }: TaprootOutputKey = taprootOutputKey(key.publicKey)
 * ```
 */
export type TaprootOutputKey = {
  /** The 32-byte x-only output key Q (the witness v1 program). */
  outputKey: Uint8Array
  /** 1 when Q has an odd y coordinate. */
  parity: 0 | 1
  /** The tweak t = int(hash_TapTweak(P_x || merkleRoot)); Q = lift_x(P_x) + tG. */
  tweak: bigint
}

const Point = secp256k1.Point
const curveOrder = Point.Fn.ORDER

/**
 * hash160 of bytes: ripemd160(sha256(data)), the key hash of P2PKH, P2WPKH and Zcash transparent
 * addresses.
 *
 * @example
 * ```ts
 * import { hash160 } from './bitcoin.js'
 * hash160(compressedKey) // 20 bytes
 * ```
 */
export function hash160(data: Uint8Array): Uint8Array {
  return ripemd160(sha256(data))
}

const tagHashes = new Map<string, Uint8Array>()

/**
 * The BIP340 tagged hash: sha256(sha256(tag) || sha256(tag) || message parts...). Throws
 * `INVALID_INPUT` unless `tag` is a string and every message part is bytes.
 *
 * @example
 * ```ts
 * import { taggedHash } from '@zrkit/core'
 * taggedHash('TapTweak', internalKeyX) // 32 bytes
 * ```
 */
export function taggedHash(tag: string, ...messages: Uint8Array[]): Uint8Array {
  if (typeof tag !== 'string') throw new ZrError('INVALID_INPUT', 'Invalid tag.', { details: `expected a string, got ${describeValue(tag)}` })
  messages.forEach((m, i) => {
    if (!(m instanceof Uint8Array)) throw new ZrError('INVALID_INPUT', 'Invalid tagged hash message.', { details: `part ${i}: expected bytes, got ${describeValue(m)}` })
  })
  let tagHash = tagHashes.get(tag)
  if (!tagHash) {
    tagHash = sha256(utf8ToBytes(tag))
    tagHashes.set(tag, tagHash)
  }
  return sha256(concatBytes(tagHash, tagHash, ...messages))
}

/**
 * Encodes a native segwit address (BIP173 / BIP350): bech32 for witness version 0, bech32m for 1..16.
 * Throws `INVALID_INPUT` for a bad prefix, version, or program length (2..40 bytes; 20 or 32 for v0).
 *
 * @example
 * ```ts
 * import { encodeSegwitAddress } from '@zrkit/core'
 * encodeSegwitAddress('bc', 0, keyHash20) // 'bc1q...'
 * ```
 */
export function encodeSegwitAddress(hrp: string, version: number, program: Uint8Array): string {
  assertHrp(hrp, 'segwit address prefix')
  if (!Number.isInteger(version) || version < 0 || version > 16) {
    throw new ZrError('INVALID_INPUT', 'Invalid witness version.', { details: `expected 0..16, got ${describeValue(version)}` })
  }
  const problem = programProblem(version, program)
  if (problem) throw new ZrError('INVALID_INPUT', 'Invalid witness program.', { details: problem })
  const words = [version, ...bech32.toWords(program)]
  try {
    return version === 0 ? bech32.encode(hrp, words) : bech32m.encode(hrp, words)
  } catch (cause) {
    throw new ZrError('INVALID_INPUT', 'Invalid segwit address.', { details: `${hrp} is too long for a ${program.length}-byte program`, cause })
  }
}

/**
 * Decodes a native segwit address (BIP173 / BIP350) into its prefix, witness version and program.
 * Checks the checksum variant (bech32 for v0, bech32m for v1+), the program length and, when given,
 * the prefix; throws `INVALID_ADDRESS` otherwise. The prefix comes back lower-case.
 *
 * @example
 * ```ts
 * import { decodeSegwitAddress } from '@zrkit/core'
 * decodeSegwitAddress('bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0', 'bc')
 * // { hrp: 'bc', version: 1, program: <79be667e...> }
 * ```
 */
export function decodeSegwitAddress(address: string, expectedHrp?: string): { hrp: string; version: number; program: Uint8Array } {
  const fail = (details: string): never => {
    throw new ZrError('INVALID_ADDRESS', 'Invalid segwit address.', { details })
  }
  if (expectedHrp !== undefined) assertHrp(expectedHrp, 'expected segwit address prefix')
  if (typeof address !== 'string') return fail(`expected a string, got ${describeValue(address)}`)
  const v0 = bech32.decodeUnsafe(address)
  const decoded = v0 ?? bech32m.decodeUnsafe(address)
  if (!decoded) return fail(`not a valid bech32 or bech32m string: ${JSON.stringify(address)}`)
  const [version, ...data] = decoded.words
  if (version === undefined) return fail(`empty data part in ${JSON.stringify(address)}`)
  if (version > 16) return fail(`witness version ${version} is not 0..16 in ${JSON.stringify(address)}`)
  if (version === 0 && !v0) return fail(`witness version 0 needs a bech32 checksum, got bech32m in ${JSON.stringify(address)}`)
  if (version !== 0 && v0) return fail(`witness version ${version} needs a bech32m checksum, got bech32 in ${JSON.stringify(address)}`)
  const program = bech32.fromWordsUnsafe(data)
  if (!program) return fail(`bad padding in the witness program of ${JSON.stringify(address)}`)
  const problem = programProblem(version, program)
  if (problem) return fail(`${problem} in ${JSON.stringify(address)}`)
  if (expectedHrp !== undefined && decoded.prefix !== expectedHrp) return fail(`expected prefix "${expectedHrp}", got "${decoded.prefix}"`)
  return { hrp: decoded.prefix, version, program }
}

/**
 * The P2WPKH (segwit v0) address of a secp256k1 public key: bech32 of hash160 of the compressed key.
 * Network defaults to mainnet (`bc1q...`); `hrp` overrides the network's prefix.
 *
 * @example
 * ```ts
 * import { p2wpkhAddress } from '@zrkit/core'
 * p2wpkhAddress(key.publicKey) // 'bc1q...'
 * p2wpkhAddress(key.publicKey, { network: 'regtest' }) // 'bcrt1q...'
 * p2wpkhAddress(key.publicKey, { hrp: 'rb' }) // 'rb1q...' (bcoin regtest)
 * ```
 */
export function p2wpkhAddress(publicKey: Uint8Array, options: BitcoinAddressOptions = {}): string {
  const hrp = resolveHrp(options)
  return encodeSegwitAddress(hrp, 0, hash160(compressSecp256k1(publicKey)))
}

/**
 * The BIP341 taproot output key for an internal key and an optional script tree root:
 * t = int(hash_TapTweak(P_x || merkleRoot)), Q = lift_x(P_x) + tG. With no `merkleRoot` this is the
 * BIP86 key-path-only output key. The internal key may be 32-byte x-only or a 33-/65-byte SEC1 point
 * (only its x coordinate counts). Returns Q's x coordinate, Q's y parity and t, which a key-path signer
 * needs to tweak the private key. Throws `INVALID_PUBLIC_KEY` for a bad key, `INVALID_INPUT` for a
 * merkle root that is not 32 bytes or a tweak that is out of range or gives the point at infinity.
 *
 * @example
 * ```ts
 * import { taprootOutputKey } from '@zrkit/core'
 * const { outputKey, parity, tweak } = taprootOutputKey(key.publicKey)
 * ```
 */
export function taprootOutputKey(internalKey: Uint8Array, merkleRoot?: Uint8Array): TaprootOutputKey {
  const P = liftInternalKey(internalKey)
  const px = P.toBytes(true).subarray(1)
  if (merkleRoot !== undefined && (!(merkleRoot instanceof Uint8Array) || merkleRoot.length !== 32)) {
    throw new ZrError('INVALID_INPUT', 'Invalid taproot merkle root.', { details: `expected 32 bytes, got ${describe(merkleRoot)}` })
  }
  const tweak = bytesToNumberBE(merkleRoot ? taggedHash('TapTweak', px, merkleRoot) : taggedHash('TapTweak', px))
  if (tweak >= curveOrder) {
    throw new ZrError('INVALID_INPUT', 'Invalid taproot tweak.', { details: 'the TapTweak hash is not below the curve order' })
  }
  const Q = tweak === 0n ? P : P.add(Point.BASE.multiply(tweak))
  if (Q.is0()) {
    throw new ZrError('INVALID_INPUT', 'Invalid taproot tweak.', { details: 'the tweaked output key is the point at infinity' })
  }
  const q = Q.toBytes(true)
  return { outputKey: q.slice(1), parity: q[0] === 0x03 ? 1 : 0, tweak }
}

/**
 * The P2TR key-path address (BIP86: no script tree) of a secp256k1 public key: bech32m witness v1
 * over {@link taprootOutputKey}'s output key. The key may be 32-byte x-only or a 33-/65-byte point.
 * Network defaults to mainnet (`bc1p...`); `hrp` overrides the network's prefix.
 *
 * @example
 * ```ts
 * import { p2trAddress } from '@zrkit/core'
 * p2trAddress(key.publicKey) // 'bc1p...'
 * p2trAddress(key.publicKey, { network: 'signet' }) // 'tb1p...'
 * ```
 */
export function p2trAddress(publicKey: Uint8Array, options: BitcoinAddressOptions = {}): string {
  const hrp = resolveHrp(options)
  return encodeSegwitAddress(hrp, 1, taprootOutputKey(publicKey).outputKey)
}

function resolveHrp(options: BitcoinAddressOptions): string {
  if (options === null || typeof options !== 'object') {
    throw new ZrError('INVALID_INPUT', 'Invalid Bitcoin address options.', { details: `expected { network?, hrp? }, got ${describeValue(options)}` })
  }
  if (options.hrp !== undefined) return assertHrp(options.hrp, 'Bitcoin address prefix')
  return bitcoinHrp(options.network ?? 'mainnet')
}

/** lift_x of the internal key's x coordinate: the point with that x and an even y (BIP340). */
function liftInternalKey(internalKey: Uint8Array): InstanceType<typeof Point> {
  const len = internalKey instanceof Uint8Array ? internalKey.length : -1
  if (len !== 32 && len !== 33 && len !== 65) {
    throw new ZrError('INVALID_PUBLIC_KEY', 'Invalid taproot internal key.', {
      details: `expected a 32-byte x-only key or a 33-/65-byte secp256k1 point, got ${describe(internalKey)}`,
    })
  }
  try {
    const x = len === 32 ? internalKey : Point.fromBytes(internalKey).toBytes(true).subarray(1)
    return Point.fromBytes(concatBytes(Uint8Array.of(0x02), x))
  } catch (cause) {
    throw new ZrError('INVALID_PUBLIC_KEY', 'Invalid taproot internal key.', {
      details: `expected a point on secp256k1, got ${len} bytes that are not one`,
      cause,
    })
  }
}

function programProblem(version: number, program: unknown): string | undefined {
  if (!(program instanceof Uint8Array)) return `expected program bytes, got ${typeof program}`
  if (program.length < 2 || program.length > 40) return `expected a 2..40-byte program, got ${program.length} bytes`
  if (version === 0 && program.length !== 20 && program.length !== 32) return `expected a 20- or 32-byte program for witness version 0, got ${program.length} bytes`
  return undefined
}

const describe = describeValue
