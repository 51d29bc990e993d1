import { it } from 'vitest'

/**
 * How much work a scaled test does. The default run (`pnpm test`) is quick; the full run (`pnpm test:full`,
 * which CI runs) sets `ZRKIT_FULL=1` and every scaled test does its full amount: thousands of fuzz cases,
 * thousands of threshold signatures, every race trial. One switch for every scaled test.
 */

/** The environment variable that selects the full run. */
export const FULL_RUN_VARIABLE = 'ZRKIT_FULL'

/**
 * True in the full run: `ZRKIT_FULL=1` (or `true`). Any other value but unset, empty, `0` or `false` is a
 * mistake and throws, so a typo never silently runs the short suite in CI.
 *
 * @example
 * ```ts
 * import { fullRun } from '@zrkit/testkit'
 * if (fullRun()) console.log('full run: long property runs on')
 * ```
 */
export function fullRun(): boolean {
  const raw = globalThis.process?.env?.[FULL_RUN_VARIABLE]
  if (raw === undefined || raw === '' || raw === '0' || raw === 'false') return false
  if (raw === '1' || raw === 'true') return true
  throw new Error(`${FULL_RUN_VARIABLE}: expected 1, true, 0, false or unset, got ${JSON.stringify(raw)}`)
}

/**
 * `quick` in the default run, `full` in the full run ({@link fullRun}).
 *
 * @example
 * ```ts
 * import { scaled } from '@zrkit/testkit'
 * const RUNS = scaled(100, 2000) // 2000 threshold signatures in the full run, 100 by default
 * ```
 */
export function scaled(quick: number, full: number): number {
  return fullRun() ? full : quick
}

/**
 * How many runs a fuzz test makes: `fallback` (200) in the default run, 3000 in the full run. A test whose
 * runs cost more passes a divisor: `fuzzRuns(200, 4)` makes a quarter as many, at least one.
 *
 * @example
 * ```ts
 * import { fuzzRuns } from '@zrkit/testkit'
 * await fc.assert(fc.asyncProperty(fc.string(), async (line) => { ... }), { numRuns: fuzzRuns() })
 * // ZRKIT_FULL=1 npx vitest run packages/core/src/ledger
 * ```
 */
export function fuzzRuns(fallback = 200, divisor = 1): number {
  return Math.max(1, Math.floor(scaled(fallback, 3000) / divisor))
}

/**
 * `it` for a slow test that only the full run holds: one that waits out a time-to-live, an attempt
 * timeout or a whole tamper case by design. In the default run it is not registered at all (the quick
 * run covers the same path with a faster test); CI's full run registers and runs it.
 *
 * @example
 * ```ts
 * import { itInFullRun } from '@zrkit/testkit'
 * itInFullRun('with two parties down, the request ends at its time-to-live', async () => { ... }, 60_000)
 * ```
 */
export function itInFullRun(name: string, fn: () => Promise<void> | void, timeoutMs?: number): void {
  if (fullRun()) it(name, fn, timeoutMs)
}
