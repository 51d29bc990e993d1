/**
 * A ledger server process for the WebSocket tests: an embedded ledger (durable in ZRKIT_DIR when given)
 * served with listenLedger on 127.0.0.1:ZRKIT_PORT (0: any free port). It prints `listening <port>` once
 * clients can connect. ZRKIT_SEND_ON_START=n makes n transfers (alice to bob, 1 each) before it listens,
 * so they happen while no client is connected; ZRKIT_DIE_AFTER_SUBMIT=1 kills the process (SIGKILL) right
 * after the first submit is applied and durable, before its reply is sent. SIGTERM drains and exits 0.
 */
import { type Genesis, type Ledger, createEmbeddedLedger, createZrClient, generateAccount } from '@zrkit/core'
import { canonicalParse } from '@zrkit/core/internal'
import { fileStore, listenLedger } from '@zrkit/core/node'

const genesis = canonicalParse<Genesis>(process.env.ZRKIT_GENESIS!)
const dir = process.env.ZRKIT_DIR
const ledger = await createEmbeddedLedger({ genesis, ...(dir ? { store: fileStore(dir) } : {}) })

const sendOnStart = Number(process.env.ZRKIT_SEND_ON_START ?? 0)
if (sendOnStart > 0) {
  const client = createZrClient({ ledger, account: generateAccount('remote:alice') })
  for (let i = 0; i < sendOnStart; i++) await client.send({ to: generateAccount('remote:bob').address, amount: 1n })
}

const served: Ledger = process.env.ZRKIT_DIE_AFTER_SUBMIT
  ? {
      chainId: ledger.chainId,
      async submit(tx) {
        const receipt = await ledger.submit(tx)
        process.kill(process.pid, 'SIGKILL') // applied and durable; the reply is never sent
        return receipt
      },
      query: (kind, params) => ledger.query(kind, params),
      subscribe: (filter, listener, options) => ledger.subscribe(filter, listener, options),
      close: () => ledger.close(),
    }
  : ledger

const server = await listenLedger(served, { port: Number(process.env.ZRKIT_PORT ?? 0), host: '127.0.0.1' })
process.stdout.write(`listening ${server.port}\n`)
process.on('SIGTERM', () => {
  void server
    .close()
    .then(() => ledger.close())
    .then(() => process.exit(0))
})
