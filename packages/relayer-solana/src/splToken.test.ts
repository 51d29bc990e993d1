/**
 * The SPL token instructions and layouts, written from the programs' documented formats, against
 * @solana/spl-token (an independent implementation) for the same inputs.
 */
import * as spl from '@solana/spl-token'
import { Keypair, PublicKey } from '@solana/web3.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  TOKEN_2022_PROGRAM_ID,
  TOKEN_PROGRAM_ID,
  associatedTokenAddress,
  createAssociatedTokenAccountIdempotentInstruction,
  decodeMint,
  decodeTokenAccount,
  transferCheckedInstruction,
} from './splToken.js'

const key = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => new PublicKey(b))
const wallet = fc.integer({ min: 0, max: 2 ** 31 }).map(() => Keypair.generate().publicKey)
const program = fc.constantFrom(TOKEN_PROGRAM_ID, TOKEN_2022_PROGRAM_ID)

const plain = (ix: { programId: PublicKey; keys: { pubkey: PublicKey; isSigner: boolean; isWritable: boolean }[]; data: Uint8Array }) => ({
  programId: ix.programId.toBase58(),
  keys: ix.keys.map((k) => ({ pubkey: k.pubkey.toBase58(), isSigner: k.isSigner, isWritable: k.isWritable })),
  data: Array.from(ix.data),
})

describe('SPL token instructions', () => {
  it('the program ids are the token programs', () => {
    expect(TOKEN_PROGRAM_ID.equals(spl.TOKEN_PROGRAM_ID)).toBe(true)
    expect(TOKEN_2022_PROGRAM_ID.equals(spl.TOKEN_2022_PROGRAM_ID)).toBe(true)
  })

  it('TransferChecked encodes as @solana/spl-token does, for any amount and decimals', () => {
    fc.assert(
      fc.property(key, key, key, key, fc.bigInt({ min: 1n, max: 2n ** 64n - 1n }), fc.integer({ min: 0, max: 255 }), program, (source, mint, destination, authority, amount, decimals, tokenProgram) => {
        const ours = transferCheckedInstruction({ source, mint, destination, authority, amount, decimals, tokenProgram })
        const theirs = spl.createTransferCheckedInstruction(source, mint, destination, authority, amount, decimals, [], tokenProgram)
        expect(plain(ours)).toEqual(plain(theirs))
      }),
      { numRuns: 200 },
    )
  })

  it('the associated token address and its CreateIdempotent instruction match @solana/spl-token', () => {
    fc.assert(
      fc.property(wallet, key, key, program, (owner, mint, payer, tokenProgram) => {
        const ours = associatedTokenAddress({ owner, mint, tokenProgram })
        expect(ours.toBase58()).toBe(spl.getAssociatedTokenAddressSync(mint, owner, false, tokenProgram).toBase58())
        const ix = createAssociatedTokenAccountIdempotentInstruction({ payer, owner, mint, tokenProgram })
        expect(plain(ix)).toEqual(plain(spl.createAssociatedTokenAccountIdempotentInstruction(payer, ours, owner, mint, tokenProgram)))
      }),
      { numRuns: 50 },
    )
  })

  it('refuses an owner off the curve unless allowed, amounts out of range, bad decimals and other programs', () => {
    const mint = Keypair.generate().publicKey
    const offCurve = PublicKey.findProgramAddressSync([new Uint8Array([1])], TOKEN_PROGRAM_ID)[0]
    expect(() => associatedTokenAddress({ owner: offCurve, mint })).toThrow(expect.objectContaining({ code: 'INVALID_ADDRESS' }))
    expect(() => spl.getAssociatedTokenAddressSync(mint, offCurve)).toThrow() // the same rule there
    expect(associatedTokenAddress({ owner: offCurve, mint, allowOwnerOffCurve: true }).toBase58()).toBe(spl.getAssociatedTokenAddressSync(mint, offCurve, true).toBase58())
    const base = { source: mint, mint, destination: mint, authority: mint, decimals: 6 }
    for (const amount of [0n, 2n ** 64n, -1n, 5 as unknown as bigint]) expect(() => transferCheckedInstruction({ ...base, amount })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    for (const decimals of [-1, 256, 1.5]) expect(() => transferCheckedInstruction({ ...base, amount: 1n, decimals })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    expect(() => transferCheckedInstruction({ ...base, amount: 1n, tokenProgram: mint })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    expect(() => associatedTokenAddress({ owner: 'x', mint })).toThrow(expect.objectContaining({ code: 'INVALID_ADDRESS' }))
  })
})

describe('SPL account layouts', () => {
  it('reads mints as @solana/spl-token lays them out', () => {
    fc.assert(
      fc.property(fc.option(key, { nil: null }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.integer({ min: 0, max: 255 }), fc.option(key, { nil: null }), (mintAuthority, supply, decimals, freezeAuthority) => {
        const data = Buffer.alloc(spl.MINT_SIZE)
        spl.MintLayout.encode(
          { mintAuthorityOption: mintAuthority ? 1 : 0, mintAuthority: mintAuthority ?? PublicKey.default, supply, decimals, isInitialized: true, freezeAuthorityOption: freezeAuthority ? 1 : 0, freezeAuthority: freezeAuthority ?? PublicKey.default },
          data,
        )
        const mint = decodeMint(new Uint8Array(data))
        expect(mint.supply).toBe(supply)
        expect(mint.decimals).toBe(decimals)
        expect(mint.isInitialized).toBe(true)
        expect(mint.mintAuthority?.toBase58() ?? null).toBe(mintAuthority?.toBase58() ?? null)
        expect(mint.freezeAuthority?.toBase58() ?? null).toBe(freezeAuthority?.toBase58() ?? null)
      }),
      { numRuns: 100 },
    )
  })

  it('reads token accounts as @solana/spl-token lays them out', () => {
    fc.assert(
      fc.property(key, key, fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.option(key, { nil: null }), fc.constantFrom(1, 2), (mint, owner, amount, delegate, state) => {
        const data = Buffer.alloc(spl.ACCOUNT_SIZE)
        spl.AccountLayout.encode(
          { mint, owner, amount, delegateOption: delegate ? 1 : 0, delegate: delegate ?? PublicKey.default, state, isNativeOption: 0, isNative: 0n, delegatedAmount: 0n, closeAuthorityOption: 0, closeAuthority: PublicKey.default },
          data,
        )
        const account = decodeTokenAccount(new Uint8Array(data))
        expect(account.mint.toBase58()).toBe(mint.toBase58())
        expect(account.owner.toBase58()).toBe(owner.toBase58())
        expect(account.amount).toBe(amount)
        expect(account.delegate?.toBase58() ?? null).toBe(delegate?.toBase58() ?? null)
        expect(account.state).toBe(state)
      }),
      { numRuns: 100 },
    )
  })

  it('refuses data too short for the layout', () => {
    expect(() => decodeMint(new Uint8Array(81))).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    expect(() => decodeTokenAccount(new Uint8Array(164))).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
  })
})
