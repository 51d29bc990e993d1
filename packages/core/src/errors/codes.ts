/**
 * Every stable error code zrkit throws. Codes are append-only: once released, a code keeps its meaning.
 * Narrow with {@link isZrError}: `isZrError(e, 'KEYRING_NOT_ACTIVE')`.
 *
 * @example
 * ```ts
 * import { errorCodes } from '@zrkit/core'
 * errorCodes.includes('TIMEOUT') // true
 * ```
 */
export const errorCodes = [
  // input and encoding
  'INVALID_INPUT',
  'INVALID_ADDRESS',
  'INVALID_PAYLOAD',
  'INVALID_PUBLIC_KEY',
  'INVALID_POLICY',
  'UNSUPPORTED_KEY_TYPE',
  'UNSUPPORTED_WALLET_TYPE',
  'INVALID_DERIVATION_PATH',
  'UNKNOWN_MESSAGE',
  // authentication
  'INVALID_TX_SIGNATURE',
  'CHAIN_ID_MISMATCH',
  'SEQUENCE_MISMATCH',
  'TX_REPLAYED',
  // authorisation
  'NOT_WORKSPACE_OWNER',
  'NOT_POLICY_PARTICIPANT',
  'NOT_KEYRING_ADMIN',
  'NOT_KEYRING_PARTY',
  'NOT_ACTION_CREATOR',
  'KEYRING_NOT_ACTIVE',
  // lookups
  'ACCOUNT_NOT_FOUND',
  'WORKSPACE_NOT_FOUND',
  'KEYRING_NOT_FOUND',
  'POLICY_NOT_FOUND',
  'ACTION_NOT_FOUND',
  'KEY_NOT_FOUND',
  'KEY_REQUEST_NOT_FOUND',
  'SIGN_REQUEST_NOT_FOUND',
  // state rules
  'INSUFFICIENT_BALANCE',
  'INVALID_THRESHOLD',
  'ALREADY_EXISTS',
  'REQUEST_NOT_PENDING',
  'ACTION_NOT_PENDING',
  'ALREADY_VOTED',
  'DUPLICATE_RESPONSE',
  'INVALID_RESULT',
  'INVALID_PARTY_SIGNATURE',
  'POLICY_IN_USE',
  // lifecycle outcomes seen by waiters
  'REQUEST_REJECTED',
  'ACTION_REJECTED',
  'TIMEOUT',
  'ABORTED',
  // ledger and storage
  'LEDGER_CLOSED',
  'LEDGER_UNAVAILABLE',
  'STORE_CORRUPT',
  // keyrings and connectors
  'BACKEND_FAILED',
  'BACKEND_TRANSIENT',
  'BACKEND_ABSTAIN',
  // MPC
  'MPC_ABORT',
  'MPC_TRANSPORT',
  // relayers
  'APPROVAL_PENDING',
  'RELAY_NOT_FOUND',
  'RELAY_MISMATCH',
  'PREPARE_FAILED',
  'BROADCAST_FAILED',
  // chain backends
  'INSUFFICIENT_FUNDS',
  'NODE_REQUEST_FAILED',
  // transactions on their networks
  'TX_EXPIRED',
  'TX_FAILED',
  // ledger queries: the ledger does not answer a query of this name
  'UNKNOWN_QUERY',
  // split out of INVALID_INPUT (issue 15): the caller branches on these
  /** A message, frame or reply from another party or process is malformed (blame the sender, not the caller). */
  'MALFORMED_MESSAGE',
  /** The options given to a factory (`createZrClient`, `localKeyring`, a store) are unusable: a setup mistake. */
  'INVALID_CONFIG',
  /** The passphrase or key given for an encrypted store is not the one it was created with. */
  'WRONG_SECRET',
  // added by issue 16 (network mode)
  /** A network relay refused a party or a frame: context.reason says why (unauthorized, rate-limited, replaced, ...). */
  'RELAY_REFUSED',
  /** A server's limit per connection was reached (too many subscriptions, a subscriber too slow); `context.limit` names it. */
  'LIMIT_EXCEEDED',
  // added by issue 18 (transaction-aware requests)
  /** An unsigned transaction the ledger's decoder cannot read, or one not for the signing key; context.chain names the decoder. */
  'INVALID_TRANSACTION',
  /** No transaction decoder for this chain is part of the ledger's genesis. */
  'UNSUPPORTED_CHAIN',
  // added by issue 21 (relayers an operator can leave running)
  /** An idempotency key already names another relay (another transaction or key), or an attempt interrupted before its request was recorded. */
  'IDEMPOTENCY_CONFLICT',
  /** The transaction can never land: another transaction of the account used its nonce (or spent its inputs). */
  'TX_REPLACED',
  /** A broadcast transaction is not moving: `context.waitingFor` says what it waits for. The relay stays resumable. */
  'TX_STALLED',
  /** Another relayer (a second replica on the same key) claimed the nonce or inputs this transaction needs. */
  'RELAY_CONFLICT',
] as const

/** A stable zrkit error code. */
export type ZrErrorCode = (typeof errorCodes)[number]

/**
 * What each code means, one sentence each: for documentation, logs and tools. Every code has one
 * (the type requires it; a test checks none is empty).
 *
 * @example
 * ```ts
 * import { errorCodeDescriptions, isZrError } from '@zrkit/core'
 * if (isZrError(e)) console.error(`${e.code}: ${errorCodeDescriptions[e.code]}`)
 * ```
 */
export const errorCodeDescriptions: { readonly [C in ZrErrorCode]: string } = {
  INVALID_INPUT: 'An argument or value is not what was expected; the details say what was expected and what arrived.',
  INVALID_ADDRESS: 'An address is malformed, for another network, or not the one expected.',
  INVALID_PAYLOAD: 'A payload to sign has the wrong form or size for the key type.',
  INVALID_PUBLIC_KEY: 'A public key is not a valid point or encoding for its key type.',
  INVALID_POLICY: 'A policy or policy expression is malformed (context.position says where).',
  UNSUPPORTED_KEY_TYPE: 'The key type is not supported for this operation.',
  UNSUPPORTED_WALLET_TYPE: 'The wallet type does not fit the key type.',
  INVALID_DERIVATION_PATH: 'A derivation path is malformed or not usable for this key.',
  UNKNOWN_MESSAGE: 'The ledger has no handler for a message of this type.',
  INVALID_TX_SIGNATURE: 'A transaction signature does not verify.',
  CHAIN_ID_MISMATCH: 'The transaction, node or store belongs to another chain than the one expected.',
  SEQUENCE_MISMATCH: "A transaction's sequence is not the account's next one.",
  TX_REPLAYED: 'The transaction was already applied.',
  NOT_WORKSPACE_OWNER: 'Only an owner of the workspace may do this.',
  NOT_POLICY_PARTICIPANT: 'Only a participant of the policy may vote.',
  NOT_KEYRING_ADMIN: 'Only an admin of the keyring may do this.',
  NOT_KEYRING_PARTY: 'Only a party of the keyring may respond.',
  NOT_ACTION_CREATOR: 'Only the creator of the action may do this.',
  KEYRING_NOT_ACTIVE: 'The keyring was deactivated.',
  ACCOUNT_NOT_FOUND: 'No such account.',
  WORKSPACE_NOT_FOUND: 'No such workspace.',
  KEYRING_NOT_FOUND: 'No such keyring.',
  POLICY_NOT_FOUND: 'No such policy.',
  ACTION_NOT_FOUND: 'No such action.',
  KEY_NOT_FOUND: 'No such key.',
  KEY_REQUEST_NOT_FOUND: 'No such key request.',
  SIGN_REQUEST_NOT_FOUND: 'No such signature request.',
  INSUFFICIENT_BALANCE: 'The account cannot pay the amount or fee on the ledger.',
  INVALID_THRESHOLD: 'A threshold is outside 1..the number of parties.',
  ALREADY_EXISTS: 'A record with this name or id already exists.',
  REQUEST_NOT_PENDING: 'The request is no longer pending.',
  ACTION_NOT_PENDING: 'The action is no longer pending.',
  ALREADY_VOTED: 'This participant already voted on the action.',
  DUPLICATE_RESPONSE: 'This party already responded to the request.',
  INVALID_RESULT: 'A key or signature returned for a request does not verify.',
  INVALID_PARTY_SIGNATURE: "A party's signature over its response does not verify.",
  POLICY_IN_USE: 'The policy or owner is still referenced by other policies.',
  REQUEST_REJECTED: 'The request was rejected (context.reason says why).',
  ACTION_REJECTED: 'The action was rejected, revoked or expired.',
  TIMEOUT: 'What was waited for did not happen in time.',
  ABORTED: 'The operation was aborted by its AbortSignal or by closing.',
  LEDGER_CLOSED: 'The ledger, store or journal is closed.',
  LEDGER_UNAVAILABLE: 'The ledger or store cannot be reached or is locked by another process.',
  STORE_CORRUPT: 'Stored data is unreadable or damaged.',
  BACKEND_FAILED: 'A keyring backend failed for good on this request.',
  BACKEND_TRANSIENT: 'A keyring backend failed for now; a retry may succeed.',
  BACKEND_ABSTAIN: 'A keyring backend takes no part in this request.',
  MPC_ABORT: 'A threshold protocol stopped; context.party names the party at fault where one is known.',
  MPC_TRANSPORT: 'The secure transport refused or could not deliver a message.',
  APPROVAL_PENDING: 'The signature request waits for policy approvals; resume the relay once approved.',
  RELAY_NOT_FOUND: 'No such relay in the journal.',
  RELAY_MISMATCH: 'The journal record does not match the signature request.',
  PREPARE_FAILED: 'The transaction could not be prepared.',
  BROADCAST_FAILED: 'The network refused the transaction or could not be reached to send it.',
  INSUFFICIENT_FUNDS: 'The on-chain account cannot pay for the transaction.',
  NODE_REQUEST_FAILED: 'A request to a chain node failed.',
  TX_EXPIRED: 'The transaction can no longer land (its lifetime passed).',
  TX_FAILED: 'The transaction landed but failed.',
  UNKNOWN_QUERY: 'The ledger does not answer a query of this name.',
  MALFORMED_MESSAGE: 'A message, frame or reply from another party or process is malformed.',
  INVALID_CONFIG: 'The options given to a factory are unusable.',
  WRONG_SECRET: 'The passphrase or key is not the one the encrypted store was created with.',
  RELAY_REFUSED: 'A network relay refused the party or the frame; context.reason says why.',
  LIMIT_EXCEEDED: "A server's limit per connection was reached (context.limit names it).",
  INVALID_TRANSACTION: 'The unsigned transaction is malformed, or not one the signing key can sign; the details say what the decoder expected and what arrived.',
  UNSUPPORTED_CHAIN: "The ledger has no transaction decoder for this chain (its genesis lists the decoders it runs).",
  IDEMPOTENCY_CONFLICT: 'An idempotency key already names another relay.',
  TX_REPLACED: 'The transaction can never land: another transaction used its nonce or spent its inputs.',
  TX_STALLED: 'A broadcast transaction is not moving; context.waitingFor says what it waits for.',
  RELAY_CONFLICT: 'Another relayer on the same key claimed the nonce or inputs this transaction needs.',
}
