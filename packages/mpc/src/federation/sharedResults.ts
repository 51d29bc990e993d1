import { bytesToHex } from '@noble/hashes/utils.js'

/**
 * Results of pure computations that the parties of one process share: a signature check, or the
 * round-two derivation of a FROST signing package, depends only on its input bytes, so when every
 * party runs in one process (the default federation) the first party to need it computes it and the
 * others get the very same answer without computing it again. Parties in separate processes or
 * machines each compute their own, as before.
 *
 * Each kind of result (`space`) keeps at most `limit` entries, least recently used out first. A
 * `keep` test decides which results are worth keeping: signature checks keep only acceptances, so a
 * forged input is checked afresh every time it arrives and never crowds out a genuine one.
 */
const spaces = new Map<string, Map<string, unknown>>()

/** Bytes as one key (parts are length-prefixed, so no two different lists give the same key). */
export function resultKey(...parts: readonly Uint8Array[]): string {
  let key = ''
  for (const p of parts) key += `${p.length.toString(16)}:${bytesToHex(p)};`
  return key
}

/**
 * The result of `compute` for `key` in `space`: kept from an earlier call, or computed now (and kept
 * when `keep` accepts it). `compute` must be a pure function of what `key` encodes.
 *
 * @example
 * ```ts
 * const ok = sharedResult('bip340-verify', resultKey(signature, message, publicKey), () => schnorr.verify(signature, message, publicKey), (ok) => ok)
 * ```
 */
export function sharedResult<T>(space: string, key: string, compute: () => T, keep: (value: T) => boolean = () => true, limit = 256): T {
  let entries = spaces.get(space)
  if (entries?.has(key)) {
    const value = entries.get(key) as T
    entries.delete(key)
    entries.set(key, value)
    return value
  }
  const value = compute()
  if (keep(value)) {
    if (!entries) spaces.set(space, (entries = new Map()))
    entries.set(key, value)
    if (entries.size > limit) entries.delete(entries.keys().next().value!)
  }
  return value
}

/** How many results `space` holds (for tests). */
export function sharedResultCount(space: string): number {
  return spaces.get(space)?.size ?? 0
}
