import { describeValue } from '../errors/describeValue.js'
import { ZrError } from '../errors/ZrError.js'
import type { KeyType } from '../ledger/types.js'

/**
 * A Bitcoin network. `testnet`, `testnet4` and `signet` share the `tb` address prefix; `regtest` uses
 * `bcrt` (Bitcoin Core).
 *
 * @example
 * ```ts
 * import { type BitcoinNetwork, p2wpkhAddress } from '@zrkit/core'
 * const network: BitcoinNetwork = 'signet'
 * p2wpkhAddress(key.publicKey, { network }) // 'tb1q...'
 * ```
 */
export type BitcoinNetwork = 'mainnet' | 'testnet' | 'testnet4' | 'signet' | 'regtest'

/**
 * A kind of address a key can have. zrkit derives every one of them from the key's public key alone.
 *
 * - `evm`: EIP-55 checksummed `0x...` address (Ethereum and other EVM chains).
 * - `native`: bech32 of ripemd160(sha256(key)); `prefix` defaults to `zen`, any bech32 HRP works
 *   (`cosmos`, `osmo`, ...).
 * - `bitcoin`: P2WPKH (segwit v0, bech32); `network` defaults to `mainnet`; `hrp` overrides the prefix the
 *   network implies (e.g. `rb` for bcoin regtest).
 * - `bitcoin-taproot`: P2TR key path with no script tree (BIP86 output key), segwit v1, bech32m.
 * - `solana`: base58 of the ed25519 key.
 * - `zcash`: transparent P2PKH (`t1...` on mainnet, `tm...` on testnet).
 *
 * @example
 * ```ts
 * import type { WalletType } from '@zrkit/core'
 * const wallets: WalletType[] = [{ type: 'evm' }, { type: 'bitcoin', network: 'testnet' }, { type: 'native', prefix: 'cosmos' }]
 * ```
 */
export type WalletType =
  | { type: 'evm' }
  | { type: 'native'; prefix?: string }
  | { type: 'bitcoin'; network?: BitcoinNetwork; hrp?: string }
  | { type: 'bitcoin-taproot'; network?: BitcoinNetwork; hrp?: string }
  | { type: 'solana' }
  | { type: 'zcash'; network?: 'mainnet' | 'testnet' }

/**
 * The `type` tag of a {@link WalletType}.
 *
 * @example
 * ```ts
 * import { type WalletTypeName, walletKeyTypes } from '@zrkit/core'
 * const name: WalletTypeName = 'solana'
 * walletKeyTypes(name) // ['eddsa-ed25519']
 * ```
 */
export type WalletTypeName = WalletType['type']

/**
 * Every wallet type tag zrkit knows.
 *
 * @example
 * ```ts
 * import { walletTypeNames } from '@zrkit/core'
 * walletTypeNames.includes('solana') // true
 * ```
 */
export const walletTypeNames: readonly WalletTypeName[] = ['evm', 'native', 'bitcoin', 'bitcoin-taproot', 'solana', 'zcash']

/**
 * zrChain's `WalletType` enum numbers. zrkit's `bitcoin-taproot` and non-`zen` native prefixes have no
 * number there.
 *
 * @example
 * ```ts
 * import { walletTypeNumbers, walletTypeFromNumber } from '@zrkit/core'
 * walletTypeFromNumber(walletTypeNumbers.BTC_MAINNET) // { type: 'bitcoin', network: 'mainnet' }
 * ```
 */
export const walletTypeNumbers = {
  NATIVE: 1,
  EVM: 2,
  BTC_TESTNET: 3,
  BTC_MAINNET: 4,
  BTC_REGNET: 5,
  SOLANA: 6,
  ZCASH_MAINNET: 7,
  ZCASH_TESTNET: 8,
} as const

const walletsByNumber: Readonly<Record<number, WalletType>> = {
  1: { type: 'native' },
  2: { type: 'evm' },
  3: { type: 'bitcoin', network: 'testnet' },
  4: { type: 'bitcoin', network: 'mainnet' },
  5: { type: 'bitcoin', network: 'regtest' },
  6: { type: 'solana' },
  7: { type: 'zcash', network: 'mainnet' },
  8: { type: 'zcash', network: 'testnet' },
}

/**
 * The wallet type of a zrChain `WalletType` enum number (1..8). Throws `UNSUPPORTED_WALLET_TYPE` for
 * any other value (0 is zrChain's "unspecified").
 *
 * @example
 * ```ts
 * import { walletTypeFromNumber } from '@zrkit/core'
 * walletTypeFromNumber(2) // { type: 'evm' }
 * walletTypeFromNumber(8) // { type: 'zcash', network: 'testnet' }
 * ```
 */
export function walletTypeFromNumber(n: number): WalletType {
  const wallet = Number.isInteger(n) && Object.hasOwn(walletsByNumber, n) ? walletsByNumber[n] : undefined
  if (!wallet) {
    throw new ZrError('UNSUPPORTED_WALLET_TYPE', 'Unsupported wallet type.', {
      details: `expected a zrChain WalletType number 1..8, got ${describeValue(n)}`,
    })
  }
  return { ...wallet }
}

/**
 * The zrChain `WalletType` number of a wallet type, or `undefined` when zrChain has none for it
 * (taproot, native prefixes other than `zen`, Bitcoin `testnet4`/`signet`, custom HRPs). Throws
 * `UNSUPPORTED_WALLET_TYPE` for a value that is not a wallet type.
 *
 * @example
 * ```ts
 * import { walletTypeToNumber } from '@zrkit/core'
 * walletTypeToNumber({ type: 'bitcoin', network: 'regtest' }) // 5
 * walletTypeToNumber({ type: 'bitcoin-taproot' }) // undefined
 * ```
 */
export function walletTypeToNumber(wallet: WalletType): number | undefined {
  walletTypeName(wallet)
  switch (wallet.type) {
    case 'native':
      return wallet.prefix === undefined || wallet.prefix === 'zen' ? walletTypeNumbers.NATIVE : undefined
    case 'evm':
      return walletTypeNumbers.EVM
    case 'bitcoin': {
      if (wallet.hrp !== undefined) return undefined
      const network = wallet.network ?? 'mainnet'
      if (network === 'mainnet') return walletTypeNumbers.BTC_MAINNET
      if (network === 'testnet') return walletTypeNumbers.BTC_TESTNET
      if (network === 'regtest') return walletTypeNumbers.BTC_REGNET
      return undefined
    }
    case 'solana':
      return walletTypeNumbers.SOLANA
    case 'zcash':
      return (wallet.network ?? 'mainnet') === 'mainnet' ? walletTypeNumbers.ZCASH_MAINNET : walletTypeNumbers.ZCASH_TESTNET
    default:
      return undefined
  }
}

const bitcoinHrps: Readonly<Record<BitcoinNetwork, string>> = {
  mainnet: 'bc',
  testnet: 'tb',
  testnet4: 'tb',
  signet: 'tb',
  regtest: 'bcrt',
}

/**
 * The bech32 prefix of segwit addresses on a Bitcoin network: `bc` (mainnet), `tb` (testnet, testnet4,
 * signet) or `bcrt` (regtest). Throws `INVALID_INPUT` for an unknown network.
 *
 * @example
 * ```ts
 * import { bitcoinHrp } from '@zrkit/core'
 * bitcoinHrp('signet') // 'tb'
 * ```
 */
export function bitcoinHrp(network: BitcoinNetwork): string {
  const hrp = typeof network === 'string' && Object.hasOwn(bitcoinHrps, network) ? bitcoinHrps[network] : undefined
  if (hrp === undefined) {
    throw new ZrError('INVALID_INPUT', 'Unknown Bitcoin network.', {
      details: `expected one of ${Object.keys(bitcoinHrps).join(', ')}, got ${describeValue(network)}`,
    })
  }
  return hrp
}

/**
 * Throws `INVALID_INPUT` unless `hrp` is a usable bech32 human-readable part: 1..83 printable ASCII
 * characters (33..126), no upper case. Used by zrkit's address functions for caller-given prefixes.
 *
 * @example
 * ```ts
 * assertHrp('osmo', 'native prefix') // 'osmo'
 * ```
 */
export function assertHrp(hrp: unknown, what = 'bech32 prefix'): string {
  if (typeof hrp !== 'string' || !/^[\x21-\x7e]{1,83}$/.test(hrp) || hrp !== hrp.toLowerCase()) {
    throw new ZrError('INVALID_INPUT', `Invalid ${what}.`, {
      details: `expected 1..83 lower-case printable ASCII characters, got ${describeValue(hrp)}`,
    })
  }
  return hrp
}

type KeyFit = { readonly keyTypes: readonly KeyType[]; readonly description: string }

const ecdsaFit: KeyFit = { keyTypes: ['ecdsa-secp256k1', 'bitcoin-secp256k1'], description: 'an ECDSA secp256k1 key' }

const keyFits: Readonly<Record<WalletTypeName, KeyFit>> = {
  evm: ecdsaFit,
  native: ecdsaFit,
  bitcoin: ecdsaFit,
  zcash: ecdsaFit,
  'bitcoin-taproot': { keyTypes: ['schnorr-secp256k1'], description: 'a BIP340 Schnorr secp256k1 key' },
  solana: { keyTypes: ['eddsa-ed25519'], description: 'an EdDSA ed25519 key' },
}

/**
 * The key types whose keys can have addresses of a wallet type: ECDSA secp256k1 keys
 * (`ecdsa-secp256k1`, `bitcoin-secp256k1`) for `evm`, `native`, `bitcoin` and `zcash`;
 * `schnorr-secp256k1` for `bitcoin-taproot`; `eddsa-ed25519` for `solana`.
 *
 * @example
 * ```ts
 * import { walletKeyTypes } from '@zrkit/core'
 * walletKeyTypes('bitcoin-taproot') // ['schnorr-secp256k1']
 * ```
 */
export function walletKeyTypes(type: WalletTypeName): readonly KeyType[] {
  const fit = typeof type === 'string' && Object.hasOwn(keyFits, type) ? keyFits[type] : undefined
  if (!fit) throw unknownWalletType(type)
  return fit.keyTypes
}

/**
 * Throws `UNSUPPORTED_WALLET_TYPE` unless `wallet` is a known wallet type and `keyType` fits it (see
 * {@link walletKeyTypes}). The details name the expected and the given key type.
 *
 * @example
 * ```ts
 * import { assertKeyTypeFitsWallet } from '@zrkit/core'
 * assertKeyTypeFitsWallet('eddsa-ed25519', { type: 'evm' })
 * // throws: expected an ECDSA secp256k1 key (ecdsa-secp256k1 or bitcoin-secp256k1) for evm addresses, got eddsa-ed25519
 * ```
 */
export function assertKeyTypeFitsWallet(keyType: KeyType, wallet: WalletType): void {
  const type = walletTypeName(wallet)
  const fit = keyFits[type]
  if (!fit.keyTypes.includes(keyType)) {
    const got = typeof keyType === 'string' ? keyType : describeValue(keyType)
    throw new ZrError('UNSUPPORTED_WALLET_TYPE', `Key type ${got} has no ${type} addresses.`, {
      details: `expected ${fit.description} (${fit.keyTypes.join(' or ')}) for ${type} addresses, got ${got}`,
      context: { walletType: type, keyType: got, expected: fit.keyTypes },
    })
  }
}

/**
 * The `type` of a wallet type object; throws `UNSUPPORTED_WALLET_TYPE` when it is not one zrkit knows.
 *
 * @example
 * ```ts
 * import { walletTypeName } from '@zrkit/core'
 * walletTypeName({ type: 'solana' }) // 'solana'
 * walletTypeName({ type: 'tron' }) // throws UNSUPPORTED_WALLET_TYPE
 * ```
 */
export function walletTypeName(wallet: unknown): WalletTypeName {
  const type = typeof wallet === 'object' && wallet !== null ? (wallet as { type?: unknown }).type : undefined
  if (typeof type !== 'string' || !(walletTypeNames as readonly string[]).includes(type)) throw unknownWalletType(wallet)
  return type as WalletTypeName
}

function unknownWalletType(wallet: unknown): ZrError {
  let shown: string
  try {
    shown = JSON.stringify(wallet) ?? describeValue(wallet)
  } catch {
    shown = describeValue(wallet)
  }
  if (shown.length > 120) shown = `${shown.slice(0, 120)}...`
  return new ZrError('UNSUPPORTED_WALLET_TYPE', 'Unsupported wallet type.', {
    details: `expected a wallet type with type ${walletTypeNames.join(', ')}, got ${shown}`,
  })
}
