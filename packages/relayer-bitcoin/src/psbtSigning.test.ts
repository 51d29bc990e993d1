import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js'
import { type ZrError, isZrError, toHex } from '@zrkit/core'
import { Psbt, Transaction, initEccLib, networks, payments } from 'bitcoinjs-lib'
import * as tiny from 'tiny-secp256k1'
import { describe, expect, it } from 'vitest'
import { ensureEccLib, nobleEccLib } from './eccLib.js'
import { bitcoinNetworkParams } from './networks.js'
import { addPsbtSignatures, parsePsbt, psbtSigningPlan } from './psbtSigning.js'
import { keyOutput } from './scripts.js'

ensureEccLib()
const params = bitcoinNetworkParams('signet')
const randomKey = () => {
  const sk = secp256k1.utils.randomSecretKey()
  return { sk, pub: secp256k1.getPublicKey(sk, true) }
}
const catching = async (fn: () => unknown): Promise<ZrError> => {
  try {
    await fn()
  } catch (e) {
    if (isZrError(e)) return e
    throw e
  }
  throw new Error('expected a ZrError')
}

/** A PSBT with two inputs of `ours` (P2WPKH or P2TR) around one input of someone else. */
function mixedPsbt(type: 'p2wpkh' | 'p2tr', ours: Uint8Array, theirs: Uint8Array) {
  const own = keyOutput(type === 'p2wpkh' ? 'bitcoin-secp256k1' : 'schnorr-secp256k1', ours)
  const other = payments.p2wpkh({ pubkey: theirs })
  const psbt = new Psbt({ network: networks.testnet })
  psbt.addInput({ hash: new Uint8Array(32).fill(1), index: 0, witnessUtxo: { script: own.script, value: 10_000n }, ...(type === 'p2tr' ? { tapInternalKey: ours.subarray(1) } : {}) })
  psbt.addInput({ hash: new Uint8Array(32).fill(2), index: 3, witnessUtxo: { script: other.output!, value: 20_000n } })
  psbt.addInput({ hash: new Uint8Array(32).fill(3), index: 1, witnessUtxo: { script: own.script, value: 30_000n }, ...(type === 'p2tr' ? { tapInternalKey: ours.subarray(1) } : {}) })
  psbt.addOutput({ script: other.output!, value: 59_000n })
  return { psbt, own }
}

describe('PSBT signing plans', () => {
  it('the payloads are the sighashes bitcoinjs asks a signer for: BIP143 for P2WPKH inputs', () => {
    const ours = randomKey()
    const theirs = randomKey()
    const { psbt, own } = mixedPsbt('p2wpkh', ours.pub, theirs.pub)
    const plan = psbtSigningPlan(psbt, own)
    expect(plan.inputs).toEqual([0, 2])
    const asked: Uint8Array[] = []
    psbt.signAllInputs({ publicKey: ours.pub, sign: (hash: Uint8Array) => (asked.push(hash), secp256k1.sign(hash, ours.sk, { prehash: false })) })
    expect(asked.map(toHex)).toEqual(plan.payloads.map(toHex))
  })

  it('the payloads are the sighashes bitcoinjs asks a signer for: BIP341 for P2TR key-path inputs', () => {
    const ours = randomKey()
    const theirs = randomKey()
    const { psbt, own } = mixedPsbt('p2tr', ours.pub, theirs.pub)
    const plan = psbtSigningPlan(psbt, own)
    expect(plan.inputs).toEqual([0, 2])
    const asked: Uint8Array[] = []
    const outputKey = own.script.subarray(2)
    psbt.signAllInputs({ publicKey: Uint8Array.of(0x02, ...outputKey), sign: () => new Uint8Array(64), signSchnorr: (hash: Uint8Array) => (asked.push(hash), new Uint8Array(64)) })
    expect(asked.map(toHex)).toEqual(plan.payloads.map(toHex))
  })

  it('puts signatures in, checks them, and leaves signed inputs alone', async () => {
    const ours = randomKey()
    const theirs = randomKey()
    const { psbt, own } = mixedPsbt('p2wpkh', ours.pub, theirs.pub)
    const plan = psbtSigningPlan(psbt, own)
    const sigs = plan.payloads.map((p) => secp256k1.sign(p, ours.sk, { prehash: false, format: 'recovered' }))
    // a signature over something else is refused
    const wrong = parsePsbt(psbt.toBase64(), params)
    expect((await catching(() => addPsbtSignatures(wrong, own, plan, [sigs[0]!, sigs[0]!]))).code).toBe('INVALID_RESULT')
    expect((await catching(() => addPsbtSignatures(psbt, own, plan, [sigs[0]!]))).details).toBe('expected 2 signature(s), one per input the key signs, got 1')
    addPsbtSignatures(psbt, own, plan, sigs.map((s) => Uint8Array.of(...s.subarray(1), s[0]!)))
    expect(psbt.data.inputs[0]!.partialSig).toHaveLength(1)
    // signed inputs are no longer the key's to sign; the other wallet's input is never the key's
    expect((await catching(() => psbtSigningPlan(psbt, own))).details).toMatch(/^no unsigned input spends the key's P2WPKH output/)
  })

  it('refuses sighash types other than the default, script-path inputs, and PSBTs that do not parse', async () => {
    const ours = randomKey()
    const { psbt, own } = mixedPsbt('p2wpkh', ours.pub, randomKey().pub)
    psbt.updateInput(2, { sighashType: Transaction.SIGHASH_NONE })
    expect((await catching(() => psbtSigningPlan(psbt, own))).details).toBe('input 2 asks for sighash type 2; the relayer signs SIGHASH_ALL only')
    const tr = mixedPsbt('p2tr', ours.pub, randomKey().pub)
    tr.psbt.updateInput(0, { tapMerkleRoot: new Uint8Array(32).fill(5) })
    expect((await catching(() => psbtSigningPlan(tr.psbt, tr.own))).details).toContain('script tree')
    expect((await catching(() => parsePsbt('not a psbt', params))).code).toBe('INVALID_INPUT')
    expect(parsePsbt(psbt.toHex(), params).inputCount).toBe(3)
  })
})

describe('nobleEccLib', () => {
  it('passes bitcoinjs’s own checks and agrees with tiny-secp256k1', () => {
    initEccLib(undefined)
    expect(() => initEccLib(nobleEccLib)).not.toThrow() // bitcoinjs verifies it against its vectors
    for (let i = 0; i < 64; i++) {
      const x = i % 8 === 0 ? new Uint8Array(32).fill(0xff) : schnorr.getPublicKey(secp256k1.utils.randomSecretKey())
      const tweak = i % 16 === 1 ? new Uint8Array(32).fill(0xff) : secp256k1.utils.randomSecretKey()
      expect(nobleEccLib.isXOnlyPoint(x)).toBe(tiny.isXOnlyPoint(x))
      const a = nobleEccLib.xOnlyPointAddTweak(x, tweak)
      let b: ReturnType<typeof tiny.xOnlyPointAddTweak> = null
      try {
        b = tiny.xOnlyPointAddTweak(x, tweak)
      } catch {
        b = null // tiny-secp256k1 throws where bitcoinjs's interface returns null (a tweak >= n)
      }
      expect(a && { parity: a.parity, x: toHex(a.xOnlyPubkey) }).toEqual(b && { parity: b.parity, x: toHex(b.xOnlyPubkey) })
    }
  })
})
