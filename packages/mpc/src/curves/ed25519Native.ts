import { ed25519 } from '@noble/curves/ed25519.js'
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { nativeSha512, nodeCrypto } from '@zrkit/core/internal'
import { ed25519IsPrimeOrder } from './publicMsm.js'

// Native (Node's OpenSSL) fast paths for ed25519 points, under core's rule for native crypto: the native
// result only ever reaches an answer the JavaScript path would also reach; where it cannot run, errs, or
// disagrees, the JavaScript path decides. Browsers (no `node:crypto`) always take the JavaScript path.

type EdPoint = InstanceType<typeof ed25519.Point>
const { Fp, Fn } = ed25519.Point
const L = Fn.ORDER

const b64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')

// ---- Prime-order check through X25519 ---------------------------------------------------------------
//
// X25519 (RFC 7748) computes u([s]P) on the Montgomery form of the curve, u = (1 + y)/(1 - y), for a scalar s
// that it first "clamps" (low three bits cleared, bit 254 set, bit 255 cleared). The group is Z/8 × Z/L: write
// P = Q + T with Q of order L (or 1) and T of order dividing 8. For the clamped scalar s with s ≡ 0 (mod 8) and
// s ≡ -1 (mod L), [s]P = [s]Q + [s]T = -Q. So X25519(s, u(P)) = u(-Q) = u(Q), and it equals u(P) exactly when
// P = ±Q, that is (since T = -2Q forces T = Q = O) when T is the identity: P is of prime order. Points with
// y = ±1 are left to the JavaScript check: the identity (u is undefined) and the point (0, -1) of order 2,
// whose u is 0, the value X25519 also gives for a result at infinity. The whole check (u, one native X25519)
// costs about a fifth of the JavaScript [L]P.

/** The clamped scalar: ≡ 0 (mod 8), ≡ -1 (mod L), bit 254 set, bit 255 clear (2^254 <= s < 2^255). */
const primeOrderScalar = (() => {
  const s = 8n * L - 8n * Fn.inv(8n) // 8·(8⁻¹ mod L) ≡ 1 (mod L) and < 8L, so this is ≡ -1 (mod L) and ≡ 0 (mod 8)
  return s >= 1n << 254n && s < 1n << 255n ? numberToBytesLE(s, 32) : undefined
})()

/** The native X25519 private key holding {@link primeOrderScalar}, made once; null where there is none. */
let primeOrderKey: unknown
function nativePrimeOrderKey(): unknown {
  if (primeOrderKey !== undefined) return primeOrderKey
  primeOrderKey = null
  const c = nodeCrypto
  if (!c?.createPrivateKey || !c.diffieHellman || !primeOrderScalar) return null
  try {
    // PKCS#8 (RFC 8410) of a raw X25519 private key; made once, so its slower DER import does not matter
    const der = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20, ...primeOrderScalar)
    const key = c.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
    // the base point is of prime order: a platform whose X25519 does not confirm it is not used
    primeOrderKey = key
    if (!nativeConfirmsPrimeOrder(ed25519.Point.BASE)) primeOrderKey = null
  } catch {
    primeOrderKey = null
  }
  return primeOrderKey
}

/**
 * True when native X25519 confirms that a PUBLIC ed25519 point is in the prime-order subgroup (see above);
 * false when it does not or cannot say (no native X25519, the point has y = ±1, an error, or a point with a
 * small-order component). Only `true` is an answer: false means "ask {@link ed25519IsPrimeOrder}".
 *
 * @example
 * ```ts
 * import { ed25519 } from '@noble/curves/ed25519.js'
 * nativeConfirmsPrimeOrder(ed25519.Point.BASE) // true on Node; false in a browser
 * ```
 */
export function nativeConfirmsPrimeOrder(point: EdPoint): boolean {
  const privateKey = nativePrimeOrderKey()
  if (privateKey === null || !(point instanceof ed25519.Point)) return false
  try {
    // u = (1 + y)/(1 - y) = (Z + Y)/(Z - Y) in projective coordinates: one inversion
    const { Y, Z } = point
    const zmy = Fp.sub(Z, Y)
    const zpy = Fp.add(Z, Y)
    if (Fp.is0(zmy) || Fp.is0(zpy)) return false
    const u = Fp.mul(zpy, Fp.inv(zmy))
    const publicKey = nodeCrypto!.createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64url(numberToBytesLE(u, 32)) }, format: 'jwk' })
    const out = nodeCrypto!.diffieHellman!({ privateKey, publicKey })
    return out.length === 32 && bytesToNumberLE(out) === u
  } catch {
    return false
  }
}

/**
 * Whether a PUBLIC ed25519 point is in the prime-order subgroup (or is the identity): the answer of
 * {@link ed25519IsPrimeOrder} (and of noble's `isTorsionFree`), reached through native X25519 where it confirms
 * one, else computed in JavaScript.
 *
 * @example
 * ```ts
 * import { ed25519 } from '@noble/curves/ed25519.js'
 * const P = ed25519.Point.fromBytes(bytes)
 * ed25519InPrimeOrderSubgroup(P) === P.isTorsionFree() // true
 * ```
 */
export function ed25519InPrimeOrderSubgroup(point: EdPoint): boolean {
  return nativeConfirmsPrimeOrder(point) || ed25519IsPrimeOrder(point)
}

// ---- Nonces through Ed25519 signing ----------------------------------------------------------------
//
// RFC 8032 signing with a seed k computes prefix = SHA-512(k)[32..64], r = SHA-512(prefix || M) mod L and
// R = [r]B, in constant time. With a fresh random seed, r is a fresh secret scalar that this party computes
// itself and R its commitment, from the platform's constant-time code: one native signature instead of noble's
// base-point multiplication. The seed is random, the rest of M is the caller's (FROST hedges its nonces with
// the secret share, RFC 9591 Section 4.1), and r is checked against R once per process (below).

/** A fresh secret scalar and its commitment [r]B as 32 bytes, or undefined where there is no native Ed25519. */
export type NativeNonce = { scalar: bigint; commitment: Uint8Array }

let nonceWorks: boolean | undefined
/** `undefined` when the platform cannot, else a nonce made with `seed` (random unless a test passes one). */
function signNonce(seed: Uint8Array, message: Uint8Array): NativeNonce | undefined {
  const c = nodeCrypto
  if (!c?.createPrivateKey || !c.sign || !nativeSha512) return undefined
  const h = nativeSha512(seed)
  try {
    // Node derives the public key from d and only checks that x is a string: no key is computed here twice
    const key = c.createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: b64url(seed), x: '' }, format: 'jwk' })
    const signature = c.sign(null, message, key)
    const prefixed = new Uint8Array(32 + message.length)
    prefixed.set(h.subarray(32, 64))
    prefixed.set(message, 32)
    const digest = nativeSha512(prefixed)
    const scalar = Fn.create(bytesToNumberLE(digest))
    digest.fill(0)
    prefixed.fill(0)
    return signature.length === 64 ? { scalar, commitment: Uint8Array.from(signature.subarray(0, 32)) } : undefined
  } catch {
    return undefined
  } finally {
    h.fill(0)
  }
}

/**
 * A fresh nonce r (uniform mod L: SHA-512 of a fresh random 32-byte prefix and `message`, reduced) and its
 * commitment [r]B, both from one native Ed25519 signature; undefined where the platform has none (then use
 * noble's constant-time multiplication). The first call checks the native commitment of a fixed seed against
 * noble's [r]B; a platform that disagrees is never used.
 *
 * @example
 * ```ts
 * const nonce = nativeEd25519Nonce(hedge) // hedge: bytes mixed into the nonce (e.g. the secret share)
 * if (nonce) ed25519.Point.fromBytes(nonce.commitment).equals(ed25519.Point.BASE.multiply(nonce.scalar)) // true
 * ```
 */
export function nativeEd25519Nonce(message: Uint8Array): NativeNonce | undefined {
  if (nonceWorks === undefined) {
    const probe = signNonce(new Uint8Array(32).fill(7), Uint8Array.of(1, 2, 3))
    nonceWorks = !!probe && ed25519.Point.BASE.multiply(probe.scalar).toBytes().every((b, i) => b === probe.commitment[i])
  }
  if (!nonceWorks) return undefined
  const seed = randomBytes(32)
  try {
    return signNonce(seed, message)
  } finally {
    seed.fill(0)
  }
}
