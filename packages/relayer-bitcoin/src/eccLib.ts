import { secp256k1 } from '@noble/curves/secp256k1.js'
import { bytesToNumberBE } from '@noble/curves/utils.js'
import { initEccLib, payments } from 'bitcoinjs-lib'

const Point = secp256k1.Point
const order = Point.Fn.ORDER

function liftX(x: Uint8Array): InstanceType<typeof Point> | undefined {
  if (!(x instanceof Uint8Array) || x.length !== 32) return undefined
  try {
    const bytes = new Uint8Array(33)
    bytes[0] = 0x02
    bytes.set(x, 1)
    return Point.fromBytes(bytes)
  } catch {
    return undefined
  }
}

/**
 * The two elliptic-curve operations bitcoinjs-lib needs for taproot (x-only point check and tweak),
 * on @noble/curves: so the relayer needs no WebAssembly secp256k1 library.
 *
 * @example
 * ```ts
 * import { initEccLib } from 'bitcoinjs-lib'
 * import { nobleEccLib } from '@zrkit/relayer-bitcoin'
 * initEccLib(nobleEccLib)
 * ```
 */
export const nobleEccLib = Object.freeze({
  isXOnlyPoint: (p: Uint8Array): boolean => liftX(p) !== undefined,
  xOnlyPointAddTweak(p: Uint8Array, tweak: Uint8Array): { parity: 0 | 1; xOnlyPubkey: Uint8Array } | null {
    const P = liftX(p)
    if (!P || !(tweak instanceof Uint8Array) || tweak.length !== 32) return null
    const t = bytesToNumberBE(tweak)
    if (t >= order) return null
    const Q = t === 0n ? P : P.add(Point.BASE.multiply(t))
    if (Q.is0()) return null
    const q = Q.toBytes(true)
    return { parity: q[0] === 0x03 ? 1 : 0, xOnlyPubkey: q.slice(1) }
  },
})

/** The generator's x coordinate: a valid x-only key to probe bitcoinjs-lib with. */
const GX = Point.BASE.toBytes(true).slice(1)

/**
 * Gives bitcoinjs-lib {@link nobleEccLib} unless the application already gave it one (bitcoinjs-lib
 * has no public getter, so a P2TR payment is made as a probe: it fails without an ECC library).
 *
 * @example
 * ```ts
 * import { ensureEccLib } from '@zrkit/relayer-bitcoin'
 * ensureEccLib() // bitcoinjs-lib's taproot helpers work from here on
 * ```
 */
export function ensureEccLib(): void {
  try {
    payments.p2tr({ pubkey: GX })
  } catch {
    initEccLib(nobleEccLib)
  }
}
