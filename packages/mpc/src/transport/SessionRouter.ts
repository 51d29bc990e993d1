import { ZrError } from '@zrkit/core'
import { equalBytes } from '@zrkit/core/internal'
import { abortFanout } from './abortFanout.js'
import { type EchoSession, type StoredMessage, confirmBroadcasts } from './echoBroadcast.js'
import type { PartyPresence } from './memoryRelay.js'
import type { BroadcastProof, SecureEnvelope } from './secureTransport.js'
import { type SessionFrame, decodeSessionFrame, encodeSessionFrame } from './sessionFrame.js'
import type { PartyId, Transport } from './Transport.js'

/** Options of {@link Session.collect}. */
export type CollectOptions = {
  /** Whose messages to wait for (default: every other participant). */
  readonly from?: readonly PartyId[] | undefined
  /** Default: the router's `timeoutMs`. */
  readonly timeoutMs?: number | undefined
  /** Default: the router's `awayGraceMs` (0: wait for away parties until the timeout). */
  readonly awayGraceMs?: number | undefined
  readonly signal?: AbortSignal | undefined
}

/** Options of {@link Session.confirmBroadcasts}. */
export type ConfirmOptions = {
  /** Per waiting step (echoes, then blame reports if needed). Default: the router's `timeoutMs`. */
  readonly timeoutMs?: number | undefined
  /** Default: the router's `awayGraceMs` (0: wait for away parties until the timeout). */
  readonly awayGraceMs?: number | undefined
  readonly signal?: AbortSignal | undefined
}

/** One run of a protocol between a fixed set of parties, identified by a session id. */
export type Session = {
  readonly id: string
  readonly self: PartyId
  /** Sorted, includes `self`. */
  readonly participants: readonly PartyId[]
  /** Sends `body` to one participant for `round` (one message per receiver per round). */
  send(to: PartyId, round: string, body: Uint8Array): Promise<void>
  /** Sends `body` to every other participant for `round` (once per round). */
  broadcast(round: string, body: Uint8Array): Promise<void>
  /**
   * Waits for one message per listed party for `round` and returns them by sender. Rejects with
   * `TIMEOUT` (`context.missing`: at the timeout, or as soon as a missing party has been away from the
   * relay for `awayGraceMs`), `ABORTED`, or the session's failure (e.g. `MPC_ABORT`).
   */
  collect(round: string, options?: CollectOptions): Promise<Map<PartyId, Uint8Array>>
  /**
   * Checks that every participant received the same broadcasts for `round`. `received` holds the
   * round's message of every participant, this party's own included. Resolves when all agree; else
   * rejects with `MPC_ABORT` naming the party at fault in `context.party` (the sender that sent different
   * messages, or a participant whose report is false), or `TIMEOUT` naming the silent parties.
   */
  confirmBroadcasts(round: string, received: ReadonlyMap<PartyId, Uint8Array>, options?: ConfirmOptions): Promise<void>
  /** Ends the session: waiting calls reject with `ABORTED`, later messages for it are refused. */
  close(): void
}

/** Routes a transport's messages to sessions. */
export type SessionRouter = {
  /**
   * Opens session `sessionId` with `participants` (party ids, including this party; the others must
   * be peers of the transport). Messages that arrived for it before are delivered now. A session id
   * can be opened once.
   */
  open(sessionId: string, participants: readonly PartyId[]): Session
  /**
   * Waits until at least `count` of `parties` are connected to the relay, as far as the transport's presence
   * tells: this party counts as connected, and so does a party the relay says nothing of, unless the relay, having
   * told presence before, now tells nothing of any of them (this party is cut off from the relay: only it counts,
   * until it is back). Resolves `true` then, or `false` at `until` (ms since the epoch, this machine's clock), on
   * `signal`, or when the router closes. Over a transport without presence it resolves `true` at once. Optional,
   * so that a wrapper of a router may leave it out: a signing over a router without it never waits for parties.
   *
   * @example
   * ```ts
   * // before a 2-of-3 signing attempt: wait up to 5 s for a second party to be back on the relay
   * const enough = await router.whenConnected(parties, 2, { until: Date.now() + 5_000 })
   * ```
   */
  whenConnected?(parties: readonly PartyId[], count: number, options?: { readonly until?: number | undefined; readonly signal?: AbortSignal | undefined }): Promise<boolean>
  /** Closes every session and stops routing. Does not close the transport. */
  close(): void
}

/** Options of {@link createSessionRouter}. */
export type SessionRouterOptions = {
  /**
   * Called with every refused message (code `MPC_TRANSPORT`): malformed, for a closed session, from a
   * non-participant, or dropped from the buffer of not-yet-opened sessions.
   */
  readonly onError?: ((error: ZrError) => void) | undefined
  /** Default wait of `collect` and `confirmBroadcasts`, in ms (default 60 000). */
  readonly timeoutMs?: number | undefined
  /** Messages kept for sessions not opened yet (default 1000); the oldest go first. */
  readonly bufferLimit?: number | undefined
  /** How long such a message is kept, in ms (default 60 000). */
  readonly bufferTtlMs?: number | undefined
  /**
   * When the transport knows who is connected to the relay (`presence`, as {@link secureTransport} over
   * `connectRelay`, `fanoutRelay` or `memoryRelay` does): a wait for a party that has been away for
   * this long ends at once with the `TIMEOUT` its timeout would give (default 2 000 ms; 0: never). A
   * party away for less is waited for until its grace runs out, and for as long as usual if it comes
   * back: a short network blip breaks nothing (the relay buffers its frames meanwhile).
   */
  readonly awayGraceMs?: number | undefined
}

type Pending = { readonly from: PartyId; readonly frame: SessionFrame; readonly proof?: BroadcastProof | undefined; readonly at: number }

/** A transport that can sign broadcasts and tell presence (e.g. {@link secureTransport}); used when available. */
type SigningTransport = Transport & {
  broadcastTo?: (to: readonly PartyId[], payload: Uint8Array) => Promise<void>
  verifyBroadcast?: (from: PartyId, payload: Uint8Array, proof: BroadcastProof) => boolean
  presence?: (party: PartyId) => PartyPresence | undefined
  onPresence?: (fn: (party: PartyId) => void) => () => void
}

/**
 * Splits one {@link Transport} into protocol sessions and rounds.
 *
 * - Each payload is a {@link SessionFrame}. Messages for a session not opened yet are kept (bounded, with
 *   a time limit) and delivered when it opens, so a party that starts late misses nothing.
 * - Messages for a closed session, or from a party that is not a participant, are refused and reported:
 *   a message replayed from another protocol run names another session id and goes nowhere.
 * - A sender gets one message per (session, round): an identical copy is ignored, a different one fails
 *   the session with `MPC_ABORT` naming the sender.
 * - {@link Session.confirmBroadcasts} checks that all participants saw the same broadcasts (echo
 *   broadcast). On a mismatch the parties exchange what they received, with the senders' signatures
 *   when the transport provides them (as {@link secureTransport} does), and the party at fault is
 *   named: a sender proven to have signed two different messages for the round, or a participant whose
 *   echo or accusation does not hold up. With a transport without signatures, the sender whose
 *   message differs between receivers is named.
 * - When the transport tells presence (who is connected to the relay), a wait for a party that has been
 *   away for `awayGraceMs` ends at once with the `TIMEOUT` a timeout would give, so a signing attempt
 *   that needs a dead party moves on in milliseconds once it is known to be down.
 *
 * @example
 * ```ts
 * import { createSessionRouter } from '@zrkit/mpc'
 * const router = createSessionRouter(transport)
 * const session = router.open('keygen-7', [alice.address, bob.address, carol.address])
 * await session.broadcast('commit', commitment)
 * const commits = await session.collect('commit')
 * await session.confirmBroadcasts('commit', new Map([...commits, [session.self, commitment]]))
 * ```
 */
export function createSessionRouter(transport: Transport, options: SessionRouterOptions = {}): SessionRouter & Required<Pick<SessionRouter, 'whenConnected'>> {
  const self = transport.self
  const defaultTimeout = options.timeoutMs ?? 60_000
  const bufferLimit = options.bufferLimit ?? 1000
  const bufferTtl = options.bufferTtlMs ?? 60_000
  const signing = transport as SigningTransport
  const peerSet = new Set(transport.peers)
  const defaultGrace = checkGrace(options.awayGraceMs, 2_000, 'INVALID_CONFIG', 'awayGraceMs')
  const presenceOf = typeof signing.presence === 'function' ? signing.presence.bind(transport) : undefined

  const sessions = new Map<string, ReturnType<typeof makeSession>>()
  // Callers pass one long-lived signal to the waits of many concurrent sessions: one listener on it in all.
  const aborts = abortFanout()
  const closedIds = new Set<string>()
  let pending: Pending[] = []
  let routerClosed = false

  const report = (error: ZrError) => {
    if (!options.onError) return
    try {
      options.onError(error)
    } catch {
      // the callback's own failure must not stop routing
    }
  }
  // built only for a listener: a late frame for a closed session is routine, and an error's stack costs time
  const refuse = (shortMessage: string, details: string, context: Record<string, unknown>) => {
    if (options.onError) report(new ZrError('MPC_TRANSPORT', shortMessage, { details, context }))
  }

  const prune = (now: number) => {
    const keep: Pending[] = []
    for (const p of pending) {
      if (now - p.at > bufferTtl) {
        refuse('Dropped a message for a session never opened.', `kept for ${bufferTtl} ms`, { from: p.from, session: p.frame.session, round: p.frame.round })
      } else keep.push(p)
    }
    pending = keep
  }

  /** Callers of `whenConnected` waiting for more parties to connect. */
  const connectWaiters = new Set<() => void>()
  /**
   * Set once the transport told the presence of any peer (before this router, or in a change since): from then on,
   * knowing nothing of anyone means this party is cut off from the relay.
   */
  let presenceSeen = presenceOf !== undefined && transport.peers.some((p) => presenceOf(p) !== undefined)
  // A party coming or going: every wait looks again at whom it waits for.
  const stopPresence =
    presenceOf && typeof signing.onPresence === 'function'
      ? signing.onPresence.call(transport, (party) => {
          if (presenceOf(party) !== undefined) presenceSeen = true
          for (const s of [...sessions.values()]) s.recheck()
          for (const w of [...connectWaiters]) w()
        })
      : undefined

  transport.onMessage((envelope: SecureEnvelope) => {
    if (routerClosed) return
    const frame = decodeSessionFrame(envelope.payload)
    if (!frame) return refuse('Refused a malformed session message.', 'not a session frame', { from: envelope.from })
    const meta = { from: envelope.from, session: frame.session, round: frame.round }
    if (frame.broadcast !== envelope.broadcast) {
      return refuse('Refused a session message.', `frame says broadcast=${frame.broadcast}, transport says ${envelope.broadcast}`, meta)
    }
    if (closedIds.has(frame.session)) return refuse('Refused a message for a closed session.', `session ${frame.session} is closed`, meta)
    const session = sessions.get(frame.session)
    if (session) return session.receive(envelope.from, frame, envelope.proof)
    const now = Date.now()
    prune(now)
    if (pending.length >= Math.max(0, bufferLimit)) {
      const dropped = pending.shift()
      if (dropped) {
        refuse('Dropped a message for a session never opened.', `at most ${bufferLimit} messages are kept`, {
          from: dropped.from,
          session: dropped.frame.session,
          round: dropped.frame.round,
        })
      }
      if (bufferLimit <= 0) return refuse('Dropped a message for a session never opened.', 'buffering is off', meta)
    }
    pending.push({ from: envelope.from, frame, proof: envelope.proof, at: now })
  })

  function makeSession(id: string, participants: readonly PartyId[]) {
    const participantSet = new Set(participants)
    const others = participants.filter((p) => p !== self)
    const messages = new Map<string, Map<PartyId, StoredMessage>>()
    const sent = new Map<string, { broadcast: boolean; to: Set<PartyId>; body?: Uint8Array }>()
    const waiters = new Set<() => void>()
    let failure: ZrError | undefined
    let closed = false

    const notify = () => {
      for (const w of [...waiters]) w()
    }
    const fail = (error: ZrError) => {
      if (failure || closed) return
      failure = error
      notify()
    }
    const abort = (party: PartyId, round: string, shortMessage: string, details: string) =>
      new ZrError('MPC_ABORT', shortMessage, { details, context: { party, session: id, round } })
    const closedError = () => new ZrError('ABORTED', 'The session is closed.', { context: { session: id } })
    const assertUsable = () => {
      if (closed) throw closedError()
      if (failure) throw failure
    }

    const receive = (from: PartyId, frame: SessionFrame, proof: BroadcastProof | undefined) => {
      if (closed) return
      const meta = { from, session: id, round: frame.round }
      if (from === self || !participantSet.has(from)) {
        return refuse('Refused a message from a non-participant.', `${from} is not a participant of session ${id}`, meta)
      }
      if (failure) return
      let round = messages.get(frame.round)
      if (!round) messages.set(frame.round, (round = new Map()))
      const existing = round.get(from)
      if (existing) {
        if (existing.broadcast === frame.broadcast && equalBytes(existing.body, frame.body)) return
        return fail(abort(from, frame.round, 'A party sent two different messages for one round.', `${from} equivocated in round ${frame.round} of session ${id}`))
      }
      round.set(from, { body: frame.body, broadcast: frame.broadcast, proof })
      notify()
    }

    /** Waits until each of `from` has a message in `round`; with `partial`, a timeout returns what arrived. */
    const wait = (round: string, from: readonly PartyId[], opts: CollectOptions | ConfirmOptions, partial: boolean) =>
      new Promise<{ got: Map<PartyId, StoredMessage>; missing: PartyId[] }>((resolve, reject) => {
        const timeoutMs = opts.timeoutMs ?? defaultTimeout
        const graceMs = opts.awayGraceMs === undefined ? defaultGrace : checkGrace(opts.awayGraceMs, defaultGrace, 'INVALID_INPUT', 'awayGraceMs')
        const signal = opts.signal
        const snapshot = () => {
          const got = new Map<PartyId, StoredMessage>()
          const missing: PartyId[] = []
          const stored = messages.get(round)
          for (const p of from) {
            const m = stored?.get(p)
            if (m) got.set(p, m)
            else missing.push(p)
          }
          return { got, missing }
        }
        /** `away`: the wait ends because that party has been away from the relay for the grace. */
        const finish = (error?: ZrError, timedOut = false, away?: PartyId) => {
          waiters.delete(check)
          if (timer !== undefined) clearTimeout(timer)
          if (awayTimer !== undefined) clearTimeout(awayTimer)
          unwatch?.()
          if (error) return reject(error)
          const result = snapshot()
          if (timedOut && !partial) {
            const why = away === undefined ? `after ${timeoutMs} ms` : `(${away} has been away from the relay for over ${graceMs} ms)`
            return reject(
              new ZrError('TIMEOUT', `Timed out waiting for round ${round}.`, {
                details: `no message from ${result.missing.join(', ')} ${why}`,
                context: { missing: result.missing, session: id, round },
              }),
            )
          }
          resolve(result)
        }
        /** Ends the wait when a missing party has been away for the grace; else looks again when the next one will have been. */
        const checkAway = (missing: readonly PartyId[]) => {
          if (awayTimer !== undefined) clearTimeout(awayTimer)
          awayTimer = undefined
          if (!presenceOf || !(graceMs > 0)) return
          const now = Date.now()
          let next = Number.POSITIVE_INFINITY
          for (const p of missing) {
            const seen = presenceOf(p)
            if (!seen || seen.here) continue
            const at = seen.since + graceMs
            if (at <= now) return finish(undefined, true, p)
            next = Math.min(next, at)
          }
          // (capped: a longer delay overflows setTimeout, which would then fire at once)
          if (Number.isFinite(next)) awayTimer = setTimeout(check, Math.min(next - now, 2 ** 31 - 1))
        }
        const check = () => {
          if (closed) return finish(closedError())
          if (failure) return finish(failure)
          const { missing } = snapshot()
          if (missing.length === 0) return finish()
          checkAway(missing)
        }
        const onAbort = () => finish(new ZrError('ABORTED', `Waiting for round ${round} was aborted.`, { context: { session: id, round } }))
        let timer: ReturnType<typeof setTimeout> | undefined
        let awayTimer: ReturnType<typeof setTimeout> | undefined
        let unwatch: (() => void) | undefined
        if (signal?.aborted) return onAbort()
        waiters.add(check)
        if (signal) unwatch = aborts.watch(signal, onAbort)
        if (Number.isFinite(timeoutMs)) timer = setTimeout(() => finish(undefined, true), Math.max(0, timeoutMs))
        check()
      })

    const doBroadcast = async (round: string, body: Uint8Array) => {
      assertUsable()
      if (sent.has(round)) throw new ZrError('INVALID_INPUT', 'Already sent in this round.', { details: `round ${round} of session ${id}`, context: { session: id, round } })
      const copy = Uint8Array.from(body)
      sent.set(round, { broadcast: true, to: new Set(others), body: copy })
      if (others.length === 0) return
      const payload = encodeSessionFrame({ session: id, round, body: copy, broadcast: true })
      const everyone = transport.peers.every((p) => participantSet.has(p))
      if (!everyone && signing.broadcastTo) return signing.broadcastTo(others, payload)
      // Without per-recipient broadcasts, peers outside the session get the frame and never use it.
      return transport.broadcast(payload)
    }

    const checkRound = (round: string) => {
      if (typeof round !== 'string' || round.length === 0 || round.startsWith('$')) {
        throw new ZrError('INVALID_INPUT', 'Invalid round name.', { details: 'expected a non-empty string not starting with "$"' })
      }
    }
    const checkBody = (body: Uint8Array) => {
      if (!(body instanceof Uint8Array)) throw new ZrError('INVALID_INPUT', 'Invalid message body.', { details: `expected bytes, got ${typeof body}` })
    }
    const checkOther = (party: PartyId) => {
      if (party === self || !participantSet.has(party)) {
        throw new ZrError('INVALID_INPUT', 'Not another participant.', { details: `${party} is not another participant of session ${id}`, context: { party } })
      }
    }

    const timeout = (round: string, what: string, missing: readonly PartyId[], opts: ConfirmOptions) =>
      new ZrError('TIMEOUT', `Timed out waiting for ${what} of round ${round}.`, {
        details: `nothing from ${missing.join(', ')} after ${opts.timeoutMs ?? defaultTimeout} ms`,
        context: { missing: [...missing], session: id, round },
      })

    const echo: EchoSession = {
      id,
      self,
      participants,
      others,
      received: (round) => messages.get(round),
      sent: (round) => sent.get(round)?.body,
      broadcast: doBroadcast,
      wait,
      fail,
      abort,
      timeout,
      verifyBroadcast: signing.verifyBroadcast?.bind(transport),
    }

    const session: Session = {
      id,
      self,
      participants,
      async send(to, round, body) {
        checkRound(round)
        checkOther(to)
        checkBody(body)
        assertUsable()
        const record = sent.get(round) ?? { broadcast: false, to: new Set<PartyId>() }
        if (record.broadcast || record.to.has(to)) {
          throw new ZrError('INVALID_INPUT', 'Already sent in this round.', { details: `to ${to} in round ${round} of session ${id}`, context: { session: id, round, party: to } })
        }
        record.to.add(to)
        sent.set(round, record)
        await transport.send(to, encodeSessionFrame({ session: id, round, body: Uint8Array.from(body), broadcast: false }))
      },
      async broadcast(round, body) {
        checkRound(round)
        checkBody(body)
        await doBroadcast(round, body)
      },
      async collect(round, opts = {}) {
        checkRound(round)
        const from = opts.from ? [...new Set(opts.from)] : others
        for (const p of from) checkOther(p)
        assertUsable()
        const { got } = await wait(round, from, opts, false)
        return new Map(from.map((p) => [p, Uint8Array.from(got.get(p)!.body)] as const))
      },
      async confirmBroadcasts(round, received, opts = {}) {
        checkRound(round)
        assertUsable()
        await confirmBroadcasts(echo, round, received, opts)
      },
      close() {
        if (closed) return
        closed = true
        sessions.delete(id)
        closedIds.add(id)
        notify()
      },
    }
    return { session, receive, recheck: notify }
  }

  return {
    open(sessionId, participantsIn) {
      if (routerClosed) throw new ZrError('INVALID_INPUT', 'The session router is closed.')
      if (typeof sessionId !== 'string' || sessionId.length === 0) {
        throw new ZrError('INVALID_INPUT', 'Invalid session id.', { details: 'expected a non-empty string' })
      }
      if (sessions.has(sessionId) || closedIds.has(sessionId)) {
        throw new ZrError('INVALID_INPUT', 'Session id already used.', { details: `session ${sessionId} was opened before`, context: { session: sessionId } })
      }
      if (!Array.isArray(participantsIn) || !participantsIn.includes(self)) {
        throw new ZrError('INVALID_INPUT', 'Invalid participants.', { details: `expected a list of party ids including this party (${self})` })
      }
      const participants = [...new Set(participantsIn)].sort()
      const unknown = participants.filter((p) => p !== self && !peerSet.has(p))
      if (unknown.length > 0) {
        throw new ZrError('INVALID_INPUT', 'Invalid participants.', { details: `not peers of the transport: ${unknown.join(', ')}`, context: { unknown } })
      }
      const made = makeSession(sessionId, Object.freeze(participants))
      sessions.set(sessionId, made)
      prune(Date.now())
      const mine = pending.filter((p) => p.frame.session === sessionId)
      pending = pending.filter((p) => p.frame.session !== sessionId)
      for (const p of mine) made.receive(p.from, p.frame, p.proof)
      return made.session
    },
    whenConnected(parties, count, opts = {}) {
      if (!Array.isArray(parties) || typeof count !== 'number' || Number.isNaN(count) || (opts.until !== undefined && (typeof opts.until !== 'number' || Number.isNaN(opts.until)))) {
        const got = `${Array.isArray(parties) ? 'a list' : typeof parties}, ${typeof count === 'number' ? count : typeof count}, until ${typeof opts.until === 'number' ? opts.until : typeof opts.until}`
        return Promise.reject(new ZrError('INVALID_INPUT', 'Invalid connection wait.', { details: `expected a list of party ids, a count and an optional time in ms, got ${got}` }))
      }
      // without presence news, nothing would wake the wait: it cannot tell, so it does not wait
      const tell = presenceOf
      if (!tell || !stopPresence) return Promise.resolve(true)
      const listed = [...new Set(parties)]
      const others = listed.filter((p) => p !== self)
      const connected = () => {
        const seen = others.map((p) => tell(p))
        // the relay told presence before and now tells nothing of anyone: this party is cut off from it
        if (presenceSeen && seen.length > 0 && seen.every((x) => x === undefined)) return listed.length - others.length
        return listed.length - seen.filter((x) => x?.here === false).length
      }
      return new Promise<boolean>((resolve) => {
        if (connected() >= count) return resolve(true)
        const left = (opts.until ?? Number.POSITIVE_INFINITY) - Date.now()
        if (routerClosed || opts.signal?.aborted || !(left > 0)) return resolve(false)
        let timer: ReturnType<typeof setTimeout> | undefined
        let unwatch: (() => void) | undefined
        const finish = (ok: boolean) => {
          connectWaiters.delete(check)
          if (timer !== undefined) clearTimeout(timer)
          unwatch?.()
          resolve(ok)
        }
        const check = () => {
          if (connected() >= count) finish(true)
          else if (routerClosed) finish(false)
        }
        connectWaiters.add(check)
        if (opts.signal) unwatch = aborts.watch(opts.signal, () => finish(false))
        // (capped: a longer delay overflows setTimeout, which would then fire at once)
        if (Number.isFinite(left)) timer = setTimeout(() => finish(false), Math.min(left, 2 ** 31 - 1))
      })
    },
    close() {
      if (routerClosed) return
      for (const { session } of [...sessions.values()]) session.close()
      routerClosed = true
      stopPresence?.()
      pending = []
      for (const w of [...connectWaiters]) w()
    },
  }
}

/** `awayGraceMs`: a non-negative number of ms (0: never end a wait early), else a typed error. */
function checkGrace(value: unknown, fallback: number, code: 'INVALID_CONFIG' | 'INVALID_INPUT', what: string): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new ZrError(code, `Invalid ${what}.`, { details: `${what}: expected a number of ms >= 0 (0: never), got ${typeof value === 'number' ? value : typeof value}` })
  }
  return value
}
