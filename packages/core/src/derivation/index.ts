export { formatDerivationPath, parseDerivationPath, type DerivationPath, type DerivationSegment } from './derivationPath.js'
export { chainCodeOf, deriveKey, tweakSecret, type DerivedKey } from './deriveKey.js'
export { extendedPublicKey } from './extendedPublicKey.js'
export { applySigningKey, signingKey, type SigningKey, type TaprootSpend } from './signingKey.js'
