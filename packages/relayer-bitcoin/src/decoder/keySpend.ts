import { secp256k1 } from '@noble/curves/secp256k1.js'
import { ripemd160 } from '@noble/hashes/legacy.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { type KeyType, encodeSegwitAddress, p2wpkhAddress } from '@zrkit/core'
import { concatBytes } from '@zrkit/core/internal'
import type { BitcoinAddressFormat } from './decoderNetworks.js'
import { invalidTransaction } from './invalidTransaction.js'

/**
 * How the signing key holds coins: P2WPKH of an ECDSA key, or P2TR whose output key is the key itself.
 * `script` is the scriptPubKey every input must spend and that change pays back to.
 *
 * @example
 * ```ts
 * import { type KeySpend, keySpend } from './keySpend.js'
 * const own: KeySpend = keySpend({ keyType: 'schnorr-secp256k1', publicKey: outputKey32, taproot: true }, format)
 * own.script // 5120{outputKey32}
 * ```
 */
export type KeySpend = {
  readonly type: 'p2wpkh' | 'p2tr'
  /** `0014{hash160(key)}` or `5120{x-only output key}`. */
  readonly script: Uint8Array
  /** The witness program: the key hash or the output key. */
  readonly program: Uint8Array
  /** The key's address on the network: `bc1q...` or `bc1p...`. */
  readonly address: string
}

const ecdsaKeyTypes: readonly string[] = ['bitcoin-secp256k1', 'ecdsa-secp256k1']
const expectedKey = "keyType 'bitcoin-secp256k1' or 'ecdsa-secp256k1' with taproot: false (P2WPKH), or 'schnorr-secp256k1' with taproot: true (P2TR key path)"

/**
 * The output a key spends from: for `bitcoin-secp256k1` and `ecdsa-secp256k1` with `taproot: false`,
 * P2WPKH of the 33-byte compressed key; for `schnorr-secp256k1` with `taproot: true`, P2TR whose
 * witness program is the 32-byte x-only `publicKey` itself (the taproot OUTPUT key the keyring signs
 * for, already tweaked). Throws `INVALID_TRANSACTION` for any other key type, a `taproot` flag that
 * does not fit it, or a key that is not a point on secp256k1.
 *
 * @example
 * ```ts
 * import { keySpend } from './keySpend.js'
 * keySpend({ keyType: 'bitcoin-secp256k1', publicKey: key33, taproot: false }, { name: 'regtest', hrp: 'bcrt', p2pkh: 0x6f, p2sh: 0xc4 }).address // 'bcrt1q...'
 * ```
 */
export function keySpend(key: { readonly keyType: KeyType; readonly publicKey: Uint8Array; readonly taproot: boolean }, format: BitcoinAddressFormat): KeySpend {
  const { keyType, publicKey, taproot } = key
  if (typeof taproot !== 'boolean') throw invalidTransaction('taproot as a boolean', typeof taproot, 'taproot')
  const ecdsa = ecdsaKeyTypes.includes(keyType)
  if (!ecdsa && keyType !== 'schnorr-secp256k1') throw invalidTransaction(expectedKey, `keyType ${typeof keyType === 'string' ? `'${keyType.slice(0, 40)}'` : typeof keyType}`, 'keyType')
  if (ecdsa === taproot) throw invalidTransaction(expectedKey, `keyType '${keyType}' with taproot: ${taproot}`, 'taproot')
  const length = ecdsa ? 33 : 32
  const what = ecdsa ? 'a 33-byte compressed secp256k1 key' : 'a 32-byte x-only taproot output key'
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== length) {
    throw invalidTransaction(what, publicKey instanceof Uint8Array ? `${publicKey.length} bytes` : typeof publicKey, 'publicKey')
  }
  try {
    secp256k1.Point.fromBytes(ecdsa ? publicKey : concatBytes(Uint8Array.of(0x02), publicKey)).assertValidity()
  } catch (cause) {
    throw invalidTransaction(what, `${length} bytes that are not a point on secp256k1`, 'publicKey', cause)
  }
  if (ecdsa) {
    const program = ripemd160(sha256(publicKey))
    return { type: 'p2wpkh', program, script: concatBytes(Uint8Array.of(0x00, 0x14), program), address: p2wpkhAddress(publicKey, { network: format.name }) }
  }
  const program = publicKey.slice()
  return { type: 'p2tr', program, script: concatBytes(Uint8Array.of(0x51, 0x20), program), address: encodeSegwitAddress(format.hrp, 1, program) }
}
