import { sha256 } from '@noble/hashes/sha2.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { type Accusation, type Account, type KeyType, ZrError, toHex } from '@zrkit/core'
import { equalBytes, signatureProblem } from '@zrkit/core/internal'
import { misbehaved } from '../frost/messages.js'
import { gatherSigners, holdAsBackup, packageDigest, runAttempts, sendToAll, signedBy } from '../federation/coordinator.js'
import type { Session, SessionRouter } from '../transport/SessionRouter.js'
import type { EcdsaKeyState } from './ecdsaKey.js'
import { runPairSetup } from './pairSetup.js'
import type { PresignaturePool } from './presignaturePool.js'
import { type DklsPairSetup, type DklsPresignature, type DklsSignBroadcast, type DklsSignMsg1, type DklsSignMsg2, DklsOnlineSigner, DklsPresignSession, DklsSignSession } from './sign.js'
import { Transcript, bytesToBigInt } from './ot/transcript.js'
import { type WireSchema, type WireValue, decodeWire, encodeWire } from './wire.js'

/** Options of {@link runEcdsaSigning}. */
export type RunEcdsaSigningOptions = {
  router: SessionRouter
  /** Names this signing job; attempts run in sessions `${sessionId}/${attempt}`. The same at every party. */
  sessionId: string
  /** The key, as this party holds it (its share and its pair setups). */
  key: EcdsaKeyState
  /** `ecdsa-secp256k1` or `bitcoin-secp256k1` (for the final check and error messages). */
  keyType: KeyType
  /** 32-byte digests to sign (one signature each). */
  digests: readonly Uint8Array[]
  /** Additive tweak of a derived child key (`signingKey(...).tweak`); signatures verify under `signingPublicKey`. */
  tweak?: bigint
  /** The key the signatures must verify under (the child's for a tweak; default the key itself). */
  signingPublicKey?: Uint8Array
  /** This party's account: as coordinator it signs the signing set. */
  account: Account
  /** The verified account public key of a party (e.g. `SecureTransport.identityKey`). */
  identityKey: (party: string) => Uint8Array | undefined
  /** Picks the first coordinator (e.g. the request id). */
  seed: number
  /** How long one attempt waits for a round (default 3 000 ms). */
  attemptTimeoutMs?: number
  /**
   * How long a party outside the signing set holds the signers' (checked) result before returning it for posting
   * (default 250 ms, at most `attemptTimeoutMs`): the signers post it; this party is their backup. Abort `signal`
   * when the request is settled meanwhile (the connector does) and it posts nothing.
   */
  backupDelayMs?: number
  /**
   * While fewer than `threshold` parties are connected to the relay (as the transport's presence tells), wait for
   * more until this time (ms since the epoch, this machine's clock) before each attempt, instead of running attempts
   * that would end at once: a relay that restarted, parties reconnecting. And when each party has coordinated one
   * attempt and none succeeded, attempts go on (paced) until this time or the signal (the connector fires it when
   * it endorses a co-party's posted result instead). Default: no wait, one attempt per party.
   * The federation's parties set it from the request's expiry.
   */
  waitForSignersUntil?: number | undefined
  signal?: AbortSignal
  /**
   * The key's presignature pool at this party. A signing whose signers all hold a presignature of their
   * set (one per digest) uses them: one online round instead of three. Each use is recorded durably before
   * any share leaves the party, and every signer confirms its own record to the others before any share is
   * sent. After a signing the signers refill the pool in the background (up to `pool.perSet`).
   * Absent: every signing runs all three rounds.
   */
  presignatures?: PresignaturePool
  /**
   * How many presignatures a signing this party coordinates asks its signers to make afterwards, at most
   * (0 to 2, default 2; never past the pool's `perSet`). 0: none (a benchmark of the online round alone).
   */
  presignatureRefill?: number
}

/** What {@link runEcdsaSigning} returns: 65-byte r || s || v signatures (low S, v = recovery id). */
export type EcdsaSigningResult = {
  signatures: Uint8Array[]
  signers: string[]
  attempts: number
  /** Parties caught cheating along the way (each excluded from the later attempts, its setups burned). */
  accusations: Accusation[]
  /** Whether the signatures came from pooled presignatures (the online round alone). */
  presigned: boolean
  /**
   * At a signer whose signing set refills its pool: the background presigning, which resolves with the
   * number of presignatures added (0 when it failed: a signer down, say). Never rejects.
   */
  refill?: Promise<number>
}

const PACKAGE_DOMAIN = 'zrkit/dkls23/signing-set/v1'
const readySchema: WireSchema = { record: { nonce: { bytes: 32 }, presignatures: { list: { bytes: 32 } } } }
const packageSchema: WireSchema = { record: { signers: { list: 'bytes' }, nonces: { list: { bytes: 32 } }, presignatures: { list: { bytes: 32 } }, refill: { bytes: 1 }, signature: { bytes: 64 } } }
const okSchema: WireSchema = { record: { ok: { bytes: 1 } } }
/** Presignature ids a party offers the coordinator, at most. */
const OFFERED_MAX = 64
/** Presignatures one signing asks its signers to make afterwards, at most. */
const REFILL_MAX = 2
const setupSchema: WireSchema = { record: { setup: { bytes: 32 } } }
const msg1Schema: WireSchema = { record: { commitment: 'bytes', mul: { record: { ote: { record: { u: 'bytes', xTilde: 'bytes', tTilde: 'bytes' } } } } } }
const msg2Schema: WireSchema = {
  record: {
    instancePoint: 'bytes',
    salt: 'bytes',
    publicShare: 'bytes',
    gammaU: 'bytes',
    gammaV: 'bytes',
    psi: 'bytes',
    mul: { record: { tau: 'bytes', r: 'bytes', u: 'bytes' } },
  },
}
const msg3Schema: WireSchema = { record: { u: 'bytes', w: 'bytes' } }
const listOf = (item: WireSchema, length: number): WireSchema => ({ list: item, length })
const NO_SETUP = new Uint8Array(32)
const text = new TextEncoder()
const untext = new TextDecoder()

type Package = { signers: string[]; nonces: Uint8Array[]; presignatures: Uint8Array[]; refill: number; signature: Uint8Array }
type PackageBody = Omit<Package, 'signature'>
const hashOf = (p: PackageBody) => sha256(encodeWire({ signers: p.signers.map((s) => text.encode(s)), nonces: p.nonces, presignatures: p.presignatures, refill: Uint8Array.of(p.refill) }))
type Ready = { nonce: Uint8Array; presignatures: Uint8Array[] }

/**
 * Threshold ECDSA signing (DKLs23, three rounds) of one or more digests by any `threshold` parties.
 *
 * Each attempt has a coordinator (rotating from `seed`, as FROST signing does): the parties send it a
 * fresh 32-byte nonce; it picks itself and the first others to answer and signs the signing set with
 * the nonces. The DKLs23 session id is a hash of the attempt's session and that package, so every
 * signer's own fresh nonce makes it unique: no OT-extension session id is ever reused, even across
 * restarts, without storing used ids.
 *
 * Then each pair of signers compares its setup ids; a pair whose setup is burned (after a failed check)
 * or differs reruns its base OTs first, bound to this session, and stores the new setup. The three
 * DKLs23 rounds follow (per-counterparty messages, then u and w to the other signers); every signer
 * combines, checks the signature against the exact R and returns it low-S with its recovery id, and
 * sends it to the parties outside the signing set, which verify it themselves.
 *
 * A failed check attributable to one party burns the setups with it, excludes it from the remaining
 * attempts and names it in the final error; a party that does not answer in time ends the attempt and
 * the next coordinator takes over, so up to n - t parties may be down. No invalid signature is returned.
 *
 * @example
 * ```ts
 * const { signatures } = await runEcdsaSigning({
 *   router, sessionId: `ecdsa/sign/${keyring}/${requestId}`, key, keyType: 'ecdsa-secp256k1',
 *   digests: [digest], account, identityKey: (p) => transport.identityKey(p), seed: requestId,
 * })
 * ```
 */
export async function runEcdsaSigning(options: RunEcdsaSigningOptions): Promise<EcdsaSigningResult> {
  const { router, key, digests, signal, account } = options
  const self = key.key.self
  const parties = [...key.key.parties]
  const threshold = key.key.threshold
  const timeoutMs = options.attemptTimeoutMs ?? 3_000
  const signingKey = options.signingPublicKey ?? key.key.publicKey
  if (digests.length === 0 || digests.some((d) => !(d instanceof Uint8Array) || d.length !== 32)) {
    throw new ZrError('INVALID_INPUT', 'Threshold ECDSA signs 32-byte digests.', { details: `got ${digests.map((d) => (d instanceof Uint8Array ? `${d.length} bytes` : typeof d)).join(', ') || 'none'}` })
  }
  const refillMost = options.presignatureRefill
  if (refillMost !== undefined && (!Number.isSafeInteger(refillMost) || refillMost < 0 || refillMost > REFILL_MAX)) {
    throw new ZrError('INVALID_INPUT', 'Invalid presignature refill.', { details: `presignatureRefill: expected an integer from 0 to ${REFILL_MAX}, got ${String(refillMost)}` })
  }
  const wait = { timeoutMs, ...(signal ? { signal } : {}) }
  // A party named as a cheater: never reuse OT correlations with it (the next signature with it reruns the base OTs).
  const onExcluded = (party: string) => key.burn(party)
  // Once an attempt of this signing failed with presignatures (a signer no longer held one: a concurrent signing took
  // it between the offer and the take), this party offers none again, so the later attempts run all rounds instead of
  // racing for the pool once more.
  let presignaturesFailed = false
  const { value, attempts, accusations } = await runAttempts({ router, sessionId: options.sessionId, parties, seed: options.seed, signal, quorum: options.waitForSignersUntil === undefined ? undefined : { size: threshold, until: options.waitForSignersUntil }, onExcluded, followExcludedCoordinators: true }, async ({ session, coordinator, excluded, givenUp, decline }) => {
    // presignatures this party picked as coordinator: let go at the end of the attempt unless taken by then
    const picks: Uint8Array[] = []
    try {
      const nonce = randomBytes(32)
      const offered = presignaturesFailed ? [] : ((await options.presignatures?.allIds(OFFERED_MAX)) ?? [])
      let pkg: Package
      if (coordinator === self) {
        const chosen = await gatherSigners<Ready>(session, 'ecdsa/ready', {
          parties,
          mine: { nonce, presignatures: offered },
          threshold,
          excluded,
          wait,
          accept: (p, body) => decodeWire<Ready>(body, p, 'ready message', readySchema),
        })
        const signers = chosen.map(([p]) => p)
        const { use, refill } = await choosePresignatures(options.presignatures, signers, chosen, digests.length, options.presignatureRefill ?? REFILL_MAX)
        picks.push(...use)
        const body: PackageBody = { signers, nonces: chosen.map(([, r]) => r.nonce), presignatures: use, refill }
        pkg = { ...body, signature: await account.sign(packageDigest(PACKAGE_DOMAIN, session.id, hashOf(body))) }
        await sendToAll(session, 'ecdsa/package', encodeWire({ signers: pkg.signers.map((s) => text.encode(s)), nonces: pkg.nonces, presignatures: pkg.presignatures, refill: Uint8Array.of(pkg.refill), signature: pkg.signature }))
      } else {
        // a coordinator caught cheating gets no nonce from this party: it can only sign without it
        if (excluded.has(coordinator)) decline(coordinator)
        else await session.send(coordinator, 'ecdsa/ready', encodeWire({ nonce, presignatures: offered }))
        const raw = await session.collect('ecdsa/package', { ...wait, from: [coordinator] })
        const w = decodeWire<{ signers: Uint8Array[]; nonces: Uint8Array[]; presignatures: Uint8Array[]; refill: Uint8Array; signature: Uint8Array }>(raw.get(coordinator) as Uint8Array, coordinator, 'signing set', packageSchema)
        pkg = { signers: w.signers.map((s) => untext.decode(s)), nonces: w.nonces, presignatures: w.presignatures, refill: w.refill[0] as number, signature: w.signature }
        if (!signedBy(options.identityKey, PACKAGE_DOMAIN, session.id, coordinator, hashOf(pkg), pkg.signature)) throw misbehaved(coordinator, 'sent a signing set without its valid signature')
      }
      checkPackage(pkg, coordinator, parties, threshold, self, nonce, digests.length)
      const sid = new Transcript('zrkit/dkls23/sign-session/v1').bytes('session', text.encode(session.id)).bytes('package', hashOf(pkg)).challengeBytes('sid', 32)

      let signatures: Uint8Array[]
      let refill: Promise<number> | undefined
      if (pkg.signers.includes(self)) {
        // (a failure here tells every other party at once: see runAttempts)
        signatures = pkg.presignatures.length
          ? await signOnline(session, options, pkg.signers, pkg.presignatures, wait).catch((e: unknown) => {
              presignaturesFailed = true
              throw e
            })
          : await signAsMember(session, options, pkg.signers, sid, wait)
        if (pkg.refill > 0 && options.presignatures) refill = refillPresignatures(options, options.presignatures, pkg.signers, sid, `${session.id}/presign`, pkg.refill)
        const outside = parties.filter((p) => !pkg.signers.includes(p))
        if (outside.length) await sendToAll(session, 'ecdsa/result', encodeWire({ signatures }), outside)
      } else {
        signatures = await receiveResult(session, options, pkg.signers, signingKey, wait, givenUp)
        // a backup: the signers post this result; return it for posting only if the request is still open after the delay
        await holdAsBackup(options.backupDelayMs, wait.timeoutMs, options.signal)
      }
      return { signatures, signers: pkg.signers, presigned: pkg.presignatures.length > 0, ...(refill ? { refill } : {}) }
    } finally {
      options.presignatures?.release(picks)
    }
  })
  return { ...value, attempts, accusations }
}

function checkPackage(pkg: Package, coordinator: string, parties: string[], threshold: number, self: string, nonce: Uint8Array, digests: number): void {
  const distinct = new Set(pkg.signers)
  const sorted = pkg.signers.every((s, i) => i === 0 || (pkg.signers[i - 1] as string) < s)
  if (!sorted || distinct.size !== pkg.signers.length || pkg.signers.length < threshold || pkg.nonces.length !== pkg.signers.length || pkg.signers.some((s) => !parties.includes(s)) || !pkg.signers.includes(coordinator)) {
    throw misbehaved(coordinator, 'sent a signing set that is not a valid choice of signers')
  }
  const at = pkg.signers.indexOf(self)
  if (at >= 0 && !equalBytes(pkg.nonces[at] as Uint8Array, nonce)) throw misbehaved(coordinator, 'altered this party’s nonce')
  if ((pkg.presignatures.length !== 0 && pkg.presignatures.length !== digests) || new Set(pkg.presignatures.map((p) => toHex(p))).size !== pkg.presignatures.length || pkg.refill > REFILL_MAX) {
    throw misbehaved(coordinator, 'sent a signing set with an invalid choice of presignatures')
  }
}

/** A signer's part: setup check (and rerun), the three DKLs23 rounds, the combined signatures. */
async function signAsMember(
  session: Session,
  options: RunEcdsaSigningOptions,
  signers: string[],
  sid: Uint8Array,
  wait: { timeoutMs: number; signal?: AbortSignal },
): Promise<Uint8Array[]> {
  const { key, digests } = options
  const self = key.key.self
  const others = signers.filter((s) => s !== self)
  const from = (round: string) => session.collect(round, { ...wait, from: others })
  const perParty = async (round: string, bodies: (j: string) => WireValue) => {
    await Promise.all(others.map((j) => session.send(j, round, encodeWire(bodies(j)))))
  }

  // Setup check: both sides of a pair must hold the same live setup; else rerun the base OTs.
  const live = new Map(await Promise.all(others.map(async (j) => [j, await key.pair(j)] as const)))
  await perParty('ecdsa/setup', (j) => ({ setup: live.get(j)?.setupId ?? NO_SETUP }))
  const theirs = await from('ecdsa/setup')
  const rerun = others.filter((j) => {
    const t = decodeWire<{ setup: Uint8Array }>(theirs.get(j) as Uint8Array, j, 'setup id', setupSchema).setup
    const mine = live.get(j)
    return !mine || !equalBytes(mine.setupId, t)
  })
  if (rerun.length) {
    const context = new Transcript('zrkit/dkls23/setup-rerun/v1').bytes('sid', sid).challengeBytes('context', 32)
    const fresh = await runPairSetup({ session, counterparties: rerun, context, prefix: 'ecdsa/rerun', ...wait })
    for (const [j, record] of fresh) await key.install(j, record)
    for (const j of rerun) live.set(j, await key.pair(j))
  }
  const pairs = new Map<string, DklsPairSetup>()
  for (const j of others) {
    const p = live.get(j)
    if (!p) throw new ZrError('MPC_ABORT', 'A pair setup is unusable.', { details: `the setup with ${j} was burned while this signing ran`, context: { party: j } })
    pairs.set(j, p.setup)
  }

  const info = signers.map((id) => ({ id, index: key.indexOf(id) }))
  const share = bytesToBigInt(key.key.share)
  const sessions = digests.map(
    (digest, k) =>
      new DklsSignSession({
        id: self,
        signers: info,
        share,
        publicKey: key.key.publicKey,
        pairs,
        sessionId: new Transcript('zrkit/dkls23/sign-digest/v1').bytes('sid', sid).u32('index', k).challengeBytes('sid', 32),
        digest,
        ...(options.tweak ? { tweak: options.tweak } : {}),
      }),
  )
  const n = digests.length
  const collectList = async <T>(round: string, what: string, schema: WireSchema): Promise<Map<string, T[]>> => {
    const raw = await from(round)
    return new Map(others.map((j) => [j, decodeWire<T[]>(raw.get(j) as Uint8Array, j, what, listOf(schema, n))]))
  }
  const byDigest = <T>(msgs: Map<string, T[]>, k: number) => new Map(others.map((j) => [j, (msgs.get(j) as T[])[k] as T]))

  const r1 = sessions.map((s) => s.round1())
  // The rounds are named with the wire version of the multiplication (v2: two row-hash scalars per digest):
  // a party on another version never answers them, so the attempt times out instead of failing a check and
  // burning the pair's setup.
  await perParty('ecdsa/v2/1', (j) => r1.map((m) => m.get(j) as unknown as WireValue))
  const in1 = await collectList<DklsSignMsg1>('ecdsa/v2/1', 'round-1 message', msg1Schema)
  const r2 = sessions.map((s, k) => s.round2(byDigest(in1, k)))
  await perParty('ecdsa/v2/2', (j) => r2.map((m) => m.get(j) as unknown as WireValue))
  const in2 = await collectList<DklsSignMsg2>('ecdsa/v2/2', 'round-2 message', msg2Schema)
  const r3 = sessions.map((s, k) => s.round3(byDigest(in2, k)))
  await perParty('ecdsa/v2/3', () => r3 as unknown as WireValue)
  const in3 = await collectList<DklsSignBroadcast>('ecdsa/v2/3', 'round-3 message', msg3Schema)
  return sessions.map((s, k) => s.finish(byDigest(in3, k)))
}

/**
 * The coordinator's choice: presignatures of exactly this signing set that it and every other signer
 * offered (one per digest, or none: then all rounds run), and how many the signers make afterwards to
 * keep the pool at `perSet`.
 */
async function choosePresignatures(pool: PresignaturePool | undefined, signers: string[], chosen: [string, Ready][], digests: number, most: number): Promise<{ use: Uint8Array[]; refill: number }> {
  if (!pool || pool.perSet === 0) return { use: [], refill: 0 }
  const offers = chosen.map(([, r]) => new Set(r.presignatures.map((id) => toHex(id))))
  const offeredByAll = (id: Uint8Array) => offers.every((o) => o.has(toHex(id)))
  // picked, not merely listed: another signing this party coordinates at the same time gets other ones
  const use = await pool.pick(signers, digests, offeredByAll)
  const common = (await pool.ids(signers)).filter(offeredByAll)
  return { use, refill: Math.max(0, Math.min(most, REFILL_MAX, pool.perSet - (common.length - use.length))) }
}

/**
 * A signer's part with pooled presignatures: each one is taken from the pool (its use recorded durably)
 * before anything else; the signers confirm that to one another; only then does any share leave, in
 * the one online round. A party that does not hold them (used already, or restored from an old backup
 * while the others used them) says so, and no signer sends a share: the next attempt runs all rounds.
 */
async function signOnline(session: Session, options: RunEcdsaSigningOptions, signers: string[], ids: Uint8Array[], wait: { timeoutMs: number; signal?: AbortSignal }): Promise<Uint8Array[]> {
  const { key, digests, presignatures: pool } = options
  const self = key.key.self
  const others = signers.filter((s) => s !== self)
  const taken: DklsPresignature[] = []
  for (const id of ids) {
    const p = await pool?.take(id, signers)
    if (p) taken.push(p)
  }
  const held = taken.length === ids.length
  await Promise.all(others.map((j) => session.send(j, 'ecdsa/presigned', encodeWire({ ok: Uint8Array.of(held ? 1 : 0) }))))
  if (!held) throw new ZrError('MPC_ABORT', 'This party does not hold the chosen presignatures.', { details: 'they were used already or never made here; the next attempt signs without presignatures', context: { suspects: [] } })
  const confirmations = await session.collect('ecdsa/presigned', { ...wait, from: others })
  for (const j of others) {
    const { ok } = decodeWire<{ ok: Uint8Array }>(confirmations.get(j) as Uint8Array, j, 'presignature confirmation', okSchema)
    if (ok[0] !== 1) throw new ZrError('MPC_ABORT', 'A signer does not hold the chosen presignatures.', { details: `${j} says it does not hold them; no share was sent, and the next attempt signs without presignatures`, context: { suspects: [j] } })
  }
  const online = digests.map((digest, k) => new DklsOnlineSigner(taken[k] as DklsPresignature, { digest, ...(options.tweak ? { tweak: options.tweak } : {}) }))
  const shares = online.map((o) => o.share())
  await Promise.all(others.map((j) => session.send(j, 'ecdsa/online', encodeWire(shares as unknown as WireValue))))
  const raw = await session.collect('ecdsa/online', { ...wait, from: others })
  const inbound = new Map(others.map((j) => [j, decodeWire<DklsSignBroadcast[]>(raw.get(j) as Uint8Array, j, 'online share', listOf(msg3Schema, digests.length))]))
  return online.map((o, k) => o.finish(new Map(others.map((j) => [j, (inbound.get(j) as DklsSignBroadcast[])[k] as DklsSignBroadcast]))))
}

/**
 * The signers' background presigning after a signing: `count` presignatures of their set, each made
 * in rounds 1 to 3 with a session id derived from the signing's (unique: it holds every signer's fresh
 * nonce), added to the pool. Resolves with the number added, 0 when anything failed (a signer down).
 */
async function refillPresignatures(options: RunEcdsaSigningOptions, pool: PresignaturePool, signers: string[], sid: Uint8Array, sessionName: string, count: number): Promise<number> {
  const { key } = options
  const self = key.key.self
  const others = signers.filter((s) => s !== self)
  // After what the caller does with the signatures at once (posting them): the refill is background work.
  await new Promise((resolve) => setTimeout(resolve, 0))
  const session = options.router.open(sessionName, signers)
  try {
    const wait = { timeoutMs: options.attemptTimeoutMs ?? 3_000 }
    const pairs = new Map<string, DklsPairSetup>()
    for (const j of others) {
      const p = await key.pair(j)
      if (!p) return 0
      pairs.set(j, p.setup)
    }
    const info = signers.map((id) => ({ id, index: key.indexOf(id) }))
    const share = bytesToBigInt(key.key.share)
    const sessions = Array.from(
      { length: count },
      (_, k) => new DklsPresignSession({ id: self, signers: info, share, publicKey: key.key.publicKey, pairs, sessionId: new Transcript('zrkit/dkls23/presign-session/v1').bytes('sid', sid).u32('index', k).challengeBytes('sid', 32) }),
    )
    const exchange = async <T>(round: string, out: Map<string, T>[], what: string, schema: WireSchema): Promise<Map<string, T>[]> => {
      await Promise.all(others.map((j) => session.send(j, round, encodeWire(out.map((m) => m.get(j)) as unknown as WireValue))))
      const raw = await session.collect(round, { ...wait, from: others })
      const got = new Map(others.map((j) => [j, decodeWire<T[]>(raw.get(j) as Uint8Array, j, what, listOf(schema, count))]))
      return sessions.map((_, k) => new Map(others.map((j) => [j, (got.get(j) as T[])[k] as T])))
    }
    const in1 = await exchange<DklsSignMsg1>('ecdsa/presign/v2/1', sessions.map((s) => s.round1()), 'presigning round-1 message', msg1Schema)
    const in2 = await exchange<DklsSignMsg2>('ecdsa/presign/v2/2', sessions.map((s, k) => s.round2(in1[k] as Map<string, DklsSignMsg1>)), 'presigning round-2 message', msg2Schema)
    await pool.add(sessions.map((s, k) => s.round3(in2[k] as Map<string, DklsSignMsg2>)))
    return count
  } catch {
    return 0
  } finally {
    session.close()
  }
}

/** A party outside the signing set: takes the first signer's result that verifies. */
async function receiveResult(
  session: Session,
  options: RunEcdsaSigningOptions,
  signers: string[],
  signingKey: Uint8Array,
  wait: { timeoutMs: number; signal?: AbortSignal },
  givenUp: (parties: readonly string[]) => Promise<string>,
): Promise<Uint8Array[]> {
  const n = options.digests.length
  return new Promise((resolve, reject) => {
    let pending = signers.length
    const fail = (e: unknown) => {
      if (--pending === 0) reject(e)
    }
    // One signer that gave up on the attempt ends it here: the signers did not all finish, so this party
    // moves on with the others rather than take a result only part of the signing set stands behind.
    givenUp(signers).then((s) => reject(new ZrError('TIMEOUT', 'A signer gave up on this attempt.', { details: `${s} said it gave up`, context: { missing: [] } })))
    for (const s of signers) {
      session.collect('ecdsa/result', { ...wait, from: [s] }).then((m) => {
        try {
          const { signatures } = decodeWire<{ signatures: Uint8Array[] }>(m.get(s) as Uint8Array, s, 'signature result', { record: { signatures: { list: { bytes: 65 }, length: n } } })
          signatures.forEach((sig, i) => {
            const problem = signatureProblem(options.keyType, signingKey, options.digests[i] as Uint8Array, sig)
            if (problem) throw misbehaved(s, `sent an invalid signature for digest ${i} (${problem})`)
          })
          resolve(signatures)
        } catch (e) {
          fail(e)
        }
      }, fail)
    }
  })
}
