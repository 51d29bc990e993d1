import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js'
import { type ClientBase, type DerivationPath, type KeyType, ZrError, getKey, parseDerivationPath, requestSignature, signingKey, waitForSignRequest } from '@zrkit/core'
import type { SignerAsync } from 'bitcoinjs-lib'
import { spendTypeOf } from './scripts.js'

/** Options of {@link bitcoinSigner}. */
export type BitcoinSignerOptions = {
  /** A zrkit client whose account owns the key's workspace: it requests the signatures. */
  client: ClientBase
  keyId: number
  /** Sign with the child key at this path. */
  path?: DerivationPath
  /**
   * Schnorr keys: sign for the BIP341 taproot output key (key-path spends of BIP86 outputs; the
   * default), or with `false` for the untweaked key (script-path spends). Ignored for ECDSA keys.
   */
  taproot?: boolean
  /** While a request needs approvals: `'wait'` (default) for them, or `'fail'` at once with `APPROVAL_PENDING`. */
  approvals?: 'wait' | 'fail'
  /** Give up waiting for approvals and the keyring after this many ms with `TIMEOUT` (default 60 000; 0 = never). */
  timeoutMs?: number
  /** Give up waiting when aborted, with `ABORTED`. */
  signal?: AbortSignal
  /** Extra metadata for each signature request (keys starting with `zrkit.` are reserved). */
  metadata?: Readonly<Record<string, string>>
  /** Sighashes asked for within this many ms share one signature request (default 0: those of one tick, e.g. one `signAllInputsAsync`). */
  batchWindowMs?: number
}

/** A bitcoinjs `SignerAsync` backed by zrkit signature requests. */
export type BitcoinSigner = SignerAsync & {
  readonly keyId: number
  readonly keyType: KeyType
  /** 33 bytes: the ECDSA key, or for a taproot signer the BIP341 output key (parity first), which is what bitcoinjs matches inputs against. */
  readonly publicKey: Uint8Array
  /** Every signature request this signer made, in order. */
  readonly requestIds: readonly number[]
}

/**
 * A bitcoinjs-lib `SignerAsync` whose signatures come from zrkit signature requests, under the key's
 * sign policy: `sign` (ECDSA, for `bitcoin-secp256k1` / `ecdsa-secp256k1` keys) and `signSchnorr`
 * (BIP340, for `schnorr-secp256k1` keys; by default for the taproot output key, so
 * `psbt.signAllInputsAsync(signer)` signs key-path spends of the key's P2TR address). Sighashes
 * requested in the same tick (as `signAllInputsAsync` does) go into one signature request with one
 * payload per input; each signature is verified before it is returned.
 *
 * @example
 * ```ts
 * import { Psbt } from 'bitcoinjs-lib'
 * import { bitcoinSigner } from '@zrkit/relayer-bitcoin'
 *
 * const signer = await bitcoinSigner({ client: alice, keyId: key.id, timeoutMs: 10 * 60_000 })
 * const psbt = Psbt.fromBase64(unsignedPsbt)
 * await psbt.signAllInputsAsync(signer) // one signature request for every input of the key
 * psbt.finalizeAllInputs()
 * ```
 */
export async function bitcoinSigner(options: BitcoinSignerOptions): Promise<BitcoinSigner> {
  if (!options || typeof options !== 'object') throw new ZrError('INVALID_INPUT', 'bitcoinSigner needs options.', { details: `expected { client, keyId }, got ${typeof options}` })
  const { client, keyId } = options
  if (!client?.ledger) throw new ZrError('INVALID_INPUT', 'Invalid bitcoinSigner options.', { details: 'client: expected a zrkit client (createZrClient({ ledger, account }))' })
  if (!Number.isSafeInteger(keyId) || keyId < 1) throw new ZrError('INVALID_INPUT', 'Invalid bitcoinSigner options.', { details: `keyId: expected a positive integer, got ${String(keyId)}` })
  const approvals = options.approvals ?? 'wait'
  if (approvals !== 'wait' && approvals !== 'fail') throw new ZrError('INVALID_INPUT', 'Invalid bitcoinSigner options.', { details: `approvals: expected 'wait' or 'fail', got ${JSON.stringify(approvals)}` })
  const path = options.path === undefined ? undefined : parseDerivationPath(options.path)
  const key = await getKey(client, { id: keyId, ...(path !== undefined ? { path } : {}) })
  const type = spendTypeOf(key.keyType)
  const own = key.derived?.publicKey ?? key.publicKey
  const taproot = type === 'p2tr' && options.taproot !== false
  const publicKey = taproot ? signingKey(key.keyType, key.publicKey, { ...(path !== undefined ? { path } : {}), taproot: {} }).publicKey : own
  const verifyKey = type === 'p2tr' ? publicKey.subarray(1) : publicKey
  const batchWindowMs = options.batchWindowMs ?? 0
  const requestIds: number[] = []

  type Pending = { hash: Uint8Array; resolve: (sig: Uint8Array) => void; reject: (e: unknown) => void }
  let queue: Pending[] = []
  let timer: ReturnType<typeof setTimeout> | undefined

  const flush = async () => {
    const batch = queue
    queue = []
    timer = undefined
    try {
      const { requestId, status, actionId } = await requestSignature(client, {
        keyId,
        ...(path !== undefined ? { path } : {}),
        payloads: batch.map((p) => p.hash),
        ...(taproot ? { taproot: {} } : {}),
        ...(options.metadata ? { metadata: options.metadata } : {}),
      })
      requestIds.push(requestId)
      if (approvals === 'fail' && status === 'partial') {
        throw new ZrError('APPROVAL_PENDING', `Signature request ${requestId} is waiting for approvals.`, {
          details: `action ${actionId} needs more approvals under the sign policy; waitForSignRequest({ requestId: ${requestId} }) returns the signatures once approved`,
          context: { requestId, actionId },
        })
      }
      const done = await waitForSignRequest(client, { requestId, ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}), ...(options.signal ? { signal: options.signal } : {}) })
      batch.forEach((p, i) => {
        const sig = done.signatures[i]!.subarray(0, 64)
        const ok = type === 'p2tr' ? schnorr.verify(sig, p.hash, verifyKey) : secp256k1.verify(sig, p.hash, verifyKey, { prehash: false, lowS: true })
        if (ok) p.resolve(Uint8Array.from(sig))
        else p.reject(new ZrError('INVALID_RESULT', 'The signature does not verify.', { details: `signature ${i} of request ${requestId} does not verify under the signer's key`, context: { requestId } }))
      })
    } catch (e) {
      for (const p of batch) p.reject(e)
    }
  }

  const enqueue = (hash: Uint8Array, want: 'ecdsa' | 'schnorr'): Promise<Uint8Array> => {
    if (want === 'ecdsa' && type !== 'p2wpkh') return Promise.reject(new ZrError('UNSUPPORTED_KEY_TYPE', 'This key signs Schnorr signatures.', { details: `expected signSchnorr for a ${key.keyType} key, got sign (ECDSA)`, context: { keyId, keyType: key.keyType } }))
    if (want === 'schnorr' && type !== 'p2tr') return Promise.reject(new ZrError('UNSUPPORTED_KEY_TYPE', 'This key signs ECDSA signatures.', { details: `expected sign for a ${key.keyType} key, got signSchnorr`, context: { keyId, keyType: key.keyType } }))
    if (!(hash instanceof Uint8Array) || hash.length !== 32) return Promise.reject(new ZrError('INVALID_INPUT', 'Invalid sighash.', { details: `expected a 32-byte hash, got ${hash instanceof Uint8Array ? `${hash.length} bytes` : typeof hash}` }))
    return new Promise((resolve, reject) => {
      queue.push({ hash: Uint8Array.from(hash), resolve, reject })
      if (queue.length >= 256) {
        if (timer) clearTimeout(timer)
        void flush()
      } else timer ??= setTimeout(() => void flush(), batchWindowMs)
    })
  }

  return Object.freeze({
    keyId,
    keyType: key.keyType,
    publicKey,
    requestIds,
    getPublicKey: () => publicKey,
    sign: (hash: Uint8Array) => enqueue(hash, 'ecdsa'),
    signSchnorr: (hash: Uint8Array) => enqueue(hash, 'schnorr'),
  })
}
