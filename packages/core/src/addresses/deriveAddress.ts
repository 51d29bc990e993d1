import { publicKeyToAddress } from '../account/address.js'
import { ZrError } from '../errors/ZrError.js'
import type { KeyType } from '../ledger/types.js'
import { p2trAddress, p2wpkhAddress } from './bitcoin.js'
import { publicKeyToEvmAddress } from './evm.js'
import { solanaAddress } from './solana.js'
import { type WalletType, assertHrp, assertKeyTypeFitsWallet, walletTypeName } from './walletTypes.js'
import { zcashTransparentAddress } from './zcash.js'

/**
 * What address derivation needs of a key: its type and public key (a ledger `Key` record has both).
 *
 * @example
 * ```ts
 * import { type AddressKey, deriveAddress } from '@zrkit/core'
 * const key: AddressKey = { keyType: 'eddsa-ed25519', publicKey }
 * deriveAddress(key, { type: 'solana' })
 * ```
 */
export type AddressKey = { readonly keyType: KeyType; readonly publicKey: Uint8Array }

/**
 * One address of a key, with the wallet type it is for.
 *
 * @example
 * ```ts
 * import { type DerivedAddress, deriveAddresses } from '@zrkit/core'
 * const [first]: DerivedAddress[] = deriveAddresses(key, [{ type: 'evm' }])
 * first.address // '0x...'
 * ```
 */
export type DerivedAddress = { wallet: WalletType; address: string }

/**
 * The address of a key for one wallet type. Throws `UNSUPPORTED_WALLET_TYPE` for an unknown wallet
 * type or a key type that does not fit it (e.g. an ed25519 key for `evm`), `INVALID_PUBLIC_KEY` for
 * bad key bytes and `INVALID_INPUT` for bad wallet options (network, prefix).
 *
 * @example
 * ```ts
 * import { deriveAddress } from '@zrkit/core'
 * deriveAddress(key, { type: 'evm' }) // '0x...'
 * deriveAddress(key, { type: 'native', prefix: 'cosmos' }) // 'cosmos1...'
 * deriveAddress(schnorrKey, { type: 'bitcoin-taproot', network: 'testnet' }) // 'tb1p...'
 * ```
 */
export function deriveAddress(key: AddressKey, wallet: WalletType): string {
  const type = walletTypeName(wallet)
  if (typeof key !== 'object' || key === null) {
    throw new ZrError('INVALID_INPUT', 'Invalid key.', { details: `expected { keyType, publicKey }, got ${key === null ? 'null' : typeof key}` })
  }
  assertKeyTypeFitsWallet(key.keyType, wallet)
  const publicKey = key.publicKey
  if (!(publicKey instanceof Uint8Array)) {
    throw new ZrError('INVALID_PUBLIC_KEY', `Invalid ${key.keyType} public key.`, { details: `expected bytes, got ${typeof publicKey}` })
  }
  switch (type) {
    case 'evm':
      return publicKeyToEvmAddress(publicKey)
    case 'native': {
      const { prefix } = wallet as Extract<WalletType, { type: 'native' }>
      return publicKeyToAddress(publicKey, prefix === undefined ? undefined : assertHrp(prefix, 'native address prefix'))
    }
    case 'bitcoin': {
      const { network, hrp } = wallet as Extract<WalletType, { type: 'bitcoin' }>
      return p2wpkhAddress(publicKey, { network, hrp })
    }
    case 'bitcoin-taproot': {
      const { network, hrp } = wallet as Extract<WalletType, { type: 'bitcoin-taproot' }>
      return p2trAddress(publicKey, { network, hrp })
    }
    case 'solana':
      return solanaAddress(publicKey)
    case 'zcash': {
      const { network } = wallet as Extract<WalletType, { type: 'zcash' }>
      return zcashTransparentAddress(publicKey, { network })
    }
  }
}

/**
 * The addresses of a key for several wallet types, in the given order. Throws as {@link deriveAddress}
 * on the first wallet type that fails.
 *
 * @example
 * ```ts
 * import { deriveAddresses } from '@zrkit/core'
 * deriveAddresses(key, [{ type: 'evm' }, { type: 'bitcoin' }, { type: 'zcash' }])
 * // [{ wallet: { type: 'evm' }, address: '0x...' }, { wallet: { type: 'bitcoin' }, address: 'bc1q...' }, ...]
 * ```
 */
export function deriveAddresses(key: AddressKey, wallets: readonly WalletType[]): DerivedAddress[] {
  if (!Array.isArray(wallets)) {
    throw new ZrError('INVALID_INPUT', 'Invalid wallet types.', { details: `expected an array of wallet types, got ${typeof wallets}` })
  }
  return wallets.map((wallet) => ({ wallet, address: deriveAddress(key, wallet) }))
}
