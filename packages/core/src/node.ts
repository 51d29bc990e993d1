// Node-only parts of @zrkit/core (they use node:fs, node:http and ws).
export { fileStore, type FileStoreOptions } from './ledger/store/fileStore.js'
export { fileSecretStore } from './keyring/fileSecretStore.js'
export { acquireDirectoryLock, type DirectoryLock, type DirectoryLockHolder, type DirectoryLockOptions } from './fs/directoryLock.js'
export { fileRelayJournal, type FileRelayJournal } from './relayer/fileRelayJournal.js'
export { listenLedger, type LedgerListener, type ListenLedgerOptions } from './ledger/listenLedger.js'
export { sqliteStore, type SqliteStoreOptions } from './ledger/store/sqliteStore.js'
