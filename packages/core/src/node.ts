// Node-only parts of @zrkit/core (they use node:fs).
export { fileStore } from './ledger/store/fileStore.js'
