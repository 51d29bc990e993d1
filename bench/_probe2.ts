import { openStore, pool, signWorld } from './ledgerStoreFixture.js'
const n = Number(process.argv[2] ?? 2000)
const w = await signWorld(openStore('memory', ''))
const t = performance.now()
await pool(n, 64, (i) => w.signOnce(i))
console.log((n / ((performance.now() - t) / 1000)).toFixed(0), 'req/s')
await w.ledger.close()
