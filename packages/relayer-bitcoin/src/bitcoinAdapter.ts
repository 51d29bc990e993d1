import { type BitcoinNetwork, type PrepareContext, type RelayAdapter, type RelayRecord, type RelaySigner, type ReplaceRequest, ZrError, isZrError, toHex } from '@zrkit/core'
import { Psbt, Transaction, payments } from 'bitcoinjs-lib'
import type { BitcoinBackend } from './backends/BitcoinBackend.js'
import { selectCoins } from './coinSelection.js'
import { ensureEccLib } from './eccLib.js'
import { DEFAULT_DUST_RELAY_FEE_RATE, checkFeeRate, dustThreshold, inputWeights, txWeight, vsizeOf } from './fees.js'
import { type BitcoinNetworkParams, bitcoinNetworkParams } from './networks.js'
import { type KeyOutput, addressToScript, bitcoinKeyTypes, keyAddress, keyOutput, scriptToAddress, spendTypeOf } from './scripts.js'
import { type PsbtSigningPlan, addPsbtSignatures, parsePsbt, prevoutOf, psbtSigningPlan, unsignedTxOf } from './psbtSigning.js'
import { psbtTransaction } from './psbtTransaction.js'
import { type Outpoint, type UtxoLocks, sharedUtxoLocks } from './utxoLocks.js'
import { type BitcoinReceipt, sendSignedBitcoinTx, signedInputs, spentElsewhere, watchBitcoinTransaction } from './bitcoinTxWatch.js'
import { outpointClaim } from './outpointClaim.js'
import { buildRbfReplacement } from './rbfReplacement.js'

export type { BitcoinReceipt }

/** An output of a transfer: a payment to an address, or data in an OP_RETURN output (at most 80 bytes). */
export type BitcoinOutput = { readonly address: string; readonly value: bigint } | { readonly data: Uint8Array }

/**
 * A payment from the key's address (P2WPKH for ECDSA keys, P2TR for Schnorr keys). What is left out
 * is filled in: the fee rate from the backend's estimate, the coins by coin selection, change back to
 * the key's address.
 */
export type BitcoinTransferIntent = {
  readonly outputs: readonly BitcoinOutput[]
  /** sat/vB (default: the backend's estimate for `confirmationTarget`). */
  readonly feeRate?: number
  /** Blocks to confirm within, for the fee estimate (default: the adapter's, 6). */
  readonly confirmationTarget?: number
  /** Spend exactly these coins of the key (coin control). */
  readonly utxos?: readonly Outpoint[]
  /** Where change goes (default: the key's own address). */
  readonly changeAddress?: string
  /** Signal BIP125 replaceability: input sequence 0xfffffffd (default true); false gives 0xfffffffe. */
  readonly rbf?: boolean
  /** nLockTime (default 0). */
  readonly locktime?: number
  /** Spend only coins with at least this many confirmations (default: the adapter's, 1; 0 spends mempool coins too). */
  readonly minConfirmations?: number
}

/** Sign the key's inputs of a PSBT made elsewhere (BIP174): the inputs that spend the key's output and are not signed yet. */
export type BitcoinPsbtIntent = {
  /** The PSBT in base64 or hex. Every input the key signs needs its `witnessUtxo` (for P2TR: every input). */
  readonly psbt: string
}

/** What a Bitcoin relay does: a transfer, or signing a PSBT. */
export type BitcoinIntent = BitcoinTransferIntent | BitcoinPsbtIntent

/** Options of {@link bitcoinAdapter}. */
export type BitcoinAdapterOptions = {
  /** `mainnet`, `testnet4`, `signet`, `regtest` (or `testnet`), or parameters from {@link bitcoinNetworkParams}. */
  network: BitcoinNetwork | BitcoinNetworkParams
  /** Where coins, fees and broadcasts go: {@link bitcoinRpcBackend} or {@link esploraBackend}. */
  backend: BitcoinBackend
  /** Check once that the backend's genesis block is the network's (default true). */
  checkNetwork?: boolean
  /** Confirmation target for fee estimates, in blocks (default 6). */
  confirmationTarget?: number
  /** Fee rate when the backend has no estimate (sat/vB; default 1 on regtest, none elsewhere: the relay then fails asking for `feeRate`). */
  fallbackFeeRate?: number
  /** Lowest fee rate used (default 1 sat/vB, the usual minimum relay fee). */
  minFeeRate?: number
  /** Highest fee rate accepted, estimated or given (default 2 000 sat/vB): a guard against fat fingers and broken estimators. */
  maxFeeRate?: number
  /** Coins need this many confirmations to be spent (default 1). */
  minConfirmations?: number
  /** Dust relay fee rate for dust thresholds (default 3 sat/vB, Bitcoin Core's). */
  dustRelayFeeRate?: number
  /** At most this many inputs per transaction (default 256, the ledger's payload limit per signature request). */
  maxInputs?: number
  /** Confirmations `confirm` waits for (default 1). */
  confirmations?: number
  /** How often `confirm` asks the backend (default 10 000 ms). */
  pollIntervalMs?: number
  /** Default time `confirm` waits (default 3 600 000 ms; 0 = for ever; a relay's `confirmTimeoutMs` overrides it). */
  confirmTimeoutMs?: number
  /**
   * How long a broadcast transaction may be unable to move (its fee rate below the mempool's minimum,
   * or lost by a node that cannot be reached to take it again) before `confirm` reports it: a `stalled`
   * event, and `TX_STALLED` unless the relay waits (`stalled: 'wait'`). Default 60 000 ms.
   */
  stallAfterMs?: number
  /** The network's incremental relay fee for replacements (sat/vB, default 1: Bitcoin Core's `incrementalrelayfee`). */
  incrementalRelayFeeRate?: number
  /** Default: the process-wide {@link sharedUtxoLocks}. */
  locks?: UtxoLocks
}

/** The Bitcoin adapter, with what it was made with. */
export type BitcoinAdapter = RelayAdapter<BitcoinIntent, BitcoinReceipt> & {
  readonly params: BitcoinNetworkParams
  readonly backend: BitcoinBackend
  readonly locks: UtxoLocks
  /** The address a relay signer spends from (P2WPKH or P2TR, on this network). */
  addressOf(signer: Pick<RelaySigner, 'keyType' | 'publicKey'>): string
  /** Lets go of the coins a prepared transaction holds (a coin another transaction already spends stays held). */
  release(prepared: Pick<RelayRecord, 'unsignedTx' | 'summary'>, signer?: RelaySigner): Promise<void>
  /** Holds again the coins of unfinished journal records. */
  restore(records: readonly RelayRecord[]): void
  /** An RBF replacement of a sent transfer: the same inputs and claims, a higher fee (see `RelayAdapter.replace`). */
  replace(original: RelayRecord, request: ReplaceRequest, signer: RelaySigner): Promise<PreparedBitcoinTx>
}

/** What the Bitcoin adapter's `prepare` and `replace` return. */
type PreparedBitcoinTx = Awaited<ReturnType<RelayAdapter['prepare']>>

const SEQUENCE_RBF = 0xfffffffd
const SEQUENCE_FINAL_LOCKTIME = 0xfffffffe
const COINBASE_MATURITY = 100

/**
 * The Bitcoin {@link RelayAdapter} for zrkit's relay pipeline, on bitcoinjs-lib. It spends from a
 * key's P2WPKH address (`bitcoin-secp256k1` and `ecdsa-secp256k1` keys: the same threshold ECDSA) or
 * its BIP86 P2TR address (`schnorr-secp256k1` keys, key path; the signature request asks for the
 * taproot output key, `taproot: {}`), on mainnet, testnet4, signet or regtest.
 *
 * `prepare` estimates the fee rate (unless given), picks coins (largest first; change back to the key
 * unless it would be dust, and then it goes to the fee), signals RBF, holds the chosen coins so no
 * other relay spends them, and returns a PSBT whose every input is one payload of one signature
 * request: its BIP143 or BIP341 sighash as bitcoinjs-lib computes it. A PSBT made elsewhere can be
 * signed too (`{ psbt }`): the key signs the inputs that are its own. `assemble` puts the signatures
 * in, has bitcoinjs-lib verify each, and finalizes when every input is signed. `broadcast` is
 * idempotent; `confirm` waits for `confirmations` blocks on the best chain.
 *
 * Left running, it keeps each transaction moving: every input is a claim
 * (`bip122:<genesis prefix>/<txid>:<vout>`, in the request's `zrkit.claims`), so a second relayer on
 * the key prepares around coins the first one's live requests hold; `confirm` sends a transaction the
 * node lost again (the same bytes), ends one whose inputs another transaction spends with `TX_REPLACED`
 * and one the node refuses now with `TX_EXPIRED`, and says with `TX_STALLED` when a transaction pays
 * less than the mempool's minimum; `replace` builds a BIP125 replacement (speed-up or cancel).
 *
 * `prepare` also gives the PSBT in binary as `transaction` (chain `bitcoin`, the network in the
 * decoder's names: `testnet4` is `testnet`) whenever every input is the key's to sign, with its
 * witness UTXO: on a ledger that runs the `bitcoin@1` decoder the relay is then a sign-transaction
 * request, whose payloads the ledger computes itself and whose outputs the sign policy judges
 * (`tx.value`, `tx.to`, `tx.fee`). A PSBT with inputs of other keys stays a request for the payloads.
 *
 * @example
 * ```ts
 * import { createRelayer } from '@zrkit/core'
 * import { bitcoinAdapter, esploraBackend } from '@zrkit/relayer-bitcoin'
 *
 * const adapter = bitcoinAdapter({ network: 'testnet4', backend: esploraBackend({ url: 'https://mempool.space/testnet4/api' }) })
 * const relayer = createRelayer({ client: alice, adapter })
 * const { txid } = await relayer.relay({ keyId, intent: { outputs: [{ address: 'tb1q...', value: 10_000n }] } })
 * ```
 */
export function bitcoinAdapter(options: BitcoinAdapterOptions): BitcoinAdapter {
  if (!options || typeof options !== 'object') throw new ZrError('INVALID_INPUT', 'bitcoinAdapter needs options.', { details: `expected { network, backend }, got ${typeof options}` })
  ensureEccLib()
  const params = typeof options.network === 'string' ? bitcoinNetworkParams(options.network) : options.network
  if (!params || typeof params !== 'object' || typeof params.chain !== 'string' || !params.network) {
    throw new ZrError('INVALID_INPUT', 'Invalid bitcoinAdapter options.', { details: `network: expected a network name or bitcoinNetworkParams(...), got ${typeof options.network}` })
  }
  const backend = options.backend
  if (!backend || typeof backend.utxos !== 'function' || typeof backend.broadcast !== 'function') {
    throw new ZrError('INVALID_INPUT', 'Invalid bitcoinAdapter options.', { details: 'backend: expected a BitcoinBackend (bitcoinRpcBackend(...) or esploraBackend(...))' })
  }
  const maxFeeRate = options.maxFeeRate ?? 2_000
  const minFeeRate = checkFeeRate(options.minFeeRate ?? 1, 'minFeeRate', maxFeeRate)
  const fallbackFeeRate = options.fallbackFeeRate ?? (params.name === 'regtest' ? 1 : undefined)
  if (fallbackFeeRate !== undefined) checkFeeRate(fallbackFeeRate, 'fallbackFeeRate', maxFeeRate)
  const confirmationTarget = checkCount(options.confirmationTarget ?? 6, 'confirmationTarget', 1, 1008)
  const defaultMinConf = checkCount(options.minConfirmations ?? 1, 'minConfirmations', 0, 1_000_000)
  const confirmations = checkCount(options.confirmations ?? 1, 'confirmations', 1, 1_000)
  const maxInputs = checkCount(options.maxInputs ?? 256, 'maxInputs', 1, 10_000)
  const dustRelayFeeRate = options.dustRelayFeeRate ?? DEFAULT_DUST_RELAY_FEE_RATE
  const pollIntervalMs = options.pollIntervalMs ?? 10_000
  const confirmTimeoutMs = options.confirmTimeoutMs ?? 3_600_000
  const stallAfterMs = checkCount(options.stallAfterMs ?? 60_000, 'stallAfterMs', 0, 86_400_000)
  const incrementalFeeRate = checkFeeRate(options.incrementalRelayFeeRate ?? 1, 'incrementalRelayFeeRate', maxFeeRate)
  const locks = options.locks ?? sharedUtxoLocks
  const chain = params.chain
  const claimOf = (o: Outpoint) => outpointClaim(chain, o)

  let verified: Promise<void> | undefined
  const verifyNetwork = () =>
    options.checkNetwork === false
      ? Promise.resolve()
      : (verified ??= backend.genesisHash().then(
          (hash) => {
            if (hash !== params.genesisHash) {
              verified = undefined
              throw new ZrError('CHAIN_ID_MISMATCH', 'The Bitcoin backend is on another network.', {
                details: `expected ${params.name} (genesis block ${params.genesisHash}), the ${backend.kind} backend's genesis block is ${hash}`,
                context: { expected: params.genesisHash, actual: hash },
              })
            }
          },
          (cause) => {
            verified = undefined
            throw prepareFailed('could not read the genesis block from the backend', cause)
          },
        ))

  /** The key's output. For a taproot request the signer's key is already the output key. */
  const ownOutput = (signer: Pick<RelaySigner, 'keyType' | 'publicKey' | 'taproot'>): KeyOutput => keyOutput(signer.keyType, signer.publicKey, { outputKey: Boolean(signer.taproot) })

  const outpointsOf = (unsignedTx: string): Outpoint[] => {
    try {
      return parsePsbt(unsignedTx, params).txInputs.map((i) => ({ txid: toHex(Uint8Array.from(i.hash).reverse()), vout: i.index }))
    } catch {
      return []
    }
  }
  /** Who holds a prepared transaction's coins in the locks: its unsigned transaction id (a replacement has its own). */
  const holderOf = (unsignedTx: string): string => {
    try {
      return unsignedTxOf(parsePsbt(unsignedTx, params)).getId()
    } catch {
      return ''
    }
  }

  const resolveFeeRate = async (given: number | undefined, target: number): Promise<number> => {
    if (given !== undefined) return Math.max(checkFeeRate(given, 'feeRate', maxFeeRate), minFeeRate)
    let estimate: number | undefined
    try {
      estimate = await backend.feeRate(target)
    } catch (cause) {
      throw prepareFailed('could not get a fee estimate', cause)
    }
    const rate = estimate ?? fallbackFeeRate
    if (rate === undefined) {
      throw new ZrError('PREPARE_FAILED', 'Could not prepare the transaction.', { details: `the ${backend.kind} backend has no fee estimate for ${target} blocks: give feeRate (sat/vB), or fallbackFeeRate to the adapter` })
    }
    if (!(rate <= maxFeeRate)) {
      throw new ZrError('PREPARE_FAILED', 'Could not prepare the transaction.', { details: `the fee estimate ${rate} sat/vB is above maxFeeRate ${maxFeeRate} sat/vB: give feeRate, or raise maxFeeRate`, context: { estimate: rate, maxFeeRate } })
    }
    return Math.max(rate, minFeeRate)
  }

  /** The PSBT for the ledger's decoder, when it reads the PSBT as the key's alone (see psbtTransaction). */
  const transactionOf = (psbt: Psbt, plan: PsbtSigningPlan) => {
    const transaction = psbtTransaction(psbt, plan, params.name)
    return transaction ? { transaction } : {}
  }

  const prepareTransfer = async (intent: BitcoinTransferIntent, signer: RelaySigner, context?: PrepareContext) => {
    const i = checkTransfer(intent)
    const own = keyOutput(signer.keyType, signer.publicKey)
    const from = keyAddress(signer.keyType, signer.publicKey, params)
    const outputs = i.outputs.map((o, n) => {
      if ('data' in o) return { script: Uint8Array.from(payments.embed({ data: [o.data] }).output!), value: 0n, label: `OP_RETURN ${toHex(o.data)}` }
      const script = addressToScript(o.address, params)
      const dust = dustThreshold(script, dustRelayFeeRate)
      if (o.value < dust) {
        throw new ZrError('INVALID_INPUT', 'The output is dust.', { details: `outputs[${n}]: expected at least ${dust} sat (the dust threshold of ${o.address}), got ${o.value} sat`, context: { output: n, dust: dust, value: o.value } })
      }
      return { script, value: o.value, label: o.address }
    })
    const changeScript = i.changeAddress !== undefined ? addressToScript(i.changeAddress, params) : own.script
    await verifyNetwork()
    const feeRate = await resolveFeeRate(i.feeRate, i.confirmationTarget ?? confirmationTarget)
    let coins: Awaited<ReturnType<BitcoinBackend['utxos']>>
    try {
      coins = await backend.utxos(from)
    } catch (cause) {
      throw prepareFailed(`could not list the coins of ${from}`, cause)
    }
    // From here to locks.hold there is no await: two prepares never take the same coin.
    const minConf = i.minConfirmations ?? defaultMinConf
    let candidates = coins
    if (i.utxos) {
      candidates = i.utxos.map((o, n) => {
        const coin = coins.find((c) => c.txid === o.txid && c.vout === o.vout)
        if (!coin) throw new ZrError('INVALID_INPUT', 'Unknown coin.', { details: `utxos[${n}]: expected an unspent output of ${from}, got ${o.txid}:${o.vout} (spent, not yet seen, or someone else's)`, context: { txid: o.txid, vout: o.vout } })
        if (locks.isHeld(chain, coin)) throw new ZrError('INVALID_INPUT', 'The coin is held by another relay.', { details: `utxos[${n}]: ${o.txid}:${o.vout} is an input of another prepared transaction of this process`, context: { txid: o.txid, vout: o.vout } })
        return coin
      })
    } else {
      // Coins a live request of another relayer on the key claims (a replica's) are left to it.
      candidates = coins.filter((c) => !locks.isHeld(chain, c) && !context?.taken.has(claimOf(c)) && c.confirmations >= minConf && !(c.coinbase && c.confirmations < COINBASE_MATURITY))
    }
    const selection = selectCoins({
      coins: candidates,
      inputWeight: inputWeights[own.type],
      outputs,
      changeScript,
      feeRate,
      strategy: i.utxos ? 'all' : 'auto',
      dustRelayFeeRate,
      maxInputs,
      label: from,
    })

    const psbt = new Psbt({ network: params.network })
    psbt.setVersion(2)
    psbt.setLocktime(i.locktime ?? 0)
    const sequence = i.rbf === false ? SEQUENCE_FINAL_LOCKTIME : SEQUENCE_RBF
    for (const coin of selection.inputs) {
      psbt.addInput({
        hash: coin.txid,
        index: coin.vout,
        sequence,
        witnessUtxo: { script: own.script, value: coin.value },
        ...(own.type === 'p2tr' ? { tapInternalKey: own.internalKey! } : {}),
      })
    }
    for (const o of outputs) psbt.addOutput({ script: o.script, value: o.value })
    if (selection.change !== undefined) psbt.addOutput({ script: changeScript, value: selection.change })
    const plan = psbtSigningPlan(psbt, own)
    if (plan.inputs.length !== selection.inputs.length) throw new ZrError('INVALID_RESULT', 'The transaction has inputs the key cannot sign.', { details: `expected ${selection.inputs.length} inputs of ${from}, the key signs ${plan.inputs.length}` })
    locks.hold(chain, selection.inputs, unsignedTxOf(psbt).getId())

    const paid = outputs.reduce((n, o) => n + o.value, 0n)
    const summary: Record<string, string> = {
      from,
      network: params.name,
      txid: unsignedTxOf(psbt).getId(),
      value: String(paid),
      fee: String(selection.fee),
      feeRate: String(feeRate),
      vsize: String(selection.vsize),
      inputs: String(selection.inputs.length),
      outputs: String(outputs.length),
      ...(selection.change !== undefined ? { change: String(selection.change) } : {}),
      rbf: String(i.rbf !== false),
      ...(i.locktime ? { locktime: String(i.locktime) } : {}),
    }
    outputs.slice(0, 10).forEach((o, n) => (summary[`out${n}`] = `${o.label} ${o.value}`))
    return { unsignedTx: psbt.toBase64(), payloads: plan.payloads, summary, claims: selection.inputs.map(claimOf), ...(own.type === 'p2tr' ? { taproot: {} } : {}), ...transactionOf(psbt, plan) }
  }

  const preparePsbt = async (intent: BitcoinPsbtIntent, signer: RelaySigner) => {
    const psbt = parsePsbt(intent.psbt, params)
    const own = keyOutput(signer.keyType, signer.publicKey)
    const plan = psbtSigningPlan(psbt, own)
    const from = keyAddress(signer.keyType, signer.publicKey, params)
    const held = plan.inputs.map((n) => ({ txid: toHex(Uint8Array.from(psbt.txInputs[n]!.hash).reverse()), vout: psbt.txInputs[n]!.index }))
    const prevouts = psbt.data.inputs.map((_, n) => prevoutOf(psbt, n))
    const outTotal = psbt.txOutputs.reduce((n, o) => n + o.value, 0n)
    let fee: bigint | undefined
    if (prevouts.every((p) => p !== undefined)) {
      fee = prevouts.reduce((n, p) => n + p!.value, 0n) - outTotal
      if (fee < 0n) throw new ZrError('INVALID_INPUT', 'Invalid PSBT.', { details: `the outputs (${outTotal} sat) are worth more than the inputs (${fee + outTotal} sat)` })
      const estimate = vsizeOf(txWeight(psbt.txInputs.map((_, n) => inputWeightOf(prevouts[n]!.script)), psbt.txOutputs.map((o) => Uint8Array.from(o.script))))
      if (Number(fee) / estimate > maxFeeRate) {
        throw new ZrError('INVALID_INPUT', 'The PSBT pays too high a fee.', { details: `expected at most ${maxFeeRate} sat/vB, the PSBT pays ${fee} sat for about ${estimate} vB`, context: { fee, vsize: estimate } })
      }
    }
    await verifyNetwork()
    // checked and held with no await in between, so two prepares never take the same coin
    const taken = held.find((o) => locks.isHeld(chain, o))
    if (taken) throw new ZrError('INVALID_INPUT', 'The coin is held by another relay.', { details: `${taken.txid}:${taken.vout} is an input of another prepared transaction of this process`, context: { ...taken } })
    locks.hold(chain, held, unsignedTxOf(psbt).getId())
    const summary: Record<string, string> = {
      from,
      network: params.name,
      psbt: 'true',
      txid: unsignedTxOf(psbt).getId(),
      inputs: String(psbt.inputCount),
      signs: plan.inputs.join(','),
      outputs: String(psbt.txOutputs.length),
      ...(fee !== undefined ? { fee: String(fee) } : {}),
    }
    psbt.txOutputs.slice(0, 10).forEach((o, n) => (summary[`out${n}`] = `${scriptToAddress(Uint8Array.from(o.script), params) ?? `script ${toHex(o.script)}`} ${o.value}`))
    return { unsignedTx: psbt.toBase64(), payloads: plan.payloads, summary, claims: held.map(claimOf), ...(own.type === 'p2tr' ? { taproot: {} } : {}), ...transactionOf(psbt, plan) }
  }

  const replaceTransfer = async (original: RelayRecord, request: ReplaceRequest, signer: RelaySigner): Promise<PreparedBitcoinTx> => {
    if (!request || (request.mode !== 'speed-up' && request.mode !== 'cancel')) throw badIntent('mode', "'speed-up' or 'cancel'", request?.mode)
    if (original.summary.psbt === 'true') {
      throw new ZrError('INVALID_INPUT', 'Cannot replace this Bitcoin transaction.', { details: `relay ${original.id} signed a PSBT made elsewhere: only a transfer the relayer built can be replaced (replace the PSBT where it was made)` })
    }
    const old = parsePsbt(original.unsignedTx, params)
    const own = ownOutput(signer)
    const from = keyAddress(signer.keyType, signer.publicKey, params)
    const inputs = outpointsOf(original.unsignedTx)
    await verifyNetwork()
    const txid = original.txid ?? unsignedTxOf(old).getId()
    let landed: Awaited<ReturnType<BitcoinBackend['txStatus']>>
    let spent: Awaited<ReturnType<typeof spentElsewhere>>
    try {
      landed = await backend.txStatus(txid, original.signedTx !== undefined && /^([0-9a-f]{2})+$/i.test(original.signedTx) ? original.signedTx : undefined)
      spent = landed.state === 'confirmed' ? undefined : await spentElsewhere(backend, txid, inputs)
    } catch (cause) {
      throw prepareFailed('could not read where the original transaction stands', cause)
    }
    if (landed.state === 'confirmed') {
      throw new ZrError('PREPARE_FAILED', 'Could not prepare the replacement.', {
        details: `transaction ${txid} is already in block ${landed.blockHeight}: there is nothing left to replace; resume the original relay to read its receipt`,
        context: { reason: 'landed', txid },
      })
    }
    if (spent?.spend.confirmed) {
      throw new ZrError('PREPARE_FAILED', 'Could not prepare the replacement.', {
        details: `input ${spent.outpoint.txid}:${spent.outpoint.vout} of transaction ${txid} is spent in a block${spent.spend.txid ? ` by ${spent.spend.txid}` : ''}: there is nothing left to replace`,
        context: { txid },
      })
    }
    const estimate = request.fees?.feeRate === undefined ? await backend.feeRate(confirmationTarget).catch(() => undefined) : undefined
    const signedVsize = original.signedTx !== undefined && /^([0-9a-f]{2})+$/i.test(original.signedTx) ? Transaction.fromHex(original.signedTx).virtualSize() : undefined
    const built = buildRbfReplacement({
      original: old,
      summary: original.summary,
      ...(signedVsize !== undefined ? { originalVsize: signedVsize } : {}),
      request,
      own,
      params,
      ...(estimate !== undefined ? { estimate: Math.min(estimate, maxFeeRate) } : {}),
      incrementalFeeRate,
      maxFeeRate,
      dustRelayFeeRate,
    })
    const psbt = built.psbt
    const plan = psbtSigningPlan(psbt, own)
    if (plan.inputs.length !== inputs.length) throw new ZrError('INVALID_RESULT', 'The replacement has inputs the key cannot sign.', { details: `expected ${inputs.length} inputs of ${from}, the key signs ${plan.inputs.length}` })
    const newTxid = unsignedTxOf(psbt).getId()
    locks.hold(chain, inputs, newTxid)
    const paid = psbt.txOutputs.reduce((n, o) => n + o.value, 0n) - (built.change ?? 0n)
    const summary: Record<string, string> = {
      from,
      network: params.name,
      txid: newTxid,
      value: String(request.mode === 'cancel' ? 0n : paid),
      fee: String(built.fee),
      feeRate: String(built.feeRate),
      vsize: String(built.vsize),
      inputs: String(inputs.length),
      outputs: String(psbt.txOutputs.length - (built.change !== undefined ? 1 : 0)),
      ...(built.change !== undefined ? { change: String(built.change) } : {}),
      rbf: 'true',
      replaces: txid,
      replaceMode: request.mode,
      originalFee: String(built.originalFee),
    }
    psbt.txOutputs.slice(0, 8).forEach((o, n) => (summary[`out${n}`] = `${scriptToAddress(Uint8Array.from(o.script), params) ?? `script ${toHex(o.script)}`} ${o.value}`))
    return { unsignedTx: psbt.toBase64(), payloads: plan.payloads, summary, claims: inputs.map(claimOf), ...(own.type === 'p2tr' ? { taproot: {} } : {}), ...transactionOf(psbt, plan) }
  }

  return Object.freeze({
    chain,
    params,
    backend,
    locks,
    keyTypes: bitcoinKeyTypes,
    makesClaims: true,
    addressOf: (signer: Pick<RelaySigner, 'keyType' | 'publicKey'>) => keyAddress(signer.keyType, signer.publicKey, params),

    async prepare(intent: BitcoinIntent, signer: RelaySigner, context?: PrepareContext) {
      spendTypeOf(signer.keyType)
      if (!intent || typeof intent !== 'object') throw badIntent('intent', 'an object: { outputs } or { psbt }', intent)
      return 'psbt' in intent ? preparePsbt(intent, signer) : prepareTransfer(intent, signer, context)
    },

    replace: (original: RelayRecord, request: ReplaceRequest, signer: RelaySigner) => replaceTransfer(original, request, signer),

    payloads(unsignedTx: string, signer: RelaySigner) {
      return psbtSigningPlan(parsePsbt(unsignedTx, params), ownOutput(signer)).payloads
    },

    assemble(unsignedTx: string, signatures: readonly Uint8Array[], signer: RelaySigner) {
      const psbt = parsePsbt(unsignedTx, params)
      const own = ownOutput(signer)
      const plan = psbtSigningPlan(psbt, own)
      addPsbtSignatures(psbt, own, plan, signatures, own.type === 'p2wpkh' ? signer.publicKey : undefined)
      const complete = psbt.data.inputs.every((input) => input.partialSig?.length || input.tapKeySig || input.finalScriptWitness || input.finalScriptSig)
      if (!complete) return { signedTx: psbt.toBase64(), txid: unsignedTxOf(psbt).getId() }
      psbt.finalizeAllInputs()
      const tx = psbt.extractTransaction(true)
      return { signedTx: tx.toHex(), txid: tx.getId() }
    },

    async broadcast(tx) {
      if (!/^([0-9a-f]{2})+$/i.test(tx.signedTx)) {
        throw new ZrError('BROADCAST_FAILED', 'The PSBT is not fully signed.', {
          details: `transaction ${tx.txid} still has inputs that other keys must sign: give the signed PSBT to them, finalize it, and broadcast the result`,
          context: { txid: tx.txid },
        })
      }
      await sendSignedBitcoinTx(backend, tx, 'broadcast-failed')
    },

    confirm: (tx, confirmOptions = {}): Promise<BitcoinReceipt> => watchBitcoinTransaction(tx, { ...confirmOptions, backend, confirmations, stallAfterMs, pollIntervalMs, defaultTimeoutMs: confirmTimeoutMs }),

    async release(prepared: Pick<RelayRecord, 'unsignedTx' | 'summary'>) {
      const holder = holderOf(prepared.unsignedTx)
      const inputs = outpointsOf(prepared.unsignedTx)
      // A coin another transaction already spends (a replacement, a replica's) stays held: a backend that
      // lists confirmed coins only would still offer it until the spend is mined.
      const spent = new Set<string>()
      if (backend.outspend) {
        for (const o of inputs) {
          const s = await backend.outspend(o).catch(() => undefined)
          if (s?.state === 'spent') spent.add(`${o.txid}:${o.vout}`)
        }
      }
      locks.release(chain, inputs.filter((o) => !spent.has(`${o.txid}:${o.vout}`)), holder)
    },

    restore(records: readonly RelayRecord[]) {
      for (const r of records) locks.hold(chain, outpointsOf(r.unsignedTx), holderOf(r.unsignedTx))
    },
  } satisfies BitcoinAdapter)
}

function inputWeightOf(script: Uint8Array): number {
  if (script.length === 22 && script[0] === 0x00) return inputWeights.p2wpkh
  if (script.length === 34 && script[0] === 0x51) return inputWeights.p2tr
  return 41 * 4 + 110 // a rough size for other inputs: only a fee sanity check uses it
}

function prepareFailed(what: string, cause: unknown): ZrError {
  if (isZrError(cause, 'CHAIN_ID_MISMATCH')) return cause
  const details = cause instanceof ZrError ? (cause.details ?? cause.shortMessage) : cause instanceof Error ? cause.message : String(cause)
  return new ZrError('PREPARE_FAILED', 'Could not prepare the transaction.', { details: `${what}: ${details}`, cause })
}

function checkCount(n: unknown, what: string, min: number, max: number): number {
  if (!Number.isSafeInteger(n) || (n as number) < min || (n as number) > max) {
    throw new ZrError('INVALID_INPUT', 'Invalid bitcoinAdapter options.', { details: `${what}: expected an integer from ${min} to ${max}, got ${String(n)}` })
  }
  return n as number
}

const badIntent = (field: string, expected: string, got: unknown) =>
  new ZrError('INVALID_INPUT', 'Invalid Bitcoin transaction.', {
    details: `${field}: expected ${expected}, got ${typeof got === 'bigint' ? `${got}n` : typeof got === 'string' ? JSON.stringify(got.length > 80 ? `${got.slice(0, 80)}...` : got) : Array.isArray(got) ? 'an array' : got === null ? 'null' : typeof got === 'object' ? 'an object' : String(got)}`,
  })

const MAX_SATS = 2_100_000_000_000_000n

/** Checks a transfer intent field by field. */
function checkTransfer(i: BitcoinTransferIntent): BitcoinTransferIntent {
  if (!Array.isArray(i.outputs) || i.outputs.length === 0 || i.outputs.length > 1000) throw badIntent('outputs', 'an array of 1..1000 outputs ({ address, value } or { data })', i.outputs)
  let dataOutputs = 0
  i.outputs.forEach((o: BitcoinOutput, n) => {
    if (!o || typeof o !== 'object') throw badIntent(`outputs[${n}]`, '{ address, value } or { data }', o)
    if ('data' in o) {
      if (!(o.data instanceof Uint8Array) || o.data.length > 80) throw badIntent(`outputs[${n}].data`, 'at most 80 bytes', o.data instanceof Uint8Array ? `${o.data.length} bytes` : o.data)
      if (++dataOutputs > 1) throw badIntent(`outputs[${n}]`, 'at most one data (OP_RETURN) output', 'a second one')
      return
    }
    if (typeof o.address !== 'string') throw new ZrError('INVALID_ADDRESS', 'Invalid Bitcoin address.', { details: `outputs[${n}].address: expected a string, got ${typeof o.address}` })
    if (typeof o.value !== 'bigint' || o.value < 1n || o.value > MAX_SATS) throw badIntent(`outputs[${n}].value`, 'satoshis as a bigint from 1 to 21e14', o.value)
  })
  if (i.confirmationTarget !== undefined && (!Number.isSafeInteger(i.confirmationTarget) || i.confirmationTarget < 1 || i.confirmationTarget > 1008)) throw badIntent('confirmationTarget', 'an integer from 1 to 1008', i.confirmationTarget)
  if (i.minConfirmations !== undefined && (!Number.isSafeInteger(i.minConfirmations) || i.minConfirmations < 0)) throw badIntent('minConfirmations', 'a non-negative integer', i.minConfirmations)
  if (i.locktime !== undefined && (!Number.isSafeInteger(i.locktime) || i.locktime < 0 || i.locktime > 0xffffffff)) throw badIntent('locktime', 'an integer from 0 to 2^32 - 1', i.locktime)
  if (i.rbf !== undefined && typeof i.rbf !== 'boolean') throw badIntent('rbf', 'a boolean', i.rbf)
  if (i.changeAddress !== undefined && typeof i.changeAddress !== 'string') throw new ZrError('INVALID_ADDRESS', 'Invalid Bitcoin address.', { details: `changeAddress: expected a string, got ${typeof i.changeAddress}` })
  if (i.utxos !== undefined) {
    if (!Array.isArray(i.utxos) || i.utxos.length === 0) throw badIntent('utxos', 'a non-empty array of { txid, vout }', i.utxos)
    const seen = new Set<string>()
    i.utxos.forEach((o, n) => {
      if (!o || typeof o.txid !== 'string' || !/^[0-9a-f]{64}$/.test(o.txid) || !Number.isSafeInteger(o.vout) || o.vout < 0) throw badIntent(`utxos[${n}]`, '{ txid: 64 lower-case hex digits, vout: a non-negative integer }', o)
      const key = `${o.txid}:${o.vout}`
      if (seen.has(key)) throw badIntent(`utxos[${n}]`, 'each coin once', key)
      seen.add(key)
    })
  }
  return i
}
