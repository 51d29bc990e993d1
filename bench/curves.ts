/**
 * One-party curve benchmark: each hand-written hot path of @zrkit/mpc beside the noble public API that
 * computes the same thing, measured in the same run, in one thread (what one party spends on its own
 * machine). It decides whether a hand-written path earns its place: where noble is within noise, the
 * hand-written code goes. Nothing is asserted.
 *
 * The shapes are those of the protocols: FROST's group commitment (t binding points, public binding
 * factors) and share check (2 points), the ed25519 prime-order check of a received point, and DKLs23's
 * base OTs (one secret scalar times 257 points; one fixed point times 256 secret scalars; k·G).
 *
 *   npx tsx bench/curves.ts
 */
import { mulAddUnsafe, normalizeZ, pippenger } from '@noble/curves/abstract/curve.js'
import { ed25519 } from '@noble/curves/ed25519.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { fmt, measure } from './harness.js'

type Row = [name: string, ms: number]
const rows: Row[] = []

async function time(name: string, fn: () => unknown, budgetMs = 1_500, min = 5, max = 20_000): Promise<number> {
  const ms = await measure(fn, budgetMs, min, max)
  rows.push([name, ms])
  return ms
}

function randomScalar(order: bigint): bigint {
  const b = crypto.getRandomValues(new Uint8Array(48))
  let x = 0n
  for (const v of b) x = (x << 8n) | BigInt(v)
  return (x % (order - 1n)) + 1n
}

const Ed = ed25519.Point
const K = secp256k1.Point
// The hand-written paths, in their one home (packages/mpc/src/curves/); `undefined` shows as "(gone)".
const msm = (await import('../packages/mpc/src/curves/publicMsm.js')) as unknown as {
  ed25519PublicMsm(points: unknown[], scalars: bigint[]): { equals(p: unknown): boolean }
  secp256k1PublicMsm(points: unknown[], scalars: bigint[]): { equals(p: unknown): boolean }
  ed25519IsPrimeOrder(p: unknown): boolean
} | undefined
const pointMul = (await import('../packages/mpc/src/curves/secp256k1Mul.js')) as unknown as {
  mulSameScalar(points: unknown[], k: bigint): unknown[]
  FixedBaseTable: new (p: unknown) => { multiply(k: bigint): unknown }
  mulBase(k: bigint): unknown
} | undefined

const line = (label: string, noble: number, hand: number | undefined) =>
  console.log(`${label.padEnd(58)} noble ${fmt(noble).padStart(8)} ms   hand-written ${hand === undefined ? '      (gone)' : `${fmt(hand).padStart(8)} ms   noble/hand ${fmt(noble / hand)}`}`)

/** `npx tsx bench/curves.ts frost` runs only the FROST section; `curves` only the curve sections. */
const only = process.argv[2]
console.log('One party, one thread: noble public API vs the hand-written path (mean ms per operation)\n')
if (only !== 'frost') {

// ---- FROST: Σ ρ_i·E_i over public points, and the 2-point share check -------------------------
for (const [curve, P, hand] of [
  ['ed25519', Ed, msm?.ed25519PublicMsm],
  ['secp256k1', K, msm?.secp256k1PublicMsm],
] as const) {
  for (const n of [2, 3, 5, 10]) {
    const points = Array.from({ length: n }, () => (P.BASE as any).multiply(randomScalar(P.Fn.ORDER)))
    const scalars = Array.from({ length: n }, () => randomScalar(P.Fn.ORDER))
    const want = mulAddUnsafe(P as any, points, scalars) as any
    if (hand && !hand(points, scalars).equals(want)) throw new Error(`${curve} msm disagrees with noble`)
    if (!(pippenger(P as any, points, scalars) as any).equals(want)) throw new Error('pippenger disagrees')
    const noble = await time(`${curve} msm ${n} (mulAddUnsafe)`, () => mulAddUnsafe(P as any, points, scalars))
    const pip = await time(`${curve} msm ${n} (pippenger)`, () => pippenger(P as any, points, scalars))
    const h = hand ? await time(`${curve} msm ${n} (hand)`, () => hand(points, scalars)) : undefined
    line(`${curve} public MSM of ${n} points (mulAddUnsafe)`, noble, h)
    line(`${curve} public MSM of ${n} points (pippenger)`, pip, h)
  }
}
{
  const points = Array.from({ length: 16 }, () => Ed.BASE.multiply(randomScalar(Ed.Fn.ORDER)))
  let i = 0
  const noble = await time('ed25519 isTorsionFree', () => points[i++ & 15]!.isTorsionFree())
  const h = msm ? await time('ed25519 prime-order (hand)', () => msm.ed25519IsPrimeOrder(points[i++ & 15]!)) : undefined
  line('ed25519 prime-order check of a received point', noble, h)
  const viaMsm = await time('ed25519 [L]P via mulAddUnsafe', () => mulAddUnsafe(Ed, [points[i++ & 15]!], [Ed.Fn.ORDER], true).is0())
  line('ed25519 prime-order check ([L]P = 0 via mulAddUnsafe)', viaMsm, h)
}

// ---- DKLs23 base OTs ---------------------------------------------------------------------------
{
  const points = Array.from({ length: 257 }, () => K.BASE.multiply(randomScalar(K.Fn.ORDER)))
  const k = randomScalar(K.Fn.ORDER)
  const noble = await time('secp256k1 257 points × one secret scalar (multiply + normalizeZ)', () => normalizeZ(K, points.map((p) => p.multiply(k))), 3_000, 3, 50)
  const h = pointMul ? await time('mulSameScalar 257', () => pointMul.mulSameScalar(points, k), 3_000, 3, 50) : undefined
  line('secp256k1: 257 points × one secret scalar', noble, h)
}
{
  const B = K.BASE.multiply(randomScalar(K.Fn.ORDER))
  const scalars = Array.from({ length: 256 }, () => randomScalar(K.Fn.ORDER))
  const noble = await time('fixed point × 256 secret scalars (precompute 8 + multiply)', () => {
    const table = K.fromAffine(B.toAffine()).precompute(8, false)
    return normalizeZ(K, scalars.map((s) => table.multiply(s)))
  }, 3_000, 3, 50)
  const h = pointMul
    ? await time('FixedBaseTable 256', () => {
        const t = new pointMul.FixedBaseTable(B)
        return scalars.map((s) => t.multiply(s))
      }, 3_000, 3, 50)
    : undefined
  line('secp256k1: one fixed point × 256 secret scalars (table included)', noble, h)
  const noMul = await time('fixed point × 256 secret scalars (plain multiply)', () => normalizeZ(K, scalars.map((s) => B.multiply(s))), 3_000, 3, 50)
  line('secp256k1: one fixed point × 256 secret scalars (plain multiply)', noMul, h)
}
{
  let i = 0
  const scalars = Array.from({ length: 64 }, () => randomScalar(K.Fn.ORDER))
  const noble = await time('G × secret scalar (BASE.multiply)', () => K.BASE.multiply(scalars[i++ & 63]!))
  const h = pointMul ? await time('mulBase', () => pointMul.mulBase(scalars[i++ & 63]!)) : undefined
  line('secp256k1: G × one secret scalar', noble, h)
}

}

// ---- FROST round two, one party: noble's public FROST API vs zrkit's prepared signing package ------
// What one party of a t-signer run computes once nonces are exchanged: its share, then the aggregate
// checked by an independent verifier (zrkit: prepareSigning + signShare + aggregateVerified; noble:
// signShare + aggregate, each of which re-derives round two from the bytes, then the same verifier).
if (only !== 'curves') {
  const { aggregateVerified, commit, frostSuite, prepareKey, prepareSigning, signShare } = await import('../packages/mpc/src/internal.js')
  console.log('')
  for (const keyType of ['eddsa-ed25519', 'schnorr-secp256k1'] as const) {
    const suite = frostSuite(keyType)
    for (const t of [2, 3, 5]) {
      const deal = suite.dkg.trustedDealer({ min: t, max: t + 1 })
      const secrets = Object.values(deal.secretShares).slice(0, t)
      const msg = new TextEncoder().encode(`bench ${keyType} ${t}`)
      const groupKey = suite.groupKey({ public: deal.public, secret: secrets[0]! } as never)
      // Rounds prepared beforehand (every signer's commitments and shares: the other parties' work),
      // two per timed run, so that only this party's round-two work is timed.
      const runs = 20
      const pool = Array.from({ length: 2 * (runs + 1) }, () => {
        const r = secrets.map((s) => commit(suite, s as never))
        const list = r.map((x) => x.commitments)
        const shares = Object.fromEntries(
          secrets.map((s, i) => [s.identifier, suite.sign.signShare(s as never, deal.public as never, { hiding: r[i]!.nonces.hiding.slice(), binding: r[i]!.nonces.binding.slice() }, list as never, msg)]),
        )
        return { r, list, shares }
      })
      let next = 0
      const key = prepareKey(suite, deal.public as never)
      const ours = await time(`zrkit ${keyType} t=${t}`, () => {
        const { r, list, shares } = pool[next++]!
        const p = prepareSigning(suite, key, list, msg, { own: r[0]!.commitments })
        signShare(p, secrets[0]! as never, r[0]!.nonces)
        const res = aggregateVerified(p, shares, (sig) => suite.verify(sig, msg, groupKey))
        if (!res.ok) throw new Error('zrkit aggregate failed')
      }, 60_000, runs, runs)
      const nobles = await time(`noble ${keyType} t=${t}`, () => {
        const { r, list, shares } = pool[next++]!
        suite.sign.signShare(secrets[0]! as never, deal.public as never, r[0]!.nonces, list as never, msg)
        const sig = suite.sign.aggregate(deal.public as never, list as never, msg, shares)
        if (!suite.verify(sig, msg, groupKey)) throw new Error('noble aggregate failed')
      }, 60_000, runs, runs)
      line(`FROST ${keyType}: one party's round two, t = ${t}`, nobles, ours)
    }
    // Round one: fresh nonces, their commitments, and the commitment points the party signs with
    // (noble's commit gives bytes only, so its points are decoded back; zrkit's keeps them).
    const secret = Object.values(suite.dkg.trustedDealer({ min: 2, max: 3 }).secretShares)[0]!
    const Point = suite.Point as unknown as { fromBytes(bytes: Uint8Array): unknown }
    const nobleCommit = await time(`noble commit ${keyType}`, () => {
      const { commitments } = suite.sign.commit(secret as never)
      return [Point.fromBytes(commitments.hiding), Point.fromBytes(commitments.binding)]
    })
    const ourCommit = await time(`zrkit commit ${keyType}`, () => commit(suite, secret as never))
    line(`FROST ${keyType}: round one, nonces to points`, nobleCommit, ourCommit)
  }
}
