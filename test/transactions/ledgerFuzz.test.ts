import { Keypair, PublicKey, SystemProgram, TransactionMessage } from '@solana/web3.js'
import { isZrError } from '@zrkit/core'
import { bitcoinTransactionDecoder } from '@zrkit/relayer-bitcoin/decoder'
import { cosmosTransactionDecoder } from '@zrkit/relayer-cosmos/decoder'
import { evmTransactionDecoder } from '@zrkit/relayer-evm/decoder'
import { solanaTransactionDecoder } from '@zrkit/relayer-solana/decoder'
import { createTestKey, fuzzRuns, setup } from '@zrkit/testkit'
import fc from 'fast-check'
import { serializeTransaction } from 'viem'
import { describe, expect, it } from 'vitest'

/*
 * The ledger with the four real decoders, fed random and damaged transactions through the client: every
 * refusal is a typed error that changes no state, nothing crashes the ledger, and a good transaction is
 * still taken afterwards. (Each decoder's own fuzzing, with its host library as the oracle, is in its package.)
 */

const allowed = new Set(['INVALID_TRANSACTION', 'INVALID_INPUT', 'INVALID_PAYLOAD'])

describe('a ledger running the four decoders, fed hostile transactions', () => {
  it('refuses each with a typed error and no change of state, and still takes a good one', async () => {
    const s = await setup({ transactionDecoders: [evmTransactionDecoder(), bitcoinTransactionDecoder(), solanaTransactionDecoder(), cosmosTransactionDecoder()] })
    const ecdsa = await createTestKey(s, 'ecdsa-secp256k1')
    const ed = await createTestKey(s, 'eddsa-ed25519')
    const schnorrKey = await createTestKey(s, 'schnorr-secp256k1')
    const evmTx = serializeTransaction({ chainId: 1, type: 'eip1559', nonce: 3, to: '0x70997970c51812dc3a010c7d01b50e0d17dc79c8', value: 10n ** 17n, gas: 21_000n, maxFeePerGas: 2_000_000_000n, maxPriorityFeePerGas: 1_000_000n })
    const payer = new PublicKey(ed.publicKey)
    const solMessage = new TransactionMessage({
      payerKey: payer,
      recentBlockhash: Keypair.generate().publicKey.toBase58(),
      instructions: [SystemProgram.transfer({ fromPubkey: payer, toPubkey: Keypair.generate().publicKey, lamports: 5_000 })],
    })
      .compileToV0Message()
      .serialize()
    const seeds: Record<string, { keyId: number; bytes: Uint8Array; network?: string; taproot?: boolean }> = {
      evm: { keyId: ecdsa.keyId, bytes: Buffer.from(evmTx.slice(2), 'hex') },
      solana: { keyId: ed.keyId, bytes: solMessage, network: 'devnet' },
      bitcoin: { keyId: ecdsa.keyId, bytes: new Uint8Array([0x70, 0x73, 0x62, 0x74, 0xff, 0x00]), network: 'regtest' },
      cosmos: { keyId: ecdsa.keyId, bytes: new Uint8Array([0x0a, 0x00]) },
    }
    const chains = fc.constantFrom('evm', 'solana', 'bitcoin', 'cosmos')
    const damage = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => () => b),
      fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([i, v]) => (b: Uint8Array) => {
        const c = Uint8Array.from(b)
        c[i % c.length] = v
        return c
      }),
      fc.nat().map((n) => (b: Uint8Array) => b.subarray(0, n % b.length)),
      fc.uint8Array({ minLength: 1, maxLength: 8 }).map((extra) => (b: Uint8Array) => Uint8Array.from([...b, ...extra])),
    )
    let refused = 0
    await fc.assert(
      fc.asyncProperty(chains, damage, fc.boolean(), async (chain, change, taproot) => {
        const seed = seeds[chain]!
        const bytes = change(seed.bytes)
        if (bytes.length === 0) return
        const before = s.ledger.stateHash()
        const keyId = taproot && chain === 'bitcoin' ? schnorrKey.keyId : seed.keyId
        try {
          await s.owner.client.requestTransactionSignature({ keyId, chain, unsignedTransaction: bytes, ...(seed.network ? { network: seed.network } : {}), ...(taproot && chain === 'bitcoin' ? { taproot: {} } : {}) })
        } catch (e) {
          expect(isZrError(e) && allowed.has(e.code), String(e)).toBe(true)
          expect(s.ledger.stateHash()).toBe(before)
          refused++
        }
      }),
      { numRuns: fuzzRuns(300) },
    )
    expect(refused).toBeGreaterThan(0)
    // the ledger still works: the undamaged transactions are taken, with the decoded records
    const evm = await s.owner.client.requestTransactionSignature({ keyId: ecdsa.keyId, chain: 'evm', unsignedTransaction: evmTx })
    expect((await s.owner.client.getSignRequest({ id: evm.requestId })).transaction?.decoded).toMatchObject({ network: 'eip155:1', transfers: [{ amount: 10n ** 17n }] })
    const sol = await s.owner.client.requestTransactionSignature({ keyId: ed.keyId, chain: 'solana', unsignedTransaction: solMessage, network: 'devnet' })
    expect((await s.owner.client.getSignRequest({ id: sol.requestId })).payloads).toEqual([solMessage])
  }, 120_000)
})
