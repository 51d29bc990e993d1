// The Bitcoin decoder against bitcoinjs-lib 7.0.5 as the oracle: PSBTs built by bitcoinjs (P2WPKH and P2TR key
// path, random inputs, outputs, amounts, sequences, versions and locktimes) decode to the sighashes bitcoinjs
// computes, signatures over the payloads pass bitcoinjs's checks and make a final transaction, and the
// transfers, change and fee are the outputs bitcoinjs built. Then the lies a requester might tell.
import { readFileSync, readdirSync } from 'node:fs'
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js'
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { type DecodeTransactionInput, type ZrError, isZrError, toHex } from '@zrkit/core'
import { bitcoinTransactionDecoder } from '@zrkit/relayer-bitcoin/decoder'
import { fuzzRuns } from '@zrkit/testkit'
import { type Network, Psbt, Transaction, address as btcAddress, script as bscript, initEccLib, networks, payments } from 'bitcoinjs-lib'
import fc from 'fast-check'
import * as tiny from 'tiny-secp256k1'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { nobleEccLib } from '../eccLib.js'

// tiny-secp256k1 as bitcoinjs's ECC library here (an oracle independent of noble); the package's own
// noble one is put back after, as the other suites expect.
beforeAll(() => initEccLib(tiny))
afterAll(() => initEccLib(nobleEccLib))

const decoder = bitcoinTransactionDecoder()
type DecoderNetwork = 'mainnet' | 'testnet' | 'signet' | 'regtest'
const bitcoinjsNetwork = (n: DecoderNetwork): Network => (n === 'mainnet' ? networks.bitcoin : n === 'regtest' ? networks.regtest : networks.testnet)

const keyOf = (seed: string | Uint8Array) => {
  const sk = sha256(typeof seed === 'string' ? new TextEncoder().encode(seed) : seed)
  return { sk, pub: secp256k1.getPublicKey(sk, true) }
}
type Key = ReturnType<typeof keyOf>
type SpendType = 'p2wpkh' | 'p2tr'

/** The key's own output with bitcoinjs, and what the decoder is given for it. */
function ownOf(type: SpendType, key: Key, network: DecoderNetwork) {
  const net = bitcoinjsNetwork(network)
  if (type === 'p2wpkh') {
    const p = payments.p2wpkh({ pubkey: key.pub, network: net })
    return { script: p.output!, address: p.address!, keyType: 'bitcoin-secp256k1' as const, publicKey: key.pub, taproot: false, internal: undefined }
  }
  const internal = key.pub.slice(1)
  const p = payments.p2tr({ internalPubkey: internal, network: net })
  return { script: p.output!, address: p.address!, keyType: 'schnorr-secp256k1' as const, publicKey: p.pubkey!, taproot: true, internal }
}

type OutputKind = 'p2wpkh' | 'p2wsh' | 'p2tr' | 'p2pkh' | 'p2sh' | 'opreturn' | 'p2pk' | 'change'
/** A script of `kind`, from bitcoinjs's payments, for a key made from `seed`. */
function scriptOf(kind: Exclude<OutputKind, 'change'>, seed: Uint8Array): Uint8Array {
  const k = keyOf(seed)
  switch (kind) {
    case 'p2wpkh':
      return payments.p2wpkh({ pubkey: k.pub }).output!
    case 'p2wsh':
      return payments.p2wsh({ redeem: payments.p2pk({ pubkey: k.pub }) }).output!
    case 'p2tr':
      return payments.p2tr({ internalPubkey: k.pub.slice(1) }).output!
    case 'p2pkh':
      return payments.p2pkh({ pubkey: k.pub }).output!
    case 'p2sh':
      return payments.p2sh({ redeem: payments.p2wpkh({ pubkey: k.pub }) }).output!
    case 'opreturn':
      return payments.embed({ data: [seed.subarray(0, 1 + (seed[0]! % 31))] }).output!
    case 'p2pk':
      return payments.p2pk({ pubkey: k.pub }).output!
  }
}

type Spec = {
  type: SpendType
  network: DecoderNetwork
  key: Key
  version: number
  locktime: number
  inputs: { txid: Uint8Array; vout: number; sequence: number; value: bigint }[]
  outputs: { kind: OutputKind; seed: Uint8Array; value: bigint }[]
}

/** The PSBT of a spec, built by bitcoinjs; and the unsigned transaction, prevouts and own output. */
function build(spec: Spec, options: { amounts?: bigint[]; internalKey?: boolean } = {}) {
  const own = ownOf(spec.type, spec.key, spec.network)
  const psbt = new Psbt({ network: bitcoinjsNetwork(spec.network) })
  psbt.setVersion(spec.version)
  psbt.setLocktime(spec.locktime)
  const tx = new Transaction()
  tx.version = spec.version
  tx.locktime = spec.locktime
  spec.inputs.forEach((input, i) => {
    const value = options.amounts?.[i] ?? input.value
    psbt.addInput({
      hash: input.txid,
      index: input.vout,
      sequence: input.sequence,
      witnessUtxo: { script: own.script, value },
      ...(own.internal && options.internalKey !== false ? { tapInternalKey: own.internal } : {}),
    })
    tx.addInput(input.txid, input.vout, input.sequence)
  })
  const scripts = spec.outputs.map((o) => (o.kind === 'change' ? own.script : scriptOf(o.kind, o.seed)))
  spec.outputs.forEach((o, i) => {
    psbt.addOutput({ script: scripts[i]!, value: o.value })
    tx.addOutput(scripts[i]!, o.value)
  })
  return { psbt, tx, own, scripts, bytes: psbt.toBuffer() }
}

const decodeWith = (own: ReturnType<typeof ownOf>, bytes: Uint8Array, network: DecoderNetwork, extra: Partial<DecodeTransactionInput> = {}) =>
  decoder.decode({ unsignedTransaction: bytes, keyType: own.keyType, publicKey: own.publicKey, taproot: own.taproot, network, ...extra })

/** The sighashes bitcoinjs computes for every input of the key, with the true amounts. */
function bitcoinjsSighashes(spec: Spec, tx: Transaction, own: ReturnType<typeof ownOf>, amounts = spec.inputs.map((i) => i.value)): string[] {
  if (spec.type === 'p2wpkh') {
    const scriptCode = payments.p2pkh({ hash: own.script.subarray(2) }).output!
    return spec.inputs.map((_, i) => toHex(tx.hashForWitnessV0(i, scriptCode, amounts[i]!, Transaction.SIGHASH_ALL)))
  }
  return spec.inputs.map((_, i) => toHex(tx.hashForWitnessV1(i, spec.inputs.map(() => own.script), amounts, Transaction.SIGHASH_DEFAULT)))
}

const catching = (fn: () => unknown): ZrError => {
  try {
    fn()
  } catch (e) {
    if (isZrError(e)) return e
    throw e
  }
  throw new Error('expected a ZrError')
}

const u32 = fc.integer({ min: 0, max: 0xffffffff })
const outputKinds: OutputKind[] = ['p2wpkh', 'p2wsh', 'p2tr', 'p2pkh', 'p2sh', 'opreturn', 'p2pk', 'change']
const specArb: fc.Arbitrary<Spec> = fc
  .record({
    type: fc.constantFrom<SpendType>('p2wpkh', 'p2tr'),
    network: fc.constantFrom<DecoderNetwork>('mainnet', 'testnet', 'signet', 'regtest'),
    seed: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    version: fc.oneof(fc.constantFrom(1, 2, 3), u32),
    locktime: fc.oneof(fc.constant(0), u32),
    inputs: fc.array(
      fc.record({
        txid: fc.uint8Array({ minLength: 32, maxLength: 32 }),
        vout: fc.oneof(fc.integer({ min: 0, max: 5 }), u32),
        sequence: fc.oneof(fc.constantFrom(0xffffffff, 0xfffffffe, 0xfffffffd, 0), u32),
        value: fc.bigInt({ min: 1n, max: 5_000_000_000_000n }),
      }),
      { minLength: 1, maxLength: 6 },
    ),
    outputs: fc.array(fc.record({ kind: fc.constantFrom(...outputKinds), seed: fc.uint8Array({ minLength: 32, maxLength: 32 }), weight: fc.bigInt({ min: 0n, max: 1000n }) }), {
      minLength: 1,
      maxLength: 6,
    }),
    feeWeight: fc.bigInt({ min: 0n, max: 1000n }),
  })
  .map((r) => {
    // distinct outpoints; outputs share the inputs' total, the rest is the fee
    const inputs = r.inputs.map((input, i) => ({ ...input, txid: Uint8Array.of(i, ...input.txid.subarray(1)) }))
    const total = inputs.reduce((n, i) => n + i.value, 0n)
    const weights = r.outputs.reduce((n, o) => n + o.weight, 0n) + r.feeWeight
    const outputs = r.outputs.map((o) => ({ kind: o.kind, seed: o.seed, value: weights === 0n ? 0n : (total * o.weight) / weights }))
    return { type: r.type, network: r.network, key: keyOf(r.seed), version: r.version, locktime: r.locktime, inputs, outputs }
  })

describe('bitcoinTransactionDecoder against bitcoinjs-lib', () => {
  it('is the bitcoin@1 decoder with btc and sat', () => {
    expect({ chain: decoder.chain, version: decoder.version, nativeUnits: decoder.nativeUnits }).toEqual({ chain: 'bitcoin', version: 1, nativeUnits: { btc: 8, sat: 0 } })
  })

  it('property: payloads are bitcoinjs’s BIP143 / BIP341 sighashes; transfers, calls, change and fee are the outputs', () => {
    fc.assert(
      fc.property(specArb, (spec) => {
        const { tx, own, scripts, bytes } = build(spec)
        const { payloads, transaction } = decodeWith(own, bytes, spec.network)
        expect(payloads.map(toHex)).toEqual(bitcoinjsSighashes(spec, tx, own))

        const net = bitcoinjsNetwork(spec.network)
        const transfers: unknown[] = []
        const calls: unknown[] = []
        let change = 0n
        spec.outputs.forEach((o, i) => {
          if (o.kind === 'change') return void (change += o.value)
          if (o.kind === 'opreturn' || o.kind === 'p2pk') return void calls.push({ to: `script:${toHex(scripts[i]!)}`, value: o.value })
          transfers.push({ kind: 'transfer', asset: 'native', to: btcAddress.fromOutputScript(scripts[i]!, net), amount: o.value })
        })
        const totalIn = spec.inputs.reduce((n, i) => n + i.value, 0n)
        const totalOut = spec.outputs.reduce((n, o) => n + o.value, 0n)
        expect(transaction).toEqual({
          chain: 'bitcoin',
          decoder: 'bitcoin@1',
          network: `bitcoin:${spec.network}`,
          format: 'psbt',
          from: own.address,
          transfers,
          calls,
          fee: totalIn - totalOut,
          feeAsset: 'native',
          fields: {
            version: String(spec.version),
            locktime: String(spec.locktime),
            inputs: String(spec.inputs.length),
            outputs: String(spec.outputs.length),
            rbf: String(spec.inputs.some((i) => i.sequence < 0xfffffffe)),
            change: String(change),
            inputAmounts: spec.type === 'p2tr' || spec.inputs.length === 1 ? 'signed' : 'claimed',
          },
        })
        // every address is in the form normalizeAddress gives
        for (const t of transaction.transfers) expect(decoder.normalizeAddress(t.to)).toBe(t.to)
        expect(decoder.normalizeAddress(transaction.from)).toBe(transaction.from)
      }),
      { numRuns: fuzzRuns(150) },
    )
  })

  it('property: the sighashes are those bitcoinjs asks a signer for, and signatures over them finalize the transaction', () => {
    fc.assert(
      fc.property(specArb, (spec) => {
        const { psbt, own } = build(spec)
        const { payloads } = decodeWith(own, psbt.toBuffer(), spec.network)
        const asked: string[] = []
        if (spec.type === 'p2wpkh') {
          const signs = payloads.map((p) => secp256k1.sign(p, spec.key.sk, { prehash: false }))
          psbt.signAllInputs({ publicKey: spec.key.pub, sign: (hash: Uint8Array) => (asked.push(toHex(hash)), signs[asked.length - 1]!) })
          expect(psbt.validateSignaturesOfAllInputs((pub, msg, sig) => tiny.verify(msg, pub, sig))).toBe(true)
        } else {
          const sk = tweakedSecret(spec.key.sk)
          const signs = payloads.map((p) => schnorr.sign(p, sk, new Uint8Array(32)))
          psbt.signAllInputs({
            publicKey: Uint8Array.of(0x02, ...own.publicKey),
            sign: () => new Uint8Array(64),
            signSchnorr: (hash: Uint8Array) => (asked.push(toHex(hash)), signs[asked.length - 1]!),
          })
          expect(psbt.validateSignaturesOfAllInputs((pub, msg, sig) => tiny.verifySchnorr(msg, pub, sig))).toBe(true)
        }
        expect(asked).toEqual(payloads.map(toHex))
        psbt.finalizeAllInputs()
        expect(psbt.extractTransaction(true).ins).toHaveLength(spec.inputs.length)
      }),
      { numRuns: fuzzRuns(40) },
    )
  })

  it('reads PSBT_IN_SIGHASH_TYPE: SIGHASH_ALL for P2WPKH; SIGHASH_DEFAULT or SIGHASH_ALL for P2TR (bitcoinjs’s sighash for each)', () => {
    for (const type of ['p2wpkh', 'p2tr'] as const) {
      const spec = fixedSpec(type)
      const { psbt, tx, own } = build(spec)
      psbt.updateInput(0, { sighashType: Transaction.SIGHASH_ALL })
      const { payloads } = decodeWith(own, psbt.toBuffer(), spec.network)
      const expected = bitcoinjsSighashes(spec, tx, own)
      if (type === 'p2tr') expected[0] = toHex(tx.hashForWitnessV1(0, spec.inputs.map(() => own.script), spec.inputs.map((i) => i.value), Transaction.SIGHASH_ALL))
      expect(payloads.map(toHex)).toEqual(expected)
    }
  })

  it('a P2WPKH input that carries its previous transaction (txid checked) makes the amounts proven', () => {
    const spec = fixedSpec('p2wpkh')
    const own = ownOf('p2wpkh', spec.key, spec.network)
    // previous transactions that really pay the amounts, and the inputs that spend them
    const prevs = spec.inputs.map((input, i) => {
      const prev = new Transaction()
      prev.version = 2
      prev.addInput(new Uint8Array(32).fill(9 + i), 0)
      prev.setWitness(0, [new Uint8Array(72).fill(1), spec.key.pub]) // witness form: the txid leaves it out
      for (let v = 0; v < input.vout; v++) prev.addOutput(scriptOf('p2tr', new Uint8Array(32).fill(v)), 1000n)
      prev.addOutput(own.script, input.value)
      return prev
    })
    const proven = { ...spec, inputs: spec.inputs.map((input, i) => ({ ...input, txid: prevs[i]!.getHash() })) }
    const { psbt, tx } = build(proven)
    prevs.forEach((prev, i) => psbt.updateInput(i, { nonWitnessUtxo: prev.toBuffer() }))
    const result = decodeWith(own, psbt.toBuffer(), spec.network)
    expect(result.transaction.fields.inputAmounts).toBe('proven')
    expect(result.payloads.map(toHex)).toEqual(bitcoinjsSighashes(proven, tx, own))

    // a previous transaction that is not the outpoint's, or whose output is not the witness UTXO: refused
    const other = build(proven)
    other.psbt.updateInput(0, { nonWitnessUtxo: prevs[1]!.toBuffer() })
    expect(catching(() => decodeWith(own, other.psbt.toBuffer(), spec.network)).details).toBe(
      `inputs[0].nonWitnessUtxo: expected the transaction ${prevs[0]!.getId()} the input spends, got transaction ${prevs[1]!.getId()}`,
    )
    const lowered = build(proven, { amounts: [proven.inputs[0]!.value - 1n] })
    lowered.psbt.updateInput(0, { nonWitnessUtxo: prevs[0]!.toBuffer() })
    expect(catching(() => decodeWith(own, lowered.psbt.toBuffer(), spec.network)).details).toBe(
      `inputs[0].witnessUtxo: expected PSBT_IN_WITNESS_UTXO equal to output ${proven.inputs[0]!.vout} of the previous transaction (${proven.inputs[0]!.value} sat to ${toHex(own.script)}), got ${proven.inputs[0]!.value - 1n} sat to ${toHex(own.script)}`,
    )
  })
})

describe('the /decoder entry', () => {
  it('imports no Bitcoin library: only @zrkit/core, @noble, @scure/base and its own folder', () => {
    const dir = new URL('.', import.meta.url)
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    expect(files).toContain('index.ts')
    for (const file of files) {
      const code = readFileSync(new URL(file, dir), 'utf8').replace(/\/\*\*[\s\S]*?\*\//g, '') // TSDoc examples aside
      for (const [, from] of code.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
        expect(from, `${file} imports ${from}`).toMatch(/^(\.\/[A-Za-z0-9]+\.js|@zrkit\/core|@zrkit\/core\/internal|@noble\/(hashes|curves)\/[a-z0-9]+\.js|@scure\/base)$/)
      }
    }
  })
})

describe('the lies a requester might tell', () => {
  it('change to a stranger is a transfer to that stranger, not change', () => {
    for (const type of ['p2wpkh', 'p2tr'] as const) {
      const honest = fixedSpec(type)
      const stranger = new Uint8Array(32).fill(0x5e)
      const lying: Spec = { ...honest, outputs: honest.outputs.map((o) => (o.kind === 'change' ? { ...o, kind: 'p2wpkh', seed: stranger } : o)) }
      const { own, psbt } = build(lying)
      // the PSBT even claims the output is the key's change, with the key's derivation: read as what it pays
      psbt.updateOutput(1, { bip32Derivation: [{ masterFingerprint: new Uint8Array(4), path: 'm/84/0/0/1/0', pubkey: lying.key.pub }] })
      const { transaction } = decodeWith(own, psbt.toBuffer(), lying.network)
      const strangerAddress = payments.p2wpkh({ pubkey: keyOf(stranger).pub, network: bitcoinjsNetwork(lying.network) }).address!
      expect(transaction.transfers).toContainEqual({ kind: 'transfer', asset: 'native', to: strangerAddress, amount: honest.outputs[1]!.value })
      expect(transaction.fields.change).toBe('0')
      expect(decodeWith(own, build(honest).bytes, honest.network).transaction.fields.change).toBe(String(honest.outputs[1]!.value))
    }
  })

  it('a lowered P2WPKH input amount changes that input’s BIP143 sighash: the signature would not verify on the network', () => {
    const spec = fixedSpec('p2wpkh')
    const honest = build(spec)
    const lie = build(spec, { amounts: [spec.inputs[0]!.value, spec.inputs[1]!.value - 900n] })
    const told = decodeWith(lie.own, lie.bytes, spec.network)
    const trueSighashes = bitcoinjsSighashes(spec, honest.tx, honest.own)
    expect(toHex(told.payloads[0]!)).toBe(trueSighashes[0]) // BIP143 commits to the input's own amount only
    expect(toHex(told.payloads[1]!)).not.toBe(trueSighashes[1])
    expect(told.transaction.fee).toBe(decodeWith(honest.own, honest.bytes, spec.network).transaction.fee - 900n)
    expect(told.transaction.fields.inputAmounts).toBe('claimed')
    // signed as told, input 1's signature fails for the transaction as it is on chain
    const sig = secp256k1.sign(told.payloads[1]!, spec.key.sk, { prehash: false })
    expect(tiny.verify(fromHex(trueSighashes[1]!), spec.key.pub, sig)).toBe(false)
    honest.psbt.updateInput(1, { partialSig: [{ pubkey: spec.key.pub, signature: bscript.signature.encode(sig, Transaction.SIGHASH_ALL) }] })
    expect(honest.psbt.validateSignaturesOfInput(1, (pub, msg, s) => tiny.verify(msg, pub, s))).toBe(false)
  })

  it('a lowered P2TR input amount changes every BIP341 sighash', () => {
    const spec = fixedSpec('p2tr')
    const honest = build(spec)
    const lie = build(spec, { amounts: [spec.inputs[0]!.value - 1n, spec.inputs[1]!.value] })
    const told = decodeWith(lie.own, lie.bytes, spec.network)
    const trueSighashes = bitcoinjsSighashes(spec, honest.tx, honest.own)
    told.payloads.forEach((p, i) => expect(toHex(p)).not.toBe(trueSighashes[i]))
    const sk = tweakedSecret(spec.key.sk)
    told.payloads.forEach((p, i) => expect(tiny.verifySchnorr(fromHex(trueSighashes[i]!), honest.own.publicKey, schnorr.sign(p, sk, new Uint8Array(32)))).toBe(false))
    expect(told.transaction.fields.inputAmounts).toBe('signed')
  })

  it('an input of another key is refused (P2WPKH, P2TR, and the taproot internal key given for the output key)', () => {
    for (const type of ['p2wpkh', 'p2tr'] as const) {
      const spec = fixedSpec(type)
      const { psbt, own } = build(spec)
      const stranger = payments.p2wpkh({ pubkey: keyOf('stranger').pub }).output!
      psbt.addInput({ hash: new Uint8Array(32).fill(7), index: 0, witnessUtxo: { script: stranger, value: 5_000n } })
      const e = catching(() => decodeWith(own, psbt.toBuffer(), spec.network))
      expect(e.code).toBe('INVALID_TRANSACTION')
      expect(e.context).toEqual({ chain: 'bitcoin', field: 'inputs[2].witnessUtxo' })
      expect(e.details).toBe(`inputs[2].witnessUtxo: expected an input spending the key's ${type === 'p2wpkh' ? 'P2WPKH' : 'P2TR'} output ${toHex(own.script)}, got script ${toHex(stranger)} (not this key's)`)
    }
    const spec = fixedSpec('p2tr')
    const { own, bytes } = build(spec)
    const e = catching(() => decodeWith(own, bytes, spec.network, { publicKey: own.internal! }))
    expect(e.details).toMatch(/^inputs\[0\]\.witnessUtxo: expected an input spending the key's P2TR output 5120[0-9a-f]{64}, got script 5120/)
    // the same with the ECDSA key type for the taproot key's inputs
    const ecdsa = catching(() => decodeWith(own, bytes, spec.network, { keyType: 'ecdsa-secp256k1', publicKey: spec.key.pub, taproot: false }))
    expect(ecdsa.details).toMatch(/^inputs\[0\]\.witnessUtxo: expected an input spending the key's P2WPKH output 0014/)
  })

  it('an input without PSBT_IN_WITNESS_UTXO is refused: the amount must be known', () => {
    const spec = fixedSpec('p2wpkh')
    const own = ownOf('p2wpkh', spec.key, spec.network)
    const psbt = new Psbt()
    const prev = new Transaction()
    prev.addInput(new Uint8Array(32).fill(1), 0)
    prev.addOutput(own.script, 10_000n)
    psbt.addInput({ hash: prev.getHash(), index: 0, nonWitnessUtxo: prev.toBuffer() })
    psbt.addOutput({ script: own.script, value: 9_000n })
    expect(catching(() => decodeWith(own, psbt.toBuffer(), spec.network)).details).toBe(
      'inputs[0].witnessUtxo: expected PSBT_IN_WITNESS_UTXO (the amount and script of the output the input spends: witness_utxo is required), got only PSBT_IN_NON_WITNESS_UTXO',
    )
    const bare = new Psbt()
    bare.addInput({ hash: prev.getHash(), index: 0 })
    bare.addOutput({ script: own.script, value: 9_000n })
    expect(catching(() => decodeWith(own, bare.toBuffer(), spec.network)).details).toBe(
      'inputs[0].witnessUtxo: expected PSBT_IN_WITNESS_UTXO (the amount and script of the output the input spends: witness_utxo is required), got none',
    )
  })

  it('a taproot internal key whose BIP86 output key is not the key’s, or a script tree, is refused', () => {
    const spec = fixedSpec('p2tr')
    const wrong = build(spec, { internalKey: false })
    wrong.psbt.updateInput(1, { tapInternalKey: keyOf('other').pub.slice(1) })
    expect(catching(() => decodeWith(wrong.own, wrong.psbt.toBuffer(), spec.network)).details).toBe(
      `inputs[1].tapInternalKey: expected a 32-byte internal key whose BIP86 output key is the key's, got internal key ${toHex(keyOf('other').pub.slice(1))}, which gives another output key`,
    )
    const tree = build(spec)
    tree.psbt.updateInput(0, { tapMerkleRoot: new Uint8Array(32).fill(3) })
    expect(catching(() => decodeWith(tree.own, tree.psbt.toBuffer(), spec.network)).details).toBe(
      'inputs[0]: expected a key-path spend of an output with no script tree (BIP86), got PSBT_IN_TAP_MERKLE_ROOT',
    )
  })
})

describe('normalizeAddress', () => {
  it('gives segwit addresses in lower case and checked base58 addresses as they are', () => {
    const n = decoder.normalizeAddress
    expect(n('BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4')).toBe('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4')
    expect(n('bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0')).toBe('bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0')
    expect(n('tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7')).toBe('tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7')
    const regtest = payments.p2wpkh({ pubkey: keyOf('r').pub, network: networks.regtest }).address!
    expect(n(regtest.toUpperCase())).toBe(regtest)
    for (const [pay, net] of [
      [payments.p2pkh, networks.bitcoin],
      [payments.p2pkh, networks.testnet],
    ] as const) {
      const a = pay({ pubkey: keyOf('b').pub, network: net }).address!
      expect(n(a)).toBe(a)
    }
    const p2sh = payments.p2sh({ redeem: payments.p2wpkh({ pubkey: keyOf('s').pub }) }).address!
    expect(n(p2sh)).toBe(p2sh)
  })

  it('refuses anything else with INVALID_INPUT, saying what arrived', () => {
    const bad = [
      'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5', // checksum
      'bc1qW508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', // mixed case
      'cosmos1qw508d6qejxtdg4y5r3zarvary0c5xw7kpd7jlk',
      '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3', // checksum
      '0x70997970c51812dc3a010c7d01b50e0d17dc79c8',
      '',
      42 as unknown as string,
    ]
    for (const a of bad) {
      const e = catching(() => decoder.normalizeAddress(a))
      expect(e.code, String(a)).toBe('INVALID_INPUT')
      expect(e.details).toMatch(/^expected a Bitcoin address: segwit .*, got /)
    }
  })
})

/** Two inputs of the key, a payment, change and an OP_RETURN, on regtest. */
function fixedSpec(type: SpendType): Spec {
  return {
    type,
    network: 'regtest',
    key: keyOf(`fixed ${type}`),
    version: 2,
    locktime: 0,
    inputs: [
      { txid: new Uint8Array(32).fill(1), vout: 0, sequence: 0xfffffffd, value: 100_000n },
      { txid: new Uint8Array(32).fill(2), vout: 3, sequence: 0xfffffffd, value: 250_000n },
    ],
    outputs: [
      { kind: 'p2tr', seed: new Uint8Array(32).fill(4), value: 200_000n },
      { kind: 'change', seed: new Uint8Array(32), value: 149_000n },
      { kind: 'opreturn', seed: new Uint8Array(32).fill(5), value: 0n },
    ],
  }
}

/** The secret of the BIP86 output key of `sk`'s public key (what a keyring signs P2TR key path with). */
function tweakedSecret(sk: Uint8Array): Uint8Array {
  const n = secp256k1.Point.Fn.ORDER
  const P = secp256k1.getPublicKey(sk, true)
  const d = P[0] === 0x03 ? n - bytesToNumberBE(sk) : bytesToNumberBE(sk)
  const tag = sha256(new TextEncoder().encode('TapTweak'))
  const t = bytesToNumberBE(sha256(new Uint8Array([...tag, ...tag, ...P.subarray(1)])))
  return numberToBytesBE((d + t) % n, 32)
}

const fromHex = (h: string) => Uint8Array.from(h.match(/../g)!.map((b) => parseInt(b, 16)))
