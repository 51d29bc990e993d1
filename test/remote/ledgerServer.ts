/**
 * Serves an embedded ledger over this process's stdio, one canonical JSON message per line, and, when
 * ZRKIT_SOCKET names a path, to any number of clients on that Unix socket (a line per message too).
 * Input from a client never stops the server: serveLedger answers or drops every frame, and a socket
 * error (a client that resets) only ends that client's connection.
 */
import { createServer } from 'node:net'
import { createInterface } from 'node:readline'
import { type Genesis, createEmbeddedLedger, serveLedger } from '@zrkit/core'
import { canonicalParse } from '@zrkit/core/internal'

const genesis = canonicalParse<Genesis>(process.env.ZRKIT_GENESIS!)
const ledger = await createEmbeddedLedger({ genesis })

const socketPath = process.env.ZRKIT_SOCKET
if (socketPath) {
  const server = createServer((socket) => {
    // A client that resets or vanishes: the socket's 'close' follows. readline re-emits its input's
    // errors, and an 'error' nobody listens to would end this process, so both get a listener.
    socket.on('error', () => {})
    const lines = createInterface({ input: socket, crlfDelay: Number.POSITIVE_INFINITY })
    lines.on('error', () => {})
    serveLedger(ledger, {
      send: (m) => void (socket.writable && socket.write(`${m}\n`)),
      onMessage: (fn) => lines.on('line', fn),
      onClose: (fn) => socket.on('close', () => fn()),
    })
  })
  // listening before stdio is served: a client that got its hello answered can connect to the socket
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(socketPath, resolve))
}

const lines = createInterface({ input: process.stdin })
lines.on('error', () => {})
serveLedger(ledger, { send: (m) => process.stdout.write(`${m}\n`), onMessage: (fn) => lines.on('line', fn), onClose: (fn) => lines.on('close', () => fn()) })
lines.on('close', () => void ledger.close().then(() => process.exit(0)))
