import type { TransactionDecoder } from '@zrkit/core'
import { decodeEvmTransaction } from './decodeEvmTransaction.js'
import { normalizeEvmAddress } from './normalizeEvmAddress.js'

/**
 * The ledger's decoder of unsigned EVM transactions, `evm@1`: legacy (EIP-155), EIP-2930 and EIP-1559
 * transactions for `ecdsa-secp256k1` keys. It computes the one payload the key signs (keccak-256 of the
 * transaction's bytes) and reports native transfers, ERC-20 `transfer`, `transferFrom` and `approve`, and
 * every other call (contract calls, contract creations) as a call, for policies such as
 * `tx.value <= 0.1 eth`. Addresses are lower-case hex (`normalizeAddress`). Loads no chain library.
 *
 * @example
 * ```ts
 * import { createEmbeddedLedger } from '@zrkit/core'
 * import { evmTransactionDecoder } from '@zrkit/relayer-evm/decoder'
 *
 * const ledger = await createEmbeddedLedger({
 *   genesis: { chainId: 'zrkit-dev', transactionDecoders: ['evm@1'] },
 *   transactionDecoders: [evmTransactionDecoder()],
 * })
 * ```
 */
export function evmTransactionDecoder(): TransactionDecoder {
  return Object.freeze({
    chain: 'evm',
    version: 1,
    nativeUnits: Object.freeze({ eth: 18, gwei: 9, wei: 0 }),
    decode: decodeEvmTransaction,
    normalizeAddress: normalizeEvmAddress,
  })
}
