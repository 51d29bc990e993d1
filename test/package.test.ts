// The built @zrkit/core as users get it: ESM and CJS entries load, and the main entry (which runs in
// browsers) pulls in no node: module. Runs after the build (the test script builds first).
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { builtinModules } from 'node:module'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = fileURLToPath(new URL('..', import.meta.url))
const dist = (f: string) => fileURLToPath(new URL(`../packages/core/dist/${f}`, import.meta.url))

describe('@zrkit/core package', () => {
  it('loads as ESM and as CJS, main and node entries', async () => {
    const esm = await run(process.execPath, ['--input-type=module', '-e', "import * as z from '@zrkit/core'; import { fileStore } from '@zrkit/core/node'; console.log(typeof z.createEmbeddedLedger, typeof z.createZrClient, typeof fileStore, z.generateAccount('p').address)"], { cwd: root })
    const cjs = await run(process.execPath, ['-e', "const z = require('@zrkit/core'); const { fileStore } = require('@zrkit/core/node'); console.log(typeof z.createEmbeddedLedger, typeof z.createZrClient, typeof fileStore, z.generateAccount('p').address)"], { cwd: root })
    expect(esm.stdout.trim()).toMatch(/^function function function zen1[02-9ac-hj-np-z]+$/)
    expect(cjs.stdout.trim()).toBe(esm.stdout.trim())
  })

  it('keeps Node built-in modules out of the main (browser) entry', async () => {
    const imported = (code: string) => [...code.matchAll(/(?:from\s*|require\(\s*|import\(\s*)["']([^"']+)["']/g)].map((m) => m[1]!)
    const isBuiltin = (spec: string) => spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0]!)
    for (const f of ['index.js', 'index.cjs']) {
      const specs = imported(await readFile(dist(f), 'utf8'))
      expect(specs.length, f).toBeGreaterThan(0)
      expect(specs.filter(isBuiltin), f).toEqual([])
    }
    // the node entry is where they live
    expect(imported(await readFile(dist('node.js'), 'utf8')).filter(isBuiltin)).toContain('node:fs/promises')
  })
})
