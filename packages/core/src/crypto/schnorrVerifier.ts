import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { remember } from '../cache/remember.js'
import { toHex } from '../encoding/bytes.js'

/**
 * BIP340 signature checks that reuse work per key. A check is noble's `schnorr.verify` answer, always: the
 * arithmetic is noble's (its points, its wNAF tables), so this stays independent of zrkit's own curve code (the
 * MPC package's MSM). What changes is only that a key checked often gets a table of its multiples once, and then
 * each check costs two table walks instead of a lift of the key and a fresh double-scalar multiplication:
 * about 2.5x faster on this project's machines.
 */

const { Point } = secp256k1
const { Fp, Fn } = Point
/** SHA-256 with the BIP340 challenge tag's two hashes already absorbed (one 64-byte block), copied per check. */
const challengeState = (() => {
  const tag = sha256(new TextEncoder().encode('BIP0340/challenge'))
  return sha256.create().update(tag).update(tag)
})()
/** Checks under one key before its table is built: a key checked only a few times never pays for one. */
const tableAfter = 8
/** wNAF window of a key's table: 53 rows of 16 points (about 0.35 MB, some 20 ms to build; each check then costs less than half). */
const tableWindow = 5

const bigintOf = (bytes: Uint8Array): bigint => {
  let n = 0n
  for (const b of bytes) n = (n << 8n) | BigInt(b)
  return n
}

const nobleVerify = (signature: Uint8Array, message: Uint8Array, key: Uint8Array): boolean => {
  try {
    return schnorr.verify(signature, message, key)
  } catch {
    return false
  }
}

/** A BIP340 check bound to one key (see {@link schnorrVerifier}); `hasTable` says whether the key's table is built. */
export type SchnorrVerifier = ((signature: Uint8Array, message: Uint8Array) => boolean) & { readonly hasTable: boolean }

/**
 * A BIP340 check bound to one 32-byte x-only public key: `(signature, message) => boolean`, the same answer as
 * noble's `schnorr.verify(signature, message, publicKey)` on every input (false where noble throws). Never throws.
 * The first few checks are noble's own; from then on the key's lifted point keeps a wNAF table (noble's
 * `precompute`), so a party or a ledger that checks many signatures under one key keeps one of these per key.
 *
 * @example
 * ```ts
 * import { schnorr } from '@noble/curves/secp256k1.js'
 * import { schnorrVerifier } from '@zrkit/core/internal'
 * const sk = schnorr.utils.randomSecretKey()
 * const check = schnorrVerifier(schnorr.getPublicKey(sk))
 * const msg = new Uint8Array(32)
 * check(schnorr.sign(msg, sk), msg) // true
 * ```
 */
export function schnorrVerifier(publicKey: Uint8Array): SchnorrVerifier {
  const key = publicKey instanceof Uint8Array && publicKey.length === 32 ? Uint8Array.from(publicKey) : undefined
  let checks = 0
  /** lift_x(key) with its table, once `tableAfter` checks were made; null where the key is not an x coordinate. */
  let lifted: InstanceType<typeof Point> | null | undefined
  const check = (signature: Uint8Array, message: Uint8Array): boolean => {
    if (!key || !(signature instanceof Uint8Array) || !(message instanceof Uint8Array) || signature.length !== 64) return false
    if (lifted === undefined && ++checks <= tableAfter) return nobleVerify(signature, message, key)
    if (lifted === undefined) {
      try {
        lifted = Point.fromBytes(Uint8Array.of(2, ...key)).precompute(tableWindow, false)
      } catch {
        lifted = null
      }
    }
    if (lifted === null) return false
    // BIP340 Verify, with noble's bounds: r in [1, p), s in [1, n) (noble refuses s = 0 as well)
    const rBytes = signature.subarray(0, 32)
    const r = bigintOf(rBytes)
    const s = bigintOf(signature.subarray(32))
    if (r === 0n || r >= Fp.ORDER || s === 0n || s >= Fn.ORDER) return false
    const e = Fn.create(bigintOf(challengeState.clone().update(rBytes).update(key).update(message).digest()))
    // R = s·G − e·P, each from its table (noble's BASE table and this key's)
    const R = Point.BASE.multiplyUnsafe(s).add(lifted.multiplyUnsafe(Fn.neg(e)))
    if (R.is0()) return false
    const { x, y } = R.toAffine()
    return (y & 1n) === 0n && x === r
  }
  return Object.defineProperty(check, 'hasTable', { get: () => lifted != null, enumerable: true }) as SchnorrVerifier
}

/** Verifiers of keys checked lately; few, since each may hold a table (about 0.35 MB). */
const verifierCache = new Map<string, SchnorrVerifier>()
const verifierCacheLimit = 16

/**
 * {@link schnorrVerifier} for one signature: noble's `schnorr.verify` answer for a 64-byte BIP340 signature of
 * `message` under a 32-byte x-only key, false for anything else. Never throws. Keeps the verifiers of the 16 keys
 * checked last, so a key that signs often is checked from its table.
 *
 * @example
 * ```ts
 * import { schnorr } from '@noble/curves/secp256k1.js'
 * import { verifySchnorr } from '@zrkit/core/internal'
 * const sk = schnorr.utils.randomSecretKey()
 * const msg = new Uint8Array(32)
 * verifySchnorr(schnorr.sign(msg, sk), msg, schnorr.getPublicKey(sk)) // true
 * ```
 */
export function verifySchnorr(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) return false
  const id = toHex(publicKey)
  let check = verifierCache.get(id)
  if (check) {
    // most recently used last, so the cache drops the key checked longest ago
    verifierCache.delete(id)
    verifierCache.set(id, check)
  } else check = remember(verifierCache, id, schnorrVerifier(publicKey), verifierCacheLimit)
  return check(signature, message)
}
