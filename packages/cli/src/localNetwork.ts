import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { type WriteStream, createWriteStream } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve as resolvePath } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { type Account, ZrError, connectLedgerWs, createZrClient } from '@zrkit/core'
import { WebSocket } from 'ws'
import { transactionDecoderIds } from './transactionDecoders.js'
import { createAccountKeyFile } from './accountKey.js'

/** Options of {@link startLocalNetwork}. */
export type LocalNetworkOptions = {
  /** MPC parties of the keyring, each its own process (default 3; 2..16). */
  readonly parties?: number | undefined
  /** Party responses needed (default 2; 1..parties). */
  readonly threshold?: number | undefined
  /**
   * Where the network keeps its files: account keys (mode 0600), genesis, the ledger store, each party's
   * encrypted shares and each process's log (`<name>.log`, one JSON object per line). Default: a new
   * temporary directory, removed by `stop()`; a directory given must be new or empty, and is kept.
   */
  readonly dir?: string | undefined
  /** Ledger server port (default 0: any free port; kept across restarts). */
  readonly ledgerPort?: number | undefined
  /** Relay port (default 0: any free port; kept across restarts). With several relays, the first one's. */
  readonly relayPort?: number | undefined
  /**
   * Relays to run (default 1; up to 4), each its own process: every party is given all of them
   * (`zrkit party start --relay A,B`), sends each frame through every relay that is up and keeps working while
   * at least one is.
   */
  readonly relays?: number | undefined
  /** Balance of the funded user account and of each party (default 10^12). */
  readonly funds?: bigint | undefined
  /** Passed to every `zrkit party start`: how long a signing round waits, in ms (the CLI's default otherwise). */
  readonly attemptTimeoutMs?: number | undefined
  /** Passed to every `zrkit party start`: requests worked on at once (the CLI's default otherwise). */
  readonly concurrency?: number | undefined
  /**
   * Passed to every `zrkit party start` as `--presignatures N`: ECDSA presignatures each party keeps per key and
   * signing set, made in the background after each signing (default 0: none; 0..64).
   */
  readonly presignatures?: number | undefined
  /** How long each process has to come up, in ms (default 120 000). */
  readonly startTimeoutMs?: number | undefined
  /** Extra Node.js flags for every process, e.g. `['--cpu-prof', '--cpu-prof-dir=prof']` to profile each one. */
  readonly nodeFlags?: readonly string[] | undefined
  /** Every log line of every process as it arrives (`name` is `ledger`, `relay` (`relay-2`, ...), `party-1`, ...). */
  readonly onLog?: ((name: string, line: string) => void) | undefined
}

/** One process of a {@link LocalNetwork}. */
export type LocalProcess = {
  /** `ledger`, `relay` (then `relay-2`, ...), `party-1`, `party-2`, ... */
  readonly name: string
  /** The operating system's process id while it runs. */
  readonly pid: number | undefined
  /** True from start to exit. */
  running(): boolean
  /** The newest lines of its log (JSON, one object per line), across restarts. */
  logs(): readonly string[]
  /**
   * Sends `signal` (default `SIGTERM`: drain and exit) and resolves with the exit code, or the signal's name
   * when it was killed (`'SIGKILL'`). At once if it is not running.
   */
  kill(signal?: NodeJS.Signals): Promise<number | string | null>
  /** Starts it again as before: the same port, store, account key and shares. Refused while it runs. */
  restart(): Promise<void>
}

/** A party process of a {@link LocalNetwork}. */
export type LocalParty = LocalProcess & {
  /** Its account address (`zen1...`), a party of the keyring. */
  readonly address: string
}

/** A running local network: see {@link startLocalNetwork}. */
export type LocalNetwork = {
  readonly dir: string
  readonly chainId: string
  /** The ledger server, `ws://127.0.0.1:port`: give it to `connectLedgerWs`. */
  readonly ledgerUrl: string
  /** The party relay, `ws://127.0.0.1:port` (the first one, with several). */
  readonly relayUrl: string
  /** Every relay's URL, in the order of `relays`. */
  readonly relayUrls: readonly string[]
  /** The registered keyring of the parties (`keyring1...`). */
  readonly keyring: string
  /** A funded account for the user (its key is also in `<dir>/user.key`). */
  readonly user: Account
  readonly ledger: LocalProcess
  readonly relay: LocalProcess
  /** Every relay process (`relays[0]` is `relay`). */
  readonly relays: readonly LocalProcess[]
  readonly parties: readonly LocalParty[]
  /**
   * Stops every process with SIGTERM (parties first, then the relay, then the ledger: work in flight
   * ends), SIGKILL after 15 s; removes a temporary directory. Resolves with each process's exit code.
   */
  stop(): Promise<Record<string, number | string | null>>
}

const logLines = 2000

/**
 * Starts a whole zrkit network on this machine, each part its own OS process running the `zrkit` CLI: a
 * durable ledger server (`zrkit ledger serve`), the party relay (`zrkit relay serve`) and `parties` MPC
 * parties (`zrkit party start`), each with its own account, encrypted share directory and connector; the
 * keyring is registered with the parties. For trying network mode, for a dApp's integration tests, and for
 * fault drills: every process can be killed (`SIGKILL` too) and restarted with the same state.
 *
 * Accounts are generated and funded in a fresh genesis, which runs the four transaction decoders (sign
 * policies can read EVM, Bitcoin, Solana and Cosmos transactions); the parties' share passphrase is random
 * and kept in memory only. Listens on 127.0.0.1 only.
 *
 * @example
 * ```ts
 * import { startLocalNetwork } from '@zrkit/cli'
 * import { connectLedgerWs, createZrClient } from '@zrkit/core'
 * import { WebSocket } from 'ws'
 *
 * const net = await startLocalNetwork({ parties: 3, threshold: 2 })
 * const ledger = await connectLedgerWs(net.ledgerUrl, { WebSocket })
 * const client = createZrClient({ ledger, account: net.user })
 * const { workspace } = await client.createWorkspace()
 * const key = await client.createKey({ workspace, keyring: net.keyring, keyType: 'ecdsa-secp256k1' })
 * await net.parties[0]!.kill('SIGKILL') // 2 of 3 still sign
 * await ledger.close()
 * await net.stop()
 * ```
 */
export async function startLocalNetwork(options: LocalNetworkOptions = {}): Promise<LocalNetwork> {
  const n = checkInt('parties', options.parties, 3, 2, 16)
  const threshold = checkInt('threshold', options.threshold, 2, 1, n)
  const relayCount = checkInt('relays', options.relays, 1, 1, 4)
  const presignatures = checkInt('presignatures', options.presignatures, 0, 0, 64)
  const startTimeoutMs = checkInt('startTimeoutMs', options.startTimeoutMs, 120_000, 1000, 3_600_000)
  const flags = options.nodeFlags ?? []
  if (!Array.isArray(flags) || flags.some((f) => typeof f !== 'string' || !f.startsWith('-'))) throw bad('nodeFlags', 'a list of Node.js flags (strings starting with -)', flags)
  const funds = options.funds ?? 10n ** 12n
  if (typeof funds !== 'bigint' || funds <= 0n) throw bad('funds', 'a positive bigint', funds)
  const ledgerPort = checkInt('ledgerPort', options.ledgerPort, 0, 0, 65_535)
  const relayPort = checkInt('relayPort', options.relayPort, 0, 0, 65_535)
  if (options.onLog !== undefined && typeof options.onLog !== 'function') throw bad('onLog', 'a function (name, line) => void', typeof options.onLog)
  if (options.dir !== undefined && (typeof options.dir !== 'string' || options.dir.length === 0)) throw bad('dir', 'a directory path', options.dir)
  const temporary = options.dir === undefined
  if (!temporary) {
    // a network's files are its own: keys are never written over
    const existing = await readdir(resolvePath(options.dir!)).catch(() => [])
    if (existing.length > 0) throw bad('dir', 'a new or empty directory (a local network keeps its keys and stores there; remove it or give another)', `${options.dir} holding ${existing.length} entries`)
  }
  const dir = options.dir !== undefined ? resolvePath(options.dir) : await mkdtemp(join(tmpdir(), 'zrkit-local-'))
  await mkdir(dir, { recursive: true })
  const started: Spawned[] = []
  const killAll = () => {
    for (const p of started) p.child?.kill('SIGKILL')
  }
  // Children must not outlive a parent that exits without stop().
  process.once('exit', killAll)
  try {
    const key = async (name: string) => createAccountKeyFile(join(dir, `${name}.key`))
    const operator = await key('operator')
    const user = await key('user')
    const partyAccounts: Account[] = []
    for (let i = 1; i <= n; i++) partyAccounts.push(await key(`party-${i}`))
    const chainId = `zrkit-local-${randomBytes(4).toString('hex')}`
    const genesisFile = join(dir, 'genesis.json')
    const balances = [operator, user, ...partyAccounts].map((a) => ({ address: a.address, amount: funds.toString() }))
    // the ledger reads these chains' unsigned transactions, so sign policies can judge what they do
    const transactionDecoders = transactionDecoderIds()
    await writeFile(genesisFile, JSON.stringify({ chainId, balances, transactionDecoders }, null, 2))

    const passphrase = randomBytes(24).toString('base64url')
    const common = { dir, startTimeoutMs, onLog: options.onLog, started, nodeFlags: flags }
    const ledger = spawned({ ...common, name: 'ledger', port: ledgerPort, args: (port) => ['ledger', 'serve', '--store', join(dir, 'ledger'), '--genesis', genesisFile, '--port', String(port)] })
    const ledgerUrl = await ledger.start()
    ledger.port = Number(new URL(ledgerUrl).port)
    const addresses = partyAccounts.map((a) => a.address)
    const relays = Array.from({ length: relayCount }, (_, i) =>
      spawned({ ...common, name: i === 0 ? 'relay' : `relay-${i + 1}`, port: i === 0 ? relayPort : 0, args: (port) => ['relay', 'serve', '--parties', addresses.join(','), '--port', String(port)] }),
    )
    const relayUrls: string[] = []
    for (const r of relays) {
      const url = await r.start()
      r.port = Number(new URL(url).port)
      relayUrls.push(url)
    }
    const relayUrl = relayUrls[0]!

    const connection = await connectLedgerWs(ledgerUrl, { WebSocket: WebSocket as never })
    let keyring: string
    try {
      ;({ keyring } = await createZrClient({ ledger: connection, account: operator }).createKeyring({
        description: `local network, ${threshold} of ${n}`,
        parties: addresses,
        partyThreshold: threshold,
        keyRequestFee: 0n,
        signRequestFee: 0n,
      }))
    } finally {
      await connection.close()
    }

    const parties = partyAccounts.map((account, i) => {
      const name = `party-${i + 1}`
      const p = spawned({
        ...common,
        name,
        port: 0,
        env: { ZRKIT_PASSPHRASE: passphrase },
        args: () => [
          'party',
          'start',
          '--key-file',
          join(dir, `${name}.key`),
          '--shares',
          join(dir, `${name}-shares`),
          '--ledger',
          ledgerUrl,
          '--relay',
          relayUrls.join(','),
          '--keyring',
          keyring,
          ...(options.attemptTimeoutMs !== undefined ? ['--attempt-timeout-ms', String(options.attemptTimeoutMs)] : []),
          ...(options.concurrency !== undefined ? ['--concurrency', String(options.concurrency)] : []),
          ...(presignatures > 0 ? ['--presignatures', String(presignatures)] : []),
        ],
      })
      return Object.assign(p.handle, { address: account.address }) as LocalParty
    })
    // Parties start together: each waits for the others' announcements on the relay.
    await Promise.all(parties.map((p) => p.restart()))

    let stopping: Promise<Record<string, number | string | null>> | undefined
    return {
      dir,
      chainId,
      ledgerUrl,
      relayUrl,
      relayUrls,
      keyring,
      user,
      ledger: ledger.handle,
      relay: relays[0]!.handle,
      relays: relays.map((r) => r.handle),
      parties,
      stop() {
        stopping ??= (async () => {
          const codes: Record<string, number | string | null> = {}
          const stopGroup = async (group: LocalProcess[]) => {
            await Promise.all(
              group.map(async (p) => {
                const timer = setTimeout(() => void p.kill('SIGKILL'), 15_000)
                codes[p.name] = await p.kill('SIGTERM')
                clearTimeout(timer)
              }),
            )
          }
          await stopGroup(parties)
          await stopGroup(relays.map((r) => r.handle))
          await stopGroup([ledger.handle])
          process.off('exit', killAll)
          for (const p of started) p.close()
          if (temporary) await rm(dir, { recursive: true, force: true })
          return codes
        })()
        return stopping
      },
    }
  } catch (e) {
    killAll()
    process.off('exit', killAll)
    for (const p of started) p.close()
    if (temporary) await rm(dir, { recursive: true, force: true })
    throw e
  }
}

type Spawned = {
  port: number
  child: ChildProcess | undefined
  readonly handle: LocalProcess
  /** Starts the process; resolves with its first line of standard output (its URL or address). */
  start(): Promise<string>
  close(): void
}

function spawned(config: {
  name: string
  port: number
  args: (port: number) => string[]
  env?: Record<string, string>
  dir: string
  startTimeoutMs: number
  onLog: ((name: string, line: string) => void) | undefined
  started: Spawned[]
  nodeFlags: readonly string[]
}): Spawned {
  const { name } = config
  const lines: string[] = []
  let file: WriteStream | undefined
  let exited: Promise<number | string | null> = Promise.resolve(null)
  let alive = false
  const self: Spawned = {
    port: config.port,
    child: undefined,
    handle: {
      name,
      get pid() {
        return alive ? self.child?.pid : undefined
      },
      running: () => alive,
      logs: () => lines.slice(),
      async kill(signal = 'SIGTERM') {
        if (!alive) return exited
        self.child!.kill(signal)
        return exited
      },
      async restart() {
        await self.start()
      },
    },
    start() {
      if (alive) return Promise.reject(new ZrError('INVALID_INPUT', `${name} is running.`, { details: `expected ${name} stopped before a restart, got it running (pid ${self.child?.pid})` }))
      file ??= createWriteStream(join(config.dir, `${name}.log`), { flags: 'a' })
      const { argv, cwd } = zrkitCommand()
      const child = spawn(argv[0]!, [...config.nodeFlags, ...argv.slice(1), ...config.args(self.port), '--log-format', 'json'], {
        cwd,
        env: { ...process.env, ...config.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      self.child = child
      alive = true
      exited = new Promise((resolve) =>
        child.once('exit', (code, signal) => {
          alive = false
          resolve(code ?? signal)
        }),
      )
      createInterface({ input: child.stderr! }).on('line', (line) => {
        lines.push(line)
        if (lines.length > logLines) lines.splice(0, lines.length - logLines)
        file?.write(`${line}\n`)
        try {
          config.onLog?.(name, line)
        } catch {
          // the listener's failure is its own
        }
      })
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL')
          reject(new ZrError('TIMEOUT', `${name} did not start.`, { details: `expected its first line within ${config.startTimeoutMs} ms, got none; last log lines:\n${lines.slice(-10).join('\n')}` }))
        }, config.startTimeoutMs)
        createInterface({ input: child.stdout! }).once('line', (line) => {
          clearTimeout(timer)
          resolve(line.trim())
        })
        exited.then((code) => {
          clearTimeout(timer)
          reject(new ZrError('INVALID_CONFIG', `${name} exited while starting.`, { details: `expected it to start, got exit ${code}; last log lines:\n${lines.slice(-10).join('\n')}` }))
        })
      })
    },
    close() {
      file?.end()
      file = undefined
    },
  }
  config.started.push(self)
  return self
}

/** How to run the `zrkit` CLI of this package: the built `bin.js` beside this module, or `bin.ts` through tsx from the sources. */
function zrkitCommand(): { argv: string[]; cwd: string } {
  const here = import.meta.url
  // from the sources, tsx is found from the package's folder upwards
  if (here.endsWith('.ts')) return { argv: [process.execPath, '--import', 'tsx', fileURLToPath(new URL('./bin.ts', here))], cwd: fileURLToPath(new URL('..', here)) }
  return { argv: [process.execPath, fileURLToPath(new URL('./bin.js', here))], cwd: process.cwd() }
}

const bad = (what: string, expected: string, got: unknown) => new ZrError('INVALID_INPUT', `Invalid local network option: ${what}.`, { details: `${what}: expected ${expected}, got ${typeof got === 'bigint' ? `${got}n` : JSON.stringify(got)}` })

function checkInt(what: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) throw bad(what, `an integer in ${min}..${max}`, value)
  return value
}
