/**
 * `@zrkit/core/internal`: helpers that zrkit's own packages (`@zrkit/mpc`, the `@zrkit/relayer-*`
 * packages, the repository's tests) share with core: the ledger's canonical encoding, its signature and
 * payload checks, digests, wire numbers and the relayers' option split.
 *
 * **For zrkit's own packages. No stability promise: any name here may change or disappear in any
 * release, patch releases included.** Applications, keyring authors and relayer authors use the public
 * entry, `@zrkit/core`, which is what the READMEs teach.
 *
 * @example
 * ```ts
 * import { canonicalStringify, signatureProblem } from '@zrkit/core/internal'
 * ```
 * @packageDocumentation
 */
// Encoding
export { concatBytes, equalBytes } from './encoding/bytes.js'
export { canonicalBytes, canonicalMaxDepth, canonicalParse, canonicalStringify } from './encoding/canonical.js'
// Ledger
export { matchesEventFilter } from './ledger/events.js'
export { partyResponseBytes, partyResponseDigest, txSignBytes, txSignDigest, verifyAccountSignature, type PartyResponseSubject } from './ledger/tx.js'
export { ed25519Verifier, nativeCryptoAvailable, nativeSha512, nativeSha512Stream, nodeCrypto, verifyEd25519, verifySecp256k1Sha256, type NativeJwk, type NodeCrypto, type Sha512Stream } from './crypto/nativeCrypto.js'
export { schnorrVerifier, verifySchnorr } from './crypto/schnorrVerifier.js'
export { xchachaOpen, xchachaSeal } from './crypto/xchacha20poly1305.js'
export { keyTypeNumbers } from './ledger/types.js'
export { checkPayloads, checkPublicKey, signatureProblem } from './ledger/treasury/schemes.js'
// Derivation: applying a tweak to a secret (keyrings use `signWithSecret`)
export { tweakSecret } from './derivation/deriveKey.js'
export { applySigningKey } from './derivation/signingKey.js'
// Relayers
export { relayOptionKeys, splitRelayOptions } from './relayer/splitRelayOptions.js'
export { remember } from './cache/remember.js'
export { checkRequestKind, ledgerDecoders, requestTransactionOrPayloads, type RequestKind } from './relayer/requestTransactionOrPayloads.js'
// Metrics: how every zrkit server answers GET /metrics
export { answerMetrics } from './metrics/answerMetrics.js'
