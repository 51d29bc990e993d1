import { sha256 } from '@noble/hashes/sha2.js'
import { type Accusation, type Account, ZrError } from '@zrkit/core'
import { equalBytes } from '@zrkit/core/internal'
import { gatherSigners, holdAsBackup, packageDigest, runAttempts, sendToAll, signedBy as signedByParty } from '../federation/coordinator.js'
import type { Session, SessionRouter } from '../transport/SessionRouter.js'
import { identifiers } from './runDkg.js'
import { type PreparedKey, aggregateVerified, commit, prepareKey, prepareSigning, signShare } from './signingPackage.js'
import { decodeMessage, encodeMessage, isBytes, isRecord, misbehaved } from './messages.js'
import type { FrostKey, FrostSuite } from './suites.js'

/** Options of {@link runSigning}. */
export type RunSigningOptions = {
  router: SessionRouter
  /** Names this signing job; attempts run in sessions `${sessionId}/${attempt}`. Must be the same at every party. */
  sessionId: string
  /** Every party that holds a share of the key. */
  parties: readonly string[]
  self: string
  suite: FrostSuite
  /** This party's key package, already tweaked for the path (and taproot) being signed for. */
  key: FrostKey
  /**
   * `key.public` as `prepareKey` decodes it, when this party already holds it (a party signing often
   * with one key keeps its own, so its verifying shares are decoded and validated once, not per request).
   * Default: decoded on first use by this signing.
   */
  preparedKey?: PreparedKey | undefined
  /**
   * This party's check of final signatures under the key: `suite.verifier(groupKey)`, kept per key by a
   * party that signs often (as `frostParty` does). Default: made for this signing.
   */
  verifier?: ((signature: Uint8Array, message: Uint8Array) => boolean) | undefined
  threshold: number
  messages: readonly Uint8Array[]
  /** This party's account: as coordinator it signs the signing package. */
  account: Account
  /** The verified account public key of a party (e.g. `SecureTransport.identityKey`), to check a coordinator's signature. */
  identityKey: (party: string) => Uint8Array | undefined
  /** Picks the first coordinator (e.g. the request id), so load spreads over parties. */
  seed: number
  /** How long one attempt waits for a round (default 3 000 ms). */
  attemptTimeoutMs?: number
  /**
   * How long a party that the coordinator did not pick as a signer holds the signers' shares before it
   * aggregates them itself (default 250 ms, at most `attemptTimeoutMs`). The signers post the signature; this
   * party is their backup, for a signer that fails between sending its share and posting, and checks the shares
   * after the delay (a bad one still names its signer, a delay later). Abort `signal` when the request is settled
   * meanwhile (the connector does) and it never spends the work.
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
}

/** What {@link runSigning} returns. */
export type SigningResult = {
  signatures: Uint8Array[]
  signers: string[]
  attempts: number
  /** Parties caught cheating along the way (each excluded from the later attempts). */
  accusations: Accusation[]
}

type Commitments = { identifier: string; hiding: Uint8Array; binding: Uint8Array }
type PackageBody = { signers: string[]; commitments: Commitments[][] }
type Package = PackageBody & { signature: Uint8Array }
type Shares = { packageHash: Uint8Array; packageSignature: Uint8Array; shares: Uint8Array[] }

const isCommitments = (v: unknown): v is Commitments => isRecord(v) && typeof v.identifier === 'string' && isBytes(v.hiding) && isBytes(v.binding)
/** The checks of each round's message (internal; exported for the decoder fuzz test). */
export const isCommitList = (n: number) => (v: unknown): v is Commitments[] => Array.isArray(v) && v.length === n && v.every(isCommitments)
export const isPackage = (v: unknown): v is Package =>
  isRecord(v) &&
  Array.isArray(v.signers) &&
  v.signers.every((s) => typeof s === 'string') &&
  Array.isArray(v.commitments) &&
  v.commitments.every((l) => Array.isArray(l) && l.every(isCommitments)) &&
  isBytes(v.signature)
export const isShares = (v: unknown): v is Shares => isRecord(v) && isBytes(v.packageHash) && isBytes(v.packageSignature) && Array.isArray(v.shares) && v.shares.every(isBytes)

const PACKAGE_DOMAIN = 'zrkit/frost/signing-package/v1'
const hashOf = (pkg: PackageBody) => sha256(encodeMessage({ signers: pkg.signers, commitments: pkg.commitments }))

/**
 * Threshold signing (FROST, RFC 9591) of one or more messages by any `threshold` of the parties.
 *
 * Each attempt has a coordinator, rotating from `seed`: the parties send it fresh nonce commitments; it
 * picks itself and the first others to answer as signers and broadcasts the signing package; the
 * signers broadcast their signature shares to every party; each signer aggregates them and checks the
 * signature with an independent verifier, and if it fails checks each share (a bad share names and
 * excludes its signer for the next attempts; no unverified signature is ever returned). A party not
 * picked keeps the shares as a backup and aggregates them only after `backupDelayMs`, unless `signal`
 * ends its work first because the signers' results settled the request. An attempt
 * whose coordinator or signers do not answer in time is abandoned
 * and the next coordinator takes over, so up to n - t parties may be down. Nonces are never reused.
 */
export async function runSigning(options: RunSigningOptions): Promise<SigningResult> {
  const { router, suite, key, threshold, messages, self, signal } = options
  const parties = [...options.parties].sort()
  const ids = identifiers(suite, parties)
  const timeoutMs = options.attemptTimeoutMs ?? 3_000
  const groupKey = suite.groupKey(key)
  const wait = { timeoutMs, ...(signal ? { signal } : {}) }
  /** This party's decoded key package: decoded on first use, then kept for every attempt and message. */
  let decodedKey: PreparedKey | undefined = options.preparedKey
  let verifyFinal = options.verifier
  const { value, attempts, accusations } = await runAttempts({ router, sessionId: options.sessionId, parties, seed: options.seed, signal, quorum: options.waitForSignersUntil === undefined ? undefined : { size: threshold, until: options.waitForSignersUntil }, followExcludedCoordinators: true }, async ({ session, coordinator, excluded, decline }) => {
    // Round 1: fresh nonces for each message; commitments to the coordinator.
    const nonces = messages.map(() => commit(suite, key.secret))
    const myCommitments = nonces.map((n) => n.commitments as Commitments)
    let pkg: Package
    const signedBy = (party: string, hash: Uint8Array, signature: Uint8Array) => signedByParty(options.identityKey, PACKAGE_DOMAIN, session.id, party, hash, signature)
    if (coordinator === self) {
      const body = await gather(session, parties, myCommitments, threshold, excluded, ids, messages.length, wait)
      pkg = { ...body, signature: await options.account.sign(packageDigest(PACKAGE_DOMAIN, session.id, hashOf(body))) }
      await sendToAll(session, 'sign/package', encodeMessage(pkg))
    } else {
      // a coordinator caught cheating gets no commitments from this party: it can only sign without it
      if (excluded.has(coordinator)) decline(coordinator)
      else await session.send(coordinator, 'sign/commit', encodeMessage(myCommitments))
      const raw = await session.collect('sign/package', { ...wait, from: [coordinator] })
      pkg = decodeMessage(raw.get(coordinator)!, coordinator, 'signing package', isPackage)
      if (!signedBy(coordinator, hashOf(pkg), pkg.signature)) throw misbehaved(coordinator, 'sent a signing package without its valid signature')
    }
    checkPackage(pkg, coordinator, parties, threshold, messages.length, ids, self, myCommitments)
    const packageHash = hashOf(pkg)
    const isSigner = pkg.signers.includes(self)
    // Binding factors, group commitment, challenge and decoded points: computed once per message.
    const prepareAll = () => {
      decodedKey ??= prepareKey(suite, key.public)
      return messages.map((m, i) => prepareSigning(suite, decodedKey!, pkg.commitments[i]!, m, { own: myCommitments[i]! }))
    }
    let prepared = isSigner ? prepareAll() : undefined

    // Round 2: signers broadcast shares; every party checks them, the signers aggregate at once.
    const shares = new Map<string, Uint8Array[]>()
    if (isSigner) {
      const mine = messages.map((_, i) => signShare(prepared![i]!, key.secret, nonces[i]!.nonces))
      shares.set(self, mine)
      await sendToAll(session, 'sign/shares', encodeMessage({ packageHash, packageSignature: pkg.signature, shares: mine } satisfies Shares))
    }
    const others = pkg.signers.filter((s) => s !== self)
    const raw = others.length ? await session.collect('sign/shares', { ...wait, from: others }) : new Map<string, Uint8Array>()
    for (const signer of others) {
      const msg = decodeMessage(raw.get(signer)!, signer, 'signature share message', isShares)
      if (!equalBytes(msg.packageHash, packageHash)) {
        // Two packages signed by the coordinator prove it equivocated; otherwise the signer made its package up.
        if (coordinator !== self && signedBy(coordinator, msg.packageHash, msg.packageSignature)) throw misbehaved(coordinator, 'signed two different signing packages')
        throw misbehaved(signer, 'sent shares for a signing package the coordinator did not sign')
      }
      if (msg.shares.length !== messages.length) throw misbehaved(signer, `sent ${msg.shares.length} shares for ${messages.length} messages`)
      shares.set(signer, msg.shares)
    }
    if (!isSigner) {
      // A backup: the signers post this signature; aggregate only if the request is still open after the delay.
      await holdAsBackup(options.backupDelayMs, timeoutMs, signal)
      prepared = prepareAll()
    }
    const preparedAll = prepared!
    // Aggregate first (RFC 9591 Section 5.3): each signature goes to the independent verifier, and
    // only when one fails are the shares checked one by one, naming and excluding the signer at fault.
    const results = messages.map((m, i) =>
      aggregateVerified(preparedAll[i]!, Object.fromEntries(pkg.signers.map((s) => [ids.get(s)!, shares.get(s)![i]!])), (sig) => (verifyFinal ??= suite.verifier(groupKey))(sig, m)),
    )
    for (const signer of pkg.signers) {
      const i = results.findIndex((r) => !r.ok && r.cheaters.includes(ids.get(signer)!))
      if (i >= 0) throw misbehaved(signer, `sent an invalid signature share for message ${i}`)
    }
    const signatures = results.map((r, i) => {
      if (!r.ok) throw new ZrError('MPC_ABORT', 'The aggregated signature does not verify.', { details: `message ${i}; no signature is returned` })
      return r.signature
    })
    return { signatures, signers: pkg.signers }
  })
  return { ...value, attempts, accusations }
}

/** The coordinator's first round: its own commitments plus the first others' valid ones, up to the threshold. */
async function gather(
  session: Session,
  parties: string[],
  mine: Commitments[],
  threshold: number,
  excluded: ReadonlySet<string>,
  ids: Map<string, string>,
  count: number,
  wait: { timeoutMs: number; signal?: AbortSignal },
): Promise<PackageBody> {
  const chosen = await gatherSigners(session, 'sign/commit', {
    parties,
    mine,
    threshold,
    excluded,
    wait,
    accept: (p, body) => {
      const list = decodeMessage(body, p, 'nonce commitments', isCommitList(count))
      if (list.some((c) => c.identifier !== ids.get(p))) throw misbehaved(p, 'sent commitments under another identifier')
      return list
    },
  })
  return {
    signers: chosen.map(([p]) => p),
    commitments: Array.from({ length: count }, (_, i) => chosen.map(([, list]) => list[i]!)),
  }
}

function checkPackage(pkg: Package, coordinator: string, parties: string[], threshold: number, count: number, ids: Map<string, string>, self: string, mine: Commitments[]): void {
  const distinct = new Set(pkg.signers)
  if (distinct.size !== pkg.signers.length || pkg.signers.length < threshold || pkg.signers.some((s) => !parties.includes(s)) || !pkg.signers.includes(coordinator)) {
    throw misbehaved(coordinator, 'sent a signing package with an invalid signer set')
  }
  if (pkg.commitments.length !== count) throw misbehaved(coordinator, `sent commitments for ${pkg.commitments.length} messages instead of ${count}`)
  for (const list of pkg.commitments) {
    if (list.length !== pkg.signers.length || list.some((c, i) => c.identifier !== ids.get(pkg.signers[i]!))) throw misbehaved(coordinator, 'sent commitments that do not match its signer set')
  }
  const at = pkg.signers.indexOf(self)
  if (at >= 0 && pkg.commitments.some((list, i) => !equalBytes(list[at]!.hiding, mine[i]!.hiding) || !equalBytes(list[at]!.binding, mine[i]!.binding))) {
    throw misbehaved(coordinator, 'altered this party’s nonce commitments')
  }
}
