import { ed25519 } from '@noble/curves/ed25519.js'
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import * as publicEntry from '@zrkit/core'
import * as internalEntry from '@zrkit/core/internal'
import { beforeAll, describe, expect, it } from 'vitest'
import { type TableEntry, failuresOf } from '../../../test/hostileInputs.js'
import { type Setup, type TestKey, createTestKey, schemeSign, setup } from '@zrkit/testkit'

/**
 * Every function `@zrkit/core` exports (its public and its internal entry), called with hostile values (undefined, null, numbers, NaN,
 * strings, hex, short/long/zero bytes, objects, arrays, cyclic values) in every argument position: it
 * must return normally or throw a ZrError with a code from `errorCodes` and details; never a TypeError,
 * RangeError or an error of noble or scure. A new export fails the last test until it has an entry here
 * or an exclusion with its reason.
 */

/** Both entries: a published function is checked whichever entry publishes it. */
const core = { ...publicEntry, ...internalEntry }

const secret = sha256(new TextEncoder().encode('exports.inputs'))
const secpKey = secp256k1.getPublicKey(secret, true)
const secpKey65 = secp256k1.getPublicKey(secret, false)
const edKey = ed25519.getPublicKey(secret)
const alice = core.privateKeyToAccount(secret)
const digest = sha256(new Uint8Array([1]))
const ecdsaSig = core.recoveredToRsv(secp256k1.sign(digest, secret, { prehash: false, format: 'recovered' }))
const schnorrSig = schnorr.sign(digest, secret)
const unsignedTx = { chainId: 'zrkit-test', signer: alice.address, publicKey: alice.publicKey, sequence: 0, msg: { type: 'bank.Send', to: alice.address, amount: 1n } }
const expr = core.parsePolicyExpression('any(1, [a, b])', { a: alice.address, b: core.publicKeyToAddress(secp256k1.getPublicKey(sha256(secret), true)) })
const event = { seq: 1, height: 1, time: 0, type: 'genesis', data: { chainId: 'x' } }
const txExpr = core.parsePolicyExpression('tx.value <= 0.1 eth && a', { a: alice.address })
const gaugeFamily = { name: 'g', help: 'h', type: 'gauge', samples: [{ labels: { a: 'x' }, value: 1 }] }
const histogramFamily = { name: 'h_seconds', help: 'h', type: 'histogram', bounds: [1], samples: [{ labels: { a: 'x' }, buckets: [1], sum: 0.5, count: 1 }] }
const decodedTx = { chain: 'evm', decoder: 'evm@1', network: 'eip155:1', format: 'eip1559', from: '0x00', transfers: [{ kind: 'transfer', asset: 'native', to: '0x01', amount: 5n }], calls: [], fee: 1n, feeAsset: 'native', fields: { nonce: '0' } }

/** Functions of `@zrkit/core` and how each is called. */
const table: Record<string, TableEntry> = {
  // accounts
  generateAccount: { valid: () => ['seed'] },
  privateKeyToAccount: { valid: () => [secret] },
  assertAddress: { valid: () => [alice.address, 'zen', 'owner'] },
  publicKeyToAddress: { valid: () => [secpKey, 'zen'] },
  // errors
  isZrError: { valid: () => [new Error('x'), 'TIMEOUT'] },
  zrErrorFromJSON: { valid: () => [{ code: 'TIMEOUT', shortMessage: 'Timed out.', details: 'after 1 ms' }], fields: [0] },
  describeValue: { valid: () => [new Uint8Array(3)] },
  // encoding
  concatBytes: { valid: () => [secpKey, edKey], extra: 1 },
  equalBytes: { valid: () => [secpKey, secpKey] },
  toBytes: { valid: () => ['0x01ff', 'value'] },
  toHex: { valid: () => [secpKey] },
  canonicalBytes: { valid: () => [{ a: 1n, b: secpKey }] },
  canonicalStringify: { valid: () => [{ a: 1n, b: secpKey }] },
  canonicalParse: { valid: () => ['{"a":{"$bigint":"1"}}'] },
  // ledger helpers
  createEmbeddedLedger: { fields: [0],
    valid: () => [{ genesis: { chainId: 'zrkit-test', balances: [{ address: alice.address, amount: 1n }] }, autoTick: false }],
    nested: (h) => [[{ genesis: h }], [{ genesis: { chainId: h } }], [{ genesis: { chainId: 'x', balances: h } }], [{ genesis: { chainId: 'x', balances: [h] } }], [{ genesis: { chainId: 'x', balances: [{ address: h, amount: 1n }] } }], [{ genesis: { chainId: 'x', balances: [{ address: alice.address, amount: h }] } }], [{ genesis: { chainId: 'x', params: h } }]],
  },
  matchesEventFilter: { fields: [0, 1], valid: () => [event, { types: ['genesis'] }], nested: (h) => [[event, { types: h }], [event, { keyring: h }]] },
  memoryStore: { valid: () => [] },
  partyResponseDigest: { fields: [0], valid: () => [{ chainId: 'x', kind: 'key', requestId: 1, result: { publicKey: secpKey } }], nested: (h) => [[{ chainId: 'x', kind: 'key', requestId: 1, result: h }]] },
  signTx: { fields: [1], valid: () => [alice, { chainId: 'x', sequence: 0, msg: { type: 'bank.Send', to: alice.address, amount: 1n } }], live: { 0: 'an Account: a live signer (its sign method is the contract)' } },
  txHash: { fields: [0], valid: () => [{ ...unsignedTx, signature: new Uint8Array(64) }] },
  txSignDigest: { fields: [0], valid: () => [unsignedTx] },
  txSignBytes: { fields: [0], valid: () => [unsignedTx] },
  partyResponseBytes: { fields: [0], valid: () => [{ chainId: 'x', kind: 'key', requestId: 1, result: { publicKey: secpKey } }], nested: (h) => [[{ chainId: 'x', kind: 'key', requestId: 1, result: h }]] },
  verifySecp256k1Sha256: { valid: () => [secp256k1.sign(sha256(digest), secret, { prehash: false }), digest, secpKey] },
  verifyEd25519: { valid: () => [ed25519.sign(digest, secret), digest, edKey] },
  ed25519Verifier: { valid: () => [edKey] },
  schnorrVerifier: { valid: () => [secpKey.subarray(1)] },
  verifySchnorr: { valid: () => [schnorrSig, digest, secpKey.subarray(1)] },
  xchachaSeal: { valid: () => [secret, secpKey.subarray(0, 24), digest, edKey] },
  xchachaOpen: { valid: () => [secret, secpKey.subarray(0, 24), digest, edKey] },
  nativeSha512: { valid: () => [digest] },
  remember: { valid: () => [new Map(), 'k', 1, 8] },
  checkRequestKind: { valid: () => ['auto'] },
  verifyAccountSignature: { valid: () => [secp256k1.sign(digest, secret, { prehash: false }), digest, secpKey] },
  checkPayloads: { fields: [2], valid: () => ['ecdsa-secp256k1', [digest], { maxPayloads: 4, maxMessageBytes: 64 }] },
  checkPublicKey: { valid: () => ['ecdsa-secp256k1', secpKey] },
  signatureProblem: { valid: () => ['ecdsa-secp256k1', secpKey, digest, ecdsaSig], nested: (h) => [['schnorr-secp256k1', secpKey, digest, h], ['schnorr-secp256k1', h, digest, schnorrSig], ['eddsa-ed25519', h, digest, new Uint8Array(64)]] },
  xOnly: { valid: () => [secpKey] },
  workspaceAddress: { valid: () => [1] },
  keyringAddress: { valid: () => [1] },
  // policies
  evaluatePolicy: { valid: () => [expr, new Map([[alice.address, 'approve']])] },
  formatPolicyExpression: { valid: () => [expr, { a: alice.address }] },
  parsePolicyExpression: { valid: () => ['any(1, [a])', { a: alice.address }] },
  explainPolicyDecision: { valid: () => [txExpr, new Map([[alice.address, 'approve']]), [true], { a: alice.address }] },
  txConditionsOf: { valid: () => [txExpr] },
  judgeTxConditions: {
    fields: [1],
    valid: () => [txExpr, { transaction: decodedTx, allowlists: { t: ['0x01'] }, tokens: { usdc: { chain: 'evm', asset: '0x02', decimals: 6 } } }],
    nested: (h) => [[txExpr, { transaction: { ...decodedTx, transfers: h } }], [txExpr, { transaction: { ...decodedTx, transfers: [h] } }], [txExpr, { transaction: { ...decodedTx, fields: h } }], [txExpr, { tokens: { usdc: h } }], [txExpr, { allowlists: { t: h } }]],
  },
  toBaseUnits: { valid: () => ['0.1', 18] },
  formatBaseUnits: { valid: () => [10n ** 17n, 18] },
  policyAddresses: { valid: () => [expr] },
  // keyrings
  abstain: { valid: () => ['no share of this key'] },
  transientError: { valid: () => ['node down', new Error('ECONNREFUSED')] },
  memorySecretStore: { valid: () => [] },
  encryptedSecretStore: { fields: [1],
    valid: () => [core.memorySecretStore(), { key: new Uint8Array(32).fill(9) }],
    live: { 0: 'the inner SecretStore: a live store whose get/set are the contract' },
    nested: (h) => [[core.memorySecretStore(), { key: h }], [core.memorySecretStore(), { passphrase: h }]],
  },
  localKeyring: { fields: [0], valid: () => [{}], nested: (h) => [[{ keyTypes: h }]] },
  recoveredToRsv: { valid: () => [secp256k1.sign(digest, secret, { prehash: false, format: 'recovered' })] },
  signWithSecret: { fields: [0],
    valid: () => [{ keyType: 'ecdsa-secp256k1', secret, payload: digest }],
    nested: (h) => [
      [{ keyType: h, secret, payload: digest }],
      [{ keyType: 'ecdsa-secp256k1', secret: h, payload: digest }],
      [{ keyType: 'eddsa-ed25519', secret: h, payload: digest }],
      [{ keyType: 'schnorr-secp256k1', secret, payload: h }],
      [{ keyType: 'ecdsa-secp256k1', secret, payload: digest, tweak: h }],
      [{ keyType: 'ecdsa-secp256k1', secret, payload: digest, negate: h }],
    ],
  },
  // relayers
  memoryRelayJournal: { valid: () => [] },
  splitRelayOptions: { fields: [0], valid: () => [{ to: 'x', timeoutMs: 1 }] },
  createRelayMetrics: { fields: [0], valid: () => [{ maxTrackedRelays: 10, maxKeys: 2 }] },
  // metrics
  renderMetrics: {
    valid: () => [[gaugeFamily, histogramFamily]],
    nested: (h) => [
      [[{ ...gaugeFamily, name: h }]],
      [[{ ...gaugeFamily, help: h }]],
      [[{ ...gaugeFamily, type: h }]],
      [[{ ...gaugeFamily, samples: h }]],
      [[{ ...gaugeFamily, samples: [h] }]],
      [[{ ...gaugeFamily, samples: [{ labels: h, value: 1 }] }]],
      [[{ ...gaugeFamily, samples: [{ labels: { a: h }, value: 1 }] }]],
      [[{ ...gaugeFamily, samples: [{ value: h }] }]],
      [[{ ...histogramFamily, bounds: h }]],
      [[{ ...histogramFamily, samples: [{ buckets: h, sum: 1, count: 1 }] }]],
      [[{ ...histogramFamily, samples: [{ buckets: [h], sum: 1, count: 1 }] }]],
      [[{ ...histogramFamily, samples: [{ buckets: [1], sum: h, count: 1 }] }]],
      [[{ ...histogramFamily, samples: [{ buckets: [1], sum: 1, count: h }] }]],
      [[gaugeFamily, { ...gaugeFamily, type: h }]],
    ],
  },
  // derivation
  formatDerivationPath: { valid: () => [[0, 'savings']] },
  parseDerivationPath: { valid: () => ['m/0/1'] },
  chainCodeOf: { valid: () => [secpKey] },
  deriveKey: { valid: () => ['ecdsa-secp256k1', secpKey, 'm/0/1'], nested: (h) => [['eddsa-ed25519', h, [0]], ['schnorr-secp256k1', h, 'label']] },
  tweakSecret: { valid: () => ['ecdsa-secp256k1', 5n, 7n] },
  extendedPublicKey: { fields: [2], valid: () => ['ecdsa-secp256k1', secpKey, { network: 'testnet' }], nested: (h) => [['ecdsa-secp256k1', secpKey, { network: h }]] },
  applySigningKey: { fields: [2], valid: () => ['ecdsa-secp256k1', 5n, { negate: false, tweak: 7n }], nested: (h) => [['ecdsa-secp256k1', 5n, { negate: h, tweak: 1n }], ['eddsa-ed25519', 5n, { negate: false, tweak: h }]] },
  signingKey: { fields: [2],
    valid: () => ['schnorr-secp256k1', secpKey, { path: 'm/0/3', taproot: {} }],
    nested: (h) => [
      ['ecdsa-secp256k1', secpKey, { path: h }],
      ['schnorr-secp256k1', secpKey, { taproot: h }],
      ['schnorr-secp256k1', secpKey, { taproot: { merkleRoot: h } }],
      ['schnorr-secp256k1', h, { taproot: {} }],
      ['eddsa-ed25519', h, { path: [1] }],
    ],
  },
  // addresses
  assertKeyTypeFitsWallet: { fields: [1], valid: () => ['ecdsa-secp256k1', { type: 'evm' }] },
  bitcoinHrp: { valid: () => ['signet'] },
  walletKeyTypes: { valid: () => ['solana'] },
  walletTypeFromNumber: { valid: () => [2] },
  walletTypeName: { fields: [0], valid: () => [{ type: 'evm' }] },
  walletTypeToNumber: { fields: [0], valid: () => [{ type: 'bitcoin', network: 'regtest' }] },
  publicKeyToEvmAddress: { valid: () => [secpKey65] },
  toChecksumAddress: { valid: () => ['0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359'] },
  decodeSegwitAddress: { valid: () => ['bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0', 'bc'] },
  encodeSegwitAddress: { valid: () => ['bc', 0, new Uint8Array(20)] },
  p2trAddress: { fields: [1], valid: () => [secpKey, { network: 'regtest' }], nested: (h) => [[secpKey, { network: h }], [secpKey, { hrp: h }]] },
  p2wpkhAddress: { fields: [1], valid: () => [secpKey, { network: 'regtest' }], nested: (h) => [[secpKey, { network: h }], [secpKey, { hrp: h }]] },
  taggedHash: { valid: () => ['TapTweak', secpKey], extra: 1 },
  taprootOutputKey: { valid: () => [secpKey, new Uint8Array(32)] },
  solanaAddress: { valid: () => [edKey] },
  zcashTransparentAddress: { fields: [1], valid: () => [secpKey, { network: 'testnet' }], nested: (h) => [[secpKey, { network: h }]] },
  deriveAddress: { fields: [0, 1],
    valid: () => [{ keyType: 'ecdsa-secp256k1', publicKey: secpKey }, { type: 'native', prefix: 'cosmos' }],
    nested: (h) => [
      [{ keyType: h, publicKey: secpKey }, { type: 'evm' }],
      [{ keyType: 'ecdsa-secp256k1', publicKey: h }, { type: 'evm' }],
      [{ keyType: 'ecdsa-secp256k1', publicKey: h }, { type: 'native' }],
      [{ keyType: 'ecdsa-secp256k1', publicKey: h }, { type: 'bitcoin' }],
      [{ keyType: 'ecdsa-secp256k1', publicKey: h }, { type: 'zcash' }],
      [{ keyType: 'schnorr-secp256k1', publicKey: h }, { type: 'bitcoin-taproot' }],
      [{ keyType: 'eddsa-ed25519', publicKey: h }, { type: 'solana' }],
      [{ keyType: 'ecdsa-secp256k1', publicKey: secpKey }, { type: 'native', prefix: h }],
      [{ keyType: 'ecdsa-secp256k1', publicKey: secpKey }, { type: 'bitcoin', network: h }],
      [{ keyType: 'schnorr-secp256k1', publicKey: secpKey }, { type: 'bitcoin-taproot', hrp: h }],
      [{ keyType: 'ecdsa-secp256k1', publicKey: secpKey }, { type: 'zcash', network: h }],
    ],
  },
  deriveAddresses: { fields: [0], valid: () => [{ keyType: 'ecdsa-secp256k1', publicKey: secpKey }, [{ type: 'evm' }]], nested: (h) => [[{ keyType: 'ecdsa-secp256k1', publicKey: secpKey }, [h]]] },
}

/**
 * A ledger with a workspace, a keyring, a key, a settled action and settled requests, for the client
 * actions: each takes a live client (not fuzzed) and plain parameters (fuzzed whole and field by field).
 */
type World = { s: Setup; key: TestKey; actionId: number; signRequestId: number; spareKeyring: string; child: string }
let w: World

async function buildWorld(): Promise<World> {
  const s = await setup({ extraOwners: 1 })
  const key = await createTestKey(s, 'ecdsa-secp256k1')
  const [a, b] = [s.owner, s.owners[1]!]
  const { policyId } = await a.client.createPolicy({ name: 'both', participants: { a: a.address, b: b.address }, expression: 'all([a, b])' })
  await a.client.updateWorkspace({ workspace: s.workspace, adminPolicyId: policyId })
  const pending = await a.client.updateWorkspace({ workspace: s.workspace, alias: 'table' })
  const actionId = pending.receipt.result.actionId as number
  await b.client.approveAction({ actionId })
  const { requestId: signRequestId } = await a.client.requestSignature({ keyId: key.keyId, payloads: [digest] })
  await s.parties[0]!.client.fulfilSignRequest({ requestId: signRequestId, result: { signatures: [schemeSign(key, digest)] } })
  const { keyring: spareKeyring } = await s.admin.client.createKeyring({ description: 'spare', parties: [s.parties[0]!.address], partyThreshold: 1, keyRequestFee: 0n, signRequestFee: 0n })
  const { workspace: child } = await a.client.createWorkspace({ alias: 'child' })
  return { s, key, actionId, signRequestId, spareKeyring, child }
}

/** Waits in the table end on their own: a short timeout, and a signal for the cases that replace it. */
const briefly = () => ({ timeoutMs: 50, signal: AbortSignal.timeout(500) })
const owner = () => w.s.owner.client
const admin = () => w.s.admin.client
const party = () => w.s.parties[0]!.client
const clientLive = { 0: 'a ZrClient: a live ledger connection and account, not a plain value' }
const action = (valid: () => readonly unknown[]): TableEntry => ({ valid, live: clientLive, fields: [1] })

const actions: Record<string, TableEntry> = {
  getBalance: action(() => [owner(), { address: w.s.owner.address }]),
  send: action(() => [owner(), { to: w.s.outsider.address, amount: 1n }]),
  createWorkspace: action(() => [owner(), { alias: 'w', additionalOwners: [w.s.owners[1]!.address] }]),
  addWorkspaceOwner: action(() => [owner(), { workspace: w.child, owner: w.s.outsider.address }]),
  removeWorkspaceOwner: action(() => [owner(), { workspace: w.child, owner: w.s.outsider.address }]),
  updateWorkspace: action(() => [owner(), { workspace: w.child, alias: 'x' }]),
  createChildWorkspace: action(() => [owner(), { parent: w.child, alias: 'c' }]),
  appendChildWorkspace: action(() => [owner(), { parent: w.s.workspace, child: w.child }]),
  getWorkspace: action(() => [owner(), { address: w.s.workspace }]),
  listWorkspaces: action(() => [owner(), { owner: w.s.owner.address, limit: 5, cursor: '1' }]),
  createKeyring: action(() => [admin(), { description: 'k', parties: [w.s.parties[0]!.address], partyThreshold: 1, keyRequestFee: 1n, signRequestFee: 1n, admins: [] }]),
  updateKeyring: action(() => [admin(), { keyring: w.s.keyring, description: 'd', partyThreshold: 1 }]),
  addKeyringParty: action(() => [admin(), { keyring: w.spareKeyring, party: w.s.outsider.address, increaseThreshold: false }]),
  removeKeyringParty: action(() => [admin(), { keyring: w.spareKeyring, party: w.s.outsider.address, decreaseThreshold: false }]),
  addKeyringAdmin: action(() => [admin(), { keyring: w.spareKeyring, admin: w.s.outsider.address }]),
  removeKeyringAdmin: action(() => [admin(), { keyring: w.spareKeyring, admin: w.s.outsider.address }]),
  deactivateKeyring: action(() => [admin(), { keyring: w.spareKeyring }]),
  withdrawKeyringFees: action(() => [admin(), { keyring: w.s.keyring, to: w.s.admin.address, amount: 1n }]),
  getKeyring: action(() => [owner(), { address: w.s.keyring }]),
  listKeyrings: action(() => [owner(), { party: w.s.parties[0]!.address, active: true }]),
  createPolicy: action(() => [owner(), { name: 'p', participants: { a: w.s.owner.address }, expression: 'a', ttlMs: 60_000 }]),
  getPolicy: action(() => [owner(), { id: 1 }]),
  approveAction: action(() => [owner(), { actionId: w.actionId }]),
  rejectAction: action(() => [owner(), { actionId: w.actionId }]),
  revokeAction: action(() => [owner(), { actionId: w.actionId }]),
  getAction: action(() => [owner(), { id: w.actionId }]),
  listActions: action(() => [owner(), { workspace: w.s.workspace, participant: w.s.owner.address, status: 'approved' }]),
  waitForAction: action(() => [owner(), { actionId: w.actionId, ...briefly() }]),
  requestKey: action(() => [owner(), { workspace: w.s.workspace, keyring: w.s.keyring, keyType: 'ecdsa-secp256k1', ttlMs: 60_000 }]),
  getKeyRequest: action(() => [owner(), { id: w.key.requestId }]),
  listKeyRequests: action(() => [owner(), { workspace: w.s.workspace, keyring: w.s.keyring, status: 'fulfilled' }]),
  waitForKeyRequest: action(() => [owner(), { requestId: w.key.requestId, ...briefly() }]),
  createKey: action(() => [owner(), { workspace: w.s.workspace, keyring: w.s.keyring, keyType: 'schnorr-secp256k1', ...briefly() }]),
  getKey: action(() => [owner(), { id: w.key.keyId, path: 'm/0/1', wallets: [{ type: 'evm' }] }]),
  listKeys: action(() => [owner(), { workspace: w.s.workspace, keyring: w.s.keyring }]),
  fulfilKeyRequest: action(() => [party(), { requestId: w.key.requestId, result: { publicKey: w.key.publicKey } }]),
  requestSignature: action(() => [owner(), { keyId: w.key.keyId, payloads: [digest], path: [0], metadata: { note: 'x' } }]),
  previewTransactionSignature: action(() => [owner(), { keyId: w.key.keyId, chain: 'evm', unsignedTransaction: '0x02c0', network: 'x' }]),
  requestTransactionSignature: action(() => [owner(), { keyId: w.key.keyId, chain: 'evm', unsignedTransaction: '0x02c0', network: 'x', metadata: { note: 'x' } }]),
  setWorkspaceAllowlist: action(() => [owner(), { workspace: w.child, name: 'treasury', entries: [w.s.outsider.address] }]),
  setWorkspaceToken: action(() => [owner(), { workspace: w.child, name: 'usdc' }]),
  getSignRequest: action(() => [owner(), { id: w.signRequestId }]),
  listSignRequests: action(() => [owner(), { keyId: w.key.keyId, status: 'fulfilled' }]),
  waitForSignRequest: action(() => [owner(), { requestId: w.signRequestId, ...briefly() }]),
  sign: action(() => [owner(), { keyId: w.key.keyId, payloads: [digest], ...briefly() }]),
  fulfilSignRequest: action(() => [party(), { requestId: w.signRequestId, result: { signatures: [schemeSign(w.key, digest)] } }]),
  sendMessage: action(() => [owner(), { msg: { type: 'bank.Send', to: w.s.outsider.address, amount: 1n }, memo: 'm' }]),
  waitUntil: {
    valid: () => [owner(), 'funds', { types: ['bank.transfer'] }, async () => true, briefly(), () => true],
    live: { ...clientLive, 3: 'the check callback: a live function of the caller' },
    fields: [4],
  },
  watchEvents: {
    valid: () => [owner(), { types: ['bank.transfer'] }, () => {}, { fromSeq: 0 }],
    live: { ...clientLive, 2: 'the listener callback: a live function of the caller' },
    fields: [3],
  },
  createZrClient: { valid: () => [{ ledger: w.s.ledger, account: w.s.owner.account }], live: { 0: 'its ledger and account are live objects; the fields are fuzzed' }, fields: [0] },
}

/** Exports that are not in the table, and why. */
const excluded: Record<string, string> = {
  nativeSha512Stream: "takes no argument: it makes the platform's streaming SHA-512 (its digests are checked against noble, clones and all, in mpc's ot.test.ts)",
  ZrError: 'the error class itself: its constructor records what the caller says (code, message) and takes no input to check',
  connectLedger: 'a factory over a live channel (a message port or socket of the caller): no plain value to fuzz',
  serveLedger: 'a factory over a live ledger and a live channel: no plain value to fuzz',
  connectLedgerWs: 'opens a network connection, so a valid URL would dial out and wait; its URL and option checks are in test/remote/ledgerWsLimits.test.ts',
  createConnector: 'a factory over a live client, ledger and keyring backend (objects with methods), started and stopped by the caller',
  createRelayer: 'a factory over a live client, a chain adapter and a journal (objects with methods); its plain parameters are checked by createRelayer.test.ts',
  bindRelayer: 'a factory over a live client and a chain adapter (objects with methods); its plain parameters are checked by createRelayer.test.ts',
  sleep: 'waits the time it is given, so a hostile but valid time would wait for days; its input checks (and the 2^31 - 1 ms bound) are in async/sleep.test.ts',
  pollUntil: 'calls a function of the caller until it returns a value; its option checks are in async/sleep.test.ts',
  ledgerDecoders: 'a factory over a live client (it asks the ledger when called); used by the relayers, tested through createRelayer.test.ts',
  requestTransactionOrPayloads: 'takes a live client and a live decodes() function; its paths are tested through createRelayer.test.ts',
  answerMetrics: 'answers a live HTTP request on a live response (node:http objects); its 200, 405 and 503 answers are tested through the servers that use it (test/remote/ledgerMetrics.test.ts, mpc transport/relayStatus.test.ts)',
  verifyLedgerDatabase: 'takes a live store (a database it opens, replays and closes); its refusals of what is not a ledger database are tested in ledger/store/sqliteStore.test.ts',
}

describe('@zrkit/core exports with hostile inputs', () => {
  beforeAll(async () => {
    w = await buildWorld()
  })

  for (const [name, entry] of Object.entries({ ...table, ...actions })) {
    it(name, async () => {
      const failures = await failuresOf(name, (core as Record<string, unknown>)[name], entry)
      expect(failures).toEqual([])
    })
  }

  it('every exported function has an entry or a reasoned exclusion', () => {
    const functions = Object.entries(core).filter(([, v]) => typeof v === 'function').map(([k]) => k)
    const missing = functions.filter((k) => !(k in table) && !(k in actions) && !(k in excluded))
    expect(missing, 'exported functions with neither a table entry nor an exclusion').toEqual([])
    const stale = [...Object.keys(table), ...Object.keys(actions), ...Object.keys(excluded)].filter((k) => typeof (core as Record<string, unknown>)[k] !== 'function')
    expect(stale, 'entries for names that are no longer exported functions').toEqual([])
  })
})
