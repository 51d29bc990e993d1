import { type AssembledTx, type ConfirmOptions, type RelayAdapter, type RelayRecord, type RelaySigner, type ReplaceRequest, ZrError, type ZrErrorContextOf, pollUntil } from '@zrkit/core'
import { ComputeBudgetProgram, type Connection, PublicKey } from '@solana/web3.js'
import { type BuildContext, type SolanaTransactionIntent, buildTransaction, readNonceAccount } from './buildTransaction.js'
import { summarize } from './describe.js'
import { type SolanaCommitment, type SolanaNetwork, type SolanaSignatureStatus, toSolanaNetwork } from './network.js'
import { solanaChainId, solanaChains } from './solanaChains.js'
import { ledgerTransaction } from './ledgerTransaction.js'
import { LAMPORTS_PER_SIGNATURE, solanaFee } from './decoder/solanaFee.js'
import { checkReplacementFees, defaultComputeUnitPrice, replacementIntent, replacementParts, replacementSummary } from './replaceTransaction.js'
import { type SolanaLifetime, checkSignatures, decodeWire, encodeWire, fromBase64, lifetimeOf, signatureToBase58, signerIndex, toBase64 } from './wire.js'

/** What `confirm` returns: where the transaction landed and how final it is. */
export type SolanaReceipt = {
  /** The transaction's id: its first signature (the fee payer's), base58. */
  readonly signature: string
  readonly slot: number
  readonly confirmationStatus: SolanaCommitment
  /** Its on-chain error when it failed (it still landed and paid its fee), else null. */
  readonly err: unknown
}

/** Options of {@link solanaAdapter}. */
export type SolanaAdapterOptions = {
  /** A web3.js `Connection`, or any {@link SolanaNetwork}. */
  network: SolanaNetwork | Connection
  /** The cluster's CAIP-2 id (see {@link solanaChains}, {@link solanaChainId}); checked against the network's genesis hash before the first transaction. */
  chain: string
  /** How final a transaction must be for `confirm` (default `'confirmed'`); also the commitment of reads and preflight. */
  commitment?: SolanaCommitment
  /** Send without the node's simulation (default false). */
  skipPreflight?: boolean
  /** How often `confirm` asks for the status (default 1 000 ms). */
  pollIntervalMs?: number
  /** How often `confirm` re-sends a transaction the network has not seen yet, until its blockhash expires (default 2 000 ms). */
  resendIntervalMs?: number
  /** Default time `confirm` waits (default 300 000 ms; 0 = for ever; a relay's `confirmTimeoutMs` overrides it). A recent-blockhash transaction fails sooner, with `TX_EXPIRED`, once its blockhash expires. */
  confirmTimeoutMs?: number
}

const COMMITMENTS: readonly SolanaCommitment[] = ['processed', 'confirmed', 'finalized']
const reaches = (status: SolanaSignatureStatus, commitment: SolanaCommitment) =>
  status.confirmationStatus !== undefined && COMMITMENTS.indexOf(status.confirmationStatus) >= COMMITMENTS.indexOf(commitment)
/** Reads that may fail this many times in a row while confirming before `confirm` gives up. */
const MAX_READ_FAILURES = 5

function positive(value: unknown, field: string, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new ZrError('INVALID_INPUT', 'Invalid Solana adapter options.', { details: `${field}: expected a non-negative number of ms, got ${String(value)}` })
  return value
}

export function checkCommitment(value: unknown, field = 'commitment'): SolanaCommitment {
  if (value === undefined) return 'confirmed'
  if (!COMMITMENTS.includes(value as SolanaCommitment)) throw new ZrError('INVALID_INPUT', 'Invalid commitment.', { details: `${field}: expected 'processed', 'confirmed' or 'finalized', got ${JSON.stringify(value)}` })
  return value as SolanaCommitment
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e))

/**
 * The Solana {@link RelayAdapter} for zrkit's relay pipeline, on @solana/web3.js 1.x. It compiles legacy
 * and version 0 transactions (with address lookup tables), with a recent blockhash or a durable nonce,
 * the key as fee payer or as any other signer, local `Keypair`s signing beside it; the key signs the
 * exact message bytes (ed25519), and assembly checks every signature of the transaction.
 *
 * `prepare` also gives the message as the ledger's Solana decoder reads it (`transaction`, with the
 * cluster named as the decoder takes it: `'mainnet-beta'`, `'devnet'`, `'testnet'`, or `'localnet'` for
 * any other), when the key is its fee payer: on a ledger that runs the decoder, the relay is then a
 * sign-transaction request that the sign policy judges by what the transaction does (`tx.value <= 0.1 sol`).
 *
 * Broadcasting first asks for the signature's status: a transaction the network already has is a
 * success and is not sent again. `confirm` polls until the chosen commitment, re-sending the
 * transaction until the network has seen it, and fails with `TX_EXPIRED` once its blockhash is no longer
 * valid without it having landed, or `TX_REPLACED` once its durable nonce has moved on without it (another
 * transaction used that nonce value): that transaction can never land, so a new relay is safe. Two unfinished relays never share a durable nonce value (the second one would be dead).
 *
 * `replace` (for `Relayer.replace`, and the Solana relayer's `speedUp`) re-sends a transaction that has not
 * landed with a priority fee: its instructions, its compute budget price and limit replaced (never two of
 * each), a fresh blockhash. Solana has no account nonce, so a re-send of a recent-blockhash transaction is
 * made only once the original can never land (its blockhash expired and it is not on chain), else it is
 * refused with `PREPARE_FAILED` (`reason: 'may-still-land'`, `lastValidBlockHeight`). A durable-nonce
 * transaction is replaced on the nonce's current value, which is the original's until one of them lands:
 * only one can. A `cancel` exists only for a durable-nonce transaction (a transaction that only advances
 * the nonce); for a recent-blockhash one it is `INVALID_INPUT`: nothing can stop it before it expires, and
 * after that there is nothing to cancel. The key must be the transaction's only signer (local co-signers'
 * secret keys are never kept).
 *
 * @example
 * ```ts
 * import { createRelayer } from '@zrkit/core'
 * import { solanaAdapter, solanaChains } from '@zrkit/relayer-solana'
 * import { Connection, PublicKey, SystemProgram, clusterApiUrl } from '@solana/web3.js'
 *
 * const adapter = solanaAdapter({ network: new Connection(clusterApiUrl('devnet')), chain: solanaChains.devnet })
 * const relayer = createRelayer({ client: alice, adapter })
 * const from = new PublicKey(key.publicKey)
 * const { txid, receipt } = await relayer.relay({ keyId: key.id, intent: { instructions: [SystemProgram.transfer({ fromPubkey: from, toPubkey: to, lamports: 1_000_000 })] } })
 * ```
 */
export function solanaAdapter(options: SolanaAdapterOptions): RelayAdapter<SolanaTransactionIntent, SolanaReceipt> & { readonly network: SolanaNetwork; readonly commitment: SolanaCommitment } {
  if (!options || typeof options !== 'object') throw new ZrError('INVALID_INPUT', 'Invalid Solana adapter options.', { details: `expected { network, chain }, got ${options === null ? 'null' : typeof options}` })
  const network = toSolanaNetwork(options.network)
  const chain = options.chain
  if (typeof chain !== 'string' || !/^solana:[1-9A-HJ-NP-Za-km-z]{1,32}$/.test(chain)) {
    throw new ZrError('INVALID_INPUT', 'Invalid Solana adapter options.', { details: `chain: expected a CAIP-2 id like ${solanaChains.devnet} (see solanaChains, solanaChainId), got ${JSON.stringify(chain)}` })
  }
  const commitment = checkCommitment(options.commitment)
  const skipPreflight = options.skipPreflight ?? false
  const pollIntervalMs = positive(options.pollIntervalMs, 'pollIntervalMs', 1_000)
  const resendIntervalMs = positive(options.resendIntervalMs, 'resendIntervalMs', 2_000)
  const confirmTimeoutMs = positive(options.confirmTimeoutMs, 'confirmTimeoutMs', 300_000)
  const ctx: BuildContext = { network, commitment }

  let verified: Promise<void> | undefined
  const verifyChain = () =>
    (verified ??= network.getGenesisHash().then(
      (genesis) => {
        const actual = solanaChainId(genesis)
        if (actual !== chain) {
          verified = undefined
          throw new ZrError('CHAIN_ID_MISMATCH', 'The Solana network is another cluster.', { details: `expected ${chain}, ${network.name} is ${actual}`, context: { expected: chain, actual } })
        }
      },
      (cause) => {
        verified = undefined
        throw new ZrError('NODE_REQUEST_FAILED', 'Could not read from the Solana network.', { details: `could not read the genesis hash from ${network.name}: ${message(cause)}`, cause })
      },
    ))

  // Durable nonce values held by unfinished relays: a second transaction on the same value could never land.
  const heldNonces = new Set<string>()
  const nonceHold = (summary: Readonly<Record<string, string>>) => (summary.lifetime === 'nonce' && summary.nonceAccount && summary.nonce ? `${summary.nonceAccount}:${summary.nonce}` : undefined)

  const keyOf = (signer: RelaySigner) => {
    if (signer.keyType !== 'eddsa-ed25519' || signer.publicKey.length !== 32) {
      throw new ZrError('UNSUPPORTED_KEY_TYPE', 'A Solana relayer needs an ed25519 key.', { details: `expected a key of type eddsa-ed25519, got key ${signer.keyId} of type ${signer.keyType}`, context: { keyId: signer.keyId, keyType: signer.keyType } })
    }
    return new PublicKey(signer.publicKey)
  }

  const status = (signature: string, searchHistory: boolean) => network.getSignatureStatus(signature, { searchHistory })

  /** True once a transaction with this lifetime can no longer land. */
  const expired = async (lifetime: SolanaLifetime): Promise<boolean> => {
    if (lifetime.type === 'blockhash') return !(await network.isBlockhashValid(lifetime.blockhash, commitment))
    const current = await readNonceAccount(lifetime.nonceAccount, ctx).catch((e: unknown) => {
      if (e instanceof ZrError && e.code === 'INVALID_INPUT') return null // closed or reused for something else
      throw e
    })
    return !current || current.nonce !== lifetime.nonce
  }

  /**
   * Why a transaction that did not land never can: its blockhash expired (`TX_EXPIRED`), or its durable nonce
   * moved on, which only a transaction that used that nonce value can do (`TX_REPLACED`, as when another
   * transaction takes an account nonce: a speed-up whose original landed first then returns the original).
   */
  const expiredError = (signature: string, lifetime: SolanaLifetime) =>
    lifetime.type === 'blockhash'
      ? new ZrError('TX_EXPIRED', 'The transaction expired before it landed.', {
          details: `transaction ${signature} did not land before its blockhash ${lifetime.blockhash} expired: it can never land now; relay it again to send a new one`,
          context: { txid: signature, lifetime: lifetime.type },
        })
      : new ZrError('TX_REPLACED', 'Another transaction used the durable nonce first.', {
          details: `the durable nonce ${lifetime.nonce} of ${lifetime.nonceAccount.toBase58()} moved on without transaction ${signature}: another transaction used that nonce value, so this one can never land now; relay it again to send a new one`,
          context: { txid: signature },
        })

  const readFailed = (what: string, cause: unknown) =>
    cause instanceof ZrError ? cause : new ZrError('NODE_REQUEST_FAILED', 'Could not read from the Solana network.', { details: `could not read ${what} from ${network.name}: ${message(cause)}`, cause })
  const cannotReplace = (details: string, context: ZrErrorContextOf<'PREPARE_FAILED'> = {}) =>
    new ZrError('PREPARE_FAILED', 'Could not prepare the replacement.', { details, context })

  /**
   * A replacement of a signed transaction that has not landed (see the adapter's TSDoc): refused unless
   * the original can never land beside it.
   */
  const replace = async (original: RelayRecord, request: ReplaceRequest, signer: RelaySigner) => {
    const key = keyOf(signer)
    const fees = checkReplacementFees(request.fees)
    const txid = original.txid
    if (txid === undefined) throw cannotReplace(`relay ${original.id} has no signed transaction to replace`)
    const signed = decodeWire(fromBase64(original.signedTx ?? original.unsignedTx, 'INVALID_RESULT'), 'INVALID_RESULT')
    const lifetime = lifetimeOf(signed.message)
    const others = signed.signers.filter((s) => !s.equals(key))
    if (others.length) {
      throw cannotReplace(`transaction ${txid} is signed by ${others.map((o) => o.toBase58()).join(', ')} besides the key, whose local signatures are not kept: a replacement cannot be signed here; once the original can never land (its relay ends as expired), relay its instructions again with their signers`, { txid })
    }
    if (lifetime.type === 'blockhash') {
      const until = original.summary.lastValidBlockHeight
      if (request.mode === 'cancel') {
        throw new ZrError('INVALID_INPUT', 'A Solana transaction with a recent blockhash cannot be cancelled.', {
          details: `mode 'cancel': transaction ${txid} has no nonce another transaction could take: before its blockhash ${lifetime.blockhash} expires${until ? ` (block height ${until})` : ''} no transaction can stop it from landing, and after that it can never land, so there is nothing to cancel. Wait for it to expire (its relay then ends as expired), or speed it up then with speedUp`,
        })
      }
      // First the lifetime, then the status: once the blockhash is expired the transaction can never land,
      // so a status read after it is final.
      let dead: boolean
      try {
        dead = await expired(lifetime)
      } catch (e) {
        throw readFailed(`whether blockhash ${lifetime.blockhash} is still valid`, e)
      }
      if (!dead) {
        throw cannotReplace(
          `transaction ${txid} may still land: its blockhash ${lifetime.blockhash} is valid ${until ? `until block height ${until}` : 'for about 150 blocks after it was fetched'}, and a re-send now could land beside it (a double payment). Wait until ${until ? `the block height passes ${until}` : 'its blockhash expires'}; if it has not landed by then, speed it up (its relay ends as expired meanwhile when it is being confirmed)`,
          { reason: 'may-still-land', txid, blockhash: lifetime.blockhash, ...(until ? { lastValidBlockHeight: Number(until) } : {}) },
        )
      }
    }
    await verifyChain()
    // A durable nonce: the build reads the nonce's value now. The same value as the original's means only
    // one of the two can land; another value means the nonce moved on without the original, which the
    // status read below (made after it) shows as landed or dead for good.
    const parts = await replacementParts(signed.message, lifetime, ctx)
    const writable = signed.message.staticAccountKeys.filter((_, i) => signed.message.isAccountWritable(i))
    const computeUnitPrice = fees.computeUnitPrice ?? (await defaultComputeUnitPrice(network, parts.computeUnitPrice, writable))
    const computeUnitLimit = fees.computeUnitLimit ?? (request.mode === 'speed-up' ? parts.computeUnitLimit : undefined)
    const built = await buildTransaction(replacementIntent(parts, request.mode, { computeUnitPrice, ...(computeUnitLimit !== undefined ? { computeUnitLimit } : {}) }), key, ctx, { complete: true })
    let landed: SolanaSignatureStatus | null
    try {
      landed = await status(txid, true)
    } catch (e) {
      throw readFailed(`the status of ${txid}`, e)
    }
    if (landed) {
      throw cannotReplace(`transaction ${txid} is already on chain (slot ${landed.slot}): there is nothing left to replace; resume the original relay to read its receipt`, { reason: 'landed', txid })
    }
    // What it may cost in fees, checked before approvers are asked.
    const message = built.wire.message
    const budgetProgram = message.staticAccountKeys.findIndex((k) => k.equals(ComputeBudgetProgram.programId))
    const fee = solanaFee({
      signatures: message.header.numRequiredSignatures,
      computeUnitLimit,
      computeUnitPrice,
      otherInstructions: message.compiledInstructions.filter((ix) => ix.programIdIndex !== budgetProgram).length,
    })
    const account = await network.getAccountInfo(key, commitment).catch((e: unknown) => {
      throw readFailed(`the balance of ${key.toBase58()}`, e)
    })
    const balance = BigInt(account?.lamports ?? 0)
    if (balance < fee) {
      throw cannotReplace(`insufficient funds: ${key.toBase58()} has ${balance} lamports, the replacement's fee may be up to ${fee} lamports (${computeUnitPrice} micro-lamports per compute unit)`, { from: key.toBase58(), balance, maxCost: fee })
    }
    const summary = replacementSummary(summarize({ message, key, lifetime: built.lifetime, ...(built.instructions ? { instructions: built.instructions } : {}), lookupTables: built.lookupTables }), {
      computeUnitPrice: String(computeUnitPrice),
      ...(computeUnitLimit !== undefined ? { computeUnitLimit: String(computeUnitLimit) } : {}),
      priorityFee: String(fee - LAMPORTS_PER_SIGNATURE * BigInt(message.header.numRequiredSignatures)),
      replaces: txid,
      replaceMode: request.mode,
    })
    const hold = nonceHold(summary)
    if (hold) heldNonces.add(hold)
    const offer = ledgerTransaction(built.wire.messageBytes, key.toBytes(), chain)
    return { unsignedTx: toBase64(encodeWire(built.wire.tx)), payloads: [built.wire.messageBytes], summary, ...('transaction' in offer ? { transaction: offer.transaction } : {}) }
  }

  return Object.freeze({
    chain,
    network,
    commitment,
    keyTypes: ['eddsa-ed25519'] as const,

    async prepare(intent: SolanaTransactionIntent, signer: RelaySigner) {
      const key = keyOf(signer)
      await verifyChain()
      const built = await buildTransaction(intent, key, ctx, { complete: true })
      const summary = summarize({ message: built.wire.message, key, lifetime: built.lifetime, ...(built.instructions ? { instructions: built.instructions } : {}), lookupTables: built.lookupTables })
      const hold = nonceHold(summary)
      if (hold) {
        if (heldNonces.has(hold)) {
          throw new ZrError('INVALID_INPUT', 'The durable nonce is in use.', {
            details: `an unfinished relay already signs with nonce ${summary.nonce} of ${summary.nonceAccount}: only one of the two could ever land; finish that one first, or use another nonce account`,
            context: { nonceAccount: summary.nonceAccount },
          })
        }
        heldNonces.add(hold)
      }
      // The ledger's decoder reads the message when the key pays for it: then the relay can be a
      // sign-transaction request, which the sign policy judges by what the transaction does.
      const offer = ledgerTransaction(built.wire.messageBytes, key.toBytes(), chain)
      return { unsignedTx: toBase64(encodeWire(built.wire.tx)), payloads: [built.wire.messageBytes], summary, ...('transaction' in offer ? { transaction: offer.transaction } : {}) }
    },

    replace,

    payloads(unsignedTx: string) {
      return [decodeWire(fromBase64(unsignedTx, 'INVALID_RESULT'), 'INVALID_RESULT').messageBytes]
    },

    assemble(unsignedTx: string, signatures: readonly Uint8Array[], signer: RelaySigner) {
      if (signatures.length !== 1) throw new ZrError('INVALID_RESULT', 'Wrong number of signatures.', { details: `expected 1 signature for a Solana transaction, got ${signatures.length}` })
      const signature = signatures[0]
      if (!(signature instanceof Uint8Array) || signature.length !== 64) throw new ZrError('INVALID_RESULT', 'Invalid signature.', { details: `expected a 64-byte ed25519 signature, got ${signature instanceof Uint8Array ? `${signature.length} bytes` : typeof signature}` })
      const key = keyOf(signer)
      const wire = decodeWire(fromBase64(unsignedTx, 'INVALID_RESULT'), 'INVALID_RESULT')
      const index = signerIndex(wire, key)
      if (index < 0) throw new ZrError('INVALID_RESULT', 'The key does not sign this transaction.', { details: `${key.toBase58()} is not among its signers ${wire.signers.map((s) => s.toBase58()).join(', ')}` })
      wire.tx.signatures[index] = Uint8Array.from(signature)
      const signed = decodeWire(encodeWire(wire.tx), 'INVALID_RESULT')
      const missing = checkSignatures(signed, 'INVALID_RESULT')
      if (missing.length) throw new ZrError('INVALID_RESULT', 'The transaction is not fully signed.', { details: `no signature of ${missing.map((m) => m.toBase58()).join(', ')}` })
      return { signedTx: toBase64(encodeWire(signed.tx)), txid: signatureToBase58(signed.tx.signatures[0]!) }
    },

    async broadcast(tx: AssembledTx) {
      const wire = fromBase64(tx.signedTx, 'INVALID_RESULT')
      const decoded = decodeWire(wire, 'INVALID_RESULT')
      await verifyChain()
      try {
        if (await status(tx.txid, true)) return
      } catch (cause) {
        throw new ZrError('NODE_REQUEST_FAILED', 'Could not read from the Solana network.', { details: `could not read the status of ${tx.txid} from ${network.name}: ${message(cause)}`, context: { txid: tx.txid }, cause })
      }
      try {
        await network.sendRawTransaction(wire, { skipPreflight, preflightCommitment: commitment })
      } catch (cause) {
        // Sent before (a crash, a retry) and already processed: that is success.
        if (await status(tx.txid, true).catch(() => null)) return
        const lifetime = lifetimeOf(decoded.message)
        if (await expired(lifetime).catch(() => false)) throw expiredError(tx.txid, lifetime)
        const logs = (cause as { logs?: unknown })?.logs
        throw new ZrError('BROADCAST_FAILED', 'The Solana network refused the transaction.', {
          details: `${message(cause)}${Array.isArray(logs) && logs.length ? `\nprogram logs:\n${logs.join('\n')}` : ''}`,
          context: { txid: tx.txid, ...(Array.isArray(logs) ? { logs } : {}) },
          cause,
        })
      }
    },

    async confirm(tx: AssembledTx, { timeoutMs, signal }: ConfirmOptions = {}): Promise<SolanaReceipt> {
      const wire = fromBase64(tx.signedTx, 'INVALID_RESULT')
      const lifetime = lifetimeOf(decodeWire(wire, 'INVALID_RESULT').message)
      const signature = tx.txid
      let lastSent = Date.now()
      let failures = 0
      let lastSeen: SolanaSignatureStatus | null = null
      const check = async (): Promise<SolanaReceipt | undefined> => {
        try {
          const now = await status(signature, false)
          if (now) {
            lastSeen = now
            if (reaches(now, commitment)) return { signature, slot: now.slot, confirmationStatus: now.confirmationStatus!, err: now.err ?? null }
          } else if (await expired(lifetime)) {
            // One last look, deeper, in case it landed just before
            const late = await status(signature, true)
            if (!late) throw expiredError(signature, lifetime)
            lastSeen = late
            if (reaches(late, commitment)) return { signature, slot: late.slot, confirmationStatus: late.confirmationStatus!, err: late.err ?? null }
          } else if (Date.now() - lastSent >= resendIntervalMs) {
            lastSent = Date.now()
            // Not seen yet: send it again (a refusal here means nothing new; the status decides)
            await network.sendRawTransaction(wire, { skipPreflight: true, preflightCommitment: commitment, maxRetries: 0 }).catch(() => {})
          }
          failures = 0
        } catch (e) {
          if (e instanceof ZrError && (e.code === 'TX_EXPIRED' || e.code === 'TX_REPLACED')) throw e
          if (++failures >= MAX_READ_FAILURES) {
            throw new ZrError('NODE_REQUEST_FAILED', 'Could not read from the Solana network.', { details: `${MAX_READ_FAILURES} reads in a row failed while confirming ${signature} on ${network.name}: ${message(e)}`, context: { txid: signature }, cause: e })
          }
        }
        return undefined
      }
      return pollUntil(check, {
        what: `transaction ${signature}`,
        intervalMs: pollIntervalMs,
        timeoutMs: timeoutMs ?? confirmTimeoutMs,
        ...(signal ? { signal } : {}),
        context: { txid: signature },
        timeoutDetails: () => {
          const seen = lastSeen as SolanaSignatureStatus | null
          return `for commitment ${commitment}; last seen: ${seen ? `${seen.confirmationStatus ?? 'unknown'} in slot ${seen.slot}` : 'never'}`
        },
      })
    },

    failure: (receipt: SolanaReceipt) => (receipt.err !== null && receipt.err !== undefined ? `in slot ${receipt.slot}: ${JSON.stringify(receipt.err)}` : undefined),

    release(prepared: Pick<RelayRecord, 'unsignedTx' | 'summary'>) {
      const hold = nonceHold(prepared.summary)
      if (hold) heldNonces.delete(hold)
    },

    restore(records: readonly RelayRecord[]) {
      for (const r of records) {
        const hold = nonceHold(r.summary)
        if (hold) heldNonces.add(hold)
      }
    },
  })
}
