/**
 * A token bucket: `ratePerSecond` tokens flow in each second, up to `capacity`; {@link TokenBucket.take}
 * spends tokens when there are enough. One per connection and per measure (frames, bytes).
 */
export type TokenBucket = {
  /** Spends `n` tokens and returns true, or returns false (spending none) when fewer are left. */
  take(n: number): boolean
}

/**
 * A {@link TokenBucket} that starts full. `now` is the clock in ms (default `Date.now`).
 *
 * @example
 * ```ts
 * import { tokenBucket } from './tokenBucket.js'
 * const frames = tokenBucket(100, 100) // 100 frames per second, bursts of 100
 * if (!frames.take(1)) refuse()
 * ```
 */
export function tokenBucket(ratePerSecond: number, capacity: number, now: () => number = Date.now): TokenBucket {
  let tokens = capacity
  let last = now()
  return {
    take(n) {
      const t = now()
      tokens = Math.min(capacity, tokens + ((t - last) * ratePerSecond) / 1000)
      last = t
      if (tokens < n) return false
      tokens -= n
      return true
    },
  }
}
