import { secp256k1 } from '@noble/curves/secp256k1.js'
import { type ZrError, deriveAddress, isZrError, toHex } from '@zrkit/core'
import { address as btcAddress, networks, payments } from 'bitcoinjs-lib'
import { describe, expect, it } from 'vitest'
import { ensureEccLib } from './eccLib.js'
import { bitcoinNetworkParams } from './networks.js'
import { addressToScript, keyAddress, keyOutput, scriptToAddress, spendTypeOf } from './scripts.js'

ensureEccLib()
const catching = (fn: () => unknown): ZrError => {
  try {
    fn()
  } catch (e) {
    if (isZrError(e)) return e
    throw e
  }
  throw new Error('expected a ZrError')
}

describe('networks', () => {
  it('names each chain by its genesis block (CAIP-2) and knows its prefixes', () => {
    expect(bitcoinNetworkParams('mainnet').chain).toBe('bip122:000000000019d6689c085ae165831e93')
    expect(bitcoinNetworkParams('testnet4').chain).toBe('bip122:00000000da84f2bafbbc53dee25a72ae')
    expect(bitcoinNetworkParams('signet').chain).toBe('bip122:00000008819873e925422c1ff0f99f7c')
    expect(bitcoinNetworkParams('regtest').chain).toBe('bip122:0f9188f13cb7b2c71f2a335e3a4fc328')
    expect(bitcoinNetworkParams('testnet4').hrp).toBe('tb')
    expect(bitcoinNetworkParams('regtest').hrp).toBe('bcrt')
    expect(bitcoinNetworkParams('regtest', { hrp: 'rb' }).network.bech32).toBe('rb')
    expect(catching(() => bitcoinNetworkParams('testnet5' as never)).details).toBe('expected one of mainnet, testnet4, signet, regtest, testnet, got "testnet5"')
    expect(catching(() => bitcoinNetworkParams('regtest', { hrp: 'RB!' })).code).toBe('INVALID_INPUT')
  })
})

describe('scripts and addresses', () => {
  const pub = secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true)

  it('key outputs match bitcoinjs and the core address derivation, on every network', () => {
    for (const name of ['mainnet', 'testnet4', 'signet', 'regtest'] as const) {
      const params = bitcoinNetworkParams(name)
      const net = name === 'mainnet' ? networks.bitcoin : name === 'regtest' ? networks.regtest : networks.testnet
      expect(keyAddress('bitcoin-secp256k1', pub, params)).toBe(payments.p2wpkh({ pubkey: pub, network: net }).address)
      expect(keyAddress('ecdsa-secp256k1', pub, params)).toBe(deriveAddress({ keyType: 'ecdsa-secp256k1', publicKey: pub }, { type: 'bitcoin', network: name }))
      expect(keyAddress('schnorr-secp256k1', pub, params)).toBe(payments.p2tr({ internalPubkey: pub.subarray(1), network: net }).address)
      expect(keyAddress('schnorr-secp256k1', pub, params)).toBe(deriveAddress({ keyType: 'schnorr-secp256k1', publicKey: pub }, { type: 'bitcoin-taproot', network: name }))
    }
    expect(toHex(keyOutput('schnorr-secp256k1', pub).script)).toBe(toHex(payments.p2tr({ internalPubkey: pub.subarray(1) }).output!))
    expect(spendTypeOf('bitcoin-secp256k1')).toBe('p2wpkh')
    expect(catching(() => spendTypeOf('eddsa-ed25519')).code).toBe('UNSUPPORTED_KEY_TYPE')
    expect(catching(() => keyOutput('bitcoin-secp256k1', pub.subarray(1))).code).toBe('INVALID_PUBLIC_KEY')
  })

  it('turns every kind of address into its script and back (bitcoinjs agrees)', () => {
    const params = bitcoinNetworkParams('testnet4')
    const hash = new Uint8Array(20).fill(3)
    const addresses = [
      payments.p2pkh({ hash, network: networks.testnet }).address!,
      payments.p2sh({ hash, network: networks.testnet }).address!,
      payments.p2wpkh({ hash, network: networks.testnet }).address!,
      payments.p2wsh({ hash: new Uint8Array(32).fill(4), network: networks.testnet }).address!,
      payments.p2tr({ internalPubkey: pub.subarray(1), network: networks.testnet }).address!,
    ]
    for (const a of addresses) {
      const script = addressToScript(a, params)
      expect(toHex(script)).toBe(toHex(btcAddress.toOutputScript(a, networks.testnet)))
      expect(scriptToAddress(script, params)).toBe(a)
    }
    expect(toHex(addressToScript(addresses[2]!.toUpperCase(), params))).toBe(toHex(addressToScript(addresses[2]!, params)))
    expect(scriptToAddress(Uint8Array.of(0x6a, 0x01, 0x00), params)).toBeUndefined()
  })

  it('refuses an address of another network, saying which network it looks like', () => {
    const mainnet = keyAddress('bitcoin-secp256k1', pub, bitcoinNetworkParams('mainnet'))
    const e = catching(() => addressToScript(mainnet, bitcoinNetworkParams('signet')))
    expect(e.code).toBe('INVALID_ADDRESS')
    expect(e.shortMessage).toBe('The address is for another Bitcoin network.')
    expect(e.details).toBe(`expected a signet address (bech32 prefix "tb1", or base58), got "${mainnet}" (it looks like a mainnet address)`)
    expect(e.meta.addressNetworks).toEqual(['mainnet'])
    const testnet = keyAddress('schnorr-secp256k1', pub, bitcoinNetworkParams('testnet4'))
    expect(catching(() => addressToScript(testnet, bitcoinNetworkParams('mainnet'))).details).toContain('testnet4 / signet / testnet')
    expect(catching(() => addressToScript(testnet, bitcoinNetworkParams('regtest', { hrp: 'rb' }))).code).toBe('INVALID_ADDRESS')
    const legacyMain = payments.p2pkh({ pubkey: pub }).address!
    expect(catching(() => addressToScript(legacyMain, bitcoinNetworkParams('regtest'))).details).toContain('looks like a mainnet address')
    // bad checksums and garbage are plainly invalid
    const broken = `${testnet.slice(0, -1)}${testnet.endsWith('q') ? 'p' : 'q'}`
    expect(catching(() => addressToScript(broken, bitcoinNetworkParams('testnet4'))).code).toBe('INVALID_ADDRESS')
    expect(catching(() => addressToScript('hello', bitcoinNetworkParams('testnet4'))).shortMessage).toBe('Invalid Bitcoin address.')
  })
})
