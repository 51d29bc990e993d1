import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openStore, pool, signWorld, type StoreKind } from './ledgerStoreFixture.js'
const n = Number(process.argv[2] ?? 2000)
for (const kind of ['memory', 'sqlite', 'file', 'memory', 'sqlite', 'file'] as StoreKind[]) {
  const dir = await mkdtemp(join(tmpdir(), 'zrkit-probe-'))
  const w = await signWorld(openStore(kind, dir))
  const t = performance.now()
  await pool(n, 64, (i) => w.signOnce(i))
  const s = (performance.now() - t) / 1000
  await w.ledger.close()
  console.log(kind, (n / s).toFixed(0), 'req/s', s.toFixed(1), 's')
  await rm(dir, { recursive: true, force: true })
}
