/**
 * One `'abort'` listener per `AbortSignal`, however many waits use the signal at once.
 *
 * A caller usually hands every wait the same long-lived signal (a connector's stop signal, shared by
 * all its concurrent requests, each with several rounds in flight). A listener per wait would put one
 * listener on that signal for every pending wait, and past 10 Node reports a
 * `MaxListenersExceededWarning`. Here the first wait on a signal adds the one listener, the others
 * join a set, and the last one to finish removes it.
 *
 * The state belongs to the instance (one per session router), never to the module.
 */
export type AbortFanout = {
  /**
   * Calls `onAbort` once when `signal` aborts (at once if it already has). The returned function
   * cancels the call; the signal's listener goes when no call is pending on it.
   */
  watch(signal: AbortSignal, onAbort: () => void): () => void
}

/**
 * A new {@link AbortFanout}.
 *
 * @example
 * ```ts
 * const aborts = abortFanout()
 * const unwatch = aborts.watch(signal, () => reject(new ZrError('ABORTED', 'Stopped.')))
 * // ... when the wait ends for another reason:
 * unwatch()
 * ```
 */
export function abortFanout(): AbortFanout {
  const watched = new WeakMap<AbortSignal, { readonly calls: Set<() => void>; readonly listener: () => void }>()

  return {
    watch(signal, onAbort) {
      if (signal.aborted) {
        onAbort()
        return () => {}
      }
      let entry = watched.get(signal)
      if (!entry) {
        const calls = new Set<() => void>()
        const listener = () => {
          watched.delete(signal)
          for (const call of [...calls]) call()
          calls.clear()
        }
        entry = { calls, listener }
        watched.set(signal, entry)
        signal.addEventListener('abort', listener, { once: true })
      }
      const current = entry
      // A wrapper per watch, so that one function watched twice is called twice and cancelled apart.
      const call = () => onAbort()
      current.calls.add(call)
      return () => {
        if (!current.calls.delete(call) || current.calls.size > 0) return
        if (watched.get(signal) === current) watched.delete(signal)
        signal.removeEventListener('abort', current.listener)
      }
    },
  }
}
