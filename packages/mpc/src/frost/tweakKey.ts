import { type SigningKey, ZrError, describeValue, isZrError } from '@zrkit/core'
import type { FrostKey, FrostSuite } from './suites.js'

type PointLike = { add(p: PointLike): PointLike; negate(): PointLike; toBytes(): Uint8Array }
type PointCons = { BASE: { multiply(n: bigint): PointLike }; fromBytes(b: Uint8Array): PointLike }

/**
 * Applies a signing key's `(±s) + tweak` to a FROST key package: each share becomes `±s_i + t`, each
 * verifying share and the group key `±P + t*G` (with `negate`, every commitment is negated too: it is
 * the sharing polynomial of `-s`). Since Lagrange coefficients at 0 sum to 1, any t signers then sign
 * for the derived child, or the taproot output key. Each party applies it locally; nothing crosses
 * the wire. Throws `INVALID_INPUT` for a key package that is not one of the suite or a signing key that
 * is not `{ negate: boolean, tweak: bigint }`.
 *
 * @example
 * ```ts
 * import { signingKey } from '@zrkit/core'
 * import { frostSuite, tweakKey } from '@zrkit/mpc/internal'
 * const suite = frostSuite('schnorr-secp256k1')
 * const child = tweakKey(suite, key, signingKey(suite.keyType, suite.groupKey(key), { path: 'm/0/1', taproot: {} }))
 * ```
 */
export function tweakKey(suite: FrostSuite, key: FrostKey, signing: Pick<SigningKey, 'negate' | 'tweak'>): FrostKey {
  if (signing === null || typeof signing !== 'object' || typeof signing.negate !== 'boolean' || typeof signing.tweak !== 'bigint') {
    const got = signing === null || typeof signing !== 'object' ? describeValue(signing) : `negate ${describeValue(signing.negate)} and tweak ${describeValue(signing.tweak)}`
    throw new ZrError('INVALID_INPUT', 'Invalid signing key.', { details: `expected { negate: boolean, tweak: bigint }, got ${got}` })
  }
  checkKeyShape(key)
  const { negate, tweak } = signing
  if (tweak === 0n && !negate) return key
  try {
    return tweaked(suite, key, negate, tweak)
  } catch (cause) {
    if (isZrError(cause)) throw cause
    throw new ZrError('INVALID_INPUT', 'Invalid FROST key package.', { details: `expected points and a share of ${suite.keyType}, got bytes that are not (${String((cause as Error)?.message ?? cause)})`, cause })
  }
}

/** The shape of a FROST key package (the bytes are checked as they are decoded); `INVALID_INPUT` otherwise. */
function checkKeyShape(key: unknown): void {
  const bad = (got: string) => new ZrError('INVALID_INPUT', 'Invalid FROST key package.', { details: `expected { public: { commitments, verifyingShares }, secret: { identifier, signingShare } }, got ${got}` })
  if (key === null || typeof key !== 'object') throw bad(describeValue(key))
  const { public: pub, secret } = key as { public?: unknown; secret?: unknown }
  if (pub === null || typeof pub !== 'object') throw bad(`public ${describeValue(pub)}`)
  if (secret === null || typeof secret !== 'object') throw bad(`secret ${describeValue(secret)}`)
  const { commitments, verifyingShares } = pub as { commitments?: unknown; verifyingShares?: unknown }
  if (!Array.isArray(commitments) || commitments.length === 0 || !commitments.every((c) => c instanceof Uint8Array)) throw bad(`commitments ${describeValue(commitments)}`)
  if (verifyingShares === null || typeof verifyingShares !== 'object' || !Object.values(verifyingShares).every((v) => v instanceof Uint8Array)) throw bad(`verifyingShares ${describeValue(verifyingShares)}`)
  const { identifier, signingShare } = secret as { identifier?: unknown; signingShare?: unknown }
  if (typeof identifier !== 'string' || !(signingShare instanceof Uint8Array)) throw bad(`secret identifier ${describeValue(identifier)} and signingShare ${describeValue(signingShare)}`)
}

function tweaked(suite: FrostSuite, key: FrostKey, negate: boolean, tweak: bigint): FrostKey {
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
