/**
 * zrkit benchmarks. Each figure is printed beside a baseline measured in the same run, as a ratio;
 * nothing here is asserted (machines are noisy).
 *
 *   npx -y pnpm@10 bench
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { type LedgerStore, createConnector, createEmbeddedLedger, createZrClient, generateAccount, localKeyring, memoryStore } from '@zrkit/core'
import { fileStore } from '@zrkit/core/node'

const fmt = (n: number) => n.toFixed(n >= 100 ? 0 : 1)

/** Raw one-party noble ECDSA signs per second: the baseline. */
function nobleSignsPerSecond(ms: number): number {
  const sk = secp256k1.utils.randomSecretKey()
  const digest = sha256(new Uint8Array([1, 2, 3]))
  const start = performance.now()
  let n = 0
  while (performance.now() - start < ms) {
    digest[0] = n & 0xff
    secp256k1.sign(digest, sk, { prehash: false })
    n++
  }
  return n / ((performance.now() - start) / 1000)
}

/** Signature requests per second end to end: request -> connector -> localKeyring -> fulfilled. */
async function endToEndPerSecond(store: LedgerStore, total: number, inFlight: number): Promise<number> {
  const owner = generateAccount()
  const party = generateAccount()
  const ledger = await createEmbeddedLedger({ store, genesis: { chainId: 'bench', balances: [owner, party].map((a) => ({ address: a.address, amount: 10n ** 12n })) } })
  const client = createZrClient({ ledger, account: owner })
  const { keyring } = await client.createKeyring({ description: 'bench', parties: [party.address], partyThreshold: 1, keyRequestFee: 1n, signRequestFee: 1n })
  const connector = createConnector({ ledger, account: party, keyring, backend: localKeyring(), concurrency: inFlight, pollIntervalMs: 0 })
  await connector.start()
  const { workspace } = await client.createWorkspace()
  const key = await client.createKey({ workspace, keyring, keyType: 'ecdsa-secp256k1' })
  let next = 0
  const start = performance.now()
  const worker = async () => {
    while (next < total) {
      const i = next++
      const digest = sha256(new Uint8Array([i & 0xff, (i >> 8) & 0xff, 7]))
      await client.sign({ keyId: key.id, payloads: [digest] })
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker))
  const seconds = (performance.now() - start) / 1000
  await connector.stop()
  await ledger.close()
  return total / seconds
}

const baseline = nobleSignsPerSecond(1000)
console.log(`baseline: one-party noble secp256k1.sign            ${fmt(baseline)} signs/s`)

const rows: [string, number][] = []
rows.push(['end to end, memory ledger', await endToEndPerSecond(memoryStore(), 400, 16)])
const dir = await mkdtemp(join(tmpdir(), 'zrkit-bench-'))
try {
  rows.push(['end to end, file ledger (fsync)', await endToEndPerSecond(fileStore(dir), 400, 16)])
} finally {
  await rm(dir, { recursive: true, force: true })
}
for (const [name, rate] of rows) {
  console.log(`${name.padEnd(50)} ${fmt(rate).padStart(7)} requests/s   noble/e2e = ${fmt(baseline / rate)}x`)
}
console.log('\nEach request: signed tx in, policy check, fee escrow, event, connector pick-up, keyring sign,')
console.log('party-signed response tx, signature verification, fee payout; 3 ECDSA verifies + 3 signs per request.')

const { runMpcBench } = await import('./mpc.js')
await runMpcBench()

const { runEcdsaBench } = await import('./ecdsa.js')
await runEcdsaBench()

const { runNetworkBench } = await import('./network.js')
await runNetworkBench()
