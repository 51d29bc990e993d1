import type { KeyType } from '../ledger/types.js'

/**
 * One movement of value out of the signing account, as a decoder read it from an unsigned transaction.
 *
 * - `asset` is `'native'` for the chain's own coin (ether, bitcoin, SOL), otherwise the token: an ERC-20
 *   contract address (lower-case hex), an SPL mint (base58), a Cosmos denom (`uatom`).
 * - `kind` `'transfer'` moves `amount` to `to`; `'approve'` lets `to` spend up to `amount` of a token later
 *   (ERC-20 `approve`, SPL `approve`): policies count it like a transfer, since the spender can take it.
 * - `from` is set only when the tokens leave another account (ERC-20 `transferFrom`).
 *
 * @example
 * ```ts
 * import type { TransactionTransfer } from '@zrkit/core'
 * const t: TransactionTransfer = { kind: 'transfer', asset: 'native', to: '0x70997970c51812dc3a010c7d01b50e0d17dc79c8', amount: 10n ** 17n }
 * ```
 */
export type TransactionTransfer = {
  readonly kind: 'transfer' | 'approve'
  readonly asset: string
  readonly to: string
  readonly amount: bigint
  readonly from?: string
}

/**
 * A call whose effect the decoder does not know: a contract call with data it does not read, an
 * instruction of an unknown program, a message type it does not parse. Policies treat these as opaque
 * unless a clause names the contract (`tx.contract`) or the function (`tx.selector`).
 *
 * @example
 * ```ts
 * import type { TransactionCall } from '@zrkit/core'
 * const c: TransactionCall = { to: '0x5fbdb2315678afecb367f032d93f642f64180aa3', selector: '0xd0e30db0', value: 0n }
 * ```
 */
export type TransactionCall = {
  /** The contract, program or message type called. */
  readonly to: string
  /** EVM: the 4-byte function selector as `0x` + 8 hex digits; Solana: the first instruction byte as hex. */
  readonly selector?: string
  /** Native value sent with the call (base units). */
  readonly value: bigint
}

/**
 * What the ledger learnt from an unsigned transaction: the facts a policy judges and an approver reads.
 * Amounts are base units (wei, satoshi, lamports, the denom's units) as bigints; no floats anywhere.
 * Every field is derived from the transaction bytes by the decoder named in `decoder`, except where a
 * decoder says a field is the requester's claim (Solana's `network`).
 *
 * @example
 * ```ts
 * import type { DecodedTransaction } from '@zrkit/core'
 * const tx: DecodedTransaction = {
 *   chain: 'evm', decoder: 'evm@1', network: 'eip155:31337', format: 'eip1559',
 *   from: '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266',
 *   transfers: [{ kind: 'transfer', asset: 'native', to: '0x70997970c51812dc3a010c7d01b50e0d17dc79c8', amount: 10n ** 17n }],
 *   calls: [], fee: 21_000n * 2_000_000_000n, feeAsset: 'native', fields: { nonce: '0' },
 * }
 * ```
 */
export type DecodedTransaction = {
  /** The decoder's chain name, e.g. `'evm'`, `'bitcoin'`, `'solana'`, `'cosmos'`. */
  readonly chain: string
  /** The decoder and its version that read it, e.g. `'evm@1'`. */
  readonly decoder: string
  /** The network, e.g. `'eip155:11155111'`, `'bitcoin:regtest'`, `'solana:devnet'`, `'cosmos:zenrock-1'`. */
  readonly network: string
  /** The transaction's format, e.g. `'eip1559'`, `'legacy'`, `'psbt'`, `'v0'`, `'sign-doc'`. */
  readonly format: string
  /** The signing key's account on this chain: the sender and fee payer. */
  readonly from: string
  /** Value leaving `from`, change back to `from` left out. */
  readonly transfers: readonly TransactionTransfer[]
  /** Calls whose effects the decoder cannot tell. */
  readonly calls: readonly TransactionCall[]
  /** The most the transaction can pay in fees, in base units of `feeAsset`. */
  readonly fee: bigint
  /** `'native'`, or the denom the fee is paid in (Cosmos). */
  readonly feeAsset: string
  /** Other facts for the approver's display (nonce, gas limit, blockhash, memo...), as strings. */
  readonly fields: Readonly<Record<string, string>>
}

/** What a decoder is given: the transaction and the key that is to sign it. */
export type DecodeTransactionInput = {
  /** The unsigned transaction exactly as the requester sent it. */
  readonly unsignedTransaction: Uint8Array
  readonly keyType: KeyType
  /**
   * The key the signatures must verify under: the key's own, the child's at the request's path, or the
   * taproot output key (x-only, 32 bytes) when `taproot` is set.
   */
  readonly publicKey: Uint8Array
  /** True for a taproot key-path spend (BIP341 sighashes). */
  readonly taproot: boolean
  /** The network the requester names, where the transaction does not carry it (Bitcoin, Solana). */
  readonly network?: string
}

/** A decoder's answer: the payloads to sign, in order, and the decoded transaction. */
export type DecodeTransactionResult = {
  /** Exactly what the keyring signs: 32-byte digests for ECDSA keys, sighashes per input, a Solana message. */
  readonly payloads: readonly Uint8Array[]
  readonly transaction: DecodedTransaction
}

/**
 * A ledger plugin that reads one chain's unsigned transactions. The ledger is deterministic, so a
 * decoder must be too: the same input gives the same result (or the same error) on every machine and
 * in every release that keeps its `version`. A change in what it accepts or returns is a new version.
 *
 * `decode` throws a `ZrError` with code `INVALID_TRANSACTION` for anything it cannot read or that is
 * not for this key (wrong signer, malformed bytes, a network it does not know); the ledger turns any
 * other exception into the same code, so a decoder bug never stops the ledger.
 *
 * Each relayer package exports its chain's decoder from a `/decoder` entry that loads no chain library:
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
export type TransactionDecoder = {
  /** The chain name requests use (`chain: 'evm'`); lower-case letters and digits. */
  readonly chain: string
  /** Positive integer; part of the ledger's genesis (`'evm@1'`). */
  readonly version: number
  /**
   * Units of the chain's native coin and their decimals, e.g. `{ eth: 18, gwei: 9, wei: 0 }`. Policies
   * write amounts in these (`tx.value <= 0.1 eth`). Empty for a chain without one native coin (Cosmos).
   */
  readonly nativeUnits: Readonly<Record<string, number>>
  decode(input: DecodeTransactionInput): DecodeTransactionResult
  /**
   * The canonical form of an address of this chain, for comparisons (`tx.to in allowlist(...)`); throws
   * `INVALID_INPUT` for a string that is not one. E.g. EVM: lower-case hex.
   */
  normalizeAddress(address: string): string
}
