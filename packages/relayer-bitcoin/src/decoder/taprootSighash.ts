import { taggedHash } from '@zrkit/core'
import { concatBytes } from '@zrkit/core/internal'
import { sha256 } from '@noble/hashes/sha2.js'
import { compactSizeBytes, u32le, u64le } from './littleEndian.js'
import type { BitcoinTx, BitcoinTxOutput } from './parseTransaction.js'

/**
 * BIP341 signature hashes of a transaction's key-path inputs (no annex) with SIGHASH_DEFAULT (0) or
 * SIGHASH_ALL (1): both commit to every input's outpoint, amount, scriptPubKey and sequence and to
 * every output; they differ only in the hash type byte. `prevouts` are the outputs the inputs spend,
 * in input order. The function returned gives input `index`'s sighash.
 *
 * @example
 * ```ts
 * import { taprootSighash } from './taprootSighash.js'
 * const sighash = taprootSighash(tx, prevouts)
 * sighash(0, 0) // 32 bytes: what the taproot output key signs (BIP340) for input 0
 * ```
 */
export function taprootSighash(tx: BitcoinTx, prevouts: readonly BitcoinTxOutput[]): (index: number, hashType: 0 | 1) => Uint8Array {
  const common = concatBytes(
    u32le(tx.version),
    u32le(tx.locktime),
    sha256(concatBytes(...tx.inputs.flatMap((i) => [i.txid, u32le(i.vout)]))),
    sha256(concatBytes(...prevouts.map((p) => u64le(p.value)))),
    sha256(concatBytes(...prevouts.flatMap((p) => [compactSizeBytes(p.script.length), p.script]))),
    sha256(concatBytes(...tx.inputs.map((i) => u32le(i.sequence)))),
    sha256(concatBytes(...tx.outputs.flatMap((o) => [u64le(o.value), compactSizeBytes(o.script.length), o.script]))),
  )
  // epoch 0, hash type, the common part, spend type 0 (key path, no annex), the input's index
  return (index, hashType) => taggedHash('TapSighash', Uint8Array.of(0x00, hashType), common, Uint8Array.of(0x00), u32le(index))
}
