// Federation
export { createFederation, type Federation, type FederationOptions, type FederationParty } from './federation/createFederation.js'
export { frostParty, type FrostPartyOptions } from './federation/frostParty.js'
// FROST
export { frostKeyTypes, frostSuite, type FrostKey, type FrostSuite } from './frost/suites.js'
export { runDkg, type RunDkgOptions } from './frost/runDkg.js'
export { runSigning, type RunSigningOptions, type SigningResult } from './frost/runSigning.js'
export { tweakKey } from './frost/tweakKey.js'
// Transport
export type { Envelope, PartyId, Transport } from './transport/Transport.js'
export { memoryRelay, type MemoryRelay, type Relay } from './transport/memoryRelay.js'
export { secureTransport, type SecureTransport, type SecureTransportOptions } from './transport/secureTransport.js'
export { createSessionRouter, type Session, type SessionRouter, type SessionRouterOptions } from './transport/SessionRouter.js'
