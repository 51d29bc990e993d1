import { ZrError } from '@zrkit/core'
import { type Hex, bytesToHex } from 'viem'

/** A zrkit ECDSA signature in viem's shape: `yParity` is the recovery id, `v` its pre-EIP-155 form (27 or 28). */
export type EvmSignature = { readonly r: Hex; readonly s: Hex; readonly yParity: 0 | 1; readonly v: 27n | 28n }

/**
 * Turns a zrkit ECDSA signature (65 bytes r||s||v, v the recovery id 0 or 1, low S, as the ledger stores
 * it) into viem's `{ r, s, yParity, v }`. The recovery id is the y parity of the signature's R point,
 * which is exactly what typed transactions (EIP-2930, EIP-1559) carry as `yParity`; legacy transactions
 * carry `v = 27 + yParity`, or `chainId * 2 + 35 + yParity` under EIP-155 (viem's serializer applies
 * the chain id). Throws `INVALID_RESULT` for anything that is not such a signature.
 *
 * @example
 * ```ts
 * import { toEvmSignature } from '@zrkit/relayer-evm'
 * import { serializeSignature, serializeTransaction } from 'viem'
 *
 * const signature = toEvmSignature(request.signatures[0])
 * const raw = serializeTransaction(tx, signature)
 * const rsv = serializeSignature(signature) // 0x + r + s + 1b|1c, as personal_sign returns
 * ```
 */
export function toEvmSignature(signature: Uint8Array): EvmSignature {
  if (!(signature instanceof Uint8Array) || signature.length !== 65) {
    throw new ZrError('INVALID_RESULT', 'Invalid ECDSA signature.', {
      details: `expected 65 bytes r||s||v, got ${signature instanceof Uint8Array ? `${signature.length} bytes` : typeof signature}`,
    })
  }
  const recovery = signature[64]!
  if (recovery !== 0 && recovery !== 1) {
    throw new ZrError('INVALID_RESULT', 'Invalid ECDSA signature.', { details: `expected recovery id 0 or 1 in the last byte, got ${recovery}` })
  }
  return {
    r: bytesToHex(signature.subarray(0, 32)),
    s: bytesToHex(signature.subarray(32, 64)),
    yParity: recovery,
    v: recovery === 0 ? 27n : 28n,
  }
}
