/**
 * The pairwise setup of two threshold-ECDSA parties (DKLs23 key generation, the part after the Shamir
 * shares): base OTs in both directions and a shared zero-sharing seed, run over a session.
 *
 * For parties i and j, i runs VSOT once as sender toward j (i later extends those OTs as the
 * multiplication's Bob toward j) and once as receiver from j (i later is Alice toward j). Both runs go
 * on at the same time; the first message of each direction also carries a 32-byte contribution to the
 * zero-sharing seed, which is the hash of both contributions, so neither party picks it alone.
 *
 * Round names (`${prefix}/s1` ... `${prefix}/r2`) say which role the sender plays, so one session can
 * hold the setups of every pair at once (key generation) or of a few pairs (a rerun after a burn).
 */
import { randomBytes } from '@noble/hashes/utils.js'
import type { Session } from '../transport/SessionRouter.js'
import { type BaseOtReceiverOutput, type BaseOtSenderOutput, BaseOtReceiver, BaseOtSender, KAPPA } from './ot/baseOt.js'
import { Transcript } from './ot/transcript.js'
import { type WireValue, decodeWire, encodeWire } from './wire.js'

/** What one party keeps of its setup with one counterparty (secret: stored encrypted with its key share). */
export type PairSetupRecord = {
  /** This party as VSOT sender (both seeds): later the OT-extension receiver, i.e. Bob toward the counterparty. */
  readonly bob: BaseOtSenderOutput
  /** This party as VSOT receiver (choice bits and one seed each): later the OT-extension sender, i.e. Alice. */
  readonly alice: BaseOtReceiverOutput
  /** Known to exactly these two parties: the zero-sharing seed. */
  readonly zeroSeed: Uint8Array
}

/** Options of {@link runPairSetup}. */
export type RunPairSetupOptions = {
  session: Session
  /** The counterparties to set up with (every other participant at key generation). */
  counterparties: readonly string[]
  /** Binds the base-OT runs to their purpose: the same bytes at both parties, unique per setup. */
  context: Uint8Array
  /** Prefix of the round names (default `ecdsa/setup`). */
  prefix?: string
  timeoutMs?: number
  signal?: AbortSignal
}

const b32 = { bytes: 32 } as const
const list = (n: number, size: number) => ({ list: { bytes: size }, length: n }) as const
const schemas = {
  s1: { record: { B: { bytes: 33 }, proofR: { bytes: 33 }, proofZ: b32, zero: b32 } },
  r1: { record: { A: list(KAPPA, 33) } },
  s2: { record: { xi: list(KAPPA, 32) } },
  r2: { record: { responses: list(KAPPA, 32) } },
  s3: { record: { open0: list(KAPPA, 32), open1: list(KAPPA, 32) } },
} as const

/** The VSOT session id of the run with `sender` -> `receiver` for a setup context. */
function baseOtSession(context: Uint8Array, sender: string, receiver: string): Uint8Array {
  return new Transcript('zrkit/dkls23/pair-setup/v1').bytes('context', context).partyId('sender', sender).partyId('receiver', receiver).challengeBytes('vsot-session', 32)
}

function zeroSeedOf(context: Uint8Array, me: string, other: string, mine: Uint8Array, theirs: Uint8Array): Uint8Array {
  const [lo, hi] = me < other ? [me, other] : [other, me]
  const [cLo, cHi] = me < other ? [mine, theirs] : [theirs, mine]
  return new Transcript('zrkit/dkls23/zero-seed/v1').bytes('context', context).partyId('low', lo).partyId('high', hi).bytes('low', cLo).bytes('high', cHi).challengeBytes('seed', 32)
}

/**
 * Runs the base OTs in both directions and agrees a zero-sharing seed with each counterparty. A bad
 * message or failed VSOT check rejects with `MPC_ABORT` naming the counterparty (`context.party`).
 *
 * @example
 * ```ts
 * const setups = await runPairSetup({ session, counterparties: ['zen1b...', 'zen1c...'], context: sessionIdBytes })
 * setups.get('zen1b...')!.zeroSeed // 32 bytes known to this party and zen1b... only
 * ```
 */
export async function runPairSetup(options: RunPairSetupOptions): Promise<Map<string, PairSetupRecord>> {
  const { session, context } = options
  const me = session.self
  const prefix = options.prefix ?? 'ecdsa/setup'
  const wait = { ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}), ...(options.signal ? { signal: options.signal } : {}) }
  const send = (to: string, round: keyof typeof schemas, body: WireValue) => session.send(to, `${prefix}/${round}`, encodeWire(body))
  const receive = async <T>(from: string, round: keyof typeof schemas): Promise<T> => {
    const got = await session.collect(`${prefix}/${round}`, { ...wait, from: [from] })
    return decodeWire<T>(got.get(from) as Uint8Array, from, `base OT message (${round})`, schemas[round])
  }

  const one = async (j: string): Promise<[string, PairSetupRecord]> => {
    const contribution = randomBytes(32)
    const sender = new BaseOtSender({ sessionId: baseOtSession(context, me, j), senderId: me, receiverId: j })
    const receiver = new BaseOtReceiver({ sessionId: baseOtSession(context, j, me), senderId: j, receiverId: me })
    let theirs: Uint8Array | undefined
    const asSender = async (): Promise<BaseOtSenderOutput> => {
      await send(j, 's1', { ...sender.round1(), zero: contribution })
      const r1 = await receive<{ A: Uint8Array[] }>(j, 'r1')
      await send(j, 's2', sender.round2(r1))
      const r2 = await receive<{ responses: Uint8Array[] }>(j, 'r2')
      const { message, output } = sender.round3(r2)
      await send(j, 's3', message)
      return output
    }
    const asReceiver = async (): Promise<BaseOtReceiverOutput> => {
      const s1 = await receive<{ B: Uint8Array; proofR: Uint8Array; proofZ: Uint8Array; zero: Uint8Array }>(j, 's1')
      theirs = s1.zero
      await send(j, 'r1', receiver.round1(s1))
      await send(j, 'r2', receiver.round2(await receive(j, 's2')))
      return receiver.round3(await receive(j, 's3'))
    }
    try {
      const [bob, alice] = await Promise.all([asSender(), asReceiver()])
      return [j, { bob, alice, zeroSeed: zeroSeedOf(context, me, j, contribution, theirs as Uint8Array) }]
    } catch (e) {
      sender.burn()
      receiver.burn()
      throw e
    }
  }
  return new Map(await Promise.all(options.counterparties.map(one)))
}
