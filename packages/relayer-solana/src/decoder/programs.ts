/**
 * The programs the Solana decoder reads, by their base58 ids (the ids `@solana/web3.js` and
 * `@solana/spl-token` use; the tests check them against those libraries).
 *
 * @example
 * ```ts
 * import { SYSTEM_PROGRAM, isTokenProgram } from './programs.js'
 * isTokenProgram('TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA') // true
 * ```
 */
export const SYSTEM_PROGRAM = '11111111111111111111111111111111'
/** Compute unit limit and price: what the priority fee is made of. */
export const COMPUTE_BUDGET_PROGRAM = 'ComputeBudget111111111111111111111111111111'
/** SPL Token. */
export const TOKEN_PROGRAM = 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA'
/** SPL Token-2022 (the same layouts as SPL Token for the instructions the decoder reads). */
export const TOKEN_2022_PROGRAM = 'TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb'
/** The ed25519 signature-verifying precompile. */
export const ED25519_PRECOMPILE = 'Ed25519SigVerify111111111111111111111111111'
/** The secp256k1 (Ethereum-style recovery) signature-verifying precompile. */
export const SECP256K1_PRECOMPILE = 'KeccakSecp256k11111111111111111111111111111'
/** The secp256r1 signature-verifying precompile. */
export const SECP256R1_PRECOMPILE = 'Secp256r1SigVerify1111111111111111111111111'

/**
 * SPL Token or Token-2022.
 *
 * @example
 * ```ts
 * import { isTokenProgram } from './programs.js'
 * isTokenProgram('11111111111111111111111111111111') // false
 * ```
 */
export const isTokenProgram = (programId: string): boolean => programId === TOKEN_PROGRAM || programId === TOKEN_2022_PROGRAM

/**
 * A signature-verifying precompile: each signature it verifies is charged like a transaction
 * signature, and an instruction's first data byte is its signature count.
 *
 * @example
 * ```ts
 * import { isSignaturePrecompile } from './programs.js'
 * isSignaturePrecompile('Ed25519SigVerify111111111111111111111111111') // true
 * ```
 */
export const isSignaturePrecompile = (programId: string): boolean =>
  programId === ED25519_PRECOMPILE || programId === SECP256K1_PRECOMPILE || programId === SECP256R1_PRECOMPILE
