/**
 * The few SPL Token instructions and account layouts the relayer uses, written from the SPL Token and
 * Associated Token Account programs' documented formats (so the package needs no token library):
 * TransferChecked (tag 12), CreateIdempotent (ATA tag 1), the 82-byte mint and the 165-byte token account.
 * Token-2022 shares these layouts for its base state; pass its program id.
 */
import { ZrError } from '@zrkit/core'
import { PublicKey, SystemProgram, TransactionInstruction } from '@solana/web3.js'
import { toPublicKey } from './wire.js'

/** The SPL Token program. */
export const TOKEN_PROGRAM_ID = new PublicKey('TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA')
/** The SPL Token-2022 program. */
export const TOKEN_2022_PROGRAM_ID = new PublicKey('TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb')
/** The Associated Token Account program. */
export const ASSOCIATED_TOKEN_PROGRAM_ID = new PublicKey('ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL')

const MINT_SIZE = 82
const TOKEN_ACCOUNT_SIZE = 165
const U64_MAX = 2n ** 64n - 1n

const isTokenProgram = (p: PublicKey) => p.equals(TOKEN_PROGRAM_ID) || p.equals(TOKEN_2022_PROGRAM_ID)

function tokenProgramOf(value: PublicKey | string | undefined, field = 'tokenProgram'): PublicKey {
  const program = value === undefined ? TOKEN_PROGRAM_ID : toPublicKey(value, field)
  if (!isTokenProgram(program)) {
    throw new ZrError('INVALID_INPUT', 'Unknown token program.', { details: `${field}: expected the SPL Token (${TOKEN_PROGRAM_ID.toBase58()}) or Token-2022 (${TOKEN_2022_PROGRAM_ID.toBase58()}) program, got ${program.toBase58()}` })
  }
  return program
}

/**
 * The associated token account of `owner` for `mint`: the program address of (owner, token program, mint)
 * under the Associated Token Account program. Refuses an owner off the ed25519 curve (a program address,
 * or a token account given by mistake) unless `allowOwnerOffCurve`.
 *
 * @example
 * ```ts
 * import { associatedTokenAddress } from '@zrkit/relayer-solana'
 * const ata = associatedTokenAddress({ owner: solana.publicKey, mint })
 * ```
 */
export function associatedTokenAddress(params: { owner: PublicKey | string; mint: PublicKey | string; tokenProgram?: PublicKey | string; allowOwnerOffCurve?: boolean }): PublicKey {
  const owner = toPublicKey(params?.owner, 'owner')
  const mint = toPublicKey(params.mint, 'mint')
  const program = tokenProgramOf(params.tokenProgram)
  if (!params.allowOwnerOffCurve && !PublicKey.isOnCurve(owner.toBytes())) {
    throw new ZrError('INVALID_ADDRESS', 'The token owner is not a wallet address.', {
      details: `owner: expected a wallet address (a point on ed25519), got ${owner.toBase58()}, which is off the curve (a program address or a token account); pass allowOwnerOffCurve: true if a program owns the tokens`,
    })
  }
  return PublicKey.findProgramAddressSync([owner.toBytes(), program.toBytes(), mint.toBytes()], ASSOCIATED_TOKEN_PROGRAM_ID)[0]
}

/**
 * The Associated Token Account program's CreateIdempotent instruction: creates `owner`'s token account for
 * `mint` at its associated address, paid by `payer`, and succeeds without change when it already exists.
 *
 * @example
 * ```ts
 * import { associatedTokenAddress, createAssociatedTokenAccountIdempotentInstruction } from '@zrkit/relayer-solana'
 * const ix = createAssociatedTokenAccountIdempotentInstruction({ payer: solana.publicKey, owner: recipient, mint })
 * ```
 */
export function createAssociatedTokenAccountIdempotentInstruction(params: { payer: PublicKey | string; owner: PublicKey | string; mint: PublicKey | string; tokenProgram?: PublicKey | string; allowOwnerOffCurve?: boolean }): TransactionInstruction {
  const payer = toPublicKey(params?.payer, 'payer')
  const owner = toPublicKey(params.owner, 'owner')
  const mint = toPublicKey(params.mint, 'mint')
  const programId = tokenProgramOf(params.tokenProgram)
  const account = associatedTokenAddress({ owner, mint, tokenProgram: programId, ...(params.allowOwnerOffCurve ? { allowOwnerOffCurve: true } : {}) })
  return new TransactionInstruction({
    programId: ASSOCIATED_TOKEN_PROGRAM_ID,
    keys: [
      { pubkey: payer, isSigner: true, isWritable: true },
      { pubkey: account, isSigner: false, isWritable: true },
      { pubkey: owner, isSigner: false, isWritable: false },
      { pubkey: mint, isSigner: false, isWritable: false },
      { pubkey: SystemProgram.programId, isSigner: false, isWritable: false },
      { pubkey: programId, isSigner: false, isWritable: false },
    ],
    data: Buffer.from([1]),
  })
}

/**
 * The SPL Token TransferChecked instruction: moves `amount` base units of `mint` from the `source` token
 * account to the `destination` token account, signed by `authority` (the source's owner or delegate); the
 * program refuses it unless `decimals` is the mint's.
 *
 * @example
 * ```ts
 * import { transferCheckedInstruction } from '@zrkit/relayer-solana'
 * const ix = transferCheckedInstruction({ source, mint, destination, authority: solana.publicKey, amount: 1_500_000n, decimals: 6 })
 * ```
 */
export function transferCheckedInstruction(params: {
  source: PublicKey | string
  mint: PublicKey | string
  destination: PublicKey | string
  authority: PublicKey | string
  amount: bigint
  decimals: number
  tokenProgram?: PublicKey | string
}): TransactionInstruction {
  const source = toPublicKey(params?.source, 'source')
  const mint = toPublicKey(params.mint, 'mint')
  const destination = toPublicKey(params.destination, 'destination')
  const authority = toPublicKey(params.authority, 'authority')
  const programId = tokenProgramOf(params.tokenProgram)
  const amount = checkAmount(params.amount)
  checkDecimals(params.decimals)
  const data = new Uint8Array(10)
  data[0] = 12
  new DataView(data.buffer).setBigUint64(1, amount, true)
  data[9] = params.decimals
  return new TransactionInstruction({
    programId,
    keys: [
      { pubkey: source, isSigner: false, isWritable: true },
      { pubkey: mint, isSigner: false, isWritable: false },
      { pubkey: destination, isSigner: false, isWritable: true },
      { pubkey: authority, isSigner: true, isWritable: false },
    ],
    data: Buffer.from(data),
  })
}

/** A token amount in base units: a bigint in 1..2^64-1. */
export function checkAmount(amount: unknown, field = 'amount'): bigint {
  if (typeof amount !== 'bigint' || amount < 1n || amount > U64_MAX) {
    throw new ZrError('INVALID_INPUT', 'Invalid token amount.', { details: `${field}: expected a bigint of base units in 1..2^64-1, got ${typeof amount === 'bigint' ? `${amount}n` : typeof amount === 'number' ? `the number ${amount} (use a bigint)` : typeof amount}` })
  }
  return amount
}

function checkDecimals(decimals: unknown) {
  if (!Number.isInteger(decimals) || (decimals as number) < 0 || (decimals as number) > 255) {
    throw new ZrError('INVALID_INPUT', 'Invalid token decimals.', { details: `decimals: expected an integer in 0..255, got ${String(decimals)}` })
  }
}

/** A mint's base state. */
export type SplMint = {
  readonly mintAuthority: PublicKey | null
  readonly supply: bigint
  readonly decimals: number
  readonly isInitialized: boolean
  readonly freezeAuthority: PublicKey | null
}

/** A token account's base state. */
export type SplTokenAccount = {
  readonly mint: PublicKey
  readonly owner: PublicKey
  readonly amount: bigint
  readonly delegate: PublicKey | null
  /** 0 uninitialized, 1 initialized, 2 frozen. */
  readonly state: number
}

const option = (data: Uint8Array, view: DataView, offset: number): PublicKey | null => (view.getUint32(offset, true) === 1 ? new PublicKey(data.slice(offset + 4, offset + 36)) : null)

/**
 * Reads a mint account's data (SPL Token or Token-2022 base state).
 *
 * @example
 * ```ts
 * import { decodeMint } from '@zrkit/relayer-solana'
 * const { decimals, supply } = decodeMint((await connection.getAccountInfo(mint))!.data)
 * ```
 */
export function decodeMint(data: Uint8Array): SplMint {
  if (!(data instanceof Uint8Array) || data.length < MINT_SIZE) {
    throw new ZrError('INVALID_INPUT', 'Not a token mint.', { details: `expected the ${MINT_SIZE}-byte data of a mint account, got ${data instanceof Uint8Array ? `${data.length} bytes` : typeof data}` })
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  return {
    mintAuthority: option(data, view, 0),
    supply: view.getBigUint64(36, true),
    decimals: data[44]!,
    isInitialized: data[45] === 1,
    freezeAuthority: option(data, view, 46),
  }
}

/**
 * Reads a token account's data (SPL Token or Token-2022 base state).
 *
 * @example
 * ```ts
 * import { associatedTokenAddress, decodeTokenAccount } from '@zrkit/relayer-solana'
 * const { amount } = decodeTokenAccount((await connection.getAccountInfo(associatedTokenAddress({ owner, mint })))!.data)
 * ```
 */
export function decodeTokenAccount(data: Uint8Array): SplTokenAccount {
  if (!(data instanceof Uint8Array) || data.length < TOKEN_ACCOUNT_SIZE) {
    throw new ZrError('INVALID_INPUT', 'Not a token account.', { details: `expected the ${TOKEN_ACCOUNT_SIZE}-byte data of a token account, got ${data instanceof Uint8Array ? `${data.length} bytes` : typeof data}` })
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  return {
    mint: new PublicKey(data.slice(0, 32)),
    owner: new PublicKey(data.slice(32, 64)),
    amount: view.getBigUint64(64, true),
    delegate: option(data, view, 72),
    state: data[108]!,
  }
}

export { isTokenProgram, tokenProgramOf }
