import { toBech32 } from '@cosmjs/encoding'
import { ed25519 } from '@noble/curves/ed25519.js'
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js'
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js'
import { ripemd160 } from '@noble/hashes/legacy.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { bech32, bech32m } from '@scure/base'
import { PublicKey } from '@solana/web3.js'
import * as bitcoin from 'bitcoinjs-lib'
import bs58check from 'bs58check'
import * as ecc from 'tiny-secp256k1'
import { getAddress, publicKeyToAddress as viemPublicKeyToAddress } from 'viem/utils'
import { offCurveEd25519, offCurveSecp256k1 } from '@zrkit/testkit'
import { beforeAll, describe, expect, it } from 'vitest'
import { publicKeyToAddress } from '../account/address.js'
import { isZrError } from '../errors/ZrError.js'
import type { KeyType } from '../ledger/types.js'
import {
  type WalletType,
  bitcoinHrp,
  decodeSegwitAddress,
  deriveAddress,
  deriveAddresses,
  encodeSegwitAddress,
  p2trAddress,
  p2wpkhAddress,
  publicKeyToEvmAddress,
  solanaAddress,
  taggedHash,
  taprootOutputKey,
  toChecksumAddress,
  walletKeyTypes,
  walletTypeFromNumber,
  walletTypeNames,
  walletTypeNumbers,
  walletTypeToNumber,
  zcashTransparentAddress,
} from './index.js'

const N = 200
const n = secp256k1.Point.Fn.ORDER
const allKeyTypes: KeyType[] = ['ecdsa-secp256k1', 'bitcoin-secp256k1', 'schnorr-secp256k1', 'eddsa-ed25519']

type SecpKey = { secret: Uint8Array; compressed: Uint8Array; uncompressed: Uint8Array }
const secpKeys: SecpKey[] = Array.from({ length: N }, () => {
  const secret = secp256k1.utils.randomSecretKey()
  return { secret, compressed: secp256k1.getPublicKey(secret, true), uncompressed: secp256k1.getPublicKey(secret, false) }
})
const edKeys: Uint8Array[] = Array.from({ length: N }, () => ed25519.getPublicKey(ed25519.utils.randomSecretKey()))

const h160 = (b: Uint8Array) => ripemd160(sha256(b))
const u8 = (b: Uint8Array) => Uint8Array.from(b)

function expectZrError(fn: () => unknown, code: string, detailsMatch?: RegExp | string): void {
  let caught: unknown
  try {
    fn()
  } catch (e) {
    caught = e
  }
  expect(caught, 'expected a throw').toBeDefined()
  expect(isZrError(caught), `expected a ZrError, got ${String(caught)}`).toBe(true)
  const err = caught as { code: string; details?: string }
  expect(err.code).toBe(code)
  if (detailsMatch !== undefined) {
    if (typeof detailsMatch === 'string') expect(err.details).toBe(detailsMatch)
    else expect(err.details).toMatch(detailsMatch)
  }
}

describe('EVM addresses', () => {
  it(`equal viem's publicKeyToAddress for ${N} random keys (compressed and uncompressed input)`, () => {
    for (const k of secpKeys) {
      const expected = viemPublicKeyToAddress(`0x${bytesToHex(k.uncompressed)}`)
      expect(publicKeyToEvmAddress(k.compressed)).toBe(expected)
      expect(publicKeyToEvmAddress(k.uncompressed)).toBe(expected)
      expect(deriveAddress({ keyType: 'ecdsa-secp256k1', publicKey: k.compressed }, { type: 'evm' })).toBe(expected)
    }
  })

  it(`toChecksumAddress equals viem's getAddress on lower- and upper-cased forms of ${N} addresses`, () => {
    for (const k of secpKeys) {
      const a = viemPublicKeyToAddress(`0x${bytesToHex(k.uncompressed)}`)
      const lower = a.toLowerCase()
      const upper = `0x${a.slice(2).toUpperCase()}`
      expect(toChecksumAddress(lower)).toBe(getAddress(lower))
      expect(toChecksumAddress(upper)).toBe(getAddress(lower))
    }
  })

  it('toChecksumAddress refuses what is not 0x + 40 hex digits', () => {
    for (const bad of ['', '0x', '0x123', 'fb6916095ca1df60bb79ce92ce3ea74c37c5d359', '0xfb6916095ca1df60bb79ce92ce3ea74c37c5d35g', '0xfb6916095ca1df60bb79ce92ce3ea74c37c5d3599']) {
      expectZrError(() => toChecksumAddress(bad), 'INVALID_ADDRESS')
    }
    expectZrError(() => toChecksumAddress(42 as unknown as string), 'INVALID_ADDRESS')
  })
})

describe('native (cosmos-style) addresses', () => {
  for (const prefix of ['zen', 'cosmos', 'osmo']) {
    it(`equal cosmjs toBech32("${prefix}", ripemd160(sha256(pk))) for ${N} random keys`, () => {
      for (const k of secpKeys) {
        const expected = toBech32(prefix, h160(k.compressed))
        const wallet: WalletType = prefix === 'zen' ? { type: 'native' } : { type: 'native', prefix }
        expect(deriveAddress({ keyType: 'bitcoin-secp256k1', publicKey: k.compressed }, wallet)).toBe(expected)
        expect(deriveAddress({ keyType: 'ecdsa-secp256k1', publicKey: k.compressed }, { type: 'native', prefix })).toBe(expected)
      }
    })
  }

  it('default prefix is zen and matches the account address helper', () => {
    const k = secpKeys[0] as SecpKey
    const address = deriveAddress({ keyType: 'ecdsa-secp256k1', publicKey: k.compressed }, { type: 'native' })
    expect(address.startsWith('zen1')).toBe(true)
    expect(address).toBe(publicKeyToAddress(k.compressed))
  })

  it('refuses a bad prefix with INVALID_INPUT', () => {
    const key = { keyType: 'ecdsa-secp256k1' as const, publicKey: (secpKeys[0] as SecpKey).compressed }
    for (const prefix of ['', 'Cosmos', 'has space', 'é']) {
      expectZrError(() => deriveAddress(key, { type: 'native', prefix }), 'INVALID_INPUT')
    }
  })
})

describe('Bitcoin P2WPKH', () => {
  const cases = [
    ['mainnet', bitcoin.networks.bitcoin],
    ['testnet', bitcoin.networks.testnet],
    ['regtest', bitcoin.networks.regtest],
  ] as const
  for (const [network, net] of cases) {
    it(`equals bitcoinjs p2wpkh on ${network} for ${N} random keys`, () => {
      for (const k of secpKeys) {
        const expected = bitcoin.payments.p2wpkh({ pubkey: u8(k.compressed), network: net }).address
        expect(expected).toBeTypeOf('string')
        expect(p2wpkhAddress(k.compressed, { network })).toBe(expected)
        expect(p2wpkhAddress(k.uncompressed, { network })).toBe(expected)
        expect(deriveAddress({ keyType: 'bitcoin-secp256k1', publicKey: k.compressed }, { type: 'bitcoin', network })).toBe(expected)
      }
    })
  }

  it('defaults to mainnet; signet and testnet4 use the testnet prefix', () => {
    for (const k of secpKeys.slice(0, 20)) {
      const main = bitcoin.payments.p2wpkh({ pubkey: u8(k.compressed), network: bitcoin.networks.bitcoin }).address
      const test = bitcoin.payments.p2wpkh({ pubkey: u8(k.compressed), network: bitcoin.networks.testnet }).address
      expect(p2wpkhAddress(k.compressed)).toBe(main)
      expect(deriveAddress({ keyType: 'ecdsa-secp256k1', publicKey: k.compressed }, { type: 'bitcoin' })).toBe(main)
      expect(p2wpkhAddress(k.compressed, { network: 'signet' })).toBe(test)
      expect(p2wpkhAddress(k.compressed, { network: 'testnet4' })).toBe(test)
    }
  })

  it(`custom hrp "rb" decodes (bech32) to witness v0 + hash160 for ${N} random keys`, () => {
    for (const k of secpKeys) {
      const address = deriveAddress({ keyType: 'ecdsa-secp256k1', publicKey: k.compressed }, { type: 'bitcoin', network: 'regtest', hrp: 'rb' })
      expect(address.startsWith('rb1q')).toBe(true)
      const { prefix, words } = bech32.decode(address as `${string}1${string}`)
      expect(prefix).toBe('rb')
      expect(words[0]).toBe(0)
      expect(bytesToHex(bech32.fromWords(words.slice(1)))).toBe(bytesToHex(h160(k.compressed)))
      expect(decodeSegwitAddress(address, 'rb')).toEqual({ hrp: 'rb', version: 0, program: h160(k.compressed) })
    }
  })

  it('bitcoinHrp maps every network', () => {
    expect(bitcoinHrp('mainnet')).toBe('bc')
    expect(bitcoinHrp('testnet')).toBe('tb')
    expect(bitcoinHrp('testnet4')).toBe('tb')
    expect(bitcoinHrp('signet')).toBe('tb')
    expect(bitcoinHrp('regtest')).toBe('bcrt')
    expectZrError(() => bitcoinHrp('liquid' as never), 'INVALID_INPUT')
    expectZrError(() => bitcoinHrp('toString' as never), 'INVALID_INPUT')
  })
})

describe('Bitcoin P2TR (BIP86 key path)', () => {
  beforeAll(() => bitcoin.initEccLib(ecc))

  const cases = [
    ['mainnet', bitcoin.networks.bitcoin],
    ['testnet', bitcoin.networks.testnet],
    ['regtest', bitcoin.networks.regtest],
  ] as const
  for (const [network, net] of cases) {
    it(`equals bitcoinjs p2tr on ${network} for ${N} random keys`, () => {
      for (const k of secpKeys) {
        const p = bitcoin.payments.p2tr({ internalPubkey: u8(k.compressed.subarray(1)), network: net })
        expect(p.address).toBeTypeOf('string')
        expect(p2trAddress(k.compressed, { network })).toBe(p.address)
        expect(p2trAddress(k.compressed.subarray(1), { network })).toBe(p.address)
        expect(p2trAddress(k.uncompressed, { network })).toBe(p.address)
        expect(deriveAddress({ keyType: 'schnorr-secp256k1', publicKey: k.compressed }, { type: 'bitcoin-taproot', network })).toBe(p.address)
        expect(bytesToHex(taprootOutputKey(k.compressed).outputKey)).toBe(bytesToHex(p.pubkey as Uint8Array))
      }
    })
  }

  it(`taprootOutputKey's parity and tweak match tiny-secp256k1 and noble's tagged hash for ${N} random keys`, () => {
    for (const k of secpKeys) {
      const x = k.compressed.subarray(1)
      const { outputKey, parity, tweak } = taprootOutputKey(k.compressed)
      const t = schnorr.utils.taggedHash('TapTweak', x)
      expect(tweak).toBe(bytesToNumberBE(t))
      const tweaked = ecc.xOnlyPointAddTweak(u8(x), u8(t))
      expect(tweaked).not.toBeNull()
      expect(bytesToHex(outputKey)).toBe(bytesToHex((tweaked as { xOnlyPubkey: Uint8Array }).xOnlyPubkey))
      expect(parity).toBe((tweaked as { parity: 0 | 1 }).parity)
    }
  })

  it('the returned tweak signs key-path spends: a BIP340 signature with the tweaked secret verifies under the output key', () => {
    for (const k of secpKeys.slice(0, 50)) {
      const { outputKey, tweak } = taprootOutputKey(k.compressed)
      let d = bytesToNumberBE(k.secret)
      if (k.compressed[0] === 0x03) d = n - d // BIP341: use the secret of lift_x(P), the even-y point
      const tweakedSecret = numberToBytesBE((d + tweak) % n, 32)
      const msg = sha256(k.secret)
      const sig = schnorr.sign(msg, tweakedSecret)
      expect(schnorr.verify(sig, msg, outputKey)).toBe(true)
      expect(schnorr.verify(sig, msg, k.compressed.subarray(1))).toBe(false)
    }
  })

  it('with a merkle root equals bitcoinjs p2tr with a one-leaf script tree', () => {
    for (const k of secpKeys.slice(0, 50)) {
      const leafScript = bitcoin.script.compile([u8(k.compressed.subarray(1)), bitcoin.opcodes.OP_CHECKSIG as number])
      const p = bitcoin.payments.p2tr({ internalPubkey: u8(k.compressed.subarray(1)), scriptTree: { output: leafScript } })
      const root = p.hash as Uint8Array
      expect(root).toHaveLength(32)
      const withRoot = taprootOutputKey(k.compressed, root)
      expect(bytesToHex(withRoot.outputKey)).toBe(bytesToHex(p.pubkey as Uint8Array))
      expect(bytesToHex(withRoot.outputKey)).not.toBe(bytesToHex(taprootOutputKey(k.compressed).outputKey))
    }
  })

  it('refuses a merkle root that is not 32 bytes with INVALID_INPUT', () => {
    const k = secpKeys[0] as SecpKey
    expectZrError(() => taprootOutputKey(k.compressed, new Uint8Array(31)), 'INVALID_INPUT')
    expectZrError(() => taprootOutputKey(k.compressed, new Uint8Array(33)), 'INVALID_INPUT')
  })

  it('taggedHash is sha256(sha256(tag) || sha256(tag) || msg), as noble computes it', () => {
    for (const k of secpKeys.slice(0, 20)) {
      expect(bytesToHex(taggedHash('TapTweak', k.compressed))).toBe(bytesToHex(schnorr.utils.taggedHash('TapTweak', k.compressed)))
      expect(bytesToHex(taggedHash('BIP0340/challenge', k.secret, k.compressed))).toBe(bytesToHex(schnorr.utils.taggedHash('BIP0340/challenge', k.secret, k.compressed)))
    }
  })

  it('custom hrp gives a bech32m witness v1 address over the output key', () => {
    for (const k of secpKeys.slice(0, 20)) {
      const address = p2trAddress(k.compressed, { hrp: 'rb' })
      const { prefix, words } = bech32m.decode(address as `${string}1${string}`)
      expect(prefix).toBe('rb')
      expect(words[0]).toBe(1)
      expect(bytesToHex(bech32m.fromWords(words.slice(1)))).toBe(bytesToHex(taprootOutputKey(k.compressed).outputKey))
    }
  })
})

describe('segwit address encoding', () => {
  it('encodeSegwitAddress and decodeSegwitAddress round-trip every version', () => {
    const program20 = h160((secpKeys[0] as SecpKey).compressed)
    const program32 = sha256(program20)
    for (let version = 0; version <= 16; version++) {
      for (const program of version === 0 ? [program20, program32] : [program20.subarray(0, 2), program32, new Uint8Array(40).fill(7)]) {
        const address = encodeSegwitAddress('bc', version, program)
        expect(decodeSegwitAddress(address)).toEqual({ hrp: 'bc', version, program: Uint8Array.from(program) })
        const decoded = (version === 0 ? bech32 : bech32m).decodeUnsafe(address)
        expect(decoded).toBeTruthy()
      }
    }
  })

  it('encodeSegwitAddress refuses bad versions and program lengths', () => {
    expectZrError(() => encodeSegwitAddress('bc', 17, new Uint8Array(32)), 'INVALID_INPUT')
    expectZrError(() => encodeSegwitAddress('bc', -1, new Uint8Array(32)), 'INVALID_INPUT')
    expectZrError(() => encodeSegwitAddress('bc', 0, new Uint8Array(21)), 'INVALID_INPUT')
    expectZrError(() => encodeSegwitAddress('bc', 1, new Uint8Array(1)), 'INVALID_INPUT')
    expectZrError(() => encodeSegwitAddress('bc', 1, new Uint8Array(41)), 'INVALID_INPUT')
    expectZrError(() => encodeSegwitAddress('BC', 0, new Uint8Array(20)), 'INVALID_INPUT')
  })

  it('decodeSegwitAddress checks the expected prefix', () => {
    const address = p2wpkhAddress((secpKeys[0] as SecpKey).compressed, { network: 'testnet' })
    expect(decodeSegwitAddress(address, 'tb').hrp).toBe('tb')
    expectZrError(() => decodeSegwitAddress(address, 'bc'), 'INVALID_ADDRESS', /expected prefix "bc", got "tb"/)
  })
})

describe('Solana addresses', () => {
  it(`equal @solana/web3.js PublicKey.toBase58() for ${N} random keys`, () => {
    for (const pk of edKeys) {
      const expected = new PublicKey(pk).toBase58()
      expect(solanaAddress(pk)).toBe(expected)
      expect(deriveAddress({ keyType: 'eddsa-ed25519', publicKey: pk }, { type: 'solana' })).toBe(expected)
    }
  })

  it('refuses 32 bytes that are not an ed25519 point (web3.js would accept them as an off-curve address)', () => {
    const bad = offCurveEd25519()
    expect(PublicKey.isOnCurve(bad)).toBe(false)
    expectZrError(() => solanaAddress(bad), 'INVALID_PUBLIC_KEY')
  })
})

describe('Zcash transparent addresses', () => {
  const cases = [
    ['mainnet', [0x1c, 0xb8], 't1'],
    ['testnet', [0x1d, 0x25], 'tm'],
  ] as const
  for (const [network, prefix, lead] of cases) {
    it(`${network}: bs58check decodes to ${prefix.map((b) => b.toString(16)).join('')} + hash160 and starts with ${lead} for ${N} random keys`, () => {
      for (const k of secpKeys) {
        const address = deriveAddress({ keyType: 'bitcoin-secp256k1', publicKey: k.compressed }, { type: 'zcash', network })
        expect(address.startsWith(lead)).toBe(true)
        expect(address).toHaveLength(35)
        const decoded = bs58check.decode(address)
        expect(bytesToHex(decoded)).toBe(bytesToHex(Uint8Array.of(...prefix)) + bytesToHex(h160(k.compressed)))
        expect(zcashTransparentAddress(k.uncompressed, { network })).toBe(address)
      }
    })
  }

  it('defaults to mainnet', () => {
    const k = secpKeys[0] as SecpKey
    expect(zcashTransparentAddress(k.compressed)).toBe(zcashTransparentAddress(k.compressed, { network: 'mainnet' }))
    expect(deriveAddress({ keyType: 'ecdsa-secp256k1', publicKey: k.compressed }, { type: 'zcash' }).startsWith('t1')).toBe(true)
    expectZrError(() => zcashTransparentAddress(k.compressed, { network: 'regtest' as never }), 'INVALID_INPUT')
  })
})

describe('deriveAddresses', () => {
  it('returns one address per wallet type, in order, each equal to deriveAddress', () => {
    const k = secpKeys[1] as SecpKey
    const key = { keyType: 'ecdsa-secp256k1' as const, publicKey: k.compressed }
    const wallets: WalletType[] = [
      { type: 'evm' },
      { type: 'native' },
      { type: 'native', prefix: 'osmo' },
      { type: 'bitcoin', network: 'testnet' },
      { type: 'zcash', network: 'testnet' },
    ]
    const out = deriveAddresses(key, wallets)
    expect(out.map((o) => o.wallet)).toEqual(wallets)
    expect(out.map((o) => o.address)).toEqual([
      viemPublicKeyToAddress(`0x${bytesToHex(k.uncompressed)}`),
      toBech32('zen', h160(k.compressed)),
      toBech32('osmo', h160(k.compressed)),
      bitcoin.payments.p2wpkh({ pubkey: u8(k.compressed), network: bitcoin.networks.testnet }).address,
      zcashTransparentAddress(k.compressed, { network: 'testnet' }),
    ])
    expect(deriveAddresses(key, [])).toEqual([])
  })

  it('throws on the first wallet type that does not fit', () => {
    const key = { keyType: 'ecdsa-secp256k1' as const, publicKey: (secpKeys[0] as SecpKey).compressed }
    expectZrError(() => deriveAddresses(key, [{ type: 'evm' }, { type: 'solana' }]), 'UNSUPPORTED_WALLET_TYPE', /for solana addresses, got ecdsa-secp256k1/)
  })
})

describe('wallet type numbers', () => {
  it('walletTypeFromNumber maps zrChain WalletType 1..8', () => {
    expect(walletTypeNumbers).toEqual({ NATIVE: 1, EVM: 2, BTC_TESTNET: 3, BTC_MAINNET: 4, BTC_REGNET: 5, SOLANA: 6, ZCASH_MAINNET: 7, ZCASH_TESTNET: 8 })
    expect(walletTypeFromNumber(1)).toEqual({ type: 'native' })
    expect(walletTypeFromNumber(2)).toEqual({ type: 'evm' })
    expect(walletTypeFromNumber(3)).toEqual({ type: 'bitcoin', network: 'testnet' })
    expect(walletTypeFromNumber(4)).toEqual({ type: 'bitcoin', network: 'mainnet' })
    expect(walletTypeFromNumber(5)).toEqual({ type: 'bitcoin', network: 'regtest' })
    expect(walletTypeFromNumber(6)).toEqual({ type: 'solana' })
    expect(walletTypeFromNumber(7)).toEqual({ type: 'zcash', network: 'mainnet' })
    expect(walletTypeFromNumber(8)).toEqual({ type: 'zcash', network: 'testnet' })
  })

  it('walletTypeFromNumber refuses 0, 9 and non-integers with UNSUPPORTED_WALLET_TYPE', () => {
    for (const bad of [0, 9, -1, 1.5, Number.NaN, 100]) {
      expectZrError(() => walletTypeFromNumber(bad), 'UNSUPPORTED_WALLET_TYPE', /expected a zrChain WalletType number 1\.\.8/)
    }
  })

  it('walletTypeToNumber inverts walletTypeFromNumber and has no number for zrkit-only wallet types', () => {
    for (let i = 1; i <= 8; i++) expect(walletTypeToNumber(walletTypeFromNumber(i))).toBe(i)
    expect(walletTypeToNumber({ type: 'bitcoin' })).toBe(4)
    expect(walletTypeToNumber({ type: 'zcash' })).toBe(7)
    expect(walletTypeToNumber({ type: 'bitcoin-taproot' })).toBeUndefined()
    expect(walletTypeToNumber({ type: 'native', prefix: 'cosmos' })).toBeUndefined()
    expect(walletTypeToNumber({ type: 'bitcoin', network: 'signet' })).toBeUndefined()
    expect(walletTypeToNumber({ type: 'bitcoin', network: 'regtest', hrp: 'rb' })).toBeUndefined()
  })

  it('walletTypeFromNumber returns a fresh object each time', () => {
    const a = walletTypeFromNumber(3) as { network?: string }
    a.network = 'mainnet'
    expect(walletTypeFromNumber(3)).toEqual({ type: 'bitcoin', network: 'testnet' })
  })
})

describe('errors', () => {
  const publicKeyFor = (keyType: KeyType) => (keyType === 'eddsa-ed25519' ? (edKeys[0] as Uint8Array) : (secpKeys[0] as SecpKey).compressed)
  const walletsByType: Record<string, WalletType> = {
    evm: { type: 'evm' },
    native: { type: 'native' },
    bitcoin: { type: 'bitcoin' },
    'bitcoin-taproot': { type: 'bitcoin-taproot' },
    solana: { type: 'solana' },
    zcash: { type: 'zcash' },
  }
  const expectedText: Record<string, string> = {
    evm: 'an ECDSA secp256k1 key (ecdsa-secp256k1 or bitcoin-secp256k1)',
    native: 'an ECDSA secp256k1 key (ecdsa-secp256k1 or bitcoin-secp256k1)',
    bitcoin: 'an ECDSA secp256k1 key (ecdsa-secp256k1 or bitcoin-secp256k1)',
    zcash: 'an ECDSA secp256k1 key (ecdsa-secp256k1 or bitcoin-secp256k1)',
    'bitcoin-taproot': 'a BIP340 Schnorr secp256k1 key (schnorr-secp256k1)',
    solana: 'an EdDSA ed25519 key (eddsa-ed25519)',
  }

  it('walletKeyTypes lists the fitting key types of every wallet type', () => {
    expect(walletTypeNames).toEqual(['evm', 'native', 'bitcoin', 'bitcoin-taproot', 'solana', 'zcash'])
    expect(walletKeyTypes('evm')).toEqual(['ecdsa-secp256k1', 'bitcoin-secp256k1'])
    expect(walletKeyTypes('native')).toEqual(['ecdsa-secp256k1', 'bitcoin-secp256k1'])
    expect(walletKeyTypes('bitcoin')).toEqual(['ecdsa-secp256k1', 'bitcoin-secp256k1'])
    expect(walletKeyTypes('zcash')).toEqual(['ecdsa-secp256k1', 'bitcoin-secp256k1'])
    expect(walletKeyTypes('bitcoin-taproot')).toEqual(['schnorr-secp256k1'])
    expect(walletKeyTypes('solana')).toEqual(['eddsa-ed25519'])
  })

  for (const type of Object.keys(walletsByType)) {
    it(`${type}: every key type that does not fit throws UNSUPPORTED_WALLET_TYPE naming expected and got`, () => {
      const fits = walletKeyTypes(type as WalletType['type'])
      const misfits = allKeyTypes.filter((t) => !fits.includes(t))
      expect(misfits.length).toBeGreaterThan(0)
      for (const keyType of misfits) {
        expectZrError(
          () => deriveAddress({ keyType, publicKey: publicKeyFor(keyType) }, walletsByType[type] as WalletType),
          'UNSUPPORTED_WALLET_TYPE',
          `expected ${expectedText[type]} for ${type} addresses, got ${keyType}`,
        )
      }
      for (const keyType of fits) {
        expect(deriveAddress({ keyType, publicKey: publicKeyFor(keyType) }, walletsByType[type] as WalletType)).toBeTypeOf('string')
      }
    })
  }

  it('the EVM misfit message reads as documented', () => {
    expectZrError(
      () => deriveAddress({ keyType: 'eddsa-ed25519', publicKey: edKeys[0] as Uint8Array }, { type: 'evm' }),
      'UNSUPPORTED_WALLET_TYPE',
      'expected an ECDSA secp256k1 key (ecdsa-secp256k1 or bitcoin-secp256k1) for evm addresses, got eddsa-ed25519',
    )
  })

  it('unknown wallet type objects throw UNSUPPORTED_WALLET_TYPE', () => {
    const key = { keyType: 'ecdsa-secp256k1' as const, publicKey: (secpKeys[0] as SecpKey).compressed }
    for (const wallet of [{ type: 'tron' }, { type: 'EVM' }, {}, null, undefined, 'evm', { type: 'toString' }, { type: 2 }]) {
      expectZrError(() => deriveAddress(key, wallet as unknown as WalletType), 'UNSUPPORTED_WALLET_TYPE', /expected a wallet type with type evm, native, bitcoin, bitcoin-taproot, solana, zcash/)
    }
  })

  it('an unknown key type does not fit any wallet type', () => {
    for (const wallet of Object.values(walletsByType)) {
      expectZrError(() => deriveAddress({ keyType: 'rsa-2048' as KeyType, publicKey: new Uint8Array(33) }, wallet), 'UNSUPPORTED_WALLET_TYPE', /got rsa-2048$/)
    }
  })

  it('invalid public key bytes throw INVALID_PUBLIC_KEY for every wallet type', () => {
    const offSecp = offCurveSecp256k1()
    const offEd = offCurveEd25519()
    const secpBad = [new Uint8Array(0), new Uint8Array(32), new Uint8Array(33), new Uint8Array(64), new Uint8Array(65), offSecp, Uint8Array.of(0x05, ...offSecp.subarray(1))]
    for (const type of ['evm', 'native', 'bitcoin', 'zcash'] as const) {
      for (const publicKey of secpBad) {
        expectZrError(() => deriveAddress({ keyType: 'ecdsa-secp256k1', publicKey }, walletsByType[type] as WalletType), 'INVALID_PUBLIC_KEY')
      }
    }
    for (const publicKey of [new Uint8Array(0), new Uint8Array(31), new Uint8Array(34), new Uint8Array(33), offSecp, Uint8Array.of(...offSecp.subarray(1))]) {
      expectZrError(() => deriveAddress({ keyType: 'schnorr-secp256k1', publicKey }, { type: 'bitcoin-taproot' }), 'INVALID_PUBLIC_KEY')
    }
    for (const publicKey of [new Uint8Array(0), new Uint8Array(31), new Uint8Array(33), offEd]) {
      expectZrError(() => deriveAddress({ keyType: 'eddsa-ed25519', publicKey }, { type: 'solana' }), 'INVALID_PUBLIC_KEY')
    }
    for (const wallet of Object.values(walletsByType)) {
      const keyType = walletKeyTypes(wallet.type)[0] as KeyType
      expectZrError(() => deriveAddress({ keyType, publicKey: 'not bytes' as unknown as Uint8Array }, wallet), 'INVALID_PUBLIC_KEY')
    }
  })

  it('the direct address functions refuse bad keys with INVALID_PUBLIC_KEY too', () => {
    const offSecp = offCurveSecp256k1()
    expectZrError(() => publicKeyToEvmAddress(offSecp), 'INVALID_PUBLIC_KEY', /not one/)
    expectZrError(() => publicKeyToEvmAddress(new Uint8Array(64)), 'INVALID_PUBLIC_KEY', /got 64 bytes/)
    expectZrError(() => p2wpkhAddress(offSecp), 'INVALID_PUBLIC_KEY')
    expectZrError(() => p2trAddress(offSecp.subarray(1)), 'INVALID_PUBLIC_KEY')
    expectZrError(() => taprootOutputKey(new Uint8Array(32).fill(0xff)), 'INVALID_PUBLIC_KEY')
    expectZrError(() => zcashTransparentAddress(offSecp), 'INVALID_PUBLIC_KEY')
    expectZrError(() => solanaAddress(new Uint8Array(33)), 'INVALID_PUBLIC_KEY', /got 33 bytes/)
  })

  it('bad wallet options throw INVALID_INPUT', () => {
    const key = { keyType: 'ecdsa-secp256k1' as const, publicKey: (secpKeys[0] as SecpKey).compressed }
    const schnorrKey = { keyType: 'schnorr-secp256k1' as const, publicKey: (secpKeys[0] as SecpKey).compressed }
    expectZrError(() => deriveAddress(key, { type: 'bitcoin', network: 'liquid' as never }), 'INVALID_INPUT')
    expectZrError(() => deriveAddress(key, { type: 'bitcoin', hrp: '' }), 'INVALID_INPUT')
    expectZrError(() => deriveAddress(schnorrKey, { type: 'bitcoin-taproot', network: 'liquid' as never }), 'INVALID_INPUT')
    expectZrError(() => deriveAddress(schnorrKey, { type: 'bitcoin-taproot', hrp: 'BC' }), 'INVALID_INPUT')
    expectZrError(() => deriveAddress(key, { type: 'zcash', network: 'regtest' as never }), 'INVALID_INPUT')
  })
})

describe('publicKeyToAddress on keys seen before', () => {
  it('answers from the bytes as they are now: the same key, another prefix, the same array changed, an invalid key', () => {
    const key = Uint8Array.from(secp256k1.getPublicKey(sha256(Uint8Array.of(1)), true))
    const first = publicKeyToAddress(key)
    expect(publicKeyToAddress(key)).toBe(first)
    expect(publicKeyToAddress(key, 'cosmos')).toBe(toBech32('cosmos', ripemd160(sha256(key))))
    // the caller's array changed in place: the answer follows the new bytes
    const other = secp256k1.getPublicKey(sha256(Uint8Array.of(2)), true)
    key.set(other)
    expect(publicKeyToAddress(key)).toBe(toBech32('zen', ripemd160(sha256(other))))
    // bytes that are no point are refused every time, also after valid keys were seen
    const offCurve = offCurveSecp256k1()
    for (let i = 0; i < 2; i++) expect(() => publicKeyToAddress(offCurve)).toThrow(expect.objectContaining({ code: 'INVALID_PUBLIC_KEY' }))
    expect(publicKeyToAddress(other)).toBe(toBech32('zen', ripemd160(sha256(other))))
  })
})
