import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { ZrError } from '@zrkit/core'
import { afterEach, describe, expect, it } from 'vitest'
import { expectZrError, frostVector, frostVectorNames, fullRun, fuzzRuns, rejection, scaled, until } from './index.js'

// The helpers every suite leans on: the full-run switch, the vendored vectors, and the assertions.

describe('the full-run switch', () => {
  const saved = process.env.ZRKIT_FULL
  afterEach(() => {
    if (saved === undefined) delete process.env.ZRKIT_FULL
    else process.env.ZRKIT_FULL = saved
  })

  it('scales every scaled test by ZRKIT_FULL alone', () => {
    delete process.env.ZRKIT_FULL
    expect([fullRun(), scaled(10, 2000), fuzzRuns(), fuzzRuns(200, 5)]).toEqual([false, 10, 200, 40])
    process.env.ZRKIT_FULL = '1'
    expect([fullRun(), scaled(10, 2000), fuzzRuns(), fuzzRuns(200, 5)]).toEqual([true, 2000, 3000, 600])
    process.env.ZRKIT_FULL = '0'
    expect(fullRun()).toBe(false)
  })

  it('refuses a value it does not know instead of running the quick suite', () => {
    process.env.ZRKIT_FULL = 'yes'
    expect(() => fullRun()).toThrow('ZRKIT_FULL: expected 1, true, 0, false or unset, got "yes"')
  })
})

describe('vendored FROST vectors', () => {
  const readme = readFileSync(fileURLToPath(new URL('../vectors/README.md', import.meta.url)), 'utf8')

  it.each(frostVectorNames.map((n) => [n]))('%s is byte for byte the file the README names, and parses', (name) => {
    const bytes = readFileSync(fileURLToPath(new URL(`../vectors/frost/${name}.json`, import.meta.url)))
    expect(readme).toContain(`${createHash('sha256').update(bytes).digest('hex')}  frost/${name}.json`)
    expect(frostVector<object>(name)).toBeTypeOf('object')
  })

  it('names the source and commit of every file', () => {
    for (const name of frostVectorNames) expect(readme).toContain(name.replace(/_dkg$/, ''))
    expect(readme).toContain('127452b93acb3094a6f659d059550df5618c2714')
    expect(readme).toContain('0966bd1529aa062ad3b621af99e277f976b1c0f0')
  })

  it('refuses a name it does not vendor', () => {
    expect(() => frostVector('rfc9591-p256-sha256')).toThrow('frostVector: expected one of rfc9591-ed25519-sha512')
  })
})

describe('assertions', () => {
  it('until waits for a condition and fails, never hangs, when it does not come', async () => {
    let n = 0
    await until(() => ++n > 30, 'thirty checks')
    expect(n).toBe(31)
    await expect(until(() => false, 'nothing', { timeoutMs: 50 })).rejects.toThrow('timed out waiting for nothing')
  })

  it('rejection returns the ZrError, fails on success, rethrows anything else', async () => {
    const e = new ZrError('INVALID_INPUT', 'Invalid input.')
    expect(await rejection(Promise.reject(e))).toBe(e)
    await expect(rejection(Promise.resolve(1))).rejects.toThrow('expected a rejection, but it resolved')
    const plain = new TypeError('not a ZrError')
    await expect(rejection(Promise.reject(plain))).rejects.toBe(plain)
  })

  it('expectZrError checks the code and the details', async () => {
    const e = new ZrError('INVALID_INPUT', 'Invalid input.', { details: 'expected 32 bytes, got 31' })
    expect(await expectZrError(Promise.reject(e), 'INVALID_INPUT', /got 31/)).toBe(e)
    await expect(expectZrError(Promise.reject(e), 'INVALID_INPUT', 'got 30')).rejects.toThrow('to match got 30')
    await expect(expectZrError(Promise.reject(e), 'ABORTED')).rejects.toThrow('expected a ZrError ABORTED, got INVALID_INPUT')
  })
})
