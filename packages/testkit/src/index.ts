// @zrkit/testkit: PRIVATE test helpers of the zrkit repository, never published.
// The MPC helpers are in '@zrkit/testkit/mpc', the Cosmos fake chain in '@zrkit/testkit/cosmos'.
export { expectZrError, rejection, sleep, thrownZrError, tick, until, type UntilOptions } from './assertions.js'
export {
  createTestKey,
  expectRefused,
  newKeyPair,
  nobleVerifies,
  payloadFor,
  schemeSign,
  setup,
  type Actor,
  type KeyPair,
  type ManualClock,
  type Setup,
  type SetupOptions,
  type TestKey,
} from './ledger.js'
export { ownerWorld, type OwnerWorld, type OwnerWorldOptions } from './ownerWorld.js'
export { localKeyringWorld, type LocalKeyringWorld, type LocalKeyringWorldOptions } from './localKeyringWorld.js'
export { ed25519SmallOrderPoints, offCurveEd25519, offCurveSecp256k1 } from './notOnCurve.js'
export { closedPort } from './ports.js'
export { FULL_RUN_VARIABLE, fullRun, fuzzRuns, itInFullRun, scaled } from './scale.js'
export { frostVector, frostVectorNames, type FrostVectorName } from './vectors.js'
export { parsePrometheusText, promSample, type PromFamily, type PromSample } from './prometheusText.js'
