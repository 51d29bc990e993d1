import type { DerivationSegment } from '../derivation/derivationPath.js'
import type { KeyType } from '../ledger/types.js'
import type { RelayRecord } from './RelayJournal.js'

/**
 * The key a relay signs with, as the pipeline hands it to its adapter: the ledger key, the derivation
 * path when there is one, and the public key that signs (the child's at `path`).
 */
export type RelaySigner = {
  readonly keyId: number
  readonly keyType: KeyType
  readonly path?: readonly DerivationSegment[]
  /**
   * The signing public key: the key's own, or its child's at `path`; for a taproot request (see
   * `taproot`), its BIP341 output key (33 bytes, parity first), which the signatures verify under.
   */
  readonly publicKey: Uint8Array
  /** Set once the request signs for the key's taproot output key (see {@link PreparedTx.taproot}). */
  readonly taproot?: { readonly merkleRoot?: Uint8Array }
}

/** What {@link RelayAdapter.prepare} returns: an unsigned transaction and what the key must sign. */
export type PreparedTx = {
  /** The unsigned transaction in the adapter's own text form (e.g. hex). Stored as is in the journal. */
  readonly unsignedTx: string
  /** What the key signs, one payload per signature: 32-byte digests for ECDSA keys, messages for EdDSA and Schnorr. */
  readonly payloads: readonly Uint8Array[]
  /**
   * A few short facts about the transaction (`from`, `to`, `value`, `nonce`...): kept in the journal,
   * given back to {@link RelayAdapter.restore} and {@link RelayAdapter.release}, and shown to approvers in
   * the signature request's metadata unless the relayer is told not to disclose it. At most 24 entries;
   * keys of 1..48 characters `[A-Za-z0-9_.-]`; values of at most 1024 characters.
   */
  readonly summary: Readonly<Record<string, string>>
  /**
   * Ask for the signatures under the key's BIP341 taproot output key (Schnorr keys): `{}` for a
   * key-path-only (BIP86) output, `{ merkleRoot }` for an output with a script tree.
   */
  readonly taproot?: { readonly merkleRoot?: Uint8Array }
  /**
   * The unsigned transaction as the ledger's decoder for `chain` reads it (EVM serialized bytes, a
   * Bitcoin PSBT, a Solana message, a Cosmos SignDoc). When the ledger runs that decoder, the relayer
   * asks for a sign-transaction request: the ledger computes the payloads itself (they must equal
   * `payloads`) and the sign policy judges what the transaction does. Without it, or on a ledger without
   * the decoder, the request carries the payloads alone, opaque to policies.
   */
  readonly transaction?: { readonly chain: string; readonly unsignedTransaction: Uint8Array; readonly network?: string }
  /**
   * What the transaction uses up that no other transaction of the account may: an EVM nonce
   * (`eip155:1/0xabc.../nonce/7`), Bitcoin outpoints. The pipeline records them in the request's metadata
   * (`zrkit.claims`), so that another relayer on the same key (a second replica of a service) sees them on
   * the ledger and prepares around them (see {@link PrepareContext}). At most 32 claims of 1..160
   * printable characters without spaces. An adapter that gives claims says so with {@link RelayAdapter.makesClaims}.
   */
  readonly claims?: readonly string[]
}

/**
 * What {@link RelayAdapter.prepare} is told besides the intent: `taken` holds the claims of live
 * signature requests on the key made by other relayers (see {@link PreparedTx.claims}); an adapter that
 * makes claims prepares a transaction whose claims are not among them (EVM: the next free nonce).
 */
export type PrepareContext = { readonly taken: ReadonlySet<string> }

/**
 * What a replacement of a sent transaction should do (see {@link RelayAdapter.replace}): `speed-up`, the
 * same transaction with a higher fee; `cancel`, a transaction that does nothing but take the original's
 * place (an EVM transfer of 0 to the sender itself, a Bitcoin payment of the same inputs back to the key's
 * own address). `fees` are the chain's own fee fields, checked by the adapter (EVM `maxFeePerGas`,
 * `maxPriorityFeePerGas`, `gasPrice`; Bitcoin `feeRate` in sat/vB; Solana `computeUnitPrice` in
 * micro-lamports); absent ones are raised from the original's by the network's replacement rule and
 * from what the network asks now.
 */
export type ReplaceRequest = {
  readonly mode: 'speed-up' | 'cancel'
  readonly fees?: Readonly<Record<string, bigint | number>>
}

/** A signed transaction ready to broadcast, and its id on its network. */
export type AssembledTx = {
  /** The signed transaction in the form the network takes (e.g. hex of the raw bytes). */
  readonly signedTx: string
  /** Its id on the network (EVM: the transaction hash). The same signed transaction always has the same id. */
  readonly txid: string
}

/**
 * What {@link RelayAdapter.confirm} reports while it waits: the transaction was sent again
 * (`rebroadcast`: the node lost it from its pool, or its block was reorganized away), or it is not
 * moving (`stalled`, with what it waits for, as the `TX_STALLED` error's `waitingFor` names it).
 */
export type ConfirmProgress =
  | { readonly type: 'rebroadcast'; readonly reason: string }
  | { readonly type: 'stalled'; readonly waitingFor: string; readonly details: string; readonly facts?: Readonly<Record<string, string | number>> }

/** Options of {@link RelayAdapter.confirm}. */
export type ConfirmOptions = {
  /** Told when the transaction is sent again or is not moving. */
  readonly onProgress?: (progress: ConfirmProgress) => void
  /**
   * What a stalled transaction does: \`'fail'\` (default) throws \`TX_STALLED\` once the adapter is sure it
   * cannot move now (a nonce gap, a fee cap below the base fee, dropped and refused again), so a caller
   * hears at once what it waits for; \`'wait'\` reports it with \`onProgress\` and goes on waiting.
   */
  readonly stalled?: 'fail' | 'wait'
  /** Give up after this many ms with a `TIMEOUT` error: 0 waits for ever, absent takes the adapter's default (see `pollUntil`). */
  readonly timeoutMs?: number
  /** Give up when aborted, with an `ABORTED` error. */
  readonly signal?: AbortSignal
}

/**
 * What a relayer needs to know about one network, plugged into the chain-neutral pipeline of
 * `createRelayer`. An adapter is a small object; every method but `prepare` must be safe to call again
 * with the same input, because after a crash the pipeline repeats the step it was in.
 *
 * - `prepare` turns an intent into an unsigned transaction and its payloads. It may reserve things on
 *   the network side (an EVM nonce, Bitcoin UTXOs); `release` gives them back when the transaction will
 *   never be signed, and `restore` re-reserves what unfinished journal records hold after a restart.
 * - `payloads` recomputes the payloads of a stored unsigned transaction, so the pipeline can check that
 *   what the ledger signed is exactly this transaction before assembling it.
 * - `assemble` is deterministic: the same unsigned transaction and signatures give the same signed
 *   transaction and id. It should check that the result verifies (e.g. recovers the expected sender).
 * - `broadcast` is idempotent: a transaction the network already has (in its pool or in a block) is a
 *   success, not an error. It throws `BROADCAST_FAILED` when the network refuses it.
 * - `confirm` waits until the transaction is final enough and returns the network's receipt. It only
 *   reads, so it can be called any number of times. `timeoutMs: 0` means wait for ever. When the
 *   transaction can never land (dropped, its blockhash expired), `broadcast` or `confirm` throws
 *   `TX_EXPIRED`: the pipeline then records the relay as `expired`.
 * - `failure` says whether a receipt is of a transaction that landed but failed (its fee paid, its
 *   effects undone): the pipeline then records the relay as `reverted` and throws `TX_FAILED`.
 *
 * @example
 * ```ts
 * import type { RelayAdapter } from '@zrkit/core'
 *
 * const adapter: RelayAdapter<{ to: string; amount: bigint }, { block: number }> = {
 *   chain: 'example:devnet',
 *   keyTypes: ['eddsa-ed25519'],
 *   async prepare(intent, signer) {
 *     const unsignedTx = encodeTransfer(signer.publicKey, intent)
 *     return { unsignedTx, payloads: [messageOf(unsignedTx)], summary: { to: intent.to, amount: String(intent.amount) } }
 *   },
 *   payloads: (unsignedTx) => [messageOf(unsignedTx)],
 *   assemble: (unsignedTx, [signature]) => attach(unsignedTx, signature!),
 *   broadcast: (tx) => node.submitIfUnknown(tx.signedTx),
 *   confirm: (tx) => node.waitFor(tx.txid),
 * }
 * ```
 */
export type RelayAdapter<Intent = unknown, Receipt = unknown> = {
  /** The network, CAIP-2 style: `eip155:11155111`, `bip122:000000000933ea01ad0ee984209779ba`, `solana:devnet`. */
  readonly chain: string
  /** Key types it can sign with (e.g. `['ecdsa-secp256k1']` for EVM). */
  readonly keyTypes: readonly KeyType[]
  /**
   * Set when its transactions carry claims ({@link PreparedTx.claims}: an EVM nonce, Bitcoin inputs): only
   * then does the pipeline read the key's live claims from the ledger before `prepare` (two queries per
   * submit), and check a new request against other relayers' afterwards.
   */
  readonly makesClaims?: boolean
  /** Builds the unsigned transaction for `intent`, signed later by `signer`. */
  prepare(intent: Intent, signer: RelaySigner, context?: PrepareContext): Promise<PreparedTx>
  /** The payloads of a stored unsigned transaction; the same as `prepare` returned with it. */
  payloads(unsignedTx: string, signer: RelaySigner): readonly Uint8Array[] | Promise<readonly Uint8Array[]>
  /** Puts the signatures (one per payload, in order) into the transaction. */
  assemble(unsignedTx: string, signatures: readonly Uint8Array[], signer: RelaySigner): AssembledTx | Promise<AssembledTx>
  /** Sends the transaction to the network; already known is success. */
  broadcast(tx: AssembledTx): Promise<void>
  /** Waits for the transaction to be confirmed and returns the network's receipt. */
  confirm(tx: AssembledTx, options: ConfirmOptions): Promise<Receipt>
  /**
   * Why the transaction of this receipt failed on chain though it landed (e.g. `reverted in block 12`),
   * or `undefined` when it succeeded. Absent: transactions that land never fail (Bitcoin).
   */
  failure?(receipt: Receipt): string | undefined
  /**
   * Frees what `prepare` reserved for a transaction that will never be signed: its request was rejected
   * or expired, or it could not be submitted. Never called once a request is fulfilled: its signatures
   * are public on the ledger, so anyone could still broadcast that transaction.
   */
  release?(prepared: Pick<RelayRecord, 'unsignedTx' | 'summary'>, signer: RelaySigner): void | Promise<void>
  /**
   * Prepares a transaction that takes the place of `original` (signed, broadcast, or expired without
   * landing): on EVM the same nonce, on Bitcoin the same inputs (RBF), so that only one of the two can
   * land; on Solana, where a transaction whose blockhash expired can never land, the same instructions
   * with a priority fee. Its claims are the original's. Absent: the chain's transactions cannot be replaced.
   */
  replace?(original: RelayRecord, request: ReplaceRequest, signer: RelaySigner): Promise<PreparedTx>
  /** Called once, before the first `prepare`, with the journal's unfinished records for this chain. */
  restore?(records: readonly RelayRecord[]): void | Promise<void>
}
