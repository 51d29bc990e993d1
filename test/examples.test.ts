// Runs every example as a user would (against the built packages), so none of them can rot.
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = fileURLToPath(new URL('..', import.meta.url))
const tsx = (file: string, ...args: string[]) => run(process.execPath, ['--import', 'tsx', file, ...args], { cwd: root, timeout: 240_000 })
/** tsx by absolute URL, for runs whose working directory is not the repository. */
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href

async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'zrkit-example-'))
  try {
    return await fn(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

describe('examples', () => {
  it('demo: both lifecycles end to end, signature verified with noble', { timeout: 300_000 }, async () => {
    const { stdout } = await tsx('examples/demo/src/demo.ts')
    expect(stdout).toContain('key request 1: fulfilled')
    expect(stdout).toContain('signature request 1: partial')
    expect(stdout).toContain('action 1: approved')
    expect(stdout).toContain('signature request 1: pending')
    expect(stdout).toContain('signature request 1: fulfilled')
    expect(stdout).toContain('secp256k1.verify: true')
    expect(stdout).toMatch(/alice\s+999690/)
    expect(stdout).toMatch(/keyring 310/)
    // addresses of the key in every wallet format it fits, and of child keys
    expect(stdout).toMatch(/"type":"evm"\}\s+0x[0-9a-fA-F]{40}/)
    expect(stdout).toMatch(/\s(zen1|cosmos1|bc1q|tb1q|bcrt1q|t1)[0-9a-zA-Z]+\n/)
    expect(stdout).toMatch(/child m\/0\/1\s+evm 0x[0-9a-fA-F]{40}/)
    expect(stdout).toMatch(/solana\s+[1-9A-HJ-NP-Za-km-z]{32,44}/)
    expect(stdout).toMatch(/taproot bc1p[02-9ac-hj-np-z]{58}/)
    expect(stdout).toContain('xpub661MyMwAqRbc')
    // the 2-of-3 FROST federation: ed25519 and taproot keys, signatures under the policy, a party down
    expect(stdout).toMatch(/ed25519 signature request \d+: fulfilled, responses from [23] parties, ed25519.verify: true/)
    expect(stdout).toMatch(/taproot signature request \d+: fulfilled, key-path output key [0-9a-f]{16}\.\.\., schnorr.verify: true/)
    expect(stdout).toMatch(/solana [1-9A-HJ-NP-Za-km-z]{32,44}/)
    expect(stdout).toMatch(/taproot tb1p[02-9ac-hj-np-z]{58}/)
    expect(stdout).toMatch(/signature request \d+: fulfilled by zen1\S+, zen1\S+, ed25519.verify: true/)
    // the threshold ECDSA (DKLs23) key of the federation signs under the policy; the signer recovers to its address
    expect(stdout).toMatch(/ECDSA signature request \d+: fulfilled, key recovered from r, s, v -> 0x[0-9a-fA-F]{40} \(the key's address: true\)/)
    // the same key spends two regtest coins from its P2WPKH address through the Bitcoin relayer, mined
    expect(stdout).toMatch(/broadcast [0-9a-f]{64}: in the node's mempool: true/)
    expect(stdout).toMatch(/mined at height \d+: in the block: true; \d+ sat of change back to the key's address/)
    // the ECDSA key sends a transaction on a local anvil through the EVM relayer, Bob approving
    expect(stdout).toMatch(/transaction 0x[0-9a-f]{64} \(signature request \d+\): success in block \d+/)
    // a sign policy that reads the transaction: a small payment on Alice alone, a large one after Bob read the decoded transaction
    expect(stdout).toMatch(/0\.05 ETH: sign-transaction request \d+ is pending \(no approval needed beyond Alice\)/)
    expect(stdout).toMatch(/0\.05 ETH: approved by the clause tx\.value <= 0\.1 eth && any\(1, \[alice, bob\]\); transaction 0x[0-9a-f]{64} success/)
    expect(stdout).toMatch(/transfer 0\.5 ETH to 0x70997970c51812dc3a010c7d01b50e0d17dc79c8\n[^\n]*fee at most [0-9.]+ ETH; nonce \d+\n\s+tx\.value <= 0\.1 eth: false \(moves 0\.5 eth\)/)
    expect(stdout).toMatch(/0\.5 ETH: approved by the clause all\(\[alice, bob\]\); transaction 0x[0-9a-f]{64} success/)
    // the same key signs a Cosmos bank send through the Cosmos relayer, verified offline with cosmjs
    expect(stdout).toMatch(/tx [0-9A-F]{64} \(\d+ bytes, fee 2500uosmo\)\n\s+cosmjs Secp256k1.verifySignature: true; signer is the sender/)
    // the ed25519 key sends SOL on an in-process SVM through the Solana relayer, Bob approving
    expect(stdout).toMatch(/transaction [1-9A-HJ-NP-Za-km-z]{64,88} \(signature request \d+\): finalized in slot \d+, ed25519.verify: true\n\s+[1-9A-HJ-NP-Za-km-z]{32,44} now holds 0.25 SOL/)
  })

  it('quickstart: the README quick start runs and verifies', async () => {
    const { stdout } = await tsx('examples/quickstart/src/quickstart.ts')
    expect(stdout.trim()).toBe('verified: true')
  })

  it('durable ledger: runs again and again in the same directory, on the same chain as the same account', async () => {
    await withTempDir(async (dir) => {
      const runs = []
      for (let i = 0; i < 3; i++) runs.push((await tsx('examples/quickstart/src/durableLedger.ts', dir)).stdout.trim())
      const line = /^(zen1[02-9ac-hj-np-z]+) created workspace1[02-9ac-hj-np-z]+; owns (\d+) workspace\(s\) at height (\d+)$/
      const parsed = runs.map((r) => line.exec(r))
      expect(parsed.every(Boolean), runs.join('\n')).toBe(true)
      expect(new Set(parsed.map((m) => m![1])).size).toBe(1)
      expect(parsed.map((m) => m![2])).toEqual(['1', '2', '3'])
      const heights = parsed.map((m) => Number(m![3]))
      expect(heights[1]).toBeGreaterThan(heights[0]!)
      expect(heights[2]).toBeGreaterThan(heights[1]!)
    })
  })

  it('core README: its example, as written, runs twice in the same directory', async () => {
    const readme = await readFile(join(root, 'packages/core/README.md'), 'utf8')
    const code = /^```ts\n([\s\S]*?)^```$/m.exec(readme)?.[1]
    expect(code).toContain('fileStore(')
    await withTempDir(async (dir) => {
      // A project of its own: the example's dependencies are the quickstart's (the built packages).
      await symlink(join(root, 'examples/quickstart/node_modules'), join(dir, 'node_modules'), 'dir')
      await writeFile(join(dir, 'package.json'), JSON.stringify({ private: true, type: 'module' }))
      await writeFile(join(dir, 'readme.ts'), code!)
      const once = () => run(process.execPath, ['--import', tsxLoader, 'readme.ts'], { cwd: dir, timeout: 60_000 })
      await once()
      await once() // the chain on disk is reopened, not refused as another chain
    })
  })

  it('custom keyring: retries while sealed, signs, and its refusal becomes a rejection with the reason', async () => {
    const { stdout } = await tsx('examples/custom-keyring/src/main.ts')
    expect(stdout).toContain('connector: retry key 1')
    expect(stdout).toContain('signed and verified: true')
    expect(stdout).toContain('refused by the plugin:')
    expect(stdout).toContain('does not start with "zrkit:"')
  })
})
