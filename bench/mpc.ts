/**
 * MPC benchmark: FROST key generation and threshold signing of the zrkit federation over the real
 * secure transport (signed announcements, encrypted channels, signed broadcasts, echo checks), each
 * beside one-party noble signing of the same scheme, measured in the same run. Nothing is asserted.
 *
 * Two measurements per configuration:
 * - in process: every party in this thread over the in-memory relay (the default deployment). Wall
 *   time from start until every party holds its key package / the verified signature; median of runs.
 * - per party: each party in its own worker thread (sharing nothing), frames relayed by
 *   this thread (bench/harness.ts). Each worker reads its own thread's CPU time (Linux `/proc/thread-self/schedstat`), so
 *   the figure is the CPU one party spends, as it would on its own machine; not shown where the
 *   kernel does not provide it. It is printed against two noble baselines: one measured on this
 *   thread, and one measured on the party threads themselves right after their signing runs.
 *
 *   npx tsx bench/mpc.ts        (also run at the end of `npx -y pnpm@10 bench`)
 */
import { isMainThread, workerData } from 'node:worker_threads'
import { ed25519 } from '@noble/curves/ed25519.js'
import { schnorr } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import type { KeyType } from '@zrkit/core'
import { type FrostKey, type PreparedKey, frostSuite, prepareKey, runDkg, runSigning } from '@zrkit/mpc/internal'
import { type Network, type PartyOps, fmt, network, partyWorker, perPartyCpu, printTable, spanCpuMs, threadCpuMs, workerNetwork } from './harness.js'

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/** One-party noble signing of a 32-byte digest, the baseline of each scheme: `batch(k)` signs k times. */
function nobleSigner(keyType: KeyType) {
  const secret = keyType === 'eddsa-ed25519' ? ed25519.utils.randomSecretKey() : schnorr.utils.randomSecretKey()
  const digest = sha256(new Uint8Array([1, 2, 3]))
  let i = 0
  const batch = (k: number) => {
    for (let j = 0; j < k; j++) {
      digest[0] = i++ & 0xff
      if (keyType === 'eddsa-ed25519') ed25519.sign(digest, secret)
      else schnorr.sign(digest, secret)
    }
  }
  batch(50) // warm-up
  return batch
}

/**
 * Runs `fn` at least `min` times and until `budgetMs` is spent (at most `max` times), each run followed
 * by a batch of `nobleBatch` one-party noble signatures, so both see the same machine load. Returns the
 * median ms of one run and of one noble signature.
 */
async function measure(fn: (i: number) => Promise<unknown>, noble: (k: number) => void, budgetMs: number, min: number, max: number, warmUp: boolean): Promise<{ ms: number; nobleMs: number }> {
  if (warmUp) await fn(-1) // not counted
  const times: number[] = []
  const nobleTimes: number[] = []
  const start = performance.now()
  while (times.length < max && (times.length < min || performance.now() - start < budgetMs)) {
    const t0 = performance.now()
    await fn(times.length)
    const t1 = performance.now()
    noble(10)
    nobleTimes.push((performance.now() - t1) / 10)
    times.push(t1 - t0)
  }
  return { ms: median(times), nobleMs: median(nobleTimes) }
}

/** CPU ms of one noble signature on this thread (one span of 300, see `spanCpuMs`), or undefined where not measurable. */
function nobleCpuMs(noble: (k: number) => void): number | undefined {
  const ms = spanCpuMs(() => noble(300))
  return ms === undefined ? undefined : ms / 300
}

let sessions = 0

// ---- In process: every party in this thread --------------------------------------------------

/** A dealerless key generation among all parties; resolves when every party holds its key package. */
async function dkg(net: Network, keyType: KeyType, threshold: number): Promise<FrostKey[]> {
  const id = `bench/dkg/${sessions++}`
  const suite = frostSuite(keyType)
  return Promise.all(net.routers.map((router) => runDkg({ session: router.open(id, net.parties), suite, threshold, timeoutMs: 30_000 })))
}

/** A threshold signature with every party up; resolves when every party holds the verified aggregate. */
async function sign(net: Network, keyType: KeyType, threshold: number, keys: FrostKey[], message: Uint8Array): Promise<Uint8Array> {
  const sessionId = `bench/sign/${sessions++}`
  const suite = frostSuite(keyType)
  const results = await Promise.all(
    net.routers.map((router, i) =>
      runSigning({ router, sessionId, parties: net.parties, self: net.parties[i]!, account: net.accounts[i]!, identityKey: (p) => net.transports[i]!.identityKey(p), suite, key: keys[i]!, threshold, messages: [message], seed: sessions, attemptTimeoutMs: 30_000 }),
    ),
  )
  return results[0]!.signatures[0]!
}

// ---- Per party: each party in its own worker thread ------------------------------------------

const workerRole = 'zrkit-bench-frost-party'

/**
 * The FROST operations of a party worker; each worker keeps its own key packages, decoded once as a
 * federation party keeps them (`frostParty`), never shared with another worker.
 */
function frostOps(): PartyOps {
  const keys = new Map<KeyType, { key: FrostKey; prepared: PreparedKey; verifier: (signature: Uint8Array, message: Uint8Array) => boolean }>()
  const nobles = new Map<KeyType, (k: number) => void>()
  return {
    /** `k` one-party noble signatures on this party's thread: the baseline measured where the party runs. */
    noble: async (_ctx, { keyType, k }: { keyType: KeyType; k: number }) => {
      let batch = nobles.get(keyType)
      if (!batch) nobles.set(keyType, (batch = nobleSigner(keyType)))
      batch(k)
    },
    dkg: async ({ router, parties }, { id, keyType, threshold }: { id: string; keyType: KeyType; threshold: number }) => {
      const suite = frostSuite(keyType)
      const key = await runDkg({ session: router.open(id, parties), suite, threshold, timeoutMs: 60_000 })
      keys.set(keyType, { key, prepared: prepareKey(suite, key.public), verifier: suite.verifier(suite.groupKey(key)) })
    },
    sign: async ({ router, parties, account, transport }, { id, keyType, threshold, message, seed }: { id: string; keyType: KeyType; threshold: number; message: Uint8Array; seed: number }) => {
      const identityKey = (p: string) => transport.identityKey(p)
      const { key, prepared, verifier } = keys.get(keyType)!
      await runSigning({ router, sessionId: id, parties, self: account.address, account, identityKey, suite: frostSuite(keyType), key, preparedKey: prepared, verifier, threshold, messages: [message], seed, attemptTimeoutMs: 60_000 })
    },
  }
}

type Cpu = { mean: number; max: number }
type Row = {
  scheme: string
  config: string
  nobleMs: number
  dkgMs: number
  signMs: number
  nobleCpuMs?: number | undefined
  /** CPU ms of one noble signature in the party workers (mean over them), measured right after their signing runs. */
  partyNobleCpuMs?: number | undefined
  dkgCpu?: Cpu | undefined
  signCpu?: Cpu | undefined
}

/** FROST DKG and signing for 2-of-3, 3-of-5 and 5-of-9, ed25519 and BIP340, against one-party noble signing. */
export async function runMpcBench(): Promise<void> {
  const configs = [
    { t: 2, n: 3 },
    { t: 3, n: 5 },
    { t: 5, n: 9 },
  ] as const
  const schemes = [
    { keyType: 'eddsa-ed25519', scheme: 'ed25519' },
    { keyType: 'schnorr-secp256k1', scheme: 'BIP340 schnorr' },
  ] as const
  const started = performance.now()
  const noble = new Map<KeyType, (k: number) => void>(schemes.map(({ keyType }) => [keyType, nobleSigner(keyType)]))

  const rows: Row[] = []
  for (const { t, n } of configs) {
    const net = await network(n)
    try {
      for (const { keyType, scheme } of schemes) {
        let keys: FrostKey[] = []
        // the smallest configuration warms the code up; larger ones are too slow to spend a run on it
        const warmUp = n === configs[0].n
        const dkg_ = await measure(async () => (keys = await dkg(net, keyType, t)), noble.get(keyType)!, 800, 3, 50, warmUp)
        const message = sha256(new Uint8Array([t, n]))
        const sign_ = await measure(
          async (i) => {
            message[0] = i & 0xff
            await sign(net, keyType, t, keys, message)
          },
          noble.get(keyType)!,
          1500,
          9,
          200,
          warmUp,
        )
        // One baseline per row: the median of the noble batches run beside both measurements.
        rows.push({ scheme, config: `${t}-of-${n}`, nobleMs: (dkg_.nobleMs + sign_.nobleMs) / 2, dkgMs: dkg_.ms, signMs: sign_.ms })
      }
    } finally {
      await net.close()
    }
  }

  // Per-party CPU, each party in its own thread.
  if (threadCpuMs() !== undefined) {
    for (const { t, n } of configs) {
      const wnet = await workerNetwork(n, import.meta.url, workerRole)
      try {
        for (const { keyType, scheme } of schemes) {
          const row = rows.find((r) => r.scheme === scheme && r.config === `${t}-of-${n}`)!
          row.nobleCpuMs = nobleCpuMs(noble.get(keyType)!)
          row.dkgCpu = await perPartyCpu(() => wnet.cpu(), () => wnet.run('dkg', { id: `bench/worker-dkg/${sessions++}`, keyType, threshold: t }), 2)
          const message = sha256(new Uint8Array([t, n, 1]))
          // a party that signs often with a key has its checks warm (BIP340: the key's table, built after 8 checks):
          // 9 signings first, not counted, so the figures are its steady state
          for (let i = 0; i < 9; i++) await wnet.run('sign', { id: `bench/worker-sign/${sessions++}`, keyType, threshold: t, message, seed: sessions })
          row.signCpu = await perPartyCpu(
            () => wnet.cpu(),
            (i) => {
              message[0] = i & 0xff
              return wnet.run('sign', { id: `bench/worker-sign/${sessions++}`, keyType, threshold: t, message, seed: sessions })
            },
            n === 9 ? 10 : 20,
          )
          // The same baseline on the party threads, while all of them run it (as they all run a signing):
          // same thread, same load, same moment as the signing runs just measured.
          const k = 50
          const nobleCpu = await perPartyCpu(() => wnet.cpu(), () => wnet.run('noble', { keyType, k }), 6)
          row.partyNobleCpuMs = nobleCpu ? nobleCpu.mean / k : undefined
        }
      } finally {
        await wnet.close()
      }
    }
  }

  const cpuCell = (c: Row['dkgCpu']) => (c ? `${fmt(c.mean)} (${fmt(c.max)})` : 'n/a')
  const header = ['scheme', 't-of-n', 'noble sign ms', 'DKG ms', 'DKG/noble', 'sign ms', 'sign/noble', 'noble CPU ms', 'DKG CPU ms/party', 'sign CPU ms/party', 'party sign/noble', 'noble CPU ms in party', 'party sign/party noble']
  const table = rows.map((r) => [
    r.scheme,
    r.config,
    fmt(r.nobleMs),
    fmt(r.dkgMs),
    `${fmt(r.dkgMs / r.nobleMs)}x`,
    fmt(r.signMs),
    `${fmt(r.signMs / r.nobleMs)}x`,
    r.nobleCpuMs !== undefined ? fmt(r.nobleCpuMs) : 'n/a',
    cpuCell(r.dkgCpu),
    cpuCell(r.signCpu),
    r.signCpu && r.nobleCpuMs ? `${fmt(r.signCpu.mean / r.nobleCpuMs)}x` : 'n/a',
    r.partyNobleCpuMs !== undefined ? fmt(r.partyNobleCpuMs) : 'n/a',
    r.signCpu && r.partyNobleCpuMs ? `${fmt(r.signCpu.mean / r.partyNobleCpuMs)}x` : 'n/a',
  ])
  console.log('\nMPC: FROST over the secure transport, against one-party noble signing of the same scheme (same run)')
  printTable(header, table, 2)
  console.log('DKG ms, sign ms: every party in one thread (in process), wall time from start until every party holds')
  console.log('its key package / the signature (nonce commitments, signed signing package, signature shares; each')
  console.log('party checks the aggregate with an independent verifier, and the shares one by one if it fails; the')
  console.log('parties share nothing: each decodes, checks and derives on its own); median,')
  console.log('each run followed by 10 noble signatures (noble sign ms: their median), so both see the same load.')
  console.log('CPU ms/party: each party in its own worker thread, that thread\'s CPU time per operation: mean over the')
  console.log('parties (the busiest in brackets: the coordinator signs the package, non-signers send no share); nothing is')
  console.log('shared between workers, so this is the work of a party on its own machine; each row after 9 uncounted')
  console.log('signings with its key (a party that signs often: BIP340 checks then use the key\'s table);')
  console.log('party sign/noble: that mean against the CPU time of one noble signature on this thread (noble CPU ms).')
  console.log('noble CPU ms in party: one noble signature timed the same way in the party workers, all of them signing')
  console.log('batches at once right after the signing runs (same threads, same contention); party sign/party noble: the')
  console.log('mean party CPU against it. On a small shared VM the two baselines can differ by 2x: read both.')
  console.log(`(${((performance.now() - started) / 1000).toFixed(1)} s)`)
}

if (!isMainThread && (workerData as { role?: string } | undefined)?.role === workerRole) await partyWorker(frostOps())
// Run directly: `npx tsx bench/mpc.ts`.
else if (isMainThread && import.meta.url === `file://${process.argv[1]}`) await runMpcBench()
