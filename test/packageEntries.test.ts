// Every published entry point of every package is real: each subpath in a package's `exports` map is
// built by its tsup config from a source module that exports something, and the repository's
// tsconfig paths and vitest aliases name only such entries. The public entries export exactly the names
// pinned below (adding or removing a public name is a conscious edit of this file); `/internal` entries
// share nothing with them; and the built packages load every entry, with the names their sources export.
import { execFile } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))
type PackageJson = { name: string; private?: boolean; exports: Record<string, string | { import: { types: string; default: string } }>; bin?: Record<string, string> }
const packageJson = (dir: string): PackageJson => JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'))

const workspacePackages = readdirSync(join(root, 'packages'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
/** The published packages; private ones (`@zrkit/testkit`) are never built nor published. */
const packages = workspacePackages.filter((dir) => packageJson(dir).private !== true)

/** Every specifier of a private package, with the source its `exports` map names (no build: the TypeScript itself). */
const privateEntries = new Map(
  workspacePackages
    .filter((dir) => packageJson(dir).private === true)
    .flatMap((dir) => {
      const pkg = packageJson(dir)
      return Object.entries(pkg.exports)
        .filter(([subpath, target]) => subpath !== './package.json' && typeof target === 'string')
        .map(([subpath, target]) => [subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`, `packages/${dir}/${(target as string).replace(/^\.\//, '')}`] as const)
    }),
)

/** The `entry` map of a package's tsup config (name -> source path), read from its source text. */
function tsupEntries(dir: string): Record<string, string> {
  const text = readFileSync(join(root, 'packages', dir, 'tsup.config.ts'), 'utf8')
  const match = /entry:\s*\{([^}]*)\}/.exec(text)
  if (!match) throw new Error(`packages/${dir}/tsup.config.ts: no entry map`)
  // keys plain (`index:`) or quoted (`'decoder/index':`)
  return Object.fromEntries([...match[1]!.matchAll(/(?:(\w+)|'([\w/]+)'):\s*'([^']+)'/g)].map((m) => [m[1] ?? m[2]!, m[3]!]))
}

/** Names a module exports (values and types), from its syntax. */
function exportedNames(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS)
  const names: string[] = []
  for (const statement of source.statements) {
    if (ts.isExportDeclaration(statement)) {
      if (!statement.exportClause) names.push(`* from ${(statement.moduleSpecifier as ts.StringLiteral).text}`)
      else if (ts.isNamedExports(statement.exportClause)) names.push(...statement.exportClause.elements.map((e) => e.name.text))
      else names.push(statement.exportClause.name.text)
    } else if (ts.canHaveModifiers(statement) && ts.getModifiers(statement)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) {
      names.push(ts.isVariableStatement(statement) ? statement.declarationList.declarations.map((d) => d.name.getText(source)).join(',') : ((statement as ts.DeclarationStatement).name?.getText(source) ?? 'default'))
    }
  }
  return names
}

/**
 * Every name a module exports, following `export *` and `export type *` into the package's own modules
 * (from the syntax, so no type checker runs), each with whether it is a value (a runtime export) or
 * only a type.
 */
function entryNames(file: string): Map<string, 'value' | 'type'> {
  const names = new Map<string, 'value' | 'type'>()
  const add = (name: string, kind: 'value' | 'type') => {
    if (names.get(name) !== 'value') names.set(name, kind)
  }
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS)
  const target = (specifier: ts.Expression) => {
    const text = (specifier as ts.StringLiteral).text
    if (!text.startsWith('.')) throw new Error(`${file}: re-exports ${text}, outside the package`)
    const path = resolve(dirname(file), text.replace(/\.js$/, '.ts'))
    return existsSync(path) ? path : resolve(dirname(file), text.replace(/\.js$/, ''), 'index.ts')
  }
  for (const statement of source.statements) {
    if (ts.isExportDeclaration(statement)) {
      if (!statement.exportClause) {
        for (const [name, kind] of entryNames(target(statement.moduleSpecifier!))) add(name, statement.isTypeOnly ? 'type' : kind)
      } else if (ts.isNamedExports(statement.exportClause)) {
        for (const e of statement.exportClause.elements) add(e.name.text, statement.isTypeOnly || e.isTypeOnly ? 'type' : 'value')
      } else add(statement.exportClause.name.text, statement.isTypeOnly ? 'type' : 'value')
    } else if (ts.canHaveModifiers(statement) && ts.getModifiers(statement)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) {
      const kind = ts.isTypeAliasDeclaration(statement) || ts.isInterfaceDeclaration(statement) ? 'type' : 'value'
      if (ts.isVariableStatement(statement)) for (const d of statement.declarationList.declarations) add(d.name.getText(source), kind)
      else add((statement as ts.DeclarationStatement).name?.getText(source) ?? 'default', kind)
    }
  }
  return names
}

/** Every `@zrkit/...` specifier users can import, with the source module it stands for. */
const published = packages.flatMap((dir) => {
  const pkg = packageJson(dir)
  const entries = tsupEntries(dir)
  return Object.entries(pkg.exports)
    .filter(([subpath]) => subpath !== './package.json')
    .map(([subpath, target]) => {
      const built = typeof target === 'string' ? target : target.import.default
      const entry = /^\.\/dist\/(.+)\.js$/.exec(built)?.[1]
      return { dir, specifier: subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`, entry, source: entry && entries[entry] }
    })
})

describe('package entry points', () => {
  it.each(published.map((p) => [p.specifier, p] as const))('%s is built by tsup from a module that exports something', (_, p) => {
    expect(p.entry, 'exports points into dist/').toBeDefined()
    expect(p.source, `tsup entry "${p.entry}"`).toBeDefined()
    expect(exportedNames(join(root, 'packages', p.dir, p.source!))).not.toEqual([])
  })

  it('every tsup entry is published (an entry of the exports map, or a command of the bin map)', () => {
    for (const dir of packages) {
      const entries = Object.keys(tsupEntries(dir))
      const bins = Object.values(packageJson(dir).bin ?? {}).map((target) => /^\.\/dist\/(.+)\.js$/.exec(target)?.[1])
      for (const b of bins) expect(b, `${dir}: a bin points into dist/`).toBeDefined()
      expect(entries.sort(), dir).toEqual([...published.filter((p) => p.dir === dir).map((p) => p.entry), ...(bins as string[])].sort())
    }
  })

  it('private packages are never published and are not built', () => {
    expect([...privateEntries.keys()]).toContain('@zrkit/testkit')
    for (const dir of workspacePackages.filter((d) => !packages.includes(d))) {
      const pkg = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')) as { scripts?: Record<string, string>; files?: unknown }
      expect(pkg.scripts?.build, dir).toBeUndefined()
      expect(pkg.files, dir).toBeUndefined()
    }
  })

  it('no published package ships a test helper: its non-test sources import neither @zrkit/testkit nor vitest', () => {
    const sources = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? sources(join(dir, d.name)) : d.name.endsWith('.ts') && !d.name.endsWith('.test.ts') ? [join(dir, d.name)] : []))
    for (const dir of packages) {
      for (const file of sources(join(root, 'packages', dir, 'src'))) {
        expect(readFileSync(file, 'utf8'), file).not.toMatch(/from '(@zrkit\/testkit[^']*|vitest)'/)
      }
    }
  })

  it('tsconfig paths and vitest aliases name only published entries (or the entries of a private package), each with its source', () => {
    const bySpecifier = new Map([...published.map((p) => [p.specifier, `packages/${p.dir}/${p.source}`] as const), ...privateEntries])
    const paths: Record<string, string[]> = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')).compilerOptions.paths
    for (const [specifier, [target]] of Object.entries(paths)) expect(target, specifier).toBe(bySpecifier.get(specifier))
    const vitestConfig = readFileSync(join(root, 'vitest.config.ts'), 'utf8')
    const aliases = [...vitestConfig.matchAll(/find: \/\^(@zrkit\\\/[^$]+)\$\/, replacement: src\('\.\/([^']+)'\)/g)].map((m) => [m[1]!.replaceAll('\\/', '/'), m[2]!] as const)
    expect(aliases.length).toBeGreaterThan(0)
    for (const [specifier, target] of aliases) expect(target, specifier).toBe(bySpecifier.get(specifier))
  })
})

/** The names of a published entry's source module, sorted. */
const namesOf = (p: (typeof published)[number]) => [...entryNames(join(root, 'packages', p.dir, p.source!)).keys()].sort()
const valueNamesOf = (p: (typeof published)[number]) => [...entryNames(join(root, 'packages', p.dir, p.source!))].filter(([, kind]) => kind === 'value').map(([name]) => name).sort()
const isInternal = (specifier: string) => specifier.endsWith('/internal')

/**
 * The public API of every package, values and types: what the READMEs teach and what a user of the
 * documented API (a dApp developer, a keyring author, a relayer author) needs. What only zrkit's own
 * packages use lives in `<package>/internal`, which is not pinned and carries no stability promise.
 */
const PUBLIC_API: Record<string, readonly string[]> = {
  '@zrkit/cli': [
    'CliIo', 'Command', 'CommandContext', 'EXIT', 'LocalNetwork', 'LocalNetworkOptions', 'LocalParty', 'LocalProcess', 'LogFormat', 'LogLevel', 'Logger', 'LoggerOptions', 'OptionKind',
    'OptionSpec', 'OptionSpecs', 'OptionValues', 'accountFromKeyText', 'commands', 'createAccountKeyFile',
    'createLogger', 'optionsHelp', 'parseOptions', 'readAccountKeyFile', 'runCli', 'startLocalNetwork',
  ],
  '@zrkit/core': [
    'Account', 'AccountRecord', 'Accusation', 'Action', 'ActionStatus', 'ActionSubject', 'ActionVote',
    'AddKeyringAdminMessage', 'AddKeyringPartyMessage', 'AddWorkspaceOwnerMessage', 'AddressKey',
    'AdminChangeReturnType', 'AppendChildWorkspaceMessage', 'ApproveActionMessage', 'AssembledTx',
    'BindRelayerParameters', 'BitcoinAddressOptions', 'BitcoinNetwork', 'BoundKey', 'BoundRelayer', 'ClientBase',
    'ConfirmOptions', 'ConfirmProgress', 'ConnectLedgerOptions', 'ConnectLedgerWsOptions', 'Connector',
    'ConnectorEvent', 'ConnectorOptions', 'ConnectorStatus', 'CreateKeyRequest', 'CreateKeyringParameters',
    'CreateRelayerParameters', 'CreateWorkspaceParameters', 'CreateWorkspaceReturnType', 'CreateZrClientParameters',
    'DeactivateKeyringMessage', 'DecodeTransactionInput', 'DecodeTransactionResult', 'DecodedTransaction',
    'DerivationPath', 'DerivationSegment', 'DerivedAddress', 'DerivedKey', 'EmbeddedLedger', 'EmbeddedLedgerOptions',
    'EncryptedSecretStoreOptions', 'EventFilter', 'FulfilKeyRequestMessage', 'FulfilSignRequestMessage', 'Genesis',
    'Key', 'KeyRequest', 'KeyRequestResult', 'KeyRequestStatus', 'KeyType', 'KeyView', 'Keyring', 'KeyringBackend',
    'Ledger', 'LedgerChannel', 'LedgerDatabase', 'LedgerEvent', 'LedgerEventType', 'LedgerParams', 'LedgerRows',
    'LedgerServer', 'LedgerStore', 'LedgerVerification', 'LegacyLog', 'LocalKeyringOptions', 'LogEntry', 'Message',
    'MessageResult', 'MessageType', 'MetricFamily', 'NewChildWorkspaceMessage', 'NewKeyRequestMessage',
    'NewKeyringMessage', 'NewPolicyMessage', 'NewSignRequestMessage', 'NewSignTransactionRequestMessage',
    'NewWorkspaceMessage', 'NoContext', 'Page', 'PageParams', 'PartyResponse', 'Policy', 'PolicyDecision',
    'PolicyExpression', 'PollUntilOptions', 'PrepareContext', 'PreparedTx', 'Queries', 'QueryKind', 'QueryParams',
    'QueryResult', 'RELAY_ID_METADATA_KEY', 'RecoverReturnType', 'RejectActionMessage', 'RelayAdapter', 'RelayEvent',
    'RelayEventBody', 'RelayJournal', 'RelayMetrics', 'RelayMetricsOptions', 'RelayMetricsSnapshot', 'RelayOptions',
    'RelayRecord', 'RelayRequestOptions', 'RelayResult', 'RelaySendOptions', 'RelaySigner', 'RelayStatus', 'RelayStep',
    'Relayer', 'RemoveKeyringAdminMessage', 'RemoveKeyringPartyMessage', 'RemoveWorkspaceOwnerMessage',
    'ReplaceRelayParameters', 'ReplaceRequest', 'RequestKeyParameters', 'RequestKeyReturnType',
    'RequestSignatureParameters', 'RequestSignatureReturnType', 'RequestTransactionSignatureParameters', 'RetryOptions',
    'RevokeActionMessage', 'RowHint', 'RowId', 'SavedLedger', 'SecretStore', 'SendMessage', 'SendMessageParameters',
    'ServeLedgerOptions', 'SetWorkspaceAllowlistMessage', 'SetWorkspaceTokenMessage', 'SignRequest', 'SignRequestInput',
    'SignRequestResult', 'SignRequestStatus', 'SignRequestTransaction', 'SignTransactionPreview', 'SignedRelay',
    'SignedTx', 'SigningKey', 'StateCommit', 'SubmitRelayParameters', 'SubmitRelayReturnType', 'SubscribeOptions',
    'TableName', 'TaprootOutputKey', 'TaprootSpend', 'TokenDefinition', 'TransactionCall', 'TransactionDecoder',
    'TransactionTransfer', 'TxComparison', 'TxCondition', 'TxConditionContext', 'TxConditionResult',
    'TxConditionValues', 'TxField', 'TxOperand', 'TxReceipt', 'UnsignedTx', 'Unsubscribe', 'UpdateKeyringMessage',
    'UpdateWorkspaceMessage', 'Vote', 'VoteReturnType', 'WaitOptions', 'WalletType', 'WalletTypeName',
    'WebSocketConstructor', 'WebSocketLike', 'WithdrawKeyringFeesMessage', 'Workspace', 'ZcashAddressOptions',
    'ZcashNetwork', 'ZrClient', 'ZrError', 'ZrErrorAccusation', 'ZrErrorCode', 'ZrErrorContext', 'ZrErrorContextOf',
    'ZrErrorJSON', 'ZrErrorOptions', 'abstain', 'accountPrefix', 'addKeyringAdmin', 'addKeyringParty',
    'addWorkspaceOwner', 'appendChildWorkspace', 'approveAction', 'assertAddress', 'assertKeyTypeFitsWallet',
    'bindRelayer', 'bitcoinHrp', 'chainCodeOf', 'connectLedger', 'connectLedgerWs', 'createChildWorkspace',
    'createConnector', 'createEmbeddedLedger', 'createKey', 'createKeyring', 'createPolicy', 'createRelayMetrics',
    'createRelayer', 'createWorkspace', 'createZrClient', 'deactivateKeyring', 'decodeSegwitAddress',
    'defaultLedgerParams', 'deriveAddress', 'deriveAddresses', 'deriveKey', 'describeValue', 'encodeSegwitAddress',
    'encryptedSecretStore', 'errorCodeDescriptions', 'errorCodes', 'evaluatePolicy', 'explainPolicyDecision',
    'extendedPublicKey', 'finalRelayStatuses', 'formatBaseUnits', 'formatDerivationPath', 'formatPolicyExpression',
    'fulfilKeyRequest', 'fulfilSignRequest', 'generateAccount', 'getAction', 'getBalance', 'getKey', 'getKeyRequest',
    'getKeyring', 'getPolicy', 'getSignRequest', 'getWorkspace', 'isZrError', 'judgeTxConditions', 'keyTypes',
    'keyringAddress', 'ledgerEventTypes', 'listActions', 'listKeyRequests', 'listKeyrings', 'listKeys',
    'listSignRequests', 'listWorkspaces', 'localKeyring', 'memoryRelayJournal', 'memorySecretStore', 'memoryStore',
    'p2trAddress', 'p2wpkhAddress', 'parseDerivationPath', 'parsePolicyExpression', 'policyAddresses', 'pollUntil',
    'previewTransactionSignature', 'privateKeyToAccount', 'prometheusContentType', 'publicKeyToAddress',
    'publicKeyToEvmAddress', 'recoveredToRsv', 'rejectAction', 'removeKeyringAdmin', 'removeKeyringParty',
    'removeWorkspaceOwner', 'renderMetrics', 'requestKey', 'requestSignature', 'requestTransactionSignature',
    'revokeAction', 'send', 'sendMessage', 'serveLedger', 'setWorkspaceAllowlist', 'setWorkspaceToken', 'sign',
    'signTx', 'signWithSecret', 'signingKey', 'sleep', 'solanaAddress', 'taggedHash', 'taprootOutputKey', 'toBaseUnits',
    'toBytes', 'toChecksumAddress', 'toHex', 'transientError', 'txConditionsOf', 'txHash', 'updateKeyring',
    'updateWorkspace', 'verifyLedgerDatabase', 'waitForAction', 'waitForKeyRequest', 'waitForSignRequest', 'waitUntil',
    'walletKeyTypes', 'walletTypeFromNumber', 'walletTypeName', 'walletTypeNames', 'walletTypeNumbers',
    'walletTypeToNumber', 'watchEvents', 'withdrawKeyringFees', 'workspaceAddress', 'xOnly', 'zcashTransparentAddress',
    'zrErrorFromJSON',
  ],
  '@zrkit/core/node': [
    'DirectoryLock', 'DirectoryLockHolder', 'DirectoryLockOptions', 'FileRelayJournal', 'FileStoreOptions', 'LedgerListener',
    'ListenLedgerOptions', 'SqliteStoreOptions', 'acquireDirectoryLock', 'fileRelayJournal', 'fileSecretStore', 'fileStore',
    'listenLedger', 'sqliteStore',
  ],
  '@zrkit/mpc': [
    'Announcement', 'BroadcastProof', 'CollectOptions', 'ConfirmOptions', 'ConnectRelayOptions', 'EcdsaPartyOptions',
    'Envelope', 'FanoutRelay', 'Federation', 'FederationOptions', 'FederationParty', 'FederationPartyOptions',
    'FrostPartyOptions', 'InterceptResult', 'MemoryRelay', 'PartyId', 'PartyPresence', 'Relay', 'RelayClient', 'RelayEndpoint',
    'RelayFrame', 'RelayWebSocket', 'RelayWebSocketConstructor', 'SecureEnvelope', 'SecureTransport',
    'SecureTransportOptions', 'Session', 'SessionRouter', 'SessionRouterOptions', 'Transport', 'connectRelay',
    'createFederation', 'createSessionRouter', 'ecdsaKeyTypes', 'ecdsaParty', 'fanoutRelay', 'federationParty',
    'frostKeyTypes', 'frostParty', 'memoryRelay', 'secureTransport',
  ],
  '@zrkit/mpc/node': ['RelayPartyStats', 'RelayServer', 'RelayServerEvent', 'RelayStatus', 'ServeRelayOptions', 'serveRelay'],
  '@zrkit/relayer-bitcoin': [
    'BitcoinAdapter', 'BitcoinAdapterOptions', 'BitcoinBackend', 'BitcoinDecoderNetwork', 'BitcoinIntent',
    'BitcoinNetworkOptions', 'BitcoinNetworkParams', 'BitcoinOutput', 'BitcoinOutspend', 'BitcoinPsbtIntent', 'BitcoinReceipt',
    'BitcoinRelayResult', 'BitcoinRelayer', 'BitcoinReplaceParameters', 'BitcoinRpcBackend', 'BitcoinRpcBackendOptions', 'BitcoinSendOptions',
    'BitcoinSignPsbtResult', 'BitcoinSigner', 'BitcoinSignerOptions', 'BitcoinTransferIntent', 'BitcoinTxStatus',
    'BitcoinUtxo', 'CoinSelection', 'CreateBitcoinRelayerParameters', 'DEFAULT_DUST_RELAY_FEE_RATE',
    'EsploraBackendOptions', 'FetchFn', 'KeyOutput', 'MAX_STANDARD_TX_WEIGHT', 'Outpoint', 'Prevout',
    'PsbtSigningPlan', 'SelectCoinsParameters', 'SelectableCoin', 'SpendType', 'UtxoLocks', 'addPsbtSignatures',
    'addressToScript', 'bitcoinAdapter', 'bitcoinDecoderNetworks', 'bitcoinKeyTypes', 'bitcoinNetworkNames',
    'bitcoinNetworkParams', 'bitcoinRpcBackend', 'bitcoinSigner', 'bitcoinTransactionDecoder', 'createBitcoinRelayer',
    'createUtxoLocks', 'dustThreshold', 'ensureEccLib', 'esploraBackend', 'feeFor', 'inputWeights',
    'isWitnessProgram', 'keyAddress', 'keyOutput', 'nobleEccLib', 'outpointClaim', 'outputSize', 'parsePsbt', 'prevoutOf',
    'prevoutsOf', 'psbtSigningPlan', 'scriptToAddress', 'selectCoins', 'sharedUtxoLocks', 'spendTypeOf', 'txWeight',
    'unsignedTxOf', 'validateSignature', 'vsizeOf',
  ],
  '@zrkit/relayer-bitcoin/decoder': [
    'BitcoinDecoderNetwork', 'bitcoinDecoderNetworks', 'bitcoinTransactionDecoder',
  ],
  '@zrkit/relayer-cosmos': [
    'ConnectCosmosChainOptions', 'CosmosAccount', 'CosmosAdapter', 'CosmosAdapterOptions', 'CosmosBroadcastResult',
    'CosmosChain', 'CosmosMessagesIntent', 'CosmosRelayResult', 'CosmosRelayer', 'CosmosSendOptions',
    'CosmosSendTokensParameters', 'CosmosSignAndBroadcastParameters', 'CosmosSignDocIntent', 'CosmosSignerContext',
    'CosmosSignerOptions', 'CosmosSimulateParameters', 'CosmosTxIntent', 'CreateCosmosRelayerParameters',
    'SECP256K1_PUBKEY_TYPE_URL', 'connectCosmosChain', 'cosmosAdapter', 'cosmosSigner', 'cosmosTransactionDecoder',
    'cosmosTxHash', 'createCosmosRelayer', 'stargateChain', 'toCosmosSignature',
  ],
  '@zrkit/relayer-cosmos/decoder': [
    'cosmosTransactionDecoder',
  ],
  '@zrkit/relayer-evm': [
    'CreateEvmNonceManagerOptions', 'CreateEvmRelayerParameters', 'EvmAccountContext', 'EvmAccountOptions',
    'EvmAdapterOptions', 'EvmDeployContractParameters', 'EvmNonceManager', 'EvmRelayResult', 'EvmRelayer', 'EvmReplaceParameters',
    'EvmSendOptions', 'EvmSendTransactionParameters', 'EvmSignature', 'EvmTransactionIntent', 'EvmTransactionType',
    'EvmWriteContractParameters', 'NonceKey', 'createEvmNonceManager', 'createEvmRelayer', 'evmAccount', 'evmAdapter',
    'evmTransactionDecoder', 'sharedEvmNonceManager', 'toEvmSignature',
  ],
  '@zrkit/relayer-evm/decoder': [
    'evmTransactionDecoder',
  ],
  '@zrkit/relayer-solana': [
    'ASSOCIATED_TOKEN_PROGRAM_ID', 'CreateSolanaRelayerParameters', 'SolanaAccount', 'SolanaAdapterOptions',
    'SolanaCommitment', 'SolanaNetwork', 'SolanaNetworkSendOptions', 'SolanaReceipt', 'SolanaRelayResult',
    'SolanaRelayer', 'SolanaSendOptions', 'SolanaSignatureStatus', 'SolanaSigner', 'SolanaSignerContext',
    'SolanaSignerOptions', 'SolanaSpeedUpParameters', 'SolanaTransactionIntent', 'SolanaTransactionOptions', 'SolanaTransferParameters',
    'SolanaTransferTokenParameters', 'SplMint', 'SplTokenAccount', 'TOKEN_2022_PROGRAM_ID', 'TOKEN_PROGRAM_ID',
    'associatedTokenAddress', 'connectionNetwork', 'createAssociatedTokenAccountIdempotentInstruction',
    'createSolanaRelayer', 'decodeMint', 'decodeTokenAccount', 'solanaAdapter', 'solanaChainId', 'solanaChains',
    'solanaSigner', 'solanaTransactionDecoder', 'transferCheckedInstruction',
  ],
  '@zrkit/relayer-solana/decoder': [
    'SolanaNetworkName', 'solanaTransactionDecoder',
  ],
}

describe('public and internal entries', () => {
  it.each(published.filter((p) => !isInternal(p.specifier)).map((p) => [p.specifier, p] as const))('%s exports exactly its pinned public names', (specifier, p) => {
    expect(namesOf(p), `the public names of ${specifier} changed: edit PUBLIC_API in this file if the change is meant`).toEqual(PUBLIC_API[specifier])
  })

  it('every pinned entry is published', () => {
    expect(Object.keys(PUBLIC_API).sort()).toEqual(published.filter((p) => !isInternal(p.specifier)).map((p) => p.specifier).sort())
  })

  it('core and mpc have an internal entry that shares no name with their public entries', () => {
    for (const name of ['@zrkit/core', '@zrkit/mpc']) {
      const internal = published.find((p) => p.specifier === `${name}/internal`)
      expect(internal, `${name}/internal`).toBeDefined()
      const publicNames = new Set(published.filter((p) => p.specifier.startsWith(name) && !isInternal(p.specifier)).flatMap(namesOf))
      expect(namesOf(internal!).filter((n) => publicNames.has(n)), `${name}/internal`).toEqual([])
    }
  })

  it('each internal entry says it is for zrkit packages only, with no stability promise', () => {
    for (const p of published.filter((p) => isInternal(p.specifier))) {
      const header = readFileSync(join(root, 'packages', p.dir, p.source!), 'utf8').slice(0, 1200)
      expect(header, p.specifier).toMatch(/^\/\*\*/)
      expect(header, p.specifier).toMatch(/No stability promise/)
      expect(header, p.specifier).toMatch(/any\s+(?:\* )?release/)
    }
  })
})

const run = promisify(execFile)

// After the build (the test script builds first): resolves each entry through the package's `exports` map
// as a user's `import` and `require` do.
describe('built packages', () => {
  const coreAndMpc = published.filter((p) => p.dir === 'core' || p.dir === 'mpc')
  it.each(coreAndMpc.map((p) => [p.specifier, p] as const))('%s loads as ESM and CJS with the runtime names of its source', async (specifier, p) => {
    const esm = await run(process.execPath, ['--input-type=module', '-e', `import * as m from '${specifier}'; console.log(JSON.stringify(Object.keys(m).sort()))`], { cwd: root })
    const cjs = await run(process.execPath, ['-e', `console.log(JSON.stringify(Object.keys(require('${specifier}')).sort()))`], { cwd: root })
    expect(JSON.parse(esm.stdout), `${specifier} (ESM)`).toEqual(valueNamesOf(p))
    expect(JSON.parse(cjs.stdout), `${specifier} (CJS)`).toEqual(valueNamesOf(p))
  })
})
