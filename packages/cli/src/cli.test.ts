/**
 * The `zrkit` command line: option parsing, help, logs that never carry a secret, and the account commands, run
 * in process through runCli and once as a real child process (the `zrkit` bin from its sources).
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, stat, chmod, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { createEmbeddedLedger, privateKeyToAccount } from '@zrkit/core'
import { acquireDirectoryLock, listenLedger } from '@zrkit/core/node'
import { afterEach, describe, expect, it } from 'vitest'
import { parseOptions } from './args.js'
import { commands } from './commands/index.js'
import { createLogger } from './log.js'
import { type CliIo, runCli } from './runCli.js'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../../..', import.meta.url))

function io(env: Record<string, string | undefined> = {}) {
  const out: string[] = []
  const err: string[] = []
  const value: CliIo = { out: (l) => void out.push(l), err: (l) => void err.push(l), env, isTTY: false, signal: new AbortController().signal }
  return { io: value, out, err }
}

const dirs: string[] = []
const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const fn of cleanups.splice(0)) await fn()
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})
const tempDir = async () => {
  const d = await mkdtemp(join(tmpdir(), 'zrkit-cli-'))
  dirs.push(d)
  return d
}

describe('parseOptions', () => {
  const specs = {
    port: { kind: 'port', description: 'p', default: 7070 },
    store: { kind: 'path', description: 's', placeholder: 'DIR', required: true },
    passphrase: { kind: 'string', description: 'x', env: 'ZRKIT_PASSPHRASE', secret: true },
    count: { kind: 'integer', description: 'n', min: 1, max: 8 },
    verbose: { kind: 'boolean', description: 'v' },
  } as const

  it('reads --name value, --name=value, booleans, environment fallbacks and defaults', () => {
    expect(parseOptions(specs, ['--store', '/d', '--count=3', '--verbose'], { ZRKIT_PASSPHRASE: 'hunter22' })).toEqual({ port: 7070, store: '/d', passphrase: 'hunter22', count: 3, verbose: true })
    expect(parseOptions(specs, ['--store=/d', '--port', '0'], {})).toEqual({ port: 0, store: '/d' })
  })

  it.each([
    [['--store', '/d', '--port', '70000'], /--port: expected an integer in \[0, 65535\], got "70000"/],
    [['--store', '/d', '--port', 'abc'], /--port: expected an integer in \[0, 65535\], got "abc"/],
    [['--store', '/d', '--count', '9'], /--count: expected an integer in \[1, 8\], got "9"/],
    [[], /expected --store DIR, got neither/],
    [['--store', '/d', '--nope'], /expected only the options listed by --help, got: Unknown option '--nope'/],
    [['--store', '/d', 'extra'], /expected only --options, got "extra"/],
  ])('refuses %j with INVALID_CONFIG saying what was expected and what arrived', (argv, says) => {
    let error: unknown
    try {
      parseOptions(specs, argv, {})
    } catch (e) {
      error = e
    }
    expect((error as { code?: string }).code).toBe('INVALID_CONFIG')
    expect(`${(error as Error).message}`).toMatch(says)
  })

  it('never shows a secret value in an error', () => {
    const secretSpecs = { pin: { kind: 'integer', description: 'a secret number', secret: true } } as const
    let message = ''
    try {
      parseOptions(secretSpecs, ['--pin', 'correct-horse'], {})
    } catch (e) {
      message = String((e as Error).message)
    }
    expect(message).toContain('--pin: expected an integer')
    expect(message).not.toContain('correct-horse')
  })
})

describe('createLogger', () => {
  it('json: one object per line with time, level, msg and fields; secrets redacted by name and by value', () => {
    const lines: string[] = []
    const log = createLogger({ format: 'json', write: (l) => void lines.push(l), secrets: ['s3cret-pass'], now: () => Date.UTC(2026, 0, 1) })
    log.info('started', { url: 'ws://x', passphrase: 'anything', nested: { privateKey: 'k', note: 'has s3cret-pass inside' }, amount: 5n })
    log.debug('not shown at info')
    expect(lines).toHaveLength(1)
    const entry = JSON.parse(lines[0]!)
    expect(entry).toEqual({ time: '2026-01-01T00:00:00.000Z', level: 'info', msg: 'started', url: 'ws://x', passphrase: '[redacted]', nested: { privateKey: '[redacted]', note: 'has [redacted] inside' }, amount: '5' })
  })

  it('pretty: one readable line', () => {
    const lines: string[] = []
    createLogger({ format: 'pretty', write: (l) => void lines.push(l), now: () => Date.UTC(2026, 0, 1, 12, 0, 1) }).warn('slow', { ms: 1500, who: 'party 1' })
    expect(lines).toEqual(['12:00:01 WARN  slow ms=1500 who="party 1"'])
  })
})

describe('zrkit commands', () => {
  it('--help lists the commands; every command has --help', async () => {
    const top = io()
    expect(await runCli(['--help'], commands, top.io)).toBe(0)
    for (const c of commands) expect(top.out.join('\n')).toContain(c.path.join(' '))
    for (const c of commands) {
      const one = io()
      expect(await runCli([...c.path, '--help'], commands, one.io)).toBe(0)
      expect(one.out.join('\n')).toContain(`Usage: zrkit ${c.path.join(' ')} [options]`)
      expect(one.out.join('\n')).toContain('--log-format')
    }
  })

  it('an unknown command or option is exit code 2 with what was expected and what arrived', async () => {
    const a = io()
    expect(await runCli(['ledger', 'explode'], commands, a.io)).toBe(2)
    expect(a.err[0]).toMatch(/expected a command \(.*account new.*\), got "ledger explode"/)
    const b = io()
    expect(await runCli(['account', 'new', '--key-file', 'x', '--color'], commands, b.io)).toBe(2)
    expect(b.err[0]).toMatch(/Unknown option '--color'/)
  })

  it('account new writes a key only its owner can read and prints its address; account address reads it back; nothing overwrites it', async () => {
    const dir = await tempDir()
    const file = join(dir, 'party.key')
    const made = io()
    expect(await runCli(['account', 'new', '--key-file', file], commands, made.io)).toBe(0)
    const address = made.out[0]!
    expect(address).toMatch(/^zen1[02-9ac-hj-np-z]+$/)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    const key = (await readFile(file, 'utf8')).trim()
    expect(privateKeyToAccount(key).address).toBe(address)
    // the key is in no output and no log line
    expect([...made.out, ...made.err].join('\n')).not.toContain(key.slice(2))

    const again = io()
    expect(await runCli(['account', 'new', '--key-file', file], commands, again.io)).toBe(1)
    expect(again.err.join('\n')).toMatch(/expected a path where no file exists/)
    expect((await readFile(file, 'utf8')).trim()).toBe(key)

    const shown = io()
    expect(await runCli(['account', 'address', '--key-file', file], commands, shown.io)).toBe(0)
    expect(shown.out).toEqual([address])
    const fromEnv = io({ PARTY_KEY: key })
    expect(await runCli(['account', 'address', '--key-env', 'PARTY_KEY'], commands, fromEnv.io)).toBe(0)
    expect(fromEnv.out).toEqual([address])
  })

  it('refuses a key file others can read, and a malformed key without showing it', async () => {
    const dir = await tempDir()
    const file = join(dir, 'open.key')
    const secret = `0x${'ab'.repeat(32)}`
    await writeFile(file, `${secret}\n`)
    await chmod(file, 0o644)
    const open = io()
    expect(await runCli(['account', 'address', '--key-file', file], commands, open.io)).toBe(1)
    expect(open.err.join('\n')).toMatch(/expected mode 0600 or stricter .* got 0644/)
    const bad = io({ PARTY_KEY: 'not-a-key-but-secret-text' })
    expect(await runCli(['account', 'address', '--key-env', 'PARTY_KEY'], commands, bad.io)).toBe(1)
    expect(bad.err.join('\n')).toMatch(/expected 0x and 64 hex digits in \$PARTY_KEY/)
    expect(bad.err.join('\n')).not.toContain('not-a-key-but-secret-text')
    expect(JSON.parse(bad.err[0]!)).toMatchObject({ level: 'error', msg: 'account address failed', error: { code: 'INVALID_CONFIG' } })
  })

  it('party start --relay takes one or more ws:// URLs, comma separated; an empty list, another scheme or a repeat is INVALID_CONFIG before anything is dialled', async () => {
    const dir = await tempDir()
    const key = `0x${'cd'.repeat(32)}`
    // the ledger URL is a port nothing listens on: the relay list is checked first
    const argv = (relay: string) => ['party', 'start', '--key-env', 'PARTY_KEY', '--shares', dir, '--ledger', 'ws://127.0.0.1:9', '--relay', relay, '--keyring', 'keyring1x']
    for (const [relay, says] of [
      [' , ', '--relay: expected one or more ws:// or wss:// URLs, comma separated, got " , " (no URL)'],
      ['ws://127.0.0.1:7071,http://127.0.0.1:7072', '--relay: expected ws:// or wss:// URLs such as ws://127.0.0.1:7071, got "http://127.0.0.1:7072"'],
      ['ws://127.0.0.1:7071,relay-b', '--relay: expected ws:// or wss:// URLs such as ws://127.0.0.1:7071, got "relay-b"'],
      ['ws://127.0.0.1:7071, ws://127.0.0.1:7071', '--relay: expected each relay once, got "ws://127.0.0.1:7071" twice'],
    ] as const) {
      const r = io({ PARTY_KEY: key, ZRKIT_PASSPHRASE: 'pw-not-logged' })
      expect(await runCli(argv(relay), commands, r.io)).toBe(1)
      const line = JSON.parse(r.err.at(-1)!)
      expect(line).toMatchObject({ level: 'error', msg: 'party start failed', error: { code: 'INVALID_CONFIG' }, details: says })
      expect(r.err.join('\n')).not.toContain('pw-not-logged')
    }
    const help = io()
    expect(await runCli(['party', 'start', '--help'], commands, help.io)).toBe(0)
    expect(help.out.join('\n')).toMatch(/--relay URL\[,URL\.\.\.\]\s+the party relay, or several comma separated \(required\)/)
    expect(help.out.join('\n')).toContain('as soon as one relay answers')
  })

  it('party start locks its share directory: a second party on it refuses to start, naming the holder; the lock is given back on exit', async () => {
    const dir = join(await tempDir(), 'shares')
    const key = `0x${'cd'.repeat(32)}`
    // a real ledger server without that keyring: a party that holds the directory stops there, at once
    const ledger = await createEmbeddedLedger({ genesis: { chainId: 'zrkit-cli-lock' } })
    const server = await listenLedger(ledger, { port: 0 })
    cleanups.push(async () => {
      await server.close()
      await ledger.close()
    })
    const argv = ['party', 'start', '--key-env', 'PARTY_KEY', '--shares', dir, '--ledger', server.url, '--relay', 'ws://127.0.0.1:7071', '--keyring', 'keyring1x']
    // free (and missing: made, mode 0700): it takes the lock, finds no keyring, and gives the lock back
    const first = io({ PARTY_KEY: key, ZRKIT_PASSPHRASE: 'pw-not-logged' })
    expect(await runCli(argv, commands, first.io)).toBe(1)
    expect(JSON.parse(first.err.at(-1)!)).toMatchObject({ msg: 'party start failed', error: { code: 'KEYRING_NOT_FOUND' } })
    expect((await stat(dir)).mode & 0o777).toBe(0o700)
    const holder = await acquireDirectoryLock(dir, { label: 'share directory' })
    try {
      // held (here by this test process, as by a party process running on it): refused before anything is dialled
      const second = io({ PARTY_KEY: key, ZRKIT_PASSPHRASE: 'pw-not-logged' })
      expect(await runCli(argv, commands, second.io)).toBe(1)
      const line = JSON.parse(second.err.at(-1)!)
      expect(line).toMatchObject({ level: 'error', msg: 'party start failed', error: { code: 'LEDGER_UNAVAILABLE' } })
      expect(JSON.stringify(line)).toContain(`share directory ${dir} is locked by process ${process.pid}`)
      expect(second.err.join('\n')).not.toContain('pw-not-logged')
    } finally {
      await holder.release()
    }
  })

  it('runs as a real process: the zrkit bin prints the address and exits 0, a wrong command line exits 2', async () => {
    const dir = await tempDir()
    const file = join(dir, 'p.key')
    const bin = ['--import', 'tsx', join(root, 'packages/cli/src/bin.ts')]
    const made = await run(process.execPath, [...bin, 'account', 'new', '--key-file', file], { cwd: root })
    expect(made.stdout.trim()).toMatch(/^zen1/)
    const shown = await run(process.execPath, [...bin, 'account', 'address', '--key-file', file], { cwd: root })
    expect(shown.stdout.trim()).toBe(made.stdout.trim())
    const wrong = await run(process.execPath, [...bin, 'account', 'new'], { cwd: root }).then(
      () => undefined,
      (e: { code?: number; stderr?: string }) => e,
    )
    expect(wrong?.code).toBe(2)
    expect(wrong?.stderr).toMatch(/expected --key-file FILE, got neither/)
  }, 60_000)
})
