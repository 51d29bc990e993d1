/** The crash test's chain and the stream of signed txs it feeds the ledger process. */
import { type Genesis, type SignedTx, generateAccount, keyringAddress, signTx, workspaceAddress } from '@zrkit/core'

export const alice = generateAccount('durability:alice')
export const bob = generateAccount('durability:bob')
export const operator = generateAccount('durability:operator')
export const party = generateAccount('durability:party')

export const genesis: Genesis = {
  chainId: 'zrkit-durability',
  time: 1_700_000_000_000,
  balances: [alice, bob, operator].map((a) => ({ address: a.address, amount: 1_000_000_000n })),
}

/**
 * `rounds` x (alice asks for a key, bob sends alice 7): a keyring and a workspace first, then a stream
 * whose every tx depends on the ones before (per-account sequences, fees, ids).
 */
export async function txStream(rounds: number): Promise<{ tx: SignedTx; kind: 'setup' | 'keyRequest' | 'send' }[]> {
  const chainId = genesis.chainId
  const out: { tx: SignedTx; kind: 'setup' | 'keyRequest' | 'send' }[] = []
  out.push({
    kind: 'setup',
    tx: await signTx(operator, {
      chainId,
      sequence: 0,
      msg: { type: 'identity.NewKeyring', description: 'crash test', parties: [party.address], partyThreshold: 1, keyRequestFee: 3n, signRequestFee: 1n },
    }),
  })
  out.push({ kind: 'setup', tx: await signTx(alice, { chainId, sequence: 0, msg: { type: 'identity.NewWorkspace' } }) })
  for (let i = 0; i < rounds; i++) {
    out.push({
      kind: 'keyRequest',
      tx: await signTx(alice, { chainId, sequence: i + 1, msg: { type: 'treasury.NewKeyRequest', workspace: workspaceAddress(1), keyring: keyringAddress(1), keyType: 'ecdsa-secp256k1' } }),
    })
    out.push({ kind: 'send', tx: await signTx(bob, { chainId, sequence: i, msg: { type: 'bank.Send', to: alice.address, amount: 7n } }) })
  }
  return out
}
