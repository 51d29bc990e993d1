import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js'
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { Psbt, type Transaction, networks, payments } from 'bitcoinjs-lib'
import { describe, expect, it } from 'vitest'
import { ensureEccLib } from './eccLib.js'
import { dustThreshold, feeFor, inputWeights, txWeight, vsizeOf } from './fees.js'

ensureEccLib()
const hash20 = new Uint8Array(20).fill(7)
const hash32 = new Uint8Array(32).fill(9)

describe('fees and sizes', () => {
  it('dust thresholds are Bitcoin Core’s at 3 sat/vB', () => {
    expect(dustThreshold(payments.p2wpkh({ hash: hash20 }).output!)).toBe(294n)
    expect(dustThreshold(payments.p2wsh({ hash: hash32 }).output!)).toBe(330n)
    expect(dustThreshold(Uint8Array.of(0x51, 0x20, ...hash32))).toBe(330n) // P2TR
    expect(dustThreshold(payments.p2pkh({ hash: hash20 }).output!)).toBe(546n)
    expect(dustThreshold(payments.p2sh({ hash: hash20 }).output!)).toBe(540n)
    expect(dustThreshold(payments.embed({ data: [new Uint8Array(10)] }).output!)).toBe(0n)
    expect(dustThreshold(payments.p2wpkh({ hash: hash20 }).output!, 1)).toBe(98n)
  })

  it('fees round up and never undershoot the rate', () => {
    expect(feeFor(141, 1)).toBe(141n)
    expect(feeFor(141, 2.5)).toBe(353n)
    expect(feeFor(100, 1.1)).toBe(110n) // no floating-point creep
    expect(feeFor(1, 0.001)).toBe(1n)
    for (let v = 1; v < 500; v += 37) for (const r of [0.1, 1, 1.25, 3.3, 17]) expect(Number(feeFor(v, r))).toBeGreaterThanOrEqual(v * r - 1e-9)
  })

  it('the weight estimate covers real signed transactions, within a byte per input (bitcoinjs sizes them)', () => {
    for (const type of ['p2wpkh', 'p2tr'] as const) {
      for (const n of [1, 2, 5]) {
        const sk = secp256k1.utils.randomSecretKey()
        const pub = secp256k1.getPublicKey(sk, true)
        const pay = type === 'p2wpkh' ? payments.p2wpkh({ pubkey: pub }) : payments.p2tr({ internalPubkey: pub.subarray(1) })
        const psbt = new Psbt({ network: networks.testnet })
        for (let i = 0; i < n; i++) {
          psbt.addInput({ hash: new Uint8Array(32).fill(i + 1), index: i, witnessUtxo: { script: pay.output!, value: 10_000n }, ...(type === 'p2tr' ? { tapInternalKey: pub.subarray(1) } : {}) })
        }
        const outs = [payments.p2wpkh({ hash: hash20 }).output!, payments.p2pkh({ hash: hash20 }).output!, pay.output!]
        for (const script of outs) psbt.addOutput({ script, value: 1_000n })
        if (type === 'p2wpkh') {
          psbt.signAllInputs({ publicKey: pub, sign: (h: Uint8Array) => secp256k1.sign(h, sk, { prehash: false }) })
        } else {
          // the BIP341 tweak of a BIP86 key: sign with the tweaked secret, as a key-path spender does
          const tweaked = tweakSecret(sk, pub)
          psbt.signAllInputs({ publicKey: Uint8Array.of(0x02, ...schnorr.getPublicKey(tweaked)), sign: () => new Uint8Array(64), signSchnorr: (h: Uint8Array) => schnorr.sign(h, tweaked) })
        }
        psbt.finalizeAllInputs()
        const tx: Transaction = psbt.extractTransaction(true)
        const estimate = txWeight(new Array(n).fill(inputWeights[type]), outs)
        expect(estimate).toBeGreaterThanOrEqual(tx.weight())
        expect(estimate - tx.weight()).toBeLessThanOrEqual(type === 'p2wpkh' ? 2 * n : 0) // a DER signature is 71 or 72 bytes
        expect(vsizeOf(estimate)).toBeGreaterThanOrEqual(tx.virtualSize())
      }
    }
  })
})

/** BIP341's key-path secret for a BIP86 output: d' = (d, negated for an odd-y key) + hash_TapTweak(P_x). */
function tweakSecret(sk: Uint8Array, pub: Uint8Array): Uint8Array {
  const n = secp256k1.Point.Fn.ORDER
  let d = bytesToNumberBE(sk)
  if (pub[0] === 0x03) d = n - d
  const tag = sha256(new TextEncoder().encode('TapTweak'))
  const t = bytesToNumberBE(sha256(new Uint8Array([...tag, ...tag, ...pub.subarray(1)])))
  return numberToBytesBE((d + t) % n, 32)
}
