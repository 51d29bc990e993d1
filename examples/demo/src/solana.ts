/**
 * The demo's Solana part: it starts an in-process SVM (litesvm: the Solana runtime with its programs and
 * signature checks, no validator), funds the threshold ed25519 key's address there, and sends SOL with
 * `@zrkit/relayer-solana`: Alice asks, the sign policy waits for Bob, the FROST federation signs, the
 * relayer assembles, sends and confirms. Against devnet only the network changes:
 * `network: new Connection(clusterApiUrl('devnet'), 'confirmed')`.
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import type { ZrClient } from '@zrkit/core'
import { type SolanaNetwork, createSolanaRelayer } from '@zrkit/relayer-solana'
import { Keypair, LAMPORTS_PER_SOL, PublicKey, VersionedTransaction } from '@solana/web3.js'
import { base58, base64 } from '@scure/base'
import { LiteSVM } from 'litesvm'

const note = (text: string) => console.log(`   ${text}`)
const sol = (lamports: number | bigint) => `${Number(lamports) / LAMPORTS_PER_SOL} SOL`

/**
 * An in-process SVM as a `SolanaNetwork`: each transaction runs when it is sent (a failing one is
 * refused, like a node's preflight) and is final at once.
 */
function inProcessSvm(): SolanaNetwork & { airdrop(to: PublicKey, lamports: bigint): void } {
  const svm = new LiteSVM()
  const genesis = Keypair.generate().publicKey.toBase58() // litesvm has no genesis block: a random hash names this one
  const landed = new Map<string, number>()
  const slot = () => Number(svm.getClock().slot)
  return {
    name: 'litesvm (in process)',
    airdrop: (to, lamports) => void svm.airdrop(to.toBase58() as never, lamports as never),
    getGenesisHash: async () => genesis,
    getLatestBlockhash: async () => ({ blockhash: svm.latestBlockhash(), lastValidBlockHeight: slot() }),
    isBlockhashValid: async (blockhash) => blockhash === svm.latestBlockhash(),
    getSlot: async () => slot(),
    async getAccountInfo(address) {
      const a = svm.getAccount(address.toBase58() as never) as { exists: boolean; lamports: bigint; programAddress: string; data: Uint8Array; executable: boolean }
      return a.exists ? { lamports: Number(a.lamports), owner: new PublicKey(a.programAddress), data: a.data, executable: a.executable } : null
    },
    getMinimumBalanceForRentExemption: async (space) => Number(svm.minimumBalanceForRentExemption(BigInt(space))),
    async sendRawTransaction(wire) {
      const tx = VersionedTransaction.deserialize(wire)
      const signers = tx.message.staticAccountKeys.slice(0, tx.message.header.numRequiredSignatures)
      const result = svm.sendTransaction({ messageBytes: tx.message.serialize(), signatures: Object.fromEntries(signers.map((k, i) => [k.toBase58(), tx.signatures[i]])) } as never) as { err?: () => unknown }
      if (typeof result.err === 'function') throw new Error(`the SVM refused the transaction: ${String(result.err())}`)
      landed.set(base58.encode(tx.signatures[0]!), slot())
    },
    async getSignatureStatus(signature) {
      const at = landed.get(signature)
      return at === undefined ? null : { slot: at, confirmationStatus: 'finalized', err: null }
    },
  }
}

/**
 * Sends 0.25 SOL from the ed25519 key `keyId` (of the 2-of-3 FROST federation) on an in-process SVM,
 * requested by `alice` and approved by `bob` (the workspace's 2-of-2 sign policy). Returns the
 * transaction signature and whether noble verified the key's signature over the message.
 */
export async function solanaDemo({ alice, bob, keyId }: { alice: ZrClient; bob: ZrClient; keyId: number }): Promise<{ signature: string; verified: boolean }> {
  console.log('\nSolana. The threshold ed25519 key sends SOL on an in-process SVM, through the relayer and the 2-of-2 policy')
  const network = inProcessSvm()
  const stopApproving = bob.watchEvents({ types: ['action.created'] }, (e) => {
    note(`  bob approves action ${e.data.actionId}`)
    void bob.approveAction({ actionId: e.data.actionId as number })
  })
  try {
    const solana = await createSolanaRelayer({ client: alice, network, keyId, adapter: { pollIntervalMs: 20 } })
    note(`${network.name} (${solana.chain}); key ${keyId} is ${solana.address}`)
    network.airdrop(solana.publicKey, 2n * BigInt(LAMPORTS_PER_SOL))
    note(`funded: ${sol(await solana.getBalance())}`)

    const to = Keypair.generate().publicKey
    const { signature, signedTx, receipt, requestId } = await solana.transfer({
      to,
      lamports: LAMPORTS_PER_SOL / 4,
      timeoutMs: 60_000,
      onEvent: (e) => {
        if (e.type === 'requested') note(`  signature request ${e.requestId}: ${e.status}`)
        else if (e.type === 'ledger' && e.event.type === 'signRequest.fulfilled') note(`  signature request ${e.requestId}: fulfilled`)
        else if (e.type === 'broadcast' || e.type === 'confirmed') note(`  ${e.type} ${e.txid}`)
      },
    })
    const tx = VersionedTransaction.deserialize(base64.decode(signedTx))
    const verified = ed25519.verify(tx.signatures[0]!, tx.message.serialize(), solana.publicKey.toBytes(), { zip215: false })
    note(`transaction ${signature} (signature request ${requestId}): ${receipt!.confirmationStatus} in slot ${receipt!.slot}, ed25519.verify: ${verified}`)
    note(`${to.toBase58()} now holds ${sol(await solana.getBalance(to))}; the key has ${sol(await solana.getBalance())} (0.000005 SOL fee)`)
    if (!verified || receipt!.err !== null) throw new Error(`transaction ${signature} failed`)
    return { signature, verified }
  } finally {
    stopApproving()
  }
}
