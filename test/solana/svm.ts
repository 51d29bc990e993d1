/**
 * An in-process Solana network for the Solana suites: litesvm (a real SVM: the system, token, associated
 * token, lookup table and compute budget programs, signature verification, blockhash and nonce checks),
 * behind the relayer's `SolanaNetwork` interface. litesvm is not an RPC server, so this is the second
 * implementation of that interface beside `connectionNetwork` (a web3.js Connection).
 *
 * How it differs from a cluster, on purpose and in plain sight:
 * - Time moves only when the test says so: `advance(slots)` makes new slots, a new blockhash and new slot
 *   hashes. litesvm accepts only the latest blockhash, so one `advance` expires every older one (a cluster
 *   keeps a blockhash valid for 150 blocks).
 * - A transaction runs when it is sent, like a node's preflight: one that fails is refused (with its logs)
 *   and changes nothing; one that succeeds is final at once (`finalized`).
 * - `dropSends(n)` loses the next n sends without a word, as a congested leader would.
 */
import type { SolanaAccount, SolanaCommitment, SolanaNetwork, SolanaNetworkSendOptions, SolanaSignatureStatus } from '@zrkit/relayer-solana'
import { PublicKey, VersionedTransaction } from '@solana/web3.js'
import { base58 } from '@scure/base'
import { LiteSVM } from 'litesvm'

/** litesvm's transaction errors without fields, by number (from its TransactionErrorFieldless). */
const FIELDLESS_ERRORS: Record<number, string> = {
  2: 'AccountNotFound',
  4: 'InsufficientFundsForFee',
  6: 'AlreadyProcessed',
  7: 'BlockhashNotFound',
  9: 'MissingSignatureForFee',
  11: 'SignatureFailure',
  13: 'SanitizeFailure',
}

/** Error thrown for a refused send; `logs` carries the program logs, as web3.js's SendTransactionError does. */
export class SvmSendError extends Error {
  constructor(
    message: string,
    readonly err: string,
    readonly logs: string[],
  ) {
    super(message)
    this.name = 'SvmSendError'
  }
}

export type SvmNetwork = SolanaNetwork & {
  readonly svm: LiteSVM
  /** Moves on by `slots` (default 1): clock, slot hashes, a new blockhash. Every older blockhash expires. */
  advance(slots?: number): void
  airdrop(address: PublicKey, lamports: bigint): void
  /** Loses the next `n` sends silently. */
  dropSends(n: number): void
  /** How many times `sendRawTransaction` was called, dropped sends included. */
  readonly sendCount: number
  /** The transactions it executed, by signature. */
  readonly executed: ReadonlyMap<string, { slot: number }>
}

const toBigInt = (v: unknown) => (typeof v === 'bigint' ? v : BigInt(v as number))

/** A fresh litesvm behind the `SolanaNetwork` interface. */
export function svmNetwork(): SvmNetwork {
  const svm = new LiteSVM()
  // litesvm has no genesis block (and every instance starts from the same blockhash): a random hash stands for
  // the genesis hash, so each SVM is its own cluster.
  const genesis = base58.encode(crypto.getRandomValues(new Uint8Array(32)))
  const executed = new Map<string, { slot: number }>()
  let drops = 0
  let sendCount = 0

  const slot = () => Number(svm.getClock().slot)
  const advance = (slots = 1) => {
    for (let i = 0; i < slots; i++) {
      const next = svm.getClock().slot + 1n
      svm.warpToSlot(next)
      svm.expireBlockhash()
      // litesvm's SlotHash has no constructor: reuse a returned entry for the new slot.
      const [entry] = svm.getSlotHashes()
      const older = svm.getSlotHashes()
      entry!.slot = next
      entry!.hash = svm.latestBlockhash()
      svm.setSlotHashes([entry!, ...older].slice(0, 512))
    }
  }

  const network: SvmNetwork = {
    name: 'litesvm',
    svm,
    advance,
    airdrop(address, lamports) {
      svm.airdrop(address.toBase58() as never, lamports as never)
    },
    dropSends(n) {
      drops = n
    },
    get sendCount() {
      return sendCount
    },
    executed,
    async getGenesisHash() {
      return genesis
    },
    async getLatestBlockhash(_commitment: SolanaCommitment) {
      // Valid until the next advance: its last valid block height is the current one.
      return { blockhash: svm.latestBlockhash(), lastValidBlockHeight: slot() }
    },
    async isBlockhashValid(blockhash: string) {
      return blockhash === svm.latestBlockhash()
    },
    async getSlot() {
      return slot()
    },
    async getAccountInfo(address: PublicKey): Promise<SolanaAccount | null> {
      const account = svm.getAccount(address.toBase58() as never) as { exists: boolean; lamports?: unknown; programAddress?: string; data?: Uint8Array; executable?: boolean }
      if (!account.exists) return null
      return { lamports: Number(toBigInt(account.lamports)), owner: new PublicKey(account.programAddress!), data: new Uint8Array(account.data!), executable: !!account.executable }
    },
    async getMinimumBalanceForRentExemption(space: number) {
      return Number(svm.minimumBalanceForRentExemption(BigInt(space)))
    },
    async sendRawTransaction(wire: Uint8Array, _options: SolanaNetworkSendOptions) {
      sendCount++
      if (drops > 0) {
        drops--
        return
      }
      const tx = VersionedTransaction.deserialize(wire)
      const signers = tx.message.staticAccountKeys.slice(0, tx.message.header.numRequiredSignatures)
      const signature = base58.encode(tx.signatures[0]!)
      if (executed.has(signature)) throw new SvmSendError('Transaction simulation failed: This transaction has already been processed', 'AlreadyProcessed', [])
      const result = svm.sendTransaction({ messageBytes: tx.message.serialize(), signatures: Object.fromEntries(signers.map((k, i) => [k.toBase58(), tx.signatures[i]!])) } as never)
      const failed = result as { err?: () => unknown; meta?: () => { logs(): string[] } }
      if (typeof failed.err === 'function') {
        const err = failed.err()
        const name = typeof err === 'number' ? (FIELDLESS_ERRORS[err] ?? `TransactionError ${err}`) : String(err)
        throw new SvmSendError(`Transaction simulation failed: ${name}`, name, failed.meta?.().logs() ?? [])
      }
      executed.set(signature, { slot: slot() })
    },
    async getSignatureStatus(signature: string): Promise<SolanaSignatureStatus | null> {
      const done = executed.get(signature)
      return done ? { slot: done.slot, confirmationStatus: 'finalized', err: null } : null
    },
  }
  return network
}
