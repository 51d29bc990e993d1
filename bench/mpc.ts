/**
 * MPC benchmark: FROST key generation and threshold signing of the zrkit federation, in process over the
 * real secure transport (signed announcements, encrypted channels, signed broadcasts, echo checks), each
 * beside one-party noble signing of the same scheme, measured in the same run. Nothing is asserted.
 *
 *   npx tsx bench/mpc.ts        (also run at the end of `npx -y pnpm@10 bench`)
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { schnorr } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { type Account, type KeyType, generateAccount } from '@zrkit/core'
import { type FrostKey, type SecureTransport, type SessionRouter, createSessionRouter, frostSuite, memoryRelay, runDkg, runSigning, secureTransport } from '@zrkit/mpc'

const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n >= 1 ? n.toFixed(2) : n.toFixed(3))

/** Runs `fn` at least `min` times and until `budgetMs` is spent (at most `max` times); mean ms per run. */
async function measure(fn: (i: number) => Promise<unknown> | unknown, budgetMs: number, min: number, max: number, warmUp = true): Promise<number> {
  if (warmUp) await fn(-1) // not counted
  let n = 0
  const start = performance.now()
  while (n < max && (n < min || performance.now() - start < budgetMs)) await fn(n++)
  return (performance.now() - start) / n
}

/** One-party noble signing of a 32-byte digest: the baseline of each scheme. */
async function nobleSignMs(keyType: KeyType): Promise<number> {
  const secret = keyType === 'eddsa-ed25519' ? ed25519.utils.randomSecretKey() : schnorr.utils.randomSecretKey()
  const digest = sha256(new Uint8Array([1, 2, 3]))
  return measure(
    (i) => {
      digest[0] = i & 0xff
      return keyType === 'eddsa-ed25519' ? ed25519.sign(digest, secret) : schnorr.sign(digest, secret)
    },
    500,
    50,
    100_000,
  )
}

type Network = { parties: string[]; accounts: Account[]; routers: SessionRouter[]; transports: SecureTransport[]; close(): Promise<void> }

/** n parties in this process, each with its own account, secure transport and session router. */
async function network(n: number): Promise<Network> {
  const relay = memoryRelay()
  const accounts = Array.from({ length: n }, () => generateAccount())
  const parties = accounts.map((a) => a.address)
  const transports = await Promise.all(accounts.map((account) => secureTransport({ account, relay, peers: parties.filter((p) => p !== account.address) })))
  const routers = transports.map((t) => createSessionRouter(t))
  return {
    parties,
    accounts,
    routers,
    transports,
    async close() {
      routers.forEach((r) => r.close())
      await Promise.all(transports.map((t) => t.close()))
    },
  }
}

let sessions = 0

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

type Row = { scheme: string; config: string; nobleMs: number; dkgMs: number; signMs: number }

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
  const noble = new Map<KeyType, number>()
  for (const { keyType } of schemes) noble.set(keyType, await nobleSignMs(keyType))

  const rows: Row[] = []
  for (const { t, n } of configs) {
    const net = await network(n)
    try {
      for (const { keyType, scheme } of schemes) {
        let keys: FrostKey[] = []
        // the smallest configuration warms the code up; larger ones are too slow to spend a run on it
        const warmUp = n === configs[0].n
        const dkgMs = await measure(async () => (keys = await dkg(net, keyType, t)), 800, 2, 50, warmUp)

        const message = sha256(new Uint8Array([t, n]))
        const signMs = await measure(
          async (i) => {
            message[0] = i & 0xff
            await sign(net, keyType, t, keys, message)
          },
          800,
          3,
          200,
          warmUp,
        )
        rows.push({ scheme, config: `${t}-of-${n}`, nobleMs: noble.get(keyType)!, dkgMs, signMs })
      }
    } finally {
      await net.close()
    }
  }

  const header = ['scheme', 't-of-n', 'noble sign ms', 'FROST DKG ms', 'DKG frost/noble', 'FROST sign ms', 'sign frost/noble']
  const table = rows.map((r) => [r.scheme, r.config, fmt(r.nobleMs), fmt(r.dkgMs), `${fmt(r.dkgMs / r.nobleMs)}x`, fmt(r.signMs), `${fmt(r.signMs / r.nobleMs)}x`])
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)))
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
  console.log('\nMPC: FROST in process over the secure transport, against one-party noble signing of the same scheme')
  console.log(line(header))
  console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const row of table) console.log(line(row))
  console.log('DKG: start to every party holding its key package. Sign: start to every party holding the verified')
  console.log('aggregate (nonce commitments, signing package, signature shares; every share and the result verified).')
  console.log(`(${((performance.now() - started) / 1000).toFixed(1)} s)`)
}

// Run directly: `npx tsx bench/mpc.ts`.
if (import.meta.url === `file://${process.argv[1]}`) await runMpcBench()
