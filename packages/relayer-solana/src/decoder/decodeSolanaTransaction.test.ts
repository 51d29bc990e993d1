import { type DecodeTransactionInput, type TransactionCall, type TransactionTransfer } from '@zrkit/core'
import { fuzzRuns, thrownZrError } from '@zrkit/testkit'
import { createApproveCheckedInstruction, createTransferCheckedInstruction, createTransferInstruction, TOKEN_2022_PROGRAM_ID, TOKEN_PROGRAM_ID } from '@solana/spl-token'
import {
  AddressLookupTableAccount,
  ComputeBudgetProgram,
  Ed25519Program,
  Keypair,
  PublicKey,
  SystemProgram,
  TransactionInstruction,
  TransactionMessage,
} from '@solana/web3.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { solanaTransactionDecoder } from './solanaTransactionDecoder.js'

const decoder = solanaTransactionDecoder()
const key = new PublicKey(new Uint8Array(32).fill(7))
const other = new PublicKey(new Uint8Array(32).fill(8))
const blockhash = new PublicKey(new Uint8Array(32).fill(9)).toBase58()
const SYSTEM = SystemProgram.programId.toBase58()
const U64_MAX = 2n ** 64n - 1n

const pk = (n: number) => new PublicKey(Uint8Array.from({ length: 32 }, (_, i) => (n * 31 + i * 7 + 1) & 0xff))

function compile(instructions: TransactionInstruction[], options: { payer?: PublicKey; version?: 'legacy' | 0; tables?: AddressLookupTableAccount[] } = {}) {
  const draft = new TransactionMessage({ payerKey: options.payer ?? key, recentBlockhash: blockhash, instructions })
  return options.version === 0 ? draft.compileToV0Message(options.tables ?? []) : draft.compileToLegacyMessage()
}

const table = (addresses: PublicKey[]) =>
  new AddressLookupTableAccount({ key: pk(200), state: { deactivationSlot: U64_MAX, lastExtendedSlot: 0, lastExtendedSlotStartIndex: 0, addresses } })

const input = (bytes: Uint8Array, extra: Partial<DecodeTransactionInput> = {}): DecodeTransactionInput => ({
  unsignedTransaction: bytes,
  keyType: 'eddsa-ed25519',
  publicKey: key.toBytes(),
  taproot: false,
  ...extra,
})

const decode = (bytes: Uint8Array, extra: Partial<DecodeTransactionInput> = {}) => decoder.decode(input(bytes, extra))

const refusal = (fn: () => unknown) => thrownZrError(fn, 'INVALID_TRANSACTION')

describe('solanaTransactionDecoder: property against @solana/web3.js', () => {
  // Distinct addresses for every role, so a role's address is never another role's by chance.
  const recipients = Array.from({ length: 6 }, (_, i) => pk(10 + i))
  const mints = [pk(20), pk(21)]
  const sources = [pk(30), pk(31)]
  const signers = [pk(40), pk(41)]
  const programs = [pk(50), pk(51)]

  const action = fc.oneof(
    fc.record({ type: fc.constant('sol' as const), to: fc.nat(recipients.length - 1), lamports: fc.bigInt({ min: 0n, max: U64_MAX }) }),
    fc.record({ type: fc.constant('self' as const), lamports: fc.bigInt({ min: 0n, max: U64_MAX }) }),
    fc.record({ type: fc.constant('foreign' as const), from: fc.nat(signers.length - 1), to: fc.nat(recipients.length - 1), lamports: fc.bigInt({ min: 0n, max: U64_MAX }) }),
    fc.record({ type: fc.constant('createAccount' as const), account: fc.nat(signers.length - 1), lamports: fc.nat({ max: Number.MAX_SAFE_INTEGER }) }),
    fc.record({
      type: fc.constantFrom('transferChecked' as const, 'approveChecked' as const),
      token2022: fc.boolean(),
      source: fc.nat(sources.length - 1),
      mint: fc.nat(mints.length - 1),
      to: fc.nat(recipients.length - 1),
      amount: fc.bigInt({ min: 0n, max: U64_MAX }),
      decimals: fc.nat(18),
    }),
    fc.record({ type: fc.constant('splTransfer' as const), source: fc.nat(sources.length - 1), to: fc.nat(recipients.length - 1), amount: fc.bigInt({ min: 0n, max: U64_MAX }) }),
    fc.record({ type: fc.constant('unknown' as const), program: fc.nat(programs.length - 1), to: fc.nat(recipients.length - 1), data: fc.uint8Array({ maxLength: 12 }) }),
  )
  type Action = typeof action extends fc.Arbitrary<infer A> ? A : never

  function instructionOf(a: Action): TransactionInstruction {
    switch (a.type) {
      case 'sol':
        return SystemProgram.transfer({ fromPubkey: key, toPubkey: recipients[a.to]!, lamports: a.lamports })
      case 'self':
        return SystemProgram.transfer({ fromPubkey: key, toPubkey: key, lamports: a.lamports })
      case 'foreign':
        return SystemProgram.transfer({ fromPubkey: signers[a.from]!, toPubkey: recipients[a.to]!, lamports: a.lamports })
      case 'createAccount':
        return SystemProgram.createAccount({ fromPubkey: key, newAccountPubkey: signers[a.account]!, lamports: a.lamports, space: 165, programId: TOKEN_PROGRAM_ID })
      case 'transferChecked':
        return createTransferCheckedInstruction(sources[a.source]!, mints[a.mint]!, recipients[a.to]!, key, a.amount, a.decimals, [], a.token2022 ? TOKEN_2022_PROGRAM_ID : TOKEN_PROGRAM_ID)
      case 'approveChecked':
        return createApproveCheckedInstruction(sources[a.source]!, mints[a.mint]!, recipients[a.to]!, key, a.amount, a.decimals, [], a.token2022 ? TOKEN_2022_PROGRAM_ID : TOKEN_PROGRAM_ID)
      case 'splTransfer':
        return createTransferInstruction(sources[a.source]!, recipients[a.to]!, key, a.amount)
      case 'unknown':
        return new TransactionInstruction({ programId: programs[a.program]!, keys: [{ pubkey: recipients[a.to]!, isSigner: false, isWritable: true }], data: Buffer.from(a.data) })
    }
  }

  /** What the decoder must report for an action, given the addresses the message loads from lookup tables. */
  function expected(a: Action, loaded: Set<string>): { transfer?: TransactionTransfer; call?: TransactionCall } {
    const isLoaded = (p: PublicKey) => loaded.has(p.toBase58())
    switch (a.type) {
      case 'sol':
        return isLoaded(recipients[a.to]!)
          ? { call: { to: SYSTEM, selector: '02', value: a.lamports } }
          : { transfer: { kind: 'transfer', asset: 'native', to: recipients[a.to]!.toBase58(), amount: a.lamports } }
      case 'self':
        return {}
      case 'foreign':
        return { call: { to: SYSTEM, selector: '02', value: 0n } }
      case 'createAccount':
        return { transfer: { kind: 'transfer', asset: 'native', to: signers[a.account]!.toBase58(), amount: BigInt(a.lamports) } }
      case 'transferChecked':
      case 'approveChecked': {
        const program = (a.token2022 ? TOKEN_2022_PROGRAM_ID : TOKEN_PROGRAM_ID).toBase58()
        if ([sources[a.source]!, mints[a.mint]!, recipients[a.to]!].some(isLoaded)) return { call: { to: program, selector: a.type === 'transferChecked' ? '0c' : '0d', value: 0n } }
        return { transfer: { kind: a.type === 'transferChecked' ? 'transfer' : 'approve', asset: mints[a.mint]!.toBase58(), to: recipients[a.to]!.toBase58(), amount: a.amount } }
      }
      case 'splTransfer':
        return { call: { to: TOKEN_PROGRAM_ID.toBase58(), selector: '03', value: 0n } }
      case 'unknown':
        return { call: a.data.length ? { to: programs[a.program]!.toBase58(), selector: a.data[0]!.toString(16).padStart(2, '0'), value: 0n } : { to: programs[a.program]!.toBase58(), value: 0n } }
    }
  }

  it('payload is serialize(), and transfers, calls, fee and fields match what was built', () => {
    const seen = { v0: 0, loadedCalls: 0, transfers: 0, nonce: 0 }
    fc.assert(
      fc.property(
        fc.array(action, { minLength: 0, maxLength: 5 }),
        fc.option(fc.nat({ max: 0xffffffff }), { nil: undefined }),
        fc.option(fc.bigInt({ min: 0n, max: U64_MAX }), { nil: undefined }),
        fc.boolean(),
        fc.constantFrom('legacy' as const, 0 as const),
        fc.subarray(recipients.map((_, i) => i)),
        fc.constantFrom(undefined, 'mainnet-beta' as const, 'devnet' as const, 'testnet' as const, 'localnet' as const),
        (actions, limit, price, withNonce, version, inTable, network) => {
          const nonceAccount = pk(60)
          const instructions = [
            ...(withNonce ? [SystemProgram.nonceAdvance({ noncePubkey: nonceAccount, authorizedPubkey: key })] : []),
            ...(limit !== undefined ? [ComputeBudgetProgram.setComputeUnitLimit({ units: limit })] : []),
            ...(price !== undefined ? [ComputeBudgetProgram.setComputeUnitPrice({ microLamports: price })] : []),
            ...actions.map(instructionOf),
          ]
          const tables = version === 0 && inTable.length ? [table([...inTable.map((i) => recipients[i]!), mints[0]!])] : []
          const message = compile(instructions, { version, tables })
          const bytes = Uint8Array.from(message.serialize())
          const staticKeys = new Set(message.staticAccountKeys.map((k) => k.toBase58()))
          const loaded = new Set([...recipients, ...mints, ...sources].map((p) => p.toBase58()).filter((p) => !staticKeys.has(p)))

          const { payloads, transaction: tx } = decode(bytes, network ? { network } : {})
          expect(payloads).toHaveLength(1)
          expect(payloads[0]).toEqual(bytes)

          const want = actions.map((a) => expected(a, loaded))
          seen.v0 += version === 0 ? 1 : 0
          seen.nonce += withNonce ? 1 : 0
          seen.transfers += want.filter((w) => w.transfer).length
          seen.loadedCalls += actions.filter((a, i) => a.type !== 'foreign' && a.type !== 'splTransfer' && a.type !== 'unknown' && want[i]!.call).length
          expect(tx.transfers).toEqual(want.flatMap((w) => (w.transfer ? [w.transfer] : [])))
          expect(tx.calls).toEqual(want.flatMap((w) => (w.call ? [w.call] : [])))

          const signatures = BigInt(message.header.numRequiredSignatures)
          const units = BigInt(Math.min(limit ?? 200_000 * (instructions.length - (limit !== undefined ? 1 : 0) - (price !== undefined ? 1 : 0)), 1_400_000))
          const priority = price === undefined ? 0n : (units * price + 999_999n) / 1_000_000n
          expect(tx.fee).toBe(5000n * signatures + priority)
          expect(tx.feeAsset).toBe('native')

          expect(tx).toMatchObject({ chain: 'solana', decoder: 'solana@1', network: `solana:${network ?? 'unknown'}`, format: version === 0 ? 'v0' : 'legacy', from: key.toBase58() })
          expect(tx.fields).toEqual({
            ...(withNonce ? { nonce: blockhash, nonceAccount: nonceAccount.toBase58(), nonceAuthority: key.toBase58() } : { recentBlockhash: blockhash }),
            numRequiredSignatures: String(signatures),
            instructions: String(instructions.length),
            lookupTables: String(message.addressTableLookups.length),
            ...(limit !== undefined ? { computeUnitLimit: String(limit) } : {}),
            ...(price !== undefined ? { computeUnitPrice: String(price) } : {}),
          })
        },
      ),
      { numRuns: fuzzRuns(200) },
    )
    // The runs covered both formats, lookup-table recipients and the durable nonce.
    expect(Math.min(seen.v0, seen.loadedCalls, seen.transfers, seen.nonce)).toBeGreaterThan(0)
  })

  it('reads the seeded System instructions as web3.js writes them', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 32 }), fc.bigInt({ min: 0n, max: U64_MAX }), fc.nat({ max: Number.MAX_SAFE_INTEGER }), (seed, lamports, created) => {
        const derived = pk(70)
        const transfer = SystemProgram.transfer({ fromPubkey: derived, basePubkey: key, toPubkey: other, lamports, seed, programId: SystemProgram.programId })
        const create = SystemProgram.createAccountWithSeed({ fromPubkey: key, newAccountPubkey: pk(71), basePubkey: key, seed, lamports: created, space: 0, programId: SystemProgram.programId })
        const tx = decode(Uint8Array.from(compile([transfer, create]).serialize())).transaction
        expect(tx.transfers).toEqual([
          { kind: 'transfer', asset: 'native', to: other.toBase58(), amount: lamports, from: derived.toBase58() },
          { kind: 'transfer', asset: 'native', to: pk(71).toBase58(), amount: BigInt(created) },
        ])
        expect(tx.calls).toEqual([])
      }),
      { numRuns: fuzzRuns(100) },
    )
  })
})

describe('solanaTransactionDecoder: lies are refused or reported truthfully', () => {
  it('refuses a message whose fee payer is not the key, even when the key signs it', () => {
    const message = compile([SystemProgram.transfer({ fromPubkey: key, toPubkey: other, lamports: 1 })], { payer: other })
    const e = refusal(() => decode(Uint8Array.from(message.serialize())))
    expect(e.context).toEqual({ chain: 'solana', field: 'feePayer' })
    expect(e.details).toBe(`expected the key ${key.toBase58()} as fee payer (account 0), got ${other.toBase58()} (the key is signer 1; it signs only as fee payer)`)

    const notSigning = compile([SystemProgram.transfer({ fromPubkey: other, toPubkey: pk(1), lamports: 1 })], { payer: other })
    expect(refusal(() => decode(Uint8Array.from(notSigning.serialize()))).details).toMatch(/\(the key does not sign this message\)$/)
  })

  it('reports a lookup-table recipient as a call, never as a transfer to an address', () => {
    const hidden = pk(80)
    const message = compile([SystemProgram.transfer({ fromPubkey: key, toPubkey: hidden, lamports: 5n * 10n ** 9n })], { version: 0, tables: [table([hidden])] })
    expect(message.staticAccountKeys.map((k) => k.toBase58())).not.toContain(hidden.toBase58())
    const tx = decode(message.serialize()).transaction
    expect(tx.transfers).toEqual([])
    expect(tx.calls).toEqual([{ to: SYSTEM, selector: '02', value: 5n * 10n ** 9n }])
    expect(tx.fields.lookupTables).toBe('1')
  })

  it('reports an SPL transfer of a huge amount as it is', () => {
    const mint = pk(81)
    const ix = createTransferCheckedInstruction(pk(82), mint, pk(83), key, U64_MAX, 6)
    const tx = decode(Uint8Array.from(compile([ix]).serialize())).transaction
    expect(tx.transfers).toEqual([{ kind: 'transfer', asset: mint.toBase58(), to: pk(83).toBase58(), amount: U64_MAX }])
  })

  it("does not count another account's System transfer as the key's", () => {
    const ix = SystemProgram.transfer({ fromPubkey: other, toPubkey: pk(84), lamports: 10n ** 12n })
    const tx = decode(Uint8Array.from(compile([ix]).serialize())).transaction
    expect(tx.transfers).toEqual([])
    expect(tx.calls).toEqual([{ to: SYSTEM, selector: '02', value: 0n }])
    expect(tx.fields.numRequiredSignatures).toBe('2')
    expect(tx.fee).toBe(10_000n)
  })

  it('a token transfer the key does not authorise, or a plain Transfer/Approve (no mint), is a call', () => {
    const ixs = [
      createTransferCheckedInstruction(pk(82), pk(81), pk(83), other, 5n, 6),
      createTransferInstruction(pk(82), pk(83), key, 5n),
      SystemProgram.assign({ accountPubkey: key, programId: pk(85) }),
    ]
    const tx = decode(Uint8Array.from(compile(ixs).serialize())).transaction
    expect(tx.transfers).toEqual([])
    expect(tx.calls).toEqual([
      { to: TOKEN_PROGRAM_ID.toBase58(), selector: '0c', value: 0n },
      { to: TOKEN_PROGRAM_ID.toBase58(), selector: '03', value: 0n },
      { to: SYSTEM, selector: '01', value: 0n },
    ])
  })

  it('a token transfer whose mint or source comes from a lookup table is a call', () => {
    const ix = createTransferCheckedInstruction(pk(82), pk(81), pk(83), key, 5n, 6)
    for (const hidden of [pk(81), pk(82), pk(83)]) {
      const tx = decode(compile([ix], { version: 0, tables: [table([hidden])] }).serialize()).transaction
      expect(tx.transfers).toEqual([])
      expect(tx.calls).toEqual([{ to: TOKEN_PROGRAM_ID.toBase58(), selector: '0c', value: 0n }])
    }
  })

  it('a System instruction with trailing data, or an advance-nonce not first, is a call', () => {
    const long = SystemProgram.transfer({ fromPubkey: key, toPubkey: other, lamports: 7 })
    long.data = Buffer.concat([long.data, Buffer.from([0])])
    const nonce = SystemProgram.nonceAdvance({ noncePubkey: pk(60), authorizedPubkey: key })
    const tx = decode(Uint8Array.from(compile([long, nonce]).serialize())).transaction
    expect(tx.transfers).toEqual([])
    expect(tx.calls).toEqual([
      { to: SYSTEM, selector: '02', value: 0n },
      { to: SYSTEM, selector: '04', value: 0n },
    ])
    expect(tx.fields.recentBlockhash).toBe(blockhash)
  })

  it('counts the signatures a precompile verifies in the fee', () => {
    const keypair = Keypair.fromSeed(new Uint8Array(32).fill(3))
    const verify = Ed25519Program.createInstructionWithPrivateKey({ privateKey: keypair.secretKey, message: new Uint8Array([1, 2, 3]) })
    const tx = decode(Uint8Array.from(compile([verify]).serialize())).transaction
    expect(tx.fee).toBe(10_000n)
    expect(tx.calls).toEqual([{ to: Ed25519Program.programId.toBase58(), selector: '01', value: 0n }])
  })

  it('caps the compute unit limit at 1 400 000 and rounds the priority fee up', () => {
    const ixs = [ComputeBudgetProgram.setComputeUnitLimit({ units: 0xffffffff }), ComputeBudgetProgram.setComputeUnitPrice({ microLamports: 1n })]
    expect(decode(Uint8Array.from(compile(ixs).serialize())).transaction.fee).toBe(5000n + 2n)
    const defaults = [ComputeBudgetProgram.setComputeUnitPrice({ microLamports: 3n }), ...Array.from({ length: 8 }, (_, i) => SystemProgram.transfer({ fromPubkey: key, toPubkey: pk(i), lamports: 1 }))]
    expect(decode(Uint8Array.from(compile(defaults).serialize())).transaction.fee).toBe(5000n + (1_400_000n * 3n + 999_999n) / 1_000_000n)
  })
})

describe('solanaTransactionDecoder: refusals say what was expected and what arrived', () => {
  const good = Uint8Array.from(compile([SystemProgram.transfer({ fromPubkey: key, toPubkey: other, lamports: 1 })]).serialize())
  const cases: [string, () => unknown, string, RegExp][] = [
    ['keyType', () => decode(good, { keyType: 'ecdsa-secp256k1' }), 'keyType', /^expected 'eddsa-ed25519' .*, got "ecdsa-secp256k1"$/],
    ['short public key', () => decode(good, { publicKey: new Uint8Array(33) }), 'publicKey', /^expected a 32-byte ed25519 public key, got 33 bytes$/],
    ['taproot', () => decode(good, { taproot: true }), 'taproot', /^expected false .*, got boolean true$/],
    ['unknown network', () => decode(good, { network: 'solana:devnet' }), 'network', /^expected one of 'mainnet-beta', 'devnet', 'testnet', 'localnet', or none, got "solana:devnet"$/],
    ['not bytes', () => decode('AQAB' as unknown as Uint8Array), 'unsignedTransaction', /^expected the bytes of a Solana message, got "AQAB"$/],
    ['too large', () => decode(new Uint8Array(64 * 1024 + 1)), 'unsignedTransaction', /^expected a message of at most 1232 bytes, got 65537 bytes$/],
    ['null input', () => decoder.decode(null as unknown as DecodeTransactionInput), 'input', /^expected an object .*, got null$/],
    [
      'two compute unit prices',
      () => decode(Uint8Array.from(compile([ComputeBudgetProgram.setComputeUnitPrice({ microLamports: 1 }), ComputeBudgetProgram.setComputeUnitPrice({ microLamports: 2 })]).serialize())),
      'instructions',
      /^expected at most one SetComputeUnitPrice instruction, got another at instruction 1$/,
    ],
    [
      'a compute unit limit with trailing data',
      () => {
        const ix = ComputeBudgetProgram.setComputeUnitLimit({ units: 1 })
        ix.data = Buffer.concat([ix.data, Buffer.from([0])])
        return decode(Uint8Array.from(compile([ix]).serialize()))
      },
      'instructions',
      /^expected instruction 0 \(SetComputeUnitLimit\) to have 5 bytes of data, got 6 bytes$/,
    ],
  ]
  it.each(cases)('%s', (_, fn, field, details) => {
    const e = refusal(fn)
    expect(e.shortMessage).toBe('Invalid solana transaction.')
    expect(e.context).toEqual({ chain: 'solana', field })
    expect(e.details).toMatch(details)
  })

  it('returns a copy: changing the input afterwards changes neither the payload nor the reading', () => {
    const bytes = good.slice()
    const { payloads } = decode(bytes)
    bytes.fill(0)
    expect(payloads[0]).toEqual(good)
  })
})
