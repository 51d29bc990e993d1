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
] as const

/** A stable zrkit error code. */
export type ZrErrorCode = (typeof errorCodes)[number]
