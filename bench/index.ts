/**
 * zrkit benchmarks. Each figure is printed beside a baseline measured in the same run, as a ratio;
 * nothing here is asserted (machines are noisy).
 *
 *   npx -y pnpm@10 bench
 */
import { runLedgerStoreBench } from './ledgerStore.js'

await runLedgerStoreBench()

const { runMpcBench } = await import('./mpc.js')
await runMpcBench()

const { runEcdsaBench } = await import('./ecdsa.js')
await runEcdsaBench()

const { runNetworkBench } = await import('./network.js')
await runNetworkBench()
