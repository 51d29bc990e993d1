/**
 * `@zrkit/mpc/internal`: the protocol primitives under the federation (FROST rounds and suites, DKLs23
 * key generation, pair setup and signing, the key-generation driver, the transport's digests and the
 * session frame codec), for zrkit's own packages, tests and benchmarks.
 *
 * **For zrkit's own packages. No stability promise: any name here may change or disappear in any
 * release, patch releases included.** Applications use the public entry, `@zrkit/mpc`
 * (`createFederation`, the party keyrings, `secureTransport`, `createSessionRouter`), which is what the
 * READMEs teach.
 *
 * @example
 * ```ts
 * import { frostSuite, runDkg, runSigning } from '@zrkit/mpc/internal'
 * ```
 * @packageDocumentation
 */
// Federation
export { runKeyGeneration, type RunKeyGenerationOptions } from './federation/keyGeneration.js'
// Threshold ECDSA (DKLs23)
export { runEcdsaDkg, type EcdsaDkgResult, type RunEcdsaDkgOptions } from './ecdsa/runEcdsaDkg.js'
export { runEcdsaSigning, type EcdsaSigningResult, type RunEcdsaSigningOptions } from './ecdsa/runEcdsaSigning.js'
export { PresignaturePool, checkPresignaturesPerSet, presignatureStoreName } from './ecdsa/presignaturePool.js'
export { EcdsaKeyState, type EcdsaKeyShare } from './ecdsa/ecdsaKey.js'
export { runPairSetup, type PairSetupRecord, type RunPairSetupOptions } from './ecdsa/pairSetup.js'
// FROST
export { frostSuite, type Frost, type FrostKey, type FrostSuite } from './frost/suites.js'
export { runDkg, type RunDkgOptions } from './frost/runDkg.js'
export { runSigning, type RunSigningOptions, type SigningResult } from './frost/runSigning.js'
export { tweakKey } from './frost/tweakKey.js'
export { aggregate, aggregateVerified, commit, prepareKey, prepareSigning, signShare, verifyShare, type AggregateResult, type PreparedKey, type PreparedSigning } from './frost/signingPackage.js'
// Transport
export { announcementDigest, broadcastDigest, verifyAnnouncement } from './transport/secureTransport.js'
export { decodeSessionFrame, encodeSessionFrame, type SessionFrame } from './transport/sessionFrame.js'
