import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { toBytes } from '../encoding/bytes.js'
import { describeValue } from '../errors/describeValue.js'
import { ZrError } from '../errors/ZrError.js'
import { publicKeyToAddress } from './address.js'

/**
 * Who sends messages to the ledger: a secp256k1 key and its `zen1...` address. `sign` signs a 32-byte
 * digest (ECDSA, low-S, 64-byte r||s). Implement it over a hardware key or KMS; zrkit ships
 * {@link privateKeyToAccount} and {@link generateAccount}.
 */
export type Account = {
  /** bech32 `zen1...` address. */
  readonly address: string
  /** 33-byte compressed secp256k1 public key. */
  readonly publicKey: Uint8Array
  /** Signs a 32-byte digest; returns 64 bytes r||s with low S. */
  sign(digest: Uint8Array): Promise<Uint8Array>
}

/**
 * An {@link Account} from a 32-byte secp256k1 private key (bytes or hex).
 *
 * @example
 * ```ts
 * import { privateKeyToAccount } from '@zrkit/core'
 * const alice = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d')
 * alice.address // 'zen1...'
 * ```
 */
export function privateKeyToAccount(privateKey: Uint8Array | string): Account {
  const secret = toBytes(privateKey, 'private key')
  if (secret.length !== 32 || !secp256k1.utils.isValidSecretKey(secret)) {
    throw new ZrError('INVALID_INPUT', 'Invalid private key.', {
      details: secret.length !== 32 ? `expected 32 bytes, got ${secret.length} bytes` : 'expected a scalar in [1, n-1]',
    })
  }
  const key = Uint8Array.from(secret)
  const publicKey = secp256k1.getPublicKey(key, true)
  return Object.freeze({
    address: publicKeyToAddress(publicKey),
    publicKey,
    async sign(digest: Uint8Array) {
      if (!(digest instanceof Uint8Array) || digest.length !== 32) {
        throw new ZrError('INVALID_INPUT', 'Invalid digest.', { details: `expected 32-byte digest, got ${digest instanceof Uint8Array ? `${digest.length} bytes` : typeof digest}` })
      }
      return secp256k1.sign(digest, key, { prehash: false, lowS: true })
    },
  })
}

/**
 * A new random {@link Account}. Pass a seed string for a reproducible one (tests and demos only:
 * the key is sha256 of the seed). Throws `INVALID_INPUT` for a seed that is not a string.
 *
 * @example
 * ```ts
 * import { generateAccount } from '@zrkit/core'
 * const bob = generateAccount()
 * const demo = generateAccount('demo:alice') // same key every run
 * ```
 */
export function generateAccount(seed?: string): Account {
  if (seed === undefined) return privateKeyToAccount(secp256k1.utils.randomSecretKey())
  if (typeof seed !== 'string') throw new ZrError('INVALID_INPUT', 'Invalid account seed.', { details: `expected a string (or nothing for a random account), got ${describeValue(seed)}` })
  return privateKeyToAccount(sha256(new TextEncoder().encode(seed)))
}
