// The EVM decoder against viem as the independent oracle: for random transactions of each type that viem
// serializes, the decoder's one payload is viem's keccak256 of the bytes, its fields are what viem's
// parseTransaction reads, and its transfers, calls and fee are what the transaction was built to do. Then
// the lies a requester may tell, and every refusal saying what was expected and what arrived.
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { isZrError, type KeyType, type TransactionTransfer } from '@zrkit/core'
import { offCurveSecp256k1, thrownZrError } from '@zrkit/testkit'
import fc from 'fast-check'
import {
  type AccessList,
  type Address,
  bytesToHex,
  encodeFunctionData,
  erc20Abi,
  getAddress,
  type Hex,
  hexToBytes,
  keccak256,
  numberToHex,
  parseEther,
  parseTransaction,
  serializeTransaction,
  type TransactionSerializable,
  toRlp,
} from 'viem'
import { privateKeyToAddress } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import { evmTransactionDecoder } from './index.js'
import { evmTransactionDecoder as fromMainEntry } from '../index.js'

const decoder = evmTransactionDecoder()
const RUNS = 150

const secretHex = (i: number): Hex => numberToHex(i + 1, { size: 32 })
/** Three keys, each in its compressed and uncompressed form, with the address viem gives its secret. */
const keys = [0, 1, 2].flatMap((i) => {
  const secret = hexToBytes(secretHex(i * 7919))
  const address = privateKeyToAddress(secretHex(i * 7919)).toLowerCase()
  return [true, false].map((compressed) => ({ publicKey: secp256k1.getPublicKey(secret, compressed), address }))
})
const key = keys[0]!
const decode = (unsignedTransaction: Uint8Array, over: Partial<{ keyType: KeyType; publicKey: Uint8Array; taproot: boolean; network: string }> = {}) =>
  decoder.decode({ unsignedTransaction, keyType: 'ecdsa-secp256k1', publicKey: key.publicKey, taproot: false, ...over })

/** The INVALID_TRANSACTION `fn` throws, for the EVM, saying what was expected and what arrived. */
function refusal(fn: () => unknown) {
  const e = thrownZrError(fn, 'INVALID_TRANSACTION')
  expect(e.context.chain).toBe('evm')
  expect(e.details).toMatch(/^expected .+, got .+$/)
  return e
}

// Arbitraries ---------------------------------------------------------------------------------------------
const u256 = fc.bigInt({ min: 0n, max: 2n ** 256n - 1n })
const amount = fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 10n ** 24n }), u256)
const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => getAddress(bytesToHex(b)))
const chainId = fc.oneof(fc.constantFrom(1, 10, 56, 137, 8453, 31337, 11155111), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }))
const nonce = fc.oneof(fc.constant(0), fc.nat({ max: 1000 }), fc.nat({ max: Number.MAX_SAFE_INTEGER }))
const gas = fc.oneof(fc.constant(21_000n), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }))
const feePerGas = fc.oneof(fc.bigInt({ min: 0n, max: 10n ** 12n }), u256)
const accessList: fc.Arbitrary<AccessList> = fc.array(
  fc.record({ address, storageKeys: fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => bytesToHex(b)), { maxLength: 3 }) }),
  { maxLength: 3 },
)
const erc20Selectors = new Set(['0xa9059cbb', '0x23b872dd', '0x095ea7b3'])

/** What the data of a generated transaction is, so the test knows its effect without reading the bytes. */
type Payload =
  | { kind: 'none' }
  | { kind: 'bytes'; data: Hex }
  | { kind: 'token'; data: Hex; effect: Omit<TransactionTransfer, 'asset'> }

const payload: fc.Arbitrary<Payload> = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc
    .uint8Array({ minLength: 1, maxLength: 120 })
    .filter((b) => !erc20Selectors.has(bytesToHex(b.subarray(0, 4))))
    .map((b) => ({ kind: 'bytes' as const, data: bytesToHex(b) })),
  fc.tuple(address, amount).map(([to, value]) => ({
    kind: 'token' as const,
    data: encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [to, value] }),
    effect: { kind: 'transfer' as const, to: to.toLowerCase(), amount: value },
  })),
  fc.tuple(address, address, amount).map(([from, to, value]) => ({
    kind: 'token' as const,
    data: encodeFunctionData({ abi: erc20Abi, functionName: 'transferFrom', args: [from, to, value] }),
    effect: { kind: 'transfer' as const, from: from.toLowerCase(), to: to.toLowerCase(), amount: value },
  })),
  fc.tuple(address, amount).map(([spender, value]) => ({
    kind: 'token' as const,
    data: encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [spender, value] }),
    effect: { kind: 'approve' as const, to: spender.toLowerCase(), amount: value },
  })),
)

const common = fc.record({
  chainId,
  nonce,
  gas,
  to: fc.option(address, { nil: undefined, freq: 8 }),
  value: fc.oneof(fc.constant(0n), amount),
  payload,
  key: fc.nat({ max: keys.length - 1 }),
})
const fees = {
  legacy: feePerGas.map((gasPrice) => ({ type: 'legacy' as const, gasPrice })),
  eip2930: fc.tuple(feePerGas, accessList).map(([gasPrice, list]) => ({ type: 'eip2930' as const, gasPrice, accessList: list })),
  eip1559: fc
    .tuple(feePerGas, accessList)
    .chain(([maxFeePerGas, list]) => fc.bigInt({ min: 0n, max: maxFeePerGas }).map((maxPriorityFeePerGas) => ({ type: 'eip1559' as const, maxFeePerGas, maxPriorityFeePerGas, accessList: list }))),
}

/** The effects the decoder must report for a transaction built from `c`, from how it was built. */
function expectedEffects(c: { to: Address | undefined; value: bigint; payload: Payload }) {
  const to = c.to?.toLowerCase()
  if (to === undefined) return { transfers: [], calls: [{ to: 'create', value: c.value }] }
  if (c.payload.kind === 'none') return { transfers: [{ kind: 'transfer', asset: 'native', to, amount: c.value }], calls: [] }
  if (c.payload.kind === 'token' && c.value === 0n) return { transfers: [{ ...c.payload.effect, asset: to }], calls: [] }
  const data = hexToBytes(c.payload.data)
  return { transfers: [], calls: [data.length >= 4 ? { to, selector: bytesToHex(data.subarray(0, 4)), value: c.value } : { to, value: c.value }] }
}

describe('evmTransactionDecoder', () => {
  it('is the evm@1 decoder, with ether units, from both entries', () => {
    expect(decoder.chain).toBe('evm')
    expect(decoder.version).toBe(1)
    expect(decoder.nativeUnits).toEqual({ eth: 18, gwei: 9, wei: 0 })
    expect(fromMainEntry().chain).toBe('evm')
  })

  for (const type of ['legacy', 'eip2930', 'eip1559'] as const) {
    it(`${type}: the payload is viem's keccak256 of the bytes; fields, effects and fee are the transaction's`, () => {
      fc.assert(
        fc.property(common, fees[type], (c, fee) => {
          const tx = { ...fee, chainId: c.chainId, nonce: c.nonce, gas: c.gas, to: c.to, value: c.value, data: c.payload.kind === 'none' ? undefined : c.payload.data } as TransactionSerializable
          const hex = serializeTransaction(tx)
          const signer = keys[c.key]!
          const { payloads, transaction } = decoder.decode({ unsignedTransaction: hexToBytes(hex), keyType: 'ecdsa-secp256k1', publicKey: signer.publicKey, taproot: false })

          expect(payloads.map((p) => bytesToHex(p))).toEqual([keccak256(hex)])
          const parsed = parseTransaction(hex)
          expect(parsed.type).toBe(type)
          expect(transaction).toMatchObject({ chain: 'evm', decoder: 'evm@1', network: `eip155:${parsed.chainId}`, format: type, from: signer.address, feeAsset: 'native' })
          const feeCap = type === 'eip1559' ? (parsed.maxFeePerGas ?? 0n) : (parsed.gasPrice ?? 0n)
          expect(transaction.fee).toBe((parsed.gas ?? 0n) * feeCap)
          expect(transaction.fields).toEqual({
            nonce: `${parsed.nonce ?? 0}`,
            gas: `${parsed.gas ?? 0n}`,
            ...(type === 'eip1559' ? { maxFeePerGas: `${parsed.maxFeePerGas ?? 0n}`, maxPriorityFeePerGas: `${parsed.maxPriorityFeePerGas ?? 0n}` } : { gasPrice: `${parsed.gasPrice ?? 0n}` }),
            chainId: `${parsed.chainId}`,
            to: parsed.to?.toLowerCase() ?? 'contract creation',
            dataLength: `${hexToBytes(parsed.data ?? '0x').length}`,
          })
          // ...and what viem read is what was built.
          expect(transaction.fee).toBe(c.gas * (fee.type === 'eip1559' ? fee.maxFeePerGas : fee.gasPrice))
          expect(transaction.fields.nonce).toBe(`${c.nonce}`)
          expect(transaction.fields.chainId).toBe(`${c.chainId}`)
          expect({ transfers: transaction.transfers, calls: transaction.calls }).toEqual(expectedEffects(c))
        }),
        { numRuns: RUNS },
      )
    })
  }

  it('reads a plain ether transfer (the contract example)', () => {
    const hex = serializeTransaction({ type: 'eip1559', chainId: 31337, nonce: 0, gas: 21_000n, maxFeePerGas: 2_000_000_000n, maxPriorityFeePerGas: 1n, to: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', value: parseEther('0.1') })
    const { transaction } = decode(hexToBytes(hex))
    expect(transaction).toEqual({
      chain: 'evm',
      decoder: 'evm@1',
      network: 'eip155:31337',
      format: 'eip1559',
      from: key.address,
      transfers: [{ kind: 'transfer', asset: 'native', to: '0x70997970c51812dc3a010c7d01b50e0d17dc79c8', amount: 10n ** 17n }],
      calls: [],
      fee: 21_000n * 2_000_000_000n,
      feeAsset: 'native',
      fields: { nonce: '0', gas: '21000', maxFeePerGas: '2000000000', maxPriorityFeePerGas: '1', chainId: '31337', to: '0x70997970c51812dc3a010c7d01b50e0d17dc79c8', dataLength: '0' },
    })
  })

  it('every key form of the same secret gives the same from; the network given may be the transaction\'s', () => {
    const bytes = hexToBytes(serializeTransaction({ chainId: 5, gas: 21_000n, gasPrice: 1n, to: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' }))
    expect(decode(bytes, { publicKey: keys[0]!.publicKey }).transaction.from).toBe(decode(bytes, { publicKey: keys[1]!.publicKey }).transaction.from)
    expect(decode(bytes, { network: 'eip155:5' }).transaction.network).toBe('eip155:5')
  })
})

describe('ERC-20 calls', () => {
  const token = '0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48'
  const recipient = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
  const tx = (data: Hex, value = 0n) => hexToBytes(serializeTransaction({ type: 'eip1559', chainId: 1, nonce: 3, gas: 60_000n, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 10n ** 9n, to: token, value, data }))
  const transfer = encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [recipient, 1_000_000n] })

  it('read only with the exact ABI layout and no value; anything else is a call with its selector and value', () => {
    expect(decode(tx(transfer)).transaction.transfers).toEqual([{ kind: 'transfer', asset: token.toLowerCase(), to: recipient.toLowerCase(), amount: 1_000_000n }])
    const call = { to: token.toLowerCase(), selector: '0xa9059cbb' }
    // A byte more, a byte less, a dirty high byte in the address word, value sent along.
    const dirty = hexToBytes(transfer)
    dirty[4] = 1
    for (const [data, value] of [[`${transfer}00`, 0n], [transfer.slice(0, -2), 0n], [bytesToHex(dirty), 0n], [transfer, 1n]] as const) {
      const { transaction } = decode(tx(data as Hex, value))
      expect(transaction.transfers, data).toEqual([])
      expect(transaction.calls, data).toEqual([{ ...call, value }])
    }
    // Data of 1 to 3 bytes has no selector.
    expect(decode(tx('0xa9059c')).transaction.calls).toEqual([{ to: token.toLowerCase(), value: 0n }])
  })

  it('a contract creation is a call to "create", without a selector, with its value', () => {
    const bytes = hexToBytes(serializeTransaction({ chainId: 1, gas: 10n ** 6n, gasPrice: 1n, value: 5n, data: transfer }))
    const { transaction } = decode(bytes)
    expect(transaction.transfers).toEqual([])
    expect(transaction.calls).toEqual([{ to: 'create', value: 5n }])
    expect(transaction.fields.to).toBe('contract creation')
  })
})

describe('the lies a requester may tell', () => {
  const to = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
  const small = hexToBytes(serializeTransaction({ type: 'eip1559', chainId: 1, nonce: 1, gas: 21_000n, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 0n, to, value: 1n }))
  const large = hexToBytes(serializeTransaction({ type: 'eip1559', chainId: 1, nonce: 1, gas: 21_000n, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 0n, to: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC', value: parseEther('1000') }))

  it('a digest for another transaction cannot be asked: the one payload is keccak-256 of exactly the bytes decoded', () => {
    // The requester shows the small transfer and wants the key to sign the large one's digest. The decoder
    // takes no digest: it hashes what it read, and what it read is the small transfer.
    const { payloads, transaction } = decode(small)
    expect(payloads).toHaveLength(1)
    expect(bytesToHex(payloads[0]!)).toBe(keccak256(small))
    expect(bytesToHex(payloads[0]!)).not.toBe(keccak256(large))
    expect(transaction.transfers).toEqual([{ kind: 'transfer', asset: 'native', to: to.toLowerCase(), amount: 1n }])
    // And the large one, decoded, says what it is.
    expect(decode(large).transaction.transfers[0]!.amount).toBe(parseEther('1000'))
    // Changing the input afterwards changes nothing already returned.
    const copy = new Uint8Array(small)
    const before = decode(copy)
    copy[copy.length - 1] = copy[copy.length - 1]! ^ 1
    expect(bytesToHex(before.payloads[0]!)).toBe(keccak256(small))
  })

  it('a token transfer of a huge amount with no ether attached is reported as that token transfer, not hidden', () => {
    const token = '0xdAC17F958D2ee523a2206206994597C13D831ec7'
    const huge = 2n ** 256n - 1n
    const data = encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: ['0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC', huge] })
    const { transaction } = decode(hexToBytes(serializeTransaction({ chainId: 1, gas: 60_000n, gasPrice: 1n, to: token, value: 0n, data })))
    expect(transaction.transfers).toEqual([{ kind: 'transfer', asset: token.toLowerCase(), to: '0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc', amount: huge }])
    expect(transaction.calls).toEqual([])
    // An unlimited approval likewise.
    const approve = encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: ['0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC', huge] })
    expect(decode(hexToBytes(serializeTransaction({ chainId: 1, gas: 60_000n, gasPrice: 1n, to: token, data: approve }))).transaction.transfers).toEqual([
      { kind: 'approve', asset: token.toLowerCase(), to: '0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc', amount: huge },
    ])
  })

  it('non-canonical RLP is refused: a leading zero in the nonce, a long-form length for a short string', () => {
    // nonce 5 written 0x0005: [nonce, gasPrice, gas, to, value, data, chainId, 0, 0]
    const legacy = (nonceHex: Hex) => hexToBytes(toRlp([nonceHex, '0x01', '0x5208', to, '0x01', '0x', '0x01', '0x', '0x']))
    expect(decode(legacy('0x05')).transaction.fields.nonce).toBe('5')
    const e = refusal(() => decode(legacy('0x0005')))
    expect(e.context.field).toBe('nonce')
    expect(e.details).toBe('expected nonce without leading zero bytes (canonical RLP integer), got 0x0005')
    // A zero written as 0x00 rather than the empty string is a leading zero too.
    expect(refusal(() => decode(legacy('0x00'))).context.field).toBe('nonce')

    // to (20 bytes) written with the long form 0xb8 0x14 instead of 0x94: the list (31 bytes, short form) grows by one byte.
    const good = legacy('0x05')
    expect(good[0]).toBe(0xc0 + good.length - 1)
    const at = good.indexOf(0x94)
    const bad = new Uint8Array([good[0]! + 1, ...good.subarray(1, at), 0xb8, 0x14, ...good.subarray(at + 1)])
    const long = refusal(() => decode(bad))
    expect(long.context.field).toBe('rlp')
    expect(long.details).toMatch(/^expected the short form 0x94 for the 20-byte RLP string at byte \d+ \(canonical RLP\), got the long form 0xb814$/)
  })

  it('a key that is not an EVM key is refused, and so is a public key that is not a point', () => {
    for (const keyType of ['eddsa-ed25519', 'bitcoin-secp256k1', 'schnorr-secp256k1'] as const) {
      const e = refusal(() => decode(small, { keyType }))
      expect(e.context.field).toBe('keyType')
      expect(e.details).toBe(`expected key type "ecdsa-secp256k1" (EVM accounts are secp256k1 ECDSA keys), got "${keyType}"`)
    }
    expect(refusal(() => decode(small, { taproot: true })).details).toBe('expected taproot false (taproot is a Bitcoin spend), got boolean true')
    const offCurve = refusal(() => decode(small, { publicKey: offCurveSecp256k1() }))
    expect(offCurve.context.field).toBe('publicKey')
    expect(offCurve.details).toMatch(/^expected a point on secp256k1, got 33 bytes/)
    expect(refusal(() => decode(small, { publicKey: new Uint8Array(32) })).details).toBe('expected a 33-byte compressed or 65-byte uncompressed secp256k1 point, got 32 bytes')
  })

  it('a network other than the one the transaction is signed for is refused', () => {
    const e = refusal(() => decode(small, { network: 'eip155:11155111' }))
    expect(e.context.field).toBe('network')
    expect(e.details).toBe('expected network "eip155:1" (the transaction\'s chain id) or none, got "eip155:11155111"')
  })
})

describe('refusals say what was expected and what arrived', () => {
  const to = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
  const signature = { r: `0x${'11'.repeat(32)}`, s: `0x${'22'.repeat(32)}`, yParity: 1 } as const
  const base1559 = { chainId: 1, nonce: 1, gas: 21_000n, maxFeePerGas: 10n, maxPriorityFeePerGas: 1n, to, value: 1n } as const
  const cases: [string, () => Uint8Array, string, string][] = [
    ['empty input', () => new Uint8Array(), 'type', 'expected a legacy EIP-155 transaction (an RLP list), type 0x01 (EIP-2930) or type 0x02 (EIP-1559), got 0 bytes'],
    ['more than 64 KiB', () => new Uint8Array(64 * 1024 + 1), 'unsignedTransaction', 'expected at most 65536 bytes, got 65537 bytes'],
    [
      'a pre-EIP-155 legacy transaction',
      () => hexToBytes(serializeTransaction({ type: 'legacy', nonce: 1, gas: 21_000n, gasPrice: 1n, to })),
      'chainId',
      'expected 9 fields (a legacy transaction with its EIP-155 chain id), got 6 fields (a pre-EIP-155 legacy transaction: it has no chain id and is valid on every chain)',
    ],
    [
      'an EIP-7702 transaction',
      () => hexToBytes(serializeTransaction({ type: 'eip7702', chainId: 1, gas: 50_000n, maxFeePerGas: 10n, maxPriorityFeePerGas: 1n, to, authorizationList: [{ address: to, chainId: 1, nonce: 0, ...signature }] })),
      'type',
      'expected a legacy EIP-155 transaction (an RLP list), type 0x01 (EIP-2930) or type 0x02 (EIP-1559), got type 0x04 (EIP-7702 set-code transaction)',
    ],
    [
      'an EIP-4844 transaction',
      () => new Uint8Array([0x03, ...hexToBytes(toRlp(['0x01', '0x']))]),
      'type',
      'expected a legacy EIP-155 transaction (an RLP list), type 0x01 (EIP-2930) or type 0x02 (EIP-1559), got type 0x03 (EIP-4844 blob transaction)',
    ],
    ['an unknown type', () => new Uint8Array([0x7f, 0xc0]), 'type', 'expected a legacy EIP-155 transaction (an RLP list), type 0x01 (EIP-2930) or type 0x02 (EIP-1559), got type 0x7f (unknown type)'],
    ['an RLP string', () => new Uint8Array([0x82, 1, 2]), 'type', 'expected a legacy EIP-155 transaction (an RLP list), type 0x01 (EIP-2930) or type 0x02 (EIP-1559), got an RLP string (first byte 0x82)'],
    ['a signed EIP-1559 transaction', () => hexToBytes(serializeTransaction(base1559, signature)), 'rlp', 'expected 9 fields in an EIP-1559 transaction, got 12 fields (a signed transaction; send it unsigned)'],
    ['a signed legacy transaction', () => hexToBytes(serializeTransaction({ chainId: 1, gas: 21_000n, gasPrice: 1n, to }, { ...signature, v: 38n })), 'r', `expected r = 0 in an unsigned EIP-155 transaction, got ${BigInt(signature.r)}`],
    ['trailing bytes', () => new Uint8Array([...hexToBytes(serializeTransaction(base1559)), 0]), 'rlp', /^expected nothing after the RLP item that ends at byte \d+, got 1 more bytes$/.source],
    ['a truncated transaction', () => hexToBytes(serializeTransaction(base1559)).subarray(0, 20), 'rlp', /^expected the RLP list at byte 1 to fit in the 18 bytes left in the input, got a length of \d+ bytes$/.source],
    ['the type byte alone', () => new Uint8Array([0x02]), 'rlp', 'expected an RLP item at byte 1, got the end of the input'],
    ['chain id 0', () => hexToBytes(`0x02${toRlp(['0x', '0x', '0x', '0x', '0x', to, '0x', '0x', []]).slice(2)}`), 'chainId', 'expected a chain id in 1..2^64-1 (EIP-155, EIP-2294), got 0'],
    ['chain id 2^64', () => hexToBytes(`0x02${toRlp([numberToHex(2n ** 64n), '0x', '0x', '0x', '0x', to, '0x', '0x', []]).slice(2)}`), 'chainId', `expected a chain id in 1..2^64-1 (EIP-155, EIP-2294), got ${2n ** 64n}`],
    ['nonce 2^64-1', () => hexToBytes(`0x02${toRlp(['0x01', numberToHex(2n ** 64n - 1n), '0x', '0x', '0x', to, '0x', '0x', []]).slice(2)}`), 'nonce', `expected a nonce below 2^64-1 (EIP-2681), got ${2n ** 64n - 1n}`],
    ['a tip above the fee cap', () => hexToBytes(`0x02${toRlp(['0x01', '0x', '0x0b', '0x0a', '0x5208', to, '0x', '0x', []]).slice(2)}`), 'maxPriorityFeePerGas', 'expected maxPriorityFeePerGas at most maxFeePerGas (10), got 11'],
    ['a 33-byte value', () => hexToBytes(`0x02${toRlp(['0x01', '0x', '0x', '0x', '0x', to, `0x01${'00'.repeat(32)}`, '0x', []]).slice(2)}`), 'value', 'expected value of at most 32 bytes, got 33 bytes'],
    ['a 19-byte to', () => hexToBytes(`0x02${toRlp(['0x01', '0x', '0x', '0x', '0x', `0x${'aa'.repeat(19)}`, '0x', '0x', []]).slice(2)}`), 'to', 'expected to of 20 bytes (or empty for a contract creation), got 19 bytes'],
    ['data as a list', () => hexToBytes(`0x02${toRlp(['0x01', '0x', '0x', '0x', '0x', to, '0x', ['0x01'], []]).slice(2)}`), 'data', 'expected data as an RLP string, got a list of 1 items'],
    ['an access list as a string', () => hexToBytes(`0x01${toRlp(['0x01', '0x', '0x', '0x', to, '0x', '0x', '0x']).slice(2)}`), 'accessList', 'expected accessList as an RLP list, got an RLP string of 0 bytes'],
    ['an access list entry of 3 items', () => hexToBytes(`0x01${toRlp(['0x01', '0x', '0x', '0x', to, '0x', '0x', [[to, [], []]]]).slice(2)}`), 'accessList', 'expected access list entry 0 as a list [address, storageKeys], got a list of 3 items'],
    ['a 31-byte storage key', () => hexToBytes(`0x01${toRlp(['0x01', '0x', '0x', '0x', to, '0x', '0x', [[to, [`0x${'01'.repeat(31)}`]]]]).slice(2)}`), 'accessList', 'expected storage key 0 of access list entry 0 as 32 bytes, got 31 bytes'],
    ['an access list address of 21 bytes', () => hexToBytes(`0x01${toRlp(['0x01', '0x', '0x', '0x', to, '0x', '0x', [[`${to}00`, []]]]).slice(2)}`), 'accessList', 'expected the address of access list entry 0 as 20 bytes, got 21 bytes'],
    ['lists nested too deep', () => hexToBytes(`0x01${toRlp(['0x01', '0x', '0x', '0x', to, '0x', '0x', [[to, [[]]]]]).slice(2)}`), 'rlp', /^expected RLP lists nested at most 4 deep, got a list nested 5 deep at byte \d+$/.source],
  ]

  it.each(cases)('%s', (_, bytes, field, details) => {
    const e = refusal(() => decode(bytes()))
    expect(e.context.field).toBe(field)
    if (details.startsWith('^')) expect(e.details).toMatch(new RegExp(details))
    else expect(e.details).toBe(details)
    expect(e.shortMessage).toBe('Invalid evm transaction.')
  })

  it('input that is not a decode input at all', () => {
    const bytes = hexToBytes(serializeTransaction(base1559))
    expect(refusal(() => decoder.decode(null as never)).details).toBe('expected an object { unsignedTransaction, keyType, publicKey, taproot }, got null')
    expect(refusal(() => decode('0x02' as never)).details).toBe('expected unsignedTransaction as bytes, got "0x02"')
    expect(refusal(() => decode(bytes, { publicKey: 'key' as never })).context.field).toBe('publicKey')
    expect(refusal(() => decode(bytes, { keyType: undefined as never })).details).toBe('expected key type "ecdsa-secp256k1" (EVM accounts are secp256k1 ECDSA keys), got undefined')
  })
})

describe('normalizeAddress', () => {
  it('takes an address in one case or its EIP-55 form and returns it in lower case (viem as oracle)', () => {
    fc.assert(
      fc.property(address, (checksummed) => {
        const lower = checksummed.toLowerCase()
        expect(decoder.normalizeAddress(checksummed)).toBe(lower)
        expect(decoder.normalizeAddress(lower)).toBe(lower)
        expect(decoder.normalizeAddress(`0x${lower.slice(2).toUpperCase()}`)).toBe(lower)
        expect(getAddress(decoder.normalizeAddress(checksummed))).toBe(checksummed)
      }),
      { numRuns: RUNS },
    )
  })

  it('refuses a mixed-case address with a wrong checksum, and anything that is not 0x and 40 hex digits', () => {
    const bad = '0x70997970c51812dc3a010c7d01b50e0d17dc79C8'
    for (const [input, details] of [
      [bad, `expected one case throughout or the EIP-55 checksum form "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", got "${bad}"`],
      ['0x70997970c51812dc3a010c7d01b50e0d17dc79c', 'expected "0x" and 40 hex digits, got "0x70997970c51812dc3a010c7d01b50e0d17dc79c"'],
      ['70997970c51812dc3a010c7d01b50e0d17dc79c8', 'expected "0x" and 40 hex digits, got "70997970c51812dc3a010c7d01b50e0d17dc79c8"'],
      ['0X70997970c51812dc3a010c7d01b50e0d17dc79c8', 'expected "0x" and 40 hex digits, got "0X70997970c51812dc3a010c7d01b50e0d17dc79c8"'],
      [42, 'expected "0x" and 40 hex digits, got number 42'],
    ] as const) {
      try {
        decoder.normalizeAddress(input as string)
        throw new Error(`accepted ${input}`)
      } catch (e) {
        if (!isZrError(e, 'INVALID_INPUT')) throw e
        expect(e.details).toBe(details)
      }
    }
  })
})

describe('the /decoder entry', () => {
  it('loads no chain library: its modules import only @zrkit/core, @noble, @scure and each other', async () => {
    const { readdirSync, readFileSync } = await import('node:fs')
    const dir = new URL('.', import.meta.url)
    const sources = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    expect(sources).toContain('index.ts')
    for (const file of sources) {
      const specifiers = [...readFileSync(new URL(file, dir), 'utf8').matchAll(/^(?:import|export)[^'"]*from '([^']+)'/gm)].map((m) => m[1]!)
      for (const s of specifiers) expect(s, file).toMatch(/^(\.\/[\w]+\.js|@zrkit\/core(\/internal)?|@noble\/(hashes|curves)\/[\w.]+|@scure\/base)$/)
    }
  })
})
