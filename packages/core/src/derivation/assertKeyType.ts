import { describeValue } from '../errors/describeValue.js'
import { ZrError } from '../errors/ZrError.js'
import { type KeyType, keyTypes } from '../ledger/types.js'

/**
 * Returns `keyType` when it is one of zrkit's key types (`keyTypes`); throws `UNSUPPORTED_KEY_TYPE`
 * naming the ones there are and what arrived otherwise.
 *
 * @example
 * ```ts
 * import { assertKeyType } from './assertKeyType.js'
 * assertKeyType('schnorr-secp256k1') // 'schnorr-secp256k1'
 * assertKeyType('rsa') // throws UNSUPPORTED_KEY_TYPE: expected one of ecdsa-secp256k1, ..., got "rsa"
 * ```
 */
export function assertKeyType(keyType: unknown, what = 'key type'): KeyType {
  if (typeof keyType !== 'string' || !(keyTypes as readonly string[]).includes(keyType)) {
    throw new ZrError('UNSUPPORTED_KEY_TYPE', `Unsupported ${what}.`, { details: `expected one of ${keyTypes.join(', ')}, got ${describeValue(keyType)}` })
  }
  return keyType as KeyType
}
