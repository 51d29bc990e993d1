/**
 * A party relay that misbehaves on purpose, run as its own process by networkFaults.test.ts in place of
 * `zrkit relay serve` (on the same port, so the parties reconnect to it):
 *
 *   node --import tsx test/network/faultyRelay.ts --port P --parties A,B,C --mode lossy --party B
 *   node --import tsx test/network/faultyRelay.ts --port P --parties A,B,C --mode tamper
 *
 * `lossy` emulates a slow, lossy link for one party (what netem would do, where the kernel has it): every frame to
 * or from `--party` arrives 40-120 ms late (first in, first out per direction, as over TCP), stalls of 400 ms
 * (a lost segment waiting for its retransmission) hit one frame in ten, and the party's connection is cut every
 * 2.5 s (a link that drops), so it reconnects and gets what the relay buffered meanwhile.
 * `tamper` is a hostile relay: it flips one bit in each of the first 8 frames it routes (their originals never
 * arrive), then delivers every frame twice (a replay 20 ms later).
 * Prints its URL on standard output once it listens; counts what it did in one JSON line on standard error at exit.
 */
import { serveRelay } from '@zrkit/mpc/node'

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`)
  if (i < 0 || i + 1 >= process.argv.length) throw new Error(`--${name} missing`)
  return process.argv[i + 1]!
}
const mode = arg('mode')
const parties = arg('parties').split(',')
const relay = await serveRelay({ parties, port: Number(arg('port')) })
const counts = { delayed: 0, stalled: 0, cuts: 0, tampered: 0, replayed: 0 }

if (mode === 'lossy') {
  const slow = arg('party')
  const due = new Map<string, number>()
  relay.intercept((frame) => {
    if (frame.from !== slow && frame.to !== slow) return undefined
    const pair = `${frame.from}>${frame.to}`
    const stall = Math.random() < 0.1 ? 400 : 0
    const at = Math.max(due.get(pair) ?? 0, Date.now() + 40 + Math.random() * 80 + stall)
    due.set(pair, at)
    counts.delayed++
    if (stall) counts.stalled++
    const copy = { from: frame.from, to: frame.to, bytes: Uint8Array.from(frame.bytes) }
    setTimeout(() => relay.inject(copy), at - Date.now())
    return null
  })
  setInterval(() => {
    if (relay.terminate(slow)) counts.cuts++
  }, 1000)
} else if (mode === 'tamper') {
  relay.intercept((frame) => {
    if (counts.tampered < 8) {
      // altered in flight: the original never arrives
      counts.tampered++
      const bytes = Uint8Array.from(frame.bytes)
      bytes[bytes.length >> 1]! ^= 0x01
      return bytes
    }
    // delivered, then delivered again
    const copy = Uint8Array.from(frame.bytes)
    setTimeout(() => {
      counts.replayed++
      relay.inject({ from: frame.from, to: frame.to, bytes: copy })
    }, 20)
    return undefined
  })
} else {
  throw new Error(`--mode: expected lossy or tamper, got ${mode}`)
}

process.stdout.write(`${relay.url}\n`)
process.on('SIGTERM', () => {
  process.stderr.write(`${JSON.stringify({ msg: 'faulty relay stopped', mode, ...counts })}\n`)
  void relay.close().then(() => process.exit(0))
})
