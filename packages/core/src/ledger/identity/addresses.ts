import { sha256 } from '@noble/hashes/sha2.js'
import { bech32 } from '@scure/base'
import { describeValue } from '../../errors/describeValue.js'
import { ZrError } from '../../errors/ZrError.js'

function counterBytes(n: number, what: string): Uint8Array {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new ZrError('INVALID_INPUT', `Invalid ${what} number.`, { details: `expected an integer in 0..${Number.MAX_SAFE_INTEGER}, got ${describeValue(n)}` })
  }
  const b = new Uint8Array(8)
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true)
  return b
}

/**
 * Address of the n-th workspace: bech32 `workspace` over sha256(little-endian u64 n)[0:10], as zrChain.
 * Throws `INVALID_INPUT` unless n is a non-negative safe integer.
 *
 * @example
 * ```ts
 * import { workspaceAddress } from '@zrkit/core'
 * workspaceAddress(1) // the first workspace of a ledger: 'workspace1...'
 * ```
 */
export function workspaceAddress(n: number): string {
  return bech32.encode('workspace', bech32.toWords(sha256(counterBytes(n, 'workspace')).slice(0, 10)))
}

/**
 * Address of the n-th keyring: bech32 `keyring` over sha256(little-endian u64 n)[13:24], as zrChain.
 * Throws `INVALID_INPUT` unless n is a non-negative safe integer.
 *
 * @example
 * ```ts
 * import { keyringAddress } from '@zrkit/core'
 * keyringAddress(1) // the first keyring of a ledger: 'keyring1...'
 * ```
 */
export function keyringAddress(n: number): string {
  return bech32.encode('keyring', bech32.toWords(sha256(counterBytes(n, 'keyring')).slice(13, 24)))
}
