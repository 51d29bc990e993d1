import { ZrError } from '@zrkit/core'
import type { BitcoinBackend, BitcoinOutspend, BitcoinTxStatus, BitcoinUtxo } from './BitcoinBackend.js'
import { checkTxid, txidOf } from './bitcoinRpcBackend.js'
import { type FetchFn, checkUrl, httpRequest, preview } from './http.js'

/** Options of {@link esploraBackend}. */
export type EsploraBackendOptions = {
  /**
   * The API root, e.g. `https://mempool.space/testnet4/api`, `https://mempool.space/signet/api`,
   * `https://blockstream.info/api` or a self-hosted esplora / electrs.
   */
  url: string
  /** Per-request time limit (default 30 000 ms). */
  timeoutMs?: number
  /** Extra request headers (an API key...). */
  headers?: Readonly<Record<string, string>>
  /** Replaces the global `fetch`. */
  fetch?: FetchFn
}

/**
 * A {@link BitcoinBackend} on the Esplora REST API, which public testnet4 and signet explorers serve
 * (mempool.space, blockstream.info, self-hosted esplora/electrs): coins from `/address/:address/utxo`
 * (mempool ones included), fees from `/fee-estimates`, broadcast with `POST /tx`, status from
 * `/tx/:txid/status`, who spends an output from `/tx/:txid/outspend/:vout`. `broadcast` is idempotent: a
 * transaction the explorer already knows is a success. The Esplora API has no mempool minimum fee rate:
 * `mempoolMinFeeRate` is left out.
 *
 * @example
 * ```ts
 * import { esploraBackend } from '@zrkit/relayer-bitcoin'
 *
 * const backend = esploraBackend({ url: 'https://mempool.space/signet/api' })
 * console.log(await backend.feeRate(6)) // sat/vB
 * ```
 */
export function esploraBackend(options: EsploraBackendOptions): BitcoinBackend {
  if (!options || typeof options !== 'object') throw new ZrError('INVALID_INPUT', 'esploraBackend needs options.', { details: `expected { url }, got ${typeof options}` })
  const root = checkUrl(options.url, 'Esplora')
  const fetchFn: FetchFn = options.fetch ?? ((input, init) => fetch(input, init))
  const timeoutMs = options.timeoutMs ?? 30_000
  const headers = { ...(options.headers ?? {}) }

  const get = async (path: string, { allow404 = false } = {}): Promise<string | undefined> => {
    const res = await httpRequest(fetchFn, `${root}${path}`, { method: 'GET', headers, timeoutMs, what: `GET ${path}` })
    if (res.status === 404 && allow404) return undefined
    if (res.status !== 200) {
      throw new ZrError('NODE_REQUEST_FAILED', 'The Esplora server refused the request.', { details: `GET ${path}: HTTP ${res.status} ${preview(res.body)}`, context: { path, status: res.status } })
    }
    return res.body
  }
  const json = async <T>(path: string): Promise<T> => {
    const body = (await get(path))!
    try {
      return JSON.parse(body) as T
    } catch {
      throw unexpected(`GET ${path}`, body)
    }
  }
  const tipHeight = async () => {
    const text = (await get('/blocks/tip/height'))!.trim()
    const h = Number(text)
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(h)) throw unexpected('GET /blocks/tip/height', text)
    return h
  }
  const txStatus = async (txid: string): Promise<BitcoinTxStatus> => {
    checkTxid(txid)
    const body = await get(`/tx/${txid}/status`, { allow404: true })
    if (body === undefined) return { state: 'unknown' }
    let s: { confirmed?: boolean; block_height?: number; block_hash?: string }
    try {
      s = JSON.parse(body)
    } catch {
      throw unexpected(`GET /tx/${txid}/status`, body)
    }
    if (!s.confirmed) return { state: 'mempool' }
    if (!Number.isSafeInteger(s.block_height) || typeof s.block_hash !== 'string') throw unexpected(`GET /tx/${txid}/status`, body)
    const tip = await tipHeight()
    return { state: 'confirmed', confirmations: Math.max(1, tip - s.block_height! + 1), blockHash: s.block_hash, blockHeight: s.block_height! }
  }

  return Object.freeze({
    kind: 'esplora',

    async genesisHash() {
      const hash = (await get('/block-height/0'))!.trim()
      if (!/^[0-9a-f]{64}$/.test(hash)) throw unexpected('GET /block-height/0', hash)
      return hash
    },

    tipHeight,

    async utxos(address: string): Promise<BitcoinUtxo[]> {
      const list = await json<{ txid: string; vout: number; value: number; status?: { confirmed?: boolean; block_height?: number } }[]>(`/address/${encodeURIComponent(address)}/utxo`)
      if (!Array.isArray(list)) throw unexpected(`GET /address/${address}/utxo`, JSON.stringify(list))
      const tip = list.some((u) => u.status?.confirmed) ? await tipHeight() : 0
      return list.map((u) => {
        if (!Number.isSafeInteger(u.value) || u.value < 0 || !Number.isSafeInteger(u.vout) || u.vout < 0) throw unexpected(`GET /address/${address}/utxo`, JSON.stringify(u))
        return {
          txid: checkTxid(u.txid),
          vout: u.vout,
          value: BigInt(u.value),
          confirmations: u.status?.confirmed && Number.isSafeInteger(u.status.block_height) ? Math.max(1, tip - u.status.block_height! + 1) : 0,
        }
      })
    },

    async feeRate(targetBlocks: number) {
      const estimates = await json<Record<string, number>>('/fee-estimates')
      const entries = Object.entries(estimates ?? {})
        .map(([k, v]) => [Number(k), v] as const)
        .filter(([k, v]) => Number.isSafeInteger(k) && k > 0 && typeof v === 'number' && v > 0)
        .sort((a, b) => a[0] - b[0])
      if (entries.length === 0) return undefined
      // the estimate for the longest target that is not longer than asked (else the shortest there is)
      const fit = entries.filter(([k]) => k <= targetBlocks).pop() ?? entries[0]!
      return fit[1]
    },

    async broadcast(rawTx: string) {
      const txid = txidOf(rawTx)
      if ((await txStatus(txid)).state !== 'unknown') return
      const res = await httpRequest(fetchFn, `${root}/tx`, { method: 'POST', headers: { ...headers, 'content-type': 'text/plain' }, body: rawTx, timeoutMs, what: 'POST /tx' })
      if (res.status === 200) return
      if ((await txStatus(txid).catch(() => ({ state: 'unknown' }))).state !== 'unknown') return
      throw new ZrError('BROADCAST_FAILED', 'The Esplora server refused the transaction.', { details: `${txid}: HTTP ${res.status} ${preview(res.body)}`, context: { txid, status: res.status } })
    },

    txStatus: (txid: string) => txStatus(txid),

    async outspend(outpoint: { readonly txid: string; readonly vout: number }): Promise<BitcoinOutspend> {
      const txid = checkTxid(outpoint?.txid)
      const vout = outpoint.vout
      if (!Number.isSafeInteger(vout) || vout < 0) throw new ZrError('INVALID_INPUT', 'Invalid outpoint.', { details: `vout: expected a non-negative integer, got ${String(vout)}` })
      const path = `/tx/${txid}/outspend/${vout}`
      const body = await get(path, { allow404: true })
      if (body === undefined) return { state: 'unknown' }
      let s: { spent?: unknown; txid?: unknown; status?: { confirmed?: unknown } }
      try {
        s = JSON.parse(body)
      } catch {
        throw unexpected(`GET ${path}`, body)
      }
      if (!s || typeof s !== 'object' || typeof s.spent !== 'boolean') throw unexpected(`GET ${path}`, body)
      if (!s.spent) return { state: 'unspent' }
      return { state: 'spent', ...(typeof s.txid === 'string' && /^[0-9a-f]{64}$/.test(s.txid) ? { txid: s.txid } : {}), confirmed: s.status?.confirmed === true }
    },
  })
}

function unexpected(what: string, got: string): ZrError {
  return new ZrError('NODE_REQUEST_FAILED', 'The Esplora server sent an unexpected answer.', { details: `${what}: got ${JSON.stringify(preview(got))}` })
}
