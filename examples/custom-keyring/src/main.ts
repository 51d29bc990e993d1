// Runs the vault keyring behind a connector: one request signed, one refused by the plugin's rule.
import { ed25519 } from '@noble/curves/ed25519.js'
import { createConnector, createEmbeddedLedger, createZrClient, generateAccount, isZrError } from '@zrkit/core'
import { vaultKeyring } from './vaultKeyring.js'

const [owner, operator, party] = [generateAccount(), generateAccount(), generateAccount()]
const ledger = await createEmbeddedLedger({
  genesis: { chainId: 'zrkit-dev', balances: [owner, operator, party].map((a) => ({ address: a.address, amount: 1_000n })) },
})
const asOperator = createZrClient({ ledger, account: operator })
const { keyring } = await asOperator.createKeyring({ description: 'vault keyring', parties: [party.address], partyThreshold: 1, keyRequestFee: 0n, signRequestFee: 0n })

let sealed = true
setTimeout(() => (sealed = false), 300) // the vault unseals a moment later: the connector retries meanwhile
const connector = createConnector({
  ledger,
  account: party,
  keyring,
  backend: vaultKeyring({ allowedPrefix: 'zrkit:', isSealed: () => sealed }),
  onEvent: (e) => console.log('connector:', e.type, e.kind, e.requestId, 'reason' in e ? e.reason : ''),
})
await connector.start()

const client = createZrClient({ ledger, account: owner })
const { workspace } = await client.createWorkspace()
const key = await client.createKey({ workspace, keyring, keyType: 'eddsa-ed25519' })

const ok = new TextEncoder().encode('zrkit: transfer 5')
const [signature] = await client.sign({ keyId: key.id, payloads: [ok] })
console.log('signed and verified:', ed25519.verify(signature!, ok, key.publicKey))

try {
  await client.sign({ keyId: key.id, payloads: [new TextEncoder().encode('anything else')] })
} catch (e) {
  if (!isZrError(e, 'REQUEST_REJECTED')) throw e
  console.log('refused by the plugin:', e.details)
}
await connector.stop()
await ledger.close()
