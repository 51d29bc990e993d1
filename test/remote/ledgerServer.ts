/** Serves an embedded ledger over this process's stdio, one canonical JSON message per line. */
import { createInterface } from 'node:readline'
import { type Genesis, canonicalParse, createEmbeddedLedger, serveLedger } from '@zrkit/core'

const genesis = canonicalParse<Genesis>(process.env.ZRKIT_GENESIS!)
const ledger = await createEmbeddedLedger({ genesis })
const lines = createInterface({ input: process.stdin })
serveLedger(ledger, { send: (m) => process.stdout.write(`${m}\n`), onMessage: (fn) => lines.on('line', fn) })
lines.on('close', () => void ledger.close().then(() => process.exit(0)))
