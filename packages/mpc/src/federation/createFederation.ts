import { type Account, type Connector, type ConnectorEvent, type Ledger, type SecretStore, type ZrClient, ZrError, createConnector, memorySecretStore } from '@zrkit/core'
import { type MemoryRelay, type Relay, memoryRelay } from '../transport/memoryRelay.js'
import { createSessionRouter, type SessionRouter } from '../transport/SessionRouter.js'
import { secureTransport, type SecureTransport } from '../transport/secureTransport.js'
import { federationParty } from './federationParty.js'

/** Options of {@link createFederation}. */
export type FederationOptions = {
  ledger: Ledger
  /** One account per party: each signs its party's responses on the ledger and its messages to the others. */
  parties: readonly Account[]
  /** Shares needed to sign (t of n). */
  threshold: number
  /** Each party's share store (default: memory). Wrap with `encryptedSecretStore` for storage at rest. */
  shares?: (party: Account, index: number) => SecretStore
  /**
   * The relay between parties (default: an in-process {@link memoryRelay}): any {@link Relay}, e.g. one
   * over the network. When the relay can also cut a party off (`disconnect` and `reconnect`, as the
   * memory relay's fault-injection hooks do), a stopped party is cut off until it starts again, so its
   * frames still in flight are lost as when a machine goes down; over any other relay, stopping a party
   * closes its connection and nothing more.
   */
  relay?: Relay | undefined
  /** Passed to each party's connector. */
  onEvent?: (party: string, event: ConnectorEvent) => void
  /**
   * Per signing attempt, and how long a key generation's coordinator waits for the parties to join
   * (default 3 000 ms); with parties down, each dead coordinator costs one attempt.
   */
  attemptTimeoutMs?: number
  /** Each round of a key generation waits this long for the parties taking part (default 10 000 ms). */
  dkgTimeoutMs?: number
  /** ECDSA presignatures each party keeps per key and signing set (default 0: off; see `ecdsaParty`). */
  presignaturesPerSet?: number
  /** Connector poll interval (default 5 000 ms). */
  pollIntervalMs?: number
}

/** One running party of a federation. */
export type FederationParty = {
  readonly address: string
  readonly account: Account
  readonly shares: SecretStore
  readonly running: boolean
}

/** An in-process MPC federation: n parties, threshold t, each behind its own connector. */
export type Federation<R extends Relay = Relay> = {
  readonly parties: readonly FederationParty[]
  readonly threshold: number
  /** The relay the parties talk through: the one given in the options, or the memory relay made for them. */
  readonly relay: R
  /** Registers the federation as a keyring (parties and threshold) with `client`'s account as admin. */
  register(client: ZrClient, params: { description: string; keyRequestFee: bigint; signRequestFee: bigint }): Promise<string>
  /** Starts every party's transport, router and connector for `keyring`. */
  start(keyring: string): Promise<void>
  /** Stops one party (a party going down); `startParty` brings it back with its stored shares. */
  stopParty(index: number): Promise<void>
  startParty(index: number): Promise<void>
  stop(): Promise<void>
}

type Running = { transport: SecureTransport; router: SessionRouter; connector: Connector }

/**
 * Starts an MPC federation in this process: every party talks to the others only through an
 * authenticated, encrypted transport, holds only its own shares, and answers the ledger through its
 * own connector, as separate machines would.
 *
 * @example
 * ```ts
 * import { createFederation } from '@zrkit/mpc'
 * const federation = await createFederation({ ledger, parties: [p1, p2, p3], threshold: 2 })
 * const keyring = await federation.register(operator, { description: 'MPC 2-of-3', keyRequestFee: 100n, signRequestFee: 10n })
 * await federation.start(keyring)
 * const key = await client.createKey({ workspace, keyring, keyType: 'eddsa-ed25519' })
 * ```
 * Over a relay of your own (anything with `connect`, `announce` and `onAnnouncement`):
 * ```ts
 * import { type Relay, createFederation } from '@zrkit/mpc'
 * declare const networkRelay: Relay
 * const federation = await createFederation({ ledger, parties: [p1, p2, p3], threshold: 2, relay: networkRelay })
 * ```
 */
export function createFederation(options: FederationOptions & { readonly relay?: undefined }): Promise<Federation<MemoryRelay>>
export function createFederation<R extends Relay>(options: FederationOptions & { readonly relay: R }): Promise<Federation<R>>
export function createFederation(options: FederationOptions): Promise<Federation>
export async function createFederation(options: FederationOptions): Promise<Federation> {
  const relay = options.relay ?? memoryRelay()
  // Only a relay with fault-injection hooks (the memory relay) can drop a stopped party's frames in flight.
  const cutOff = canCutOff(relay) ? relay : undefined
  const addresses = options.parties.map((p) => p.address)
  const stores = options.parties.map((p, i) => options.shares?.(p, i) ?? memorySecretStore())
  const running = new Map<number, Running>()
  let keyring: string | undefined

  async function startParty(index: number): Promise<void> {
    if (running.has(index)) return
    if (!keyring) throw new ZrError('INVALID_INPUT', 'The federation has no keyring yet.', { details: 'expected start(keyring) before startParty()' })
    const account = options.parties[index]!
    cutOff?.reconnect(account.address)
    const transport = await secureTransport({ account, relay, peers: addresses.filter((a) => a !== account.address), timeoutMs: options.dkgTimeoutMs ?? 10_000 })
    const router = createSessionRouter(transport)
    const backend = federationParty({
      account,
      router,
      identityKey: (party) => transport.identityKey(party),
      parties: addresses,
      threshold: options.threshold,
      shares: stores[index]!,
      ...(options.attemptTimeoutMs !== undefined ? { attemptTimeoutMs: options.attemptTimeoutMs } : {}),
      ...(options.dkgTimeoutMs !== undefined ? { dkgTimeoutMs: options.dkgTimeoutMs } : {}),
      ...(options.presignaturesPerSet !== undefined ? { presignaturesPerSet: options.presignaturesPerSet } : {}),
    })
    const connector = createConnector({
      ledger: options.ledger,
      account,
      keyring,
      backend,
      ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
      ...(options.onEvent ? { onEvent: (e: ConnectorEvent) => options.onEvent!(account.address, e) } : {}),
    })
    running.set(index, { transport, router, connector })
    await connector.start()
  }

  async function stopParty(index: number): Promise<void> {
    const r = running.get(index)
    if (!r) return
    running.delete(index)
    cutOff?.disconnect(options.parties[index]!.address)
    await r.connector.stop()
    r.router.close()
    await r.transport.close()
  }

  return {
    get parties() {
      return options.parties.map((account, i) => ({ address: account.address, account, shares: stores[i]!, running: running.has(i) }))
    },
    threshold: options.threshold,
    relay,
    async register(client, params) {
      const { keyring: address } = await client.createKeyring({ ...params, parties: addresses, partyThreshold: options.threshold })
      return address
    },
    async start(address) {
      keyring = address
      await Promise.all(options.parties.map((_, i) => startParty(i)))
    },
    stopParty,
    startParty,
    async stop() {
      await Promise.all([...running.keys()].map((i) => stopParty(i)))
    },
  }
}

/** A relay that can cut a party off and let it back in, as {@link MemoryRelay} can. */
type CutOffRelay = Relay & Pick<MemoryRelay, 'disconnect' | 'reconnect'>

function canCutOff(relay: Relay): relay is CutOffRelay {
  const r = relay as Partial<CutOffRelay>
  return typeof r.disconnect === 'function' && typeof r.reconnect === 'function'
}
