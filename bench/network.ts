/**
 * Network benchmark: what a deployment gets. The ledger server, the party relay and every MPC party run as
 * separate OS processes (`startLocalNetwork` from `@zrkit/cli`, the `zrkit` CLI itself) on this machine's
 * loopback; a client in this process asks for signatures over its own WebSocket, one request at a time.
 *
 * For each key type at 2-of-3 and 3-of-5: latency from `requestSignature` to the fulfilled request seen by the
 * client (p50, p95), CPU each party process spent per signature (from /proc/<pid>/stat, the kernel's count),
 * and the bytes each party sent and received through the relay per signature (the relay's own counters,
 * `GET /status`). Beside them, one-party noble signing of the same scheme measured in this process, as a ratio.
 * Nothing is asserted. The machine's cores are shared by every process here: on separate machines each party
 * has its own.
 *
 *   npx tsx bench/network.ts        (also run at the end of `npx -y pnpm@10 bench`)
 *
 * Each row is measured after warm-up requests (see `warmUp`): steady state, as a long-running process sees it.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { pathToFileURL } from 'node:url'
import { ed25519 } from '@noble/curves/ed25519.js'
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { type LocalNetwork, startLocalNetwork } from '@zrkit/cli'
import { type KeyType, connectLedgerWs, createZrClient } from '@zrkit/core'
import { WebSocket } from 'ws'
import { fmt } from './harness.js'

const signatures = Number(process.env.ZRKIT_BENCH_NETWORK_SIGNATURES ?? 60)
/**
 * Requests per row before measuring: a party, ledger or relay process runs for months, so the numbers are taken
 * once its code is warm (JIT-compiled), not over its first requests (which cost about twice the CPU).
 */
const warmUp = Number(process.env.ZRKIT_BENCH_NETWORK_WARMUP ?? 100)
const cores = availableParallelism()

const ticksPerSecond = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100
  } catch {
    return 100
  }
})()

/** CPU ms (user + system) the process has spent so far, or undefined where /proc does not tell. */
function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // after the command name: state is field 3, utime 14, stime 15
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond
  } catch {
    return undefined
  }
}

type RelayCounts = Map<string, number>

/** Bytes each party sent plus received through the relay so far (the relay's `GET /status`), or undefined. */
async function relayBytes(net: LocalNetwork): Promise<RelayCounts | undefined> {
  try {
    const res = await fetch(`${net.relayUrl.replace(/^ws/, 'http')}/status`, { signal: AbortSignal.timeout(5_000) })
    if (!res.ok) return undefined
    const body = (await res.json()) as { parties: { party: string; bytesIn: number; bytesOut: number }[] }
    return new Map(body.parties.map((p) => [p.party, p.bytesIn + p.bytesOut]))
  } catch {
    return undefined
  }
}

/** Median ms of one noble signature of the scheme of `keyType`, in this process. */
function nobleMs(keyType: KeyType): number {
  const digest = sha256(new Uint8Array([1, 2, 3]))
  const sign =
    keyType === 'eddsa-ed25519'
      ? ((sk) => () => ed25519.sign(digest, sk))(ed25519.utils.randomSecretKey())
      : keyType === 'schnorr-secp256k1'
        ? ((sk) => () => schnorr.sign(digest, sk))(schnorr.utils.randomSecretKey())
        : ((sk) => () => secp256k1.sign(digest, sk, { prehash: false }))(secp256k1.utils.randomSecretKey())
  const times: number[] = []
  for (let b = 0; b < 21; b++) {
    const t = performance.now()
    for (let i = 0; i < 10; i++) {
      digest[0] = (b * 10 + i) & 0xff
      sign()
    }
    times.push((performance.now() - t) / 10)
  }
  return quantile(times, 0.5)
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!
}

type Row = { keyType: KeyType; config: string; keygenMs: number; p50: number; p95: number; nobleMs: number; cpu?: { mean: number; max: number; total: number }; bytes?: { mean: number; max: number }; serversCpu?: number }

/**
 * One row: `keygenMs`, latency quantiles, CPU and bytes per signature. `gapMs` pauses between requests (not counted):
 * idle time in which the parties' background work (pooled presignatures) runs, as between a deployment's requests.
 */
async function measure(net: LocalNetwork, t: number, n: number, keyType: KeyType, extra: { gapMs?: number; label?: string } = {}): Promise<Row> {
  const ledger = await connectLedgerWs(net.ledgerUrl, { WebSocket: WebSocket as never })
  try {
    const client = createZrClient({ ledger, account: net.user })
    const { workspace } = await client.createWorkspace()
    const k0 = performance.now()
    const { requestId } = await client.requestKey({ workspace, keyring: net.keyring, keyType })
    const { key } = await client.waitForKeyRequest({ requestId, timeoutMs: 120_000 })
    const keygenMs = performance.now() - k0
    const once = async (i: number) => {
      const digest = sha256(new TextEncoder().encode(`bench ${keyType} ${i}`))
      const start = performance.now()
      const { requestId: id, receipt } = await client.requestSignature({ keyId: key.id, payloads: [digest] })
      // watched from the request's own events, as `sign` does: no status query, no first look at the request
      await client.waitForSignRequest({ requestId: id, fromSeq: receipt.events[0]!.seq, timeoutMs: 120_000 })
      const ms = performance.now() - start
      if (extra.gapMs) await new Promise((r) => setTimeout(r, extra.gapMs))
      return ms
    }
    for (let i = 0; i < warmUp; i++) await once(-1 - i) // warm-up, not counted
    const cpu0 = net.parties.map((p) => processCpuMs(p.pid))
    const servers0 = [net.ledger, net.relay].map((p) => processCpuMs(p.pid))
    const bytes0 = await relayBytes(net)
    const latencies: number[] = []
    for (let i = 0; i < signatures; i++) latencies.push(await once(i))
    const cpu1 = net.parties.map((p) => processCpuMs(p.pid))
    const servers1 = [net.ledger, net.relay].map((p) => processCpuMs(p.pid))
    const bytes1 = await relayBytes(net)
    const perSig = (a: (number | undefined)[], b: (number | undefined)[]) =>
      a.every((x) => x !== undefined) && b.every((x) => x !== undefined) ? a.map((x, i) => (b[i]! - x!) / signatures) : undefined
    const cpu = perSig(cpu0, cpu1)
    const servers = perSig(servers0, servers1)
    const bytes = bytes0 && bytes1 ? net.parties.map((p) => ((bytes1.get(p.address) ?? 0) - (bytes0.get(p.address) ?? 0)) / signatures) : undefined
    const meanMax = (xs: number[]) => ({ mean: xs.reduce((a, b) => a + b, 0) / xs.length, max: Math.max(...xs), total: xs.reduce((a, b) => a + b, 0) })
    return {
      keyType,
      config: `${t}-of-${n}${extra.label ?? ''}`,
      keygenMs,
      p50: quantile(latencies, 0.5),
      p95: quantile(latencies, 0.95),
      nobleMs: nobleMs(keyType),
      ...(cpu ? { cpu: meanMax(cpu) } : {}),
      ...(bytes ? { bytes: meanMax(bytes) } : {}),
      ...(servers ? { serversCpu: servers[0]! + servers[1]! } : {}),
    }
  } finally {
    await ledger.close()
  }
}

const goals: Partial<Record<KeyType, number>> = { 'eddsa-ed25519': 25, 'schnorr-secp256k1': 25, 'ecdsa-secp256k1': 60, 'bitcoin-secp256k1': 60 }

/** The network section of the benchmarks. */
export async function runNetworkBench(): Promise<void> {
  console.log('\nnetwork: ledger server, relay and each party a separate process (zrkit CLI) on loopback; one request at a time')
  console.log(`${signatures} signatures per row after ${warmUp} warm-up requests (steady state, as a long-running deployment sees it; ZRKIT_BENCH_NETWORK_WARMUP, _SIGNATURES); CPU from /proc per party process; bytes through the relay per party`)
  const keyTypes: KeyType[] = ['eddsa-ed25519', 'schnorr-secp256k1', 'ecdsa-secp256k1', 'bitcoin-secp256k1']
  const rows: Row[] = []
  for (const [t, n] of [
    [2, 3],
    [3, 5],
  ] as const) {
    const net = await startLocalNetwork({ parties: n, threshold: t })
    try {
      for (const keyType of keyTypes) rows.push(await measure(net, t, n, keyType))
    } finally {
      await net.stop()
    }
  }
  // ECDSA with pooled presignatures (zrkit party start --presignatures 2), requests 150 ms apart: the signers of a
  // set that holds one sign in the online round, and the pool refills in the pause. CPU per signature includes it.
  const pooled = await startLocalNetwork({ parties: 3, threshold: 2, presignatures: 2 })
  try {
    rows.push(await measure(pooled, 2, 3, 'ecdsa-secp256k1', { gapMs: 150, label: ' pre' }))
  } finally {
    await pooled.stop()
  }
  const kb = (b: number) => `${fmt(b / 1024)} KB`
  console.log(
    `${'key type'.padEnd(18)} ${'t-of-n'.padEnd(10)} ${'keygen ms'.padStart(9)} ${'p50 ms'.padStart(7)} ${'p95 ms'.padStart(7)} ${'goal p50'.padStart(8)} ${'p50/noble'.padStart(10)} ${'CPU/party/sig ms (mean, max)'.padStart(29)} ${'relay bytes/party/sig (mean, max)'.padStart(34)} ${'ledger+relay CPU/sig ms'.padStart(24)} ${'all CPU/sig ms (/cores)'.padStart(24)}`,
  )
  for (const r of rows) {
    const goal = r.config === '2-of-3' && goals[r.keyType] !== undefined ? `<= ${goals[r.keyType]}` : ''
    console.log(
      `${r.keyType.padEnd(18)} ${r.config.padEnd(10)} ${fmt(r.keygenMs).padStart(9)} ${fmt(r.p50).padStart(7)} ${fmt(r.p95).padStart(7)} ${goal.padStart(8)} ${`${fmt(r.p50 / r.nobleMs)}x`.padStart(10)} ${(r.cpu ? `${fmt(r.cpu.mean)}, ${fmt(r.cpu.max)}` : 'n/a').padStart(29)} ${(r.bytes ? `${kb(r.bytes.mean)}, ${kb(r.bytes.max)}` : 'n/a').padStart(34)} ${(r.serversCpu !== undefined ? fmt(r.serversCpu) : 'n/a').padStart(24)} ${(r.cpu && r.serversCpu !== undefined ? `${fmt(r.cpu.total + r.serversCpu)} (${fmt((r.cpu.total + r.serversCpu) / cores)})` : 'n/a').padStart(24)}`,
    )
  }
  console.log('p50/noble: the median request latency over one noble signature of the same scheme in this process.')
  console.log("2-of-3 pre: parties started with --presignatures 2 (a pool of 2 per key and signing set), requests 150 ms apart (not counted), so the pools refill between them; CPU and bytes per signature include the refill.")
  console.log(`all CPU: every party, the ledger server and the relay per request; over this machine's ${cores} cores, the least latency the CPU allows here.`)
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runNetworkBench()
