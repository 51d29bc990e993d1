/**
 * Starts and stops a local anvil (the EVM node from npm `@foundry-rs/anvil`) for the EVM suites. The
 * binary is run directly (not through the package's Node wrapper), so stopping it stops the node; the
 * port is chosen by anvil itself (`--port 0`) and read from its banner, so suites never race for one.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'

/** A running anvil. */
export type Anvil = {
  /** Its HTTP JSON-RPC endpoint, e.g. `http://127.0.0.1:41234`. */
  readonly url: string
  readonly chainId: number
  readonly process: ChildProcess
  /** Stops it (SIGTERM, then SIGKILL if it lingers) and waits for the exit. */
  stop(): Promise<void>
}

const platformPackages: Record<string, string> = {
  'linux-x64': 'anvil-linux-amd64',
  'linux-arm64': 'anvil-linux-arm64',
  'darwin-x64': 'anvil-darwin-amd64',
  'darwin-arm64': 'anvil-darwin-arm64',
  'win32-x64': 'anvil-win32-amd64',
}

/** The anvil binary that `@foundry-rs/anvil` installed for this platform. */
export function anvilBinary(): string {
  const pkg = platformPackages[`${process.platform}-${process.arch}`]
  if (!pkg) throw new Error(`@foundry-rs/anvil has no binary for ${process.platform}-${process.arch}`)
  const wrapper = createRequire(import.meta.url).resolve('@foundry-rs/anvil/package.json')
  const manifest = createRequire(wrapper).resolve(`@foundry-rs/${pkg}/package.json`)
  const bin = join(dirname(manifest), 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil')
  if (!existsSync(bin)) throw new Error(`anvil binary missing at ${bin}: run the install again`)
  return bin
}

/** Starts anvil on a free port (chain id 31337, instant mining unless `args` say otherwise). */
export async function startAnvil(args: readonly string[] = []): Promise<Anvil> {
  const child = spawn(anvilBinary(), ['--port', '0', '--chain-id', '31337', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`anvil did not start within 30 s: ${stderr}`)), 30_000)
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /Listening on (\S+:\d+)/.exec(line)
      if (m) {
        clearTimeout(timer)
        resolve(`http://${m[1]}`)
      }
    })
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`anvil exited with ${code} before listening: ${stderr}`))
    })
  })
  child.stdout!.resume() // keep draining its log
  let stopping: Promise<void> | undefined
  return {
    url,
    chainId: 31337,
    process: child,
    stop: () =>
      (stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return
        child.kill('SIGTERM')
        const late = setTimeout(() => child.kill('SIGKILL'), 5_000)
        await exited
        clearTimeout(late)
      })()),
  }
}
