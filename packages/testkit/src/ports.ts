import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A localhost port nothing listens on: it was free a moment ago (bound, then closed), for tests that dial a
 * server that is down, or start one on that port later.
 *
 * @example
 * ```ts
 * const port = await closedPort()
 * await expect(connectRelay({ url: `ws://127.0.0.1:${port}`, ... })).rejects.toThrow()
 * ```
 */
export async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
