import { ZrError } from '@zrkit/core'
import {
  AddressLookupTableAccount,
  AddressLookupTableProgram,
  ComputeBudgetProgram,
  Keypair,
  NONCE_ACCOUNT_LENGTH,
  NonceAccount,
  PublicKey,
  type Signer,
  SystemProgram,
  Transaction,
  TransactionInstruction,
  TransactionMessage,
  type VersionedMessage,
  VersionedTransaction,
} from '@solana/web3.js'
import type { SolanaCommitment, SolanaNetwork } from './network.js'
import { type SolanaLifetime, type WireTransaction, checkSignatures, decodeWire, encodeWire, isEmptySignature, lifetimeOf, signerIndex, toPublicKey } from './wire.js'

/**
 * What to send. Either `instructions` (the relayer compiles the transaction: fee payer, lifetime,
 * version, lookup tables, priority fee), or a `transaction` built elsewhere (signed as it is; a legacy
 * `Transaction` without a blockhash or fee payer gets the network's latest blockhash and the key as fee payer).
 *
 * The ledger key signs once, wherever it is a signer: fee payer (the default), an instruction's signer,
 * a nonce authority. Other signers sign locally with their `signers` (Keypairs) before the signature
 * request is made; their secret keys are used in `prepare` only and never stored.
 */
export type SolanaTransactionIntent = {
  /** The instructions, in order. */
  instructions?: readonly TransactionInstruction[]
  /** Or a transaction built elsewhere; takes none of the fields below except `signers`. */
  transaction?: Transaction | VersionedTransaction
  /** Who pays the fees (default: the key). A fee payer other than the key must be in `signers`. */
  feePayer?: PublicKey | string
  /** Local signers (e.g. `Keypair`s) that sign beside the key: a new account, a co-signer, the fee payer. */
  signers?: readonly Signer[]
  /** `'legacy'` (the default without lookup tables) or `0` (a versioned transaction; the default with them). */
  version?: 'legacy' | 0
  /** Address lookup tables for a version 0 transaction: their addresses (read from the network) or loaded accounts. */
  addressLookupTables?: readonly (PublicKey | string | AddressLookupTableAccount)[]
  /**
   * Use a durable nonce instead of a recent blockhash: the transaction stays valid until the nonce
   * advances, however long the approvals take. `authority` defaults to the nonce account's own.
   */
  nonce?: { account: PublicKey | string; authority?: PublicKey | string }
  /** A recent blockhash to use (default: the network's latest). */
  recentBlockhash?: string
  /** Compute unit limit (a ComputeBudget instruction is added). */
  computeUnitLimit?: number
  /** Priority fee in micro-lamports per compute unit (a ComputeBudget instruction is added). */
  computeUnitPrice?: bigint | number
}

/** A transaction compiled for the key, signed by its local signers. */
export type BuiltTransaction = {
  readonly wire: WireTransaction
  /** The key's signature slot. */
  readonly keyIndex: number
  readonly lifetime: SolanaLifetime
  /** The message's instructions, decompiled (absent when a lookup table could not be read). */
  readonly instructions?: readonly TransactionInstruction[]
  readonly lookupTables: number
}

export type BuildContext = {
  readonly network: SolanaNetwork
  readonly commitment: SolanaCommitment
}

const INTENT_FIELDS = ['instructions', 'transaction', 'feePayer', 'signers', 'version', 'addressLookupTables', 'nonce', 'recentBlockhash', 'computeUnitLimit', 'computeUnitPrice'] as const
const U64_MAX = 2n ** 64n - 1n

const invalid = (details: string, cause?: unknown) => new ZrError('INVALID_INPUT', 'Invalid Solana transaction.', { details, ...(cause !== undefined ? { cause } : {}) })

function nodeFailed(what: string, network: SolanaNetwork, cause: unknown): ZrError {
  return new ZrError('NODE_REQUEST_FAILED', `Could not read from the Solana network.`, { details: `${what} from ${network.name}: ${cause instanceof Error ? cause.message : String(cause)}`, cause })
}

/** A web3.js instruction (of any copy of the library) as this copy's `TransactionInstruction`. */
function toInstruction(ix: unknown, i: number): TransactionInstruction {
  const field = `instructions[${i}]`
  if (!ix || typeof ix !== 'object') throw invalid(`${field}: expected a TransactionInstruction, got ${ix === null ? 'null' : typeof ix}`)
  const { programId, keys, data } = ix as TransactionInstruction
  if (!Array.isArray(keys)) throw invalid(`${field}.keys: expected an array of { pubkey, isSigner, isWritable }, got ${typeof keys}`)
  if (data !== undefined && !(data instanceof Uint8Array)) throw invalid(`${field}.data: expected bytes, got ${typeof data}`)
  return new TransactionInstruction({
    programId: toPublicKey(programId, `${field}.programId`),
    keys: keys.map((k, j) => {
      if (!k || typeof k !== 'object' || typeof k.isSigner !== 'boolean' || typeof k.isWritable !== 'boolean') throw invalid(`${field}.keys[${j}]: expected { pubkey, isSigner: boolean, isWritable: boolean }`)
      return { pubkey: toPublicKey(k.pubkey, `${field}.keys[${j}].pubkey`), isSigner: k.isSigner, isWritable: k.isWritable }
    }),
    data: Buffer.from(data ?? new Uint8Array(0)),
  })
}

function checkSigners(signers: unknown): Signer[] {
  if (signers === undefined) return []
  if (!Array.isArray(signers)) throw invalid(`signers: expected an array of Keypairs, got ${typeof signers}`)
  return signers.map((s, i) => {
    const secretKey = (s as Signer)?.secretKey
    if (!(secretKey instanceof Uint8Array) || secretKey.length !== 64) throw invalid(`signers[${i}]: expected a Keypair (a 64-byte secretKey), got ${s === null ? 'null' : typeof s}${secretKey instanceof Uint8Array ? ` with a ${secretKey.length}-byte secretKey` : ''}`)
    const publicKey = toPublicKey((s as Signer).publicKey, `signers[${i}].publicKey`)
    let derived: PublicKey | undefined
    try {
      derived = Keypair.fromSecretKey(secretKey, { skipValidation: false }).publicKey
    } catch {
      derived = undefined
    }
    if (!derived?.equals(publicKey)) throw invalid(`signers[${i}]: its secretKey is not the key of its publicKey ${publicKey.toBase58()}`)
    return { publicKey, secretKey }
  })
}

/** Loads lookup tables given by address; checks loaded ones are tables. */
async function lookupTables(values: unknown, ctx: BuildContext): Promise<AddressLookupTableAccount[]> {
  if (values === undefined) return []
  if (!Array.isArray(values)) throw invalid(`addressLookupTables: expected an array of addresses or AddressLookupTableAccounts, got ${typeof values}`)
  return Promise.all(
    values.map(async (v, i) => {
      if (v && typeof v === 'object' && 'state' in v && 'key' in v) {
        const table = v as AddressLookupTableAccount
        return new AddressLookupTableAccount({ key: toPublicKey(table.key, `addressLookupTables[${i}].key`), state: table.state })
      }
      const address = toPublicKey(v, `addressLookupTables[${i}]`)
      return loadLookupTable(address, ctx, `addressLookupTables[${i}]`)
    }),
  )
}

/** Reads an address lookup table from the network; `INVALID_INPUT` (naming `field`) when it is missing or not a table. */
export async function loadLookupTable(address: PublicKey, ctx: BuildContext, field: string): Promise<AddressLookupTableAccount> {
  let account: Awaited<ReturnType<SolanaNetwork['getAccountInfo']>>
  try {
    account = await ctx.network.getAccountInfo(address, ctx.commitment)
  } catch (cause) {
    throw nodeFailed(`could not read lookup table ${address.toBase58()}`, ctx.network, cause)
  }
  if (!account) throw invalid(`${field}: lookup table ${address.toBase58()} does not exist`)
  if (!account.owner.equals(AddressLookupTableProgram.programId)) throw invalid(`${field}: ${address.toBase58()} is not an address lookup table (its owner is ${account.owner.toBase58()})`)
  try {
    return new AddressLookupTableAccount({ key: address, state: AddressLookupTableAccount.deserialize(account.data) })
  } catch (cause) {
    throw invalid(`${field}: ${address.toBase58()} does not hold a lookup table`, cause)
  }
}

/** Reads a durable nonce account: its current nonce and authority. */
export async function readNonceAccount(address: PublicKey, ctx: BuildContext): Promise<{ nonce: string; authority: PublicKey } | null> {
  let account: Awaited<ReturnType<SolanaNetwork['getAccountInfo']>>
  try {
    account = await ctx.network.getAccountInfo(address, ctx.commitment)
  } catch (cause) {
    throw nodeFailed(`could not read nonce account ${address.toBase58()}`, ctx.network, cause)
  }
  if (!account) return null
  if (!account.owner.equals(SystemProgram.programId) || account.data.length !== NONCE_ACCOUNT_LENGTH) {
    throw invalid(`nonce.account: ${address.toBase58()} is not a nonce account (expected ${NONCE_ACCOUNT_LENGTH} bytes owned by the system program, got ${account.data.length} bytes owned by ${account.owner.toBase58()})`)
  }
  const state = new DataView(account.data.buffer, account.data.byteOffset, account.data.byteLength).getUint32(4, true)
  if (state !== 1) throw invalid(`nonce.account: ${address.toBase58()} is not initialized`)
  const parsed = NonceAccount.fromAccountData(Buffer.from(account.data))
  return { nonce: parsed.nonce, authority: parsed.authorizedPubkey }
}

function checkUnits(value: unknown, field: string, max: bigint): bigint {
  const n = typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : value
  if (typeof n !== 'bigint' || n < 0n || n > max) throw invalid(`${field}: expected an integer in 0..${max}, got ${typeof value === 'bigint' ? `${value}n` : String(value)}`)
  return n
}

/** Decompiles a message into instructions for the summary; undefined when a lookup table cannot be read. */
async function decompile(message: VersionedMessage, tables: readonly AddressLookupTableAccount[], ctx: BuildContext): Promise<TransactionInstruction[] | undefined> {
  try {
    let accounts = [...tables]
    const missing = message.addressTableLookups.filter((l) => !accounts.some((t) => t.key.equals(l.accountKey)))
    if (missing.length) accounts = accounts.concat(await Promise.all(missing.map((l) => loadLookupTable(l.accountKey, ctx, 'lookup table'))))
    return TransactionMessage.decompile(message, { addressLookupTableAccounts: accounts }).instructions
  } catch {
    return undefined
  }
}

/**
 * Compiles an intent into a transaction the key signs, signed by the intent's local signers, and checks
 * it: the key must be one of its signers; with `complete`, every other signer must have signed.
 */
export async function buildTransaction(intent: SolanaTransactionIntent, key: PublicKey, ctx: BuildContext, options: { complete: boolean }): Promise<BuiltTransaction> {
  if (!intent || typeof intent !== 'object') throw invalid(`expected an intent like { instructions } or { transaction }, got ${intent === null ? 'null' : typeof intent}`)
  const unknown = Object.keys(intent).filter((k) => !(INTENT_FIELDS as readonly string[]).includes(k) && (intent as Record<string, unknown>)[k] !== undefined)
  if (unknown.length) throw invalid(`unknown field ${unknown.join(', ')}: expected some of ${INTENT_FIELDS.join(', ')}`)
  const signers = checkSigners(intent.signers)
  for (const [i, s] of signers.entries()) if (s.publicKey.equals(key)) throw invalid(`signers[${i}] is the relayer's key ${key.toBase58()}: it signs through the ledger, not locally`)

  let tx: VersionedTransaction
  let lifetime: SolanaLifetime
  let tables: AddressLookupTableAccount[] = []
  if (intent.transaction !== undefined) {
    const extra = INTENT_FIELDS.filter((f) => f !== 'transaction' && f !== 'signers' && intent[f] !== undefined)
    if (extra.length) throw invalid(`a built transaction takes no ${extra.join(', ')}: build them into it`)
    ;({ tx, lifetime } = await fromBuilt(intent.transaction, key, ctx))
  } else {
    const built = await compile(intent, key, ctx)
    tx = built.tx
    lifetime = built.lifetime
    tables = built.tables
  }

  // Local signatures first; then the wire form is the source of truth for what is signed.
  let wire = decodeWire(encodeWire(tx))
  const keyIndex = signerIndex(wire, key)
  if (keyIndex < 0) {
    throw invalid(`the key ${key.toBase58()} does not sign this transaction: make it the fee payer, or a signer of one of its instructions`)
  }
  for (const [i, s] of signers.entries()) {
    if (signerIndex(wire, s.publicKey) < 0) throw invalid(`signers[${i}] (${s.publicKey.toBase58()}) does not sign this transaction`)
  }
  if (signers.length) {
    wire.tx.sign(signers)
    wire = decodeWire(encodeWire(wire.tx))
  }
  if (!isEmptySignature(wire.tx.signatures[keyIndex])) {
    wire.tx.signatures[keyIndex] = new Uint8Array(64)
    wire = decodeWire(encodeWire(wire.tx))
  }
  const missing = checkSignatures(wire, 'INVALID_INPUT').filter((s) => !s.equals(key))
  if (options.complete && missing.length) {
    throw invalid(`${missing.map((m) => m.toBase58()).join(', ')} must sign this transaction too: pass ${missing.length === 1 ? 'its Keypair' : 'their Keypairs'} in signers`)
  }
  const instructions = await decompile(wire.message, tables, ctx)
  const lookups = wire.message.addressTableLookups.length
  // What the message says is what counts; the blockhash's last valid height is known only when it was fetched.
  const signed = lifetimeOf(wire.message)
  const withHeight = signed.type === 'blockhash' && lifetime.type === 'blockhash' && lifetime.lastValidBlockHeight !== undefined ? { ...signed, lastValidBlockHeight: lifetime.lastValidBlockHeight } : signed
  return { wire, keyIndex, lifetime: withHeight, ...(instructions ? { instructions } : {}), lookupTables: lookups }
}

async function latestBlockhash(ctx: BuildContext) {
  try {
    return await ctx.network.getLatestBlockhash(ctx.commitment)
  } catch (cause) {
    throw nodeFailed('could not read the latest blockhash', ctx.network, cause)
  }
}

async function compile(intent: SolanaTransactionIntent, key: PublicKey, ctx: BuildContext): Promise<{ tx: VersionedTransaction; lifetime: SolanaLifetime; tables: AddressLookupTableAccount[] }> {
  if (!Array.isArray(intent.instructions) || intent.instructions.length === 0) throw invalid(`instructions: expected a non-empty array of TransactionInstructions (or a built transaction), got ${Array.isArray(intent.instructions) ? 'an empty array' : typeof intent.instructions}`)
  const instructions = intent.instructions.map(toInstruction)
  const payer = intent.feePayer === undefined ? key : toPublicKey(intent.feePayer, 'feePayer')
  if (intent.version !== undefined && intent.version !== 'legacy' && intent.version !== 0) throw invalid(`version: expected 'legacy' or 0, got ${JSON.stringify(intent.version)}`)
  const tables = await lookupTables(intent.addressLookupTables, ctx)
  const version = intent.version ?? (tables.length ? 0 : 'legacy')
  if (version === 'legacy' && tables.length) throw invalid('addressLookupTables: a legacy transaction cannot use lookup tables; use version 0')

  const budget: TransactionInstruction[] = []
  if (intent.computeUnitLimit !== undefined) budget.push(ComputeBudgetProgram.setComputeUnitLimit({ units: Number(checkUnits(intent.computeUnitLimit, 'computeUnitLimit', 0xffffffffn)) }))
  if (intent.computeUnitPrice !== undefined) budget.push(ComputeBudgetProgram.setComputeUnitPrice({ microLamports: checkUnits(intent.computeUnitPrice, 'computeUnitPrice', U64_MAX) }))

  let lifetime: SolanaLifetime
  let prefix: TransactionInstruction[] = []
  if (intent.nonce !== undefined) {
    if (intent.recentBlockhash !== undefined) throw invalid('recentBlockhash: a durable-nonce transaction takes its blockhash from the nonce account; give one or the other')
    if (!intent.nonce || typeof intent.nonce !== 'object') throw invalid(`nonce: expected { account, authority? }, got ${typeof intent.nonce}`)
    const nonceAccount = toPublicKey(intent.nonce.account, 'nonce.account')
    const state = await readNonceAccount(nonceAccount, ctx)
    if (!state) throw invalid(`nonce.account: ${nonceAccount.toBase58()} does not exist`)
    const authority = intent.nonce.authority === undefined ? state.authority : toPublicKey(intent.nonce.authority, 'nonce.authority')
    if (!authority.equals(state.authority)) throw invalid(`nonce.authority: the nonce account's authority is ${state.authority.toBase58()}, not ${authority.toBase58()}`)
    prefix = [SystemProgram.nonceAdvance({ noncePubkey: nonceAccount, authorizedPubkey: authority })]
    lifetime = { type: 'nonce', nonceAccount, nonce: state.nonce }
  } else if (intent.recentBlockhash !== undefined) {
    if (typeof intent.recentBlockhash !== 'string' || !/^[1-9A-HJ-NP-Za-km-z]{32,44}$/.test(intent.recentBlockhash)) throw invalid(`recentBlockhash: expected a base58 blockhash, got ${JSON.stringify(String(intent.recentBlockhash).slice(0, 60))}`)
    lifetime = { type: 'blockhash', blockhash: intent.recentBlockhash }
  } else {
    const latest = await latestBlockhash(ctx)
    lifetime = { type: 'blockhash', blockhash: latest.blockhash, lastValidBlockHeight: latest.lastValidBlockHeight }
  }
  const recentBlockhash = lifetime.type === 'nonce' ? lifetime.nonce : lifetime.blockhash
  let message: VersionedMessage
  try {
    const draft = new TransactionMessage({ payerKey: payer, recentBlockhash, instructions: [...prefix, ...budget, ...instructions] })
    message = version === 0 ? draft.compileToV0Message(tables) : draft.compileToLegacyMessage()
  } catch (cause) {
    throw invalid(`the instructions do not compile into a ${version === 0 ? 'version 0' : 'legacy'} transaction: ${cause instanceof Error ? cause.message : String(cause)}`, cause)
  }
  return { tx: new VersionedTransaction(message), lifetime, tables }
}

/** A transaction built elsewhere, as a versioned transaction over the exact message it signs. */
async function fromBuilt(transaction: unknown, key: PublicKey, ctx: BuildContext): Promise<{ tx: VersionedTransaction; lifetime: SolanaLifetime }> {
  if (transaction instanceof VersionedTransaction || isVersioned(transaction)) {
    const v = transaction as VersionedTransaction
    const wire = decodeWire(v.serialize())
    return { tx: wire.tx, lifetime: lifetimeOf(wire.message) }
  }
  if (!(transaction instanceof Transaction) && !isLegacy(transaction)) throw invalid(`transaction: expected a Transaction or a VersionedTransaction, got ${transaction === null ? 'null' : typeof transaction}`)
  const t = transaction as Transaction
  const feePayer = t.feePayer ?? t.signatures[0]?.publicKey ?? key
  let lastValidBlockHeight: number | undefined
  let draft: Transaction
  if (t.nonceInfo) {
    draft = new Transaction({ feePayer, nonceInfo: t.nonceInfo, minContextSlot: t.minNonceContextSlot ?? 0 })
  } else {
    let blockhash = t.recentBlockhash
    if (!blockhash) ({ blockhash, lastValidBlockHeight } = await latestBlockhash(ctx))
    else lastValidBlockHeight = t.lastValidBlockHeight
    draft = new Transaction({ feePayer, blockhash, lastValidBlockHeight: lastValidBlockHeight ?? 0 })
  }
  draft.add(...t.instructions.map(toInstruction))
  let message: VersionedMessage
  try {
    message = draft.compileMessage()
  } catch (cause) {
    throw invalid(`the transaction does not compile: ${cause instanceof Error ? cause.message : String(cause)}`, cause)
  }
  const signatures = message.staticAccountKeys.slice(0, message.header.numRequiredSignatures).map((signer) => {
    const existing = t.signatures.find((s) => s.signature && new PublicKey(s.publicKey.toBytes()).equals(signer))?.signature
    return existing ? new Uint8Array(existing) : new Uint8Array(64)
  })
  const lifetime = lifetimeOf(message)
  return { tx: new VersionedTransaction(message, signatures), lifetime: lifetime.type === 'blockhash' && lastValidBlockHeight ? { ...lifetime, lastValidBlockHeight } : lifetime }
}

// Transactions of another copy of @solana/web3.js
function isVersioned(t: unknown): boolean {
  return !!t && typeof t === 'object' && 'message' in t && Array.isArray((t as VersionedTransaction).signatures) && typeof (t as VersionedTransaction).serialize === 'function' && 'version' in t
}
function isLegacy(t: unknown): boolean {
  return !!t && typeof t === 'object' && Array.isArray((t as Transaction).instructions) && typeof (t as Transaction).compileMessage === 'function'
}
