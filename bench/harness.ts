/**
 * What the MPC benchmarks share: a timing loop and n parties in one process over the real secure
 * transport (each with its own account, transport and session router).
 */
import { type Account, generateAccount } from '@zrkit/core'
import { type MemoryRelay, type SecureTransport, type SessionRouter, createSessionRouter, memoryRelay, secureTransport } from '@zrkit/mpc'

/** Prints a number with 1-3 significant decimals. */
export const fmt = (n: number): string => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n >= 1 ? n.toFixed(2) : n.toFixed(3))

/** Runs `fn` at least `min` times and until `budgetMs` is spent (at most `max` times); mean ms per run. */
export async function measure(fn: (i: number) => Promise<unknown> | unknown, budgetMs: number, min: number, max: number, warmUp = true): Promise<number> {
  if (warmUp) await fn(-1) // not counted
  let n = 0
  const start = performance.now()
  while (n < max && (n < min || performance.now() - start < budgetMs)) await fn(n++)
  return (performance.now() - start) / n
}

/** n parties in this process. */
export type Network = { relay: MemoryRelay; parties: string[]; accounts: Account[]; routers: SessionRouter[]; transports: SecureTransport[]; close(): Promise<void> }

/** Starts n parties, each with its own account, secure transport and session router, on one in-process relay. */
export async function network(n: number): Promise<Network> {
  const relay = memoryRelay()
  const accounts = Array.from({ length: n }, () => generateAccount()).sort((a, b) => (a.address < b.address ? -1 : 1))
  const parties = accounts.map((a) => a.address)
  const transports = await Promise.all(accounts.map((account) => secureTransport({ account, relay, peers: parties.filter((p) => p !== account.address), timeoutMs: 60_000 })))
  const routers = transports.map((t) => createSessionRouter(t, { timeoutMs: 60_000 }))
  return {
    relay,
    parties,
    accounts,
    routers,
    transports,
    async close() {
      routers.forEach((r) => r.close())
      await Promise.all(transports.map((t) => t.close()))
    },
  }
}
