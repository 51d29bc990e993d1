import { sha256 } from '@noble/hashes/sha2.js'
import { bech32 } from '@scure/base'

function counterBytes(n: number): Uint8Array {
  const b = new Uint8Array(8)
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true)
  return b
}

/**
 * Address of the n-th workspace: bech32 `workspace` over sha256(little-endian u64 n)[0:10], as zrChain.
 *
 * @example
 * ```ts
 * import { workspaceAddress } from '@zrkit/core'
 * workspaceAddress(1) // the first workspace of a ledger: 'workspace1...'
 * ```
 */
export function workspaceAddress(n: number): string {
  return bech32.encode('workspace', bech32.toWords(sha256(counterBytes(n)).slice(0, 10)))
}

/**
 * Address of the n-th keyring: bech32 `keyring` over sha256(little-endian u64 n)[13:24], as zrChain.
 *
 * @example
 * ```ts
 * import { keyringAddress } from '@zrkit/core'
 * keyringAddress(1) // the first keyring of a ledger: 'keyring1...'
 * ```
 */
export function keyringAddress(n: number): string {
  return bech32.encode('keyring', bech32.toWords(sha256(counterBytes(n)).slice(13, 24)))
}
