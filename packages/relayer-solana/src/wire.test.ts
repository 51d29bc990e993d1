import { ComputeBudgetProgram, Keypair, PACKET_DATA_SIZE, SystemProgram, TransactionMessage, VersionedTransaction } from '@solana/web3.js'
import { describe, expect, it } from 'vitest'
import { describeInstruction } from './describe.js'
import { solanaChainId, solanaChains } from './solanaChains.js'
import { transferCheckedInstruction } from './splToken.js'
import { checkSignatures, decodeWire, lifetimeOf, toPublicKey } from './wire.js'

const payer = Keypair.generate()
const blockhash = Keypair.generate().publicKey.toBase58()
const transfer = (lamports: number) => SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: Keypair.generate().publicKey, lamports })

function signed(version: 'legacy' | 0) {
  const draft = new TransactionMessage({ payerKey: payer.publicKey, recentBlockhash: blockhash, instructions: [transfer(5)] })
  const tx = new VersionedTransaction(version === 0 ? draft.compileToV0Message() : draft.compileToLegacyMessage())
  tx.sign([payer])
  return tx
}

describe('wire transactions', () => {
  it('cuts the exact signed message out of legacy and v0 wire bytes', () => {
    for (const version of ['legacy', 0] as const) {
      const tx = signed(version)
      const wire = decodeWire(tx.serialize())
      expect(wire.messageBytes).toEqual(new Uint8Array(tx.message.serialize()))
      expect(wire.signers.map((s) => s.toBase58())).toEqual([payer.publicKey.toBase58()])
      expect(checkSignatures(wire, 'INVALID_INPUT')).toEqual([])
    }
  })

  it('refuses garbage, a wrong signature count, oversize bytes, and signatures that do not verify', () => {
    expect(() => decodeWire(new Uint8Array([1, 2, 3]))).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    expect(() => decodeWire(new Uint8Array(PACKET_DATA_SIZE + 1))).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', details: expect.stringMatching(/at most 1232 bytes/) }))
    const wire = signed('legacy').serialize()
    const twoSignatures = new Uint8Array([2, ...wire.slice(1, 65), ...new Uint8Array(64), ...wire.slice(65)])
    expect(() => decodeWire(twoSignatures, 'INVALID_RESULT')).toThrow(expect.objectContaining({ code: 'INVALID_RESULT' }))
    const tampered = Uint8Array.from(wire)
    tampered[wire.length - 1] = tampered[wire.length - 1]! ^ 1
    expect(() => checkSignatures(decodeWire(tampered), 'INVALID_INPUT')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', details: expect.stringMatching(/does not verify/) }))
  })

  it('tells a durable-nonce transaction from a recent-blockhash one', () => {
    const nonceAccount = Keypair.generate().publicKey
    const message = new TransactionMessage({
      payerKey: payer.publicKey,
      recentBlockhash: blockhash,
      instructions: [SystemProgram.nonceAdvance({ noncePubkey: nonceAccount, authorizedPubkey: payer.publicKey }), transfer(1)],
    }).compileToLegacyMessage()
    const lifetime = lifetimeOf(message)
    expect(lifetime.type).toBe('nonce')
    expect(lifetime.type === 'nonce' && lifetime.nonceAccount.equals(nonceAccount)).toBe(true)
    expect(lifetimeOf(signed(0).message)).toEqual({ type: 'blockhash', blockhash })
  })

  it('takes addresses as PublicKeys, base58 or 32 bytes only', () => {
    const key = Keypair.generate().publicKey
    expect(toPublicKey(key.toBase58(), 'to').equals(key)).toBe(true)
    expect(toPublicKey(key.toBytes(), 'to').equals(key)).toBe(true)
    // 44 'z's encode a number above 2^256 (33 bytes); a key's base58 with a character appended can still fit 32 bytes.
    for (const bad of ['0x1234', key.toBytes().slice(1), 42, null, 'z'.repeat(44)]) expect(() => toPublicKey(bad, 'to')).toThrow(expect.objectContaining({ code: 'INVALID_ADDRESS' }))
  })
})

describe('what approvers read', () => {
  it('names the instructions the relayer builds', () => {
    const [from, to, mint] = [Keypair.generate().publicKey, Keypair.generate().publicKey, Keypair.generate().publicKey]
    expect(describeInstruction(SystemProgram.transfer({ fromPubkey: from, toPubkey: to, lamports: 42 }))).toBe(`system.transfer 42 lamports from ${from.toBase58()} to ${to.toBase58()}`)
    expect(describeInstruction(transferCheckedInstruction({ source: from, mint, destination: to, authority: from, amount: 7n, decimals: 2 }))).toBe(
      `token.transferChecked 7 base units (decimals 2) of mint ${mint.toBase58()} from ${from.toBase58()} to ${to.toBase58()}, authority ${from.toBase58()}`,
    )
    expect(describeInstruction(ComputeBudgetProgram.setComputeUnitPrice({ microLamports: 1000 }))).toBe('computeBudget.setComputeUnitPrice 1000 micro-lamports')
  })

  it('CAIP-2 ids of the clusters come from their genesis hashes', () => {
    expect(solanaChainId('EtWTRABZaYq6iMfeYKouRu166VU2xqa1wcaWoxPkrZBG')).toBe(solanaChains.devnet)
    expect(solanaChainId('5eykt4UsFv8P8NJdTREpY1vzqKqZKvdpKuc147dw2N9d')).toBe(solanaChains.mainnet)
    expect(() => solanaChainId('not base58 0OIl')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
  })
})
