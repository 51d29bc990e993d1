/**
 * The zrkit demo: both request lifecycles of the seeds, end to end, in one process on the embedded
 * ledger. Run it with `npx -y pnpm@10 demo` from the repository root.
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import {
  type LedgerEvent,
  createConnector,
  createEmbeddedLedger,
  createZrClient,
  deriveAddress,
  extendedPublicKey,
  generateAccount,
  localKeyring,
  toHex,
} from '@zrkit/core'
import { createFederation } from '@zrkit/mpc'
import { evmDemo } from './evm.js'
import { cosmosDemo } from './cosmos.js'
import { bitcoinDemo } from './bitcoin.js'
import { solanaDemo } from './solana.js'
import { bitcoinTransactionDecoder } from '@zrkit/relayer-bitcoin/decoder'
import { cosmosTransactionDecoder } from '@zrkit/relayer-cosmos/decoder'
import { evmTransactionDecoder } from '@zrkit/relayer-evm/decoder'
import { solanaTransactionDecoder } from '@zrkit/relayer-solana/decoder'

const step = (n: number, text: string) => console.log(`\n${n}. ${text}`)
const note = (text: string) => console.log(`   ${text}`)
const short = (a: string) => `${a.slice(0, 12)}...${a.slice(-6)}`

// Accounts: two workspace owners, a keyring operator, and the keyring's party (its connector signs with it).
const alice = generateAccount('demo:alice')
const bob = generateAccount('demo:bob')
const operator = generateAccount('demo:operator')
const party = generateAccount('demo:party-1')

step(1, 'Start the embedded ledger with a development allocation and the transaction decoders of four chains')
const ledger = await createEmbeddedLedger({
  genesis: {
    chainId: 'zrkit-demo',
    balances: [alice, bob, operator, party].map((a) => ({ address: a.address, amount: 1_000_000n })),
    // the ledger reads these chains' unsigned transactions, so sign policies can judge what they do
    transactionDecoders: ['evm@1', 'bitcoin@1', 'solana@1', 'cosmos@1'],
  },
  transactionDecoders: [evmTransactionDecoder(), bitcoinTransactionDecoder(), solanaTransactionDecoder(), cosmosTransactionDecoder()],
})
const { params } = await ledger.query('status', {})
for (const [name, a] of Object.entries({ alice, bob, operator, party })) note(`${name.padEnd(8)} ${a.address}  1000000${params.denom}`)
ledger.subscribe({}, (e: LedgerEvent) => {
  if (e.type.startsWith('keyRequest.') || e.type.startsWith('signRequest.') || e.type.startsWith('action.') || e.type.startsWith('fee.')) {
    note(`  event #${e.seq} ${e.type} ${Object.entries(e.data).map(([k, v]) => `${k}=${typeof v === 'string' && v.length > 24 ? short(v) : v}`).join(' ')}`)
  }
})

const asAlice = createZrClient({ ledger, account: alice })
const asBob = createZrClient({ ledger, account: bob })
const asOperator = createZrClient({ ledger, account: operator })

step(2, 'Alice creates a 2-of-2 sign policy and a workspace owned by Alice and Bob')
const { policyId } = await asAlice.createPolicy({
  name: 'alice and bob',
  participants: { alice: alice.address, bob: bob.address },
  expression: 'all([alice, bob])',
})
const { workspace } = await asAlice.createWorkspace({ additionalOwners: [bob.address], signPolicyId: policyId })
note(`policy ${policyId}: all([alice, bob])`)
note(`workspace ${workspace}, owners: alice, bob`)

step(3, 'The operator registers a keyring (1 party, threshold 1, fees 100 per key and 10 per signature)')
const { keyring } = await asOperator.createKeyring({
  description: 'demo local keyring',
  parties: [party.address],
  partyThreshold: 1,
  keyRequestFee: 100n,
  signRequestFee: 10n,
})
note(`keyring ${keyring}`)
const connector = createConnector({
  ledger,
  account: party,
  keyring,
  backend: localKeyring(),
  onEvent: (e) => note(`  connector: ${e.type} ${e.kind} request ${e.requestId}${'status' in e ? ` -> ${e.status}` : ''}`),
})
await connector.start()
note('connector for party 1 is watching the ledger')

step(4, 'Key request: Alice asks the keyring for an ECDSA secp256k1 key')
const { requestId: keyRequestId } = await asAlice.requestKey({ workspace, keyring, keyType: 'ecdsa-secp256k1' })
note(`key request ${keyRequestId}: ${(await asAlice.getKeyRequest({ id: keyRequestId })).status}`)
const { request: keyRequest, key } = await asAlice.waitForKeyRequest({ requestId: keyRequestId })
note(`key request ${keyRequestId}: ${keyRequest.status}, key ${key.id}, public key ${toHex(key.publicKey)}`)

step(5, 'Addresses: query the key in the wallet formats it fits, and derive child keys from it')
const { addresses } = await asAlice.getKey({
  id: key.id,
  wallets: [
    { type: 'evm' },
    { type: 'native' },
    { type: 'native', prefix: 'cosmos' },
    { type: 'bitcoin', network: 'mainnet' },
    { type: 'bitcoin', network: 'testnet4' },
    { type: 'bitcoin', network: 'regtest' },
    { type: 'zcash', network: 'mainnet' },
  ],
})
for (const { wallet, address } of addresses!) note(`${JSON.stringify(wallet).padEnd(44)} ${address}`)
note(`xpub (any BIP32 wallet derives the same children) ${extendedPublicKey(key.keyType, key.publicKey).slice(0, 24)}...`)
for (const path of ['m/0/0', 'm/0/1', 'ethereum,1']) {
  const child = await asAlice.getKey({ id: key.id, path, wallets: [{ type: 'evm' }] })
  note(`child ${path.padEnd(11)} evm ${child.addresses![0]!.address}`)
}
const edKey = await asAlice.createKey({ workspace, keyring, keyType: 'eddsa-ed25519' })
const trKey = await asAlice.createKey({ workspace, keyring, keyType: 'schnorr-secp256k1' })
note(`ed25519 key ${edKey.id}   solana  ${(await asAlice.getKey({ id: edKey.id, wallets: [{ type: 'solana' }] })).addresses![0]!.address}`)
note(`schnorr key ${trKey.id}   taproot ${(await asAlice.getKey({ id: trKey.id, wallets: [{ type: 'bitcoin-taproot', network: 'mainnet' }] })).addresses![0]!.address}`)

step(6, 'Signature request: Alice asks for a signature; the policy needs Bob too')
const message = new TextEncoder().encode('zrkit demo: pay 1 ETH to carol')
const digest = sha256(message)
const signRequest = await asAlice.requestSignature({ keyId: key.id, payloads: [digest] })
note(`signature request ${signRequest.requestId}: ${signRequest.status} (action ${signRequest.actionId} awaits approval)`)

step(7, 'Bob approves')
const vote = await asBob.approveAction({ actionId: signRequest.actionId! })
note(`action ${signRequest.actionId}: ${vote.status}`)
note(`signature request ${signRequest.requestId}: ${(await asAlice.getSignRequest({ id: signRequest.requestId })).status}`)

step(8, 'The keyring signs; the ledger verifies and fulfils')
const fulfilled = await asAlice.waitForSignRequest({ requestId: signRequest.requestId })
const signature = fulfilled.signatures[0]!
note(`signature request ${signRequest.requestId}: ${fulfilled.status}`)
note(`signature (r||s||v) ${toHex(signature)}`)

step(9, 'Verify the signature independently with noble')
const valid = secp256k1.verify(signature.subarray(0, 64), digest, key.publicKey, { prehash: false })
note(`secp256k1.verify: ${valid}`)

step(10, 'Fees moved from Alice to the keyring')
note(`alice   ${await asAlice.getBalance()} (paid 3 x 100 for keys + 10 for the signature)`)
note(`keyring ${await asAlice.getBalance({ address: keyring })}`)

step(11, 'MPC: a 2-of-3 federation (FROST and threshold ECDSA) registers as a keyring; each party runs its own connector')
const mpcParties = [1, 2, 3].map((i) => generateAccount(`demo:mpc-party-${i}`))
const federation = await createFederation({ ledger, parties: mpcParties, threshold: 2 })
const mpcKeyring = await federation.register(asOperator, { description: 'demo MPC 2-of-3', keyRequestFee: 50n, signRequestFee: 5n })
await federation.start(mpcKeyring)
note(`keyring ${mpcKeyring}: parties ${mpcParties.map((p) => short(p.address)).join(', ')}, threshold 2`)

step(12, 'MPC keys: dealerless key generation; no party ever holds a whole key')
const solKey = await asAlice.createKey({ workspace, keyring: mpcKeyring, keyType: 'eddsa-ed25519' })
const taprootKey = await asAlice.createKey({ workspace, keyring: mpcKeyring, keyType: 'schnorr-secp256k1' })
const solAddress = (await asAlice.getKey({ id: solKey.id, wallets: [{ type: 'solana' }] })).addresses![0]!.address
const trAddress = (await asAlice.getKey({ id: taprootKey.id, wallets: [{ type: 'bitcoin-taproot', network: 'testnet4' }] })).addresses![0]!.address
note(`ed25519 key ${solKey.id}: solana ${solAddress}`)
note(`schnorr key ${taprootKey.id}: taproot ${trAddress}`)
const mpcEcdsaKey = await asAlice.createKey({ workspace, keyring: mpcKeyring, keyType: 'ecdsa-secp256k1' })
const mpcEvmAddress = (await asAlice.getKey({ id: mpcEcdsaKey.id, wallets: [{ type: 'evm' }] })).addresses![0]!.address
note(`ecdsa key ${mpcEcdsaKey.id}: evm ${mpcEvmAddress} (threshold ECDSA, DKLs23)`)

step(13, 'MPC signatures under the 2-of-2 policy: Alice asks, Bob approves, any 2 of 3 parties sign')
const solMessage = new TextEncoder().encode('zrkit demo: a Solana message')
const sighash = sha256(new TextEncoder().encode('zrkit demo: a taproot sighash'))
const solReq = await asAlice.requestSignature({ keyId: solKey.id, payloads: [solMessage] })
const trReq = await asAlice.requestSignature({ keyId: taprootKey.id, payloads: [sighash], taproot: {} })
const evmDigest = sha256(new TextEncoder().encode('zrkit demo: an EVM transaction hash'))
const evmReq = await asAlice.requestSignature({ keyId: mpcEcdsaKey.id, payloads: [evmDigest] })
await asBob.approveAction({ actionId: solReq.actionId! })
await asBob.approveAction({ actionId: trReq.actionId! })
await asBob.approveAction({ actionId: evmReq.actionId! })
const solDone = await asAlice.waitForSignRequest({ requestId: solReq.requestId })
const trDone = await asAlice.waitForSignRequest({ requestId: trReq.requestId })
const solValid = ed25519.verify(solDone.signatures[0]!, solMessage, solKey.publicKey, { zip215: false })
const trValid = schnorr.verify(trDone.signatures[0]!, sighash, trDone.publicKey.subarray(1))
note(`ed25519 signature request ${solReq.requestId}: ${solDone.status}, responses from ${solDone.responses.length} parties, ed25519.verify: ${solValid}`)
const evmDone = await asAlice.waitForSignRequest({ requestId: evmReq.requestId })
const evmSig = evmDone.signatures[0]!
const recoveredKey = secp256k1.Signature.fromBytes(evmSig.subarray(0, 64), 'compact').addRecoveryBit(evmSig[64]!).recoverPublicKey(evmDigest).toBytes(true)
const recovered = deriveAddress({ keyType: 'ecdsa-secp256k1', publicKey: recoveredKey }, { type: 'evm' })
const evmValid = secp256k1.verify(evmSig.subarray(0, 64), evmDigest, mpcEcdsaKey.publicKey, { prehash: false }) && recovered === mpcEvmAddress
note(`ECDSA signature request ${evmReq.requestId}: ${evmDone.status}, key recovered from r, s, v -> ${recovered} (the key's address: ${recovered === mpcEvmAddress})`)
note(`taproot signature request ${trReq.requestId}: ${trDone.status}, key-path output key ${toHex(trDone.publicKey.subarray(1)).slice(0, 16)}..., schnorr.verify: ${trValid}`)

step(14, 'One MPC party goes down: the other two still sign')
await federation.stopParty(2)
const downMessage = new TextEncoder().encode('zrkit demo: signed with a party down')
const downReq = await asAlice.requestSignature({ keyId: solKey.id, payloads: [downMessage] })
await asBob.approveAction({ actionId: downReq.actionId! })
const downDone = await asAlice.waitForSignRequest({ requestId: downReq.requestId, timeoutMs: 30_000 })
const downValid = ed25519.verify(downDone.signatures[0]!, downMessage, solKey.publicKey, { zip215: false })
note(`signature request ${downReq.requestId}: ${downDone.status} by ${downDone.responses.map((r) => short(r.party)).join(', ')}, ed25519.verify: ${downValid}`)

step(15, 'A sign policy that reads the transaction: payments up to 0.1 ETH need one owner, larger ones both')
const { policyId: txPolicyId } = await asAlice.createPolicy({
  name: 'small payments on one approval',
  participants: { alice: alice.address, bob: bob.address },
  expression: 'tx.value <= 0.1 eth && any(1, [alice, bob]) || all([alice, bob])',
})
const { workspace: treasury } = await asAlice.createWorkspace({ additionalOwners: [bob.address], signPolicyId: txPolicyId, alias: 'treasury' })
const treasuryKey = await asAlice.createKey({ workspace: treasury, keyring: mpcKeyring, keyType: 'ecdsa-secp256k1' })
note(`policy ${txPolicyId}: ${(await asAlice.getPolicy({ id: txPolicyId })).expression}`)
note(`workspace ${treasury} (treasury), ECDSA key ${treasuryKey.id}`)

await evmDemo({ alice: asAlice, bob: asBob, keyId: mpcEcdsaKey.id, treasuryKeyId: treasuryKey.id })
await cosmosDemo({ alice: asAlice, bob: asBob, keyId: mpcEcdsaKey.id })
await bitcoinDemo({ alice: asAlice, bob: asBob, keyId: mpcEcdsaKey.id })
await solanaDemo({ alice: asAlice, bob: asBob, keyId: solKey.id })
await federation.stop()
await connector.stop()
await ledger.close()
if (!valid || !solValid || !trValid || !evmValid || !downValid) {
  console.error('\nsignature did not verify')
  process.exit(1)
}
console.log('\nDone: key request pending -> fulfilled; signature request partial -> pending -> fulfilled; local and 2-of-3 MPC keyrings.')
