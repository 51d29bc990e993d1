import { ZrError } from '../errors/ZrError.js'
import type { EventFilter, LedgerEvent } from './events.js'
import { checkEventFilter, matchesCheckedFilter } from './events.js'
import { type LedgerState, StateTx, type TableName, type TxRecord } from './state.js'
import type { RowHint } from './store/LedgerRows.js'
import { previewSignTransaction } from './treasury/signRequests.js'
import type { DecodedTransaction } from '../transaction/TransactionDecoder.js'
import type { TxConditionResult } from './policy/judgeTxConditions.js'
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
import { checkBool, checkInt, checkString, invalid, optional } from './validate.js'
import { type DerivedAddress, deriveAddresses } from '../addresses/deriveAddress.js'
import type { WalletType } from '../addresses/walletTypes.js'
import { deriveKey } from '../derivation/deriveKey.js'
import { type DerivationPath, type DerivationSegment, parseDerivationPath } from '../derivation/derivationPath.js'

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
  status: {
    params: Record<string, never>
    /** `transactionDecoders`: the decoders the ledger runs (`['evm@1']`), for sign-transaction requests. */
    result: { chainId: string; height: number; time: number; lastEventSeq: number; params: LedgerParams; transactionDecoders: readonly string[] }
  }
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
  /**
   * What a sign-transaction request would be, with nothing stored: the payloads the ledger would compute,
   * the decoded transaction, the sign policy's conditions, and whether `creator`'s own approval lets it go
   * ahead (`decision`: `approved`, `pending` for more approvals, `rejected`), with the deciding clause.
   */
  signTransactionPreview: {
    params: {
      keyId: number
      chain: string
      unsignedTransaction: Uint8Array
      network?: string
      path?: readonly (number | string)[]
      taproot?: { merkleRoot?: Uint8Array }
      /** The requester whose own approval counts (default: nobody's). */
      creator?: string
    }
    result: SignTransactionPreview
  }
}

/** The answer of the `signTransactionPreview` query (see {@link Queries}). */
export type SignTransactionPreview = {
  readonly payloads: readonly Uint8Array[]
  readonly transaction: DecodedTransaction
  readonly policyId: number
  readonly conditions: readonly TxConditionResult[]
  readonly decision: 'approved' | 'pending' | 'rejected'
  readonly decidedBy: string
}
/** The name of a query. */
export type QueryKind = keyof Queries
export type QueryParams<K extends QueryKind> = Queries[K]['params']
export type QueryResult<K extends QueryKind> = Queries[K]['result']

type Params = Readonly<Record<string, unknown>>

/**
 * One page of `source` (items in order with their positions, from a position on) filtered by `keep`.
 * The cursor is the position of the next item to look at.
 */
function page<T>(source: (from: number) => Iterable<readonly [number, T]>, params: Params, keep: (x: T) => boolean): Page<T> {
  const start = params.cursor === undefined ? 0 : checkInt(Number(checkString(params.cursor, 'cursor', { min: 1, max: 16 })), 'cursor')
  const limit = optional(params.limit, (v) => checkInt(v, 'limit', { min: 1, max: 1000 })) ?? 100
  const items: T[] = []
  for (const [i, x] of source(start)) {
    if (!keep(x)) continue
    if (items.length === limit) return { items, nextCursor: String(i) }
    items.push(x)
  }
  return { items }
}

/** The records of a table from a position on; `hint` lets a database use its indexes (see {@link RowHint}). */
const rows =
  <K extends TableName>(state: LedgerState, table: K, hint: RowHint = {}) =>
  (from: number) =>
    state.scan(table, from, hint)

/** The events from a position (seq - 1) on. */
function* eventsFrom(state: LedgerState, from: number): Iterable<readonly [number, LedgerEvent]> {
  for (const e of state.rows.eventsAfter(from)) yield [e.seq - 1, e]
}

const is = <T>(want: T | undefined, got: T) => want === undefined || want === got

// Parameter checks: each says which parameter, what was expected and what arrived.
/** An address as the ledger stores it: bech32 written all in upper case (BIP173 allows it) is the same address. */
const lower = (s: string) => (s === s.toUpperCase() ? s.toLowerCase() : s)
const address = (p: Params, k = 'address') => lower(checkString(p[k], k, { min: 1, max: 256 }))
const addressFilter = (p: Params, k: string) => optional(p[k], (v) => lower(checkString(v, k, { min: 1, max: 256 })))
const id = (p: Params) => checkInt(p.id, 'id')
const text = (p: Params, k: string) => optional(p[k], (v) => checkString(v, k, { min: 1, max: 256 }))
const int = (p: Params, k: string) => optional(p[k], (v) => checkInt(v, k))
const bool = (p: Params, k: string) => optional(p[k], (v) => checkBool(v, k))

/**
 * Every query, by name: a fixed table looked up by own key only, so inherited names ("toString",
 * "constructor", "hasOwnProperty") are unknown queries, not answers.
 */
const answers: { readonly [Q in QueryKind]: (state: LedgerState, p: Params) => QueryResult<Q> } = Object.freeze({
  status: (state) => ({
    chainId: state.chainId,
    height: state.height,
    time: state.time,
    lastEventSeq: state.eventCount,
    params: state.params,
    transactionDecoders: [...state.decoders.values()].map((d) => `${d.chain}@${d.version}`),
  }),
  account: (state, p) => {
    const a = address(p)
    return state.get('accounts', a) ?? { address: a, sequence: 0, balance: 0n }
  },
  tx: (state, p) => state.get('txs', checkString(p.hash, 'hash', { min: 1, max: 128 })) ?? null,
  workspace: (state, p) => state.get('workspaces', address(p)) ?? null,
  workspaces: (state, p) => {
    const owner = addressFilter(p, 'owner')
    return page(rows(state, 'workspaces'), p, (w) => owner === undefined || w.owners.includes(owner))
  },
  keyring: (state, p) => state.get('keyrings', address(p)) ?? null,
  keyrings: (state, p) => {
    const [party, active] = [addressFilter(p, 'party'), bool(p, 'active')]
    return page(rows(state, 'keyrings'), p, (k) => (party === undefined || k.parties.includes(party)) && is(active, k.isActive))
  },
  policy: (state, p) => state.get('policies', id(p)) ?? null,
  policies: (state, p) => {
    const creator = addressFilter(p, 'creator')
    return page(rows(state, 'policies', { creator }), p, (x) => is(creator, x.creator))
  },
  action: (state, p) => state.get('actions', id(p)) ?? null,
  actions: (state, p) => {
    const [workspace, participant, status] = [addressFilter(p, 'workspace'), addressFilter(p, 'participant'), text(p, 'status')]
    return page(
      rows(state, 'actions', { workspace, status }),
      p,
      (a) => is(workspace, a.workspace) && is(status, a.status) && (participant === undefined || Object.values(a.participants).includes(participant)),
    )
  },
  keyRequest: (state, p) => state.get('keyRequests', id(p)) ?? null,
  keyRequests: (state, p) => {
    const [workspace, keyring, creator, status] = [addressFilter(p, 'workspace'), addressFilter(p, 'keyring'), addressFilter(p, 'creator'), text(p, 'status')]
    return page(rows(state, 'keyRequests', { workspace, keyring, creator, status }), p, (r) => is(workspace, r.workspace) && is(keyring, r.keyring) && is(creator, r.creator) && is(status, r.status))
  },
  key: (state, p) => {
    const key = state.get('keys', id(p))
    const path = optional(p.path, (v) => parseDerivationPath(v as DerivationPath))
    const wallets = optional(p.wallets, (v) => {
      if (!Array.isArray(v) || v.length > 64) throw invalid('wallets', 'a list of at most 64 wallet types', v)
      return v as readonly WalletType[]
    })
    if (!key || (path === undefined && wallets === undefined)) return key ?? null
    const child = path === undefined ? undefined : deriveKey(key.keyType, key.publicKey, path)
    const signing = { keyType: key.keyType, publicKey: child?.publicKey ?? key.publicKey }
    return {
      ...key,
      ...(child ? { derived: { path: child.path, publicKey: child.publicKey } } : {}),
      ...(wallets ? { addresses: deriveAddresses(signing, wallets) } : {}),
    }
  },
  keys: (state, p) => {
    const [workspace, keyring] = [addressFilter(p, 'workspace'), addressFilter(p, 'keyring')]
    return page(rows(state, 'keys', { workspace, keyring }), p, (k) => is(workspace, k.workspace) && is(keyring, k.keyring))
  },
  signRequest: (state, p) => state.get('signRequests', id(p)) ?? null,
  signRequests: (state, p) => {
    const [workspace, keyring, keyId, creator, status] = [addressFilter(p, 'workspace'), addressFilter(p, 'keyring'), int(p, 'keyId'), addressFilter(p, 'creator'), text(p, 'status')]
    return page(
      rows(state, 'signRequests', { workspace, keyring, keyId, creator, status }),
      p,
      (r) => is(workspace, r.workspace) && is(keyring, r.keyring) && is(keyId, r.keyId) && is(creator, r.creator) && is(status, r.status),
    )
  },
  events: (state, p) => {
    const filter = optional(p.filter, (v) => checkEventFilter(v, 'filter'))
    return page((from) => eventsFrom(state, from), p, (e) => filter === undefined || matchesCheckedFilter(e, filter))
  },
  signTransactionPreview: (state, p) => {
    const creator = addressFilter(p, 'creator')
    // a tx on the current state that is never committed: the preview changes nothing
    const scratch = new StateTx(state, state.height, state.time)
    const msg = p as unknown as Parameters<typeof previewSignTransaction>[1]
    return previewSignTransaction(scratch, { keyId: msg.keyId, chain: msg.chain, unsignedTransaction: msg.unsignedTransaction, ...(msg.network !== undefined ? { network: msg.network } : {}), ...(msg.path !== undefined ? { path: msg.path } : {}), ...(msg.taproot !== undefined ? { taproot: msg.taproot } : {}) }, creator)
  },
})

/** The name of every query, in the order of {@link Queries}. */
const queryKinds = Object.keys(answers) as QueryKind[]

/**
 * Answers a query from the state. Throws `UNKNOWN_QUERY` for a name that is not in {@link Queries}
 * (inherited names such as "toString" included), and `INVALID_INPUT` for parameters that are not an
 * object or have a field of the wrong type. Unknown parameter fields are ignored.
 */
export function runQuery<K extends QueryKind>(state: LedgerState, kind: K, params: QueryParams<K>): QueryResult<K> {
  if (typeof kind !== 'string') throw invalid('query name', `one of ${queryKinds.join(', ')}`, kind)
  if (!Object.hasOwn(answers, kind)) {
    throw new ZrError('UNKNOWN_QUERY', 'Unknown query.', { details: `expected one of ${queryKinds.join(', ')}, got ${JSON.stringify(kind.length > 48 ? `${kind.slice(0, 48)}...` : kind)}`, context: { kind } })
  }
  if (params !== undefined && params !== null && (typeof params !== 'object' || Array.isArray(params) || params instanceof Uint8Array)) {
    throw invalid(`parameters of query ${kind}`, 'an object', params)
  }
  const answer = answers[kind] as (state: LedgerState, p: Params) => QueryResult<K>
  return answer(state, (params ?? {}) as Params)
}
