/**
 * `@zrkit/mpc`: an MPC federation (dealerless key generation, FROST and DKLs23 threshold signing) as a
 * zrkit keyring, with its party keyrings and the secure party transport. This entry is the public API
 * the READMEs teach; the protocol primitives under it are in `@zrkit/mpc/internal` (unstable).
 * @packageDocumentation
 */
// Federation
export { createFederation, type Federation, type FederationOptions, type FederationParty } from './federation/createFederation.js'
export { frostParty, type FrostPartyOptions } from './federation/frostParty.js'
export { ecdsaParty, ecdsaKeyTypes, type EcdsaPartyOptions } from './federation/ecdsaParty.js'
export { federationParty, type FederationPartyOptions } from './federation/federationParty.js'
// Key types each protocol serves
export { frostKeyTypes } from './frost/suites.js'
// Transport
export type { Envelope, PartyId, Transport } from './transport/Transport.js'
export { memoryRelay, type Announcement, type InterceptResult, type MemoryRelay, type PartyPresence, type Relay, type RelayEndpoint, type RelayFrame } from './transport/memoryRelay.js'
export {
  connectRelay,
  type ConnectRelayOptions,
  type RelayClient,
  type RelayWebSocket,
  type RelayWebSocketConstructor,
} from './transport/relayClient.js'
export { fanoutRelay, type FanoutRelay } from './transport/fanoutRelay.js'
export { secureTransport, type BroadcastProof, type SecureEnvelope, type SecureTransport, type SecureTransportOptions } from './transport/secureTransport.js'
export {
  createSessionRouter,
  type CollectOptions,
  type ConfirmOptions,
  type Session,
  type SessionRouter,
  type SessionRouterOptions,
} from './transport/SessionRouter.js'
