// What the Bitcoin decoder refuses, and how it says so: PSBTs written byte by byte here (bitcoinjs only names addresses), each
// broken in one way, each refusal an INVALID_TRANSACTION whose details say what was expected and what arrived.
// Then fuzz: random bytes and random damage to valid PSBTs only ever give a result or INVALID_TRANSACTION.
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { ripemd160 } from '@noble/hashes/legacy.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { type DecodeTransactionInput, isZrError, toHex } from '@zrkit/core'
import { concatBytes } from '@zrkit/core/internal'
import { bitcoinTransactionDecoder } from '@zrkit/relayer-bitcoin/decoder'
import { fuzzRuns, offCurveSecp256k1 } from '@zrkit/testkit'
import { address, networks } from 'bitcoinjs-lib'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

const decoder = bitcoinTransactionDecoder()
const bytes = (...b: number[]) => Uint8Array.from(b)
const cs = (n: number) => (n < 0xfd ? bytes(n) : n <= 0xffff ? bytes(0xfd, n & 0xff, n >> 8) : bytes(0xfe, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24))
const u32 = (n: number) => bytes(n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24)
const u64 = (v: bigint) => Uint8Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn))
const kv = (key: Uint8Array, value: Uint8Array) => concatBytes(cs(key.length), key, cs(value.length), value)
const map = (entries: Uint8Array[]) => concatBytes(...entries, bytes(0))

type RawInput = { txid: Uint8Array; vout: number; scriptSig?: Uint8Array; sequence?: number }
type RawOutput = { value: bigint; script: Uint8Array }
const rawTx = (inputs: RawInput[], outputs: RawOutput[], version = 2, locktime = 0) =>
  concatBytes(
    u32(version),
    cs(inputs.length),
    ...inputs.flatMap((i) => [i.txid, u32(i.vout), cs(i.scriptSig?.length ?? 0), i.scriptSig ?? new Uint8Array(0), u32(i.sequence ?? 0xfffffffd)]),
    cs(outputs.length),
    ...outputs.flatMap((o) => [u64(o.value), cs(o.script.length), o.script]),
    u32(locktime),
  )
const MAGIC = bytes(0x70, 0x73, 0x62, 0x74, 0xff)
const rawPsbt = (global: Uint8Array[], inputs: Uint8Array[][], outputs: Uint8Array[][]) => concatBytes(MAGIC, map(global), ...inputs.map(map), ...outputs.map(map))
const witnessUtxo = (value: bigint, script: Uint8Array) => kv(bytes(0x01), concatBytes(u64(value), cs(script.length), script))

const sk = sha256(new TextEncoder().encode('refusals'))
const pub = secp256k1.getPublicKey(sk, true)
const p2wpkh = concatBytes(bytes(0x00, 0x14), ripemd160(sha256(pub)))
const outputKey = pub.slice(1) // any x-only point serves as a taproot output key
const p2tr = concatBytes(bytes(0x51, 0x20), outputKey)
const stranger = concatBytes(bytes(0x00, 0x14), new Uint8Array(20).fill(0xee))
const txid = (n: number) => new Uint8Array(32).fill(n)

/** A valid PSBT for the key: two inputs, a payment and change; `edit` changes one part. */
function psbtOf(
  own: Uint8Array,
  edit: { global?: (g: Uint8Array[]) => Uint8Array[]; tx?: Uint8Array; inputs?: (m: Uint8Array[][]) => Uint8Array[][]; outputs?: (m: Uint8Array[][]) => Uint8Array[][] } = {},
) {
  const tx = edit.tx ?? rawTx([{ txid: txid(1), vout: 0 }, { txid: txid(2), vout: 1 }], [{ value: 60_000n, script: stranger }, { value: 39_000n, script: own }])
  const global = (edit.global ?? ((g) => g))([kv(bytes(0x00), tx)])
  const inputs = (edit.inputs ?? ((m) => m))([[witnessUtxo(40_000n, own)], [witnessUtxo(60_000n, own)]])
  const outputs = (edit.outputs ?? ((m) => m))([[], []])
  return rawPsbt(global, inputs, outputs)
}
const ecdsaInput = (unsignedTransaction: Uint8Array): DecodeTransactionInput => ({ unsignedTransaction, keyType: 'bitcoin-secp256k1', publicKey: pub, taproot: false, network: 'regtest' })
const taprootInput = (unsignedTransaction: Uint8Array): DecodeTransactionInput => ({ unsignedTransaction, keyType: 'schnorr-secp256k1', publicKey: outputKey, taproot: true, network: 'regtest' })

const refusal = (input: DecodeTransactionInput) => {
  try {
    decoder.decode(input)
  } catch (e) {
    if (isZrError(e, 'INVALID_TRANSACTION')) return e
    throw e
  }
  throw new Error('expected INVALID_TRANSACTION')
}

describe('bitcoinTransactionDecoder refusals', () => {
  it('the PSBTs written here decode (the cases below break one thing each)', () => {
    const a = decoder.decode(ecdsaInput(psbtOf(p2wpkh)))
    expect(a.payloads).toHaveLength(2)
    expect(a.transaction.transfers).toEqual([{ kind: 'transfer', asset: 'native', to: address.fromOutputScript(stranger, networks.regtest), amount: 60_000n }])
    expect(a.transaction.from).toBe(address.fromOutputScript(p2wpkh, networks.regtest))
    expect(a.transaction.fee).toBe(1_000n)
    expect(decoder.decode(taprootInput(psbtOf(p2tr))).payloads).toHaveLength(2)
    // unknown and proprietary keys, and known keys the decoder does not need, are read past: same payloads
    const extra = psbtOf(p2wpkh, {
      global: (g) => [...g, kv(bytes(0xfc, 0x03, 0x7a, 0x72, 0x6b), bytes(1)), kv(bytes(0x50, 0x01), bytes()), kv(bytes(0xfb), u32(0))],
      inputs: (m) => [[...m[0]!, kv(bytes(0x02, ...pub), bytes(0x30)), kv(bytes(0x03), u32(1)), kv(bytes(0xfd, 0x00, 0x01), bytes(7))], m[1]!],
      outputs: (m) => [m[0]!, [kv(bytes(0x02, ...pub), new Uint8Array(8))]],
    })
    expect(decoder.decode(ecdsaInput(extra)).payloads.map(toHex)).toEqual(a.payloads.map(toHex))
  })

  const cases: [string, DecodeTransactionInput, string | RegExp][] = [
    ['not bytes', { ...ecdsaInput(psbtOf(p2wpkh)), unsignedTransaction: 'cHNidP8B' as unknown as Uint8Array }, 'unsignedTransaction: expected the PSBT as bytes, got string'],
    ['over 64 KiB', ecdsaInput(new Uint8Array(65_537)), 'unsignedTransaction: expected a PSBT of at most 65536 bytes, got 65537 bytes'],
    ['no magic (base64 text)', ecdsaInput(new TextEncoder().encode('cHNidP8BAH0CAAAA')), 'unsignedTransaction: expected a binary PSBT starting with the magic 70736274ff ("psbt" 0xff), got 0x63484e6964'],
    ['empty', ecdsaInput(new Uint8Array(0)), 'unsignedTransaction: expected a binary PSBT starting with the magic 70736274ff ("psbt" 0xff), got no bytes'],
    ['truncated in the unsigned transaction', ecdsaInput(psbtOf(p2wpkh).subarray(0, 150)), 'unsignedTransaction: expected 154 more byte(s) for a value in the global map, got 142 (the data ends at byte 150)'],
    ['truncated in an input map', ecdsaInput(psbtOf(p2wpkh).subarray(0, 200)), /^unsignedTransaction: expected \d+ more byte\(s\) for .+ in inputs\[1\], got \d+ \(the data ends at byte 200\)$/],
    ['a map missing', ecdsaInput(psbtOf(p2wpkh, { outputs: (m) => m.slice(0, 1) })), /^unsignedTransaction: expected 1 more byte\(s\) for the key length in outputs\[1\], got 0/],
    ['trailing bytes', ecdsaInput(concatBytes(psbtOf(p2wpkh), bytes(0))), 'unsignedTransaction: expected the end of the PSBT after its 2 input map(s) and 2 output map(s), got 1 more byte(s)'],
    [
      'a key length not in its shortest form',
      ecdsaInput(concatBytes(MAGIC, bytes(0xfd, 0x01, 0x00))),
      'unsignedTransaction: expected the key length in the global map as a CompactSize in its shortest encoding, got 1 in 3 bytes',
    ],
    ['a key type not in its shortest form', ecdsaInput(psbtOf(p2wpkh, { global: (g) => [...g, kv(bytes(0xfd, 0x05, 0x00), bytes())] })), 'the global map: expected the key type as a CompactSize in its shortest encoding, got 5 in 3 bytes'],
    ['a key twice', ecdsaInput(psbtOf(p2wpkh, { inputs: (m) => [[...m[0]!, kv(bytes(0xfc, 0x00), bytes(1)), kv(bytes(0xfc, 0x00), bytes(2))], m[1]!] })), 'inputs[0]: expected each key once in a map, got key 0xfc00 twice'],
    ['two witness UTXOs', ecdsaInput(psbtOf(p2wpkh, { inputs: (m) => [m[0]!, [...m[1]!, witnessUtxo(1n, p2wpkh)]] })), 'inputs[1]: expected each key once in a map, got key 0x01 twice'],
    ['no unsigned transaction', ecdsaInput(psbtOf(p2wpkh, { global: () => [] })), 'global: expected PSBT_GLOBAL_UNSIGNED_TX in the global map, got none'],
    [
      'an unsigned transaction key with key data',
      ecdsaInput(psbtOf(p2wpkh, { global: (g) => [kv(bytes(0x00, 0x01), bytes()), ...g] })),
      'global: expected PSBT_GLOBAL_UNSIGNED_TX with a key of its type alone, got 1 more key byte(s)',
    ],
    ['PSBT version 2', ecdsaInput(psbtOf(p2wpkh, { global: (g) => [...g, kv(bytes(0xfb), u32(2))] })), 'global.version: expected PSBT_GLOBAL_VERSION 0 (a 4-byte value), got version 2'],
    ['a version 2 field', ecdsaInput(psbtOf(p2wpkh, { global: (g) => [...g, kv(bytes(0x02), u32(2))] })), 'the global map: expected a version 0 PSBT (BIP174), got PSBT_GLOBAL_TX_VERSION, a version 2 field (BIP370)'],
    ['a version 2 input field', ecdsaInput(psbtOf(p2wpkh, { inputs: (m) => [[...m[0]!, kv(bytes(0x10), u32(0))], m[1]!] })), 'inputs[0]: expected a version 0 PSBT (BIP174), got PSBT_IN_SEQUENCE, a version 2 field (BIP370)'],
    [
      'a scriptSig in the unsigned transaction',
      ecdsaInput(psbtOf(p2wpkh, { tx: rawTx([{ txid: txid(1), vout: 0, scriptSig: bytes(0x51) }, { txid: txid(2), vout: 1 }], [{ value: 99_000n, script: p2wpkh }]) })),
      'global.unsignedTx.inputs[0]: expected an empty scriptSig in the unsigned transaction, got 1 bytes',
    ],
    [
      'the unsigned transaction with witnesses',
      ecdsaInput(psbtOf(p2wpkh, { tx: concatBytes(u32(2), bytes(0x00, 0x01), rawTx([{ txid: txid(1), vout: 0 }], [{ value: 1n, script: p2wpkh }]).subarray(4)) })),
      'global.unsignedTx: expected the serialization without witnesses and at least one input, got an input count of 0 (a segwit marker, or no inputs)',
    ],
    [
      'bytes after the unsigned transaction',
      ecdsaInput(psbtOf(p2wpkh, { tx: concatBytes(rawTx([{ txid: txid(1), vout: 0 }, { txid: txid(2), vout: 1 }], [{ value: 1n, script: p2wpkh }]), bytes(0)) })),
      'global.unsignedTx: expected the end of the transaction, got 1 more byte(s)',
    ],
    [
      'one outpoint twice',
      ecdsaInput(psbtOf(p2wpkh, { tx: rawTx([{ txid: txid(1), vout: 0 }, { txid: txid(1), vout: 0 }], [{ value: 1n, script: p2wpkh }]) })),
      'global.unsignedTx.inputs[1]: expected each outpoint spent once, got input 1 spending the outpoint of an earlier input again',
    ],
    [
      'no outputs',
      ecdsaInput(psbtOf(p2wpkh, { tx: rawTx([{ txid: txid(1), vout: 0 }, { txid: txid(2), vout: 1 }], []), outputs: () => [] })),
      'global.unsignedTx: expected at least one output, got none',
    ],
    [
      'an output over 21 million bitcoin',
      ecdsaInput(psbtOf(p2wpkh, { tx: rawTx([{ txid: txid(1), vout: 0 }, { txid: txid(2), vout: 1 }], [{ value: 2n ** 64n - 1n, script: p2wpkh }]) })),
      'global.unsignedTx: expected output 0\'s value of at most 2100000000000000 sat, got 18446744073709551615 sat',
    ],
    [
      'more than 256 inputs',
      ecdsaInput(
        rawPsbt(
          [kv(bytes(0x00), rawTx(Array.from({ length: 257 }, (_, i) => ({ txid: txid(i & 0xff), vout: i })), [{ value: 1n, script: p2wpkh }]))],
          Array.from({ length: 257 }, () => [witnessUtxo(1n, p2wpkh)]),
          [[]],
        ),
      ),
      'global.unsignedTx: expected at most 256 inputs (one payload each), got 257',
    ],
    [
      'a witness UTXO with bytes after it',
      ecdsaInput(psbtOf(p2wpkh, { inputs: (m) => [[kv(bytes(0x01), concatBytes(u64(40_000n), cs(p2wpkh.length), p2wpkh, bytes(0)))], m[1]!] })),
      'inputs[0].witnessUtxo: expected the end of the witness UTXO, got 1 more byte(s)',
    ],
    ['an input of another key', ecdsaInput(psbtOf(p2wpkh, { inputs: (m) => [m[0]!, [witnessUtxo(60_000n, stranger)]] })), `inputs[1].witnessUtxo: expected an input spending the key's P2WPKH output ${toHex(p2wpkh)}, got script ${toHex(stranger)} (not this key's)`],
    ['no witness UTXO', ecdsaInput(psbtOf(p2wpkh, { inputs: (m) => [m[0]!, []] })), 'inputs[1].witnessUtxo: expected PSBT_IN_WITNESS_UTXO (the amount and script of the output the input spends: witness_utxo is required), got none'],
    [
      'a previous transaction that does not parse',
      ecdsaInput(psbtOf(p2wpkh, { inputs: (m) => [[...m[0]!, kv(bytes(0x00), bytes(1, 0, 0, 0))], m[1]!] })),
      'inputs[0].nonWitnessUtxo: expected 1 more byte(s) for the input count, got 0 (the data ends at byte 4)',
    ],
    ['SIGHASH_NONE on P2WPKH', ecdsaInput(psbtOf(p2wpkh, { inputs: (m) => [[...m[0]!, kv(bytes(0x03), u32(2))], m[1]!] })), 'inputs[0].sighashType: expected sighash type SIGHASH_ALL (1) for a P2WPKH input, got 2 (0x2)'],
    ['SIGHASH_DEFAULT on P2WPKH', ecdsaInput(psbtOf(p2wpkh, { inputs: (m) => [[...m[0]!, kv(bytes(0x03), u32(0))], m[1]!] })), 'inputs[0].sighashType: expected sighash type SIGHASH_ALL (1) for a P2WPKH input, got 0 (0x0)'],
    [
      'ALL|ANYONECANPAY on P2TR',
      taprootInput(psbtOf(p2tr, { inputs: (m) => [m[0]!, [...m[1]!, kv(bytes(0x03), u32(0x81))]] })),
      'inputs[1].sighashType: expected sighash type SIGHASH_DEFAULT (0) or SIGHASH_ALL (1) for a P2TR input, got 129 (0x81)',
    ],
    ['a 2-byte sighash type', ecdsaInput(psbtOf(p2wpkh, { inputs: (m) => [[...m[0]!, kv(bytes(0x03), bytes(1, 0))], m[1]!] })), 'inputs[0].sighashType: expected a 4-byte sighash type, SIGHASH_ALL (1), got 2 bytes'],
    ['a finalized input', ecdsaInput(psbtOf(p2wpkh, { inputs: (m) => [m[0]!, [...m[1]!, kv(bytes(0x08), bytes(0))]] })), 'inputs[1]: expected an input not finalized yet, got PSBT_IN_FINAL_SCRIPTWITNESS'],
    ['a witness script on P2WPKH', ecdsaInput(psbtOf(p2wpkh, { inputs: (m) => [[...m[0]!, kv(bytes(0x05), bytes(0x51))], m[1]!] })), "inputs[0]: expected no PSBT_IN_WITNESS_SCRIPT: the input spends the key's native P2WPKH output, got PSBT_IN_WITNESS_SCRIPT"],
    ['a taproot leaf script', taprootInput(psbtOf(p2tr, { inputs: (m) => [[...m[0]!, kv(concatBytes(bytes(0x15, 0xc0), outputKey), bytes(0x51, 0xc0))], m[1]!] })), 'inputs[0]: expected a key-path spend of an output with no script tree (BIP86), got PSBT_IN_TAP_LEAF_SCRIPT'],
    ['a 33-byte internal key', taprootInput(psbtOf(p2tr, { inputs: (m) => [[...m[0]!, kv(bytes(0x17), pub)], m[1]!] })), "inputs[0].tapInternalKey: expected a 32-byte internal key whose BIP86 output key is the key's, got 33 bytes"],
    [
      'a negative fee',
      ecdsaInput(psbtOf(p2wpkh, { tx: rawTx([{ txid: txid(1), vout: 0 }, { txid: txid(2), vout: 1 }], [{ value: 100_001n, script: stranger }]), outputs: (m) => m.slice(0, 1) })),
      "global.unsignedTx: expected outputs worth at most the inputs' 100000 sat, got outputs worth 100001 sat (a negative fee)",
    ],
    [
      'inputs over 21 million bitcoin',
      ecdsaInput(psbtOf(p2wpkh, { inputs: () => [[witnessUtxo(2_000_000_000_000_000n, p2wpkh)], [witnessUtxo(2_000_000_000_000_000n, p2wpkh)]] })),
      'inputs[1].witnessUtxo: expected inputs worth at most 2100000000000000 sat in all, got 4000000000000000 sat by input 1',
    ],
    ['no network', { ...ecdsaInput(psbtOf(p2wpkh)), network: undefined }, "network: expected network 'mainnet' | 'testnet' | 'signet' | 'regtest', got none"],
    ['testnet4', { ...ecdsaInput(psbtOf(p2wpkh)), network: 'testnet4' }, "network: expected network 'mainnet' | 'testnet' | 'signet' | 'regtest', got \"testnet4\" (testnet4 is 'testnet': the same addresses)"],
    ['an EVM network', { ...ecdsaInput(psbtOf(p2wpkh)), network: 'eip155:1' }, "network: expected network 'mainnet' | 'testnet' | 'signet' | 'regtest', got \"eip155:1\""],
    [
      'an ed25519 key',
      { ...ecdsaInput(psbtOf(p2wpkh)), keyType: 'eddsa-ed25519' },
      "keyType: expected keyType 'bitcoin-secp256k1' or 'ecdsa-secp256k1' with taproot: false (P2WPKH), or 'schnorr-secp256k1' with taproot: true (P2TR key path), got keyType 'eddsa-ed25519'",
    ],
    [
      'a Schnorr key without taproot',
      { ...taprootInput(psbtOf(p2tr)), taproot: false },
      "taproot: expected keyType 'bitcoin-secp256k1' or 'ecdsa-secp256k1' with taproot: false (P2WPKH), or 'schnorr-secp256k1' with taproot: true (P2TR key path), got keyType 'schnorr-secp256k1' with taproot: false",
    ],
    ['a 33-byte taproot key', { ...taprootInput(psbtOf(p2tr)), publicKey: pub }, 'publicKey: expected a 32-byte x-only taproot output key, got 33 bytes'],
    ['a key off the curve', { ...ecdsaInput(psbtOf(p2wpkh)), publicKey: offCurveSecp256k1() }, 'publicKey: expected a 33-byte compressed secp256k1 key, got 33 bytes that are not a point on secp256k1'],
    ['no input object', null as unknown as DecodeTransactionInput, 'expected { unsignedTransaction, keyType, publicKey, taproot, network }, got null'],
  ]

  it.each(cases)('%s', (_, input, details) => {
    const e = refusal(input)
    expect(e.shortMessage).toBe('Invalid bitcoin transaction.')
    expect(e.context.chain).toBe('bitcoin')
    if (typeof details === 'string') expect(e.details).toBe(details)
    else expect(e.details).toMatch(details)
    expect(e.details).toMatch(/expected .+, got .+/)
    if (e.context.field !== undefined) expect(e.details!.startsWith(`${e.context.field}: `)).toBe(true)
  })
})

describe('bitcoinTransactionDecoder fuzz', () => {
  const expectResultOrRefusal = (input: DecodeTransactionInput) => {
    try {
      const { payloads, transaction } = decoder.decode(input)
      expect(payloads.length).toBe(Number(transaction.fields.inputs))
      for (const p of payloads) expect(p.length).toBe(32)
      expect(transaction.fee >= 0n).toBe(true)
    } catch (e) {
      if (!isZrError(e, 'INVALID_TRANSACTION')) throw e
      expect(e.details).toMatch(/expected .+, got .+/)
    }
  }
  const valid = [ecdsaInput(psbtOf(p2wpkh)), taprootInput(psbtOf(p2tr)), taprootInput(psbtOf(p2tr, { inputs: (m) => [[...m[0]!, kv(bytes(0x03), u32(1))], m[1]!] }))]

  it('random bytes, with and without the magic', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), fc.integer({ min: 0, max: 2 }), (random, magic, which) => {
        expectResultOrRefusal({ ...valid[which]!, unsignedTransaction: magic ? concatBytes(MAGIC, random) : random })
      }),
      { numRuns: fuzzRuns(300) },
    )
  })

  it('valid PSBTs with bytes changed, cut, inserted or removed', () => {
    const edit = fc.oneof(
      fc.record({ op: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ op: fc.constant('cut' as const), at: fc.nat() }),
      fc.record({ op: fc.constant('insert' as const), at: fc.nat(), data: fc.uint8Array({ minLength: 1, maxLength: 9 }) }),
      fc.record({ op: fc.constant('remove' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 9 }) }),
    )
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), fc.array(edit, { minLength: 1, maxLength: 4 }), (which, edits) => {
        let b: Uint8Array = valid[which]!.unsignedTransaction.slice()
        for (const e of edits) {
          const at = e.at % (b.length + 1)
          if (e.op === 'set' && at < b.length) b[at] = e.byte
          else if (e.op === 'cut') b = b.slice(0, at)
          else if (e.op === 'insert') b = concatBytes(b.subarray(0, at), e.data, b.subarray(at))
          else if (e.op === 'remove') b = concatBytes(b.subarray(0, at), b.subarray(at + e.length))
        }
        expectResultOrRefusal({ ...valid[which]!, unsignedTransaction: b })
      }),
      { numRuns: fuzzRuns(300) },
    )
  })

  it('any key, key type, taproot flag and network', () => {
    const anything = fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.constant(undefined), fc.uint8Array({ maxLength: 66 }), fc.object())
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 }),
        fc.oneof(fc.constantFrom('bitcoin-secp256k1', 'ecdsa-secp256k1', 'schnorr-secp256k1', 'eddsa-ed25519'), anything),
        fc.oneof(fc.constantFrom(pub, outputKey), fc.uint8Array({ minLength: 32, maxLength: 33 }), anything),
        fc.oneof(fc.boolean(), anything),
        fc.oneof(fc.constantFrom('mainnet', 'testnet', 'signet', 'regtest'), anything),
        (which, keyType, publicKey, taproot, network) => {
          expectResultOrRefusal({ ...valid[which]!, keyType, publicKey, taproot, network } as unknown as DecodeTransactionInput)
        },
      ),
      { numRuns: fuzzRuns(300) },
    )
  })
})
