import { ZrError } from '@zrkit/core'
import { Transaction } from 'bitcoinjs-lib'
import type { BitcoinBackend, BitcoinOutspend, BitcoinTxStatus, BitcoinUtxo } from './BitcoinBackend.js'
import { type FetchFn, btcToSats, checkUrl, httpRequest, preview, redact } from './http.js'

/** Options of {@link bitcoinRpcBackend}. */
export type BitcoinRpcBackendOptions = {
  /**
   * The node's JSON-RPC endpoint, e.g. `http://127.0.0.1:48332` (testnet4) or `http://127.0.0.1:38332`
   * (signet). User and password may be in the URL (`http://user:pass@host:port`) or given below.
   */
  url: string
  username?: string
  password?: string
  /**
   * Where wallet calls go (`listunspent`, `importdescriptors`, `importaddress`) when `utxos` is
   * `'wallet'`: Bitcoin Core's `http://host:port/wallet/<name>` (default: `url`).
   */
  walletUrl?: string
  /**
   * How coins are found: `'scantxoutset'` (default; Bitcoin Core 0.17+, no wallet needed, confirmed
   * coins only) or `'wallet'` (`listunspent` of a node wallet that watches the address: see
   * `importAddress`; also sees mempool coins).
   */
  utxos?: 'scantxoutset' | 'wallet'
  /** Per-request time limit (default 30 000 ms; `scantxoutset` gets 10 times as long). */
  timeoutMs?: number
  /** How long `broadcast` waits for the transaction to show up in the node's mempool (default 10 000 ms). */
  acceptTimeoutMs?: number
  /** Polling interval while waiting for the mempool (default 100 ms). */
  pollIntervalMs?: number
  /** Replaces the global `fetch`. */
  fetch?: FetchFn
}

/** The RPC backend, with the wallet helper and raw calls. */
export type BitcoinRpcBackend = BitcoinBackend & {
  /** Calls any RPC method on the node (`url`). */
  call<T = unknown>(method: string, params?: readonly unknown[]): Promise<T>
  /**
   * Makes the node wallet (`walletUrl`) watch an address, for `utxos: 'wallet'`: `importdescriptors`
   * with an `addr(...)` descriptor (descriptor wallets), else `importaddress` (legacy wallets, bcoin).
   * With `rescan`, coins the address already has are found (slow on a long chain).
   */
  importAddress(address: string, options?: { rescan?: boolean }): Promise<void>
}

/** A JSON-RPC error answer of the node, kept as the cause of a `NODE_REQUEST_FAILED`. */
class RpcAnswerError extends Error {
  constructor(
    readonly method: string,
    readonly rpcCode: number,
    message: string,
  ) {
    super(message)
  }
}

/**
 * A {@link BitcoinBackend} that talks Bitcoin Core's JSON-RPC (any bitcoind-compatible node): coins
 * from `scantxoutset` (less those a mempool transaction spends) or the node wallet's `listunspent`, fees from `estimatesmartfee`, broadcast with
 * `sendrawtransaction`, and where a transaction stands from `getmempoolentry`, `getrawtransaction` and,
 * without `-txindex`, `gettxout` on its outputs. Who spends an output (`outspend`) comes from `gettxout`
 * with and without the mempool and, on Bitcoin Core 24+, `gettxspendingprevout`; the mempool's minimum
 * fee rate from `getmempoolinfo`.
 *
 * `broadcast` is idempotent (a transaction the node already has is a success) and does not trust the
 * node's answer alone: it waits until the transaction is in the mempool (or a block), and throws
 * `BROADCAST_FAILED` if it never shows up (some nodes answer with the txid even for a transaction they
 * then drop).
 *
 * @example
 * ```ts
 * import { bitcoinRpcBackend } from '@zrkit/relayer-bitcoin'
 *
 * const backend = bitcoinRpcBackend({ url: 'http://127.0.0.1:48332', username: 'zrkit', password: process.env.RPC_PASSWORD })
 * console.log(await backend.tipHeight())
 * ```
 */
export function bitcoinRpcBackend(options: BitcoinRpcBackendOptions): BitcoinRpcBackend {
  if (!options || typeof options !== 'object') throw new ZrError('INVALID_INPUT', 'bitcoinRpcBackend needs options.', { details: `expected { url }, got ${typeof options}` })
  const endpoint = (raw: unknown, what: string) => {
    const url = new URL(checkUrl(raw, what))
    const user = decodeURIComponent(url.username)
    const pass = decodeURIComponent(url.password)
    url.username = ''
    url.password = ''
    return { url: url.toString(), user, pass }
  }
  const node = endpoint(options.url, 'Bitcoin RPC')
  const wallet = options.walletUrl !== undefined ? endpoint(options.walletUrl, 'Bitcoin wallet RPC') : node
  const username = options.username ?? node.user
  const password = options.password ?? node.pass
  const auth = username || password ? `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode(`${username}:${password}`)))}` : undefined
  const fetchFn: FetchFn = options.fetch ?? ((input, init) => fetch(input, init))
  const timeoutMs = options.timeoutMs ?? 30_000
  const acceptTimeoutMs = options.acceptTimeoutMs ?? 10_000
  const pollIntervalMs = options.pollIntervalMs ?? 100
  const source = options.utxos ?? 'scantxoutset'
  if (source !== 'scantxoutset' && source !== 'wallet') {
    throw new ZrError('INVALID_INPUT', 'Invalid bitcoinRpcBackend options.', { details: `utxos: expected 'scantxoutset' or 'wallet', got ${JSON.stringify(source)}` })
  }
  let nextId = 1

  const rpc = async <T>(target: { url: string }, method: string, params: readonly unknown[], limitMs = timeoutMs): Promise<T> => {
    const res = await httpRequest(fetchFn, target.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
      body: JSON.stringify({ jsonrpc: '1.0', id: nextId++, method, params }),
      timeoutMs: limitMs,
      what: `RPC ${method}`,
    })
    if (res.status === 401 || res.status === 403) {
      throw new ZrError('NODE_REQUEST_FAILED', 'The Bitcoin node refused the credentials.', { details: `RPC ${method} at ${redact(target.url)}: HTTP ${res.status}; check the RPC user and password`, context: { method, status: res.status } })
    }
    let answer: { result?: unknown; error?: { code?: number; message?: string } | null }
    try {
      answer = JSON.parse(res.body)
    } catch {
      throw new ZrError('NODE_REQUEST_FAILED', 'The Bitcoin node sent an unexpected answer.', { details: `RPC ${method} at ${redact(target.url)}: HTTP ${res.status}, expected a JSON-RPC answer, got ${JSON.stringify(preview(res.body))}`, context: { method, status: res.status } })
    }
    if (answer.error) {
      const code = typeof answer.error.code === 'number' ? answer.error.code : 0
      const message = String(answer.error.message ?? 'unknown error')
      throw new ZrError('NODE_REQUEST_FAILED', 'The Bitcoin node refused the request.', { details: `RPC ${method}: ${message} (code ${code})`, context: { method, rpcCode: code, rpcMessage: message }, cause: new RpcAnswerError(method, code, message) })
    }
    return answer.result as T
  }
  /** The result, or undefined when the node answered with an RPC error (e.g. "not found"); transport failures still throw. */
  const rpcOrMiss = async <T>(target: { url: string }, method: string, params: readonly unknown[]): Promise<T | undefined> => {
    try {
      return await rpc<T>(target, method, params)
    } catch (e) {
      if (e instanceof ZrError && e.cause instanceof RpcAnswerError) return undefined
      throw e
    }
  }
  const unexpected = (what: string, got: unknown) => new ZrError('NODE_REQUEST_FAILED', 'The Bitcoin node sent an unexpected answer.', { details: `${what}: got ${preview(JSON.stringify(got) ?? String(got))}` })

  /**
   * The coins (as `txid:vout`) that a mempool transaction spends: one `gettxspendingprevout` for all of them
   * (Bitcoin Core 24+), else `gettxout` with the mempool per coin (null: spent there, or in a block since).
   */
  const spentInMempool = async (coins: readonly BitcoinUtxo[]): Promise<Set<string>> => {
    const spent = new Set<string>()
    if (coins.length === 0) return spent
    const spending = await rpcOrMiss<{ txid?: unknown; vout?: unknown; spendingtxid?: unknown }[]>(node, 'gettxspendingprevout', [coins.map((c) => ({ txid: c.txid, vout: c.vout }))])
    if (Array.isArray(spending) && spending.length === coins.length) {
      spending.forEach((e, i) => {
        if (typeof e?.spendingtxid === 'string') spent.add(`${coins[i]!.txid}:${coins[i]!.vout}`)
      })
      return spent
    }
    for (let i = 0; i < coins.length; i += 16) {
      const batch = coins.slice(i, i + 16)
      const outs = await Promise.all(batch.map((c) => rpcOrMiss<object | null>(node, 'gettxout', [c.txid, c.vout, true])))
      outs.forEach((o, k) => {
        if (o === null) spent.add(`${batch[k]!.txid}:${batch[k]!.vout}`)
      })
    }
    return spent
  }

  const tipHeight = async () => {
    const h = await rpc<number>(node, 'getblockcount', [])
    if (!Number.isSafeInteger(h) || h < 0) throw unexpected('getblockcount', h)
    return h
  }

  const txStatus = async (txid: string, rawTx?: string, again = true): Promise<BitcoinTxStatus> => {
    checkTxid(txid)
    const entry = await rpcOrMiss<{ fees?: { base?: unknown }; fee?: unknown; vsize?: unknown; size?: unknown }>(node, 'getmempoolentry', [txid])
    if (entry !== undefined) {
      // Bitcoin Core: fees.base and vsize; older Core and bcoin: fee and size (BTC, vbytes)
      const fee = typeof entry?.fees?.base === 'number' ? entry.fees.base : entry?.fee
      const vsize = typeof entry?.vsize === 'number' ? entry.vsize : entry?.size
      if (typeof fee === 'number' && typeof vsize === 'number' && vsize > 0) return { state: 'mempool', feeRate: Math.round((fee * 1e8 * 1000) / vsize) / 1000 }
      return { state: 'mempool' }
    }
    const verbose = await rpcOrMiss<{ blockhash?: string; confirmations?: number }>(node, 'getrawtransaction', [txid, true])
    if (verbose && typeof verbose === 'object') {
      if (typeof verbose.blockhash === 'string' && typeof verbose.confirmations === 'number' && verbose.confirmations > 0) {
        const header = await rpcOrMiss<{ height: number }>(node, 'getblockheader', [verbose.blockhash, true])
        // The block was disconnected between the two calls (a reorganization under way): read the status again, once.
        if (header === undefined) return again ? txStatus(txid, rawTx, false) : { state: 'unknown' }
        return { state: 'confirmed', confirmations: verbose.confirmations, blockHash: verbose.blockhash, blockHeight: header.height }
      }
      return { state: 'mempool' }
    }
    // Without -txindex a confirmed transaction is found through its unspent outputs.
    if (rawTx !== undefined) {
      const outputs = Transaction.fromHex(rawTx).outs.length
      for (let vout = 0; vout < outputs; vout++) {
        const out = await rpcOrMiss<{ confirmations?: number } | null>(node, 'gettxout', [txid, vout, false])
        if (out && typeof out.confirmations === 'number' && out.confirmations > 0) {
          const height = (await tipHeight()) - out.confirmations + 1
          const blockHash = await rpc<string>(node, 'getblockhash', [height])
          return { state: 'confirmed', confirmations: out.confirmations, blockHash, blockHeight: height }
        }
      }
    }
    return { state: 'unknown' }
  }

  return Object.freeze({
    kind: 'bitcoind-rpc',
    call: <T = unknown>(method: string, params: readonly unknown[] = []) => rpc<T>(node, method, params),

    async genesisHash() {
      const hash = await rpc<string>(node, 'getblockhash', [0])
      if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash)) throw unexpected('getblockhash 0', hash)
      return hash
    },

    tipHeight,

    async utxos(address: string): Promise<BitcoinUtxo[]> {
      if (source === 'wallet') {
        const list = await rpc<{ txid: string; vout: number; amount: number; confirmations: number; address?: string }[]>(wallet, 'listunspent', [0, 9_999_999, [address]])
        if (!Array.isArray(list)) throw unexpected('listunspent', list)
        return list.map((u) => ({ txid: checkTxid(u.txid), vout: checkVout(u.vout), value: btcToSats(u.amount, 'listunspent amount'), confirmations: Math.max(0, Number(u.confirmations) || 0) }))
      }
      const scan = await rpc<{ success?: boolean; height?: number; unspents?: { txid: string; vout: number; amount: number; height: number; coinbase?: boolean }[] }>(node, 'scantxoutset', ['start', [`addr(${address})`]], timeoutMs * 10)
      if (!scan || !Array.isArray(scan.unspents) || typeof scan.height !== 'number') throw unexpected('scantxoutset', scan)
      const tip = scan.height
      const coins: BitcoinUtxo[] = scan.unspents.map((u) => ({
        txid: checkTxid(u.txid),
        vout: checkVout(u.vout),
        value: btcToSats(u.amount, 'scantxoutset amount'),
        confirmations: Math.max(0, tip - u.height + 1),
        ...(typeof u.coinbase === 'boolean' ? { coinbase: u.coinbase } : {}),
      }))
      // scantxoutset reads the chain's coins only: a coin that a mempool transaction already spends (another
      // replica's, or this relayer's before a restart) is not listed, so no relay picks it for a second spend.
      const spent = await spentInMempool(coins)
      return spent.size ? coins.filter((c) => !spent.has(`${c.txid}:${c.vout}`)) : coins
    },

    async feeRate(targetBlocks: number) {
      const est = await rpcOrMiss<{ feerate?: number; fee?: number }>(node, 'estimatesmartfee', [targetBlocks])
      const btcPerKvB = est?.feerate ?? est?.fee
      if (typeof btcPerKvB !== 'number' || !(btcPerKvB > 0)) return undefined
      return Math.round(btcPerKvB * 1e8) / 1000
    },

    async broadcast(rawTx: string) {
      const txid = txidOf(rawTx)
      if ((await txStatus(txid, rawTx)).state !== 'unknown') return
      try {
        await rpc(node, 'sendrawtransaction', [rawTx])
      } catch (e) {
        // Sent before (a retry after a crash) and already known: that is success.
        if ((await txStatus(txid, rawTx).catch(() => ({ state: 'unknown' }))).state !== 'unknown') return
        if (e instanceof ZrError && e.cause instanceof RpcAnswerError) {
          throw new ZrError('BROADCAST_FAILED', 'The Bitcoin node refused the transaction.', { details: `${txid}: ${e.cause.message} (code ${e.cause.rpcCode})`, context: { txid, rpcCode: e.cause.rpcCode }, cause: e })
        }
        throw e
      }
      const deadline = Date.now() + acceptTimeoutMs
      for (;;) {
        if ((await txStatus(txid, rawTx)).state !== 'unknown') return
        if (Date.now() >= deadline) break
        await new Promise((r) => setTimeout(r, pollIntervalMs))
      }
      throw new ZrError('BROADCAST_FAILED', 'The Bitcoin node did not take the transaction.', {
        details: `sendrawtransaction answered for ${txid}, but the transaction is neither in the mempool nor in a block after ${acceptTimeoutMs} ms: the node dropped it (invalid, non-standard, or its inputs are spent)`,
        context: { txid },
      })
    },

    txStatus: (txid: string, rawTx?: string) => txStatus(txid, rawTx),

    async outspend(outpoint: { readonly txid: string; readonly vout: number }): Promise<BitcoinOutspend> {
      const txid = checkTxid(outpoint?.txid)
      const vout = outpoint.vout
      if (!Number.isSafeInteger(vout) || vout < 0) throw new ZrError('INVALID_INPUT', 'Invalid outpoint.', { details: `vout: expected a non-negative integer, got ${String(vout)}` })
      // Bitcoin Core 24+ names the mempool transaction that spends an output; other nodes answer with an error.
      const spending = await rpcOrMiss<{ spendingtxid?: unknown }[]>(node, 'gettxspendingprevout', [[{ txid, vout }]])
      const spender = Array.isArray(spending) ? spending[0]?.spendingtxid : undefined
      if (typeof spender === 'string' && /^[0-9a-f]{64}$/.test(spender)) return { state: 'spent', txid: spender, confirmed: false }
      const withMempool = await rpcOrMiss<object | null>(node, 'gettxout', [txid, vout, true])
      if (withMempool) return { state: 'unspent' }
      const inChain = await rpcOrMiss<object | null>(node, 'gettxout', [txid, vout, false])
      if (inChain) return { state: 'spent', confirmed: false } // unspent in the chain, spent in the mempool
      const parent = await txStatus(txid)
      if (parent.state === 'confirmed') return { state: 'spent', confirmed: true }
      if (parent.state === 'mempool') return { state: 'spent', confirmed: false }
      return { state: 'unknown' }
    },

    async mempoolMinFeeRate() {
      const info = await rpcOrMiss<{ mempoolminfee?: unknown; minrelaytxfee?: unknown }>(node, 'getmempoolinfo', [])
      const rates = [info?.mempoolminfee, info?.minrelaytxfee].filter((v): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0)
      if (rates.length === 0) return undefined
      return Math.round(Math.max(...rates) * 1e8) / 1000 // BTC/kvB -> sat/vB
    },

    async importAddress(address: string, importOptions: { rescan?: boolean } = {}) {
      const rescan = importOptions.rescan ?? false
      const info = await rpcOrMiss<{ descriptor?: string }>(wallet, 'getdescriptorinfo', [`addr(${address})`])
      if (info?.descriptor) {
        const result = await rpcOrMiss<{ success?: boolean; error?: { message?: string } }[]>(wallet, 'importdescriptors', [[{ desc: info.descriptor, timestamp: rescan ? 0 : 'now', label: 'zrkit' }]])
        if (Array.isArray(result) && result[0]?.success) return
      }
      try {
        await rpc(wallet, 'importaddress', [address, 'zrkit', rescan])
      } catch (e) {
        if (e instanceof ZrError && e.cause instanceof RpcAnswerError && /already/i.test(e.cause.message)) return
        throw e
      }
    },
  })
}

/**
 * True when a node's refusal says that another transaction spends the inputs (Bitcoin Core:
 * `txn-mempool-conflict`, `bad-txns-inputs-missingorspent`, a refused replacement; bcoin:
 * `bad-txns-inputs-spent`).
 */
function isConflictRefusal(message: string): boolean {
  return /mempool-conflict|inputs-spent|missingorspent|rejecting replacement|replacement-adds-unconfirmed|too many potential replacements/i.test(message)
}

function txidOf(rawTx: string): string {
  if (typeof rawTx !== 'string' || !/^([0-9a-f]{2})+$/i.test(rawTx)) {
    throw new ZrError('INVALID_INPUT', 'Invalid raw transaction.', { details: `expected hex bytes, got ${typeof rawTx === 'string' ? JSON.stringify(rawTx.slice(0, 40)) : typeof rawTx}` })
  }
  try {
    return Transaction.fromHex(rawTx).getId()
  } catch (cause) {
    throw new ZrError('INVALID_INPUT', 'Invalid raw transaction.', { details: `expected a serialized Bitcoin transaction: ${(cause as Error).message}`, cause })
  }
}

function checkTxid(txid: unknown): string {
  if (typeof txid !== 'string' || !/^[0-9a-f]{64}$/.test(txid)) {
    throw new ZrError('INVALID_INPUT', 'Invalid transaction id.', { details: `expected 64 lower-case hex digits, got ${JSON.stringify(txid)}` })
  }
  return txid
}

function checkVout(vout: unknown): number {
  if (!Number.isSafeInteger(vout) || (vout as number) < 0) throw new ZrError('NODE_REQUEST_FAILED', 'The Bitcoin node sent an unexpected answer.', { details: `expected an output index, got ${JSON.stringify(vout)}` })
  return vout as number
}

export { checkTxid, isConflictRefusal, txidOf }
