import type { Accusation, KeyType } from './types.js'

/** Move native tokens. */
export type SendMessage = { readonly type: 'bank.Send'; readonly to: string; readonly amount: bigint }

/** Create a workspace; the sender becomes its first owner. */
export type NewWorkspaceMessage = {
  readonly type: 'identity.NewWorkspace'
  readonly additionalOwners?: readonly string[]
  readonly adminPolicyId?: number
  readonly signPolicyId?: number
  readonly alias?: string
}
/** Add an owner (decided under the admin policy). */
export type AddWorkspaceOwnerMessage = { readonly type: 'identity.AddWorkspaceOwner'; readonly workspace: string; readonly owner: string }
/** Remove an owner (decided under the admin policy). */
export type RemoveWorkspaceOwnerMessage = { readonly type: 'identity.RemoveWorkspaceOwner'; readonly workspace: string; readonly owner: string }
/** Change policies or alias (decided under the admin policy). */
export type UpdateWorkspaceMessage = {
  readonly type: 'identity.UpdateWorkspace'
  readonly workspace: string
  readonly adminPolicyId?: number
  readonly signPolicyId?: number
  readonly alias?: string
}
/**
 * Set (or, with no entries, remove) a named allowlist of the workspace, for policies such as
 * `tx.to in allowlist(treasury)`. Decided under the admin policy. Entries are addresses in their
 * chain's form; each chain's decoder compares them in its canonical form.
 */
export type SetWorkspaceAllowlistMessage = { readonly type: 'identity.SetWorkspaceAllowlist'; readonly workspace: string; readonly name: string; readonly entries: readonly string[] }
/**
 * Define (or, without `token`, remove) a named token of the workspace, for policies such as
 * `tx.token == usdc && tx.amount < 1000 usdc`. Decided under the admin policy.
 */
export type SetWorkspaceTokenMessage = {
  readonly type: 'identity.SetWorkspaceToken'
  readonly workspace: string
  readonly name: string
  readonly token?: import('./policy/judgeTxConditions.js').TokenDefinition
}
/** Create a child workspace with the parent's owners and policies (decided under the parent's admin policy). */
export type NewChildWorkspaceMessage = { readonly type: 'identity.NewChildWorkspace'; readonly parent: string; readonly alias?: string }
/** Make an existing workspace a child (decided under the parent's admin policy; the sender must own the child). */
export type AppendChildWorkspaceMessage = { readonly type: 'identity.AppendChildWorkspace'; readonly parent: string; readonly child: string }

/** Register a keyring; the sender becomes an admin. */
export type NewKeyringMessage = {
  readonly type: 'identity.NewKeyring'
  readonly description: string
  readonly parties: readonly string[]
  readonly partyThreshold: number
  readonly keyRequestFee: bigint
  readonly signRequestFee: bigint
  readonly admins?: readonly string[]
}
/** Change a keyring's description, fees, threshold or active flag (admins). */
export type UpdateKeyringMessage = {
  readonly type: 'identity.UpdateKeyring'
  readonly keyring: string
  readonly description?: string
  readonly keyRequestFee?: bigint
  readonly signRequestFee?: bigint
  readonly partyThreshold?: number
  readonly isActive?: boolean
}
/** Add a party (admins); optionally raise the threshold by one. */
export type AddKeyringPartyMessage = { readonly type: 'identity.AddKeyringParty'; readonly keyring: string; readonly party: string; readonly increaseThreshold?: boolean }
/** Remove a party (admins); optionally lower the threshold by one. */
export type RemoveKeyringPartyMessage = { readonly type: 'identity.RemoveKeyringParty'; readonly keyring: string; readonly party: string; readonly decreaseThreshold?: boolean }
/** Add an admin (admins). */
export type AddKeyringAdminMessage = { readonly type: 'identity.AddKeyringAdmin'; readonly keyring: string; readonly admin: string }
/** Remove an admin (admins; at least one remains). */
export type RemoveKeyringAdminMessage = { readonly type: 'identity.RemoveKeyringAdmin'; readonly keyring: string; readonly admin: string }
/** Deactivate a keyring: open requests are rejected, new ones refused (admins). */
export type DeactivateKeyringMessage = { readonly type: 'identity.DeactivateKeyring'; readonly keyring: string }
/** Pay out fees the keyring has earned (admins). */
export type WithdrawKeyringFeesMessage = { readonly type: 'identity.WithdrawKeyringFees'; readonly keyring: string; readonly to: string; readonly amount: bigint }

/** Create a policy. */
export type NewPolicyMessage = {
  readonly type: 'policy.NewPolicy'
  readonly name: string
  readonly participants: Readonly<Record<string, string>>
  readonly expression: string
  readonly ttlMs?: number
}
/** Approve an action (participants). */
export type ApproveActionMessage = { readonly type: 'policy.ApproveAction'; readonly actionId: number }
/** Reject an action (participants). */
export type RejectActionMessage = { readonly type: 'policy.RejectAction'; readonly actionId: number }
/** Withdraw an action (its creator). */
export type RevokeActionMessage = { readonly type: 'policy.RevokeAction'; readonly actionId: number }

/** Ask a keyring for a new key. */
export type NewKeyRequestMessage = {
  readonly type: 'treasury.NewKeyRequest'
  readonly workspace: string
  readonly keyring: string
  readonly keyType: KeyType
  readonly signPolicyId?: number
  readonly ttlMs?: number
}
/** A party's result for a key request. */
export type KeyRequestResult = ({ readonly publicKey: Uint8Array } | { readonly rejectReason: string }) & {
  /** Parties the keyring's protocol caught cheating on this request (at most one entry per party). */
  readonly accusations?: readonly Accusation[]
}
/** A keyring party posts its response to a key request. */
export type FulfilKeyRequestMessage = {
  readonly type: 'treasury.FulfilKeyRequest'
  readonly requestId: number
  readonly result: KeyRequestResult
  /** The party's signature over {@link partyResponseDigest} of the request id and the result. */
  readonly partySignature: Uint8Array
}
/** Ask for signatures over payloads with a key. */
export type NewSignRequestMessage = {
  readonly type: 'treasury.NewSignRequest'
  readonly keyId: number
  /** Sign with the child key at this path (canonical segments, see `parseDerivationPath`); absent: the key itself. */
  readonly path?: readonly (number | string)[]
  /** For a Schnorr key: sign for the taproot output key (BIP341; BIP86 without a merkle root). */
  readonly taproot?: { readonly merkleRoot?: Uint8Array }
  readonly payloads: readonly Uint8Array[]
  readonly ttlMs?: number
  readonly metadata?: Readonly<Record<string, string>>
}
/**
 * Ask for the signatures of an unsigned transaction. The ledger decodes it with the decoder of `chain`
 * (part of its genesis), checks it is for the key, computes the payloads itself, and keeps the decoded
 * transaction with the request, where policies judge it and approvers read it.
 */
export type NewSignTransactionRequestMessage = {
  readonly type: 'treasury.NewSignTransactionRequest'
  readonly keyId: number
  /** The decoder: `'evm'`, `'bitcoin'`, `'solana'`, `'cosmos'`. */
  readonly chain: string
  /** The transaction as its chain signs it: EVM RLP, a Bitcoin PSBT, a Solana message, a Cosmos SignDoc. */
  readonly unsignedTransaction: Uint8Array
  /** The network, where the transaction does not name it (Bitcoin: `regtest`, `testnet`...; Solana: `devnet`...). */
  readonly network?: string
  readonly path?: readonly (number | string)[]
  readonly taproot?: { readonly merkleRoot?: Uint8Array }
  readonly ttlMs?: number
  readonly metadata?: Readonly<Record<string, string>>
}
/** A party's result for a signature request. */
export type SignRequestResult = ({ readonly signatures: readonly Uint8Array[] } | { readonly rejectReason: string }) & {
  /** Parties the keyring's protocol caught cheating on this request (at most one entry per party). */
  readonly accusations?: readonly Accusation[]
}
/** A keyring party posts its response to a signature request. */
export type FulfilSignRequestMessage = {
  readonly type: 'treasury.FulfilSignRequest'
  readonly requestId: number
  readonly result: SignRequestResult
  readonly partySignature: Uint8Array
}

/** Every message the ledger accepts. */
export type Message =
  | SendMessage
  | NewWorkspaceMessage
  | AddWorkspaceOwnerMessage
  | RemoveWorkspaceOwnerMessage
  | UpdateWorkspaceMessage
  | NewChildWorkspaceMessage
  | AppendChildWorkspaceMessage
  | SetWorkspaceAllowlistMessage
  | SetWorkspaceTokenMessage
  | NewKeyringMessage
  | UpdateKeyringMessage
  | AddKeyringPartyMessage
  | RemoveKeyringPartyMessage
  | AddKeyringAdminMessage
  | RemoveKeyringAdminMessage
  | DeactivateKeyringMessage
  | WithdrawKeyringFeesMessage
  | NewPolicyMessage
  | ApproveActionMessage
  | RejectActionMessage
  | RevokeActionMessage
  | NewKeyRequestMessage
  | FulfilKeyRequestMessage
  | NewSignRequestMessage
  | NewSignTransactionRequestMessage
  | FulfilSignRequestMessage

/** The `type` of a {@link Message}. */
export type MessageType = Message['type']
