import { ZrError } from '@zrkit/core'
import { signatureProblem } from '@zrkit/core/internal'
import { PACKET_DATA_SIZE, PublicKey, SystemProgram, type VersionedMessage, VersionedTransaction } from '@solana/web3.js'
import { base58, base64 } from '@scure/base'

/** The lifetime of a transaction: a recent blockhash, or a durable nonce (its first instruction advances the nonce). */
export type SolanaLifetime =
  | { readonly type: 'blockhash'; readonly blockhash: string; readonly lastValidBlockHeight?: number }
  | { readonly type: 'nonce'; readonly nonceAccount: PublicKey; readonly nonce: string }

const EMPTY_SIGNATURE = new Uint8Array(64)

export const isEmptySignature = (s: Uint8Array | undefined) => !s || s.every((b) => b === 0)

/** Reads a compact-u16 ("shortvec") length; returns the value and the bytes it took. */
function readShortVec(bytes: Uint8Array, offset: number): [number, number] {
  let value = 0
  for (let i = 0; i < 3; i++) {
    const b = bytes[offset + i]
    if (b === undefined) throw new Error('truncated length')
    value |= (b & 0x7f) << (7 * i)
    if ((b & 0x80) === 0) return [value, i + 1]
  }
  throw new Error('length longer than 3 bytes')
}

/**
 * A transaction in wire form, decoded: the message bytes exactly as they are signed (cut from the wire,
 * never re-encoded), the signatures, and the signers they belong to.
 */
export type WireTransaction = {
  readonly tx: VersionedTransaction
  readonly message: VersionedMessage
  /** Exactly the bytes every signer signs. */
  readonly messageBytes: Uint8Array
  /** The accounts that must sign, in signature order (the fee payer first). */
  readonly signers: readonly PublicKey[]
}

/** Decodes wire bytes into a legacy or v0 transaction; throws `what`'s error code on anything else. */
export function decodeWire(wire: Uint8Array, code: 'INVALID_INPUT' | 'INVALID_RESULT' = 'INVALID_INPUT'): WireTransaction {
  const bad = (details: string, cause?: unknown) => new ZrError(code, 'Invalid Solana transaction.', { details, ...(cause !== undefined ? { cause } : {}) })
  if (wire.length > PACKET_DATA_SIZE) throw bad(`expected at most ${PACKET_DATA_SIZE} bytes, got ${wire.length}`)
  let count: number
  let lengthBytes: number
  try {
    ;[count, lengthBytes] = readShortVec(wire, 0)
  } catch (cause) {
    throw bad('expected a signature count at the start of the wire bytes', cause)
  }
  const messageBytes = wire.slice(lengthBytes + 64 * count)
  let tx: VersionedTransaction
  try {
    tx = VersionedTransaction.deserialize(wire)
  } catch (cause) {
    throw bad(`the bytes do not decode as a transaction: ${cause instanceof Error ? cause.message : String(cause)}`, cause)
  }
  const message = tx.message
  if (message.version !== 'legacy' && message.version !== 0) throw bad(`expected a legacy or v0 transaction, got version ${String(message.version)}`)
  const required = message.header.numRequiredSignatures
  if (count !== required) throw bad(`expected ${required} signatures (the message's signers), got ${count}`)
  if (messageBytes.length === 0 || !equalBytes(message.serialize(), messageBytes)) throw bad('the message is not in canonical form')
  return { tx, message, messageBytes, signers: message.staticAccountKeys.slice(0, required) }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

/** The wire bytes of a transaction (at most {@link PACKET_DATA_SIZE}). */
export function encodeWire(tx: VersionedTransaction): Uint8Array {
  let wire: Uint8Array
  try {
    wire = tx.serialize()
  } catch (cause) {
    throw new ZrError('INVALID_INPUT', 'The transaction is too large.', { details: `a Solana transaction is at most ${PACKET_DATA_SIZE} bytes: use fewer instructions or accounts, or address lookup tables (version 0)`, cause })
  }
  if (wire.length > PACKET_DATA_SIZE) {
    throw new ZrError('INVALID_INPUT', 'The transaction is too large.', { details: `expected at most ${PACKET_DATA_SIZE} bytes, got ${wire.length}: use fewer instructions or accounts, or address lookup tables (version 0)` })
  }
  return wire
}

export const toBase64 = (bytes: Uint8Array) => base64.encode(bytes)
export const fromBase64 = (text: string, code: 'INVALID_INPUT' | 'INVALID_RESULT' = 'INVALID_INPUT') => {
  try {
    return base64.decode(text)
  } catch (cause) {
    throw new ZrError(code, 'Invalid Solana transaction.', { details: `expected base64 wire bytes, got ${JSON.stringify(String(text).slice(0, 40))}`, cause })
  }
}
export const signatureToBase58 = (signature: Uint8Array) => base58.encode(signature)

/** The signature slot of `key` in a decoded transaction, or -1. */
export function signerIndex(wire: WireTransaction, key: PublicKey): number {
  return wire.signers.findIndex((s) => s.equals(key))
}

/** Every signature present checks out over the message; returns who has not signed yet. */
export function checkSignatures(wire: WireTransaction, code: 'INVALID_INPUT' | 'INVALID_RESULT'): PublicKey[] {
  const missing: PublicKey[] = []
  wire.signers.forEach((signer, i) => {
    const signature = wire.tx.signatures[i] ?? EMPTY_SIGNATURE
    if (isEmptySignature(signature)) return void missing.push(signer)
    const problem = signatureProblem('eddsa-ed25519', signer.toBytes(), wire.messageBytes, signature)
    if (problem) {
      throw new ZrError(code, 'A signature of the transaction does not verify.', { details: `the signature of ${signer.toBase58()} (signer ${i}) ${problem} over this transaction's message`, context: { signer: signer.toBase58() } })
    }
  })
  return missing
}

/** What a signed transaction's lifetime is: its blockhash, or the durable nonce its first instruction advances. */
export function lifetimeOf(message: VersionedMessage): SolanaLifetime {
  const first = message.compiledInstructions[0]
  const keys = message.staticAccountKeys
  if (first && keys[first.programIdIndex]?.equals(SystemProgram.programId) && first.data.length >= 4 && first.data[0] === 4 && first.data[1] === 0 && first.data[2] === 0 && first.data[3] === 0) {
    const account = keys[first.accountKeyIndexes[0] ?? -1]
    if (account) return { type: 'nonce', nonceAccount: account, nonce: message.recentBlockhash }
  }
  return { type: 'blockhash', blockhash: message.recentBlockhash }
}

/** A public key from a PublicKey, base58 text or 32 bytes; `INVALID_ADDRESS` otherwise. */
export function toPublicKey(value: unknown, field: string): PublicKey {
  try {
    if (value instanceof PublicKey) return value
    if (typeof value === 'string' && /^[1-9A-HJ-NP-Za-km-z]{32,44}$/.test(value)) return new PublicKey(value)
    if (value instanceof Uint8Array && value.length === 32) return new PublicKey(value)
    // A PublicKey of another copy of @solana/web3.js
    if (value && typeof value === 'object' && '_bn' in value && typeof (value as { toBytes?: unknown }).toBytes === 'function') return new PublicKey((value as unknown as PublicKey).toBytes())
  } catch {
    // fall through
  }
  throw new ZrError('INVALID_ADDRESS', 'Invalid Solana address.', {
    details: `${field}: expected a PublicKey or a base58 address of 32 bytes, got ${typeof value === 'string' ? JSON.stringify(value.slice(0, 60)) : value instanceof Uint8Array ? `${value.length} bytes` : typeof value}`,
  })
}
