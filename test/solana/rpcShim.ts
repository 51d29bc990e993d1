/**
 * A JSON-RPC shim over the in-process SVM, given to a web3.js `Connection` as its `fetch`. No Solana
 * cluster or validator runs here, so this is as far as the `Connection` path can be tested: web3.js builds
 * its real HTTP JSON-RPC requests and parses (and validates) the answers, and the transactions run on a
 * real SVM; but the answers are written by this shim from the documented Solana JSON-RPC API, not by a
 * validator, so they show that the relayer uses `Connection` correctly, not how a real node behaves.
 *
 * Besides the methods the relayer calls, it can make a landed transaction climb the commitment levels
 * one status poll at a time (`processed` -> `confirmed` -> `finalized`), fail requests with an HTTP error,
 * and it records every request.
 */
import { PublicKey, VersionedTransaction } from '@solana/web3.js'
import { base58, base64 } from '@scure/base'
import type { SvmNetwork } from './svm.js'

export type RpcShim = {
  /** Give this to `new Connection(url, { fetch })`. */
  readonly fetch: typeof fetch
  /** Every request's method, in order. */
  readonly methods: readonly string[]
  /** The `sendTransaction` configs seen (encoding, skipPreflight, preflightCommitment, maxRetries). */
  readonly sendConfigs: readonly Record<string, unknown>[]
  /** From now on, a landed transaction is `processed` for its first `n` status polls, then `confirmed` for `n` more, then `finalized`. */
  climbCommitments(pollsPerLevel: number): void
  /** Answer the next `n` requests with HTTP 503. */
  failNext(n: number): void
}

type RpcRequest = { jsonrpc: '2.0'; id: string | number; method: string; params?: unknown[] }

export function rpcShim(network: SvmNetwork): RpcShim {
  const methods: string[] = []
  const sendConfigs: Record<string, unknown>[] = []
  const polls = new Map<string, number>()
  let pollsPerLevel = 0
  let failures = 0

  const context = async () => ({ slot: await network.getSlot('processed') })

  const handle = async (method: string, params: unknown[]): Promise<{ result: unknown } | { error: { code: number; message: string; data?: unknown } }> => {
    switch (method) {
      case 'getGenesisHash':
        return { result: await network.getGenesisHash() }
      case 'getLatestBlockhash':
        return { result: { context: await context(), value: await network.getLatestBlockhash('confirmed') } }
      case 'isBlockhashValid':
        return { result: { context: await context(), value: await network.isBlockhashValid(params[0] as string, 'confirmed') } }
      case 'getSlot':
        return { result: await network.getSlot('confirmed') }
      case 'getMinimumBalanceForRentExemption':
        return { result: await network.getMinimumBalanceForRentExemption(params[0] as number) }
      case 'getBalance': {
        const account = await network.getAccountInfo(new PublicKey(params[0] as string), 'confirmed')
        return { result: { context: await context(), value: account?.lamports ?? 0 } }
      }
      case 'getAccountInfo': {
        const account = await network.getAccountInfo(new PublicKey(params[0] as string), 'confirmed')
        const value = account && { data: [base64.encode(account.data), 'base64'], executable: account.executable, lamports: account.lamports, owner: account.owner.toBase58(), rentEpoch: 0, space: account.data.length }
        return { result: { context: await context(), value } }
      }
      case 'sendTransaction': {
        const [encoded, config] = params as [string, Record<string, unknown>]
        sendConfigs.push(config)
        try {
          await network.sendRawTransaction(base64.decode(encoded), { skipPreflight: config.skipPreflight === true, preflightCommitment: 'confirmed' })
        } catch (e) {
          const { err, logs, message } = e as { err?: string; logs?: string[]; message: string }
          return { error: { code: -32002, message, data: { err: err ?? null, logs: logs ?? [], accounts: null, unitsConsumed: 0, returnData: null } } }
        }
        return { result: base58.encode(VersionedTransaction.deserialize(base64.decode(encoded)).signatures[0]!) }
      }
      case 'getSignatureStatuses': {
        const [signatures] = params as [string[]]
        const value = await Promise.all(
          signatures.map(async (signature) => {
            const status = await network.getSignatureStatus(signature, { searchHistory: false })
            if (!status) return null
            const seen = polls.get(signature) ?? 0
            polls.set(signature, seen + 1)
            const level = pollsPerLevel === 0 ? 2 : Math.min(2, Math.floor(seen / pollsPerLevel))
            const confirmationStatus = (['processed', 'confirmed', 'finalized'] as const)[level]
            return { slot: status.slot, confirmations: level === 2 ? null : level, err: status.err, status: { Ok: null }, confirmationStatus }
          }),
        )
        return { result: { context: await context(), value } }
      }
      default:
        return { error: { code: -32601, message: `Method not found: ${method} (the zrkit test shim answers only what the relayer uses)` } }
    }
  }

  const shimFetch = (async (_url: unknown, init?: { body?: unknown }) => {
    const request = JSON.parse(String(init?.body)) as RpcRequest | RpcRequest[]
    const list = Array.isArray(request) ? request : [request]
    for (const r of list) methods.push(r.method)
    if (failures > 0) {
      failures--
      return new Response('service unavailable', { status: 503, statusText: 'Service Unavailable' })
    }
    const answers = await Promise.all(list.map(async (r) => ({ jsonrpc: '2.0', id: r.id, ...(await handle(r.method, r.params ?? [])) })))
    return new Response(JSON.stringify(Array.isArray(request) ? answers : answers[0]), { status: 200, headers: { 'content-type': 'application/json' } })
  }) as unknown as typeof fetch

  return {
    fetch: shimFetch,
    methods,
    sendConfigs,
    climbCommitments(n) {
      pollsPerLevel = n
    },
    failNext(n) {
      failures = n
    },
  }
}
