// The built @zrkit/relayer-evm as users get it: ESM and CJS load, and it pulls in no node: module (it runs in
// browsers too). Runs after the build (the test script builds first).
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { builtinModules } from 'node:module'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../..', import.meta.url))
const dist = (f: string) => fileURLToPath(new URL(`../../packages/relayer-evm/dist/${f}`, import.meta.url))
const probe = 'typeof z.createEvmRelayer, typeof z.evmAdapter, typeof z.createEvmNonceManager, typeof z.toEvmSignature'

describe('@zrkit/relayer-evm package', () => {
  it('loads as ESM and as CJS', async () => {
    const esm = await run(process.execPath, ['--input-type=module', '-e', `import * as z from '@zrkit/relayer-evm'; console.log(${probe})`], { cwd: root })
    const cjs = await run(process.execPath, ['-e', `const z = require('@zrkit/relayer-evm'); console.log(${probe})`], { cwd: root })
    expect(esm.stdout.trim()).toBe('function function function function')
    expect(cjs.stdout.trim()).toBe(esm.stdout.trim())
  })

  it('keeps Node built-in modules out, and viem and @zrkit/core external', async () => {
    const imported = (code: string) => [...code.matchAll(/(?:from\s*|require\(\s*|import\(\s*)["']([^"']+)["']/g)].map((m) => m[1]!)
    for (const f of ['index.js', 'index.cjs']) {
      const specs = imported(await readFile(dist(f), 'utf8'))
      expect(specs.filter((s) => s.startsWith('node:') || builtinModules.includes(s.split('/')[0]!)), f).toEqual([])
      expect(specs, f).toEqual(expect.arrayContaining(['@zrkit/core', 'viem', 'viem/actions', 'viem/accounts']))
    }
  })
})
