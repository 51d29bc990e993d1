import { type PrepareContext, type PreparedTx, type RelayAdapter, type ReplaceRequest, type RelayRecord, type RelaySigner, ZrError, isZrError, publicKeyToEvmAddress } from '@zrkit/core'
import { equalBytes } from '@zrkit/core/internal'
import {
  type AccessList,
  type Address,
  type Chain,
  type Client,
  type Hex,
  type TransactionReceipt,
  type TransactionSerializable,
  type Transport,
  BaseError,
  getAddress,
  hexToBytes,
  isAddress,
  isHex,
  keccak256,
  parseTransaction,
  recoverTransactionAddress,
  serializeTransaction,
} from 'viem'
import { estimateFeesPerGas, estimateGas, getBalance, getBlock, getChainId, getTransactionCount } from 'viem/actions'
import { decodeEvmTransaction } from './decoder/decodeEvmTransaction.js'
import { type EvmNonceManager, sharedEvmNonceManager } from './evmNonceManager.js'
import { toEvmSignature } from './signature.js'
import { describeNodeError, nonceClaim, sendSignedTx, signedTxFacts, watchEvmTransaction } from './evmTxWatch.js'

/** The transaction types the relayer builds. */
export type EvmTransactionType = 'legacy' | 'eip2930' | 'eip1559'

/**
 * What to send. Everything but `to` / `data` is optional: what is left out is filled in from the chain
 * (type, fees, gas, nonce); what is given is used as is.
 */
export type EvmTransactionIntent = {
  /** The recipient; `null` or absent (with `data`) deploys a contract. */
  to?: Address | null
  /** Wei. */
  value?: bigint
  /** Call data, or the init code of a deployment. */
  data?: Hex
  /** Default: `eip1559` when the chain's blocks have a base fee (or 1559 fees are given), else `legacy` (`eip2930` with an access list). */
  type?: EvmTransactionType
  /** Default: the next one from the nonce manager. */
  nonce?: number
  /** Default: `eth_estimateGas`. */
  gas?: bigint
  /** Legacy and EIP-2930 fee (default: the node's gas price). */
  gasPrice?: bigint
  /** EIP-1559 fee cap (default: 1.2 x the base fee + the priority fee, or the chain's own fee rules). */
  maxFeePerGas?: bigint
  /** EIP-1559 tip (default: the node's suggestion). */
  maxPriorityFeePerGas?: bigint
  /** EIP-2930 and EIP-1559 access list. */
  accessList?: AccessList
  /** Must equal the client's chain id when given. */
  chainId?: number
}

/** Options of {@link evmAdapter}. */
export type EvmAdapterOptions = {
  /** A viem client for the chain (public or wallet). Its `chain` names the chain id; set `pollingInterval` for fast local chains. */
  publicClient: Client<Transport, Chain | undefined>
  /** The chain id, when the client has no `chain`. It is checked against the node's `eth_chainId` before the first transaction. */
  chainId?: number
  /** Default: the process-wide {@link sharedEvmNonceManager}. */
  nonceManager?: EvmNonceManager
  /** Blocks to wait for in `confirm` (default 1). */
  confirmations?: number
  /** Default time `confirm` waits (default 600 000 ms; 0 = for ever; a relay's `confirmTimeoutMs` overrides it). */
  confirmTimeoutMs?: number
  /**
   * How long a broadcast transaction may be unable to move (an earlier nonce missing, its fee cap below
   * the base fee) before `confirm` reports it: a `stalled` event, and `TX_STALLED` unless the relay waits
   * (`stalled: 'wait'`). Default 15 000 ms.
   */
  stallAfterMs?: number
}

const U256 = 2n ** 256n

/**
 * The EVM {@link RelayAdapter} for zrkit's relay pipeline, on viem. It builds EIP-1559, EIP-2930 and
 * legacy transactions (EIP-155, chain id from the client), fills in nonce, gas and fees that the intent
 * leaves out, and signs the keccak-256 of the unsigned serialized transaction with the key. Assembly
 * puts the signature in with `yParity` = the recovery id and checks that the signed transaction recovers
 * the key's address. Broadcasting first asks the node for the hash: a transaction it already has (in the
 * pool or in a block) is a success and is not sent again.
 *
 * Works with any viem chain: give it a client for Sepolia, Base, a local anvil...
 *
 * `prepare` also returns the unsigned transaction as the ledger's `evm@1` decoder reads it
 * (`transaction: { chain: 'evm', unsignedTransaction, network: 'eip155:<chainId>' }`), so that on a ledger
 * that runs the decoder the relay pipeline asks for a sign-transaction request, which the sign policy
 * judges (`tx.value <= 0.1 eth`). It does so for `ecdsa-secp256k1` keys when the decoder reads the bytes
 * and computes the same digest: always for viem's own serializer; a chain's own serializer (a
 * fee-currency transaction, say) may give bytes it does not read, which then go as payloads alone.
 *
 * @example
 * ```ts
 * import { createRelayer } from '@zrkit/core'
 * import { evmAdapter } from '@zrkit/relayer-evm'
 * import { createPublicClient, http, parseEther } from 'viem'
 * import { sepolia } from 'viem/chains'
 *
 * const publicClient = createPublicClient({ chain: sepolia, transport: http(process.env.SEPOLIA_RPC_URL) })
 * const relayer = createRelayer({ client: alice, adapter: evmAdapter({ publicClient }) })
 * const { txid, receipt } = await relayer.relay({ keyId, intent: { to: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', value: parseEther('0.01') } })
 * ```
 */
export function evmAdapter(options: EvmAdapterOptions): RelayAdapter<EvmTransactionIntent, TransactionReceipt> & { readonly chainId: number; readonly nonceManager: EvmNonceManager } {
  const client = options?.publicClient
  if (!client || typeof client.request !== 'function') {
    throw new ZrError('INVALID_INPUT', 'evmAdapter needs a viem client.', { details: `expected { publicClient: a viem Client }, got ${client === undefined ? 'no publicClient' : typeof client}` })
  }
  const chainId = options.chainId ?? client.chain?.id
  if (!Number.isSafeInteger(chainId) || (chainId as number) < 1) {
    throw new ZrError('INVALID_INPUT', 'evmAdapter needs a chain id.', { details: `expected a client with a chain, or chainId (a positive integer), got ${String(chainId)}` })
  }
  if (options.chainId !== undefined && client.chain && client.chain.id !== options.chainId) {
    throw new ZrError('CHAIN_ID_MISMATCH', 'The chain id does not match the client.', { details: `expected chainId ${client.chain.id} (the client's chain ${client.chain.name}), got ${options.chainId}` })
  }
  const nonceManager = options.nonceManager ?? sharedEvmNonceManager
  const confirmations = options.confirmations ?? 1
  const confirmTimeoutMs = options.confirmTimeoutMs ?? 600_000
  const stallAfterMs = options.stallAfterMs ?? 15_000
  if (!Number.isSafeInteger(confirmations) || confirmations < 1) throw new ZrError('INVALID_INPUT', 'Invalid confirmations.', { details: `expected a positive integer number of blocks, got ${String(confirmations)}` })
  if (typeof stallAfterMs !== 'number' || !(stallAfterMs >= 0) || !Number.isFinite(stallAfterMs)) throw new ZrError('INVALID_INPUT', 'Invalid stallAfterMs.', { details: `expected a finite number of ms >= 0, got ${String(stallAfterMs)}` })
  const serialize = (client.chain?.serializers?.transaction ?? serializeTransaction) as typeof serializeTransaction

  let verified: Promise<void> | undefined
  const verifyChain = () =>
    (verified ??= getChainId(client).then((actual) => {
      if (actual !== chainId) {
        verified = undefined
        throw new ZrError('CHAIN_ID_MISMATCH', 'The node is on another chain.', { details: `expected chain id ${chainId}, the node at the client's transport says ${actual}`, context: { expected: chainId, actual } })
      }
    }, (cause) => {
      verified = undefined
      throw prepareFailed('could not read the chain id from the node', cause)
    }))

  let supports1559: Promise<boolean> | undefined
  const has1559 = () =>
    (supports1559 ??= getBlock(client, { blockTag: 'latest' }).then(
      (b) => typeof b.baseFeePerGas === 'bigint',
      (cause) => {
        supports1559 = undefined
        throw prepareFailed('could not read the latest block', cause)
      },
    ))

  const payloadsOf = (unsignedTx: string) => [hexToBytes(keccak256(unsignedTx as Hex))]

  /** Serializes a filled-in transaction and says what it is: its payload, the approvers' summary, its nonce claim. */
  const build = (
    signer: RelaySigner,
    from: Address,
    t: { type: EvmTransactionType; nonce: number; gas: bigint; fees: { gasPrice: bigint } | { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }; to?: Address; value?: bigint; data?: Hex; accessList?: AccessList },
    extra: Record<string, string>,
  ): PreparedTx => {
    const tx = {
      type: t.type,
      chainId: chainId as number,
      nonce: t.nonce,
      gas: t.gas,
      ...(t.to ? { to: t.to } : {}),
      ...(t.value !== undefined ? { value: t.value } : {}),
      ...(t.data ? { data: t.data } : {}),
      ...(t.type !== 'legacy' && t.accessList ? { accessList: t.accessList } : {}),
      ...t.fees,
    } as TransactionSerializable
    const unsignedTx = serialize(tx)
    const summary: Record<string, string> = {
      from,
      to: t.to ?? 'create',
      value: String(t.value ?? 0n),
      nonce: String(t.nonce),
      chainId: String(chainId),
      type: t.type,
      gas: String(t.gas),
      ...('gasPrice' in t.fees ? { gasPrice: String(t.fees.gasPrice) } : { maxFeePerGas: String(t.fees.maxFeePerGas), maxPriorityFeePerGas: String(t.fees.maxPriorityFeePerGas) }),
      ...(t.data && t.data.length > 2 ? { dataBytes: String((t.data.length - 2) / 2), ...(t.to ? { selector: t.data.slice(0, 10) } : {}) } : {}),
      ...extra,
    }
    const payloads = payloadsOf(unsignedTx)
    const transaction = transactionFor(unsignedTx, payloads[0]!, signer)
    return { unsignedTx, payloads, summary, claims: [nonceClaim(chainId as number, from, t.nonce)], ...(transaction ? { transaction } : {}) }
  }

  return Object.freeze({
    chain: `eip155:${chainId}`,
    chainId: chainId as number,
    nonceManager,
    keyTypes: ['ecdsa-secp256k1', 'bitcoin-secp256k1'] as const,
    makesClaims: true,

    async prepare(intent: EvmTransactionIntent, signer: RelaySigner, context?: PrepareContext) {
      const i = checkIntent(intent, chainId as number)
      const from = publicKeyToEvmAddress(signer.publicKey)
      await verifyChain()
      const type: EvmTransactionType =
        i.type ??
        (i.maxFeePerGas !== undefined || i.maxPriorityFeePerGas !== undefined
          ? 'eip1559'
          : i.gasPrice !== undefined
            ? i.accessList
              ? 'eip2930'
              : 'legacy'
            : (await has1559())
              ? 'eip1559'
              : i.accessList
                ? 'eip2930'
                : 'legacy')
      checkFieldsFit(i, type)

      let fees: { gasPrice: bigint } | { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }
      try {
        if (type === 'eip1559') {
          if (i.maxFeePerGas !== undefined && i.maxPriorityFeePerGas !== undefined) fees = { maxFeePerGas: i.maxFeePerGas, maxPriorityFeePerGas: i.maxPriorityFeePerGas }
          else {
            const est = await estimateFeesPerGas(client, { type: 'eip1559', chain: client.chain })
            const priority = i.maxPriorityFeePerGas ?? est.maxPriorityFeePerGas
            fees = { maxFeePerGas: i.maxFeePerGas ?? est.maxFeePerGas - est.maxPriorityFeePerGas + priority, maxPriorityFeePerGas: priority }
          }
          if (fees.maxPriorityFeePerGas > fees.maxFeePerGas) {
            throw new ZrError('INVALID_INPUT', 'Invalid EIP-1559 fees.', { details: `expected maxPriorityFeePerGas <= maxFeePerGas, got ${fees.maxPriorityFeePerGas} > ${fees.maxFeePerGas}` })
          }
        } else fees = { gasPrice: i.gasPrice ?? (await estimateFeesPerGas(client, { type: 'legacy', chain: client.chain })).gasPrice }
      } catch (e) {
        throw e instanceof ZrError ? e : prepareFailed('could not estimate the fees', e)
      }

      // What the node would refuse after the approvers signed: checked before anyone is asked.
      const feeCap = 'gasPrice' in fees ? fees.gasPrice : fees.maxFeePerGas
      if (i.maxFeePerGas !== undefined || i.gasPrice !== undefined) {
        let baseFee: bigint | null | undefined
        try {
          baseFee = (await getBlock(client, { blockTag: 'latest' })).baseFeePerGas
        } catch (e) {
          throw prepareFailed('could not read the latest block', e)
        }
        if (typeof baseFee === 'bigint' && feeCap < baseFee) {
          throw new ZrError('PREPARE_FAILED', 'Could not prepare the transaction.', {
            details: `${'gasPrice' in fees ? 'gasPrice' : 'maxFeePerGas'} ${feeCap} wei is below the current base fee of ${baseFee} wei: the node would refuse the transaction (or hold it unmined) once signed; offer at least the base fee, or leave the fee out to have it estimated`,
            context: { reason: 'fee-below-base-fee', feeCap, baseFee },
          })
        }
      }
      if (i.nonce !== undefined) {
        let used: number
        try {
          used = await getTransactionCount(client, { address: from, blockTag: 'latest' })
        } catch (e) {
          throw prepareFailed('could not read the account nonce', e)
        }
        if (i.nonce < used) {
          throw new ZrError('PREPARE_FAILED', 'Could not prepare the transaction.', {
            details: `nonce ${i.nonce} of ${from} is already used on chain (its next nonce is ${used}): the node would refuse the transaction once signed`,
            context: { reason: 'nonce-used', nonce: i.nonce, next: used },
          })
        }
      }

      let gas = i.gas
      if (gas === undefined) {
        try {
          gas = await estimateGas(client, { account: from, ...(i.to ? { to: i.to } : {}), ...(i.value !== undefined ? { value: i.value } : {}), ...(i.data ? { data: i.data } : {}), ...(i.accessList ? { accessList: i.accessList } : {}) })
        } catch (e) {
          throw prepareFailed('could not estimate the gas (would the transaction revert, or does the account lack funds?)', e)
        }
      }

      // A transaction the account cannot pay for would be approved and signed only to be refused by the node.
      const maxCost = (i.value ?? 0n) + gas * feeCap
      let balance: bigint
      try {
        balance = await getBalance(client, { address: from })
      } catch (e) {
        throw prepareFailed('could not read the balance', e)
      }
      if (balance < maxCost) {
        throw new ZrError('PREPARE_FAILED', 'Could not prepare the transaction.', {
          details: `insufficient funds: ${from} has ${balance} wei, the transaction may cost up to ${maxCost} wei (value + gas x fee)`,
          context: { from, balance, maxCost },
        })
      }

      // The nonce comes last, so that a failed check holds none.
      let nonce: number
      if (i.nonce !== undefined) {
        nonce = i.nonce
        nonceManager.hold({ address: from, chainId: chainId as number, nonce })
      } else {
        // The next free nonce that no other relayer's live request on the key claims (a replica's).
        const account = { address: from, chainId: chainId as number }
        const skipped: number[] = []
        nonce = await nonceManager.reserve({ ...account, client })
        while (context?.taken.has(nonceClaim(chainId as number, from, nonce))) {
          skipped.push(nonce)
          nonce = await nonceManager.reserve({ ...account, client })
        }
        // Held only to step over them: the other relayer's request may still be rejected, and its nonce must then be free.
        for (const n of skipped) nonceManager.release({ ...account, nonce: n })
      }

      return build(signer, from, { type, nonce, gas, fees, ...(i.to ? { to: i.to } : {}), ...(i.value !== undefined ? { value: i.value } : {}), ...(i.data ? { data: i.data } : {}), ...(i.accessList ? { accessList: i.accessList } : {}) }, {})
    },

    async replace(original: RelayRecord, request: ReplaceRequest, signer: RelaySigner) {
      const from = publicKeyToEvmAddress(signer.publicKey)
      const old = parseTransaction(original.unsignedTx as Hex)
      const nonce = old.nonce ?? 0
      const type = (old.type ?? 'legacy') as EvmTransactionType
      const given = checkReplacementFees(request.fees, type)
      await verifyChain()
      let used: number
      try {
        used = await getTransactionCount(client, { address: from, blockTag: 'latest' })
      } catch (e) {
        throw prepareFailed('could not read the account nonce', e)
      }
      if (used > nonce) {
        throw new ZrError('PREPARE_FAILED', 'Could not prepare the replacement.', {
          details: `nonce ${nonce} of ${from} is already used on chain: the original transaction ${original.txid ?? ''} (or another one) landed, so there is nothing left to replace; resume the original relay to read its receipt`,
          context: { reason: 'nonce-used', nonce, next: used },
        })
      }
      // Nodes take a replacement only when it raises the fees by 10% or more: raise by an eighth, or to what the chain asks now.
      const raise = (v: bigint | undefined) => ((v ?? 0n) * 9n + 7n) / 8n
      let fees: { gasPrice: bigint } | { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }
      try {
        if (type === 'eip1559') {
          const est = given.maxFeePerGas !== undefined && given.maxPriorityFeePerGas !== undefined ? undefined : await estimateFeesPerGas(client, { type: 'eip1559', chain: client.chain })
          const tip = given.maxPriorityFeePerGas ?? max(raise(old.maxPriorityFeePerGas), est!.maxPriorityFeePerGas)
          fees = { maxPriorityFeePerGas: tip, maxFeePerGas: given.maxFeePerGas ?? max(raise(old.maxFeePerGas), est!.maxFeePerGas - est!.maxPriorityFeePerGas + tip) }
          if (fees.maxPriorityFeePerGas > fees.maxFeePerGas) fees = { ...fees, maxFeePerGas: fees.maxPriorityFeePerGas }
        } else fees = { gasPrice: given.gasPrice ?? max(raise(old.gasPrice), (await estimateFeesPerGas(client, { type: 'legacy', chain: client.chain })).gasPrice) }
      } catch (e) {
        throw e instanceof ZrError ? e : prepareFailed('could not estimate the fees', e)
      }
      const below = 'gasPrice' in fees ? (fees.gasPrice * 10n < (old.gasPrice ?? 0n) * 11n ? `gasPrice ${fees.gasPrice} < 1.1 x ${old.gasPrice}` : undefined) : fees.maxFeePerGas * 10n < (old.maxFeePerGas ?? 0n) * 11n ? `maxFeePerGas ${fees.maxFeePerGas} < 1.1 x ${old.maxFeePerGas}` : fees.maxPriorityFeePerGas * 10n < (old.maxPriorityFeePerGas ?? 0n) * 11n ? `maxPriorityFeePerGas ${fees.maxPriorityFeePerGas} < 1.1 x ${old.maxPriorityFeePerGas}` : undefined
      if (below) throw new ZrError('INVALID_INPUT', 'The replacement does not raise the fees enough.', { details: `a node takes a replacement only when it raises every fee by at least 10% over the original's: ${below}` })
      const body =
        request.mode === 'cancel'
          ? { to: from, value: 0n, gas: 21_000n }
          : { ...(old.to ? { to: old.to } : {}), ...(old.value !== undefined ? { value: old.value } : {}), ...(old.data ? { data: old.data } : {}), ...(old.accessList?.length ? { accessList: old.accessList } : {}), gas: old.gas ?? 21_000n }
      const feeCap = 'gasPrice' in fees ? fees.gasPrice : fees.maxFeePerGas
      const maxCost = (body.value ?? 0n) + body.gas * feeCap
      const balance = await getBalance(client, { address: from }).catch((e) => {
        throw prepareFailed('could not read the balance', e)
      })
      if (balance < maxCost) {
        throw new ZrError('PREPARE_FAILED', 'Could not prepare the replacement.', { details: `insufficient funds: ${from} has ${balance} wei, the replacement may cost up to ${maxCost} wei (value + gas x fee)`, context: { from, balance, maxCost } })
      }
      nonceManager.hold({ address: from, chainId: chainId as number, nonce })
      return build(signer, from, { type, nonce, fees, ...body }, { replaces: original.txid ?? original.id, replaceMode: request.mode })
    },

    payloads: (unsignedTx: string) => payloadsOf(unsignedTx),

    async assemble(unsignedTx: string, signatures: readonly Uint8Array[], signer: RelaySigner) {
      if (signatures.length !== 1) throw new ZrError('INVALID_RESULT', 'Wrong number of signatures.', { details: `expected 1 signature for an EVM transaction, got ${signatures.length}` })
      const tx = parseTransaction(unsignedTx as Hex)
      const signedTx = serialize(tx as TransactionSerializable, toEvmSignature(signatures[0]!))
      const expected = publicKeyToEvmAddress(signer.publicKey)
      const recovered = await recoverTransactionAddress({ serializedTransaction: signedTx as never })
      if (getAddress(recovered) !== expected) {
        throw new ZrError('INVALID_RESULT', 'The signed transaction does not recover the key.', { details: `expected sender ${expected}, the signed transaction recovers ${recovered}` })
      }
      return { signedTx, txid: keccak256(signedTx) }
    },

    async broadcast(tx) {
      await sendSignedTx(client, tx, await signedTxFacts(tx))
    },

    confirm: (tx, confirmOptions = {}) =>
      watchEvmTransaction(tx, { ...confirmOptions, client, chainId: chainId as number, nonceManager, confirmations, stallAfterMs, defaultTimeoutMs: confirmTimeoutMs }),

    failure: (receipt: TransactionReceipt) => (receipt.status === 'reverted' ? `reverted in block ${receipt.blockNumber} (gas used ${receipt.gasUsed})` : undefined),

    release(prepared: Pick<RelayRecord, 'unsignedTx' | 'summary'>) {
      const { from, nonce } = prepared.summary
      if (from && nonce !== undefined && isAddress(from)) nonceManager.release({ address: from, chainId: chainId as number, nonce: Number(nonce) })
    },

    restore(records: readonly RelayRecord[]) {
      for (const r of records) {
        const { from, nonce } = r.summary
        if (from && nonce !== undefined && isAddress(from)) nonceManager.hold({ address: from, chainId: chainId as number, nonce: Number(nonce) })
      }
    },
  })
}

/**
 * The transaction for a sign-transaction request, when the ledger's `evm@1` decoder reads it for this
 * signer and computes the same digest as the adapter; else `undefined` (payloads alone). A
 * `bitcoin-secp256k1` key (which the decoder does not take) and a chain serializer's own transaction
 * types are left to payload requests.
 */
function transactionFor(unsignedTx: Hex, digest: Uint8Array, signer: RelaySigner): PreparedTx['transaction'] {
  if (signer.keyType !== 'ecdsa-secp256k1' || signer.taproot !== undefined) return undefined
  const unsignedTransaction = hexToBytes(unsignedTx)
  try {
    const { payloads, transaction } = decodeEvmTransaction({ unsignedTransaction, keyType: signer.keyType, publicKey: signer.publicKey, taproot: false })
    if (payloads.length !== 1 || !equalBytes(payloads[0]!, digest)) return undefined
    return { chain: 'evm', unsignedTransaction, network: transaction.network }
  } catch (e) {
    if (isZrError(e, 'INVALID_TRANSACTION')) return undefined
    throw e
  }
}

function prepareFailed(what: string, cause: unknown): ZrError {
  return new ZrError('PREPARE_FAILED', 'Could not prepare the transaction.', { details: `${what}: ${describeNodeError(cause)}`, cause })
}

const bad = (field: string, expected: string, got: unknown) =>
  new ZrError('INVALID_INPUT', 'Invalid EVM transaction.', { details: `${field}: expected ${expected}, got ${typeof got === 'bigint' ? `${got}n` : typeof got === 'string' ? JSON.stringify(got.length > 80 ? `${got.slice(0, 80)}...` : got) : String(got)}` })

/** Checks every field of an intent; returns it with `to` checksummed. */
function checkIntent(intent: EvmTransactionIntent, chainId: number): EvmTransactionIntent {
  if (!intent || typeof intent !== 'object') throw bad('intent', 'an object like { to, value }', intent)
  const i = intent
  const uint = (field: keyof EvmTransactionIntent, positive = false) => {
    const v = i[field]
    if (v !== undefined && (typeof v !== 'bigint' || v < (positive ? 1n : 0n) || v >= U256)) throw bad(field, `a ${positive ? 'positive' : 'non-negative'} bigint below 2^256`, v)
  }
  if (i.to !== undefined && i.to !== null && (typeof i.to !== 'string' || !isAddress(i.to, { strict: false }))) {
    throw new ZrError('INVALID_ADDRESS', 'Invalid EVM transaction.', { details: `to: expected "0x" and 40 hex digits, got ${JSON.stringify(i.to)}` })
  }
  if (i.data !== undefined && (typeof i.data !== 'string' || !isHex(i.data, { strict: true }) || i.data.length % 2 !== 0)) throw bad('data', 'an even-length 0x hex string', i.data)
  if (!i.to && !(i.data && i.data.length > 2)) throw bad('to', 'a recipient, or data (init code) to deploy a contract', i.to)
  uint('value')
  uint('gas', true)
  uint('gasPrice')
  uint('maxFeePerGas')
  uint('maxPriorityFeePerGas')
  if (i.nonce !== undefined && (!Number.isSafeInteger(i.nonce) || i.nonce < 0)) throw bad('nonce', 'a non-negative integer', i.nonce)
  if (i.type !== undefined && !['legacy', 'eip2930', 'eip1559'].includes(i.type)) throw bad('type', '"legacy", "eip2930" or "eip1559"', i.type)
  if (i.accessList !== undefined) {
    if (!Array.isArray(i.accessList)) throw bad('accessList', 'an array of { address, storageKeys }', i.accessList)
    i.accessList.forEach((e, n) => {
      if (!e || !isAddress(e.address, { strict: false })) throw bad(`accessList[${n}].address`, 'an address', e?.address)
      if (!Array.isArray(e.storageKeys) || !e.storageKeys.every((k: unknown) => typeof k === 'string' && isHex(k, { strict: true }) && k.length === 66)) throw bad(`accessList[${n}].storageKeys`, 'an array of 32-byte hex keys', e.storageKeys)
    })
  }
  if (i.chainId !== undefined && i.chainId !== chainId) {
    throw new ZrError('CHAIN_ID_MISMATCH', 'The transaction is for another chain.', { details: `expected chainId ${chainId} (the client's), got ${i.chainId}`, context: { expected: chainId, actual: i.chainId } })
  }
  return { ...i, ...(i.to ? { to: getAddress(i.to) } : {}) }
}

const max = (a: bigint, b: bigint) => (a > b ? a : b)

/** The fee fields a replacement may be given: those of the original's type, as bigints. */
function checkReplacementFees(fees: ReplaceRequest['fees'], type: EvmTransactionType): { gasPrice?: bigint; maxFeePerGas?: bigint; maxPriorityFeePerGas?: bigint } {
  const allowed = type === 'eip1559' ? ['maxFeePerGas', 'maxPriorityFeePerGas'] : ['gasPrice']
  for (const [k, v] of Object.entries(fees ?? {})) {
    if (!allowed.includes(k)) throw bad(`fees.${k}`, `one of ${allowed.join(', ')} (the original is a ${type} transaction)`, k)
    if (typeof v !== 'bigint' || v < 0n || v >= U256) throw bad(`fees.${k}`, 'a non-negative bigint below 2^256', v)
  }
  return (fees ?? {}) as { gasPrice?: bigint; maxFeePerGas?: bigint; maxPriorityFeePerGas?: bigint }
}

function checkFieldsFit(i: EvmTransactionIntent, type: EvmTransactionType) {
  if (type === 'eip1559' && i.gasPrice !== undefined) throw bad('gasPrice', 'no gasPrice in an eip1559 transaction (use maxFeePerGas and maxPriorityFeePerGas)', i.gasPrice)
  if (type !== 'eip1559' && (i.maxFeePerGas !== undefined || i.maxPriorityFeePerGas !== undefined)) {
    throw bad('maxFeePerGas', `no EIP-1559 fees in a ${type} transaction (use gasPrice)`, i.maxFeePerGas ?? i.maxPriorityFeePerGas)
  }
  if (type === 'legacy' && i.accessList !== undefined) throw bad('accessList', 'no access list in a legacy transaction (use eip2930 or eip1559)', 'an access list')
}
