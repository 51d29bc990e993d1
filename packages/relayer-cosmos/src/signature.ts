import { secp256k1 } from '@noble/curves/secp256k1.js'
import { bytesToNumberBE } from '@noble/curves/utils.js'
import { ZrError } from '@zrkit/core'

const HALF_N = secp256k1.Point.CURVE().n >> 1n

/**
 * Turns a zrkit ECDSA signature (65 bytes r||s||v, as the ledger stores it) into the 64-byte r||s that
 * Cosmos SDK transactions carry (`TxRaw.signatures`), checking that S is low: the SDK refuses high-S
 * signatures as malleable. Throws `INVALID_RESULT` for anything else.
 *
 * @example
 * ```ts
 * import { toCosmosSignature } from '@zrkit/relayer-cosmos'
 * import { TxRaw } from 'cosmjs-types/cosmos/tx/v1beta1/tx'
 *
 * const signature = toCosmosSignature(request.signatures[0])
 * const txBytes = TxRaw.encode(TxRaw.fromPartial({ bodyBytes, authInfoBytes, signatures: [signature] })).finish()
 * ```
 */
export function toCosmosSignature(signature: Uint8Array): Uint8Array {
  if (!(signature instanceof Uint8Array) || (signature.length !== 65 && signature.length !== 64)) {
    throw new ZrError('INVALID_RESULT', 'Invalid ECDSA signature.', {
      details: `expected 65 bytes r||s||v (or 64 bytes r||s), got ${signature instanceof Uint8Array ? `${signature.length} bytes` : typeof signature}`,
    })
  }
  if (signature.length === 65 && signature[64] !== 0 && signature[64] !== 1) {
    throw new ZrError('INVALID_RESULT', 'Invalid ECDSA signature.', { details: `expected recovery id 0 or 1 in the last byte, got ${signature[64]}` })
  }
  const s = bytesToNumberBE(signature.subarray(32, 64))
  if (s === 0n || s > HALF_N) {
    throw new ZrError('INVALID_RESULT', 'Invalid ECDSA signature.', { details: `expected a low S (1 <= s <= n/2), got s = 0x${s.toString(16)}` })
  }
  return signature.slice(0, 64)
}
