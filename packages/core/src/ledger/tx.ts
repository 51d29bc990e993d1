import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import type { Account } from '../account/Account.js'
import { concatBytes, toHex, utf8 } from '../encoding/bytes.js'
import { canonicalBytes } from '../encoding/canonical.js'
import type { Message } from './messages.js'
import { invalid } from './validate.js'

/** A message with what authenticates it, before signing. */
export type UnsignedTx = {
  readonly chainId: string
  /** Sender address. */
  readonly signer: string
  /** Sender's 33-byte compressed secp256k1 public key; must hash to `signer`. */
  readonly publicKey: Uint8Array
  /** Must equal the sender's account sequence; each accepted message advances it by one. */
  readonly sequence: number
  readonly msg: Message
  readonly memo?: string
}

/** A signed message, as the {@link Ledger} receives it. */
export type SignedTx = UnsignedTx & {
  /** 64-byte low-S ECDSA signature over {@link txSignDigest}. */
  readonly signature: Uint8Array
}

const txDomain = utf8('zrkit/tx/v1\n')
const partyDomain = utf8('zrkit/party-response/v1\n')

/**
 * The digest an account signs: sha256 of a domain tag and the canonical JSON of the unsigned tx.
 * Throws `INVALID_INPUT` for a tx that is not an object or has no canonical form.
 *
 * @example
 * ```ts
 * import { txSignDigest, verifyAccountSignature } from '@zrkit/core/internal'
 * verifyAccountSignature(tx.signature, txSignDigest(tx), tx.publicKey) // true
 * ```
 */
export function txSignDigest(tx: UnsignedTx): Uint8Array {
  return sha256(txSignBytes(tx))
}

/**
 * The bytes whose sha256 is {@link txSignDigest}: the domain tag and the canonical JSON of the unsigned tx
 * (what {@link verifySecp256k1Sha256} checks a tx signature over).
 *
 * @example
 * ```ts
 * import { txSignBytes, verifySecp256k1Sha256 } from '@zrkit/core/internal'
 * verifySecp256k1Sha256(tx.signature, txSignBytes(tx), tx.publicKey) // true
 * ```
 */
export function txSignBytes(tx: UnsignedTx): Uint8Array {
  if (tx === null || typeof tx !== 'object') throw invalid('transaction', 'an object { chainId, signer, publicKey, sequence, msg, memo? }', tx)
  const { chainId, signer, publicKey, sequence, msg, memo } = tx
  return concatBytes(txDomain, canonicalBytes({ chainId, signer, publicKey, sequence, msg, memo }))
}

/**
 * The hash that identifies a signed tx (hex).
 *
 * @example
 * ```ts
 * import { signTx, txHash } from '@zrkit/core'
 * const tx = await signTx(alice, { chainId, sequence: 0, msg })
 * await ledger.query('tx', { hash: txHash(tx) }) // where it landed, once applied
 * ```
 */
export function txHash(tx: SignedTx): string {
  if (tx === null || typeof tx !== 'object') throw invalid('transaction', 'a signed transaction object', tx)
  return toHex(sha256(canonicalBytes(tx)))
}

/**
 * Signs a message for the ledger.
 *
 * @example
 * ```ts
 * import { signTx } from '@zrkit/core'
 * const tx = await signTx(alice, { chainId: 'zrkit-dev', sequence: 0, msg: { type: 'bank.Send', to: bob.address, amount: 5n } })
 * await ledger.submit(tx)
 * ```
 */
export async function signTx(account: Account, params: { chainId: string; sequence: number; msg: Message; memo?: string }): Promise<SignedTx> {
  if (params === null || typeof params !== 'object') throw invalid('transaction parameters', 'an object { chainId, sequence, msg, memo? }', params)
  const unsigned: UnsignedTx = {
    chainId: params.chainId,
    signer: account.address,
    publicKey: account.publicKey,
    sequence: params.sequence,
    msg: params.msg,
    ...(params.memo !== undefined ? { memo: params.memo } : {}),
  }
  const signature = await account.sign(txSignDigest(unsigned))
  return { ...unsigned, signature }
}

/**
 * True when `signature` is a valid low-S signature by `publicKey` over `digest`.
 *
 * @example
 * ```ts
 * import { partyResponseDigest, verifyAccountSignature } from '@zrkit/core/internal'
 * verifyAccountSignature(response.signature, partyResponseDigest({ chainId, kind: 'sign', requestId, result: { signatures } }), partyPublicKey)
 * ```
 */
export function verifyAccountSignature(signature: Uint8Array, digest: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    return signature.length === 64 && secp256k1.verify(signature, digest, publicKey, { prehash: false, lowS: true })
  } catch {
    return false
  }
}

/** Which request a party response is for. */
export type PartyResponseSubject = {
  readonly chainId: string
  readonly kind: 'key' | 'sign'
  readonly requestId: number
  /** `{ publicKey }`, `{ signatures }` or `{ rejectReason }`. */
  readonly result: unknown
}

/**
 * The digest a keyring party signs for its response: the chain, the request kind and id, AND the
 * result. Stored with the request, the party signatures are a receipt anyone can check offline.
 *
 * @example
 * ```ts
 * import { partyResponseDigest, verifyAccountSignature } from '@zrkit/core/internal'
 * const ok = verifyAccountSignature(r.signature, partyResponseDigest({ chainId, kind: 'key', requestId: 1, result: { publicKey } }), partyPublicKey)
 * ```
 */
export function partyResponseDigest(subject: PartyResponseSubject): Uint8Array {
  return sha256(partyResponseBytes(subject))
}

/**
 * The bytes whose sha256 is {@link partyResponseDigest} (what {@link verifySecp256k1Sha256} checks a party
 * signature over).
 *
 * @example
 * ```ts
 * import { partyResponseBytes, verifySecp256k1Sha256 } from '@zrkit/core/internal'
 * verifySecp256k1Sha256(r.signature, partyResponseBytes({ chainId, kind: 'key', requestId: 1, result: { publicKey } }), partyPublicKey)
 * ```
 */
export function partyResponseBytes(subject: PartyResponseSubject): Uint8Array {
  return concatBytes(partyDomain, canonicalBytes(subject))
}
