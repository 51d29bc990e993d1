import { type Accusation, ZrError, isZrError } from '@zrkit/core'
import { runDkg } from '../frost/runDkg.js'
import { frostSuite } from '../frost/suites.js'
import type { Session } from '../transport/SessionRouter.js'
import type { EcdsaKeyShare } from './ecdsaKey.js'
import { type PairSetupRecord, runPairSetup } from './pairSetup.js'
import { Transcript } from './ot/transcript.js'

/** Options of {@link runEcdsaDkg}. */
export type RunEcdsaDkgOptions = {
  /** A session among all the parties that will hold shares (every one of them must take part). */
  session: Session
  /**
   * Every party of the keyring, when only some of them generate the key: Shamir x-coordinates are
   * positions in this list (default: the session's participants).
   */
  parties?: readonly string[]
  /** Shares needed to sign (t >= 2). */
  threshold: number
  timeoutMs?: number
  signal?: AbortSignal
}

/** What one party gets from {@link runEcdsaDkg}. */
export type EcdsaDkgResult = {
  share: EcdsaKeyShare
  /** The setups that succeeded; one missing (its counterparty cheated or stalled) is rerun before signing with it. */
  pairs: Map<string, PairSetupRecord>
  /** Parties caught sending a bad DKG share (settled in public) or a bad base-OT message. */
  accusations: Accusation[]
}

/**
 * Dealerless threshold-ECDSA key generation on secp256k1 (DKLs23's key generation: Shamir shares by a
 * verifiable DKG, then the pairwise setup its signing needs). No party ever holds the whole key.
 *
 * 1. The Shamir shares come from zrkit's FROST DKG over secp256k1 (Pedersen VSS with proofs of
 *    knowledge, echo-checked broadcasts, a bad proof or share names its sender): the same polynomial
 *    sharing DKLs23's own key generation produces, with the same security argument.
 * 2. Every pair of parties runs base OTs in both directions (verified simplest OT, 256 each) and
 *    agrees a zero-sharing seed, bound to this session and the new public key (`runPairSetup`). A pair
 *    whose setup fails does not sink the key: the share is kept, the setup is left out (signing reruns
 *    it first, as for a burned one), and a counterparty caught cheating is accused.
 *
 * @example
 * ```ts
 * const session = router.open(`ecdsa/dkg/${keyring}/${requestId}`, parties)
 * const { share, pairs } = await runEcdsaDkg({ session, threshold: 2 })
 * toHex(share.publicKey) // the 33-byte group key, the same at every party
 * ```
 */
export async function runEcdsaDkg(options: RunEcdsaDkgOptions): Promise<EcdsaDkgResult> {
  const { session, threshold } = options
  if (!Number.isInteger(threshold) || threshold < 2 || threshold > session.participants.length) {
    throw new ZrError('INVALID_INPUT', 'Invalid threshold for threshold ECDSA.', { details: `expected an integer in [2, ${session.participants.length}], got ${String(threshold)}` })
  }
  const wait = { ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}), ...(options.signal ? { signal: options.signal } : {}) }
  // secp256k1 FROST DKG (plain, untweaked): the Shamir sharing of the ECDSA key.
  const parties = [...(options.parties ?? session.participants)].sort()
  const accusations: Accusation[] = []
  const frost = await runDkg({ session, parties, suite: frostSuite('schnorr-secp256k1'), threshold, ...wait, onAccusation: (a) => void accusations.push(a) })
  const publicKey = frost.public.commitments[0] as Uint8Array
  const context = new Transcript('zrkit/dkls23/dkg/v1').bytes('session', new TextEncoder().encode(session.id)).bytes('public-key', publicKey).challengeBytes('context', 32)
  // Setups with the parties that took part; one with a party that holds no share is never needed.
  const pairs = new Map<string, PairSetupRecord>()
  await Promise.all(
    session.participants
      .filter((p) => p !== session.self)
      .map(async (j) => {
        try {
          for (const [k, record] of await runPairSetup({ session, counterparties: [j], context, ...wait })) pairs.set(k, record)
        } catch (e) {
          if (!isZrError(e, 'MPC_ABORT') && !isZrError(e, 'TIMEOUT')) throw e
          if (isZrError(e, 'MPC_ABORT') && e.context.party === j) accusations.push({ party: j, reason: e.shortMessage })
        }
      }),
  )
  return {
    share: { parties, threshold, publicKey, self: session.self, share: frost.secret.signingShare },
    pairs,
    accusations,
  }
}
