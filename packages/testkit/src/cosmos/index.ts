// @zrkit/testkit/cosmos: PRIVATE Cosmos test helpers (never published): a stand-in chain, the offline
// verification a node would make, and the Cosmos suites' world.
export { fakeCosmosChain, type FakeChain, type FakeChainOptions } from './fakeChain.js'
export { messageSigners, verifyTxOffline, type ChainView, type OfflineVerification } from './verifyTx.js'
export { cosmosWorld, type CosmosWorld } from './world.js'
