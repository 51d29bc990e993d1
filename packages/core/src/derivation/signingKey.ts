import { secp256k1 } from '@noble/curves/secp256k1.js'
import { ed25519 } from '@noble/curves/ed25519.js'
import { taprootOutputKey } from '../addresses/bitcoin.js'
import { ed25519Point, secp256k1Point } from '../addresses/publicKeys.js'
import { concatBytes } from '../encoding/bytes.js'
import { describeValue } from '../errors/describeValue.js'
import { ZrError } from '../errors/ZrError.js'
import type { KeyType } from '../ledger/types.js'
import { assertKeyType } from './assertKeyType.js'
import { type DerivationPath, type DerivationSegment, parseDerivationPath } from './derivationPath.js'
import { checkScalar, deriveKey } from './deriveKey.js'

/** A taproot key-path spend: sign for the BIP341 output key (BIP86 when there is no script tree). */
export type TaprootSpend = {
  /** Root of the script tree; absent for a key-path-only output (BIP86). */
  readonly merkleRoot?: Uint8Array
}

/**
 * The key that signs a request, and how a keyring gets its secret from the key's secret `s`:
 * `secret' = (negate ? -s : s) + tweak` (mod the group order). FROST parties apply the same to their
 * shares, verifying shares and group key.
 */
export type SigningKey = {
  /** 33-byte compressed secp256k1 point, or 32-byte ed25519 point. */
  readonly publicKey: Uint8Array
  readonly path: readonly DerivationSegment[]
  readonly taproot?: TaprootSpend
  readonly negate: boolean
  readonly tweak: bigint
}

const secpN = secp256k1.Point.CURVE().n
const edL = ed25519.Point.CURVE().n

/**
 * The signing key of a request: the key itself, the child at `path` (see `deriveKey`), and for a
 * taproot spend the BIP341 output key of that (BIP340 lifts the internal key to even y, hence `negate`).
 * A secp256k1 key may come compressed (33 bytes) or uncompressed (65 bytes); the signing key is always
 * the 33-byte compressed point, the same for both forms. Throws `UNSUPPORTED_KEY_TYPE` for an unknown
 * key type (or taproot with a key type other than Schnorr), `INVALID_PUBLIC_KEY` for bytes that are not
 * a point of the curve, `INVALID_DERIVATION_PATH` for a bad path and `INVALID_INPUT` for bad options.
 *
 * @example
 * ```ts
 * import { signingKey } from '@zrkit/core'
 * const k = signingKey('schnorr-secp256k1', key.publicKey, { path: 'm/0/3', taproot: {} })
 * k.publicKey // the P2TR output key (33 bytes, parity first) the signature must verify under
 * signingKey('ecdsa-secp256k1', new Uint8Array(33), { path: 'm/0' }) // throws ZrError INVALID_PUBLIC_KEY
 * ```
 */
export function signingKey(keyType: KeyType, publicKey: Uint8Array, options: { path?: DerivationPath; taproot?: TaprootSpend } = {}): SigningKey {
  const type = assertKeyType(keyType)
  if (options === null || typeof options !== 'object') {
    throw new ZrError('INVALID_INPUT', 'Invalid signing key options.', { details: `expected { path?, taproot? }, got ${describeValue(options)}` })
  }
  const { path, taproot } = options
  if (taproot !== undefined && (taproot === null || typeof taproot !== 'object' || Array.isArray(taproot) || taproot instanceof Uint8Array)) {
    throw new ZrError('INVALID_INPUT', 'Invalid taproot spend.', { details: `expected {} or { merkleRoot }, got ${describeValue(taproot)}` })
  }
  const child =
    path === undefined
      ? { publicKey: type === 'eddsa-ed25519' ? ed25519Point(publicKey).toBytes() : secp256k1Point(publicKey).toBytes(true), tweak: 0n, path: parseDerivationPath([]) }
      : deriveKey(type, publicKey, path)
  if (!taproot) return { publicKey: child.publicKey, path: child.path, negate: false, tweak: child.tweak }
  if (keyType !== 'schnorr-secp256k1') {
    throw new ZrError('UNSUPPORTED_KEY_TYPE', 'Taproot spends need a Schnorr key.', { details: `expected schnorr-secp256k1, got ${keyType}` })
  }
  const negate = child.publicKey[0] === 0x03
  const out = taprootOutputKey(child.publicKey, taproot.merkleRoot)
  const tweak = ((((negate ? -child.tweak : child.tweak) + out.tweak) % secpN) + secpN) % secpN
  return {
    publicKey: concatBytes(new Uint8Array([out.parity ? 3 : 2]), out.outputKey),
    path: child.path,
    taproot: taproot.merkleRoot ? { merkleRoot: taproot.merkleRoot } : {},
    negate,
    tweak,
  }
}

/**
 * Applies a {@link SigningKey} to a whole secret scalar: `(negate ? -s : s) + tweak`, mod the group
 * order. Throws `UNSUPPORTED_KEY_TYPE` for an unknown key type and `INVALID_INPUT` unless `secret` and
 * `key.tweak` are bigints and `key.negate` a boolean.
 *
 * @example
 * ```ts
 * import { signingKey } from '@zrkit/core'
 * import { applySigningKey } from '@zrkit/core/internal'
 * const childSecret = applySigningKey('ecdsa-secp256k1', secret, signingKey('ecdsa-secp256k1', publicKey, { path: [7] }))
 * ```
 */
export function applySigningKey(keyType: KeyType, secret: bigint, key: Pick<SigningKey, 'negate' | 'tweak'>): bigint {
  const n = assertKeyType(keyType) === 'eddsa-ed25519' ? edL : secpN
  const s = checkScalar(secret, 'secret')
  if (key === null || typeof key !== 'object') {
    throw new ZrError('INVALID_INPUT', 'Invalid signing key.', { details: `expected { negate: boolean, tweak: bigint }, got ${describeValue(key)}` })
  }
  if (typeof key.negate !== 'boolean') throw new ZrError('INVALID_INPUT', 'Invalid signing key.', { details: `expected negate to be a boolean, got ${describeValue(key.negate)}` })
  const tweak = checkScalar(key.tweak, 'signing key tweak')
  return ((((key.negate ? -s : s) + tweak) % n) + n) % n
}
