// Hostile bytes: random input, and valid transactions (built by viem) with bytes changed, inserted, removed
// or cut off, only ever give a result or an INVALID_TRANSACTION ZrError, never another exception, in
// bounded time. Whatever is accepted is canonical (viem's decoder and encoder give back the same bytes) and
// its payload is keccak-256 of those bytes.
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { type DecodeTransactionResult, isZrError } from '@zrkit/core'
import { fuzzRuns } from '@zrkit/testkit'
import fc from 'fast-check'
import { bytesToHex, encodeFunctionData, erc20Abi, fromRlp, getAddress, type Hex, hexToBytes, keccak256, serializeTransaction, type TransactionSerializable, toRlp } from 'viem'
import { describe, expect, it } from 'vitest'
import { evmTransactionDecoder } from './index.js'

const decoder = evmTransactionDecoder()
const publicKey = secp256k1.getPublicKey(hexToBytes(`0x${'11'.repeat(32)}`))

/** The decoder's answer for `bytes`, or `undefined` when it refused them as it must. Anything else fails. */
function decodeOrRefuse(bytes: Uint8Array): DecodeTransactionResult | undefined {
  try {
    return decoder.decode({ unsignedTransaction: bytes, keyType: 'ecdsa-secp256k1', publicKey, taproot: false })
  } catch (e) {
    if (isZrError(e, 'INVALID_TRANSACTION') && /^expected .+, got .+$/.test(e.details ?? '')) return undefined
    throw e
  }
}

/** A result must be for exactly these bytes, and the bytes must be the one encoding of what was read. */
function checkAccepted(bytes: Uint8Array, result: DecodeTransactionResult): void {
  expect(result.payloads.map((p) => bytesToHex(p))).toEqual([keccak256(bytes)])
  const typed = bytes[0]! < 0x80
  const rlp = bytesToHex(typed ? bytes.subarray(1) : bytes)
  expect(toRlp(fromRlp(rlp, 'hex'))).toBe(rlp)
  expect(result.transaction.network).toBe(`eip155:${BigInt(result.transaction.fields.chainId!)}`)
}

const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => getAddress(bytesToHex(b)))
const data = fc.oneof(
  fc.constant(undefined),
  fc.uint8Array({ maxLength: 80 }).map((b) => bytesToHex(b)),
  fc.tuple(address, fc.bigInt({ min: 0n, max: 2n ** 256n - 1n })).map(([to, v]) => encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [to, v] })),
)
const validTransaction: fc.Arbitrary<Uint8Array> = fc
  .record({
    type: fc.constantFrom('legacy', 'eip2930', 'eip1559'),
    chainId: fc.integer({ min: 1, max: 2 ** 40 }),
    nonce: fc.nat({ max: 2 ** 40 }),
    gas: fc.bigInt({ min: 0n, max: 2n ** 64n }),
    fee: fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }),
    to: fc.option(address, { nil: undefined, freq: 6 }),
    value: fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }),
    data,
    accessList: fc.array(fc.record({ address, storageKeys: fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => bytesToHex(b)), { maxLength: 2 }) }), { maxLength: 2 }),
  })
  .map((t) => {
    const fees = t.type === 'eip1559' ? { maxFeePerGas: t.fee, maxPriorityFeePerGas: t.fee / 2n } : { gasPrice: t.fee }
    const tx = { type: t.type, chainId: t.chainId, nonce: t.nonce, gas: t.gas, to: t.to, value: t.value, data: t.data, ...fees, ...(t.type === 'legacy' ? {} : { accessList: t.accessList }) }
    return hexToBytes(serializeTransaction(tx as TransactionSerializable))
  })

/** A valid transaction with a few bytes set, inserted or removed, or cut short. */
const mutatedTransaction = fc
  .tuple(validTransaction, fc.array(fc.tuple(fc.constantFrom('set', 'insert', 'delete', 'truncate'), fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 3 }))
  .map(([tx, edits]) => {
    let b = [...tx]
    for (const [how, at, byte] of edits) {
      const p = b.length === 0 ? 0 : at % b.length
      if (how === 'set') b[p] = byte
      else if (how === 'insert') b.splice(p, 0, byte)
      else if (how === 'delete') b.splice(p, 1)
      else b = b.slice(0, p)
    }
    return Uint8Array.from(b)
  })

describe('decoding hostile bytes', () => {
  it('valid transactions are accepted', () => {
    fc.assert(
      fc.property(validTransaction, (bytes) => {
        const result = decodeOrRefuse(bytes)
        expect(result).toBeDefined()
        checkAccepted(bytes, result!)
      }),
      { numRuns: fuzzRuns(100) },
    )
  })

  it('changed, inserted, removed or cut bytes give a canonical result or an INVALID_TRANSACTION', () => {
    let refused = 0
    fc.assert(
      fc.property(mutatedTransaction, (bytes) => {
        const result = decodeOrRefuse(bytes)
        if (result) checkAccepted(bytes, result)
        else refused++
      }),
      { numRuns: fuzzRuns(300) },
    )
    expect(refused).toBeGreaterThan(0)
  })

  it('random bytes, with and without a type byte, give a result or an INVALID_TRANSACTION', () => {
    const prefixed = fc.tuple(fc.constantFrom(0x01, 0x02, 0x03, 0x04, 0xc0, 0xf8, 0xf9, 0xff), fc.uint8Array({ maxLength: 200 })).map(([p, b]) => Uint8Array.from([p, ...b]))
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), prefixed), (bytes) => {
        const result = decodeOrRefuse(bytes)
        if (result) checkAccepted(bytes, result)
      }),
      { numRuns: fuzzRuns(300) },
    )
  })

  it('work stays bounded at the size limit: 64 KiB of anything is read or refused quickly', () => {
    const max = 64 * 1024
    const list = (payload: Uint8Array) => Uint8Array.from([0xf9, payload.length >> 8, payload.length & 0xff, ...payload])
    const to = hexToBytes(`0x${'aa'.repeat(20)}`)
    // The largest access list that fits: many entries with two storage keys each, all well formed.
    const entry = [bytesToHex(to), [`0x${'01'.repeat(32)}`, `0x${'02'.repeat(32)}`]] as [Hex, Hex[]]
    const entryLength = hexToBytes(toRlp(entry)).length
    const bigAccessList = hexToBytes(`0x01${toRlp(['0x01', '0x', '0x', '0x', bytesToHex(to), '0x', '0x', new Array(Math.floor((max - 100) / entryLength)).fill(entry)]).slice(2)}`)
    expect(bigAccessList.length).toBeGreaterThan(max - 200)
    const inputs = [
      new Uint8Array(max).fill(0xc0),
      list(new Uint8Array(max - 3).fill(0xc0)),
      list(new Uint8Array(max - 3).fill(0x01)),
      new Uint8Array(max).fill(0xff),
      Uint8Array.from({ length: max }, (_, i) => (i * 131 + 7) & 0xff),
      hexToBytes(serializeTransaction({ chainId: 1, gas: 1n, gasPrice: 1n, to: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', data: bytesToHex(new Uint8Array(max - 100).fill(0xab)) })),
    ]
    inputs.push(bigAccessList)
    for (const bytes of inputs) {
      const start = performance.now()
      const result = decodeOrRefuse(bytes)
      if (result) checkAccepted(bytes, result)
      expect(performance.now() - start).toBeLessThan(1000)
    }
    expect(decodeOrRefuse(bigAccessList)).toBeDefined()
    expect(decodeOrRefuse(new Uint8Array(max + 1))).toBeUndefined()
  })
})
