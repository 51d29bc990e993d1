/**
 * An EVM relayer in its own process, for the crash test. It reaches the test's ledger over its stdio
 * (connectLedger), acts as Alice (`generateAccount(`${ZRKIT_SEED}:alice`)`), keeps its journal in
 * `ZRKIT_JOURNAL` (fileRelayJournal) and talks to the chain at `ZRKIT_RPC`. It reports on fd 3, one
 * line each: `requested <id>`, `fulfilled <id>`, `rpc-send`, `rpc-sent`, `done <hash>`, `recovered <json>`.
 *
 *   ZRKIT_MODE=send     sends ZRKIT_VALUE wei to ZRKIT_TO and waits for the receipt
 *   ZRKIT_MODE=recover  runs recover() and reports what it finished
 *   ZRKIT_HANG=before-broadcast | after-broadcast: stop forever at that point (the test SIGKILLs it there)
 */
import { writeSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { connectLedger, createZrClient, generateAccount } from '@zrkit/core'
import { canonicalStringify } from '@zrkit/core/internal'
import { fileRelayJournal } from '@zrkit/core/node'
import { createEvmRelayer } from '@zrkit/relayer-evm'
import { type Address, createPublicClient, custom, http } from 'viem'
import { foundry } from 'viem/chains'

const env = (name: string) => {
  const v = process.env[name]
  if (v === undefined) throw new Error(`${name} is not set`)
  return v
}
const report = (line: string) => writeSync(3, `${line}\n`)
const never = new Promise<never>(() => {})
const hang = process.env.ZRKIT_HANG ?? ''

const lines = createInterface({ input: process.stdin })
const ledger = await connectLedger({ send: (m) => process.stdout.write(`${m}\n`), onMessage: (fn) => lines.on('line', fn) })
const alice = createZrClient({ ledger, account: generateAccount(`${env('ZRKIT_SEED')}:alice`) })

// The node, with a hook on the one call that broadcasts: the crash points of the test.
const node = http(env('ZRKIT_RPC'), { retryCount: 0 })({ chain: foundry })
const transport = custom({
  async request({ method, params }: { method: string; params?: unknown }) {
    if (method !== 'eth_sendRawTransaction') return node.request({ method, params } as never)
    report('rpc-send')
    if (hang === 'before-broadcast') return never
    const result = await node.request({ method, params } as never)
    report('rpc-sent')
    if (hang === 'after-broadcast') return never
    return result
  },
})
const publicClient = createPublicClient({ chain: foundry, transport, pollingInterval: 25 })
const evm = await createEvmRelayer({
  client: alice,
  publicClient,
  keyId: Number(env('ZRKIT_KEY_ID')),
  journal: fileRelayJournal(env('ZRKIT_JOURNAL')),
  onEvent: (e) => {
    if (e.type === 'requested') report(`requested ${e.requestId}`)
    if (e.type === 'ledger' && e.event.type === 'signRequest.fulfilled') report(`fulfilled ${e.requestId}`)
  },
})

if (env('ZRKIT_MODE') === 'send') {
  const { hash } = await evm.sendTransaction({ to: env('ZRKIT_TO') as Address, value: BigInt(env('ZRKIT_VALUE')), timeoutMs: 60_000 })
  report(`done ${hash}`)
} else {
  const { finished, waiting, rejected, abandoned, failed } = await evm.recover()
  report(`recovered ${canonicalStringify({ finished: finished.map((f) => ({ requestId: f.requestId, txid: f.txid, status: f.receipt?.status })), waiting, rejected, abandoned, failed: failed.map((f) => String(f.error)) })}`)
}
await ledger.close()
process.exit(0)
