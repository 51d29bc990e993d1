// Federation
export { createFederation, type Federation, type FederationOptions, type FederationParty } from './federation/createFederation.js'
export { frostParty, type FrostPartyOptions } from './federation/frostParty.js'
export { ecdsaParty, ecdsaKeyTypes, type EcdsaPartyOptions } from './federation/ecdsaParty.js'
export { federationParty, type FederationPartyOptions } from './federation/federationParty.js'
export { runKeyGeneration, type RunKeyGenerationOptions } from './federation/keyGeneration.js'
// Threshold ECDSA (DKLs23)
export { runEcdsaDkg, type EcdsaDkgResult, type RunEcdsaDkgOptions } from './ecdsa/runEcdsaDkg.js'
export { runEcdsaSigning, type EcdsaSigningResult, type RunEcdsaSigningOptions } from './ecdsa/runEcdsaSigning.js'
export { EcdsaKeyState, type EcdsaKeyShare } from './ecdsa/ecdsaKey.js'
export { runPairSetup, type PairSetupRecord, type RunPairSetupOptions } from './ecdsa/pairSetup.js'
// FROST
export { frostKeyTypes, frostSuite, type Frost, type FrostKey, type FrostSuite } from './frost/suites.js'
export { runDkg, type RunDkgOptions } from './frost/runDkg.js'
export { runSigning, type RunSigningOptions, type SigningResult } from './frost/runSigning.js'
export { tweakKey } from './frost/tweakKey.js'
export { aggregate, aggregateVerified, commit, prepareKey, prepareSigning, signShare, verifyShare, type AggregateResult, type PreparedSigning } from './frost/signingPackage.js'
// Transport
export type { Envelope, PartyId, Transport } from './transport/Transport.js'
export { memoryRelay, type Announcement, type InterceptResult, type MemoryRelay, type Relay, type RelayEndpoint, type RelayFrame } from './transport/memoryRelay.js'
export {
  announcementDigest,
  broadcastDigest,
  secureTransport,
  verifyAnnouncement,
  type BroadcastProof,
  type SecureEnvelope,
  type SecureTransport,
  type SecureTransportOptions,
} from './transport/secureTransport.js'
export {
  createSessionRouter,
  decodeSessionFrame,
  encodeSessionFrame,
  type CollectOptions,
  type ConfirmOptions,
  type Session,
  type SessionFrame,
  type SessionRouter,
  type SessionRouterOptions,
} from './transport/SessionRouter.js'
