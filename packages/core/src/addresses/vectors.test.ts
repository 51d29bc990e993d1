import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { bech32, bech32m } from '@scure/base'
import { HDKey } from '@scure/bip32'
import bs58check from 'bs58check'
import { describe, expect, it } from 'vitest'
import { isZrError } from '../errors/ZrError.js'
import {
  decodeSegwitAddress,
  deriveAddress,
  encodeSegwitAddress,
  p2trAddress,
  p2wpkhAddress,
  taprootOutputKey,
  toChecksumAddress,
  zcashTransparentAddress,
} from './index.js'

/** scriptPubKey of a witness program: OP_n (0x00, or 0x50 + n) then a push of the program. */
function scriptPubKeyHex(version: number, program: Uint8Array): string {
  return bytesToHex(Uint8Array.of(version === 0 ? 0 : 0x50 + version, program.length, ...program))
}

describe('EIP-55 mixed-case checksum addresses', () => {
  // EIP-55 "Test Cases": all caps, all lower, and normal (mixed-case) addresses.
  const eip55 = [
    '0x52908400098527886E0F7030069857D2E4169EE7',
    '0x8617E340B3D01FA5F11F306F4090FD50E238070D',
    '0xde709f2102306220921060314715629080e2fb77',
    '0x27b1fdb04752bbc536007a920d24acb045561c26',
    '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
    '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359',
    '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB',
    '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb',
  ]
  for (const address of eip55) {
    it(`toChecksumAddress(lower-cased ${address}) gives it back`, () => {
      expect(toChecksumAddress(address.toLowerCase())).toBe(address)
      expect(toChecksumAddress(`0x${address.slice(2).toUpperCase()}`)).toBe(address)
    })
  }
})

describe('BIP173 P2WPKH examples', () => {
  // BIP173 "Examples": all examples use this public key (the secp256k1 generator G).
  const pubkey = hexToBytes('0279BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798')

  it('mainnet P2WPKH is bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', () => {
    expect(p2wpkhAddress(pubkey)).toBe('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4')
    expect(deriveAddress({ keyType: 'bitcoin-secp256k1', publicKey: pubkey }, { type: 'bitcoin', network: 'mainnet' })).toBe('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4')
  })

  it('testnet P2WPKH is tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx', () => {
    expect(p2wpkhAddress(pubkey, { network: 'testnet' })).toBe('tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx')
    expect(deriveAddress({ keyType: 'ecdsa-secp256k1', publicKey: pubkey }, { type: 'bitcoin', network: 'testnet' })).toBe('tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx')
  })

  it('P2WSH examples (script: key OP_CHECKSIG) encode through encodeSegwitAddress', () => {
    const program = sha256(Uint8Array.of(0x21, ...pubkey, 0xac))
    expect(encodeSegwitAddress('bc', 0, program)).toBe('bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3')
    expect(encodeSegwitAddress('tb', 0, program)).toBe('tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7')
  })

  it('the mainnet P2WPKH address decodes to witness v0 + hash160(pubkey) and re-encodes identically', () => {
    const decoded = decodeSegwitAddress('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', 'bc')
    expect(decoded.version).toBe(0)
    expect(bytesToHex(decoded.program)).toBe('751e76e8199196d454941c45d1b3a323f1433bd6')
    expect(encodeSegwitAddress(decoded.hrp, decoded.version, decoded.program)).toBe('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4')
  })
})

describe('BIP350 segwit address test vectors', () => {
  // BIP350 "Test vectors for v0-v16 native segregated witness addresses": valid addresses and their scriptPubKeys.
  const valid: [string, string][] = [
    ['BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4', '0014751e76e8199196d454941c45d1b3a323f1433bd6'],
    ['tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7', '00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262'],
    ['bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y', '5128751e76e8199196d454941c45d1b3a323f1433bd6751e76e8199196d454941c45d1b3a323f1433bd6'],
    ['BC1SW50QGDZ25J', '6002751e'],
    ['bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs', '5210751e76e8199196d454941c45d1b3a323'],
    ['tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy', '0020000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433'],
    ['tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c', '5120000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433'],
    ['bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0', '512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798'],
  ]
  for (const [address, script] of valid) {
    it(`${address} decodes to scriptPubKey ${script} and re-encodes (lower case)`, () => {
      const { hrp, version, program } = decodeSegwitAddress(address)
      expect(scriptPubKeyHex(version, program)).toBe(script)
      expect(encodeSegwitAddress(hrp, version, program)).toBe(address.toLowerCase())
    })
  }

  it('the v1 address bc1p0xlx... round-trips through @scure/base bech32m and decodeSegwitAddress', () => {
    const address = 'bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0'
    const { prefix, words } = bech32m.decode(address)
    expect(prefix).toBe('bc')
    expect(words[0]).toBe(1)
    const program = bech32m.fromWords(words.slice(1))
    expect(bytesToHex(program)).toBe('79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798')
    expect(bech32m.encode(prefix, [1, ...bech32m.toWords(program)])).toBe(address)
    const ours = decodeSegwitAddress(address, 'bc')
    expect(ours.version).toBe(1)
    expect(bytesToHex(ours.program)).toBe(bytesToHex(program))
    expect(encodeSegwitAddress('bc', 1, program)).toBe(address)
    // The same data with a bech32 (not bech32m) checksum is the BIP350 invalid vector below.
    expect(bech32.encode('bc', words)).toBe('bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd')
  })

  // BIP350 invalid segwit addresses, each with its reason.
  const invalid: [string, string, RegExp][] = [
    ['tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut', 'Invalid human-readable part', /expected prefix "bc", got "tc"/],
    ['bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd', 'Invalid checksum (Bech32 instead of Bech32m)', /needs a bech32m checksum, got bech32 /],
    ['tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf', 'Invalid checksum (Bech32 instead of Bech32m)', /needs a bech32m checksum, got bech32 /],
    ['BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL', 'Invalid checksum (Bech32 instead of Bech32m)', /needs a bech32m checksum, got bech32 /],
    ['bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh', 'Invalid checksum (Bech32m instead of Bech32)', /witness version 0 needs a bech32 checksum, got bech32m/],
    ['tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47', 'Invalid checksum (Bech32m instead of Bech32)', /witness version 0 needs a bech32 checksum, got bech32m/],
    ['bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4', 'Invalid character in checksum', /not a valid bech32 or bech32m string/],
    ['BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R', 'Invalid witness version', /witness version 17 is not 0\.\.16/],
    ['bc1pw5dgrnzv', 'Invalid program length (1 byte)', /2\.\.40-byte program, got 1 bytes/],
    ['bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav', 'Invalid program length (41 bytes)', /2\.\.40-byte program, got 41 bytes/],
    ['BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P', 'Invalid program length for witness version 0 (per BIP141)', /20- or 32-byte program for witness version 0, got 16 bytes/],
    ['tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq', 'Mixed case', /not a valid bech32 or bech32m string/],
    ['bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf', 'zero padding of more than 4 bits', /bad padding/],
    ['tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j', 'Non-zero padding in 8-to-5 conversion', /bad padding/],
    ['bc1gmk9yu', 'Empty data section', /empty data part/],
  ]
  for (const [address, reason, details] of invalid) {
    it(`${address} is refused (${reason})`, () => {
      let caught: unknown
      try {
        // The prefix is only checked against an expected one: the network the address claims.
        decodeSegwitAddress(address, address.toLowerCase().startsWith('tb') ? 'tb' : 'bc')
      } catch (e) {
        caught = e
      }
      expect(isZrError(caught, 'INVALID_ADDRESS')).toBe(true)
      expect((caught as { details?: string }).details).toMatch(details)
    })
  }
})

describe('BIP86 test vectors (mnemonic "abandon ... about")', () => {
  // BIP86 "Test vectors": the account-0 keys m/86'/0'/0'/0/0, m/86'/0'/0'/0/1 and m/86'/0'/0'/1/0.
  const vectors = [
    {
      path: "m/86'/0'/0'/0/0",
      xprv: 'xprvA449goEeU9okwCzzZaxiy475EQGQzBkc65su82nXEvcwzfSskb2hAt2WymrjyRL6kpbVTGL3cKtp9herYXSjjQ1j4stsXXiRF7kXkCacK3T',
      internalKey: 'cc8a4bc64d897bddc5fbc2f670f7a8ba0b386779106cf1223c6fc5d7cd6fc115',
      outputKey: 'a60869f0dbcf1dc659c9cecbaf8050135ea9e8cdc487053f1dc6880949dc684c',
      scriptPubKey: '5120a60869f0dbcf1dc659c9cecbaf8050135ea9e8cdc487053f1dc6880949dc684c',
      address: 'bc1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr',
    },
    {
      path: "m/86'/0'/0'/0/1",
      xprv: 'xprvA449goEeU9okyiF1LmKiDaTgeXvmh87DVyRd35VPbsSop8n8uALpbtrUhUXByPFKK7C2yuqrB1FrhiDkEMC4RGmA5KTwsE1aB5jRu9zHsuQ',
      internalKey: '83dfe85a3151d2517290da461fe2815591ef69f2b18a2ce63f01697a8b313145',
      outputKey: 'a82f29944d65b86ae6b5e5cc75e294ead6c59391a1edc5e016e3498c67fc7bbb',
      scriptPubKey: '5120a82f29944d65b86ae6b5e5cc75e294ead6c59391a1edc5e016e3498c67fc7bbb',
      address: 'bc1p4qhjn9zdvkux4e44uhx8tc55attvtyu358kutcqkudyccelu0was9fqzwh',
    },
    {
      path: "m/86'/0'/0'/1/0",
      xprv: 'xprvA3Ln3Gt3aphvUgzgEDT8vE2cYqb4PjFfpmbiFKphxLg1FjXQpkAk5M1ZKDY15bmCAHA35jTiawbFuwGtbDZogKF1WfjwxML4gK7WfYW5JRP',
      internalKey: '399f1b2f4393f29a18c937859c5dd8a77350103157eb880f02e8c08214277cef',
      outputKey: '882d74e5d0572d5a816cef0041a96b6c1de832f6f9676d9605c44d5e9a97d3dc',
      scriptPubKey: '5120882d74e5d0572d5a816cef0041a96b6c1de832f6f9676d9605c44d5e9a97d3dc',
      address: 'bc1p3qkhfews2uk44qtvauqyr2ttdsw7svhkl9nkm9s9c3x4ax5h60wqwruhk7',
    },
  ]
  // BIP86 account 0 root m/86'/0'/0'.
  const accountXpub = 'xpub6BgBgsespWvERF3LHQu6CnqdvfEvtMcQjYrcRzx53QJjSxarj2afYWcLteoGVky7D3UKDP9QyrLprQ3VCECoY49yfdDEHGCtMMj92pReUsQ'

  for (const v of vectors) {
    it(`${v.path}: taprootOutputKey(internal_key) is output_key and p2trAddress is ${v.address}`, () => {
      const internal = hexToBytes(v.internalKey)
      const { outputKey } = taprootOutputKey(internal)
      expect(bytesToHex(outputKey)).toBe(v.outputKey)
      expect(scriptPubKeyHex(1, outputKey)).toBe(v.scriptPubKey)
      expect(p2trAddress(internal)).toBe(v.address)
      expect(bytesToHex(decodeSegwitAddress(v.address, 'bc').program)).toBe(v.outputKey)
    })

    it(`${v.path}: the vector's xprv gives a key whose x is internal_key and whose taproot address is ${v.address}`, () => {
      const key = HDKey.fromExtendedKey(v.xprv)
      const publicKey = key.publicKey as Uint8Array
      expect(bytesToHex(publicKey.subarray(1))).toBe(v.internalKey)
      expect(bytesToHex(publicKey)).toBe(bytesToHex(secp256k1.getPublicKey(key.privateKey as Uint8Array, true)))
      expect(p2trAddress(publicKey)).toBe(v.address)
      expect(deriveAddress({ keyType: 'schnorr-secp256k1', publicKey }, { type: 'bitcoin-taproot' })).toBe(v.address)
      const [change, index] = v.path.split('/').slice(-2).map(Number) as [number, number]
      const fromXpub = HDKey.fromExtendedKey(accountXpub).deriveChild(change).deriveChild(index)
      expect(bytesToHex(fromXpub.publicKey as Uint8Array)).toBe(bytesToHex(publicKey))
    })
  }
})

describe('Zcash transparent address vectors', () => {
  // ZIP 320 test vectors (zcash/zcash-test-vectors, test-vectors/json/zip_0320.json): seed 00 01 .. 1f,
  // key m/44'/133'/account'/0/index, t_addr = base58check(1cb8 || p2pkh_bytes).
  const zip320: [string, string, number, number][] = [
    ['t1V9mnyk5Z5cTNMCkLbaDwSskgJZucTLdgW', '7bb83570b8fae146e03c5331a020b1e0892f631d', 0, 0],
    ['t1LZdE42PAt1wREUv1YMYRFwJDPHPW8toLL', '1d81e86791c72d292f906e7c039a729e4b1ff7fc', 0, 1],
    ['t1M5AgJw56FNFRBNGtzAGX4AHfQh7ZCxd4w', '231839e305c0a02ed681406faf222585f6623904', 0, 2],
    ['t1bh6KjXccz6Ed45vFc3GeqoxWbwPxe8w2n', 'c3755398b8b77f633fca7ccbda900831478979c9', 1, 0],
    ['t1WvCtHojWHSHBdDtCFgorUN1TzUFV8sCth', '8f17950e22b08886ac4832e22e24f2e8f3cb6b21', 1, 1],
    ['t1U2MF7f81qrXkWouT3Xt4hLDAMjC9LniTK', '6f58adaf02bb48e6b398a442a2b294589e041620', 1, 2],
    ['t1awMYfhispKsnJPHn7jgUxNnVW1DTpTJx9', 'bb2fbb540f0f7e434636680eaea2eefe375a7591', 2, 0],
    ['t1Kgn7v5a2rKkxC24LoXNyHRn4q4Gs3KEEF', '13e41e47448122cad13c5c7f5bd31c77639a9f99', 2, 1],
    ['t1c1ixUTuStCzo19qPg89U9XFYmWDLru9mt', 'c6fb64d8757e5c85b230a3358711697ae6540b44', 2, 2],
    ['t1WBxR5jNWgg4Cqeot3FvNkBb9ztYyjVELp', '871a089d446268aa7ac03d2a6f60ae70808f3974', 3, 0],
    ['t1VEuDXP1QocoNaxrq4gZArTqqKCZdrwjG7', '7cb07c31b58040ac7cc12bfaaa138cfbefb38457', 3, 1],
    ['t1PXVM8oR6qVrVjtcnU1iNmH2CfvZyBai8u', '3e02e08b5965fce9c20ce6de6f9407674d01ba02', 3, 2],
    ['t1M3p1MgJCgjq4FMogS84kVvuszJbxPnpSM', '22d68debb3928da4046370d25ed2bbe8d5e985d0', 4, 0],
    ['t1aqnebXhA45WpgQHLiXTPU1Kk6rp8vVDDr', 'ba2230b41fdc81714328231f40ab73feb52645a4', 4, 1],
    ['t1UG6FVxexmJRFXG4gvEmSF9HSTwHMFaSDT', '71f1fc6fd69370f23611536b3b64e7df1cebef69', 4, 2],
  ]
  const root = HDKey.fromMasterSeed(Uint8Array.from({ length: 32 }, (_, i) => i))

  it('ZIP 320: all 15 transparent addresses derive exactly from their BIP44 keys', () => {
    for (const [tAddr, p2pkh, account, index] of zip320) {
      const publicKey = root.derive(`m/44'/133'/${account}'/0/${index}`).publicKey as Uint8Array
      expect(zcashTransparentAddress(publicKey)).toBe(tAddr)
      expect(deriveAddress({ keyType: 'bitcoin-secp256k1', publicKey }, { type: 'zcash', network: 'mainnet' })).toBe(tAddr)
      expect(bytesToHex(bs58check.decode(tAddr))).toBe(`1cb8${p2pkh}`)
    }
  })

  it('ZIP 320 keys on testnet: same hash160 under the tm prefix (1d25)', () => {
    for (const [, p2pkh, account, index] of zip320) {
      const publicKey = root.derive(`m/44'/133'/${account}'/0/${index}`).publicKey as Uint8Array
      const address = zcashTransparentAddress(publicKey, { network: 'testnet' })
      expect(address.startsWith('tm')).toBe(true)
      expect(bytesToHex(bs58check.decode(address))).toBe(`1d25${p2pkh}`)
    }
  })

  // Brave Wallet's ZCashUtilsUnitTest.PubkeyToTransparentAddress (mainnet, compressed keys).
  const brave: [string, string][] = [
    ['0248e93db0ad3e748f02688fdbbad77aafdf0cf2dfb9c7d6db42808cc7e5603d9a', 't1MmQ8PGfRygwhSK6qyianhMtb5tixuK8ZS'],
    ['035df6f58fd110b989eaa28659ea5c4cab33545d313061f713a9d726c24eb83430', 't1PycYmkim4L4PQyipovyHyAmiCS8z7Xwxq'],
    ['02c45d998fedfdad735c064f860d99c79b80620c04d7d3dbf0307c7cfe24567f84', 't1WU75sSfiPbK5ez33uuhEbd9ZD3XNCxMRj'],
    ['03b3d315d9599c38d91265ac67c60200dc5d87878217c6007c74d18459f43c64a2', 't1g2srkA6K4M6oVAaeuJdZMi4JRYev25G1J'],
    ['03b1d7fb28d17c125b504d06b1530097e0a3c76ada184237e3bc0925041230a5af', 't1PKtYdJJHhc3Pxowmznkg7vdTwnhEsCvR4'],
  ]
  for (const [pubkey, address] of brave) {
    it(`public key ${pubkey.slice(0, 10)}... gives ${address}`, () => {
      expect(zcashTransparentAddress(hexToBytes(pubkey))).toBe(address)
    })
  }

  it('Trust Wallet Core: private key 987919d9... gives t1RygJmrLdNGgi98gUgEJDTVaELTAYWoMBy', () => {
    const publicKey = secp256k1.getPublicKey(hexToBytes('987919d988ef94e678bce254c932e7a7a76744b2c008467448406d4246513132'), true)
    expect(zcashTransparentAddress(publicKey)).toBe('t1RygJmrLdNGgi98gUgEJDTVaELTAYWoMBy')
  })
})
