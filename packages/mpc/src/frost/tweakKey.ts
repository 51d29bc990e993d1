import type { SigningKey } from '@zrkit/core'
import type { FrostKey, FrostSuite } from './suites.js'

type PointLike = { add(p: PointLike): PointLike; negate(): PointLike; toBytes(): Uint8Array }
type PointCons = { BASE: { multiply(n: bigint): PointLike }; fromBytes(b: Uint8Array): PointLike }

/**
 * Applies a signing key's `(±s) + tweak` to a FROST key package: each share becomes `±s_i + t`, each
 * verifying share and the group key `±P + t*G` (with `negate`, every commitment is negated too: it is
 * the sharing polynomial of `-s`). Since Lagrange coefficients at 0 sum to 1, any t signers then sign
 * for the derived child, or the taproot output key. Each party applies it locally; nothing crosses
 * the wire.
 */
export function tweakKey(suite: FrostSuite, key: FrostKey, signing: Pick<SigningKey, 'negate' | 'tweak'>): FrostKey {
  const { negate, tweak } = signing
  if (tweak === 0n && !negate) return key
  const Fn = suite.dkg.utils.Fn
  const P = suite.Point as unknown as PointCons
  const t = Fn.create(tweak)
  const shift = t === 0n ? undefined : P.BASE.multiply(t)
  const point = (bytes: Uint8Array, withShift: boolean) => {
    let p = P.fromBytes(bytes)
    if (negate) p = p.negate()
    if (withShift && shift) p = p.add(shift)
    return p.toBytes()
  }
  const share = Fn.fromBytes(key.secret.signingShare)
  return {
    secret: { ...key.secret, signingShare: Fn.toBytes(Fn.add(negate ? Fn.neg(share) : share, t)) },
    public: {
      ...key.public,
      commitments: key.public.commitments.map((c, i) => point(c, i === 0)),
      verifyingShares: Object.fromEntries(Object.entries(key.public.verifyingShares).map(([id, v]) => [id, point(v, true)])),
    },
  }
}
