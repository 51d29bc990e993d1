/**
 * `@zrkit/core`: the embedded ledger, client actions, keyring plugin API, connector, addresses, the relay
 * pipeline and errors. This entry is the public API the READMEs teach. Node-only parts are in
 * `@zrkit/core/node`; helpers shared only among zrkit's own packages are in `@zrkit/core/internal`
 * (unstable).
 * @packageDocumentation
 */
// Accounts
export { type Account, generateAccount, privateKeyToAccount } from './account/Account.js'
export { accountPrefix, assertAddress, publicKeyToAddress } from './account/address.js'
// Errors
export { errorCodes, type ZrErrorCode } from './errors/codes.js'
export { ZrError, isZrError, zrErrorFromJSON, type ZrErrorOptions } from './errors/ZrError.js'
export { describeValue } from './errors/describeValue.js'
export { errorCodeDescriptions, type NoContext, type ZrErrorAccusation, type ZrErrorContext, type ZrErrorContextOf, type ZrErrorJSON } from './errors/index.js'
// Encoding
export { toBytes, toHex } from './encoding/bytes.js'
// Ledger
export type { Ledger, SubscribeOptions, TxReceipt, Unsubscribe } from './ledger/Ledger.js'
export { createEmbeddedLedger, type EmbeddedLedger, type EmbeddedLedgerOptions } from './ledger/embeddedLedger.js'
export { ledgerEventTypes, type EventFilter, type LedgerEvent, type LedgerEventType } from './ledger/events.js'
export type * from './ledger/messages.js'
export type { KeyView, Page, PageParams, Queries, QueryKind, QueryParams, QueryResult, SignTransactionPreview } from './ledger/queries.js'
export type { LedgerDatabase, LedgerStore, LegacyLog, LogEntry, SavedLedger } from './ledger/store/LedgerStore.js'
export type { LedgerRows, RowHint, RowId, StateCommit, TableName } from './ledger/store/LedgerRows.js'
export { memoryStore } from './ledger/store/memoryStore.js'
export { verifyLedgerDatabase, type LedgerVerification } from './ledger/verifyLedgerDatabase.js'
export { connectLedger, serveLedger, type ConnectLedgerOptions, type LedgerChannel, type LedgerServer, type ServeLedgerOptions } from './ledger/remoteLedger.js'
export { connectLedgerWs, type ConnectLedgerWsOptions } from './ledger/connectLedgerWs.js'
export type { WebSocketConstructor, WebSocketLike } from './ledger/openWebSocketChannel.js'
export type { MessageResult } from './ledger/stateMachine.js'
export { signTx, txHash, type SignedTx, type UnsignedTx } from './ledger/tx.js'
export {
  defaultLedgerParams,
  keyTypes,
  type AccountRecord,
  type Action,
  type ActionStatus,
  type ActionSubject,
  type ActionVote,
  type Genesis,
  type Key,
  type KeyRequest,
  type KeyRequestStatus,
  type KeyType,
  type Keyring,
  type LedgerParams,
  type PartyResponse,
  type Accusation,
  type Policy,
  type SignRequest,
  type SignRequestTransaction,
  type SignRequestStatus,
  type Workspace,
} from './ledger/types.js'
export { xOnly } from './ledger/treasury/schemes.js'
export { workspaceAddress, keyringAddress } from './ledger/identity/addresses.js'
// Policies
export {
  evaluatePolicy,
  explainPolicyDecision,
  formatPolicyExpression,
  judgeTxConditions,
  parsePolicyExpression,
  policyAddresses,
  txConditionsOf,
  type PolicyDecision,
  type PolicyExpression,
  type TokenDefinition,
  type TxComparison,
  type TxCondition,
  type TxConditionContext,
  type TxConditionResult,
  type TxConditionValues,
  type TxField,
  type TxOperand,
  type Vote,
} from './ledger/policy/expression.js'
// Client
export { createZrClient, type CreateZrClientParameters, type ZrClient } from './client/createZrClient.js'
export { sendMessage, type ClientBase, type SendMessageParameters } from './client/sendMessage.js'
export { waitUntil, watchEvents, type WaitOptions } from './client/wait.js'
export * from './client/actions/bank.js'
export * from './client/actions/workspace.js'
export * from './client/actions/keyring.js'
export * from './client/actions/policy.js'
export * from './client/actions/keyRequest.js'
export * from './client/actions/signRequest.js'
// Keyrings and connectors
export { abstain, transientError, type CreateKeyRequest, type KeyringBackend, type SignRequestInput } from './keyring/KeyringBackend.js'
export { memorySecretStore, type SecretStore } from './keyring/SecretStore.js'
export { encryptedSecretStore, type EncryptedSecretStoreOptions } from './keyring/encryptedSecretStore.js'
export { localKeyring, type LocalKeyringOptions } from './keyring/localKeyring.js'
export { recoveredToRsv, signWithSecret } from './keyring/signWithSecret.js'
export {
  chainCodeOf,
  deriveKey,
  extendedPublicKey,
  formatDerivationPath,
  parseDerivationPath,
  signingKey,
  type DerivationPath,
  type DerivationSegment,
  type DerivedKey,
  type SigningKey,
  type TaprootSpend,
} from './derivation/index.js'
// Addresses
export * from './addresses/index.js'
// Transactions: decoder plugins the ledger runs for sign-transaction requests
export type {
  DecodeTransactionInput,
  DecodeTransactionResult,
  DecodedTransaction,
  TransactionCall,
  TransactionDecoder,
  TransactionTransfer,
} from './transaction/TransactionDecoder.js'
export { formatBaseUnits, toBaseUnits } from './transaction/units.js'
export { createConnector, type Connector, type ConnectorEvent, type ConnectorOptions, type ConnectorStatus, type RetryOptions } from './connector/createConnector.js'
// Relayers: the pipeline every chain relayer shares
export type { AssembledTx, ConfirmOptions, ConfirmProgress, PrepareContext, PreparedTx, RelayAdapter, RelaySigner, ReplaceRequest } from './relayer/RelayAdapter.js'
export { finalRelayStatuses, type RelayJournal, type RelayRecord, type RelayStatus } from './relayer/RelayJournal.js'
export { memoryRelayJournal } from './relayer/memoryRelayJournal.js'
export { bindRelayer, type BindRelayerParameters, type BoundKey, type BoundRelayer } from './relayer/bindRelayer.js'
export type { RelayRequestOptions, RelaySendOptions } from './relayer/RelaySendOptions.js'
export { pollUntil, type PollUntilOptions } from './async/pollUntil.js'
export { sleep } from './async/sleep.js'
export {
  RELAY_ID_METADATA_KEY,
  createRelayer,
  type CreateRelayerParameters,
  type RecoverReturnType,
  type RelayEvent,
  type RelayEventBody,
  type RelayOptions,
  type RelayResult,
  type Relayer,
  type ReplaceRelayParameters,
  type SignedRelay,
  type SubmitRelayParameters,
  type SubmitRelayReturnType,
} from './relayer/createRelayer.js'
export { createRelayMetrics, type RelayMetrics, type RelayMetricsOptions, type RelayMetricsSnapshot, type RelayStep } from './relayer/relayMetrics.js'
// Metrics: the one Prometheus text writer (relay metrics, the ledger server's and the party relay's /metrics)
export { prometheusContentType, renderMetrics, type MetricFamily } from './metrics/renderMetrics.js'
