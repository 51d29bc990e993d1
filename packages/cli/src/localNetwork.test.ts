/** startLocalNetwork's options: bad ones are refused with a typed error before any file or process exists. */
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { startLocalNetwork } from './localNetwork.js'

describe('startLocalNetwork options', () => {
  it.each([
    [{ parties: 1 }, /parties: expected an integer in 2\.\.16, got 1/],
    [{ parties: 2.5 }, /parties: expected an integer in 2\.\.16, got 2\.5/],
    [{ parties: 3, threshold: 4 }, /threshold: expected an integer in 1\.\.3, got 4/],
    [{ threshold: '2' }, /threshold: expected an integer in 1\.\.3, got "2"/],
    [{ funds: 0n }, /funds: expected a positive bigint, got 0n/],
    [{ nodeFlags: ['inspect'] }, /nodeFlags: expected a list of Node.js flags \(strings starting with -\), got \["inspect"\]/],
    [{ ledgerPort: 70000 }, /ledgerPort: expected an integer in 0\.\.65535, got 70000/],
    [{ relays: 0 }, /relays: expected an integer in 1\.\.4, got 0/],
    [{ presignatures: 65 }, /presignatures: expected an integer in 0\.\.64, got 65/],
    [{ presignatures: -1 }, /presignatures: expected an integer in 0\.\.64, got -1/],
    [{ onLog: 'yes' }, /onLog: expected a function \(name, line\) => void, got "string"/],
    [{ startTimeoutMs: 5 }, /startTimeoutMs: expected an integer in 1000\.\.3600000, got 5/],
  ] as const)('%o is refused with INVALID_INPUT saying what was expected', async (options, details) => {
    const dir = join(tmpdir(), `zrkit-local-never-${process.pid}-${Math.random().toString(36).slice(2)}`)
    const e = await startLocalNetwork({ ...(options as object), dir }).catch((x: unknown) => x)
    expect(e).toMatchObject({ code: 'INVALID_INPUT' })
    expect((e as { details: string }).details).toMatch(details)
    expect(existsSync(dir)).toBe(false)
  })

  it('a directory that already holds files is refused (its keys are never written over), and nothing in it changes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'zrkit-local-used-'))
    try {
      await writeFile(join(dir, 'user.key'), 'not mine to overwrite')
      const e = await startLocalNetwork({ dir }).catch((x: unknown) => x)
      expect(e).toMatchObject({ code: 'INVALID_INPUT' })
      expect((e as { details: string }).details).toMatch(/dir: expected a new or empty directory .*, got .* holding 1 entries/)
      expect(await readdir(dir)).toEqual(['user.key'])
      expect(await readFile(join(dir, 'user.key'), 'utf8')).toBe('not mine to overwrite')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
