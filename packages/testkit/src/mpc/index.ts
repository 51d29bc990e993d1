// @zrkit/testkit/mpc: PRIVATE MPC test helpers (never published): in-process party networks, a cheating
// party's router, and the federation test world of the relayer suites.
export { federationWorld, type FederationWorld, type FederationWorldOptions } from './federationWorld.js'
export { delegatingSession, flipped, rewrite, tamperedRouter, testNetwork, type Outgoing, type Tamper, type TestNetwork, type TestNetworkOptions, type TestParty } from './testNetwork.js'
