import { bitcoinHrp } from '@zrkit/core'
import { invalidTransaction } from './invalidTransaction.js'

/**
 * A network a request may name for the decoder; testnet3 and testnet4 are both `testnet` (same addresses).
 *
 * @example
 * ```ts
 * import type { BitcoinDecoderNetwork } from '@zrkit/relayer-bitcoin/decoder'
 * const network: BitcoinDecoderNetwork = 'signet'
 * ```
 */
export type BitcoinDecoderNetwork = 'mainnet' | 'testnet' | 'signet' | 'regtest'

/**
 * How a network writes addresses: the bech32 prefix of segwit ones, the base58 versions of P2PKH and P2SH.
 *
 * @example
 * ```ts
 * import type { BitcoinAddressFormat } from './decoderNetworks.js'
 * const mainnet: BitcoinAddressFormat = { name: 'mainnet', hrp: 'bc', p2pkh: 0x00, p2sh: 0x05 }
 * ```
 */
export type BitcoinAddressFormat = {
  readonly name: BitcoinDecoderNetwork
  readonly hrp: string
  readonly p2pkh: number
  readonly p2sh: number
}

/**
 * The networks the decoder knows, in the order errors list them.
 *
 * @example
 * ```ts
 * import { bitcoinDecoderNetworks } from './decoderNetworks.js'
 * bitcoinDecoderNetworks.includes('signet') // true
 * ```
 */
export const bitcoinDecoderNetworks: readonly BitcoinDecoderNetwork[] = Object.freeze(['mainnet', 'testnet', 'signet', 'regtest'] as const)

/**
 * The address format of the network a request names; `INVALID_TRANSACTION` for anything else (a
 * missing network, `testnet4`, a typo).
 *
 * @example
 * ```ts
 * import { addressFormatOf } from './decoderNetworks.js'
 * addressFormatOf('regtest') // { name: 'regtest', hrp: 'bcrt', p2pkh: 0x6f, p2sh: 0xc4 }
 * ```
 */
export function addressFormatOf(network: unknown): BitcoinAddressFormat {
  if (typeof network !== 'string' || !(bitcoinDecoderNetworks as readonly string[]).includes(network)) {
    const got = network === undefined ? 'none' : typeof network === 'string' ? JSON.stringify(network.slice(0, 40)) : typeof network
    const hint = network === 'testnet4' ? " (testnet4 is 'testnet': the same addresses)" : ''
    throw invalidTransaction(`network ${bitcoinDecoderNetworks.map((n) => `'${n}'`).join(' | ')}`, `${got}${hint}`, 'network')
  }
  const name = network as BitcoinDecoderNetwork
  return name === 'mainnet' ? { name, hrp: bitcoinHrp(name), p2pkh: 0x00, p2sh: 0x05 } : { name, hrp: bitcoinHrp(name), p2pkh: 0x6f, p2sh: 0xc4 }
}
