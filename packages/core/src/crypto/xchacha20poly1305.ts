import { hchacha, xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { concatBytes } from '../encoding/bytes.js'
import { describeValue } from '../errors/describeValue.js'
import { ZrError } from '../errors/ZrError.js'
import { type NativeAead, nodeCrypto } from './nativeCrypto.js'

/**
 * XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha: a 24-byte nonce, so random nonces are safe) on the platform's native
 * ChaCha20-Poly1305 where there is one (Node's OpenSSL), else noble's. The native path derives the subkey with
 * HChaCha20 (noble's) from the key and the nonce's first 16 bytes, then seals with RFC 8439 ChaCha20-Poly1305 under
 * the nonce 0x00000000 || nonce[16..24], which is the construction itself: the output is byte for byte noble's
 * `xchacha20poly1305(key, nonce, aad).encrypt(plain)` (ciphertext || 16-byte tag), several times faster on frames of
 * kilobytes. Tests hold the two paths to the same bytes.
 */

/** "expand 32-byte k" as little-endian words: the ChaCha constant HChaCha20 starts from. */
const sigma = Uint32Array.of(0x61707865, 0x3320646e, 0x79622d32, 0x6b206574)
const tagLength = 16

const words = (bytes: Uint8Array, count: number): Uint32Array => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, count * 4)
  return Uint32Array.from({ length: count }, (_, i) => view.getUint32(i * 4, true))
}

/** The ChaCha20-Poly1305 key and 12-byte nonce that XChaCha20-Poly1305 under (key, nonce) reduces to. */
function subkeyAndNonce(key: Uint8Array, nonce: Uint8Array): [Uint8Array, Uint8Array] {
  const out = new Uint32Array(8)
  hchacha(sigma, words(key, 8), words(nonce, 4), out)
  const subkey = new Uint8Array(32)
  const view = new DataView(subkey.buffer)
  for (let i = 0; i < 8; i++) view.setUint32(i * 4, out[i]!, true)
  const shortNonce = new Uint8Array(12)
  shortNonce.set(nonce.subarray(16, 24), 4)
  return [subkey, shortNonce]
}

function check(key: unknown, nonce: unknown, aad: unknown, data: unknown): void {
  const bad = (what: string, expected: string, got: unknown) => new ZrError('INVALID_INPUT', `Invalid XChaCha20-Poly1305 ${what}.`, { details: `expected ${expected}, got ${describeValue(got)}` })
  if (!(key instanceof Uint8Array) || key.length !== 32) throw bad('key', '32 bytes', key)
  if (!(nonce instanceof Uint8Array) || nonce.length !== 24) throw bad('nonce', '24 bytes', nonce)
  if (!(aad instanceof Uint8Array)) throw bad('associated data', 'bytes', aad)
  if (!(data instanceof Uint8Array)) throw bad('message', 'bytes', data)
}

/**
 * Encrypts and authenticates `plain` (and `aad`): ciphertext || 16-byte tag. `INVALID_INPUT` for a key that is not
 * 32 bytes, a nonce that is not 24, or data that is not bytes. Never reuse a (key, nonce) pair: draw the nonce at
 * random.
 *
 * @example
 * ```ts
 * import { randomBytes } from '@noble/hashes/utils.js'
 * import { xchachaOpen, xchachaSeal } from '@zrkit/core/internal'
 * const key = randomBytes(32)
 * const nonce = randomBytes(24)
 * const sealed = xchachaSeal(key, nonce, new Uint8Array(0), new TextEncoder().encode('hi'))
 * xchachaOpen(key, nonce, new Uint8Array(0), sealed) // the bytes of 'hi'
 * ```
 */
export function xchachaSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plain: Uint8Array): Uint8Array {
  check(key, nonce, aad, plain)
  const create = nodeCrypto?.createCipheriv
  if (!create) return xchacha20poly1305(key, nonce, aad).encrypt(plain)
  const [subkey, shortNonce] = subkeyAndNonce(key, nonce)
  const cipher = create.call(nodeCrypto, 'chacha20-poly1305', subkey, shortNonce, { authTagLength: tagLength })
  cipher.setAAD(aad, { plaintextLength: plain.length })
  const head = cipher.update(plain)
  const tail = cipher.final()
  return concatBytes(head, tail, cipher.getAuthTag())
}

/**
 * Checks and decrypts what {@link xchachaSeal} made; `undefined` when it does not authenticate under this key, nonce
 * and `aad` (tampered, truncated or forged). `INVALID_INPUT` for arguments of the wrong kind, as `xchachaSeal`.
 *
 * @example
 * ```ts
 * import { xchachaOpen } from '@zrkit/core/internal'
 * const plain = xchachaOpen(key, nonce, aad, sealed)
 * if (!plain) throw new Error('refused: does not authenticate')
 * ```
 */
export function xchachaOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | undefined {
  check(key, nonce, aad, sealed)
  if (sealed.length < tagLength) return undefined
  const create = nodeCrypto?.createDecipheriv
  if (!create) {
    try {
      return xchacha20poly1305(key, nonce, aad).decrypt(sealed)
    } catch {
      return undefined
    }
  }
  const [subkey, shortNonce] = subkeyAndNonce(key, nonce)
  const body = sealed.subarray(0, sealed.length - tagLength)
  let decipher: NativeAead & { setAuthTag(tag: Uint8Array): void }
  try {
    decipher = create.call(nodeCrypto, 'chacha20-poly1305', subkey, shortNonce, { authTagLength: tagLength })
    decipher.setAAD(aad, { plaintextLength: body.length })
    decipher.setAuthTag(sealed.subarray(sealed.length - tagLength))
    const head = decipher.update(body)
    return concatBytes(head, decipher.final())
  } catch {
    return undefined
  }
}
