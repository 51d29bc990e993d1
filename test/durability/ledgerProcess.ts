/**
 * A ledger in its own process, for the crash test: opens `fileStore(dir)` or `sqliteStore(dir)` (the
 * second argument, `file` or `sqlite`), reads signed txs (canonical
 * JSON, one per line) from stdin, submits them in arrival order, and reports on stdout:
 *   ready <height> <stateHash>
 *   ack <txHash> <height> [<stateHash>]   (the hash only when nothing else was applied since: the state at <height>)
 *   err <txHash> <code>
 * It exits cleanly when stdin closes. The test SIGKILLs it at random moments.
 */
import { createInterface } from 'node:readline'
import { type SignedTx, createEmbeddedLedger, isZrError, txHash } from '@zrkit/core'
import { canonicalParse } from '@zrkit/core/internal'
import { fileStore, sqliteStore } from '@zrkit/core/node'
import { genesis } from './stream.js'

const dir = process.argv[2]!
const store = process.argv[3] === 'sqlite' ? sqliteStore(dir) : fileStore(dir)
const ledger = await createEmbeddedLedger({ store, genesis })
process.stdout.write(`ready ${ledger.height} ${ledger.stateHash()}\n`)

const pending = new Set<Promise<void>>()
const lines = createInterface({ input: process.stdin })
lines.on('line', (line) => {
  const tx = canonicalParse<SignedTx>(line)
  const hash = txHash(tx)
  const p = ledger.submit(tx).then(
    (r) => {
      const exact = ledger.height === r.height ? ` ${ledger.stateHash()}` : ''
      process.stdout.write(`ack ${hash} ${r.height}${exact}\n`)
    },
    (e) => {
      process.stdout.write(`err ${hash} ${isZrError(e) ? e.code : String(e)}\n`)
    },
  )
  pending.add(p)
  p.finally(() => pending.delete(p))
})
lines.on('close', async () => {
  await Promise.all(pending)
  await ledger.close()
  process.exit(0)
})
