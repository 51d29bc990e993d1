import { publicKeyToAddress } from '../account/address.js'
import { ZrError, isZrError } from '../errors/ZrError.js'
import { canonicalParse } from '../encoding/canonical.js'
import { getAccount, transfer } from './bank/bank.js'
import {
  addKeyringAdmin,
  addKeyringParty,
  deactivateKeyring,
  newKeyring,
  removeKeyringAdmin,
  removeKeyringParty,
  updateKeyring,
  withdrawKeyringFees,
} from './identity/keyrings.js'
import {
  addWorkspaceOwner,
  appendChildWorkspace,
  checkWorkspaceMessage,
  gatedWorkspace,
  newChildWorkspace,
  newWorkspace,
  removeWorkspaceOwner,
  requireOwner,
  requireWorkspace,
  updateWorkspace,
} from './identity/workspaces.js'
import type { Message } from './messages.js'
import { castVote, closeAction, decideAlone, openAction, revoke } from './policy/actions.js'
import { newPolicy } from './policy/policies.js'
import type { LedgerState } from './state.js'
import { StateTx } from './state.js'
import { rejectKeyRequest, rejectSignRequest } from './treasury/close.js'
import { fulfilKeyRequest, newKeyRequest, sameKey } from './treasury/keyRequests.js'
import { responsesSummary } from './treasury/responses.js'
import { fulfilSignRequest, newSignRequest, newSignTransactionRequest, sameSignatures, settleSignRequestAction } from './treasury/signRequests.js'
import { setWorkspaceAllowlist, setWorkspaceToken } from './identity/workspaceNames.js'
import { verifySecp256k1Sha256 } from '../crypto/nativeCrypto.js'
import { type SignedTx, txHash, txSignBytes } from './tx.js'
import { type Action, type Genesis, type PartyResponse, defaultLedgerParams } from './types.js'
import type { TransactionDecoder } from '../transaction/TransactionDecoder.js'
import type { LogEntry } from './store/LedgerStore.js'
import { normalizeAddressCase, normalizeMessageAddresses } from './normalizeMessageAddresses.js'
import { checkAccount, checkAmount, checkBytes, checkInt, checkString, invalid } from './validate.js'

/** What a message returned: the ids it created and where it stands. */
export type MessageResult = Readonly<Record<string, string | number | undefined>>

type Handler = (tx: StateTx, sender: string, msg: never) => MessageResult

const handlers: Record<Message['type'], Handler> = {
  'bank.Send': (tx, sender, msg: { to: unknown; amount: unknown }) => {
    const to = checkAccount(msg.to, 'to')
    transfer(tx, sender, to, checkAmount(msg.amount, 'amount', { positive: true }))
    return {}
  },
  'identity.NewWorkspace': newWorkspace,
  'identity.AddWorkspaceOwner': addWorkspaceOwner,
  'identity.RemoveWorkspaceOwner': removeWorkspaceOwner,
  'identity.UpdateWorkspace': updateWorkspace,
  'identity.NewChildWorkspace': newChildWorkspace,
  'identity.AppendChildWorkspace': appendChildWorkspace,
  'identity.SetWorkspaceAllowlist': setWorkspaceAllowlist,
  'identity.SetWorkspaceToken': setWorkspaceToken,
  'identity.NewKeyring': newKeyring,
  'identity.UpdateKeyring': updateKeyring,
  'identity.AddKeyringParty': addKeyringParty,
  'identity.RemoveKeyringParty': removeKeyringParty,
  'identity.AddKeyringAdmin': addKeyringAdmin,
  'identity.RemoveKeyringAdmin': removeKeyringAdmin,
  'identity.DeactivateKeyring': deactivateKeyring,
  'identity.WithdrawKeyringFees': withdrawKeyringFees,
  'policy.NewPolicy': newPolicy,
  'policy.ApproveAction': (tx, sender, msg: { actionId: unknown }) => settle(tx, castVote(tx, sender, msg.actionId, 'approve')),
  'policy.RejectAction': (tx, sender, msg: { actionId: unknown }) => settle(tx, castVote(tx, sender, msg.actionId, 'reject')),
  'policy.RevokeAction': (tx, sender, msg: { actionId: unknown }) => settle(tx, revoke(tx, sender, msg.actionId)),
  'treasury.NewKeyRequest': newKeyRequest,
  'treasury.FulfilKeyRequest': fulfilKeyRequest,
  'treasury.NewSignRequest': newSignRequest,
  'treasury.NewSignTransactionRequest': newSignTransactionRequest,
  'treasury.FulfilSignRequest': fulfilSignRequest,
}

/** Workspace changes that are decided under the workspace's admin policy. */
const adminGated = new Set<Message['type']>([
  'identity.AddWorkspaceOwner',
  'identity.RemoveWorkspaceOwner',
  'identity.UpdateWorkspace',
  'identity.NewChildWorkspace',
  'identity.AppendChildWorkspace',
  'identity.SetWorkspaceAllowlist',
  'identity.SetWorkspaceToken',
])

/** Runs a message's handler; workspace admin changes go through the admin policy first. */
function dispatch(tx: StateTx, sender: string, signedMsg: Message): MessageResult {
  // addresses in lower case before any handler sees them (BIP173 allows all-upper-case bech32)
  const msg = normalizeMessageAddresses(signedMsg)
  // own keys only: inherited names such as "toString" or "constructor" are not message types
  const handler = Object.hasOwn(handlers, msg.type) ? handlers[msg.type] : undefined
  if (!handler) throw new ZrError('UNKNOWN_MESSAGE', 'Unknown message type.', { details: `expected one of ${Object.keys(handlers).join(', ')}, got ${JSON.stringify(msg.type)}` })
  if (adminGated.has(msg.type)) {
    checkWorkspaceMessage(msg as never)
    const w = requireWorkspace(tx, gatedWorkspace(msg as never))
    requireOwner(w, sender)
    const { verdict } = decideAlone(tx, w.adminPolicyId, w.owners, sender)
    if (verdict === 'rejected') throw new ZrError('ACTION_REJECTED', 'The admin policy rejects this change.', { details: `policy ${w.adminPolicyId} of ${w.address} rejects a change by ${sender}` })
    if (verdict === 'pending') {
      // Check it would apply now; it is applied again, against the state of the day, once approved.
      handler(tx.fork(), sender, msg as never)
      const a = openAction(tx, { creator: sender, workspace: w.address, policyId: w.adminPolicyId, owners: w.owners, subject: { kind: 'message', message: msg } })
      return { actionId: a.id, status: 'pending' }
    }
  }
  return handler(tx, sender, msg as never)
}

/** Carries a closed action to what it decides on. */
function settle(tx: StateTx, a: Action): MessageResult {
  if (a.status === 'pending') return { actionId: a.id, status: a.status }
  if (a.subject.kind === 'sign-request') settleSignRequestAction(tx, a)
  else if (a.status === 'approved') {
    const run = tx.fork()
    try {
      const result = handlers[a.subject.message.type](run, a.creator, a.subject.message as never)
      tx.absorb(run)
      return { actionId: a.id, status: a.status, ...result }
    } catch (e) {
      if (!isZrError(e)) throw e
      const failed = closeAction(tx, { ...a, status: 'pending' }, 'rejected', `approved, but could not be applied: ${e.shortMessage} ${e.details ?? ''}`.trim())
      return { actionId: a.id, status: failed.status }
    }
  }
  return { actionId: a.id, status: a.status }
}

/** Rejects what has outlived its time-to-live at `tx.time`. */
export function expireDue(tx: StateTx): void {
  for (const id of tx.openIds('actions', tx.time)) {
    const a = tx.get('actions', id)!
    if (a.expiresAt <= tx.time) settle(tx, closeAction(tx, a, 'expired', 'time-to-live passed before the policy decided'))
  }
  for (const id of tx.openIds('keyRequests', tx.time)) {
    const r = tx.get('keyRequests', id)!
    if (r.expiresAt <= tx.time) rejectKeyRequest(tx, r, expiredReason(r.responses, sameKey))
  }
  for (const id of tx.openIds('signRequests', tx.time)) {
    const r = tx.get('signRequests', id)!
    if (r.status === 'pending' && r.expiresAt <= tx.time) rejectSignRequest(tx, r, expiredReason(r.responses, sameSignatures))
  }
}

/** Why a pending request expired: what the parties had posted by then, if anything. */
function expiredReason(responses: readonly PartyResponse[], same: (a: PartyResponse, b: PartyResponse) => boolean): string {
  const base = 'expired: the keyring did not answer within the time-to-live'
  return responses.length ? responsesSummary(`${base}; by then `, responses, same) : base
}

/** The earliest deadline among open records, or undefined when nothing is open. */
export function nextDeadline(state: LedgerState): number | undefined {
  let min: number | undefined
  for (const table of ['actions', 'keyRequests', 'signRequests'] as const) {
    for (const r of state.open[table]?.values() ?? []) {
      if (r.status === 'partial') continue
      if (min === undefined || r.expiresAt < min) min = r.expiresAt
    }
  }
  return min
}

/** Authenticates a signed tx and applies its message on `tx`. Throws a ZrError and leaves `tx` unusable on failure. */
export function applySignedTx(tx: StateTx, signed: SignedTx): { hash: string; result: MessageResult } {
  if (!signed || typeof signed !== 'object') throw invalid('transaction', 'a signed transaction object', signed)
  checkString(signed.chainId, 'chainId', { min: 1, max: 64 })
  if (signed.chainId !== tx.chainId) {
    throw new ZrError('CHAIN_ID_MISMATCH', 'Transaction is for another chain.', { details: `expected chain id "${tx.chainId}", got "${signed.chainId}"` })
  }
  const signer = checkAccount(signed.signer, 'signer')
  const publicKey = checkBytes(signed.publicKey, 'publicKey', 33)
  const sequence = checkInt(signed.sequence, 'sequence')
  const signature = checkBytes(signed.signature, 'signature', 64)
  if (signed.memo !== undefined) checkString(signed.memo, 'memo', { max: 256 })
  if (!signed.msg || typeof signed.msg !== 'object' || typeof signed.msg.type !== 'string') throw invalid('msg', 'a message object with a type', signed.msg)
  let derived: string
  try {
    derived = publicKeyToAddress(publicKey)
  } catch {
    throw new ZrError('INVALID_TX_SIGNATURE', 'Invalid sender public key.', { details: 'expected a compressed secp256k1 point' })
  }
  if (derived !== signer) throw new ZrError('INVALID_TX_SIGNATURE', 'Public key does not match the signer.', { details: `expected the key of ${signer}, got the key of ${derived}` })
  const hash = txHash(signed)
  const seen = tx.get('txs', hash)
  if (seen) {
    throw new ZrError('TX_REPLAYED', 'Transaction was already applied.', { details: `tx ${hash} was applied at height ${seen.height}`, context: { hash, height: seen.height } })
  }
  if (!verifySecp256k1Sha256(signature, txSignBytes(signed), publicKey)) {
    throw new ZrError('INVALID_TX_SIGNATURE', 'Transaction signature does not verify.', { details: `expected a low-S signature by ${signer} over the transaction` })
  }
  const account = getAccount(tx, signer)
  if (sequence !== account.sequence) {
    throw new ZrError('SEQUENCE_MISMATCH', 'Wrong account sequence.', {
      details: `expected sequence ${account.sequence} for ${signer}, got ${sequence}`,
      context: { expected: account.sequence, got: sequence, address: signer },
    })
  }
  // The key is known from the first message on, so handlers can check signatures by the sender.
  if (!account.publicKey) tx.put('accounts', signer, { ...account, publicKey })
  const result = dispatch(tx, signer, signed.msg)
  const after = getAccount(tx, signer)
  tx.put('accounts', signer, { ...after, sequence: after.sequence + 1 })
  // Everything its receipt says, so a sender who lost the reply can look it up by hash (no event follows this line).
  tx.put('txs', hash, { hash, height: tx.height, signer, sequence, time: tx.time, result, events: { first: tx.state.eventCount + 1, count: tx.emittedCount } })
  return { hash, result }
}

/** Sets up the chain's identity from genesis: chain id, params, the decoders that run. */
export function applyGenesisConfig(state: LedgerState, genesis: Genesis): void {
  if (genesis === null || typeof genesis !== 'object') throw invalid('genesis', 'an object { chainId, balances?, params? }', genesis)
  checkString(genesis.chainId, 'chainId', { min: 1, max: 64 })
  if (genesis.params !== undefined && (genesis.params === null || typeof genesis.params !== 'object' || Array.isArray(genesis.params))) throw invalid('genesis params', 'an object of ledger params', genesis.params)
  const balances: unknown = genesis.balances ?? []
  if (!Array.isArray(balances)) throw invalid('genesis balances', 'a list of { address, amount }', balances)
  state.chainId = genesis.chainId
  state.params = Object.freeze({ ...defaultLedgerParams, ...(genesis.params ?? {}) })
  state.decoders = genesisDecoders(state.available, genesis.transactionDecoders)
}

/** Sets up a fresh state from genesis (the log's first entry, whose text is `body`). */
function applyGenesis(state: LedgerState, genesis: Genesis, time: number, body: string): void {
  applyGenesisConfig(state, genesis)
  const balances = genesis.balances ?? []
  const tx = new StateTx(state, 1, time)
  for (const [i, entry] of balances.entries()) {
    if (entry === null || typeof entry !== 'object') throw invalid(`genesis balances[${i}]`, 'an object { address, amount }', entry)
    const { amount } = entry as { amount: unknown }
    // an all-upper-case address is the same account (BIP173): kept in lower case, as in messages
    const address = checkAccount(normalizeAddressCase((entry as { address: unknown }).address), 'genesis balance address')
    const a = getAccount(tx, address)
    tx.put('accounts', address, { ...a, balance: a.balance + checkAmount(amount, 'genesis amount') })
  }
  tx.emit('genesis', { chainId: genesis.chainId })
  tx.commit(body)
}

/**
 * The decoders genesis lists (`['evm@1']`), taken from those the ledger was opened with. A listed chain
 * missing, or given at another version, is `INVALID_CONFIG`: this ledger could not decode its own history.
 */
function genesisDecoders(available: ReadonlyMap<string, TransactionDecoder>, listed: unknown): ReadonlyMap<string, TransactionDecoder> {
  if (listed === undefined) return new Map()
  if (!Array.isArray(listed) || listed.length > 32) throw invalid('genesis transactionDecoders', 'a list of at most 32 "chain@version" strings', listed)
  const running = new Map<string, TransactionDecoder>()
  for (const id of listed) {
    const m = typeof id === 'string' ? /^([a-z][a-z0-9]{0,31})@([1-9][0-9]{0,5})$/.exec(id) : null
    if (!m) throw invalid('genesis transactionDecoders entry', 'a "chain@version" string such as "evm@1"', id)
    const [, chain, version] = m as unknown as [string, string, string]
    if (running.has(chain)) throw invalid('genesis transactionDecoders', 'each chain once', `${chain} twice`)
    const decoder = available.get(chain)
    if (!decoder || decoder.version !== Number(version)) {
      throw new ZrError('INVALID_CONFIG', 'The ledger lacks a transaction decoder its genesis names.', {
        details: `genesis runs ${id}; the ledger was opened with ${decoder ? `${chain}@${decoder.version}` : `no decoder for ${chain}`} (transactionDecoders: ${[...available.values()].map((d) => `${d.chain}@${d.version}`).join(', ') || 'none'})`,
      })
    }
    running.set(chain, decoder)
  }
  return running
}

/** The content of one log entry. */
export type EntryBody = { genesis: Genesis } | { tx: SignedTx } | { tick: true }

/**
 * Applies one log entry to the state: time moves to the entry's, what has expired is rejected, then
 * the entry's tx (if any) runs. All of it or none of it is applied.
 */
export function applyEntry(state: LedgerState, entry: LogEntry, body: EntryBody) {
  if ('genesis' in body) {
    applyGenesis(state, body.genesis, entry.time, entry.body)
    return { events: [...state.rows.eventsAfter(0)], result: {} as MessageResult, hash: undefined }
  }
  const tx = new StateTx(state, entry.height, entry.time)
  expireDue(tx)
  const applied = 'tx' in body ? applySignedTx(tx, body.tx) : undefined
  const events = tx.commit(entry.body)
  return { events, result: applied?.result ?? {}, hash: applied?.hash }
}

/** Parses a log entry body. */
export function parseEntryBody(text: string): EntryBody {
  return canonicalParse<EntryBody>(text)
}
