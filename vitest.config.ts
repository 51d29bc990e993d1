import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url))

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources, not the built dist.
    alias: [
      { find: /^@zrkit\/core\/node$/, replacement: src('./packages/core/src/node.ts') },
      { find: /^@zrkit\/core$/, replacement: src('./packages/core/src/index.ts') },
      { find: /^@zrkit\/mpc$/, replacement: src('./packages/mpc/src/index.ts') },
      { find: /^@zrkit\/relayer-evm$/, replacement: src('./packages/relayer-evm/src/index.ts') },
      { find: /^@zrkit\/relayer-bitcoin$/, replacement: src('./packages/relayer-bitcoin/src/index.ts') },
      { find: /^@zrkit\/relayer-cosmos$/, replacement: src('./packages/relayer-cosmos/src/index.ts') },
      { find: /^@zrkit\/relayer-solana$/, replacement: src('./packages/relayer-solana/src/index.ts') },
      // The private test helpers (never published).
      { find: /^@zrkit\/testkit$/, replacement: src('./packages/testkit/src/index.ts') },
      { find: /^@zrkit\/testkit\/mpc$/, replacement: src('./packages/testkit/src/mpc/index.ts') },
      { find: /^@zrkit\/testkit\/cosmos$/, replacement: src('./packages/testkit/src/cosmos/index.ts') },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts', 'examples/*/src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
