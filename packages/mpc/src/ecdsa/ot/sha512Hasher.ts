/**
 * Repeated SHA-512 of many short inputs for zrkit's OT extension and transcripts (PRG columns, row
 * hashes, XOF blocks: tens of thousands per signature). Each digest is exactly SHA-512 of the input: the
 * platform's one-shot SHA-512 where it has one (Node's `crypto.hash`, about twice as fast on these inputs),
 * else noble's, with one working hash object reset from a pristine initial state (noble's `_cloneInto`)
 * instead of a new object built and torn down per call. The digest is written into one reused output buffer.
 */
import { sha512 } from '@noble/hashes/sha2.js'
import { nativeSha512 } from '@zrkit/core/internal'

const PRISTINE = sha512.create()

/**
 * A reusable SHA-512 hasher. `hash` returns a view of its internal 64-byte output buffer, which the
 * next call overwrites: copy or consume it first. Call `wipe()` when done with secret inputs.
 *
 * @example
 * ```ts
 * import { sha512 } from '@noble/hashes/sha2.js'
 * import { Sha512Hasher } from './sha512Hasher.js'
 *
 * const h = new Sha512Hasher()
 * const d = h.hash(new Uint8Array([1, 2, 3])).slice() // equals sha512(Uint8Array.of(1, 2, 3))
 * h.wipe()
 * ```
 */
export class Sha512Hasher {
  readonly #work = sha512.create()
  readonly #out = new Uint8Array(64)
  readonly #view = new DataView(this.#out.buffer)
  readonly #native: ((data: Uint8Array) => Uint8Array) | undefined

  /** `native: false` hashes with noble even where the platform has a native SHA-512 (tests compare the two). */
  constructor(options: { native?: boolean } = {}) {
    this.#native = options.native === false ? undefined : nativeSha512
  }

  /** SHA-512 of `input`, in the shared output buffer (valid until the next call). */
  hash(input: Uint8Array): Uint8Array {
    if (this.#native) {
      this.#out.set(this.#native(input))
      return this.#out
    }
    PRISTINE._cloneInto(this.#work)
    this.#work.update(input).digestInto(this.#out)
    return this.#out
  }

  /**
   * SHA-512 of `input` as two big-endian 256-bit integers: its first and its last 32 bytes (the row hash of
   * the OT extension reduces each to a scalar).
   */
  hashToScalarPair(input: Uint8Array): [bigint, bigint] {
    this.hash(input)
    const v = this.#view
    const lo = (((v.getBigUint64(0) << 64n) | v.getBigUint64(8)) << 128n) | (v.getBigUint64(16) << 64n) | v.getBigUint64(24)
    const hi = (((v.getBigUint64(32) << 64n) | v.getBigUint64(40)) << 128n) | (v.getBigUint64(48) << 64n) | v.getBigUint64(56)
    return [lo, hi]
  }

  /** Clears the working state and the output buffer (the hasher stays usable). */
  wipe(): void {
    this.#work.destroy()
    this.#out.fill(0)
  }
}
