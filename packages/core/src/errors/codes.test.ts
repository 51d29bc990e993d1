import { describe, expect, it } from 'vitest'
import { errorCodeDescriptions, errorCodes } from './codes.js'

/**
 * The released codes, in order. Codes are append-only: a code is never removed, renamed or moved, so
 * this list only ever grows at its end. Adding a code means appending it here too (and describing it
 * in `errorCodeDescriptions` and `ZrErrorContext`).
 */
const frozen = [
  'INVALID_INPUT',
  'INVALID_ADDRESS',
  'INVALID_PAYLOAD',
  'INVALID_PUBLIC_KEY',
  'INVALID_POLICY',
  'UNSUPPORTED_KEY_TYPE',
  'UNSUPPORTED_WALLET_TYPE',
  'INVALID_DERIVATION_PATH',
  'UNKNOWN_MESSAGE',
  'INVALID_TX_SIGNATURE',
  'CHAIN_ID_MISMATCH',
  'SEQUENCE_MISMATCH',
  'TX_REPLAYED',
  'NOT_WORKSPACE_OWNER',
  'NOT_POLICY_PARTICIPANT',
  'NOT_KEYRING_ADMIN',
  'NOT_KEYRING_PARTY',
  'NOT_ACTION_CREATOR',
  'KEYRING_NOT_ACTIVE',
  'ACCOUNT_NOT_FOUND',
  'WORKSPACE_NOT_FOUND',
  'KEYRING_NOT_FOUND',
  'POLICY_NOT_FOUND',
  'ACTION_NOT_FOUND',
  'KEY_NOT_FOUND',
  'KEY_REQUEST_NOT_FOUND',
  'SIGN_REQUEST_NOT_FOUND',
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
  'REQUEST_REJECTED',
  'ACTION_REJECTED',
  'TIMEOUT',
  'ABORTED',
  'LEDGER_CLOSED',
  'LEDGER_UNAVAILABLE',
  'STORE_CORRUPT',
  'BACKEND_FAILED',
  'BACKEND_TRANSIENT',
  'BACKEND_ABSTAIN',
  'MPC_ABORT',
  'MPC_TRANSPORT',
  'APPROVAL_PENDING',
  'RELAY_NOT_FOUND',
  'RELAY_MISMATCH',
  'PREPARE_FAILED',
  'BROADCAST_FAILED',
  'INSUFFICIENT_FUNDS',
  'NODE_REQUEST_FAILED',
  'TX_EXPIRED',
  'TX_FAILED',
  'UNKNOWN_QUERY',
  'MALFORMED_MESSAGE',
  'INVALID_CONFIG',
  'WRONG_SECRET',
  'RELAY_REFUSED',
  'LIMIT_EXCEEDED',
  'INVALID_TRANSACTION',
  'UNSUPPORTED_CHAIN',
  'IDEMPOTENCY_CONFLICT',
  'TX_REPLACED',
  'TX_STALLED',
  'RELAY_CONFLICT',
]

describe('errorCodes', () => {
  it('keeps every released code, in its place: the list only grows at its end', () => {
    expect(errorCodes.slice(0, frozen.length)).toEqual(frozen)
  })

  it('holds no code that this test does not know (append it to the frozen list)', () => {
    expect(errorCodes.slice(frozen.length)).toEqual([])
  })

  it('holds each code once, in SCREAMING_SNAKE_CASE', () => {
    expect(new Set(errorCodes).size).toBe(errorCodes.length)
    for (const code of errorCodes) expect(code).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/)
  })

  it('describes every code in one sentence, and nothing else', () => {
    expect(Object.keys(errorCodeDescriptions).sort()).toEqual([...errorCodes].sort())
    for (const code of errorCodes) expect(errorCodeDescriptions[code], code).toMatch(/^[A-Z].{10,}\.$/)
  })
})
