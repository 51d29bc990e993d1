import { sha256 } from '@noble/hashes/sha2.js'
import { type Accusation, type Account, ZrError, abstain, isZrError } from '@zrkit/core'
import { decodeMessage, encodeMessage, isRecord, misbehaved } from '../frost/messages.js'
import type { Session, SessionRouter } from '../transport/SessionRouter.js'
import { packageDigest, runAttempts, sendToAll, signedBy } from './coordinator.js'

/** Options of {@link runKeyGeneration}. */
export type RunKeyGenerationOptions = {
  router: Pick<SessionRouter, 'open' | 'whenConnected'>
  /** Names this key generation; attempts run in sessions `${sessionId}/${attempt}`. The same at every party. */
  sessionId: string
  /** Every party of the keyring. */
  parties: readonly string[]
  /** Shares needed to sign: at least this many parties must take part. */
  threshold: number
  /** This party's account: as coordinator it signs the set of parties it chose. */
  account: Account
  /** The verified account public key of a party, to check a coordinator's signature. */
  identityKey: (party: string) => Uint8Array | undefined
  /** Picks the first coordinator (e.g. the request id). */
  seed: number
  /** How long a coordinator waits for the parties to say they are ready (default 3 000 ms). */
  joinWindowMs?: number
  /**
   * While fewer than `threshold` parties are connected to the relay (the router's `whenConnected`), wait for more
   * until this time (ms since the epoch, this machine's clock) before each attempt, instead of running attempts
   * that would end at once with too few: a relay that restarted, parties reconnecting. One attempt per party
   * still (two sets of parties out of step must never each make a key). Default: no wait.
   */
  waitForPartiesUntil?: number | undefined
  signal?: AbortSignal | undefined
}

type Holders = { holders: string[]; signature: Uint8Array }
/** The check of the coordinator's message (internal; exported for the decoder fuzz test). */
export const isHolders = (v: unknown): v is Holders => isRecord(v) && Array.isArray(v.holders) && v.holders.every((h) => typeof h === 'string') && v.signature instanceof Uint8Array

const HOLDERS_DOMAIN = 'zrkit/keygen/holders/v1'
const hashOf = (holders: readonly string[]) => sha256(encodeMessage({ holders }))

/**
 * Key generation by the parties that are up: each attempt has a coordinator (rotating from `seed`,
 * as in signing); the parties tell it they are ready, it waits until every party has answered or
 * `joinWindowMs` has passed, and signs and sends the set of parties that answered (itself included;
 * at least `threshold`). The parties of that set run `generate` in a session among themselves; the
 * others abstain: they hold no share of the key, and signing goes on without them. So key requests
 * are fulfilled with up to n - t parties down.
 *
 * A coordinator that hears from fewer than `threshold` parties ends its attempt, and tells those that
 * answered (a signed short set), so they move on together; when every attempt fails, a party that saw
 * too few parties rejects (`MPC_ABORT`, `context.missing`: the parties not heard from in any attempt, so a
 * party busy coordinating elsewhere is not called missing), as does one whose attempts failed on
 * misbehaviour; a party that never heard from any coordinator abstains (`BACKEND_ABSTAIN`), so it
 * cannot reject a key the others generate. A party named as a cheater by a failed generation is left
 * out of the next attempts, and returned in `accusations`.
 *
 * @example
 * ```ts
 * const publicKey = await runKeyGeneration({ router, sessionId: `frost/dkg/${keyring}/${requestId}`, parties, threshold: 2, account, identityKey, seed: requestId },
 *   async (session) => suite.groupKey(await runDkg({ session, parties, suite, threshold: 2 })))
 * ```
 */
export async function runKeyGeneration<T>(options: RunKeyGenerationOptions, generate: (session: Session) => Promise<T>): Promise<{ value: T; accusations: Accusation[] }> {
  const { router, threshold, account, signal } = options
  const parties = [...options.parties].sort()
  const self = account.address
  const joinWindowMs = options.joinWindowMs ?? 3_000
  const wait = (timeoutMs: number) => ({ timeoutMs, ...(signal ? { signal } : {}) })
  /** Set when a coordinator heard from too few parties: how many took part. */
  let tooFew: number | undefined
  const tooFewError = (count: number, missing: readonly string[]) => {
    return new ZrError('MPC_ABORT', `Key generation needs at least ${threshold} parties.`, {
      details: `${count} of ${parties.length} took part within ${joinWindowMs} ms${missing.length ? `; never heard from ${missing.join(', ')}` : ''}`,
      context: { missing },
    })
  }
  try {
    const quorum = options.waitForPartiesUntil === undefined ? undefined : { size: threshold, until: options.waitForPartiesUntil, oneRound: true }
    const { value, accusations } = await runAttempts({ router, sessionId: options.sessionId, parties, seed: options.seed, signal, quorum }, async ({ session, coordinator, excluded }) => {
      let holders: string[]
      if (coordinator === self) {
        holders = await gatherReady(session, parties.filter((p) => p !== self && !excluded.has(p)), wait(joinWindowMs))
        const signature = await account.sign(packageDigest(HOLDERS_DOMAIN, session.id, hashOf(holders)))
        // to every party, so those left out (or, with too few, those that answered) stop waiting
        await sendToAll(session, 'keygen/holders', encodeMessage({ holders, signature } satisfies Holders))
        if (holders.length < threshold) throw tooFewError((tooFew = holders.length), parties.filter((p) => p !== self && !holders.includes(p)))
      } else {
        await session.send(coordinator, 'keygen/ready', encodeMessage({}))
        // the coordinator waits up to the join window before it answers
        const raw = await session.collect('keygen/holders', { ...wait(2 * joinWindowMs), from: [coordinator] })
        const msg = decodeMessage(raw.get(coordinator)!, coordinator, 'set of key holders', isHolders)
        if (!signedBy(options.identityKey, HOLDERS_DOMAIN, session.id, coordinator, hashOf(msg.holders), msg.signature)) {
          throw misbehaved(coordinator, 'sent a set of key holders without its valid signature')
        }
        holders = msg.holders
        const sorted = holders.every((h, i) => i === 0 || holders[i - 1]! < h)
        if (!sorted || !holders.includes(coordinator) || holders.some((h) => !parties.includes(h) || excluded.has(h))) {
          throw misbehaved(coordinator, 'sent an invalid set of key holders')
        }
        // the coordinator heard from too few: this attempt ends for everyone at once
        if (holders.length < threshold) throw tooFewError((tooFew = holders.length), parties.filter((p) => p !== self && !holders.includes(p)))
      }
      // left out: this party holds no share of the key the others make
      if (!holders.includes(self)) return undefined
      const inner = router.open(`${session.id}/generate`, holders)
      try {
        return { result: await generate(inner) }
      } finally {
        inner.close()
      }
    })
    if (!value) throw abstain('the key was generated by other parties; this one answered too late to take part')
    return { value: value.result, accusations }
  } catch (e) {
    if (isZrError(e, 'BACKEND_ABSTAIN') || isZrError(e, 'ABORTED')) throw e
    // runAttempts names as missing only the parties no attempt heard from
    if (tooFew !== undefined) throw tooFewError(tooFew, isZrError(e, 'MPC_ABORT') && Array.isArray(e.context.missing) ? e.context.missing.map(String) : [])
    // a party named as a cheater along the way: say so
    if (isZrError(e, 'MPC_ABORT') && Array.isArray(e.context.excluded) && e.context.excluded.length > 0) throw e
    throw abstain('no coordinator of the key generation answered this party')
  }
}

/** The coordinator's join round: itself and every candidate that says it is ready within the window, sorted. */
async function gatherReady(session: Session, candidates: readonly string[], wait: { timeoutMs: number; signal?: AbortSignal }): Promise<string[]> {
  const ready = [session.self]
  await Promise.all(
    candidates.map((p) =>
      session.collect('keygen/ready', { ...wait, from: [p] }).then(
        () => void ready.push(p),
        (e: unknown) => {
          if (isZrError(e, 'ABORTED')) throw e
        },
      ),
    ),
  )
  return ready.sort()
}
