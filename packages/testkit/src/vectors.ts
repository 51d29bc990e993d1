/**
 * The known-answer vectors vendored in this package (`vectors/`, with their sources and commits in
 * `vectors/README.md`), so a plain clone of the repository runs every test.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** The names of the vendored FROST vector files, without `.json`. */
export const frostVectorNames = [
  'rfc9591-ed25519-sha512',
  'rfc9591-secp256k1-sha256',
  'zf-ed25519-vectors',
  'zf-ed25519-vectors_dkg',
  'zf-secp256k1-vectors',
  'zf-secp256k1-vectors_dkg',
  'zf-secp256k1-tr-vectors',
  'zf-secp256k1-tr-vectors_dkg',
] as const

/** One vendored FROST vector file. */
export type FrostVectorName = (typeof frostVectorNames)[number]

/**
 * A vendored FROST vector file (RFC 9591 Appendix E or the Zcash Foundation's frost-rs test vectors), parsed.
 *
 * @example
 * ```ts
 * import { frostVector } from '@zrkit/testkit'
 * const v = frostVector<{ final_output: { sig: string } }>('rfc9591-ed25519-sha512')
 * ```
 */
export function frostVector<T>(name: FrostVectorName | (string & {})): T {
  if (!(frostVectorNames as readonly string[]).includes(name)) throw new Error(`frostVector: expected one of ${frostVectorNames.join(', ')}, got ${JSON.stringify(name)}`)
  const url = new URL(`../vectors/frost/${name}.json`, import.meta.url)
  return JSON.parse(readFileSync(fileURLToPath(url), 'utf8')) as T
}
