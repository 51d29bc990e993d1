import type { EventFilter, LedgerEvent } from './events.js'
import { matchesEventFilter } from './events.js'
import type { LedgerState, TxRecord } from './state.js'
import type {
  AccountRecord,
  Action,
  ActionStatus,
  Key,
  KeyRequest,
  KeyRequestStatus,
  Keyring,
  LedgerParams,
  Policy,
  SignRequest,
  SignRequestStatus,
  Workspace,
} from './types.js'
import { checkInt, checkString, optional } from './validate.js'
import { type DerivedAddress, deriveAddresses } from '../addresses/deriveAddress.js'
import type { WalletType } from '../addresses/walletTypes.js'
import { deriveKey } from '../derivation/deriveKey.js'
import type { DerivationPath, DerivationSegment } from '../derivation/derivationPath.js'

/** A key as queried: the record, the child key at the asked path, and the asked addresses. */
export type KeyView = Key & {
  /** The child key at the asked path (its addresses are the ones below). */
  readonly derived?: { readonly path: readonly DerivationSegment[]; readonly publicKey: Uint8Array }
  readonly addresses?: readonly DerivedAddress[]
}

/** Paging of list queries: `limit` items (default 100, at most 1000) after `cursor`. */
export type PageParams = { readonly cursor?: string; readonly limit?: number }
/** One page of a list; pass `nextCursor` back for the next page (absent on the last). */
export type Page<T> = { readonly items: readonly T[]; readonly nextCursor?: string }

/** Every query the ledger answers: its parameters and its result. */
export type Queries = {
  status: { params: Record<string, never>; result: { chainId: string; height: number; time: number; lastEventSeq: number; params: LedgerParams } }
  account: { params: { address: string }; result: AccountRecord }
  tx: { params: { hash: string }; result: TxRecord | null }
  workspace: { params: { address: string }; result: Workspace | null }
  workspaces: { params: PageParams & { owner?: string }; result: Page<Workspace> }
  keyring: { params: { address: string }; result: Keyring | null }
  keyrings: { params: PageParams & { party?: string; active?: boolean }; result: Page<Keyring> }
  policy: { params: { id: number }; result: Policy | null }
  policies: { params: PageParams & { creator?: string }; result: Page<Policy> }
  action: { params: { id: number }; result: Action | null }
  actions: { params: PageParams & { workspace?: string; participant?: string; status?: ActionStatus }; result: Page<Action> }
  keyRequest: { params: { id: number }; result: KeyRequest | null }
  keyRequests: { params: PageParams & { workspace?: string; keyring?: string; creator?: string; status?: KeyRequestStatus }; result: Page<KeyRequest> }
  /** A key; with `path`, its child key there; with `wallets`, its (or the child's) addresses. */
  key: { params: { id: number; path?: DerivationPath; wallets?: readonly WalletType[] }; result: KeyView | null }
  keys: { params: PageParams & { workspace?: string; keyring?: string }; result: Page<Key> }
  signRequest: { params: { id: number }; result: SignRequest | null }
  signRequests: {
    params: PageParams & { workspace?: string; keyring?: string; keyId?: number; creator?: string; status?: SignRequestStatus }
    result: Page<SignRequest>
  }
  events: { params: PageParams & { filter?: EventFilter }; result: Page<LedgerEvent> }
}
/** The name of a query. */
export type QueryKind = keyof Queries
export type QueryParams<K extends QueryKind> = Queries[K]['params']
export type QueryResult<K extends QueryKind> = Queries[K]['result']

function page<T>(source: Iterable<T>, params: PageParams, keep: (x: T) => boolean): Page<T> {
  const start = params.cursor === undefined ? 0 : checkInt(Number(checkString(params.cursor, 'cursor', { min: 1, max: 16 })), 'cursor')
  const limit = optional(params.limit, (v) => checkInt(v, 'limit', { min: 1, max: 1000 })) ?? 100
  const items: T[] = []
  let i = 0
  for (const x of source) {
    if (i++ < start) continue
    if (!keep(x)) continue
    if (items.length === limit) return { items, nextCursor: String(i - 1) }
    items.push(x)
  }
  return { items }
}

const is = <T>(want: T | undefined, got: T) => want === undefined || want === got

/** Answers a query from the state. */
export function runQuery<K extends QueryKind>(state: LedgerState, kind: K, params: QueryParams<K>): QueryResult<K> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each answer reads the fields of its own query
  const p = (params ?? {}) as Record<string, any>
  const t = state.tables
  const answers: { [Q in QueryKind]: () => QueryResult<Q> } = {
    status: () => ({ chainId: state.chainId, height: state.height, time: state.time, lastEventSeq: state.events.length, params: state.params }),
    account: () => t.accounts.get(p.address) ?? { address: p.address, sequence: 0, balance: 0n },
    tx: () => t.txs.get(p.hash) ?? null,
    workspace: () => t.workspaces.get(p.address) ?? null,
    workspaces: () => page(t.workspaces.values(), p, (w) => p.owner === undefined || w.owners.includes(p.owner)),
    keyring: () => t.keyrings.get(p.address) ?? null,
    keyrings: () => page(t.keyrings.values(), p, (k) => (p.party === undefined || k.parties.includes(p.party)) && is(p.active, k.isActive)),
    policy: () => t.policies.get(p.id) ?? null,
    policies: () => page(t.policies.values(), p, (x) => is(p.creator, x.creator)),
    action: () => t.actions.get(p.id) ?? null,
    actions: () =>
      page(t.actions.values(), p, (a) => is(p.workspace, a.workspace) && is(p.status, a.status) && (p.participant === undefined || Object.values(a.participants).includes(p.participant))),
    keyRequest: () => t.keyRequests.get(p.id) ?? null,
    keyRequests: () => page(t.keyRequests.values(), p, (r) => is(p.workspace, r.workspace) && is(p.keyring, r.keyring) && is(p.creator, r.creator) && is(p.status, r.status)),
    key: () => {
      const key = t.keys.get(p.id)
      if (!key || (p.path === undefined && p.wallets === undefined)) return key ?? null
      const child = p.path === undefined ? undefined : deriveKey(key.keyType, key.publicKey, p.path)
      const signing = { keyType: key.keyType, publicKey: child?.publicKey ?? key.publicKey }
      return {
        ...key,
        ...(child ? { derived: { path: child.path, publicKey: child.publicKey } } : {}),
        ...(p.wallets ? { addresses: deriveAddresses(signing, p.wallets) } : {}),
      }
    },
    keys: () => page(t.keys.values(), p, (k) => is(p.workspace, k.workspace) && is(p.keyring, k.keyring)),
    signRequest: () => t.signRequests.get(p.id) ?? null,
    signRequests: () =>
      page(t.signRequests.values(), p, (r) => is(p.workspace, r.workspace) && is(p.keyring, r.keyring) && is(p.keyId, r.keyId) && is(p.creator, r.creator) && is(p.status, r.status)),
    events: () => page(state.events, p, (e) => p.filter === undefined || matchesEventFilter(e, p.filter)),
  }
  const answer = answers[kind]
  if (!answer) throw new Error(`unknown query ${String(kind)}`)
  return answer() as QueryResult<K>
}
