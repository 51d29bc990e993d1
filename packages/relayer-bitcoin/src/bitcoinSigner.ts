import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js'
import { type BitcoinNetwork, type ClientBase, type DerivationPath, type KeyType, ZrError, getKey, parseDerivationPath, signingKey, waitForSignRequest } from '@zrkit/core'
import { checkRequestKind, ledgerDecoders, requestTransactionOrPayloads } from '@zrkit/core/internal'
import type { Psbt, SignerAsync } from 'bitcoinjs-lib'
import { type BitcoinNetworkParams, bitcoinNetworkParams } from './networks.js'
import { addPsbtSignatures, psbtSigningPlan } from './psbtSigning.js'
import { type PsbtTransaction, psbtTransaction } from './psbtTransaction.js'
import { keyOutput, spendTypeOf } from './scripts.js'

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
  /**
   * The network of the PSBTs {@link BitcoinSigner.signPsbt} signs, named to the ledger's decoder
   * (`mainnet`, `testnet4`, `signet`, `regtest`, or `bitcoinNetworkParams(...)`). Without it,
   * `signPsbt` asks for the payloads alone (and `requestKind: 'transaction'` is refused).
   */
  network?: BitcoinNetwork | BitcoinNetworkParams
  /**
   * How {@link BitcoinSigner.signPsbt} asks for signatures. `'auto'` (default): one sign-transaction
   * request for the whole PSBT when every input is the key's, the signer knows the network and the
   * ledger runs the `bitcoin` decoder (the ledger computes the sighashes and the sign policy judges the
   * outputs), else one request for the payloads. `'transaction'`: always a sign-transaction request
   * (`UNSUPPORTED_CHAIN` when that cannot be). `'payloads'`: the payloads alone, opaque to policies.
   * `sign` and `signSchnorr` get one bare sighash each, so they always ask for payloads (with
   * `'transaction'` they fail with `UNSUPPORTED_CHAIN`).
   */
  requestKind?: 'auto' | 'transaction' | 'payloads'
}

/** Result of {@link BitcoinSigner.signPsbt}. */
type SignPsbtReturnType = {
  /** The signature request that signed the inputs. */
  readonly requestId: number
  /** `'transaction'`: the ledger decoded the PSBT and the sign policy judged it; `'payloads'`: opaque to policies. */
  readonly requestKind: 'transaction' | 'payloads'
  /** The inputs the key signed (their signatures are now in the PSBT). */
  readonly inputs: readonly number[]
}

/** A bitcoinjs `SignerAsync` backed by zrkit signature requests. */
export type BitcoinSigner = SignerAsync & {
  readonly keyId: number
  readonly keyType: KeyType
  /** 33 bytes: the ECDSA key, or for a taproot signer the BIP341 output key (parity first), which is what bitcoinjs matches inputs against. */
  readonly publicKey: Uint8Array
  /** Every signature request this signer made, in order. */
  readonly requestIds: readonly number[]
  /**
   * Signs every input of `psbt` that spends the key's output (P2WPKH, or P2TR key path for a taproot
   * signer) and is not signed yet, through ONE signature request: a sign-transaction request carrying
   * the whole PSBT when it can (see `requestKind`), else the inputs' sighashes. The signatures go into
   * `psbt` (`partialSig` or `tapKeySig`), each checked by bitcoinjs-lib; finalize and extract as usual.
   */
  signPsbt(psbt: Psbt): Promise<SignPsbtReturnType>
}

/**
 * A bitcoinjs-lib `SignerAsync` whose signatures come from zrkit signature requests, under the key's
 * sign policy: `sign` (ECDSA, for `bitcoin-secp256k1` / `ecdsa-secp256k1` keys) and `signSchnorr`
 * (BIP340, for `schnorr-secp256k1` keys; by default for the taproot output key, so
 * `psbt.signAllInputsAsync(signer)` signs key-path spends of the key's P2TR address). Sighashes
 * requested in the same tick (as `signAllInputsAsync` does) go into one signature request with one
 * payload per input; each signature is verified before it is returned. A bare sighash tells the
 * ledger nothing about the transaction, so these requests carry the payloads alone, opaque to the
 * sign policy's `tx.` conditions. `signer.signPsbt(psbt)` gives the ledger the whole PSBT instead:
 * on a ledger that runs the `bitcoin` decoder it is one sign-transaction request, which the policy
 * judges by what the transaction pays to whom.
 *
 * @example
 * ```ts
 * import { Psbt } from 'bitcoinjs-lib'
 * import { bitcoinSigner } from '@zrkit/relayer-bitcoin'
 *
 * const signer = await bitcoinSigner({ client: alice, keyId: key.id, network: 'signet', timeoutMs: 10 * 60_000 })
 * const psbt = Psbt.fromBase64(unsignedPsbt)
 * const { requestKind } = await signer.signPsbt(psbt) // one request for the whole PSBT: 'transaction' when the ledger decodes it
 * psbt.finalizeAllInputs()
 * // or, bitcoinjs's way (one request for the sighashes, opaque to tx. conditions):
 * await Psbt.fromBase64(unsignedPsbt).signAllInputsAsync(signer)
 * ```
 */
export async function bitcoinSigner(options: BitcoinSignerOptions): Promise<BitcoinSigner> {
  if (!options || typeof options !== 'object') throw new ZrError('INVALID_INPUT', 'bitcoinSigner needs options.', { details: `expected { client, keyId }, got ${typeof options}` })
  const { client, keyId } = options
  if (!client?.ledger) throw new ZrError('INVALID_INPUT', 'Invalid bitcoinSigner options.', { details: 'client: expected a zrkit client (createZrClient({ ledger, account }))' })
  if (!Number.isSafeInteger(keyId) || keyId < 1) throw new ZrError('INVALID_INPUT', 'Invalid bitcoinSigner options.', { details: `keyId: expected a positive integer, got ${String(keyId)}` })
  const approvals = options.approvals ?? 'wait'
  if (approvals !== 'wait' && approvals !== 'fail') throw new ZrError('INVALID_INPUT', 'Invalid bitcoinSigner options.', { details: `approvals: expected 'wait' or 'fail', got ${JSON.stringify(approvals)}` })
  const requestKind = checkRequestKind(options.requestKind)
  const network = options.network === undefined ? undefined : typeof options.network === 'string' ? bitcoinNetworkParams(options.network).name : options.network?.name
  if (options.network !== undefined && typeof network !== 'string') {
    throw new ZrError('INVALID_INPUT', 'Invalid bitcoinSigner options.', { details: `network: expected a network name or bitcoinNetworkParams(...), got ${typeof options.network}` })
  }
  const path = options.path === undefined ? undefined : parseDerivationPath(options.path)
  const key = await getKey(client, { id: keyId, ...(path !== undefined ? { path } : {}) })
  const type = spendTypeOf(key.keyType)
  const own = key.derived?.publicKey ?? key.publicKey
  const taproot = type === 'p2tr' && options.taproot !== false
  const publicKey = taproot ? signingKey(key.keyType, key.publicKey, { ...(path !== undefined ? { path } : {}), taproot: {} }).publicKey : own
  const verifyKey = type === 'p2tr' ? publicKey.subarray(1) : publicKey
  const batchWindowMs = options.batchWindowMs ?? 0
  const decodes = ledgerDecoders(client)
  const requestIds: number[] = []

  /** Why signature `i` of a request is not a valid signature of `hash` under the signer's key, if it is not. */
  const problem = (sig: Uint8Array, hash: Uint8Array, i: number, requestId: number): ZrError | undefined => {
    const ok = type === 'p2tr' ? schnorr.verify(sig, hash, verifyKey) : secp256k1.verify(sig, hash, verifyKey, { prehash: false, lowS: true })
    return ok ? undefined : new ZrError('INVALID_RESULT', 'The signature does not verify.', { details: `signature ${i} of request ${requestId} does not verify under the signer's key`, context: { requestId } })
  }

  /** One signature request, waited for: its 64-byte signatures, one per payload (checked by the caller with `problem`). */
  const request = async (payloads: readonly Uint8Array[], transaction: PsbtTransaction | undefined, who: string) => {
    const submitted = await requestTransactionOrPayloads(client, {
      keyId,
      ...(path !== undefined ? { path } : {}),
      ...(taproot ? { taproot: {} } : {}),
      payloads,
      ...(transaction !== undefined ? { transaction } : {}),
      kind: requestKind,
      decodes,
      ...(options.metadata ? { metadata: options.metadata } : {}),
      who,
    })
    const { requestId, status, actionId } = submitted
    requestIds.push(requestId)
    if (approvals === 'fail' && status === 'partial') {
      throw new ZrError('APPROVAL_PENDING', `Signature request ${requestId} is waiting for approvals.`, {
        details: `action ${actionId} needs more approvals under the sign policy; waitForSignRequest({ requestId: ${requestId} }) returns the signatures once approved`,
        context: { requestId, actionId },
      })
    }
    const done = await waitForSignRequest(client, { requestId, ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}), ...(options.signal ? { signal: options.signal } : {}) })
    return { requestId, requestKind: submitted.requestKind, signatures: payloads.map((_, i) => Uint8Array.from(done.signatures[i]!.subarray(0, 64))) }
  }

  type Pending = { hash: Uint8Array; resolve: (sig: Uint8Array) => void; reject: (e: unknown) => void }
  let queue: Pending[] = []
  let timer: ReturnType<typeof setTimeout> | undefined

  const flush = async () => {
    const batch = queue
    queue = []
    timer = undefined
    try {
      const { requestId, signatures } = await request(
        batch.map((p) => p.hash),
        undefined,
        "the bitcoinjs signer's sign/signSchnorr (bare sighashes; signPsbt gives the ledger the whole PSBT)",
      )
      batch.forEach((p, i) => {
        const bad = problem(signatures[i]!, p.hash, i, requestId)
        if (bad) p.reject(bad)
        else p.resolve(signatures[i]!)
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

  const signPsbt = async (psbt: Psbt): Promise<SignPsbtReturnType> => {
    if (!psbt || typeof psbt !== 'object' || !psbt.data || !Array.isArray(psbt.data.inputs) || typeof psbt.toBuffer !== 'function') {
      throw new ZrError('INVALID_INPUT', 'Invalid PSBT.', { details: `expected a bitcoinjs-lib Psbt, got ${psbt === null ? 'null' : typeof psbt}` })
    }
    if (type === 'p2tr' && !taproot) {
      throw new ZrError('INVALID_INPUT', 'This signer cannot sign PSBT inputs.', { details: 'expected a signer for the taproot output key (taproot: true, the default) to sign key-path inputs, got one for the untweaked key (taproot: false): sign script-path inputs with signSchnorr' })
    }
    const output = type === 'p2tr' ? keyOutput(key.keyType, publicKey, { outputKey: true }) : keyOutput(key.keyType, publicKey)
    const plan = psbtSigningPlan(psbt, output)
    const transaction = network === undefined ? undefined : psbtTransaction(psbt, plan, network)
    const why = network === undefined ? 'no network: give bitcoinSigner a network' : transaction === undefined ? "a PSBT the ledger's decoder would not read as the key's alone" : 'a PSBT'
    const signed = await request(plan.payloads, transaction, `the bitcoinjs signer (${why})`)
    signed.signatures.forEach((sig, i) => {
      const bad = problem(sig, plan.payloads[i]!, i, signed.requestId)
      if (bad) throw bad
    })
    addPsbtSignatures(psbt, output, plan, signed.signatures, type === 'p2wpkh' ? publicKey : undefined)
    return { requestId: signed.requestId, requestKind: signed.requestKind, inputs: plan.inputs }
  }

  return Object.freeze({
    keyId,
    keyType: key.keyType,
    publicKey,
    requestIds,
    getPublicKey: () => publicKey,
    sign: (hash: Uint8Array) => enqueue(hash, 'ecdsa'),
    signSchnorr: (hash: Uint8Array) => enqueue(hash, 'schnorr'),
    signPsbt,
  })
}
