/**
 * A ledger in its own process, for the crash test: opens `fileStore(dir)`, reads signed txs (canonical
 * JSON, one per line) from stdin, submits them in arrival order, and reports on stdout:
 *   ready <height> <stateHash>
 *   ack <txHash> <height> [<stateHash>]   (the hash only when nothing else was applied since: the state at <height>)
 *   err <txHash> <code>
 * It exits cleanly when stdin closes. The test SIGKILLs it at random moments.
 */
import { createInterface } from 'node:readline'
import { type SignedTx, createEmbeddedLedger, isZrError, txHash } from '@zrkit/core'
import { canonicalParse } from '@zrkit/core/internal'
import { fileStore } from '@zrkit/core/node'
import { genesis } from './stream.js'

const dir = process.argv[2]!
const ledger = await createEmbeddedLedger({ store: fileStore(dir), genesis })
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
