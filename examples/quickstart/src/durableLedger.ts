// The @zrkit/core README example: a ledger on disk. Every run in the same directory reopens the same chain
// as the same account and carries on; a new directory starts a new chain.
//
//   tsx src/durableLedger.ts [dir]    (default ./zrkit-data)
import { createEmbeddedLedger, createZrClient, privateKeyToAccount } from '@zrkit/core'
import { fileSecretStore, fileStore } from '@zrkit/core/node'

const dir = process.argv[2] ?? './zrkit-data'

// The genesis funds Alice, so each run must be Alice again: her key is kept beside the chain.
const keys = fileSecretStore(`${dir}/keys`) // plaintext: wrap it in encryptedSecretStore for keys that matter
let aliceKey = await keys.get('alice')
if (!aliceKey) await keys.set('alice', (aliceKey = crypto.getRandomValues(new Uint8Array(32))))
const alice = privateKeyToAccount(aliceKey)

const ledger = await createEmbeddedLedger({
  genesis: { chainId: 'zrkit-dev', balances: [{ address: alice.address, amount: 1_000n }] },
  store: fileStore(`${dir}/ledger`), // the first run writes the genesis; later runs reopen the chain
})
const client = createZrClient({ ledger, account: alice })
const { workspace } = await client.createWorkspace()

const { items } = await client.listWorkspaces({ owner: alice.address })
console.log(`${alice.address} created ${workspace}; owns ${items.length} workspace(s) at height ${ledger.height}`)
await ledger.close()
