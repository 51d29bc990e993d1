import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { isZrError } from '@zrkit/core'
import { solanaTransactionDecoder as fromPackage } from '@zrkit/relayer-solana'
import { solanaTransactionDecoder as fromEntry } from '@zrkit/relayer-solana/decoder'
import { TOKEN_2022_PROGRAM_ID as SPL_TOKEN_2022, TOKEN_PROGRAM_ID as SPL_TOKEN } from '@solana/spl-token'
import { ComputeBudgetProgram, Ed25519Program, Keypair, PublicKey, Secp256k1Program, SystemProgram } from '@solana/web3.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { TOKEN_2022_PROGRAM_ID, TOKEN_PROGRAM_ID } from '../splToken.js'
import { COMPUTE_BUDGET_PROGRAM, ED25519_PRECOMPILE, SECP256K1_PRECOMPILE, SYSTEM_PROGRAM, TOKEN_2022_PROGRAM, TOKEN_PROGRAM } from './programs.js'
import { solanaFee } from './solanaFee.js'
import { solanaTransactionDecoder } from './solanaTransactionDecoder.js'

describe('solanaTransactionDecoder', () => {
  it('is solana@1 with SOL and lamports, from both entries', () => {
    const d = solanaTransactionDecoder()
    expect(d).toMatchObject({ chain: 'solana', version: 1, nativeUnits: { sol: 9, lamport: 0 } })
    expect(Object.isFrozen(d)).toBe(true)
    expect(fromEntry).toBe(solanaTransactionDecoder)
    expect(fromPackage).toBe(solanaTransactionDecoder)
  })

  it('normalizeAddress returns a 32-byte base58 address as it is and refuses anything else', () => {
    const { normalizeAddress } = solanaTransactionDecoder()
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        const address = new PublicKey(bytes).toBase58()
        expect(normalizeAddress(address)).toBe(address)
      }),
      { numRuns: 100 },
    )
    for (const bad of ['', '0x70997970c51812dc3a010c7d01b50e0d17dc79c8', '1111111111111111111111111111111', '11111111111111111111111111111111l', 'So11111111111111111111111111111111111111112'.repeat(2), 'O'.repeat(32), 5, null]) {
      try {
        normalizeAddress(bad as string)
        expect.unreachable(`accepted ${String(bad)}`)
      } catch (e) {
        expect(isZrError(e, 'INVALID_INPUT')).toBe(true)
        expect((e as { details: string }).details).toMatch(/^expected a base58 address of 32 bytes, got /)
      }
    }
    // A 33-byte address (a leading '1' more) is refused, though it is valid base58.
    expect(() => normalizeAddress(`1${Keypair.generate().publicKey.toBase58()}`)).toThrow(/32 bytes/)
  })

  it('names the programs as @solana/web3.js, @solana/spl-token and the package do', () => {
    expect(SYSTEM_PROGRAM).toBe(SystemProgram.programId.toBase58())
    expect(COMPUTE_BUDGET_PROGRAM).toBe(ComputeBudgetProgram.programId.toBase58())
    expect(TOKEN_PROGRAM).toBe(SPL_TOKEN.toBase58())
    expect(TOKEN_2022_PROGRAM).toBe(SPL_TOKEN_2022.toBase58())
    expect(TOKEN_PROGRAM).toBe(TOKEN_PROGRAM_ID.toBase58())
    expect(TOKEN_2022_PROGRAM).toBe(TOKEN_2022_PROGRAM_ID.toBase58())
    expect(ED25519_PRECOMPILE).toBe(Ed25519Program.programId.toBase58())
    expect(SECP256K1_PRECOMPILE).toBe(Secp256k1Program.programId.toBase58())
  })

  it('solanaFee: signatures and the priority fee on the requested limit', () => {
    expect(solanaFee({ signatures: 1, computeUnitLimit: 300_000, computeUnitPrice: 10_000n, otherInstructions: 1 })).toBe(8000n)
    expect(solanaFee({ signatures: 2, computeUnitLimit: undefined, computeUnitPrice: undefined, otherInstructions: 3 })).toBe(10_000n)
    expect(solanaFee({ signatures: 1, computeUnitLimit: undefined, computeUnitPrice: 1n, otherInstructions: 1 })).toBe(5001n) // 200 000 / 1e6, rounded up
    expect(solanaFee({ signatures: 1, computeUnitLimit: 0xffffffff, computeUnitPrice: 2n ** 64n - 1n, otherInstructions: 0 })).toBe(5000n + (1_400_000n * (2n ** 64n - 1n) + 999_999n) / 1_000_000n)
  })

  it('loads no chain library: the decoder folder imports only @zrkit/core, @scure/base, @noble and itself', () => {
    const dir = fileURLToPath(new URL('.', import.meta.url))
    const sources = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    expect(sources.length).toBeGreaterThan(5)
    let imports = 0
    for (const file of sources) {
      const text = readFileSync(`${dir}/${file}`, 'utf8')
      for (const [, fromSpec, dynamicSpec] of text.matchAll(/^(?:import|export|\})[^'"\n]*from\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]/gm)) {
        const spec = fromSpec ?? dynamicSpec
        imports += 1
        expect(spec, `${file} imports ${spec}`).toMatch(/^(\.\/[\w.]+\.js|@zrkit\/core|@zrkit\/core\/internal|@scure\/base|@noble\/(hashes|curves)(\/.*)?)$/)
      }
    }
    expect(imports).toBeGreaterThan(20)
  })
})
