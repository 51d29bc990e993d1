import type { ZrErrorCode } from './codes.js'

/**
 * The context of a code that carries no data: an empty object (a field given for it does not compile).
 *
 * @example
 * ```ts
 * import { ZrError } from '@zrkit/core'
 * new ZrError('ALREADY_EXISTS', 'Exists.').context // {}
 * ```
 */
export type NoContext = { readonly [key: string]: never }

/** Ids a relay adds to the errors it passes on, so a caller can `resume` it. */
type RelayIds = { readonly requestId?: number; readonly relayId?: string }

/**
 * An accusation a threshold protocol makes: the party at fault and why (`MPC_ABORT`'s `accusations`).
 *
 * @example
 * ```ts
 * import { isZrError, type ZrErrorAccusation } from '@zrkit/core'
 * const accused: readonly ZrErrorAccusation[] = isZrError(e, 'MPC_ABORT') ? (e.context.accusations ?? []) : []
 * ```
 */
export type ZrErrorAccusation = { readonly party: string; readonly reason: string }

/**
 * The typed context of every error code: what `e.context` holds once {@link isZrError} has narrowed
 * `e` to that code. A code that carries no data maps to {@link NoContext}. Fields marked optional are
 * set where the thrower knows them (a relay adds `requestId` and `relayId` to the errors it passes on).
 *
 * The constructor checks the context against this map, so a throw with the wrong context does not
 * compile: `new ZrError('KEY_NOT_FOUND', 'Key not found.', { context: { keyId: 'seven' } })` is a type
 * error. Codes are append-only, and so are fields: a field once documented keeps its meaning.
 *
 * @example
 * ```ts
 * import { isZrError, type ZrErrorContext } from '@zrkit/core'
 *
 * try {
 *   await federation.sign(request)
 * } catch (e) {
 *   if (isZrError(e, 'MPC_ABORT') && e.context.party !== undefined) exclude(e.context.party) // a string
 *   else throw e
 * }
 * type Missing = ZrErrorContext['TIMEOUT']['missing'] // readonly string[] | undefined
 * ```
 */
export type ZrErrorContext = {
  // input and encoding
  /** Generic bad input. The fields name what was checked, where the thrower knows it. */
  INVALID_INPUT: {
    readonly party?: string
    readonly session?: string
    readonly round?: string
    readonly unknown?: readonly string[]
    readonly length?: number
    readonly max?: number
    readonly expectedHeight?: number
    readonly txid?: string
    readonly vout?: number
    readonly output?: number
    readonly dust?: number | bigint
    readonly value?: number | bigint
    readonly fee?: number | bigint
    readonly vsize?: number
    readonly nonceAccount?: string
    /** A transaction's signer whose signature is missing or does not verify (Solana). */
    readonly signer?: string
  }
  /** `expected`/`actual`: the address wanted and the one given; `address`/`network` for a wrong network. */
  INVALID_ADDRESS: {
    readonly address?: string
    readonly network?: string
    /** The networks the address is valid on instead. */
    readonly addressNetworks?: readonly string[]
    readonly expected?: string
    readonly actual?: string
  }
  INVALID_PAYLOAD: NoContext
  INVALID_PUBLIC_KEY: NoContext
  /** `position`: the 0-based character of an expression where the problem is; `name`, `alias` or `address`: the participant at fault. */
  INVALID_POLICY: { readonly position?: number; readonly name?: string; readonly alias?: string; readonly address?: string }
  /** The key (when one is named) and its type. */
  UNSUPPORTED_KEY_TYPE: { readonly keyId?: number; readonly keyType?: string }
  /** The wallet type asked for, the key's type, and the key types the wallet type needs. */
  UNSUPPORTED_WALLET_TYPE: { readonly walletType: string; readonly keyType: string; readonly expected: readonly string[] }
  INVALID_DERIVATION_PATH: NoContext
  UNKNOWN_MESSAGE: NoContext
  // authentication
  INVALID_TX_SIGNATURE: { readonly signer?: string }
  /** The chain (id, cluster or genesis hash) expected and the one found. */
  CHAIN_ID_MISMATCH: { readonly expected: string | number | bigint | undefined; readonly actual: string | number | bigint | undefined }
  /** `expected`/`got`: the account's sequence and the message's; `attempts` when a client gave up retrying. */
  SEQUENCE_MISMATCH: { readonly address: string; readonly expected?: number; readonly got?: number; readonly attempts?: number }
  /** The transaction hash and the height it was applied at. */
  TX_REPLAYED: { readonly hash: string; readonly height: number }
  // authorisation
  NOT_WORKSPACE_OWNER: { readonly workspace: string; readonly sender: string; readonly actionId?: number }
  NOT_POLICY_PARTICIPANT: NoContext
  NOT_KEYRING_ADMIN: { readonly keyring: string; readonly sender: string }
  NOT_KEYRING_PARTY: { readonly keyring: string; readonly sender: string }
  NOT_ACTION_CREATOR: NoContext
  KEYRING_NOT_ACTIVE: { readonly keyring: string }
  // lookups (a client's `get*` action names the `id` or `address` it looked up)
  ACCOUNT_NOT_FOUND: { readonly id?: number; readonly address?: string }
  WORKSPACE_NOT_FOUND: { readonly workspace?: string; readonly id?: number; readonly address?: string }
  KEYRING_NOT_FOUND: { readonly keyring?: string; readonly id?: number; readonly address?: string }
  POLICY_NOT_FOUND: { readonly policyId?: number; readonly id?: number; readonly address?: string }
  ACTION_NOT_FOUND: { readonly actionId?: number; readonly id?: number; readonly address?: string }
  KEY_NOT_FOUND: { readonly keyId?: number; readonly id?: number; readonly address?: string }
  KEY_REQUEST_NOT_FOUND: { readonly requestId?: number; readonly id?: number; readonly address?: string }
  SIGN_REQUEST_NOT_FOUND: { readonly requestId?: number; readonly id?: number; readonly address?: string }
  // state rules
  /** The account, the amount needed and its balance. */
  INSUFFICIENT_BALANCE: { readonly address: string; readonly needed: bigint; readonly balance: bigint }
  INVALID_THRESHOLD: NoContext
  ALREADY_EXISTS: NoContext
  REQUEST_NOT_PENDING: { readonly requestId: number; readonly status: string }
  ACTION_NOT_PENDING: NoContext
  ALREADY_VOTED: NoContext
  DUPLICATE_RESPONSE: { readonly requestId: number; readonly party: string }
  /** The request and, for several payloads or inputs, the index of the one at fault. */
  INVALID_RESULT: { readonly requestId?: number; readonly index?: number; readonly input?: number; readonly signer?: string }
  INVALID_PARTY_SIGNATURE: { readonly requestId: number; readonly party: string }
  /** The workspace, the owner whose removal is held up, and the policies that still name them. */
  POLICY_IN_USE: { readonly workspace: string; readonly owner: string; readonly policyIds: readonly number[] }
  // lifecycle outcomes seen by waiters
  REQUEST_REJECTED: RelayIds & { readonly reason?: string; readonly status?: string }
  /** The action and its final status (`rejected`, `revoked` or `expired`). */
  ACTION_REJECTED: { readonly actionId: number; readonly status: string }
  /**
   * What was waited for: the parties that did not answer (`missing`, MPC), the transaction (`txid`),
   * the ledger call (`op`, `id`, `timeoutMs`), the session and round, or the nonce lease (EVM).
   */
  TIMEOUT: RelayIds & {
    readonly missing?: readonly string[]
    readonly session?: string
    readonly round?: string
    readonly txid?: string
    readonly status?: string
    readonly op?: string
    readonly id?: number | string
    readonly timeoutMs?: number
    readonly address?: string
    readonly chainId?: number
    readonly nonce?: number
  }
  ABORTED: RelayIds & { readonly session?: string; readonly round?: string; readonly txid?: string }
  // ledger and storage
  LEDGER_CLOSED: { readonly dir?: string }
  /**
   * A lock held by another process (`dir`, `lock`, its `pid` and `host`), or a ledger that did not
   * answer a client (`address`, `attempts`, and the `hashes` of messages that may or may not have landed).
   */
  LEDGER_UNAVAILABLE: {
    readonly dir?: string
    readonly lock?: string
    readonly pid?: number
    readonly host?: string
    readonly address?: string
    readonly attempts?: number
    readonly hashes?: readonly string[]
  }
  /** The unreadable file or entry, and where in a log the damage starts. */
  STORE_CORRUPT: { readonly entry?: string; readonly file?: string; readonly path?: string; readonly line?: number; readonly offset?: number }
  // keyrings and connectors
  BACKEND_FAILED: NoContext
  BACKEND_TRANSIENT: NoContext
  BACKEND_ABSTAIN: NoContext
  // MPC
  /**
   * A threshold protocol stopped: `party` is the one at fault where one is known (or `suspects`),
   * `cheaters` the signers whose shares are invalid; a federation's run names every `excluded`
   * party, its `accusations`, the parties `missing` and the number of `attempts`.
   */
  MPC_ABORT: {
    readonly party?: string
    readonly suspects?: readonly string[]
    readonly cheaters?: readonly string[]
    readonly session?: string
    readonly round?: string
    readonly excluded?: readonly string[]
    readonly accusations?: readonly ZrErrorAccusation[]
    readonly missing?: readonly string[]
    readonly attempts?: number
  }
  /** The sender of a refused frame (`from`, its `seq`), or this party (`self`) when its transport is closed. */
  MPC_TRANSPORT: { readonly from?: string; readonly seq?: number; readonly self?: string }
  // relayers
  /** The request waiting for approvals, its policy action, and the relay to `resume`. */
  APPROVAL_PENDING: RelayIds & { readonly requestId: number; readonly actionId?: number }
  RELAY_NOT_FOUND: RelayIds
  RELAY_MISMATCH: RelayIds
  /** Why a transaction could not be prepared (fee estimate, input count, weight, the account). */
  PREPARE_FAILED: {
    readonly estimate?: number
    readonly maxFeeRate?: number
    readonly inputs?: number
    readonly maxInputs?: number
    readonly weight?: number
    readonly address?: string
    readonly chainId?: string
    readonly from?: string
    readonly balance?: bigint
    readonly maxCost?: bigint
    /**
     * What the chain would refuse once signed, checked before approvers are asked: `fee-below-base-fee`
     * (with `feeCap`, `baseFee`), `nonce-used` (with `nonce`, `next`). For a replacement (`Relayer.replace`):
     * `may-still-land` (a Solana transaction whose blockhash is still valid, with `txid`, `blockhash` and,
     * when known, `lastValidBlockHeight`: wait until the block height passes it) and `landed` (the original
     * is on chain, with `txid`).
     */
    readonly reason?: 'fee-below-base-fee' | 'nonce-used' | 'may-still-land' | 'landed'
    readonly feeCap?: bigint
    readonly baseFee?: bigint
    readonly nonce?: number
    readonly next?: number
    readonly txid?: string
    readonly blockhash?: string
    readonly lastValidBlockHeight?: number
  }
  /** The transaction, and the node's answer where there was one. */
  BROADCAST_FAILED: {
    readonly txid?: string
    readonly status?: number
    readonly rpcCode?: number
    readonly code?: number
    readonly codespace?: string
    readonly logs?: readonly string[]
  }
  // chain backends
  /** The amount needed, what the coins found hold, how many, and the address. */
  INSUFFICIENT_FUNDS: { readonly needed?: bigint | number; readonly available?: bigint | number; readonly coins?: number; readonly address?: string }
  /** The node request that failed: method or path, HTTP status, the node's error, or the transaction read. */
  NODE_REQUEST_FAILED: {
    readonly method?: string
    readonly path?: string
    readonly url?: string
    readonly what?: string
    readonly status?: number
    readonly rpcCode?: number
    readonly rpcMessage?: string
    readonly txid?: string
  }
  // transactions on their networks
  /** The transaction that can no longer land, and the relay that is recorded as expired. */
  TX_EXPIRED: RelayIds & { readonly txid?: string; readonly lifetime?: string; readonly status?: string }
  /**
   * The transaction that landed but failed: its id, the chain's error (`err`), why (`reason`), its
   * receipt, and the relay's whole result (`result`: the shape `relay` returns on success).
   */
  TX_FAILED: RelayIds & { readonly txid?: string; readonly err?: unknown; readonly reason?: string; readonly receipt?: unknown; readonly result?: unknown }
  // ledger queries
  UNKNOWN_QUERY: { readonly kind: string }
  // added by issue 15
  MALFORMED_MESSAGE: { readonly from?: string }
  INVALID_CONFIG: NoContext
  WRONG_SECRET: NoContext
  // added by issue 16
  /**
   * Why a network relay refused: `unauthorized` (bad or stale authentication, or a party not allowed),
   * `rate-limited`, `replaced` (a newer connection of the same party took over), `not-own-announcement`,
   * `unknown-party` (a frame to a party the relay does not serve), `not-authenticated`; `party` when known.
   */
  RELAY_REFUSED: { readonly reason: string; readonly party?: string }
  /** The limit that was reached (an option name such as `maxSubscriptionsPerConnection`), its bound, and what arrived. */
  LIMIT_EXCEEDED: { readonly limit: string; readonly max: number; readonly got?: number }
  INVALID_TRANSACTION: { readonly chain?: string; readonly field?: string }
  UNSUPPORTED_CHAIN: { readonly chain: string; readonly available: readonly string[] }
  // added by issue 21
  /** The key, and the relay it already names. */
  IDEMPOTENCY_CONFLICT: { readonly idempotencyKey: string; readonly relayId: string }
  /** The relay whose transaction can never land, and the transaction that took its place when known. */
  TX_REPLACED: RelayIds & { readonly txid?: string; readonly replacedBy?: string }
  /**
   * The relay, its transaction, and what it waits for: `'nonce-gap'` (an earlier nonce of the account is
   * neither mined nor in the pool), `'fee'` (its fee cap is below the base fee), `'dropped'` (the node no
   * longer has it and it cannot be sent again now), `'inclusion'` (in the pool, not mined). `nonce` and
   * `missingNonce` for a gap; `maxFeePerGas` and `baseFeePerGas` for a fee.
   */
  TX_STALLED: RelayIds & { readonly txid?: string; readonly waitingFor: string; readonly [fact: string]: unknown }
  /** The claim (e.g. `nonce:0xabc...:7`), and the other relay's signature request that holds it. */
  RELAY_CONFLICT: RelayIds & { readonly claim: string; readonly heldBy?: number }
}

/**
 * The context type of a code `C`: its entry in {@link ZrErrorContext}. For an error not narrowed to a
 * code it is the union of every code's context: narrow with {@link isZrError} to read its fields.
 *
 * @example
 * ```ts
 * import type { ZrErrorContextOf } from '@zrkit/core'
 * const context: ZrErrorContextOf<'KEY_NOT_FOUND'> = { keyId: 7 }
 * ```
 */
export type ZrErrorContextOf<C extends ZrErrorCode> = ZrErrorContext[C]
