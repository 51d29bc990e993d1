import { secp256k1 } from '@noble/curves/secp256k1.js'
import { ed25519 } from '@noble/curves/ed25519.js'
import { taprootOutputKey } from '../addresses/bitcoin.js'
import { concatBytes } from '../encoding/bytes.js'
import { ZrError } from '../errors/ZrError.js'
import type { KeyType } from '../ledger/types.js'
import { type DerivationPath, type DerivationSegment, parseDerivationPath } from './derivationPath.js'
import { deriveKey } from './deriveKey.js'

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
 *
 * @example
 * ```ts
 * import { signingKey } from '@zrkit/core'
 * const k = signingKey('schnorr-secp256k1', key.publicKey, { path: 'm/0/3', taproot: {} })
 * k.publicKey // the P2TR output key (33 bytes, parity first) the signature must verify under
 * ```
 */
export function signingKey(keyType: KeyType, publicKey: Uint8Array, options: { path?: DerivationPath; taproot?: TaprootSpend } = {}): SigningKey {
  const child = options.path === undefined ? { publicKey, tweak: 0n, path: parseDerivationPath([]) } : deriveKey(keyType, publicKey, options.path)
  if (!options.taproot) return { publicKey: child.publicKey, path: child.path, negate: false, tweak: child.tweak }
  if (keyType !== 'schnorr-secp256k1') {
    throw new ZrError('UNSUPPORTED_KEY_TYPE', 'Taproot spends need a Schnorr key.', { details: `expected schnorr-secp256k1, got ${keyType}` })
  }
  const negate = child.publicKey[0] === 0x03
  const out = taprootOutputKey(child.publicKey, options.taproot.merkleRoot)
  const tweak = ((((negate ? -child.tweak : child.tweak) + out.tweak) % secpN) + secpN) % secpN
  return {
    publicKey: concatBytes(new Uint8Array([out.parity ? 3 : 2]), out.outputKey),
    path: child.path,
    taproot: options.taproot.merkleRoot ? { merkleRoot: options.taproot.merkleRoot } : {},
    negate,
    tweak,
  }
}

/**
 * Applies a {@link SigningKey} to a whole secret scalar: `(negate ? -s : s) + tweak`.
 *
 * @example
 * ```ts
 * import { applySigningKey, signingKey } from '@zrkit/core'
 * const childSecret = applySigningKey('ecdsa-secp256k1', secret, signingKey('ecdsa-secp256k1', publicKey, { path: [7] }))
 * ```
 */
export function applySigningKey(keyType: KeyType, secret: bigint, key: Pick<SigningKey, 'negate' | 'tweak'>): bigint {
  const n = keyType === 'eddsa-ed25519' ? edL : secpN
  return ((((key.negate ? -secret : secret) + key.tweak) % n) + n) % n
}
