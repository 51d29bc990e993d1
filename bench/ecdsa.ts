/**
 * Threshold ECDSA benchmark (DKLs23): key generation and signing of the zrkit federation for 2-of-3 and
 * 3-of-5, in process over the real secure transport, beside one-party noble ECDSA signing measured in
 * the same run. Also CPU per party and bytes per counterparty. Nothing is asserted.
 *
 *   npx tsx bench/ecdsa.ts        (also run at the end of `npx -y pnpm@10 bench`)
 */
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { memorySecretStore } from '@zrkit/core'
import { EcdsaKeyState, runEcdsaDkg, runEcdsaSigning } from '@zrkit/mpc/internal'
import { type Network, fmt, measure, network } from './harness.js'

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

/** One signature by the first `threshold` parties (the others are idle: they would only receive the result). */
async function sign(net: Network, threshold: number, keys: EcdsaKeyState[], digest: Uint8Array): Promise<void> {
  const sessionId = `bench/ecdsa-sign/${sessions++}`
  await Promise.all(
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
      }),
    ),
  )
}

/** CPU ms of this process (user + system) spent in `fn`, and its wall ms. */
async function cpuOf(fn: () => Promise<unknown>): Promise<{ cpuMs: number; wallMs: number }> {
  const c = process.cpuUsage()
  const t = performance.now()
  await fn()
  const d = process.cpuUsage(c)
  return { cpuMs: (d.user + d.system) / 1000, wallMs: performance.now() - t }
}

type Row = { config: string; dkgMs: number; dkgCpuPerParty: number; signMs: number; signCpuPerSigner: number; bytesPerCounterparty: number }

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
      // DKG: every party does the same work, so CPU per party = process CPU / n.
      const dkgRuns = n === 3 ? 3 : 2
      let dkgCpu = 0
      let dkgWall = 0
      for (let i = 0; i < dkgRuns; i++) {
        const r = await cpuOf(async () => (keys = await dkg(net, t)))
        dkgCpu += r.cpuMs
        dkgWall += r.wallMs
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
      // CPU per signer (the t signers do the same work) and bytes on the wire between two signers.
      let bytes = 0
      const [a, b] = [net.parties[0]!, net.parties[1]!]
      net.relay.intercept((frame) => {
        if (frame.from === a && frame.to === b) bytes += frame.bytes.length
      })
      const rounds = 5
      const signCpu = await cpuOf(async () => {
        for (let i = 0; i < rounds; i++) {
          digest[1] = i
          await sign(net, t, keys, digest)
        }
      })
      net.relay.intercept(null)
      rows.push({
        config: `${t}-of-${n}`,
        dkgMs: dkgWall / dkgRuns,
        dkgCpuPerParty: dkgCpu / dkgRuns / n,
        signMs,
        signCpuPerSigner: signCpu.cpuMs / rounds / t,
        bytesPerCounterparty: bytes / rounds,
      })
    } finally {
      await net.close()
    }
  }
  const header = ['t-of-n', 'DKG ms', 'DKG CPU/party ms', 'sign ms', 'sign/noble', 'sign CPU/signer ms', 'CPU/noble', 'KB to one counterparty']
  const table = rows.map((r) => [
    r.config,
    fmt(r.dkgMs),
    fmt(r.dkgCpuPerParty),
    fmt(r.signMs),
    `${fmt(r.signMs / nobleMs)}x`,
    fmt(r.signCpuPerSigner),
    `${fmt(r.signCpuPerSigner / nobleMs)}x`,
    fmt(r.bytesPerCounterparty / 1024),
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)))
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
  console.log(`\nMPC: threshold ECDSA (DKLs23) in process over the secure transport; one-party noble secp256k1.sign = ${fmt(nobleMs)} ms`)
  console.log(line(header))
  console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const row of table) console.log(line(row))
  console.log('DKG: Pedersen DKG + base OTs both ways for every pair, until every party holds its share and setups.')
  console.log('Sign: one digest by t parties, from the first message to every signer holding the verified signature')
  console.log('(signing set, setup check, three DKLs23 rounds; all parties share this one thread, so sign ms is the')
  console.log('latency with t parties on one core). CPU/signer: process CPU over the signings / t. KB: encrypted frames')
  console.log('one signer sends to one other per signature.')
  console.log(`(${((performance.now() - started) / 1000).toFixed(1)} s)`)
}

if (import.meta.url === `file://${process.argv[1]}`) await runEcdsaBench()
