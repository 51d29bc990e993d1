import { ZrError, isZrError } from '@zrkit/core'
import { type SolanaNetworkName, decodeSolanaTransaction } from './decoder/decodeSolanaTransaction.js'
import { solanaChains } from './solanaChains.js'

/** A message as the ledger's Solana decoder (`solana@1`) reads it, with the cluster the requester names. */
export type LedgerTransaction = { readonly chain: 'solana'; readonly unsignedTransaction: Uint8Array; readonly network: SolanaNetworkName }

/**
 * The cluster name the ledger's decoder takes for a relayer's CAIP-2 chain id: `'mainnet-beta'`,
 * `'devnet'` or `'testnet'` for the public clusters (known by their genesis hashes), `'localnet'` for any
 * other (a local validator, an in-process SVM, a private cluster). The decoder reports it as
 * `solana:<name>`, the requester's claim, which policies read as `tx.network`.
 *
 * @example
 * ```ts
 * solanaNetworkName(solanaChains.devnet) // 'devnet'
 * solanaNetworkName('solana:8uyXNhVBk9pc9yq2gqkHhR4JxTQwUHNs') // 'localnet'
 * ```
 */
export function solanaNetworkName(chain: string): SolanaNetworkName {
  if (chain === solanaChains.mainnet) return 'mainnet-beta'
  if (chain === solanaChains.devnet) return 'devnet'
  if (chain === solanaChains.testnet) return 'testnet'
  return 'localnet'
}

/**
 * What to offer the ledger for a message the key signs: the message bytes and the cluster, when the
 * ledger's decoder reads them (it is this package's decoder, run here once on the same bytes: the key
 * must be the fee payer, the message within its limits), or the decoder's refusal. A relay or signer
 * offers the transaction only then, and otherwise asks for the payloads alone: a ledger that runs the
 * decoder would refuse the request.
 *
 * @example
 * ```ts
 * const offer = ledgerTransaction(message.serialize(), key.toBytes(), solanaChains.devnet)
 * if ('transaction' in offer) await requestTransactionSignature(alice, { keyId, ...offer.transaction })
 * ```
 */
export function ledgerTransaction(messageBytes: Uint8Array, publicKey: Uint8Array, chain: string): { readonly transaction: LedgerTransaction } | { readonly refusal: ZrError } {
  const network = solanaNetworkName(chain)
  try {
    decodeSolanaTransaction({ unsignedTransaction: messageBytes, keyType: 'eddsa-ed25519', publicKey, taproot: false, network })
  } catch (cause) {
    if (isZrError(cause)) return { refusal: cause }
    return { refusal: new ZrError('INVALID_TRANSACTION', 'The Solana decoder cannot read the transaction.', { details: `expected a message the decoder reads, got an error: ${cause instanceof Error ? cause.message : String(cause)}`, context: { chain: 'solana' }, cause }) }
  }
  return { transaction: { chain: 'solana', unsignedTransaction: Uint8Array.from(messageBytes), network } }
}

/** The decoder's refusal in words: the field it names and what it expected and got. */
export function refusalText(refusal: ZrError): string {
  const field = (refusal.context as { field?: unknown } | undefined)?.field
  const text = refusal.details ?? refusal.shortMessage
  return typeof field === 'string' ? `${field}: ${text}` : text
}
