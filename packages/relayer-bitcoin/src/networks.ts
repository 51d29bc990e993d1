import { type BitcoinNetwork, ZrError, bitcoinHrp } from '@zrkit/core'
import { type Network, networks } from 'bitcoinjs-lib'

/**
 * A Bitcoin network as the relayer uses it: bitcoinjs-lib's parameters (address prefixes), the bech32
 * prefix of segwit addresses, the genesis block hash that identifies the chain, and the chain id in
 * CAIP-2 form (`bip122:` and the first 32 hex digits of the genesis hash).
 */
export type BitcoinNetworkParams = {
  readonly name: BitcoinNetwork
  /** bitcoinjs-lib's network parameters, with `bech32` set to {@link BitcoinNetworkParams.hrp}. */
  readonly network: Network
  /** The bech32 prefix of the network's segwit addresses (`bc`, `tb`, `bcrt`, or an override such as bcoin's `rb`). */
  readonly hrp: string
  /** The genesis block hash, in the byte order nodes and explorers show (`000000000019d6...` on mainnet). */
  readonly genesisHash: string
  /** CAIP-2 chain id: `bip122:000000000019d6689c085ae165831e93` on mainnet. */
  readonly chain: string
}

/** Options of {@link bitcoinNetworkParams}. */
export type BitcoinNetworkOptions = {
  /** A bech32 prefix that replaces the network's own (bcoin's regtest uses `rb`). Base58 prefixes stay the network's. */
  hrp?: string
  /** The genesis block hash of a custom chain (a private signet); the default is the public network's. */
  genesisHash?: string
}

const genesisHashes: Readonly<Record<BitcoinNetwork, string>> = {
  mainnet: '000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f',
  testnet: '000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943',
  testnet4: '00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043',
  signet: '00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6',
  regtest: '0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206',
}

/**
 * The networks the relayer knows, in the order errors list them.
 *
 * @example
 * ```ts
 * import { bitcoinNetworkNames } from '@zrkit/relayer-bitcoin'
 * bitcoinNetworkNames.includes('signet') // true
 * ```
 */
export const bitcoinNetworkNames: readonly BitcoinNetwork[] = Object.freeze(['mainnet', 'testnet4', 'signet', 'regtest', 'testnet'] as const)

/**
 * The parameters of a Bitcoin network: `mainnet`, `testnet4`, `signet`, `regtest` (and the older
 * `testnet`, testnet3). Testnet4 and signet share testnet's address prefixes (`tb1...`, `m`/`n`/`2`);
 * regtest uses `bcrt1...` unless `hrp` says otherwise.
 *
 * @example
 * ```ts
 * import { bitcoinNetworkParams } from '@zrkit/relayer-bitcoin'
 *
 * bitcoinNetworkParams('testnet4').chain // 'bip122:00000000da84f2bafbbc53dee25a72ae'
 * bitcoinNetworkParams('regtest', { hrp: 'rb' }).hrp // 'rb' (a bcoin regtest node)
 * ```
 */
export function bitcoinNetworkParams(name: BitcoinNetwork, options: BitcoinNetworkOptions = {}): BitcoinNetworkParams {
  if (typeof name !== 'string' || !Object.hasOwn(genesisHashes, name)) {
    throw new ZrError('INVALID_INPUT', 'Unknown Bitcoin network.', { details: `expected one of ${bitcoinNetworkNames.join(', ')}, got ${JSON.stringify(name)}` })
  }
  const hrp = options.hrp ?? bitcoinHrp(name)
  if (typeof hrp !== 'string' || !/^[a-z0-9]{1,20}$/.test(hrp)) {
    throw new ZrError('INVALID_INPUT', 'Invalid bech32 prefix.', { details: `expected 1..20 lower-case letters and digits, got ${JSON.stringify(hrp)}` })
  }
  const genesisHash = options.genesisHash ?? genesisHashes[name]
  if (typeof genesisHash !== 'string' || !/^[0-9a-f]{64}$/.test(genesisHash)) {
    throw new ZrError('INVALID_INPUT', 'Invalid genesis block hash.', { details: `expected 64 lower-case hex digits, got ${JSON.stringify(genesisHash)}` })
  }
  const base = name === 'mainnet' ? networks.bitcoin : name === 'regtest' ? networks.regtest : networks.testnet
  return Object.freeze({
    name,
    network: Object.freeze({ ...base, bech32: hrp }),
    hrp,
    genesisHash,
    chain: `bip122:${genesisHash.slice(0, 32)}`,
  })
}

/** The networks an address could belong to, by its bech32 prefix or base58 version: for error messages. */
export function networksOfAddress(address: string): string[] {
  const lower = address.toLowerCase()
  const sep = lower.lastIndexOf('1')
  if (sep > 0) {
    const hrp = lower.slice(0, sep)
    if (hrp === 'bc') return ['mainnet']
    if (hrp === 'tb') return ['testnet4', 'signet', 'testnet']
    if (hrp === 'bcrt') return ['regtest']
    if (hrp === 'rb') return ['regtest (bcoin)']
  }
  const first = address[0]
  if (first === '1' || first === '3') return ['mainnet']
  if (first === 'm' || first === 'n' || first === '2') return ['testnet4', 'signet', 'testnet', 'regtest']
  return []
}
