import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fastAccount, openStore, type StoreKind, signWorld } from './ledgerStoreFixture.js'
import type { SignedTx } from '@zrkit/core'
const n = Number(process.argv[2] ?? 6000)
const ttlMs = Number(process.argv[3] ?? 30 * 24 * 3600_000)
// presign
const w0 = await signWorld(openStore('memory', ''))
const s0 = (await w0.ledger.query('account', { address: w0.owner.address })).sequence
const txs: SignedTx[] = []
let t = performance.now()
for (let i = 0; i < n; i++) txs.push(w0.owner.tx(w0.chainId, s0 + i, { type: 'treasury.NewSignRequest', keyId: w0.keyId, payloads: [new Uint8Array(32).fill(i & 255)], ttlMs }))
console.log('presign', ((performance.now() - t) / n * 1000).toFixed(0), 'us/tx')
await w0.ledger.close()
for (const kind of ['memory', 'sqlite'] as StoreKind[]) {
  const dir = await mkdtemp(join(tmpdir(), 'zrkit-probe-'))
  const w = await signWorld(openStore(kind, dir))
  const inflight = new Set<Promise<unknown>>()
  let t = performance.now()
  for (let i = 0; i < n; i++) {
    const p: Promise<unknown> = w.ledger.submit(txs[i]!).finally(() => inflight.delete(p))
    inflight.add(p)
    if (inflight.size >= 128) await Promise.race(inflight)
    if ((i + 1) % 1000 === 0) { console.log(kind, i + 1, (1000 / ((performance.now() - t) / 1000)).toFixed(0), 'tx/s'); t = performance.now() }
  }
  await Promise.all(inflight)
  await w.ledger.close()
  await rm(dir, { recursive: true, force: true })
}
