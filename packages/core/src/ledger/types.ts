/**
 * The ledger's records. Every record returned by the ledger is frozen; ids are positive integers
 * assigned in order; addresses are bech32; times are ledger time in ms since the epoch.
 */

/**
 * Key types a keyring can create. The numbers in {@link keyTypeNumbers} match zrChain's `KeyType` enum
 * where it has one.
 */
export type KeyType = 'ecdsa-secp256k1' | 'eddsa-ed25519' | 'bitcoin-secp256k1' | 'schnorr-secp256k1'

/**
 * All key types, in enum order.
 *
 * @example
 * ```ts
 * import { keyTypes } from '@zrkit/core'
 * const backend = { keyTypes, createKey, sign } // a keyring that serves every key type
 * ```
 */
export const keyTypes: readonly KeyType[] = ['ecdsa-secp256k1', 'eddsa-ed25519', 'bitcoin-secp256k1', 'schnorr-secp256k1']

/**
 * zrChain enum numbers (1-3 as on zrChain; 4 is zrkit's BIP340 Schnorr).
 *
 * @example
 * ```ts
 * import { keyTypeNumbers } from '@zrkit/core/internal'
 * keyTypeNumbers['eddsa-ed25519'] // 2, as zrChain's KeyType enum
 * ```
 */
export const keyTypeNumbers: Readonly<Record<KeyType, number>> = {
  'ecdsa-secp256k1': 1,
  'eddsa-ed25519': 2,
  'bitcoin-secp256k1': 3,
  'schnorr-secp256k1': 4,
}

/** Key request status, as in the seeds: `pending` -> `fulfilled` | `rejected`. */
export type KeyRequestStatus = 'pending' | 'fulfilled' | 'rejected'
/** Signature request status, as in the seeds: `partial` (awaiting approvals) -> `pending` -> `fulfilled` | `rejected`. */
export type SignRequestStatus = 'partial' | 'pending' | 'fulfilled' | 'rejected'
/** Action status: `pending` until the policy decides; `revoked` by its creator; `expired` past its time-to-live. */
export type ActionStatus = 'pending' | 'approved' | 'rejected' | 'revoked' | 'expired'

/** An account on the ledger: balance and the sequence its next message must carry. */
export type AccountRecord = {
  readonly address: string
  /** Set by the account's first message. */
  readonly publicKey?: Uint8Array
  /** The sequence the next message must carry (starts at 0). */
  readonly sequence: number
  readonly balance: bigint
}

/** A workspace: owners who request keys and signatures, and the policies that govern it. */
export type Workspace = {
  readonly address: string
  readonly creator: string
  readonly owners: readonly string[]
  readonly childWorkspaces: readonly string[]
  readonly parent?: string
  /** Policy for owner and settings changes; 0 = any one owner. */
  readonly adminPolicyId: number
  /** Policy for signature requests; 0 = any one owner. */
  readonly signPolicyId: number
  readonly alias?: string
  /** Named allowlists for transaction policies (`tx.to in allowlist(treasury)`), changed under the admin policy. */
  readonly allowlists?: Readonly<Record<string, readonly string[]>>
  /** Named tokens for transaction policies (`tx.token == usdc`), changed under the admin policy. */
  readonly tokens?: Readonly<Record<string, import('./policy/judgeTxConditions.js').TokenDefinition>>
  readonly createdAt: number
}

/** A keyring: an off-ledger system of parties that creates keys and signatures. */
export type Keyring = {
  readonly address: string
  readonly creator: string
  readonly description: string
  readonly admins: readonly string[]
  /** Accounts whose responses count, one per party. */
  readonly parties: readonly string[]
  /** Distinct party responses needed to fulfil a request (1..parties). */
  readonly partyThreshold: number
  readonly keyRequestFee: bigint
  readonly signRequestFee: bigint
  readonly isActive: boolean
  readonly createdAt: number
}

/** A policy: participants by alias and an expression over them (see `parsePolicyExpression`). */
export type Policy = {
  readonly id: number
  readonly creator: string
  readonly name: string
  /** alias -> address */
  readonly participants: Readonly<Record<string, string>>
  /** The expression in canonical form, e.g. `all([alice, bob])`. */
  readonly expression: string
  /** Time-to-live of actions under this policy. */
  readonly ttlMs?: number
}

/** One participant's vote on an action. */
export type ActionVote = { readonly address: string; readonly vote: 'approve' | 'reject'; readonly at: number }

/** What an action decides on. */
export type ActionSubject =
  | {
      readonly kind: 'sign-request'
      readonly signRequestId: number
      /** The decoded transaction of a sign-transaction request, as the approvers see it. */
      readonly transaction?: import('../transaction/TransactionDecoder.js').DecodedTransaction
    }
  | { readonly kind: 'message'; readonly message: import('./messages.js').Message }

/** A decision in progress under a policy. */
export type Action = {
  readonly id: number
  readonly creator: string
  readonly workspace: string
  /** The policy it is decided under; 0 = any one owner. */
  readonly policyId: number
  /** The policy frozen at creation: later policy changes do not move a pending action. */
  readonly participants: Readonly<Record<string, string>>
  readonly expression: string
  readonly subject: ActionSubject
  readonly votes: readonly ActionVote[]
  /**
   * How each transaction condition of the expression came out (`tx.value <= 0.1 eth`), judged once when
   * the action opened, in the order they appear. Absent when the expression has none.
   */
  readonly conditions?: readonly import('./policy/judgeTxConditions.js').TxConditionResult[]
  readonly status: ActionStatus
  readonly reason?: string
  /** Once approved or rejected by votes: which clause decided it, e.g. `approved by the clause tx.value <= 0.1 eth && alice`. */
  readonly decidedBy?: string
  readonly createdAt: number
  readonly expiresAt: number
  readonly decidedAt?: number
}

/**
 * A keyring party's claim that another party of the keyring cheated (its threshold protocol caught it,
 * e.g. a signature share that does not verify). Part of the party's signed result; an operator reads
 * it in the request's responses and in `party.accused` events.
 */
export type Accusation = {
  /** The accused party: another party of the keyring. */
  readonly party: string
  /** What the protocol caught, e.g. "sent an invalid signature share for message 0". */
  readonly reason: string
}

/** A keyring party's response, with its signature over the request id and the result. */
export type PartyResponse = {
  readonly party: string
  /** 64-byte secp256k1 signature by the party over {@link partyResponseDigest}. */
  readonly signature: Uint8Array
  readonly at: number
  /** Set when the party rejected the request. */
  readonly rejectReason?: string
  /** The public key this party posted (key requests). */
  readonly publicKey?: Uint8Array
  /** The signatures this party posted (signature requests). */
  readonly signatures?: readonly Uint8Array[]
  /** Parties this party's protocol caught cheating while it worked on the request. */
  readonly accusations?: readonly Accusation[]
}

/** A request for a new key. */
export type KeyRequest = {
  readonly id: number
  readonly creator: string
  readonly workspace: string
  readonly keyring: string
  readonly keyType: KeyType
  /** Sign policy of the key to be created (overrides the workspace's); absent = the workspace's. */
  readonly signPolicyId?: number
  readonly status: KeyRequestStatus
  readonly rejectReason?: string
  /** Fee held in escrow while the request is open. */
  readonly fee: bigint
  /** The public key the first party posted. */
  readonly publicKey?: Uint8Array
  readonly responses: readonly PartyResponse[]
  /** Id of the key, once fulfilled. */
  readonly keyId?: number
  readonly createdAt: number
  readonly expiresAt: number
  readonly decidedAt?: number
}

/** A key: a public key held by a keyring for a workspace. */
export type Key = {
  readonly id: number
  readonly workspace: string
  readonly keyring: string
  readonly keyType: KeyType
  /** 33-byte compressed secp256k1 point, or 32-byte ed25519 point. */
  readonly publicKey: Uint8Array
  readonly signPolicyId?: number
  readonly requestId: number
  readonly createdAt: number
}

/** A request for signatures over one or more payloads with one key. */
export type SignRequest = {
  readonly id: number
  readonly creator: string
  readonly keyId: number
  readonly keyType: KeyType
  readonly workspace: string
  readonly keyring: string
  /** The derivation path of the child key that signs, when one was asked for. */
  readonly path?: readonly (number | string)[]
  /** Set for a taproot key-path spend: the signatures verify under the BIP341 output key. */
  readonly taproot?: { readonly merkleRoot?: Uint8Array }
  /** The public key the signatures verify under: the key's own, the child's at `path`, or its taproot output key. */
  readonly publicKey: Uint8Array
  readonly payloads: readonly Uint8Array[]
  /**
   * Set for a sign-transaction request: the transaction as sent, what the ledger's decoder read from it
   * (the `payloads` are its digests, computed by the ledger), and how the sign policy's transaction
   * conditions came out. Absent for a request of raw payloads, which policies see as opaque.
   */
  readonly transaction?: SignRequestTransaction
  /** Which clause of the sign policy let the request go ahead, or why it was refused. */
  readonly decidedBy?: string
  readonly status: SignRequestStatus
  /** The approval action, when the policy needed more than the requester. */
  readonly actionId?: number
  /** One per payload, once fulfilled: 65-byte r||s||v for ECDSA, 64 bytes for EdDSA and Schnorr. */
  readonly signatures?: readonly Uint8Array[]
  readonly rejectReason?: string
  readonly fee: bigint
  readonly responses: readonly PartyResponse[]
  /** Free-form labels for relayers and auditors (e.g. chain, tx hash). */
  readonly metadata?: Readonly<Record<string, string>>
  /** Time the keyring has once the request is pending (default: the ledger's). */
  readonly ttlMs?: number
  readonly createdAt: number
  /** Set when the policy was satisfied and the request went to the keyring. */
  readonly pendingAt?: number
  /** Deadline of the current phase: approvals while `partial`, the keyring while `pending`. */
  readonly expiresAt: number
  readonly decidedAt?: number
}

/** The transaction of a sign-transaction request (see {@link SignRequest.transaction}). */
export type SignRequestTransaction = {
  readonly chain: string
  readonly unsignedTransaction: Uint8Array
  readonly decoded: import('../transaction/TransactionDecoder.js').DecodedTransaction
  readonly conditions: readonly import('./policy/judgeTxConditions.js').TxConditionResult[]
}

/** Ledger parameters, fixed at genesis. */
export type LedgerParams = {
  /** Name of the native denomination. */
  readonly denom: string
  /** Time-to-live of key and signature requests at the keyring, when the request names none. */
  readonly defaultRequestTtlMs: number
  /** Time-to-live of actions, when neither the request nor the policy names one. */
  readonly defaultActionTtlMs: number
  readonly minTtlMs: number
  readonly maxTtlMs: number
  /** Most payloads in one signature request. */
  readonly maxPayloads: number
  /** Longest EdDSA or Schnorr message. */
  readonly maxMessageBytes: number
}

/**
 * Defaults for {@link LedgerParams}.
 *
 * @example
 * ```ts
 * import { createEmbeddedLedger, defaultLedgerParams } from '@zrkit/core'
 * await createEmbeddedLedger({ genesis: { chainId, params: { defaultRequestTtlMs: 2 * defaultLedgerParams.defaultRequestTtlMs } } })
 * ```
 */
export const defaultLedgerParams: LedgerParams = Object.freeze({
  denom: 'uzr',
  defaultRequestTtlMs: 10 * 60_000,
  defaultActionTtlMs: 24 * 60 * 60_000,
  minTtlMs: 1_000,
  maxTtlMs: 30 * 24 * 60 * 60_000,
  maxPayloads: 256,
  maxMessageBytes: 65_536,
})

/** The ledger's starting point. */
export type Genesis = {
  readonly chainId: string
  /** Ledger time at genesis (default: when the ledger is first created). */
  readonly time?: number
  /** Starting balances, e.g. a development allocation. */
  readonly balances?: readonly { readonly address: string; readonly amount: bigint }[]
  readonly params?: Partial<LedgerParams>
  /**
   * The transaction decoders this ledger runs, as `chain@version` (e.g. `['evm@1', 'bitcoin@1']`): part
   * of its history, so every replica decodes alike. The ledger must be opened with exactly these
   * versions (`transactionDecoders` of `createEmbeddedLedger`).
   */
  readonly transactionDecoders?: readonly string[]
}
