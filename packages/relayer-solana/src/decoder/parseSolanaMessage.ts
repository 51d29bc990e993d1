import { base58 } from '@scure/base'
import { invalidTransaction } from './invalidTransaction.js'
import { createMessageReader } from './messageReader.js'

/**
 * The largest Solana transaction on the wire (an IPv6 packet less its headers): signatures and message together.
 *
 * @example
 * ```ts
 * import { PACKET_DATA_SIZE } from './parseSolanaMessage.js'
 * 1 + 64 * signers + messageBytes.length <= PACKET_DATA_SIZE // what parseSolanaMessage checks (signers < 128)
 * ```
 */
export const PACKET_DATA_SIZE = 1232

/**
 * One instruction of a message, as compiled: indexes into the message's account list, and opaque data.
 *
 * @example
 * ```ts
 * import type { SolanaCompiledInstruction } from './parseSolanaMessage.js'
 * const transfer: SolanaCompiledInstruction = { programIdIndex: 2, accountIndexes: [0, 1], data: new Uint8Array(12) }
 * ```
 */
export type SolanaCompiledInstruction = {
  readonly programIdIndex: number
  readonly accountIndexes: readonly number[]
  readonly data: Uint8Array
}

/**
 * A v0 message's use of an address lookup table: which of its entries are loaded, writable first.
 *
 * @example
 * ```ts
 * import type { SolanaAddressTableLookup } from './parseSolanaMessage.js'
 * const lookup: SolanaAddressTableLookup = { accountKey: table, writableIndexes: [0], readonlyIndexes: [3, 4] }
 * ```
 */
export type SolanaAddressTableLookup = {
  /** The lookup table account (base58). */
  readonly accountKey: string
  readonly writableIndexes: readonly number[]
  readonly readonlyIndexes: readonly number[]
}

/**
 * A Solana message read by {@link parseSolanaMessage}. Account indexes below `staticAccountKeys.length`
 * name a static key; the others name an address loaded from a lookup table, which the message does not
 * carry (the writable entries of every table in order, then the read-only ones).
 *
 * @example
 * ```ts
 * import { type SolanaMessage, parseSolanaMessage } from './parseSolanaMessage.js'
 * const message: SolanaMessage = parseSolanaMessage(bytes)
 * message.numAccounts - message.staticAccountKeys.length // addresses loaded from lookup tables
 * ```
 */
export type SolanaMessage = {
  readonly version: 'legacy' | 0
  readonly header: {
    readonly numRequiredSignatures: number
    readonly numReadonlySignedAccounts: number
    readonly numReadonlyUnsignedAccounts: number
  }
  /** Base58 addresses, the fee payer first, the signers before the others. */
  readonly staticAccountKeys: readonly string[]
  /** Base58; the nonce value when the first instruction advances a durable nonce. */
  readonly recentBlockhash: string
  readonly instructions: readonly SolanaCompiledInstruction[]
  /** Empty for a legacy message. */
  readonly addressTableLookups: readonly SolanaAddressTableLookup[]
  /** Static keys plus the addresses loaded from lookup tables. */
  readonly numAccounts: number
}

/**
 * The most instructions a transaction can run: the runtime's instruction trace holds 64, inner ones included.
 *
 * @example
 * ```ts
 * import { MAX_INSTRUCTIONS } from './parseSolanaMessage.js'
 * parseSolanaMessage(bytes).instructions.length <= MAX_INSTRUCTIONS // always
 * ```
 */
export const MAX_INSTRUCTIONS = 64

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

/** The bytes a compact-u16 takes. */
const compactU16Size = (n: number) => (n < 0x80 ? 1 : n < 0x4000 ? 2 : 3)

/**
 * Reads a Solana message (legacy, or version 0 with address lookup tables), exactly the bytes its signers
 * sign, and checks it as the runtime's sanitizer does: canonical compact-u16 lengths, 32-byte keys, a
 * header whose counts fit the keys (at least one signer, the fee payer writable), distinct static keys,
 * program ids among the static keys and never the fee payer, account indexes in range, each lookup table
 * loading at least one address, at most 256 accounts, at most 64 instructions (the runtime's instruction
 * trace limit, which also keeps a decoded transaction's effects few), no bytes left over, and a transaction (one
 * signature per signer plus the message) of at most 1232 bytes. Anything else throws
 * `INVALID_TRANSACTION`. Work is linear in the input, which is at most 1232 bytes.
 *
 * @example
 * ```ts
 * import { parseSolanaMessage } from './parseSolanaMessage.js'
 * const message = parseSolanaMessage(messageBytes)
 * message.staticAccountKeys[0] // the fee payer, base58
 * message.version              // 'legacy' or 0
 * ```
 */
export function parseSolanaMessage(bytes: Uint8Array): SolanaMessage {
  if (bytes.length > PACKET_DATA_SIZE) throw invalidTransaction('unsignedTransaction', `a message of at most ${PACKET_DATA_SIZE} bytes`, `${bytes.length} bytes`)
  if (bytes.length === 0) throw invalidTransaction('unsignedTransaction', 'the bytes of a Solana message', '0 bytes')
  const reader = createMessageReader(bytes)

  const first = reader.u8('version')
  let version: 'legacy' | 0 = 'legacy'
  let numRequiredSignatures = first
  if (first & 0x80) {
    const v = first & 0x7f
    if (v !== 0) throw invalidTransaction('version', 'a legacy or version 0 message', `version ${v}`)
    version = 0
    numRequiredSignatures = reader.u8('header')
  }
  const numReadonlySignedAccounts = reader.u8('header')
  const numReadonlyUnsignedAccounts = reader.u8('header')

  const numKeys = reader.compactU16('accountKeys')
  if (numKeys * 32 > reader.remaining()) throw invalidTransaction('accountKeys', `${numKeys} account keys of 32 bytes`, `${reader.remaining()} bytes left`)
  const staticAccountKeys: string[] = []
  for (let i = 0; i < numKeys; i++) staticAccountKeys.push(base58.encode(reader.bytes(32, 'accountKeys')))
  const recentBlockhash = base58.encode(reader.bytes(32, 'recentBlockhash'))

  const numInstructions = reader.compactU16('instructions')
  if (numInstructions > MAX_INSTRUCTIONS) throw invalidTransaction('instructions', `at most ${MAX_INSTRUCTIONS} instructions (the runtime's instruction trace limit)`, `${numInstructions}`)
  // Each instruction takes at least 3 bytes: a program index and two empty lengths.
  if (numInstructions * 3 > reader.remaining()) throw invalidTransaction('instructions', `${numInstructions} instructions of at least 3 bytes`, `${reader.remaining()} bytes left`)
  const instructions: SolanaCompiledInstruction[] = []
  for (let i = 0; i < numInstructions; i++) {
    const programIdIndex = reader.u8('instructions')
    const accountIndexes = Array.from(reader.bytes(reader.compactU16('instructions'), 'instructions'))
    const data = reader.bytes(reader.compactU16('instructions'), 'instructions')
    instructions.push({ programIdIndex, accountIndexes, data })
  }

  const addressTableLookups: SolanaAddressTableLookup[] = []
  if (version === 0) {
    const numLookups = reader.compactU16('addressTableLookups')
    // Each lookup takes at least 34 bytes: a table address and two lengths.
    if (numLookups * 34 > reader.remaining()) throw invalidTransaction('addressTableLookups', `${numLookups} lookup tables of at least 34 bytes`, `${reader.remaining()} bytes left`)
    for (let i = 0; i < numLookups; i++) {
      const accountKey = base58.encode(reader.bytes(32, 'addressTableLookups'))
      const writableIndexes = Array.from(reader.bytes(reader.compactU16('addressTableLookups'), 'addressTableLookups'))
      const readonlyIndexes = Array.from(reader.bytes(reader.compactU16('addressTableLookups'), 'addressTableLookups'))
      addressTableLookups.push({ accountKey, writableIndexes, readonlyIndexes })
    }
  }
  if (reader.remaining() !== 0) throw invalidTransaction('unsignedTransaction', `the message to end at byte ${reader.offset()}`, `${plural(reader.remaining(), 'trailing byte')}`)

  // The header, as the runtime's sanitizer checks it.
  if (numRequiredSignatures === 0) throw invalidTransaction('header', 'at least one required signature (the fee payer)', '0')
  if (numReadonlySignedAccounts >= numRequiredSignatures) {
    throw invalidTransaction('header', `fewer read-only signers than the ${numRequiredSignatures} signers (the fee payer is writable)`, `${numReadonlySignedAccounts} read-only signers`)
  }
  if (numRequiredSignatures + numReadonlyUnsignedAccounts > numKeys) {
    throw invalidTransaction('header', `at most ${numKeys} signers and read-only unsigned accounts together (the static keys)`, `${numRequiredSignatures} + ${numReadonlyUnsignedAccounts}`)
  }
  const wireSize = compactU16Size(numRequiredSignatures) + 64 * numRequiredSignatures + bytes.length
  if (wireSize > PACKET_DATA_SIZE) throw invalidTransaction('unsignedTransaction', `a transaction of at most ${PACKET_DATA_SIZE} bytes with its ${plural(numRequiredSignatures, 'signature')}`, `${wireSize} bytes`)

  const seen = new Set<string>()
  staticAccountKeys.forEach((key, i) => {
    if (seen.has(key)) throw invalidTransaction('accountKeys', 'distinct account keys', `${key} twice (again at index ${i})`)
    seen.add(key)
  })

  let numLoaded = 0
  addressTableLookups.forEach((lookup, i) => {
    const n = lookup.writableIndexes.length + lookup.readonlyIndexes.length
    if (n === 0) throw invalidTransaction('addressTableLookups', `lookup table ${i} to load at least one address`, 'none')
    numLoaded += n
  })
  const numAccounts = numKeys + numLoaded
  if (numAccounts > 256) throw invalidTransaction('addressTableLookups', 'at most 256 accounts (static and loaded)', `${numKeys} + ${numLoaded}`)

  instructions.forEach((ix, i) => {
    if (ix.programIdIndex === 0) throw invalidTransaction('instructions', `instruction ${i}'s program to be a static key other than the fee payer (index 1..${numKeys - 1})`, 'index 0')
    if (ix.programIdIndex >= numKeys) {
      throw invalidTransaction('instructions', `instruction ${i}'s program to be a static key (index 1..${numKeys - 1}; never from a lookup table)`, `index ${ix.programIdIndex}`)
    }
    for (const a of ix.accountIndexes) {
      if (a >= numAccounts) throw invalidTransaction('instructions', `instruction ${i}'s accounts to be indexes below ${numAccounts}`, `index ${a}`)
    }
  })

  return {
    version,
    header: { numRequiredSignatures, numReadonlySignedAccounts, numReadonlyUnsignedAccounts },
    staticAccountKeys,
    recentBlockhash,
    instructions,
    addressTableLookups,
    numAccounts,
  }
}
