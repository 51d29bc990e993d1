import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { type RelayAdapter, type RelayRecord, type RelaySigner, ZrError, pollUntil, publicKeyToAddress, toBytes, toHex } from '@zrkit/core'
import { equalBytes } from '@zrkit/core/internal'
import { type StdFee, encodeSecp256k1Pubkey } from '@cosmjs/amino'
import { type EncodeObject, Registry, encodePubkey, makeAuthInfoBytes, makeSignBytes, makeSignDoc } from '@cosmjs/proto-signing'
import { type DeliverTxResponse, GasPrice, type IndexedTx, calculateFee, defaultRegistryTypes } from '@cosmjs/stargate'
import { PubKey } from 'cosmjs-types/cosmos/crypto/secp256k1/keys'
import { SignMode } from 'cosmjs-types/cosmos/tx/signing/v1beta1/signing'
import { AuthInfo, SignDoc, TxBody, TxRaw } from 'cosmjs-types/cosmos/tx/v1beta1/tx'
import type { CosmosChain } from './cosmosChain.js'
import { toCosmosSignature } from './signature.js'

/**
 * The type URL of a secp256k1 public key in a Cosmos SDK transaction's signer info.
 *
 * @example
 * ```ts
 * import { SECP256K1_PUBKEY_TYPE_URL } from '@zrkit/relayer-cosmos'
 * import { decodeTxRaw } from '@cosmjs/proto-signing'
 *
 * decodeTxRaw(txBytes).authInfo.signerInfos[0]?.publicKey?.typeUrl === SECP256K1_PUBKEY_TYPE_URL // true for zrkit-signed transactions
 * ```
 */
export const SECP256K1_PUBKEY_TYPE_URL = '/cosmos.crypto.secp256k1.PubKey'
const MSG_SEND = '/cosmos.bank.v1beta1.MsgSend'
/** The chain name of the ledger's Cosmos decoder (`cosmos@1`, `@zrkit/relayer-cosmos/decoder`). */
const COSMOS_DECODER_CHAIN = 'cosmos'

/**
 * Messages to sign and send. What is left out is filled in: account number and sequence from the chain,
 * the gas limit by simulation (times `gasAdjustment`), the fee from the gas price.
 */
export type CosmosMessagesIntent = {
  /** Any messages the relayer's registry knows (`{ typeUrl, value }`, as cosmjs takes them). */
  messages: readonly EncodeObject[]
  memo?: string
  /** The gas limit (default: simulated by the chain, times the adapter's `gasAdjustment`). */
  gas?: number
  /** The gas price for this transaction (default: the adapter's), e.g. `'0.025uatom'`. */
  gasPrice?: string | GasPrice
  /** A fixed fee instead of gas x gas price; its `gas` is the gas limit. */
  fee?: StdFee
  /** The transaction is invalid after this block height (default: none). */
  timeoutHeight?: bigint
  /** Offline signing: the account number (default: from the chain). */
  accountNumber?: bigint
  /** Offline signing: the sequence (default: the chain's next one, after those of unfinished relays). */
  sequence?: number
}

/** A transaction built elsewhere (by cosmjs's `SigningStargateClient`), to be signed as it is. */
export type CosmosSignDocIntent = {
  /** A `SIGN_MODE_DIRECT` sign doc with one signer: this key. */
  signDoc: SignDoc
}

/** What the Cosmos adapter relays: messages to build a transaction from, or a ready sign doc. */
export type CosmosTxIntent = CosmosMessagesIntent | CosmosSignDocIntent

/** Options of {@link cosmosAdapter}. */
export type CosmosAdapterOptions = {
  /** The chain id, e.g. `'cosmoshub-4'`, `'osmo-test-5'` (checked against the chain's before the first transaction). */
  chainId: string
  /** The bech32 prefix of the chain's account addresses, e.g. `'cosmos'`, `'osmo'`. */
  prefix: string
  /** Where account numbers and sequences come from, and where transactions go. Without one, the adapter only signs (intents then need `accountNumber`, `sequence` and `gas` or `fee`). */
  chain?: CosmosChain
  /** The message types it can encode (default: cosmjs's default types: bank, staking, distribution, gov, IBC transfer...). */
  registry?: Registry
  /** The default gas price, e.g. `'0.025uatom'`. */
  gasPrice?: string | GasPrice
  /** Multiplies the simulated gas (default 1.4). */
  gasAdjustment?: number
  /** Default time `confirm` waits for the transaction to be in a block (default 120 000 ms; 0 = for ever). */
  confirmTimeoutMs?: number
  /** How often `confirm` asks the chain (default 1 000 ms). */
  pollIntervalMs?: number
}

/** The Cosmos adapter, with what it was built with. */
export type CosmosAdapter = RelayAdapter<CosmosTxIntent, DeliverTxResponse> & {
  readonly chainId: string
  readonly prefix: string
  readonly registry: Registry
  readonly chainClient?: CosmosChain
}

/**
 * The Cosmos SDK {@link RelayAdapter} for zrkit's relay pipeline, on cosmjs. It builds `SIGN_MODE_DIRECT`
 * transactions for any message in its registry (bank sends, staking, IBC transfers, CosmWasm calls...):
 * the account number and sequence come from the chain (sequences of unfinished relays are held, so queued
 * transactions get consecutive ones; a rejected request gives its sequence back), the gas limit from a
 * simulation and the fee from the gas price. The key signs sha256 of the SignDoc bytes; assembly puts the
 * 64-byte low-S r||s into the `TxRaw`, with the 33-byte compressed key in the auth info, and checks the
 * signature against it. Broadcasting first asks the chain for the transaction: one already in a block
 * (or in the mempool) is a success and is not sent again. The transaction id is the upper-case hex
 * sha256 of the `TxRaw` bytes, as on every CometBFT chain.
 *
 * `prepare` also gives the pipeline the SignDoc bytes as the transaction of chain `cosmos` (network
 * `cosmos:<chain id>`), for `ecdsa-secp256k1` keys: on a ledger that runs the Cosmos decoder
 * (`cosmosTransactionDecoder()`, `cosmos@1` in its genesis) the relay becomes a sign-transaction request,
 * whose payload the ledger computes itself and whose bank sends the sign policy judges; on another ledger,
 * a request of the payload alone (see `requestKind` of `createRelayer`).
 *
 * @example
 * ```ts
 * import { createRelayer } from '@zrkit/core'
 * import { connectCosmosChain, cosmosAdapter } from '@zrkit/relayer-cosmos'
 *
 * const chain = await connectCosmosChain('https://rpc.osmotest5.osmosis.zone')
 * const adapter = cosmosAdapter({ chainId: 'osmo-test-5', prefix: 'osmo', chain, gasPrice: '0.025uosmo' })
 * const relayer = createRelayer({ client: alice, adapter })
 * const { txid, receipt } = await relayer.relay({
 *   keyId,
 *   intent: { messages: [{ typeUrl: '/cosmos.bank.v1beta1.MsgSend', value: { fromAddress, toAddress, amount: [{ denom: 'uosmo', amount: '1000' }] } }] },
 * })
 * ```
 */
export function cosmosAdapter(options: CosmosAdapterOptions): CosmosAdapter {
  if (!options || typeof options !== 'object') throw new ZrError('INVALID_INPUT', 'Invalid Cosmos adapter options.', { details: `expected { chainId, prefix }, got ${typeof options}` })
  const chainId = checkChainId(options.chainId)
  const prefix = checkPrefix(options.prefix)
  const chain = options.chain
  if (chain !== undefined && (!chain || typeof chain.getAccount !== 'function' || typeof chain.broadcastTx !== 'function' || typeof chain.getTx !== 'function' || typeof chain.getChainId !== 'function')) {
    throw new ZrError('INVALID_INPUT', 'Invalid Cosmos adapter options.', { details: 'chain: expected a CosmosChain (getChainId, getAccount, broadcastTx, getTx), e.g. from connectCosmosChain(rpcUrl)' })
  }
  const registry = options.registry ?? new Registry(defaultRegistryTypes)
  if (!(registry instanceof Registry) && typeof (registry as Registry)?.encodeTxBody !== 'function') {
    throw new ZrError('INVALID_INPUT', 'Invalid Cosmos adapter options.', { details: 'registry: expected a @cosmjs/proto-signing Registry' })
  }
  const defaultGasPrice = options.gasPrice === undefined ? undefined : checkGasPrice(options.gasPrice, 'gasPrice')
  const gasAdjustment = options.gasAdjustment ?? 1.4
  if (typeof gasAdjustment !== 'number' || !Number.isFinite(gasAdjustment) || gasAdjustment < 1) {
    throw new ZrError('INVALID_INPUT', 'Invalid Cosmos adapter options.', { details: `gasAdjustment: expected a number >= 1, got ${String(gasAdjustment)}` })
  }
  const confirmTimeoutMs = options.confirmTimeoutMs ?? 120_000
  const pollIntervalMs = options.pollIntervalMs ?? 1_000
  for (const [k, v] of [['confirmTimeoutMs', confirmTimeoutMs], ['pollIntervalMs', pollIntervalMs]] as const) {
    if (!Number.isSafeInteger(v) || v < 0 || (k === 'pollIntervalMs' && v < 1)) throw new ZrError('INVALID_INPUT', 'Invalid Cosmos adapter options.', { details: `${k}: expected a ${k === 'pollIntervalMs' ? 'positive' : 'non-negative'} integer (ms), got ${String(v)}` })
  }

  // Sequences of unfinished relays, per address: a queued transaction takes the next free one.
  const held = new Map<string, Set<number>>()
  const hold = (address: string, sequence: number) => {
    let set = held.get(address)
    if (!set) held.set(address, (set = new Set()))
    set.add(sequence)
  }
  const reserve = (address: string, chainSequence: number) => {
    const set = held.get(address)
    if (set) for (const s of set) if (s < chainSequence) set.delete(s)
    let sequence = chainSequence
    while (set?.has(sequence)) sequence++
    hold(address, sequence)
    return sequence
  }

  let verified: Promise<void> | undefined
  const needChain = (what: string): CosmosChain => {
    if (!chain) {
      throw new ZrError('INVALID_INPUT', `No Cosmos chain to ${what}.`, { details: `this relayer has no chain (give rpcEndpoint or chain); without one it only signs, and ${what === 'read the account from' ? 'a transaction needs accountNumber and sequence' : `cannot ${what}`}` })
    }
    return chain
  }
  const verifyChain = (c: CosmosChain) =>
    (verified ??= c.getChainId().then(
      (actual) => {
        if (actual !== chainId) {
          verified = undefined
          throw new ZrError('CHAIN_ID_MISMATCH', 'The node is on another chain.', { details: `expected chain id ${JSON.stringify(chainId)}, the node says ${JSON.stringify(actual)}`, context: { expected: chainId, actual } })
        }
      },
      (cause) => {
        verified = undefined
        throw prepareFailed('could not read the chain id from the node', cause)
      },
    ))

  const payloadsOf = (unsignedTx: string) => [sha256(toBytes(unsignedTx, 'unsigned transaction'))]

  const prepareMessages = async (intent: CosmosMessagesIntent, signer: RelaySigner) => {
    const i = checkMessagesIntent(intent, registry)
    const from = publicKeyToAddress(signer.publicKey, prefix)
    let bodyBytes: Uint8Array
    try {
      bodyBytes = registry.encodeTxBody({ messages: i.messages as EncodeObject[], memo: i.memo ?? '', ...(i.timeoutHeight !== undefined ? { timeoutHeight: i.timeoutHeight } : {}) })
    } catch (cause) {
      throw new ZrError('INVALID_INPUT', 'Invalid Cosmos message.', { details: `the registry could not encode the messages (${i.messages.map((m) => m.typeUrl).join(', ')}): ${cause instanceof Error ? cause.message : String(cause)}`, cause })
    }

    let account: { accountNumber: bigint; sequence: number } | undefined
    if (i.accountNumber === undefined || i.sequence === undefined) {
      const c = needChain('read the account from')
      await verifyChain(c)
      let found: Awaited<ReturnType<CosmosChain['getAccount']>>
      try {
        found = await c.getAccount(from)
      } catch (cause) {
        throw prepareFailed(`could not read account ${from}`, cause)
      }
      if (!found) {
        throw new ZrError('PREPARE_FAILED', 'The account does not exist on the chain yet.', { details: `account ${from} is unknown to chain ${chainId}: send it some tokens first (an account exists once it has received any)`, context: { address: from, chainId } })
      }
      account = { accountNumber: BigInt(found.accountNumber), sequence: found.sequence }
    }
    const accountNumber = i.accountNumber ?? account!.accountNumber

    let gas = i.fee ? Number(i.fee.gas) : i.gas
    if (gas === undefined) {
      const c = needChain('simulate the gas with')
      if (!c.simulate) throw new ZrError('INVALID_INPUT', 'No gas limit.', { details: 'expected gas or fee: this chain connection cannot simulate (connectCosmosChain(rpcUrl) can)' })
      let used: number
      try {
        used = await c.simulate({ address: from, publicKey: signer.publicKey, messages: i.messages, memo: i.memo ?? '' })
      } catch (cause) {
        throw prepareFailed('the chain could not simulate the transaction (would it fail, or does the account lack funds?)', cause)
      }
      gas = Math.ceil(used * gasAdjustment)
    }
    let fee: StdFee
    if (i.fee) fee = i.fee
    else {
      const price = i.gasPrice !== undefined ? checkGasPrice(i.gasPrice, 'gasPrice') : defaultGasPrice
      if (!price) throw new ZrError('INVALID_INPUT', 'No gas price.', { details: "expected gasPrice (e.g. '0.025uatom') on the relayer or the transaction, or a fee" })
      fee = calculateFee(gas, price)
    }

    // The sequence comes last, so that a failed step above holds none.
    let sequence: number
    if (i.sequence !== undefined) {
      sequence = i.sequence
      hold(from, sequence)
    } else sequence = reserve(from, account!.sequence)

    const authInfoBytes = makeAuthInfoBytes([{ pubkey: encodePubkey(encodeSecp256k1Pubkey(signer.publicKey)), sequence }], fee.amount, gas, fee.granter, fee.payer, SignMode.SIGN_MODE_DIRECT)
    return makeSignDoc(bodyBytes, authInfoBytes, chainId, accountNumber)
  }

  const prepareSignDoc = (intent: CosmosSignDocIntent, signer: RelaySigner) => {
    const signDoc = checkSignDoc(intent.signDoc)
    if (signDoc.chainId !== chainId) {
      throw new ZrError('CHAIN_ID_MISMATCH', 'The sign doc is for another chain.', { details: `expected chain id ${JSON.stringify(chainId)}, got ${JSON.stringify(signDoc.chainId)}`, context: { expected: chainId, actual: signDoc.chainId } })
    }
    const facts = readTx(signDoc, registry, prefix)
    checkSigner(facts.authInfo, signer.publicKey, 'INVALID_INPUT')
    hold(facts.from, facts.sequence)
    return signDoc
  }

  return Object.freeze({
    chain: `cosmos:${chainId}`,
    chainId,
    prefix,
    registry,
    ...(chain ? { chainClient: chain } : {}),
    keyTypes: ['ecdsa-secp256k1', 'bitcoin-secp256k1'] as const,

    async prepare(intent: CosmosTxIntent, signer: RelaySigner) {
      if (!intent || typeof intent !== 'object') throw new ZrError('INVALID_INPUT', 'Invalid Cosmos transaction.', { details: `expected { messages } or { signDoc }, got ${intent === null ? 'null' : typeof intent}` })
      const signDoc = 'signDoc' in intent && intent.signDoc !== undefined ? prepareSignDoc(intent, signer) : await prepareMessages(intent as CosmosMessagesIntent, signer)
      const signBytes = makeSignBytes(signDoc)
      const unsignedTx = toHex(signBytes)
      // The sign bytes are what the ledger's cosmos@1 decoder reads: on a ledger that runs it, the relay is a
      // sign-transaction request that the sign policy judges. The decoder reads ECDSA keys only.
      const transaction = signer.keyType === 'ecdsa-secp256k1' ? { transaction: { chain: COSMOS_DECODER_CHAIN, unsignedTransaction: signBytes, network: `cosmos:${signDoc.chainId}` } } : {}
      return { unsignedTx, payloads: [sha256(signBytes)], summary: readTx(signDoc, registry, prefix).summary, ...transaction }
    },

    payloads: (unsignedTx: string) => payloadsOf(unsignedTx),

    assemble(unsignedTx: string, signatures: readonly Uint8Array[], signer: RelaySigner) {
      if (signatures.length !== 1) throw new ZrError('INVALID_RESULT', 'Wrong number of signatures.', { details: `expected 1 signature for a Cosmos transaction, got ${signatures.length}` })
      const signBytes = toBytes(unsignedTx, 'unsigned transaction')
      const signDoc = SignDoc.decode(signBytes)
      checkSigner(AuthInfo.decode(signDoc.authInfoBytes), signer.publicKey, 'INVALID_RESULT')
      const signature = toCosmosSignature(signatures[0]!)
      if (!secp256k1.verify(signature, sha256(signBytes), signer.publicKey, { prehash: false, lowS: true })) {
        throw new ZrError('INVALID_RESULT', 'The signature does not verify.', { details: 'expected a signature of sha256(SignDoc) by the key in the auth info; it does not verify against that key' })
      }
      const txBytes = TxRaw.encode(TxRaw.fromPartial({ bodyBytes: signDoc.bodyBytes, authInfoBytes: signDoc.authInfoBytes, signatures: [signature] })).finish()
      return { signedTx: toHex(txBytes), txid: cosmosTxHash(txBytes) }
    },

    async broadcast(tx) {
      const c = needChain('broadcast to')
      const txBytes = toBytes(tx.signedTx, 'signed transaction')
      if (await isIncluded(c, tx.txid)) return
      let result: Awaited<ReturnType<CosmosChain['broadcastTx']>>
      try {
        result = await c.broadcastTx(txBytes)
      } catch (cause) {
        throw new ZrError('BROADCAST_FAILED', 'Could not send the transaction to the node.', { details: describe(cause), context: { txid: tx.txid }, cause })
      }
      if (result.code === 0) return
      // Sent before (a crash, a retry): in the mempool (sdk code 19) or already in a block is success.
      if ((result.codespace === undefined || result.codespace === 'sdk') && result.code === TX_IN_MEMPOOL_CACHE) return
      if (await isIncluded(c, tx.txid).catch(() => false)) return
      throw new ZrError('BROADCAST_FAILED', 'The node refused the transaction.', {
        details: `code ${result.code}${result.codespace ? ` (${result.codespace})` : ''}: ${result.log ?? 'no log'}`,
        context: { txid: tx.txid, code: result.code, ...(result.codespace ? { codespace: result.codespace } : {}) },
      })
    },

    async confirm(tx, { timeoutMs, signal } = {}) {
      const c = needChain('wait for the transaction on')
      return pollUntil(async () => ((found) => (found ? toReceipt(found) : undefined))(await c.getTx(tx.txid)), {
        what: `transaction ${tx.txid}`,
        intervalMs: pollIntervalMs,
        timeoutMs: timeoutMs ?? confirmTimeoutMs,
        ...(signal ? { signal } : {}),
        context: { txid: tx.txid },
        timeoutDetails: () => 'for it to be in a block; it may still be included: resume the relay to keep waiting',
      })
    },

    failure: (receipt: DeliverTxResponse) => (receipt.code !== 0 ? `code ${receipt.code} in block ${receipt.height}: ${receipt.rawLog || 'no log'}` : undefined),

    release(prepared: Pick<RelayRecord, 'unsignedTx' | 'summary'>) {
      const { from, sequence } = prepared.summary
      if (from && sequence !== undefined) held.get(from)?.delete(Number(sequence))
    },

    restore(records: readonly RelayRecord[]) {
      for (const r of records) {
        const { from, sequence } = r.summary
        if (from && sequence !== undefined && /^\d+$/.test(sequence)) hold(from, Number(sequence))
      }
    },
  })
}

/** sdkerrors.ErrTxInMempoolCache: the node already has this transaction. */
const TX_IN_MEMPOOL_CACHE = 19

/**
 * The id of a Cosmos transaction on CometBFT chains: upper-case hex of sha256 of its `TxRaw` bytes.
 *
 * @example
 * ```ts
 * import { cosmosTxHash } from '@zrkit/relayer-cosmos'
 * cosmosTxHash(txBytes) // 'A1B2...'
 * ```
 */
export function cosmosTxHash(txBytes: Uint8Array): string {
  return toHex(sha256(txBytes)).toUpperCase()
}

function toReceipt(tx: IndexedTx): DeliverTxResponse {
  return {
    height: tx.height,
    txIndex: tx.txIndex,
    code: tx.code,
    transactionHash: tx.hash,
    events: tx.events,
    rawLog: tx.rawLog,
    msgResponses: tx.msgResponses,
    gasUsed: tx.gasUsed,
    gasWanted: tx.gasWanted,
  }
}

async function isIncluded(chain: CosmosChain, txid: string): Promise<boolean> {
  try {
    return (await chain.getTx(txid)) !== null
  } catch (cause) {
    throw new ZrError('BROADCAST_FAILED', 'Could not ask the node for the transaction.', { details: describe(cause), context: { txid }, cause })
  }
}

/** What a sign doc says, read back from its bytes: the key, the sequence and the approvers' summary. */
function readTx(signDoc: SignDoc, registry: Registry, prefix: string) {
  let body: TxBody
  let authInfo: AuthInfo
  try {
    body = TxBody.decode(signDoc.bodyBytes)
    authInfo = AuthInfo.decode(signDoc.authInfoBytes)
  } catch (cause) {
    throw new ZrError('INVALID_INPUT', 'Invalid sign doc.', { details: `expected protobuf TxBody and AuthInfo bytes: ${cause instanceof Error ? cause.message : String(cause)}`, cause })
  }
  const info = authInfo.signerInfos[0]
  const publicKey = info ? publicKeyOf(info.publicKey) : undefined
  const from = publicKey ? publicKeyToAddress(publicKey, prefix) : ''
  const sequence = Number(info?.sequence ?? 0n)
  const fee = authInfo.fee
  const summary: Record<string, string> = {
    from,
    chainId: signDoc.chainId,
    accountNumber: String(signDoc.accountNumber),
    sequence: String(sequence),
    gas: String(fee?.gasLimit ?? 0n),
    fee: coinsText(fee?.amount ?? []) || '0',
    messages: clip(body.messages.map((m) => m.typeUrl).join(',')),
  }
  if (body.memo) summary.memo = clip(body.memo)
  if (body.timeoutHeight > 0n) summary.timeoutHeight = String(body.timeoutHeight)
  if (fee?.granter) summary.feeGranter = fee.granter
  const first = body.messages[0]
  if (body.messages.length === 1 && first?.typeUrl === MSG_SEND && registry.lookupType(MSG_SEND)) {
    try {
      const send = registry.decode(first) as { toAddress: string; amount: { denom: string; amount: string }[] }
      summary.to = send.toAddress
      summary.amount = clip(coinsText(send.amount))
    } catch {
      // the summary is a courtesy; the transaction is what it is
    }
  }
  return { summary, authInfo, from, sequence }
}

function publicKeyOf(any: { typeUrl: string; value: Uint8Array } | undefined): Uint8Array | undefined {
  if (!any || any.typeUrl !== SECP256K1_PUBKEY_TYPE_URL) return undefined
  try {
    const key = PubKey.decode(any.value).key
    return key.length === 33 ? key : undefined
  } catch {
    return undefined
  }
}

/** The auth info must name exactly one signer, this key, in SIGN_MODE_DIRECT. */
function checkSigner(authInfo: AuthInfo, publicKey: Uint8Array, code: 'INVALID_INPUT' | 'INVALID_RESULT') {
  const bad = (details: string) => new ZrError(code, 'The transaction is not for this key.', { details })
  if (authInfo.signerInfos.length !== 1) throw bad(`expected exactly one signer in the auth info, got ${authInfo.signerInfos.length}`)
  const info = authInfo.signerInfos[0]!
  if (info.publicKey?.typeUrl !== SECP256K1_PUBKEY_TYPE_URL) throw bad(`expected a ${SECP256K1_PUBKEY_TYPE_URL} signer key, got ${info.publicKey?.typeUrl ?? 'none'}`)
  const key = publicKeyOf(info.publicKey)
  if (!key || !equalBytes(key, publicKey)) throw bad(`expected the signer key ${toHex(publicKey)}, got ${key ? toHex(key) : 'an invalid key'}`)
  if (info.modeInfo?.single?.mode !== SignMode.SIGN_MODE_DIRECT) throw bad(`expected SIGN_MODE_DIRECT, got ${info.modeInfo?.single ? SignMode[info.modeInfo.single.mode] ?? info.modeInfo.single.mode : 'no single sign mode'}`)
}

function coinsText(coins: readonly { denom: string; amount: string }[]): string {
  return coins.map((c) => `${c.amount}${c.denom}`).join(',')
}

function clip(text: string): string {
  return text.length <= 1024 ? text : `${text.slice(0, 1021)}...`
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

function prepareFailed(what: string, cause: unknown): ZrError {
  return new ZrError('PREPARE_FAILED', 'Could not prepare the transaction.', { details: `${what}: ${describe(cause)}`, cause })
}

const show = (v: unknown) => (typeof v === 'bigint' ? `${v}n` : typeof v === 'string' ? JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}...` : v) : Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v === 'object' ? 'an object' : String(v))
const bad = (field: string, expected: string, got: unknown) => new ZrError('INVALID_INPUT', 'Invalid Cosmos transaction.', { details: `${field}: expected ${expected}, got ${show(got)}` })

function checkChainId(chainId: unknown): string {
  if (typeof chainId !== 'string' || !/^[-_.a-zA-Z0-9]{1,50}$/.test(chainId)) {
    throw new ZrError('INVALID_INPUT', 'Invalid Cosmos chain id.', { details: `expected 1..50 characters of [-_.a-zA-Z0-9] (e.g. "cosmoshub-4"), got ${show(chainId)}` })
  }
  return chainId
}

/** A bech32 human-readable part: 1..83 lower-case printable characters (no '1' restriction: the last '1' separates). */
export function checkPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || !/^[a-z0-9]{1,83}$/.test(prefix)) {
    throw new ZrError('INVALID_INPUT', 'Invalid bech32 prefix.', { details: `expected 1..83 lower-case letters and digits (e.g. "cosmos", "osmo"), got ${show(prefix)}` })
  }
  return prefix
}

/** A gas price such as `'0.025uatom'` or a cosmjs `GasPrice`. */
export function checkGasPrice(price: unknown, field: string): GasPrice {
  if (price instanceof GasPrice) return price
  if (typeof price === 'string') {
    try {
      return GasPrice.fromString(price)
    } catch (cause) {
      throw new ZrError('INVALID_INPUT', 'Invalid gas price.', { details: `${field}: expected an amount and a denom like "0.025uatom", got ${show(price)}`, cause })
    }
  }
  throw new ZrError('INVALID_INPUT', 'Invalid gas price.', { details: `${field}: expected a string like "0.025uatom" or a GasPrice, got ${show(price)}` })
}

/** Checks a coin list (`[{ denom, amount }]`, amounts as decimal strings). */
export function checkCoins(coins: unknown, field: string, { positive }: { positive: boolean }): { denom: string; amount: string }[] {
  if (!Array.isArray(coins)) throw bad(field, 'an array of { denom, amount } coins', coins)
  return coins.map((c: unknown, n) => {
    const coin = c as { denom?: unknown; amount?: unknown }
    if (!coin || typeof coin !== 'object') throw bad(`${field}[${n}]`, 'a { denom, amount } coin', c)
    if (typeof coin.denom !== 'string' || !/^[a-zA-Z][a-zA-Z0-9/:._-]{2,127}$/.test(coin.denom)) throw bad(`${field}[${n}].denom`, 'a denom of 3..128 characters starting with a letter (e.g. "uatom", "ibc/27394F...")', coin.denom)
    if (typeof coin.amount !== 'string' || !/^(0|[1-9][0-9]{0,76})$/.test(coin.amount)) throw bad(`${field}[${n}].amount`, 'a non-negative integer as a decimal string (e.g. "1000")', coin.amount)
    if (positive && coin.amount === '0') throw bad(`${field}[${n}].amount`, 'a positive amount', coin.amount)
    return { denom: coin.denom, amount: coin.amount }
  })
}

function checkMessagesIntent(intent: CosmosMessagesIntent, registry: Registry): CosmosMessagesIntent {
  const i = intent
  if (!Array.isArray(i.messages) || i.messages.length === 0) throw bad('messages', 'a non-empty array of { typeUrl, value } messages (or a signDoc)', i.messages)
  i.messages.forEach((m, n) => {
    if (!m || typeof m !== 'object' || typeof m.typeUrl !== 'string') throw bad(`messages[${n}]`, 'a { typeUrl, value } message', m)
    if (!registry.lookupType(m.typeUrl)) {
      throw new ZrError('INVALID_INPUT', 'Unknown Cosmos message type.', { details: `messages[${n}].typeUrl: expected a type in the relayer's registry, got ${JSON.stringify(m.typeUrl)} (register it: new Registry([...defaultRegistryTypes, [typeUrl, type]]))` })
    }
  })
  if (i.memo !== undefined && typeof i.memo !== 'string') throw bad('memo', 'a string', i.memo)
  if (i.gas !== undefined && (!Number.isSafeInteger(i.gas) || i.gas < 1)) throw bad('gas', 'a positive integer', i.gas)
  if (i.gasPrice !== undefined) checkGasPrice(i.gasPrice, 'gasPrice')
  if (i.fee !== undefined) {
    if (!i.fee || typeof i.fee !== 'object') throw bad('fee', 'a { amount, gas } fee', i.fee)
    checkCoins(i.fee.amount, 'fee.amount', { positive: false })
    if (typeof i.fee.gas !== 'string' || !/^[1-9][0-9]{0,15}$/.test(i.fee.gas) || !Number.isSafeInteger(Number(i.fee.gas))) throw bad('fee.gas', 'a positive integer as a decimal string', i.fee.gas)
    if (i.gas !== undefined && String(i.gas) !== i.fee.gas) throw bad('gas', `the fee's gas (${i.fee.gas}) or nothing`, i.gas)
    if (i.gasPrice !== undefined) throw bad('gasPrice', 'no gas price with a fixed fee', i.gasPrice)
  }
  if (i.timeoutHeight !== undefined && (typeof i.timeoutHeight !== 'bigint' || i.timeoutHeight < 0n)) throw bad('timeoutHeight', 'a non-negative bigint', i.timeoutHeight)
  if (i.accountNumber !== undefined && (typeof i.accountNumber !== 'bigint' || i.accountNumber < 0n || i.accountNumber >= 2n ** 64n)) throw bad('accountNumber', 'a uint64 bigint', i.accountNumber)
  if (i.sequence !== undefined && (!Number.isSafeInteger(i.sequence) || i.sequence < 0)) throw bad('sequence', 'a non-negative integer', i.sequence)
  return i
}

function checkSignDoc(signDoc: unknown): SignDoc {
  const d = signDoc as SignDoc
  if (!d || typeof d !== 'object') throw bad('signDoc', 'a { bodyBytes, authInfoBytes, chainId, accountNumber } sign doc', signDoc)
  if (!(d.bodyBytes instanceof Uint8Array)) throw bad('signDoc.bodyBytes', 'bytes', d.bodyBytes)
  if (!(d.authInfoBytes instanceof Uint8Array)) throw bad('signDoc.authInfoBytes', 'bytes', d.authInfoBytes)
  if (typeof d.chainId !== 'string') throw bad('signDoc.chainId', 'a string', d.chainId)
  if (typeof d.accountNumber !== 'bigint' && !Number.isSafeInteger(d.accountNumber)) throw bad('signDoc.accountNumber', 'a bigint', d.accountNumber)
  return makeSignDoc(d.bodyBytes, d.authInfoBytes, d.chainId, BigInt(d.accountNumber))
}
