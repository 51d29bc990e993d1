// Node-only parts of @zrkit/core (they use node:fs).
export { fileStore, type FileStoreOptions } from './ledger/store/fileStore.js'
export { fileSecretStore } from './keyring/fileSecretStore.js'
export { fileRelayJournal, type FileRelayJournal } from './relayer/fileRelayJournal.js'
