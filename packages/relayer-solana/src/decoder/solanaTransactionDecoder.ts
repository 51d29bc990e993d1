import type { TransactionDecoder } from '@zrkit/core'
import { decodeSolanaTransaction } from './decodeSolanaTransaction.js'
import { normalizeSolanaAddress } from './normalizeSolanaAddress.js'

/**
 * The ledger's Solana transaction decoder, `solana@1`: it reads a Solana message (legacy or version 0)
 * that an ed25519 key is to sign as fee payer, returns the message bytes as the one payload to sign, and
 * what the message does: native and SPL token transfers and approvals by the key, opaque calls for every
 * other instruction, the most it can pay in fees. It loads no Solana library. Amounts are in lamports
 * (`nativeUnits`: `sol` has 9 decimals) or a token's base units; addresses are base58.
 *
 * A Solana message does not say which cluster it is for, so the transaction's `network` is the
 * requester's claim (`solana:devnet` from `network: 'devnet'`; `solana:unknown` without one).
 *
 * @example
 * ```ts
 * import { createEmbeddedLedger } from '@zrkit/core'
 * import { solanaTransactionDecoder } from '@zrkit/relayer-solana/decoder'
 *
 * const ledger = await createEmbeddedLedger({
 *   genesis: { chainId: 'zrkit-dev', transactionDecoders: ['solana@1'] },
 *   transactionDecoders: [solanaTransactionDecoder()],
 * })
 * ```
 */
export function solanaTransactionDecoder(): TransactionDecoder {
  return Object.freeze({
    chain: 'solana',
    version: 1,
    nativeUnits: Object.freeze({ sol: 9, lamport: 0 }),
    decode: decodeSolanaTransaction,
    normalizeAddress: normalizeSolanaAddress,
  })
}
