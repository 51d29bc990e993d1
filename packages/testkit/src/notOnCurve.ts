import { ed25519 } from '@noble/curves/ed25519.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha512 } from '@noble/hashes/sha2.js'

/** A 33-byte `02 || x` that is no secp256k1 point (x^3 + 7 has no square root mod p): the smallest such x >= 1. */
export function offCurveSecp256k1(): Uint8Array {
  for (let x = 1; ; x++) {
    const bytes = new Uint8Array(33)
    bytes[0] = 0x02
    for (let i = 32, v = x; v > 0; i--, v = Math.floor(v / 256)) bytes[i] = v % 256
    try {
      secp256k1.Point.fromBytes(bytes)
    } catch {
      return bytes
    }
  }
}

/** 32 bytes that do not decode to an ed25519 point (a canonical y with no x): the first such little-endian y >= 2. */
export function offCurveEd25519(): Uint8Array {
  for (let i = 2; ; i++) {
    const bytes = new Uint8Array(32)
    bytes[0] = i & 0xff
    bytes[1] = i >> 8
    try {
      ed25519.Point.fromBytes(bytes)
    } catch {
      return bytes
    }
  }
}

/**
 * The eight ed25519 points of order dividing 8 (the small-order points a malicious party can add to a point):
 * T, 2T, ..., 8T for a point T of order 8, so the last one is the identity. T is the torsion part of the first
 * point that decodes from sha512(i)[0..32], i = 0, 1, ...
 */
export const ed25519SmallOrderPoints: readonly InstanceType<typeof ed25519.Point>[] = (() => {
  const { Point } = ed25519
  for (let i = 0; ; i++) {
    let P: InstanceType<typeof Point>
    try {
      P = Point.fromBytes(sha512(Uint8Array.of(i)).subarray(0, 32))
    } catch {
      continue
    }
    const T = P.subtract(P.clearCofactor().multiplyUnsafe(Point.Fn.inv(8n)))
    if (!T.double().double().is0()) return Object.freeze(Array.from({ length: 8 }, (_, k) => T.multiplyUnsafe(BigInt(k + 1))))
  }
})()
