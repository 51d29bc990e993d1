/**
 * Starts and stops a bcoin regtest node (npm `bcoin`, see bcoinNode.cjs) for the Bitcoin suites and
 * the demo, and talks to it: bitcoind-style JSON-RPC, bcoin's REST API, mining and funding.
 *
 * bcoin's quirks, handled here and in the tests: segwit activates after 432 blocks (BIP9 on regtest),
 * so `start` mines past that; its regtest addresses use the bech32 prefix `rb`; coinbase outputs
 * mature after 100 blocks; `sendrawtransaction` answers with the txid even for a transaction it then
 * drops, so the suites look for a transaction in the mempool, mine, and look for it in the block.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

/** A running bcoin regtest node. */
export type Bcoin = {
  /** Node HTTP and JSON-RPC endpoint, e.g. `http://127.0.0.1:41234`. */
  readonly url: string
  /** Wallet HTTP and JSON-RPC endpoint (the watch-only wallet "zrkit" is selected for RPC). */
  readonly walletUrl: string
  /** The API key: the RPC password (any user name). */
  readonly apiKey: string
  readonly process: ChildProcess
  /** A node JSON-RPC call; throws on an RPC error. */
  rpc<T = unknown>(method: string, params?: readonly unknown[]): Promise<T>
  /** GET on the node's REST API (e.g. `/coin/address/rb1...`). */
  rest<T = unknown>(path: string): Promise<T>
  /** Mines `n` blocks paying to `address` (default: the primary wallet); returns their hashes. */
  mine(n: number, address?: string): Promise<string[]>
  /** The primary wallet's receive address. */
  minerAddress(): Promise<string>
  /** Sends `sats` from the primary wallet to `address`, waits for the mempool, mines a block; returns the txid. */
  fund(address: string, sats: bigint): Promise<string>
  /** Stops the node (SIGTERM, then SIGKILL if it lingers), waits for the exit and removes its temporary directory. */
  stop(): Promise<void>
}

const script = fileURLToPath(new URL('./bcoinNode.cjs', import.meta.url))

/** Blocks `start` mines: past segwit's activation on regtest (432) and coinbase maturity (100). */
export const SEGWIT_READY_HEIGHT = 450

/** Starts a bcoin regtest node on free ports and mines it past segwit activation. */
export async function startBcoin(options: { mine?: boolean } = {}): Promise<Bcoin> {
  const prefix = await mkdtemp(join(tmpdir(), 'zrkit-bcoin-'))
  const apiKey = randomBytes(16).toString('hex')
  const child = spawn(process.execPath, [script, JSON.stringify({ prefix, apiKey })], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NODE_BACKEND: 'js' },
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)))
  let stopping: Promise<void> | undefined
  const stop = () =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        const late = setTimeout(() => child.kill('SIGKILL'), 5_000)
        await exited
        clearTimeout(late)
      }
      await rm(prefix, { recursive: true, force: true })
    })())

  let ready: { url: string; walletUrl: string }
  try {
    ready = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`bcoin did not start within 30 s: ${stderr}`)), 30_000)
      createInterface({ input: child.stdout! }).once('line', (line) => {
        clearTimeout(timer)
        try {
          resolve(JSON.parse(line))
        } catch {
          reject(new Error(`bcoin printed ${line}: ${stderr}`))
        }
      })
      void exited.then((code) => {
        clearTimeout(timer)
        reject(new Error(`bcoin exited with ${code} before it was ready: ${stderr}`))
      })
    })
  } catch (e) {
    await stop()
    throw e
  }
  child.stdout!.resume()

  const auth = `Basic ${Buffer.from(`x:${apiKey}`).toString('base64')}`
  const call = async <T>(url: string, method: string, params: readonly unknown[]): Promise<T> => {
    const res = await fetch(url, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify({ method, params, id: 1 }) })
    const body = (await res.json()) as { result: T; error?: { message: string } | null }
    if (body.error) throw new Error(`bcoin ${method}: ${body.error.message}`)
    return body.result
  }
  const http = async <T>(url: string, init?: RequestInit): Promise<T> => {
    const res = await fetch(url, { ...init, headers: { authorization: auth, 'content-type': 'application/json', ...(init?.headers ?? {}) } })
    const text = await res.text()
    if (res.status !== 200) throw new Error(`bcoin ${init?.method ?? 'GET'} ${url}: HTTP ${res.status} ${text.slice(0, 300)}`)
    return JSON.parse(text) as T
  }
  const rpc = <T>(method: string, params: readonly unknown[] = []) => call<T>(ready.url, method, params)
  const minerAddress = async () => (await http<{ receiveAddress: string }>(`${ready.walletUrl}/wallet/primary/account/default`)).receiveAddress
  const mine = async (n: number, address?: string) => rpc<string[]>('generatetoaddress', [n, address ?? (await minerAddress())])
  const inMempool = async (txid: string) => (await rpc<string[]>('getrawmempool')).includes(txid)

  const node: Bcoin = {
    url: ready.url,
    walletUrl: ready.walletUrl,
    apiKey,
    process: child,
    rpc,
    rest: (path) => http(`${ready.url}${path}`),
    mine,
    minerAddress,
    async fund(address, sats) {
      const sent = await http<{ hash: string }>(`${ready.walletUrl}/wallet/primary/send`, { method: 'POST', body: JSON.stringify({ outputs: [{ address, value: Number(sats) }], rate: 5000 }) })
      for (let i = 0; !(await inMempool(sent.hash)); i++) {
        if (i > 100) throw new Error(`funding transaction ${sent.hash} never reached the mempool`)
        await new Promise((r) => setTimeout(r, 20))
      }
      const [block] = await mine(1)
      const { tx } = await rpc<{ tx: string[] }>('getblock', [block, 1])
      if (!tx.includes(sent.hash)) throw new Error(`funding transaction ${sent.hash} is not in block ${block}`)
      return sent.hash
    },
    stop,
  }
  try {
    if (options.mine !== false) await mine(SEGWIT_READY_HEIGHT)
  } catch (e) {
    await stop()
    throw e
  }
  return node
}
