import { isZrError } from '@zrkit/core'
import { fuzzRuns, thrownZrError } from '@zrkit/testkit'
import { createTransferCheckedInstruction } from '@solana/spl-token'
import { AddressLookupTableAccount, ComputeBudgetProgram, PublicKey, SystemProgram, TransactionMessage, VersionedMessage } from '@solana/web3.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseSolanaMessage } from './parseSolanaMessage.js'
import { COMPUTE_BUDGET_PROGRAM, SYSTEM_PROGRAM, TOKEN_2022_PROGRAM, TOKEN_PROGRAM } from './programs.js'
import { solanaTransactionDecoder } from './solanaTransactionDecoder.js'

const decoder = solanaTransactionDecoder()
const key = new PublicKey(new Uint8Array(32).fill(7))
const pk = (n: number) => new PublicKey(Uint8Array.from({ length: 32 }, (_, i) => (n * 31 + i * 7 + 1) & 0xff))
const blockhash = pk(99).toBase58()

// A test-side encoder of Solana messages, written from the wire format, to craft what web3.js would not.
const shortvec = (n: number): number[] => (n < 0x80 ? [n] : n < 0x4000 ? [(n & 0x7f) | 0x80, n >> 7] : [(n & 0x7f) | 0x80, ((n >> 7) & 0x7f) | 0x80, n >> 14])
type Draft = {
  version?: 0
  header: [number, number, number]
  keys: Uint8Array[]
  instructions: { program: number; accounts: number[]; data: number[] }[]
  lookups?: { table: Uint8Array; writable: number[]; readonly: number[] }[]
}
function encode(d: Draft): Uint8Array {
  const out: number[] = []
  if (d.version === 0) out.push(0x80)
  out.push(...d.header, ...shortvec(d.keys.length))
  for (const k of d.keys) out.push(...k)
  out.push(...pk(99).toBytes(), ...shortvec(d.instructions.length))
  for (const ix of d.instructions) out.push(ix.program, ...shortvec(ix.accounts.length), ...ix.accounts, ...shortvec(ix.data.length), ...ix.data)
  if (d.version === 0) {
    out.push(...shortvec(d.lookups?.length ?? 0))
    for (const l of d.lookups ?? []) out.push(...l.table, ...shortvec(l.writable.length), ...l.writable, ...shortvec(l.readonly.length), ...l.readonly)
  }
  return Uint8Array.from(out)
}

const SYSTEM = new PublicKey(SYSTEM_PROGRAM).toBytes()
const transferData = [2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
const base: Draft = { header: [1, 0, 1], keys: [key.toBytes(), pk(1).toBytes(), SYSTEM], instructions: [{ program: 2, accounts: [0, 1], data: transferData }] }

const refusal = (fn: () => unknown) => thrownZrError(fn, 'INVALID_TRANSACTION')

describe('parseSolanaMessage', () => {
  it('the test encoder writes what web3.js writes, and the parser reads both formats back', () => {
    const legacy = new TransactionMessage({ payerKey: key, recentBlockhash: blockhash, instructions: [SystemProgram.transfer({ fromPubkey: key, toPubkey: pk(1), lamports: 1 })] }).compileToLegacyMessage()
    expect(encode(base)).toEqual(Uint8Array.from(legacy.serialize()))
    const parsed = parseSolanaMessage(encode(base))
    expect(parsed).toMatchObject({ version: 'legacy', header: { numRequiredSignatures: 1, numReadonlySignedAccounts: 0, numReadonlyUnsignedAccounts: 1 }, recentBlockhash: blockhash, numAccounts: 3, addressTableLookups: [] })
    expect(parsed.staticAccountKeys).toEqual([key.toBase58(), pk(1).toBase58(), SYSTEM_PROGRAM])

    const v0 = parseSolanaMessage(encode({ ...base, version: 0, lookups: [{ table: pk(5).toBytes(), writable: [3], readonly: [1, 2] }], instructions: [{ program: 2, accounts: [0, 3, 5], data: [] }] }))
    expect(v0).toMatchObject({ version: 0, numAccounts: 6, addressTableLookups: [{ accountKey: pk(5).toBase58(), writableIndexes: [3], readonlyIndexes: [1, 2] }] })
  })

  const bad: [string, Uint8Array, string, RegExp][] = [
    ['empty', new Uint8Array(0), 'unsignedTransaction', /^expected the bytes of a Solana message, got 0 bytes$/],
    ['trailing byte', Uint8Array.from([...encode(base), 0]), 'unsignedTransaction', /^expected the message to end at byte 150, got 1 trailing byte$/],
    ['version 1', Uint8Array.from([0x81, ...encode(base)]), 'version', /^expected a legacy or version 0 message, got version 1$/],
    ['non-minimal length', Uint8Array.from([1, 0, 1, 0x83, 0x00, ...encode(base).slice(4)]), 'accountKeys', /^expected a minimal compact-u16 length at offset 3 \(accountKeys\), got 2 bytes ending in 0x00$/],
    ['length over 0xffff', Uint8Array.from([1, 0, 1, 0xff, 0xff, 0x04]), 'accountKeys', /^expected a compact-u16 length of at most 0xffff at offset 3 \(accountKeys\), got third byte 0x04$/],
    ['more keys than bytes', Uint8Array.from([1, 0, 1, 0xff, 0xff, 0x03]), 'accountKeys', /^expected 65535 account keys of 32 bytes, got 0 bytes left$/],
    ['fewer keys than counted', encode(base).slice(0, 40), 'accountKeys', /^expected 3 account keys of 32 bytes, got 36 bytes left$/],
    ['truncated data', encode(base).slice(0, -1), 'instructions', /^expected 12 bytes more at offset 138 \(instructions\), got 11 bytes \(the message ends there\)$/],
    ['no signer', encode({ ...base, header: [0, 0, 1] }), 'header', /^expected at least one required signature \(the fee payer\), got 0$/],
    ['read-only fee payer', encode({ ...base, header: [1, 1, 1] }), 'header', /^expected fewer read-only signers than the 1 signers \(the fee payer is writable\), got 1 read-only signers$/],
    ['header past the keys', encode({ ...base, header: [2, 0, 2] }), 'header', /^expected at most 3 signers and read-only unsigned accounts together \(the static keys\), got 2 \+ 2$/],
    ['duplicate key', encode({ ...base, keys: [key.toBytes(), pk(1).toBytes(), SYSTEM, pk(1).toBytes()] }), 'accountKeys', /^expected distinct account keys, got .* twice \(again at index 3\)$/],
    ['program is the fee payer', encode({ ...base, instructions: [{ program: 0, accounts: [], data: [] }] }), 'instructions', /^expected instruction 0's program to be a static key other than the fee payer \(index 1..2\), got index 0$/],
    [
      'program from a lookup table',
      encode({ ...base, version: 0, lookups: [{ table: pk(5).toBytes(), writable: [0], readonly: [] }], instructions: [{ program: 3, accounts: [], data: [] }] }),
      'instructions',
      /^expected instruction 0's program to be a static key \(index 1..2; never from a lookup table\), got index 3$/,
    ],
    ['account out of range', encode({ ...base, instructions: [{ program: 2, accounts: [0, 3], data: [] }] }), 'instructions', /^expected instruction 0's accounts to be indexes below 3, got index 3$/],
    ['empty lookup', encode({ ...base, version: 0, lookups: [{ table: pk(5).toBytes(), writable: [], readonly: [] }] }), 'addressTableLookups', /^expected lookup table 0 to load at least one address, got none$/],
    [
      'over 256 accounts',
      encode({ ...base, version: 0, lookups: [{ table: pk(5).toBytes(), writable: Array.from({ length: 200 }, (_, i) => i), readonly: Array.from({ length: 54 }, (_, i) => i) }] }),
      'addressTableLookups',
      /^expected at most 256 accounts \(static and loaded\), got 3 \+ 254$/,
    ],
    ['over 64 instructions', encode({ ...base, instructions: Array.from({ length: 65 }, () => ({ program: 2, accounts: [], data: [] })) }), 'instructions', /^expected at most 64 instructions \(the runtime's instruction trace limit\), got 65$/],
    ['over 1232 bytes', new Uint8Array(1233), 'unsignedTransaction', /^expected a message of at most 1232 bytes, got 1233 bytes$/],
    [
      'too large with its signatures',
      encode({ ...base, instructions: [{ program: 2, accounts: [0, 1], data: Array.from({ length: 1080 }, () => 0) }] }),
      'unsignedTransaction',
      /^expected a transaction of at most 1232 bytes with its 1 signature, got 1284 bytes$/,
    ],
  ]
  it.each(bad)('refuses %s, saying what was expected and what arrived', (_, bytes, field, details) => {
    const e = refusal(() => parseSolanaMessage(bytes))
    expect(e.shortMessage).toBe('Invalid solana transaction.')
    expect(e.context).toEqual({ chain: 'solana', field })
    expect(e.details).toMatch(details)
  })

  it('refuses every truncation of a valid message', () => {
    const bytes = encode({ ...base, version: 0, lookups: [{ table: pk(5).toBytes(), writable: [1], readonly: [2] }] })
    parseSolanaMessage(bytes)
    for (let n = 0; n < bytes.length; n++) expect(refusal(() => parseSolanaMessage(bytes.slice(0, n))).details).toMatch(/^expected .+, got .+$/)
  })
})

describe('solanaTransactionDecoder fuzz: a result or INVALID_TRANSACTION, nothing else', () => {
  const table = new AddressLookupTableAccount({ key: pk(200), state: { deactivationSlot: 2n ** 64n - 1n, lastExtendedSlot: 0, lastExtendedSlotStartIndex: 0, addresses: [pk(1), pk(2), pk(3)] } })
  const ixs = [
    SystemProgram.nonceAdvance({ noncePubkey: pk(4), authorizedPubkey: key }),
    ComputeBudgetProgram.setComputeUnitLimit({ units: 300_000 }),
    ComputeBudgetProgram.setComputeUnitPrice({ microLamports: 10_000 }),
    SystemProgram.transfer({ fromPubkey: key, toPubkey: pk(1), lamports: 1_000_000 }),
    createTransferCheckedInstruction(pk(2), pk(6), pk(3), key, 5n, 6),
  ]
  const draft = new TransactionMessage({ payerKey: key, recentBlockhash: blockhash, instructions: ixs })
  const seeds = [Uint8Array.from(draft.compileToLegacyMessage().serialize()), draft.compileToV0Message([table]).serialize()]

  const decodeOrRefuse = (bytes: Uint8Array) => {
    try {
      const { payloads } = decoder.decode({ unsignedTransaction: bytes, keyType: 'eddsa-ed25519', publicKey: key.toBytes(), taproot: false })
      expect(payloads).toEqual([bytes])
      return true
    } catch (e) {
      if (!isZrError(e, 'INVALID_TRANSACTION')) throw e
      expect(e.details).toMatch(/^expected .+, got .+$/)
      return false
    }
  }

  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1300 }), (bytes) => void decodeOrRefuse(bytes)),
      { numRuns: fuzzRuns(300) },
    )
  })

  it('mutations and truncations of valid messages', () => {
    expect(seeds.every(decodeOrRefuse)).toBe(true)
    const edit = fc.oneof(
      fc.record({ type: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ type: fc.constant('insert' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ type: fc.constant('delete' as const), at: fc.nat() }),
      fc.record({ type: fc.constant('cut' as const), at: fc.nat() }),
    )
    fc.assert(
      fc.property(fc.constantFrom(...seeds), fc.array(edit, { minLength: 1, maxLength: 4 }), (seed, edits) => {
        let b = Array.from(seed)
        for (const e of edits) {
          const at = e.at % (b.length + 1)
          if (e.type === 'set' && at < b.length) b[at] = e.value
          if (e.type === 'insert') b.splice(at, 0, e.value)
          if (e.type === 'delete') b.splice(at, 1)
          if (e.type === 'cut') b = b.slice(0, at)
        }
        decodeOrRefuse(Uint8Array.from(b))
      }),
      { numRuns: fuzzRuns(300) },
    )
  })

  it('random well-formed messages for the key: what the parser accepts, web3.js reads back to the same bytes', () => {
    const programs = [SYSTEM_PROGRAM, COMPUTE_BUDGET_PROGRAM, TOKEN_PROGRAM, TOKEN_2022_PROGRAM, pk(9).toBase58()].map((p) => new PublicKey(p).toBytes())
    const data = fc.oneof(
      fc.uint8Array({ maxLength: 60 }),
      fc.tuple(fc.constantFrom(0, 2, 3, 4, 11), fc.uint8Array({ minLength: 0, maxLength: 60 })).map(([tag, rest]) => Uint8Array.from([tag, 0, 0, 0, ...rest])),
      fc.tuple(fc.constantFrom(2, 3, 12, 13), fc.uint8Array({ minLength: 4, maxLength: 10 })).map(([tag, rest]) => Uint8Array.from([tag, ...rest])),
    )
    const message = fc.record({
      version: fc.constantFrom(undefined, 0 as const),
      header: fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 6 })),
      others: fc.integer({ min: 0, max: 4 }),
      instructions: fc.array(fc.record({ program: fc.integer({ min: 0, max: 12 }), accounts: fc.array(fc.integer({ min: 0, max: 14 }), { maxLength: 5 }), data }), { maxLength: 6 }),
      lookups: fc.array(fc.record({ writable: fc.array(fc.nat(255), { maxLength: 3 }), readonly: fc.array(fc.nat(255), { maxLength: 3 }) }), { maxLength: 2 }),
    })
    let accepted = 0
    fc.assert(
      fc.property(message, (m) => {
        const keys = [key.toBytes(), ...Array.from({ length: m.others }, (_, i) => pk(20 + i).toBytes()), ...programs]
        const bytes = encode({
          ...(m.version === 0 ? { version: 0 as const, lookups: m.lookups.map((l, i) => ({ table: pk(40 + i).toBytes(), writable: l.writable, readonly: l.readonly })) } : {}),
          header: m.header,
          keys,
          instructions: m.instructions.map((ix) => ({ program: ix.program, accounts: ix.accounts, data: Array.from(ix.data) })),
        })
        if (decodeOrRefuse(bytes)) {
          accepted += 1
          expect(Uint8Array.from(VersionedMessage.deserialize(bytes).serialize())).toEqual(bytes)
        }
      }),
      { numRuns: fuzzRuns(300) },
    )
    expect(accepted).toBeGreaterThan(20)
  })
})
