/**
 * The coordination every zrkit threshold-signing protocol shares (FROST and threshold ECDSA): each
 * attempt has a coordinator, rotating from a seed; the other parties send it their first message; it
 * picks itself and the first `threshold - 1` others to answer as the signing set and signs what it
 * chose with its account key, so nobody can claim it chose something else.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { ZrError, canonicalBytes, verifyAccountSignature } from '@zrkit/core'
import type { Session } from '../transport/SessionRouter.js'

/** The coordinator of attempt `attempt`: parties (sorted) rotate from `seed`. */
export function coordinatorOf(parties: readonly string[], seed: number, attempt: number): string {
  return parties[(seed + attempt) % parties.length] as string
}

/** What a coordinator signs: the protocol, the session (no replay into another run) and the package hash. */
export function packageDigest(domain: string, session: string, packageHash: Uint8Array): Uint8Array {
  return sha256(canonicalBytes({ domain, session, packageHash }))
}

/** True when `signature` is `party`'s account signature over {@link packageDigest}. */
export function signedBy(identityKey: (party: string) => Uint8Array | undefined, domain: string, session: string, party: string, hash: Uint8Array, signature: Uint8Array): boolean {
  const key = identityKey(party)
  return !!key && verifyAccountSignature(signature, packageDigest(domain, session, hash), key)
}

/**
 * Sends a round's message to every other participant over the authenticated channels (direct
 * messages, no echo round: used where each message is checked on its own or signed by its author).
 */
export async function sendToAll(session: Session, round: string, body: Uint8Array, to?: readonly string[]): Promise<void> {
  const targets = (to ?? session.participants).filter((p) => p !== session.self)
  await Promise.all(targets.map((p) => session.send(p, round, body)))
}

/**
 * The coordinator's first round: its own entry plus the first others to answer `round` with an entry
 * `accept` takes (it throws for a bad one: that party is simply not chosen), up to `threshold`
 * entries, sorted by party. Rejects with `TIMEOUT` (`meta.missing`) when too few answer in time.
 */
export async function gatherSigners<T>(
  session: Session,
  round: string,
  options: {
    parties: readonly string[]
    mine: T
    threshold: number
    excluded: ReadonlySet<string>
    accept: (party: string, body: Uint8Array) => T
    wait: { timeoutMs: number; signal?: AbortSignal }
  },
): Promise<[string, T][]> {
  const { parties, threshold, excluded, accept, wait } = options
  const chosen: [string, T][] = [[session.self, options.mine]]
  const candidates = parties.filter((p) => p !== session.self && !excluded.has(p))
  const tooFew = () => new ZrError('TIMEOUT', 'Too few parties answered.', { meta: { missing: candidates.filter((c) => !chosen.some(([x]) => x === c)) } })
  await new Promise<void>((resolve, reject) => {
    if (chosen.length >= threshold) return resolve()
    if (candidates.length === 0) return reject(tooFew())
    let pending = candidates.length
    const settle = () => {
      if (chosen.length >= threshold) resolve()
      else if (--pending === 0) reject(tooFew())
    }
    for (const p of candidates) {
      session.collect(round, { ...wait, from: [p] }).then(
        (m) => {
          if (chosen.length >= threshold) return
          try {
            chosen.push([p, accept(p, m.get(p) as Uint8Array)])
          } catch {
            // a party with a bad entry is not chosen
          }
          settle()
        },
        settle,
      )
    }
  })
  return chosen.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}
