import { ZrError } from '../errors/ZrError.js'

/** One step of a derivation path: a non-hardened index (0 <= i < 2^31) or a label. */
export type DerivationSegment = number | string

/** A derivation path: `"m/0/5"` (indices), any other string (one label), or an array of segments. */
export type DerivationPath = string | readonly DerivationSegment[]

const maxDepth = 16
const maxLabelBytes = 128
const hardened = 2 ** 31

function bad(details: string): ZrError {
  return new ZrError('INVALID_DERIVATION_PATH', 'Invalid derivation path.', { details })
}

/**
 * The canonical form of a derivation path: an array of segments, indices as numbers and labels as
 * strings. `"m/0/5"` gives `[0, 5]`; `"m"` gives `[]` (the key itself); any other string is one label
 * (`"ethereum,1"` gives `["ethereum,1"]`). Hardened indices (`0'`, `0h`, >= 2^31) are refused: deriving
 * them needs the private key, and zrkit derives from public keys.
 *
 * @example
 * ```ts
 * import { parseDerivationPath } from '@zrkit/core'
 * parseDerivationPath('m/44/60/0/0/7') // [44, 60, 0, 0, 7]
 * parseDerivationPath('ethereum,1')     // ['ethereum,1']
 * parseDerivationPath([0, 'savings'])   // [0, 'savings']
 * ```
 */
export function parseDerivationPath(path: DerivationPath): DerivationSegment[] {
  let segments: DerivationSegment[]
  if (typeof path === 'string') {
    if (path === 'm') return []
    if (/^m(\/[^/]*)+$/.test(path)) {
      segments = path
        .slice(2)
        .split('/')
        .map((part, i) => {
          if (/^\d+['hH]$/.test(part)) throw bad(`segment ${i} "${part}" is hardened; expected non-hardened indices only`)
          if (!/^\d{1,10}$/.test(part)) throw bad(`segment ${i}: expected a decimal index in "m/..." paths, got "${part}"`)
          return Number(part)
        })
    } else segments = [path]
  } else if (Array.isArray(path)) segments = [...path]
  else throw bad(`expected a string or an array of segments, got ${typeof path}`)
  if (segments.length > maxDepth) throw bad(`expected at most ${maxDepth} segments, got ${segments.length}`)
  segments.forEach((s, i) => {
    if (typeof s === 'number') {
      if (!Number.isInteger(s) || s < 0 || s >= hardened) throw bad(`segment ${i}: expected a non-hardened index 0..${hardened - 1}, got ${s}`)
    } else if (typeof s === 'string') {
      const bytes = new TextEncoder().encode(s).length
      if (bytes < 1 || bytes > maxLabelBytes) throw bad(`segment ${i}: expected a label of 1..${maxLabelBytes} UTF-8 bytes, got ${bytes}`)
    } else throw bad(`segment ${i}: expected a number or a string, got ${typeof s}`)
  })
  return segments
}

/**
 * A path as text, for logs and display: indices-only paths as `m/0/5`, others as JSON. Takes any
 * {@link DerivationPath} (it is put in canonical form first, see {@link parseDerivationPath}), so it
 * throws `INVALID_DERIVATION_PATH` as that does.
 *
 * @example
 * ```ts
 * import { formatDerivationPath } from '@zrkit/core'
 * formatDerivationPath([0, 5])     // 'm/0/5'
 * formatDerivationPath('savings')  // '["savings"]'
 * ```
 */
export function formatDerivationPath(path: DerivationPath): string {
  const segments = parseDerivationPath(path)
  return segments.every((s) => typeof s === 'number') ? ['m', ...segments].join('/') : JSON.stringify(segments)
}
