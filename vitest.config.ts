import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'
import { FULL_RUN_VARIABLE, fullRun } from './packages/testkit/src/scale.js'

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url))

/**
 * The slow suites that only the full run (`pnpm test:full`, `ZRKIT_FULL=1`, what CI runs) includes: end-to-end
 * suites against local chains (anvil, bcoin, the SVM) and child processes (network mode: five zrkit processes), the examples run as a user runs them,
 * the hostile-input matrices over every export, and the lock races between processes. The default run
 * (`pnpm test`) runs every other file, with each scaled test at its quick size (see `@zrkit/testkit` `scaled`).
 */
export const fullRunOnly = [
  'test/evm/relayerEvm.test.ts',
  'test/evm/relayerCrash.test.ts',
  'test/evm/relayerStalls.test.ts',
  'test/evm/relayerReplicas.test.ts',
  'test/bitcoin/relayerBitcoin.test.ts',
  'test/bitcoin/taprootRelay.test.ts',
  'test/bitcoin/relayerLeftRunning.test.ts',
  'test/solana/relayerSolana.test.ts',
  'test/solana/relayerResend.test.ts',
  'test/durability/durability.test.ts',
  'test/examples.test.ts',
  'test/readmeCode.test.ts',
  'packages/core/src/exports.inputs.test.ts',
  'packages/mpc/src/exports.inputs.test.ts',
  'packages/core/src/fs/directoryLock.race.test.ts',
  'packages/cli/src/network.test.ts',
  'test/network/networkFaults.test.ts',
  'test/network/twoRelays.test.ts',
  'test/network/presignatures.test.ts',
  'packages/cli/src/devnet.test.ts',
  'test/transactions/evm.test.ts',
  'test/transactions/bitcoin.test.ts',
  'test/transactions/solana.test.ts',
]
// A renamed or removed suite must not silently fall into the default run.
for (const file of fullRunOnly) if (!existsSync(src(`./${file}`))) throw new Error(`vitest.config.ts fullRunOnly: ${file} does not exist`)

const full = fullRun()

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources, not the built dist.
    alias: [
      { find: /^@zrkit\/core\/node$/, replacement: src('./packages/core/src/node.ts') },
      { find: /^@zrkit\/core\/internal$/, replacement: src('./packages/core/src/internal.ts') },
      { find: /^@zrkit\/core$/, replacement: src('./packages/core/src/index.ts') },
      { find: /^@zrkit\/mpc\/node$/, replacement: src('./packages/mpc/src/node.ts') },
      { find: /^@zrkit\/mpc\/internal$/, replacement: src('./packages/mpc/src/internal.ts') },
      { find: /^@zrkit\/mpc$/, replacement: src('./packages/mpc/src/index.ts') },
      { find: /^@zrkit\/relayer-evm\/decoder$/, replacement: src('./packages/relayer-evm/src/decoder/index.ts') },
      { find: /^@zrkit\/relayer-evm$/, replacement: src('./packages/relayer-evm/src/index.ts') },
      { find: /^@zrkit\/relayer-bitcoin\/decoder$/, replacement: src('./packages/relayer-bitcoin/src/decoder/index.ts') },
      { find: /^@zrkit\/relayer-bitcoin$/, replacement: src('./packages/relayer-bitcoin/src/index.ts') },
      { find: /^@zrkit\/relayer-cosmos\/decoder$/, replacement: src('./packages/relayer-cosmos/src/decoder/index.ts') },
      { find: /^@zrkit\/relayer-cosmos$/, replacement: src('./packages/relayer-cosmos/src/index.ts') },
      { find: /^@zrkit\/relayer-solana\/decoder$/, replacement: src('./packages/relayer-solana/src/decoder/index.ts') },
      { find: /^@zrkit\/relayer-solana$/, replacement: src('./packages/relayer-solana/src/index.ts') },
      { find: /^@zrkit\/cli$/, replacement: src('./packages/cli/src/index.ts') },
      // The private test helpers (never published).
      { find: /^@zrkit\/testkit$/, replacement: src('./packages/testkit/src/index.ts') },
      { find: /^@zrkit\/testkit\/mpc$/, replacement: src('./packages/testkit/src/mpc/index.ts') },
      { find: /^@zrkit\/testkit\/cosmos$/, replacement: src('./packages/testkit/src/cosmos/index.ts') },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts', 'examples/*/src/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', ...(full ? [] : fullRunOnly)],
    // Files run side by side, one per core and at least two (vitest's own default is one fewer than the cores:
    // one file at a time on two): no suite binds a fixed port (local chains and servers listen on port 0) and
    // each uses its own temporary directories. Not more than the cores: the MPC suites time their rounds.
    maxWorkers: Math.max(2, availableParallelism()),
    // Worker threads start and load modules faster than child processes (about 15 s of a default run on two
    // cores); every suite that needs a process of its own (chains, servers, lock races) spawns it.
    pool: 'threads',
    // The default run loads the modules once per worker and runs its files in them one after another (no suite
    // mocks modules or leaves a global changed): about 20 s less. The full
    // run, what CI runs, gives every file fresh modules.
    isolate: full,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    env: { [FULL_RUN_VARIABLE]: full ? '1' : '0' },
  },
})
