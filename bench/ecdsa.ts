/**
 * Threshold ECDSA benchmark (DKLs23): key generation and signing of the zrkit federation for 2-of-3 and
 * 3-of-5, in process over the real secure transport, beside one-party noble ECDSA signing measured in
 * the same run. Also bytes per counterparty, and CPU per party: each party in its own worker thread
 * (sharing nothing, as on its own machine), reading its own thread's CPU time (bench/harness.ts).
 * Nothing is asserted.
 *
 *   npx tsx bench/ecdsa.ts        (also run at the end of `npx -y pnpm@10 bench`)
 */
import { isMainThread, workerData } from 'node:worker_threads'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { memorySecretStore } from '@zrkit/core'
import { EcdsaKeyState, PresignaturePool, runEcdsaDkg, runEcdsaSigning } from '@zrkit/mpc/internal'
import { type Network, type PartyOps, fmt, measure, network, partyWorker, perPartyCpu, printTable, spanCpuMs, threadCpuMs, workerNetwork } from './harness.js'

let sessions = 0

/** One-party noble ECDSA over a 32-byte digest: the baseline. */
function nobleSignMs(): Promise<number> {
  const secret = secp256k1.utils.randomSecretKey()
  const digest = sha256(new Uint8Array([1, 2, 3]))
  return measure(
    (i) => {
      digest[0] = i & 0xff
      return secp256k1.sign(digest, secret, { prehash: false })
    },
    500,
    50,
    100_000,
  )
}

async function dkg(net: Network, threshold: number): Promise<EcdsaKeyState[]> {
  const id = `bench/ecdsa-dkg/${sessions++}`
  const results = await Promise.all(net.routers.map((router) => runEcdsaDkg({ session: router.open(id, net.parties), threshold, timeoutMs: 120_000 })))
  return Promise.all(
    results.map(async ({ share, pairs }) => {
      const state = new EcdsaKeyState(share, memorySecretStore())
      for (const [j, record] of pairs) await state.install(j, record)
      return state
    }),
  )
}

/**
 * One signature by the first `threshold` parties (the others are idle: they would only receive the result).
 * With `pools`, the signers use a pooled presignature when they hold one; the background refill it starts is
 * returned, to be awaited outside the timing.
 */
async function sign(net: Network, threshold: number, keys: EcdsaKeyState[], digest: Uint8Array, pools?: PresignaturePool[], refill?: number): Promise<Promise<unknown>[]> {
  const sessionId = `bench/ecdsa-sign/${sessions++}`
  const results = await Promise.all(
    keys.slice(0, threshold).map((key, i) =>
      runEcdsaSigning({
        router: net.routers[i]!,
        sessionId,
        key,
        keyType: 'ecdsa-secp256k1',
        digests: [digest],
        account: net.accounts[i]!,
        identityKey: (p) => net.transports[i]!.identityKey(p),
        seed: 0,
        attemptTimeoutMs: 60_000,
        ...(pools ? { presignatures: pools[i]! } : {}),
        ...(refill !== undefined ? { presignatureRefill: refill } : {}),
      }),
    ),
  )
  return results.map((r) => r.refill ?? Promise.resolve())
}

const workerRole = 'zrkit-bench-ecdsa-party'

/** The DKLs23 operations of a party worker; each worker keeps its own key state. */
function ecdsaOps(): PartyOps {
  let key: EcdsaKeyState | undefined
  let pool: PresignaturePool | undefined
  let refills: Promise<unknown>[] = []
  return {
    dkg: async ({ router, parties }, { id, threshold }: { id: string; threshold: number }) => {
      const { share, pairs } = await runEcdsaDkg({ session: router.open(id, parties), threshold, timeoutMs: 120_000 })
      const state = new EcdsaKeyState(share, memorySecretStore())
      for (const [j, record] of pairs) await state.install(j, record)
      key = state
    },
    sign: async ({ router, account, transport }, { id, digest }: { id: string; digest: Uint8Array }) => {
      const identityKey = (p: string) => transport.identityKey(p)
      await runEcdsaSigning({ router, sessionId: id, key: key!, keyType: 'ecdsa-secp256k1', digests: [digest], account, identityKey, seed: 0, attemptTimeoutMs: 60_000 })
    },
    /** A signing with the party's presignature pool (made on first use); the refill it starts is left running. */
    signPooled: async ({ router, account, transport }, { id, digest, refill }: { id: string; digest: Uint8Array; refill: number }) => {
      pool ??= new PresignaturePool(memorySecretStore(), key!.key.publicKey, key!.key.self, 16)
      const identityKey = (p: string) => transport.identityKey(p)
      const r = await runEcdsaSigning({ router, sessionId: id, key: key!, keyType: 'ecdsa-secp256k1', digests: [digest], account, identityKey, seed: 0, attemptTimeoutMs: 60_000, presignatures: pool, presignatureRefill: refill })
      if (r.refill) refills.push(r.refill)
    },
    /** Waits for the background refills started so far. */
    drain: async () => {
      await Promise.all(refills)
      refills = []
    },
  }
}

/** CPU ms of one noble signature on this thread (one span of 1 000), or undefined where not measurable. */
function nobleCpuMs(): number | undefined {
  const secret = secp256k1.utils.randomSecretKey()
  const digest = sha256(new Uint8Array([4, 5, 6]))
  const count = 1_000
  const ms = spanCpuMs(() => {
    for (let i = 0; i < count; i++) {
      digest[0] = i & 0xff
      digest[1] = i >> 8
      secp256k1.sign(digest, secret, { prehash: false })
    }
  })
  return ms === undefined ? undefined : ms / count
}

type Cpu = { mean: number; max: number }
type Row = {
  config: string
  dkgMs: number
  dkgCpu?: Cpu | undefined
  signMs: number
  signCpu?: Cpu | undefined
  bytesPerCounterparty: number
  /** With a pooled presignature: the online round's latency, CPU per signer and bytes; the refill's CPU per signer apart. */
  onlineMs: number
  onlineCpu?: Cpu | undefined
  refillCpu?: Cpu | undefined
  onlineBytesPerCounterparty: number
}

/** DKLs23 DKG and signing for 2-of-3 and 3-of-5 against one-party noble ECDSA signing. */
export async function runEcdsaBench(): Promise<void> {
  const started = performance.now()
  const nobleMs = await nobleSignMs()
  const rows: Row[] = []
  for (const { t, n } of [
    { t: 2, n: 3 },
    { t: 3, n: 5 },
  ]) {
    const net = await network(n)
    try {
      let keys: EcdsaKeyState[] = []
      const dkgRuns = n === 3 ? 3 : 2
      let dkgWall = 0
      for (let i = 0; i < dkgRuns; i++) {
        const t0 = performance.now()
        keys = await dkg(net, t)
        dkgWall += performance.now() - t0
      }
      const digest = sha256(new Uint8Array([t, n]))
      await sign(net, t, keys, digest) // warm-up (and the first use of each setup)
      const signMs = await measure(
        async (i) => {
          digest[0] = i & 0xff
          await sign(net, t, keys, digest)
        },
        1500,
        5,
        100,
        false,
      )
      // Bytes on the wire between two signers.
      let bytes = 0
      const [a, b] = [net.parties[0]!, net.parties[1]!]
      net.relay.intercept((frame) => {
        if (frame.from === a && frame.to === b) bytes += frame.bytes.length
      })
      const rounds = 5
      for (let i = 0; i < rounds; i++) {
        digest[1] = i
        await sign(net, t, keys, digest)
      }
      net.relay.intercept(null)
      // With presignature pools: filled first (each signing makes 2, awaited), then 10 timed signings that each
      // use one and ask for no refill, so the timing is the online round alone.
      const pools = keys.map((k) => new PresignaturePool(memorySecretStore(), k.key.publicKey, k.key.self, 16))
      // Each filling signing uses one and makes two: 12 leave 13 in each pool, enough for the 10 timed ones.
      for (let i = 0; i < 12; i++) {
        digest[2] = 100 + i
        await Promise.all(await sign(net, t, keys, digest, pools))
      }
      let onlineTotal = 0
      let onlineRuns = 0
      let onlineBytes = 0
      net.relay.intercept((frame) => {
        if (frame.from === a && frame.to === b) onlineBytes += frame.bytes.length
      })
      for (let i = 0; i < 10; i++) {
        digest[2] = i
        const t0 = performance.now()
        await sign(net, t, keys, digest, pools, 0)
        onlineTotal += performance.now() - t0
        onlineRuns++
      }
      net.relay.intercept(null)
      rows.push({ config: `${t}-of-${n}`, dkgMs: dkgWall / dkgRuns, signMs, bytesPerCounterparty: bytes / rounds, onlineMs: onlineTotal / onlineRuns, onlineBytesPerCounterparty: onlineBytes / onlineRuns })
    } finally {
      await net.close()
    }
  }

  // CPU per party: each party in its own worker thread, its own thread's CPU time.
  const nobleCpu = nobleCpuMs()
  if (nobleCpu !== undefined) {
    for (const { t, n } of [
      { t: 2, n: 3 },
      { t: 3, n: 5 },
    ]) {
      const wnet = await workerNetwork(n, import.meta.url, workerRole)
      try {
        const row = rows.find((r) => r.config === `${t}-of-${n}`)!
        // DKG: every party, one run after a warm-up run (the key of the last run is the one that signs).
        row.dkgCpu = await perPartyCpu(() => wnet.cpu(), () => wnet.run('dkg', { id: `bench/worker-ecdsa-dkg/${sessions++}`, threshold: t }), 1)
        const signers = wnet.parties.slice(0, t)
        const digest = sha256(new Uint8Array([t, n, 1]))
        row.signCpu = await perPartyCpu(
          () => wnet.cpu(signers),
          (i) => {
            digest[0] = i & 0xff
            return wnet.run('sign', { id: `bench/worker-ecdsa-sign/${sessions++}`, digest }, signers)
          },
          10,
        )
        // Pooled: CPU per signer of the online signing alone (signings that ask for no refill), then of a
        // signing's background refill (2 presignatures, halved).
        const pooled = (refill: number) => wnet.run('signPooled', { id: `bench/worker-ecdsa-sign/${sessions++}`, digest, refill }, signers)
        for (let i = 0; i < 12; i++) {
          await pooled(2)
          await wnet.run('drain', {}, signers)
        }
        const online: number[][] = []
        const refill: number[][] = []
        for (let i = 0; i < 10; i++) {
          digest[1] = i
          const c0 = await wnet.cpu(signers)
          await pooled(0)
          const c1 = await wnet.cpu(signers)
          if (!c0 || !c1) break
          online.push(c1.map((x, k) => x - c0[k]!))
        }
        for (let i = 0; i < 4; i++) {
          const c0 = await wnet.cpu(signers)
          await pooled(2)
          const c1 = await wnet.cpu(signers)
          await wnet.run('drain', {}, signers)
          const c2 = await wnet.cpu(signers)
          if (!c0 || !c1 || !c2) break
          refill.push(c2.map((x, k) => (x - c1[k]!) / 2))
        }
        const summarize = (samples: number[][]): Cpu | undefined => {
          if (!samples.length) return undefined
          const perParty = samples[0]!.map((_, k) => samples.reduce((sum, s) => sum + s[k]!, 0) / samples.length)
          return { mean: perParty.reduce((a, b) => a + b, 0) / perParty.length, max: Math.max(...perParty) }
        }
        row.onlineCpu = summarize(online)
        row.refillCpu = summarize(refill)
      } finally {
        await wnet.close()
      }
    }
  }
  const cpuCell = (c: Cpu | undefined) => (c ? `${fmt(c.mean)} (${fmt(c.max)})` : 'n/a')
  const header = ['t-of-n', 'DKG ms', 'DKG CPU/party ms', 'sign ms', 'sign/noble', 'sign CPU/signer ms', 'CPU/noble CPU', 'KB to one counterparty']
  const table = rows.map((r) => [
    r.config,
    fmt(r.dkgMs),
    cpuCell(r.dkgCpu),
    fmt(r.signMs),
    `${fmt(r.signMs / nobleMs)}x`,
    cpuCell(r.signCpu),
    r.signCpu && nobleCpu ? `${fmt(r.signCpu.mean / nobleCpu)}x` : 'n/a',
    fmt(r.bytesPerCounterparty / 1024),
  ])
  const onlineHeader = ['t-of-n', 'online ms', 'online/noble', 'online CPU/signer ms', 'CPU/noble CPU', 'refill CPU/signer ms', 'online KB to one counterparty']
  const onlineTable = rows.map((r) => [
    r.config,
    fmt(r.onlineMs),
    `${fmt(r.onlineMs / nobleMs)}x`,
    cpuCell(r.onlineCpu),
    r.onlineCpu && nobleCpu ? `${fmt(r.onlineCpu.mean / nobleCpu)}x` : 'n/a',
    cpuCell(r.refillCpu),
    fmt(r.onlineBytesPerCounterparty / 1024),
  ])
  console.log(`\nMPC: threshold ECDSA (DKLs23) over the secure transport; one-party noble secp256k1.sign = ${fmt(nobleMs)} ms (CPU ${nobleCpu !== undefined ? fmt(nobleCpu) : 'n/a'} ms)`)
  printTable(header, table)
  console.log('DKG: Pedersen DKG + base OTs both ways for every pair, until every party holds its share and setups.')
  console.log('Sign: one digest by t parties, from the first message to every signer holding the verified signature')
  console.log('(signing set, setup check, three DKLs23 rounds; all parties share this one thread, so sign ms is the')
  console.log('latency with t parties on one core). CPU/party, CPU/signer: each party in its own worker thread (sharing')
  console.log('nothing), its thread CPU per operation: mean over the parties (the signers for signing), the busiest in')
  console.log('brackets; CPU/noble CPU: that mean against one noble signature\'s CPU on this thread. KB: encrypted frames')
  console.log('one signer sends to one other per signature.')
  console.log('\nWith pooled presignatures (pools filled ahead): a signing whose signers hold one is the online round alone.')
  printTable(onlineHeader, onlineTable)
  console.log('online: from the first message to every signer holding the verified signature, when every signer holds a')
  console.log('presignature of the set (signing set, durable take, confirmations, one (u\', w) exchange), in signings that')
  console.log('ask for no refill. refill: the CPU of making one presignature in the background (rounds 1-3), per signer.')
  console.log('online KB: frames one signer sends to one other for one such signing.')
  console.log(`(${((performance.now() - started) / 1000).toFixed(1)} s)`)
}

if (!isMainThread && (workerData as { role?: string } | undefined)?.role === workerRole) await partyWorker(ecdsaOps())
// Run directly: `npx tsx bench/ecdsa.ts`.
else if (isMainThread && import.meta.url === `file://${process.argv[1]}`) await runEcdsaBench()
