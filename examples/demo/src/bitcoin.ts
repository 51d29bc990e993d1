/**
 * The demo's Bitcoin part: it starts a bcoin regtest node (npm `bcoin`, in a child process, mined past
 * segwit's activation), funds the ECDSA key's P2WPKH address twice, and pays from it through
 * `@zrkit/relayer-bitcoin`: Alice asks, the 2-of-2 sign policy waits for Bob, the federation signs both
 * inputs in one signature request, the relayer broadcasts; the node takes the transaction into its
 * mempool and a block only if both signatures are valid. The node is stopped at the end.
 */
import type { ZrClient } from '@zrkit/core'
import { bitcoinNetworkParams, bitcoinRpcBackend, createBitcoinRelayer } from '@zrkit/relayer-bitcoin'
import { Transaction } from 'bitcoinjs-lib'
import { startBcoin } from '../../../test/bitcoin/bcoin.js'

const note = (text: string) => console.log(`   ${text}`)

/**
 * Pays 100 000 sat from the ECDSA key `keyId` (a `bitcoin-secp256k1` or `ecdsa-secp256k1` key) on a
 * regtest node, requested by `alice` and approved by `bob`. Throws unless the spend is mined; returns its txid.
 */
export async function bitcoinDemo({ alice, bob, keyId }: { alice: ZrClient; bob: ZrClient; keyId: number }): Promise<string> {
  console.log('\nBitcoin. The ECDSA key pays from its P2WPKH address on a bcoin regtest node, through the relayer and the 2-of-2 policy')
  const node = await startBcoin()
  try {
    const btc = await createBitcoinRelayer({
      client: alice,
      keyId,
      network: bitcoinNetworkParams('regtest', { hrp: 'rb' }), // bcoin's regtest addresses start with rb1
      backend: bitcoinRpcBackend({ url: node.url, password: node.apiKey }),
      adapter: { pollIntervalMs: 100 },
    })
    note(`bcoin regtest node at ${node.url}, height ${await node.rpc<number>('getblockcount')} (segwit active)`)
    note(`the key's P2WPKH address ${btc.address}`)
    await node.fund(btc.address, 60_000n)
    await node.fund(btc.address, 50_000n)
    const { confirmed } = await btc.balance()
    note(`funded with 60000 + 50000 sat in two mined transactions: balance ${confirmed} sat`)

    const to = await node.minerAddress()
    const { requestId, actionId, status, summary } = await btc.submit({ outputs: [{ address: to, value: 100_000n }], feeRate: 2 })
    note(`signature request ${requestId}: ${status}; ${summary.inputs} inputs, one sighash payload each; fee ${summary.fee} sat (${summary.feeRate} sat/vB); Bob approves action ${actionId}`)
    await bob.approveAction({ actionId: actionId! })
    const sent = await btc.resume({ requestId, confirm: false })
    const inMempool = (await node.rpc<string[]>('getrawmempool')).includes(sent.txid)
    note(`broadcast ${sent.txid}: in the node's mempool: ${inMempool}`)
    const [block] = await node.mine(1)
    const inBlock = (await node.rpc<{ tx: string[] }>('getblock', [block, 1])).tx.includes(sent.txid)
    const done = await btc.resume({ requestId })
    const change = Transaction.fromHex(sent.tx).outs[1]?.value ?? 0n
    note(`mined at height ${done.receipt!.blockHeight}: in the block: ${inBlock}; ${change} sat of change back to the key's address`)
    if (!inMempool || !inBlock) throw new Error(`the Bitcoin spend ${sent.txid} was not mined`)
    return sent.txid
  } finally {
    await node.stop()
  }
}
