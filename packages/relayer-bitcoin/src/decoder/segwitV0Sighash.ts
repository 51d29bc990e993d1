import { concatBytes } from '@zrkit/core/internal'
import { sha256 } from '@noble/hashes/sha2.js'
import { compactSizeBytes, u32le, u64le } from './littleEndian.js'
import type { BitcoinTx } from './parseTransaction.js'

const SIGHASH_ALL = 1
const hash256 = (data: Uint8Array) => sha256(sha256(data))

/**
 * BIP143 signature hashes of a transaction's P2WPKH inputs with SIGHASH_ALL: the function returned
 * gives input `index`'s sighash for the 20-byte key hash and the amount of the output it spends (the
 * only amount BIP143 commits to). hashPrevouts, hashSequence and hashOutputs are computed once.
 *
 * @example
 * ```ts
 * import { segwitV0Sighash } from './segwitV0Sighash.js'
 * const sighash = segwitV0Sighash(tx)
 * sighash(0, keyHash, 10_000n) // 32 bytes: what an ECDSA key signs for input 0
 * ```
 */
export function segwitV0Sighash(tx: BitcoinTx): (index: number, keyHash: Uint8Array, amount: bigint) => Uint8Array {
  const hashPrevouts = hash256(concatBytes(...tx.inputs.flatMap((i) => [i.txid, u32le(i.vout)])))
  const hashSequence = hash256(concatBytes(...tx.inputs.map((i) => u32le(i.sequence))))
  const hashOutputs = hash256(concatBytes(...tx.outputs.flatMap((o) => [u64le(o.value), compactSizeBytes(o.script.length), o.script])))
  const version = u32le(tx.version)
  const locktime = u32le(tx.locktime)
  return (index, keyHash, amount) => {
    const input = tx.inputs[index]!
    // scriptCode of P2WPKH: OP_DUP OP_HASH160 <keyHash> OP_EQUALVERIFY OP_CHECKSIG, with its length 0x19
    const scriptCode = concatBytes(Uint8Array.of(0x19, 0x76, 0xa9, 0x14), keyHash, Uint8Array.of(0x88, 0xac))
    return hash256(
      concatBytes(version, hashPrevouts, hashSequence, input.txid, u32le(input.vout), scriptCode, u64le(amount), u32le(input.sequence), hashOutputs, locktime, u32le(SIGHASH_ALL)),
    )
  }
}
