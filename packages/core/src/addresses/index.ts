export {
  type BitcoinNetwork,
  type WalletType,
  type WalletTypeName,
  assertKeyTypeFitsWallet,
  bitcoinHrp,
  walletKeyTypes,
  walletTypeFromNumber,
  walletTypeName,
  walletTypeNames,
  walletTypeNumbers,
  walletTypeToNumber,
} from './walletTypes.js'
export { publicKeyToEvmAddress, toChecksumAddress } from './evm.js'
export {
  type BitcoinAddressOptions,
  type TaprootOutputKey,
  decodeSegwitAddress,
  encodeSegwitAddress,
  p2trAddress,
  p2wpkhAddress,
  taggedHash,
  taprootOutputKey,
} from './bitcoin.js'
export { solanaAddress } from './solana.js'
export { type ZcashAddressOptions, type ZcashNetwork, zcashTransparentAddress } from './zcash.js'
export { type AddressKey, type DerivedAddress, deriveAddress, deriveAddresses } from './deriveAddress.js'
