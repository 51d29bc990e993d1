import { keccak_256 } from '@noble/hashes/sha3.js'
import { type DecodeTransactionInput, type DecodeTransactionResult, describeValue, isZrError, publicKeyToEvmAddress, ZrError } from '@zrkit/core'
import { evmEffects } from './evmEffects.js'
import { invalidTransaction } from './invalidTransaction.js'
import { MAX_TRANSACTION_BYTES, parseEvmTransaction } from './parseEvmTransaction.js'

/**
 * The `decode` of {@link evmTransactionDecoder}: reads an unsigned EVM transaction ({@link parseEvmTransaction})
 * for an `ecdsa-secp256k1` key and returns the one payload the key signs, keccak-256 of exactly these bytes
 * (so no other transaction's digest can be asked for with them), and what the transaction does:
 *
 * - `network` `eip155:<chainId>` from the transaction (a `network` in the input must be that one);
 * - `from` the key's EVM address (lower-case hex), `format` `legacy` | `eip2930` | `eip1559`;
 * - `transfers` and `calls` as {@link evmEffects} reads them;
 * - `fee` the most it can pay: gas x gasPrice, or gas x maxFeePerGas, in wei (`feeAsset` `native`);
 * - `fields` as decimal strings: `nonce`, `gas`, `gasPrice` (or `maxFeePerGas` and `maxPriorityFeePerGas`),
 *   `chainId`, `to` (or `contract creation`) and `dataLength` (bytes).
 *
 * Anything else throws `INVALID_TRANSACTION` (`context: { chain: 'evm', field }`): another key type, a taproot
 * spend, a public key that is not a secp256k1 point, malformed or non-canonical bytes, another network.
 *
 * @example
 * ```ts
 * import { decodeEvmTransaction } from './decodeEvmTransaction.js'
 * import { hexToBytes, serializeTransaction } from 'viem'
 *
 * const unsignedTransaction = hexToBytes(serializeTransaction({ chainId: 1, gas: 21_000n, gasPrice: 10n ** 9n, to: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', value: 1n }))
 * const { payloads, transaction } = decodeEvmTransaction({ unsignedTransaction, keyType: 'ecdsa-secp256k1', publicKey, taproot: false })
 * transaction.transfers // [{ kind: 'transfer', asset: 'native', to: '0x70997970c51812dc3a010c7d01b50e0d17dc79c8', amount: 1n }]
 * transaction.fee       // 21_000n * 10n ** 9n
 * ```
 */
export function decodeEvmTransaction(input: DecodeTransactionInput): DecodeTransactionResult {
  if (input === null || typeof input !== 'object') throw invalidTransaction('an object { unsignedTransaction, keyType, publicKey, taproot }', describeValue(input))
  const { unsignedTransaction, keyType, publicKey, taproot, network } = input
  if (keyType !== 'ecdsa-secp256k1') throw invalidTransaction(`key type "ecdsa-secp256k1" (EVM accounts are secp256k1 ECDSA keys)`, describeValue(keyType), 'keyType')
  if (taproot !== false) throw invalidTransaction('taproot false (taproot is a Bitcoin spend)', describeValue(taproot), 'taproot')
  if (!(unsignedTransaction instanceof Uint8Array)) throw invalidTransaction('unsignedTransaction as bytes', describeValue(unsignedTransaction), 'unsignedTransaction')
  if (unsignedTransaction.length > MAX_TRANSACTION_BYTES) throw invalidTransaction(`at most ${MAX_TRANSACTION_BYTES} bytes`, `${unsignedTransaction.length} bytes`, 'unsignedTransaction')
  const from = evmAddressOf(publicKey)
  // A copy, so that what is hashed is what was read even if the caller's array changes meanwhile.
  const bytes = new Uint8Array(unsignedTransaction)
  const tx = parseEvmTransaction(bytes)
  const txNetwork = `eip155:${tx.chainId}`
  if (network !== undefined && network !== txNetwork) throw invalidTransaction(`network "${txNetwork}" (the transaction's chain id) or none`, describeValue(network), 'network')
  const { transfers, calls } = evmEffects(tx)
  const feeCap = tx.format === 'eip1559' ? tx.maxFeePerGas : tx.gasPrice
  const fees: Record<string, string> =
    tx.format === 'eip1559' ? { maxFeePerGas: `${tx.maxFeePerGas}`, maxPriorityFeePerGas: `${tx.maxPriorityFeePerGas}` } : { gasPrice: `${tx.gasPrice}` }
  return {
    payloads: [keccak_256(bytes)],
    transaction: {
      chain: 'evm',
      decoder: 'evm@1',
      network: txNetwork,
      format: tx.format,
      from,
      transfers,
      calls,
      fee: tx.gas * feeCap,
      feeAsset: 'native',
      fields: { nonce: `${tx.nonce}`, gas: `${tx.gas}`, ...fees, chainId: `${tx.chainId}`, to: tx.to ?? 'contract creation', dataLength: `${tx.data.length}` },
    },
  }
}

/** The key's EVM address in lower case; a key that is no secp256k1 point is `INVALID_TRANSACTION` too. */
function evmAddressOf(publicKey: unknown): string {
  try {
    return publicKeyToEvmAddress(publicKey as Uint8Array).toLowerCase()
  } catch (cause) {
    const details = isZrError(cause) && cause.details ? cause.details : `expected a secp256k1 public key, got ${describeValue(publicKey)}`
    throw new ZrError('INVALID_TRANSACTION', 'Invalid evm transaction.', { details, context: { chain: 'evm', field: 'publicKey' }, cause })
  }
}
