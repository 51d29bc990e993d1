import {
  type ClientBase,
  type DerivationPath,
  type DerivationSegment,
  type RecoverReturnType,
  type RelayEvent,
  type RelayJournal,
  type RelayOptions,
  type RelayRequestOptions,
  type RelayResult,
  type RelaySendOptions,
  type Relayer,
  type SubmitRelayReturnType,
  ZrError,
  bindRelayer,
} from '@zrkit/core'
import { checkRequestKind, splitRelayOptions } from '@zrkit/core/internal'
import {
  AddressLookupTableProgram,
  type Connection,
  NONCE_ACCOUNT_LENGTH,
  PublicKey,
  type Signer,
  SystemProgram,
  type TransactionInstruction,
} from '@solana/web3.js'
import type { SolanaTransactionIntent } from './buildTransaction.js'
import { type SolanaCommitment, type SolanaNetwork, toSolanaNetwork } from './network.js'
import { type SolanaAdapterOptions, type SolanaReceipt, checkCommitment, solanaAdapter } from './solanaAdapter.js'
import { solanaChainId } from './solanaChains.js'
import { type SolanaSigner, type SolanaSignerOptions, solanaSigner } from './solanaSigner.js'
import { TOKEN_2022_PROGRAM_ID, associatedTokenAddress, checkAmount, createAssociatedTokenAccountIdempotentInstruction, decodeMint, decodeTokenAccount, isTokenProgram, transferCheckedInstruction } from './splToken.js'
import { toPublicKey } from './wire.js'

/** Parameters of {@link createSolanaRelayer}. */
export type CreateSolanaRelayerParameters = {
  /** A zrkit client whose account owns the key's workspace: it requests the signatures. */
  client: ClientBase
  /** A web3.js `Connection` to the cluster (devnet, mainnet-beta, a local validator), or any {@link SolanaNetwork}. */
  network: SolanaNetwork | Connection
  /** The ledger key (EdDSA ed25519) that signs. */
  keyId: number
  /** Sign with the child key at this path: one key, an address per path. */
  path?: DerivationPath
  /** The cluster's CAIP-2 id (default: read from the network's genesis hash). */
  chain?: string
  /** How final a transaction must be before a send returns (default `'confirmed'`). */
  commitment?: SolanaCommitment
  /** Where relays are kept across restarts (default: memory). Use `fileRelayJournal(dir)` from `@zrkit/core/node` to survive crashes. */
  journal?: RelayJournal
  /** Show approvers the transaction (fee payer, signers, instructions...) in the request metadata (default true). */
  disclose?: boolean
  /** Sees the progress of every relay. */
  onEvent?: (event: RelayEvent) => void
  /** Counts every relay for an operator to scrape (`createRelayMetrics()` from `@zrkit/core`). */
  metrics?: { observe(event: RelayEvent): void }
  /** Preflight, polling, re-sending and confirmation timing (see {@link SolanaAdapterOptions}). */
  adapter?: Pick<SolanaAdapterOptions, 'skipPreflight' | 'pollIntervalMs' | 'resendIntervalMs' | 'confirmTimeoutMs'>
  /** How `signer` waits for approvals (see {@link SolanaSignerOptions}). */
  signer?: SolanaSignerOptions
  /**
   * How signatures are asked for, by relays and by `signer` alike (the signer's own `requestKind` wins).
   * `'auto'` (default): a sign-transaction request when the ledger runs the Solana decoder (`solana@1` in
   * its genesis) and the key pays the transaction's fee: the ledger reads the message, computes the payload
   * itself and the sign policy judges what the transaction does (`tx.value <= 0.1 sol`); else the payload
   * alone. `'transaction'`: always a sign-transaction request (`UNSUPPORTED_CHAIN` before anything is
   * requested on a ledger without the decoder or for a message another account pays for; the signer says
   * `INVALID_TRANSACTION` with the decoder's reason). `'payloads'`: the payload alone, opaque to policies.
   */
  requestKind?: 'auto' | 'transaction' | 'payloads'
}

/** Waiting and request options that go with a transaction: core's {@link RelaySendOptions}, the same on every chain. */
export type SolanaSendOptions = RelaySendOptions

/** Transaction fields of an intent besides its instructions. */
export type SolanaTransactionOptions = Omit<SolanaTransactionIntent, 'instructions' | 'transaction'>

/**
 * Result of a relayed transaction: the one result shape of every zrkit relayer (`relayId`, `requestId`,
 * `txid`, `signedTx` as base64 wire bytes, `receipt`), with web3.js's name `signature` for the
 * transaction id. A transaction that lands but fails throws `TX_FAILED` instead (the receipt, with its
 * `err`, is in its `meta`).
 */
export type SolanaRelayResult = RelayResult<SolanaReceipt> & {
  /** The transaction id (the same as `txid`): its first signature (the fee payer's), base58. */
  readonly signature: string
}

/** Parameters of {@link SolanaRelayer.transfer}. */
export type SolanaTransferParameters = { to: PublicKey | string; lamports: bigint | number } & SolanaTransactionOptions & SolanaSendOptions

/** Parameters of {@link SolanaRelayer.transferToken}. */
export type SolanaTransferTokenParameters = {
  mint: PublicKey | string
  /** The recipient's wallet address (the owner of the token account that receives). */
  to: PublicKey | string
  /** Base units (e.g. 1_500_000n for 1.5 of a 6-decimal token). */
  amount: bigint
  /** The mint's decimals (default: read from the mint); the token program refuses a wrong value. */
  decimals?: number
  /** Create the recipient's associated token account when it is missing (default true; paid by the fee payer). */
  createRecipientAccount?: boolean
  /** Allow a recipient that is a program address (off the curve). */
  allowOwnerOffCurve?: boolean
  /** The token account to send from (default: the key's associated token account). */
  source?: PublicKey | string
} & SolanaTransactionOptions &
  SolanaSendOptions

/**
 * Parameters of {@link SolanaRelayer.speedUp}: the relay's signature request, the replacement's priority
 * fee (`computeUnitPrice` in micro-lamports per compute unit; absent: the original's raised by a quarter,
 * what the network's recent fees ask, or 10 000, whichever is highest) and compute unit limit (absent:
 * the original's), and the replacement's own waiting and request options.
 */
export type SolanaSpeedUpParameters = { requestId: number; computeUnitPrice?: bigint | number; computeUnitLimit?: number } & RelayOptions & Omit<RelayRequestOptions, 'idempotencyKey'>

/** A Solana relayer bound to one key (and path): one address on one cluster. */
export type SolanaRelayer = {
  /** The key's Solana public key (the child's at `path`). */
  readonly publicKey: PublicKey
  /** The same, base58. */
  readonly address: string
  readonly keyId: number
  readonly path?: readonly DerivationSegment[]
  /** The cluster's CAIP-2 id. */
  readonly chain: string
  readonly commitment: SolanaCommitment
  readonly network: SolanaNetwork
  /** The chain-neutral pipeline underneath, with the Solana adapter. */
  readonly relayer: Relayer<SolanaTransactionIntent, SolanaReceipt>
  /** A wallet-adapter style signer (`publicKey`, `signTransaction`, `signAllTransactions`, `signMessage`). */
  readonly signer: SolanaSigner
  /** The same signer with other waiting options. */
  toSigner(options?: SolanaSignerOptions): SolanaSigner
  /** Sends SOL. */
  transfer(params: SolanaTransferParameters): Promise<SolanaRelayResult>
  /** Sends SPL tokens (Token or Token-2022) to a wallet, creating its associated token account if needed. */
  transferToken(params: SolanaTransferTokenParameters): Promise<SolanaRelayResult>
  /** Sends any instructions, or a transaction built elsewhere. */
  sendTransaction(params: SolanaTransactionIntent & SolanaSendOptions): Promise<SolanaRelayResult>
  /** Creates a durable nonce account (its `Keypair` signs locally) whose authority is the key (or `authority`). */
  createNonceAccount(params: { nonceAccount: Signer; authority?: PublicKey | string; lamports?: number } & SolanaTransactionOptions & SolanaSendOptions): Promise<SolanaRelayResult & { readonly nonceAccount: PublicKey }>
  /** Creates an address lookup table owned by the key, and fills it with up to 20 `addresses`. */
  createLookupTable(params: { addresses?: readonly (PublicKey | string)[] } & SolanaTransactionOptions & SolanaSendOptions): Promise<SolanaRelayResult & { readonly lookupTable: PublicKey }>
  /** Adds up to 20 addresses to a lookup table the key owns. */
  extendLookupTable(params: { lookupTable: PublicKey | string; addresses: readonly (PublicKey | string)[] } & SolanaTransactionOptions & SolanaSendOptions): Promise<SolanaRelayResult>
  /** Lamports of an account (default: the key's). */
  getBalance(address?: PublicKey | string): Promise<bigint>
  /** Base units of `mint` held in the owner's associated token account (default owner: the key); 0n when it has none. */
  getTokenBalance(params: { mint: PublicKey | string; owner?: PublicKey | string }): Promise<bigint>
  /** Prepares and submits, without waiting: for queueing transactions behind approvals (use a durable nonce if they may take long). */
  submit(params: SolanaTransactionIntent & RelayRequestOptions): Promise<SubmitRelayReturnType>
  /** Finishes a relay from its signature request id (after `submit`, `APPROVAL_PENDING`, `TIMEOUT`, or a restart). */
  resume(params: { requestId: number } & RelayOptions): Promise<SolanaRelayResult>
  /**
   * Sends a transaction that has not landed again with a priority fee: the same instructions (its old
   * compute budget instructions replaced, not stacked), a fresh blockhash and a `SetComputeUnitPrice`
   * (and `SetComputeUnitLimit`), as a new signature request under the key's sign policy (approvers see
   * `zrkit.replaces`, the transaction it replaces, and `zrkit.tx.computeUnitPrice`). Solana has no account
   * nonce, so two transactions with the same instructions and different blockhashes could both land: a
   * recent-blockhash transaction is re-sent only once it can never land (its blockhash expired and it is
   * not on chain); before, `PREPARE_FAILED` (`context.reason: 'may-still-land'`) says until which block
   * height to wait, and nothing is requested. A durable-nonce transaction is re-sent on the same nonce
   * value at once: only one of the two can advance it. Resolves with the replacement's result once it
   * lands; the original relay ends as `replaced`.
   *
   * @example
   * ```ts
   * import { isZrError } from '@zrkit/core'
   *
   * try {
   *   await solana.transfer({ to, lamports: 10_000_000 })
   * } catch (e) {
   *   // approved too late, or dropped by a congested leader: its blockhash expired without it
   *   if (!isZrError(e, 'TX_EXPIRED')) throw e
   *   const { signature } = await solana.speedUp({ requestId: e.context.requestId!, computeUnitPrice: 50_000n, computeUnitLimit: 10_000 })
   * }
   * ```
   */
  speedUp(params: SolanaSpeedUpParameters): Promise<SolanaRelayResult>
  /** After a restart: finishes every fulfilled relay in the journal (see `Relayer.recover`). */
  recover(options?: Omit<RelayOptions, 'approvals'>): Promise<RecoverReturnType<SolanaReceipt, SolanaRelayResult>>
}

const MAX_EXTEND = 20

function split(params: object | undefined): { rest: Record<string, unknown>; options: SolanaSendOptions } {
  const { intent, options } = splitRelayOptions<Record<string, unknown>, SolanaSendOptions>(params)
  return { rest: intent, options }
}

function pick(rest: Record<string, unknown>, ...names: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const n of names) {
    out[n] = rest[n]
    delete rest[n]
  }
  return out
}

const invalid = (details: string) => new ZrError('INVALID_INPUT', 'Invalid Solana transaction.', { details })

function lamportsOf(value: unknown, field = 'lamports'): number {
  const n = typeof value === 'bigint' ? value : typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : undefined
  if (n === undefined || n < 1n || n > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw invalid(`${field}: expected a positive integer of lamports (bigint or safe integer), got ${typeof value === 'bigint' ? `${value}n` : String(value)}`)
  }
  return Number(n)
}

/**
 * Creates a Solana relayer for one zrkit ed25519 key on one cluster: SOL and SPL token transfers, any
 * instructions, legacy and version 0 transactions with lookup tables, recent blockhash or durable nonce,
 * the key as fee payer or beside local `Keypair`s; every transaction signed through a zrkit signature
 * request, so it passes the key's sign policy (e.g. a second owner's approval) before it is signed. It
 * runs the shared relay pipeline with the Solana adapter: sends, re-sends until the network has the
 * transaction or its blockhash expires, and confirms at the chosen commitment; with a file journal it
 * finishes after a crash what was fulfilled, broadcasting each transaction once. Its `signer` is a
 * wallet-adapter style signer for code that already speaks web3.js.
 *
 * @example
 * ```ts
 * import { fileRelayJournal } from '@zrkit/core/node'
 * import { createSolanaRelayer } from '@zrkit/relayer-solana'
 * import { Connection, LAMPORTS_PER_SOL, clusterApiUrl } from '@solana/web3.js'
 *
 * const connection = new Connection(process.env.SOLANA_RPC_URL ?? clusterApiUrl('devnet'), 'confirmed')
 * const solana = await createSolanaRelayer({ client: alice, network: connection, keyId: key.id, journal: fileRelayJournal('./relays') })
 * console.log(solana.address) // fund it (https://faucet.solana.com), then:
 * const { signature } = await solana.transfer({ to: '335kK6HmGPYovr454x3LQhiKNatAZH1nwQ4rUM6sP2nK', lamports: LAMPORTS_PER_SOL / 100, timeoutMs: 10 * 60_000 })
 * ```
 */
export async function createSolanaRelayer(params: CreateSolanaRelayerParameters): Promise<SolanaRelayer> {
  if (!params || typeof params !== 'object') throw new ZrError('INVALID_INPUT', 'Invalid Solana relayer parameters.', { details: `expected { client, network, keyId }, got ${typeof params}` })
  const { client } = params
  const network = toSolanaNetwork(params.network)
  const commitment = checkCommitment(params.commitment)
  const disclose = params.disclose ?? true
  const requestKind = checkRequestKind(params.requestKind)
  let chain = params.chain
  const bound = await bindRelayer({
    client,
    keyId: params.keyId,
    ...(params.path !== undefined ? { path: params.path } : {}),
    name: 'Solana',
    keyTypes: ['eddsa-ed25519'],
    keyTypeMessage: 'A Solana relayer needs an ed25519 key.',
    adapter: async () => {
      if (chain === undefined) {
        try {
          chain = solanaChainId(await network.getGenesisHash())
        } catch (cause) {
          if (cause instanceof ZrError) throw cause
          throw new ZrError('NODE_REQUEST_FAILED', 'Could not read from the Solana network.', { details: `could not read the genesis hash from ${network.name}: ${cause instanceof Error ? cause.message : String(cause)}`, cause })
        }
      }
      return solanaAdapter({ network, chain, commitment, ...(params.adapter ?? {}) })
    },
    disclose,
    requestKind,
    ...(params.journal ? { journal: params.journal } : {}),
    ...(params.onEvent ? { onEvent: params.onEvent } : {}),
    ...(params.metrics ? { metrics: params.metrics } : {}),
    toResult: (r): SolanaRelayResult => ({ ...r, signature: r.txid }),
  })
  const { keyId, relayer } = bound
  const publicKey = new PublicKey(bound.publicKey)
  const keyPath = bound.path !== undefined ? { path: bound.path } : {}
  const signerContext = { client, keyId, ...keyPath, publicKey, chain: bound.adapter.chain, disclose, network, commitment }
  const send = (intent: SolanaTransactionIntent, options: SolanaSendOptions) => bound.relay(intent, options)
  const withInstructions = (rest: Record<string, unknown>, instructions: TransactionInstruction[]) => ({ ...rest, instructions }) as SolanaTransactionIntent
  /** The signer's options, with the relayer's `requestKind` unless they name one. */
  const signerOptions = (options: SolanaSignerOptions | undefined): SolanaSignerOptions => ({ ...options, requestKind: options?.requestKind ?? requestKind })
  const feePayerOf = (rest: Record<string, unknown>) => (rest.feePayer === undefined ? publicKey : toPublicKey(rest.feePayer, 'feePayer'))

  const readAccount = async (address: PublicKey, what: string) => {
    try {
      return await network.getAccountInfo(address, commitment)
    } catch (cause) {
      throw new ZrError('NODE_REQUEST_FAILED', 'Could not read from the Solana network.', { details: `could not read ${what} ${address.toBase58()} from ${network.name}: ${cause instanceof Error ? cause.message : String(cause)}`, cause })
    }
  }

  return Object.freeze({
    publicKey,
    address: publicKey.toBase58(),
    keyId,
    ...keyPath,
    chain: bound.adapter.chain,
    commitment,
    network,
    relayer,
    signer: solanaSigner(signerContext, signerOptions(params.signer)),
    toSigner: (options?: SolanaSignerOptions) => solanaSigner(signerContext, signerOptions(options)),

    async transfer(p: SolanaTransferParameters) {
      const { rest, options } = split(p)
      const { to, lamports } = pick(rest, 'to', 'lamports')
      const instruction = SystemProgram.transfer({ fromPubkey: publicKey, toPubkey: toPublicKey(to, 'to'), lamports: lamportsOf(lamports) })
      return send(withInstructions(rest, [instruction]), options)
    },

    async transferToken(p: SolanaTransferTokenParameters) {
      const { rest, options } = split(p)
      const f = pick(rest, 'mint', 'to', 'amount', 'decimals', 'createRecipientAccount', 'allowOwnerOffCurve', 'source')
      const mint = toPublicKey(f.mint, 'mint')
      const to = toPublicKey(f.to, 'to')
      const amount = checkAmount(f.amount)
      const mintAccount = await readAccount(mint, 'mint')
      if (!mintAccount) throw invalid(`mint: ${mint.toBase58()} does not exist on ${network.name}`)
      if (!isTokenProgram(mintAccount.owner)) throw invalid(`mint: ${mint.toBase58()} is not a token mint (its owner is ${mintAccount.owner.toBase58()})`)
      const tokenProgram = mintAccount.owner
      const { decimals } = decodeMint(mintAccount.data)
      if (f.decimals !== undefined && f.decimals !== decimals) throw invalid(`decimals: mint ${mint.toBase58()} has ${decimals} decimals, got ${String(f.decimals)}`)
      // A token account given as the recipient would get an account of its own that nobody can spend from.
      const recipient = await readAccount(to, 'recipient')
      if (recipient && isTokenProgram(recipient.owner)) {
        throw new ZrError('INVALID_ADDRESS', 'The recipient is a token account.', { details: `to: expected the recipient's wallet address, got ${to.toBase58()}, a token account (owned by ${recipient.owner.toBase58()}); pass its owner instead` })
      }
      const allow = f.allowOwnerOffCurve === true ? { allowOwnerOffCurve: true } : {}
      const destination = associatedTokenAddress({ owner: to, mint, tokenProgram, ...allow })
      const source = f.source === undefined ? associatedTokenAddress({ owner: publicKey, mint, tokenProgram }) : toPublicKey(f.source, 'source')
      const instructions: TransactionInstruction[] = []
      if (f.createRecipientAccount !== false) instructions.push(createAssociatedTokenAccountIdempotentInstruction({ payer: feePayerOf(rest), owner: to, mint, tokenProgram, ...allow }))
      instructions.push(transferCheckedInstruction({ source, mint, destination, authority: publicKey, amount, decimals, tokenProgram }))
      return send(withInstructions(rest, instructions), options)
    },

    async sendTransaction(p: SolanaTransactionIntent & SolanaSendOptions) {
      const { rest, options } = split(p)
      return send(rest as SolanaTransactionIntent, options)
    },

    async createNonceAccount(p) {
      const { rest, options } = split(p)
      const f = pick(rest, 'nonceAccount', 'authority', 'lamports')
      const nonce = f.nonceAccount as Signer | undefined
      if (!nonce || typeof nonce !== 'object' || !(nonce.secretKey instanceof Uint8Array)) throw invalid('nonceAccount: expected the Keypair of the new nonce account')
      const noncePubkey = toPublicKey(nonce.publicKey, 'nonceAccount.publicKey')
      let lamports = f.lamports === undefined ? undefined : lamportsOf(f.lamports)
      if (lamports === undefined) {
        try {
          lamports = await network.getMinimumBalanceForRentExemption(NONCE_ACCOUNT_LENGTH)
        } catch (cause) {
          throw new ZrError('NODE_REQUEST_FAILED', 'Could not read from the Solana network.', { details: `could not read the rent-exempt minimum from ${network.name}: ${cause instanceof Error ? cause.message : String(cause)}`, cause })
        }
      }
      const authority = f.authority === undefined ? publicKey : toPublicKey(f.authority, 'authority')
      const { instructions } = SystemProgram.createNonceAccount({ fromPubkey: publicKey, noncePubkey, authorizedPubkey: authority, lamports })
      const signers = [...((rest.signers as Signer[] | undefined) ?? []), nonce]
      const result = await send(withInstructions({ ...rest, signers }, instructions), options)
      return { ...result, nonceAccount: noncePubkey }
    },

    async createLookupTable(p) {
      const { rest, options } = split(p)
      const f = pick(rest, 'addresses')
      const addresses = ((f.addresses as unknown[] | undefined) ?? []).map((a, i) => toPublicKey(a, `addresses[${i}]`))
      if (addresses.length > MAX_EXTEND) throw invalid(`addresses: expected at most ${MAX_EXTEND} addresses at creation (extendLookupTable adds more), got ${addresses.length}`)
      let recentSlot: number
      try {
        recentSlot = await network.getSlot('finalized')
      } catch (cause) {
        throw new ZrError('NODE_REQUEST_FAILED', 'Could not read from the Solana network.', { details: `could not read the slot from ${network.name}: ${cause instanceof Error ? cause.message : String(cause)}`, cause })
      }
      const payer = feePayerOf(rest)
      const [create, lookupTable] = AddressLookupTableProgram.createLookupTable({ authority: publicKey, payer, recentSlot })
      const instructions = [create]
      if (addresses.length) instructions.push(AddressLookupTableProgram.extendLookupTable({ lookupTable, authority: publicKey, payer, addresses }))
      const result = await send(withInstructions(rest, instructions), options)
      return { ...result, lookupTable }
    },

    async extendLookupTable(p) {
      const { rest, options } = split(p)
      const f = pick(rest, 'lookupTable', 'addresses')
      const lookupTable = toPublicKey(f.lookupTable, 'lookupTable')
      if (!Array.isArray(f.addresses) || f.addresses.length === 0 || f.addresses.length > MAX_EXTEND) throw invalid(`addresses: expected 1..${MAX_EXTEND} addresses, got ${Array.isArray(f.addresses) ? f.addresses.length : typeof f.addresses}`)
      const addresses = f.addresses.map((a, i) => toPublicKey(a, `addresses[${i}]`))
      return send(withInstructions(rest, [AddressLookupTableProgram.extendLookupTable({ lookupTable, authority: publicKey, payer: feePayerOf(rest), addresses })]), options)
    },

    async getBalance(address?: PublicKey | string) {
      const target = address === undefined ? publicKey : toPublicKey(address, 'address')
      return BigInt((await readAccount(target, 'account'))?.lamports ?? 0)
    },

    async getTokenBalance(p: { mint: PublicKey | string; owner?: PublicKey | string }) {
      const mint = toPublicKey(p?.mint, 'mint')
      const owner = p.owner === undefined ? publicKey : toPublicKey(p.owner, 'owner')
      const mintAccount = await readAccount(mint, 'mint')
      const tokenProgram = mintAccount && mintAccount.owner.equals(TOKEN_2022_PROGRAM_ID) ? TOKEN_2022_PROGRAM_ID : undefined
      const account = await readAccount(associatedTokenAddress({ owner, mint, ...(tokenProgram ? { tokenProgram } : {}), allowOwnerOffCurve: true }), 'token account')
      return account ? decodeTokenAccount(account.data).amount : 0n
    },

    async submit(p: SolanaTransactionIntent & RelayRequestOptions) {
      const { rest, options } = split(p)
      return bound.submit(rest as SolanaTransactionIntent, options)
    },
    resume: bound.resume,
    speedUp(p: SolanaSpeedUpParameters) {
      const { computeUnitPrice, computeUnitLimit, ...rest } = p ?? ({} as SolanaSpeedUpParameters)
      const fees = { ...(computeUnitPrice !== undefined ? { computeUnitPrice } : {}), ...(computeUnitLimit !== undefined ? { computeUnitLimit } : {}) }
      return bound.replace({ ...rest, mode: 'speed-up', ...(Object.keys(fees).length ? { fees } : {}) })
    },
    recover: bound.recover,
  }) as SolanaRelayer
}
