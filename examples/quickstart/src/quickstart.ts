// The README quick start: a key from a keyring, and a signature under a 2-of-2 policy.
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { createConnector, createEmbeddedLedger, createZrClient, generateAccount, localKeyring } from '@zrkit/core'

const [alice, bob, party] = [generateAccount(), generateAccount(), generateAccount()]
const ledger = await createEmbeddedLedger({
  genesis: { chainId: 'zrkit-dev', balances: [alice, bob, party].map((a) => ({ address: a.address, amount: 1_000n })) },
})
const client = createZrClient({ ledger, account: alice })

// A keyring with one party, answered by a connector running the local software keyring.
const { keyring } = await client.createKeyring({ description: 'local', parties: [party.address], partyThreshold: 1, keyRequestFee: 10n, signRequestFee: 1n })
const connector = createConnector({ ledger, account: party, keyring, backend: localKeyring() })
await connector.start()

// A workspace of Alice and Bob where both must approve every signature.
const { policyId } = await client.createPolicy({ name: 'both', participants: { alice: alice.address, bob: bob.address }, expression: 'all([alice, bob])' })
const { workspace } = await client.createWorkspace({ additionalOwners: [bob.address], signPolicyId: policyId })
const key = await client.createKey({ workspace, keyring, keyType: 'ecdsa-secp256k1' })

const digest = sha256(new TextEncoder().encode('hello zrkit'))
const { requestId, actionId } = await client.requestSignature({ keyId: key.id, payloads: [digest] }) // status: 'partial'
await createZrClient({ ledger, account: bob }).approveAction({ actionId: actionId! })
const { signatures } = await client.waitForSignRequest({ requestId })

console.log('verified:', secp256k1.verify(signatures[0]!.subarray(0, 64), digest, key.publicKey, { prehash: false }))
await connector.stop()
await ledger.close()
